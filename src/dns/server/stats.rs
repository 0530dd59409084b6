//! The server's counters: relaxed atomics, bumped on the query path
//! without a lock and read while running (`Server::stats`, `dns.json`).
//! They only ever grow; a wrap would take 2^64 queries.

use std::sync::atomic::{AtomicU64, Ordering};

/// Counters, readable while running.
#[derive(Debug, Default)]
pub struct Stats {
    /// Queries received (parsed or not).
    pub queries: AtomicU64,
    /// Answered as blocked.
    pub blocked: AtomicU64,
    /// Sent upstream.
    pub forwarded: AtomicU64,
    /// Upstream replies relayed.
    pub relayed: AtomicU64,
    /// Upstream packets dropped: wrong source, ID or question (spoofed,
    /// stale or garbage).
    pub mismatched: AtomicU64,
    /// Relayed replies cut to the question with TC (larger than the
    /// client's buffer).
    pub truncated: AtomicU64,
    /// REFUSED (not from the LAN).
    pub refused: AtomicU64,
    /// Dropped by the rate limit.
    pub limited: AtomicU64,
    /// SERVFAIL (no upstream answered, or no room).
    pub servfail: AtomicU64,
    /// Malformed queries (answered FORMERR/NOTIMP or dropped).
    pub malformed: AtomicU64,
    /// TCP connections refused at the cap.
    pub tcp_refused: AtomicU64,
}

/// Counts one.
pub(super) fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}
