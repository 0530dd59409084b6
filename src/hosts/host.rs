//! One host's record: who it is (MAC, addresses, hostname), when it was
//! seen, what it tried to reach (indicators with counts and feeds, top
//! destination ports) and where its remediation stands ([`State`]).
//!
//! Invariants, kept by every method here and checked again on snapshot
//! load (`Host::check`):
//! - every list is bounded by a named constant and overflow is counted
//!   (`addrs_dropped`, `other_hits`, `other_port_hits`, `more_feeds`), so
//!   a host's size does not grow with its number of hits;
//! - strings that come from the network or from files (indicator, feed
//!   names, hostname, ack note) are stored without control characters
//!   and cut to a byte bound on a char boundary;
//! - a host without a MAC has exactly one address, which is its key;
//!   addresses are canonical, unique, newest first;
//! - `first_seen <= last_seen`; the state machine only moves
//!   `infected → acknowledged → reinfected → acknowledged …`, and a hit
//!   reinfects only when it happened strictly after the ack.
//!
//! Nothing here reads the clock: every time is a parameter.

use super::event::{Event, Hit, Kind, Proto};
use super::feedname::FeedName;
use super::mac::{HostKey, Mac};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::str::FromStr;

/// Addresses kept per host (the most recent); a MAC host seen with more
/// (privacy addresses, a spoofing flood from one machine) drops its oldest.
pub const ADDRS_PER_HOST: usize = 16;
/// Distinct indicators counted per host; hits on further ones go to
/// [`Host::other_hits`].
pub const INDICATORS_PER_HOST: usize = 32;
/// Distinct destination ports counted per host; further ones go to
/// [`Host::other_port_hits`].
pub const PORTS_PER_HOST: usize = 8;
/// Feed names kept per indicator.
pub const FEEDS_PER_INDICATOR: usize = 4;
/// Bytes of an indicator kept (the longest domain name).
pub const LISTED_MAX: usize = 253;
/// Bytes of a feed name kept.
pub const FEED_MAX: usize = 48;
/// Bytes of a hostname kept.
pub const HOSTNAME_MAX: usize = 64;
/// Bytes of an admin's ack note kept.
pub const NOTE_MAX: usize = 200;

/// An address a host was seen with, and when last.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeenAddr {
    /// The (canonical) address.
    pub addr: IpAddr,
    /// Last hit from it, unix seconds.
    pub last_seen: u64,
}

/// Hits of one host on one listed indicator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndicatorHits {
    /// The listed indicator (`203.0.113.0/24`, `evil.example`). A
    /// `Box<str>`, not a `String`: it never changes once recorded, and
    /// the 8 bytes less per indicator put a host's full indicator list
    /// into a smaller allocator size class.
    pub listed: Box<str>,
    /// Which path saw it.
    pub kind: Kind,
    /// Hits counted.
    pub hits: u64,
    /// Feeds that list it (at most [`FEEDS_PER_INDICATOR`]); shared
    /// names, since a unit has only a handful of feeds. A boxed slice,
    /// not a `Vec`: the list rarely grows after the first hit, and a
    /// `Vec` gave a one-name list room for 4 (64 B instead of 16) and
    /// the indicator 8 B more inline.
    #[serde(deserialize_with = "exact_boxed")]
    pub feeds: Box<[FeedName]>,
    /// More feeds listed it than were kept.
    #[serde(default, skip_serializing_if = "is_false")]
    pub more_feeds: bool,
    /// First hit, unix seconds.
    pub first_seen: u64,
    /// Last hit, unix seconds.
    pub last_seen: u64,
}

/// Hits of one host on one destination port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortHits {
    /// The protocol the port belongs to.
    pub proto: Proto,
    /// Destination port.
    pub port: u16,
    /// Hits counted.
    pub hits: u64,
}

/// Where a host's remediation stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum State {
    /// Hit a listed indicator; nobody has acknowledged it yet.
    Infected,
    /// The admin marked it cleaned.
    Acknowledged {
        /// When, unix seconds.
        ack_at: u64,
        /// The admin's note.
        note: String,
    },
    /// Hit again after the ack: the cleaning did not hold.
    Reinfected {
        /// When it was acknowledged, unix seconds.
        ack_at: u64,
        /// The admin's note.
        note: String,
        /// The first hit after the ack, unix seconds.
        reinfected_at: u64,
    },
}

impl State {
    /// The state's name.
    pub fn kind(&self) -> StateKind {
        match self {
            State::Infected => StateKind::Infected,
            State::Acknowledged { .. } => StateKind::Acknowledged,
            State::Reinfected { .. } => StateKind::Reinfected,
        }
    }

    /// When the host was last acknowledged.
    pub fn ack_at(&self) -> Option<u64> {
        match self {
            State::Infected => None,
            State::Acknowledged { ack_at, .. } | State::Reinfected { ack_at, .. } => Some(*ack_at),
        }
    }

