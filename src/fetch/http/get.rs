//! One fetch attempt over HTTP(S): trust, connect, request, head, then a
//! redirect, "not modified", an error status, or a body (gzip-decoded)
//! with the validators to store with it.
//!
//! Bounds: redirects stop at `max_redirects`, the whole attempt (all
//! redirects included) shares one deadline, a gzip body is capped again
//! after inflating, and only short, printable `Location`, `ETag` and
//! `Last-Modified` values are kept (they are logged or echoed back).

use super::conn::Conn;
use super::request::request;
use super::text::{header_safe, truncate};
use super::tls::tls_config;
use super::transport::{connect, handshake, Replay, Stream};
use super::url::Target;
use crate::fetch::gzip::{gunzip, GzipError};
use crate::fetch::{FetchError, FetchOptions, Fetched, Validators};
use std::time::Instant;

/// Validators longer than this are not stored (they are echoed to the server).
const MAX_VALIDATOR_LEN: usize = 1024;

/// One `fetch` attempt: connects, follows redirects, reads the body.
pub(in crate::fetch) fn fetch(
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
    let mut conn = Conn::new(stream, deadline, opts, url);
    let prev = prev.filter(|v| !v.is_empty());
    conn.write_all(request(target, &opts.user_agent, prev).as_bytes())?;
    read_response(&mut conn, url, opts, prev)
}

/// Reads and judges a response from a recorded byte string, handed to the
/// reader at most `chunk` bytes per read. The same code as a live
/// connection after the request is written; it exists for the fuzz target
/// and for tests of hostile responses.
pub(in crate::fetch) fn replay(
    bytes: &[u8],
    chunk: usize,
    opts: &FetchOptions,
    prev: Option<&Validators>,
) -> Result<Result<Fetched, String>, FetchError> {
    let url = "http://replay.invalid/";
    let stream = Stream::Memory(Replay {
        data: bytes.to_vec(),
        pos: 0,
        chunk,
    });
    let mut conn = Conn::new(stream, Instant::now() + opts.total_timeout, opts, url);
    Ok(
        match read_response(&mut conn, url, opts, prev.filter(|v| !v.is_empty()))? {
            Step::Done(f) => Ok(f),
            Step::Redirect(location) => Err(location),
        },
    )
}

/// Everything after the request: head, status, body, gzip, validators.
fn read_response(
    conn: &mut Conn<'_>,
    url: &str,
    opts: &FetchOptions,
    prev: Option<&Validators>,
) -> Result<Step, FetchError> {
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
