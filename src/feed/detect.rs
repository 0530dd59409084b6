//! Guessing a feed's format from its first lines, and refusing bodies that
//! are not lists at all.
//!
//! Detection looks at up to [`SNIFF_LINES`] lines. Header comments count as
//! evidence where a format has its own comment style (`!` for AdBlock,
//! `$TTL` for RPZ). When nothing specific matches, the plain one-value-per-
//! line parser is used, which is also the right answer for most lists.

use super::text::lines;
use super::Format;

/// Lines inspected for detection.
const SNIFF_LINES: usize = 64;

/// `Some(description)` when the body is a web page or script, not a list.
pub fn not_a_list(text: &str) -> Option<&'static str> {
    let head: String = text
        .trim_start()
        .chars()
        .take(256)
        .collect::<String>()
        .to_ascii_lowercase();
    if head.starts_with("<!doctype html")
        || head.starts_with("<html")
        || head.contains("<head>")
        || head.contains("<body")
    {
        return Some("an HTML page");
    }
    if head.starts_with("<?php") || head.starts_with("#!") && head.contains("php") || head.contains("<?php") {
        return Some("PHP source");
    }
    if head.starts_with("<?xml") || head.starts_with("<rss") {
        return Some("an XML document");
    }
    None
}

/// Detects the format of `text`.
pub fn detect(text: &str) -> Format {
    let first = text.trim_start();
    if first.starts_with('{') || first.starts_with('[') {
        return if first.contains("\"cidr\"") && !first.contains("\"objects\"") {
            Format::SpamhausJson
        } else {
            Format::Stix
        };
    }
    let mut votes = [0usize; FORMAT_ORDER.len()];
    let mut vote = |f: Format| votes[f as usize] += 1;
    for (_, line) in lines(text).take(SNIFF_LINES) {
        let lower = line.to_ascii_lowercase();
        if line.starts_with("//")
            || line.starts_with("/*")
            || line.starts_with("*/")
            || line.starts_with("* ")
            || line == "*"
        {
            // C-style comments (named.conf) say nothing about the format;
            // no other format has them, and a plain list's `//` line is
            // no entry either. (`*.name` wildcard lines still vote.)
        } else if is_zone_statement(&lower) {
            vote(Format::Bind);
        } else if line.starts_with("$TTL")
            || line.starts_with("$ORIGIN")
            || lower.contains(" cname ")
            || lower.contains(" soa ")
        {
            vote(Format::Rpz);
        } else if line.starts_with("[Adblock")
            || line.starts_with("||")
            || line.starts_with("@@||")
            || line.starts_with('!')
        {
            vote(Format::Adblock);
        } else if line.starts_with("address=/") || line.starts_with("server=/") || line.starts_with("local=/")
        {
            vote(Format::Dnsmasq);
        } else if line.starts_with("local-zone:") || line.starts_with("local-data:") {
            vote(Format::Unbound);
        } else if lower.starts_with("/ip firewall address-list")
            || lower.starts_with("/ipv6 firewall address-list")
            || lower.starts_with("add list=")
        {
            vote(Format::Mikrotik);
        } else if line.starts_with("add ") || line.starts_with("create ") {
            vote(Format::Ipset);
        } else if line.starts_with('#') || line.starts_with(';') {
            // A commented CSV header (`#ip,ioc`, `# first_seen_utc,…`).
            if is_csv_header(line.trim_start_matches(['#', ' '])) {
                vote(Format::Csv);
                vote(Format::Csv);
            }
        } else if is_hosts_line(line) {
            vote(Format::Hosts);
        } else if is_dshield_line(line) {
            vote(Format::Dshield);
        } else if is_csv_header(line) {
            // An uncommented header (MISP, Feodo) weighs like a commented one.
            vote(Format::Csv);
            vote(Format::Csv);
        } else if line.contains(',') || line.starts_with('"') {
            // Data rows: one-value-per-line lists have no commas, but CSV
            // labels have spaces (`1.2.3.4,Possible Cobaltstrike C2 IP`).
            vote(Format::Csv);
        } else {
            vote(Format::Plain);
        }
    }
    let (best, n) = votes
        .iter()
        .enumerate()
        .max_by_key(|(i, n)| (**n, usize::MAX - i))
        .unwrap_or((0, &0));
    if *n == 0 {
        return Format::Plain;
    }
    FORMAT_ORDER[best]
}

/// Formats in discriminant order, to map a vote index back.
const FORMAT_ORDER: [Format; 13] = [
    Format::Plain,
    Format::Hosts,
    Format::Ipset,
    Format::Mikrotik,
    Format::Dshield,
    Format::SpamhausJson,
    Format::Adblock,
    Format::Dnsmasq,
    Format::Unbound,
    Format::Rpz,
    Format::Csv,
    Format::Stix,
    Format::Bind,
];

