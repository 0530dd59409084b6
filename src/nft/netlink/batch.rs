//! An nfnetlink batch: one kernel transaction of element additions and
//! deletions (and table deletion), built in a reusable buffer, plus the
//! acknowledgements it must produce.
//!
//! Invariants: every message in a batch asks for an acknowledgement and
//! gets the next sequence number, so [`AckRange`] tells the caller exactly
//! which acknowledgements to wait for; nested attribute lengths are patched
//! when each nest closes. The caller keeps an open element list below
//! [`MAX_LIST_BYTES`](super::MAX_LIST_BYTES) (see
//! [`Batch::open_list_bytes`]), the `u16` limit of its length.

use super::attr::{align4, pad4, put_attr_hdr, put_nlmsghdr, put_str_attr, set_nlmsg_len};
use super::elem::Key;
use super::uapi::*;

/// Which element operation a message carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElemOp {
    /// `NFT_MSG_NEWSETELEM`.
    Add,
    /// `NFT_MSG_DELSETELEM`.
    Delete,
}

/// An nfnetlink batch (one kernel transaction) being built in a buffer.
///
/// Every element message asks for an acknowledgement, so that the caller
/// learns of every refusal; the kernel sends them only after the whole
/// batch was processed and committed or aborted.
#[derive(Debug)]
pub struct Batch {
    buf: Vec<u8>,
    begin_seq: u32,
    next_seq: u32,
    open: Option<usize>,
    msgs: u32,
}

impl Batch {
    /// Starts a batch whose first message gets sequence number `seq`.
    pub fn new(seq: u32) -> Self {
        let mut b = Batch {
            buf: Vec::new(),
            begin_seq: seq,
            next_seq: seq,
            open: None,
            msgs: 0,
        };
        b.header(
            NFNL_MSG_BATCH_BEGIN,
            NLM_F_REQUEST,
            NFPROTO_UNSPEC,
            NFNL_SUBSYS_NFTABLES,
        );
        b
    }

    /// Reuses the buffer for a new batch, keeping its capacity.
    pub fn reset(&mut self, seq: u32) {
        self.buf.clear();
        self.begin_seq = seq;
        self.next_seq = seq;
        self.open = None;
        self.msgs = 0;
        self.header(
            NFNL_MSG_BATCH_BEGIN,
            NLM_F_REQUEST,
            NFPROTO_UNSPEC,
            NFNL_SUBSYS_NFTABLES,
        );
    }

    /// Writes an nlmsghdr + nfgenmsg; returns the header's offset.
    fn header(&mut self, ty: u16, flags: u16, family: u8, res_id: u16) -> usize {
        let at = self.buf.len();
        put_nlmsghdr(&mut self.buf, 0, ty, flags, self.next_seq);
        self.buf.extend_from_slice(&[family, NFNETLINK_V0]);
        self.buf.extend_from_slice(&res_id.to_be_bytes());
        self.next_seq = self.next_seq.wrapping_add(1);
        set_nlmsg_len(&mut self.buf, at);
        at
    }

    /// Opens an element message for `table`/`set`; elements follow via
    /// [`Batch::push_range`] until [`Batch::close_elems`].
    pub fn open_elems(&mut self, op: ElemOp, table: &str, set: &str) {
        self.close_elems();
        let (ty, flags) = match op {
            ElemOp::Add => (NFT_MSG_NEWSETELEM, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_ACK),
            ElemOp::Delete => (NFT_MSG_DELSETELEM, NLM_F_REQUEST | NLM_F_ACK),
        };
        let at = self.header((NFNL_SUBSYS_NFTABLES << 8) | ty, flags, NFPROTO_INET, 0);
        put_str_attr(&mut self.buf, NFTA_SET_ELEM_LIST_TABLE, table);
        put_str_attr(&mut self.buf, NFTA_SET_ELEM_LIST_SET, set);
        let _list = self.nest_start(NFTA_SET_ELEM_LIST_ELEMENTS);
        self.open = Some(at);
        self.msgs += 1;
    }

    /// Bytes of elements in the open message so far.
    pub fn open_list_bytes(&self) -> usize {
        match self.open {
            // header + nfgenmsg + two strings + list header precede the list.
            Some(at) => self.buf.len() - self.list_start(at),
            None => 0,
        }
    }

    fn list_start(&self, at: usize) -> usize {
        // Walk the two string attributes after the nfgenmsg.
        let mut p = at + NLMSG_HDRLEN + NFGENMSG_LEN;
        for _ in 0..2 {
            let len = u16::from_ne_bytes([self.buf[p], self.buf[p + 1]]) as usize;
            p += align4(len);
        }
        p + NLA_HDRLEN
    }

