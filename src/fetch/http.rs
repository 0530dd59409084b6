//! A minimal HTTP/1.1 `GET` client over TCP or rustls, one request per
//! connection (`Connection: close`).
//!
//! Everything the server sends is bounded before it is stored: the status
//! line and headers together ([`MAX_HEAD_BYTES`], each line at most
//! [`MAX_LINE`], at most [`MAX_HEADERS`] headers), the body (`max_bytes`,
//! checked against `Content-Length` before reading and against the running
//! total while reading chunked or connection-delimited bodies), chunk-size
//! lines and trailers. Every read and write is armed with the smaller of
//! the read timeout and what is left of the attempt's deadline.
//!
//! Only `200` carries a body we keep; `304` is "not modified"; redirects
//! are followed (never from `https` to `http`); any other status is an
//! error without reading the body (an error page is of no use to cron).

use super::gzip::{gunzip, GzipError};
use super::{secs, FetchError, FetchOptions, Fetched, Validators, DEFAULT_CA_BUNDLES, MAX_HEAD_BYTES};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Longest single line (status line, header, chunk size) accepted.
pub(super) const MAX_LINE: usize = 16 * 1024;
/// Most header fields accepted in one response.
pub(super) const MAX_HEADERS: usize = 128;
/// CA bundles are small (OpenWrt's is ~200 KB); refuse to slurp a huge file.
const MAX_CA_BUNDLE_BYTES: u64 = 8 * 1024 * 1024;
/// Validators longer than this are not stored (they are echoed to the server).
const MAX_VALIDATOR_LEN: usize = 1024;

/// Where to connect and what to ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Target {
    /// `https`.
    pub tls: bool,
    /// Host name or IP literal, without IPv6 brackets.
    pub host: String,
    /// Port (default 443 / 80).
    pub port: u16,
    /// Path and query, starting with `/`, without the fragment.
    pub path: String,
}

impl Target {
    /// Parses the part of an `http(s)` URL after `://`.
    pub(super) fn parse(tls: bool, rest: &str) -> Result<Target, String> {
        let rest = rest.split('#').next().unwrap_or("");
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(end);
        if authority.contains('@') {
            return Err("credentials in the URL are not supported".into());
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let close = v6.find(']').ok_or("unclosed [ in host")?;
            let host = &v6[..close];
            if !host
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
            {
                return Err("bad IPv6 address".into());
            }
            (host, &v6[close + 1..])
        } else {
            match authority.rfind(':') {
                Some(i) if authority[..i].contains(':') => return Err("IPv6 addresses need brackets".into()),
                Some(i) => (&authority[..i], &authority[i..]),
                None => (authority, ""),
            }
        };
        let port = match port {
            "" => {
                if tls {
                    443
                } else {
                    80
                }
            }
            p => match p.strip_prefix(':').and_then(|p| p.parse::<u16>().ok()) {
                Some(p) if p != 0 => p,
                _ => return Err("bad port".into()),
            },
        };
        if host.is_empty() {
            return Err("no host".into());
        }
        if !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._:".contains(&b))
        {
            return Err("bad character in host".into());
        }
        // The path goes into the request line verbatim: no spaces or
        // controls (request smuggling), and no raw non-ASCII.
        if !path.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(
                "the path must be percent-encoded (no spaces, control or non-ASCII characters)".into(),
            );
        }
        let path = if path.starts_with('/') {
            path.to_string()
        } else {
            format!("/{path}")
        };
        Ok(Target {
            tls,
            host: host.to_string(),
            port,
            path,
        })
    }

    /// The `Host` header value.
    pub(super) fn host_header(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.port == if self.tls { 443 } else { 80 } {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }

    /// Resolves a `Location` header against this target.
    fn join(&self, location: &str) -> Result<Target, String> {
        let lower = location.get(..8).unwrap_or(location).to_ascii_lowercase();
        if lower.starts_with("https://") {
            Target::parse(true, &location[8..])
        } else if lower.starts_with("http://") {
            if self.tls {
                return Err(format!(
                    "refusing to follow https to plain http ({})",
                    truncate(location, 200)
                ));
            }
            Target::parse(false, &location[7..])
        } else if let Some(rest) = location.strip_prefix("//") {
            Target::parse(self.tls, rest)
        } else if location.contains("://") {
            Err(format!("unsupported scheme in {}", truncate(location, 200)))
        } else {
            let path = if location.starts_with('/') {
                location.to_string()
            } else {
                let base = self.path.split('?').next().unwrap_or("/");
                let dir = &base[..base.rfind('/').map_or(0, |i| i + 1)];
                format!("{dir}{location}")
            };
            let mut t = Target::parse(self.tls, &format!("{}{path}", self.host_header()))?;
            t.host = self.host.clone();
            Ok(t)
        }
    }
}

