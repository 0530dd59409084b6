//! The OS resources a server starts with: `SO_REUSEPORT` UDP sockets,
//! v6-only TCP listeners, and named threads with a small stack (a router
//! has little memory and up to [`MAX_TCP_CONNS`](super::MAX_TCP_CONNS)
//! connection threads). Failures are [`DnsError`]s naming the address.

use crate::dns::DnsError;
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::thread::JoinHandle;

/// Starts a named thread with a 256 KiB stack.
pub(super) fn spawn(name: &str, f: impl FnOnce() + Send + 'static) -> Result<JoinHandle<()>, DnsError> {
    std::thread::Builder::new()
        .name(name.into())
        .stack_size(256 * 1024)
        .spawn(f)
        .map_err(DnsError::Thread)
}

/// A UDP socket with `SO_REUSEPORT` (and v6-only for IPv6, so `[::]:53`
/// and `0.0.0.0:53` can both be bound).
pub(super) fn reuseport_udp(addr: SocketAddr) -> Result<UdpSocket, DnsError> {
    use nix::sys::socket::{self as s, sockopt, AddressFamily, SockFlag, SockType, SockaddrStorage};
    use std::os::fd::AsRawFd;
    let err = |e: nix::Error| DnsError::Bind("udp", addr, std::io::Error::from(e));
    let family = if addr.is_ipv4() {
        AddressFamily::Inet
    } else {
        AddressFamily::Inet6
    };
    let fd = s::socket(family, SockType::Datagram, SockFlag::SOCK_CLOEXEC, None).map_err(err)?;
    s::setsockopt(&fd, sockopt::ReusePort, &true).map_err(err)?;
    if addr.is_ipv6() {
        s::setsockopt(&fd, sockopt::Ipv6V6Only, &true).map_err(err)?;
    }
    // A large receive buffer absorbs bursts while a worker is descheduled.
    let _ = s::setsockopt(&fd, sockopt::RcvBuf, &(1 << 20));
    s::bind(fd.as_raw_fd(), &SockaddrStorage::from(addr)).map_err(err)?;
    Ok(UdpSocket::from(fd))
}

/// A TCP listener, v6-only for IPv6 like the UDP sockets (std's would be
/// dual-stack and clash with a `0.0.0.0` listener on the same port).
pub(super) fn tcp_listener(addr: SocketAddr) -> Result<TcpListener, DnsError> {
    use nix::sys::socket::{self as s, sockopt, AddressFamily, Backlog, SockFlag, SockType, SockaddrStorage};
    use std::os::fd::AsRawFd;
    let err = |e: nix::Error| DnsError::Bind("tcp", addr, std::io::Error::from(e));
    let family = if addr.is_ipv4() {
        AddressFamily::Inet
    } else {
        AddressFamily::Inet6
    };
    let fd = s::socket(family, SockType::Stream, SockFlag::SOCK_CLOEXEC, None).map_err(err)?;
    s::setsockopt(&fd, sockopt::ReuseAddr, &true).map_err(err)?;
    if addr.is_ipv6() {
        s::setsockopt(&fd, sockopt::Ipv6V6Only, &true).map_err(err)?;
    }
    s::bind(fd.as_raw_fd(), &SockaddrStorage::from(addr)).map_err(err)?;
    s::listen(&fd, Backlog::new(128).map_err(err)?).map_err(err)?;
    Ok(TcpListener::from(fd))
}
