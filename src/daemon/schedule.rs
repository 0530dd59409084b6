//! The daemon's own sync schedule: every `main.sync_interval` seconds at a
//! per-router offset, and soon after start when the last sync is older
//! than an interval (a fresh install, a reboot: `run_dir` is in RAM); a
//! run that did not fully succeed (exit code not 0: the WAN not up yet, a
//! feed server down) is tried again after [`RETRY_AFTER`] seconds.
//!
//! The arithmetic ([`Schedule`]) is pure, with time passed in. The
//! [`Scheduler`] thread runs `iocguard sync` as a child process of the
//! daemon: the same code path, lock, install and SIGHUP as cron's
//! `iocguard sync`, and the memory a sync needs to parse feeds goes back
//! to the system when the child exits instead of staying in the daemon.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Shortest interval honoured: a feed server is not a thing to poll.
pub const MIN_INTERVAL: u64 = 300;

/// Longest wait after start before a sync that is due (a fresh install
/// must block within a minute; the spread keeps routers that boot
/// together after a power cut from fetching in the same second).
pub const START_SPREAD: u64 = 30;

/// How soon a failed sync (no network yet, feed server down) is tried
/// again, unless the next slot comes first.
pub const RETRY_AFTER: u64 = 600;

/// When syncs happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// Seconds between syncs (at least [`MIN_INTERVAL`]).
    pub interval: u64,
    /// Seconds after each multiple of `interval` (Unix time) at which this
    /// router syncs: ten thousand routers with the same interval spread
    /// over the whole interval instead of hitting the feed server in the
    /// same minute.
    pub offset: u64,
}

impl Schedule {
    /// `interval` seconds (0: no schedule), offset drawn from `seed` (a
    /// random number per router).
    pub fn new(interval: u32, seed: u64) -> Option<Schedule> {
        if interval == 0 {
            return None;
        }
        let interval = u64::from(interval).max(MIN_INTERVAL);
        Some(Schedule {
            interval,
            offset: seed % interval,
        })
    }

    /// The first slot strictly after `now`.
    pub fn next_after(&self, now: u64) -> u64 {
        let base = now - now % self.interval + self.offset;
        if base > now {
            base
        } else {
            base + self.interval
        }
    }

    /// When to try again after a sync that did not succeed at `now`: in
    /// [`RETRY_AFTER`] seconds (plus this router's offset folded into a
    /// minute, so routers that failed together do not retry together), or
    /// at the next slot if that is sooner.
    pub fn after_failure(&self, now: u64) -> u64 {
        self.next_after(now).min(now + RETRY_AFTER + self.offset % 60)
    }

    /// When the first sync after start is due: within [`START_SPREAD`]
    /// seconds if the last sync (`last`, Unix time) is unknown or at least
    /// an interval old, else at the next slot.
    pub fn first(&self, now: u64, last: Option<u64>) -> u64 {
        match last {
            Some(t) if now.saturating_sub(t) < self.interval => self.next_after(now),
            _ => now + 1 + self.offset % START_SPREAD,
        }
    }
}

/// A random number for [`Schedule::new`], different per daemon start
/// (std's hash keys come from the OS's random source).
pub fn random_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish()
}

/// Unix time of the last sync this boot: `sync` writes `run_dir/sync.json`
/// at the end of every run.
pub fn last_sync(run_dir: &Path) -> Option<u64> {
    let m = std::fs::metadata(run_dir.join("sync.json"))
        .ok()?
        .modified()
        .ok()?;
    Some(m.duration_since(UNIX_EPOCH).ok()?.as_secs())
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The thread that runs the schedule.
pub struct Scheduler {
    stop: Sender<()>,
    thread: JoinHandle<()>,
}

impl Scheduler {
    /// Starts the thread: `sync` runs as `exe --config CONFIG sync` at the
    /// times `schedule` gives, its output going where the daemon's goes
    /// (logd on OpenWrt).
    pub fn start(
        schedule: Schedule,
        exe: PathBuf,
        config: PathBuf,
        run_dir: PathBuf,
    ) -> std::io::Result<Scheduler> {
        let (stop, rx) = channel::<()>();
        let thread = std::thread::Builder::new()
            .name("sync-schedule".into())
            .stack_size(128 * 1024)
            .spawn(move || {
                let mut due = schedule.first(unix_now(), last_sync(&run_dir));
                log::info!(
                    "sync: every {} s at offset {} s; next in {} s",
                    schedule.interval,
                    schedule.offset,
                    due.saturating_sub(unix_now())
                );
                loop {
                    let wait = Duration::from_secs(due.saturating_sub(unix_now()));
                    match rx.recv_timeout(wait) {
                        Err(RecvTimeoutError::Timeout) => {}
                        _ => return,
                    }
                    if unix_now() < due {
                        continue;
                    }
                    let ok = match spawn_sync(&exe, &config) {
                        Ok(child) => match wait_child(child, &rx) {
                            Some(ok) => ok,
                            None => return,
                        },
                        Err(e) => {
                            log::warn!("sync: cannot start {}: {e}", exe.display());
                            false
                        }
                    };
                    due = if ok {
                        schedule.next_after(unix_now())
                    } else {
                        schedule.after_failure(unix_now())
                    };
                }
            })?;
        Ok(Scheduler { stop, thread })
    }

    /// Stops the thread, ending a sync in progress (its lock and cache
    /// writes are atomic: the previous state stays).
    pub fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.thread.join();
    }
}

