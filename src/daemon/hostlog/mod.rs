//! The host log service in `iocguard run`: who is infected, kept live.
//!
//! ```text
//!  NFLOG reader ──┐   bounded queue          ┌─ event log (run_dir, capped)
//!                 ├──(try_send; overflow ──► table thread ─┼─ syslog lines (stderr → logd)
//!  DNS writer ────┘   counted, never blocks) │             └─ snapshot (state_dir, rare)
//!                                     control socket ◄── hosts / host / ack
//! ```
//!
//! Readers never block on the table: a full queue drops the event and
//! counts it, and the hosts seen meanwhile get lower-bound counts. The
//! table thread owns the I/O cadence: event-log lines every second,
//! enrichment and kernel counters every 10 s, retention every minute, a
//! summary every hour, the snapshot when [`SnapshotPolicy`] says so and
//! at stop. The table is behind one mutex, held per batch of events and
//! per control request.
//!
//! Files: `core.rs` (the state, pure), `syslog.rs` (syslog lines), `board.rs` (the notice page's view of the table, the notice sets),
//! `store.rs` (files), `control.rs` (the socket), `reader.rs` (NFLOG),
//! `sources.rs` (leases, ethers, neighbours → enrichment).

mod board;
pub mod control;
pub mod core;
mod queue;
mod reader;
mod shared;
mod sources;
pub mod store;
pub mod syslog;

use self::core::{Counters, Every, HostLog, SnapshotPolicy};
use self::queue::{offer, Input, Reload};
use self::shared::Shared;
use super::convert::{host_event, ip_event};
use super::error::DaemonError;
use crate::clock::unix_now;
use crate::config::Config;
use crate::dns;
use crate::hosts::{snapshot, Ack, AckOutcome, HostTable, TableStats};
use crate::indicator::IpIndex;
use crate::notice;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;
pub use store::Store;

/// Events waiting for the table thread at most.
pub const QUEUE: usize = 4096;
/// Longest an event-log line waits in memory.
const FLUSH_DELAY: Duration = Duration::from_millis(250);
/// Seconds between periodic summaries in syslog.
pub const SUMMARY_PERIOD: u64 = 3600;

/// The counters `status` shows, written to `run_dir/hosts-status.json`
/// when the host log starts, every 10 s and at stop.
#[derive(Debug, Serialize, Deserialize)]
pub struct Status {
    /// When written.
    pub time: u64,
    /// The table's counters.
    pub table: TableStats,
    /// The host log's counters.
    pub counters: Counters,
    /// The queue's bound.
    pub queue: usize,
    /// Whether NFLOG is read (false: IP hits are not recorded).
    pub nflog: bool,
    /// Addresses in the notice sets (their HTTP goes to the notice page);
    /// `None` while the notice page is off.
    #[serde(default)]
    pub notice_redirected: Option<usize>,
}

