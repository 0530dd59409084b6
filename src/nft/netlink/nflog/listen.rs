//! The NFLOG subscription: a `NETLINK_NETFILTER` socket bound to one log
//! group, reading batches of logged packets and counting the messages the
//! kernel could not deliver.
//!
//! Losses show up two ways. When the socket's receive queue is full the
//! kernel drops a whole datagram (up to a flush's worth of messages) and
//! the next `recv` fails with `ENOBUFS`, which says that something was
//! lost but not how much. With `NFULNL_CFG_F_SEQ` every message carries
//! the group's sequence number, so the first packet after a drop tells
//! the exact count by its gap; [`Gaps`] combines both without counting a
//! drop twice.

use super::{
    bind_msg, flags_msg, mode_msg, parse_packet, u32_cfg_msg, LoggedPacket, NFULA_CFG_QTHRESH,
    NFULA_CFG_TIMEOUT, NFULNL_CFG_F_SEQ,
};
use crate::nft::netlink::socket::{open_netfilter, NlError};
use crate::nft::netlink::{messages, parse_ack, NLMSG_DONE, NLMSG_ERROR};
use nix::errno::Errno;
use nix::sys::socket::{recv, send, setsockopt, sockopt, MsgFlags};
use nix::sys::time::TimeVal;
use std::os::fd::{AsRawFd, OwnedFd};
use std::time::{Duration, Instant};

/// Receive queue asked for (`SO_RCVBUFFORCE`): room for bursts while the
/// daemon is busy. Each queued datagram is charged its whole buffer.
const RCVBUF: usize = 4 << 20;
/// One datagram: the kernel flushes a group's batch at its buffer size
/// (`nlbufsiz`, at most 128 KiB, by default a page).
const DATAGRAM: usize = 128 << 10;
/// How long setup waits for each acknowledgement.
const SETUP_TIMEOUT: Duration = Duration::from_secs(5);
/// `NLMSG_NOOP`.
const NLMSG_NOOP: u16 = 1;

/// What one [`Listener::next_batch`] call saw.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct BatchStats {
    /// Packets decoded and handed to the callback.
    pub packets: u64,
    /// Messages that could not be used (garbage, truncated, unknown type).
    pub skipped: u64,
    /// Messages the kernel dropped before they reached the socket.
    pub lost: u64,
}

/// A subscription to one NFLOG group in the caller's network namespace.
pub struct Listener {
    fd: OwnedFd,
    group: u16,
    buf: Vec<u8>,
    gaps: Gaps,
}

impl Listener {
    /// Opens a `NETLINK_NETFILTER` socket, binds `group`, asks for copies
    /// of the first [`COPY_RANGE`](super::COPY_RANGE) bytes of each packet
    /// and for sequence numbers, forces a large receive buffer (best
    /// effort: needs `CAP_NET_ADMIN`), and waits at most `poll` in each
    /// [`next_batch`](Self::next_batch) so the caller can check a stop
    /// flag (a zero `poll` is taken as 1 ms, not "forever").
    pub fn open(group: u16, poll: Duration) -> Result<Listener, NlError> {
        let fd = open_netfilter()?;
        let _ = setsockopt(&fd, sockopt::RcvBufForce, &RCVBUF);
        setsockopt(&fd, sockopt::ReceiveTimeout, &timeval(SETUP_TIMEOUT))?;
        let mut l = Listener {
            fd,
            group,
            buf: vec![0; DATAGRAM],
            gaps: Gaps::default(),
        };
        // No unbind first: the kernel lets only the owning socket unbind,
        // and drops a dead socket's binding itself, so a group that is
        // still bound belongs to a live process (EPERM, reported here).
        l.configure(bind_msg(2, group, true), 2, "bind the group")?;
        l.configure(mode_msg(3, group), 3, "set the copy mode")?;
        l.configure(flags_msg(4, group, NFULNL_CFG_F_SEQ), 4, "number the messages")?;
        // A hit reaches the host table within 0.1 s instead of the
        // kernel's default 1 s; a flood still comes in batches.
        l.configure(
            u32_cfg_msg(5, group, NFULA_CFG_TIMEOUT, 10),
            5,
            "set the flush timeout",
        )?;
        l.configure(
            u32_cfg_msg(6, group, NFULA_CFG_QTHRESH, 32),
            6,
            "set the batch size",
        )?;
        setsockopt(
            &l.fd,
            sockopt::ReceiveTimeout,
            &timeval(poll.max(Duration::from_millis(1))),
        )?;
        Ok(l)
    }

