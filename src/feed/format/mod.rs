//! One small parser per feed format. Each takes the decoded text and a
//! [`Sink`], and reports every value it finds with its line number; the
//! sink does classification and gating. Parsers only know their syntax.

mod plain;

use super::{FeedError, Sink};
use serde::Serialize;
use std::fmt;

/// A feed format. The names are the `format` option of the configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Format {
    /// One value per line: IPs, CIDRs, domains, `*.domain`; `#` and `;`
    /// comments; extra columns ignored. Covers ipsum (`IP<TAB>score`),
    /// FireHOL netset/ipset, Spamhaus DROP text and plain domain lists.
    Plain,
    /// hosts file: `0.0.0.0 domain …`.
    Hosts,
    /// `ipset restore` commands: `add NAME value`.
    Ipset,
    /// MikroTik RouterOS script: `/ip firewall address-list add address=…`.
    Mikrotik,
    /// DShield block.txt: `start<TAB>end<TAB>prefixlen…`.
    Dshield,
    /// Spamhaus DROP newline-delimited JSON.
    SpamhausJson,
    /// AdBlock / AdGuard / uBlock network rules: `||domain^`.
    Adblock,
    /// dnsmasq: `address=/d/…`, `server=/d/…`, `local=/d/`.
    Dnsmasq,
    /// Unbound: `local-zone: "d" …`.
    Unbound,
    /// RPZ zone file: `d CNAME .`.
    Rpz,
    /// CSV with a header naming the columns (Feodo Tracker, URLhaus,
    /// ThreatFox, MISP, C2IntelFeeds…).
    Csv,
    /// STIX 2.0/2.1 JSON bundle.
    Stix,
}

/// Every format with its configuration name and the aliases accepted for it.
const NAMES: &[(Format, &str, &[&str])] = &[
    (
        Format::Plain,
        "plain",
        &[
            "ipsum", "firehol", "netset", "spamhaus", "domains", "wildcard", "list",
        ],
    ),
    (Format::Hosts, "hosts", &[]),
    (Format::Ipset, "ipset", &[]),
    (Format::Mikrotik, "mikrotik", &["rsc", "routeros"]),
    (Format::Dshield, "dshield", &[]),
    (Format::SpamhausJson, "spamhaus-json", &["drop-json"]),
    (Format::Adblock, "adblock", &["adguard", "ublock", "abp"]),
    (Format::Dnsmasq, "dnsmasq", &[]),
    (Format::Unbound, "unbound", &[]),
    (Format::Rpz, "rpz", &["zone"]),
    (
        Format::Csv,
        "csv",
        &["feodo", "urlhaus", "threatfox", "misp", "c2intel"],
    ),
    (Format::Stix, "stix", &["stix2"]),
];

impl Format {
    /// Every format, for help texts.
    pub fn all() -> impl Iterator<Item = Format> {
        NAMES.iter().map(|(f, _, _)| *f)
    }

    /// Parses a configuration name or alias; `auto` is `None` at the caller.
    pub fn from_name(s: &str) -> Option<Format> {
        let s = s.to_ascii_lowercase();
        NAMES
            .iter()
            .find(|(_, n, aliases)| *n == s || aliases.contains(&s.as_str()))
            .map(|(f, _, _)| *f)
    }

    /// The configuration name.
    pub fn name(self) -> &'static str {
        NAMES
            .iter()
            .find(|(f, _, _)| *f == self)
            .map_or("?", |(_, n, _)| n)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Runs the parser for `format` over `text`.
pub fn parse(format: Format, text: &str, sink: &mut Sink) -> Result<(), FeedError> {
    match format {
        Format::Plain => plain::parse(text, sink),
        other => {
            return Err(FeedError::Malformed {
                format: other,
                detail: "parser not built yet".into(),
            })
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for f in Format::all() {
            assert_eq!(Format::from_name(f.name()), Some(f));
        }
        assert_eq!(Format::from_name("IPSUM"), Some(Format::Plain));
        assert_eq!(Format::from_name("auto"), None);
    }
}
