//! Listed domains as 64-bit fingerprints in one open-addressing table:
//! what the sinkhole matches queries against, and what `sync` counts
//! domains with, when the names themselves are not needed.
//!
//! Why fingerprints instead of the names: a match is always a suffix of
//! the query, which the caller has, so a name is never needed back. A slot
//! is 8 bytes of hash plus a 1-byte feed index (2 once a feed id passes
//! 255), at load ≤ 0.8: about 11.3 bytes per listed domain, against ~40
//! for the name table and ~80–90 for dnsmasq. The cost is a false match when a name's 64-bit hash equals a
//! listed one's: with a million listed names and a handful of suffixes per
//! query, about one query in 10^12.
//!
//! The table is built from fingerprints taken while a feed streams by
//! (no name is stored at all), so it holds every listed name, including
//! names below another listed name that the name table drops. A lookup
//! therefore walks the query's suffixes from the top (`c`, `b.c`, `a.b.c`)
//! and answers the first listed one: the topmost listed ancestor, which
//! is exactly the entry the name table keeps, so the answer (offset and
//! feed) is the same. A duplicate name keeps its first feed.

use super::FeedId;

/// A 64-bit hash of a name; never 0 (0 marks an empty slot).
pub fn fingerprint(b: &[u8]) -> u64 {
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
        // Byte by byte: the same little-endian word as copying the rest
        // into a zeroed one, without a call to memcpy for a few bytes
        // (musl's costs more than the hash).
        let w = rem.iter().rev().fold(0u64, |w, &b| w << 8 | b as u64);
        h = (h ^ w).wrapping_mul(K).rotate_left(29);
    }
    // murmur3's fmix64: every output bit depends on every input bit.
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^= h >> 33;
    h.max(1)
}

/// Maps a 64-bit hash onto `0..cap` (Lemire's multiply-shift: uniform
/// without a power-of-two capacity).
fn slot(k: u64, cap: usize) -> usize {
    ((k as u128 * cap as u128) >> 64) as usize
}

/// The feed of each slot: one byte while every feed id fits (a unit has a
/// handful of feeds), two once one does not. A slot is then 9 bytes, not
/// 10: 1.25 MB less per million listed names.
#[derive(Debug, Clone)]
enum Feeds {
    Narrow(Vec<u8>),
    Wide(Vec<u16>),
}

impl Default for Feeds {
    fn default() -> Self {
        Feeds::Narrow(Vec::new())
    }
}

impl Feeds {
    fn zeroed(cap: usize) -> Feeds {
        Feeds::Narrow(vec![0; cap])
    }

    fn get(&self, i: usize) -> u16 {
        match self {
            Feeds::Narrow(v) => v[i] as u16,
            Feeds::Wide(v) => v[i],
        }
    }

    fn set(&mut self, i: usize, feed: u16) {
        if let Feeds::Narrow(v) = self {
            match u8::try_from(feed) {
                Ok(f) => return v[i] = f,
                Err(_) => *self = Feeds::Wide(v.iter().map(|&f| f as u16).collect()),
            }
        }
        if let Feeds::Wide(v) = self {
            v[i] = feed;
        }
    }

    fn heap_bytes(&self) -> usize {
        match self {
            Feeds::Narrow(v) => v.capacity(),
            Feeds::Wide(v) => v.capacity() * 2,
        }
    }
}

/// Fingerprints of listed names with the feed of each.
#[derive(Debug, Default, Clone)]
pub struct FingerprintTable {
    /// Fingerprint per slot, 0 for empty.
    keys: Vec<u64>,
    /// Feed index per slot.
    feeds: Feeds,
    len: usize,
}

impl FingerprintTable {
    /// A table of at most `n` fingerprints from `fps` (fingerprint, feed).
    pub fn new(n: usize, fps: impl Iterator<Item = (u64, u16)>) -> FingerprintTable {
        if n == 0 {
            return FingerprintTable::default();
        }
        let mut t = Self::with_capacity(n);
        for (k, feed) in fps.take(n) {
            t.insert(k, feed);
        }
        t
    }

