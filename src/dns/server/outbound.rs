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
//! Each worker has one epoll set over its in-flight sockets (the event
//! data is the slot index in its `Pending` table); its relay thread
//! waits on it. A closed socket leaves the set by itself.

use super::rand::Rand;
use nix::errno::Errno;
use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags};
use nix::sys::socket::{self as s, AddressFamily, SockFlag, SockType, SockaddrStorage};
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::os::fd::AsRawFd;

/// Linux's default `net.ipv4.ip_local_port_range`.
const DEFAULT_PORTS: (u16, u16) = (32768, 60999);
/// Random ports tried before leaving the choice to the kernel.
const PORT_TRIES: usize = 8;

/// A worker's outgoing sockets: how to make them and where they are watched.
pub(super) struct Outbound {
    epoll: Epoll,
    ports: (u16, u16),
}

impl Outbound {
    /// An empty epoll set and the ephemeral port range.
    pub(super) fn new() -> io::Result<Outbound> {
        let range = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").ok();
        Ok(Outbound {
            epoll: Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC)?,
            ports: range.as_deref().and_then(parse_range).unwrap_or(DEFAULT_PORTS),
        })
    }

    /// A non-blocking socket on a random source port, connected to
    /// `upstream`. Errors (no randomness, no file descriptor left) mean
    /// the query is not sent.
    pub(super) fn socket(&self, upstream: SocketAddr, rand: &mut Rand) -> io::Result<UdpSocket> {
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
        Ok(UdpSocket::from(fd))
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
        let o = Outbound::new().unwrap();
        let mut r = Rand::new();
        let socks: Vec<UdpSocket> = (0..40).map(|_| o.socket(to, &mut r).unwrap()).collect();
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
    }
}