impl Status {
    /// The status file in `run_dir`, when a daemon wrote one.
    pub fn read(run_dir: &std::path::Path) -> Option<Status> {
        let text = std::fs::read_to_string(run_dir.join(store::STATUS)).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Lines for `iocguard status`; `now` dates the figures.
    pub fn render(&self, now: u64) -> String {
        let (t, c) = (&self.table, &self.counters);
        let mut s = format!(
            "host log: {} hosts (capacity {}), {} evicted, {} expired; hits: {} ip, {} dns (as of {} s ago)\n",
            t.hosts,
            t.capacity,
            t.evictions,
            t.expired,
            c.ip_events,
            c.dns_events,
            now.saturating_sub(self.time)
        );
        if !self.nflog {
            s += "  NFLOG is not read: IP hits are not recorded (see the daemon's log)\n";
        }
        let lost = c.queue_overflow + c.nflog_lost + c.rate_limited;
        if lost > 0 || c.nflog_skipped > 0 {
            s += &format!(
                "  not counted: {} over the log rate limit, {} dropped by the kernel, \
                 {} over the queue ({} slots), {} undecodable\n",
                c.rate_limited, c.nflog_lost, c.queue_overflow, self.queue, c.nflog_skipped
            );
        }
        s += &format!("  snapshots written since start: {}\n", c.snapshot_writes);
        if let Some(n) = self.notice_redirected {
            s += &format!("  notice page: {n} host addresses redirected to it\n");
        }
        s
    }
}

/// The running host log.
pub struct Service {
    tx: SyncSender<Input>,
    shared: Arc<Shared>,
    store: Store,
    threads: Vec<JoinHandle<()>>,
}

impl Service {
    /// Loads the table (snapshot + ack journal), then starts the table
    /// thread, the control socket and the NFLOG reader. A failed NFLOG
    /// subscription is a warning: DNS hits are still recorded.
    pub fn start(cfg: &Config, index: IpIndex) -> Result<Service, DaemonError> {
        let store = Store::new(&cfg.main.state_dir, &cfg.main.run_dir);
        let loaded = store.load(cfg.main.host_capacity as usize, true);
        for w in &loaded.warnings {
            log::warn!("{w}");
        }
        // Acks a snapshot already holds, or whose host is gone, leave the
        // journal (see `hosts::table`).
        let keep: Vec<Ack> = loaded
            .replayed
            .iter()
            .filter(|(_, r)| matches!(r, Some(AckOutcome::Acknowledged | AckOutcome::Reinfected)))
            .map(|(a, _)| a.clone())
            .collect();
        if keep.len() != loaded.replayed.len() {
            if let Err(e) = store.rewrite_journal(&keep) {
                log::warn!("{e}");
            }
        }
        let now = unix_now();
        log::info!(
            "hosts: {} hosts loaded from {} (capacity {})",
            loaded.table.len(),
            store.snapshot_path().display(),
            cfg.main.host_capacity
        );
        let generation = loaded.table.generation();
        let shared = Arc::new(Shared {
            log: Mutex::new({
                let mut log = HostLog::new(loaded.table, index, now);
                log.configure(
                    cfg.main.host_capacity as usize,
                    cfg.main.retention_days as u64 * 86_400,
                );
                log
            }),
            stop: AtomicBool::new(false),
            overflow: AtomicU64::new(0),
            notice_snooze: AtomicU64::new(0),
        });
        let (tx, rx) = sync_channel(QUEUE);
        let mut threads = Vec::new();
        let spawn = |name: &str, f: Box<dyn FnOnce() + Send>| {
            std::thread::Builder::new()
                .name(name.into())
                .spawn(f)
                .map_err(|e| DaemonError::HostLog(format!("cannot start a thread: {e}")))
        };

        let listener = control::bind(&store.socket_path()).map_err(|e| {
            DaemonError::HostLog(format!("{}: cannot listen: {e}", store.socket_path().display()))
        })?;
        let (sh, tx2) = (shared.clone(), tx.clone());
        threads.push(spawn(
            "hosts-control",
            Box::new(move || {
                control::serve(&listener, &sh.stop, |req| answer(&sh, &tx2, req));
            }),
        )?);

        let nflog = match reader::open(cfg.main.nflog_group) {
            Ok(l) => {
                let (sh, tx) = (shared.clone(), tx.clone());
                threads.push(spawn(
                    "hosts-nflog",
                    Box::new(move || reader::run(l, &sh.stop, &sh.overflow, &tx)),
                )?);
                true
            }
            Err(e) => {
                log::warn!(
                    "hosts: cannot read NFLOG group {}: {e}; IP hits are not recorded \
                     (is kmod-nfnetlink-log installed?)",
                    cfg.main.nflog_group
                );
                false
            }
        };

        let table = Table {
            shared: shared.clone(),
            store: store.clone(),
            policy: SnapshotPolicy::new(cfg.main.snapshot_interval as u64, now, generation),
            sources: sources::Sources::new(cfg),
            nft_table: cfg.main.table.clone(),
            nflog,
            redirects: board::Redirects::new(&cfg.main.table, now),
        };
        threads.push(spawn("hosts", Box::new(move || table.run(rx)))?);
        Ok(Service {
            tx,
            shared,
            store,
            threads,
        })
    }

    /// Where the sinkhole's writer hands its blocked-query events.
    pub fn dns_sink(&self) -> dns::events::EventSink {
        let tx = self.tx.clone();
        let sh = self.shared.clone();
        Box::new(move |events| {
            for e in events {
                offer(&tx, &sh.overflow, Input::Dns(Box::new(host_event(e))));
            }
        })
    }

