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
    freebind(&fd).map_err(err)?;
    s::bind(fd.as_raw_fd(), &SockaddrStorage::from(addr)).map_err(err)?;
    Ok(UdpSocket::from(fd))
}

/// `IP_FREEBIND`: bind a LAN address before the interface has it, so the
/// daemon does not depend on when netifd brings the LAN up (at boot, or a
/// renumbered LAN whose new address arrives after the restart). Set at the
/// `SOL_IP` level, which Linux also honours for IPv6 sockets.
fn freebind(fd: &impl std::os::fd::AsFd) -> nix::Result<()> {
    nix::sys::socket::setsockopt(fd, nix::sys::socket::sockopt::IpFreebind, &true)
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
    freebind(&fd).map_err(err)?;
    s::bind(fd.as_raw_fd(), &SockaddrStorage::from(addr)).map_err(err)?;
    s::listen(&fd, Backlog::new(128).map_err(err)?).map_err(err)?;
    Ok(TcpListener::from(fd))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Addresses no interface here has (documentation ranges): without
    /// IP_FREEBIND, bind fails with EADDRNOTAVAIL.
    #[test]
    fn binds_addresses_the_host_does_not_have_yet() {
        let v4: SocketAddr = "192.0.2.53:0".parse().unwrap();
        let plain = std::net::UdpSocket::bind(v4);
        assert!(
            plain.is_err(),
            "192.0.2.53 is configured here; the test proves nothing"
        );
        reuseport_udp(v4).unwrap();
        tcp_listener(v4).unwrap();
        if std::net::UdpSocket::bind("[::1]:0").is_ok() {
            let v6: SocketAddr = "[2001:db8::53]:0".parse().unwrap();
            assert!(std::net::UdpSocket::bind(v6).is_err());
            reuseport_udp(v6).unwrap();
            tcp_listener(v6).unwrap();
        }
    }
}
