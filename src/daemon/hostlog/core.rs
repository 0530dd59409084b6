//! The host log's state, without threads, sockets or files: hits in,
//! syslog lines and event-log lines out, plus the schedules that decide
//! when to snapshot, summarise and expire. The service (`mod.rs`) feeds
//! it from the queue and does the I/O it asks for, so everything here is
//! tested with plain values and a fake clock.

use super::syslog;
use crate::hosts::{Change, Enrichment, Event, HostTable, TableStats};
use crate::indicator::IpIndex;
use serde::{Deserialize, Serialize};

/// Event-log lines held between two flushes; beyond it lines are
/// dropped and counted (the table still counts the hits).
pub const PENDING_LINES: usize = 8192;
/// Host-event syslog lines per minute at most: a flood of spoofed
/// sources makes a "new host" per packet, and must not flood syslog too.
/// Lines beyond it are counted and reported once when the minute ends.
pub const NOTICES_PER_MINUTE: u32 = 60;

/// Counters the host log adds to the table's, for `status`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// Packet hits recorded.
    pub ip_events: u64,
    /// Query hits recorded.
    pub dns_events: u64,
    /// Packets whose destination no loaded feed lists (logged under an
    /// older set); recorded under their address.
    pub unattributed: u64,
    /// Packets logged by the inbound chain: a listed source knocking,
    /// not an internal host reaching out; not host events.
    pub inbound: u64,
    /// Events dropped because the queue to the table was full.
    pub queue_overflow: u64,
    /// NFLOG messages the kernel dropped (socket overflow, sequence gaps).
    pub nflog_lost: u64,
    /// NFLOG messages that could not be decoded.
    pub nflog_skipped: u64,
    /// Logged packets the ruleset's rate limit kept from NFLOG (blocked
    /// minus logged, from the kernel counters).
    pub rate_limited: u64,
    /// Event-log lines dropped because the log could not keep up.
    pub log_dropped: u64,
    /// Snapshots written to flash since start.
    pub snapshot_writes: u64,
}

/// A fixed period on the daemon's clock.
#[derive(Debug, Clone, Copy)]
pub struct Every {
    period: u64,
    next: u64,
}

impl Every {
    /// First due at `start + period`.
    pub fn new(period: u64, start: u64) -> Every {
        Every {
            period: period.max(1),
            next: start.saturating_add(period.max(1)),
        }
    }

    /// True (and re-armed) when `now` reached the due time. A clock that
    /// jumped far ahead fires once, not once per missed period.
    pub fn due(&mut self, now: u64) -> bool {
        if now < self.next {
            return false;
        }
        self.next = now.saturating_add(self.period);
        true
    }
}

/// When the table goes to flash: only when it changed, at most once per
/// `interval` seconds, and at stop.
#[derive(Debug, Clone, Copy)]
pub struct SnapshotPolicy {
    interval: u64,
    last_write: u64,
    saved_generation: u64,
}

impl SnapshotPolicy {
    /// A policy for a table loaded at `now` with `generation`.
    pub fn new(interval: u64, now: u64, generation: u64) -> SnapshotPolicy {
        SnapshotPolicy {
            interval,
            last_write: now,
            saved_generation: generation,
        }
    }

    /// Should the table be written now?
    pub fn due(&self, now: u64, generation: u64, stopping: bool) -> bool {
        generation != self.saved_generation
            && (stopping || now >= self.last_write.saturating_add(self.interval))
    }

    /// The table at `generation` was written at `now`.
    pub fn written(&mut self, now: u64, generation: u64) {
        self.last_write = now;
        self.saved_generation = generation;
    }
}

/// The host log's state.
pub struct HostLog {
    table: HostTable,
    index: IpIndex,
    enrichment: Enrichment,
    pending: Vec<String>,
    /// Counters for `status`.
    pub counters: Counters,
    /// An eviction was logged in the current summary period.
    eviction_logged: bool,
    /// Start of the current summary period.
    period_start: u64,
    /// The notice budget's minute, lines used in it, lines held back.
    budget: (u64, u32, u64),
    /// `retention_days` in seconds (0: hosts are kept).
    retention: u64,
}

impl HostLog {
    /// A host log over `table` (restored or new), attributing packets
    /// with `index`.
    pub fn new(table: HostTable, index: IpIndex, now: u64) -> HostLog {
        HostLog {
            table,
            index,
            enrichment: Enrichment::new(),
            pending: Vec::new(),
            counters: Counters::default(),
            eviction_logged: false,
            period_start: now,
            budget: (now / 60, 0, 0),
            retention: 0,
        }
    }

