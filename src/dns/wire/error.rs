//! Why a DNS message cannot be used, and what (if anything) to answer
//! such a message with. A message that cannot be answered safely (no
//! header, a response: answering could loop) is dropped.

use super::consts::rcode;

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
