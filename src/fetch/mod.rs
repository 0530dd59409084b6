//! Fetching feed bodies: `https://`, `http://`, `file://PATH` and plain paths.
//!
//! [`fetch`] is blocking and holds no state between calls: the caller keeps
//! the [`Validators`] of the last good copy and passes them back, and gets
//! [`Fetched::NotModified`] when the source has not changed (HTTP 304, or a
//! file whose mtime and size are unchanged). Guarantees, for any server:
//!
//! - **Bounded memory.** The body is capped at [`FetchOptions::max_bytes`]
//!   while it streams (a larger `Content-Length` is refused before reading),
//!   a gzip body is capped again *after* inflating (a zip bomb is an error,
//!   not an OOM kill), and response headers are capped at
//!   [`MAX_HEAD_BYTES`]. Peak: the body, plus for gzip the compressed body
//!   while it inflates (at most 2 × `max_bytes` in all), plus 32 KiB of
//!   buffers.
//! - **Bounded time.** Connect timeout, a per-read timeout, and a deadline
//!   for each whole attempt, so a server that drips one byte a minute
//!   cannot hold cron forever. Retries (connect errors, timeouts, truncated
//!   bodies, 5xx; never 4xx) back off 1 s, 2 s, 4 s by default.
//! - **No silent truncation.** A body that ends before its `Content-Length`,
//!   its last chunk, or (over TLS, for a body delimited by the connection
//!   closing) before TLS `close_notify`, is an error.
//! - **No panics** on the network path, and every error is one sentence
//!   naming the URL ([`FetchError`]).
//!
//! Why a small hand-rolled HTTP/1.1 client (`http/`) over
//! `rustls::StreamOwned` instead of `ureq`: the client needs exactly one
//! `GET` with `Connection: close`, and the guarantees above (head cap,
//! streaming body cap, truncation detection, whole-attempt deadline) are
//! easier to prove in ~850 lines we own (`http/`, much of it error
//! construction) than to configure on a general
//! client; `ureq` also brings `url`, `http`/`httparse` and friends for
//! nothing we use. TLS is `rustls` with the `ring` provider (shared with
//! the minisign verifier) and the system CA bundle (OpenWrt's `ca-bundle`
//! package), never compiled-in roots. Not supported, on purpose: proxies,
//! credentials in the URL, HTTP/2, keep-alive, encodings other than gzip.
//!
//! Integrity is not this module's job: the feed's minisign signature is
//! ([`fetch_signature`] gets it, `crate::sign` checks it). The body and its
//! signature are fetched one after the other, so a feed republished between
//! the two fails verification once and the last good copy stays in force.

mod file;
mod gzip;
mod http;

use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Duration;

/// Response status line plus headers may not exceed this many bytes.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;

/// Size cap for a `.minisig` file (a real one is under 400 bytes).
pub const MAX_SIGNATURE_BYTES: u64 = 4096;

/// Default body cap: 32 MiB, as the `max_bytes` UCI option.
pub const DEFAULT_MAX_BYTES: u64 = 32 * 1024 * 1024;

/// Where the CA bundle is looked for when [`FetchOptions::ca_bundle`] is
/// unset, first existing wins: OpenWrt's `ca-bundle` and Debian's
/// `ca-certificates` (same path), then the BSD/Alpine-style `cert.pem`.
pub const DEFAULT_CA_BUNDLES: &[&str] = &["/etc/ssl/certs/ca-certificates.crt", "/etc/ssl/cert.pem"];

/// How to fetch: limits, timeouts, retries, trust.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Largest body accepted, before and after gzip inflation.
    pub max_bytes: u64,
    /// Limit for establishing one TCP connection (per resolved address).
    pub connect_timeout: Duration,
    /// Longest wait for any single read or write on an open connection.
    pub read_timeout: Duration,
    /// Deadline for one whole attempt (connect, TLS, request, full body).
    pub total_timeout: Duration,
    /// Extra attempts after a transient failure (see [`FetchError::is_transient`]).
    pub retries: u32,
    /// Wait before the first retry; doubled before each further one.
    pub backoff: Duration,
    /// Redirects followed (`301/302/303/307/308`) before giving up.
    pub max_redirects: u32,
    /// PEM file of trusted CAs for `https://`; `None`: the first existing
    /// file of [`DEFAULT_CA_BUNDLES`].
    pub ca_bundle: Option<PathBuf>,
    /// `User-Agent` header.
    pub user_agent: String,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            max_bytes: DEFAULT_MAX_BYTES,
            connect_timeout: Duration::from_secs(15),
            read_timeout: Duration::from_secs(30),
            // A 32 MiB feed over a 1 Mbit/s uplink takes ~4.5 minutes.
            total_timeout: Duration::from_secs(600),
            retries: 3,
            backoff: Duration::from_secs(1),
            max_redirects: 5,
            ca_bundle: None,
            user_agent: concat!("iocguard/", env!("CARGO_PKG_VERSION")).to_string(),
        }
    }
}

