//! What the admin reads: the `hosts` table, its CSV and JSON forms, and
//! the detail view of one host with its recent events.
//!
//! Output is stable (tests pin it byte for byte): columns in a fixed
//! order, hosts in the order given (see `query::select`), times as UTC
//! ISO 8601, counts that are lower bounds written `≥ N` in text (CSV and
//! JSON carry a separate `ip_hits_lower_bound` flag so the count stays a
//! number). Text from hosts and the network (hostnames, notes,
//! indicators) was cleaned of control characters when stored; CSV also
//! defuses spreadsheet formulas (a leading `=`, `+`, `-`, `@` gets a `'`),
//! since DHCP clients choose their own hostnames.

use super::event::Event;
use super::host::{Host, State};
use super::mac::HostKey;
use super::table::TableStats;
use crate::clock::utc_iso8601;
use serde::Serialize;
use std::fmt::Write;

/// `N`, or `≥ N` when `n` is a lower bound.
pub fn count(n: u64, lower_bound: bool) -> String {
    if lower_bound {
        format!("≥ {n}")
    } else {
        n.to_string()
    }
}

fn or_dash(s: Option<String>) -> String {
    s.unwrap_or_else(|| "-".into())
}

/// The newest address, with how many more the host used.
fn address_cell(h: &Host) -> String {
    match (h.address(), h.addrs.len()) {
        (None, _) => "-".into(),
        (Some(a), 1) => a.to_string(),
        (Some(a), n) => format!("{a} (+{})", n - 1),
    }
}

fn top_cell(h: &Host) -> String {
    h.top_indicator()
        .map_or_else(|| "-".into(), |i| format!("{} ({})", i.listed, i.hits))
}

/// Lines under the table that say what the numbers cannot.
fn footer(hosts: &[&Host], stats: &TableStats) -> String {
    let mut out = String::new();
    if stats.suppressed > 0 || hosts.iter().any(|h| h.ip_hits_lower_bound) {
        let _ = writeln!(
            out,
            "≥: {} blocked packets were not logged (log rate limit, or the log reader fell behind); these counts are lower bounds and some hosts may be missing.",
            stats.suppressed
        );
    }
    if stats.evictions > 0 {
        let _ = writeln!(
            out,
            "{} hosts were evicted to stay within host_capacity {}; the least recently seen are missing.",
            stats.evictions, stats.capacity
        );
    }
    out
}