/// One `fetch` attempt: connects, follows redirects, reads the body.
pub(super) fn fetch(
    url: &str,
    target: &Target,
    opts: &FetchOptions,
    prev: Option<&Validators>,
) -> Result<Fetched, FetchError> {
    let deadline = Instant::now() + opts.total_timeout;
    let mut target = target.clone();
    let mut redirects = 0;
    loop {
        match fetch_one(url, &target, opts, prev, deadline)? {
            Step::Done(f) => return Ok(f),
            Step::Redirect(location) => {
                redirects += 1;
                let redirect = |detail: String| FetchError::Redirect {
                    url: url.to_string(),
                    detail,
                };
                if redirects > opts.max_redirects {
                    return Err(redirect(format!("more than {} redirects", opts.max_redirects)));
                }
                target = target.join(&location).map_err(redirect)?;
                log::debug!("{url}: redirected to {location}");
            }
        }
    }
}

enum Step {
    Done(Fetched),
    Redirect(String),
}

fn fetch_one(
    url: &str,
    target: &Target,
    opts: &FetchOptions,
    prev: Option<&Validators>,
    deadline: Instant,
) -> Result<Step, FetchError> {
    // Load trust before connecting: a missing bundle is a local problem
    // and should say so even when the server is down.
    let tls = if target.tls {
        Some(tls_config(url, opts)?)
    } else {
        None
    };
    let tcp = connect(url, target, opts, deadline)?;
    let stream = match tls {
        Some(config) => handshake(url, tcp, config, &target.host, opts, deadline)?,
        None => Stream::Plain(tcp),
    };
    let mut conn = Conn {
        stream,
        buf: vec![0; MAX_LINE * 2].into_boxed_slice(),
        start: 0,
        end: 0,
        unclean_eof: false,
        deadline,
        opts,
        url,
    };
    let prev = prev.filter(|v| !v.is_empty());
    conn.write_all(request(target, &opts.user_agent, prev).as_bytes())?;
    let head = conn.read_head()?;
    let url_s = url.to_string();
    match head.code {
        200 => {}
        304 if prev.is_some() => return Ok(Step::Done(Fetched::NotModified)),
        301 | 302 | 303 | 307 | 308 => {
            let location = head.get("location").ok_or_else(|| FetchError::Redirect {
                url: url_s.clone(),
                detail: format!("HTTP {} without a Location header", head.code),
            })?;
            // It ends up in error messages and logs: printable and short.
            if !header_safe(location) || location.len() > 2048 {
                return Err(FetchError::Redirect {
                    url: url_s,
                    detail: format!("unusable Location header {:?}", truncate(location, 80)),
                });
            }
            return Ok(Step::Redirect(location.to_string()));
        }
        code => {
            return Err(FetchError::Status {
                url: url_s,
                code,
                reason: head.reason,
            })
        }
    }
    let raw = conn.read_body(&head)?;
    let bytes = match head.get("content-encoding").map(|e| e.to_ascii_lowercase()) {
        None => raw,
        Some(e) if e.is_empty() || e == "identity" => raw,
        Some(e) if e == "gzip" || e == "x-gzip" => match gunzip(&raw, opts.max_bytes) {
            Ok(b) => b,
            Err(GzipError::TooLarge) => {
                return Err(FetchError::InflatedTooLarge {
                    url: url_s,
                    limit: opts.max_bytes,
                })
            }
            Err(GzipError::Corrupt(d)) => {
                return Err(FetchError::Gzip {
                    url: url_s,
                    detail: d.into(),
                })
            }
        },
        Some(e) => {
            return Err(FetchError::BadResponse {
                url: url_s,
                detail: format!("unsupported Content-Encoding {:?}", truncate(&e, 40)),
            })
        }
    };
    let validator = |name| {
        head.get(name)
            .filter(|v| !v.is_empty() && v.len() <= MAX_VALIDATOR_LEN && header_safe(v))
            .map(str::to_string)
    };
    Ok(Step::Done(Fetched::Body {
        bytes,
        validators: Validators {
            etag: validator("etag"),
            last_modified: validator("last-modified"),
        },
    }))
}

