//! The campaign report as data: one unit's figures ([`UnitReport`], the
//! JSON form units send to the IT centre, versioned by [`SCHEMA`]) and the
//! IT centre's merge of many ([`MergedReport`]). Renderers (text, md,
//! html, csv) and the merge read these; nothing here does I/O.
//!
//! The statistics table follows the ministry's template ("Phụ lục — Mẫu
//! thống kê, báo cáo kết quả triển khai"): its two rows first (informed and
//! deploying organisations, admin inputs), then the rows iocguard's data
//! proves ([`Row`]).

use serde::{Deserialize, Serialize};

/// The JSON schema version this build writes and reads.
pub const SCHEMA: u32 = 1;

/// The report's language: Vietnamese (the template's) or English.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Lang {
    /// Vietnamese, dates dd/mm/yyyy.
    #[default]
    Vi,
    /// English, dates yyyy-mm-dd.
    En,
}

impl std::str::FromStr for Lang {
    type Err = String;
    fn from_str(s: &str) -> Result<Lang, String> {
        match s {
            "vi" => Ok(Lang::Vi),
            "en" => Ok(Lang::En),
            _ => Err(format!("no language {s:?}: vi or en")),
        }
    }
}

/// The report period, unix seconds; `since` absent: from the first record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Period {
    /// Start (inclusive), when bounded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<u64>,
    /// End (inclusive).
    pub until: u64,
}

impl Period {
    /// True when `[first, last]` (a host's activity) meets the period.
    pub fn meets(&self, first: u64, last: u64) -> bool {
        self.since.is_none_or(|s| last >= s) && first <= self.until
    }

    /// True when the two periods share a second.
    pub fn overlaps(&self, other: &Period) -> bool {
        let start = |p: &Period| p.since.unwrap_or(0);
        start(self) <= other.until && start(other) <= self.until
    }
}

/// Devices (hosts) the data proves, counted once each.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Devices {
    /// Hosts that hit a listed indicator in the period.
    pub detected: u64,
    /// … of them by IP only.
    pub by_ip: u64,
    /// … by DNS only.
    pub by_dns: u64,
    /// … by both.
    pub by_both: u64,
    /// Hosts acknowledged as cleaned (state acknowledged now).
    pub handled: u64,
    /// Hosts hit again after an ack (state re-infected now).
    pub reinfected: u64,
    /// Hosts whose user read the notice page in the period ("I
    /// understand"). Absent in reports of older versions: 0.
    #[serde(default)]
    pub notified: u64,
}

/// Blocked attempts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Blocked {
    /// Blocked connection attempts (packets) from the kernel's counters,
    /// exact; `None` when the kernel could not be asked (report built away
    /// from the router).
    pub connections: Option<u64>,
    /// Blocked DNS queries: the sinkhole's events in the host table.
    pub dns_queries: u64,
}

/// Indicators in force when the report was made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Indicators {
    /// Listed IPv4 and IPv6 prefixes.
    pub ip_prefixes: u64,
    /// Listed domains.
    pub domains: u64,
}

/// One feed in use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedRow {
    /// The feed's name in the configuration.
    pub name: String,
    /// Entries of the copy in use.
    pub entries: u64,
    /// Unix time of its last successful sync (the copy in use accepted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_success: Option<u64>,
}

/// One host, for the CSV list and the report's host table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostRow {
    /// Hostname, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// MAC, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
    /// Addresses, newest first.
    pub addrs: Vec<String>,
    /// First hit, unix seconds.
    pub first_seen: u64,
    /// Last hit, unix seconds.
    pub last_seen: u64,
    /// Blocked packets logged.
    pub ip_hits: u64,
    /// True when `ip_hits` is a lower bound (NFLOG rate limit).
    #[serde(default)]
    pub ip_hits_lower_bound: bool,
    /// Blocked queries.
    pub dns_hits: u64,
    /// Listed indicators it hit, most hits first.
    pub indicators: Vec<String>,
    /// `infected`, `acknowledged` or `reinfected`.
    pub state: String,
    /// When acknowledged, unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ack_at: Option<u64>,
    /// The admin's note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One unit's report: what `iocguard report --format json` writes and
/// `report merge` reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitReport {
    /// [`SCHEMA`].
    pub schema: u32,
    /// Tên đơn vị: the unit's name (`option unit`).
    pub unit: String,
    /// When the report was made, unix seconds.
    pub generated: u64,
    /// The period it covers.
    pub period: Period,
    /// Row 1 of the template: organisations informed of the campaign
    /// (admin input; `None`: not given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orgs_informed: Option<u64>,
    /// Row 2: organisations that deployed it (admin input; at least the
    /// unit itself, whose router runs iocguard).
    pub orgs_deployed: u64,
    /// Đánh giá: the assessment, drafted from the data unless the admin
    /// wrote one.
    pub assessment: String,
    /// True when `assessment` is iocguard's draft.
    pub assessment_drafted: bool,
    /// Đề xuất, kiến nghị: proposals (admin input, may be empty).
    #[serde(default)]
    pub proposals: String,
    /// Devices.
    pub devices: Devices,
    /// Blocked attempts.
    pub blocked: Blocked,
    /// Indicators in force.
    pub indicators: Indicators,
    /// Feeds in use.
    pub feeds: Vec<FeedRow>,
    /// The hosts counted in `devices`, newest first.
    pub hosts: Vec<HostRow>,
}

