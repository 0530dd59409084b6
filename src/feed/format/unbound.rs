//! Unbound configuration: `local-zone: "name" TYPE`.
//!
//! Zone types that answer instead of resolving (`always_nxdomain`,
//! `refuse`, `static`, `deny`, `redirect`, `always_null`, …) are blocks.
//! The pass-through types (`transparent`, `typetransparent`, `inform`,
//! `always_transparent`, `nodefault`) are allow entries: skipped, never
//! blocked. `server:`, `local-data:` and every other `key: value` clause
//! is valid configuration without an indicator. `#` starts a comment.

use crate::feed::text::{lines, strip_comment};
use crate::feed::Sink;

/// Parses Unbound `local-zone` clauses into `sink`.
pub fn parse(text: &str, sink: &mut Sink) {
    for (n, line) in lines(text) {
        let line = strip_comment(line, &['#']);
        if line.is_empty() {
            continue;
        }
        let Some((key, rest)) = line.split_once(':') else {
            sink.reject(n, line, "not an Unbound `key: value` clause");
            continue;
        };
        if key.trim() != "local-zone" {
            sink.skip();
            continue;
        }
        let (name, kind) = split_zone(rest.trim());
        let kind = kind.trim().to_ascii_lowercase();
        match kind.as_str() {
            "" => sink.reject(n, line, "local-zone without a zone type"),
            "transparent" | "typetransparent" | "inform" | "always_transparent" | "nodefault" => sink.skip(),
            "deny" | "refuse" | "static" | "redirect" | "inform_deny" | "inform_redirect"
            | "always_refuse" | "always_nxdomain" | "always_null" | "always_nodata" | "always_deny"
            | "noview" => sink.value(n, name),
            _ => sink.reject(n, line, format!("unknown local-zone type {kind:?}")),
        }
    }
}

/// `"name" type` or `name type` → (name, type).
fn split_zone(s: &str) -> (&str, &str) {
    if let Some(q) = s.strip_prefix('"') {
        if let Some((name, kind)) = q.split_once('"') {
            return (name, kind);
        }
    }
    s.split_once(char::is_whitespace).unwrap_or((s, ""))
}

#[cfg(test)]
mod tests {
    use crate::feed::format::Format;
    use crate::feed::testutil::parse_str;

    #[test]
    fn blocking_zone_types_count() {
        let r = parse_str(
            Format::Unbound,
            "# header\nserver:\n  local-zone: \"a.com\" always_nxdomain\nlocal-zone: b.com refuse\n\
             local-zone: \"c.com.\" static # x\nlocal-data: \"c.com A 0.0.0.0\"\n\
             local-zone: \"ok.com\" transparent\n",
        );
        assert_eq!((r.counts.domains, r.counts.skipped, r.counts.rejected), (3, 3, 0));
    }

    #[test]
    fn missing_or_unknown_types_are_rejected() {
        let r = parse_str(
            Format::Unbound,
            "local-zone: \"a.com\" deny\nlocal-zone: \"b.com\" deny\nlocal-zone: \"c.com\" deny\n\
             local-zone: \"d.com\"\nlocal-zone: \"e.com\" sometimes\n",
        );
        assert_eq!(r.counts.rejected, 2);
        assert!(r.rejected[1].reason.contains("sometimes"));
    }
}
