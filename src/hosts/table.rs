//! The bounded host table: every internal host that hit a listed
//! indicator, filed by MAC when known, else by address; events go in
//! ([`HostTable::record`]), the admin's acks go in ([`HostTable::apply_ack`]),
//! enrichment names the hosts ([`HostTable::enrich`]).
//!
//! Invariants:
//! - at most `capacity` hosts, whatever arrives: a new host beyond it
//!   evicts one (counted, and reported in the [`RecordOutcome`]). Victim:
//!   the lowest eviction class, then the longest unseen. Classes, first
//!   evicted first: hosts known by address only (what a flood of spoofed
//!   sources creates — so such a flood churns among its own entries
//!   instead of flushing the table), quiet acknowledged MAC hosts (already
//!   handled), infected MAC hosts, and last any reinfected host (the
//!   cleaning failed: the thing the admin most needs to see). Each host
//!   and each index is bounded, so memory depends on the number of hosts,
//!   never on the number of events;
//! - one machine, one record: an event that brings a MAC for an address
//!   filed alone folds that record into the MAC's ([`Change`] tells the
//!   caller, `merged` names the old key); `by_addr` maps an address to the
//!   host that used it most recently, and an address-only host is always
//!   the owner of its address;
//! - time is a parameter: event times are clamped to `now`, so a bogus
//!   future timestamp cannot pin a host against eviction or expiry;
//! - a known host hit again costs hash lookups and counter updates, no
//!   allocation; the eviction order (a `BTreeSet`) is touched only when a
//!   host's class or last-seen second changes;
//! - `generation` changes on every change of content, so the daemon
//!   writes a snapshot only when there is something new.
//!
//! Logging contract: [`Change::NewHost`] and [`Change::Reinfected`] happen
//! once per host per episode; the daemon logs those, never every event.
//!
//! Acks from the CLI: the CLI appends an [`Ack`] to a journal and sends it
//! to the daemon, which applies it to the table it holds; the CLI never
//! rewrites the daemon's snapshot, so a later snapshot cannot drop it. On
//! start the daemon loads its snapshot, then replays the journal.
//! [`HostTable::apply_ack`] is idempotent and monotonic (an ack no newer
//! than the one held changes nothing), so replaying any number of times,
//! in any order, gives the same table; the journal may be trimmed of
//! acks that a written snapshot already holds (they come back `Stale`)
//! or whose host is gone (`UnknownHost`), and should be, so that an old
//! ack is not replayed onto a later machine with the same address.

use super::enrich::Enrichment;
use super::event::Event;
use super::host::{clean_name, AckOutcome, AddrChange, Host, StateKind};
use super::mac::{HostKey, Mac};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;

/// Hosts kept when the config does not say (`host_capacity`).
pub const DEFAULT_CAPACITY: usize = 4096;

/// What an event did to the table, for the caller's one log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// A host not in the table: a new infection to report.
    NewHost,
    /// An acknowledged host hit again: a re-infection to report.
    Reinfected,
    /// Counters of a known host; nothing to log.
    Updated,
}

/// A host evicted to make room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Evicted {
    /// Its key.
    pub key: HostKey,
    /// When it was last seen.
    pub last_seen: u64,
    /// Its state when evicted.
    pub state: StateKind,
}

/// The result of [`HostTable::record`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordOutcome {
    /// The host the event was counted for.
    pub key: HostKey,
    /// What to report.
    pub change: Change,
    /// An address-only record folded into this MAC host by this event.
    pub merged: Option<HostKey>,
    /// A host evicted to make room for this one.
    pub evicted: Option<Evicted>,
}

/// An admin's "this host is cleaned" — a value, so it can be journaled,
/// sent over the control socket and replayed (one JSON line:
/// `{"key":"02:00:00:00:00:0a","at":1764370000,"note":"reimaged"}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ack {
    /// The host, as resolved by the CLI.
    pub key: HostKey,
    /// When the admin acknowledged it, unix seconds.
    pub at: u64,
    /// The admin's note.
    #[serde(default)]
    pub note: String,
}

impl Ack {
    /// The journal line, without the newline.
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The acks of a journal text, and the number of lines that were not
/// acks (a torn last line after a crash is expected; they are skipped).
pub fn parse_acks(text: &str) -> (Vec<Ack>, usize) {
    let mut bad = 0;
    let acks = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| {
            let a = serde_json::from_str(l).ok();
            bad += usize::from(a.is_none());
            a
        })
        .collect();
    (acks, bad)
}

/// A table operation on a host that is not there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TableError {
    /// No host under this key (expired, evicted or never seen).
    #[error("no host {0} in the host table")]
    UnknownHost(HostKey),
}