    /// Seconds a host may stay unseen (0: kept for the campaign).
    pub fn retention(&self) -> u64 {
        self.retention
    }

    /// New settings (start, SIGHUP): the retention, and the table's bound
    /// (a smaller one evicts at once, the least valuable hosts first, as
    /// when the table is full). Returns the hosts evicted.
    pub fn configure(&mut self, capacity: usize, retention: u64) -> usize {
        self.retention = retention;
        if capacity == self.table.capacity() {
            return 0;
        }
        self.table.set_capacity(capacity).len()
    }

    /// Takes one line from this minute's notice budget; when the minute
    /// changed, first reports what the last one held back.
    fn spend(&mut self, now: u64, out: &mut Vec<String>) -> bool {
        let minute = now / 60;
        if minute != self.budget.0 {
            if self.budget.2 > 0 {
                out.push(syslog::held_back(self.budget.2));
            }
            self.budget = (minute, 0, 0);
        }
        if self.budget.1 < NOTICES_PER_MINUTE {
            self.budget.1 += 1;
            true
        } else {
            self.budget.2 += 1;
            false
        }
    }

    /// The table.
    pub fn table(&self) -> &HostTable {
        &self.table
    }

    /// The table, for acks.
    pub fn table_mut(&mut self) -> &mut HostTable {
        &mut self.table
    }

    /// The attribution index.
    pub fn index(&self) -> &IpIndex {
        &self.index
    }

    /// Swaps in the index of a newly loaded set.
    pub fn set_index(&mut self, index: IpIndex) {
        self.index = index;
    }

    /// The table's counters.
    pub fn stats(&self) -> TableStats {
        self.table.stats()
    }

    /// Counts hit `e` at `now`: fills its MAC from what the gateway
    /// knows, records it, queues its event-log line, and pushes the
    /// syslog lines it deserves (a new infected host, a re-infection, the
    /// first eviction of the period) to `out`.
    pub fn record(&mut self, mut e: Event, now: u64, out: &mut Vec<String>) {
        self.enrichment.fill(&mut e);
        match e.kind() {
            crate::hosts::Kind::Ip => self.counters.ip_events += 1,
            crate::hosts::Kind::Dns => self.counters.dns_events += 1,
        }
        let r = self.table.record(&e, now);
        if let Some(ev) = &r.evicted {
            if !self.eviction_logged {
                self.eviction_logged = true;
                out.push(syslog::evicted(ev, &self.table.stats()));
            }
        }
        if r.change != Change::Updated {
            if let Some(h) = self.table.get(&r.key) {
                // A new host gets its name at once, not at the next refresh.
                let name = self
                    .enrichment
                    .hostname_for(h.mac, h.addrs.iter().map(|a| a.addr))
                    .map(str::to_string);
                if let Some(n) = name {
                    let _ = self.table.set_hostname(&r.key, &n);
                }
            }
            let spend = self.spend(now, out);
            if let Some(h) = self.table.get(&r.key).filter(|_| spend) {
                out.push(match r.change {
                    Change::Reinfected => syslog::reinfected(h, &e),
                    _ => syslog::infected(h, &e),
                });
            }
        }
        if self.pending.len() < PENDING_LINES {
            self.pending.push(e.to_line());
        } else {
            self.counters.log_dropped += 1;
        }
    }

    /// True when event-log lines wait to be written.
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Event-log lines to append, oldest first.
    pub fn take_lines(&mut self) -> Vec<String> {
        std::mem::take(&mut self.pending)
    }

    /// What leases, ethers and the neighbour tables now say: MACs for
    /// later events, names and folds for the table. Returns the hosts
    /// changed.
    pub fn set_enrichment(&mut self, en: Enrichment) -> usize {
        self.enrichment = en;
        self.table.enrich(&self.enrichment)
    }

    /// True when some host is known only by address: the neighbour table
    /// is worth reading again.
    pub fn has_anonymous_hosts(&self) -> bool {
        self.table.hosts().any(|h| h.mac.is_none())
    }

    /// `n` logged packets were lost (rate limit, socket overflow, queue
    /// overflow) since `since`: counts become lower bounds.
    pub fn lost(&mut self, n: u64, since: u64) {
        self.table.note_suppressed(n, since);
    }

