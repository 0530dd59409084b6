//! The request head of one conditional `GET` with `Connection: close`.
//!
//! The request line's path was checked when the [`Target`] was parsed;
//! the header values written here (user agent, validators a server sent
//! earlier) are untrusted and are left out, not sent, when they hold
//! anything that could break the header block.

use super::text::header_safe;
use super::url::Target;
use crate::fetch::Validators;

/// The request head. Values that could break the header block (CR, LF,
/// other controls) are left out rather than sent.
pub(super) fn request(target: &Target, user_agent: &str, prev: Option<&Validators>) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
