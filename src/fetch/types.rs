//! What a fetch is asked to do and what it returns: options with their
//! bounds, HTTP validators, the result.

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
