//! Which listed entry, of which feed, covers an address: the lookup that
//! turns a logged packet's destination into "203.0.113.0/24 from feed
//! campaign".
//!
//! The daemon keeps only this once a set is loaded (the set's domain
//! tables and blocked ranges are dropped), so its size is what matters:
//! the listed prefixes sorted, one packed [`Listed`] entry each — 8 bytes
//! per IPv4 entry, 32 per IPv6 entry — plus a bitmap of the prefix
//! lengths in use. A lookup tries the lengths in use from the longest,
//! one binary search each, so the answer is the most specific entry;
//! memory depends on the lists, never on the traffic.

use super::prefix::{Bits, Prefix};
use super::FeedId;
use std::net::IpAddr;

/// One listed prefix and the feed that listed it, packed: the feed id
/// sits in what would be the prefix's padding, so an IPv4 entry is 8
/// bytes where a `(Prefix, FeedId)` pair is 12 — at a million entries
/// the difference is 4 MB of a router's RAM.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Listed<A: Bits> {
    addr: A,
    len: u8,
    feed: FeedId,
}

impl<A: Bits> Listed<A> {
    /// `prefix`, listed by `feed`.
    pub fn new(prefix: Prefix<A>, feed: FeedId) -> Self {
        Listed {
            addr: prefix.addr(),
            len: prefix.len(),
            feed,
        }
    }

    /// The listed prefix.
    pub fn prefix(&self) -> Prefix<A> {
        // Built from a canonical prefix, so nothing is truncated.
        Prefix::new_truncating(self.addr, self.len)
    }

    /// The feed that listed it.
    pub fn feed(&self) -> FeedId {
        self.feed
    }

    /// The inclusive address range it covers.
    pub fn range(&self) -> (A, A) {
        self.prefix().range()
    }

    /// The order of the index: by prefix (address, then length), then by
    /// feed, so that the first of equal prefixes is the lowest feed id.
    fn key(&self) -> (A, u8, FeedId) {
        (self.addr, self.len, self.feed)
    }

    fn same_prefix(&self, other: &Self) -> bool {
        self.addr == other.addr && self.len == other.len
    }
}

/// Sorts `entries` by prefix and keeps one entry per prefix, the one of
/// the lowest feed id; in place, so the caller's vector is reused.
pub fn sort_dedup<A: Bits>(entries: &mut Vec<Listed<A>>) {
    entries.sort_unstable_by_key(Listed::key);
    entries.dedup_by(|b, a| a.same_prefix(b));
}

/// One family's listed prefixes, for most-specific lookups.
#[derive(Clone)]
pub struct PrefixIndex<A: Bits> {
    /// Sorted by prefix, deduplicated (the first feed that listed a
    /// prefix keeps it).
    entries: Vec<Listed<A>>,
    /// Bit `l` set when some entry has length `l` (lengths 0..=128).
    lens: [u64; 3],
}

impl<A: Bits> Default for PrefixIndex<A> {
    fn default() -> Self {
        PrefixIndex {
            entries: Vec::new(),
            lens: [0; 3],
        }
    }
}

impl<A: Bits> PrefixIndex<A> {
    /// Sorts and deduplicates `entries`; a prefix listed by several
    /// feeds keeps the first feed registered (the lowest id).
    pub fn build(entries: Vec<(Prefix<A>, FeedId)>) -> Self {
        Self::from_listed(entries.into_iter().map(|(p, f)| Listed::new(p, f)).collect())
    }

    /// Like [`PrefixIndex::build`], reusing the caller's vector.
    pub fn from_listed(mut entries: Vec<Listed<A>>) -> Self {
        sort_dedup(&mut entries);
        entries.shrink_to_fit();
        let mut lens = [0u64; 3];
        for e in &entries {
            lens[e.len as usize / 64] |= 1 << (e.len % 64);
        }
        PrefixIndex { entries, lens }
    }

    /// The listed prefixes with their feeds, sorted.
    pub fn entries(&self) -> &[Listed<A>] {
        &self.entries
    }

    /// Number of listed prefixes.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing is listed.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The most specific listed prefix covering `a`.
    pub fn lookup(&self, a: A) -> Option<(Prefix<A>, FeedId)> {
        (0..=A::WIDTH).rev().find_map(|len| {
            if self.lens[len as usize / 64] & (1 << (len % 64)) == 0 {
                return None;
            }
            let p = Prefix::new_truncating(a, len);
            self.entries
                .binary_search_by(|q| (q.addr, q.len).cmp(&(p.addr(), p.len())))
                .ok()
                .map(|i| (p, self.entries[i].feed))
        })
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.entries.capacity() * std::mem::size_of::<Listed<A>>()
    }
}

/// The listed entry that covers an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribution<'a> {
    /// The listed prefix, e.g. `203.0.113.0/24` or `203.0.113.5` for a
    /// single address.
    pub entry: String,
    /// The feed that listed it.
    pub feed: &'a str,
}