    /// The note of the last ack.
    pub fn note(&self) -> Option<&str> {
        match self {
            State::Infected => None,
            State::Acknowledged { note, .. } | State::Reinfected { note, .. } => Some(note),
        }
    }
}

/// A [`State`] without its data: for filters and counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StateKind {
    /// See [`State::Infected`].
    Infected,
    /// See [`State::Acknowledged`].
    Acknowledged,
    /// See [`State::Reinfected`].
    Reinfected,
}

impl fmt::Display for StateKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StateKind::Infected => "infected",
            StateKind::Acknowledged => "acknowledged",
            StateKind::Reinfected => "reinfected",
        })
    }
}

/// A state name that is none of `infected`, `acknowledged`, `reinfected`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown state {0:?} (infected, acknowledged or reinfected)")]
pub struct BadState(pub String);

impl FromStr for StateKind {
    type Err = BadState;
    /// The name, any case (`acked` is accepted for acknowledged).
    fn from_str(s: &str) -> Result<StateKind, BadState> {
        match s.to_ascii_lowercase().as_str() {
            "infected" => Ok(StateKind::Infected),
            "acknowledged" | "acked" => Ok(StateKind::Acknowledged),
            "reinfected" => Ok(StateKind::Reinfected),
            _ => Err(BadState(s.to_string())),
        }
    }
}

/// What applying an ack did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckOutcome {
    /// The host is now acknowledged.
    Acknowledged,
    /// The ack was recorded, but the host was hit after its time: it is
    /// reinfected already.
    Reinfected,
    /// The host already holds this ack or a later one; nothing changed
    /// (replaying an ack journal is harmless).
    Stale,
}

/// One host's record. Fields are public to read; the table hands out
/// only shared references, so its indexes cannot be bypassed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Host {
    /// MAC, when known (then it is the key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac: Option<Mac>,
    /// Hostname from DHCP leases, `/etc/ethers` or hosts files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// Addresses seen, newest first, at most [`ADDRS_PER_HOST`].
    #[serde(deserialize_with = "exact")]
    pub addrs: Vec<SeenAddr>,
    /// Addresses forgotten because the list was full.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub addrs_dropped: u64,
    /// First hit, unix seconds.
    pub first_seen: u64,
    /// Last hit, unix seconds.
    pub last_seen: u64,
    /// Blocked packets counted.
    pub ip_hits: u64,
    /// Some packets of this host may not have been logged (NFLOG is rate
    /// limited): `ip_hits` is a lower bound.
    #[serde(default, skip_serializing_if = "is_false")]
    pub ip_hits_lower_bound: bool,
    /// Blocked queries counted.
    pub dns_hits: u64,
    /// Indicators hit, in order of first hit, at most [`INDICATORS_PER_HOST`].
    #[serde(deserialize_with = "exact")]
    pub indicators: Vec<IndicatorHits>,
    /// Hits on indicators beyond the kept ones.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub other_hits: u64,
    /// Destination ports hit, in order of first hit, at most [`PORTS_PER_HOST`].
    #[serde(default, skip_serializing_if = "Vec::is_empty", deserialize_with = "exact")]
    pub ports: Vec<PortHits>,
    /// Hits on ports beyond the kept ones.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub other_port_hits: u64,
    /// Remediation state.
    #[serde(flatten)]
    pub state: State,
    /// Times it went from acknowledged to reinfected.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub reinfections: u32,
    /// When the host's user last confirmed the notice page ("I
    /// understand"), unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notified_at: Option<u64>,
}

/// A list read from a snapshot, trimmed to its length as soon as it is
/// read: serde_json gives every list at least 4 slots, which for 4096
/// hosts was ~1.2 MB of empty feed slots alone. Trimming each list at
/// once (not the whole table afterwards) lets the next list reuse the
/// freed block instead of leaving it as a hole in the heap.
fn exact<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    let mut v = Vec::<T>::deserialize(d)?;
    v.shrink_to_fit();
    Ok(v)
}

/// [`exact`] for a boxed slice.
fn exact_boxed<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Box<[T]>, D::Error> {
    Vec::<T>::deserialize(d).map(Vec::into_boxed_slice)
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_zero<T: Default + PartialEq>(n: &T) -> bool {
    *n == T::default()
}

/// What [`Host::see_addr`] did with an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AddrChange {
    /// Already in the list.
    Known,
    /// Added; the oldest address was forgotten to make room.
    Added(Option<IpAddr>),
}

impl Host {
    /// A host first hit at `t` from `addr` (canonical).
    pub(crate) fn new(mac: Option<Mac>, addr: IpAddr, t: u64) -> Host {
        Host {
            mac,
            hostname: None,
            addrs: vec![SeenAddr { addr, last_seen: t }],
            addrs_dropped: 0,
            first_seen: t,
            last_seen: t,
            ip_hits: 0,
            ip_hits_lower_bound: false,
            dns_hits: 0,
            indicators: Vec::new(),
            other_hits: 0,
            ports: Vec::new(),
            other_port_hits: 0,
            state: State::Infected,
            reinfections: 0,
            notified_at: None,
        }
    }

