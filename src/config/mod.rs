//! Configuration: the UCI file (see [`uci`]) turned into typed settings.
//!
//! Every option is declared once in [`SPECS`] (section type, name, type,
//! default, one-line doc). Parsing checks each value against its type and
//! names file, line and option in the error; unknown options are kept as
//! warnings, not errors, so a newer config does not break an older binary.
//! The option names are the product's interface (DESIGN.md): rename none.
//!
//! The option table is `specs.rs`, the value checks `check.rs`; this file
//! turns checked sections into the typed [`Config`].

mod check;
pub mod lan;
mod specs;
pub mod uci;

pub use specs::{Spec, Ty, SPECS};

use crate::feed::Format;
use crate::indicator::parse_indicator;
use crate::indicator::KindFilter;
use crate::indicator::{GateConfig, Indicator};
use crate::rate::Rate;
use check::check_value;
use specs::{default, is_known_section};
use std::path::{Path, PathBuf};

/// The default configuration path on OpenWrt.
pub const DEFAULT_PATH: &str = "/etc/config/iocguard";

/// A configuration error: one sentence naming file, line and option.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}{}: {message}", line.map(|l| format!(" line {l}")).unwrap_or_default())]
pub struct ConfigError {
    /// The file.
    pub path: String,
    /// The line, when the error is tied to one.
    pub line: Option<u32>,
    /// What is wrong, naming the option.
    pub message: String,
}

/// `config iocguard 'main'`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Main {
    /// Master switch.
    pub enabled: bool,
    /// Unit name for reports.
    pub unit: String,
    /// Report period start.
    pub campaign_start: Option<String>,
    /// Report row 1 (organisations informed), when given.
    pub orgs_informed: Option<u64>,
    /// Report row 2 (organisations that deployed the campaign).
    pub orgs_deployed: u64,
    /// The admin's report assessment (empty: drafted).
    pub assessment: String,
    /// The admin's report proposals.
    pub proposals: String,
    /// Flash state directory.
    pub state_dir: PathBuf,
    /// RAM state directory.
    pub run_dir: PathBuf,
    /// nftables table name.
    pub table: String,
    /// NFLOG group.
    pub nflog_group: u16,
    /// True for `action reject`, false for `drop`.
    pub reject: bool,
    /// NFLOG rate limit.
    pub log_rate: Rate,
    /// LAN networks.
    pub lan: Vec<String>,
    /// Redirect LAN DNS to the router.
    pub force_dns: bool,
    /// Reject DoT except to the router.
    pub block_dot: bool,
    /// Also block traffic from listed sources.
    pub inbound: bool,
    /// Percent a feed may shrink per sync.
    pub max_shrink: u8,
    /// Host table capacity.
    pub host_capacity: u32,
    /// Seconds between flash snapshots.
    pub snapshot_interval: u32,
    /// Seconds between the daemon's own syncs (0: none).
    pub sync_interval: u32,
    /// Days a host may stay unseen before it is dropped (0: kept).
    pub retention_days: u32,
    /// DHCP leases file.
    pub leases: PathBuf,
    /// CA bundle override.
    pub ca_bundle: Option<PathBuf>,
    /// Seconds a feed server may stay silent.
    pub timeout: u32,
    /// Extra download attempts after a transient failure.
    pub retries: u32,
    /// The notice page for infected hosts' users.
    pub notice: Notice,
}

/// The notice page (options `notice*` and `contact_*` of the main section).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// Redirect infected hosts' plain HTTP to the page.
    pub enabled: bool,
    /// The page's port on the router.
    pub port: u16,
    /// Seconds without redirect after the user read the notice.
    pub snooze: u64,
    /// The removal tool's address.
    pub url: String,
    /// The unit's IT contact: name, phone, email (each may be empty).
    pub contact_name: String,
    /// Phone.
    pub contact_phone: String,
    /// Email.
    pub contact_email: String,
}

/// `config dns 'dns'`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dns {
    /// Run the sinkhole.
    pub enabled: bool,
    /// front | behind | dnsmasq-file | off.
    pub mode: String,
    /// Listen addresses.
    pub listen: Vec<String>,
    /// Upstream resolvers.
    pub upstream: Vec<String>,
    /// Blocked answer.
    pub answer: String,
    /// Blocked answer TTL.
    pub ttl: u32,
    /// Queries per second per client (0: no limit).
    pub rate_limit: u32,
    /// Token-bucket size per client.
    pub rate_burst: u32,
}