/// Both families' listed prefixes and the feed names: what a logged
/// packet's destination is attributed with.
#[derive(Default, Clone)]
pub struct IpIndex {
    feeds: Vec<String>,
    v4: PrefixIndex<u32>,
    v6: PrefixIndex<u128>,
}

impl IpIndex {
    /// An index over `v4` and `v6`, whose feed ids index `feeds`.
    pub fn new(feeds: Vec<String>, v4: PrefixIndex<u32>, v6: PrefixIndex<u128>) -> IpIndex {
        IpIndex { feeds, v4, v6 }
    }

    /// The most specific listed entry covering `ip` and its feed; `None`
    /// when no feed lists it (a packet logged under an older set).
    pub fn attribute(&self, ip: IpAddr) -> Option<Attribution<'_>> {
        let (entry, feed) = match ip.to_canonical() {
            IpAddr::V4(a) => self.v4.lookup(u32::from(a)).map(|(p, f)| (p.to_string(), f))?,
            IpAddr::V6(a) => self.v6.lookup(u128::from(a)).map(|(p, f)| (p.to_string(), f))?,
        };
        let feed = self.feeds.get(feed.0 as usize).map_or("", String::as_str);
        Some(Attribution { entry, feed })
    }

    /// Listed prefixes, IPv4 and IPv6.
    pub fn len(&self) -> usize {
        self.v4.len() + self.v6.len()
    }

    /// True when nothing is listed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Heap bytes held (entries; the feed names are a few bytes).
    pub fn heap_bytes(&self) -> usize {
        self.v4.heap_bytes() + self.v6.heap_bytes() + self.feeds.iter().map(|f| f.capacity()).sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(s: &str) -> Prefix<u32> {
        let (a, l) = s.split_once('/').unwrap_or((s, "32"));
        Prefix::new(
            u32::from(a.parse::<std::net::Ipv4Addr>().unwrap()),
            l.parse().unwrap(),
        )
        .unwrap()
    }

    fn index() -> IpIndex {
        let v4s = PrefixIndex::build(vec![
            (v4("203.0.113.0/24"), FeedId(0)),
            (v4("203.0.113.5"), FeedId(1)),
            (v4("203.0.113.0/24"), FeedId(1)),
            (v4("198.51.100.0/25"), FeedId(1)),
        ]);
        let v6 = Prefix::new(
            u128::from("2001:db8:3::".parse::<std::net::Ipv6Addr>().unwrap()),
            48,
        )
        .unwrap();
        IpIndex::new(
            vec!["campaign".into(), "abuse".into()],
            v4s,
            PrefixIndex::build(vec![(v6, FeedId(0))]),
        )
    }

    fn attr(ix: &IpIndex, ip: &str) -> Option<(String, String)> {
        ix.attribute(ip.parse().unwrap())
            .map(|a| (a.entry, a.feed.to_string()))
    }

    #[test]
    fn the_most_specific_entry_and_its_first_feed() {
        let ix = index();
        let a = |e: &str, f: &str| Some((e.to_string(), f.to_string()));
        assert_eq!(attr(&ix, "203.0.113.5"), a("203.0.113.5", "abuse"));
        assert_eq!(attr(&ix, "203.0.113.6"), a("203.0.113.0/24", "campaign"));
        assert_eq!(attr(&ix, "198.51.100.127"), a("198.51.100.0/25", "abuse"));
        assert_eq!(attr(&ix, "198.51.100.128"), None);
        assert_eq!(attr(&ix, "2001:db8:3::5"), a("2001:db8:3::/48", "campaign"));
        assert_eq!(attr(&ix, "2001:db8:4::5"), None);
        // A v4-mapped address is the IPv4 address.
        assert_eq!(attr(&ix, "::ffff:203.0.113.9"), a("203.0.113.0/24", "campaign"));
        assert_eq!(ix.len(), 4, "the duplicate /24 is one entry");
    }

    #[test]
    fn eight_bytes_per_ipv4_entry() {
        assert_eq!(std::mem::size_of::<Listed<u32>>(), 8);
        assert_eq!(std::mem::size_of::<Listed<u128>>(), 32);
        let entries: Vec<_> = (0..1000u32)
            .map(|i| (Prefix::host(0x0b00_0000 + i), FeedId(0)))
            .collect();
        let ix = PrefixIndex::build(entries);
        assert_eq!(ix.heap_bytes(), 8_000);
        assert_eq!(
            ix.lookup(0x0b00_0000 + 999),
            Some((Prefix::host(0x0b00_0000 + 999), FeedId(0)))
        );
        assert_eq!(ix.lookup(0x0b00_0000 + 1000), None);
    }

    #[test]
    fn an_empty_index_attributes_nothing() {
        let ix = IpIndex::default();
        assert!(ix.is_empty());
        assert_eq!(attr(&ix, "203.0.113.5"), None);
        assert_eq!(attr(&ix, "::"), None);
    }
}
