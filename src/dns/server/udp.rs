//! The UDP workers: one blocking `recv_from` loop per `SO_REUSEPORT`
//! socket that answers from stack buffers and hands forwarded queries to
//! its upstream socket and [`Pending`] table.
//!
//! No allocation and no blocklist lock on the way; a query too large to
//! forward, or one that finds the table full, gets SERVFAIL at once. The
//! receive timeout only serves to notice `stop`.

use super::decide::{decide, Action};
use super::pending::{Pending, MAX_UDP_QUERY};
use super::shared::{Shared, View};
use super::stats::bump;
use crate::dns::wire::{self, rcode, MAX_OWN_RESPONSE};
use std::net::UdpSocket;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

/// Serves one UDP socket until `stop`.
pub(super) fn udp_worker(
    sh: Arc<Shared>,
    sock: UdpSocket,
    upstream: UdpSocket,
    pending: Arc<Mutex<Pending>>,
) {
    let mut view = View::new(&sh);
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
                let sent = if n > MAX_UDP_QUERY {
                    None
                } else {
                    let mut p = match pending.lock() {
                        Ok(p) => p,
                        Err(_) => continue,
                    };
                    p.insert(src, msg, q.question_end).map(|i| {
                        let s = &p.slots[i];
                        let ok = upstream
                            .send_to(&s.query[..s.len], sh.settings.upstreams[0])
                            .is_ok();
                        (i, ok)
                    })
                };
                match sent {
                    Some((_, true)) => bump(&sh.stats.forwarded),
                    // A send error (no route) waits for the timeout, which
                    // tries the next upstream.
                    Some((_, false)) => {}
                    None => {
                        bump(&sh.stats.servfail);
                        if let Ok(len) = wire::write_error(&q, rcode::SERVFAIL, &mut out) {
                            let _ = sock.send_to(&out[..len], src);
                        }
                    }
                }
            }
        }
    }
}