/// What identifies the version of a source the caller already has.
///
/// For HTTP these are the response's `ETag` and `Last-Modified`, sent back
/// as `If-None-Match` / `If-Modified-Since`. For files, `etag` is `None`
/// and `last_modified` is `"mtime=SECS.NANOS size=BYTES"`: equal string,
/// unchanged file.
///
/// Store them *with the body they came with*, and only once that body was
/// verified and accepted: validators saved next to an older body would make
/// the next sync answer "not modified" for a body it never installed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validators {
    /// HTTP `ETag`, verbatim (quotes and `W/` included).
    pub etag: Option<String>,
    /// HTTP `Last-Modified`, verbatim; or the file stamp.
    pub last_modified: Option<String>,
}

impl Validators {
    /// True when there is nothing to send a conditional request with.
    pub fn is_empty(&self) -> bool {
        self.etag.is_none() && self.last_modified.is_none()
    }
}

/// The result of a successful fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// The source matches the validators passed in; keep the cached copy.
    NotModified,
    /// A new body (already gzip-decoded), with validators for next time.
    Body {
        /// The body, at most `max_bytes`.
        bytes: Vec<u8>,
        /// Validators to store with the body.
        validators: Validators,
    },
}

/// Why a fetch failed. Each displays as one sentence naming the URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The URL or path is not something we can fetch.
    #[error("{url}: not a usable feed URL: {reason}")]
    BadUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// DNS resolution failed.
    #[error("{url}: cannot resolve host {host}: {detail}")]
    Resolve {
        /// The URL as given.
        url: String,
        /// The host name.
        host: String,
        /// The resolver's error.
        detail: String,
    },
    /// No address of the host accepted a connection.
    #[error("{url}: cannot connect to {addr}: {detail}")]
    Connect {
        /// The URL as given.
        url: String,
        /// The last address tried.
        addr: String,
        /// Why (refused, unreachable, timed out after N s).
        detail: String,
    },
    /// A read or write, or the whole attempt, took too long.
    #[error("{url}: timed out after {} s", secs(.after))]
    Timeout {
        /// The URL as given.
        url: String,
        /// The limit that ran out.
        after: Duration,
    },
    /// The connection failed after it was established.
    #[error("{url}: connection failed: {detail}")]
    Io {
        /// The URL as given.
        url: String,
        /// What happened.
        detail: String,
    },
    /// `https://` but no CA bundle option and none of the default files.
    #[error("{url}: no CA bundle found (install ca-bundle or set option ca_bundle)")]
    NoCaBundle {
        /// The URL as given.
        url: String,
    },
    /// The CA bundle file is missing, unreadable or holds no certificate.
    #[error("{url}: cannot use CA bundle {}: {detail}", .path.display())]
    CaBundle {
        /// The URL as given.
        url: String,
        /// The bundle file.
        path: PathBuf,
        /// What is wrong with it.
        detail: String,
    },
    /// The server's certificate does not verify against the CA bundle.
    #[error("{url}: certificate not trusted: {detail}")]
    CertNotTrusted {
        /// The URL as given.
        url: String,
        /// rustls' reason (unknown issuer, expired, wrong name, ...).
        detail: String,
    },
    /// Any other TLS failure.
    #[error("{url}: TLS failed: {detail}")]
    Tls {
        /// The URL as given.
        url: String,
        /// rustls' reason.
        detail: String,
    },
    /// The server answered with a status other than 200, 304 or a redirect.
    #[error("{url}: HTTP {code} {reason}")]
    Status {
        /// The URL as given.
        url: String,
        /// The status code.
        code: u16,
        /// The reason phrase (sanitised; the standard one when absent).
        reason: String,
    },
    /// A redirect that cannot or must not be followed.
    #[error("{url}: bad redirect: {detail}")]
    Redirect {
        /// The URL as given.
        url: String,
        /// Why.
        detail: String,
    },
    /// The response does not parse as HTTP/1.x.
    #[error("{url}: malformed HTTP response: {detail}")]
    BadResponse {
        /// The URL as given.
        url: String,
        /// What is wrong.
        detail: String,
    },
    /// The body (as sent) is larger than `max_bytes`.
    #[error("{url}: body exceeds the {limit}-byte limit")]
    TooLarge {
        /// The URL as given.
        url: String,
        /// The limit.
        limit: u64,
    },
    /// The gzip body inflates to more than `max_bytes`.
    #[error("{url}: gzip body inflates beyond the {limit}-byte limit")]
    InflatedTooLarge {
        /// The URL as given.
        url: String,
        /// The limit.
        limit: u64,
    },
    /// The gzip body is corrupt or truncated.
    #[error("{url}: gzip body is corrupt: {detail}")]
    Gzip {
        /// The URL as given.
        url: String,
        /// What is wrong.
        detail: String,
    },
    /// The connection closed before `Content-Length` bytes arrived.
    #[error("{url}: connection closed after {got} of {expected} bytes")]
    Truncated {
        /// The URL as given.
        url: String,
        /// Bytes received.
        got: u64,
        /// `Content-Length`.
        expected: u64,
    },
    /// A chunked (or TLS connection-delimited) body ended without its end marker.
    #[error("{url}: connection closed after {got} bytes, before the end of the body")]
    ClosedEarly {
        /// The URL as given.
        url: String,
        /// Bytes received.
        got: u64,
    },
    /// A local file cannot be read.
    #[error("{url}: cannot read file: {detail}")]
    File {
        /// The URL or path as given.
        url: String,
        /// The OS error.
        detail: String,
    },
}