    /// A newly loaded set and configuration (SIGHUP): the attribution
    /// index, `host_capacity` and `retention_days`.
    pub fn reload(&self, index: IpIndex, cfg: &Config) {
        // Blocking: a reload must not be dropped like an event.
        let _ = self.tx.send(Input::Reload(Box::new(Reload {
            index,
            capacity: cfg.main.host_capacity as usize,
            retention: cfg.main.retention_days as u64 * 86_400,
        })));
    }

    /// The host table for the notice page: `snooze` seconds of quiet after
    /// "I understand"; `blocked` tells a blocked name (the sinkhole's).
    pub fn board(
        &self,
        snooze: u64,
        blocked: Box<dyn Fn(&str) -> bool + Send + Sync>,
    ) -> Arc<dyn notice::Board> {
        Arc::new(board::HostBoard {
            shared: self.shared.clone(),
            tx: self.tx.clone(),
            snooze,
            blocked,
        })
    }

    /// The notice page is serving: from now on the hosts due the notice
    /// are kept in the kernel's notice sets (their plain HTTP goes to the
    /// page). Called only once the page answers, so that nobody is sent
    /// to a port where nothing listens.
    pub fn redirect(&self, snooze: u64) {
        self.shared.notice_snooze.store(snooze.max(1), Ordering::Relaxed);
        let _ = self.tx.try_send(Input::Wake);
    }

