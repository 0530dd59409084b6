//! The HTTP/1.x requests the notice page accepts, parsed from untrusted
//! bytes (any LAN host can connect, and the redirect brings in whatever
//! a browser or a malware's HTTP client sends).
//!
//! Bounded: a head over [`MAX_HEAD`] bytes or a body over [`MAX_BODY`]
//! is refused, not buffered; `Transfer-Encoding` is refused (nothing the
//! page takes needs it). Only `GET`, `HEAD` and `POST` with an
//! origin-form target. Nothing here allocates: the request borrows from
//! the connection's buffer.

/// Largest request head (request line and headers) accepted.
pub const MAX_HEAD: usize = 4096;
/// Largest request body accepted (the confirmation form is ~100 bytes).
pub const MAX_BODY: usize = 1024;

/// The methods served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `GET`.
    Get,
    /// `HEAD`: a `GET` without body.
    Head,
    /// `POST`: the confirmation form.
    Post,
}

/// A complete request, borrowed from the buffer it was read into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request<'a> {
    /// The method.
    pub method: Method,
    /// The path with its query (`/confirm?lang=en`).
    pub target: &'a str,
    /// The `Host` header, when sent.
    pub host: Option<&'a str>,
    /// The `Accept-Language` header, when sent.
    pub accept_language: Option<&'a str>,
    /// The body (`Content-Length` bytes).
    pub body: &'a [u8],
}

/// Why a request is refused; each maps to one status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BadRequest {
    /// 400: not HTTP/1.x as the page reads it.
    #[error("malformed request: {0}")]
    Malformed(&'static str),
    /// 413 / 431: over [`MAX_HEAD`] or [`MAX_BODY`].
    #[error("request too large")]
    TooLarge,
    /// 405: a method the page does not serve.
    #[error("method not allowed")]
    Method,
}

impl BadRequest {
    /// The status line's code and reason.
    pub fn status(self) -> (u16, &'static str) {
        match self {
            BadRequest::Malformed(_) => (400, "Bad Request"),
            BadRequest::TooLarge => (413, "Content Too Large"),
            BadRequest::Method => (405, "Method Not Allowed"),
        }
    }
}

/// Parses the start of `buf`: `Ok(None)` while the request is incomplete
/// (read more), the request when whole, or why it is refused.
pub fn parse(buf: &[u8]) -> Result<Option<Request<'_>>, BadRequest> {
    let Some((head_len, body_start)) = head_end(buf) else {
        return if buf.len() > MAX_HEAD {
            Err(BadRequest::TooLarge)
        } else {
            Ok(None)
        };
    };
    if head_len > MAX_HEAD {
        return Err(BadRequest::TooLarge);
    }
    let head =
        std::str::from_utf8(&buf[..head_len]).map_err(|_| BadRequest::Malformed("head is not UTF-8"))?;
    let mut lines = head.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let request_line = lines.next().unwrap_or("");
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(BadRequest::Malformed("request line"));
    };
    if version != "HTTP/1.1" && version != "HTTP/1.0" {
        return Err(BadRequest::Malformed("version"));
    }
    let method = match method {
        "GET" => Method::Get,
        "HEAD" => Method::Head,
        "POST" => Method::Post,
        m if !m.is_empty() && m.bytes().all(is_tchar) => return Err(BadRequest::Method),
        _ => return Err(BadRequest::Malformed("method")),
    };
    if !target.starts_with('/') || target.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return Err(BadRequest::Malformed("target"));
    }
    let (mut host, mut accept_language, mut length) = (None, None, None);
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            return Err(BadRequest::Malformed("header line"));
        };
        if name.is_empty() || !name.bytes().all(is_tchar) {
            return Err(BadRequest::Malformed("header name"));
        }
        let value = value.trim_matches([' ', '\t']);
        if value.chars().any(|c| c.is_control() && c != '\t') {
            return Err(BadRequest::Malformed("header value"));
        }
        if name.eq_ignore_ascii_case("host") {
            if host.replace(value).is_some() {
                return Err(BadRequest::Malformed("two Host headers"));
            }
        } else if name.eq_ignore_ascii_case("accept-language") {
            accept_language = Some(value);
        } else if name.eq_ignore_ascii_case("content-length") {
            if value.is_empty() || value.len() > 9 || !value.bytes().all(|b| b.is_ascii_digit()) {
                return Err(BadRequest::Malformed("Content-Length"));
            }
            let n: usize = value
                .parse()
                .map_err(|_| BadRequest::Malformed("Content-Length"))?;
            if length.replace(n).is_some_and(|m| m != n) {
                return Err(BadRequest::Malformed("two Content-Length headers"));
            }
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            return Err(BadRequest::Malformed("Transfer-Encoding"));
        }
    }
    let length = length.unwrap_or(0);
    if length > MAX_BODY {
        return Err(BadRequest::TooLarge);
    }
    if buf.len() < body_start + length {
        return Ok(None);
    }
    Ok(Some(Request {
        method,
        target,
        host,
        accept_language,
        body: &buf[body_start..body_start + length],
    }))
}

