//! The syslog lines of the host log: one `key=value` line per host event
//! (first seen infected, re-infected, the table full), a periodic
//! per-host summary, never a line per packet or query. The daemon writes
//! them to stderr, which procd hands to logd, and OpenWrt's remote
//! syslog forwards unchanged to a SIEM:
//!
//! ```text
//! event=host_infected host=02:00:00:00:01:10 mac=02:00:00:00:01:10 ip=192.0.2.10 hostname=lab-pc kind=ip indicator=203.0.113.0/24 feeds=campaign
//! ```
//!
//! Values are bare when they are made of safe characters, else quoted
//! with `"` and `\` escaped, so a hostname or note cannot forge a field.

use crate::clock::utc_iso8601;
use crate::hosts::{Event, Evicted, Hit, Host, State, TableStats};
use std::fmt::Write as _;

/// Characters a value may hold without quotes.
fn bare(c: char) -> bool {
    c.is_ascii_alphanumeric() || "._:/-@+,".contains(c)
}

/// `key=value` pairs joined by spaces; empty values are left out.
pub fn kv(pairs: &[(&str, String)]) -> String {
    let mut s = String::new();
    for (k, v) in pairs {
        if v.is_empty() {
            continue;
        }
        if !s.is_empty() {
            s.push(' ');
        }
        s.push_str(k);
        s.push('=');
        if v.chars().all(bare) {
            s.push_str(v);
        } else {
            s.push('"');
            for c in v.chars() {
                match c {
                    '"' | '\\' => {
                        s.push('\\');
                        s.push(c);
                    }
                    c if c.is_control() => {
                        let _ = write!(s, "\\x{:02x}", c as u32);
                    }
                    c => s.push(c),
                }
            }
            s.push('"');
        }
    }
    s
}

fn who(h: &Host) -> Vec<(&'static str, String)> {
    vec![
        ("host", h.key().to_string()),
        ("mac", h.mac.map(|m| m.to_string()).unwrap_or_default()),
        ("ip", h.address().map(|a| a.to_string()).unwrap_or_default()),
        ("hostname", h.hostname.clone().unwrap_or_default()),
    ]
}

fn what(e: &Event) -> Vec<(&'static str, String)> {
    let mut v = vec![
        ("kind", e.kind().to_string()),
        ("indicator", e.listed.clone()),
        ("feeds", e.feeds.join(",")),
    ];
    match &e.hit {
        Hit::Ip(ip) => {
            v.push(("dst", ip.dst.to_string()));
            v.push(("proto", ip.proto.to_string()));
            v.push(("dport", ip.dport.map(|p| p.to_string()).unwrap_or_default()));
        }
        Hit::Dns(d) => v.push(("name", d.name.clone())),
    }
    v
}

/// A host seen infected for the first time.
pub fn infected(h: &Host, e: &Event) -> String {
    let mut p = vec![("event", "host_infected".to_string())];
    p.extend(who(h));
    p.extend(what(e));
    kv(&p)
}

/// An acknowledged host hit again: the cleaning did not hold.
pub fn reinfected(h: &Host, e: &Event) -> String {
    let mut p = vec![("event", "host_reinfected".to_string())];
    p.extend(who(h));
    if let State::Reinfected { ack_at, note, .. } = &h.state {
        p.push(("acked", utc_iso8601(*ack_at)));
        p.push(("note", note.clone()));
    }
    p.extend(what(e));
    kv(&p)
}

/// The host's user read the notice page and pressed "I understand".
pub fn notified(h: &Host, from: std::net::IpAddr) -> String {
    let mut p = vec![("event", "host_notified".to_string())];
    p.extend(who(h));
    p.push(("from", from.to_string()));
    kv(&p)
}

/// The table was full and `ev` made room (logged once per summary
/// period, with the count).
pub fn evicted(ev: &Evicted, stats: &TableStats) -> String {
    kv(&[
        ("event", "host_evicted".into()),
        ("host", ev.key.to_string()),
        ("last_seen", utc_iso8601(ev.last_seen)),
        ("capacity", stats.capacity.to_string()),
        ("evictions", stats.evictions.to_string()),
    ])
}

/// Host-event lines held back by the per-minute budget.
pub fn held_back(count: u64) -> String {
    kv(&[
        ("event", "notices_held_back".into()),
        ("count", count.to_string()),
    ])
}

/// One host's totals, for the periodic summary.
pub fn summary(h: &Host) -> String {
    let mut p = vec![("event", "host_summary".to_string())];
    p.extend(who(h));
    let ge = if h.ip_hits_lower_bound { ">=" } else { "" };
    p.push(("ip_hits", format!("{ge}{}", h.ip_hits)));
    p.push(("dns_hits", h.dns_hits.to_string()));
    p.push((
        "top",
        h.top_indicator()
            .map(|i| String::from(&*i.listed))
            .unwrap_or_default(),
    ));
    p.push(("first_seen", utc_iso8601(h.first_seen)));
    p.push(("last_seen", utc_iso8601(h.last_seen)));
    p.push(("state", h.state.kind().to_string()));
    kv(&p)
}

/// The table's totals, closing a periodic summary.
pub fn totals(stats: &TableStats, active: usize, lost: u64) -> String {
    kv(&[
        ("event", "hosts_summary".into()),
        ("hosts", stats.hosts.to_string()),
        ("active", active.to_string()),
        ("capacity", stats.capacity.to_string()),
        ("evictions", stats.evictions.to_string()),
        ("expired", stats.expired.to_string()),
        ("suppressed", stats.suppressed.to_string()),
        ("lost", lost.to_string()),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_cannot_forge_fields() {
        let s = kv(&[
            ("event", "x".into()),
            ("hostname", "pc 1\" event=fake".into()),
            ("empty", String::new()),
            ("note", "a\\b\nc".into()),
        ]);
        assert_eq!(s, r#"event=x hostname="pc 1\" event=fake" note="a\\b\x0ac""#);
        assert_eq!(
            kv(&[("ip", "2001:db8::1".into()), ("feeds", "a,b".into())]),
            "ip=2001:db8::1 feeds=a,b"
        );
    }
}
