//! The sinkhole's blocklist: 64-bit fingerprints of the listed domains in
//! one open-addressing table, built from the [`IndicatorSet`] and kept
//! instead of it.
//!
//! Why fingerprints instead of the names: the daemon never needs a listed
//! name back — the match is always a suffix of the query, which it has —
//! so a slot is 8 bytes of hash plus a 2-byte feed id, at load ≤ 0.8:
//! about 12.5 bytes per listed domain, against ~40 for the name table and
//! ~80–90 for dnsmasq. The cost is a false match when a name's 64-bit
//! hash equals a listed one's: with a million listed names and a handful
//! of suffixes per query, about one query in 10^12.
//!
//! A lookup hashes the query and each parent (`a.b.c`, `b.c`, `c`) and
//! probes a few adjacent slots: no allocation, no lock.

use crate::indicator::IndicatorSet;

/// Listed (and allowlisted) domains as fingerprints.
#[derive(Debug, Default, Clone)]
pub struct DomainMatcher {
    block: Table,
    allow: Table,
    feeds: Vec<String>,
}

#[derive(Debug, Default, Clone)]
struct Table {
    /// Fingerprint per slot, 0 for empty.
    keys: Vec<u64>,
    /// Feed index per slot.
    feeds: Vec<u16>,
    len: usize,
}

impl Table {
    /// A table of `n` names (`names` yields at most `n`).
    fn with_names<'a>(n: usize, names: impl Iterator<Item = (&'a str, u16)>) -> Table {
        if n == 0 {
            return Table::default();
        }
        // Load ≤ 0.8; the capacity needs no power of two (see `slot`).
        let cap = n + n / 4 + 8;
        let mut t = Table {
            keys: vec![0; cap],
            feeds: vec![0; cap],
            len: 0,
        };
        for (name, feed) in names.take(n) {
            let k = fingerprint(name.as_bytes());
            let mut i = slot(k, cap);
            loop {
                match t.keys[i] {
                    0 => {
                        t.keys[i] = k;
                        t.feeds[i] = feed;
                        t.len += 1;
                        break;
                    }
                    // The set holds no duplicates; a fingerprint collision
                    // keeps the first name's feed.
                    v if v == k => break,
                    _ => i = if i + 1 == cap { 0 } else { i + 1 },
                }
            }
        }
        t
    }

    fn get(&self, name: &[u8]) -> Option<u16> {
        let cap = self.keys.len();
        if cap == 0 {
            return None;
        }
        let k = fingerprint(name);
        let mut i = slot(k, cap);
        loop {
            match self.keys[i] {
                0 => return None,
                v if v == k => return Some(self.feeds[i]),
                _ => i = if i + 1 == cap { 0 } else { i + 1 },
            }
        }
    }

    /// Offset in `name` of the longest listed suffix (the name itself or a
    /// parent), with its feed.
    fn covering(&self, name: &str) -> Option<(usize, u16)> {
        if self.len == 0 {
            return None;
        }
        let b = name.as_bytes();
        let mut at = 0;
        loop {
            if let Some(f) = self.get(&b[at..]) {
                return Some((at, f));
            }
            at += b[at..].iter().position(|&c| c == b'.')? + 1;
        }
    }
}

/// Maps a 64-bit hash onto `0..cap` (Lemire's multiply-shift: uniform
/// without a power-of-two capacity).
fn slot(k: u64, cap: usize) -> usize {
    ((k as u128 * cap as u128) >> 64) as usize
}

/// A 64-bit hash of a name; never 0 (0 marks an empty slot).
fn fingerprint(b: &[u8]) -> u64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut h: u64 = 0x243f_6a88_85a3_08d3 ^ (b.len() as u64).wrapping_mul(K);
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = (h ^ u64::from_le_bytes(w)).wrapping_mul(K).rotate_left(29);
    }
    let rem = chunks.remainder();
    if !rem.is_empty() {
        let mut w = [0u8; 8];
        w[..rem.len()].copy_from_slice(rem);
        h = (h ^ u64::from_le_bytes(w)).wrapping_mul(K).rotate_left(29);
    }
    // murmur3's fmix64: every output bit depends on every input bit.
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^= h >> 33;
    h.max(1)
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
        let allow = set.allowed_domains().map(|d| (d, 0));
        DomainMatcher {
            block: Table::with_names(set.domain_count(), entries),
            allow: Table::with_names(set.allowed_domains().count(), allow),
            feeds: set.feeds().to_vec(),
        }
    }

    /// Number of blocked domains.
    pub fn len(&self) -> usize {
        self.block.len
    }

    /// True when nothing is blocked.
    pub fn is_empty(&self) -> bool {
        self.block.len == 0
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        (self.block.keys.capacity() + self.allow.keys.capacity()) * 8
            + (self.block.feeds.capacity() + self.allow.feeds.capacity()) * 2
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
