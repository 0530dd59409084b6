//! `iocguard run`: the long-running daemon. Loads the last-good set from
//! the cache, serves DNS, and reloads the set on SIGHUP (which `sync`
//! sends after a run) until SIGTERM/SIGINT.
//!
//! Signals are blocked in every thread and taken with `sigwait` in the
//! main thread: no signal handler, no unsafe code, and a reload runs as
//! ordinary code (the new set is built while the old one keeps serving,
//! then swapped in at once).
//!
//! Files: `signals.rs` (what a signal does, the loop), `pid.rs` (the pid
//! file, whom `sync` may signal), `convert.rs` (hits → host events),
//! `hostlog/` (the host table service: readers, queue, snapshots, the
//! control socket), `schedule.rs` (its own `sync` every
//! `sync_interval`), `tablewatch.rs` (re-applies a deleted table),
//! `error.rs`.

mod convert;
mod error;
pub mod hostlog;
pub mod pid;
pub mod schedule;
mod signals;
pub mod tablewatch;

pub use convert::{host_event, ip_event};
pub use error::DaemonError;
pub use pid::{notify_reload, reload_target, write_pid_file, NoDaemon, PID_FILE};
pub use signals::{on_signal, signal_loop, Handled};

use crate::config::Config;
use crate::dns::{DomainMatcher, Server, Settings};
use crate::indicator::{parse_indicator, Gate, Indicator, IndicatorSet};
use crate::notice;
use crate::state::FeedCache;
use crate::sync::build_for_daemon;
use nix::sys::signal::{SigSet, Signal};
use std::net::IpAddr;
use std::time::Instant;

/// Builds the set from the last-good cache, logging how long it took.
pub fn load_set(cfg: &Config) -> Result<IndicatorSet, DaemonError> {
    let t = Instant::now();
    let set = build_for_daemon(cfg, &Gate::new(&cfg.gate), &FeedCache::new(&cfg.main.state_dir))?;
    log::info!(
        "loaded {} domains, {} IPv4, {} IPv6 entries in {:.3} s",
        set.domain_count(),
        set.v4_entries(),
        set.v6_entries(),
        t.elapsed().as_secs_f64()
    );
    Ok(set)
}

/// The configuration as it is on disk now: procd sends SIGHUP after `uci
/// commit iocguard`, so feeds and the allowlist take effect without a
/// restart, and so do `host_capacity` and `retention_days`. Listen
/// addresses, the NFLOG group and `snapshot_interval` stay as started
/// (they need a restart). A configuration that no longer loads keeps the
/// current set.
fn reread(cfg: &Config) -> Result<Config, DaemonError> {
    let fresh = Config::load(&cfg.path)?;
    for w in &fresh.warnings {
        log::warn!("{w}");
    }
    Ok(fresh)
}

/// The sinkhole's compact blocklist, taken out of the set; the rest of
/// the set is dropped by the caller right after, so the daemon holds only
/// this.
fn matcher(set: &mut IndicatorSet) -> DomainMatcher {
    let t = Instant::now();
    let m = DomainMatcher::take_from(set);
    log::info!(
        "dns: {} blocked domains in {:.1} MB, indexed in {:.3} s",
        m.len(),
        m.heap_bytes() as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );
    m
}

/// Runs until SIGTERM or SIGINT.
pub fn run(cfg: &Config) -> Result<(), DaemonError> {
    let mut signals = SigSet::empty();
    for s in [Signal::SIGHUP, Signal::SIGTERM, Signal::SIGINT] {
        signals.add(s);
    }
    // Before any thread starts, so every thread inherits the mask.
    signals.thread_block().map_err(DaemonError::Signals)?;
    let pid_path = write_pid_file(&cfg.main.run_dir, std::process::id())?;
    let result = serve(cfg, &signals);
    let _ = std::fs::remove_file(&pid_path);
    result
}

fn serve(cfg: &Config, signals: &SigSet) -> Result<(), DaemonError> {
    let mut set = load_set(cfg)?;
    let hosts = hostlog::Service::start(cfg, set.take_ip_index())?;
    let server = match (cfg.dns.enabled, cfg.dns.mode.as_str()) {
        (true, "front" | "behind") => {
            let settings = Settings::from_config(cfg)?;
            if settings.upstreams.is_empty() {
                log::warn!("dns: no upstream resolver: only blocked names will be answered");
            }
            let s = Server::start(settings, matcher(&mut set), hosts.dns_sink());
            let s = match s {
                Ok(s) => s,
                Err(e) => {
                    hosts.stop();
                    return Err(e.into());
                }
            };
            log::info!("dns: serving on {:?}", s.udp_addrs());
            Some(s)
        }
        _ => None,
    };
    let page = notice_page(cfg, &hosts, server.as_ref());
    // Only the matcher and the prefix index stay: the set's name tables
    // are several times their size.
    drop(set);
    crate::mem::give_back();
    let scheduler = start_schedule(cfg);
    let watch = start_watch(cfg);
    let r = signal_loop(
        || signals.wait().map_err(DaemonError::Wait),
        || {
            let fresh = reread(cfg)?;
            Ok((load_set(&fresh)?, fresh))
        },
        |(mut set, fresh)| {
            if let Some(s) = &server {
                s.reload(matcher(&mut set));
            }
            hosts.reload(set.take_ip_index(), &fresh);
            drop(set);
            crate::mem::give_back();
        },
    );
    if let Some(s) = scheduler {
        s.stop();
    }
    if let Some(w) = watch {
        w.stop();
    }
    // The sinkhole first: its last events reach the host log, which then
    // writes its snapshot.
    if let Some(s) = server {
        s.stop();
    }
    // The host log empties the notice sets as it stops; the page answers
    // until then.
    hosts.stop();
    if let Some(p) = page {
        p.stop();
    }
    r
}

