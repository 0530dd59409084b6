//! Where format parsers put what they find.
//!
//! A parser never builds indicators itself: it hands each raw value and its
//! line number to the [`Sink`], which classifies it (see [`crate::indicator::parse`]),
//! runs the safety gate, applies the feed's kind filter, and either adds it
//! to the set under construction or records a rejection. Rejections are
//! kept up to [`MAX_REJECTS_KEPT`] per feed and counted beyond that, so a
//! hostile feed of a million bad lines costs a counter, not memory.
//!
//! Two kinds of rejection are told apart, because they mean different
//! things about the feed: a value that is not an indicator at all
//! (malformed: too many of those and the body is not a list) and a
//! well-formed indicator that policy refuses (the safety gate, the feed's
//! `kind` filter). The second is dropped alone and counted by reason; it
//! never condemns the rest of the feed.

use crate::indicator::prefix::range_to_prefixes;
use crate::indicator::{parse_indicator, FeedId, Gate, Indicator, Kind, KindFilter, Refusal, SetBuilder};
use serde::{Deserialize, Serialize};
use std::fmt::Display;
use std::net::{Ipv4Addr, Ipv6Addr};

/// How many rejected lines are kept with their text per feed.
pub const MAX_REJECTS_KEPT: usize = 1000;
/// How much of a rejected line's text is kept.
const MAX_TEXT: usize = 160;

/// One rejected line.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Rejected {
    /// 1-based line number (for JSON formats: the object's position).
    pub line: u32,
    /// The offending text, shortened.
    pub text: String,
    /// Why it was rejected, as a sentence fragment.
    pub reason: String,
    /// False when it is a well-formed indicator that policy refused.
    #[serde(skip)]
    pub malformed: bool,
}

/// How many entries one reason accounted for.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Tally {
    /// The reason, without per-entry details.
    pub reason: String,
    /// Entries refused or skipped for it.
    pub count: usize,
}

/// `12 inside private network (RFC 1918), 2 inside loopback`.
pub fn tallies(t: &[Tally]) -> String {
    t.iter()
        .map(|t| format!("{} {}", t.count, t.reason))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Distinct reasons kept per feed; the rest are counted under "other".
/// Reasons are classes (see [`crate::indicator::Refusal::class`]), so a
/// real feed has a handful; the cap only bounds a hostile one.
const MAX_TALLIES: usize = 32;

/// Adds one to `reason` in `tallies`, keeping at most [`MAX_TALLIES`]
/// entries, the last of which is then "other".
fn tally(tallies: &mut Vec<Tally>, reason: &str) {
    let reason = if tallies.len() >= MAX_TALLIES - 1 && !tallies.iter().any(|t| t.reason == reason) {
        "other"
    } else {
        reason
    };
    match tallies.iter_mut().find(|t| t.reason == reason) {
        Some(t) => t.count += 1,
        None => tallies.push(Tally {
            reason: reason.to_string(),
            count: 1,
        }),
    }
}

/// Adds `from`'s counts into `into`, under the same cap as [`tally`].
pub(super) fn merge_tallies(into: &mut Vec<Tally>, from: Vec<Tally>) {
    for t in from {
        let known = into.iter().any(|k| k.reason == t.reason);
        let reason = if into.len() >= MAX_TALLIES - 1 && !known {
            "other"
        } else {
            &t.reason
        };
        match into.iter_mut().find(|k| k.reason == reason) {
            Some(k) => k.count += t.count,
            None => into.push(Tally {
                reason: reason.to_string(),
                count: t.count,
            }),
        }
    }
}

/// Per-feed counts.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Counts {
    /// Accepted IPv4 entries (before deduplication).
    pub v4: usize,
    /// Accepted IPv6 entries.
    pub v6: usize,
    /// Accepted domains.
    pub domains: usize,
    /// Rejected values: malformed ones and those refused by policy.
    pub rejected: usize,
    /// Of `rejected`, the well-formed indicators that the safety gate or
    /// the feed's `kind` filter refused. They are dropped one by one and
    /// do not count against the feed being a list.
    pub refused: usize,
    /// Rows that are valid for the format but carry no network indicator
    /// (file hashes in MISP/STIX, `to_ids=0` rows, header records).
    pub skipped: usize,
}

