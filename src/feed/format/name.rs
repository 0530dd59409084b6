//! The format names: what `option format` and `--format` accept, and how
//! reports print a format. Data only, so that errors and the
//! configuration can name a format without depending on the parsers.

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
    /// BIND `named.conf` zone statements:
    /// `zone "d" { type master; file "null.zone.file"; };`.
    Bind,
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
    (Format::Bind, "bind", &["named", "named.conf", "named-conf"]),
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
