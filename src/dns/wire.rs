//! DNS wire format, the lean subset a sinkhole needs: parse one query
//! (header, question, EDNS OPT record with its options) and build the
//! handful of answers iocguard gives itself (NXDOMAIN with an SOA, A/AAAA,
//! NODATA, REFUSED, SERVFAIL, FORMERR, NOTIMP). Forwarded answers are never
//! parsed beyond the header and question: their bytes are relayed.
//!
//! Why not hickory-proto: it would cost several hundred KiB of a 3 MB
//! binary budget and allocates per message (names as `Vec`s, records in
//! `Vec`s); this module parses into fixed-size buffers on the stack, so the
//! blocked-answer hot path does no allocation at all.
//!
//! Every function takes untrusted bytes and never panics: lengths are
//! checked before every read and write (the writer returns
//! [`WireError::NoRoom`] instead of slicing out of bounds), compression
//! pointers must point strictly backwards (so a pointer chain cannot loop)
//! and at most [`MAX_POINTERS`] are followed, and names longer than 255
//! bytes on the wire are refused.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Length of the fixed header.
pub const HEADER_LEN: usize = 12;
/// Longest name on the wire (RFC 1035 2.3.4), root label included.
pub const MAX_NAME_WIRE: usize = 255;
/// Longest name in dotted text form, without the trailing dot.
pub const MAX_NAME_TEXT: usize = 253;
/// Compression pointers followed per name at most.
pub const MAX_POINTERS: usize = 32;
/// Room every response built here fits into (a 253-byte name, an SOA and
/// an OPT record need about 340 bytes).
pub const MAX_OWN_RESPONSE: usize = 512;
/// The UDP payload size iocguard advertises in its own OPT records (the
/// DNS flag day 2020 value).
pub const EDNS_UDP_SIZE: u16 = 1232;

/// Response codes used here.
pub mod rcode {
    /// No error.
    pub const NOERROR: u8 = 0;
    /// The query was malformed.
    pub const FORMERR: u8 = 1;
    /// The server failed (upstream unreachable).
    pub const SERVFAIL: u8 = 2;
    /// The name does not exist.
    pub const NXDOMAIN: u8 = 3;
    /// Opcode not implemented.
    pub const NOTIMP: u8 = 4;
    /// Refused by policy.
    pub const REFUSED: u8 = 5;
}

/// Record types used here.
pub mod rtype {
    /// IPv4 address.
    pub const A: u16 = 1;
    /// Start of authority.
    pub const SOA: u16 = 6;
    /// IPv6 address.
    pub const AAAA: u16 = 28;
    /// EDNS pseudo-record.
    pub const OPT: u16 = 41;
}

/// EDNS option codes read here.
pub mod opt {
    /// EDNS Client Subnet (RFC 7871); dnsmasq `--add-subnet`.
    pub const CLIENT_SUBNET: u16 = 8;
    /// dnsmasq `--add-mac`: the raw MAC bytes (dnsmasq's EDNS0_OPTION_MAC).
    pub const DNSMASQ_MAC: u16 = 65001;
    /// dnsmasq `--add-mac=base64` (8 characters) and `--add-mac=text`
    /// (`aa:bb:cc:dd:ee:ff`): Nominum's device-id code, EDNS0_OPTION_NOMDEVICEID.
    pub const DEVICE_ID: u16 = 65073;
}

/// Why a message could not be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// Shorter than the 12-byte header: not even an ID to answer to.
    #[error("message shorter than the DNS header")]
    ShortHeader,
    /// The QR bit is set: a response, never answered (no loops).
    #[error("message is a response, not a query")]
    NotQuery,
    /// Opcode other than QUERY.
    #[error("opcode {0} is not QUERY")]
    Opcode(u8),
    /// QDCOUNT is not 1.
    #[error("question count {0} is not 1")]
    QuestionCount(u16),
    /// A section ends before its stated length.
    #[error("message truncated inside a record")]
    Truncated,
    /// A label type other than a plain label or a pointer.
    #[error("unsupported label type")]
    BadLabel,
    /// A compression pointer that does not point backwards, or too many.
    #[error("bad compression pointer")]
    BadPointer,
    /// A name longer than 255 bytes on the wire.
    #[error("name longer than 255 bytes")]
    NameTooLong,
    /// A malformed or repeated OPT record.
    #[error("malformed EDNS OPT record")]
    BadOpt,
    /// The output buffer is too small.
    #[error("response does not fit the buffer")]
    NoRoom,
}