/// `config feed 'NAME'`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedConfig {
    /// The section name, used in logs, status and reports.
    pub name: String,
    /// Use this feed.
    pub enabled: bool,
    /// Source URL or path.
    pub url: String,
    /// Format, or `None` for detection.
    pub format: Option<Format>,
    /// Kind filter.
    pub kind: KindFilter,
    /// `target doh`: the feed lists DNS-over-HTTPS resolvers, whose
    /// addresses LAN hosts may not reach (so they cannot bypass the
    /// sinkhole), instead of indicators.
    pub doh: bool,
    /// Minisign public key (base64), from `pubkey` or `pubkey_file`.
    pub pubkey: Option<String>,
    /// Path of the key file, when the key came from one.
    pub pubkey_file: Option<PathBuf>,
    /// Download size cap.
    pub max_bytes: u64,
    /// Most entries accepted.
    pub max_entries: u64,
    /// Fewest entries accepted.
    pub min_entries: u64,
}

/// The whole configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where it was read from.
    pub path: PathBuf,
    /// Global settings.
    pub main: Main,
    /// DNS settings.
    pub dns: Dns,
    /// Feeds, in file order.
    pub feeds: Vec<FeedConfig>,
    /// The safety gate's settings (allowlist, minimum prefixes, releases).
    pub gate: GateConfig,
    /// Non-fatal findings (unknown options), one sentence each.
    pub warnings: Vec<String>,
}

impl Config {
    /// Reads and validates the file at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            path: path.display().to_string(),
            line: None,
            message: format!("cannot be read: {e}"),
        })?;
        Config::parse(path, &text)
    }

    /// Validates `text` as if read from `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let p = path.display().to_string();
        let sections = uci::parse(text).map_err(|e| ConfigError {
            path: p.clone(),
            line: Some(e.line),
            message: e.message,
        })?;
        let mut warnings = Vec::new();
        for s in &sections {
            for e in &s.entries {
                match SPECS.iter().find(|o| o.section == s.kind && o.name == e.name) {
                    None if is_known_section(&s.kind) => warnings.push(format!(
                        "{p} line {}: unknown option {:?} in {} section {:?} ignored",
                        e.line, e.name, s.kind, s.name
                    )),
                    None => {}
                    Some(spec) => check_value(spec, &e.value).map_err(|m| ConfigError {
                        path: p.clone(),
                        line: Some(e.line),
                        message: format!("option {}: {m}", e.name),
                    })?,
                }
            }
            if !is_known_section(&s.kind) {
                warnings.push(format!(
                    "{p} line {}: unknown section type {:?} ignored",
                    s.line, s.kind
                ));
            }
        }
        let main_sec = sections.iter().find(|s| s.kind == "iocguard");
        let dns_sec = sections.iter().find(|s| s.kind == "dns");
        let get = |sec: Option<&uci::Section>, kind: &str, name: &str| -> String {
            sec.and_then(|s| s.option(name))
                .map(|e| e.value.clone())
                .unwrap_or_else(|| default(kind, name))
        };
        let list_of = |sec: Option<&uci::Section>, name: &str| -> Vec<String> {
            sec.map(|s| s.list(name).into_iter().map(|e| e.value.clone()).collect())
                .unwrap_or_default()
        };
        let m = |n: &str| get(main_sec, "iocguard", n);
        let d = |n: &str| get(dns_sec, "dns", n);
        let opt_path = |v: String| (!v.is_empty()).then(|| PathBuf::from(v));
        let main = Main {
            enabled: parse_bool(&m("enabled")),
            unit: m("unit"),
            campaign_start: Some(m("campaign_start")).filter(|v| !v.is_empty()),
            orgs_informed: Some(m("orgs_informed"))
                .filter(|v| !v.is_empty())
                .map(|v| num(&v)),
            orgs_deployed: num(&m("orgs_deployed")),
            assessment: m("assessment"),
            proposals: m("proposals"),
            state_dir: PathBuf::from(m("state_dir")),
            run_dir: PathBuf::from(m("run_dir")),
            table: m("table"),
            nflog_group: num(&m("nflog_group")),
            reject: m("action") == "reject",
            log_rate: Rate::parse(&m("log_rate")).map_err(|message| ConfigError {
                path: p.clone(),
                line: None,
                message,
            })?,
            lan: list_of(main_sec, "lan"),
            force_dns: parse_bool(&m("force_dns")),
            block_dot: parse_bool(&m("block_dot")),
            inbound: parse_bool(&m("inbound")),
            max_shrink: num(&m("max_shrink")),
            host_capacity: num(&m("host_capacity")),
            snapshot_interval: num(&m("snapshot_interval")),
            sync_interval: num(&m("sync_interval")),
            retention_days: num(&m("retention_days")),
            leases: PathBuf::from(m("leases")),
            ca_bundle: opt_path(m("ca_bundle")),
            timeout: num(&m("timeout")),
            retries: num(&m("retries")),
            notice: Notice {
                enabled: parse_bool(&m("notice")),
                port: num(&m("notice_port")),
                snooze: num::<u64>(&m("notice_snooze")) * 3600,
                url: m("notice_url"),
                contact_name: m("contact_name"),
                contact_phone: m("contact_phone"),
                contact_email: m("contact_email"),
            },
        };
        let dns = Dns {
            enabled: parse_bool(&d("enabled")),
            mode: d("mode"),
            listen: list_of(dns_sec, "listen"),
            upstream: list_of(dns_sec, "upstream"),
            answer: d("answer"),
            ttl: num(&d("ttl")),
            rate_limit: num(&d("rate_limit")),
            rate_burst: num(&d("rate_burst")),
        };
        let mut feeds = Vec::new();
        for s in sections.iter().filter(|s| s.kind == "feed") {
            feeds.push(feed(&p, s)?);
        }
        let mut gate = GateConfig {
            min_v4_len: num(&m("min_v4_prefix")),
            min_v6_len: num(&m("min_v6_prefix")),
            ..GateConfig::default()
        };
        for e in main_sec.map(|s| s.list("allow_reserved")).unwrap_or_default() {
            gate.allow_reserved.push(indicator(&p, e)?);
        }
        for s in sections.iter().filter(|s| s.kind == "allow") {
            for e in s.list("entry") {
                gate.allow.push(indicator(&p, e)?);
            }
        }
        Ok(Config {
            path: path.to_path_buf(),
            main,
            dns,
            feeds,
            gate,
            warnings,
        })
    }
}