/// One unit's line in a merged report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitLine {
    /// The unit.
    pub unit: String,
    /// The file it came from.
    pub file: String,
    /// Its period.
    pub period: Period,
    /// Its figures.
    pub figures: Figures,
    /// Whether its signature was checked and good (`--keys`).
    #[serde(default)]
    pub signed: bool,
}

/// The summable figures of a report (the statistics table's counts).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Figures {
    /// Row 1 (absent in every unit: absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orgs_informed: Option<u64>,
    /// Row 2.
    pub orgs_deployed: u64,
    /// Devices.
    pub devices: Devices,
    /// Blocked attempts (`connections` absent when any unit lacks it).
    pub blocked: Blocked,
}

impl UnitReport {
    /// The figures that a merge sums.
    pub fn figures(&self) -> Figures {
        Figures {
            orgs_informed: self.orgs_informed,
            orgs_deployed: self.orgs_deployed,
            devices: self.devices,
            blocked: self.blocked,
        }
    }
}

/// The IT centre's merge of units' reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MergedReport {
    /// [`SCHEMA`].
    pub schema: u32,
    /// When merged, unix seconds.
    pub generated: u64,
    /// Each unit, in the order given.
    pub units: Vec<UnitLine>,
    /// The sums.
    pub totals: Figures,
    /// Units of the roster that sent no report.
    #[serde(default)]
    pub missing: Vec<String>,
}

/// A row of the statistics table, in template order: the two template
/// rows, then what the data proves. Renderers name them per language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row {
    /// 1. Organisations informed of the campaign.
    OrgsInformed,
    /// 2. Organisations that deployed it.
    OrgsDeployed,
    /// Devices detected connecting to malicious addresses.
    DevicesDetected,
    /// … of which by IP only.
    DevicesByIp,
    /// … by DNS only.
    DevicesByDns,
    /// … by both.
    DevicesByBoth,
    /// Devices handled (acknowledged as cleaned).
    DevicesHandled,
    /// Devices re-infected.
    DevicesReinfected,
    /// Users told on their device (they read the notice page).
    UsersNotified,
    /// Blocked connection attempts (kernel counters).
    BlockedConnections,
    /// Blocked DNS queries.
    BlockedDnsQueries,
}

impl Row {
    /// Every row, in order.
    pub const ALL: [Row; 11] = [
        Row::OrgsInformed,
        Row::OrgsDeployed,
        Row::DevicesDetected,
        Row::DevicesByIp,
        Row::DevicesByDns,
        Row::DevicesByBoth,
        Row::DevicesHandled,
        Row::DevicesReinfected,
        Row::UsersNotified,
        Row::BlockedConnections,
        Row::BlockedDnsQueries,
    ];

    /// This row's count in `f`; `None` when unknown.
    pub fn count(self, f: &Figures) -> Option<u64> {
        let d = &f.devices;
        Some(match self {
            Row::OrgsInformed => return f.orgs_informed,
            Row::OrgsDeployed => f.orgs_deployed,
            Row::DevicesDetected => d.detected,
            Row::DevicesByIp => d.by_ip,
            Row::DevicesByDns => d.by_dns,
            Row::DevicesByBoth => d.by_both,
            Row::DevicesHandled => d.handled,
            Row::DevicesReinfected => d.reinfected,
            Row::UsersNotified => d.notified,
            Row::BlockedConnections => return f.blocked.connections,
            Row::BlockedDnsQueries => f.blocked.dns_queries,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_meet_and_overlap() {
        let p = Period {
            since: Some(100),
            until: 200,
        };
        assert!(p.meets(50, 100) && p.meets(200, 300) && !p.meets(10, 99) && !p.meets(201, 300));
        let open = Period {
            since: None,
            until: 150,
        };
        assert!(open.meets(0, 0));
        assert!(p.overlaps(&open));
        assert!(!p.overlaps(&Period {
            since: Some(201),
            until: 300
        }));
    }

    #[test]
    fn rows_read_the_figures() {
        let f = Figures {
            orgs_informed: None,
            orgs_deployed: 1,
            devices: Devices {
                detected: 3,
                by_ip: 1,
                by_dns: 1,
                by_both: 1,
                handled: 2,
                reinfected: 1,
                notified: 2,
            },
            blocked: Blocked {
                connections: Some(40),
                dns_queries: 7,
            },
        };
        let counts: Vec<_> = Row::ALL.iter().map(|r| r.count(&f)).collect();
        assert_eq!(
            counts,
            [
                None,
                Some(1),
                Some(3),
                Some(1),
                Some(1),
                Some(1),
                Some(2),
                Some(1),
                Some(2),
                Some(40),
                Some(7)
            ]
        );
    }
}
