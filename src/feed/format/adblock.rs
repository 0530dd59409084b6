//! AdBlock Plus / uBlock Origin / AdGuard filter lists: the network rules
//! that block a whole host.
//!
//! Accepted: `||host^`, `||host^|`, `||host|`, `||*.host^`, and the same
//! with `$modifiers`; `|scheme://host…` (a URL-anchored rule names a
//! malware URL; like URL columns in CSV and STIX it becomes its host).
//! `||1.1.109.99^` is an IP rule; the sink knows.
//!
//! Valid rules that block no host are skipped: `!` and `#` comments are
//! ignored, `[Adblock Plus 2.0]` headers, `@@` exceptions, cosmetic and
//! scriptlet rules (`##`, `#@#`, `#?#`, `#$#`, `#%#`), and rules whose
//! modifiers narrow them to some pages, clients, query or content types,
//! or make them rewrite rather than block (`$domain=`, `$client=`,
//! `$dnstype=`, `$dnsrewrite`, `$script`, `$redirect=`, `$removeparam`,
//! `$badfilter`, …). `$important`, `$third-party`, `$all`, `$document`,
//! `$denyallow=` and negated types keep the host blocked, so they stay.
//!
//! Rejected, with a reason: `||host/path`, wildcards inside the host
//! (`||ads*.example.com^`), regular-expression rules, and bare patterns.
//! They are real rules, but blocking their whole host would block far more
//! than the list asked for (a compromised site, a CDN), and blocking
//! nothing silently would hide that the list is not a host list. Rejected
//! rules show in `iocguard check`; a list made mostly of them is refused as
//! unusable, which is the right answer for an ad-filter list.

use crate::feed::text::lines;
use crate::feed::Sink;

/// Parses filter-list network rules into `sink`.
pub fn parse(text: &str, sink: &mut Sink) {
    for (n, line) in lines(text) {
        match rule(line) {
            Rule::Comment => {}
            Rule::Skip => sink.skip(),
            Rule::Host(h) => sink.value(n, h),
            Rule::Reject(why) => sink.reject(n, line, why),
        }
    }
}

enum Rule<'a> {
    Comment,
    Skip,
    Host(&'a str),
    Reject(&'static str),
}

const COSMETIC: &[&str] = &[
    "##", "#@#", "#?#", "#@?#", "#$#", "#@$#", "#%#", "#@%#", "$$", "$@$",
];

fn rule(line: &str) -> Rule<'_> {
    if line.starts_with('[') && line.ends_with(']') {
        return Rule::Comment;
    }
    if COSMETIC.iter().any(|m| line.contains(m)) || line.starts_with("@@") {
        return Rule::Skip;
    }
    if line.starts_with('!') || line.starts_with('#') {
        return Rule::Comment;
    }
    if line.len() > 1 && line.starts_with('/') && line.ends_with('/') {
        return Rule::Reject("regular-expression rule, not a host");
    }
    let (pattern, modifiers) = split_modifiers(line);
    if let Some(m) = modifiers {
        if m.split(',').any(narrowing_modifier) {
            return Rule::Skip;
        }
    }
    if let Some(rest) = pattern.strip_prefix("||") {
        let end = rest.find(['^', '|', '/', '*']).unwrap_or(rest.len());
        let (host, tail) = rest.split_at(end);
        let host = host_with_wildcard_prefix(rest, host, tail);
        return match host {
            Some(h) => Rule::Host(h),
            None if tail.starts_with('/') => Rule::Reject("rule matches a URL path, not a whole host"),
            None => Rule::Reject("rule has a wildcard or pattern inside the host"),
        };
    }
    if let Some(url) = pattern.strip_prefix('|') {
        if url.contains("://") {
            let url = url.trim_end_matches(['|', '^']);
            if url.contains('*') {
                return Rule::Reject("rule has a wildcard or pattern inside the host");
            }
            return Rule::Host(url);
        }
    }
    // AdGuard Home also takes hosts-file lines (`0.0.0.0 example.org`).
    let mut words = line.split_whitespace();
    if let (Some(addr), Some(host)) = (words.next(), words.next()) {
        if addr.parse::<std::net::IpAddr>().is_ok() {
            return Rule::Host(host);
        }
    }
    Rule::Reject("not a `||host^` network rule")
}