    /// Appends the interval `[first, last]` as a start element and, unless
    /// `last` is the top of the address space, an end element at
    /// `last + 1` flagged `NFT_SET_ELEM_INTERVAL_END` (the kernel's and
    /// nft's convention: the last interval stays open to the top).
    pub fn push_range<K: Key>(&mut self, first: K, last: K) {
        self.push_elem(first, false);
        if let Some(end) = last.succ() {
            self.push_elem(end, true);
        }
    }

    /// Appends one element that the kernel removes by itself after
    /// `timeout_ms` (the set has `flags timeout`).
    pub fn push_elem_timeout<K: Key>(&mut self, key: K, timeout_ms: u64) {
        let e = self.nest_start(NFTA_LIST_ELEM);
        let k = self.nest_start(NFTA_SET_ELEM_KEY);
        put_attr_hdr(&mut self.buf, NFTA_DATA_VALUE, NLA_HDRLEN + K::LEN);
        key.write(&mut self.buf);
        pad4(&mut self.buf);
        self.nest_end(k);
        put_attr_hdr(&mut self.buf, NFTA_SET_ELEM_TIMEOUT, NLA_HDRLEN + 8);
        self.buf.extend_from_slice(&timeout_ms.to_be_bytes());
        self.nest_end(e);
    }