impl WireError {
    /// The response code to answer with, or `None` to drop the message
    /// silently (nothing to answer to, or answering could loop).
    pub fn answer_rcode(self) -> Option<u8> {
        match self {
            WireError::ShortHeader | WireError::NotQuery | WireError::NoRoom => None,
            WireError::Opcode(_) => Some(rcode::NOTIMP),
            _ => Some(rcode::FORMERR),
        }
    }
}

fn be16(b: &[u8], at: usize) -> Result<u16, WireError> {
    match b.get(at..at + 2) {
        Some(s) => Ok(u16::from_be_bytes([s[0], s[1]])),
        None => Err(WireError::Truncated),
    }
}

/// The ID of a message, if it has a header.
pub fn message_id(msg: &[u8]) -> Option<u16> {
    be16(msg, 0).ok().filter(|_| msg.len() >= HEADER_LEN)
}

/// Overwrites the ID of a message (forwarding: the upstream sees our ID,
/// the client gets its own back). No-op on a message without a header.
pub fn set_message_id(msg: &mut [u8], id: u16) {
    if msg.len() >= HEADER_LEN {
        msg[..2].copy_from_slice(&id.to_be_bytes());
    }
}

/// A query name: the labels as sent (uncompressed wire form, original
/// case, so answers echo it byte for byte) and the lowercase dotted text
/// the blocklist is asked about.
#[derive(Clone)]
pub struct Name {
    wire: [u8; MAX_NAME_WIRE],
    wire_len: u8,
    text: [u8; MAX_NAME_TEXT],
    text_len: u8,
    matchable: bool,
}

impl Name {
    /// The name in uncompressed wire form, root label included.
    pub fn wire(&self) -> &[u8] {
        &self.wire[..self.wire_len as usize]
    }

    /// Lowercase dotted text without the trailing dot (`""` for the root),
    /// or `None` when a label holds bytes no listed domain can contain (a
    /// dot, a space, non-ASCII): such a name is never blocked, only
    /// forwarded.
    pub fn text(&self) -> Option<&str> {
        if !self.matchable {
            return None;
        }
        std::str::from_utf8(&self.text[..self.text_len as usize]).ok()
    }

    /// The dotted text for display even when not matchable (bytes outside
    /// printable ASCII shown as `?`).
    pub fn display(&self) -> &[u8] {
        &self.text[..self.text_len as usize]
    }
}

impl std::fmt::Debug for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Name({:?})", String::from_utf8_lossy(self.display()))
    }
}

/// What EDNS told about the query and its client.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Edns {
    /// Advertised UDP payload size.
    pub udp_size: u16,
    /// EDNS version (only 0 exists).
    pub version: u8,
    /// The DO bit (DNSSEC OK), copied into our answers (RFC 3225).
    pub dnssec_ok: bool,
    /// The client's MAC from dnsmasq's `--add-mac` option (any variant).
    pub mac: Option<[u8; 6]>,
    /// The client address from EDNS Client Subnet, when the source prefix
    /// is a full host address (dnsmasq `--add-subnet=32,128`).
    pub client: Option<IpAddr>,
}

/// A parsed query.
#[derive(Debug, Clone)]
pub struct Query {
    /// Message ID.
    pub id: u16,
    /// The header flags word as received (RD is echoed).
    pub flags: u16,
    /// The question name.
    pub name: Name,
    /// QTYPE.
    pub qtype: u16,
    /// QCLASS.
    pub qclass: u16,
    /// End of the question section in the received message.
    pub question_end: usize,
    /// The OPT record, if any.
    pub edns: Option<Edns>,
}

impl Query {
    /// True when the RD (recursion desired) bit is set.
    pub fn recursion_desired(&self) -> bool {
        self.flags & 0x0100 != 0
    }
}

/// Parses a query. Only the first question is read (QDCOUNT must be 1);
/// answer and authority records are skipped; the additional section is
/// searched for one OPT record.
pub fn parse_query(msg: &[u8]) -> Result<Query, WireError> {
    if msg.len() < HEADER_LEN {
        return Err(WireError::ShortHeader);
    }
    let id = be16(msg, 0)?;
    let flags = be16(msg, 2)?;
    if flags & 0x8000 != 0 {
        return Err(WireError::NotQuery);
    }
    let opcode = ((flags >> 11) & 0xf) as u8;
    if opcode != 0 {
        return Err(WireError::Opcode(opcode));
    }
    let qd = be16(msg, 4)?;
    if qd != 1 {
        return Err(WireError::QuestionCount(qd));
    }
    let (an, ns, ar) = (be16(msg, 6)?, be16(msg, 8)?, be16(msg, 10)?);
    let (name, mut pos) = parse_name(msg, HEADER_LEN)?;
    let qtype = be16(msg, pos)?;
    let qclass = be16(msg, pos + 2)?;
    pos += 4;
    let question_end = pos;
    // Each skipped record consumes at least 11 bytes, so these loops end
    // with the message, whatever the counts claim.
    for _ in 0..(an as u32 + ns as u32) {
        pos = skip_record(msg, pos)?.0;
    }
    let mut edns = None;
    for _ in 0..ar {
        let (next, rtype, rdata) = skip_record(msg, pos)?;
        if rtype == rtype::OPT {
            if edns.is_some() || msg.get(pos) != Some(&0) {
                return Err(WireError::BadOpt);
            }
            edns = Some(parse_opt(msg, pos + 1, rdata)?);
        }
        pos = next;
    }
    Ok(Query {
        id,
        flags,
        name,
        qtype,
        qclass,
        question_end,
        edns,
    })
}

