//! Puts the nft table back when something deleted it: `service firewall
//! stop` (`fw4 flush`) deletes every table, ours too, and nothing of fw4
//! runs afterwards to call us back. The daemon asks the kernel every
//! [`PERIOD`] whether the table is there (one small netlink dump) and, when
//! it is not, runs `iocguard apply --if-missing`: the last-good set, no
//! fetch, the same code path as the fw4 include and the interface trigger.
//!
//! The loop takes the check and the repair as closures, so it is tested
//! without a kernel.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

/// How often the table is looked for.
pub const PERIOD: Duration = Duration::from_secs(3);

/// The watching thread.
pub struct TableWatch {
    stop: Sender<()>,
    thread: JoinHandle<()>,
}

impl TableWatch {
    /// Watches `table inet TABLE`; a missing table is re-applied by
    /// running `exe --config CONFIG apply --if-missing`.
    pub fn start(table: String, exe: PathBuf, config: PathBuf) -> std::io::Result<TableWatch> {
        let check = move || crate::nft::table_exists(&table).unwrap_or(true);
        let repair = move || {
            let st = Command::new(&exe)
                .arg("--config")
                .arg(&config)
                .args(["apply", "--if-missing"])
                .stdin(Stdio::null())
                .status();
            match st {
                Ok(s) if s.success() => {
                    log::info!("table was deleted (firewall stop?): re-applied the last-good set")
                }
                Ok(s) => log::warn!("table was deleted; re-applying it failed ({s})"),
                Err(e) => log::warn!("table was deleted; cannot run apply: {e}"),
            }
        };
        Self::start_with(check, repair, PERIOD)
    }

    /// The loop with its check (`true`: the table is there) and repair.
    pub fn start_with(
        check: impl Fn() -> bool + Send + 'static,
        repair: impl Fn() + Send + 'static,
        period: Duration,
    ) -> std::io::Result<TableWatch> {
        let (stop, rx) = channel::<()>();
        let thread = std::thread::Builder::new()
            .name("table-watch".into())
            .stack_size(128 * 1024)
            .spawn(move || watch(&rx, check, repair, period))?;
        Ok(TableWatch { stop, thread })
    }

    /// Stops the thread.
    pub fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.thread.join();
    }
}

/// Only a table seen at least once is put back: one that was never
/// installed (no feed synced yet, `sync --no-apply`, a test namespace) is
/// not the daemon's to create.
fn watch(rx: &Receiver<()>, check: impl Fn() -> bool, repair: impl Fn(), period: Duration) {
    let mut seen = false;
    loop {
        if check() {
            seen = true;
        } else if seen {
            repair();
        }
        match rx.recv_timeout(period) {
            Err(RecvTimeoutError::Timeout) => {}
            _ => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
    use std::sync::Arc;

    #[test]
    fn a_table_never_seen_is_not_created() {
        let repairs = Arc::new(AtomicU32::new(0));
        let r = repairs.clone();
        let w = TableWatch::start_with(
            || false,
            move || {
                r.fetch_add(1, Ordering::SeqCst);
            },
            Duration::from_millis(10),
        )
        .unwrap();
        std::thread::sleep(Duration::from_millis(100));
        w.stop();
        assert_eq!(repairs.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn a_missing_table_is_repaired_once_and_a_present_one_left_alone() {
        let present = Arc::new(AtomicBool::new(true));
        let repairs = Arc::new(AtomicU32::new(0));
        let (p, r) = (present.clone(), repairs.clone());
        let p2 = present.clone();
        let w = TableWatch::start_with(
            move || p.load(Ordering::SeqCst),
            move || {
                r.fetch_add(1, Ordering::SeqCst);
                p2.store(true, Ordering::SeqCst);
            },
            Duration::from_millis(10),
        )
        .unwrap();
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(repairs.load(Ordering::SeqCst), 0);
        present.store(false, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(repairs.load(Ordering::SeqCst), 1);
        w.stop();
    }
}
