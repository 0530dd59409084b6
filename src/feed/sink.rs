//! Where format parsers put what they find.
//!
//! A parser never builds indicators itself: it hands each raw value and its
//! line number to the [`Sink`], which classifies it (see [`crate::indicator::parse`]),
//! runs the safety gate, applies the feed's kind filter, and either adds it
//! to the set under construction or records a rejection. Rejections are
//! kept up to [`MAX_REJECTS_KEPT`] per feed and counted beyond that, so a
//! hostile feed of a million bad lines costs a counter, not memory.

use crate::indicator::prefix::range_to_prefixes;
use crate::indicator::{parse_indicator, FeedId, Gate, Indicator, Kind, KindFilter, SetBuilder};
use serde::Serialize;
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
    /// Rejected values.
    pub rejected: usize,
    /// Rows that are valid for the format but carry no network indicator
    /// (file hashes in MISP/STIX, `to_ids=0` rows, header records).
    pub skipped: usize,
}

impl Counts {
    /// All accepted entries.
    pub fn accepted(&self) -> usize {
        self.v4 + self.v6 + self.domains
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
        }
    }

    /// Classifies `value` (found on `line`) and keeps or rejects it.
    pub fn value(&mut self, line: u32, value: &str) {
        match parse_indicator(value) {
            Ok(ind) => self.indicator(line, value, ind),
            Err(e) => self.reject(line, value, e),
        }
    }

    /// Keeps `ind` unless the kind filter or the gate refuses it.
    pub fn indicator(&mut self, line: u32, text: &str, ind: Indicator) {
        let kind = ind.kind();
        match (self.kind, kind) {
            (KindFilter::Ip, Kind::Domain) => return self.reject(line, text, "domain in a feed of kind ip"),
            (KindFilter::Domain, Kind::V4 | Kind::V6) => {
                return self.reject(line, text, "IP address in a feed of kind domain")
            }
            _ => {}
        }
        if let Err(refusal) = self.gate.check(&ind) {
            return self.reject(line, text, refusal);
        }
        match kind {
            Kind::V4 => self.counts.v4 += 1,
            Kind::V6 => self.counts.v6 += 1,
            Kind::Domain => self.counts.domains += 1,
        }
        self.builder.push(ind, self.feed);
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
            });
        }
    }

    /// Counts a format-valid row that holds no network indicator.
    pub fn skip(&mut self) {
        self.counts.skipped += 1;
    }

    /// The counts so far.
    pub fn counts(&self) -> &Counts {
        &self.counts
    }

    /// Ends the feed, returning counts and the kept rejections.
    pub fn finish(self) -> (Counts, Vec<Rejected>) {
        (self.counts, self.rejects)
    }
}