fn feed(path: &str, s: &uci::Section) -> Result<FeedConfig, ConfigError> {
    let get = |n: &str| {
        s.option(n)
            .map(|e| e.value.clone())
            .unwrap_or_else(|| default("feed", n))
    };
    let err = |line: u32, message: String| ConfigError {
        path: path.to_string(),
        line: Some(line),
        message,
    };
    let url = get("url");
    if url.is_empty() {
        return Err(err(s.line, format!("feed {:?} has no option url", s.name)));
    }
    let format = match s.option("format") {
        None => None,
        Some(e) if e.value == "auto" => None,
        Some(e) => Some(Format::from_name(&e.value).ok_or_else(|| {
            let names: Vec<_> = Format::all().map(|f| f.name()).collect();
            err(
                e.line,
                format!(
                    "option format: {:?} is not auto or one of {}",
                    e.value,
                    names.join(", ")
                ),
            )
        })?),
    };
    let pubkey_file = Some(get("pubkey_file"))
        .filter(|v| !v.is_empty())
        .map(PathBuf::from);
    let pubkey = Some(get("pubkey")).filter(|v| !v.is_empty());
    Ok(FeedConfig {
        name: s.name.clone(),
        enabled: parse_bool(&get("enabled")),
        url,
        format,
        kind: KindFilter::parse(&get("kind")).unwrap_or_default(),
        doh: get("target") == "doh",
        pubkey,
        pubkey_file,
        max_bytes: num(&get("max_bytes")),
        max_entries: num(&get("max_entries")),
        min_entries: num(&get("min_entries")),
    })
}

fn indicator(path: &str, e: &uci::Entry) -> Result<Indicator, ConfigError> {
    parse_indicator(&e.value).map_err(|err| ConfigError {
        path: path.to_string(),
        line: Some(e.line),
        message: format!("{} {:?}: {err}", e.name, e.value),
    })
}

/// A number option's value. Every value reaching here passed
/// [`check_value`] against its `Ty::UInt` range, and every default in
/// [`SPECS`] is checked by a test, so the fallback is never taken; it only
/// keeps a default (written once, in `SPECS`) from being restated here.
fn num<T: std::str::FromStr + Default>(v: &str) -> T {
    v.parse().unwrap_or_default()
}

