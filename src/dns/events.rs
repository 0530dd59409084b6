//! Blocked-query events: a fixed-size [`Event`] the query path fills
//! without allocating, a bounded [`EventRing`] (oldest dropped and
//! counted when the writer falls behind), and the [`EventSink`] the
//! writer hands them to (the daemon's host log, which also writes the
//! event log that `iocguard events` reads).

pub use crate::qtype::qtype_name;
use std::collections::VecDeque;
use std::net::IpAddr;

/// Events held in memory between two writer passes.
pub const RING_CAPACITY: usize = 4096;
/// Where the writer hands each batch of events, MACs filled in, off the
/// query path. It must not block for long: the ring fills meanwhile.
pub type EventSink = Box<dyn FnMut(&[Event]) + Send>;
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
        assert_eq!(e.feed(), "campaign");
        assert_eq!(e.mac, Some([2, 0, 0, 0, 0, 10]));
        let long_feed = "ü".repeat(40);
        let e = Event::new(0, "::1".parse().unwrap(), None, "a", 0, 1, &long_feed, true);
        assert!(e.feed().len() <= FEED_BYTES && !e.feed().is_empty());
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
}