/// `zone "name" {` / `zone name IN {`: the keyword, a name, and the
/// opening brace on the same line. A plain list's single word `zone`
/// (a TLD) has no brace, so plain lists are never taken for BIND.
fn is_zone_statement(lower: &str) -> bool {
    lower
        .strip_prefix("zone")
        .is_some_and(|r| r.starts_with([' ', '\t']) && r.contains('{'))
}

fn is_csv_header(s: &str) -> bool {
    let s = s.to_ascii_lowercase();
    s.contains(',')
        && [
            "ip",
            "ioc",
            "url",
            "domain",
            "value",
            "dst_ip",
            "ioc_value",
            "first_seen",
        ]
        .iter()
        .any(|k| s.split(',').any(|c| c.trim().trim_matches('"') == *k))
}

fn is_hosts_line(line: &str) -> bool {
    let mut it = line.split_whitespace();
    matches!(
        it.next(),
        Some(
            "0.0.0.0"
                | "127.0.0.1"
                | "::"
                | "::1"
                | "0"
                | "255.255.255.255"
                | "fe80::1%lo0"
                | "ff02::1"
                | "ff02::2"
        )
    ) && it.next().is_some()
}

fn is_dshield_line(line: &str) -> bool {
    let cols: Vec<&str> = line.split('\t').collect();
    cols.len() >= 3
        && cols[0].parse::<std::net::Ipv4Addr>().is_ok()
        && cols[1].parse::<std::net::Ipv4Addr>().is_ok()
        && cols[2].parse::<u8>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_matches_discriminants() {
        for (i, f) in FORMAT_ORDER.iter().enumerate() {
            assert_eq!(*f as usize, i);
        }
    }

    #[test]
    fn web_pages_are_not_lists() {
        assert_eq!(not_a_list("<!DOCTYPE html><html>"), Some("an HTML page"));
        assert_eq!(not_a_list("\n <html lang=en>"), Some("an HTML page"));
        assert_eq!(not_a_list("<?php echo 1;"), Some("PHP source"));
        assert_eq!(
            not_a_list("#!/usr/bin/env php\n<?php echo 1;"),
            Some("PHP source")
        );
        assert_eq!(not_a_list("1.2.3.4\n"), None);
    }

    #[test]
    fn small_samples() {
        assert_eq!(detect("1.2.3.4\n5.6.7.8\n"), Format::Plain);
        assert_eq!(detect("0.0.0.0 a.com\n0.0.0.0 b.com\n"), Format::Hosts);
        assert_eq!(detect("! Title\n||a.com^\n"), Format::Adblock);
        assert_eq!(detect("#ip,ioc\n1.2.3.4,x\n"), Format::Csv);
        assert_eq!(detect("{\"type\": \"bundle\", \"objects\": []}"), Format::Stix);
        assert_eq!(
            detect("#ip,ioc\n1.2.3.4,Possible Cobaltstrike C2 IP\n"),
            Format::Csv
        );
        assert_eq!(
            detect("uuid,event_id,category,type,value\n1,10,Network activity,domain,\"a.com\"\n"),
            Format::Csv
        );
        assert_eq!(
            detect("$TTL 30\n@ SOA a. b. 1 2 3 4 5\n NS localhost.\na.com CNAME .\n"),
            Format::Rpz
        );
        assert_eq!(detect("add bl 1.2.3.0/24\n"), Format::Ipset);
        assert_eq!(
            detect("/ip firewall address-list add list=x address=1.2.3.4\n"),
            Format::Mikrotik
        );
        assert_eq!(detect("address=/a.com/0.0.0.0\n"), Format::Dnsmasq);
        assert_eq!(detect("local-zone: \"a.com\" always_nxdomain\n"), Format::Unbound);
        assert_eq!(detect("1.2.3.0\t1.2.3.255\t24\t7\t-\t-\t-\n"), Format::Dshield);
        assert_eq!(
            detect("{\"cidr\":\"1.2.3.0/24\",\"sblid\":\"SBL1\"}\n"),
            Format::SpamhausJson
        );
        assert_eq!(detect(""), Format::Plain);
        assert_eq!(
            detect("// blocklist\n/* x */\nzone \"a.example\" { type master; file \"null.zone.file\"; };\n"),
            Format::Bind
        );
        assert_eq!(
            detect("# c\nzone \"a.example\" {type master; notify no; file \"null.zone.file\";};\n"),
            Format::Bind
        );
        // Plain lists that mention zones stay plain.
        assert_eq!(detect("zone\nzone.example\nzone-h.example\n"), Format::Plain);
        assert_eq!(detect("zone.example\nzones.example # zone {x}\n"), Format::Plain);
    }
}
