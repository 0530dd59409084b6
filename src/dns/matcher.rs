//! The sinkhole's blocklist: 64-bit fingerprints of the listed domains in
//! one open-addressing table ([`FingerprintTable`], which says why
//! fingerprints and why the topmost listed suffix answers), taken from the
//! [`IndicatorSet`] and kept instead of it.
//!
//! The daemon builds its set with `Keep::Serve`, so the fingerprints are
//! taken while the cached feeds stream by and no name is ever held; a set
//! with names (tests, `check`) is hashed here instead.
//!
//! A lookup hashes each suffix of the query (`c`, `b.c`, `a.b.c`) and
//! probes a few adjacent slots: no allocation, no lock.

use crate::indicator::{FingerprintTable, IndicatorSet};

/// Listed (and allowlisted) domains as fingerprints.
#[derive(Debug, Default, Clone)]
pub struct DomainMatcher {
    block: FingerprintTable,
    allow: FingerprintTable,
    feeds: Vec<String>,
}

/// A blocked query's match: where the listed suffix starts in the name,
/// and the feed that listed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit<'a> {
    /// Byte offset of the listed domain in the query name.
    pub at: usize,
    /// The feed's name.
    pub feed: &'a str,
}

impl DomainMatcher {
    /// The blocked and allowlisted domains of `set`.
    pub fn from_set(set: &IndicatorSet) -> DomainMatcher {
        let entries = set
            .domain_entries()
            .map(|(d, f)| (d, f.min(u16::MAX as usize) as u16));
        DomainMatcher {
            block: FingerprintTable::with_names(set.domain_count(), entries),
            allow: Self::allow(set),
            feeds: set.feeds().to_vec(),
        }
    }

    /// The blocked domains of `set`, taking its fingerprints when it has
    /// them (built with `Keep::Serve`) instead of copying them.
    pub fn take_from(set: &mut IndicatorSet) -> DomainMatcher {
        let block = set.take_fingerprints();
        if block.is_empty() {
            return Self::from_set(set);
        }
        DomainMatcher {
            block,
            allow: Self::allow(set),
            feeds: set.feeds().to_vec(),
        }
    }

    fn allow(set: &IndicatorSet) -> FingerprintTable {
        let allow = set.allowed_domains().map(|d| (d, 0));
        FingerprintTable::with_names(set.allowed_domains().count(), allow)
    }

    /// Number of blocked domains.
    pub fn len(&self) -> usize {
        self.block.len()
    }

    /// True when nothing is blocked.
    pub fn is_empty(&self) -> bool {
        self.block.is_empty()
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.block.heap_bytes() + self.allow.heap_bytes()
    }

    /// Is `name` (lowercase, no trailing dot) or a parent blocked, and
    /// not allowlisted?
    pub fn lookup(&self, name: &str) -> Option<Hit<'_>> {
        let (at, feed) = self.block.covering(name)?;
        if self.allow.covering(name).is_some() {
            return None;
        }
        Some(Hit {
            at,
            feed: self.feeds.get(feed as usize).map_or("", String::as_str),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicator::parse_indicator;
    use crate::indicator::{Gate, GateConfig, Match, SetBuilder};

    fn set(feeds: &[(&str, &[&str])], allow: &[&str]) -> IndicatorSet {
        let gate = Gate::new(&GateConfig {
            allow: allow.iter().map(|a| parse_indicator(a).unwrap()).collect(),
            ..GateConfig::default()
        });
        let mut b = SetBuilder::new();
        for (feed, names) in feeds {
            let id = b.add_feed(feed);
            for n in *names {
                b.push(parse_indicator(n).unwrap(), id);
            }
        }
        b.build(&gate)
    }

    #[test]
    fn matches_names_and_parents_with_their_feed() {
        let s = set(
            &[
                ("one", &["evil.example", "c2.test"]),
                ("two", &["x.other.example"]),
            ],
            &[],
        );
        let m = DomainMatcher::from_set(&s);
        assert_eq!(m.len(), 3);
        assert_eq!(m.lookup("evil.example"), Some(Hit { at: 0, feed: "one" }));
        assert_eq!(m.lookup("a.b.evil.example"), Some(Hit { at: 4, feed: "one" }));
        assert_eq!(m.lookup("y.x.other.example"), Some(Hit { at: 2, feed: "two" }));
        assert_eq!(m.lookup("other.example"), None);
        assert_eq!(m.lookup("notevil.example"), None);
        assert_eq!(m.lookup("example"), None);
        assert_eq!(m.lookup(""), None);
        assert!(DomainMatcher::default().lookup("evil.example").is_none());
    }

    #[test]
    fn allowlisted_subdomains_pass() {
        let s = set(&[("one", &["evil.example"])], &["ok.evil.example"]);
        let m = DomainMatcher::from_set(&s);
        assert!(m.lookup("www.evil.example").is_some());
        assert!(m.lookup("ok.evil.example").is_none());
        assert!(m.lookup("a.ok.evil.example").is_none());
    }

    #[test]
    fn fingerprints_taken_while_streaming_answer_like_the_name_table() {
        // Parents and children listed by different feeds, duplicates, and
        // allowlisted names among them: the matcher built from a
        // `Keep::Serve` set (every name, no parent dropped) must name the
        // same entry and feed as the deduplicated name table.
        use crate::indicator::Keep;
        let labels = ["a", "b", "c"];
        let name = |i: usize, depth: usize| -> String {
            let mut parts: Vec<&str> = (0..depth).map(|d| labels[(i >> (2 * d)) % 3]).collect();
            parts.push("zone.example");
            parts.join(".")
        };
        let gate = Gate::new(&GateConfig {
            allow: vec![parse_indicator("b.a.zone.example").unwrap()],
            ..GateConfig::default()
        });
        let build = |keep| {
            let mut b = SetBuilder::keeping(keep);
            for (f, feed) in ["one", "two", "three"].iter().enumerate() {
                let id = b.add_feed(feed);
                for i in 0..40 {
                    if (i * 7 + f) % 3 == 0 {
                        b.push(parse_indicator(&name(i, 1 + (i + f) % 3)).unwrap(), id);
                    }
                }
            }
            b.build(&gate)
        };
        let names = build(Keep::All);
        let mut served = build(Keep::Serve);
        let m = DomainMatcher::take_from(&mut served);
        let (mut blocked, mut exempt) = (0, 0);
        for i in 0..200 {
            let q = name(i, 1 + i % 4);
            match (names.lookup_domain(&q), m.lookup(&q)) {
                (Match::Blocked { entry, feed }, Some(hit)) => {
                    assert_eq!((&q[hit.at..], hit.feed), (entry.as_str(), feed.as_str()), "{q}");
                    blocked += 1;
                }
                (Match::Exempt { .. }, None) => exempt += 1,
                (Match::NotListed, None) => {}
                (want, got) => panic!("{q}: set {want:?}, matcher {got:?}"),
            }
        }
        assert!(blocked > 20 && exempt > 0, "blocked {blocked}, exempt {exempt}");
    }

    #[test]
    fn agrees_with_the_set_on_many_names() {
        let names: Vec<String> = (0..5000).map(|i| format!("n{i}.zone{}.example", i % 7)).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let s = set(&[("f", &refs)], &[]);
        let m = DomainMatcher::from_set(&s);
        for i in 0..10_000 {
            let q = format!("w.n{i}.zone{}.example", i % 7);
            let want = matches!(s.lookup_domain(&q), Match::Blocked { .. });
            assert_eq!(m.lookup(&q).is_some(), want, "{q}");
        }
        assert!(m.heap_bytes() < 5000 * 14);
    }
}
