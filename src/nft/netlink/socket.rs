//! The thin I/O layer: one `NETLINK_NETFILTER` socket that sends a batch
//! and checks every acknowledgement, and that runs element dumps.
//!
//! Buffers are forced larger (`SO_SNDBUFFORCE`, `SO_RCVBUFFORCE`, root
//! only) because one batch is sent in one datagram and the kernel checks
//! it against the send buffer, and because every element message is
//! acknowledged at once after the commit. Without root the defaults stay,
//! and the caller's bounded transactions still fit in most cases.

use super::{messages, parse_ack, parse_setelem_msg, AckRange, Key, ParseError, NLMSG_DONE, NLMSG_ERROR};
use nix::errno::Errno;
use nix::sys::socket::{
    bind, recv, send, setsockopt, socket, sockopt, AddressFamily, MsgFlags, NetlinkAddr, SockFlag,
    SockProtocol, SockType,
};
use nix::sys::time::TimeVal;
use std::os::fd::{AsRawFd, OwnedFd};

/// Send/receive buffer asked for (bytes). A 64k-element IPv4 transaction
/// is about 1.5 MiB.
const SOCK_BUF: usize = 8 << 20;
/// Receive buffer: large enough for a dump message or an error that
/// echoes a whole 64 KiB request.
const RECV_BUF: usize = 256 << 10;
/// How long to wait for the kernel before giving up on a reply. A bounded
/// transaction takes well under a second; this only guards against a hang.
const REPLY_TIMEOUT_S: i64 = 60;

/// A netlink failure.
#[derive(Debug, thiserror::Error)]
pub enum NlError {
    /// A socket call failed.
    #[error("netlink socket: {0}")]
    Sys(#[from] Errno),
    /// The kernel answered with an error code.
    #[error("the kernel answered {0}")]
    Kernel(Errno),
    /// The reply could not be read.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// The kernel refused to set up an NFLOG group subscription.
    #[error("NFLOG group {group}: the kernel refused to {step}: {errno}{}", nflog_hint(*.errno))]
    Nflog {
        /// The log group.
        group: u16,
        /// What was asked ("bind the group", "set the copy mode", …).
        step: &'static str,
        /// The kernel's answer.
        errno: Errno,
    },
}

/// Likely causes of an NFLOG setup error, for the message.
fn nflog_hint(e: Errno) -> &'static str {
    match e {
        // nfnetlink answers EINVAL for a subsystem that is not there, and
        // nfnetlink_log EOPNOTSUPP/ENOENT for commands it cannot run.
        Errno::EINVAL | Errno::EOPNOTSUPP | Errno::ENOENT | Errno::EPROTONOSUPPORT => {
            " (is nfnetlink_log loaded? OpenWrt: kmod-nfnetlink-log)"
        }
        Errno::EBUSY | Errno::EPERM => " (another process is bound to this group)",
        _ => "",
    }
}

/// An open nfnetlink socket.
pub struct Socket {
    fd: OwnedFd,
    seq: u32,
    buf: Vec<u8>,
}

/// A `NETLINK_NETFILTER` socket bound in the caller's network namespace
/// (the kernel picks the port id): the start of the loader's socket and
/// of the NFLOG listener.
pub fn open_netfilter() -> Result<OwnedFd, NlError> {
    let fd = socket(
        AddressFamily::Netlink,
        SockType::Raw,
        SockFlag::SOCK_CLOEXEC,
        SockProtocol::NetlinkNetFilter,
    )?;
    bind(fd.as_raw_fd(), &NetlinkAddr::new(0, 0))?;
    Ok(fd)
}

impl Socket {
    /// Opens and binds a socket in the caller's network namespace.
    pub fn open() -> Result<Self, NlError> {
        let fd = open_netfilter()?;
        // Best effort: without CAP_NET_ADMIN the defaults stay.
        let _ = setsockopt(&fd, sockopt::SndBufForce, &SOCK_BUF);
        let _ = setsockopt(&fd, sockopt::RcvBufForce, &SOCK_BUF);
        setsockopt(&fd, sockopt::ReceiveTimeout, &TimeVal::new(REPLY_TIMEOUT_S, 0))?;
        // Start sequence numbers somewhere unlikely to match a stale reply.
        let seq = std::process::id().wrapping_mul(0x9E37_79B9);
        Ok(Socket {
            fd,
            seq,
            buf: vec![0; RECV_BUF],
        })
    }