    /// The key the table files it under.
    pub fn key(&self) -> HostKey {
        match self.mac {
            Some(m) => HostKey::Mac(m),
            // Never empty by the invariant; the fallback only keeps this total.
            None => HostKey::Addr(self.address().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))),
        }
    }

    /// The most recent address.
    pub fn address(&self) -> Option<IpAddr> {
        self.addrs.first().map(|a| a.addr)
    }

    /// All hits counted (IP and DNS).
    pub fn hits(&self) -> u64 {
        self.ip_hits.saturating_add(self.dns_hits)
    }

    /// Indicators by hits (most first; ties: most recent, then by name).
    pub fn indicators_by_hits(&self) -> Vec<&IndicatorHits> {
        let mut v: Vec<&IndicatorHits> = self.indicators.iter().collect();
        v.sort_by(|a, b| {
            b.hits
                .cmp(&a.hits)
                .then(b.last_seen.cmp(&a.last_seen))
                .then(a.listed.cmp(&b.listed))
        });
        v
    }

    /// Whether the notice page is due for this host's user at `now`: the
    /// admin has not acknowledged it (infected or re-infected), and the
    /// user either never confirmed the notice or confirmed it more than
    /// `snooze` seconds ago and the host was hit again after that period
    /// (it keeps beaconing: the warning comes back).
    pub fn notice_due(&self, now: u64, snooze: u64) -> bool {
        if self.state.kind() == StateKind::Acknowledged {
            return false;
        }
        match self.notified_at {
            None => true,
            Some(t) => {
                let until = t.saturating_add(snooze);
                now >= until && self.last_seen >= until
            }
        }
    }

    /// The indicator hit most.
    pub fn top_indicator(&self) -> Option<&IndicatorHits> {
        self.indicators_by_hits().into_iter().next()
    }

    /// Ports by hits (most first; ties by protocol and port).
    pub fn ports_by_hits(&self) -> Vec<&PortHits> {
        let mut v: Vec<&PortHits> = self.ports.iter().collect();
        v.sort_by(|a, b| {
            b.hits
                .cmp(&a.hits)
                .then(a.proto.cmp(&b.proto))
                .then(a.port.cmp(&b.port))
        });
        v
    }

    /// Eviction class: lower goes first. Identity first (a host known by
    /// address alone is what a spoofed-source flood creates, so such a
    /// flood churns among its own entries), then remediation value (a
    /// quiet acknowledged host is handled; an unhandled infection is not;
    /// a reinfection is the most important thing the table knows).
    pub(crate) fn evict_class(&self) -> u8 {
        match (&self.state, self.mac) {
            (State::Reinfected { .. }, _) => 3,
            (_, None) => 0,
            (State::Acknowledged { .. }, Some(_)) => 1,
            (State::Infected, Some(_)) => 2,
        }
    }

    /// Notes that the host used `addr` at `t`; keeps the list newest
    /// first and bounded.
    pub(crate) fn see_addr(&mut self, addr: IpAddr, t: u64) -> AddrChange {
        if let Some(i) = self.addrs.iter().position(|a| a.addr == addr) {
            if t > self.addrs[i].last_seen {
                self.addrs[i].last_seen = t;
                // Newest first: only this entry can be out of place.
                let mut j = i;
                while j > 0 && self.addrs[j - 1].last_seen < self.addrs[j].last_seen {
                    self.addrs.swap(j - 1, j);
                    j -= 1;
                }
            }
            return AddrChange::Known;
        }
        let dropped = if self.addrs.len() >= ADDRS_PER_HOST {
            self.addrs_dropped += 1;
            self.addrs.pop().map(|a| a.addr)
        } else {
            None
        };
        let at = self
            .addrs
            .iter()
            .position(|a| a.last_seen <= t)
            .unwrap_or(self.addrs.len());
        self.addrs.insert(at, SeenAddr { addr, last_seen: t });
        AddrChange::Added(dropped)
    }

    /// Counts hit `e` at `t` (already clamped by the table). Returns true
    /// when it turned an acknowledged host into a reinfected one.
    pub(crate) fn record_hit(&mut self, e: &Event, t: u64) -> bool {
        self.first_seen = self.first_seen.min(t);
        self.last_seen = self.last_seen.max(t);
        match &e.hit {
            Hit::Ip(h) => {
                self.ip_hits = self.ip_hits.saturating_add(1);
                if let Some(p) = h.dport {
                    self.count_port(h.proto, p, 1);
                }
            }
            Hit::Dns(_) => self.dns_hits = self.dns_hits.saturating_add(1),
        }
        self.count_indicator(&e.listed, e.kind(), &e.feeds, t);
        self.hit_at(t)
    }

    /// The state machine's reaction to a hit at `t`.
    fn hit_at(&mut self, t: u64) -> bool {
        match &mut self.state {
            State::Acknowledged { ack_at, note } if t > *ack_at => {
                let (ack_at, note) = (*ack_at, std::mem::take(note));
                self.state = State::Reinfected {
                    ack_at,
                    note,
                    reinfected_at: t,
                };
                self.reinfections = self.reinfections.saturating_add(1);
                true
            }
            // A late event (queued before a newer one was recorded) can
            // move the reinfection earlier, never before the ack.
            State::Reinfected {
                ack_at,
                reinfected_at,
                ..
            } if t > *ack_at && t < *reinfected_at => {
                *reinfected_at = t;
                false
            }
            _ => false,
        }
    }

    fn count_indicator(&mut self, listed: &str, kind: Kind, feeds: &[String], t: u64) {
        // Compare before allocating: the common case is a known indicator
        // hit again, which costs no allocation at all.
        let listed = clean(listed, LISTED_MAX);
        if let Some(i) = self.indicators.iter_mut().find(|i| *i.listed == *listed) {
            i.hits = i.hits.saturating_add(1);
            i.first_seen = i.first_seen.min(t);
            i.last_seen = i.last_seen.max(t);
            for f in feeds {
                add_feed(i, f);
            }
            return;
        }
        if self.indicators.len() >= INDICATORS_PER_HOST {
            self.other_hits = self.other_hits.saturating_add(1);
            return;
        }
        let mut i = IndicatorHits {
            listed: listed.into(),
            kind,
            hits: 1,
            feeds: Box::default(),
            more_feeds: false,
            first_seen: t,
            last_seen: t,
        };
        for f in feeds {
            add_feed(&mut i, f);
        }
        self.indicators.push(i);
    }

    fn count_port(&mut self, proto: Proto, port: u16, n: u64) {
        if let Some(p) = self.ports.iter_mut().find(|p| p.port == port && p.proto == proto) {
            p.hits = p.hits.saturating_add(n);
        } else if self.ports.len() < PORTS_PER_HOST {
            self.ports.push(PortHits { proto, port, hits: n });
        } else {
            self.other_port_hits = self.other_port_hits.saturating_add(n);
        }
    }

    /// Records the admin's ack at `at`. Monotonic: an ack older than (or
    /// as old as) the one held changes nothing, so acks can be replayed
    /// in any order and the newest wins.
    pub(crate) fn apply_ack(&mut self, at: u64, note: &str) -> AckOutcome {
        if self.state.ack_at().is_some_and(|held| held >= at) {
            return AckOutcome::Stale;
        }
        let note = clean(note, NOTE_MAX).into_owned();
        if self.last_seen > at {
            // Hit after the ack's time (an ack replayed from the journal
            // after newer hits were recorded). The first hit after `at`
            // is not known; the last one is the earliest we can prove.
            self.state = State::Reinfected {
                ack_at: at,
                note,
                reinfected_at: self.last_seen,
            };
            self.reinfections = self.reinfections.saturating_add(1);
            AckOutcome::Reinfected
        } else {
            self.state = State::Acknowledged { ack_at: at, note };
            AckOutcome::Acknowledged
        }
    }

    /// Folds `other` (the same machine, filed under another key) into this
    /// host. Returns the addresses that no longer fit.
    pub(crate) fn absorb(&mut self, other: Host) -> Vec<IpAddr> {
        let (state, extra) = merged_state(self, &other);
        self.state = state;
        self.reinfections = self
            .reinfections
            .saturating_add(other.reinfections)
            .saturating_add(extra);
        if self.hostname.is_none() {
            self.hostname = other.hostname;
        }
        for a in other.addrs {
            match self.addrs.iter_mut().find(|s| s.addr == a.addr) {
                Some(s) => s.last_seen = s.last_seen.max(a.last_seen),
                None => self.addrs.push(a),
            }
        }
        // Stable: among equal times the host's own addresses stay first.
        self.addrs.sort_by_key(|a| std::cmp::Reverse(a.last_seen));
        let dropped: Vec<IpAddr> = self
            .addrs
            .drain(self.addrs.len().min(ADDRS_PER_HOST)..)
            .map(|a| a.addr)
            .collect();
        self.addrs_dropped = self
            .addrs_dropped
            .saturating_add(other.addrs_dropped)
            .saturating_add(dropped.len() as u64);
        self.first_seen = self.first_seen.min(other.first_seen);
        self.last_seen = self.last_seen.max(other.last_seen);
        self.ip_hits = self.ip_hits.saturating_add(other.ip_hits);
        self.ip_hits_lower_bound |= other.ip_hits_lower_bound;
        self.dns_hits = self.dns_hits.saturating_add(other.dns_hits);
        for o in other.indicators {
            if let Some(i) = self.indicators.iter_mut().find(|i| i.listed == o.listed) {
                i.hits = i.hits.saturating_add(o.hits);
                i.first_seen = i.first_seen.min(o.first_seen);
                i.last_seen = i.last_seen.max(o.last_seen);
                i.more_feeds |= o.more_feeds;
                for f in &o.feeds {
                    add_feed(i, f);
                }
            } else if self.indicators.len() < INDICATORS_PER_HOST {
                self.indicators.push(o);
            } else {
                self.other_hits = self.other_hits.saturating_add(o.hits);
            }
        }
        self.other_hits = self.other_hits.saturating_add(other.other_hits);
        for p in other.ports {
            self.count_port(p.proto, p.port, p.hits);
        }
        self.other_port_hits = self.other_port_hits.saturating_add(other.other_port_hits);
        dropped
    }

    /// Checks and repairs a host read from a snapshot: strings cleaned,
    /// lists cut to their bounds (overflow counted); a host that breaks
    /// an invariant that cannot be repaired is refused with the reason.
    pub(crate) fn check(&mut self) -> Result<(), &'static str> {
        if self.addrs.is_empty() {
            return Err("no address");
        }
        if self.mac.is_none() && self.addrs.len() != 1 {
            return Err("a host without MAC must have exactly one address");
        }
        if self.first_seen > self.last_seen {
            return Err("first seen after last seen");
        }
        for (i, a) in self.addrs.iter().enumerate() {
            if a.addr != a.addr.to_canonical() {
                return Err("address not canonical");
            }
            if self.addrs[..i].iter().any(|b| b.addr == a.addr) {
                return Err("duplicate address");
            }
        }
        if let State::Reinfected {
            ack_at,
            reinfected_at,
            ..
        } = self.state
        {
            if reinfected_at <= ack_at {
                return Err("reinfected before it was acknowledged");
            }
        }
        self.addrs.sort_by_key(|a| std::cmp::Reverse(a.last_seen));
        if self.addrs.len() > ADDRS_PER_HOST {
            self.addrs_dropped = self
                .addrs_dropped
                .saturating_add((self.addrs.len() - ADDRS_PER_HOST) as u64);
            self.addrs.truncate(ADDRS_PER_HOST);
        }
        if let Some(h) = &self.hostname {
            self.hostname = clean_name(h);
        }
        match &mut self.state {
            State::Infected => {}
            State::Acknowledged { note, .. } | State::Reinfected { note, .. } => {
                *note = clean(note, NOTE_MAX).into_owned();
            }
        }
        for i in self
            .indicators
            .drain(self.indicators.len().min(INDICATORS_PER_HOST)..)
        {
            self.other_hits = self.other_hits.saturating_add(i.hits);
        }
        for i in &mut self.indicators {
            if let Cow::Owned(c) = clean(&i.listed, LISTED_MAX) {
                i.listed = c.into();
            }
            if i.feeds.len() > FEEDS_PER_INDICATOR {
                i.feeds = i.feeds[..FEEDS_PER_INDICATOR].into();
                i.more_feeds = true;
            }
            for f in &mut i.feeds {
                // Borrowed (already clean, the normal case): keep the
                // shared name as it is.
                if let Cow::Owned(c) = clean(f, FEED_MAX) {
                    *f = FeedName::from(c);
                }
            }
        }
        for p in self.ports.drain(self.ports.len().min(PORTS_PER_HOST)..) {
            self.other_port_hits = self.other_port_hits.saturating_add(p.hits);
        }
        Ok(())
    }
}

