//! nfnetlink message encoding and decoding for nf_tables set elements,
//! written from the kernel uapi headers (`linux/netlink.h`,
//! `linux/netfilter/nfnetlink.h`, `linux/netfilter/nf_tables.h`).
//!
//! Everything in this file is pure: it fills byte buffers and reads them
//! back, with every length checked, so a truncated or hostile reply is an
//! error and never a panic. The socket lives in [`socket`].
//!
//! Only what the loader needs is here: batches (`NFNL_MSG_BATCH_BEGIN` …
//! `NFNL_MSG_BATCH_END`) of `NFT_MSG_NEWSETELEM`/`NFT_MSG_DELSETELEM`, the
//! `NFT_MSG_GETSETELEM` dump, and acknowledgements. One element list is
//! one netlink attribute whose length is a `u16`, so a message carries at
//! most [`MAX_LIST_BYTES`] of elements and a transaction is many messages.

pub mod nflog;
pub mod socket;

// linux/netlink.h
/// `NLMSG_ERROR`: an acknowledgement or an error.
pub const NLMSG_ERROR: u16 = 2;
/// `NLMSG_DONE`: the end of a dump.
pub const NLMSG_DONE: u16 = 3;
/// `NLM_F_REQUEST`.
pub const NLM_F_REQUEST: u16 = 0x1;
/// `NLM_F_ACK`: ask for an acknowledgement of this message.
pub const NLM_F_ACK: u16 = 0x4;
/// `NLM_F_DUMP` (`NLM_F_ROOT | NLM_F_MATCH`).
pub const NLM_F_DUMP: u16 = 0x300;
/// `NLM_F_CREATE`.
pub const NLM_F_CREATE: u16 = 0x400;
/// `NLA_F_NESTED`: the attribute holds attributes.
pub const NLA_F_NESTED: u16 = 1 << 15;
/// `NLA_F_NET_BYTEORDER`.
pub const NLA_F_NET_BYTEORDER: u16 = 1 << 14;
/// Size of `struct nlmsghdr`.
pub const NLMSG_HDRLEN: usize = 16;
/// Size of `struct nlattr`.
pub const NLA_HDRLEN: usize = 4;

// linux/netfilter/nfnetlink.h
/// `NFNL_MSG_BATCH_BEGIN` (= `NLMSG_MIN_TYPE`).
pub const NFNL_MSG_BATCH_BEGIN: u16 = 0x10;
/// `NFNL_MSG_BATCH_END`.
pub const NFNL_MSG_BATCH_END: u16 = 0x11;
/// `NFNL_SUBSYS_ULOG`: the NFLOG subsystem.
pub const NFNL_SUBSYS_ULOG: u16 = 4;
/// `NFNL_SUBSYS_NFTABLES`.
pub const NFNL_SUBSYS_NFTABLES: u16 = 10;
/// `NFNETLINK_V0`.
pub const NFNETLINK_V0: u8 = 0;
/// Size of `struct nfgenmsg`.
pub const NFGENMSG_LEN: usize = 4;

// linux/netfilter.h
/// `NFPROTO_UNSPEC`.
pub const NFPROTO_UNSPEC: u8 = 0;
/// `NFPROTO_INET`: the table family iocguard uses.
pub const NFPROTO_INET: u8 = 1;

