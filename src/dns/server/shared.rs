//! State every server thread shares, and each worker's lock-free view of
//! the blocklist.
//!
//! The query path takes no lock for the blocklist (a worker re-reads the
//! `Arc` only when the reload generation changes) and one short, sharded
//! lock for the rate limiter, whose buckets are fixed per shard (memory
//! does not grow with the number of clients). A poisoned lock lets the
//! query through rather than panicking.

use super::settings::Settings;
use super::stats::{bump, Stats};
use crate::dns::events::EventRing;
use crate::dns::matcher::DomainMatcher;
use crate::dns::policy::RateLimiter;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

/// Rate-limiter shards (locks) and buckets per shard.
pub(super) const RATE_SHARDS: usize = 16;
pub(super) const RATE_BUCKETS: usize = 256;

/// State shared by every thread.
pub(super) struct Shared {
    pub(super) set: RwLock<Arc<DomainMatcher>>,
    pub(super) generation: AtomicU64,
    pub(super) events: Mutex<EventRing>,
    pub(super) rate: Vec<Mutex<RateLimiter>>,
    pub(super) stats: Stats,
    pub(super) stop: AtomicBool,
    pub(super) tcp_conns: AtomicUsize,
    pub(super) settings: Settings,
    pub(super) started: Instant,
}

impl Shared {
    fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// False (and counted) when `ip` is over its rate; loopback is never limited.
    pub(super) fn rate_ok(&self, ip: IpAddr) -> bool {
        if self.settings.rate.0 == 0 || ip.is_loopback() {
            return true;
        }
        let shard = match ip {
            IpAddr::V4(a) => u32::from(a) as usize,
            IpAddr::V6(a) => (u128::from(a) as usize) ^ ((u128::from(a) >> 64) as usize),
        } % RATE_SHARDS;
        let now = self.now_ms();
        let ok = self.rate[shard]
            .lock()
            .map(|mut r| r.allow(ip, now))
            .unwrap_or(true);
        if !ok {
            bump(&self.stats.limited);
        }
        ok
    }
}

/// A worker's view of the blocklist: the `Arc` is re-read only after a
/// reload, so the query path takes no lock.
pub(super) struct View {
    set: Arc<DomainMatcher>,
    generation: u64,
}

impl View {
    /// The blocklist in force now.
    pub(super) fn new(sh: &Shared) -> View {
        View {
            set: sh.set.read().map(|s| s.clone()).unwrap_or_default(),
            generation: sh.generation.load(Ordering::Acquire),
        }
    }

    /// The blocklist, re-read first if a reload happened since.
    pub(super) fn current(&mut self, sh: &Shared) -> &DomainMatcher {
        let g = sh.generation.load(Ordering::Acquire);
        if g != self.generation {
            if let Ok(s) = sh.set.read() {
                self.set = s.clone();
                self.generation = g;
            }
        }
        &self.set
    }
}
