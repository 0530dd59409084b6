//! The aggregated indicator set: what enforcement installs and what lookups
//! ("is this blocked, and by which feed?") consult.
//!
//! Two views are kept per IP family. `entries` are the listed prefixes,
//! deduplicated, each with the feed that listed it first — for attribution.
//! `ranges` are the disjoint, merged address ranges that are actually
//! blocked after the allowlist and the protected ranges were cut out — for
//! the kernel, which receives them as the minimal CIDR cover.
//!
//! Domains live in a [`DomainTable`] (compact arena + hash index).
//!
//! A command that only installs the set does not need the first view:
//! [`Keep`] says what a builder keeps, so `apply` and `sync` hold one
//! packed 8-byte entry per IPv4 line while parsing and turn that same
//! vector into the ranges (sorted, merged in place), instead of holding
//! entries, an index and ranges at once. Attribution is then answered
//! from the last-good cache on flash by the commands that need it
//! (`test`, the daemon), which build with [`Keep::All`].

use super::domain_table::{ArenaMark, DomainArena, DomainTable};
use super::fingerprint::{fingerprint, FingerprintTable};
use super::gate::Gate;
use super::ip_index::{sort_dedup, IpIndex, Listed, PrefixIndex};
use super::prefix::{
    merge_ranges, merge_ranges_in_place, range_contains, range_to_prefixes, subtract_ranges,
    subtract_ranges_owned, Bits, Prefix,
};
use super::{FeedId, Indicator, V4Prefix, V6Prefix};
use std::net::IpAddr;

/// Blocked IPv4 and IPv6 ranges, each sorted and disjoint.
pub type IpRanges = (Vec<(u32, u32)>, Vec<(u128, u128)>);

/// What a [`SetBuilder`] keeps for the set it builds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Keep {
    /// Everything: blocked ranges, listed prefixes with their feeds (for
    /// lookups and attribution), domain names. `check`, `test`.
    #[default]
    All,
    /// Blocked ranges, listed prefixes with their feeds, and the domains
    /// as fingerprints (no names): the daemon, whose sinkhole matches
    /// fingerprints and whose host log attributes IPs.
    Serve,
    /// Blocked ranges and domain names; listed IP prefixes are only
    /// counted, so IP lookups answer "not listed". `sync` when it writes
    /// a dnsmasq file.
    Names,
    /// Blocked ranges and the domains as fingerprints, for their count.
    /// `sync`.
    Hashes,
    /// Blocked IP ranges only; listed IP prefixes are counted, domains
    /// are dropped as they come (0 domains). `apply`.
    IpRanges,
    /// Nothing: a trial parse that needs only the sink's counts.
    Nothing,
}

impl Keep {
    fn ip_index(self) -> bool {
        matches!(self, Keep::All | Keep::Serve)
    }
}

/// Collects indicators from any number of feeds, then aggregates them.
#[derive(Default)]
pub struct SetBuilder {
    keep: Keep,
    feeds: Vec<String>,
    v4: Vec<Listed<u32>>,
    v6: Vec<Listed<u128>>,
    domains: DomainArena,
    /// Domain fingerprints and their feeds ([`Keep::Serve`], [`Keep::Hashes`])
    /// pushed since the last mark (or all of them, without a table).
    fps: Vec<u64>,
    fp_feeds: Vec<FeedId>,
    /// With [`SetBuilder::expect_domains`]: the table the fingerprints go
    /// to at each mark, so that they are held once, not twice.
    fp_table: Option<FingerprintTable>,
}

/// A position in a [`SetBuilder`], see [`SetBuilder::mark`].
#[derive(Clone, Copy, Debug)]
pub struct BuilderMark {
    v4: usize,
    v6: usize,
    domains: ArenaMark,
    fps: usize,
}

/// The aggregated, deduplicated, allowlist-aware indicator set.
#[derive(Default)]
pub struct IndicatorSet {
    feeds: Vec<String>,
    v4: IpTable<u32>,
    v6: IpTable<u128>,
    domains: DomainTable,
    /// The domains as fingerprints ([`Keep::Serve`], [`Keep::Hashes`]).
    fingerprints: FingerprintTable,
    allow_domains: DomainTable,
}