impl Counts {
    /// Adds another piece's counts.
    pub fn add(&mut self, o: &Counts) {
        self.v4 += o.v4;
        self.v6 += o.v6;
        self.domains += o.domains;
        self.rejected += o.rejected;
        self.refused += o.refused;
        self.skipped += o.skipped;
    }

    /// All accepted entries.
    pub fn accepted(&self) -> usize {
        self.v4 + self.v6 + self.domains
    }

    /// Rejected values that were not indicators at all.
    pub fn malformed(&self) -> usize {
        self.rejected.saturating_sub(self.refused)
    }
}

/// Collects one feed's indicators into a [`SetBuilder`].
pub struct Sink<'a> {
    builder: &'a mut SetBuilder,
    gate: &'a Gate,
    feed: FeedId,
    kind: KindFilter,
    counts: Counts,
    rejects: Vec<Rejected>,
    refusals: Vec<Tally>,
    skips: Vec<Tally>,
    notes: Vec<String>,
}

/// What a sink collected besides the indicators themselves.
#[derive(Clone, Debug, Default)]
pub struct Findings {
    /// Counts by kind.
    pub counts: Counts,
    /// Rejected values (at most [`MAX_REJECTS_KEPT`]).
    pub rejected: Vec<Rejected>,
    /// Policy refusals by reason.
    pub refusals: Vec<Tally>,
    /// Skips that have a reason worth telling, by reason.
    pub skips: Vec<Tally>,
    /// What the parser decided that the admin should know (the CSV
    /// column it read).
    pub notes: Vec<String>,
}