/// The host of `||host…` when the rule blocks exactly that host: it ends
/// at the end of the pattern or at `^`/`|` with nothing after. `||*.host^`
/// is the same host with its subdomains, which every domain entry means.
fn host_with_wildcard_prefix<'a>(rest: &'a str, host: &'a str, tail: &str) -> Option<&'a str> {
    let whole = matches!(tail, "" | "^" | "|" | "^|");
    if !host.is_empty() && whole {
        return Some(host);
    }
    if host.is_empty() {
        // `||*.host^`
        let inner = rest.strip_prefix("*.")?;
        let end = inner.find(['^', '|', '/', '*']).unwrap_or(inner.len());
        let (h, t) = inner.split_at(end);
        if !h.is_empty() && matches!(t, "" | "^" | "|" | "^|") {
            return rest.get(..end + 2);
        }
    }
    None
}

/// Splits `pattern$modifiers` at the last `$` that starts a modifier list.
fn split_modifiers(line: &str) -> (&str, Option<&str>) {
    match line.rsplit_once('$') {
        Some((p, m)) if !m.contains('/') || m.contains('=') => (p, Some(m)),
        _ => (line, None),
    }
}

/// Modifiers that make a rule apply to less than every request for the
/// host (some pages, clients, query or content types) or that rewrite
/// requests instead of blocking them. A negated type (`~script`) narrows
/// nothing that matters: the rule still blocks the rest.
fn narrowing_modifier(m: &str) -> bool {
    let m = m.trim();
    if m.starts_with('~') {
        return false;
    }
    let name = m.split('=').next().unwrap_or(m);
    matches!(
        name,
        "badfilter"
            | "domain"
            | "from"
            | "to"
            | "method"
            | "client"
            | "ctag"
            | "dnstype"
            | "dnsrewrite"
            | "app"
            // Content types: a browser blocks only these from the host.
            | "script"
            | "image"
            | "stylesheet"
            | "css"
            | "xmlhttprequest"
            | "xhr"
            | "media"
            | "font"
            | "subdocument"
            | "frame"
            | "ping"
            | "websocket"
            | "object"
            | "other"
            | "popup"
            // Rewriting, not blocking.
            | "redirect"
            | "redirect-rule"
            | "removeparam"
            | "queryprune"
            | "csp"
            | "replace"
            | "cookie"
            | "header"
            | "removeheader"
            | "permissions"
            | "urltransform"
            | "jsonprune"
            | "hls"
    )
}

#[cfg(test)]
mod tests {
    use crate::feed::format::Format;
    use crate::feed::testutil::parse_str;

    #[test]
    fn host_rules_with_and_without_modifiers() {
        let r = parse_str(
            Format::Adblock,
            "[Adblock Plus 2.0]\n! Title: x\n||a.com^\n||b.com^$important\n||c.com^|\n||d.com|\n\
             ||*.e.com^\n||1.1.109.99^\n|http://f.com/bins/x.arm\n||Shopgcaothụ.vn^\n||g.com^$third-party,all\n\
             0.0.0.0 h.com\n",
        );
        assert_eq!(
            (r.counts.domains, r.counts.v4, r.counts.rejected),
            (9, 1, 0),
            "{:?}",
            r.rejected
        );
        assert_eq!(r.counts.skipped, 0);
    }

    #[test]
    fn exceptions_cosmetics_and_narrowed_rules_are_skipped() {
        let r = parse_str(
            Format::Adblock,
            "||a.com^\n@@||good.com^\nexample.com##.ad\n##.banner\nexample.com#@#.x\nx.com#?#div\n\
             x.com#$#body{}\n||b.com^$domain=news.com\n||c.com^$badfilter\n||d.com^$client=10.0.0.1\n\
             ||e.com^$script,third-party\n||f.com^$removeparam=utm\n||g.com^$~script\n\
             # plain comment\n",
        );
        assert_eq!((r.counts.domains, r.counts.rejected), (2, 0));
        assert_eq!(r.counts.skipped, 11);
    }

    #[test]
    fn partial_host_rules_are_rejected_with_reasons() {
        let r = parse_str(
            Format::Adblock,
            "||a.com^\n||b.com^\n||c.com^\n||d.com^\n||x.com/ads/*\n||ads*.y.com^\n/banner[0-9]+/\n\
             ad-frame\n",
        );
        assert_eq!((r.counts.domains, r.counts.rejected), (4, 4));
        let reasons: Vec<_> = r.rejected.iter().map(|x| x.reason.as_str()).collect();
        assert!(reasons[0].contains("path"), "{reasons:?}");
        assert!(reasons[1].contains("wildcard"), "{reasons:?}");
        assert!(reasons[2].contains("regular-expression"), "{reasons:?}");
        assert!(reasons[3].contains("network rule"), "{reasons:?}");
    }
}
