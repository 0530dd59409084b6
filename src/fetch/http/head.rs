//! The response head: status line and header fields, and how the body
//! that follows is delimited.
//!
//! Input is whatever the server sent (already cut into lines within the
//! head budget by the reader): parsing may fail but never panics, keeps at
//! most [`MAX_HEADERS`] fields, refuses obsolete line folding and bad field
//! names, and reduces the reason phrase to short printable ASCII because
//! it ends up in logs. Framing follows RFC 9112 §6.3 and refuses what it
//! cannot decode safely (conflicting lengths, transfer codings other than
//! plain `chunked`).

use super::text::truncate;

/// Most header fields accepted in one response.
pub(super) const MAX_HEADERS: usize = 128;

/// The response status line and headers.
#[derive(Debug)]
pub(super) struct Head {
    /// Status code, 100 to 599.
    pub code: u16,
    /// Reason phrase, printable ASCII (the standard one when absent).
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
    /// `Content-Length` bytes.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Until the server closes the connection.
    Close,
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
}
