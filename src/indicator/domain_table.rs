//! A compact hash table of domain names for "is this name or a parent of
//! it listed?" — the question both the sinkhole and `iocguard test` ask.
//!
//! Names live back to back in one byte arena; each kept name costs an
//! 8-byte [`Span`] and two 4-byte slots of an open-addressing table (load
//! ≤ 1/2), about 16 bytes beyond the name itself. That is what lets a
//! router hold a million names in a few tens of megabytes, where dnsmasq
//! needs about 90 bytes per name.
//!
//! A lookup hashes the query and each parent (`a.b.c`, `b.c`, `c`): a few
//! probes, no allocation. Building drops exact duplicates (first feed
//! wins) and every name whose parent is also listed, in O(n).

use super::FeedId;

/// One name: where it sits in the arena and which feed listed it.
#[derive(Clone, Copy, Debug)]
struct Span {
    start: u32,
    len: u16,
    feed: FeedId,
}

/// Names as pushed, before deduplication.
#[derive(Default)]
pub struct DomainArena {
    text: Vec<u8>,
    spans: Vec<Span>,
}

/// A position in a [`DomainArena`] to roll back to.
#[derive(Clone, Copy, Debug)]
pub struct ArenaMark {
    text: usize,
    spans: usize,
}

impl DomainArena {
    /// Appends a normalised name listed by `feed`. Names are at most 253
    /// bytes (see [`super::Domain`]), so the length fits a u16.
    pub fn push(&mut self, name: &str, feed: FeedId) {
        let start = self.text.len() as u32;
        self.text.extend_from_slice(name.as_bytes());
        self.spans.push(Span {
            start,
            len: name.len().min(u16::MAX as usize) as u16,
            feed,
        });
    }

    /// Names pushed so far.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// True when nothing was pushed.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The current position.
    pub fn mark(&self) -> ArenaMark {
        ArenaMark {
            text: self.text.len(),
            spans: self.spans.len(),
        }
    }

    /// Drops everything pushed since `m`.
    pub fn rollback(&mut self, m: ArenaMark) {
        self.text.truncate(m.text);
        self.spans.truncate(m.spans);
    }

    /// Deduplicates, drops names under a listed parent, and indexes the
    /// rest. The arena is reused as the table's storage.
    pub fn into_table(self) -> DomainTable {
        let DomainArena { text, spans } = self;
        let mut t = DomainTable {
            text,
            spans,
            slots: Vec::new(),
            dead: 0,
        };
        // Pass 1: exact duplicates (keep the first, i.e. the first feed).
        t.reindex(|_, _| true);
        if t.spans.is_empty() {
            return t;
        }
        // Pass 2: names whose parent is listed. Most parents (`com`,
        // `example.com`) are not listed, and a miss in an 8 MB table is
        // several cache misses; a 1-bit-per-8-names filter answers most
        // of them from L2.
        let bits = (t.spans.len() * 8).next_power_of_two().max(64);
        let mut filter = vec![0u64; bits / 64];
        for i in 0..t.spans.len() {
            let h = hash(t.bytes(i)) as usize & (bits - 1);
            filter[h / 64] |= 1 << (h % 64);
        }
        let mut covered = 0;
        for i in 0..t.spans.len() {
            let s = t.spans[i];
            let name = &t.text[s.start as usize..s.start as usize + s.len as usize];
            // Bare TLDs are never blocked (the gate refuses them), so the
            // last, single-label parent is not looked up: a third fewer
            // probes for typical three-label names. Lookups (`covering`)
            // still walk every parent.
            let is_covered = parent_slices(name).filter(|p| p.contains(&b'.')).any(|p| {
                let h = hash(p) as usize & (bits - 1);
                filter[h / 64] & (1 << (h % 64)) != 0 && t.find_bytes(p).is_some()
            });
            if is_covered {
                covered += 1;
                t.spans[i].len = 0;
            }
        }
        drop(filter);
        // Dead spans (len 0) never match a lookup; compact only when they
        // are a noticeable share, since compaction re-hashes everything.
        t.dead = covered;
        if covered * 16 > t.spans.len() {
            t.reindex(|_, s| s.len > 0);
            t.dead = 0;
        }
        t.text.shrink_to_fit();
        t
    }
}

