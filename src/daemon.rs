//! `iocguard run`: the long-running daemon. Loads the last-good set from
//! the cache, serves DNS, and reloads the set on SIGHUP (which `sync`
//! sends after a run) until SIGTERM/SIGINT.
//!
//! Signals are blocked in every thread and taken with `sigwait` in the
//! main thread: no signal handler, no unsafe code, and a reload runs as
//! ordinary code (the new set is built while the old one keeps serving,
//! then swapped in at once).
//!
//! What a signal does is [`on_signal`], and the loop is [`signal_loop`]:
//! both take the signal source, the set loader and the swap as closures,
//! so SIGHUP/SIGTERM sequences and failed reloads are tested without real
//! signals. Whom `sync` may signal is [`reload_target`], decided from the
//! pid file and the process name.

use crate::config::Config;
use crate::dns::{self, DomainMatcher, Server, Settings};
use crate::hosts;
use crate::indicator::{Gate, IndicatorSet};
use crate::state::FeedCache;
use crate::sync::build_from_cache;
use nix::sys::signal::{SigSet, Signal};
use nix::unistd::Pid;
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
    /// Waiting for a signal failed.
    #[error("failed to wait for a signal: {0}")]
    Wait(nix::Error),
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
    let pid_path = write_pid_file(&cfg.main.run_dir, std::process::id())?;
    let result = serve(cfg, &signals);
    let _ = std::fs::remove_file(&pid_path);
    result
}

/// Writes `pid` to `run_dir/iocguard.pid` (creating `run_dir`); returns
/// the file's path.
pub fn write_pid_file(run_dir: &Path, pid: u32) -> Result<PathBuf, DaemonError> {
    std::fs::create_dir_all(run_dir).map_err(|e| DaemonError::PidFile(run_dir.to_path_buf(), e))?;
    let path = run_dir.join(PID_FILE);
    std::fs::write(&path, format!("{pid}\n")).map_err(|e| DaemonError::PidFile(path.clone(), e))?;
    Ok(path)
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
    let r = signal_loop(
        || signals.wait().map_err(DaemonError::Wait),
        || load_set(cfg),
        |set| {
            if let Some(s) = &server {
                s.reload(matcher(&set));
            }
        },
    );
    if let Some(s) = server {
        s.stop();
    }
    r
}

/// What one signal did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled {
    /// SIGHUP: the new set was built and swapped in.
    Reloaded,
    /// SIGHUP, but the new set could not be built (the reason): the
    /// current one keeps serving.
    KeptCurrent(String),
    /// SIGTERM, SIGINT or any other signal: the daemon stops.
    Stop,
}

/// Handles `sig`: SIGHUP builds a new set with `load` and hands it to
/// `swap`, or keeps the current one when `load` fails; anything else
/// stops the daemon without loading.
pub fn on_signal<T>(
    sig: Signal,
    load: impl FnOnce() -> Result<T, DaemonError>,
    swap: impl FnOnce(T),
) -> Handled {
    if sig != Signal::SIGHUP {
        log::info!("{sig}: stopping");
        return Handled::Stop;
    }
    match load() {
        Ok(set) => {
            swap(set);
            log::info!("reloaded the set");
            Handled::Reloaded
        }
        Err(e) => {
            log::warn!("reload failed, keeping the current set: {e}");
            Handled::KeptCurrent(e.to_string())
        }
    }
}

/// Takes signals from `next` and handles each ([`on_signal`]) until one
/// stops the daemon. A failed reload does not end the loop; a failure
/// of `next` does, with its error.
pub fn signal_loop<T>(
    mut next: impl FnMut() -> Result<Signal, DaemonError>,
    mut load: impl FnMut() -> Result<T, DaemonError>,
    mut swap: impl FnMut(T),
) -> Result<(), DaemonError> {
    loop {
        if on_signal(next()?, &mut load, &mut swap) == Handled::Stop {
            return Ok(());
        }
    }
}

/// Why no reload was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NoDaemon {
    /// No pid file (or an unreadable one): no daemon was started here.
    #[error("no pid file {}", .0.display())]
    NoPidFile(PathBuf),
    /// The pid file does not hold a usable pid (0, 1 and negative
    /// numbers would signal a process group, init or everyone).
    #[error("{} does not hold a daemon's pid: {text:?}", path.display())]
    NotAPid {
        /// The pid file.
        path: PathBuf,
        /// What it holds.
        text: String,
    },
    /// No such process: the daemon died without removing its pid file.
    #[error("pid {0} from the pid file is not running")]
    Stale(i32),
    /// The pid now belongs to another program (pids are recycled).
    #[error("pid {pid} from the pid file is {comm:?}, not iocguard")]
    Foreign {
        /// The pid.
        pid: i32,
        /// That process's name.
        comm: String,
    },
}

