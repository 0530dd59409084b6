//! Parsing one query: header checks, the single question, skipping the
//! answer and authority records, and finding the one OPT record.
//!
//! The message is untrusted: QDCOUNT must be 1, every record is
//! bounds-checked as it is skipped (and consumes at least 11 bytes, so the
//! loops end with the message whatever the counts claim), and a second OPT
//! record is refused. Nothing panics; failures are [`WireError`]s.

use super::consts::{rtype, HEADER_LEN};
use super::edns::{parse_opt, Edns};
use super::error::WireError;
use super::header::be16;
use super::name::{parse_name, skip_name, Name};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::wire::rcode;
    use crate::dns::wire::tests::query;

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

    proptest::proptest! {
        #[test]
        fn mutated_queries_never_panic(idx in 0usize..64, val in proptest::num::u8::ANY) {
            let mut m = query("www.evil.example", rtype::A, Some(&[(8, &[0, 1, 32, 0, 1, 2, 3, 4])]));
            let i = idx % m.len();
            m[i] = val;
            let _ = parse_query(&m);
        }
    }
}