/// The deduplicated, parent-free, indexed names.
#[derive(Default, Clone)]
pub struct DomainTable {
    text: Vec<u8>,
    spans: Vec<Span>,
    /// Open addressing: `span index + 1`, 0 for empty.
    slots: Vec<u32>,
    /// Spans of names dropped after indexing (length 0, never matched).
    dead: usize,
}

impl DomainTable {
    /// A table of `names` (allowlists): no feed attribution.
    pub fn from_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Self {
        let mut a = DomainArena::default();
        for n in names {
            a.push(n, FeedId(0));
        }
        a.into_table()
    }

    /// Number of names.
    pub fn len(&self) -> usize {
        self.spans.len() - self.dead
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Heap bytes held, for status output and the memory benchmark.
    pub fn heap_bytes(&self) -> usize {
        self.text.capacity() + self.spans.capacity() * std::mem::size_of::<Span>() + self.slots.capacity() * 4
    }

    /// The listed name equal to `name` or its nearest listed parent, with
    /// the feed that listed it. `name` must be normalised.
    pub fn covering(&self, name: &str) -> Option<(&str, FeedId)> {
        if self.is_empty() {
            return None;
        }
        std::iter::once(name)
            .chain(parents(name))
            .find_map(|s| self.find(s).map(|i| (self.name(i), self.spans[i].feed)))
    }

    /// Keeps only names for which `keep` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(&str) -> bool) {
        let keep_flags: Vec<bool> = (0..self.spans.len())
            .map(|i| self.spans[i].len > 0 && keep(self.name(i)))
            .collect();
        self.reindex(|i, _| keep_flags[i]);
        self.dead = 0;
    }

    /// Every name with its feed, in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, FeedId)> + '_ {
        (0..self.spans.len())
            .filter(|&i| self.spans[i].len > 0)
            .map(|i| (self.name(i), self.spans[i].feed))
    }

    fn name(&self, i: usize) -> &str {
        let s = self.spans[i];
        let bytes = &self.text[s.start as usize..s.start as usize + s.len as usize];
        // Only `&str` goes in, so the bytes are UTF-8.
        std::str::from_utf8(bytes).unwrap_or("")
    }

    fn bytes(&self, i: usize) -> &[u8] {
        let s = self.spans[i];
        &self.text[s.start as usize..s.start as usize + s.len as usize]
    }

    fn find(&self, name: &str) -> Option<usize> {
        self.find_bytes(name.as_bytes())
    }

    fn find_bytes(&self, name: &[u8]) -> Option<usize> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut pos = hash(name) as usize & mask;
        loop {
            match self.slots[pos] {
                0 => return None,
                v if self.bytes(v as usize - 1) == name => return Some(v as usize - 1),
                _ => pos = (pos + 1) & mask,
            }
        }
    }

    /// Compacts `spans` to those `keep` accepts and that are not duplicates
    /// of an earlier kept name, and rebuilds the slots.
    fn reindex(&mut self, mut keep: impl FnMut(usize, &Span) -> bool) {
        let n = self.spans.len();
        let cap = (n * 2).max(4).next_power_of_two();
        self.slots = vec![0; cap];
        let mask = cap - 1;
        let mut kept = 0;
        for i in 0..n {
            let s = self.spans[i];
            if !keep(i, &s) {
                continue;
            }
            let bytes = &self.text[s.start as usize..s.start as usize + s.len as usize];
            let mut pos = hash(bytes) as usize & mask;
            let duplicate = loop {
                match self.slots[pos] {
                    0 => break false,
                    v => {
                        let o = self.spans[v as usize - 1];
                        if &self.text[o.start as usize..o.start as usize + o.len as usize] == bytes {
                            break true;
                        }
                        pos = (pos + 1) & mask;
                    }
                }
            };
            if duplicate {
                continue;
            }
            self.spans[kept] = s;
            self.slots[pos] = kept as u32 + 1;
            kept += 1;
        }
        self.spans.truncate(kept);
        self.spans.shrink_to_fit();
    }
}