/// How a lookup came out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Match {
    /// Listed and enforced: `entry` of `feed` covers the value.
    Blocked {
        /// The listed prefix or domain that covers the value.
        entry: String,
        /// The feed that listed it.
        feed: String,
    },
    /// Listed, but exempt: the allowlist or a never-block range wins.
    Exempt {
        /// The listed entry that would have blocked it.
        entry: String,
        /// The feed that listed it.
        feed: String,
    },
    /// No feed lists it.
    NotListed,
}

impl SetBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty builder that keeps only what `keep` says.
    pub fn keeping(keep: Keep) -> Self {
        SetBuilder {
            keep,
            ..Self::default()
        }
    }

    /// Announces about `n` domains (the last accepted copies' count), so
    /// that fingerprints are moved into a table sized for them at every
    /// [`Self::mark`] instead of all being held in a list until
    /// [`Self::build`] (10 bytes more per name at the peak). A mark then
    /// commits what came before it: rolling back to an older mark leaves
    /// the fingerprints in between, see [`Self::forget_fingerprints`].
    /// Without a count (0: copies cached before it was kept) the list is
    /// kept, since a table grown by doubling would end up to twice the size.
    pub fn expect_domains(&mut self, n: usize) {
        if n > 0 && matches!(self.keep, Keep::Serve | Keep::Hashes) {
            self.fp_table = Some(FingerprintTable::with_capacity(n));
        }
    }

    /// Drops every domain fingerprint of `feed` (after rolling back past a
    /// mark that committed some of them).
    pub fn forget_fingerprints(&mut self, feed: FeedId) {
        if let Some(t) = &mut self.fp_table {
            t.remove_feed(feed.0);
        }
        let keep: Vec<bool> = self.fp_feeds.iter().map(|f| *f != feed).collect();
        let mut it = keep.iter();
        self.fps.retain(|_| *it.next().unwrap_or(&true));
        self.fp_feeds.retain(|f| *f != feed);
    }

    fn commit_fingerprints(&mut self) {
        if let Some(t) = &mut self.fp_table {
            for (&k, f) in self.fps.iter().zip(&self.fp_feeds) {
                t.insert(k, f.0);
            }
            self.fps.clear();
            self.fp_feeds.clear();
        }
    }

    /// Registers a feed name and returns its id. Feeds beyond `u16::MAX`
    /// share the last id; no configuration comes near that.
    pub fn add_feed(&mut self, name: &str) -> FeedId {
        if let Some(i) = self.feeds.iter().position(|f| f == name) {
            return FeedId(i as u16);
        }
        self.feeds.push(name.to_string());
        FeedId((self.feeds.len() - 1).min(u16::MAX as usize) as u16)
    }

    /// Adds one indicator listed by `feed`.
    pub fn push(&mut self, ind: Indicator, feed: FeedId) {
        match (ind, self.keep) {
            (_, Keep::Nothing) => {}
            (Indicator::V4(p), _) => self.v4.push(Listed::new(p, feed)),
            (Indicator::V6(p), _) => self.v6.push(Listed::new(p, feed)),
            (Indicator::Domain(d), _) => self.push_name(d.as_str(), feed),
        }
    }

    /// Adds one domain name in canonical form listed by `feed`.
    pub fn push_name(&mut self, name: &str, feed: FeedId) {
        match self.keep {
            Keep::Nothing | Keep::IpRanges => {}
            Keep::Serve | Keep::Hashes => {
                self.fps.push(fingerprint(name.as_bytes()));
                self.fp_feeds.push(feed);
            }
            Keep::All | Keep::Names => self.domains.push(name, feed),
        }
    }

    /// A point to roll back to if the feed being added turns out unusable.
    pub fn mark(&mut self) -> BuilderMark {
        self.commit_fingerprints();
        BuilderMark {
            v4: self.v4.len(),
            v6: self.v6.len(),
            domains: self.domains.mark(),
            fps: self.fps.len(),
        }
    }

    /// Drops everything pushed since `mark`.
    pub fn rollback(&mut self, mark: BuilderMark) {
        self.v4.truncate(mark.v4);
        self.v6.truncate(mark.v6);
        self.domains.rollback(mark.domains);
        self.fps.truncate(mark.fps);
        self.fp_feeds.truncate(mark.fps);
    }

    /// Number of indicators pushed so far (before deduplication).
    pub fn len(&self) -> usize {
        self.v4.len() + self.v6.len() + self.domains.len() + self.fps.len()
    }

    /// True when nothing was pushed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Aggregates everything pushed, cutting out what `gate` protects and
    /// what its allowlist names.
    pub fn build(mut self, gate: &Gate) -> IndicatorSet {
        self.commit_fingerprints();
        let SetBuilder {
            keep,
            feeds,
            v4,
            v6,
            domains,
            fps,
            fp_feeds,
            fp_table,
        } = self;
        let index = keep.ip_index();
        // IPs first: their vectors become the ranges in place, and the
        // domain index is built after they shrank.
        let v4 = IpTable::build(v4, &gate.exempt_v4(), index);
        let v6 = IpTable::build(v6, &gate.exempt_v6(), index);
        // Names below an allowed name stay in: a lookup checks the
        // allowlist after the match (see `dns::DomainMatcher`).
        let fingerprints = match fp_table {
            Some(t) => t,
            None => FingerprintTable::from_parts(&fps, &fp_feeds),
        };
        drop((fps, fp_feeds));
        let mut domains = domains.into_table();
        let allow_domains = gate.allow_domains().clone();
        if !allow_domains.is_empty() {
            domains.retain(|name| allow_domains.covering(name).is_none());
        }
        IndicatorSet {
            feeds,
            v4,
            v6,
            domains,
            fingerprints,
            allow_domains,
        }
    }
}

