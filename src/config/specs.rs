//! Every option iocguard understands, declared once: section type, name,
//! value type, default and a one-line doc ([`SPECS`]), plus the lookups
//! into that table.
//!
//! The table is the single source of defaults (nothing else restates
//! one) and every default passes its own type's check (a test in
//! `check.rs`). The option names are the product's interface: rename none.

/// Value types of options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    /// `1/0`, `yes/no`, `on/off`, `true/false`, `enabled/disabled`.
    Bool,
    /// Unsigned integer within an inclusive range.
    UInt(u64, u64),
    /// One of the listed words.
    Enum(&'static [&'static str]),
    /// Free text.
    Text,
    /// A filesystem path (absolute).
    Path,
    /// An IP address or CIDR.
    Cidr,
    /// An IP, CIDR or domain.
    Indicator,
    /// `YYYY-MM-DD`.
    Date,
    /// `N/second|minute|hour` (see [`crate::rate`]).
    Rate,
}

/// One declared option.
#[derive(Debug)]
pub struct Spec {
    /// Section type it belongs to.
    pub section: &'static str,
    /// Option name.
    pub name: &'static str,
    /// Value type.
    pub ty: Ty,
    /// Default (empty: unset).
    pub default: &'static str,
    /// True when the option is a `list`.
    pub list: bool,
    /// What it does.
    pub doc: &'static str,
}

const fn opt(
    section: &'static str,
    name: &'static str,
    ty: Ty,
    default: &'static str,
    doc: &'static str,
) -> Spec {
    Spec {
        section,
        name,
        ty,
        default,
        list: false,
        doc,
    }
}

const fn list(section: &'static str, name: &'static str, ty: Ty, doc: &'static str) -> Spec {
    Spec {
        section,
        name,
        ty,
        default: "",
        list: true,
        doc,
    }
}