/// Counters for status output and footers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TableStats {
    /// Hosts held.
    pub hosts: usize,
    /// The bound.
    pub capacity: usize,
    /// Hosts evicted because the table was full, ever.
    pub evictions: u64,
    /// Hosts dropped by retention, ever.
    pub expired: u64,
    /// Logged packets known to be lost (rate limit, queue overflow), ever.
    pub suppressed: u64,
    /// Changes since start (not persisted).
    pub generation: u64,
}

/// Eviction rank: class, last seen, key (unique per host).
type Rank = (u8, u64, HostKey);

fn rank(h: &Host, key: HostKey) -> Rank {
    (h.evict_class(), h.last_seen, key)
}

/// The bounded table of hosts. See the module doc for its guarantees.
#[derive(Debug, Clone)]
pub struct HostTable {
    /// Boxed: a map sized for `capacity` hosts has up to twice as many
    /// slots, and a slot holding a whole `Host` (208 B) cost ~190 B per
    /// host more than a pointer does.
    hosts: HashMap<HostKey, Box<Host>>,
    by_addr: HashMap<IpAddr, HostKey>,
    order: BTreeSet<Rank>,
    capacity: usize,
    generation: u64,
    evictions: u64,
    expired: u64,
    suppressed: u64,
}

impl HostTable {
    /// An empty table of at most `capacity` hosts (at least one).
    pub fn new(capacity: usize) -> HostTable {
        HostTable {
            hosts: HashMap::new(),
            by_addr: HashMap::new(),
            order: BTreeSet::new(),
            capacity: capacity.max(1),
            generation: 0,
            evictions: 0,
            expired: 0,
            suppressed: 0,
        }
    }

    /// Counts event `e`, received at `now`.
    pub fn record(&mut self, e: &Event, now: u64) -> RecordOutcome {
        let t = e.time.min(now);
        let src = e.src.to_canonical();
        let mut owner = self.by_addr.get(&src).copied();
        let mut merged = None;
        let mut prev_state = None;
        let key = match e.mac {
            Some(m) => {
                let key = HostKey::Mac(m);
                if let Some(ak @ HostKey::Addr(a)) = owner {
                    prev_state = self
                        .hosts
                        .get(&key)
                        .or(self.hosts.get(&ak))
                        .map(|h| h.state.kind());
                    if self.fold(a, m) {
                        merged = Some(ak);
                    }
                    owner = self.by_addr.get(&src).copied();
                }
                key
            }
            None => owner.unwrap_or(HostKey::Addr(src)),
        };
        let is_new = !self.hosts.contains_key(&key);
        let evicted = if is_new && self.hosts.len() >= self.capacity {
            self.evict_one()
        } else {
            None
        };
        let host = self
            .hosts
            .entry(key)
            .or_insert_with(|| Box::new(Host::new(e.mac, src, t)));
        let before = (!is_new).then(|| rank(host, key));
        let prev = prev_state.unwrap_or(host.state.kind());
        let addr = if is_new {
            AddrChange::Added(None)
        } else {
            host.see_addr(src, t)
        };
        host.record_hit(e, t);
        let after = rank(host, key);
        let now_state = host.state.kind();

        if let AddrChange::Added(Some(d)) = addr {
            if self.by_addr.get(&d) == Some(&key) {
                self.by_addr.remove(&d);
            }
        }
        if owner != Some(key) {
            self.by_addr.insert(src, key);
        }
        if before != Some(after) {
            if let Some(b) = before {
                self.order.remove(&b);
            }
            self.order.insert(after);
        }
        self.generation += 1;
        let change = if is_new {
            Change::NewHost
        } else if now_state == StateKind::Reinfected && prev != StateKind::Reinfected {
            Change::Reinfected
        } else {
            Change::Updated
        };
        RecordOutcome {
            key,
            change,
            merged,
            evicted,
        }
    }

    /// Folds the address-only host of `addr` into the host of `mac`
    /// (re-keying it when the MAC has no host yet). False when `addr` has
    /// no address-only host.
    fn fold(&mut self, addr: IpAddr, mac: Mac) -> bool {
        let ak = HostKey::Addr(addr);
        let Some(mut a) = self.hosts.remove(&ak) else {
            return false;
        };
        self.order.remove(&rank(&a, ak));
        let mk = HostKey::Mac(mac);
        let (dropped, kept) = match self.hosts.get_mut(&mk) {
            Some(m) => {
                let before = rank(m, mk);
                let dropped = m.absorb(*a);
                let after = rank(m, mk);
                if before != after {
                    self.order.remove(&before);
                    self.order.insert(after);
                }
                let kept = m.addrs.iter().any(|s| s.addr == addr);
                (dropped, kept)
            }
            None => {
                a.mac = Some(mac);
                self.order.insert(rank(&a, mk));
                self.hosts.insert(mk, a);
                (Vec::new(), true)
            }
        };
        for d in dropped {
            if matches!(self.by_addr.get(&d), Some(k) if *k == mk || *k == ak) {
                self.by_addr.remove(&d);
            }
        }
        if kept {
            self.by_addr.insert(addr, mk);
        } else {
            self.by_addr.remove(&addr);
        }
        self.generation += 1;
        true
    }