/// Reads a (possibly compressed) name at `start`; returns it and the
/// position after it in the message.
pub fn parse_name(msg: &[u8], start: usize) -> Result<(Name, usize), WireError> {
    let mut name = Name {
        wire: [0; MAX_NAME_WIRE],
        wire_len: 0,
        text: [0; MAX_NAME_TEXT],
        text_len: 0,
        matchable: true,
    };
    let (mut wl, mut tl) = (0usize, 0usize);
    let mut pos = start;
    let mut end = None;
    let mut pointers = 0;
    // Pointers must go strictly below the lowest position read so far:
    // a chain of them can therefore never revisit a byte.
    let mut floor = start;
    loop {
        let len = *msg.get(pos).ok_or(WireError::Truncated)? as usize;
        match len & 0xc0 {
            0x00 if len == 0 => {
                if wl + 1 > MAX_NAME_WIRE {
                    return Err(WireError::NameTooLong);
                }
                name.wire[wl] = 0;
                wl += 1;
                end.get_or_insert(pos + 1);
                break;
            }
            0x00 => {
                let label = msg.get(pos + 1..pos + 1 + len).ok_or(WireError::Truncated)?;
                // len + 1 for this label, + 1 for the root still to come.
                if wl + len + 2 > MAX_NAME_WIRE {
                    return Err(WireError::NameTooLong);
                }
                name.wire[wl] = len as u8;
                name.wire[wl + 1..wl + 1 + len].copy_from_slice(label);
                wl += len + 1;
                if tl > 0 {
                    name.text[tl] = b'.';
                    tl += 1;
                }
                for &b in label {
                    let c = b.to_ascii_lowercase();
                    let ok = c.is_ascii_alphanumeric() || c == b'-' || c == b'_' || c == b'*';
                    name.matchable &= ok;
                    // The wire length bound above keeps tl within 253.
                    if tl < MAX_NAME_TEXT {
                        name.text[tl] = if c.is_ascii_graphic() { c } else { b'?' };
                        tl += 1;
                    }
                }
                pos += len + 1;
            }
            0xc0 => {
                let lo = *msg.get(pos + 1).ok_or(WireError::Truncated)? as usize;
                let target = ((len & 0x3f) << 8) | lo;
                pointers += 1;
                if target >= floor || pointers > MAX_POINTERS {
                    return Err(WireError::BadPointer);
                }
                end.get_or_insert(pos + 2);
                floor = target;
                pos = target;
            }
            _ => return Err(WireError::BadLabel),
        }
    }
    name.wire_len = wl as u8;
    name.text_len = tl as u8;
    Ok((name, end.unwrap_or(pos)))
}

/// Skips a name without decoding it; returns the position after it.
fn skip_name(msg: &[u8], mut pos: usize) -> Result<usize, WireError> {
    let mut total = 0;
    loop {
        let len = *msg.get(pos).ok_or(WireError::Truncated)? as usize;
        match len & 0xc0 {
            0x00 if len == 0 => return Ok(pos + 1),
            0x00 => {
                total += len + 1;
                if total > MAX_NAME_WIRE {
                    return Err(WireError::NameTooLong);
                }
                pos += len + 1;
            }
            // The pointer ends the name here; its target is not followed.
            0xc0 if pos + 2 <= msg.len() => return Ok(pos + 2),
            0xc0 => return Err(WireError::Truncated),
            _ => return Err(WireError::BadLabel),
        }
    }
}

/// Skips one resource record; returns the position after it, its type and
/// the range of its RDATA.
fn skip_record(msg: &[u8], pos: usize) -> Result<(usize, u16, (usize, usize)), WireError> {
    let p = skip_name(msg, pos)?;
    let rtype = be16(msg, p)?;
    let rdlen = be16(msg, p + 8)? as usize;
    let rdata = p + 10;
    if rdata + rdlen > msg.len() {
        return Err(WireError::Truncated);
    }
    Ok((rdata + rdlen, rtype, (rdata, rdata + rdlen)))
}