    /// Sets the receive buffer to `bytes` (`SO_RCVBUF`, capped by
    /// `net.core.rmem_max`; the kernel doubles it and has a minimum).
    /// For tests that need the queue to overflow, and for tuning.
    pub fn set_rcvbuf(&self, bytes: usize) -> Result<(), NlError> {
        setsockopt(&self.fd, sockopt::RcvBuf, &bytes)?;
        Ok(())
    }

    /// Sends one config message and waits for its acknowledgement.
    fn configure(&mut self, msg: Vec<u8>, seq: u32, step: &'static str) -> Result<(), NlError> {
        let n = send(self.fd.as_raw_fd(), &msg, MsgFlags::empty())?;
        if n != msg.len() {
            return Err(NlError::Sys(Errno::EMSGSIZE));
        }
        let deadline = Instant::now() + SETUP_TIMEOUT;
        while Instant::now() < deadline {
            let n = match recv(self.fd.as_raw_fd(), &mut self.buf, MsgFlags::empty()) {
                Err(Errno::EINTR) => continue,
                Err(Errno::EAGAIN) => break,
                Err(e) => return Err(NlError::Sys(e)),
                Ok(n) => n,
            };
            for m in messages(&self.buf[..n]) {
                let m = m?;
                if m.ty != NLMSG_ERROR || m.seq != seq {
                    continue;
                }
                let ack = parse_ack(m.payload)?;
                if ack.error == 0 {
                    return Ok(());
                }
                return Err(NlError::Nflog {
                    group: self.group,
                    step,
                    errno: Errno::from_raw(-ack.error),
                });
            }
        }
        Err(NlError::Nflog {
            group: self.group,
            step,
            errno: Errno::ETIMEDOUT,
        })
    }

    /// Waits for one datagram (up to the poll timeout) and calls `f` for
    /// every packet decoded from it. Garbage, truncated and unknown
    /// messages are counted in `skipped`, never fatal; `lost` counts what
    /// the kernel dropped (from `ENOBUFS` and sequence gaps). A timeout is
    /// `Ok` with zero counts; only a real socket failure is `Err`.
    pub fn next_batch(&mut self, mut f: impl FnMut(&LoggedPacket)) -> Result<BatchStats, NlError> {
        let mut st = BatchStats::default();
        let n = match recv(self.fd.as_raw_fd(), &mut self.buf, MsgFlags::empty()) {
            Ok(n) => n,
            Err(Errno::EAGAIN | Errno::EINTR) => return Ok(st),
            Err(Errno::ENOBUFS) => {
                st.lost += self.gaps.overrun();
                return Ok(st);
            }
            Err(e) => return Err(NlError::Sys(e)),
        };
        for m in messages(&self.buf[..n]) {
            let Ok(m) = m else {
                st.skipped += 1;
                continue;
            };
            match parse_packet(&m) {
                Ok(Some(p)) => {
                    if let Some(s) = p.seq {
                        st.lost += self.gaps.seen(s);
                    }
                    st.packets += 1;
                    f(&p);
                }
                // The end of a multi-part batch, and stray acknowledgements.
                Ok(None) if matches!(m.ty, NLMSG_DONE | NLMSG_NOOP) => {}
                Ok(None) if m.ty == NLMSG_ERROR && parse_ack(m.payload).is_ok_and(|a| a.error == 0) => {}
                Ok(None) | Err(_) => st.skipped += 1,
            }
        }
        Ok(st)
    }
}

fn timeval(d: Duration) -> TimeVal {
    TimeVal::new(d.as_secs() as _, d.subsec_micros() as _)
}