    fn evict_one(&mut self) -> Option<Evicted> {
        let (_, last_seen, key) = self.order.pop_first()?;
        let h = self.hosts.remove(&key)?;
        self.unindex(&h, key);
        self.evictions += 1;
        Some(Evicted {
            key,
            last_seen,
            state: h.state.kind(),
        })
    }

    fn unindex(&mut self, h: &Host, key: HostKey) {
        for a in &h.addrs {
            if self.by_addr.get(&a.addr) == Some(&key) {
                self.by_addr.remove(&a.addr);
            }
        }
    }

    fn remove(&mut self, key: HostKey) -> Option<Host> {
        let h = self.hosts.remove(&key)?;
        self.order.remove(&rank(&h, key));
        self.unindex(&h, key);
        Some(*h)
    }

    /// The neighbour table or a lease says `addr` is `mac`: an address-only
    /// host of `addr` is folded into the MAC's host; an address the table
    /// gave to another MAC stops pointing there (DHCP handed it on).
    /// True when a host was folded.
    pub fn learn(&mut self, addr: IpAddr, mac: Mac) -> bool {
        let addr = addr.to_canonical();
        let mk = HostKey::Mac(mac);
        match self.by_addr.get(&addr).copied() {
            Some(HostKey::Addr(a)) => self.fold(a, mac),
            Some(k) if k != mk => {
                let listed = self
                    .hosts
                    .get(&mk)
                    .is_some_and(|h| h.addrs.iter().any(|s| s.addr == addr));
                if listed {
                    self.by_addr.insert(addr, mk);
                } else {
                    self.by_addr.remove(&addr);
                }
                false
            }
            _ => false,
        }
    }

    /// Sets a host's hostname (cleaned: see [`super::host::HOSTNAME_MAX`]).
    /// True when it changed; an empty name changes nothing.
    pub fn set_hostname(&mut self, key: &HostKey, name: &str) -> Result<bool, TableError> {
        let h = self.hosts.get_mut(key).ok_or(TableError::UnknownHost(*key))?;
        let name = clean_name(name);
        if name.is_none() || h.hostname == name {
            return Ok(false);
        }
        h.hostname = name;
        self.generation += 1;
        Ok(true)
    }

    /// Applies what the neighbour table, leases and ethers say: folds
    /// address-only hosts whose MAC is now known, and names hosts. Returns
    /// the number of hosts changed. O(hosts); call it when a source file
    /// changed, not per event.
    pub fn enrich(&mut self, en: &Enrichment) -> usize {
        let folds: Vec<(IpAddr, Mac)> = self
            .hosts
            .keys()
            .filter_map(|k| match k {
                HostKey::Addr(a) => en.mac_of(*a).map(|m| (*a, m)),
                HostKey::Mac(_) => None,
            })
            .collect();
        let mut changed = 0;
        for (a, m) in folds {
            changed += usize::from(self.fold(a, m));
        }
        for h in self.hosts.values_mut() {
            let name = en
                .hostname_for(h.mac, h.addrs.iter().map(|s| s.addr))
                .and_then(clean_name);
            if name.is_some() && h.hostname != name {
                h.hostname = name;
                changed += 1;
            }
        }
        if changed > 0 {
            self.generation += 1;
        }
        changed
    }

    /// The admin acknowledges host `key` now.
    pub fn ack(&mut self, key: &HostKey, note: &str, now: u64) -> Result<AckOutcome, TableError> {
        self.ack_at(key, now, note)
    }

    /// Applies an ack from the CLI or the journal. Idempotent and
    /// monotonic (see the module doc). Only the exact key is acked: an
    /// address key whose host is gone is `UnknownHost` even if another
    /// host now uses the address, because that may be another machine
    /// (evicted, then DHCP reuse) and acking it would hide an infection;
    /// the CLI re-resolves and retries instead.
    pub fn apply_ack(&mut self, ack: &Ack) -> Result<AckOutcome, TableError> {
        self.ack_at(&ack.key, ack.at, &ack.note)
    }

    fn ack_at(&mut self, key: &HostKey, at: u64, note: &str) -> Result<AckOutcome, TableError> {
        let k = *key;
        let h = self.hosts.get_mut(&k).ok_or(TableError::UnknownHost(k))?;
        let before = rank(h, k);
        let out = h.apply_ack(at, note);
        let after = rank(h, k);
        if before != after {
            self.order.remove(&before);
            self.order.insert(after);
        }
        if out != AckOutcome::Stale {
            self.generation += 1;
        }
        Ok(out)
    }

