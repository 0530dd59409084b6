//! Sockets for forwarded UDP queries: a fresh one per transmission, bound
//! to a source port drawn from the OS CSPRNG and connected to the one
//! upstream the query goes to, as unbound does. A spoofer must then guess
//! the port (about 15 bits in Linux's default ephemeral range) on top of
//! the 16-bit ID, instead of a port fixed per worker; the connected socket
//! makes the kernel drop datagrams from any other address or port, and
//! closing it when the query is done makes late or forged replies land on
//! a closed port.
//!
//! Ports come from the kernel's ephemeral range (`ip_local_port_range`):
//! the range the administrator set aside for exactly this, so a service
//! binding a fixed port elsewhere never races with us. A port in use is
//! skipped; after a few misses the kernel picks one (it randomises too).
//!
//! Every socket takes a descriptor, so their number is capped for the whole
//! server ([`Budget`]: the soft `RLIMIT_NOFILE` minus a reserve for the
//! rest of the daemon): a LAN flood of queries for slow names gets
//! SERVFAIL instead of starving the daemon of descriptors.
//!
//! Each worker has one epoll set over its in-flight sockets (the event
//! data is the slot index in its `Pending` table); its relay thread
//! waits on it. A closed socket leaves the set by itself.

use super::rand::Rand;
use nix::errno::Errno;
use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags};
use nix::sys::socket::{self as s, AddressFamily, SockFlag, SockType, SockaddrStorage};
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::ops::Deref;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Linux's default `net.ipv4.ip_local_port_range`.
const DEFAULT_PORTS: (u16, u16) = (32768, 60999);
/// Random ports tried before leaving the choice to the kernel.
const PORT_TRIES: usize = 8;
/// Descriptors left to the rest of the daemon (listeners, TCP
/// connections, files, netlink) when sizing the [`Budget`].
const FD_RESERVE: usize = 256;

/// How many forwarding sockets may be open at once, server-wide.
pub(super) struct Budget {
    open: AtomicUsize,
    max: usize,
}

impl Budget {
    /// At most `max` sockets at once.
    pub(super) fn new(max: usize) -> Arc<Budget> {
        Arc::new(Budget {
            open: AtomicUsize::new(0),
            max,
        })
    }

    /// What the process may open: the soft `RLIMIT_NOFILE` (from
    /// /proc/self/limits) minus [`FD_RESERVE`], at most `cap`, at least 16.
    pub(super) fn from_limits(cap: usize) -> Arc<Budget> {
        let soft = std::fs::read_to_string("/proc/self/limits")
            .ok()
            .and_then(|t| soft_nofile(&t))
            .unwrap_or(1024);
        Budget::new(soft.saturating_sub(FD_RESERVE).clamp(16, cap.max(16)))
    }