/// The request head. Values that could break the header block (CR, LF,
/// other controls) are left out rather than sent.
fn request(target: &Target, user_agent: &str, prev: Option<&Validators>) -> String {
    let mut r = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\n",
        target.path,
        target.host_header()
    );
    if header_safe(user_agent) && !user_agent.is_empty() {
        r += &format!("User-Agent: {user_agent}\r\n");
    }
    r += "Accept: */*\r\nAccept-Encoding: gzip\r\nConnection: close\r\n";
    if let Some(v) = prev {
        if let Some(etag) = v.etag.as_deref().filter(|e| header_safe(e)) {
            r += &format!("If-None-Match: {etag}\r\n");
        }
        if let Some(lm) = v.last_modified.as_deref().filter(|e| header_safe(e)) {
            r += &format!("If-Modified-Since: {lm}\r\n");
        }
    }
    r + "\r\n"
}

fn header_safe(v: &str) -> bool {
    v.bytes().all(|b| b == b'\t' || (b' '..=b'~').contains(&b))
}

fn truncate(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

fn connect(url: &str, t: &Target, opts: &FetchOptions, deadline: Instant) -> Result<TcpStream, FetchError> {
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

/// The client TLS configuration: ring, TLS 1.2/1.3, the CA bundle file.
fn tls_config(url: &str, opts: &FetchOptions) -> Result<Arc<ClientConfig>, FetchError> {
    let path = match &opts.ca_bundle {
        Some(p) => p.clone(),
        None => DEFAULT_CA_BUNDLES
            .iter()
            .map(PathBuf::from)
            .find(|p| p.is_file())
            .ok_or_else(|| FetchError::NoCaBundle { url: url.to_string() })?,
    };
    let bundle_err = |detail: String| FetchError::CaBundle {
        url: url.to_string(),
        path: path.clone(),
        detail,
    };
    let mut pem = Vec::new();
    std::fs::File::open(&path)
        .and_then(|f| f.take(MAX_CA_BUNDLE_BYTES).read_to_end(&mut pem))
        .map_err(|e| bundle_err(e.to_string()))?;
    let mut roots = RootCertStore::empty();
    // Skip what does not parse, like every TLS client does with a bundle
    // of a few hundred roots: one odd entry must not stop all fetches.
    let certs = CertificateDer::pem_slice_iter(&pem).filter_map(Result::ok);
    let (added, _ignored) = roots.add_parsable_certificates(certs);
    if added == 0 {
        return Err(bundle_err("no usable PEM certificate in it".into()));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| FetchError::Tls {
            url: url.to_string(),
            detail: e.to_string(),
        })?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

enum Stream {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
}

impl Stream {
    fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(s) => &s.sock,
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
    }
}

/// The response status line and headers.
#[derive(Debug)]
pub(super) struct Head {
    pub code: u16,
    pub reason: String,
    /// Lower-case names, trimmed values (lossy UTF-8).
    pub headers: Vec<(String, String)>,
}

impl Head {
    /// The first value of header `name` (lower case).
    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
    fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// How the body ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Framing {
    Length(u64),
    Chunked,
    Close,
}

/// A connection with a read buffer, timeouts and the deadline.
struct Conn<'a> {
    stream: Stream,
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    /// The peer closed TLS without `close_notify`.
    unclean_eof: bool,
    deadline: Instant,
    opts: &'a FetchOptions,
    url: &'a str,
}

impl Conn<'_> {
    fn url(&self) -> String {
        self.url.to_string()
    }

    fn arm(&self) -> Result<Duration, FetchError> {
        arm(self.stream.tcp(), self.url, self.opts, self.deadline)
    }

    fn io_error(&self, e: io::Error, timeout: Duration) -> FetchError {
        io_error(self.url, e, timeout)
    }

    fn write_all(&mut self, data: &[u8]) -> Result<(), FetchError> {
        let timeout = self.arm()?;
        self.stream
            .write_all(data)
            .and_then(|_| self.stream.flush())
            .map_err(|e| self.io_error(e, timeout))
    }

    /// Reads more into the buffer (after compacting it). `Ok(false)` at EOF.
    fn fill(&mut self) -> Result<bool, FetchError> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            // Callers bound lines below the buffer size; this is a bug guard.
            return Err(FetchError::BadResponse {
                url: self.url(),
                detail: "line too long".into(),
            });
        }
        loop {
            let timeout = self.arm()?;
            match self.stream.read(&mut self.buf[self.end..]) {
                Ok(0) => return Ok(false),
                Ok(n) => {
                    self.end += n;
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    self.unclean_eof = true;
                    return Ok(false);
                }
                Err(e) => return Err(self.io_error(e, timeout)),
            }
        }
    }

    /// The next line without its `\r\n` (or `\n`); `None` at EOF before any
    /// byte of it. `budget` is the head/trailer allowance it draws from.
    fn read_line(&mut self, budget: &mut usize) -> Result<Option<Vec<u8>>, FetchError> {
        let mut scanned = 0;
        loop {
            if let Some(i) = self.buf[self.start + scanned..self.end]
                .iter()
                .position(|&b| b == b'\n')
            {
                let line_end = self.start + scanned + i;
                let used = line_end + 1 - self.start;
                if used > *budget {
                    return Err(self.head_too_large());
                }
                *budget -= used;
                let mut line = self.buf[self.start..line_end].to_vec();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                self.start = line_end + 1;
                return Ok(Some(line));
            }
            scanned = self.end - self.start;
            if scanned >= MAX_LINE.min(*budget) {
                return Err(self.head_too_large());
            }
            if !self.fill()? {
                return if scanned == 0 {
                    Ok(None)
                } else {
                    Err(FetchError::BadResponse {
                        url: self.url(),
                        detail: "connection closed in the middle of a line".into(),
                    })
                };
            }
        }
    }

    fn head_too_large(&self) -> FetchError {
        FetchError::BadResponse {
            url: self.url(),
            detail: format!("headers larger than {MAX_HEAD_BYTES} bytes or a line longer than {MAX_LINE}"),
        }
    }

    /// Reads the status line and headers, skipping `1xx` interim responses.
    fn read_head(&mut self) -> Result<Head, FetchError> {
        let mut budget = MAX_HEAD_BYTES;
        loop {
            let Some(status) = self.read_line(&mut budget)? else {
                return Err(FetchError::Io {
                    url: self.url(),
                    detail: "the server closed the connection without a response".into(),
                });
            };
            let mut lines = Vec::new();
            loop {
                match self.read_line(&mut budget)? {
                    None => {
                        return Err(FetchError::BadResponse {
                            url: self.url(),
                            detail: "connection closed in the headers".into(),
                        })
                    }
                    Some(l) if l.is_empty() => break,
                    Some(l) => lines.push(l),
                }
            }
            let head = parse_head(&status, &lines).map_err(|detail| FetchError::BadResponse {
                url: self.url(),
                detail,
            })?;
            if (100..200).contains(&head.code) {
                continue;
            }
            return Ok(head);
        }
    }

    /// Reads the body of a 200 response, enforcing `max_bytes`.
    fn read_body(&mut self, head: &Head) -> Result<Vec<u8>, FetchError> {
        let max = self.opts.max_bytes;
        let too_large = FetchError::TooLarge {
            url: self.url(),
            limit: max,
        };
        let framing = framing(head).map_err(|detail| FetchError::BadResponse {
            url: self.url(),
            detail,
        })?;
        let mut out = Vec::new();
        match framing {
            Framing::Length(n) => {
                if n > max {
                    return Err(too_large);
                }
                // One allocation of the announced size (within the cap)
                // instead of doubling past it.
                out.reserve_exact(usize::try_from(n).unwrap_or(0));
                if !self.read_exact(n, &mut out)? {
                    return Err(FetchError::Truncated {
                        url: self.url(),
                        got: out.len() as u64,
                        expected: n,
                    });
                }
            }
            Framing::Chunked => {
                let mut budget = MAX_HEAD_BYTES;
                loop {
                    let url = self.url;
                    let closed = |out: &Vec<u8>| FetchError::ClosedEarly {
                        url: url.to_string(),
                        got: out.len() as u64,
                    };
                    let line = self.read_line(&mut budget)?.ok_or_else(|| closed(&out))?;
                    let size = parse_chunk_size(&line).map_err(|detail| FetchError::BadResponse {
                        url: self.url(),
                        detail,
                    })?;
                    if size == 0 {
                        // Trailers, up to the empty line; their content is ignored.
                        loop {
                            match self.read_line(&mut budget)? {
                                Some(l) if l.is_empty() => return Ok(out),
                                Some(_) => {}
                                None => return Err(closed(&out)),
                            }
                        }
                    }
                    if out.len() as u64 + size > max {
                        return Err(too_large);
                    }
                    if !self.read_exact(size, &mut out)? {
                        return Err(closed(&out));
                    }
                    match self.read_line(&mut budget)? {
                        Some(l) if l.is_empty() => {}
                        Some(_) => {
                            return Err(FetchError::BadResponse {
                                url: self.url(),
                                detail: "chunk longer than its declared size".into(),
                            })
                        }
                        None => return Err(closed(&out)),
                    }
                    // Chunk lines are not head bytes; give the budget back
                    // so a long body of small chunks is fine.
                    budget = MAX_HEAD_BYTES;
                }
            }
            Framing::Close => {
                self.read_exact(max.saturating_add(1), &mut out)?;
                if out.len() as u64 > max {
                    return Err(too_large);
                }
                // Over TLS, a close without close_notify may be an attacker
                // (or a broken middlebox) cutting the body short.
                if self.unclean_eof {
                    return Err(FetchError::ClosedEarly {
                        url: self.url(),
                        got: out.len() as u64,
                    });
                }
            }
        }
        Ok(out)
    }

    /// Appends up to `n` bytes to `out`; false when EOF came first.
    fn read_exact(&mut self, n: u64, out: &mut Vec<u8>) -> Result<bool, FetchError> {
        let mut left = n;
        loop {
            let avail = (self.end - self.start) as u64;
            let take = avail.min(left) as usize;
            out.extend_from_slice(&self.buf[self.start..self.start + take]);
            self.start += take;
            left -= take as u64;
            if left == 0 {
                return Ok(true);
            }
            if !self.fill()? {
                return Ok(false);
            }
        }
    }
}

