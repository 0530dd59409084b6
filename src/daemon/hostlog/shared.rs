//! What the host log's threads share: the table behind one mutex, the
//! stop flag, the readers' overflow count and the notice switch.

use super::core::HostLog;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::Mutex;

/// See the module doc.
pub struct Shared {
    /// The table and its counters.
    pub log: Mutex<HostLog>,
    /// Set at stop; every thread looks at it on wake-up.
    pub stop: AtomicBool,
    /// Events the readers could not queue (full), not yet counted in.
    pub overflow: AtomicU64,
    /// Seconds the notice pauses after "I understand"; 0 while the notice
    /// page is not serving (then nobody is redirected).
    pub notice_snooze: AtomicU64,
}

impl Shared {
    /// The host log; a thread that panicked holding it left it usable
    /// (every update is a few counters), so poisoning is ignored.
    pub fn lock(&self) -> std::sync::MutexGuard<'_, HostLog> {
        self.log.lock().unwrap_or_else(|e| e.into_inner())
    }
}
