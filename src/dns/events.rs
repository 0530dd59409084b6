//! Blocked-query events: a fixed-size [`Event`] the query path fills
//! without allocating, a bounded [`EventRing`] (oldest dropped and
//! counted when the writer falls behind), and the JSON-lines log under
//! `run_dir` (`events.jsonl`, rotated to `events.jsonl.1` at a size cap so
//! the RAM disk never fills) that `iocguard events` reads.

use super::client::format_mac;
use crate::clock::utc_iso8601;
pub use crate::qtype::qtype_name;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// Events held in memory between two writer passes.
pub const RING_CAPACITY: usize = 4096;
/// Size at which `events.jsonl` is rotated to `events.jsonl.1`.
pub const FILE_CAP: u64 = 1 << 20;
/// Bytes of a feed name kept in an event.
const FEED_BYTES: usize = 48;

/// One blocked query, fixed size (no heap): built on the query path.
#[derive(Clone, Copy)]
pub struct Event {
    /// Unix time, seconds.
    pub time: u64,
    /// The client.
    pub client: IpAddr,
    /// The client's MAC when known.
    pub mac: Option<[u8; 6]>,
    /// QTYPE.
    pub qtype: u16,
    /// Came over TCP.
    pub tcp: bool,
    name: [u8; 253],
    name_len: u8,
    listed_at: u8,
    feed: [u8; FEED_BYTES],
    feed_len: u8,
}

impl Event {
    /// An event for `name` (lowercase text) blocked because its suffix
    /// from `listed_at` is listed by `feed`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        time: u64,
        client: IpAddr,
        mac: Option<[u8; 6]>,
        name: &str,
        listed_at: usize,
        qtype: u16,
        feed: &str,
        tcp: bool,
    ) -> Event {
        let mut e = Event {
            time,
            client,
            mac,
            qtype,
            tcp,
            name: [0; 253],
            name_len: 0,
            listed_at: 0,
            feed: [0; FEED_BYTES],
            feed_len: 0,
        };
        let n = name.len().min(253);
        e.name[..n].copy_from_slice(&name.as_bytes()[..n]);
        e.name_len = n as u8;
        e.listed_at = listed_at.min(n) as u8;
        // Cut on a char boundary so the stored bytes stay UTF-8.
        let mut f = feed.len().min(FEED_BYTES);
        while !feed.is_char_boundary(f) {
            f -= 1;
        }
        e.feed[..f].copy_from_slice(&feed.as_bytes()[..f]);
        e.feed_len = f as u8;
        e
    }

    /// The query name.
    pub fn name(&self) -> &str {
        std::str::from_utf8(&self.name[..self.name_len as usize]).unwrap_or("")
    }

    /// The listed domain that matched (a suffix of the name).
    pub fn listed(&self) -> &str {
        self.name().get(self.listed_at as usize..).unwrap_or("")
    }

    /// The feed that listed it.
    pub fn feed(&self) -> &str {
        std::str::from_utf8(&self.feed[..self.feed_len as usize]).unwrap_or("")
    }

    /// The serialisable form.
    pub fn record(&self) -> EventRecord {
        EventRecord {
            time: self.time,
            ts: utc_iso8601(self.time),
            client: self.client.to_string(),
            mac: self.mac.as_ref().map(format_mac),
            name: self.name().to_string(),
            qtype: qtype_name(self.qtype),
            listed: self.listed().to_string(),
            feed: self.feed().to_string(),
            proto: if self.tcp { "tcp" } else { "udp" }.into(),
        }
    }
}

/// One line of `events.jsonl`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRecord {
    /// Unix time, seconds.
    pub time: u64,
    /// The same, UTC ISO 8601.
    pub ts: String,
    /// Client address.
    pub client: String,
    /// Client MAC, when known.
    pub mac: Option<String>,
    /// Query name.
    pub name: String,
    /// Query type (`A`, `AAAA`, … or `TYPE65`).
    pub qtype: String,
    /// The listed domain that matched.
    pub listed: String,
    /// The feed that listed it.
    pub feed: String,
    /// `udp` or `tcp`.
    pub proto: String,
}

impl EventRecord {
    /// One line for people.
    pub fn render(&self) -> String {
        format!(
            "{} {} {} {} {} blocked: {} (feed {})",
            self.ts,
            self.client,
            self.mac.as_deref().unwrap_or("-"),
            self.name,
            self.qtype,
            self.listed,
            self.feed
        )
    }
}

/// A bounded queue of events: when full, the oldest is dropped and
/// counted, so a flood never grows memory and the newest are kept.
pub struct EventRing {
    q: VecDeque<Event>,
    cap: usize,
    /// Events dropped because the ring was full.
    pub dropped: u64,
    /// Events pushed in all.
    pub total: u64,
}

