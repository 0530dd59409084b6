//! Upstream replies to forwarded UDP queries, and queries that got none.
//!
//! Each query in flight has its own connected socket; when one is
//! readable, its datagrams are checked against the slot: relayed only if
//! from the upstream address and port the query went to, with the ID we
//! chose and the same question. Anything else is counted as `mismatched`
//! and dropped, and the query keeps waiting for the genuine reply. The
//! reply then gets the client's ID back, is cut to header and question
//! with TC when it exceeds the client's buffer, and goes to the client.
//! Every 100 ms, queries past the timeout are sent again to the next
//! upstream (new socket, new port, new ID) or get SERVFAIL, so a slot
//! never stays taken for long.

use super::outbound::Outbound;
use super::pending::Pending;
use super::rand::Rand;
use super::shared::Shared;
use super::stats::bump;
use crate::dns::wire::{self, rcode, MAX_OWN_RESPONSE};
use nix::sys::epoll::EpollEvent;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Datagrams read from one socket per wake-up: bounds the work a flood of
/// forged replies can make per event (epoll reports the rest again).
const READS_PER_EVENT: usize = 16;

/// Relays the replies to a worker's forwarded queries until `stop`.
pub(super) fn udp_relay(
    sh: Arc<Shared>,
    sock: UdpSocket,
    out_socks: Arc<Outbound>,
    pending: Arc<Mutex<Pending>>,
) {
    let mut buf = vec![0u8; 65535];
    let mut out = [0u8; MAX_OWN_RESPONSE];
    let mut events = [EpollEvent::empty(); 64];
    let mut rand = Rand::new();
    let mut last_scan = Instant::now();
    while !sh.stop.load(Ordering::Relaxed) {
        let n = out_socks.wait(&mut events, 100);
        for ev in &events[..n] {
            if let Some((client, len)) = take_reply(&sh, &pending, ev.data() as usize, &mut buf) {
                let _ = sock.send_to(&buf[..len], client);
                bump(&sh.stats.relayed);
            }
        }
        if last_scan.elapsed() >= Duration::from_millis(100) {
            last_scan = Instant::now();
            expire(&sh, &sock, &out_socks, &pending, &mut rand, &mut out);
        }
    }
}

/// Reads slot `i`'s socket until a reply it accepts (ready in `buf` for
/// the client: its ID, fitted to its buffer) or nothing is left.
fn take_reply(
    sh: &Shared,
    pending: &Mutex<Pending>,
    i: usize,
    buf: &mut [u8],
) -> Option<(SocketAddr, usize)> {
    let mut p = pending.lock().ok()?;
    let s = p.slots.get(i).filter(|s| s.used)?;
    let sock = s.sock.as_ref()?;
    let upstream = sh.settings.upstreams.get(s.upstream);
    for _ in 0..READS_PER_EVENT {
        // An error is "would block": all was read (or the event was for
        // an earlier socket of this slot, already closed).
        let (n, from) = sock.recv_from(buf).ok()?;
        let reply = &mut buf[..n];
        if !s.accepts(upstream, from, reply) {
            bump(&sh.stats.mismatched);
            continue;
        }
        wire::set_message_id(reply, s.client_id);
        let len = wire::fit_reply(reply, s.question_end, s.limit, s.client_do);
        if len.is_some_and(|l| l < n) {
            bump(&sh.stats.truncated);
        }
        let client = s.client;
        p.release(i);
        return len.map(|l| (client, l));
    }
    None
}

/// Queries past the timeout go to the next upstream, or get SERVFAIL.
fn expire(
    sh: &Shared,
    sock: &UdpSocket,
    out_socks: &Outbound,
    pending: &Mutex<Pending>,
    rand: &mut Rand,
    out: &mut [u8],
) {
    let Ok(mut p) = pending.lock() else { return };
    let timeout = sh.settings.upstream_timeout;
    let ups = &sh.settings.upstreams;
    for i in 0..p.slots.len() {
        let s = &mut p.slots[i];
        if !s.used || s.sent.elapsed() < timeout {
            continue;
        }
        if s.upstream + 1 < ups.len() && resend(s, ups[s.upstream + 1], out_socks, rand, i) {
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

/// Sends slot `i`'s query to the next upstream, `to`, from a new socket
/// with a new ID (the old socket closes: a late reply to it is dropped by
/// the kernel); false if that cannot be done.
fn resend(
    s: &mut super::pending::Slot,
    to: SocketAddr,
    out_socks: &Outbound,
    rand: &mut Rand,
    i: usize,
) -> bool {
    let (Some(id), Ok(new)) = (rand.u16(), out_socks.socket(to, rand)) else {
        return false;
    };
    if out_socks.watch(&new, i).is_err() {
        return false;
    }
    wire::set_message_id(&mut s.query[..s.len], id);
    s.upstream += 1;
    s.sent = Instant::now();
    let _ = new.send(&s.query[..s.len]);
    s.sock = Some(new);
    true
}