fn add_feed(i: &mut IndicatorHits, feed: &str) {
    let feed = clean(feed, FEED_MAX);
    if feed.is_empty() || i.feeds.iter().any(|f| *f == *feed) {
        return;
    }
    if i.feeds.len() < FEEDS_PER_INDICATOR {
        // Rebuilt at its exact length (at most FEEDS_PER_INDICATOR times
        // per indicator): with the capacity reserved up front,
        // `into_boxed_slice` does not reallocate.
        let mut v = Vec::with_capacity(i.feeds.len() + 1);
        v.extend(std::mem::take(&mut i.feeds).into_vec());
        v.push(FeedName::new(&feed));
        i.feeds = v.into_boxed_slice();
    } else {
        i.more_feeds = true;
    }
}

/// The state of two records of one machine, and how many reinfections
/// the merge itself reveals. The newer ack wins; the merged host is
/// reinfected when either record was hit after that ack. When the other
/// record's first hit after the ack is not known exactly, its last hit
/// stands in (the earliest time we can prove).
fn merged_state(a: &Host, b: &Host) -> (State, u32) {
    let (x, y) = match (a.state.ack_at(), b.state.ack_at()) {
        (None, None) => return (State::Infected, 0),
        (Some(p), Some(q)) if q > p => (b, a),
        (None, Some(_)) => (b, a),
        _ => (a, b),
    };
    let (ack_at, note, mut again) = match &x.state {
        State::Infected => return (State::Infected, 0),
        State::Acknowledged { ack_at, note } => (*ack_at, note.clone(), None),
        State::Reinfected {
            ack_at,
            note,
            reinfected_at,
        } => (*ack_at, note.clone(), Some(*reinfected_at)),
    };
    let already = again.is_some();
    if y.last_seen > ack_at {
        let first_after = if y.first_seen > ack_at {
            y.first_seen
        } else {
            match y.state {
                State::Reinfected { reinfected_at, .. } if reinfected_at > ack_at => reinfected_at,
                _ => y.last_seen,
            }
        };
        again = Some(again.map_or(first_after, |r| r.min(first_after)));
    }
    match again {
        Some(reinfected_at) => (
            State::Reinfected {
                ack_at,
                note,
                reinfected_at,
            },
            u32::from(!already),
        ),
        None => (State::Acknowledged { ack_at, note }, 0),
    }
}