    /// Stops every thread; the table thread writes the snapshot if the
    /// table changed since the last one.
    pub fn stop(self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        let _ = self.tx.send(Input::Wake);
        control::wake(&self.store.socket_path());
        for t in self.threads {
            let _ = t.join();
        }
        let _ = std::fs::remove_file(self.store.socket_path());
    }
}

/// One control request.
fn answer(sh: &Shared, tx: &SyncSender<Input>, req: &str) -> Vec<u8> {
    let (verb, arg) = req.split_once(' ').unwrap_or((req, ""));
    match verb {
        "snapshot" => {
            let log = sh.lock();
            snapshot::encode(log.table(), unix_now())
        }
        "ack" => {
            let ack: Ack = match serde_json::from_str(arg) {
                Ok(a) => a,
                Err(e) => return format!("err not an ack: {e}\n").into_bytes(),
            };
            let r = {
                let mut log = sh.lock();
                log.table_mut().apply_ack(&ack)
            };
            // Let the table thread see the change soon (snapshot policy).
            let _ = tx.try_send(Input::Wake);
            match r {
                Ok(AckOutcome::Acknowledged) => b"ok acknowledged\n".to_vec(),
                Ok(AckOutcome::Reinfected) => b"ok reinfected\n".to_vec(),
                Ok(AckOutcome::Stale) => b"ok stale\n".to_vec(),
                Err(e) => format!("err {e}\n").into_bytes(),
            }
        }
        _ => format!("err unknown request {verb:?}\n").into_bytes(),
    }
}

/// Interface names by index, cached (interfaces come and go rarely; the
/// cache is dropped when it grows past a bound).
#[derive(Default)]
struct IfNames(HashMap<u32, Option<String>>);

impl IfNames {
    fn get(&mut self, index: u32) -> Option<String> {
        if self.0.len() > 1024 {
            self.0.clear();
        }
        self.0
            .entry(index)
            .or_insert_with(|| crate::nft::netlink::nflog::if_name(index))
            .clone()
    }
}

/// What one queued input does to the host log.
fn handle(log: &mut HostLog, input: Input, now: u64, names: &mut IfNames, notices: &mut Vec<String>) {
    match input {
        Input::Packet(p) => match ip_event(&p, now, log.index(), |i| names.get(i)) {
            Some((e, attributed)) => {
                log.counters.unattributed += u64::from(!attributed);
                log.record(e, now, notices);
            }
            None => log.counters.inbound += 1,
        },
        Input::Dns(e) => log.record(*e, now, notices),
        Input::Lost(k) => {
            log.counters.nflog_lost += k;
            log.lost(k, now.saturating_sub(1));
        }
        Input::Skipped(k) => log.counters.nflog_skipped += k,
        Input::Reload(r) => {
            let Reload {
                index,
                capacity,
                retention,
            } = *r;
            log::info!("hosts: attributing with {} listed prefixes", index.len());
            log.set_index(index);
            let evicted = log.configure(capacity, retention);
            if evicted > 0 {
                log::warn!("hosts: host_capacity is now {capacity}: {evicted} hosts were evicted");
            }
        }
        Input::Wake => {}
    }
}

/// The table thread's state.
struct Table {
    shared: Arc<Shared>,
    store: Store,
    policy: SnapshotPolicy,
    sources: sources::Sources,
    nft_table: String,
    nflog: bool,
    redirects: board::Redirects,
}

impl Table {
    fn run(mut self, rx: Receiver<Input>) {
        let start = unix_now();
        let mut flushed = std::time::Instant::now();
        let mut refresh = Every::new(10, start);
        let mut expire = Every::new(60, start);
        let mut summary = Every::new(SUMMARY_PERIOD, start);
        let mut ifnames = IfNames::default();
        let mut rate_limited = RateLimited::default();
        let mut notices = Vec::new();
        // First look at leases and neighbours before any event; the
        // status file then says the host log is up (NFLOG is bound).
        self.refresh(&mut rate_limited, start);
        self.write_status(start);
        loop {
            // Idle: one wake-up a second. Lines pending: soon, so that
            // `events` and `host` see a hit within a fraction of a second.
            let pending = self.shared.lock().has_pending();
            let wait = if pending {
                FLUSH_DELAY
            } else {
                Duration::from_secs(1)
            };
            let first = rx.recv_timeout(wait);
            let disconnected = matches!(first, Err(RecvTimeoutError::Disconnected));
            let now = unix_now();
            {
                let mut log = self.shared.lock();
                let mut next = first.ok();
                let mut n = 0;
                while let Some(input) = next {
                    handle(&mut log, input, now, &mut ifnames, &mut notices);
                    n += 1;
                    // Bounded, so a control request gets the lock soon.
                    next = if n < 4096 { rx.try_recv().ok() } else { None };
                }
                let over = self.shared.overflow.swap(0, Ordering::Relaxed);
                if over > 0 {
                    log.counters.queue_overflow += over;
                    log.lost(over, now.saturating_sub(1));
                }
            }
            for line in notices.drain(..) {
                eprintln!("{line}");
            }
            let stopping = self.shared.stop.load(Ordering::Relaxed) || disconnected;
            if flushed.elapsed() >= FLUSH_DELAY || stopping {
                flushed = std::time::Instant::now();
                self.flush_events();
            }
            if refresh.due(now) {
                self.refresh(&mut rate_limited, now);
                self.write_status(now);
            }
            if expire.due(now) {
                let mut log = self.shared.lock();
                let retention = log.retention();
                let n = if retention > 0 {
                    log.table_mut().expire(now, retention)
                } else {
                    0
                };
                if n > 0 {
                    log::info!("hosts: {n} hosts unseen for longer than retention_days were dropped");
                }
            }
            if summary.due(now) {
                let lines = self.shared.lock().summary(now);
                for line in lines {
                    eprintln!("{line}");
                }
            }
            {
                let snooze = self.shared.notice_snooze.load(Ordering::Relaxed);
                let log = self.shared.lock();
                self.redirects.update(&log, now, snooze, stopping);
            }
            self.maybe_snapshot(now, stopping);
            if stopping {
                self.write_status(now);
                return;
            }
        }
    }

    fn flush_events(&self) {
        let lines = self.shared.lock().take_lines();
        let log = self.store.events();
        if let Err(e) = log.append(&lines) {
            log::warn!("hosts: cannot write {}: {e}", log.path().display());
        }
    }

    /// Leases, ethers and neighbours when they changed; the kernel's
    /// count of blocked packets the rate limit kept from NFLOG.
    fn refresh(&mut self, rl: &mut RateLimited, now: u64) {
        let anonymous = self.shared.lock().has_anonymous_hosts();
        if let Some(en) = self.sources.refresh(anonymous) {
            let mut log = self.shared.lock();
            log.set_enrichment(en);
        }
        if self.nflog {
            if let Some(n) = rl.read(&self.nft_table, now) {
                let mut log = self.shared.lock();
                log.counters.rate_limited += n.0;
                log.lost(n.0, n.1);
            }
        }
    }

