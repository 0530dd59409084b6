//! Turns one raw value from a feed into an [`Indicator`].
//!
//! Feeds write the same thing many ways: `1.2.3.4`, `1.2.3.0/24`,
//! `hxxp://evil[.]com:8080/x`, `[2001:db8::1]:443`, `*.evil.com`,
//! `evil.com/path`. Every format parser hands its value here so that one
//! set of rules decides what a value means:
//! - defanged forms are refanged (`[.]`, `(.)`, `[dot]`, `hxxp`, `[:]`);
//! - URLs and `host:port` are reduced to the host;
//! - anything that parses as an IP address is an IP, never a domain;
//! - a leading `*.` or `.` (wildcard lists) means "this domain and below",
//!   which is what every domain indicator already means.

use super::{Domain, DomainError, Indicator, Prefix, V4Prefix, V6Prefix};
use std::borrow::Cow;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Why a value is not an indicator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// Nothing there.
    #[error("empty value")]
    Empty,
    /// `addr/len` where len is not a number in range.
    #[error("invalid prefix length in {0:?}")]
    BadPrefixLength(String),
    /// `addr/len` with bits set below the mask.
    #[error("{0:?} has host bits set (did you mean {1}?)")]
    HostBits(String, String),
    /// Not an IP and not a valid domain.
    #[error("not an IP address or domain name: {0}")]
    BadDomain(DomainError),
    /// A URL we could not take a host out of.
    #[error("URL without a host")]
    NoHost,
}

/// Parses one value (already cut out of its line) into an indicator.
pub fn parse_indicator(raw: &str) -> Result<Indicator, TokenError> {
    let raw = raw.trim_ascii().trim_matches(|c| c == '"' || c == '\'');
    if raw.is_empty() {
        return Err(TokenError::Empty);
    }
    // Fast path for the bulk of every list: a bare name or address with
    // nothing to refang, strip or split.
    if raw.bytes().all(super::domain::is_host_byte)
        && !raw.starts_with('.')
        && !raw.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("hxxp"))
    {
        if let Some(ind) = parse_ip_or_prefix(raw)? {
            return Ok(ind);
        }
        return Domain::parse(raw)
            .map(Indicator::Domain)
            .map_err(TokenError::BadDomain);
    }
    let refanged = refang(raw);
    let host = reduce_to_host(&refanged)?;
    if let Some(ind) = parse_ip_or_prefix(host)? {
        return Ok(ind);
    }
    let name = host.trim_start_matches("*.").trim_start_matches('.');
    // `*.1.1.109.99` (a wildcard over an IP literal) names that IP.
    if let Some(ind) = parse_ip_or_prefix(name)? {
        return Ok(ind);
    }
    Domain::parse(name)
        .map(Indicator::Domain)
        .map_err(TokenError::BadDomain)
}

/// The quick route for what most feed lines hold: a name already in
/// canonical form, as written (trimmed as [`parse_indicator`] trims).
/// `None` sends the value through [`parse_indicator`]; where this answers,
/// that gives `Indicator::Domain` of the same name.
pub fn canonical_name(raw: &str) -> Option<&str> {
    let raw = raw.trim_ascii().trim_matches(|c| c == '"' || c == '\'');
    // Addresses, and defanged URLs, take the full route.
    if raw.starts_with(|c: char| c.is_ascii_digit())
        || raw.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("hxxp"))
    {
        return None;
    }
    super::domain::canonical(raw)
}

/// Undoes the usual defanging of threat-intel reports.
pub fn refang(s: &str) -> Cow<'_, str> {
    if !s.contains(['[', '(', '{']) && !s.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("hxxp")) {
        return Cow::Borrowed(s);
    }
    let mut out = s
        .replace("[.]", ".")
        .replace("(.)", ".")
        .replace("{.}", ".")
        .replace("[dot]", ".")
        .replace("(dot)", ".")
        .replace("[:]", ":")
        .replace("[://]", "://");
    // Only a defanged scheme is refanged: `hxxpool.com` is a name.
    if is_defanged_scheme(&out) {
        out.replace_range(..4, "http");
    }
    Cow::Owned(out)
}