/// Arms read and write timeouts for the next operation: the read timeout,
/// or what is left of the deadline if less. Returns the limit a timeout
/// error will report.
fn arm(tcp: &TcpStream, url: &str, opts: &FetchOptions, deadline: Instant) -> Result<Duration, FetchError> {
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
    tcp.set_read_timeout(Some(limit))
        .and_then(|_| tcp.set_write_timeout(Some(limit)))
        .map_err(|e| FetchError::Io {
            url: url.to_string(),
            detail: e.to_string(),
        })?;
    Ok(reported)
}

fn io_error(url: &str, e: io::Error, timeout: Duration) -> FetchError {
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

/// Runs the TLS handshake here, so that its failures (trust above all) are
/// reported as such rather than as a failed request write.
fn handshake(
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
        let timeout = arm(&tcp, url, opts, deadline)?;
        if let Err(e) = tls.complete_io(&mut tcp) {
            return Err(io_error(url, e, timeout));
        }
    }
    Ok(Stream::Tls(Box::new(StreamOwned::new(tls, tcp))))
}

fn tls_error(url: &str, e: &rustls::Error) -> FetchError {
    match e {
        rustls::Error::InvalidCertificate(c) => FetchError::CertNotTrusted {
            url: url.to_string(),
            detail: cert_reason(c),
        },
        other => FetchError::Tls {
            url: url.to_string(),
            detail: other.to_string(),
        },
    }
}