    /// Reserves `n` sequence numbers and returns the first.
    pub fn take_seq(&mut self, n: u32) -> u32 {
        let s = self.seq;
        self.seq = self.seq.wrapping_add(n);
        s
    }

    fn send_all(&self, bytes: &[u8]) -> Result<(), NlError> {
        let n = send(self.fd.as_raw_fd(), bytes, MsgFlags::empty())?;
        if n != bytes.len() {
            return Err(NlError::Sys(Errno::EMSGSIZE));
        }
        Ok(())
    }

    fn recv_one(&mut self) -> Result<usize, NlError> {
        loop {
            match recv(self.fd.as_raw_fd(), &mut self.buf, MsgFlags::empty()) {
                Err(Errno::EINTR) => continue,
                Err(Errno::EAGAIN) => return Err(NlError::Sys(Errno::ETIMEDOUT)),
                Err(e) => return Err(NlError::Sys(e)),
                Ok(n) => return Ok(n),
            }
        }
    }

    /// Sends one batch and waits for every acknowledgement. Returns the
    /// first error the kernel reported; the kernel then aborted the whole
    /// transaction, so nothing of this batch is installed.
    pub fn transact(&mut self, bytes: &[u8], acks: AckRange) -> Result<(), NlError> {
        self.send_all(bytes)?;
        let mut first_err: Option<Errno> = None;
        let mut seen = 0u32;
        loop {
            let n = match self.recv_one() {
                Ok(n) => n,
                // After an error the kernel may not acknowledge the rest;
                // the error is what matters.
                Err(_) if first_err.is_some() => break,
                Err(e) => return Err(e),
            };
            let mut done = false;
            for m in messages(&self.buf[..n]) {
                let m = m?;
                if m.ty != NLMSG_ERROR {
                    continue;
                }
                let ack = parse_ack(m.payload)?;
                if ack.error != 0 && first_err.is_none() {
                    first_err = Some(Errno::from_raw(-ack.error));
                    // Shorten the wait for acknowledgements that may not come.
                    let _ = setsockopt(&self.fd, sockopt::ReceiveTimeout, &TimeVal::new(0, 200_000));
                }
                if ack.seq == acks.begin && ack.error != 0 {
                    done = true;
                }
                if seq_in(ack.seq, acks.first, acks.last) {
                    seen += 1;
                }
                if ack.seq == acks.last || seen >= acks.count {
                    done = true;
                }
            }
            if done {
                break;
            }
        }
        if first_err.is_some() {
            let _ = setsockopt(
                &self.fd,
                sockopt::ReceiveTimeout,
                &TimeVal::new(REPLY_TIMEOUT_S, 0),
            );
            self.drain();
        }
        match first_err {
            Some(e) => Err(NlError::Kernel(e)),
            None => Ok(()),
        }
    }

    /// Discards replies still queued (late acknowledgements of a failed
    /// batch), so the next request reads only its own.
    fn drain(&mut self) {
        while let Ok(n) = recv(self.fd.as_raw_fd(), &mut self.buf, MsgFlags::MSG_DONTWAIT) {
            if n == 0 {
                break;
            }
        }
    }

    /// Dumps the elements of `table`/`set`, calling `f(key, interval_end)`
    /// for each, in the kernel's order.
    pub fn dump_elems<K: Key>(
        &mut self,
        table: &str,
        set: &str,
        mut f: impl FnMut(K, bool),
    ) -> Result<(), NlError> {
        let seq = self.take_seq(1);
        let req = super::getsetelem_dump(seq, table, set);
        self.dump(&req, seq, |payload| Ok(parse_setelem_msg::<K>(payload, &mut f)?))
    }

