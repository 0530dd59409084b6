//! Operations on a raw message's header and question bytes, without
//! parsing it: big-endian fields, the message ID (rewritten when
//! forwarding), and matching an upstream reply to the query it answers.
//!
//! Every read is bounds-checked: a message too short for the field yields
//! `None`, `false` or [`WireError::Truncated`], never a panic.

use super::consts::{EDNS_UDP_SIZE, HEADER_LEN};
use super::error::WireError;

/// The big-endian `u16` at `at`.
pub(super) fn be16(b: &[u8], at: usize) -> Result<u16, WireError> {
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

/// True when `reply` answers the query `query` whose question ends at
/// `question_end`: a response (QR) with the same ID and opcode, one
/// question, the same name ignoring ASCII case (RFC 4343; a resolver may
/// echo 0x20-mixed case) and exactly the same type and class. A spoofed,
/// stale, garbage or truncated upstream packet fails this. The name is
/// compared byte for byte, so a reply whose question is compressed (no
/// real server does that) fails closed.
pub fn reply_matches(reply: &[u8], query: &[u8], question_end: usize) -> bool {
    // The shortest question: the root name (1 byte), type and class.
    if question_end < HEADER_LEN + 5 || reply.len() < question_end || query.len() < question_end {
        return false;
    }
    let name_end = question_end - 4;
    reply[..2] == query[..2]
        && reply[2] & 0x80 != 0
        && reply[2] & 0x78 == query[2] & 0x78
        && be16(reply, 4).ok() == Some(1)
        // Label lengths are < 64, so case folding leaves them alone.
        && reply[HEADER_LEN..name_end].eq_ignore_ascii_case(&query[HEADER_LEN..name_end])
        // Type and class exactly: folding them would equate e.g. 0x41/0x61.
        && reply[name_end..question_end] == query[name_end..question_end]
}

/// The most a UDP client can take: its EDNS payload size, at least 512
/// (RFC 6891 6.2.3), or 512 without EDNS (RFC 1035 4.2.1).
pub fn client_udp_limit(edns_size: Option<u16>) -> usize {
    edns_size.map_or(512, |s| usize::from(s.max(512)))
}

/// Fits a relayed upstream reply into the client's buffer. A reply longer
/// than `limit` is cut to its header and question (`question_end`, as
/// checked by [`reply_matches`]) with TC set and no records, so the client
/// retries over TCP: a forwarded query never makes iocguard send more
/// than the client asked for (no amplification through us). When the
/// client sent EDNS (`client_do`: `Some(DO bit)`), an OPT record is kept
/// (RFC 6891 7). Returns the length to send, or `None` when the reply is
/// too short to hold that question (drop it).
pub fn fit_reply(
    reply: &mut [u8],
    question_end: usize,
    limit: usize,
    client_do: Option<bool>,
) -> Option<usize> {
    if question_end < HEADER_LEN || reply.len() < question_end {
        return None;
    }
    if reply.len() <= limit {
        return Some(reply.len());
    }
    reply[2] |= 0x02;
    // ANCOUNT, NSCOUNT, ARCOUNT.
    reply[6..12].copy_from_slice(&[0, 0, 0, 0, 0, client_do.is_some() as u8]);
    let Some(dnssec_ok) = client_do else {
        return Some(question_end);
    };
    // Root owner, OPT, our payload size, no extended rcode, version 0, DO.
    let [s0, s1] = EDNS_UDP_SIZE.to_be_bytes();
    let opt = [0, 0, 41, s0, s1, 0, 0, if dnssec_ok { 0x80 } else { 0 }, 0, 0, 0];
    let end = question_end + opt.len();
    // The reply is longer than limit >= 512 > 271 + 11, so this fits; a
    // tiny `limit` from a caller gets the OPT-less form rather than a panic.
    match reply.get_mut(question_end..end) {
        Some(dst) if end <= limit.max(512) => {
            dst.copy_from_slice(&opt);
            Some(end)
        }
        _ => {
            reply[11] = 0;
            Some(question_end)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::wire::parse_query;
    use crate::dns::wire::rtype;
    use crate::dns::wire::tests::query;

    /// The upstream's answer to `q`: the query with QR, RA and one A
    /// record (203.0.113.7) appended.
    fn answer(q: &[u8]) -> Vec<u8> {
        let mut r = q.to_vec();
        r[2] |= 0x80;
        r[3] |= 0x80;
        r[7] = 1;
        r.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 203, 0, 113, 7]);
        r
    }

    #[test]
    fn reply_matching() {
        let q = query("x.Example", rtype::A, None);
        let end = parse_query(&q).unwrap().question_end;
        let good = answer(&q);
        assert!(reply_matches(&good, &q, end));
        // The name in any case (0x20 mixing), the rest untouched.
        let mut r = good.clone();
        r[HEADER_LEN + 1] = b'X';
        r[HEADER_LEN + 3..HEADER_LEN + 10].copy_from_slice(b"EXAMPLE");
        assert!(reply_matches(&r, &q, end));
        let bad = |f: &dyn Fn(&mut Vec<u8>)| {
            let mut r = good.clone();
            f(&mut r);
            !reply_matches(&r, &q, end)
        };
        assert!(bad(&|r| r[0] ^= 1), "wrong ID (high byte)");
        assert!(bad(&|r| r[1] ^= 0x80), "wrong ID (low byte)");
        assert!(bad(&|r| r[2] &= 0x7f), "a query is no reply");
        assert!(bad(&|r| r[2] |= 0x10), "another opcode");
        assert!(bad(&|r| r[5] = 0), "no question");
        assert!(bad(&|r| r[5] = 2), "two questions");
        assert!(bad(&|r| r[HEADER_LEN + 1] = b'y'), "another name");
        assert!(bad(&|r| r[HEADER_LEN] = 2), "another label split");
        assert!(bad(&|r| r[end - 3] = rtype::AAAA as u8), "another type");
        assert!(bad(&|r| r[end - 1] = 3), "another class (CH)");
        // Case folding must not reach type and class: 0x41 is HTTPS, 0x61 not.
        let q65 = query("x.example", 0x41, None);
        let e65 = parse_query(&q65).unwrap().question_end;
        let mut r = answer(&q65);
        assert!(reply_matches(&r, &q65, e65));
        r[e65 - 3] = 0x61;
        assert!(!reply_matches(&r, &q65, e65), "type 0x61 is not 0x41");
        // A longer name that starts the same: x.example.com.
        let longer = answer(&query("x.example.com", rtype::A, None));
        let mut l = longer.clone();
        l[..2].copy_from_slice(&q[..2]);
        assert!(!reply_matches(&l, &q, end));
        // Truncated anywhere before the end of the question, or garbage.
        for n in 0..end {
            assert!(!reply_matches(&good[..n], &q, end), "cut at {n}");
        }
        assert!(!reply_matches(&[0xff; 40], &q, end));
        assert!(!reply_matches(&good, &q, 3), "a bogus question end");
    }

    proptest::proptest! {
        #[test]
        fn mutated_replies_match_only_when_id_and_question_survive(idx in 0usize..64, val in proptest::num::u8::ANY) {
            let q = query("www.evil.example", rtype::A, None);
            let end = parse_query(&q).unwrap().question_end;
            let mut r = answer(&q);
            let i = idx % r.len();
            let before = r[i];
            r[i] = val;
            let same = i >= end || r[i] == before || i == 3
                || (i == 2 && val & 0xf8 == before & 0xf8)
                || (i > HEADER_LEN && i < end - 4 && r[i].eq_ignore_ascii_case(&before))
                || (6..12).contains(&i);
            proptest::prop_assert_eq!(reply_matches(&r, &q, end), same);
        }
    }

    #[test]
    fn oversized_replies_are_cut_to_the_question_with_tc() {
        let q = query("big.example", 16, None);
        let end = parse_query(&q).unwrap().question_end;
        let mut r = answer(&q);
        r.resize(1400, 0);
        r[11] = 1;
        // Fits: untouched.
        let mut fits = r.clone();
        assert_eq!(fit_reply(&mut fits, end, 1400, None), Some(1400));
        assert_eq!(fits, r);
        // Plain DNS client (512): header and question, TC, no records.
        let mut cut = r.clone();
        let n = fit_reply(&mut cut, end, client_udp_limit(None), None).unwrap();
        assert_eq!(n, end);
        let cut = &cut[..n];
        assert_eq!(cut[2] & 0x02, 0x02, "TC");
        assert_eq!(cut[2] & 0x80, 0x80, "still a response");
        assert_eq!(&cut[4..12], &[0, 1, 0, 0, 0, 0, 0, 0]);
        assert!(reply_matches(cut, &q, end));
        // EDNS client with DO and a 1232 buffer: an OPT record is kept.
        let mut cut = r.clone();
        let n = fit_reply(&mut cut, end, client_udp_limit(Some(1232)), Some(true)).unwrap();
        assert_eq!(n, end + 11);
        assert_eq!(&cut[10..12], &[0, 1]);
        assert_eq!(&cut[end..n], &[0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 0]);
        // A tiny advertised size means 512; a huge one takes the reply whole.
        assert_eq!(client_udp_limit(Some(100)), 512);
        let mut whole = r.clone();
        assert_eq!(
            fit_reply(&mut whole, end, client_udp_limit(Some(4096)), Some(false)),
            Some(1400)
        );
        // Never a panic on nonsense.
        assert_eq!(fit_reply(&mut [0u8; 5], end, 512, None), None);
        assert_eq!(fit_reply(&mut r.clone(), 4, 512, Some(true)), None);
        assert_eq!(fit_reply(&mut r.clone(), end, 0, Some(true)), Some(end + 11));
    }

    #[test]
    fn set_id_roundtrip() {
        let mut m = query("x.example", rtype::A, None);
        set_message_id(&mut m, 0xbeef);
        assert_eq!(message_id(&m), Some(0xbeef));
        assert_eq!(message_id(&m[..3]), None);
    }
}