fn cert_reason(c: &rustls::CertificateError) -> String {
    use rustls::CertificateError as C;
    match c {
        C::UnknownIssuer => "issued by a CA that is not in the CA bundle".into(),
        C::Expired | C::ExpiredContext { .. } => "expired".into(),
        C::NotValidYet | C::NotValidYetContext { .. } => "not valid yet (is the router's clock set?)".into(),
        C::NotValidForName | C::NotValidForNameContext { .. } => "not issued for this host name".into(),
        C::Revoked => "revoked".into(),
        C::BadSignature => "bad signature".into(),
        other => format!("{other:?}"),
    }
}

/// Parses the status line and header lines.
pub(super) fn parse_head(status: &[u8], lines: &[Vec<u8>]) -> Result<Head, String> {
    let status = String::from_utf8_lossy(status);
    let rest = status
        .strip_prefix("HTTP/1.1 ")
        .or_else(|| status.strip_prefix("HTTP/1.0 "))
        .ok_or_else(|| format!("not an HTTP/1.x status line: {:?}", truncate(&status, 40)))?;
    // `get` rather than slicing: byte 3 may fall inside a multi-byte char.
    let code = rest.get(..3).ok_or("bad status line")?;
    let reason = &rest[3..];
    let code: u16 = match code.parse() {
        Ok(c) if code.bytes().all(|b| b.is_ascii_digit()) && (100..600).contains(&c) => c,
        _ => return Err(format!("bad status code {:?}", truncate(code, 10))),
    };
    if !reason.is_empty() && !reason.starts_with(' ') {
        return Err("bad status line".into());
    }
    // The reason ends up in logs: printable ASCII only, short.
    let reason: String = truncate(reason.trim(), 80)
        .chars()
        .filter(|c| (' '..='~').contains(c))
        .collect();
    let reason = if reason.is_empty() {
        standard_reason(code).to_string()
    } else {
        reason
    };
    if lines.len() > MAX_HEADERS {
        return Err(format!("more than {MAX_HEADERS} headers"));
    }
    let mut headers = Vec::with_capacity(lines.len());
    for line in lines {
        if line.first().is_some_and(|b| *b == b' ' || *b == b'\t') {
            return Err("obsolete folded header line".into());
        }
        let colon = line
            .iter()
            .position(|&b| b == b':')
            .ok_or("header line without a colon")?;
        let name = &line[..colon];
        if name.is_empty()
            || !name
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(b))
        {
            return Err("bad header name".into());
        }
        let name = String::from_utf8_lossy(name).to_ascii_lowercase();
        let value = String::from_utf8_lossy(&line[colon + 1..]).trim().to_string();
        headers.push((name, value));
    }
    Ok(Head {
        code,
        reason,
        headers,
    })
}

