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
//! control socket), `error.rs`.

mod convert;
mod error;
pub mod hostlog;
pub mod pid;
mod signals;

pub use convert::{host_event, ip_event};
pub use error::DaemonError;
pub use pid::{notify_reload, reload_target, write_pid_file, NoDaemon, PID_FILE};
pub use signals::{on_signal, signal_loop, Handled};

use crate::config::Config;
use crate::dns::{DomainMatcher, Server, Settings};
use crate::indicator::{Gate, IndicatorSet};
use crate::state::FeedCache;
use crate::sync::build_for_daemon;
use nix::sys::signal::{SigSet, Signal};
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
    // Only the matcher and the prefix index stay: the set's name tables
    // are several times their size.
    drop(set);
    crate::mem::give_back();
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
    // The sinkhole first: its last events reach the host log, which then
    // writes its snapshot.
    if let Some(s) = server {
        s.stop();
    }
    hosts.stop();
    r
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