/// The head's length (without the blank line) and where the body starts.
/// Bare LF line ends are read too (RFC 9112 lets a server accept them).
fn head_end(buf: &[u8]) -> Option<(usize, usize)> {
    let limit = buf.len().min(MAX_HEAD + 4);
    let mut i = 0;
    while i < limit {
        if buf[i] == b'\n' {
            if buf.get(i + 1) == Some(&b'\n') {
                return Some((i, i + 2));
            }
            if buf.get(i + 1) == Some(&b'\r') && buf.get(i + 2) == Some(&b'\n') {
                let end = if i > 0 && buf[i - 1] == b'\r' { i - 1 } else { i };
                return Some((end, i + 3));
            }
        }
        i += 1;
    }
    None
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// The path of a target, without its query.
pub fn path(target: &str) -> &str {
    target.split_once('?').map_or(target, |(p, _)| p)
}

/// The value of `key` in a `k=v&k=v` string (a query or a form body),
/// percent- and `+`-decoded; `None` when absent or not UTF-8. At most
/// `max` bytes are decoded (longer values are cut off, not refused).
pub fn field(pairs: &str, key: &str, max: usize) -> Option<String> {
    let raw = pairs
        .split('&')
        .filter_map(|kv| kv.split_once('=').or(Some((kv, ""))))
        .find(|(k, _)| *k == key)?
        .1;
    let mut out = Vec::with_capacity(raw.len().min(max));
    let b = raw.as_bytes();
    let mut i = 0;
    while i < b.len() && out.len() < max {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => match (
                b.get(i + 1).and_then(|&c| hex(c)),
                b.get(i + 2).and_then(|&c| hex(c)),
            ) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// The query part of a target (empty without one).
pub fn query(target: &str) -> &str {
    target.split_once('?').map_or("", |(_, q)| q)
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_browser_request_parses_whole() {
        let r = parse(
            b"GET /?lang=en HTTP/1.1\r\nHost: 192.168.1.1:8800\r\nAccept-Language: vi-VN,vi;q=0.9\r\n\r\n",
        )
        .unwrap()
        .unwrap();
        assert_eq!(r.method, Method::Get);
        assert_eq!((path(r.target), query(r.target)), ("/", "lang=en"));
        assert_eq!(r.host, Some("192.168.1.1:8800"));
        assert_eq!(r.accept_language, Some("vi-VN,vi;q=0.9"));
        assert!(r.body.is_empty());
    }

    #[test]
    fn a_form_post_waits_for_its_body() {
        let full = b"POST /confirm HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\ntoken=abcde";
        for cut in 0..full.len() {
            assert_eq!(parse(&full[..cut]), Ok(None), "cut at {cut}");
        }
        let r = parse(full).unwrap().unwrap();
        assert_eq!((r.method, r.body), (Method::Post, &b"token=abcde"[..]));
        assert_eq!(field("token=abcde", "token", 64).as_deref(), Some("abcde"));
    }

    #[test]
    fn hostile_requests_are_refused_with_their_status() {
        let refused = |b: &[u8]| parse(b).unwrap_err().status().0;
        assert_eq!(refused(b"GET / HTTP/2.0\r\n\r\n"), 400);
        assert_eq!(refused(b"GET http://x/ HTTP/1.1\r\n\r\n"), 400);
        assert_eq!(refused(b"GET / HTTP/1.1 extra\r\n\r\n"), 400);
        assert_eq!(refused(b"DELETE / HTTP/1.1\r\n\r\n"), 405);
        assert_eq!(refused(b"G\x01T / HTTP/1.1\r\n\r\n"), 400);
        assert_eq!(refused(b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400);
        assert_eq!(refused(b"GET / HTTP/1.1\r\nno colon\r\n\r\n"), 400);
        assert_eq!(refused(b"GET / HTTP/1.1\r\nX: a\x00b\r\n\r\n"), 400);
        assert_eq!(
            refused(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"),
            400
        );
        assert_eq!(refused(b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"), 400);
        assert_eq!(refused(b"POST / HTTP/1.1\r\nContent-Length: 5000\r\n\r\n"), 413);
        assert_eq!(refused(b"GET / HTTP/1.1\r\nH: \xff\r\n\r\n"), 400);
        let mut long = b"GET / HTTP/1.1\r\nX: ".to_vec();
        long.resize(MAX_HEAD + 10, b'a');
        assert_eq!(
            refused(&long),
            413,
            "no end of head in sight: refused, not buffered"
        );
    }

    #[test]
    fn bare_line_feeds_are_read_too() {
        let r = parse(b"GET /x HTTP/1.0\nHost: h\n\n").unwrap().unwrap();
        assert_eq!((r.target, r.host), ("/x", Some("h")));
    }

    #[test]
    fn fields_are_decoded_and_bounded() {
        assert_eq!(
            field("a=1&from=http%3A%2F%2Fx.example%2Fp+q", "from", 100).as_deref(),
            Some("http://x.example/p q")
        );
        assert_eq!(field("a=1", "b", 10), None);
        assert_eq!(field("a=%zz%4", "a", 10).as_deref(), Some("%zz%4"));
        assert_eq!(field("a=%ff", "a", 10), None, "not UTF-8");
        assert_eq!(field("a=abcdef", "a", 3).as_deref(), Some("abc"));
        assert_eq!(field("flag&x=1", "flag", 3).as_deref(), Some(""));
    }
}
