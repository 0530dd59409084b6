//! The NFLOG reader thread: the ruleset's log group, decoded, queued.

use super::queue::{offer, Input};
use crate::nft::netlink::nflog::Listener;
use crate::nft::netlink::socket::NlError;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::SyncSender;
use std::time::Duration;

/// How often a quiet reader looks at the stop flag.
const POLL: Duration = Duration::from_millis(500);

/// Subscribes to `group` in the daemon's network namespace.
pub fn open(group: u16) -> Result<Listener, NlError> {
    Listener::open(group, POLL)
}

/// Reads until `stop`; a failing socket is retried once a second (and
/// said once), never the end of the daemon.
pub fn run(mut l: Listener, stop: &AtomicBool, overflow: &AtomicU64, tx: &SyncSender<Input>) {
    let mut failing = false;
    while !stop.load(Ordering::Relaxed) {
        match l.next_batch(|p| offer(tx, overflow, Input::Packet(*p))) {
            Ok(s) => {
                failing = false;
                if s.lost > 0 {
                    let _ = tx.send(Input::Lost(s.lost));
                }
                if s.skipped > 0 {
                    let _ = tx.send(Input::Skipped(s.skipped));
                }
            }
            Err(e) => {
                if !failing {
                    log::warn!("hosts: reading NFLOG failed: {e}; retrying");
                    failing = true;
                }
                std::thread::sleep(Duration::from_secs(1));
            }
        }
    }
}
