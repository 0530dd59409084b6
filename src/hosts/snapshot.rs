//! The host table on flash: one JSON document, versioned (`"v":1`), hosts
//! sorted by key so that equal tables give equal bytes (the caller can
//! skip a write when nothing changed, and diffs stay readable):
//!
//! ```text
//! {"v":1,"saved":1764370000,"evictions":0,"expired":0,"suppressed":0,"hosts":[{…},…]}
//! ```
//!
//! Reading never panics and never trusts: a truncated file (power cut
//! while a non-atomic writer ran, a full disk), bad JSON, another version,
//! or a host that breaks the table's invariants is a typed
//! [`SnapshotError`] naming line and column or the host, and the caller
//! moves the file aside and starts empty. Hosts are checked and repaired
//! (bounds, clean strings) and the table is cut to the configured
//! capacity. The caller writes with `fsio::write_atomic_mode` (0600) and reads at
//! most [`MAX_BYTES`].

use super::host::Host;
use super::table::{HostTable, TableStats};
use serde::{Deserialize, Serialize};

/// The format version this build writes and reads.
pub const VERSION: u64 = 1;
/// Bytes of a snapshot a caller should read at most: far above what
/// [`super::table::DEFAULT_CAPACITY`] hosts of realistic size take.
pub const MAX_BYTES: usize = 64 << 20;

/// A snapshot that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SnapshotError {
    /// The document ends early.
    #[error("host snapshot is truncated (line {line}, column {column})")]
    Truncated {
        /// 1-based line of the end.
        line: usize,
        /// 1-based column of the end.
        column: usize,
    },
    /// Not JSON, or not the shape of a snapshot.
    #[error("host snapshot is corrupt at line {line}, column {column}: {message}")]
    Corrupt {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the JSON reader said.
        message: String,
    },
    /// Written by another format version.
    #[error("host snapshot has version {found}; this iocguard reads version {VERSION}")]
    Version {
        /// The version found.
        found: u64,
    },
    /// A host breaks an invariant that cannot be repaired.
    #[error("host snapshot: host {key}: {reason}")]
    BadHost {
        /// The host's key.
        key: String,
        /// What is wrong.
        reason: &'static str,
    },
}

impl From<serde_json::Error> for SnapshotError {
    fn from(e: serde_json::Error) -> SnapshotError {
        let (line, column) = (e.line(), e.column());
        if e.is_eof() {
            SnapshotError::Truncated { line, column }
        } else {
            SnapshotError::Corrupt {
                line,
                column,
                message: e.to_string(),
            }
        }
    }
}

/// A table read back, with what the reading changed.
#[derive(Debug)]
pub struct Restored {
    /// The table.
    pub table: HostTable,
    /// When the snapshot was written, unix seconds.
    pub saved: u64,
    /// Hosts evicted because the snapshot held more than the capacity.
    pub dropped: usize,
}

#[derive(Serialize)]
struct DocOut<'a> {
    v: u64,
    saved: u64,
    evictions: u64,
    expired: u64,
    suppressed: u64,
    hosts: Vec<&'a Host>,
}

#[derive(Deserialize)]
struct DocIn {
    saved: u64,
    #[serde(default)]
    evictions: u64,
    #[serde(default)]
    expired: u64,
    #[serde(default)]
    suppressed: u64,
    hosts: Vec<Host>,
}

#[derive(Deserialize)]
struct Versioned {
    v: u64,
}

/// The snapshot of `table`, written at `now`, ending with a newline.
pub fn encode(table: &HostTable, now: u64) -> Vec<u8> {
    let mut hosts: Vec<&Host> = table.hosts().collect();
    hosts.sort_by_key(|h| h.key());
    let s = table.stats();
    let doc = DocOut {
        v: VERSION,
        saved: now,
        evictions: s.evictions,
        expired: s.expired,
        suppressed: s.suppressed,
        hosts,
    };
    // Plain data into a Vec: serialisation cannot fail.
    let mut out = serde_json::to_vec(&doc).unwrap_or_default();
    out.push(b'\n');
    out
}