    fn maybe_snapshot(&mut self, now: u64, stopping: bool) {
        let (bytes, generation) = {
            let log = self.shared.lock();
            let generation = log.table().generation();
            if !self.policy.due(now, generation, stopping) {
                return;
            }
            (snapshot::encode(log.table(), now), generation)
        };
        match self.store.save(&bytes) {
            Ok(()) => {
                self.policy.written(now, generation);
                let mut log = self.shared.lock();
                log.counters.snapshot_writes += 1;
                log::info!(
                    "hosts: snapshot written to {}",
                    self.store.snapshot_path().display()
                );
            }
            // The table stays in memory. The next try waits a full
            // interval (a full flash is not hammered); no generation
            // equals u64::MAX, so the table still counts as changed.
            Err(e) => {
                self.policy.written(now, u64::MAX);
                log::warn!("hosts: {e}; the table is kept in memory");
            }
        }
    }

    fn write_status(&self, now: u64) {
        let log = self.shared.lock();
        let status = Status {
            time: now,
            table: log.stats(),
            counters: log.counters,
            queue: QUEUE,
            nflog: self.nflog,
            notice_redirected: self.redirects.redirected(),
        };
        drop(log);
        if let Ok(text) = serde_json::to_string(&status) {
            let _ = crate::fsio::write_atomic_mode(&self.store.status_path(), text.as_bytes(), 0o600);
        }
    }
}

/// The kernel's blocked and logged counters at the last read: blocked
/// minus logged is what the NFLOG rate limit kept back.
#[derive(Default)]
struct RateLimited {
    last: Option<(u64, u64)>,
}

impl RateLimited {
    /// Packets newly kept from NFLOG since the last read, and since when.
    fn read(&mut self, table: &str, now: u64) -> Option<(u64, u64)> {
        let mut s = crate::nft::netlink::socket::Socket::open().ok()?;
        let counters = s.counters(table).ok()?;
        let get = |n: &str| counters.iter().find(|c| c.0 == n).map_or(0, |c| c.1);
        let kept = get("blocked_fwd") + get("blocked_out") + get("blocked_in");
        let logged = get("logged");
        let unlogged = kept.saturating_sub(logged);
        let prev = self.last.replace((unlogged, now));
        match prev {
            // Counters only grow; a smaller value means the table was
            // recreated: start again from it.
            Some((p, since)) if unlogged > p => Some((unlogged - p, since)),
            _ => None,
        }
    }
}

/// A fresh table for the CLI when the daemon is not running: the
/// snapshot on flash with the journal replayed.
pub fn offline_table(cfg: &Config) -> (HostTable, Vec<String>) {
    let l = Store::new(&cfg.main.state_dir, &cfg.main.run_dir).load(cfg.main.host_capacity as usize, false);
    (l.table, l.warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines_say_what_was_not_counted() {
        let mut s = Status {
            time: 100,
            table: TableStats {
                hosts: 3,
                capacity: 4096,
                ..TableStats::default()
            },
            counters: Counters {
                ip_events: 10,
                dns_events: 2,
                snapshot_writes: 1,
                ..Counters::default()
            },
            queue: QUEUE,
            nflog: true,
            notice_redirected: None,
        };
        assert_eq!(
            s.render(105),
            "host log: 3 hosts (capacity 4096), 0 evicted, 0 expired; hits: 10 ip, 2 dns (as of 5 s ago)\n  \
             snapshots written since start: 1\n"
        );
        s.nflog = false;
        s.counters.queue_overflow = 7;
        let r = s.render(105);
        assert!(r.contains("NFLOG is not read"), "{r}");
        assert!(
            r.contains("0 over the log rate limit, 0 dropped by the kernel, 7 over the queue (4096 slots)"),
            "{r}"
        );
        assert!(!r.contains("notice page"));
        s.notice_redirected = Some(3);
        assert!(s
            .render(105)
            .contains("notice page: 3 host addresses redirected to it"));
    }
}