/// Every option iocguard understands.
pub const SPECS: &[Spec] = &[
    opt("iocguard", "enabled", Ty::Bool, "1", "master switch"),
    opt("iocguard", "unit", Ty::Text, "", "unit name printed in reports"),
    opt("iocguard", "campaign_start", Ty::Date, "", "report period start"),
    opt(
        "iocguard",
        "orgs_informed",
        Ty::UInt(0, 1_000_000),
        "",
        "report row 1: organisations informed of the campaign",
    ),
    opt(
        "iocguard",
        "orgs_deployed",
        Ty::UInt(0, 1_000_000),
        "1",
        "report row 2: organisations that deployed it",
    ),
    opt(
        "iocguard",
        "assessment",
        Ty::Text,
        "",
        "report assessment [drafted from the data]",
    ),
    opt("iocguard", "proposals", Ty::Text, "", "report proposals"),
    opt(
        "iocguard",
        "state_dir",
        Ty::Path,
        "/etc/iocguard",
        "flash: last-good feeds, host snapshot",
    ),
    opt(
        "iocguard",
        "run_dir",
        Ty::Path,
        "/tmp/iocguard",
        "RAM: events, runtime state",
    ),
    opt(
        "iocguard",
        "table",
        Ty::Text,
        "iocguard",
        "nftables table (family inet)",
    ),
    opt(
        "iocguard",
        "nflog_group",
        Ty::UInt(0, 65535),
        "10",
        "NFLOG group for blocked packets",
    ),
    opt(
        "iocguard",
        "action",
        Ty::Enum(&["reject", "drop"]),
        "reject",
        "what blocked packets get",
    ),
    opt(
        "iocguard",
        "log_rate",
        Ty::Rate,
        "10/second",
        "shared rate limit of NFLOG messages",
    ),
    list("iocguard", "lan", Ty::Cidr, "LAN networks: attribution, DNS ACL"),
    opt(
        "iocguard",
        "force_dns",
        Ty::Bool,
        "1",
        "redirect LAN port 53 to the router",
    ),
    opt(
        "iocguard",
        "block_dot",
        Ty::Bool,
        "1",
        "reject port 853 except to the router",
    ),
    opt(
        "iocguard",
        "inbound",
        Ty::Bool,
        "0",
        "also drop packets from listed sources",
    ),
    opt(
        "iocguard",
        "max_shrink",
        Ty::UInt(0, 100),
        "50",
        "% a feed may shrink in one sync",
    ),
    opt(
        "iocguard",
        "min_v4_prefix",
        Ty::UInt(0, 32),
        "8",
        "shortest IPv4 prefix a feed may block",
    ),
    opt(
        "iocguard",
        "min_v6_prefix",
        Ty::UInt(0, 128),
        "19",
        "shortest IPv6 prefix a feed may block",
    ),
    opt(
        "iocguard",
        "host_capacity",
        Ty::UInt(16, 1_000_000),
        "4096",
        "bounded host table",
    ),
    opt(
        "iocguard",
        "snapshot_interval",
        Ty::UInt(60, 604_800),
        "900",
        "seconds between flash snapshots",
    ),
    opt(
        "iocguard",
        "sync_interval",
        Ty::UInt(0, 604_800),
        "3600",
        "seconds between the daemon's syncs (0: none, sync from cron)",
    ),
    opt(
        "iocguard",
        "retention_days",
        Ty::UInt(0, 36_500),
        "0",
        "drop hosts unseen this long (0: keep for the campaign)",
    ),
    opt(
        "iocguard",
        "leases",
        Ty::Path,
        "/tmp/dhcp.leases",
        "dnsmasq DHCP leases, for hostnames",
    ),
    list(
        "iocguard",
        "allow_reserved",
        Ty::Cidr,
        "let normally refused ranges be blocked",
    ),
    opt(
        "iocguard",
        "ca_bundle",
        Ty::Path,
        "",
        "CA certificates for HTTPS [system bundle]",
    ),
    opt(
        "iocguard",
        "timeout",
        Ty::UInt(1, 3600),
        "30",
        "seconds per feed download",
    ),
    opt(
        "iocguard",
        "retries",
        Ty::UInt(0, 10),
        "3",
        "extra attempts of a failed feed download",
    ),
    opt(
        "iocguard",
        "notice",
        Ty::Bool,
        "1",
        "tell an infected host's user with a notice page (HTTP redirect)",
    ),
    opt(
        "iocguard",
        "notice_port",
        Ty::UInt(1, 65535),
        "8800",
        "port of the notice page on the router's LAN addresses",
    ),
    opt(
        "iocguard",
        "notice_snooze",
        Ty::UInt(1, 8760),
        "24",
        "hours without redirect after the user read the notice",
    ),
    opt(
        "iocguard",
        "notice_url",
        Ty::Text,
        "https://khonggianmang.vn/",
        "the malware-removal tool the notice points to",
    ),
    opt(
        "iocguard",
        "contact_name",
        Ty::Text,
        "",
        "the unit's IT contact, on the notice",
    ),
    opt(
        "iocguard",
        "contact_phone",
        Ty::Text,
        "",
        "the IT contact's phone",
    ),
    opt(
        "iocguard",
        "contact_email",
        Ty::Text,
        "",
        "the IT contact's email",
    ),
    opt("dns", "enabled", Ty::Bool, "1", "run the DNS sinkhole"),
    opt(
        "dns",
        "mode",
        Ty::Enum(&["front", "behind", "dnsmasq-file", "off"]),
        "behind",
        "where it sits",
    ),
    list("dns", "listen", Ty::Text, "addresses to serve DNS on"),
    list(
        "dns",
        "upstream",
        Ty::Text,
        "resolvers to forward to [resolv.conf.auto]",
    ),
    opt("dns", "answer", Ty::Text, "nxdomain", "nxdomain | zero | an IP"),
    opt("dns", "ttl", Ty::UInt(0, 86400), "5", "TTL of blocked answers"),
    opt(
        "dns",
        "rate_limit",
        Ty::UInt(0, 1_000_000),
        "200",
        "queries per second per LAN client (0: no limit)",
    ),
    opt(
        "dns",
        "rate_burst",
        Ty::UInt(1, 1_000_000),
        "400",
        "queries a LAN client may send at once",
    ),
    opt("feed", "enabled", Ty::Bool, "1", "use this feed"),
    opt("feed", "url", Ty::Text, "", "https:// http:// file:// or a path"),
    opt("feed", "format", Ty::Text, "auto", "auto or a format name"),
    opt(
        "feed",
        "kind",
        Ty::Enum(&["auto", "ip", "domain"]),
        "auto",
        "indicator kinds accepted",
    ),
    opt(
        "feed",
        "target",
        Ty::Enum(&["block", "doh"]),
        "block",
        "block its entries, or fill the DoH resolver set",
    ),
    opt("feed", "pubkey", Ty::Text, "", "minisign public key (base64)"),
    opt("feed", "pubkey_file", Ty::Path, "", "minisign public key file"),
    opt(
        "feed",
        "max_bytes",
        Ty::UInt(1, 1 << 34),
        "33554432",
        "download size cap",
    ),
    opt(
        "feed",
        "max_entries",
        Ty::UInt(1, 100_000_000),
        "1000000",
        "most entries accepted",
    ),
    opt(
        "feed",
        "min_entries",
        Ty::UInt(0, 100_000_000),
        "0",
        "fewest entries accepted",
    ),
    list(
        "allow",
        "entry",
        Ty::Indicator,
        "IPs, CIDRs, domains never blocked",
    ),
];

/// True when `kind` is a section type some option belongs to.
pub(super) fn is_known_section(kind: &str) -> bool {
    SPECS.iter().any(|s| s.section == kind)
}

/// The default of `section`.`name`; empty when unset or undeclared.
pub(super) fn default(section: &str, name: &str) -> String {
    SPECS
        .iter()
        .find(|s| s.section == section && s.name == name)
        .map(|s| s.default.to_string())
        .unwrap_or_default()
}