fn spawn_sync(exe: &Path, config: &Path) -> std::io::Result<Child> {
    Command::new(exe)
        .arg("--config")
        .arg(config)
        .arg("sync")
        .stdin(Stdio::null())
        .spawn()
}

/// Waits for the sync child: whether it succeeded (exit 0), or `None` if
/// the daemon is stopping (the child is then killed).
fn wait_child(mut child: Child, stop: &std::sync::mpsc::Receiver<()>) -> Option<bool> {
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                if !status.success() {
                    log::warn!("sync: scheduled run ended with {status}; trying again sooner");
                }
                return Some(status.success());
            }
            Ok(None) => {}
            Err(e) => {
                log::warn!("sync: {e}");
                return Some(false);
            }
        }
        match stop.recv_timeout(Duration::from_millis(250)) {
            Err(RecvTimeoutError::Timeout) => {}
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_interval_apart_at_the_routers_offset() {
        let s = Schedule::new(3600, 7 * 3600 + 1234).unwrap();
        assert_eq!(
            s,
            Schedule {
                interval: 3600,
                offset: 1234
            }
        );
        assert_eq!(s.next_after(36_000), 36_000 + 1234);
        assert_eq!(s.next_after(36_000 + 1234), 39_600 + 1234, "strictly after");
        assert_eq!(s.next_after(36_000 + 1233), 36_000 + 1234);
        assert_eq!(s.next_after(36_000 + 3000), 39_600 + 1234);
    }

    #[test]
    fn a_failed_sync_is_retried_within_minutes_not_at_the_next_hour() {
        let s = Schedule::new(3600, 125).unwrap();
        let now = 36_000 + 200; // just after this hour's slot
        assert_eq!(s.after_failure(now), now + RETRY_AFTER + 125 % 60);
        // The slot comes first: no extra run.
        let just_before = 39_600 + 125 - 100;
        assert_eq!(s.after_failure(just_before), s.next_after(just_before));
    }

    #[test]
    fn zero_disables_and_short_intervals_are_raised() {
        assert_eq!(Schedule::new(0, 5), None);
        assert_eq!(Schedule::new(10, 5).unwrap().interval, MIN_INTERVAL);
    }

    #[test]
    fn a_fresh_or_stale_router_syncs_within_the_start_spread() {
        let s = Schedule::new(3600, 1000).unwrap();
        let now = 1_000_000;
        for last in [None, Some(now - 3600), Some(0)] {
            let t = s.first(now, last);
            assert!(t > now && t <= now + START_SPREAD, "{last:?}: {t}");
        }
        // A recent sync (this boot): wait for the slot.
        assert_eq!(s.first(now, Some(now - 60)), s.next_after(now));
    }

    #[test]
    fn offsets_spread_over_the_interval() {
        // Ten thousand routers, random seeds: no minute of the hour holds
        // more than three times its share.
        let mut per_minute = [0u32; 60];
        for _ in 0..10_000 {
            let s = Schedule::new(3600, random_seed()).unwrap();
            per_minute[(s.offset / 60) as usize] += 1;
        }
        let max = per_minute.iter().max().unwrap();
        assert!(*max < 3 * 10_000 / 60, "{per_minute:?}");
    }
}
