//! nf_tables set elements: the [`Key`] types (IPv4 and IPv6 addresses as
//! big-endian integers), the bytes an element takes in a list, the
//! element dump request, reading dumped elements, and turning interval
//! elements back into ranges.
//!
//! An element list is one attribute with a `u16` length, so a message
//! carries at most [`MAX_LIST_BYTES`] of elements. Dumped elements are
//! untrusted input: a missing or wrong-sized key is a [`ParseError`],
//! never a panic.

use super::attr::{align4, put_nlmsghdr, put_str_attr, set_nlmsg_len};
use super::parse::{attrs, find_attr, ParseError};
use super::uapi::*;

/// Element bytes allowed in one `NFTA_SET_ELEM_LIST_ELEMENTS` attribute:
/// below the u16 attribute length with room for the largest element.
pub const MAX_LIST_BYTES: usize = 60 * 1024;

/// An address that can be a set key: its bytes in network order.
pub trait Key: Copy + Ord + std::fmt::Debug {
    /// Key length in bytes (4 or 16).
    const LEN: usize;
    /// The highest address: a range ending here has no end element.
    const MAX: Self;
    /// Network-order bytes into `out` (which has length `LEN`).
    fn write(self, out: &mut Vec<u8>);
    /// Parses network-order bytes; `None` on a wrong length.
    fn read(b: &[u8]) -> Option<Self>;
    /// `self + 1`, `None` at the top.
    fn succ(self) -> Option<Self>;
    /// `self - 1`, `None` at zero.
    fn pred(self) -> Option<Self>;
}

macro_rules! impl_key {
    ($t:ty, $n:expr) => {
        impl Key for $t {
            const LEN: usize = $n;
            const MAX: Self = <$t>::MAX;
            fn write(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_be_bytes());
            }
            fn read(b: &[u8]) -> Option<Self> {
                b.try_into().ok().map(<$t>::from_be_bytes)
            }
            fn succ(self) -> Option<Self> {
                self.checked_add(1)
            }
            fn pred(self) -> Option<Self> {
                self.checked_sub(1)
            }
        }
    };
}
impl_key!(u32, 4);
impl_key!(u128, 16);

/// Bytes one interval element occupies in a list (start element).
pub fn start_elem_len<K: Key>() -> usize {
    // LIST_ELEM { KEY { DATA_VALUE (key) } }
    NLA_HDRLEN + NLA_HDRLEN + NLA_HDRLEN + align4(K::LEN)
}

/// Bytes of an end element (start plus the flags attribute).
pub fn end_elem_len<K: Key>() -> usize {
    start_elem_len::<K>() + NLA_HDRLEN + 4
}