    /// The host's user confirmed the notice page at `at`. Later marks
    /// only: an older one (a replay) changes nothing and returns false.
    pub fn notified(&mut self, key: &HostKey, at: u64) -> Result<bool, TableError> {
        let h = self.hosts.get_mut(key).ok_or(TableError::UnknownHost(*key))?;
        if h.notified_at.is_some_and(|t| t >= at) {
            return Ok(false);
        }
        h.notified_at = Some(at);
        self.generation += 1;
        Ok(true)
    }

    /// `n` logged packets were lost since `since` (NFLOG rate limit or
    /// socket overflow, as the caller learned it): every host seen since
    /// then gets its IP count marked as a lower bound (any of them may be
    /// the one whose packets went unlogged), and the table counts `n`.
    /// Returns the hosts newly marked. O(hosts).
    pub fn note_suppressed(&mut self, n: u64, since: u64) -> usize {
        if n == 0 {
            return 0;
        }
        self.suppressed = self.suppressed.saturating_add(n);
        let mut marked = 0;
        for h in self.hosts.values_mut() {
            if h.last_seen >= since && !h.ip_hits_lower_bound {
                h.ip_hits_lower_bound = true;
                marked += 1;
            }
        }
        self.generation += 1;
        marked
    }

    /// Marks one host's IP count as a lower bound.
    pub fn mark_lower_bound(&mut self, key: &HostKey) -> Result<(), TableError> {
        let h = self.hosts.get_mut(key).ok_or(TableError::UnknownHost(*key))?;
        if !h.ip_hits_lower_bound {
            h.ip_hits_lower_bound = true;
            self.generation += 1;
        }
        Ok(())
    }

    /// Drops hosts not seen for more than `retention_secs` before `now`.
    /// Returns how many. O(hosts).
    pub fn expire(&mut self, now: u64, retention_secs: u64) -> usize {
        let cutoff = now.saturating_sub(retention_secs);
        let old: Vec<HostKey> = self
            .order
            .iter()
            .filter(|(_, last, _)| *last < cutoff)
            .map(|(_, _, k)| *k)
            .collect();
        for k in &old {
            self.remove(*k);
        }
        if !old.is_empty() {
            self.expired += old.len() as u64;
            self.generation += 1;
        }
        old.len()
    }

    /// Changes the bound (config reload); evicts down to it. Returns the
    /// hosts evicted.
    pub fn set_capacity(&mut self, capacity: usize) -> Vec<Evicted> {
        self.capacity = capacity.max(1);
        let mut out = Vec::new();
        while self.hosts.len() > self.capacity {
            match self.evict_one() {
                Some(e) => out.push(e),
                None => break,
            }
        }
        if !out.is_empty() {
            self.generation += 1;
        }
        out
    }

    /// The host under `key`.
    pub fn get(&self, key: &HostKey) -> Option<&Host> {
        self.hosts.get(key).map(|h| &**h)
    }

    /// The host that used `addr` most recently.
    pub fn host_of(&self, addr: IpAddr) -> Option<&Host> {
        self.by_addr
            .get(&addr.to_canonical())
            .and_then(|k| self.hosts.get(k))
            .map(|h| &**h)
    }

