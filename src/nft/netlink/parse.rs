//! Reading kernel replies: the netlink messages in a datagram,
//! `NLMSG_ERROR` acknowledgements, and the attributes of a payload.
//!
//! Input is whatever the kernel (or anything on the socket) sent: every
//! header length is checked against the bytes present before use, so a
//! truncated or hostile reply yields a [`ParseError`], never a panic or an
//! out-of-bounds read, and iteration always ends.

use super::attr::align4;
use super::uapi::{NLA_F_NESTED, NLA_F_NET_BYTEORDER, NLA_HDRLEN, NLMSG_HDRLEN};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nft::netlink::parse_setelem_msg;

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
    fn ack_carries_errno_and_seq() {
        let mut p = (-22i32).to_ne_bytes().to_vec();
        p.extend_from_slice(&[0; 8]);
        p.extend_from_slice(&77u32.to_ne_bytes());
        p.extend_from_slice(&[0; 4]);
        assert_eq!(parse_ack(&p), Ok(Ack { error: -22, seq: 77 }));
    }
}