    fn take(self: &Arc<Self>) -> Option<Arc<Budget>> {
        let n = self.open.fetch_add(1, Ordering::AcqRel);
        if n >= self.max {
            self.open.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        Some(self.clone())
    }
}

/// A forwarding socket; its place in the [`Budget`] is given back when
/// it is dropped (closed).
pub(super) struct OutSock {
    sock: UdpSocket,
    budget: Arc<Budget>,
}

impl Deref for OutSock {
    type Target = UdpSocket;
    fn deref(&self) -> &UdpSocket {
        &self.sock
    }
}

impl Drop for OutSock {
    fn drop(&mut self) {
        self.budget.open.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A socket on loopback outside any real budget, for other files' tests.
#[cfg(test)]
pub(super) fn test_sock() -> OutSock {
    let budget = Budget::new(usize::MAX);
    budget.open.fetch_add(1, Ordering::AcqRel);
    OutSock {
        sock: UdpSocket::bind("127.0.0.1:0").unwrap(),
        budget,
    }
}

/// The soft limit on open files in /proc/self/limits ("unlimited": none).
fn soft_nofile(limits: &str) -> Option<usize> {
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    match line["Max open files".len()..].split_whitespace().next()? {
        "unlimited" => Some(usize::MAX),
        n => n.parse().ok(),
    }
}

/// A worker's outgoing sockets: how to make them and where they are watched.
pub(super) struct Outbound {
    epoll: Epoll,
    ports: (u16, u16),
    budget: Arc<Budget>,
}

impl Outbound {
    /// An empty epoll set and the ephemeral port range; sockets count
    /// against `budget`.
    pub(super) fn new(budget: Arc<Budget>) -> io::Result<Outbound> {
        let range = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").ok();
        Ok(Outbound {
            epoll: Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC)?,
            ports: range.as_deref().and_then(parse_range).unwrap_or(DEFAULT_PORTS),
            budget,
        })
    }

    /// A non-blocking socket on a random source port, connected to
    /// `upstream`. Errors (budget spent, no randomness, no descriptor)
    /// mean the query is not sent.
    pub(super) fn socket(&self, upstream: SocketAddr, rand: &mut Rand) -> io::Result<OutSock> {
        let budget = self
            .budget
            .take()
            .ok_or_else(|| io::Error::other("too many forwarded queries in flight"))?;
        let (family, any) = match upstream {
            SocketAddr::V4(_) => (AddressFamily::Inet, IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
            SocketAddr::V6(_) => (AddressFamily::Inet6, IpAddr::V6(Ipv6Addr::UNSPECIFIED)),
        };
        let flags = SockFlag::SOCK_CLOEXEC | SockFlag::SOCK_NONBLOCK;
        let fd = s::socket(family, SockType::Datagram, flags, None)?;
        let mut bound = false;
        for _ in 0..PORT_TRIES {
            let port = rand
                .in_range(self.ports.0, self.ports.1)
                .ok_or_else(|| io::Error::other("no randomness from the OS"))?;
            match s::bind(fd.as_raw_fd(), &SockaddrStorage::from(SocketAddr::new(any, port))) {
                Ok(()) => {
                    bound = true;
                    break;
                }
                Err(Errno::EADDRINUSE) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        if !bound {
            s::bind(fd.as_raw_fd(), &SockaddrStorage::from(SocketAddr::new(any, 0)))?;
        }
        s::connect(fd.as_raw_fd(), &SockaddrStorage::from(upstream))?;
        Ok(OutSock {
            sock: UdpSocket::from(fd),
            budget,
        })
    }

    /// Watches `sock` for replies; its events carry `slot`.
    pub(super) fn watch(&self, sock: &UdpSocket, slot: usize) -> io::Result<()> {
        let ev = EpollEvent::new(EpollFlags::EPOLLIN, slot as u64);
        Ok(self.epoll.add(sock, ev)?)
    }

    /// Waits up to `ms` for replies; fills `events`, returns how many.
    pub(super) fn wait(&self, events: &mut [EpollEvent], ms: u16) -> usize {
        self.epoll.wait(events, ms).unwrap_or(0)
    }
}

/// `ip_local_port_range` ("32768\t60999"); `None` if unusable (below
/// 1024, reversed).
fn parse_range(text: &str) -> Option<(u16, u16)> {
    let mut it = text.split_whitespace().map(str::parse::<u16>);
    let (lo, hi) = (it.next()?.ok()?, it.next()?.ok()?);
    (lo >= 1024 && lo <= hi).then_some((lo, hi))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_range_from_proc() {
        assert_eq!(parse_range("32768\t60999\n"), Some((32768, 60999)));
        assert_eq!(parse_range("1024 65535"), Some((1024, 65535)));
        assert_eq!(parse_range("100 200"), None);
        assert_eq!(parse_range("60000 50000"), None);
        assert_eq!(parse_range("junk"), None);
    }

    #[test]
    fn each_socket_gets_its_own_random_port_and_is_connected() {
        let up = UdpSocket::bind("127.0.0.1:0").unwrap();
        let to = up.local_addr().unwrap();
        let o = Outbound::new(Budget::new(40)).unwrap();
        let mut r = Rand::new();
        let socks: Vec<OutSock> = (0..40).map(|_| o.socket(to, &mut r).unwrap()).collect();
        let ports: std::collections::HashSet<u16> =
            socks.iter().map(|s| s.local_addr().unwrap().port()).collect();
        assert_eq!(ports.len(), 40, "40 sockets, 40 ports");
        assert!(ports.iter().all(|p| (o.ports.0..=o.ports.1).contains(p)));
        assert!(socks.iter().all(|s| s.peer_addr().unwrap() == to));
        // The kernel drops what does not come from the upstream.
        let other = UdpSocket::bind("127.0.0.1:0").unwrap();
        let me = socks[0].local_addr().unwrap();
        let me = SocketAddr::from(([127, 0, 0, 1], me.port()));
        other.send_to(b"forged", me).unwrap();
        up.send_to(b"genuine", me).unwrap();
        o.watch(&socks[0], 7).unwrap();
        let mut evs = [EpollEvent::empty(); 4];
        assert_eq!(o.wait(&mut evs, 1000), 1);
        assert_eq!(evs[0].data(), 7);
        let mut b = [0u8; 16];
        let n = socks[0].recv(&mut b).unwrap();
        assert_eq!(&b[..n], b"genuine");
        assert!(socks[0].recv(&mut b).is_err(), "nothing else queued");
        // The budget: a 41st socket is refused until one is closed.
        assert!(o.socket(to, &mut r).is_err());
        drop(socks);
        assert!(o.socket(to, &mut r).is_ok());
    }

    #[test]
    fn the_budget_follows_the_open_files_limit() {
        let limits = "Limit                     Soft Limit           Hard Limit           Units\n\
                      Max processes             7823                 7823                 processes\n\
                      Max open files            1024                 4096                 files\n";
        assert_eq!(soft_nofile(limits), Some(1024));
        assert_eq!(
            soft_nofile("Max open files  unlimited unlimited files"),
            Some(usize::MAX)
        );
        assert_eq!(soft_nofile("nothing"), None);
        assert_eq!(
            Budget::from_limits(2048).max,
            soft_nofile(&std::fs::read_to_string("/proc/self/limits").unwrap())
                .unwrap()
                .saturating_sub(FD_RESERVE)
                .clamp(16, 2048)
        );
    }
}
