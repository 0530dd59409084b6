//! Upstream replies to forwarded UDP queries, and queries that got none.
//!
//! A reply is relayed only if it comes from the upstream the query went to,
//! carries the ID we chose and repeats the question; then the client's ID is
//! restored and the upstream's bytes go back unchanged. Every 100 ms,
//! queries past the timeout move to the next upstream or get SERVFAIL, so a
//! slot never stays taken for long.

use super::pending::Pending;
use super::shared::Shared;
use super::stats::bump;
use crate::dns::wire::{self, rcode, MAX_OWN_RESPONSE};
use std::net::UdpSocket;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Relays the replies on a worker's upstream socket until `stop`.
pub(super) fn udp_relay(sh: Arc<Shared>, sock: UdpSocket, upstream: UdpSocket, pending: Arc<Mutex<Pending>>) {
    let mut buf = vec![0u8; 65535];
    let mut out = [0u8; MAX_OWN_RESPONSE];
    let mut last_scan = Instant::now();
    let ups = &sh.settings.upstreams;
    while !sh.stop.load(Ordering::Relaxed) {
        if let Ok((n, from)) = upstream.recv_from(&mut buf) {
            let reply = &mut buf[..n];
            if let Some(id) = wire::message_id(reply) {
                let target = pending.lock().ok().and_then(|mut p| {
                    let slot = p.slot_of(id)?;
                    let s = p.slots.get(slot).filter(|s| s.used && s.id == id)?;
                    let ok = ups.get(s.upstream) == Some(&from)
                        && wire::reply_matches(reply, &s.query[..s.len], s.question_end);
                    if !ok {
                        return None;
                    }
                    let t = (s.client, s.client_id);
                    p.release(slot);
                    Some(t)
                });
                if let Some((client, client_id)) = target {
                    wire::set_message_id(reply, client_id);
                    let _ = sock.send_to(reply, client);
                    bump(&sh.stats.relayed);
                }
            }
        }
        if last_scan.elapsed() >= Duration::from_millis(100) {
            last_scan = Instant::now();
            expire(&sh, &sock, &upstream, &pending, &mut out);
        }
    }
}

/// Queries past the timeout go to the next upstream, or get SERVFAIL.
fn expire(sh: &Shared, sock: &UdpSocket, upstream: &UdpSocket, pending: &Mutex<Pending>, out: &mut [u8]) {
    let Ok(mut p) = pending.lock() else { return };
    let timeout = sh.settings.upstream_timeout;
    let ups = &sh.settings.upstreams;
    for i in 0..p.slots.len() {
        let s = &mut p.slots[i];
        if !s.used || s.sent.elapsed() < timeout {
            continue;
        }
        if s.upstream + 1 < ups.len() {
            s.upstream += 1;
            s.sent = Instant::now();
            let _ = upstream.send_to(&s.query[..s.len], ups[s.upstream]);
            continue;
        }
        let (client, client_id) = (s.client, s.client_id);
        let mut q = s.query[..s.len].to_vec();
        wire::set_message_id(&mut q, client_id);
        p.release(i);
        bump(&sh.stats.servfail);
        if let Ok(query) = wire::parse_query(&q) {
            if let Ok(n) = wire::write_error(&query, rcode::SERVFAIL, out) {
                let _ = sock.send_to(&out[..n], client);
            }
        }
    }
}