/// `30` for 30 s, `0.25` for 250 ms: timeouts in tests are short.
fn secs(d: &Duration) -> String {
    if d.subsec_millis() == 0 {
        d.as_secs().to_string()
    } else {
        let s = format!("{:.3}", d.as_secs_f64());
        s.trim_end_matches('0').to_string()
    }
}

impl FetchError {
    /// True when trying again later may succeed: resolver, connect and
    /// connection errors, timeouts, truncated bodies, HTTP 5xx. Never a
    /// 4xx, a size limit, a TLS trust problem or a malformed response.
    pub fn is_transient(&self) -> bool {
        match self {
            FetchError::Resolve { .. }
            | FetchError::Connect { .. }
            | FetchError::Timeout { .. }
            | FetchError::Io { .. }
            | FetchError::Truncated { .. }
            | FetchError::ClosedEarly { .. } => true,
            FetchError::Status { code, .. } => *code >= 500,
            _ => false,
        }
    }
}

/// Fetches `url` (`https://`, `http://`, `file://PATH` or a plain path).
///
/// With `prev`, HTTP sends a conditional request and a file is compared by
/// its stamp; an unchanged source gives [`Fetched::NotModified`]. Transient
/// HTTP failures are retried `opts.retries` times with doubling backoff.
pub fn fetch(url: &str, opts: &FetchOptions, prev: Option<&Validators>) -> Result<Fetched, FetchError> {
    match parse_source(url)? {
        Source::File(path) => file::fetch(url, &path, opts.max_bytes, prev),
        Source::Http(target) => {
            let mut wait = opts.backoff;
            let mut attempt = 0;
            loop {
                match http::fetch(url, &target, opts, prev) {
                    Err(e) if e.is_transient() && attempt < opts.retries => {
                        attempt += 1;
                        log::info!("{e}; retry {attempt} of {} in {} s", opts.retries, secs(&wait));
                        std::thread::sleep(wait);
                        wait = wait.saturating_mul(2);
                    }
                    r => return r,
                }
            }
        }
    }
}

/// The URL of `url`'s minisign signature: `.minisig` appended to the path
/// (before any `?query`, which stays: it may carry an access token).
pub fn signature_url(url: &str) -> String {
    let cut = if url.contains("://") && !url.starts_with("file://") {
        url.find(['?', '#']).unwrap_or(url.len())
    } else {
        url.len()
    };
    format!("{}.minisig{}", &url[..cut], &url[cut..])
}

/// Fetches the signature of `url` ([`signature_url`]): unconditionally,
/// capped at [`MAX_SIGNATURE_BYTES`], with `opts`' timeouts and trust.
/// Only needed after [`fetch`] returned a new body; a `NotModified` feed
/// keeps the signature that was verified with the cached copy.
pub fn fetch_signature(url: &str, opts: &FetchOptions) -> Result<Vec<u8>, FetchError> {
    let sig_url = signature_url(url);
    let opts = FetchOptions {
        max_bytes: MAX_SIGNATURE_BYTES,
        ..opts.clone()
    };
    match fetch(&sig_url, &opts, None)? {
        Fetched::Body { bytes, .. } => Ok(bytes),
        // Unreachable without validators, but an untrusted server decides.
        Fetched::NotModified => Err(FetchError::BadResponse {
            url: sig_url,
            detail: "304 Not Modified to an unconditional request".into(),
        }),
    }
}