/// The daemon to signal: the pid in `run_dir/iocguard.pid`, when that
/// process runs iocguard. `comm_of` gives a process's name (`None`: no
/// such process); [`notify_reload`] reads `/proc/PID/comm`.
pub fn reload_target(run_dir: &Path, comm_of: impl FnOnce(i32) -> Option<String>) -> Result<Pid, NoDaemon> {
    let path = run_dir.join(PID_FILE);
    let text = std::fs::read_to_string(&path).map_err(|_| NoDaemon::NoPidFile(path.clone()))?;
    let pid = match text.trim().parse::<i32>() {
        Ok(pid) if pid > 1 => pid,
        _ => return Err(NoDaemon::NotAPid { path, text }),
    };
    let comm = comm_of(pid).ok_or(NoDaemon::Stale(pid))?;
    let comm = comm.trim();
    if !comm.starts_with("iocguard") {
        return Err(NoDaemon::Foreign {
            pid,
            comm: comm.into(),
        });
    }
    Ok(Pid::from_raw(pid))
}

/// Asks a running daemon (pid in `run_dir/iocguard.pid`) to reload.
/// Returns whether one was signalled; a stale pid file (no such process,
/// or a recycled pid that is not iocguard) is left alone.
pub fn notify_reload(run_dir: &Path) -> bool {
    let comm_of = |pid: i32| std::fs::read_to_string(format!("/proc/{pid}/comm")).ok();
    match reload_target(run_dir, comm_of) {
        Ok(pid) => nix::sys::signal::kill(pid, Signal::SIGHUP).is_ok(),
        Err(e) => {
            log::debug!("no reload sent: {e}");
            false
        }
    }
}