impl IndicatorSet {
    /// The feed names, indexed by [`FeedId`].
    pub fn feeds(&self) -> &[String] {
        &self.feeds
    }

    /// Number of distinct listed IPv4 prefixes.
    pub fn v4_entries(&self) -> usize {
        self.v4.listed
    }

    /// Number of distinct listed IPv6 prefixes.
    pub fn v6_entries(&self) -> usize {
        self.v6.listed
    }

    /// Number of listed domains left after subdomains of listed domains
    /// were dropped; with fingerprints ([`Keep::Serve`], [`Keep::Hashes`])
    /// the number of distinct listed names.
    pub fn domain_count(&self) -> usize {
        self.domains.len() + self.fingerprints.len()
    }

    /// The listed domains as fingerprints, taken out of the set (empty
    /// unless built with [`Keep::Serve`] or [`Keep::Hashes`]).
    pub fn take_fingerprints(&mut self) -> FingerprintTable {
        std::mem::take(&mut self.fingerprints)
    }

    /// The blocked IPv4 ranges, disjoint and sorted, inclusive ends.
    pub fn v4_ranges(&self) -> &[(u32, u32)] {
        &self.v4.ranges
    }

    /// The blocked IPv6 ranges, disjoint and sorted, inclusive ends.
    pub fn v6_ranges(&self) -> &[(u128, u128)] {
        &self.v6.ranges
    }

    /// The blocked ranges of both families, taking them out of the set
    /// (which then blocks nothing): what is handed to the kernel without
    /// a copy.
    pub fn take_ip_ranges(&mut self) -> IpRanges {
        (
            std::mem::take(&mut self.v4.ranges),
            std::mem::take(&mut self.v6.ranges),
        )
    }

    /// The blocked IPv4 space as the minimal list of CIDR prefixes.
    pub fn v4_prefixes(&self) -> Vec<V4Prefix> {
        self.v4.prefixes()
    }

    /// The blocked IPv6 space as the minimal list of CIDR prefixes.
    pub fn v6_prefixes(&self) -> Vec<V6Prefix> {
        self.v6.prefixes()
    }

