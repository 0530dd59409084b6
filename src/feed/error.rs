//! Why a whole feed body was refused, as one sentence for the admin.

use super::format::Format;

/// Why a whole feed body was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FeedError {
    /// Not text: NUL bytes or invalid UTF-8.
    #[error("is binary data, not a text list (byte {offset} is not valid UTF-8 text)")]
    Binary {
        /// Offset of the first offending byte.
        offset: usize,
    },
    /// A web page or script instead of a list.
    #[error("is {0}, not an indicator list")]
    NotAList(&'static str),
    /// Most lines made no sense in the detected or declared format.
    #[error("is not a usable {format} list: {rejected} of {total} entries could not be read (line {first_line}: {first_reason})")]
    Unusable {
        /// The format it was read as.
        format: Format,
        /// Entries that were not indicators at all.
        rejected: usize,
        /// Entries seen.
        total: usize,
        /// Line of the first rejection.
        first_line: u32,
        /// Reason of the first rejection.
        first_reason: String,
    },
    /// Structured formats (JSON) that do not parse at all.
    #[error("is not valid {format}: {detail}")]
    Malformed {
        /// The format it was read as.
        format: Format,
        /// What went wrong, with position.
        detail: String,
    },
}