impl<'a> Sink<'a> {
    /// A sink that adds to `builder` as `feed`, gated by `gate`.
    pub fn new(builder: &'a mut SetBuilder, gate: &'a Gate, feed: FeedId, kind: KindFilter) -> Self {
        Self {
            builder,
            gate,
            feed,
            kind,
            counts: Counts::default(),
            rejects: Vec::new(),
            refusals: Vec::new(),
            skips: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// Classifies `value` (found on `line`) and keeps or rejects it.
    pub fn value(&mut self, line: u32, value: &str) {
        // Most lines of a big feed are names already in canonical form:
        // they need no `Domain` built (an allocation per name).
        if let Some(name) = crate::indicator::parse::canonical_name(value) {
            if self.admits(line, value, Kind::Domain, || self.gate.check_name(name)) {
                self.builder.push_name(name, self.feed);
            }
            return;
        }
        match parse_indicator(value) {
            Ok(ind) => self.indicator(line, value, ind),
            Err(e) => self.reject(line, value, e),
        }
    }

    /// Keeps `ind` unless the kind filter or the gate refuses it.
    pub fn indicator(&mut self, line: u32, text: &str, ind: Indicator) {
        if self.admits(line, text, ind.kind(), || self.gate.check(&ind)) {
            self.builder.push(ind, self.feed);
        }
    }

    /// Whether an indicator of `kind` that `gate` says of passes the kind
    /// filter and the gate; counts it, or records why not.
    fn admits(
        &mut self,
        line: u32,
        text: &str,
        kind: Kind,
        gate: impl FnOnce() -> Result<(), Refusal>,
    ) -> bool {
        match (self.kind, kind) {
            (KindFilter::Ip, Kind::Domain) => {
                self.refuse(
                    line,
                    text,
                    "domain in a feed of kind ip",
                    "domain in a feed of kind ip",
                );
                return false;
            }
            (KindFilter::Domain, Kind::V4 | Kind::V6) => {
                self.refuse(
                    line,
                    text,
                    "IP address in a feed of kind domain",
                    "IP address in a feed of kind domain",
                );
                return false;
            }
            _ => {}
        }
        if let Err(refusal) = gate() {
            // A single label (`zone`, `Welcome`) is what a page of prose or
            // a misread format yields far more often than a real TLD entry,
            // so it counts as malformed: it must not make a non-list look
            // like a list of refused names.
            if let (Refusal::PublicSuffix(name), Kind::Domain) = (&refusal, kind) {
                if !name.contains('.') {
                    self.reject(line, text, refusal);
                    return false;
                }
            }
            self.refuse(line, text, refusal.class(), refusal);
            return false;
        }
        match kind {
            Kind::V4 => self.counts.v4 += 1,
            Kind::V6 => self.counts.v6 += 1,
            Kind::Domain => self.counts.domains += 1,
        }
        true
    }

    /// Takes `raw` like [`Sink::value`], except that an address range
    /// `first-last` (ipset, RouterOS) becomes the prefixes that cover
    /// exactly that range.
    pub fn value_or_range(&mut self, line: u32, raw: &str) {
        let Some((a, b)) = raw.split_once('-') else {
            return self.value(line, raw);
        };
        if let (Ok(a), Ok(b)) = (a.trim().parse::<Ipv4Addr>(), b.trim().parse::<Ipv4Addr>()) {
            let (a, b) = (u32::from(a), u32::from(b));
            if a > b {
                return self.reject(line, raw, "address range ends before it starts");
            }
            let mut out = Vec::new();
            range_to_prefixes(a, b, |p| out.push(Indicator::V4(p)));
            out.into_iter().for_each(|p| self.indicator(line, raw, p));
        } else if let (Ok(a), Ok(b)) = (a.trim().parse::<Ipv6Addr>(), b.trim().parse::<Ipv6Addr>()) {
            let (a, b) = (u128::from(a), u128::from(b));
            if a > b {
                return self.reject(line, raw, "address range ends before it starts");
            }
            let mut out = Vec::new();
            range_to_prefixes(a, b, |p| out.push(Indicator::V6(p)));
            out.into_iter().for_each(|p| self.indicator(line, raw, p));
        } else {
            self.value(line, raw)
        }
    }

    /// Records a rejected value with its reason.
    pub fn reject(&mut self, line: u32, text: &str, reason: impl Display) {
        self.record(line, text, reason, true);
    }

    fn record(&mut self, line: u32, text: &str, reason: impl Display, malformed: bool) {
        self.counts.rejected += 1;
        if self.rejects.len() < MAX_REJECTS_KEPT {
            let mut text = text.trim().to_string();
            if text.len() > MAX_TEXT {
                let mut cut = MAX_TEXT;
                while !text.is_char_boundary(cut) {
                    cut -= 1;
                }
                text.truncate(cut);
                text.push('…');
            }
            self.rejects.push(Rejected {
                line,
                text,
                reason: reason.to_string(),
                malformed,
            });
        }
    }

    /// Records a well-formed indicator that policy refuses, counted
    /// under `class` and listed with the full `reason`.
    fn refuse(&mut self, line: u32, text: &str, class: impl AsRef<str>, reason: impl Display) {
        self.counts.refused += 1;
        tally(&mut self.refusals, class.as_ref());
        self.record(line, text, reason, false);
    }

    /// Counts a format-valid row that holds no network indicator.
    pub fn skip(&mut self) {
        self.counts.skipped += 1;
    }

    /// Like [`Sink::skip`], for rows the admin may wonder about (an
    /// `rpz-client-ip` trigger): counted under `reason` too.
    pub fn skip_because(&mut self, reason: &str) {
        self.counts.skipped += 1;
        tally(&mut self.skips, reason);
    }

    /// Records a decision of the parser for the report.
    pub fn note(&mut self, note: String) {
        if self.notes.len() < MAX_TALLIES {
            self.notes.push(note);
        }
    }

    /// The counts so far.
    pub fn counts(&self) -> &Counts {
        &self.counts
    }

    /// Ends the feed, returning what it found.
    pub fn finish(self) -> Findings {
        Findings {
            counts: self.counts,
            rejected: self.rejects,
            refusals: self.refusals,
            skips: self.skips,
            notes: self.notes,
        }
    }
}