    /// Adds a message that empties `table`/`set` (a `NFT_MSG_DELSETELEM`
    /// without an element list is the kernel's set flush).
    pub fn flush_set(&mut self, table: &str, set: &str) {
        self.close_elems();
        let at = self.header(
            (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_DELSETELEM,
            NLM_F_REQUEST | NLM_F_ACK,
            NFPROTO_INET,
            0,
        );
        put_str_attr(&mut self.buf, NFTA_SET_ELEM_LIST_TABLE, table);
        put_str_attr(&mut self.buf, NFTA_SET_ELEM_LIST_SET, set);
        set_nlmsg_len(&mut self.buf, at);
        self.msgs += 1;
    }

    /// Appends one element (a key, optionally flagged interval end).
    pub fn push_elem<K: Key>(&mut self, key: K, interval_end: bool) {
        let e = self.nest_start(NFTA_LIST_ELEM);
        let k = self.nest_start(NFTA_SET_ELEM_KEY);
        let v = self.buf.len();
        put_attr_hdr(&mut self.buf, NFTA_DATA_VALUE, NLA_HDRLEN + K::LEN);
        key.write(&mut self.buf);
        pad4(&mut self.buf);
        debug_assert_eq!(self.buf.len() - v, NLA_HDRLEN + align4(K::LEN));
        self.nest_end(k);
        if interval_end {
            put_attr_hdr(&mut self.buf, NFTA_SET_ELEM_FLAGS, NLA_HDRLEN + 4);
            self.buf
                .extend_from_slice(&NFT_SET_ELEM_INTERVAL_END.to_be_bytes());
        }
        self.nest_end(e);
    }

    /// Adds a `NFT_MSG_DELTABLE` for `table` (family inet): the table and
    /// everything in it go in this batch's commit.
    pub fn del_table(&mut self, table: &str) {
        self.close_elems();
        let at = self.header(
            (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_DELTABLE,
            NLM_F_REQUEST | NLM_F_ACK,
            NFPROTO_INET,
            0,
        );
        put_str_attr(&mut self.buf, NFTA_TABLE_NAME, table);
        set_nlmsg_len(&mut self.buf, at);
        self.msgs += 1;
    }

    /// Closes the open element message, if any.
    pub fn close_elems(&mut self) {
        if let Some(at) = self.open.take() {
            let list = self.list_start(at) - NLA_HDRLEN;
            self.nest_end(list);
            set_nlmsg_len(&mut self.buf, at);
        }
    }

    /// Closes the batch and returns its bytes plus the sequence numbers to
    /// expect acknowledgements for (`begin_seq`, first element message,
    /// last element message).
    pub fn finish(&mut self) -> (&[u8], AckRange) {
        self.close_elems();
        let first = self.begin_seq.wrapping_add(1);
        let last = self.next_seq.wrapping_sub(1);
        self.header(
            NFNL_MSG_BATCH_END,
            NLM_F_REQUEST,
            NFPROTO_UNSPEC,
            NFNL_SUBSYS_NFTABLES,
        );
        (
            &self.buf,
            AckRange {
                begin: self.begin_seq,
                first,
                last,
                count: self.msgs,
            },
        )
    }

    /// Number of element messages so far.
    pub fn messages(&self) -> u32 {
        self.msgs
    }

    /// Bytes so far.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// True when only the batch header is present.
    pub fn is_empty(&self) -> bool {
        self.msgs == 0
    }

    /// The next sequence number this batch would use.
    pub fn next_seq(&self) -> u32 {
        self.next_seq
    }

    fn nest_start(&mut self, ty: u16) -> usize {
        let at = self.buf.len();
        put_attr_hdr(&mut self.buf, ty | NLA_F_NESTED, NLA_HDRLEN);
        at
    }

    fn nest_end(&mut self, at: usize) {
        let len = (self.buf.len() - at) as u16;
        self.buf[at..at + 2].copy_from_slice(&len.to_ne_bytes());
    }
}

/// The acknowledgements a sent batch must produce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AckRange {
    /// Sequence number of `NFNL_MSG_BATCH_BEGIN`: batch-wide errors (a
    /// failed commit, no memory for the error list) are reported on it.
    pub begin: u32,
    /// First element message.
    pub first: u32,
    /// Last element message: its acknowledgement is the last one sent.
    pub last: u32,
    /// Number of element messages.
    pub count: u32,
}

/// Builds a `NFT_MSG_GETSETELEM` request for the one element at `key`
/// (answered by the element or by `ENOENT`): a cheap spot check.
pub fn getsetelem_one<K: Key>(seq: u32, table: &str, set: &str, key: K) -> Vec<u8> {
    let mut b = Batch {
        buf: Vec::with_capacity(80),
        begin_seq: seq,
        next_seq: seq,
        open: None,
        msgs: 0,
    };
    let at = b.header(
        (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETSETELEM,
        NLM_F_REQUEST | NLM_F_ACK,
        NFPROTO_INET,
        0,
    );
    put_str_attr(&mut b.buf, NFTA_SET_ELEM_LIST_TABLE, table);
    put_str_attr(&mut b.buf, NFTA_SET_ELEM_LIST_SET, set);
    let list = b.nest_start(NFTA_SET_ELEM_LIST_ELEMENTS);
    b.push_elem(key, false);
    b.nest_end(list);
    set_nlmsg_len(&mut b.buf, at);
    b.buf
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nft::netlink::{end_elem_len, find_attr, messages, parse_setelem_msg, start_elem_len};

    fn ne16(v: u16) -> [u8; 2] {
        v.to_ne_bytes()
    }

    #[test]
    fn a_timed_element_and_a_set_flush_read_back_as_the_kernel_expects() {
        let mut b = Batch::new(7);
        b.flush_set("t", "notice4");
        b.open_elems(ElemOp::Add, "t", "notice4");
        b.push_elem_timeout(0xC000_0201u32, 600_000);
        let (bytes, acks) = b.finish();
        assert_eq!((acks.first, acks.last, acks.count), (8, 9, 2));
        let msgs: Vec<_> = messages(bytes).map(Result::unwrap).collect();
        assert_eq!(msgs.len(), 4, "begin, flush, add, end");
        // The flush: DELSETELEM with table and set and no element list.
        assert_eq!(msgs[1].ty, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_DELSETELEM);
        let flush = &msgs[1].payload[NFGENMSG_LEN..];
        assert_eq!(
            find_attr(flush, NFTA_SET_ELEM_LIST_SET).unwrap(),
            Some(&b"notice4\0"[..])
        );
        assert_eq!(find_attr(flush, NFTA_SET_ELEM_LIST_ELEMENTS).unwrap(), None);
        // The element: key and a big-endian millisecond timeout.
        let add = &msgs[2].payload[NFGENMSG_LEN..];
        let list = find_attr(add, NFTA_SET_ELEM_LIST_ELEMENTS).unwrap().unwrap();
        let elem = find_attr(list, NFTA_LIST_ELEM).unwrap().unwrap();
        let key = find_attr(elem, NFTA_SET_ELEM_KEY).unwrap().unwrap();
        assert_eq!(
            find_attr(key, NFTA_DATA_VALUE).unwrap(),
            Some(&[192, 0, 2, 1][..])
        );
        let timeout = find_attr(elem, NFTA_SET_ELEM_TIMEOUT).unwrap().unwrap();
        assert_eq!(timeout, &600_000u64.to_be_bytes()[..]);
    }

    #[test]
    fn batch_bytes_match_the_uapi_layout() {
        let mut b = Batch::new(100);
        b.open_elems(ElemOp::Add, "t", "s");
        b.push_range(0xC000_0201u32, 0xC000_0201u32);
        let (bytes, acks) = b.finish();
        let bytes = bytes.to_vec();
        assert_eq!(
            acks,
            AckRange {
                begin: 100,
                first: 101,
                last: 101,
                count: 1
            }
        );
        // BATCH_BEGIN: len 20, type 0x10, flags REQUEST, seq 100, pid 0,
        // nfgenmsg { AF_UNSPEC, V0, res_id = htons(NFNL_SUBSYS_NFTABLES) }.
        let mut want = Vec::new();
        want.extend_from_slice(&20u32.to_ne_bytes());
        want.extend_from_slice(&ne16(0x10));
        want.extend_from_slice(&ne16(1));
        want.extend_from_slice(&100u32.to_ne_bytes());
        want.extend_from_slice(&0u32.to_ne_bytes());
        want.extend_from_slice(&[0, 0, 0, 10]);
        // NEWSETELEM: 16 hdr + 4 nfgen + 8 "t" + 8 "s" + 4 list + 16 start + 24 end = 80.
        want.extend_from_slice(&80u32.to_ne_bytes());
        want.extend_from_slice(&ne16((10 << 8) | 12));
        want.extend_from_slice(&ne16(0x1 | 0x4 | 0x400));
        want.extend_from_slice(&101u32.to_ne_bytes());
        want.extend_from_slice(&0u32.to_ne_bytes());
        want.extend_from_slice(&[1, 0, 0, 0]);
        want.extend_from_slice(&ne16(6));
        want.extend_from_slice(&ne16(1));
        want.extend_from_slice(b"t\0\0\0");
        want.extend_from_slice(&ne16(6));
        want.extend_from_slice(&ne16(2));
        want.extend_from_slice(b"s\0\0\0");
        want.extend_from_slice(&ne16(44));
        want.extend_from_slice(&ne16(3 | 0x8000));
        // start element 192.0.2.1
        want.extend_from_slice(&ne16(16));
        want.extend_from_slice(&ne16(1 | 0x8000));
        want.extend_from_slice(&ne16(12));
        want.extend_from_slice(&ne16(1 | 0x8000));
        want.extend_from_slice(&ne16(8));
        want.extend_from_slice(&ne16(1));
        want.extend_from_slice(&[192, 0, 2, 1]);
        // end element 192.0.2.2, flags INTERVAL_END (big endian)
        want.extend_from_slice(&ne16(24));
        want.extend_from_slice(&ne16(1 | 0x8000));
        want.extend_from_slice(&ne16(12));
        want.extend_from_slice(&ne16(1 | 0x8000));
        want.extend_from_slice(&ne16(8));
        want.extend_from_slice(&ne16(1));
        want.extend_from_slice(&[192, 0, 2, 2]);
        want.extend_from_slice(&ne16(8));
        want.extend_from_slice(&ne16(3));
        want.extend_from_slice(&[0, 0, 0, 1]);
        // BATCH_END seq 102
        want.extend_from_slice(&20u32.to_ne_bytes());
        want.extend_from_slice(&ne16(0x11));
        want.extend_from_slice(&ne16(1));
        want.extend_from_slice(&102u32.to_ne_bytes());
        want.extend_from_slice(&0u32.to_ne_bytes());
        want.extend_from_slice(&[0, 0, 0, 10]);
        assert_eq!(bytes, want);
        assert_eq!(start_elem_len::<u32>(), 16);
        assert_eq!(end_elem_len::<u32>(), 24);
        assert_eq!(end_elem_len::<u128>(), 36);
    }

    #[test]
    fn top_of_space_has_no_end_element() {
        let mut b = Batch::new(1);
        b.open_elems(ElemOp::Add, "t", "s");
        b.push_range(0xFFFF_FF00u32, u32::MAX);
        assert_eq!(b.open_list_bytes(), start_elem_len::<u32>());
    }

    #[test]
    fn delete_table_batch() {
        let mut b = Batch::new(10);
        b.del_table("iocguard");
        let (bytes, acks) = b.finish();
        let msgs: Vec<_> = messages(bytes).collect::<Result<_, _>>().unwrap();
        assert_eq!(msgs.len(), 3);
        assert_eq!(msgs[1].ty, (10 << 8) | NFT_MSG_DELTABLE);
        assert_eq!(msgs[1].payload[0], NFPROTO_INET);
        assert_eq!(
            find_attr(&msgs[1].payload[4..], NFTA_TABLE_NAME),
            Ok(Some(&b"iocguard\0"[..]))
        );
        assert_eq!((acks.first, acks.last, acks.count), (11, 11, 1));
    }

    #[test]
    fn single_element_get() {
        let m = getsetelem_one(3, "t", "s", 0xC000_0201u32);
        let msgs: Vec<_> = messages(&m).collect::<Result<_, _>>().unwrap();
        assert_eq!(msgs.len(), 1);
        assert_eq!(msgs[0].ty, (10 << 8) | NFT_MSG_GETSETELEM);
        assert_eq!(msgs[0].flags, NLM_F_REQUEST | NLM_F_ACK);
        let mut got = Vec::new();
        parse_setelem_msg::<u32>(msgs[0].payload, |k, e| got.push((k, e))).unwrap();
        assert_eq!(got, vec![(0xC000_0201, false)]);
    }
}