    /// The blocked domains, in the arena's order.
    pub fn domains(&self) -> impl Iterator<Item = String> + '_ {
        self.domains.iter().map(|(name, _)| name.to_string())
    }

    /// Is `ip` blocked, and by which entry of which feed?
    pub fn lookup_ip(&self, ip: IpAddr) -> Match {
        let hit = match ip {
            IpAddr::V4(a) => self
                .v4
                .lookup(u32::from(a))
                .map(|(p, f, on)| (p.to_string(), f, on)),
            IpAddr::V6(a) => self
                .v6
                .lookup(u128::from(a))
                .map(|(p, f, on)| (p.to_string(), f, on)),
        };
        match hit {
            None => Match::NotListed,
            Some((entry, feed, true)) => Match::Blocked {
                entry,
                feed: self.feed_name(feed),
            },
            Some((entry, feed, false)) => Match::Exempt {
                entry,
                feed: self.feed_name(feed),
            },
        }
    }

    /// Is `name` (or a parent of it) blocked, and by which entry of which
    /// feed? `name` must already be normalised (see [`super::Domain::parse`]).
    pub fn lookup_domain(&self, name: &str) -> Match {
        match self.domains.covering(name) {
            None => Match::NotListed,
            Some((entry, feed)) if self.domain_allowed(name) => Match::Exempt {
                entry: entry.to_string(),
                feed: self.feed_name(feed),
            },
            Some((entry, feed)) => Match::Blocked {
                entry: entry.to_string(),
                feed: self.feed_name(feed),
            },
        }
    }

    /// Every blocked domain with the index of its feed in [`Self::feeds`]
    /// (the DNS sinkhole builds its own compact matcher from these).
    pub fn domain_entries(&self) -> impl Iterator<Item = (&str, usize)> + '_ {
        self.domains.iter().map(|(d, f)| (d, f.0 as usize))
    }

    /// The allowlisted domains (a listed parent never blocks these).
    pub fn allowed_domains(&self) -> impl Iterator<Item = &str> + '_ {
        self.allow_domains.iter().map(|(d, _)| d)
    }

    /// True when the allowlist exempts `name` or a parent of it.
    pub fn domain_allowed(&self, name: &str) -> bool {
        self.allow_domains.covering(name).is_some()
    }

    /// The listed prefixes of both families with the feed names: what
    /// the daemon keeps to attribute logged packets once the set itself
    /// is dropped.
    pub fn ip_index(&self) -> IpIndex {
        IpIndex::new(
            self.feeds.clone(),
            self.v4.entries.clone(),
            self.v6.entries.clone(),
        )
    }

    /// Like [`Self::ip_index`], moving the listed prefixes out of the set
    /// instead of copying them (the set then attributes nothing).
    pub fn take_ip_index(&mut self) -> IpIndex {
        IpIndex::new(
            self.feeds.clone(),
            std::mem::take(&mut self.v4.entries),
            std::mem::take(&mut self.v6.entries),
        )
    }

    fn feed_name(&self, id: FeedId) -> String {
        self.feeds.get(id.0 as usize).cloned().unwrap_or_default()
    }
}

/// One IP family's listed entries and blocked ranges.
#[derive(Default)]
struct IpTable<A: Bits> {
    /// The listed prefixes, for attribution (empty unless [`Keep::All`]).
    entries: PrefixIndex<A>,
    /// Distinct listed prefixes.
    listed: usize,
    /// Blocked ranges after exemptions: sorted, disjoint, non-adjacent.
    ranges: Vec<(A, A)>,
}

impl<A: Bits> IpTable<A> {
    fn build(mut entries: Vec<Listed<A>>, exempt: &[(A, A)], index: bool) -> Self {
        if index {
            let entries = PrefixIndex::from_listed(entries);
            let merged = merge_ranges(entries.entries().iter().map(Listed::range));
            let ranges = subtract_ranges(&merged, exempt);
            return Self {
                listed: entries.len(),
                entries,
                ranges,
            };
        }
        sort_dedup(&mut entries);
        let listed = entries.len();
        // Same size and alignment, so std collects into the same buffer:
        // the entries become their ranges without a second vector.
        let mut ranges: Vec<(A, A)> = entries.into_iter().map(|e| e.range()).collect();
        merge_ranges_in_place(&mut ranges);
        let mut ranges = subtract_ranges_owned(ranges, exempt);
        ranges.shrink_to_fit();
        Self {
            entries: PrefixIndex::default(),
            listed,
            ranges,
        }
    }

    fn prefixes(&self) -> Vec<Prefix<A>> {
        let mut out = Vec::with_capacity(self.ranges.len());
        for &(a, b) in &self.ranges {
            range_to_prefixes(a, b, |p| out.push(p));
        }
        out
    }