    /// An empty table with room for `n` fingerprints at load ≤ 0.8 (it
    /// grows past that, see [`Self::insert`]). The slots are zeroed
    /// lazily by the kernel, so unused room costs address space only
    /// until a fingerprint lands in its page.
    pub fn with_capacity(n: usize) -> FingerprintTable {
        // Load ≤ 0.8; the capacity needs no power of two (see `slot`).
        let cap = n + n / 4 + 8;
        FingerprintTable {
            keys: vec![0; cap],
            feeds: Feeds::zeroed(cap),
            len: 0,
        }
    }

    /// Adds fingerprint `k` of `feed`; a fingerprint already held keeps
    /// its first feed (a duplicate, or the rare collision of two names).
    /// Doubles the table when it passes load 0.8.
    pub fn insert(&mut self, k: u64, feed: u16) {
        if (self.len + 1) * 5 > self.keys.len() * 4 {
            let mut bigger = Self::with_capacity(self.keys.len() * 2);
            for i in (0..self.keys.len()).filter(|&i| self.keys[i] != 0) {
                bigger.insert(self.keys[i], self.feeds.get(i));
            }
            *self = bigger;
        }
        let cap = self.keys.len();
        let mut i = slot(k, cap);
        loop {
            match self.keys[i] {
                0 => {
                    self.keys[i] = k;
                    self.feeds.set(i, feed);
                    self.len += 1;
                    return;
                }
                v if v == k => return,
                _ => i = if i + 1 == cap { 0 } else { i + 1 },
            }
        }
    }

    /// Drops every fingerprint of `feed` (rare: a cached copy read in
    /// pieces turned out unusable as a whole), rebuilding the table.
    pub fn remove_feed(&mut self, feed: u16) {
        let owned = |i: usize| self.keys[i] != 0 && self.feeds.get(i) == feed;
        if !(0..self.keys.len()).any(owned) {
            return;
        }
        // As many slots as before: the table was sized for what is still
        // to come (the expected count of every feed).
        let slots = self.keys.len();
        let mut t = FingerprintTable {
            keys: vec![0; slots],
            feeds: Feeds::zeroed(slots),
            len: 0,
        };
        for i in (0..slots).filter(|&i| self.keys[i] != 0 && self.feeds.get(i) != feed) {
            t.insert(self.keys[i], self.feeds.get(i));
        }
        *self = t;
    }