// linux/netfilter/nf_tables.h
/// `NFT_MSG_NEWSETELEM`.
pub const NFT_MSG_NEWSETELEM: u16 = 12;
/// `NFT_MSG_GETSETELEM`.
pub const NFT_MSG_GETSETELEM: u16 = 13;
/// `NFT_MSG_DELSETELEM`.
pub const NFT_MSG_DELSETELEM: u16 = 14;
/// `NFT_MSG_GETTABLE`.
pub const NFT_MSG_GETTABLE: u16 = 1;
/// `NFT_MSG_DELTABLE`.
pub const NFT_MSG_DELTABLE: u16 = 2;
/// `NFT_MSG_GETSET`.
pub const NFT_MSG_GETSET: u16 = 10;
/// `NFTA_TABLE_HANDLE` (u64, big endian).
pub const NFTA_TABLE_HANDLE: u16 = 4;
/// `NFTA_SET_TABLE` (string).
pub const NFTA_SET_TABLE: u16 = 1;
/// `NFTA_SET_NAME` (string).
pub const NFTA_SET_NAME: u16 = 2;
/// `NFTA_SET_HANDLE` (u64, big endian).
pub const NFTA_SET_HANDLE: u16 = 16;
/// `NFT_MSG_GETOBJ`.
pub const NFT_MSG_GETOBJ: u16 = 19;
/// `NFTA_TABLE_NAME` (string).
pub const NFTA_TABLE_NAME: u16 = 1;
/// `NFTA_OBJ_TABLE` (string).
pub const NFTA_OBJ_TABLE: u16 = 1;
/// `NFTA_OBJ_NAME` (string).
pub const NFTA_OBJ_NAME: u16 = 2;
/// `NFTA_OBJ_TYPE` (u32, big endian).
pub const NFTA_OBJ_TYPE: u16 = 3;
/// `NFTA_OBJ_DATA` (nested, per type).
pub const NFTA_OBJ_DATA: u16 = 4;
/// `NFT_OBJECT_COUNTER`.
pub const NFT_OBJECT_COUNTER: u32 = 1;
/// `NFTA_COUNTER_BYTES` (u64, big endian).
pub const NFTA_COUNTER_BYTES: u16 = 1;
/// `NFTA_COUNTER_PACKETS` (u64, big endian).
pub const NFTA_COUNTER_PACKETS: u16 = 2;
/// `NFTA_SET_ELEM_LIST_TABLE` (string).
pub const NFTA_SET_ELEM_LIST_TABLE: u16 = 1;
/// `NFTA_SET_ELEM_LIST_SET` (string).
pub const NFTA_SET_ELEM_LIST_SET: u16 = 2;
/// `NFTA_SET_ELEM_LIST_ELEMENTS` (nested list).
pub const NFTA_SET_ELEM_LIST_ELEMENTS: u16 = 3;
/// `NFTA_LIST_ELEM`: one element of a list.
pub const NFTA_LIST_ELEM: u16 = 1;
/// `NFTA_SET_ELEM_KEY` (nested `nft_data`).
pub const NFTA_SET_ELEM_KEY: u16 = 1;
/// `NFTA_SET_ELEM_FLAGS` (u32, big endian).
pub const NFTA_SET_ELEM_FLAGS: u16 = 3;
/// `NFTA_DATA_VALUE` (binary).
pub const NFTA_DATA_VALUE: u16 = 1;
/// `NFT_SET_ELEM_INTERVAL_END`: the element closes the interval before it.
pub const NFT_SET_ELEM_INTERVAL_END: u32 = 0x1;

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

/// Rounds up to the netlink alignment of 4.
pub const fn align4(n: usize) -> usize {
    (n + 3) & !3
}

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

fn put_nlmsghdr(buf: &mut Vec<u8>, len: u32, ty: u16, flags: u16, seq: u32) {
    buf.extend_from_slice(&len.to_ne_bytes());
    buf.extend_from_slice(&ty.to_ne_bytes());
    buf.extend_from_slice(&flags.to_ne_bytes());
    buf.extend_from_slice(&seq.to_ne_bytes());
    buf.extend_from_slice(&0u32.to_ne_bytes()); // port id: the kernel
}

fn set_nlmsg_len(buf: &mut [u8], at: usize) {
    let len = (buf.len() - at) as u32;
    buf[at..at + 4].copy_from_slice(&len.to_ne_bytes());
}

fn put_attr_hdr(buf: &mut Vec<u8>, ty: u16, len: usize) {
    buf.extend_from_slice(&(len as u16).to_ne_bytes());
    buf.extend_from_slice(&ty.to_ne_bytes());
}

/// Appends a NUL-terminated string attribute (`NLA_STRING`), padded.
pub fn put_str_attr(buf: &mut Vec<u8>, ty: u16, s: &str) {
    put_attr_hdr(buf, ty, NLA_HDRLEN + s.len() + 1);
    buf.extend_from_slice(s.as_bytes());
    buf.push(0);
    pad4(buf);
}

fn pad4(buf: &mut Vec<u8>) {
    while !buf.len().is_multiple_of(4) {
        buf.push(0);
    }
}

/// Why a kernel reply could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// A header or attribute claims more bytes than there are.
    #[error("truncated netlink message")]
    Truncated,
    /// An attribute has an impossible shape.
    #[error("malformed netlink attribute")]
    Malformed,
}

/// One netlink message, borrowed from a receive buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Msg<'a> {
    /// `nlmsg_type`.
    pub ty: u16,
    /// `nlmsg_flags`.
    pub flags: u16,
    /// `nlmsg_seq`.
    pub seq: u32,
    /// Everything after the header.
    pub payload: &'a [u8],
}

