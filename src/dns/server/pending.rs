//! The table of forwarded UDP queries in flight, one per worker.
//!
//! Bounds: at most [`PENDING_SLOTS`] queries (more get SERVFAIL), each at
//! most [`MAX_UDP_QUERY`] bytes in a buffer allocated once and reused, and
//! one socket per query in flight (closed when the slot is freed); nothing
//! grows with traffic. A reply is found by its socket (the epoll event
//! names the slot), so IDs need not be unique and are simply random.

use super::outbound::OutSock;
use crate::dns::wire::{self, Query};
use std::net::SocketAddr;
use std::time::Instant;

/// Forwarded queries in flight per worker; more get SERVFAIL at once.
/// Each holds a socket, so this also bounds the file descriptors a worker
/// uses for forwarding.
pub const PENDING_SLOTS: usize = 1024;
/// Largest UDP query forwarded (the EDNS flag-day payload size).
pub(super) const MAX_UDP_QUERY: usize = 1232;

/// Forwarded UDP queries in flight, in a fixed table.
pub(super) struct Pending {
    pub(super) slots: Vec<Slot>,
    free: Vec<u16>,
}

/// One query in flight.
pub(super) struct Slot {
    /// In use.
    pub(super) used: bool,
    /// Who asked.
    pub(super) client: SocketAddr,
    /// The ID the client used.
    pub(super) client_id: u16,
    /// The most the client takes over UDP (512 or its EDNS size).
    pub(super) limit: usize,
    /// `Some(DO bit)` when the client sent EDNS.
    pub(super) client_do: Option<bool>,
    /// Index of the upstream it was last sent to.
    pub(super) upstream: usize,
    /// The socket of the last transmission (random port, connected to
    /// that upstream); dropped, hence closed, with the slot.
    pub(super) sock: Option<OutSock>,
    /// When it was last sent.
    pub(super) sent: Instant,
    /// End of the question section in `query`.
    pub(super) question_end: usize,
    /// Length of the query in `query`.
    pub(super) len: usize,
    /// The query as last sent upstream (with the random ID we chose).
    pub(super) query: Box<[u8]>,
}

impl Slot {
    /// True when `reply`, received from `from`, answers this query: it
    /// comes from the address and port the query went to (`upstream`),
    /// and carries our ID and the same question.
    pub(super) fn accepts(&self, upstream: Option<&SocketAddr>, from: SocketAddr, reply: &[u8]) -> bool {
        self.used
            && upstream == Some(&from)
            && wire::reply_matches(reply, &self.query[..self.len], self.question_end)
    }
}

impl Pending {
    /// An empty table.
    pub(super) fn new() -> Pending {
        Pending {
            slots: Vec::new(),
            // Popped from the end: slot 0 first, so few slots are touched.
            free: (0..PENDING_SLOTS as u16).rev().collect(),
        }
    }

    /// Stores `msg` (the query `q` from `client`) to be sent with `id`
    /// over `sock` to upstream 0; returns its slot, or `None` (and drops
    /// the socket) when all are in use.
    pub(super) fn insert(
        &mut self,
        client: SocketAddr,
        msg: &[u8],
        q: &Query,
        id: u16,
        sock: OutSock,
    ) -> Option<usize> {
        if msg.len() > MAX_UDP_QUERY {
            return None;
        }
        let i = self.free.pop()? as usize;
        while self.slots.len() <= i {
            self.slots.push(Slot {
                used: false,
                client,
                client_id: 0,
                limit: 512,
                client_do: None,
                upstream: 0,
                sock: None,
                sent: Instant::now(),
                question_end: 0,
                len: 0,
                query: vec![0; MAX_UDP_QUERY].into_boxed_slice(),
            });
        }
        let s = &mut self.slots[i];
        s.used = true;
        s.client = client;
        s.client_id = q.id;
        s.limit = wire::client_udp_limit(q.edns.map(|e| e.udp_size));
        s.client_do = q.edns.map(|e| e.dnssec_ok);
        s.upstream = 0;
        s.sock = Some(sock);
        s.sent = Instant::now();
        s.question_end = q.question_end;
        s.len = msg.len();
        s.query[..msg.len()].copy_from_slice(msg);
        wire::set_message_id(&mut s.query[..msg.len()], id);
        Some(i)
    }