/// The proper parents of a dotted name, longest first: `a.b.c` → `b.c`, `c`.
pub fn parents(name: &str) -> impl Iterator<Item = &str> {
    let mut rest = name;
    std::iter::from_fn(move || {
        let (_, tail) = rest.split_once('.')?;
        rest = tail;
        Some(tail)
    })
}

/// Byte-slice version of [`parents`].
fn parent_slices(name: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = name;
    std::iter::from_fn(move || {
        let dot = rest.iter().position(|&b| b == b'.')?;
        rest = &rest[dot + 1..];
        Some(rest)
    })
}

/// FxHash-style mixing over 8-byte chunks: fast, and good enough for
/// names a feed author cannot tune against (the table's load stays ≤ 1/2
/// and the capacity is bounded by the feed's entry limit).
fn hash(bytes: &[u8]) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mut h: u64 = bytes.len() as u64;
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
    }
    let rem = chunks.remainder();
    if !rem.is_empty() {
        let mut w = [0u8; 8];
        w[..rem.len()].copy_from_slice(rem);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
    }
    // Final avalanche so the low bits (the slot index) depend on all input.
    h ^= h >> 29;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^ (h >> 32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(names: &[&str]) -> DomainTable {
        let mut a = DomainArena::default();
        for (i, n) in names.iter().enumerate() {
            a.push(n, FeedId(i as u16));
        }
        a.into_table()
    }

    #[test]
    fn duplicates_keep_the_first_feed() {
        let t = table(&["a.example", "a.example"]);
        assert_eq!(t.len(), 1);
        assert_eq!(t.covering("a.example"), Some(("a.example", FeedId(0))));
    }

    #[test]
    fn children_of_listed_parents_are_dropped() {
        let t = table(&["x.a.example", "a.example", "y.x.a.example", "b.example"]);
        let mut names: Vec<_> = t.iter().map(|(n, _)| n.to_string()).collect();
        names.sort();
        assert_eq!(names, ["a.example", "b.example"]);
        assert_eq!(t.covering("deep.x.a.example").map(|c| c.0), Some("a.example"));
    }

    #[test]
    fn lookups_respect_label_boundaries() {
        let t = table(&["evil.com"]);
        assert!(t.covering("notevil.com").is_none());
        assert!(t.covering("com").is_none());
        assert!(t.covering("www.evil.com").is_some());
    }

    #[test]
    fn empty_table_finds_nothing() {
        assert!(DomainTable::default().covering("a.b").is_none());
        assert!(table(&[]).covering("a.b").is_none());
    }

    #[test]
    fn few_covered_names_stay_dead_but_invisible() {
        let mut names: Vec<String> = (0..100).map(|i| format!("n{i}.example")).collect();
        names.push("x.n5.example".into());
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let t = table(&refs);
        assert_eq!(t.len(), 100);
        assert_eq!(t.iter().count(), 100);
        assert_eq!(t.covering("y.x.n5.example").map(|c| c.0), Some("n5.example"));
    }

    #[test]
    fn retain_reindexes() {
        let mut t = table(&["a.example", "b.example", "c.example"]);
        t.retain(|n| n != "b.example");
        assert!(t.covering("b.example").is_none());
        assert!(t.covering("c.example").is_some());
        assert_eq!(t.len(), 2);
    }

    #[test]
    fn parents_walk() {
        assert_eq!(parents("a.b.c").collect::<Vec<_>>(), ["b.c", "c"]);
        assert_eq!(parents("c").count(), 0);
    }
}