/// Parses an OPT record whose fixed part starts at `at` (after the root
/// owner name).
fn parse_opt(msg: &[u8], at: usize, (mut p, end): (usize, usize)) -> Result<Edns, WireError> {
    let udp_size = be16(msg, at + 2)?;
    let ttl_hi = be16(msg, at + 4)?;
    let ttl_lo = be16(msg, at + 6)?;
    let mut e = Edns {
        udp_size,
        version: (ttl_hi & 0xff) as u8,
        dnssec_ok: ttl_lo & 0x8000 != 0,
        mac: None,
        client: None,
    };
    while p < end {
        let code = be16(msg, p).map_err(|_| WireError::BadOpt)?;
        let len = be16(msg, p + 2).map_err(|_| WireError::BadOpt)? as usize;
        let data = msg.get(p + 4..p + 4 + len).ok_or(WireError::BadOpt)?;
        if p + 4 + len > end {
            return Err(WireError::BadOpt);
        }
        match code {
            opt::DNSMASQ_MAC if len == 6 => {
                let mut m = [0; 6];
                m.copy_from_slice(data);
                e.mac = Some(m);
            }
            opt::DEVICE_ID => e.mac = e.mac.or_else(|| decode_device_id(data)),
            opt::CLIENT_SUBNET => e.client = parse_client_subnet(data),
            // Cookies, padding and the rest are none of our business; a
            // forwarded query carries them to the upstream untouched.
            _ => {}
        }
        p += 4 + len;
    }
    Ok(e)
}

/// ECS data: family, source prefix, scope prefix, address bytes. Only a
/// full host address identifies a client; anything shorter is ignored.
fn parse_client_subnet(d: &[u8]) -> Option<IpAddr> {
    let family = u16::from_be_bytes([*d.first()?, *d.get(1)?]);
    let source = *d.get(2)?;
    let addr = d.get(4..)?;
    match (family, source) {
        (1, 32) if addr.len() == 4 => Some(IpAddr::V4(Ipv4Addr::new(addr[0], addr[1], addr[2], addr[3]))),
        (2, 128) if addr.len() == 16 => {
            let mut a = [0u8; 16];
            a.copy_from_slice(addr);
            Some(IpAddr::V6(Ipv6Addr::from(a)))
        }
        _ => None,
    }
}

/// dnsmasq's `--add-mac=text` (`aa:bb:cc:dd:ee:ff`) or `--add-mac=base64`
/// (8 characters: each half of the MAC as 4 base64 characters, no padding).
pub fn decode_device_id(d: &[u8]) -> Option<[u8; 6]> {
    let mut m = [0u8; 6];
    match d.len() {
        17 => {
            for (i, chunk) in d.chunks(3).enumerate() {
                if chunk.len() == 3 && chunk[2] != b':' {
                    return None;
                }
                let hex = std::str::from_utf8(&chunk[..2]).ok()?;
                m[i] = u8::from_str_radix(hex, 16).ok()?;
            }
            Some(m)
        }
        // Two 4-character groups with no padding: exactly the standard
        // base64 of the 6 bytes.
        8 => {
            let bytes = crate::base64::decode(std::str::from_utf8(d).ok()?).ok()?;
            m.copy_from_slice(bytes.get(..6)?);
            Some(m)
        }
        _ => None,
    }
}

/// What a blocked name is answered with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blocked {
    /// NXDOMAIN with an SOA whose minimum is the TTL.
    NxDomain,
    /// `0.0.0.0` for A, `::` for AAAA, NODATA for other types.
    Zero,
    /// This address for its family, NODATA for other types.
    Sinkhole(IpAddr),
}

/// A bounds-checked writer over a caller's buffer.
struct Out<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl Out<'_> {
    fn put(&mut self, bytes: &[u8]) -> Result<(), WireError> {
        let dst = self
            .buf
            .get_mut(self.len..self.len + bytes.len())
            .ok_or(WireError::NoRoom)?;
        dst.copy_from_slice(bytes);
        self.len += bytes.len();
        Ok(())
    }
    fn u16(&mut self, v: u16) -> Result<(), WireError> {
        self.put(&v.to_be_bytes())
    }
    fn u32(&mut self, v: u32) -> Result<(), WireError> {
        self.put(&v.to_be_bytes())
    }
}

