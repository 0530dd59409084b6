//! Finding hosts the way an admin names them, and the filters of the
//! `hosts` listing.
//!
//! [`resolve`] takes what the admin typed — a MAC in any notation, an
//! address, or a hostname (case-insensitive; `laptop` also finds
//! `laptop.lan`) — and gives exactly one host key, or
//! [`QueryError::Ambiguous`] with every candidate (two machines called
//! `android`, an address DHCP gave to two machines in turn), or
//! [`QueryError::NotFound`]. Every reading of the text is tried and the
//! results pooled: a 12-hex-digit hostname is also a MAC, and guessing
//! which one was meant would ack the wrong machine.
//!
//! Listings are sorted by last seen, newest first (ties by key, so the
//! order is stable). Pure: `now` is a parameter of [`parse_since`].

use super::event::Event;
use super::host::{Host, StateKind};
use super::mac::{HostKey, Mac};
use super::table::HostTable;
use std::net::IpAddr;

/// A host query that does not give exactly one host, or a bad filter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QueryError {
    /// Nothing was typed.
    #[error("no hostname, MAC or address given")]
    Empty,
    /// No host matches.
    #[error("no host matches {0:?}")]
    NotFound(String),
    /// Several hosts match; the CLI lists them and exits 2.
    #[error("{query:?} matches {} hosts; name one by MAC or address", candidates.len())]
    Ambiguous {
        /// What was typed.
        query: String,
        /// The matching hosts, newest first.
        candidates: Vec<HostKey>,
    },
    /// A `--since` value that is not a time.
    #[error(
        "not a time: {0:?} (2026-01-31, 2026-01-31T08:00:00Z, a unix time, or an age: 90m, 24h, 7d, 2w)"
    )]
    BadTime(String),
}

/// Every host `query` could mean, newest first.
pub fn matches(table: &HostTable, query: &str) -> Vec<HostKey> {
    let q = query.trim();
    if q.is_empty() {
        return Vec::new();
    }
    let mac = Mac::parse(q);
    let addr = q
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .ok()
        .map(|a| a.to_canonical());
    let name = q.to_lowercase();
    let mut found: Vec<&Host> = table
        .hosts()
        .filter(|h| {
            (mac.is_some() && h.mac == mac)
                || addr.is_some_and(|a| h.addrs.iter().any(|s| s.addr == a))
                || h.hostname.as_deref().is_some_and(|n| name_matches(n, &name))
        })
        .collect();
    sort_newest_first(&mut found);
    found.into_iter().map(Host::key).collect()
}

/// `name` (lower case) is the host's name or, without a dot, its first
/// label.
fn name_matches(hostname: &str, name: &str) -> bool {
    let h = hostname.to_lowercase();
    h == name || (!name.contains('.') && h.split('.').next() == Some(name))
}

/// The one host `query` means.
pub fn resolve(table: &HostTable, query: &str) -> Result<HostKey, QueryError> {
    if query.trim().is_empty() {
        return Err(QueryError::Empty);
    }
    let mut m = matches(table, query);
    match m.len() {
        0 => Err(QueryError::NotFound(query.trim().to_string())),
        1 => Ok(m.remove(0)),
        _ => Err(QueryError::Ambiguous {
            query: query.trim().to_string(),
            candidates: m,
        }),
    }
}

/// The `hosts` listing's filters; the default keeps everything.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only hosts seen at or after this unix time (`--since`).
    pub since: Option<u64>,
    /// Only hosts in this state (`--state`).
    pub state: Option<StateKind>,
}

impl Filter {
    /// Whether `h` is listed.
    pub fn matches(&self, h: &Host) -> bool {
        self.since.is_none_or(|s| h.last_seen >= s) && self.state.is_none_or(|k| h.state.kind() == k)
    }
}

/// The hosts `f` keeps, newest first.
pub fn select<'a>(table: &'a HostTable, f: &Filter) -> Vec<&'a Host> {
    let mut v: Vec<&Host> = table.hosts().filter(|h| f.matches(h)).collect();
    sort_newest_first(&mut v);
    v
}

fn sort_newest_first(v: &mut [&Host]) {
    v.sort_by(|a, b| b.last_seen.cmp(&a.last_seen).then(a.key().cmp(&b.key())));
}

/// The last `max` of `events` (oldest first, as given) that belong to
/// `h`: same MAC, or from one of its addresses when the event has no MAC.
/// For the detail view, from the caller's tail of the event log.
pub fn events_of<'a>(h: &Host, events: &'a [Event], max: usize) -> Vec<&'a Event> {
    let mut v: Vec<&Event> = events
        .iter()
        .rev()
        .filter(|e| match (e.mac, h.mac) {
            (Some(m), Some(hm)) => m == hm,
            (Some(_), None) => false,
            (None, _) => {
                let src = e.src.to_canonical();
                h.addrs.iter().any(|a| a.addr == src)
            }
        })
        .take(max)
        .collect();
    v.reverse();
    v
}