/// The `hosts` table, one host per row, in the order given.
pub fn text(hosts: &[&Host], stats: &TableStats) -> String {
    const HEAD: [&str; 9] = [
        "HOSTNAME",
        "MAC",
        "ADDRESS",
        "FIRST SEEN",
        "LAST SEEN",
        "IP",
        "DNS",
        "TOP INDICATOR",
        "STATE",
    ];
    // Right-aligned: the counts.
    const RIGHT: [bool; 9] = [false, false, false, false, false, true, true, false, false];
    if hosts.is_empty() {
        return format!("no hosts\n{}", footer(hosts, stats));
    }
    let rows: Vec<[String; 9]> = hosts
        .iter()
        .map(|h| {
            [
                or_dash(h.hostname.clone()),
                or_dash(h.mac.map(|m| m.to_string())),
                address_cell(h),
                utc_iso8601(h.first_seen),
                utc_iso8601(h.last_seen),
                count(h.ip_hits, h.ip_hits_lower_bound),
                h.dns_hits.to_string(),
                top_cell(h),
                match h.notified_at {
                    Some(t) => format!("{} (user notified {})", h.state.kind(), utc_iso8601(t)),
                    None => h.state.kind().to_string(),
                },
            ]
        })
        .collect();
    let mut width = HEAD.map(|h| h.chars().count());
    for r in &rows {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let head = HEAD.map(String::from);
    for r in std::iter::once(&head).chain(&rows) {
        let mut line = String::new();
        for (i, cell) in r.iter().enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            let w = width[i];
            if RIGHT[i] {
                let _ = write!(line, "{cell:>w$}");
            } else {
                let _ = write!(line, "{cell:<w$}");
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out.push_str(&footer(hosts, stats));
    out
}

/// One CSV field (RFC 4180): quoted when it holds a comma, quote, CR or
/// LF, quotes doubled; a leading formula character defused.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// The listing as CSV: a header row, one row per host, CRLF line ends.
pub fn csv(hosts: &[&Host]) -> String {
    let mut out = String::from(
        "hostname,mac,address,addresses,first_seen,last_seen,ip_hits,ip_hits_lower_bound,dns_hits,\
         top_indicator,top_indicator_hits,state,ack_at,note,reinfected_at,reinfections,notified_at\r\n",
    );
    for h in hosts {
        let top = h.top_indicator();
        let (ack_at, note, again) = match &h.state {
            State::Infected => (None, "", None),
            State::Acknowledged { ack_at, note } => (Some(*ack_at), note.as_str(), None),
            State::Reinfected {
                ack_at,
                note,
                reinfected_at,
            } => (Some(*ack_at), note.as_str(), Some(*reinfected_at)),
        };
        let addrs: Vec<String> = h.addrs.iter().map(|a| a.addr.to_string()).collect();
        let row = [
            h.hostname.clone().unwrap_or_default(),
            h.mac.map(|m| m.to_string()).unwrap_or_default(),
            h.address().map(|a| a.to_string()).unwrap_or_default(),
            addrs.join(" "),
            utc_iso8601(h.first_seen),
            utc_iso8601(h.last_seen),
            h.ip_hits.to_string(),
            h.ip_hits_lower_bound.to_string(),
            h.dns_hits.to_string(),
            top.map(|i| String::from(&*i.listed)).unwrap_or_default(),
            top.map(|i| i.hits.to_string()).unwrap_or_default(),
            h.state.kind().to_string(),
            ack_at.map(utc_iso8601).unwrap_or_default(),
            note.to_string(),
            again.map(utc_iso8601).unwrap_or_default(),
            h.reinfections.to_string(),
            h.notified_at.map(utc_iso8601).unwrap_or_default(),
        ];
        let row: Vec<String> = row.iter().map(|f| csv_field(f)).collect();
        out.push_str(&row.join(","));
        out.push_str("\r\n");
    }
    out
}

#[derive(Serialize)]
struct JsonHost<'a> {
    key: HostKey,
    first_seen_utc: String,
    last_seen_utc: String,
    #[serde(flatten)]
    host: &'a Host,
}

#[derive(Serialize)]
struct JsonDoc<'a> {
    hosts: Vec<JsonHost<'a>>,
    stats: &'a TableStats,
}

/// The listing as one JSON document: `{"hosts":[…],"stats":{…}}`, each
/// host in its snapshot shape plus `key` and the two times in UTC ISO.
pub fn json(hosts: &[&Host], stats: &TableStats) -> String {
    let doc = JsonDoc {
        hosts: hosts
            .iter()
            .map(|h| JsonHost {
                key: h.key(),
                first_seen_utc: utc_iso8601(h.first_seen),
                last_seen_utc: utc_iso8601(h.last_seen),
                host: h,
            })
            .collect(),
        stats,
    };
    let mut s = serde_json::to_string(&doc).unwrap_or_default();
    s.push('\n');
    s
}

/// Everything about one host, and its `recent` events (the caller's
/// selection from the event log, printed in the order given).
pub fn detail(h: &Host, recent: &[Event]) -> String {
    let mut out = String::new();
    let mut field = |label: &str, value: String| {
        // At least one space after a label, also after the longest
        // ("user notified").
        let _ = writeln!(out, "{label:<12} {value}");
    };
    field("host", h.key().to_string());
    field("hostname", or_dash(h.hostname.clone()));
    field("mac", or_dash(h.mac.map(|m| m.to_string())));
    let addrs: Vec<String> = h
        .addrs
        .iter()
        .map(|a| format!("{} (last {})", a.addr, utc_iso8601(a.last_seen)))
        .collect();
    field("addresses", addrs.join(", "));
    if h.addrs_dropped > 0 {
        field("", format!("{} older addresses forgotten", h.addrs_dropped));
    }
    field("first seen", utc_iso8601(h.first_seen));
    field("last seen", utc_iso8601(h.last_seen));
    let state = match &h.state {
        State::Infected => "infected (not acknowledged)".to_string(),
        State::Acknowledged { ack_at, note } => {
            format!("acknowledged {}{}", utc_iso8601(*ack_at), quoted(note))
        }
        State::Reinfected {
            ack_at,
            note,
            reinfected_at,
        } => format!(
            "reinfected {} (acknowledged {}{})",
            utc_iso8601(*reinfected_at),
            utc_iso8601(*ack_at),
            quoted(note)
        ),
    };
    field("state", state);
    if let Some(t) = h.notified_at {
        field(
            "user notified",
            format!("{} (read the notice page)", utc_iso8601(t)),
        );
    }
    if h.reinfections > 0 {
        field("reinfections", h.reinfections.to_string());
    }
    field("ip hits", count(h.ip_hits, h.ip_hits_lower_bound));
    field("dns hits", h.dns_hits.to_string());

    out.push_str("\nindicators\n");
    let inds = h.indicators_by_hits();
    let hits: Vec<String> = inds.iter().map(|i| i.hits.to_string()).collect();
    let feeds: Vec<String> = inds
        .iter()
        .map(|i| {
            let mut f = i.feeds.join(",");
            if i.more_feeds {
                f.push_str(",…");
            }
            if f.is_empty() {
                f.push('-');
            }
            f
        })
        .collect();
    let wh = hits.iter().map(String::len).max().unwrap_or(0).max(4);
    let wl = inds
        .iter()
        .map(|i| i.listed.chars().count())
        .max()
        .unwrap_or(0)
        .max(9);
    let wf = feeds.iter().map(|f| f.chars().count()).max().unwrap_or(0).max(5);
    let _ = writeln!(
        out,
        "  {:>wh$}  KIND  {:<wl$}  {:<wf$}  FIRST SEEN            LAST SEEN",
        "HITS", "INDICATOR", "FEEDS"
    );
    for ((i, n), f) in inds.iter().zip(&hits).zip(&feeds) {
        let _ = writeln!(
            out,
            "  {n:>wh$}  {:<4}  {:<wl$}  {f:<wf$}  {}  {}",
            i.kind.as_str(),
            i.listed,
            utc_iso8601(i.first_seen),
            utc_iso8601(i.last_seen)
        );
    }
    if h.other_hits > 0 {
        let _ = writeln!(out, "  {} more hits on further indicators", h.other_hits);
    }

    if !h.ports.is_empty() || h.other_port_hits > 0 {
        out.push_str("\nports\n");
        let cells: Vec<String> = h
            .ports_by_hits()
            .iter()
            .map(|p| format!("{}/{}", p.proto, p.port))
            .collect();
        let w = cells.iter().map(String::len).max().unwrap_or(0);
        for (p, c) in h.ports_by_hits().iter().zip(&cells) {
            let _ = writeln!(out, "  {c:<w$}  {}", p.hits);
        }
        if h.other_port_hits > 0 {
            let _ = writeln!(out, "  {} more hits on further ports", h.other_port_hits);
        }
    }

    out.push_str("\nrecent events\n");
    if recent.is_empty() {
        out.push_str("  (none in the event log)\n");
    }
    for e in recent {
        let _ = writeln!(out, "  {}", e.render());
    }
    out
}

fn quoted(note: &str) -> String {
    if note.is_empty() {
        String::new()
    } else {
        format!(": \"{note}\"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hosts::event::Event;
    use crate::hosts::mac::Mac;
    use crate::hosts::query::{select, Filter};
    use crate::hosts::table::HostTable;

    const LINES: &str = r#"{"kind":"ip","time":1764366000,"src":"192.168.1.10","mac":"02:00:00:00:00:0a","dst":"203.0.113.5","proto":"tcp","dport":443,"listed":"203.0.113.0/24","feeds":["campaign"]}
{"kind":"dns","time":1764366060,"src":"2001:db8::10","mac":"02:00:00:00:00:0a","name":"www.evil.example","qtype":"AAAA","listed":"evil.example","feeds":["campaign","extra"]}
{"kind":"ip","time":1764366120,"src":"192.168.1.10","mac":"02:00:00:00:00:0a","dst":"203.0.113.6","proto":"tcp","dport":443,"listed":"203.0.113.0/24","feeds":["campaign"]}
{"kind":"dns","time":1764369600,"src":"192.168.1.99","name":"c2.bad.example","qtype":"A","listed":"bad.example","feeds":["campaign"]}
{"kind":"ip","time":1764380000,"src":"192.168.1.10","mac":"02:00:00:00:00:0a","dst":"203.0.113.5","proto":"udp","dport":53,"listed":"203.0.113.0/24","feeds":["campaign"]}
"#;

    fn fixture() -> (HostTable, Vec<Event>) {
        let events: Vec<Event> = crate::hosts::event::parse_lines(LINES)
            .collect::<Result<_, _>>()
            .unwrap();
        let mut t = HostTable::new(16);
        for e in &events[..4] {
            t.record(e, 1_764_370_000);
        }
        let m = HostKey::Mac(Mac([2, 0, 0, 0, 0, 0x0a]));
        t.set_hostname(&m, "laptop, \"Lan\"").unwrap();
        t.ack(&m, "=reimaged", 1_764_370_000).unwrap();
        t.record(&events[4], 1_764_380_000);
        t.note_suppressed(5, 1_764_375_000);
        (t, events)
    }

    #[test]
    fn text_table() {
        let (t, _) = fixture();
        let hosts = select(&t, &Filter::default());
        assert_eq!(
            text(&hosts, &t.stats()),
            "\
HOSTNAME       MAC                ADDRESS            FIRST SEEN            LAST SEEN              IP  DNS  TOP INDICATOR       STATE
laptop,_\"Lan\"  02:00:00:00:00:0a  192.168.1.10 (+1)  2025-11-28T21:40:00Z  2025-11-29T01:33:20Z  ≥ 3    1  203.0.113.0/24 (3)  reinfected
-              -                  192.168.1.99       2025-11-28T22:40:00Z  2025-11-28T22:40:00Z    0    1  bad.example (1)     infected
≥: 5 blocked packets were not logged (log rate limit, or the log reader fell behind); these counts are lower bounds and some hosts may be missing.
"
        );
        let mut s = t.stats();
        s.suppressed = 0;
        s.evictions = 2;
        let only_plain: Vec<&Host> = hosts[1..].to_vec();
        assert_eq!(
            text(&only_plain, &s),
            "\
HOSTNAME  MAC  ADDRESS       FIRST SEEN            LAST SEEN             IP  DNS  TOP INDICATOR    STATE
-         -    192.168.1.99  2025-11-28T22:40:00Z  2025-11-28T22:40:00Z   0    1  bad.example (1)  infected
2 hosts were evicted to stay within host_capacity 16; the least recently seen are missing.
"
        );
        assert_eq!(text(&[], &TableStats::default()), "no hosts\n");
    }

    #[test]
    fn csv_quotes_and_defuses() {
        let (mut t, _) = fixture();
        t.notified(&HostKey::addr("192.168.1.99".parse().unwrap()), 1_764_371_000)
            .unwrap();
        let hosts = select(&t, &Filter::default());
        assert_eq!(
            csv(&hosts),
            "hostname,mac,address,addresses,first_seen,last_seen,ip_hits,ip_hits_lower_bound,dns_hits,\
             top_indicator,top_indicator_hits,state,ack_at,note,reinfected_at,reinfections,notified_at\r\n\
             \"laptop,_\"\"Lan\"\"\",02:00:00:00:00:0a,192.168.1.10,192.168.1.10 2001:db8::10,\
             2025-11-28T21:40:00Z,2025-11-29T01:33:20Z,3,true,1,203.0.113.0/24,3,reinfected,\
             2025-11-28T22:46:40Z,'=reimaged,2025-11-29T01:33:20Z,1,\r\n\
             ,,192.168.1.99,192.168.1.99,2025-11-28T22:40:00Z,2025-11-28T22:40:00Z,0,false,1,\
             bad.example,1,infected,,,,0,2025-11-28T23:03:20Z\r\n"
        );
        assert_eq!(csv_field("a\nb"), "\"a\nb\"");
        assert_eq!(csv_field("@SUM(1)"), "'@SUM(1)");
        assert_eq!(csv_field("-"), "'-");
        assert_eq!(csv_field("plain"), "plain");
    }

    #[test]
    fn json_shape() {
        let (t, _) = fixture();
        let hosts = select(&t, &Filter::default());
        let j: serde_json::Value = serde_json::from_str(&json(&hosts, &t.stats())).unwrap();
        let h = &j["hosts"][0];
        assert_eq!(h["key"], "02:00:00:00:00:0a");
        assert_eq!(h["hostname"], "laptop,_\"Lan\"");
        assert_eq!(h["last_seen_utc"], "2025-11-29T01:33:20Z");
        assert_eq!(h["ip_hits"], 3);
        assert_eq!(h["ip_hits_lower_bound"], true);
        assert_eq!(h["state"], "reinfected");
        assert_eq!(h["ack_at"], 1_764_370_000);
        assert_eq!(h["note"], "=reimaged");
        assert_eq!(h["reinfected_at"], 1_764_380_000);
        assert_eq!(h["addrs"][1]["addr"], "2001:db8::10");
        assert_eq!(
            h["indicators"][1]["feeds"],
            serde_json::json!(["campaign", "extra"])
        );
        assert_eq!(j["hosts"][1]["key"], "192.168.1.99");
        assert_eq!(j["hosts"][1].get("mac"), None);
        assert_eq!(j["stats"]["suppressed"], 5);
        assert_eq!(j["stats"]["capacity"], 16);
        assert_eq!(json(&[], &TableStats::default()), "{\"hosts\":[],\"stats\":{\"hosts\":0,\"capacity\":0,\"evictions\":0,\"expired\":0,\"suppressed\":0,\"generation\":0}}\n");
    }

    #[test]
    fn detail_view() {
        let (t, events) = fixture();
        let h = t.get(&HostKey::Mac(Mac([2, 0, 0, 0, 0, 0x0a]))).unwrap();
        assert_eq!(
            detail(h, &events[3..]),
            "\
host         02:00:00:00:00:0a
hostname     laptop,_\"Lan\"
mac          02:00:00:00:00:0a
addresses    192.168.1.10 (last 2025-11-29T01:33:20Z), 2001:db8::10 (last 2025-11-28T21:41:00Z)
first seen   2025-11-28T21:40:00Z
last seen    2025-11-29T01:33:20Z
state        reinfected 2025-11-29T01:33:20Z (acknowledged 2025-11-28T22:46:40Z: \"=reimaged\")
reinfections 1
ip hits      ≥ 3
dns hits     1

indicators
  HITS  KIND  INDICATOR       FEEDS           FIRST SEEN            LAST SEEN
     3  ip    203.0.113.0/24  campaign        2025-11-28T21:40:00Z  2025-11-29T01:33:20Z
     1  dns   evil.example    campaign,extra  2025-11-28T21:41:00Z  2025-11-28T21:41:00Z

ports
  tcp/443  2
  udp/53   1

recent events
  2025-11-28T22:40:00Z dns 192.168.1.99 - c2.bad.example A listed bad.example (campaign)
  2025-11-29T01:33:20Z ip 192.168.1.10 02:00:00:00:00:0a -> 203.0.113.5 udp/53 listed 203.0.113.0/24 (campaign)
"
        );
        let plain = t.host_of("192.168.1.99".parse().unwrap()).unwrap();
        let d = detail(plain, &[]);
        assert!(d.contains("state        infected (not acknowledged)\n"), "{d}");
        assert!(d.contains("ip hits      0\n"), "{d}");
        assert!(!d.contains("\nports\n"), "{d}");
        assert!(d.ends_with("recent events\n  (none in the event log)\n"), "{d}");
        // The longest label keeps a space before its value.
        let mut notified = plain.clone();
        notified.notified_at = Some(1_764_380_000);
        let d = detail(&notified, &[]);
        assert!(
            d.contains("\nuser notified 2025-11-29T01:33:20Z (read the notice page)\n"),
            "{d}"
        );
    }

    #[test]
    fn counts() {
        assert_eq!(count(7, false), "7");
        assert_eq!(count(7, true), "≥ 7");
    }
}
