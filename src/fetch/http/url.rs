//! Where an `http(s)` URL points: parsing the part after `://` into a
//! [`Target`] and resolving a redirect's `Location` against it.
//!
//! Input is untrusted (feed URLs from config, `Location` from any server):
//! nothing here may panic, and a path that could smuggle a second request
//! (spaces, controls, raw non-ASCII) is refused rather than sent. Only
//! `https` → `http` downgrades are refused on redirects; the redirect count
//! is bounded by the caller.

use super::text::truncate;

/// Where to connect and what to ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(in crate::fetch) struct Target {
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
    pub(in crate::fetch) fn parse(tls: bool, rest: &str) -> Result<Target, String> {
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
    pub(in crate::fetch) fn host_header(&self) -> String {
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
    pub(super) fn join(&self, location: &str) -> Result<Target, String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn parse_and_join_never_panic(line in proptest::collection::vec(proptest::num::u8::ANY, 0..40),
                                      tls in proptest::bool::ANY) {
            let _ = Target::parse(tls, &String::from_utf8_lossy(&line));
            if let Ok(t) = Target::parse(true, "h/a/b") {
                let _ = t.join(&String::from_utf8_lossy(&line));
            }
        }
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