/// Writes header and question of an answer to `q`; returns the writer.
fn start<'a>(
    q: &Query,
    out: &'a mut [u8],
    rc: u8,
    authoritative: bool,
    counts: [u16; 3],
) -> Result<Out<'a>, WireError> {
    let mut w = Out { buf: out, len: 0 };
    // QR, the request's opcode (always 0 here) and RD; RA: we recurse.
    let mut flags = 0x8000 | (q.flags & 0x7900) | 0x0080 | (rc as u16 & 0xf);
    if authoritative {
        flags |= 0x0400;
    }
    w.u16(q.id)?;
    w.u16(flags)?;
    w.u16(1)?;
    w.u16(counts[0])?;
    w.u16(counts[1])?;
    w.u16(counts[2] + q.edns.is_some() as u16)?;
    w.put(q.name.wire())?;
    w.u16(q.qtype)?;
    w.u16(q.qclass)?;
    Ok(w)
}

/// Appends our OPT record when the query had one (RFC 6891 6.1.1): our
/// payload size, version 0, DO copied; BADVERS for versions we lack.
fn finish(q: &Query, mut w: Out<'_>) -> Result<usize, WireError> {
    if let Some(e) = q.edns {
        let ext_rcode: u16 = if e.version > 0 { 1 } else { 0 };
        w.put(&[0])?;
        w.u16(rtype::OPT)?;
        w.u16(EDNS_UDP_SIZE)?;
        w.u16(ext_rcode << 8)?;
        w.u16(if e.dnssec_ok { 0x8000 } else { 0 })?;
        w.u16(0)?;
    }
    Ok(w.len)
}

