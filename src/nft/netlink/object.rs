//! Queries about tables, sets and counter objects, and reading their
//! replies: existence checks and handles (`NFT_MSG_GETTABLE`,
//! `NFT_MSG_GETSET`), and the dump of named counters (`NFT_MSG_GETOBJ`).
//!
//! Replies are untrusted: a missing or wrong-sized attribute is a
//! [`ParseError`], never a panic; counter names are decoded lossily.

use super::attr::{put_attr_hdr, put_nlmsghdr, put_str_attr, set_nlmsg_len};
use super::parse::{find_attr, ParseError};
use super::uapi::*;

/// Builds a `NFT_MSG_GETTABLE` request for one table (answered by the
/// table or by `ENOENT`). Cheap: unlike `nft list table`, it never makes
/// the kernel walk set elements.
pub fn gettable(seq: u32, table: &str) -> Vec<u8> {
    let mut buf = Vec::with_capacity(48);
    put_nlmsghdr(
        &mut buf,
        0,
        (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETTABLE,
        NLM_F_REQUEST | NLM_F_ACK,
        seq,
    );
    buf.extend_from_slice(&[NFPROTO_INET, NFNETLINK_V0, 0, 0]);
    put_str_attr(&mut buf, NFTA_TABLE_NAME, table);
    set_nlmsg_len(&mut buf, 0);
    buf
}

/// Builds a `NFT_MSG_GETSET` request for one set.
pub fn getset(seq: u32, table: &str, set: &str) -> Vec<u8> {
    let mut buf = Vec::with_capacity(48);
    put_nlmsghdr(
        &mut buf,
        0,
        (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETSET,
        NLM_F_REQUEST | NLM_F_ACK,
        seq,
    );
    buf.extend_from_slice(&[NFPROTO_INET, NFNETLINK_V0, 0, 0]);
    put_str_attr(&mut buf, NFTA_SET_TABLE, table);
    put_str_attr(&mut buf, NFTA_SET_NAME, set);
    set_nlmsg_len(&mut buf, 0);
    buf
}

/// Reads a big-endian u64 attribute `ty` of a reply (after the nfgenmsg).
pub fn u64_attr(payload: &[u8], ty: u16) -> Result<Option<u64>, ParseError> {
    let a = payload.get(NFGENMSG_LEN..).ok_or(ParseError::Truncated)?;
    match find_attr(a, ty)? {
        Some(v) => Ok(Some(u64::from_be_bytes(
            v.try_into().map_err(|_| ParseError::Malformed)?,
        ))),
        None => Ok(None),
    }
}

/// Builds a `NFT_MSG_GETOBJ` dump of the counters of `table`.
pub fn getobj_counters_dump(seq: u32, table: &str) -> Vec<u8> {
    let mut buf = Vec::with_capacity(48);
    put_nlmsghdr(
        &mut buf,
        0,
        (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETOBJ,
        NLM_F_REQUEST | NLM_F_DUMP,
        seq,
    );
    buf.extend_from_slice(&[NFPROTO_INET, NFNETLINK_V0, 0, 0]);
    put_str_attr(&mut buf, NFTA_OBJ_TABLE, table);
    put_attr_hdr(&mut buf, NFTA_OBJ_TYPE, NLA_HDRLEN + 4);
    buf.extend_from_slice(&NFT_OBJECT_COUNTER.to_be_bytes());
    set_nlmsg_len(&mut buf, 0);
    buf
}

/// Reads one `NFT_MSG_NEWOBJ` dump message of a counter: (name,
/// packets, bytes). `None` for other object types.
pub fn parse_counter_obj(payload: &[u8]) -> Result<Option<(String, u64, u64)>, ParseError> {
    let a = payload.get(NFGENMSG_LEN..).ok_or(ParseError::Truncated)?;
    let ty = match find_attr(a, NFTA_OBJ_TYPE)? {
        Some(t) => u32::from_be_bytes(t.try_into().map_err(|_| ParseError::Malformed)?),
        None => return Ok(None),
    };
    if ty != NFT_OBJECT_COUNTER {
        return Ok(None);
    }
    let name = find_attr(a, NFTA_OBJ_NAME)?.ok_or(ParseError::Malformed)?;
    let name = String::from_utf8_lossy(name.split(|&c| c == 0).next().unwrap_or(&[])).into_owned();
    let data = find_attr(a, NFTA_OBJ_DATA)?.ok_or(ParseError::Malformed)?;
    let u64_of = |t| -> Result<u64, ParseError> {
        match find_attr(data, t)? {
            Some(v) => Ok(u64::from_be_bytes(
                v.try_into().map_err(|_| ParseError::Malformed)?,
            )),
            None => Ok(0),
        }
    };
    Ok(Some((
        name,
        u64_of(NFTA_COUNTER_PACKETS)?,
        u64_of(NFTA_COUNTER_BYTES)?,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_and_counter_requests() {
        let t = gettable(5, "iocguard");
        assert_eq!(t.len(), 16 + 4 + 4 + 12);
        assert_eq!(u16::from_ne_bytes([t[4], t[5]]), (10 << 8) | 1);
        assert_eq!(&t[24..33], b"iocguard\0");
        let c = getobj_counters_dump(6, "x");
        assert_eq!(c.len(), 16 + 4 + 8 + 8);
        assert_eq!(&c[32..36], &[0, 0, 0, 1]);
        // A counter object as the kernel dumps it.
        let mut p = vec![1, 0, 0, 0];
        put_str_attr(&mut p, NFTA_OBJ_TABLE, "x");
        put_str_attr(&mut p, NFTA_OBJ_NAME, "logged");
        put_attr_hdr(&mut p, NFTA_OBJ_TYPE, 8);
        p.extend_from_slice(&1u32.to_be_bytes());
        put_attr_hdr(&mut p, NFTA_OBJ_DATA | NLA_F_NESTED, 4 + 12 + 12);
        put_attr_hdr(&mut p, NFTA_COUNTER_BYTES, 12);
        p.extend_from_slice(&300u64.to_be_bytes());
        put_attr_hdr(&mut p, NFTA_COUNTER_PACKETS, 12);
        p.extend_from_slice(&5u64.to_be_bytes());
        assert_eq!(parse_counter_obj(&p), Ok(Some(("logged".into(), 5, 300))));
        assert!(parse_counter_obj(&p[..30]).is_err());
    }
}