/// A `--since` value as a unix time: `2026-01-31` (midnight UTC),
/// `2026-01-31T08:00:00Z` (or with a space, without seconds or `Z`;
/// always UTC), a unix time, or an age before `now` (`90s`, `30m`, `24h`,
/// `7d`, `2w`).
pub fn parse_since(s: &str, now: u64) -> Result<u64, QueryError> {
    let t = s.trim();
    let bad = || QueryError::BadTime(s.to_string());
    if !t.is_empty() && t.bytes().all(|c| c.is_ascii_digit()) {
        return t.parse().map_err(|_| bad());
    }
    if let Some(unit) = t.chars().last().and_then(|c| match c {
        's' => Some(1u64),
        'm' => Some(60),
        'h' => Some(3600),
        'd' => Some(86_400),
        'w' => Some(7 * 86_400),
        _ => None,
    }) {
        let n = &t[..t.len() - 1];
        if !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()) {
            let n: u64 = n.parse().map_err(|_| bad())?;
            return Ok(now.saturating_sub(n.saturating_mul(unit)));
        }
    }
    parse_utc(t).ok_or_else(bad)
}

/// `YYYY-MM-DD[( |T)HH:MM[:SS]][Z]` in UTC.
fn parse_utc(t: &str) -> Option<u64> {
    let t = t.strip_suffix('Z').unwrap_or(t);
    let (date, time) = match t.find(['T', ' ']) {
        Some(i) => (&t[..i], Some(&t[i + 1..])),
        None => (t, None),
    };
    let num = |s: &str, len: usize| -> Option<u64> {
        (s.len() == len && s.bytes().all(|c| c.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let mut d = date.split('-');
    let (y, m, day) = (num(d.next()?, 4)?, num(d.next()?, 2)?, num(d.next()?, 2)?);
    if d.next().is_some() || !(1970..=9999).contains(&y) || !(1..=12).contains(&m) {
        return None;
    }
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if day < 1 || day > month_days[(m - 1) as usize] {
        return None;
    }
    let secs = match time {
        None => 0,
        Some(time) => {
            let mut p = time.split(':');
            let (h, mi) = (num(p.next()?, 2)?, num(p.next()?, 2)?);
            let s = match p.next() {
                Some(s) => num(s, 2)?,
                None => 0,
            };
            if p.next().is_some() || h > 23 || mi > 59 || s > 59 {
                return None;
            }
            h * 3600 + mi * 60 + s
        }
    };
    Some(days_from_civil(y, m, day) * 86_400 + secs)
}

/// Days since 1970-01-01 of a proleptic Gregorian date from 1970 on (the
/// inverse of the algorithm in `clock::utc_iso8601`).
fn days_from_civil(y: u64, m: u64, d: u64) -> u64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y / 400;
    let yoe = y % 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::utc_iso8601;

    fn table() -> HostTable {
        let mut t = HostTable::new(16);
        let lines = [
            r#"{"kind":"dns","time":100,"src":"192.168.1.10","mac":"02:00:00:00:00:0a","name":"a","qtype":"A","listed":"x"}"#,
            r#"{"kind":"dns","time":300,"src":"192.168.1.11","mac":"02:00:00:00:00:0b","name":"a","qtype":"A","listed":"x"}"#,
            r#"{"kind":"dns","time":200,"src":"192.168.1.12","mac":"02:00:00:00:00:0c","name":"a","qtype":"A","listed":"x"}"#,
            r#"{"kind":"dns","time":400,"src":"192.168.1.10","mac":"02:00:00:00:00:0d","name":"a","qtype":"A","listed":"x"}"#,
            r#"{"kind":"dns","time":50,"src":"192.168.1.99","name":"a","qtype":"A","listed":"x"}"#,
        ];
        for l in lines {
            let e = Event::from_line(l, 1).unwrap();
            t.record(&e, 1000);
        }
        let k = |s: &str| HostKey::parse(s).unwrap();
        t.set_hostname(&k("02:00:00:00:00:0a"), "Laptop.lan").unwrap();
        t.set_hostname(&k("02:00:00:00:00:0b"), "android").unwrap();
        t.set_hostname(&k("02:00:00:00:00:0c"), "ANDROID").unwrap();
        t.ack(&k("02:00:00:00:00:0c"), "ok", 250).unwrap();
        t
    }

    #[test]
    fn resolves_by_mac_address_or_name() {
        let t = table();
        let k = |s: &str| HostKey::parse(s).unwrap();
        for q in [
            "02-00-00-00-00-0A",
            "0200.0000.000a",
            "laptop",
            "LAPTOP.LAN",
            " laptop ",
        ] {
            assert_eq!(resolve(&t, q), Ok(k("02:00:00:00:00:0a")), "{q}");
        }
        assert_eq!(resolve(&t, "192.168.1.99"), Ok(k("192.168.1.99")));
        assert_eq!(resolve(&t, "::ffff:192.168.1.11"), Ok(k("02:00:00:00:00:0b")));
        assert_eq!(
            resolve(&t, "laptop.example"),
            Err(QueryError::NotFound("laptop.example".into()))
        );
        assert_eq!(
            resolve(&t, "02:00:00:00:00:ff"),
            Err(QueryError::NotFound("02:00:00:00:00:ff".into()))
        );
        assert_eq!(resolve(&t, "  "), Err(QueryError::Empty));
    }

    #[test]
    fn ambiguous_lists_every_candidate_newest_first() {
        let t = table();
        let k = |s: &str| HostKey::parse(s).unwrap();
        let e = resolve(&t, "Android").unwrap_err();
        assert_eq!(
            e,
            QueryError::Ambiguous {
                query: "Android".into(),
                candidates: vec![k("02:00:00:00:00:0b"), k("02:00:00:00:00:0c")],
            }
        );
        assert_eq!(
            e.to_string(),
            "\"Android\" matches 2 hosts; name one by MAC or address"
        );
        // DHCP gave .10 to two machines in turn.
        assert_eq!(
            matches(&t, "192.168.1.10"),
            [k("02:00:00:00:00:0d"), k("02:00:00:00:00:0a")]
        );
    }

    #[test]
    fn filters_and_order() {
        let t = table();
        let keys = |v: Vec<&Host>| v.iter().map(|h| h.key().to_string()).collect::<Vec<_>>();
        assert_eq!(
            keys(select(&t, &Filter::default())),
            [
                "02:00:00:00:00:0d",
                "02:00:00:00:00:0b",
                "02:00:00:00:00:0c",
                "02:00:00:00:00:0a",
                "192.168.1.99"
            ]
        );
        let f = Filter {
            since: Some(200),
            state: None,
        };
        assert_eq!(select(&t, &f).len(), 3);
        let f = Filter {
            since: None,
            state: Some(StateKind::Acknowledged),
        };
        assert_eq!(keys(select(&t, &f)), ["02:00:00:00:00:0c"]);
        let f = Filter {
            since: Some(250),
            state: Some(StateKind::Acknowledged),
        };
        assert!(select(&t, &f).is_empty());
    }

    #[test]
    fn events_of_a_host() {
        let t = table();
        let ev = |src: &str, mac: &str| {
            let mac = if mac.is_empty() {
                String::new()
            } else {
                format!(r#","mac":"{mac}""#)
            };
            Event::from_line(
                &format!(
                    r#"{{"kind":"dns","time":1,"src":"{src}"{mac},"name":"a","qtype":"A","listed":"x"}}"#
                ),
                1,
            )
            .unwrap()
        };
        let events = [
            ev("192.168.1.10", "02:00:00:00:00:0a"),
            ev("192.168.1.10", "02:00:00:00:00:0d"),
            ev("192.168.1.10", ""),
            ev("10.9.9.9", "02:00:00:00:00:0a"),
            ev("192.168.1.99", ""),
        ];
        let h = t.get(&HostKey::parse("02:00:00:00:00:0a").unwrap()).unwrap();
        let got = events_of(h, &events, 10);
        assert_eq!(got, [&events[0], &events[2], &events[3]]);
        assert_eq!(events_of(h, &events, 2), [&events[2], &events[3]]);
        let plain = t.get(&HostKey::parse("192.168.1.99").unwrap()).unwrap();
        assert_eq!(events_of(plain, &events, 10), [&events[4]]);
    }

    #[test]
    fn since_values() {
        let now = 1_764_366_000;
        assert_eq!(parse_since("1764000000", now), Ok(1_764_000_000));
        assert_eq!(parse_since("24h", now), Ok(now - 86_400));
        assert_eq!(parse_since("2w", now), Ok(now - 14 * 86_400));
        assert_eq!(parse_since("90m", now), Ok(now - 5400));
        assert_eq!(parse_since("99999999999d", 5), Ok(0));
        assert_eq!(parse_since("2025-11-28", now), Ok(1_764_288_000));
        assert_eq!(parse_since("2025-11-28T21:40:00Z", now), Ok(now));
        assert_eq!(parse_since("2025-11-28 21:40", now), Ok(now));
        assert_eq!(parse_since("2000-02-29", now), Ok(951_782_400));
        assert_eq!(parse_since("1970-01-01T00:00:00Z", now), Ok(0));
        for t in [0u64, 951_782_400, 1_795_900_662, 4_107_542_399, 4_107_542_400] {
            assert_eq!(parse_since(&utc_iso8601(t), now), Ok(t), "{t}");
        }
        for bad in [
            "",
            "h",
            "-5d",
            "5y",
            "2025-13-01",
            "2025-02-29",
            "2025-11-28T24:00",
            "2025-11-28T10:00:60",
            "25-11-28",
            "2025-11-28T10",
            "1969-12-31",
            "yesterday",
            "2025-11-28T10:00:00:00",
            "１２h",
        ] {
            assert_eq!(
                parse_since(bad, now),
                Err(QueryError::BadTime(bad.into())),
                "{bad:?}"
            );
        }
    }
}