/// `s` without control characters (shown as `?`), cut to `max` bytes on a
/// char boundary. Borrowed when already clean, so the hot path does not
/// allocate.
pub(crate) fn clean(s: &str, max: usize) -> Cow<'_, str> {
    if s.len() <= max && !s.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len().min(max));
    for c in s.chars() {
        let c = if c.is_control() { '?' } else { c };
        if out.len() + c.len_utf8() > max {
            break;
        }
        out.push(c);
    }
    Cow::Owned(out)
}

/// A hostname fit for a table column: trimmed, inner whitespace as `_`,
/// control characters as `?`, at most [`HOSTNAME_MAX`] bytes; `None` when
/// nothing is left. DHCP clients choose their own names, so this is
/// untrusted text.
pub(crate) fn clean_name(s: &str) -> Option<String> {
    let s: String = s
        .trim()
        .chars()
        .map(|c| if c.is_whitespace() { '_' } else { c })
        .collect();
    let s = clean(&s, HOSTNAME_MAX).into_owned();
    (!s.is_empty()).then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hosts::event::{DnsHit, IpHit};

    fn a(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn dns(t: u64, listed: &str, feed: &str) -> Event {
        Event {
            time: t,
            src: a("192.0.2.10"),
            mac: None,
            hit: Hit::Dns(DnsHit {
                name: format!("x.{listed}"),
                qtype: 1,
            }),
            listed: listed.into(),
            feeds: vec![feed.into()],
        }
    }

    fn ip(t: u64, port: u16) -> Event {
        Event {
            time: t,
            src: a("192.0.2.10"),
            mac: None,
            hit: Hit::Ip(IpHit {
                dst: a("203.0.113.5"),
                proto: Proto::Tcp,
                dport: Some(port),
                iif: None,
                oif: None,
            }),
            listed: "203.0.113.0/24".into(),
            feeds: vec!["campaign".into()],
        }
    }

    #[test]
    fn addresses_stay_newest_first_and_bounded() {
        let mut h = Host::new(Some(Mac([2, 0, 0, 0, 0, 1])), a("10.0.0.1"), 100);
        assert_eq!(h.see_addr(a("10.0.0.2"), 110), AddrChange::Added(None));
        assert_eq!(h.see_addr(a("10.0.0.3"), 105), AddrChange::Added(None));
        let order = |h: &Host| h.addrs.iter().map(|s| s.addr.to_string()).collect::<Vec<_>>();
        assert_eq!(order(&h), ["10.0.0.2", "10.0.0.3", "10.0.0.1"]);
        assert_eq!(h.see_addr(a("10.0.0.1"), 120), AddrChange::Known);
        assert_eq!(order(&h), ["10.0.0.1", "10.0.0.2", "10.0.0.3"]);
        for i in 10..30u8 {
            h.see_addr(IpAddr::from([10, 0, 1, i]), 200 + u64::from(i));
        }
        assert_eq!(h.addrs.len(), ADDRS_PER_HOST);
        assert_eq!(h.addrs_dropped, 7);
        assert_eq!(h.address(), Some(a("10.0.1.29")));
        assert_eq!(h.addrs.last().unwrap().addr, a("10.0.1.14"));
    }

    #[test]
    fn indicators_ports_and_feeds_are_bounded_with_overflow_counted() {
        let mut h = Host::new(None, a("192.0.2.10"), 1);
        for i in 0..(INDICATORS_PER_HOST + 5) {
            h.record_hit(&dns(1, &format!("d{i}.example"), "f"), 1);
        }
        h.record_hit(&dns(2, "d0.example", "g"), 2);
        assert_eq!(h.indicators.len(), INDICATORS_PER_HOST);
        assert_eq!(h.other_hits, 5);
        assert_eq!(h.dns_hits, INDICATORS_PER_HOST as u64 + 6);
        let top = h.top_indicator().unwrap();
        assert_eq!((&*top.listed, top.hits), ("d0.example", 2));
        assert_eq!(*top.feeds, ["f", "g"]);
        for f in ["h", "i", "j", "g"] {
            h.record_hit(&dns(3, "d0.example", f), 3);
        }
        let d0 = &h.indicators[0];
        assert_eq!(*d0.feeds, ["f", "g", "h", "i"]);
        assert!(d0.more_feeds);
        for p in 0..(PORTS_PER_HOST as u16 + 3) {
            h.record_hit(&ip(4, 1000 + p), 4);
        }
        h.record_hit(&ip(4, 1000), 4);
        assert_eq!(h.ports.len(), PORTS_PER_HOST);
        assert_eq!(h.other_port_hits, 3);
        assert_eq!(h.ports_by_hits()[0].port, 1000);
        assert_eq!(h.ports_by_hits()[0].hits, 2);
        assert_eq!(h.ip_hits, PORTS_PER_HOST as u64 + 4);
    }

    #[test]
    fn untrusted_strings_are_cleaned_and_cut() {
        let mut h = Host::new(None, a("192.0.2.10"), 1);
        let mut e = dns(1, "evil\x1b.example", &"f".repeat(100));
        h.record_hit(&e, 1);
        assert_eq!(&*h.indicators[0].listed, "evil?.example");
        assert_eq!(h.indicators[0].feeds[0].len(), FEED_MAX);
        // The same dirty indicator is recognised again, not added twice.
        h.record_hit(&e, 2);
        assert_eq!(h.indicators.len(), 1);
        e.listed = "é".repeat(200);
        h.record_hit(&e, 3);
        assert_eq!(h.indicators[1].listed.len(), 252);
        assert_eq!(clean_name("  my laptop\n "), Some("my_laptop".into()));
        assert_eq!(clean_name(" \t"), None);
        assert_eq!(clean_name(&"x".repeat(99)).unwrap().len(), HOSTNAME_MAX);
    }

    #[test]
    fn state_machine_with_times() {
        let mut h = Host::new(None, a("192.0.2.10"), 100);
        assert!(!h.record_hit(&dns(100, "evil.example", "f"), 100));
        assert_eq!(h.state, State::Infected);
        assert_eq!(h.apply_ack(200, "reimaged"), AckOutcome::Acknowledged);
        // A hit stamped at the ack's second or before it was in flight.
        assert!(!h.record_hit(&dns(200, "evil.example", "f"), 200));
        assert_eq!(h.state.kind(), StateKind::Acknowledged);
        assert!(h.record_hit(&dns(300, "evil.example", "f"), 300));
        assert_eq!(
            h.state,
            State::Reinfected {
                ack_at: 200,
                note: "reimaged".into(),
                reinfected_at: 300
            }
        );
        assert!(!h.record_hit(&dns(400, "evil.example", "f"), 400));
        // A late event moves the reinfection earlier, but not before the ack.
        assert!(!h.record_hit(&dns(250, "evil.example", "f"), 250));
        assert!(!h.record_hit(&dns(150, "evil.example", "f"), 150));
        assert_eq!(
            h.state,
            State::Reinfected {
                ack_at: 200,
                note: "reimaged".into(),
                reinfected_at: 250
            }
        );
        assert_eq!(h.reinfections, 1);
        // Replaying the old ack changes nothing; a new one re-acknowledges.
        assert_eq!(h.apply_ack(200, "reimaged"), AckOutcome::Stale);
        assert_eq!(h.apply_ack(500, "again\x07"), AckOutcome::Acknowledged);
        assert_eq!(h.state.note(), Some("again?"));
        assert!(h.record_hit(&dns(600, "evil.example", "f"), 600));
        assert_eq!(h.reinfections, 2);
        // An ack older than the last hit records the ack but is reinfected.
        let mut g = Host::new(None, a("192.0.2.11"), 100);
        g.record_hit(&dns(700, "evil.example", "f"), 700);
        assert_eq!(g.apply_ack(650, "late"), AckOutcome::Reinfected);
        assert_eq!(g.state.kind(), StateKind::Reinfected);
        assert_eq!(g.first_seen, 100);
    }

    #[test]
    fn merged_states() {
        let at = |first, last, state: State| {
            let mut h = Host::new(None, a("192.0.2.1"), first);
            h.last_seen = last;
            h.state = state;
            h
        };
        let ack = |t: u64| State::Acknowledged {
            ack_at: t,
            note: format!("n{t}"),
        };
        let re = |t: u64, r: u64| State::Reinfected {
            ack_at: t,
            note: format!("n{t}"),
            reinfected_at: r,
        };
        let cases = [
            (State::Infected, State::Infected, State::Infected, 0),
            // All the other record's hits are older than the ack: cleaned.
            (ack(50), State::Infected, ack(50), 0),
            (State::Infected, ack(50), ack(50), 0),
            // The other record was hit after the ack.
            (ack(15), State::Infected, re(15, 30), 1),
            (ack(5), State::Infected, re(5, 10), 1),
            // The newer ack wins.
            (ack(40), ack(45), ack(45), 0),
            (re(20, 25), ack(45), ack(45), 0),
            // The other record's own reinfection is the first hit after the ack.
            (ack(20), re(15, 25), re(20, 25), 1),
            (re(8, 9), ack(7), re(8, 9), 0),
            (re(8, 12), ack(7), re(8, 10), 0),
        ];
        for (i, (sa, sb, want, extra)) in cases.into_iter().enumerate() {
            let ha = at(10, 30, sa);
            let hb = at(10, 30, sb);
            assert_eq!(merged_state(&ha, &hb), (want, extra), "case {i}");
        }
    }

    #[test]
    fn absorb_sums_and_bounds() {
        let m = Mac([2, 0, 0, 0, 0, 1]);
        let mut h = Host::new(Some(m), a("10.0.0.1"), 100);
        h.record_hit(&ip(100, 443), 100);
        let mut o = Host::new(None, a("10.0.0.2"), 50);
        o.hostname = Some("laptop".into());
        o.record_hit(&ip(50, 443), 50);
        o.record_hit(&dns(60, "evil.example", "g"), 60);
        o.ip_hits_lower_bound = true;
        let dropped = h.absorb(o);
        assert!(dropped.is_empty());
        assert_eq!(h.hostname.as_deref(), Some("laptop"));
        assert_eq!((h.first_seen, h.last_seen), (50, 100));
        assert_eq!((h.ip_hits, h.dns_hits), (2, 1));
        assert!(h.ip_hits_lower_bound);
        assert_eq!(h.indicators[0].hits, 2);
        assert_eq!(h.indicators[0].first_seen, 50);
        assert_eq!(
            h.ports,
            [PortHits {
                proto: Proto::Tcp,
                port: 443,
                hits: 2
            }]
        );
        assert_eq!(h.address(), Some(a("10.0.0.1")));
        assert_eq!(h.addrs.len(), 2);
        assert_eq!(h.key(), HostKey::Mac(m));
        // Overflowing addresses come back so the table can unindex them.
        let mut big = Host::new(Some(m), a("10.1.0.0"), 1);
        for i in 1..ADDRS_PER_HOST as u8 {
            big.see_addr(IpAddr::from([10, 1, 0, i]), 1 + u64::from(i));
        }
        let dropped = big.absorb(Host::new(None, a("10.2.0.0"), 0));
        assert_eq!(dropped, [a("10.2.0.0")]);
        assert_eq!(big.addrs_dropped, 1);
    }

    #[test]
    fn the_notice_is_due_until_read_and_comes_back_only_with_new_hits_after_the_snooze() {
        let day = 86_400;
        let mut h = Host::new(Some(Mac([2, 0, 0, 0, 0, 1])), a("192.0.2.1"), 100);
        assert!(h.notice_due(100, day), "a fresh infection is due");
        h.notified_at = Some(200);
        assert!(!h.notice_due(300, day), "read: quiet during the snooze");
        h.last_seen = 250;
        assert!(
            !h.notice_due(200 + day + 1, day),
            "no hit after the snooze: still quiet"
        );
        h.last_seen = 200 + day;
        assert!(
            h.notice_due(200 + day, day),
            "beaconing after the snooze: due again"
        );
        h.apply_ack(300 + day, "cleaned");
        assert!(
            !h.notice_due(400 + day, day),
            "acknowledged by the admin: never due"
        );
        h.last_seen = 500 + day;
        h.state = State::Reinfected {
            ack_at: 300 + day,
            note: "cleaned".into(),
            reinfected_at: 500 + day,
        };
        assert!(
            h.notice_due(500 + day, day),
            "re-infected long after the last read: due"
        );
    }

    #[test]
    fn check_repairs_or_refuses() {
        let mut h = Host::new(None, a("192.0.2.1"), 10);
        assert_eq!(h.check(), Ok(()));
        h.addrs.push(SeenAddr {
            addr: a("192.0.2.2"),
            last_seen: 1,
        });
        assert!(h.check().is_err());
        let mut h = Host::new(Some(Mac([2, 0, 0, 0, 0, 1])), a("::ffff:192.0.2.1"), 10);
        assert_eq!(h.check(), Err("address not canonical"));
        let mut h = Host::new(Some(Mac([2, 0, 0, 0, 0, 1])), a("192.0.2.1"), 10);
        h.first_seen = 11;
        assert!(h.check().is_err());
        let mut h = Host::new(Some(Mac([2, 0, 0, 0, 0, 1])), a("192.0.2.1"), 10);
        for i in 0..40 {
            h.indicators.push(IndicatorHits {
                listed: format!("d{i}\n").into(),
                kind: Kind::Dns,
                hits: 2,
                feeds: vec!["a".into(); 6].into(),
                more_feeds: false,
                first_seen: 10,
                last_seen: 10,
            });
        }
        h.hostname = Some("bad name\x1b".into());
        assert_eq!(h.check(), Ok(()));
        assert_eq!(h.indicators.len(), INDICATORS_PER_HOST);
        assert_eq!(h.other_hits, 16);
        assert_eq!(&*h.indicators[0].listed, "d0?");
        assert_eq!(h.indicators[0].feeds.len(), FEEDS_PER_INDICATOR);
        assert!(h.indicators[0].more_feeds);
        assert_eq!(h.hostname.as_deref(), Some("bad_name?"));
    }

    #[test]
    fn state_names() {
        for k in [
            StateKind::Infected,
            StateKind::Acknowledged,
            StateKind::Reinfected,
        ] {
            assert_eq!(k.to_string().parse::<StateKind>(), Ok(k));
        }
        assert_eq!("ACKED".parse::<StateKind>(), Ok(StateKind::Acknowledged));
        assert!("cured".parse::<StateKind>().is_err());
    }
}
