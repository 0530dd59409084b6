//! [`parse_feed`]: one body → indicators in a [`SetBuilder`], or the
//! whole body refused with a [`FeedError`].

use super::error::FeedError;
use super::format::{self, Format};
use super::sink::{Counts, Rejected, Sink};
use super::{detect, text};
use crate::indicator::{FeedId, Gate, KindFilter, SetBuilder};
use serde::Serialize;

/// What parsing one feed produced (the indicators went into the builder).
#[derive(Debug, Clone, Serialize)]
pub struct FeedReport {
    /// The format used.
    pub format: Format,
    /// True when the format was detected rather than given.
    pub detected: bool,
    /// Counts by kind.
    pub counts: Counts,
    /// Rejected lines (at most [`super::sink::MAX_REJECTS_KEPT`]).
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