/// Lost-message accounting from `ENOBUFS` reports and sequence gaps.
///
/// An `ENOBUFS` is counted as one loss at once (the caller learns of it
/// even if no packet follows) and kept as credit; the next gap counts only
/// what exceeds that credit, so a drop reported both ways counts once.
#[derive(Debug, Default)]
struct Gaps {
    /// The sequence number expected next; `None` before the first packet.
    next: Option<u32>,
    /// Losses already reported by `ENOBUFS` but not yet seen as a gap.
    credit: u64,
}

impl Gaps {
    /// A receive queue overflow; returns the losses to report now.
    fn overrun(&mut self) -> u64 {
        self.credit += 1;
        1
    }

    /// A packet with sequence number `seq`; returns the new losses.
    fn seen(&mut self, seq: u32) -> u64 {
        let gap = match self.next {
            // A "gap" of half the space or more is a step backwards (a
            // re-created group restarts at 0), not billions of losses.
            Some(expected) => match seq.wrapping_sub(expected) {
                d if d < 1 << 31 => u64::from(d),
                _ => 0,
            },
            None => 0,
        };
        self.next = Some(seq.wrapping_add(1));
        let new = gap.saturating_sub(self.credit);
        self.credit = self.credit.saturating_sub(gap);
        new
    }
}

/// Interface name of an ifindex in the caller's network namespace, `None`
/// when unknown. Asks the kernel (`if_indextoname`), not `/sys`, which
/// shows the namespace it was mounted in.
pub fn if_name(index: u32) -> Option<String> {
    let name = nix::net::if_::if_indextoname(index).ok()?;
    // nix 0.30 misses libc's NULL (unknown index) and returns "".
    name.into_string().ok().filter(|n| !n.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_count_skipped_sequence_numbers() {
        let mut g = Gaps::default();
        assert_eq!(g.seen(5), 0, "the first number sets the start");
        assert_eq!(g.seen(6), 0);
        assert_eq!(g.seen(10), 3);
        assert_eq!(g.seen(11), 0);
        // Wrapping around u32 is not a loss.
        let mut g = Gaps::default();
        assert_eq!(g.seen(u32::MAX - 1), 0);
        assert_eq!(g.seen(u32::MAX), 0);
        assert_eq!(g.seen(0), 0);
        assert_eq!(g.seen(2), 1);
        // A step backwards (or a duplicate) resynchronises without a loss.
        assert_eq!(g.seen(1), 0);
        assert_eq!(g.seen(2), 0);
        assert_eq!(g.seen(2), 0);
    }

    #[test]
    fn enobufs_and_gap_count_one_drop_once() {
        // ENOBUFS first, then the queued packets, then the gap.
        let mut g = Gaps::default();
        assert_eq!(g.overrun(), 1);
        let before: u64 = (0..5).map(|s| g.seen(s)).sum();
        assert_eq!(before, 0);
        assert_eq!(g.seen(10), 4, "5 lost, 1 already reported");
        assert_eq!(g.seen(11), 0);
        // Queued packets, then ENOBUFS, then the gap.
        let mut g = Gaps::default();
        assert_eq!(g.seen(0), 0);
        assert_eq!(g.overrun(), 1);
        assert_eq!(g.seen(3), 1);
        // Two overruns but a gap of one: nothing more; the spare credit
        // absorbs part of a later gap, which is at most one drop's worth.
        let mut g = Gaps::default();
        g.seen(0);
        g.overrun();
        g.overrun();
        assert_eq!(g.seen(2), 0);
        assert_eq!(g.seen(5), 1);
        assert_eq!(g.seen(9), 3);
    }

    #[test]
    fn overrun_without_sequence_numbers_still_counts() {
        let mut g = Gaps::default();
        assert_eq!(g.overrun() + g.overrun(), 2);
    }

    #[test]
    fn loopback_has_a_name() {
        // Index 1 is `lo` in every namespace Linux creates.
        assert_eq!(if_name(1).as_deref(), Some("lo"));
        assert_eq!(if_name(0), None);
        assert_eq!(if_name(u32::MAX), None);
    }
}