fn parse_bool(v: &str) -> bool {
    matches!(v, "1" | "yes" | "on" | "true" | "enabled")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every option the parser reads is declared in `SPECS`, or its
    /// default would silently be empty (0 for a number).
    #[test]
    fn every_option_read_is_declared() {
        let src = include_str!("mod.rs");
        let code = src.split("#[cfg(test)]").next().unwrap();
        let mut read = Vec::new();
        for (section, getter) in [("iocguard", "m(\""), ("dns", "d(\""), ("feed", "get(\"")] {
            for part in code.split(getter).skip(1) {
                let name = part.split('"').next().unwrap();
                read.push((section, name.to_string()));
            }
        }
        assert!(read.len() > 20, "the scan found too little: {read:?}");
        for (section, name) in read {
            assert!(
                SPECS.iter().any(|s| s.section == section && s.name == name),
                "option {section}.{name} is read but not declared in SPECS"
            );
        }
    }

    #[test]
    fn number_defaults_come_from_specs() {
        let c = Config::parse(Path::new("/c"), "config iocguard 'main'\n").unwrap();
        assert_eq!((c.main.retries, c.main.timeout, c.main.nflog_group), (3, 30, 10));
        assert_eq!(
            (c.main.max_shrink, c.main.host_capacity, c.main.snapshot_interval),
            (50, 4096, 900)
        );
    }

    #[test]
    fn log_rate_keeps_its_unit_and_refuses_other_spellings() {
        let c = Config::parse(
            Path::new("/c"),
            "config iocguard 'main'\n\toption log_rate '10/minute'\n",
        )
        .unwrap();
        assert_eq!(c.main.log_rate.to_string(), "10/minute");
        let e = Config::parse(
            Path::new("/c"),
            "config iocguard 'main'\n\toption log_rate '10/min'\n",
        )
        .unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.to_string().starts_with("/c line 2: option log_rate:"), "{e}");
    }

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(Path::new("/etc/config/iocguard"), text)
    }

    #[test]
    fn defaults_apply_to_an_empty_file() {
        let c = parse("").unwrap();
        assert_eq!(c.main.table, "iocguard");
        assert_eq!(c.main.nflog_group, 10);
        assert!(c.main.reject);
        assert_eq!(c.main.max_shrink, 50);
        // behind: dnsmasq keeps port 53, DHCP and RA, and forwards to the
        // sinkhole, so the LAN's advertised resolver never changes.
        assert_eq!(c.dns.mode, "behind");
        assert_eq!(c.main.sync_interval, 3600);
        assert!(c.feeds.is_empty());
        assert_eq!(c.gate.min_v4_len, 8);
    }

    #[test]
    fn full_example_parses() {
        let text = include_str!("../../openwrt/files/iocguard.config");
        let c = parse(text).unwrap_or_else(|e| panic!("{e}"));
        assert!(!c.feeds.is_empty());
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    }

    #[test]
    fn feeds_and_allow_sections() {
        let c = parse(
            "config iocguard 'main'\n option action drop\n list allow_reserved '198.51.100.0/24'\n\
             config feed 'campaign'\n option url 'https://x/a.txt'\n option format rpz\n option kind domain\n\
             config feed 'off'\n option url /tmp/x\n option enabled 0\n\
             config allow\n list entry '8.8.8.8'\n list entry 'update.example.com'\n",
        )
        .unwrap();
        assert!(!c.main.reject);
        assert_eq!(c.feeds.len(), 2);
        assert_eq!(c.feeds[0].format, Some(Format::Rpz));
        assert_eq!(c.feeds[0].kind, KindFilter::Domain);
        assert!(!c.feeds[1].enabled);
        assert_eq!(c.gate.allow.len(), 2);
        assert_eq!(c.gate.allow_reserved.len(), 1);
    }

    #[test]
    fn bad_values_name_file_line_and_option() {
        let e = parse("config iocguard 'main'\n option max_shrink 150\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "/etc/config/iocguard line 2: option max_shrink: \"150\" is not a number from 0 to 100"
        );
        let e = parse("config feed 'x'\n option url /a\n option format pdf\n").unwrap_err();
        assert!(e.to_string().contains("line 3: option format"), "{e}");
        let e = parse("config feed 'x'\n option format plain\n").unwrap_err();
        assert!(e.to_string().contains("has no option url"), "{e}");
        let e = parse("config allow\n list entry 'not a thing!'\n").unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
        let e = parse("config iocguard 'main'\n list lan 'evil.com'\n").unwrap_err();
        assert!(e.to_string().contains("is a domain"), "{e}");
    }

    #[test]
    fn unknown_options_warn() {
        let c = parse("config iocguard 'main'\n option frobnicate 1\n").unwrap();
        assert_eq!(c.warnings.len(), 1);
        assert!(c.warnings[0].contains("frobnicate"));
    }
}