    /// Sends a dump request and hands each reply message of that sequence
    /// to `each` until the kernel ends the dump (DONE, or an ACK/error).
    fn dump(
        &mut self,
        req: &[u8],
        seq: u32,
        mut each: impl FnMut(&[u8]) -> Result<(), NlError>,
    ) -> Result<(), NlError> {
        self.send_all(req)?;
        loop {
            let n = self.recv_one()?;
            for m in messages(&self.buf[..n]) {
                let m = m?;
                if m.seq != seq {
                    continue;
                }
                match m.ty {
                    NLMSG_DONE => return Ok(()),
                    NLMSG_ERROR => {
                        let ack = parse_ack(m.payload)?;
                        if ack.error != 0 {
                            return Err(NlError::Kernel(Errno::from_raw(-ack.error)));
                        }
                        return Ok(());
                    }
                    _ => each(m.payload)?,
                }
            }
        }
    }

    /// Sends a single-object GET and returns the u64 attribute `attr` of
    /// the reply; `None` when the kernel says `ENOENT`.
    fn get_handle(&mut self, req: &[u8], seq: u32, attr: u16) -> Result<Option<u64>, NlError> {
        self.send_all(req)?;
        let mut found = None;
        loop {
            let n = self.recv_one()?;
            for m in messages(&self.buf[..n]) {
                let m = m?;
                if m.seq != seq {
                    continue;
                }
                if m.ty == NLMSG_ERROR {
                    let ack = parse_ack(m.payload)?;
                    return match Errno::from_raw(-ack.error) {
                        _ if ack.error == 0 => Ok(found),
                        Errno::ENOENT => Ok(None),
                        e => Err(NlError::Kernel(e)),
                    };
                }
                found = Some(super::u64_attr(m.payload, attr)?.unwrap_or(0));
            }
        }
    }

    /// True when `table`/`set` has an element at `key`.
    pub fn has_elem<K: Key>(&mut self, table: &str, set: &str, key: K) -> Result<bool, NlError> {
        let seq = self.take_seq(1);
        Ok(self
            .get_handle(&super::getsetelem_one(seq, table, set, key), seq, 0)?
            .is_some())
    }

    /// The handle of `table` (family inet), `None` when it does not exist.
    /// A recreated table gets a new handle.
    pub fn table_handle(&mut self, table: &str) -> Result<Option<u64>, NlError> {
        let seq = self.take_seq(1);
        self.get_handle(&super::gettable(seq, table), seq, super::NFTA_TABLE_HANDLE)
    }

    /// The handle of `table`/`set`, `None` when it does not exist.
    pub fn set_handle(&mut self, table: &str, set: &str) -> Result<Option<u64>, NlError> {
        let seq = self.take_seq(1);
        self.get_handle(&super::getset(seq, table, set), seq, super::NFTA_SET_HANDLE)
    }

    /// The counters of `table`: (name, packets, bytes).
    pub fn counters(&mut self, table: &str) -> Result<Vec<(String, u64, u64)>, NlError> {
        let seq = self.take_seq(1);
        let req = super::getobj_counters_dump(seq, table);
        let mut out = Vec::new();
        self.dump(&req, seq, |payload| {
            out.extend(super::parse_counter_obj(payload)?);
            Ok(())
        })?;
        Ok(out)
    }

    /// Sends raw bytes (used by the NFLOG reader for its config messages).
    pub fn send_raw(&self, bytes: &[u8]) -> Result<(), NlError> {
        self.send_all(bytes)
    }

    /// Receives one datagram into the internal buffer and returns it.
    pub fn recv_raw(&mut self) -> Result<&[u8], NlError> {
        let n = self.recv_one()?;
        Ok(&self.buf[..n])
    }

    /// Sets the receive timeout.
    pub fn set_timeout(&self, d: std::time::Duration) -> Result<(), NlError> {
        let tv = TimeVal::new(d.as_secs() as i64, d.subsec_micros() as _);
        setsockopt(&self.fd, sockopt::ReceiveTimeout, &tv)?;
        Ok(())
    }
}

/// True when `s` lies in the wrapping sequence window `[first, last]`.
fn seq_in(s: u32, first: u32, last: u32) -> bool {
    s.wrapping_sub(first) <= last.wrapping_sub(first)
}

#[cfg(test)]
mod tests {
    use super::seq_in;

    #[test]
    fn sequence_window_wraps() {
        assert!(seq_in(5, 5, 7));
        assert!(!seq_in(8, 5, 7));
        assert!(seq_in(1, u32::MAX, 2));
        assert!(!seq_in(4, 5, 7));
    }
}