    /// Every host, in no particular order.
    pub fn hosts(&self) -> impl Iterator<Item = &Host> + '_ {
        self.hosts.values().map(|h| &**h)
    }

    /// Hosts held.
    pub fn len(&self) -> usize {
        self.hosts.len()
    }

    /// True when no host is held.
    pub fn is_empty(&self) -> bool {
        self.hosts.is_empty()
    }

    /// The bound.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Changes so far; compare with the value at the last snapshot.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Counters for status and footers.
    pub fn stats(&self) -> TableStats {
        TableStats {
            hosts: self.hosts.len(),
            capacity: self.capacity,
            evictions: self.evictions,
            expired: self.expired,
            suppressed: self.suppressed,
            generation: self.generation,
        }
    }

    /// Rebuilds a table from a snapshot's hosts and counters (see
    /// `snapshot`): each host checked and repaired, duplicates refused,
    /// then evicted down to `capacity` (counted). Errors name the host.
    pub(super) fn restore(
        capacity: usize,
        mut hosts: Vec<Host>,
        stats: TableStats,
    ) -> Result<(HostTable, usize), (String, &'static str)> {
        let mut t = HostTable::new(capacity);
        t.evictions = stats.evictions;
        t.expired = stats.expired;
        t.suppressed = stats.suppressed;
        for h in &mut hosts {
            h.check().map_err(|r| (h.key().to_string(), r))?;
        }
        // Index MAC hosts oldest first so the latest user of an address
        // owns it, then address-only hosts, which always own theirs.
        hosts.sort_by_key(|h| (h.mac.is_none(), h.last_seen));
        for h in hosts {
            let k = h.key();
            if t.hosts.contains_key(&k) {
                return Err((k.to_string(), "duplicate host"));
            }
            for a in &h.addrs {
                t.by_addr.insert(a.addr, k);
            }
            t.order.insert(rank(&h, k));
            t.hosts.insert(k, Box::new(h));
        }
        let mut dropped = 0;
        while t.hosts.len() > t.capacity && t.evict_one().is_some() {
            dropped += 1;
        }
        Ok((t, dropped))
    }

    /// Panics when an internal invariant is broken (tests only).
    #[cfg(test)]
    pub(crate) fn assert_invariants(&self) {
        use super::host::ADDRS_PER_HOST;
        assert!(self.hosts.len() <= self.capacity, "over capacity");
        assert_eq!(self.order.len(), self.hosts.len(), "order index size");
        for (k, h) in &self.hosts {
            assert_eq!(h.key(), *k, "key");
            assert!(self.order.contains(&rank(h, *k)), "{k} rank");
            assert!(h.addrs.len() <= ADDRS_PER_HOST);
            assert!(h.first_seen <= h.last_seen);
            if let HostKey::Addr(a) = k {
                assert_eq!(h.addrs.len(), 1);
                assert_eq!(self.by_addr.get(a), Some(k), "address-only host owns {a}");
            }
        }
        for (a, k) in &self.by_addr {
            let h = self.hosts.get(k).expect("by_addr points to a host");
            assert!(h.addrs.iter().any(|s| s.addr == *a), "{a} listed by {k}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hosts::event::{DnsHit, Hit};
    use crate::hosts::host::{State, ADDRS_PER_HOST};

    const M1: Mac = Mac([2, 0, 0, 0, 0, 1]);
    const M2: Mac = Mac([2, 0, 0, 0, 0, 2]);

    fn a(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn ev(t: u64, src: &str, mac: Option<Mac>) -> Event {
        crate::hosts::testutil::ip_event(t, src, mac)
    }

    fn dns(t: u64, src: &str, mac: Option<Mac>) -> Event {
        Event {
            time: t,
            src: a(src),
            mac,
            hit: Hit::Dns(DnsHit {
                name: "www.evil.example".into(),
                qtype: 1,
            }),
            listed: "evil.example".into(),
            feeds: vec!["campaign".into()],
        }
    }

    #[test]
    fn a_notice_read_is_recorded_once_and_never_moves_back() {
        let mut t = HostTable::new(16);
        t.record(&ev(100, "192.0.2.10", Some(M1)), 100);
        let g = t.generation();
        assert_eq!(t.notified(&HostKey::Mac(M1), 150), Ok(true));
        assert_eq!(t.get(&HostKey::Mac(M1)).unwrap().notified_at, Some(150));
        assert!(t.generation() > g, "a read notice is snapshotted");
        assert_eq!(t.notified(&HostKey::Mac(M1), 120), Ok(false));
        assert_eq!(t.get(&HostKey::Mac(M1)).unwrap().notified_at, Some(150));
        assert!(t.notified(&HostKey::Mac(M2), 150).is_err());
        t.assert_invariants();
    }

    #[test]
    fn one_log_line_per_new_host_not_per_event() {
        let mut t = HostTable::new(16);
        let o = t.record(&ev(100, "192.0.2.10", Some(M1)), 100);
        assert_eq!(o.change, Change::NewHost);
        assert_eq!(o.key, HostKey::Mac(M1));
        for i in 0..100 {
            let o = t.record(&ev(100 + i, "192.0.2.10", Some(M1)), 100 + i);
            assert_eq!(o.change, Change::Updated);
            assert_eq!((o.merged, o.evicted), (None, None));
        }
        let h = t.get(&HostKey::Mac(M1)).unwrap();
        assert_eq!((h.ip_hits, h.first_seen, h.last_seen), (101, 100, 199));
        assert_eq!(t.len(), 1);
        t.assert_invariants();
    }

    #[test]
    fn address_only_host_is_merged_into_the_mac_host() {
        let mut t = HostTable::new(16);
        // Seen first without MAC (e.g. the neighbour entry had expired)...
        assert_eq!(
            t.record(&dns(100, "192.0.2.10", None), 100).change,
            Change::NewHost
        );
        t.record(&dns(110, "192.0.2.10", None), 110);
        // ...and the same machine under another address with its MAC.
        assert_eq!(
            t.record(&ev(120, "2001:db8::10", Some(M1)), 120).change,
            Change::NewHost
        );
        assert_eq!(t.len(), 2);
        // Now a packet from the first address carries the MAC: one machine.
        let o = t.record(&ev(130, "192.0.2.10", Some(M1)), 130);
        assert_eq!(o.change, Change::Updated);
        assert_eq!(o.merged, Some(HostKey::addr(a("192.0.2.10"))));
        assert_eq!(t.len(), 1);
        let h = t.get(&HostKey::Mac(M1)).unwrap();
        assert_eq!((h.ip_hits, h.dns_hits), (2, 2));
        assert_eq!((h.first_seen, h.last_seen), (100, 130));
        assert_eq!(h.address(), Some(a("192.0.2.10")));
        assert_eq!(h.addrs.len(), 2);
        assert_eq!(h.indicators.len(), 2);
        // Later MAC-less events from either address go to the MAC host.
        let o = t.record(&dns(140, "192.0.2.10", None), 140);
        assert_eq!((o.key, o.change), (HostKey::Mac(M1), Change::Updated));
        let o = t.record(&dns(141, "2001:db8::10", None), 141);
        assert_eq!(o.key, HostKey::Mac(M1));
        assert!(t.get(&HostKey::addr(a("192.0.2.10"))).is_none());
        t.assert_invariants();
    }

    #[test]
    fn address_only_host_is_rekeyed_when_its_mac_has_no_host() {
        let mut t = HostTable::new(16);
        t.record(&dns(100, "192.0.2.10", None), 100);
        t.ack(&HostKey::addr(a("192.0.2.10")), "cleaned", 150).unwrap();
        let o = t.record(&ev(200, "::ffff:192.0.2.10", Some(M1)), 200);
        // The ack carried over and the hit after it is a re-infection.
        assert_eq!(o.change, Change::Reinfected);
        assert_eq!(o.merged, Some(HostKey::addr(a("192.0.2.10"))));
        let h = t.get(&HostKey::Mac(M1)).unwrap();
        assert_eq!(h.mac, Some(M1));
        assert_eq!(h.first_seen, 100);
        assert_eq!(
            h.state,
            State::Reinfected {
                ack_at: 150,
                note: "cleaned".into(),
                reinfected_at: 200
            }
        );
        assert_eq!(t.len(), 1);
        t.assert_invariants();
    }

    #[test]
    fn learn_folds_and_unpoints_moved_addresses() {
        let mut t = HostTable::new(16);
        t.record(&dns(100, "192.0.2.10", None), 100);
        t.record(&dns(100, "192.0.2.20", Some(M2)), 100);
        assert!(t.learn(a("192.0.2.10"), M1));
        assert!(!t.learn(a("192.0.2.10"), M1), "second time: nothing to fold");
        assert_eq!(t.get(&HostKey::Mac(M1)).unwrap().dns_hits, 1);
        // DHCP gave .20 to M1: MAC-less hits from .20 no longer blame M2.
        assert!(!t.learn(a("192.0.2.20"), M1));
        assert!(t.host_of(a("192.0.2.20")).is_none());
        let o = t.record(&dns(110, "192.0.2.20", None), 110);
        assert_eq!(
            (o.key, o.change),
            (HostKey::addr(a("192.0.2.20")), Change::NewHost)
        );
        t.assert_invariants();
        assert!(t.learn(a("192.0.2.20"), M1));
        assert_eq!(t.len(), 2);
        assert_eq!(t.host_of(a("192.0.2.20")).unwrap().key(), HostKey::Mac(M1));
        t.assert_invariants();
    }

    #[test]
    fn reinfection_state_machine_through_the_table() {
        let mut t = HostTable::new(16);
        let k = HostKey::Mac(M1);
        t.record(&ev(100, "192.0.2.10", Some(M1)), 100);
        assert_eq!(
            t.ack(&HostKey::Mac(M2), "x", 150),
            Err(TableError::UnknownHost(HostKey::Mac(M2)))
        );
        assert_eq!(t.ack(&k, "reimaged", 150), Ok(AckOutcome::Acknowledged));
        // An event queued before the ack is not a re-infection.
        assert_eq!(
            t.record(&ev(149, "192.0.2.10", Some(M1)), 151).change,
            Change::Updated
        );
        assert_eq!(
            t.record(&ev(200, "192.0.2.10", Some(M1)), 200).change,
            Change::Reinfected
        );
        assert_eq!(
            t.record(&ev(201, "192.0.2.10", Some(M1)), 201).change,
            Change::Updated
        );
        assert_eq!(
            t.get(&k).unwrap().state,
            State::Reinfected {
                ack_at: 150,
                note: "reimaged".into(),
                reinfected_at: 200
            }
        );
        assert_eq!(t.ack(&k, "again", 300), Ok(AckOutcome::Acknowledged));
        assert_eq!(
            t.record(&ev(301, "192.0.2.10", Some(M1)), 301).change,
            Change::Reinfected
        );
        assert_eq!(t.get(&k).unwrap().reinfections, 2);
        t.assert_invariants();
    }

    #[test]
    fn acks_replay_idempotently_and_follow_merges() {
        let mut t = HostTable::new(16);
        t.record(&dns(100, "192.0.2.10", None), 100);
        let j = Ack {
            key: HostKey::addr(a("192.0.2.10")),
            at: 150,
            note: "wiped".into(),
        };
        let line = j.to_line();
        assert_eq!(line, r#"{"key":"192.0.2.10","at":150,"note":"wiped"}"#);
        let (acks, bad) = parse_acks(&format!("{line}\n\n{{\"key\":\"02:00\n{line}\n"));
        assert_eq!((acks.len(), bad), (2, 1));
        assert_eq!(t.apply_ack(&acks[0]), Ok(AckOutcome::Acknowledged));
        let g = t.generation();
        assert_eq!(t.apply_ack(&acks[1]), Ok(AckOutcome::Stale));
        assert_eq!(t.generation(), g, "a replay is not a change");
        // Folded into a MAC host, the ack travels with the record; an
        // ack by the old address key is refused rather than guessed.
        t.learn(a("192.0.2.10"), M1);
        assert_eq!(t.get(&HostKey::Mac(M1)).unwrap().state.ack_at(), Some(150));
        let old_key = Ack { at: 160, ..j.clone() };
        assert_eq!(
            t.apply_ack(&old_key),
            Err(TableError::UnknownHost(HostKey::addr(a("192.0.2.10"))))
        );
        let newer = Ack {
            key: HostKey::Mac(M1),
            ..old_key
        };
        assert_eq!(t.apply_ack(&newer), Ok(AckOutcome::Acknowledged));
        assert_eq!(t.get(&HostKey::Mac(M1)).unwrap().state.ack_at(), Some(160));
    }

    #[test]
    fn full_table_evicts_by_class_then_age_and_counts() {
        let mut t = HostTable::new(3);
        let m = |i: u8| Mac([2, 0, 0, 0, 0, i]);
        t.record(&ev(100, "192.0.2.1", Some(m(1))), 100); // infected MAC host, oldest
        t.record(&ev(110, "192.0.2.2", Some(m(2))), 110);
        t.record(&ev(120, "192.0.2.3", None), 120); // address only, newest
        t.ack(&HostKey::Mac(m(2)), "done", 130).unwrap();
        // Full: the address-only host goes first although it is newest.
        let o = t.record(&ev(140, "192.0.2.4", Some(m(4))), 140);
        assert_eq!(o.change, Change::NewHost);
        let e = o.evicted.unwrap();
        assert_eq!(e.key, HostKey::addr(a("192.0.2.3")));
        assert_eq!((e.last_seen, e.state), (120, StateKind::Infected));
        // Then the acknowledged one, before the older unhandled one.
        let o = t.record(&ev(150, "192.0.2.5", Some(m(5))), 150);
        assert_eq!(o.evicted.unwrap().key, HostKey::Mac(m(2)));
        // Then the longest unseen infected host.
        let o = t.record(&ev(160, "192.0.2.6", Some(m(6))), 160);
        assert_eq!(o.evicted.unwrap().key, HostKey::Mac(m(1)));
        assert_eq!(t.stats().evictions, 3);
        assert_eq!(t.len(), 3);
        assert!(t.host_of(a("192.0.2.1")).is_none(), "evicted host unindexed");
        t.assert_invariants();
        // A reinfected host outlives newer infected ones.
        t.ack(&HostKey::Mac(m(4)), "", 170).unwrap();
        t.record(&ev(180, "192.0.2.4", Some(m(4))), 180);
        t.record(&ev(190, "192.0.2.5", Some(m(5))), 190);
        t.record(&ev(190, "192.0.2.6", Some(m(6))), 190);
        let o = t.record(&ev(200, "192.0.2.7", Some(m(7))), 200);
        assert_eq!(o.evicted.unwrap().key, HostKey::Mac(m(5)));
        assert!(t.get(&HostKey::Mac(m(4))).is_some());
        t.assert_invariants();
    }

    #[test]
    fn spoofed_source_flood_stays_bounded_and_spares_mac_hosts() {
        let cap = 64;
        let mut t = HostTable::new(cap);
        for i in 0..10u8 {
            t.record(&ev(1, &format!("192.0.2.{i}"), Some(Mac([2, 0, 0, 0, 0, i]))), 1);
        }
        for i in 0..100_000u32 {
            let src = IpAddr::from((0x0a00_0000 + i).to_be_bytes());
            let o = t.record(&ev(2 + u64::from(i), &src.to_string(), None), 2 + u64::from(i));
            assert_eq!(o.change, Change::NewHost);
        }
        assert_eq!(t.len(), cap);
        assert_eq!(t.stats().evictions, 100_000 - (cap as u64 - 10));
        for i in 0..10u8 {
            assert!(t.get(&HostKey::Mac(Mac([2, 0, 0, 0, 0, i]))).is_some());
        }
        assert!(t.by_addr.len() <= cap * ADDRS_PER_HOST);
        t.assert_invariants();
        // One machine spoofing many sources is one host with bounded addresses.
        for i in 0..1000u32 {
            let src = IpAddr::from((0x0b00_0000 + i).to_be_bytes());
            t.record(
                &ev(200_000, &src.to_string(), Some(Mac([2, 0, 0, 0, 0, 0]))),
                200_000,
            );
        }
        let h = t.get(&HostKey::Mac(Mac([2, 0, 0, 0, 0, 0]))).unwrap();
        assert_eq!(h.addrs.len(), ADDRS_PER_HOST);
        assert_eq!(h.addrs_dropped, 1001 - ADDRS_PER_HOST as u64);
        t.assert_invariants();
    }

    #[test]
    fn future_timestamps_are_clamped_to_now() {
        let mut t = HostTable::new(4);
        t.record(&ev(u64::MAX, "192.0.2.1", None), 1000);
        let h = t.host_of(a("192.0.2.1")).unwrap();
        assert_eq!((h.first_seen, h.last_seen), (1000, 1000));
        assert_eq!(t.expire(5000, 3600), 1, "not pinned by a bogus time");
    }

    #[test]
    fn expiry_drops_only_hosts_unseen_longer_than_retention() {
        let mut t = HostTable::new(16);
        t.record(&ev(1000, "192.0.2.1", Some(M1)), 1000);
        t.record(&ev(2000, "192.0.2.2", None), 2000);
        let g = t.generation();
        assert_eq!(t.expire(4600, 3600), 0, "exactly retention old is kept");
        assert_eq!(t.generation(), g);
        assert_eq!(t.expire(4601, 3600), 1);
        assert!(t.get(&HostKey::Mac(M1)).is_none());
        assert!(t.host_of(a("192.0.2.1")).is_none());
        assert_eq!(t.stats().expired, 1);
        assert!(t.generation() > g);
        t.assert_invariants();
    }

    #[test]
    fn suppressed_logs_make_recent_counts_lower_bounds() {
        let mut t = HostTable::new(16);
        t.record(&ev(100, "192.0.2.1", Some(M1)), 100);
        t.record(&ev(500, "192.0.2.2", Some(M2)), 500);
        assert_eq!(t.note_suppressed(0, 0), 0);
        assert_eq!(t.note_suppressed(7, 400), 1);
        assert!(!t.get(&HostKey::Mac(M1)).unwrap().ip_hits_lower_bound);
        assert!(t.get(&HostKey::Mac(M2)).unwrap().ip_hits_lower_bound);
        assert_eq!(t.stats().suppressed, 7);
        t.mark_lower_bound(&HostKey::Mac(M1)).unwrap();
        assert!(t.get(&HostKey::Mac(M1)).unwrap().ip_hits_lower_bound);
        assert!(t.mark_lower_bound(&HostKey::Mac(Mac([9; 6]))).is_err());
    }

    #[test]
    fn hostnames_and_generation() {
        let mut t = HostTable::new(16);
        let g0 = t.generation();
        t.record(&ev(100, "192.0.2.1", Some(M1)), 100);
        let g1 = t.generation();
        assert!(g1 > g0);
        let k = HostKey::Mac(M1);
        assert_eq!(t.set_hostname(&k, "laptop"), Ok(true));
        assert_eq!(t.set_hostname(&k, "laptop"), Ok(false));
        assert_eq!(t.set_hostname(&k, "  "), Ok(false));
        assert_eq!(t.generation(), g1 + 1);
        assert!(t.set_hostname(&HostKey::Mac(M2), "x").is_err());
    }

    #[test]
    fn capacity_can_shrink_on_reload() {
        let mut t = HostTable::new(8);
        for i in 0..8u8 {
            t.record(&ev(u64::from(i), &format!("192.0.2.{i}"), None), 100);
        }
        let gone = t.set_capacity(5);
        assert_eq!(gone.len(), 3);
        assert_eq!(gone[0].key, HostKey::addr(a("192.0.2.0")));
        assert_eq!(t.len(), 5);
        assert_eq!(t.capacity(), 5);
        t.assert_invariants();
    }
}