/// Builds the answer to a blocked query. `listed_at` is the offset in
/// [`Name::text`] where the listed domain starts (it is a suffix of the
/// query name); the SOA's owner points there. `ttl` is both the record
/// TTL and the SOA minimum, so negative caching is as short as positive.
pub fn write_blocked(
    q: &Query,
    listed_at: usize,
    answer: Blocked,
    ttl: u32,
    out: &mut [u8],
) -> Result<usize, WireError> {
    let addr = match (answer, q.qtype) {
        (Blocked::Zero, rtype::A) => Some(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
        (Blocked::Zero, rtype::AAAA) => Some(IpAddr::V6(Ipv6Addr::UNSPECIFIED)),
        (Blocked::Sinkhole(a @ IpAddr::V4(_)), rtype::A) => Some(a),
        (Blocked::Sinkhole(a @ IpAddr::V6(_)), rtype::AAAA) => Some(a),
        _ => None,
    };
    let rc = if answer == Blocked::NxDomain {
        rcode::NXDOMAIN
    } else {
        rcode::NOERROR
    };
    let counts = if addr.is_some() { [1, 0, 0] } else { [0, 1, 0] };
    let mut w = start(q, out, rc, true, counts)?;
    match addr {
        Some(a) => {
            // Owner: the question name, by pointer.
            w.u16(0xc000 | HEADER_LEN as u16)?;
            match a {
                IpAddr::V4(v4) => {
                    w.u16(rtype::A)?;
                    w.u16(1)?;
                    w.u32(ttl)?;
                    w.u16(4)?;
                    w.put(&v4.octets())?;
                }
                IpAddr::V6(v6) => {
                    w.u16(rtype::AAAA)?;
                    w.u16(1)?;
                    w.u32(ttl)?;
                    w.u16(16)?;
                    w.put(&v6.octets())?;
                }
            }
        }
        None => {
            // The listed domain is the zone we claim; its labels start at
            // the same offset in the wire name as in the text (a length
            // byte stands where the text has the dot before it).
            let owner = HEADER_LEN + listed_at.min(q.name.wire().len().saturating_sub(1));
            w.u16(0xc000 | owner as u16)?;
            w.u16(rtype::SOA)?;
            w.u16(1)?;
            w.u32(ttl)?;
            let rdlen_at = w.len;
            w.u16(0)?;
            let mname_at = w.len;
            w.put(b"\x08iocguard\x07invalid\x00")?;
            w.u16(0xc000 | mname_at as u16)?; // RNAME: same name, by pointer
            w.u32(1)?; // serial
            w.u32(3600)?; // refresh
            w.u32(600)?; // retry
            w.u32(86400)?; // expire
            w.u32(ttl)?; // minimum: the negative-caching TTL
            let rdlen = (w.len - rdlen_at - 2) as u16;
            w.buf[rdlen_at..rdlen_at + 2].copy_from_slice(&rdlen.to_be_bytes());
        }
    }
    finish(q, w)
}

/// Builds an empty answer with `rc` (REFUSED, SERVFAIL, FORMERR after a
/// successful parse, NOERROR) echoing the question.
pub fn write_error(q: &Query, rc: u8, out: &mut [u8]) -> Result<usize, WireError> {
    let w = start(q, out, rc, false, [0, 0, 0])?;
    finish(q, w)
}

/// Builds a header-only answer with `rc` to a message that could not be
/// parsed (FORMERR, NOTIMP); `None` when it must be dropped instead.
pub fn write_unparsable(msg: &[u8], err: WireError, out: &mut [u8]) -> Option<usize> {
    let rc = err.answer_rcode()?;
    let id = message_id(msg)?;
    let flags = be16(msg, 2).ok()?;
    let mut w = Out { buf: out, len: 0 };
    w.u16(id).ok()?;
    w.u16(0x8000 | (flags & 0x7900) | 0x0080 | rc as u16).ok()?;
    w.put(&[0; 8]).ok()?;
    Some(w.len)
}

/// True when `reply` answers the question of `query` (same ID, and the
/// same question name, type and class ignoring case): a spoofed or stale
/// upstream packet fails this.
pub fn reply_matches(reply: &[u8], query: &[u8], question_end: usize) -> bool {
    if reply.len() < question_end || query.len() < question_end || question_end < HEADER_LEN {
        return false;
    }
    reply[..2] == query[..2]
        && reply[2] & 0x80 != 0
        && be16(reply, 4).ok() == Some(1)
        && reply[HEADER_LEN..question_end].eq_ignore_ascii_case(&query[HEADER_LEN..question_end])
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A query as `dig` sends it: RD, one question, optionally an OPT
    /// record with `options` (code, data).
    pub fn query(name: &str, qtype: u16, edns: Option<&[(u16, &[u8])]>) -> Vec<u8> {
        let mut m = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, edns.is_some() as u8];
        for label in name.split('.').filter(|l| !l.is_empty()) {
            m.push(label.len() as u8);
            m.extend_from_slice(label.as_bytes());
        }
        m.push(0);
        m.extend_from_slice(&qtype.to_be_bytes());
        m.extend_from_slice(&[0, 1]);
        if let Some(opts) = edns {
            let mut rdata = Vec::new();
            for (code, data) in opts {
                rdata.extend_from_slice(&code.to_be_bytes());
                rdata.extend_from_slice(&(data.len() as u16).to_be_bytes());
                rdata.extend_from_slice(data);
            }
            m.extend_from_slice(&[0, 0, 41, 0x10, 0, 0, 0, 0x80, 0]);
            m.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
            m.extend_from_slice(&rdata);
        }
        m
    }

    #[test]
    fn parses_a_plain_query_and_lowercases() {
        let q = parse_query(&query("WWW.Evil.Example", rtype::A, None)).unwrap();
        assert_eq!(q.id, 0x1234);
        assert_eq!(q.name.text(), Some("www.evil.example"));
        assert_eq!(&q.name.wire()[1..4], b"WWW");
        assert_eq!(q.qtype, rtype::A);
        assert!(q.recursion_desired());
        assert!(q.edns.is_none());
    }

    #[test]
    fn reads_dnsmasq_mac_and_client_subnet() {
        let mac = [0x02, 0, 0, 0, 0, 0x10];
        let ecs = [0, 1, 32, 0, 192, 0, 2, 10];
        let m = query(
            "a.example",
            rtype::A,
            Some(&[
                (opt::DNSMASQ_MAC, &mac),
                (opt::CLIENT_SUBNET, &ecs),
                (10, b"cookie!!"),
            ]),
        );
        let e = parse_query(&m).unwrap().edns.unwrap();
        assert_eq!(e.mac, Some(mac));
        assert_eq!(e.client, Some("192.0.2.10".parse().unwrap()));
        assert!(e.dnssec_ok);
        assert_eq!(e.udp_size, 4096);
        let text = query(
            "a.example",
            rtype::A,
            Some(&[(opt::DEVICE_ID, b"02:00:00:00:00:10")]),
        );
        assert_eq!(parse_query(&text).unwrap().edns.unwrap().mac, Some(mac));
        // base64 of 02 00 00 | 00 00 10, as dnsmasq's encoder writes it.
        let b64 = query("a.example", rtype::A, Some(&[(opt::DEVICE_ID, b"AgAAAAAQ")]));
        assert_eq!(parse_query(&b64).unwrap().edns.unwrap().mac, Some(mac));
        let short_ecs = query(
            "a.example",
            rtype::A,
            Some(&[(opt::CLIENT_SUBNET, &[0, 1, 24, 0, 192, 0, 2])]),
        );
        assert_eq!(parse_query(&short_ecs).unwrap().edns.unwrap().client, None);
    }

    #[test]
    fn refuses_malformed_messages() {
        assert_eq!(parse_query(&[0; 11]).unwrap_err(), WireError::ShortHeader);
        let mut m = query("a.example", rtype::A, None);
        m[2] |= 0x80;
        assert_eq!(parse_query(&m).unwrap_err(), WireError::NotQuery);
        let mut m = query("a.example", rtype::A, None);
        m[5] = 2;
        assert_eq!(parse_query(&m).unwrap_err(), WireError::QuestionCount(2));
        let m = query("a.example", rtype::A, None);
        assert_eq!(parse_query(&m[..m.len() - 1]).unwrap_err(), WireError::Truncated);
        // A pointer to itself, and one forwards.
        let mut m = query("", rtype::A, None);
        m.truncate(HEADER_LEN);
        m.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1]);
        assert_eq!(parse_query(&m).unwrap_err(), WireError::BadPointer);
        let mut m = m.clone();
        m[HEADER_LEN + 1] = 14;
        assert_eq!(parse_query(&m).unwrap_err(), WireError::BadPointer);
        // 0x40 / 0x80 label types.
        let mut m = query("a.example", rtype::A, None);
        m[HEADER_LEN] = 0x41;
        assert_eq!(parse_query(&m).unwrap_err(), WireError::BadLabel);
        // Over 255 bytes: five 63-byte labels.
        let long = vec!["x".repeat(63); 5].join(".");
        assert_eq!(
            parse_query(&query(&long, 1, None)).unwrap_err(),
            WireError::NameTooLong
        );
        // Exactly 255: 4 labels of 63 minus a bit.
        let ok = format!(
            "{}.{}.{}.{}",
            "a".repeat(63),
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(61)
        );
        let q = parse_query(&query(&ok, 1, None)).unwrap();
        assert_eq!(q.name.wire().len(), 255);
        assert_eq!(q.name.text().unwrap().len(), 253);
        // OPT with an option running past its record.
        let mut m = query("a.example", rtype::A, Some(&[(8, &[0, 1, 32, 0, 1, 2, 3, 4])]));
        let n = m.len();
        m[n - 9] = 20;
        assert_eq!(parse_query(&m).unwrap_err(), WireError::BadOpt);
        assert_eq!(WireError::BadOpt.answer_rcode(), Some(rcode::FORMERR));
        assert_eq!(WireError::NotQuery.answer_rcode(), None);
    }

    #[test]
    fn backward_pointers_are_followed_and_loops_refused() {
        // "a." at 0, then "b" + pointer to 0 at 3: "b.a".
        let m = [1, b'a', 0, 1, b'B', 0xc0, 0];
        let (n, end) = parse_name(&m, 3).unwrap();
        assert_eq!(n.text(), Some("b.a"));
        assert_eq!(n.wire(), &[1, b'B', 1, b'a', 0]);
        assert_eq!(end, 7);
        // "b" + pointer back to itself.
        let mut m = vec![0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        m.extend_from_slice(&[1, b'b', 0xc0, 12, 0, 1, 0, 1]);
        assert_eq!(parse_query(&m).unwrap_err(), WireError::BadPointer);
    }

    #[test]
    fn unmatchable_names_are_flagged() {
        // One label "evil.example": not the name evil.example.
        let mut m = vec![0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 12];
        m.extend_from_slice(b"evil.example");
        m.extend_from_slice(&[0, 0, 1, 0, 1]);
        let q = parse_query(&m).unwrap();
        assert_eq!(q.name.text(), None);
        assert_eq!(q.name.display(), b"evil.example");
    }

    #[test]
    fn blocked_answers_have_the_right_shape() {
        let raw = query("www.evil.example", rtype::A, Some(&[]));
        let q = parse_query(&raw).unwrap();
        let mut out = [0u8; MAX_OWN_RESPONSE];
        let n = write_blocked(&q, 4, Blocked::NxDomain, 5, &mut out).unwrap();
        let r = &out[..n];
        assert_eq!(&r[..2], &[0x12, 0x34]);
        assert_eq!(r[3] & 0xf, rcode::NXDOMAIN);
        assert_eq!(r[2] & 0x80, 0x80);
        assert_eq!(be16(r, 8).unwrap(), 1, "one SOA in authority");
        assert_eq!(be16(r, 10).unwrap(), 1, "OPT echoed");
        // SOA owner points at "evil.example" inside the question.
        let soa_at = raw.len() - 11; // question end
        assert_eq!(be16(r, soa_at).unwrap(), 0xc000 | 16);
        let (owner, _) = parse_name(r, soa_at).unwrap();
        assert_eq!(owner.text(), Some("evil.example"));
        // Minimum TTL = 5: last 4 bytes of the SOA rdata.
        let opt_at = n - 11;
        assert_eq!(&r[opt_at - 4..opt_at], &[0, 0, 0, 5]);

        let n = write_blocked(&q, 4, Blocked::Zero, 5, &mut out).unwrap();
        assert_eq!(out[3] & 0xf, rcode::NOERROR);
        assert_eq!(be16(&out, 6).unwrap(), 1);
        let a_at = raw.len() - 11;
        assert_eq!(&out[a_at + 12..a_at + 16], &[0, 0, 0, 0]);
        assert!(n < MAX_OWN_RESPONSE);

        let raw6 = query("evil.example", rtype::AAAA, None);
        let q6 = parse_query(&raw6).unwrap();
        let sink: IpAddr = "2001:db8::5".parse().unwrap();
        let n = write_blocked(&q6, 0, Blocked::Sinkhole(sink), 7, &mut out).unwrap();
        assert_eq!(&out[n - 16..n], &sink_octets(sink));
        // A sinkhole v6 address answers A queries with NODATA.
        let q4 = parse_query(&query("evil.example", rtype::A, None)).unwrap();
        write_blocked(&q4, 0, Blocked::Sinkhole(sink), 7, &mut out).unwrap();
        assert_eq!(be16(&out, 6).unwrap(), 0);
        assert_eq!(be16(&out, 8).unwrap(), 1);
    }

    fn sink_octets(a: IpAddr) -> Vec<u8> {
        match a {
            IpAddr::V4(a) => a.octets().to_vec(),
            IpAddr::V6(a) => a.octets().to_vec(),
        }
    }

    #[test]
    fn longest_name_fits_the_own_response_size() {
        let long = format!(
            "{}.{}.{}.{}",
            "a".repeat(63),
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(61)
        );
        let q = parse_query(&query(&long, rtype::A, Some(&[]))).unwrap();
        let mut out = [0u8; MAX_OWN_RESPONSE];
        assert!(write_blocked(&q, 192, Blocked::NxDomain, 5, &mut out).is_ok());
        let mut tiny = [0u8; 40];
        assert_eq!(
            write_blocked(&q, 0, Blocked::NxDomain, 5, &mut tiny),
            Err(WireError::NoRoom)
        );
    }

    #[test]
    fn errors_and_unparsable() {
        let q = parse_query(&query("x.example", rtype::A, None)).unwrap();
        let mut out = [0u8; MAX_OWN_RESPONSE];
        let n = write_error(&q, rcode::REFUSED, &mut out).unwrap();
        assert_eq!(out[3] & 0xf, rcode::REFUSED);
        assert_eq!(n, query("x.example", rtype::A, None).len());
        let bad = [0xab, 0xcd, 0x01, 0, 0, 2, 0, 0, 0, 0, 0, 0];
        let n = write_unparsable(&bad, WireError::QuestionCount(2), &mut out).unwrap();
        assert_eq!(&out[..4], &[0xab, 0xcd, 0x81, 0x81]);
        assert_eq!(n, HEADER_LEN);
        assert_eq!(
            write_unparsable(&bad[..5], WireError::ShortHeader, &mut out),
            None
        );
    }

    #[test]
    fn reply_matching() {
        let q = query("x.example", rtype::A, None);
        let end = parse_query(&q).unwrap().question_end;
        let mut r = q.clone();
        r[2] |= 0x80;
        r[HEADER_LEN + 1] = b'X';
        assert!(reply_matches(&r, &q, end));
        r[0] ^= 1;
        assert!(!reply_matches(&r, &q, end));
        assert!(!reply_matches(&q, &q, end), "a query is no reply");
        assert!(!reply_matches(&r[..5], &q, end));
    }

    #[test]
    fn set_id_roundtrip() {
        let mut m = query("x.example", rtype::A, None);
        set_message_id(&mut m, 0xbeef);
        assert_eq!(message_id(&m), Some(0xbeef));
        assert_eq!(message_id(&m[..3]), None);
    }

    proptest::proptest! {
        #[test]
        fn parsing_and_answering_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..600)) {
            let mut out = [0u8; MAX_OWN_RESPONSE];
            match parse_query(&bytes) {
                Ok(q) => {
                    let at = q.name.text().map_or(0, |t| t.len() / 2);
                    let _ = write_blocked(&q, at, Blocked::NxDomain, 5, &mut out);
                    let _ = write_error(&q, rcode::SERVFAIL, &mut out);
                }
                Err(e) => { let _ = write_unparsable(&bytes, e, &mut out); }
            }
        }

        #[test]
        fn mutated_queries_never_panic(idx in 0usize..64, val in proptest::num::u8::ANY) {
            let mut m = query("www.evil.example", rtype::A, Some(&[(8, &[0, 1, 32, 0, 1, 2, 3, 4])]));
            let i = idx % m.len();
            m[i] = val;
            let _ = parse_query(&m);
        }
    }
}
