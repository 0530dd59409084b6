//! Operations on a raw message's header and question bytes, without
//! parsing it: big-endian fields, the message ID (rewritten when
//! forwarding), and matching an upstream reply to the query it answers.
//!
//! Every read is bounds-checked: a message too short for the field yields
//! `None`, `false` or [`WireError::Truncated`], never a panic.

use super::consts::HEADER_LEN;
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
mod tests {
    use super::*;
    use crate::dns::wire::parse_query;
    use crate::dns::wire::rtype;
    use crate::dns::wire::tests::query;

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
}