/// Reads a snapshot into a table of at most `capacity` hosts.
pub fn decode(bytes: &[u8], capacity: usize) -> Result<Restored, SnapshotError> {
    // The version first, so a future format is reported as such rather
    // than as whatever field it renamed.
    let v: Versioned = serde_json::from_slice(bytes)?;
    if v.v != VERSION {
        return Err(SnapshotError::Version { found: v.v });
    }
    let doc: DocIn = serde_json::from_slice(bytes)?;
    let stats = TableStats {
        evictions: doc.evictions,
        expired: doc.expired,
        suppressed: doc.suppressed,
        ..TableStats::default()
    };
    let (table, dropped) = HostTable::restore(capacity, doc.hosts, stats)
        .map_err(|(key, reason)| SnapshotError::BadHost { key, reason })?;
    Ok(Restored {
        table,
        saved: doc.saved,
        dropped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hosts::event::{DnsHit, Event, Hit, IpHit, Proto};
    use crate::hosts::host::State;
    use crate::hosts::mac::{HostKey, Mac};

    const M1: Mac = Mac([2, 0, 0, 0, 0, 1]);

    fn fixture() -> HostTable {
        let mut t = HostTable::new(16);
        let ip = Event {
            time: 100,
            src: "192.168.1.10".parse().unwrap(),
            mac: Some(M1),
            hit: Hit::Ip(IpHit {
                dst: "203.0.113.5".parse().unwrap(),
                proto: Proto::Tcp,
                dport: Some(443),
                iif: Some("br-lan".into()),
                oif: None,
            }),
            listed: "203.0.113.0/24".into(),
            feeds: vec!["campaign".into(), "extra".into()],
        };
        t.record(&ip, 100);
        let dns = Event {
            time: 110,
            src: "2001:db8::10".parse().unwrap(),
            mac: Some(M1),
            hit: Hit::Dns(DnsHit {
                name: "www.evil.example".into(),
                qtype: 28,
            }),
            listed: "evil.example".into(),
            feeds: vec!["campaign".into()],
        };
        t.record(&dns, 110);
        t.set_hostname(&HostKey::Mac(M1), "laptop").unwrap();
        t.ack(&HostKey::Mac(M1), "reimaged \"Tue\"", 150).unwrap();
        let mut again = ip.clone();
        again.time = 200;
        t.record(&again, 200);
        let mut other = dns.clone();
        other.src = "192.168.1.99".parse().unwrap();
        other.mac = None;
        t.record(&other, 120);
        t.ack(&HostKey::addr(other.src), "", 130).unwrap();
        t.note_suppressed(3, 190);
        t
    }

    fn hosts_sorted(t: &HostTable) -> Vec<Host> {
        let mut v: Vec<Host> = t.hosts().cloned().collect();
        v.sort_by_key(|h| h.key());
        v
    }

    #[test]
    fn round_trip_keeps_everything_including_acks() {
        let t = fixture();
        let bytes = encode(&t, 300);
        let r = decode(&bytes, 16).unwrap();
        assert_eq!(r.saved, 300);
        assert_eq!(r.dropped, 0);
        assert_eq!(hosts_sorted(&r.table), hosts_sorted(&t));
        let h = r.table.get(&HostKey::Mac(M1)).unwrap();
        assert_eq!(
            h.state,
            State::Reinfected {
                ack_at: 150,
                note: "reimaged \"Tue\"".into(),
                reinfected_at: 200
            }
        );
        assert_eq!(
            r.table
                .get(&HostKey::addr("192.168.1.99".parse().unwrap()))
                .unwrap()
                .state,
            State::Acknowledged {
                ack_at: 130,
                note: String::new()
            }
        );
        let s = r.table.stats();
        assert_eq!((s.suppressed, s.evictions, s.hosts), (3, 0, 2));
        // Same table, same bytes.
        assert_eq!(encode(&r.table, 300), bytes);
        r.table.assert_invariants();
        // The restored table keeps working: indexes were rebuilt.
        let mut t2 = r.table;
        let o = t2.record(
            &Event::from_line(
                r#"{"kind":"dns","time":400,"src":"192.168.1.10","name":"a","qtype":"A","listed":"x"}"#,
                1,
            )
            .unwrap(),
            400,
        );
        assert_eq!(o.key, HostKey::Mac(M1));
    }

    #[test]
    fn the_format_is_the_documented_one() {
        let mut t = HostTable::new(4);
        t.record(
            &Event::from_line(
                r#"{"kind":"ip","time":5,"src":"10.0.0.1","dst":"203.0.113.5","proto":"udp","dport":53,"listed":"203.0.113.5","feeds":["f"]}"#,
                1,
            )
            .unwrap(),
            5,
        );
        let s = String::from_utf8(encode(&t, 9)).unwrap();
        assert_eq!(
            s,
            concat!(
                r#"{"v":1,"saved":9,"evictions":0,"expired":0,"suppressed":0,"hosts":[{"addrs":[{"addr":"10.0.0.1","last_seen":5}],"#,
                r#""first_seen":5,"last_seen":5,"ip_hits":1,"dns_hits":0,"indicators":[{"listed":"203.0.113.5","kind":"ip","hits":1,"feeds":["f"],"first_seen":5,"last_seen":5}],"#,
                r#""ports":[{"proto":"udp","port":53,"hits":1}],"state":"infected"}]}"#,
                "\n"
            )
        );
    }

    #[test]
    fn truncated_at_every_byte_is_an_error_never_a_panic() {
        let bytes = encode(&fixture(), 300);
        let body = bytes.len() - 1; // the trailing newline is optional
        for cut in 0..body {
            match decode(&bytes[..cut], 16) {
                Err(SnapshotError::Truncated { .. }) | Err(SnapshotError::Corrupt { .. }) => {}
                other => panic!("cut at {cut}: {other:?}"),
            }
        }
        assert!(decode(&bytes[..body], 16).is_ok());
        assert!(matches!(
            decode(&bytes[..bytes.len() / 2], 16),
            Err(SnapshotError::Truncated { .. })
        ));
    }

    #[test]
    fn corrupt_versions_and_bad_hosts_are_typed() {
        assert!(matches!(
            decode(b"\x00\xff garbage", 16),
            Err(SnapshotError::Corrupt { line: 1, .. })
        ));
        assert_eq!(
            decode(br#"{"v":2,"whatever":[]}"#, 16).unwrap_err(),
            SnapshotError::Version { found: 2 }
        );
        assert!(matches!(
            decode(br#"{"v":1,"saved":1,"hosts":[{"addrs":[]}]}"#, 16),
            Err(SnapshotError::Corrupt { .. })
        ));
        let no_addr = br#"{"v":1,"saved":1,"hosts":[{"mac":"02:00:00:00:00:01","addrs":[],"first_seen":1,"last_seen":1,"ip_hits":0,"dns_hits":0,"indicators":[],"state":"infected"}]}"#;
        assert_eq!(
            decode(no_addr, 16).unwrap_err(),
            SnapshotError::BadHost {
                key: "02:00:00:00:00:01".into(),
                reason: "no address"
            }
        );
        let host = r#"{"addrs":[{"addr":"10.0.0.1","last_seen":1}],"first_seen":1,"last_seen":1,"ip_hits":0,"dns_hits":0,"indicators":[],"state":"infected"}"#;
        let dup = format!(r#"{{"v":1,"saved":1,"hosts":[{host},{host}]}}"#);
        assert_eq!(
            decode(dup.as_bytes(), 16).unwrap_err(),
            SnapshotError::BadHost {
                key: "10.0.0.1".into(),
                reason: "duplicate host"
            }
        );
        let bad_state = host.replace(r#""state":"infected""#, r#""state":"cured""#);
        let doc = format!(r#"{{"v":1,"saved":1,"hosts":[{bad_state}]}}"#);
        assert!(matches!(
            decode(doc.as_bytes(), 16),
            Err(SnapshotError::Corrupt { .. })
        ));
    }

    #[test]
    fn more_hosts_than_capacity_are_cut_by_eviction_order() {
        let mut t = HostTable::new(10);
        for i in 0..10u8 {
            t.record(
                &Event::from_line(
                    &format!(
                        r#"{{"kind":"dns","time":{i},"src":"10.0.0.{i}","mac":"02:00:00:00:00:{i:02x}","name":"a","qtype":"A","listed":"x"}}"#
                    ),
                    1,
                )
                .unwrap(),
                100,
            );
        }
        let r = decode(&encode(&t, 100), 4).unwrap();
        assert_eq!(r.dropped, 6);
        assert_eq!(r.table.len(), 4);
        assert_eq!(r.table.stats().evictions, 6);
        let mut kept: Vec<u64> = r.table.hosts().map(|h| h.last_seen).collect();
        kept.sort();
        assert_eq!(kept, [6, 7, 8, 9]);
        r.table.assert_invariants();
    }
}