/// A parsed source.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    Http(http::Target),
    File(PathBuf),
}

fn parse_source(url: &str) -> Result<Source, FetchError> {
    let bad = |reason: &str| FetchError::BadUrl {
        url: url.to_string(),
        reason: reason.to_string(),
    };
    if url.is_empty() {
        return Err(bad("empty"));
    }
    let Some(sep) = url.find("://") else {
        return Ok(Source::File(PathBuf::from(url)));
    };
    let scheme = url[..sep].to_ascii_lowercase();
    let rest = &url[sep + 3..];
    match scheme.as_str() {
        "file" => {
            // file:///p and file://localhost/p; a remote host makes no sense.
            let path = rest.strip_prefix("localhost").unwrap_or(rest);
            if !path.starts_with('/') {
                return Err(bad(
                    "a file:// URL needs an absolute path (file:///etc/iocguard/x.txt)",
                ));
            }
            Ok(Source::File(PathBuf::from(path)))
        }
        "http" | "https" => http::Target::parse(scheme == "https", rest)
            .map(Source::Http)
            .map_err(|r| bad(&r)),
        _ => Err(bad("only https://, http://, file:// and paths are supported")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(url: &str) -> http::Target {
        match parse_source(url).unwrap() {
            Source::Http(t) => t,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn sources() {
        assert_eq!(
            parse_source("/etc/x.txt").unwrap(),
            Source::File("/etc/x.txt".into())
        );
        assert_eq!(parse_source("rel.txt").unwrap(), Source::File("rel.txt".into()));
        assert_eq!(
            parse_source("file:///etc/x").unwrap(),
            Source::File("/etc/x".into())
        );
        assert_eq!(
            parse_source("file://localhost/etc/x").unwrap(),
            Source::File("/etc/x".into())
        );
        assert!(parse_source("file://host/etc/x").is_err());
        assert!(parse_source("ftp://h/x")
            .unwrap_err()
            .to_string()
            .starts_with("ftp://h/x: not a usable"));
        assert!(parse_source("").is_err());
        let t = target("HTTPS://Feeds.Example:8443/a/b.txt?k=v#frag");
        assert_eq!(
            (t.tls, t.host.as_str(), t.port, t.path.as_str()),
            (true, "Feeds.Example", 8443, "/a/b.txt?k=v")
        );
        let t = target("http://[::1]/x");
        assert_eq!(
            (t.tls, t.host.as_str(), t.port, t.host_header().as_str()),
            (false, "::1", 80, "[::1]")
        );
        let t = target("http://h:81");
        assert_eq!((t.path.as_str(), t.host_header().as_str()), ("/", "h:81"));
        for bad in [
            "http://",
            "http://u:p@h/x",
            "http://h:0/",
            "http://h:99999/",
            "http://h/a b",
            "http://h\r\nX: y/",
            "http://[::1/",
            "http://h:x/",
            "http://::1/",
        ] {
            assert!(parse_source(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn signature_urls() {
        assert_eq!(signature_url("https://h/f.txt"), "https://h/f.txt.minisig");
        assert_eq!(
            signature_url("https://h/f.txt?t=1"),
            "https://h/f.txt.minisig?t=1"
        );
        assert_eq!(
            signature_url("/etc/iocguard/l?.txt"),
            "/etc/iocguard/l?.txt.minisig"
        );
    }

    #[test]
    fn messages() {
        let e = FetchError::Timeout {
            url: "https://f/x".into(),
            after: Duration::from_millis(250),
        };
        assert_eq!(e.to_string(), "https://f/x: timed out after 0.25 s");
        let e = FetchError::Timeout {
            url: "https://f/x".into(),
            after: Duration::from_secs(30),
        };
        assert_eq!(e.to_string(), "https://f/x: timed out after 30 s");
        let e = FetchError::Truncated {
            url: "u".into(),
            got: 1200,
            expected: 5000,
        };
        assert_eq!(e.to_string(), "u: connection closed after 1200 of 5000 bytes");
        assert!(e.is_transient());
        let e = FetchError::Status {
            url: "u".into(),
            code: 404,
            reason: "Not Found".into(),
        };
        assert_eq!(e.to_string(), "u: HTTP 404 Not Found");
        assert!(!e.is_transient());
    }
}