/// `hxxp://` or `hxxps://`, any case.
fn is_defanged_scheme(s: &str) -> bool {
    let b = s.as_bytes();
    b.get(..4).is_some_and(|p| p.eq_ignore_ascii_case(b"hxxp"))
        && (b.get(4..7) == Some(b"://") || b.get(4..8).is_some_and(|p| p.eq_ignore_ascii_case(b"s://")))
}

/// Strips scheme, credentials, path, query and port, leaving the host (or
/// an `addr/len` prefix, which is passed through whole).
fn reduce_to_host(s: &str) -> Result<&str, TokenError> {
    let had_scheme = s.contains("://");
    let rest = match s.split_once("://") {
        Some((_, rest)) => rest,
        None => s,
    };
    // A CIDR keeps its slash; anything else ends at the first path byte.
    let authority = if !had_scheme && looks_like_prefix(rest) {
        return Ok(rest);
    } else {
        rest.split(['/', '?', '#']).next().unwrap_or("")
    };
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host.is_empty() {
        return Err(TokenError::NoHost);
    }
    if let Some(inner) = host.strip_prefix('[') {
        // [v6] or [v6]:port
        return Ok(inner.split(']').next().unwrap_or(""));
    }
    match host.rsplit_once(':') {
        // Exactly one colon and digits after it: host:port. More colons is
        // IPv6 and is left alone.
        Some((h, port)) if !h.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => Ok(h),
        _ => Ok(host),
    }
}

/// An IP address followed by a slash is a prefix attempt (valid or not);
/// schemeless URLs with an IP host are rarer than broken CIDRs.
fn looks_like_prefix(s: &str) -> bool {
    match s.split_once('/') {
        Some((addr, _)) => addr.parse::<Ipv4Addr>().is_ok() || addr.parse::<Ipv6Addr>().is_ok(),
        None => false,
    }
}

/// `Some` when `s` is an IP address or prefix, `None` when it is not IP
/// syntax at all (so it may be a domain), `Err` when it is IP syntax with
/// a broken length or host bits.
fn parse_ip_or_prefix(s: &str) -> Result<Option<Indicator>, TokenError> {
    // Fast exit for names: IPv4 starts with a digit, IPv6 contains a colon.
    if !s.starts_with(|c: char| c.is_ascii_digit()) && !s.contains(':') {
        return Ok(None);
    }
    let (addr, len) = match s.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (s, None),
    };
    if let Ok(a) = addr.parse::<Ipv4Addr>() {
        let bits = u32::from(a);
        return match len {
            None => Ok(Some(Indicator::V4(V4Prefix::host(bits)))),
            Some(l) => {
                let l = parse_len(s, l, 32)?;
                Prefix::new(bits, l)
                    .map(|p| Some(Indicator::V4(p)))
                    .ok_or_else(|| {
                        TokenError::HostBits(s.to_string(), V4Prefix::new_truncating(bits, l).to_string())
                    })
            }
        };
    }
    if let Ok(a) = addr.parse::<Ipv6Addr>() {
        let bits = u128::from(a);
        return match len {
            None => Ok(Some(Indicator::V6(V6Prefix::host(bits)))),
            Some(l) => {
                let l = parse_len(s, l, 128)?;
                Prefix::new(bits, l)
                    .map(|p| Some(Indicator::V6(p)))
                    .ok_or_else(|| {
                        TokenError::HostBits(s.to_string(), V6Prefix::new_truncating(bits, l).to_string())
                    })
            }
        };
    }
    Ok(None)
}

