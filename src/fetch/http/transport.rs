//! The byte stream under HTTP: resolve and connect TCP within the connect
//! timeout and the attempt's deadline, run the TLS handshake, and arm every
//! later read and write with a timeout.
//!
//! No read or write on the network may block past the attempt's deadline:
//! [`arm`] is called before each one, and refuses once the deadline has
//! passed. I/O errors become [`FetchError`]s (timeouts and TLS failures
//! named as such) without panicking.

use super::tls::tls_error;
use super::url::Target;
use crate::fetch::error::secs;
use crate::fetch::{FetchError, FetchOptions};
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, StreamOwned};
use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Resolves the target's host and connects to the first address that
/// accepts, each within the connect timeout and what is left of the deadline.
pub(super) fn connect(
    url: &str,
    t: &Target,
    opts: &FetchOptions,
    deadline: Instant,
) -> Result<TcpStream, FetchError> {
    // getaddrinfo has no timeout of its own; the resolver's (resolv.conf)
    // applies. On a router it is the local dnsmasq.
    let addrs: Vec<_> = (t.host.as_str(), t.port)
        .to_socket_addrs()
        .map_err(|e| FetchError::Resolve {
            url: url.to_string(),
            host: t.host.clone(),
            detail: e.to_string(),
        })?
        .collect();
    let mut last = None;
    for addr in &addrs {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        let limit = opts.connect_timeout.min(left);
        match TcpStream::connect_timeout(addr, limit) {
            Ok(s) => {
                let _ = s.set_nodelay(true);
                return Ok(s);
            }
            Err(e) => {
                let detail = if matches!(e.kind(), io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock) {
                    format!("timed out after {} s", secs(&limit))
                } else {
                    e.to_string()
                };
                last = Some((addr.to_string(), detail));
            }
        }
    }
    Err(match last {
        Some((addr, detail)) => FetchError::Connect {
            url: url.to_string(),
            addr,
            detail,
        },
        None if addrs.is_empty() => FetchError::Resolve {
            url: url.to_string(),
            host: t.host.clone(),
            detail: "no addresses".into(),
        },
        None => FetchError::Timeout {
            url: url.to_string(),
            after: opts.total_timeout,
        },
    })
}

/// Runs the TLS handshake here, so that its failures (trust above all) are
/// reported as such rather than as a failed request write.
pub(super) fn handshake(
    url: &str,
    mut tcp: TcpStream,
    config: Arc<ClientConfig>,
    host: &str,
    opts: &FetchOptions,
    deadline: Instant,
) -> Result<Stream, FetchError> {
    let name = ServerName::try_from(host.to_string()).map_err(|e| FetchError::Tls {
        url: url.to_string(),
        detail: e.to_string(),
    })?;
    let mut tls = ClientConnection::new(config, name).map_err(|e| tls_error(url, &e))?;
    while tls.is_handshaking() {
        let timeout = arm(Some(&tcp), url, opts, deadline)?;
        if let Err(e) = tls.complete_io(&mut tcp) {
            return Err(io_error(url, e, timeout));
        }
    }
    Ok(Stream::Tls(Box::new(StreamOwned::new(tls, tcp))))
}

/// A plain or TLS connection; one request per connection.
pub(super) enum Stream {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
    /// A recorded response, so the fuzz target and tests drive the same
    /// reader code as a socket does without a network.
    Memory(Replay),
}

/// A response held in memory, handed out at most `chunk` bytes per read
/// so that line splitting across reads and buffer compaction are exercised
/// as they are on a slow socket. Writes are discarded.
pub(super) struct Replay {
    pub(super) data: Vec<u8>,
    pub(super) pos: usize,
    pub(super) chunk: usize,
}

impl Stream {
    /// The TCP socket under it, to arm timeouts on (none for a replay).
    pub(super) fn tcp(&self) -> Option<&TcpStream> {
        match self {
            Stream::Plain(s) => Some(s),
            Stream::Tls(s) => Some(&s.sock),
            Stream::Memory(_) => None,
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
            Stream::Memory(r) => {
                let rest = r.data.get(r.pos..).unwrap_or_default();
                let n = rest.len().min(buf.len()).min(r.chunk.max(1));
                buf[..n].copy_from_slice(&rest[..n]);
                r.pos += n;
                Ok(n)
            }
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
            Stream::Memory(_) => Ok(buf.len()),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
            Stream::Memory(_) => Ok(()),
        }
    }
}

/// Arms read and write timeouts for the next operation: the read timeout,
/// or what is left of the deadline if less. Returns the limit a timeout
/// error will report.
pub(super) fn arm(
    tcp: Option<&TcpStream>,
    url: &str,
    opts: &FetchOptions,
    deadline: Instant,
) -> Result<Duration, FetchError> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left < Duration::from_millis(1) {
        return Err(FetchError::Timeout {
            url: url.to_string(),
            after: opts.total_timeout,
        });
    }
    let (limit, reported) = if left < opts.read_timeout {
        (left, opts.total_timeout)
    } else {
        (opts.read_timeout.max(Duration::from_millis(1)), opts.read_timeout)
    };
    if let Some(tcp) = tcp {
        tcp.set_read_timeout(Some(limit))
            .and_then(|_| tcp.set_write_timeout(Some(limit)))
            .map_err(|e| FetchError::Io {
                url: url.to_string(),
                detail: e.to_string(),
            })?;
    }
    Ok(reported)
}

/// Names an I/O error: a timeout (reported as `timeout`), a TLS failure
/// carried inside it, or a connection failure.
pub(super) fn io_error(url: &str, e: io::Error, timeout: Duration) -> FetchError {
    if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) {
        return FetchError::Timeout {
            url: url.to_string(),
            after: timeout,
        };
    }
    if let Some(tls) = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
        return tls_error(url, tls);
    }
    FetchError::Io {
        url: url.to_string(),
        detail: e.to_string(),
    }
}
