//! `iocguard run`: the long-running daemon. Loads the last-good set from
//! the cache, serves DNS, and reloads the set on SIGHUP (which `sync`
//! sends after a run) until SIGTERM/SIGINT.
//!
//! Signals are blocked in every thread and taken with `sigwait` in the
//! main thread: no signal handler, no unsafe code, and a reload runs as
//! ordinary code (the new set is built while the old one keeps serving,
//! then swapped in at once).

use crate::config::Config;
use crate::dns::{self, DomainMatcher, Server, Settings};
use crate::indicator::{Gate, IndicatorSet};
use crate::state::FeedCache;
use crate::sync::build_from_cache;
use nix::sys::signal::{SigSet, Signal};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Name of the pid file in `run_dir`.
pub const PID_FILE: &str = "iocguard.pid";

/// Why the daemon stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// The DNS server could not start.
    #[error(transparent)]
    Dns(#[from] dns::DnsError),
    /// The set could not be built.
    #[error(transparent)]
    State(#[from] crate::state::StateError),
    /// Signals could not be set up.
    #[error("failed to set up signal handling: {0}")]
    Signals(nix::Error),
    /// The pid file could not be written.
    #[error("failed to write {0}: {1}")]
    PidFile(PathBuf, std::io::Error),
}

/// Builds the set from the last-good cache, logging how long it took.
pub fn load_set(cfg: &Config) -> Result<IndicatorSet, DaemonError> {
    let t = Instant::now();
    let set = build_from_cache(cfg, &Gate::new(&cfg.gate), &FeedCache::new(&cfg.main.state_dir))?;
    log::info!(
        "loaded {} domains, {} IPv4, {} IPv6 entries in {:.3} s",
        set.domain_count(),
        set.v4_entries(),
        set.v6_entries(),
        t.elapsed().as_secs_f64()
    );
    Ok(set)
}

/// The sinkhole's compact blocklist; the set itself is dropped by the
/// caller right after, so the daemon holds only this.
fn matcher(set: &IndicatorSet) -> DomainMatcher {
    let t = Instant::now();
    let m = DomainMatcher::from_set(set);
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
    std::fs::create_dir_all(&cfg.main.run_dir)
        .map_err(|e| DaemonError::PidFile(cfg.main.run_dir.clone(), e))?;
    let pid_path = cfg.main.run_dir.join(PID_FILE);
    std::fs::write(&pid_path, format!("{}\n", std::process::id()))
        .map_err(|e| DaemonError::PidFile(pid_path.clone(), e))?;
    let result = serve(cfg, &signals);
    let _ = std::fs::remove_file(&pid_path);
    result
}

fn serve(cfg: &Config, signals: &SigSet) -> Result<(), DaemonError> {
    let set = load_set(cfg)?;
    let server = match (cfg.dns.enabled, cfg.dns.mode.as_str()) {
        (true, "front" | "behind") => {
            let settings = Settings::from_config(cfg)?;
            if settings.upstreams.is_empty() {
                log::warn!("dns: no upstream resolver: only blocked names will be answered");
            }
            let s = Server::start(settings, matcher(&set))?;
            log::info!("dns: serving on {:?}", s.udp_addrs());
            Some(s)
        }
        _ => None,
    };
    // Only the matcher stays: the set's name tables are several times
    // its size.
    drop(set);
    // Anything but SIGHUP (SIGTERM, SIGINT) ends the loop.
    while let Signal::SIGHUP = signals.wait().map_err(DaemonError::Signals)? {
        match load_set(cfg) {
            Ok(set) => {
                if let Some(s) = &server {
                    s.reload(matcher(&set));
                }
                drop(set);
                log::info!("reloaded the set");
            }
            Err(e) => log::warn!("reload failed, keeping the current set: {e}"),
        }
    }
    if let Some(s) = server {
        s.stop();
    }
    Ok(())
}

/// Asks a running daemon (pid in `run_dir/iocguard.pid`) to reload.
/// Returns whether one was signalled; a stale pid file (no such process,
/// or a recycled pid that is not iocguard) is left alone.
pub fn notify_reload(run_dir: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(run_dir.join(PID_FILE)) else {
        return false;
    };
    let Ok(pid) = text.trim().parse::<i32>() else {
        return false;
    };
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
    if pid <= 1 || !comm.trim().starts_with("iocguard") {
        return false;
    }
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), Signal::SIGHUP).is_ok()
}
