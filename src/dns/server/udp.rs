//! The UDP workers: one blocking `recv_from` loop per `SO_REUSEPORT`
//! socket that answers from stack buffers and forwards the rest, each
//! query on a fresh socket with a random source port and ID
//! ([`Outbound`], [`Rand`]), remembered in the worker's [`Pending`] table.
//!
//! Blocked names are answered here and never forwarded (`decide` returns
//! `Forward` only for names not listed). No blocklist lock on the way; a
//! query too large to forward, one that finds the table full, or one for
//! which no socket or randomness can be had gets SERVFAIL at once. The
//! receive timeout only serves to notice `stop`.

use super::decide::{decide, Action};
use super::outbound::Outbound;
use super::pending::Pending;
use super::rand::Rand;
use super::shared::{Shared, View};
use super::stats::bump;
use crate::dns::wire::{self, rcode, Query, MAX_OWN_RESPONSE};
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

/// Serves one UDP socket until `stop`.
pub(super) fn udp_worker(
    sh: Arc<Shared>,
    sock: UdpSocket,
    out_socks: Arc<Outbound>,
    pending: Arc<Mutex<Pending>>,
) {
    let mut view = View::new(&sh);
    let mut rand = Rand::new();
    let mut buf = [0u8; 4096];
    let mut out = [0u8; MAX_OWN_RESPONSE];
    while !sh.stop.load(Ordering::Relaxed) {
        let (n, src) = match sock.recv_from(&mut buf) {
            Ok(v) => v,
            Err(_) => continue, // timeout (stop check) or a transient error
        };
        let msg = &buf[..n];
        match decide(&sh, &mut view, src.ip(), msg, &mut out, false) {
            Action::Reply(len) => {
                let _ = sock.send_to(&out[..len], src);
            }
            Action::Drop => {}
            Action::Forward(q) => {
                if forward(&sh, &out_socks, &pending, &mut rand, src, msg, &q) {
                    bump(&sh.stats.forwarded);
                } else {
                    bump(&sh.stats.servfail);
                    if let Ok(len) = wire::write_error(&q, rcode::SERVFAIL, &mut out) {
                        let _ = sock.send_to(&out[..len], src);
                    }
                }
            }
        }
    }
}

/// Sends `msg` to the first upstream from a fresh socket with a random
/// ID and records it; false when it could not be taken on.
fn forward(
    sh: &Shared,
    out_socks: &Outbound,
    pending: &Mutex<Pending>,
    rand: &mut Rand,
    client: SocketAddr,
    msg: &[u8],
    q: &Query,
) -> bool {
    let Some(&upstream) = sh.settings.upstreams.first() else {
        return false;
    };
    // The socket is made before taking the lock the relay thread shares.
    let (Some(id), Ok(s)) = (rand.u16(), out_socks.socket(upstream, rand)) else {
        return false;
    };
    let Ok(mut p) = pending.lock() else { return false };
    let Some(i) = p.insert(client, msg, q, id, s) else {
        return false;
    };
    let slot = &p.slots[i];
    let Some(s) = slot.sock.as_ref() else { return false };
    if out_socks.watch(s, i).is_err() {
        p.release(i);
        return false;
    }
    // A send error (no route) waits for the timeout, which tries the next
    // upstream.
    let _ = s.send(&slot.query[..slot.len]);
    true
}
