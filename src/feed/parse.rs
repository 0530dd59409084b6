//! [`parse_feed`]: one body → indicators in a [`SetBuilder`], or the
//! whole body refused with a [`FeedError`].

use super::error::FeedError;
use super::format::{self, Format};
use super::sink::{Counts, Rejected, Sink, Tally};
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
    /// Entries refused by the safety gate or the `kind` filter, by reason.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub refusals: Vec<Tally>,
    /// Skipped entries that have a reason worth telling, by reason.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skips: Vec<Tally>,
    /// Decisions the parser made (the CSV column it read).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// True when a body with these counts is refused whole: most of its
/// entries make no sense in the format (a wrong format, a broken
/// generator, prose). Well-formed indicators that the gate refuses
/// (bogons, `0.0.0.0/0`, public suffixes) say the body *is* a list; they
/// are dropped one by one, so 14 bogons cannot stop 3 real C2 addresses
/// from being blocked.
pub fn not_a_list(counts: &Counts) -> bool {
    let total = counts.accepted() + counts.rejected;
    let malformed = counts.malformed();
    malformed > 0 && malformed * 2 > total && malformed >= 3
        || (counts.accepted() == 0 && counts.refused == 0 && malformed > 0)
}

impl FeedReport {
    /// A report of nothing yet, for a body read in pieces.
    pub fn empty(format: Format, detected: bool) -> FeedReport {
        FeedReport {
            format,
            detected,
            counts: Counts::default(),
            rejected: Vec::new(),
            refusals: Vec::new(),
            skips: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// Adds the report of the next piece of the same body, whose first
    /// line is line `offset + 1` of the whole.
    pub fn absorb(&mut self, piece: FeedReport, offset: u32) {
        self.counts.add(&piece.counts);
        let room = super::sink::MAX_REJECTS_KEPT.saturating_sub(self.rejected.len());
        self.rejected
            .extend(piece.rejected.into_iter().take(room).map(|mut r| {
                r.line = r.line.saturating_add(offset);
                r
            }));
        super::sink::merge_tallies(&mut self.refusals, piece.refusals);
        super::sink::merge_tallies(&mut self.skips, piece.skips);
        for n in piece.notes {
            if !self.notes.contains(&n) {
                self.notes.push(n);
            }
        }
    }
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
    let found = sink.finish();
    if let Err(e) = parsed {
        builder.rollback(mark);
        return Err(e);
    }
    let counts = found.counts;
    let total = counts.accepted() + counts.rejected;
    let malformed = counts.malformed();
    if not_a_list(&counts) {
        let first = found
            .rejected
            .iter()
            .find(|r| r.malformed)
            .cloned()
            .unwrap_or(Rejected {
                line: 0,
                text: String::new(),
                reason: String::new(),
                malformed: true,
            });
        builder.rollback(mark);
        return Err(FeedError::Unusable {
            format,
            rejected: malformed,
            total,
            first_line: first.line,
            first_reason: first.reason,
        });
    }
    Ok(FeedReport {
        format,
        detected,
        counts,
        rejected: found.rejected,
        refusals: found.refusals,
        skips: found.skips,
        notes: found.notes,
    })
}