    /// The periodic summary at `now`: one line per host seen in the
    /// period, then the totals; starts the next period.
    pub fn summary(&mut self, now: u64) -> Vec<String> {
        let mut hosts: Vec<_> = self
            .table
            .hosts()
            .filter(|h| h.last_seen >= self.period_start)
            .collect();
        hosts.sort_by_key(|h| std::cmp::Reverse(h.last_seen));
        let mut out: Vec<String> = hosts.iter().map(|h| syslog::summary(h)).collect();
        let lost = self.counters.nflog_lost + self.counters.queue_overflow;
        if self.budget.2 > 0 {
            out.push(syslog::held_back(self.budget.2));
            self.budget.2 = 0;
        }
        out.push(syslog::totals(&self.table.stats(), hosts.len(), lost));
        self.period_start = now;
        self.eviction_logged = false;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hosts::{DnsHit, Hit, IpHit, Mac, Proto};

    const T: u64 = 1_764_370_000;

    fn ip_event(src: &str, mac: Option<u8>, t: u64) -> Event {
        Event {
            time: t,
            src: src.parse().unwrap(),
            mac: mac.map(|m| Mac([2, 0, 0, 0, 1, m])),
            hit: Hit::Ip(IpHit {
                dst: "203.0.113.70".parse().unwrap(),
                proto: Proto::Tcp,
                dport: Some(8080),
                iif: Some("lan0".into()),
                oif: Some("wan0".into()),
            }),
            listed: "203.0.113.0/24".into(),
            feeds: vec!["campaign".into()],
        }
    }

    fn dns_event(src: &str, t: u64) -> Event {
        Event {
            time: t,
            src: src.parse().unwrap(),
            mac: None,
            hit: Hit::Dns(DnsHit {
                name: "www.evil.example".into(),
                qtype: 1,
            }),
            listed: "evil.example".into(),
            feeds: vec!["campaign".into()],
        }
    }

    #[test]
    fn one_syslog_line_per_host_event_not_per_packet() {
        let mut log = HostLog::new(HostTable::new(16), IpIndex::default(), T);
        let mut out = Vec::new();
        for i in 0..1000 {
            log.record(ip_event("192.0.2.10", Some(0x10), T + i), T + i, &mut out);
        }
        assert_eq!(out.len(), 1, "{out:?}");
        assert!(out[0].starts_with("event=host_infected host=02:00:00:00:01:10 mac=02:00:00:00:01:10 ip=192.0.2.10 kind=ip indicator=203.0.113.0/24 feeds=campaign dst=203.0.113.70 proto=tcp dport=8080"), "{}", out[0]);
        assert_eq!(log.take_lines().len(), 1000, "every hit is in the event log");
        assert!(log.take_lines().is_empty());

        // Acknowledged, then hit again: one re-infection line.
        let key = crate::hosts::HostKey::Mac(Mac([2, 0, 0, 0, 1, 0x10]));
        log.table_mut().ack(&key, "reimaged", T + 2000).unwrap();
        for i in 0..10 {
            log.record(
                ip_event("192.0.2.10", Some(0x10), T + 3000 + i),
                T + 3000 + i,
                &mut out,
            );
        }
        assert_eq!(out.len(), 2, "{out:?}");
        assert!(
            out[1].starts_with("event=host_reinfected host=02:00:00:00:01:10"),
            "{}",
            out[1]
        );
        assert!(
            out[1].contains("acked=2025-11-28T23:20:00Z note=reimaged"),
            "{}",
            out[1]
        );
    }

    #[test]
    fn enrichment_names_and_fills_macs() {
        let mut log = HostLog::new(HostTable::new(16), IpIndex::default(), T);
        let mut en = Enrichment::new();
        en.add(&crate::hosts::enrich::dnsmasq_leases(
            "1764400000 02:00:00:00:01:10 192.0.2.10 lab-pc 01:02:00:00:00:01:10\n",
        ));
        assert_eq!(log.set_enrichment(en), 0);
        let mut out = Vec::new();
        // A query carries no MAC: the lease gives it, and the name.
        log.record(dns_event("192.0.2.10", T), T, &mut out);
        let h = log.table().hosts().next().unwrap();
        assert_eq!(h.mac, Some(Mac([2, 0, 0, 0, 1, 0x10])));
        assert_eq!(h.hostname.as_deref(), Some("lab-pc"));
        assert!(
            out[0].contains("hostname=lab-pc kind=dns indicator=evil.example"),
            "{}",
            out[0]
        );
        assert!(!log.has_anonymous_hosts());
        log.record(dns_event("192.0.2.99", T), T, &mut out);
        assert!(log.has_anonymous_hosts());
    }

    #[test]
    fn a_flood_of_spoofed_sources_stays_bounded_and_logs_one_eviction_per_period() {
        let mut log = HostLog::new(HostTable::new(64), IpIndex::default(), T);
        let mut out = Vec::new();
        for i in 0..10_000u32 {
            let src = std::net::Ipv4Addr::from(0xc633_6400 + (i % 60_000)).to_string();
            log.record(ip_event(&src, None, T + 1), T + 1, &mut out);
            // Keep the event log drained as the service does.
            if i % 1000 == 0 {
                log.take_lines();
            }
        }
        assert_eq!(log.table().len(), 64);
        let evictions = out.iter().filter(|l| l.starts_with("event=host_evicted")).count();
        assert_eq!(evictions, 1);
        let infected = out
            .iter()
            .filter(|l| l.starts_with("event=host_infected"))
            .count();
        assert_eq!(infected, NOTICES_PER_MINUTE as usize, "syslog is not flooded");
        assert_eq!(out.len(), infected + 1);
        // The next minute first says how many were held back.
        log.record(ip_event("192.0.2.10", Some(1), T + 61), T + 61, &mut out);
        assert_eq!(out[out.len() - 2], "event=notices_held_back count=9940");
        let s = log.summary(T + 3600);
        assert!(
            s.last()
                .unwrap()
                .starts_with("event=hosts_summary hosts=64 active=64 capacity=64 evictions=9937"),
            "{:?}",
            s.last()
        );
        assert_eq!(log.stats().evictions, 9937);
    }

    #[test]
    fn the_summary_covers_hosts_seen_in_the_period() {
        let mut log = HostLog::new(HostTable::new(16), IpIndex::default(), T);
        let mut out = Vec::new();
        log.record(ip_event("192.0.2.10", Some(1), T + 10), T + 10, &mut out);
        log.record(ip_event("192.0.2.11", Some(2), T + 20), T + 20, &mut out);
        log.lost(5, T);
        let s = log.summary(T + 100);
        assert_eq!(s.len(), 3, "{s:?}");
        assert!(
            s[0].contains("host=02:00:00:00:01:02") && s[0].contains("ip_hits=\">=1\""),
            "{}",
            s[0]
        );
        log.record(ip_event("192.0.2.10", Some(1), T + 200), T + 200, &mut out);
        let s = log.summary(T + 300);
        assert_eq!(s.len(), 2, "only the host seen since: {s:?}");
    }

    #[test]
    fn snapshots_are_rare_and_only_on_change() {
        // A day of one hit per second with the default interval: at most
        // one write per 900 s, plus the one at stop.
        let mut p = SnapshotPolicy::new(900, T, 0);
        let mut gen = 0;
        let mut writes = 0;
        for s in 1..=86_400u64 {
            gen += 1;
            if p.due(T + s, gen, false) {
                p.written(T + s, gen);
                writes += 1;
            }
        }
        assert_eq!(writes, 96);
        assert!(p.due(T + 86_401, gen + 1, true), "changed: written at stop");
        p.written(T + 86_401, gen + 1);
        assert!(!p.due(T + 200_000, gen + 1, true), "unchanged: never written");
    }

    #[test]
    fn a_smaller_capacity_evicts_at_once() {
        let mut log = HostLog::new(HostTable::new(16), IpIndex::default(), T);
        let mut out = Vec::new();
        for i in 0..10u8 {
            log.record(
                ip_event(&format!("192.0.2.{i}"), Some(i), T + u64::from(i)),
                T + 20,
                &mut out,
            );
        }
        assert_eq!(log.configure(16, 86_400), 0);
        assert_eq!(log.retention(), 86_400);
        assert_eq!(log.configure(4, 0), 6);
        assert_eq!(log.table().len(), 4);
        assert!(
            log.table().hosts().all(|h| h.last_seen >= T + 6),
            "the newest stay"
        );
    }

    #[test]
    fn every_fires_once_per_period_and_once_after_a_jump() {
        let mut e = Every::new(10, 100);
        assert!(!e.due(105));
        assert!(e.due(110));
        assert!(!e.due(115));
        assert!(e.due(1000));
        assert!(!e.due(1005));
        assert!(e.due(1010));
    }
}
