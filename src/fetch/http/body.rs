//! Reading the body of a `200` by its framing: `Content-Length`,
//! chunked (with trailers), or until the connection closes.
//!
//! Bounds: never more than `max_bytes` is stored (a larger
//! `Content-Length` is refused before reading, a chunked or
//! close-delimited body as soon as it passes the cap), chunk-size lines and
//! trailers draw from the head budget, and a body that ends early (before
//! its length, its last chunk, or TLS `close_notify`) is an error, never a
//! silently shorter feed.

use super::conn::Conn;
use super::head::{framing, Framing, Head};
use crate::fetch::{FetchError, MAX_HEAD_BYTES};

impl Conn<'_> {
    /// Reads the body of a 200 response, enforcing `max_bytes`.
    pub(super) fn read_body(&mut self, head: &Head) -> Result<Vec<u8>, FetchError> {
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
}

/// The size in a chunk-size line (hex, optional `;extensions`).
fn parse_chunk_size(line: &[u8]) -> Result<u64, String> {
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

    proptest::proptest! {
        #[test]
        fn chunk_size_never_panics(line in proptest::collection::vec(proptest::num::u8::ANY, 0..40)) {
            let _ = parse_chunk_size(&line);
        }
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
}