/// The host-table event for a blocked query the sinkhole logged: the
/// seam where DNS hits enter the host table (`hosts` and `dns` are peers
/// and do not know each other).
pub fn host_event(e: &dns::events::Event) -> hosts::Event {
    hosts::Event {
        time: e.time,
        src: e.client.to_canonical(),
        mac: e.mac.map(hosts::Mac),
        hit: hosts::Hit::Dns(hosts::DnsHit {
            name: e.name().to_string(),
            qtype: e.qtype,
        }),
        listed: e.listed().to_string(),
        feeds: if e.feed().is_empty() {
            Vec::new()
        } else {
            vec![e.feed().to_string()]
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::collections::VecDeque;

    /// What `load_set` returns when the cache went bad.
    fn failed_load() -> DaemonError {
        crate::state::StateError::Corrupt("/etc/iocguard/cache/abuse.gz".into()).into()
    }

    /// Runs `signal_loop` over `signals` with loads answering from
    /// `loads`; returns the swapped sets, the signals left unread and the
    /// number of loads.
    fn drive(signals: &[Signal], loads: Vec<Result<u32, DaemonError>>) -> (Vec<u32>, usize, usize) {
        let mut signals: VecDeque<Signal> = signals.iter().copied().collect();
        let mut loads: VecDeque<_> = loads.into();
        let mut calls = 0;
        let swapped = RefCell::new(Vec::new());
        signal_loop(
            || Ok(signals.pop_front().expect("the loop waited past a stop")),
            || {
                calls += 1;
                loads.pop_front().expect("unexpected load")
            },
            |set| swapped.borrow_mut().push(set),
        )
        .unwrap();
        (swapped.into_inner(), signals.len(), calls)
    }

    #[test]
    fn sighup_reloads_and_sigterm_stops() {
        let (swapped, left, loads) = drive(
            &[Signal::SIGHUP, Signal::SIGHUP, Signal::SIGTERM, Signal::SIGHUP],
            vec![Ok(1), Ok(2)],
        );
        assert_eq!(swapped, [1, 2]);
        assert_eq!((left, loads), (1, 2), "nothing is read or loaded after SIGTERM");
    }

    #[test]
    fn a_failed_reload_keeps_the_current_set_and_the_loop_going() {
        let (swapped, left, loads) = drive(
            &[Signal::SIGHUP, Signal::SIGHUP, Signal::SIGINT],
            vec![Err(failed_load()), Ok(7)],
        );
        assert_eq!(swapped, [7]);
        assert_eq!((left, loads), (0, 2));
    }

    #[test]
    fn a_stop_signal_does_not_load() {
        for sig in [Signal::SIGTERM, Signal::SIGINT, Signal::SIGUSR1] {
            let h = on_signal(
                sig,
                || -> Result<u32, _> { panic!("loaded on {sig}") },
                |_| panic!("swapped"),
            );
            assert_eq!(h, Handled::Stop, "{sig}");
        }
    }

    #[test]
    fn what_a_sighup_reports() {
        let mut got = None;
        assert_eq!(
            on_signal(Signal::SIGHUP, || Ok(3u32), |s| got = Some(s)),
            Handled::Reloaded
        );
        assert_eq!(got, Some(3));
        let h = on_signal(
            Signal::SIGHUP,
            || Err::<u32, _>(failed_load()),
            |_| panic!("swapped"),
        );
        assert_eq!(
            h,
            Handled::KeptCurrent(
                "/etc/iocguard/cache/abuse.gz: cached copy is corrupt and was ignored".into()
            )
        );
    }

    #[test]
    fn a_failing_wait_ends_the_loop_with_its_error() {
        let mut n = 0;
        let r = signal_loop(
            || {
                n += 1;
                match n {
                    1 => Ok(Signal::SIGHUP),
                    _ => Err(DaemonError::Wait(nix::errno::Errno::EINVAL)),
                }
            },
            || Ok(0u32),
            |_| {},
        );
        let e = r.unwrap_err();
        assert!(matches!(e, DaemonError::Wait(nix::errno::Errno::EINVAL)), "{e:?}");
        assert_eq!(
            e.to_string(),
            "failed to wait for a signal: EINVAL: Invalid argument"
        );
    }

    /// A run directory removed at the end of the test.
    struct RunDir(PathBuf);

    impl RunDir {
        fn new(tag: &str) -> Self {
            let d = std::env::temp_dir().join(format!("iocg-daemon-{tag}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&d);
            RunDir(d)
        }

        fn pid_file(&self, text: &str) {
            std::fs::create_dir_all(&self.0).unwrap();
            std::fs::write(self.0.join(PID_FILE), text).unwrap();
        }
    }

    impl Drop for RunDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn iocguard(_: i32) -> Option<String> {
        Some("iocguard\n".into())
    }

    #[test]
    fn the_pid_file_names_the_daemon_to_signal() {
        let dir = RunDir::new("target");
        let path = write_pid_file(&dir.0.join("sub"), 4242).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "4242\n");
        let mut asked = None;
        let r = reload_target(&dir.0.join("sub"), |pid| {
            asked = Some(pid);
            iocguard(pid)
        });
        assert_eq!(r, Ok(Pid::from_raw(4242)));
        assert_eq!(asked, Some(4242));
    }

    #[test]
    fn what_is_not_a_daemon_to_signal() {
        let dir = RunDir::new("nodaemon");
        let path = dir.0.join(PID_FILE);
        assert_eq!(
            reload_target(&dir.0, iocguard),
            Err(NoDaemon::NoPidFile(path.clone()))
        );
        for text in ["", "abc\n", "0\n", "1\n", "-1\n", "99999999999\n"] {
            dir.pid_file(text);
            let e = reload_target(&dir.0, |_| panic!("asked about a process for {text:?}"));
            assert_eq!(
                e,
                Err(NoDaemon::NotAPid {
                    path: path.clone(),
                    text: text.into()
                })
            );
        }
        dir.pid_file("4242\n");
        assert_eq!(reload_target(&dir.0, |_| None), Err(NoDaemon::Stale(4242)));
        let e = reload_target(&dir.0, |_| Some("dnsmasq\n".into())).unwrap_err();
        assert_eq!(
            e,
            NoDaemon::Foreign {
                pid: 4242,
                comm: "dnsmasq".into()
            }
        );
        assert_eq!(
            e.to_string(),
            "pid 4242 from the pid file is \"dnsmasq\", not iocguard"
        );
    }

    #[test]
    fn notify_reload_leaves_stale_and_foreign_pids_alone() {
        let dir = RunDir::new("notify");
        assert!(!notify_reload(&dir.0), "no pid file");
        // A foreign process: a live `sleep`, which a SIGHUP would kill.
        let mut child = std::process::Command::new("sleep").arg("30").spawn().unwrap();
        dir.pid_file(&format!("{}\n", child.id()));
        assert!(!notify_reload(&dir.0));
        assert_eq!(
            child.try_wait().unwrap(),
            None,
            "the foreign process was not signalled"
        );
        // A stale pid: that process, gone and reaped.
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(!notify_reload(&dir.0));
        dir.pid_file("1\n");
        assert!(!notify_reload(&dir.0), "never init");
    }

    #[test]
    fn from_the_sinkhole_event() {
        let d = dns::events::Event::new(
            5,
            "::ffff:192.168.1.10".parse().unwrap(),
            Some([2, 0, 0, 0, 0, 10]),
            "www.evil.example",
            4,
            28,
            "campaign",
            false,
        );
        let e = host_event(&d);
        assert_eq!(e.src, "192.168.1.10".parse::<std::net::IpAddr>().unwrap());
        assert_eq!(e.listed, "evil.example");
        assert_eq!(e.feeds, ["campaign"]);
        assert_eq!(e.mac, Some(hosts::Mac([2, 0, 0, 0, 0, 10])));
        assert_eq!(e.kind(), hosts::Kind::Dns);
    }
}
