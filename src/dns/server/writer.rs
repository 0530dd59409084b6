//! The background writer: drains the event ring into the [`EventSink`]
//! and writes the counters to `dns.json`, off the query path.
//!
//! The ring is bounded (events beyond it are counted as dropped and
//! reported, not stored); a write failure is logged and the server goes
//! on.

use super::shared::Shared;
use crate::dns::client::Neighbours;
use crate::dns::events::{EventSink, RING_CAPACITY};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The counters as JSON, for `run_dir/dns.json` (status, monitoring).
fn stats_json(sh: &Shared) -> String {
    let s = &sh.stats;
    let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
    let (dropped, total) = sh.events.lock().map_or((0, 0), |r| (r.dropped, r.total));
    serde_json::json!({
        "queries": g(&s.queries), "blocked": g(&s.blocked), "forwarded": g(&s.forwarded),
        "relayed": g(&s.relayed), "mismatched": g(&s.mismatched), "truncated": g(&s.truncated),
        "refused": g(&s.refused), "rate_limited": g(&s.limited),
        "servfail": g(&s.servfail), "malformed": g(&s.malformed), "tcp_refused": g(&s.tcp_refused),
        "events": total, "events_dropped": dropped,
        "uptime_s": sh.started.elapsed().as_secs(),
    })
    .to_string()
}

/// Drains the event ring every 200 ms into `sink`, filling in MACs from
/// the neighbour table in front mode, and the address from the MAC when
/// dnsmasq sent only the MAC.
pub(super) fn event_writer(sh: Arc<Shared>, mut sink: EventSink) {
    let mut neigh = Neighbours::new(Duration::from_secs(5));
    let mut batch = Vec::with_capacity(RING_CAPACITY);
    let mut reported_drops = 0;
    let mut stats_at = Instant::now();
    loop {
        let stopping = sh.stop.load(Ordering::Relaxed);
        if let Ok(mut r) = sh.events.lock() {
            r.drain_into(&mut batch);
            if r.dropped > reported_drops {
                log::warn!("dns: {} events dropped (ring full)", r.dropped - reported_drops);
                reported_drops = r.dropped;
            }
        }
        if !batch.is_empty() {
            for e in batch.iter_mut() {
                if e.mac.is_none() && sh.settings.neighbours {
                    e.mac = neigh.lookup(e.client);
                }
                // Behind dnsmasq without add-subnet: MAC only.
                if let (true, Some(mac)) = (e.client.is_loopback(), e.mac) {
                    e.client = neigh.ip_of(mac).unwrap_or(e.client);
                }
            }
            sink(&batch);
            batch.clear();
        }
        if stopping || stats_at.elapsed() >= Duration::from_secs(10) {
            stats_at = Instant::now();
            if let Some(dir) = &sh.settings.run_dir {
                let _ = crate::fsio::write_atomic(&dir.join("dns.json"), stats_json(&sh).as_bytes());
            }
        }
        if stopping {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}