    /// A table of the names `names` yields (at most `n`).
    pub fn with_names<'a>(n: usize, names: impl Iterator<Item = (&'a str, u16)>) -> FingerprintTable {
        Self::new(n, names.map(|(d, f)| (fingerprint(d.as_bytes()), f)))
    }

    /// A table of the fingerprints `keys` with the feeds `feeds` (same
    /// length; the first of equal keys keeps its feed).
    pub fn from_parts(keys: &[u64], feeds: &[FeedId]) -> FingerprintTable {
        Self::new(keys.len(), keys.iter().zip(feeds).map(|(&k, f)| (k, f.0)))
    }

    /// Distinct fingerprints held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.keys.capacity() * 8 + self.feeds.heap_bytes()
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
                v if v == k => return Some(self.feeds.get(i)),
                _ => i = if i + 1 == cap { 0 } else { i + 1 },
            }
        }
    }

    /// Offset in `name` of its topmost listed suffix (a parent or the name
    /// itself), with its feed.
    pub fn covering(&self, name: &str) -> Option<(usize, u16)> {
        if self.len == 0 {
            return None;
        }
        let b = name.as_bytes();
        let mut end = b.len();
        loop {
            let at = b[..end].iter().rposition(|&c| c == b'.').map_or(0, |i| i + 1);
            if let Some(f) = self.get(&b[at..]) {
                return Some((at, f));
            }
            if at == 0 {
                return None;
            }
            end = at - 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_word_is_the_zero_padded_little_endian_rest() {
        // What the hash read before the byte-by-byte rest: a copy into a
        // zeroed word. Tables are rebuilt each start, but two builds of
        // one process must agree, and this pins the function.
        fn by_copy(b: &[u8]) -> u64 {
            const K: u64 = 0x9e37_79b9_7f4a_7c15;
            let mut h: u64 = 0x243f_6a88_85a3_08d3 ^ (b.len() as u64).wrapping_mul(K);
            for c in b.chunks(8) {
                let mut w = [0u8; 8];
                w[..c.len()].copy_from_slice(c);
                h = (h ^ u64::from_le_bytes(w)).wrapping_mul(K).rotate_left(29);
            }
            h ^= h >> 33;
            h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
            h ^= h >> 33;
            h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
            h ^= h >> 33;
            h.max(1)
        }
        let name = b"c2-624bd.ys4i1lhirwja.example.vn";
        for n in 0..=name.len() {
            assert_eq!(fingerprint(&name[..n]), by_copy(&name[..n]), "{n} bytes");
        }
    }

    #[test]
    fn the_topmost_listed_suffix_answers() {
        let t = FingerprintTable::with_names(
            4,
            [
                ("x.evil.example", 1),
                ("evil.example", 0),
                ("evil.example", 2),
                ("c2.test", 3),
            ]
            .into_iter(),
        );
        assert_eq!(t.len(), 3, "the duplicate is one entry");
        assert_eq!(
            t.covering("a.x.evil.example"),
            Some((4, 0)),
            "the parent, first feed"
        );
        assert_eq!(t.covering("x.evil.example"), Some((2, 0)));
        assert_eq!(t.covering("evil.example"), Some((0, 0)));
        assert_eq!(t.covering("c2.test"), Some((0, 3)));
        assert_eq!(t.covering("example"), None);
        assert_eq!(t.covering("notevil.example"), None);
        assert_eq!(t.covering(""), None);
        assert_eq!(t.covering("."), None);
        assert_eq!(FingerprintTable::default().covering("evil.example"), None);
    }

    #[test]
    fn inserts_grow_and_a_feed_can_be_removed() {
        let mut t = FingerprintTable::with_capacity(2);
        for i in 0..1000u32 {
            t.insert(fingerprint(format!("n{i}.example").as_bytes()), (i % 3) as u16);
        }
        t.insert(fingerprint(b"n5.example"), 9);
        assert_eq!(t.len(), 1000);
        assert!(t.keys.len() * 4 >= t.len() * 5, "load stays at most 0.8");
        assert_eq!(t.covering("w.n5.example"), Some((2, 2)), "the first feed stays");
        t.remove_feed(1);
        assert_eq!(t.len(), 667);
        assert_eq!(t.covering("n1.example"), None);
        assert_eq!(t.covering("n3.example"), Some((0, 0)));
        assert_eq!(t.covering("n5.example"), Some((0, 2)));
    }

    #[test]
    fn a_feed_id_past_255_widens_the_slots() {
        let mut t = FingerprintTable::with_capacity(100);
        for i in 0..50u16 {
            t.insert(fingerprint(format!("n{i}.example").as_bytes()), i * 7);
        }
        assert!(matches!(t.feeds, Feeds::Wide(_)), "id 343 does not fit a byte");
        for i in 0..50u16 {
            assert_eq!(t.covering(&format!("n{i}.example")), Some((0, i * 7)));
        }
        let narrow = FingerprintTable::with_names(3, [("a.example", 255u16)].into_iter());
        assert!(matches!(narrow.feeds, Feeds::Narrow(_)));
        assert_eq!(narrow.covering("a.example"), Some((0, 255)));
        assert_eq!(narrow.heap_bytes(), (3 + 8) * 9);
    }

    #[test]
    fn parts_and_names_build_the_same_table() {
        let names = ["a.example", "b.example", "a.example"];
        let keys: Vec<u64> = names.iter().map(|n| fingerprint(n.as_bytes())).collect();
        let t = FingerprintTable::from_parts(&keys, &[FeedId(1), FeedId(2), FeedId(3)]);
        assert_eq!(t.len(), 2);
        assert_eq!(t.covering("w.a.example"), Some((2, 1)));
        assert_eq!(t.covering("b.example"), Some((0, 2)));
    }
}