    /// Frees slot `i` and closes its socket; a free slot is left alone.
    pub(super) fn release(&mut self, i: usize) {
        if let Some(s) = self.slots.get_mut(i) {
            if s.used {
                s.used = false;
                s.sock = None;
                self.free.push(i as u16);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::server::outbound::test_sock;
    use crate::dns::wire::tests::query;
    use crate::dns::wire::{parse_query, rtype};

    #[test]
    fn replies_are_accepted_only_from_the_upstream_with_our_id_and_question() {
        let raw = query("www.Example.org", rtype::AAAA, Some(&[]));
        let q = parse_query(&raw).unwrap();
        let client: SocketAddr = "192.0.2.10:5555".parse().unwrap();
        let up: SocketAddr = "198.51.100.2:53".parse().unwrap();
        let mut p = Pending::new();
        let sock = test_sock();
        let i = p.insert(client, &raw, &q, 0xbeef, sock).unwrap();
        let s = &p.slots[i];
        assert_eq!((s.client_id, s.limit, s.client_do), (0x1234, 4096, Some(true)));
        assert_eq!(
            wire::message_id(&s.query[..s.len]),
            Some(0xbeef),
            "upstream sees our ID"
        );
        let mut reply = s.query[..s.len].to_vec();
        reply[2] |= 0x80;
        reply[wire::HEADER_LEN + 5..wire::HEADER_LEN + 12].copy_from_slice(b"EXAMPLE");
        assert!(
            s.accepts(Some(&up), up, &reply),
            "same ID, same question in another case"
        );
        let other_port: SocketAddr = "198.51.100.2:5353".parse().unwrap();
        let other_addr: SocketAddr = "198.51.100.3:53".parse().unwrap();
        assert!(!s.accepts(Some(&up), other_port, &reply), "wrong source port");
        assert!(!s.accepts(Some(&up), other_addr, &reply), "wrong source address");
        assert!(!s.accepts(None, up, &reply), "no such upstream");
        let mut wrong_id = reply.clone();
        wrong_id[1] ^= 1;
        assert!(!s.accepts(Some(&up), up, &wrong_id));
        let mut client_id = reply.clone();
        wire::set_message_id(&mut client_id, 0x1234);
        assert!(
            !s.accepts(Some(&up), up, &client_id),
            "the client's ID is not ours"
        );
        let mut wrong_type = reply.clone();
        wrong_type[q.question_end - 3] = rtype::A as u8;
        assert!(!s.accepts(Some(&up), up, &wrong_type));
        assert!(
            !s.accepts(Some(&up), up, &reply[..q.question_end - 1]),
            "truncated"
        );
        assert!(!s.accepts(Some(&up), up, b"garbage garbage garbage garbage"));
        // Freed: nothing is accepted any more, and the slot is reused.
        p.release(i);
        assert!(!p.slots[i].accepts(Some(&up), up, &reply));
        assert!(p.slots[i].sock.is_none(), "its socket is closed");
        p.release(i);
        let sock = test_sock();
        assert_eq!(p.insert(client, &raw, &q, 1, sock), Some(i));
    }

    #[test]
    fn the_table_is_bounded() {
        let raw = query("a.example", rtype::A, None);
        let q = parse_query(&raw).unwrap();
        let client: SocketAddr = "192.0.2.10:5555".parse().unwrap();
        let mut p = Pending::new();
        let sock = test_sock;
        for n in 0..PENDING_SLOTS {
            assert_eq!(p.insert(client, &raw, &q, n as u16, sock()), Some(n));
            // Keep the descriptors down: the socket is not what is tested.
            p.slots[n].sock = None;
        }
        assert_eq!(p.insert(client, &raw, &q, 0, sock()), None, "full");
        assert_eq!(p.slots[0].limit, 512, "no EDNS: 512");
        p.release(3);
        assert_eq!(p.insert(client, &raw, &q, 0, sock()), Some(3));
        let big = vec![0u8; MAX_UDP_QUERY + 1];
        p.release(4);
        assert_eq!(p.insert(client, &big, &q, 0, sock()), None, "too large");
    }
}