impl EventRing {
    /// A ring of `cap` events (allocated once, up front).
    pub fn new(cap: usize) -> Self {
        EventRing {
            q: VecDeque::with_capacity(cap.max(1)),
            cap: cap.max(1),
            dropped: 0,
            total: 0,
        }
    }

    /// Adds an event, dropping the oldest when full.
    pub fn push(&mut self, e: Event) {
        if self.q.len() == self.cap {
            self.q.pop_front();
            self.dropped += 1;
        }
        self.q.push_back(e);
        self.total += 1;
    }

    /// Moves every held event into `out` (oldest first).
    pub fn drain_into(&mut self, out: &mut Vec<Event>) {
        out.extend(self.q.drain(..));
    }

    /// Events held.
    pub fn len(&self) -> usize {
        self.q.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.q.is_empty()
    }
}

/// Appends JSON lines to `dir/events.jsonl`, rotating at `cap` bytes.
pub struct EventLog {
    path: PathBuf,
    cap: u64,
}

impl EventLog {
    /// The log in `dir`.
    pub fn new(dir: &Path, cap: u64) -> Self {
        EventLog {
            path: dir.join("events.jsonl"),
            cap,
        }
    }

    /// The current file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends `records`, rotating first when the file would exceed its cap.
    pub fn append(&self, records: &[EventRecord]) -> std::io::Result<()> {
        if records.is_empty() {
            return Ok(());
        }
        let mut buf = Vec::with_capacity(records.len() * 200);
        for r in records {
            serde_json::to_writer(&mut buf, r).map_err(std::io::Error::other)?;
            buf.push(b'\n');
        }
        let size = std::fs::metadata(&self.path).map_or(0, |m| m.len());
        if size > 0 && size + buf.len() as u64 > self.cap {
            std::fs::rename(&self.path, self.path.with_extension("jsonl.1"))?;
        }
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        f.write_all(&buf)
    }

    /// The last `n` records of the rotated and current files, oldest first;
    /// lines that do not parse are skipped.
    pub fn tail(&self, n: usize) -> Vec<EventRecord> {
        let mut out = Vec::new();
        for p in [self.path.with_extension("jsonl.1"), self.path.clone()] {
            if let Ok(text) = std::fs::read_to_string(&p) {
                out.extend(text.lines().filter_map(|l| serde_json::from_str(l).ok()));
            }
        }
        let skip = out.len().saturating_sub(n);
        out.drain(..skip);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(i: u64) -> Event {
        Event::new(
            1_764_366_000 + i,
            "192.0.2.10".parse().unwrap(),
            Some([2, 0, 0, 0, 0, 10]),
            "www.evil.example",
            4,
            28,
            "campaign",
            false,
        )
    }

    #[test]
    fn event_fields() {
        let e = ev(0);
        assert_eq!(e.name(), "www.evil.example");
        assert_eq!(e.listed(), "evil.example");
        let r = e.record();
        assert_eq!(r.ts, "2025-11-28T21:40:00Z");
        assert_eq!(r.qtype, "AAAA");
        assert_eq!(r.mac.as_deref(), Some("02:00:00:00:00:0a"));
        assert!(r.render().contains("blocked: evil.example (feed campaign)"));
        let long_feed = "ü".repeat(40);
        let e = Event::new(0, "::1".parse().unwrap(), None, "a", 0, 1, &long_feed, true);
        assert!(e.feed().len() <= FEED_BYTES && !e.feed().is_empty());
        assert_eq!(utc_iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_iso8601(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn ring_is_bounded_and_counts_overflow() {
        let mut r = EventRing::new(3);
        for i in 0..5 {
            r.push(ev(i));
        }
        assert_eq!(r.len(), 3);
        assert_eq!(r.dropped, 2);
        assert_eq!(r.total, 5);
        let mut out = Vec::new();
        r.drain_into(&mut out);
        assert_eq!(
            out.iter().map(|e| e.time - 1_764_366_000).collect::<Vec<_>>(),
            [2, 3, 4]
        );
        assert!(r.is_empty());
    }

    #[test]
    fn log_rotates_and_tails() {
        let dir = std::env::temp_dir().join(format!("iocgd-events-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let log = EventLog::new(&dir, 1000);
        for i in 0..20 {
            log.append(&[ev(i).record()]).unwrap();
        }
        let cur = std::fs::metadata(log.path()).unwrap().len();
        assert!(cur <= 1000, "{cur}");
        assert!(dir.join("events.jsonl.1").exists());
        let t = log.tail(3);
        assert_eq!(t.len(), 3);
        assert_eq!(t[2].time, 1_764_366_019);
        let all = log.tail(1000);
        assert!(all.len() < 20, "older rotations are dropped: bounded");
        assert!(all.windows(2).all(|w| w[0].time < w[1].time));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
