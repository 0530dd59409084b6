//! Why a fetch failed, each as one sentence naming the URL.

use std::path::PathBuf;
use std::time::Duration;

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
pub(crate) fn secs(d: &Duration) -> String {
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