/// Starts the notice page when `option notice` is on and the LAN is
/// known, then lets the host log redirect the hosts due it. A port that
/// cannot be bound is a warning: blocking and the host log go on, and
/// nobody is redirected to a page that does not answer.
fn notice_page(cfg: &Config, hosts: &hostlog::Service, dns: Option<&Server>) -> Option<notice::Server> {
    let n = &cfg.main.notice;
    if !n.enabled {
        return None;
    }
    let lan: Vec<Indicator> = cfg
        .main
        .lan
        .iter()
        .filter_map(|l| parse_indicator(l).ok())
        .collect();
    if lan.is_empty() {
        log::warn!("notice: no LAN networks are configured (list lan): the notice page is off");
        return None;
    }
    let admit: notice::server::Admit = Box::new(move |a: IpAddr| lan.iter().any(|p| covers(p, a)));
    let blocked: Box<dyn Fn(&str) -> bool + Send + Sync> = match dns.map(Server::blocked_names) {
        Some(b) => Box::new(move |name: &str| b.contains(name)),
        None => Box::new(|_: &str| false),
    };
    let site = notice::Site {
        contact: notice::Contact {
            tool_url: n.url.clone(),
            name: n.contact_name.clone(),
            phone: n.contact_phone.clone(),
            email: n.contact_email.clone(),
            snooze_hours: n.snooze / 3600,
        },
        csp: notice::page::csp(),
        tokens: notice::Tokens::new(),
    };
    match notice::Server::start(n.port, admit, site, hosts.board(n.snooze, blocked)) {
        Ok(s) => {
            log::info!(
                "notice: the notice page answers on port {}",
                s.local_addr().port()
            );
            hosts.redirect(n.snooze);
            Some(s)
        }
        Err(e) => {
            log::warn!(
                "notice: cannot listen on port {} ({e}); the notice page is off and nobody is redirected",
                n.port
            );
            None
        }
    }
}

/// The daemon's own sync schedule (`sync_interval`; 0 leaves syncing to
/// cron). It is set at start: a changed interval needs a restart. A
/// schedule that cannot start is logged, never a reason to stop serving.
fn start_schedule(cfg: &Config) -> Option<schedule::Scheduler> {
    let s = schedule::Schedule::new(cfg.main.sync_interval, schedule::random_seed())?;
    let started = std::env::current_exe()
        .and_then(|exe| schedule::Scheduler::start(s, exe, cfg.path.clone(), cfg.main.run_dir.clone()));
    match started {
        Ok(s) => Some(s),
        Err(e) => {
            log::warn!("sync: no schedule ({e}); run `iocguard sync` from cron");
            None
        }
    }
}

/// Whether network `p` holds address `a`.
fn covers(p: &Indicator, a: IpAddr) -> bool {
    match (p, a.to_canonical()) {
        (Indicator::V4(p), IpAddr::V4(a)) => p.contains(u32::from(a)),
        (Indicator::V6(p), IpAddr::V6(a)) => p.contains(u128::from(a)),
        _ => false,
    }
}

/// The table watch, when blocking is on (`main.enabled`).
fn start_watch(cfg: &Config) -> Option<tablewatch::TableWatch> {
    if !cfg.main.enabled {
        return None;
    }
    let started = std::env::current_exe()
        .and_then(|exe| tablewatch::TableWatch::start(cfg.main.table.clone(), exe, cfg.path.clone()));
    started.map_err(|e| log::warn!("no table watch: {e}")).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reload_reads_the_configuration_again() {
        let dir = std::env::temp_dir().join(format!("iocg-reread-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("config");
        std::fs::write(&path, "config iocguard 'main'\n\toption unit 'A'\n").unwrap();
        let cfg = Config::load(&path).unwrap();
        std::fs::write(
            &path,
            "config iocguard 'main'\n\toption unit 'B'\nconfig allow 'allow'\n\tlist entry 'good.example'\n",
        )
        .unwrap();
        let fresh = reread(&cfg).unwrap();
        assert_eq!(fresh.main.unit, "B");
        assert_eq!(fresh.gate.allow.len(), 1);
        std::fs::write(&path, "config iocguard 'main'\n\toption max_shrink '150'\n").unwrap();
        let e = reread(&cfg).unwrap_err().to_string();
        assert!(e.contains("max_shrink"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