/// Builds a `NFT_MSG_GETSETELEM` dump request for `table`/`set`.
pub fn getsetelem_dump(seq: u32, table: &str, set: &str) -> Vec<u8> {
    let mut buf = Vec::with_capacity(64);
    put_nlmsghdr(
        &mut buf,
        0,
        (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETSETELEM,
        NLM_F_REQUEST | NLM_F_DUMP,
        seq,
    );
    buf.extend_from_slice(&[NFPROTO_INET, NFNETLINK_V0, 0, 0]);
    put_str_attr(&mut buf, NFTA_SET_ELEM_LIST_TABLE, table);
    put_str_attr(&mut buf, NFTA_SET_ELEM_LIST_SET, set);
    set_nlmsg_len(&mut buf, 0);
    buf
}

/// Calls `f(key, interval_end)` for each element of one
/// `NFT_MSG_NEWSETELEM` dump message (payload after the nlmsghdr).
pub fn parse_setelem_msg<K: Key>(payload: &[u8], mut f: impl FnMut(K, bool)) -> Result<(), ParseError> {
    let attrs_buf = payload.get(NFGENMSG_LEN..).ok_or(ParseError::Truncated)?;
    let Some(list) = find_attr(attrs_buf, NFTA_SET_ELEM_LIST_ELEMENTS)? else {
        return Ok(());
    };
    for e in attrs(list) {
        let (ty, elem) = e?;
        if ty != NFTA_LIST_ELEM {
            continue;
        }
        let mut key = None;
        let mut flags = 0u32;
        for a in attrs(elem) {
            match a? {
                (NFTA_SET_ELEM_KEY, k) => {
                    let v = find_attr(k, NFTA_DATA_VALUE)?.ok_or(ParseError::Malformed)?;
                    key = Some(K::read(v).ok_or(ParseError::Malformed)?);
                }
                (NFTA_SET_ELEM_FLAGS, fl) => {
                    let b: [u8; 4] = fl.try_into().map_err(|_| ParseError::Malformed)?;
                    flags = u32::from_be_bytes(b);
                }
                _ => {}
            }
        }
        let key = key.ok_or(ParseError::Malformed)?;
        f(key, flags & NFT_SET_ELEM_INTERVAL_END != 0);
    }
    Ok(())
}

/// Rebuilds inclusive ranges from interval-set elements sorted by key
/// (end elements before start elements at the same key). A start without
/// an end runs to the top of the space; an end without a start (older nft
/// put one at key 0) is ignored.
pub fn elems_to_ranges<K: Key>(sorted: &[(K, bool)]) -> Vec<(K, K)> {
    let mut out = Vec::with_capacity(sorted.len() / 2 + 1);
    let mut open: Option<K> = None;
    for &(k, end) in sorted {
        match (end, open) {
            (false, None) => open = Some(k),
            (false, Some(s)) => {
                // Two starts in a row: the first range is open-ended up to
                // the second start. Not produced by iocguard; keep it exact.
                // The same start twice (a repeated element in a dump) gives
                // an empty first range, which must not become `k..k-1`.
                if let Some(p) = k.pred() {
                    if p >= s {
                        out.push((s, p));
                    }
                }
                open = Some(k);
            }
            (true, Some(s)) => {
                if let Some(p) = k.pred() {
                    if p >= s {
                        out.push((s, p));
                    }
                }
                open = None;
            }
            (true, None) => {}
        }
    }
    if let Some(s) = open {
        out.push((s, K::MAX));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nft::netlink::{messages, Batch, ElemOp};

    #[test]
    fn encoded_elements_parse_back() {
        let mut b = Batch::new(1);
        b.open_elems(ElemOp::Delete, "tbl", "v6");
        b.push_range(1u128, 5u128);
        b.push_range(u128::MAX - 1, u128::MAX);
        let (bytes, _) = b.finish();
        let msgs: Vec<_> = messages(bytes).collect::<Result<_, _>>().unwrap();
        assert_eq!(msgs.len(), 3);
        assert_eq!(msgs[1].ty, (10 << 8) | NFT_MSG_DELSETELEM);
        let mut got = Vec::new();
        parse_setelem_msg::<u128>(msgs[1].payload, |k, e| got.push((k, e))).unwrap();
        assert_eq!(got, vec![(1, false), (6, true), (u128::MAX - 1, false)]);
        assert_eq!(elems_to_ranges(&got), vec![(1, 5), (u128::MAX - 1, u128::MAX)]);
    }

    /// Found by the `netlink` fuzz target (fuzz/regressions/
    /// crash-e6ec7351…): a dump repeating one start element produced the
    /// inverted range `k..k-1`.
    #[test]
    fn repeated_start_elements_give_no_inverted_range() {
        let k = 0xc000_02ffu32;
        assert_eq!(elems_to_ranges(&[(k, false), (k, false)]), vec![(k, u32::MAX)]);
        assert_eq!(
            elems_to_ranges(&[(1u32, false), (1, false), (5, true)]),
            vec![(1, 4)]
        );
        let input =
            include_bytes!("../../../fuzz/regressions/crash-e6ec7351c39757aee5559066d18e9ab87b573898");
        for m in crate::nft::netlink::messages(input) {
            let Ok(m) = m else { continue };
            let mut elems = Vec::new();
            if parse_setelem_msg::<u32>(m.payload, |k, end| elems.push((k, end))).is_ok() {
                elems.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
                assert!(elems_to_ranges(&elems).iter().all(|(s, e)| s <= e), "{elems:?}");
            }
        }
    }

    #[test]
    fn ranges_from_kernel_elements() {
        let e = [
            (0u32, true),
            (10, false),
            (21, true),
            (21, false),
            (31, true),
            (40, false),
        ];
        assert_eq!(elems_to_ranges(&e), vec![(10, 20), (21, 30), (40, u32::MAX)]);
    }
}