/// Iterates over the netlink messages in one datagram.
pub fn messages(mut buf: &[u8]) -> impl Iterator<Item = Result<Msg<'_>, ParseError>> {
    std::iter::from_fn(move || {
        if buf.is_empty() {
            return None;
        }
        if buf.len() < NLMSG_HDRLEN {
            buf = &[];
            return Some(Err(ParseError::Truncated));
        }
        let len = u32::from_ne_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
        if len < NLMSG_HDRLEN || len > buf.len() {
            buf = &[];
            return Some(Err(ParseError::Truncated));
        }
        let msg = Msg {
            ty: u16::from_ne_bytes([buf[4], buf[5]]),
            flags: u16::from_ne_bytes([buf[6], buf[7]]),
            seq: u32::from_ne_bytes([buf[8], buf[9], buf[10], buf[11]]),
            payload: &buf[NLMSG_HDRLEN..len],
        };
        buf = &buf[align4(len).min(buf.len())..];
        Some(Ok(msg))
    })
}

/// An `NLMSG_ERROR` payload: `error` is 0 for an acknowledgement, else a
/// negative errno; `seq` is the sequence number of the message it answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ack {
    /// 0 or a negative errno.
    pub error: i32,
    /// The answered message's sequence number.
    pub seq: u32,
}

/// Reads an `NLMSG_ERROR` payload (`struct nlmsgerr`).
pub fn parse_ack(payload: &[u8]) -> Result<Ack, ParseError> {
    if payload.len() < 4 + NLMSG_HDRLEN {
        return Err(ParseError::Truncated);
    }
    let error = i32::from_ne_bytes([payload[0], payload[1], payload[2], payload[3]]);
    let seq = u32::from_ne_bytes([payload[12], payload[13], payload[14], payload[15]]);
    Ok(Ack { error, seq })
}

/// Iterates over the attributes in `buf`, yielding (type without flags,
/// payload).
pub fn attrs(mut buf: &[u8]) -> impl Iterator<Item = Result<(u16, &[u8]), ParseError>> {
    std::iter::from_fn(move || {
        if buf.len() < NLA_HDRLEN {
            // Trailing padding shorter than a header is not an attribute.
            return None;
        }
        let len = u16::from_ne_bytes([buf[0], buf[1]]) as usize;
        let ty = u16::from_ne_bytes([buf[2], buf[3]]) & !(NLA_F_NESTED | NLA_F_NET_BYTEORDER);
        if len < NLA_HDRLEN || len > buf.len() {
            buf = &[];
            return Some(Err(ParseError::Malformed));
        }
        let payload = &buf[NLA_HDRLEN..len];
        buf = &buf[align4(len).min(buf.len())..];
        Some(Ok((ty, payload)))
    })
}

/// Finds the first attribute of type `ty`.
pub fn find_attr(buf: &[u8], ty: u16) -> Result<Option<&[u8]>, ParseError> {
    for a in attrs(buf) {
        let (t, p) = a?;
        if t == ty {
            return Ok(Some(p));
        }
    }
    Ok(None)
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
                if let Some(p) = k.pred() {
                    out.push((s, p));
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

    fn ne16(v: u16) -> [u8; 2] {
        v.to_ne_bytes()
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

    #[test]
    fn truncated_replies_are_errors_not_panics() {
        assert_eq!(messages(&[1, 2, 3]).next(), Some(Err(ParseError::Truncated)));
        let mut m = 40u32.to_ne_bytes().to_vec();
        m.extend_from_slice(&[0; 12]);
        assert_eq!(messages(&m).next(), Some(Err(ParseError::Truncated)));
        assert_eq!(parse_ack(&[0; 8]), Err(ParseError::Truncated));
        assert!(attrs(&[200, 0, 1, 0, 0]).next().unwrap().is_err());
        // Garbage of every length must never panic.
        for n in 0..64 {
            let junk: Vec<u8> = (0..n).map(|i| (i * 37 % 251) as u8).collect();
            let _ = messages(&junk).count();
            let _ = parse_setelem_msg::<u32>(&junk, |_, _| {});
        }
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

    #[test]
    fn ack_carries_errno_and_seq() {
        let mut p = (-22i32).to_ne_bytes().to_vec();
        p.extend_from_slice(&[0; 8]);
        p.extend_from_slice(&77u32.to_ne_bytes());
        p.extend_from_slice(&[0; 4]);
        assert_eq!(parse_ack(&p), Ok(Ack { error: -22, seq: 77 }));
    }
}
