//! Feeds: turning the bytes of a downloaded or local list into indicators.
//!
//! `parse_feed` is the single entry point: it refuses bodies that are not a
//! list at all (binary data, an HTML or PHP page), picks the format (given
//! or detected), runs the format's parser line by line into a [`Sink`], and
//! refuses the whole body when most of its lines make no sense in that
//! format. Nothing here panics on any input; every parser has a fuzz target.

pub mod detect;
pub mod format;
pub mod sink;
pub mod text;

#[cfg(test)]
pub mod testutil;

pub use format::Format;
pub use sink::{Counts, Rejected, Sink};

use crate::indicator::{FeedId, Gate, KindFilter, SetBuilder};
use serde::Serialize;

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
    #[error("is not a usable {format} list: {rejected} of {total} entries rejected (line {first_line}: {first_reason})")]
    Unusable {
        /// The format it was read as.
        format: Format,
        /// Rejected entries.
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

/// What parsing one feed produced (the indicators went into the builder).
#[derive(Debug, Clone, Serialize)]
pub struct FeedReport {
    /// The format used.
    pub format: Format,
    /// True when the format was detected rather than given.
    pub detected: bool,
    /// Counts by kind.
    pub counts: Counts,
    /// Rejected lines (at most [`sink::MAX_REJECTS_KEPT`]).
    pub rejected: Vec<Rejected>,
}

/// Parses `body` as one feed into `builder`.
///
/// `format` overrides detection. On `Err`, nothing of this feed is left in
/// `builder`; the caller keeps the feed's last good copy instead.
pub fn parse_feed(
    body: &[u8],
    format: Option<Format>,
    kind: KindFilter,
    builder: &mut SetBuilder,
    feed: FeedId,
    gate: &Gate,
) -> Result<FeedReport, FeedError> {
    let text = text::decode(body)?;
    if let Some(what) = detect::not_a_list(text) {
        return Err(FeedError::NotAList(what));
    }
    let (format, detected) = match format {
        Some(f) => (f, false),
        None => (detect::detect(text), true),
    };
    let mark = builder.mark();
    let mut sink = Sink::new(builder, gate, feed, kind);
    let parsed = format::parse(format, text, &mut sink);
    let (counts, rejected) = sink.finish();
    if let Err(e) = parsed {
        builder.rollback(mark);
        return Err(e);
    }
    let total = counts.accepted() + counts.rejected;
    // Refuse the body when rejections outnumber accepted entries: that is a
    // wrong format or a broken generator, not a few bad lines. Gate
    // refusals count too, which is right: a list that is mostly RFC 1918
    // is not a threat feed.
    if counts.rejected > 0 && counts.rejected * 2 > total && counts.rejected >= 3
        || (counts.accepted() == 0 && counts.rejected > 0)
    {
        let first = rejected.first().cloned().unwrap_or(Rejected {
            line: 0,
            text: String::new(),
            reason: String::new(),
        });
        builder.rollback(mark);
        return Err(FeedError::Unusable {
            format,
            rejected: counts.rejected,
            total,
            first_line: first.line,
            first_reason: first.reason,
        });
    }
    Ok(FeedReport {
        format,
        detected,
        counts,
        rejected,
    })
}