fn parse_len(whole: &str, l: &str, max: u8) -> Result<u8, TokenError> {
    match l.parse::<u8>() {
        Ok(n) if n <= max => Ok(n),
        _ => Err(TokenError::BadPrefixLength(whole.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Where the quick route answers, the full one gives the same name.
    fn same_as_full_route(raw: &str) -> Result<(), TestCaseError> {
        if let Some(name) = canonical_name(raw) {
            match parse_indicator(raw) {
                Ok(Indicator::Domain(d)) => prop_assert_eq!(d.as_str(), name, "{:?}", raw),
                other => prop_assert!(false, "{:?}: quick {:?}, full {:?}", raw, name, other),
            }
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn the_quick_route_agrees_with_the_full_one(raw in "[ \"'a-zA-Z0-9._:/*\\[\\]-]{0,24}") {
            same_as_full_route(&raw)?;
        }

        #[test]
        fn the_quick_route_agrees_on_name_like_values(
            labels in proptest::collection::vec("[a-z0-9_-]{0,8}", 1..5),
            quote in "[\"' ]{0,2}",
        ) {
            let raw = format!("{quote}{}{quote}", labels.join("."));
            same_as_full_route(&raw)?;
        }
    }

    #[test]
    fn the_quick_route_takes_plain_names_only() {
        assert_eq!(canonical_name(" \"evil.example\" "), Some("evil.example"));
        for raw in [
            "Evil.example",
            "evil.example.",
            "1.2.3.4",
            "1a.example",
            "hxxp.example",
            "xn--ls8h.example",
            "a..b",
            "-a.b",
            "a.123",
            "ví.dụ",
        ] {
            let quick = canonical_name(raw);
            assert!(quick.is_none() || raw == "xn--ls8h.example", "{raw}: {quick:?}");
        }
    }

    fn p(s: &str) -> String {
        parse_indicator(s).unwrap().to_string()
    }

    #[test]
    fn ips_and_prefixes() {
        assert_eq!(p("1.2.3.4"), "1.2.3.4");
        assert_eq!(p("1.2.3.0/24"), "1.2.3.0/24");
        assert_eq!(p("1.2.3.4/32"), "1.2.3.4");
        assert_eq!(p("2a14:c380:12::/48"), "2a14:c380:12::/48");
        assert_eq!(p("2001:db8::1"), "2001:db8::1");
    }

    #[test]
    fn host_bits_and_bad_lengths_are_errors() {
        let e = parse_indicator("1.2.3.4/24").unwrap_err().to_string();
        assert!(e.contains("1.2.3.0/24"), "{e}");
        assert!(parse_indicator("1.2.3.0/33").is_err());
        assert!(parse_indicator("1.2.3.0/x").is_err());
    }

    #[test]
    fn urls_reduce_to_host() {
        assert_eq!(p("http://212.192.246.164/bins/phantom.m68k"), "212.192.246.164");
        assert_eq!(p("https://user:pw@Evil.COM:8443/a?b#c"), "evil.com");
        assert_eq!(p("nation-news.com/4077017s/"), "nation-news.com");
        assert_eq!(p("http://[2001:db8::5]:8080/x"), "2001:db8::5");
        assert_eq!(p("[2001:db8::5]:443"), "2001:db8::5");
    }

    #[test]
    fn host_port_reduces_to_host() {
        assert_eq!(p("45.9.148.108:443"), "45.9.148.108");
        assert_eq!(p("evil.example:8080"), "evil.example");
    }

    #[test]
    fn defanged_values_are_refanged() {
        assert_eq!(p("hxxp://evil[.]com/x"), "evil.com");
        assert_eq!(p("HXXPS://evil(.)com"), "evil.com");
        assert_eq!(p("1[.]2[.]3[.]4"), "1.2.3.4");
        assert_eq!(p("evil[dot]com"), "evil.com");
    }

    /// Fuzz find: `\x01://Hxxp` gave `hxxp`, which parsed back as `http`.
    #[test]
    fn refang_leaves_hxxp_names_alone() {
        assert_eq!(p("hxxpool.example"), "hxxpool.example");
        assert_eq!(p("\u{1}://Hxxp"), "hxxp");
        assert_eq!(p("hxxp"), "hxxp");
        assert_eq!(p("hXXps[:]//evil.com"), "evil.com");
    }

    #[test]
    fn wildcards_mean_the_domain() {
        assert_eq!(p("*.evil.com"), "evil.com");
        assert_eq!(p(".evil.com"), "evil.com");
        assert_eq!(p("*.1.1.109.99"), "1.1.109.99");
    }

    #[test]
    fn quotes_and_whitespace_are_trimmed() {
        assert_eq!(p("  \"evil.com\" "), "evil.com");
    }

    #[test]
    fn garbage_is_rejected() {
        assert!(parse_indicator("").is_err());
        assert!(parse_indicator("<html>").is_err());
        assert!(parse_indicator("http:///x").is_err());
        assert!(parse_indicator("01.02.03.04").is_err());
    }
}
