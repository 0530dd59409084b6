//! A unit's report from the host table and what the caller read from the
//! router (kernel counters, the set in force, feed caches, config): the
//! hosts whose activity meets the period are counted, once each, exactly
//! as `iocguard hosts` lists them.

use super::assess;
use super::model::{Blocked, Devices, FeedRow, HostRow, Indicators, Lang, Period, UnitReport, SCHEMA};
use crate::hosts::{Host, HostTable, StateKind};

/// What the report needs besides the host table.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// `option unit`.
    pub unit: String,
    /// Now, unix seconds.
    pub generated: u64,
    /// The period.
    pub since: Option<u64>,
    /// End of the period (default: now).
    pub until: Option<u64>,
    /// Row 1 (admin input).
    pub orgs_informed: Option<u64>,
    /// Row 2 (admin input; default 1, the unit itself).
    pub orgs_deployed: Option<u64>,
    /// The admin's assessment, replacing the draft.
    pub assessment: Option<String>,
    /// The admin's proposals.
    pub proposals: String,
    /// Blocked packets from the kernel counters (`None`: unavailable).
    pub blocked_connections: Option<u64>,
    /// The set in force.
    pub indicators: Indicators,
    /// Feeds in use.
    pub feeds: Vec<FeedRow>,
    /// Language of the drafted assessment.
    pub lang: Lang,
}

fn row(h: &Host) -> HostRow {
    HostRow {
        hostname: h.hostname.clone(),
        mac: h.mac.map(|m| m.to_string()),
        addrs: h.addrs.iter().map(|a| a.addr.to_string()).collect(),
        first_seen: h.first_seen,
        last_seen: h.last_seen,
        ip_hits: h.ip_hits,
        ip_hits_lower_bound: h.ip_hits_lower_bound,
        dns_hits: h.dns_hits,
        indicators: h
            .indicators_by_hits()
            .iter()
            .map(|i| String::from(&*i.listed))
            .collect(),
        state: h.state.kind().to_string(),
        ack_at: h.state.ack_at(),
        note: h.state.note().map(str::to_string),
    }
}

/// The report of `table` for `inputs`.
pub fn build(table: &HostTable, inputs: Inputs) -> UnitReport {
    let period = Period {
        since: inputs.since,
        until: inputs.until.unwrap_or(inputs.generated),
    };
    let mut hosts: Vec<&Host> = table
        .hosts()
        .filter(|h| period.meets(h.first_seen, h.last_seen))
        .collect();
    hosts.sort_by(|a, b| b.last_seen.cmp(&a.last_seen).then(a.key().cmp(&b.key())));
    let mut d = Devices {
        detected: hosts.len() as u64,
        ..Devices::default()
    };
    let mut dns_queries = 0;
    for h in &hosts {
        match (h.ip_hits > 0, h.dns_hits > 0) {
            (true, true) => d.by_both += 1,
            (true, false) => d.by_ip += 1,
            (false, true) => d.by_dns += 1,
            (false, false) => {}
        }
        match h.state.kind() {
            StateKind::Acknowledged => d.handled += 1,
            StateKind::Reinfected => d.reinfected += 1,
            StateKind::Infected => {}
        }
        if h.notified_at.is_some_and(|t| period.meets(t, t)) {
            d.notified += 1;
        }
        dns_queries += h.dns_hits;
    }
    let mut r = UnitReport {
        schema: SCHEMA,
        unit: inputs.unit,
        generated: inputs.generated,
        period,
        orgs_informed: inputs.orgs_informed,
        orgs_deployed: inputs.orgs_deployed.unwrap_or(1),
        assessment: String::new(),
        assessment_drafted: false,
        proposals: inputs.proposals,
        devices: d,
        blocked: Blocked {
            connections: inputs.blocked_connections,
            dns_queries,
        },
        indicators: inputs.indicators,
        feeds: inputs.feeds,
        hosts: hosts.iter().map(|h| row(h)).collect(),
    };
    match inputs.assessment.filter(|a| !a.trim().is_empty()) {
        Some(a) => r.assessment = a,
        None => {
            r.assessment = assess::draft(&r.figures(), inputs.lang);
            r.assessment_drafted = true;
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hosts::testutil::{ip_event, mac};
    use crate::hosts::{DnsHit, Event, Hit, HostKey, Mac};

    const T: u64 = 1_764_370_000;

    fn ip(n: u8, t: u64) -> Event {
        ip_event(t, &format!("192.0.2.{n}"), Some(mac(n)))
    }

    fn dns(mac: u8, t: u64) -> Event {
        Event {
            hit: Hit::Dns(DnsHit {
                name: "www.evil.example".into(),
                qtype: 1,
            }),
            listed: "evil.example".into(),
            ..ip(mac, t)
        }
    }

    #[test]
    fn counts_each_host_once_by_kind_and_state() {
        let mut t = HostTable::new(16);
        t.record(&ip(1, T), T);
        t.record(&dns(2, T), T);
        t.record(&dns(2, T + 1), T + 1);
        t.record(&ip(3, T), T);
        t.record(&dns(3, T), T);
        t.record(&ip(4, T - 10_000), T - 10_000); // before the period
        t.ack(&HostKey::Mac(Mac([2, 0, 0, 0, 0, 1])), "reimaged", T + 5)
            .unwrap();
        t.ack(&HostKey::Mac(Mac([2, 0, 0, 0, 0, 3])), "", T + 5).unwrap();
        t.record(&ip(3, T + 10), T + 10);
        let r = build(
            &t,
            Inputs {
                unit: "Đơn vị A".into(),
                generated: T + 100,
                since: Some(T - 100),
                blocked_connections: Some(9),
                ..Inputs::default()
            },
        );
        assert_eq!(
            r.period,
            Period {
                since: Some(T - 100),
                until: T + 100
            }
        );
        assert_eq!(
            r.devices,
            Devices {
                detected: 3,
                by_ip: 1,
                by_dns: 1,
                by_both: 1,
                handled: 1,
                reinfected: 1,
                notified: 0
            }
        );
        assert_eq!(
            r.blocked,
            Blocked {
                connections: Some(9),
                dns_queries: 3
            }
        );
        assert_eq!(r.orgs_deployed, 1, "the unit itself");
        assert!(
            r.assessment_drafted
                && r.assessment
                    .starts_with("Trong kỳ báo cáo, đã phát hiện 3 thiết bị")
        );
        assert_eq!(
            r.hosts[0].mac.as_deref(),
            Some("02:00:00:00:00:03"),
            "newest first"
        );
        assert_eq!(r.hosts[0].state, "reinfected");
        let own = build(
            &t,
            Inputs {
                assessment: Some("Tốt.".into()),
                generated: T + 100,
                ..Inputs::default()
            },
        );
        assert_eq!((own.assessment.as_str(), own.assessment_drafted), ("Tốt.", false));
        assert_eq!(own.devices.detected, 4, "no period: every host");
    }
}
