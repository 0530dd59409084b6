//! The table of forwarded UDP queries in flight, one per worker.
//!
//! Bounds: at most [`PENDING_SLOTS`] queries (more get SERVFAIL), each at
//! most [`MAX_UDP_QUERY`] bytes in a buffer allocated once and reused, and
//! an ID-to-slot map of fixed size; nothing grows with traffic. Upstream
//! IDs are random so that an off-path spoofer has to guess them.

use crate::dns::wire;
use std::net::SocketAddr;
use std::time::Instant;

/// Forwarded queries in flight per worker; more get SERVFAIL at once.
/// (The upstream socket's port is fixed per worker; IDs are random.)
pub const PENDING_SLOTS: usize = 1024;
/// Largest UDP query forwarded (the EDNS flag-day payload size).
pub(super) const MAX_UDP_QUERY: usize = 1232;

/// Forwarded UDP queries in flight, in a fixed table. The upstream sees a
/// random ID per query (an ID-to-slot map finds the slot again), so an
/// off-path spoofer has to guess 16 random bits on top of the question
/// and the source address and port, which are checked too.
pub(super) struct Pending {
    pub(super) slots: Vec<Slot>,
    free: Vec<u16>,
    /// Upstream ID → slot + 1 (0: unused).
    by_id: Vec<u16>,
    rng: u64,
}

/// One query in flight.
pub(super) struct Slot {
    /// In use.
    pub(super) used: bool,
    /// The ID the upstream sees.
    pub(super) id: u16,
    /// Who asked.
    pub(super) client: SocketAddr,
    /// The ID the client used.
    pub(super) client_id: u16,
    /// Index of the upstream it was last sent to.
    pub(super) upstream: usize,
    /// When it was last sent.
    pub(super) sent: Instant,
    /// End of the question section in `query`.
    pub(super) question_end: usize,
    /// Length of the query in `query`.
    pub(super) len: usize,
    /// The query as sent upstream (our ID).
    pub(super) query: Box<[u8]>,
}

impl Pending {
    /// An empty table with a freshly seeded ID generator.
    pub(super) fn new() -> Pending {
        use std::hash::{BuildHasher, Hasher};
        // std's RandomState is seeded from the OS; good enough to seed a
        // per-worker xorshift for IDs.
        let seed = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish();
        Pending {
            slots: Vec::new(),
            // Popped from the end: slot 0 first, so few slots are touched.
            free: (0..PENDING_SLOTS as u16).rev().collect(),
            by_id: vec![0; 1 << 16],
            rng: seed | 1,
        }
    }

    fn random_id(&mut self) -> Option<u16> {
        // With at most 1024 of 65536 IDs in use, 8 tries all failing is
        // a (1/64)^8 event; then this query gets SERVFAIL.
        for _ in 0..8 {
            self.rng ^= self.rng << 13;
            self.rng ^= self.rng >> 7;
            self.rng ^= self.rng << 17;
            let id = (self.rng >> 24) as u16;
            if self.by_id[id as usize] == 0 {
                return Some(id);
            }
        }
        None
    }

    /// Stores a query; returns its slot, or `None` when all are in use.
    pub(super) fn insert(&mut self, client: SocketAddr, msg: &[u8], question_end: usize) -> Option<usize> {
        let id = self.random_id()?;
        let i = self.free.pop()? as usize;
        while self.slots.len() <= i {
            self.slots.push(Slot {
                used: false,
                id: 0,
                client,
                client_id: 0,
                upstream: 0,
                sent: Instant::now(),
                question_end: 0,
                len: 0,
                query: vec![0; MAX_UDP_QUERY].into_boxed_slice(),
            });
        }
        self.by_id[id as usize] = i as u16 + 1;
        let s = &mut self.slots[i];
        s.used = true;
        s.id = id;
        s.client = client;
        s.client_id = wire::message_id(msg).unwrap_or(0);
        s.upstream = 0;
        s.sent = Instant::now();
        s.question_end = question_end;
        s.len = msg.len();
        s.query[..msg.len()].copy_from_slice(msg);
        wire::set_message_id(&mut s.query[..msg.len()], id);
        Some(i)
    }

    /// The slot waiting for upstream ID `id`.
    pub(super) fn slot_of(&self, id: u16) -> Option<usize> {
        (self.by_id[id as usize] as usize).checked_sub(1)
    }

    /// Frees slot `i` (and its upstream ID); a free slot is left alone.
    pub(super) fn release(&mut self, i: usize) {
        if let Some(s) = self.slots.get_mut(i) {
            if s.used {
                s.used = false;
                self.by_id[s.id as usize] = 0;
                self.free.push(i as u16);
            }
        }
    }
}
