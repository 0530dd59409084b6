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

mod error;
mod file;
mod gzip;
mod http;
mod types;

use error::secs;
pub use error::FetchError;
use std::path::PathBuf;
pub use types::{
    FetchOptions, Fetched, Validators, DEFAULT_CA_BUNDLES, DEFAULT_MAX_BYTES, MAX_HEAD_BYTES,
    MAX_SIGNATURE_BYTES,
};

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

/// Reads a recorded HTTP/1.1 response (status line, headers, framing,
/// gzip) exactly as [`fetch`] reads one from a server, handing the reader
/// at most `chunk` bytes per read. `Ok(Err(location))` is a redirect.
/// For the fuzz target and tests: the parser sees attacker bytes before
/// any signature check, so it must be exercised without a network.
#[doc(hidden)]
pub fn replay_http_response(
    bytes: &[u8],
    chunk: usize,
    opts: &FetchOptions,
    prev: Option<&Validators>,
) -> Result<Result<Fetched, String>, FetchError> {
    http::replay(bytes, chunk, opts, prev)
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
    use std::time::Duration;

    #[test]
    fn replayed_responses_read_like_a_socket() {
        let opts = FetchOptions::default();
        let chunked = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nevil.\r\n7\r\nexample\r\n0\r\n\r\n";
        // One byte per read splits every line and chunk-size across reads.
        for chunk in [1, 3, usize::MAX] {
            match replay_http_response(chunked, chunk, &opts, None) {
                Ok(Ok(Fetched::Body { bytes, .. })) => assert_eq!(bytes, b"evil.example"),
                other => panic!("{chunk}: {other:?}"),
            }
        }
        let redirect = b"HTTP/1.1 302 Found\r\nLocation: /x\r\n\r\n";
        assert_eq!(
            replay_http_response(redirect, 7, &opts, None).unwrap(),
            Err("/x".to_string())
        );
        let truncated = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc";
        assert!(replay_http_response(truncated, 2, &opts, None).is_err());
        assert!(replay_http_response(b"", 1, &opts, None).is_err());
    }

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
