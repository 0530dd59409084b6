//! DNS over TCP: accepting connections (capped), length-prefixed messages
//! on each, and forwarding over a TCP connection to the upstreams.
//!
//! Bounds: at most [`MAX_TCP_CONNS`] connections (more are closed at once),
//! each with its own thread and the [`TCP_IDLE`] read/write timeout, so a
//! slow client only holds its own slot; a message is at most 64 KiB by its
//! 2-byte prefix and fits the buffer, so no length read from the wire can
//! index out of bounds.

use super::decide::{decide, Action};
use super::setup::spawn;
use super::shared::{Shared, View};
use super::stats::bump;
use crate::dns::wire::{self, rcode, MAX_OWN_RESPONSE};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// Concurrent TCP connections at most.
pub const MAX_TCP_CONNS: usize = 64;
/// A TCP connection idle this long is closed.
pub const TCP_IDLE: Duration = Duration::from_secs(10);
/// A TCP connection is closed after this long whatever it does, so a
/// client trickling bytes cannot hold one of the capped slots forever.
pub const TCP_LIFETIME: Duration = Duration::from_secs(60);

/// Accepts connections until `stop`, each on its own thread.
pub(super) fn tcp_accept(sh: Arc<Shared>, listener: TcpListener) {
    for conn in listener.incoming() {
        if sh.stop.load(Ordering::Relaxed) {
            return;
        }
        let Ok(stream) = conn else { continue };
        if sh.tcp_conns.fetch_add(1, Ordering::AcqRel) >= MAX_TCP_CONNS {
            sh.tcp_conns.fetch_sub(1, Ordering::AcqRel);
            bump(&sh.stats.tcp_refused);
            continue; // dropping the stream closes it
        }
        let sh2 = sh.clone();
        let started = spawn("dns-tcp", move || {
            tcp_conn(&sh2, stream);
            sh2.tcp_conns.fetch_sub(1, Ordering::AcqRel);
        });
        if started.is_err() {
            sh.tcp_conns.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

/// Reads one length-prefixed message; `None` at EOF, timeout or error.
pub(super) fn read_msg(s: &mut impl Read, buf: &mut [u8]) -> Option<usize> {
    let mut len = [0u8; 2];
    s.read_exact(&mut len).ok()?;
    let n = u16::from_be_bytes(len) as usize;
    // The 2-byte prefix bounds a message at 64 KiB; the buffer holds that.
    let dst = buf.get_mut(..n)?;
    s.read_exact(dst).ok()?;
    Some(n)
}

/// Writes one message with its 2-byte length prefix.
pub(super) fn write_msg(s: &mut impl Write, msg: &[u8]) -> std::io::Result<()> {
    let len = u16::try_from(msg.len()).map_err(std::io::Error::other)?;
    let mut framed = Vec::with_capacity(msg.len() + 2);
    framed.extend_from_slice(&len.to_be_bytes());
    framed.extend_from_slice(msg);
    s.write_all(&framed)
}

fn tcp_conn(sh: &Shared, mut stream: TcpStream) {
    let Ok(peer) = stream.peer_addr() else { return };
    let _ = stream.set_read_timeout(Some(TCP_IDLE));
    let _ = stream.set_write_timeout(Some(TCP_IDLE));
    let _ = stream.set_nodelay(true);
    let mut view = View::new(sh);
    let mut buf = vec![0u8; 65535];
    let mut out = [0u8; MAX_OWN_RESPONSE];
    while !sh.stop.load(Ordering::Relaxed) {
        let Some(n) = read_msg(&mut stream, &mut buf) else {
            break;
        };
        let answered = match decide(sh, &mut view, peer.ip(), &buf[..n], &mut out, true) {
            Action::Reply(len) => write_msg(&mut stream, &out[..len]),
            Action::Drop => Ok(()),
            Action::Forward(q) => {
                bump(&sh.stats.forwarded);
                match forward_tcp(sh, &buf[..n], q.question_end) {
                    Some(reply) => {
                        bump(&sh.stats.relayed);
                        write_msg(&mut stream, &reply)
                    }
                    None => {
                        bump(&sh.stats.servfail);
                        match wire::write_error(&q, rcode::SERVFAIL, &mut out) {
                            Ok(len) => write_msg(&mut stream, &out[..len]),
                            Err(_) => Ok(()),
                        }
                    }
                }
            }
        };
        if answered.is_err() {
            break;
        }
    }
    let _ = stream.shutdown(Shutdown::Both);
}

/// One query over TCP to each upstream in turn; the first answer with the
/// same ID and question wins (TCP is not spoofable off-path, but a
/// confused upstream must not answer another question).
fn forward_tcp(sh: &Shared, msg: &[u8], question_end: usize) -> Option<Vec<u8>> {
    let timeout = sh.settings.upstream_timeout;
    for up in &sh.settings.upstreams {
        let Ok(mut s) = TcpStream::connect_timeout(up, timeout) else {
            continue;
        };
        let _ = s.set_read_timeout(Some(timeout));
        let _ = s.set_write_timeout(Some(timeout));
        if write_msg(&mut s, msg).is_err() {
            continue;
        }
        let mut buf = vec![0u8; 65535];
        if let Some(n) = read_msg(&mut s, &mut buf) {
            if wire::reply_matches(&buf[..n], msg, question_end) {
                buf.truncate(n);
                return Some(buf);
            }
        }
    }
    None
}