fn standard_reason(code: u16) -> &'static str {
    match code {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        410 => "Gone",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}

/// How the body of a 200 is delimited (RFC 9112 §6.3).
pub(super) fn framing(head: &Head) -> Result<Framing, String> {
    let te: Vec<String> = head
        .all("transfer-encoding")
        .flat_map(|v| v.split(','))
        .map(|c| c.trim().to_ascii_lowercase())
        .filter(|c| !c.is_empty())
        .collect();
    if let Some(last) = te.last() {
        // Transfer-Encoding wins over Content-Length. We only decode plain
        // chunked; "gzip, chunked" as a transfer coding is vanishingly rare.
        return if last == "chunked" && te.len() == 1 {
            Ok(Framing::Chunked)
        } else {
            Err(format!(
                "unsupported Transfer-Encoding {:?}",
                truncate(&te.join(", "), 40)
            ))
        };
    }
    let mut length = None;
    for v in head.all("content-length").flat_map(|v| v.split(',')) {
        let v = v.trim();
        if v.is_empty() || v.len() > 19 || !v.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("bad Content-Length {:?}", truncate(v, 25)));
        }
        let n: u64 = v.parse().map_err(|_| "bad Content-Length".to_string())?;
        if length.is_some_and(|l| l != n) {
            return Err("conflicting Content-Length headers".into());
        }
        length = Some(n);
    }
    Ok(length.map_or(Framing::Close, Framing::Length))
}

