//! The answers iocguard writes itself: blocked names (NXDOMAIN with an
//! SOA, an address, or NODATA), empty answers with an error code, and a
//! header-only answer to a message that did not parse.
//!
//! Everything is written into the caller's buffer through a bounds-checked
//! writer: a buffer too small is [`WireError::NoRoom`], never a slice out
//! of bounds, and [`MAX_OWN_RESPONSE`](super::MAX_OWN_RESPONSE) always
//! suffices. No allocation.

use super::consts::{rcode, rtype, EDNS_UDP_SIZE, HEADER_LEN};
use super::error::WireError;
use super::header::{be16, message_id};
use super::query::Query;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

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
/// [`Name::text`](super::Name::text) where the listed domain starts (it is a suffix of the
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::wire::tests::query;
    use crate::dns::wire::{parse_name, parse_query, MAX_OWN_RESPONSE};

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
    }
}