    /// The most specific listed entry covering `a`, and whether `a` is
    /// actually blocked (not exempt).
    fn lookup(&self, a: A) -> Option<(Prefix<A>, FeedId, bool)> {
        let (p, f) = self.entries.lookup(a)?;
        Some((p, f, range_contains(&self.ranges, a)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicator::gate::GateConfig;
    use crate::indicator::Domain;
    use proptest::prelude::*;

    /// A 4096-address playground in public space, so the gate's protected
    /// ranges never interfere with the model.
    const V4_BASE: u32 = 0x0b00_0000; // 11.0.0.0
    const V6_BASE: u128 = 0x2a00_0000_0000_0000_0000_0000_0000_0000;
    const SPACE: u32 = 4096;

    fn gate_allowing(allow: Vec<Indicator>) -> Gate {
        Gate::new(&GateConfig {
            allow,
            ..GateConfig::default()
        })
    }

    /// Prefixes of length ≥ 20 (v4) inside the playground, as (offset, len).
    fn arb_v4() -> impl Strategy<Value = (u32, u8)> {
        (0..SPACE, 20u8..=32)
    }

    fn v4(off: u32, len: u8) -> V4Prefix {
        Prefix::new_truncating(V4_BASE + off, len)
    }

    fn v6(off: u32, len: u8) -> V6Prefix {
        // Same shape as v4, shifted into the low 12 bits of a /116.
        Prefix::new_truncating(V6_BASE + off as u128, len + 96)
    }

    /// The playground addresses covered by `ps` (all inside it).
    fn bitset<A: Bits>(ps: &[Prefix<A>], to_off: impl Fn(A) -> u32) -> Vec<bool> {
        let mut bits = vec![false; SPACE as usize];
        for p in ps {
            let (a, b) = p.range();
            for o in to_off(a)..=to_off(b) {
                bits[o as usize] = true;
            }
        }
        bits
    }

    fn no_mergeable_siblings<A: Bits>(ps: &[Prefix<A>]) -> bool {
        ps.windows(2).all(|w| {
            let (a, b) = (w[0], w[1]);
            !(a.len() == b.len()
                && a.len() > 0
                && Prefix::new_truncating(a.addr(), a.len() - 1)
                    == Prefix::new_truncating(b.addr(), b.len() - 1))
        })
    }

    proptest! {
        #[test]
        fn v4_aggregation_matches_bitset_model(
            blocks in proptest::collection::vec(arb_v4(), 0..40),
            allows in proptest::collection::vec(arb_v4(), 0..4),
        ) {
            let mut b = SetBuilder::new();
            let f = b.add_feed("f");
            for &(o, l) in &blocks { b.push(Indicator::V4(v4(o, l)), f); }
            let allow: Vec<Indicator> = allows.iter().map(|&(o, l)| Indicator::V4(v4(o, l))).collect();
            let set = b.build(&gate_allowing(allow));

            let to_off = |a: u32| a - V4_BASE;
            let mut model = bitset(&blocks.iter().map(|&(o, l)| v4(o, l)).collect::<Vec<_>>(), to_off);
            let cut = bitset(&allows.iter().map(|&(o, l)| v4(o, l)).collect::<Vec<_>>(), to_off);
            for (m, c) in model.iter_mut().zip(&cut) { *m &= !c; }

            let got_prefixes = set.v4_prefixes();
            prop_assert_eq!(bitset(&got_prefixes, to_off), model.clone());
            prop_assert!(no_mergeable_siblings(&got_prefixes));
            for (o, &want) in model.iter().enumerate() {
                let m = set.lookup_ip(IpAddr::V4((V4_BASE + o as u32).into()));
                prop_assert_eq!(matches!(m, Match::Blocked { .. }), want, "offset {}", o);
            }
        }

        #[test]
        fn v6_aggregation_matches_bitset_model(
            blocks in proptest::collection::vec(arb_v4(), 0..40),
            allows in proptest::collection::vec(arb_v4(), 0..4),
        ) {
            let mut b = SetBuilder::new();
            let f = b.add_feed("f");
            for &(o, l) in &blocks { b.push(Indicator::V6(v6(o, l)), f); }
            let allow: Vec<Indicator> = allows.iter().map(|&(o, l)| Indicator::V6(v6(o, l))).collect();
            let set = b.build(&gate_allowing(allow));

            let to_off = |a: u128| (a - V6_BASE) as u32;
            let mut model = bitset(&blocks.iter().map(|&(o, l)| v6(o, l)).collect::<Vec<_>>(), to_off);
            let cut = bitset(&allows.iter().map(|&(o, l)| v6(o, l)).collect::<Vec<_>>(), to_off);
            for (m, c) in model.iter_mut().zip(&cut) { *m &= !c; }

            let got = set.v6_prefixes();
            prop_assert_eq!(bitset(&got, to_off), model.clone());
            prop_assert!(no_mergeable_siblings(&got));
            for (o, &want) in model.iter().enumerate().step_by(7) {
                let m = set.lookup_ip(IpAddr::V6((V6_BASE + o as u128).into()));
                prop_assert_eq!(matches!(m, Match::Blocked { .. }), want, "offset {}", o);
            }
        }

        #[test]
        fn lookup_names_the_most_specific_listed_entry(
            blocks in proptest::collection::vec((arb_v4(), 0u16..3), 1..30),
            probe in 0..SPACE,
        ) {
            let mut b = SetBuilder::new();
            let ids = [b.add_feed("a"), b.add_feed("b"), b.add_feed("c")];
            for &((o, l), f) in &blocks { b.push(Indicator::V4(v4(o, l)), ids[f as usize]); }
            let set = b.build(&Gate::default());
            let addr = V4_BASE + probe;
            let best = blocks.iter().map(|&((o, l), _)| v4(o, l)).filter(|p| p.contains(addr)).max_by_key(|p| p.len());
            match (set.lookup_ip(IpAddr::V4(addr.into())), best) {
                (Match::Blocked { entry, .. }, Some(p)) => prop_assert_eq!(entry, p.to_string()),
                (Match::NotListed, None) => {}
                (m, p) => prop_assert!(false, "lookup {:?} but model {:?}", m, p),
            }
        }

        #[test]
        fn domain_cover_matches_naive_model(
            listed in proptest::collection::vec(proptest::collection::vec(0u8..4, 1..4), 0..20),
            allowed in proptest::collection::vec(proptest::collection::vec(0u8..4, 2..4), 0..3),
            queries in proptest::collection::vec(proptest::collection::vec(0u8..4, 1..5), 1..20),
        ) {
            // Names over labels a..d under a fixed registrable base, so the
            // gate's public-suffix rule never applies.
            let name = |ls: &Vec<u8>| -> String {
                let mut s: Vec<String> = ls.iter().map(|l| ((b'a' + l) as char).to_string()).collect();
                s.push("base.test".into());
                s.join(".")
            };
            let covers = |parent: &str, child: &str| child == parent || child.ends_with(&format!(".{parent}"));
            let mut b = SetBuilder::new();
            let f = b.add_feed("f");
            let listed: Vec<String> = listed.iter().map(name).collect();
            let allowed: Vec<String> = allowed.iter().map(name).collect();
            for d in &listed { b.push(Indicator::Domain(Domain::parse(d).unwrap()), f); }
            let allow = allowed.iter().map(|d| Indicator::Domain(Domain::parse(d).unwrap())).collect();
            let set = b.build(&gate_allowing(allow));
            // Kept names: listed, not under another listed name, not under an allowed name.
            let mut want: Vec<String> = listed.iter()
                .filter(|d| !listed.iter().any(|p| p != *d && covers(p, d)))
                .filter(|d| !allowed.iter().any(|a| covers(a, d)))
                .cloned().collect();
            want.sort(); want.dedup();
            let mut got: Vec<String> = set.domains().collect();
            got.sort();
            prop_assert_eq!(got, want);
            for q in queries.iter().map(name) {
                let listed_hit = listed.iter().any(|p| covers(p, &q));
                let allowed_hit = allowed.iter().any(|a| covers(a, &q));
                let m = set.lookup_domain(&q);
                prop_assert_eq!(matches!(m, Match::Blocked { .. }), listed_hit && !allowed_hit, "{}", q);
            }
        }
    }

    proptest! {
        #[test]
        fn every_keep_installs_the_same_ranges_and_counts(
            blocks in proptest::collection::vec((arb_v4(), 0u16..2), 0..40),
            allows in proptest::collection::vec(arb_v4(), 0..4),
        ) {
            let allow: Vec<Indicator> = allows.iter().map(|&(o, l)| Indicator::V4(v4(o, l))).collect();
            let gate = gate_allowing(allow);
            let build = |keep| {
                let mut b = SetBuilder::keeping(keep);
                let ids = [b.add_feed("a"), b.add_feed("b")];
                for &((o, l), f) in &blocks {
                    b.push(Indicator::V4(v4(o, l)), ids[f as usize]);
                    b.push(Indicator::V6(v6(o, l)), ids[f as usize]);
                    b.push(Indicator::Domain(Domain::parse(&format!("d{o}.example")).unwrap()), ids[f as usize]);
                }
                b.build(&gate)
            };
            let all = build(Keep::All);
            for keep in [Keep::Serve, Keep::Names, Keep::Hashes, Keep::IpRanges] {
                let lean = build(keep);
                prop_assert_eq!(lean.v4_ranges(), all.v4_ranges());
                prop_assert_eq!(lean.v6_ranges(), all.v6_ranges());
                prop_assert_eq!(lean.v4_entries(), all.v4_entries());
                prop_assert_eq!(lean.v6_entries(), all.v6_entries());
                // The test names have no parents among them: the counts agree.
                let domains = if keep == Keep::IpRanges { 0 } else { all.domain_count() };
                prop_assert_eq!(lean.domain_count(), domains);
            }
            let none = build(Keep::Nothing);
            prop_assert_eq!(none.v4_entries() + none.v6_entries() + none.domain_count(), 0);
        }
    }

    #[test]
    fn a_lean_build_turns_the_entries_into_ranges_in_their_own_buffer() {
        // The apply/sync peak depends on this: entries and ranges are never
        // held at once. If std stopped collecting in place, this fails.
        let entries: Vec<Listed<u32>> = (0..1000u32)
            .map(|i| Listed::new(V4Prefix::host(V4_BASE + 2 * i), FeedId(0)))
            .collect();
        let before = entries.as_ptr() as usize;
        let t = IpTable::build(entries, &[], false);
        assert_eq!(t.ranges.as_ptr() as usize, before);
        assert_eq!((t.listed, t.ranges.len()), (1000, 1000));
    }

    #[test]
    fn adjacent_and_nested_prefixes_merge() {
        let mut b = SetBuilder::new();
        let f = b.add_feed("f");
        for s in ["11.0.0.0/25", "11.0.0.128/25", "11.0.0.7", "11.0.1.0/24"] {
            b.push(crate::indicator::parse_indicator(s).unwrap(), f);
        }
        let set = b.build(&Gate::default());
        let got: Vec<String> = set.v4_prefixes().iter().map(|p| p.to_string()).collect();
        assert_eq!(got, ["11.0.0.0/23"]);
        assert_eq!(set.v4_entries(), 4);
    }

    #[test]
    fn allowlisted_host_splits_its_covering_prefix() {
        let allow = vec![crate::indicator::parse_indicator("8.8.8.8").unwrap()];
        let mut b = SetBuilder::new();
        let f = b.add_feed("f");
        b.push(crate::indicator::parse_indicator("8.8.8.8/30").unwrap(), f);
        let set = b.build(&gate_allowing(allow));
        let got: Vec<String> = set.v4_prefixes().iter().map(|p| p.to_string()).collect();
        assert_eq!(got, ["8.8.8.9", "8.8.8.10/31"]);
        assert!(matches!(
            set.lookup_ip("8.8.8.8".parse().unwrap()),
            Match::Exempt { .. }
        ));
        assert!(matches!(
            set.lookup_ip("8.8.8.9".parse().unwrap()),
            Match::Blocked { .. }
        ));
    }

    #[test]
    fn protected_range_is_cut_out_of_a_covering_prefix() {
        // 100.0.0.0/8 covers CGNAT 100.64.0.0/10: the rest stays blocked.
        let mut b = SetBuilder::new();
        let f = b.add_feed("f");
        b.push(crate::indicator::parse_indicator("100.0.0.0/8").unwrap(), f);
        let set = b.build(&Gate::default());
        let got: Vec<String> = set.v4_prefixes().iter().map(|p| p.to_string()).collect();
        assert_eq!(got, ["100.0.0.0/10", "100.128.0.0/9"]);
    }

    #[test]
    fn feed_attribution_and_rollback() {
        let mut b = SetBuilder::new();
        let a = b.add_feed("a");
        b.push(crate::indicator::parse_indicator("evil.example").unwrap(), a);
        let bid = b.add_feed("b");
        let mark = b.mark();
        b.push(crate::indicator::parse_indicator("other.example").unwrap(), bid);
        b.rollback(mark);
        let set = b.build(&Gate::default());
        assert_eq!(
            set.lookup_domain("x.evil.example"),
            Match::Blocked {
                entry: "evil.example".into(),
                feed: "a".into()
            }
        );
        assert_eq!(set.lookup_domain("other.example"), Match::NotListed);
    }
}