/// The size in a chunk-size line (hex, optional `;extensions`).
pub(super) fn parse_chunk_size(line: &[u8]) -> Result<u64, String> {
    let hex = line.split(|&b| b == b';').next().unwrap_or(&[]);
    let hex = hex.trim_ascii();
    if hex.is_empty() || hex.len() > 15 || !hex.iter().all(u8::is_ascii_hexdigit) {
        return Err(format!(
            "bad chunk size line {:?}",
            String::from_utf8_lossy(&line[..line.len().min(20)])
        ));
    }
    // At most 15 hex digits: fits in u64 without overflow checks.
    Ok(hex.iter().fold(0u64, |n, &b| {
        n * 16 + (b as char).to_digit(16).unwrap_or(0) as u64
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(lines: &[&str]) -> Result<Head, String> {
        let lines: Vec<Vec<u8>> = lines[1..].iter().map(|l| l.as_bytes().to_vec()).collect();
        parse_head(b"HTTP/1.1 200 OK", &lines)
    }

    proptest::proptest! {
        #[test]
        fn parsers_never_panic(status in proptest::collection::vec(proptest::num::u8::ANY, 0..40),
                               line in proptest::collection::vec(proptest::num::u8::ANY, 0..40),
                               prefix in 0usize..4) {
            let pre: &[u8] = [&b""[..], b"HTTP/1.1 ", b"HTTP/1.0 2", b"HTTP/1.1 200"][prefix];
            let status = [pre, &status].concat();
            if let Ok(h) = parse_head(&status, std::slice::from_ref(&line)) {
                let _ = framing(&h);
            }
            let _ = parse_chunk_size(&line);
            let _ = Target::parse(prefix % 2 == 0, &String::from_utf8_lossy(&line));
            if let Ok(t) = Target::parse(true, "h/a/b") {
                let _ = t.join(&String::from_utf8_lossy(&line));
            }
        }
    }

    #[test]
    fn status_lines() {
        // A multi-byte character across the status code must not panic.
        assert!(parse_head("HTTP/1.1 a€ x".as_bytes(), &[]).is_err());
        assert!(parse_head(b"HTTP/1.1 20", &[]).is_err());
        let h = parse_head(b"HTTP/1.1 404 Not Found", &[]).unwrap();
        assert_eq!((h.code, h.reason.as_str()), (404, "Not Found"));
        let h = parse_head(b"HTTP/1.0 503", &[]).unwrap();
        assert_eq!((h.code, h.reason.as_str()), (503, "Service Unavailable"));
        let h = parse_head(b"HTTP/1.1 500 \x1b[31mevil\nline", &[]).unwrap();
        assert_eq!(h.reason, "[31mevilline");
        for bad in [
            &b"HTTP/2 200 OK"[..],
            b"HTTP/1.1 20 OK",
            b"HTTP/1.1 2000 OK",
            b"HTTP/1.1 +20 x",
            b"",
            b"SSH-2.0",
        ] {
            assert!(
                parse_head(bad, &[]).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn headers_and_framing() {
        let h = head(&["", "ETag: \"abc\"", "content-LENGTH:  12 ", "X-Empty:"]).unwrap();
        assert_eq!(h.get("etag"), Some("\"abc\""));
        assert_eq!(h.get("x-empty"), Some(""));
        assert_eq!(framing(&h), Ok(Framing::Length(12)));
        let h = head(&["", "Content-Length: 5", "Content-Length: 5, 5"]).unwrap();
        assert_eq!(framing(&h), Ok(Framing::Length(5)));
        let h = head(&["", "Content-Length: 5", "Content-Length: 6"]).unwrap();
        assert!(framing(&h).is_err());
        let h = head(&["", "Content-Length: -1"]).unwrap();
        assert!(framing(&h).is_err());
        let h = head(&["", "Content-Length: 99999999999999999999"]).unwrap();
        assert!(framing(&h).is_err());
        let h = head(&["", "Transfer-Encoding: chunked", "Content-Length: 5"]).unwrap();
        assert_eq!(framing(&h), Ok(Framing::Chunked));
        let h = head(&["", "Transfer-Encoding: gzip, chunked"]).unwrap();
        assert!(framing(&h).is_err());
        assert_eq!(framing(&head(&[""]).unwrap()), Ok(Framing::Close));
        assert!(head(&["", " folded"]).is_err());
        assert!(head(&["", "no colon"]).is_err());
        assert!(head(&["", "bad name: x"]).is_err());
        assert!(head(&["", ": x"]).is_err());
    }

    #[test]
    fn chunk_sizes() {
        assert_eq!(parse_chunk_size(b"0"), Ok(0));
        assert_eq!(parse_chunk_size(b"1a;name=value"), Ok(26));
        assert_eq!(parse_chunk_size(b"FFFF "), Ok(65535));
        assert_eq!(parse_chunk_size(b"fffffffffffffff"), Ok(0x0fff_ffff_ffff_ffff));
        for bad in [&b""[..], b";x", b"-1", b"0x10", b"ffffffffffffffff", b"g"] {
            assert!(
                parse_chunk_size(bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn requests() {
        let t = Target::parse(true, "h.example/feed.txt?k=1").unwrap();
        let v = Validators {
            etag: Some("W/\"x\"".into()),
            last_modified: Some("Sat, 28 Nov 2026 10:00:00 GMT".into()),
        };
        let r = request(&t, "iocguard/0.1", Some(&v));
        assert!(
            r.starts_with("GET /feed.txt?k=1 HTTP/1.1\r\nHost: h.example\r\nUser-Agent: iocguard/0.1\r\n")
        );
        assert!(
            r.contains("\r\nIf-None-Match: W/\"x\"\r\nIf-Modified-Since: Sat, 28 Nov 2026 10:00:00 GMT\r\n")
        );
        assert!(r.ends_with("Connection: close\r\nIf-None-Match: W/\"x\"\r\nIf-Modified-Since: Sat, 28 Nov 2026 10:00:00 GMT\r\n\r\n"));
        let evil = Validators {
            etag: Some("x\r\nX-Injected: 1".into()),
            last_modified: None,
        };
        assert!(!request(&t, "ua\n", Some(&evil)).contains("X-Injected"));
        assert!(!request(&t, "ua\n", None).contains("User-Agent"));
    }

    #[test]
    fn redirects_join() {
        let t = Target::parse(true, "h.example:8443/a/b/feed.txt?x=1").unwrap();
        let j = |l: &str| t.join(l).map(|t| (t.tls, t.host, t.port, t.path));
        assert_eq!(j("/c.txt"), Ok((true, "h.example".into(), 8443, "/c.txt".into())));
        assert_eq!(
            j("c.txt"),
            Ok((true, "h.example".into(), 8443, "/a/b/c.txt".into()))
        );
        assert_eq!(
            j("https://cdn.example/f"),
            Ok((true, "cdn.example".into(), 443, "/f".into()))
        );
        assert_eq!(
            j("//cdn.example/f"),
            Ok((true, "cdn.example".into(), 443, "/f".into()))
        );
        assert!(j("http://cdn.example/f").unwrap_err().contains("refusing"));
        assert!(j("ftp://x/").is_err());
        let plain = Target::parse(false, "h/x").unwrap();
        assert!(!plain.join("http://o/y").unwrap().tls);
        assert!(plain.join("HTTPS://o/y").unwrap().tls);
    }
}
