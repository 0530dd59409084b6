//! Sockets and threads of the sinkhole.
//!
//! UDP: per listen address, one `SO_REUSEPORT` socket per worker thread
//! (the kernel spreads clients over them), each served by a blocking
//! `recv_from` loop that answers blocked names from stack buffers — no
//! allocation, no lock on the way (the blocklist is an `Arc` the worker
//! re-reads only when the reload generation changes). Forwarded queries go
//! out as a careful resolver sends them: each on a fresh socket with a
//! source port and ID from the OS CSPRNG, connected to its upstream, and
//! remembered in a fixed table; a relay thread per worker waits on those
//! sockets, accepts a reply only from that upstream's address and port
//! with our ID and the same question, restores the client's ID, cuts a
//! reply too large for the client to the question with TC, and turns
//! queries unanswered after the timeout into a retry on the next upstream
//! (new port, new ID) or a SERVFAIL.
//!
//! TCP: one accept thread per listen address, a thread per connection up
//! to [`MAX_TCP_CONNS`] (more are closed at once), idle timeout, 2-byte
//! length-prefixed messages, forwarded over a TCP connection to the
//! upstream. A slow client only holds its own thread.
//!
//! Pieces, one concern each: `settings.rs` (how it runs), `stats.rs`
//! (counters), `shared.rs` (state every thread shares, the lock-free
//! blocklist view, rate limiting), `decide.rs` (what to do with one
//! message), `setup.rs` (sockets and threads), `udp.rs` (the UDP workers),
//! `pending.rs`, `rand.rs`, `outbound.rs` and `relay.rs` (UDP forwarding:
//! the in-flight table, CSPRNG IDs and ports, per-query sockets, the
//! replies and the timeouts), `tcp.rs` (connections and TCP forwarding),
//! `writer.rs` (events and counters to files). This file starts and stops
//! a [`Server`].

mod decide;
mod outbound;
mod pending;
mod rand;
mod relay;
mod settings;
mod setup;
mod shared;
mod stats;
mod tcp;
mod udp;
mod writer;

pub use pending::PENDING_SLOTS;
pub use settings::Settings;
pub use stats::Stats;
pub use tcp::{MAX_TCP_CONNS, TCP_IDLE, TCP_LIFETIME};

use super::events::{EventRing, EventSink, RING_CAPACITY};
use super::matcher::DomainMatcher;
use super::policy::RateLimiter;
use super::DnsError;
use outbound::{Budget, Outbound};
use pending::Pending;
use relay::udp_relay;
use setup::{reuseport_udp, spawn, tcp_listener};
use shared::{Shared, RATE_BUCKETS, RATE_SHARDS};
use std::net::{IpAddr, SocketAddr, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tcp::tcp_accept;
use udp::udp_worker;
use writer::event_writer;

/// A running server.
pub struct Server {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
    udp_addrs: Vec<SocketAddr>,
    tcp_addrs: Vec<SocketAddr>,
    /// Forwarding sockets open at once, all workers together.
    budget: Arc<Budget>,
}

/// See [`Server::blocked_names`].
pub struct BlockedNames(Arc<Shared>);

impl BlockedNames {
    /// Whether `name` (any case, trailing dot or not) or a parent of it is
    /// blocked and not allowlisted.
    pub fn contains(&self, name: &str) -> bool {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        self.0.set.read().is_ok_and(|m| m.lookup(&name).is_some())
    }
}

impl Server {
    /// Binds every listen address (UDP and TCP) and starts the threads;
    /// blocked-query events go to `sink`.
    pub fn start(settings: Settings, set: DomainMatcher, sink: EventSink) -> Result<Server, DnsError> {
        let workers = settings.workers.max(1);
        let shared = Arc::new(Shared {
            set: RwLock::new(Arc::new(set)),
            generation: AtomicU64::new(0),
            events: Mutex::new(EventRing::new(RING_CAPACITY)),
            rate: (0..RATE_SHARDS)
                .map(|_| Mutex::new(RateLimiter::new(settings.rate.0, settings.rate.1, RATE_BUCKETS)))
                .collect(),
            stats: Stats::default(),
            stop: AtomicBool::new(false),
            tcp_conns: AtomicUsize::new(0),
            settings,
            started: Instant::now(),
        });
        let mut srv = Server {
            shared: shared.clone(),
            threads: Vec::new(),
            udp_addrs: Vec::new(),
            tcp_addrs: Vec::new(),
            budget: Budget::from_limits(shared.settings.listen.len() * workers * PENDING_SLOTS),
        };
        for &addr in &shared.settings.listen.clone() {
            // Port 0 (tests): the first socket picks the port, the others
            // and TCP join it.
            let first = reuseport_udp(addr)?;
            let addr = first.local_addr().map_err(|e| DnsError::Bind("udp", addr, e))?;
            let mut socks = vec![first];
            for _ in 1..workers {
                socks.push(reuseport_udp(addr)?);
            }
            for sock in socks {
                srv.spawn_udp_worker(sock, addr)?;
            }
            srv.udp_addrs.push(addr);
            let tcp = tcp_listener(addr)?;
            srv.tcp_addrs.push(addr);
            let sh = shared.clone();
            srv.threads
                .push(spawn("dns-tcp-accept", move || tcp_accept(sh, tcp))?);
        }
        let sh = shared.clone();
        srv.threads
            .push(spawn("dns-events", move || event_writer(sh, sink))?);
        Ok(srv)
    }

    fn spawn_udp_worker(&mut self, sock: UdpSocket, addr: SocketAddr) -> Result<(), DnsError> {
        let io = |e| DnsError::Bind("udp", addr, e);
        sock.set_read_timeout(Some(Duration::from_millis(500)))
            .map_err(io)?;
        let out_socks = Arc::new(Outbound::new(self.budget.clone()).map_err(io)?);
        let pending = Arc::new(Mutex::new(Pending::new()));
        let (s1, o1, p1, sh1) = (
            sock.try_clone().map_err(io)?,
            out_socks.clone(),
            pending.clone(),
            self.shared.clone(),
        );
        self.threads
            .push(spawn("dns-udp", move || udp_worker(sh1, s1, o1, p1))?);
        let sh2 = self.shared.clone();
        self.threads.push(spawn("dns-relay", move || {
            udp_relay(sh2, sock, out_socks, pending)
        })?);
        Ok(())
    }

    /// The UDP addresses actually bound (port 0 resolved).
    pub fn udp_addrs(&self) -> &[SocketAddr] {
        &self.udp_addrs
    }

    /// Swaps in a new blocklist. Queries being answered finish with the
    /// old one; the next ones see the new one. Nothing is ever half-loaded:
    /// the new set is complete before the swap.
    pub fn reload(&self, set: DomainMatcher) {
        let new = Arc::new(set);
        if let Ok(mut s) = self.shared.set.write() {
            *s = new;
        }
        self.shared.generation.fetch_add(1, Ordering::Release);
    }

    /// The counters.
    pub fn stats(&self) -> &Stats {
        &self.shared.stats
    }

    /// A handle that answers whether a name is blocked by the list in use
    /// now (the notice page names a blocked site only when it is one).
    pub fn blocked_names(&self) -> BlockedNames {
        BlockedNames(self.shared.clone())
    }

    /// Events dropped because the ring overflowed, and recorded in all.
    pub fn event_counts(&self) -> (u64, u64) {
        self.shared.events.lock().map_or((0, 0), |r| (r.dropped, r.total))
    }

    /// Stops every thread and waits for them (flushing pending events).
    pub fn stop(self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the accept threads.
        for a in &self.tcp_addrs {
            let _ = TcpStream::connect_timeout(&wake_addr(*a), Duration::from_millis(200));
        }
        for t in self.threads {
            let _ = t.join();
        }
    }
}

fn wake_addr(a: SocketAddr) -> SocketAddr {
    match a.ip() {
        IpAddr::V4(v) if v.is_unspecified() => SocketAddr::from(([127, 0, 0, 1], a.port())),
        IpAddr::V6(v) if v.is_unspecified() => SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, a.port())),
        _ => a,
    }
}

#[cfg(test)]
mod tests {
    use super::tcp::{read_msg, write_msg};
    use super::*;
    use crate::dns::policy::Acl;
    use crate::dns::wire::tests::query;
    use crate::dns::wire::{self, rcode, Blocked};
    use crate::indicator::parse_indicator;
    use crate::indicator::{Gate, GateConfig, SetBuilder};
    use std::io::Read;

    fn matcher(names: &[&str]) -> DomainMatcher {
        let mut b = SetBuilder::new();
        let id = b.add_feed("campaign");
        for n in names {
            b.push(parse_indicator(n).unwrap(), id);
        }
        DomainMatcher::from_set(&b.build(&Gate::new(&GateConfig::default())))
    }

    /// A fake upstream on loopback: answers `*.fwd.test` with the query
    /// bytes, QR set, plus a marker tail, and ignores everything else.
    fn upstream() -> SocketAddr {
        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = s.local_addr().unwrap();
        std::thread::spawn(move || {
            let mut buf = [0u8; 1500];
            while let Ok((n, from)) = s.recv_from(&mut buf) {
                let q = wire::parse_query(&buf[..n]).unwrap();
                if q.name.text().is_some_and(|t| t.ends_with("fwd.test")) {
                    let mut r = buf[..n].to_vec();
                    r[2] |= 0x80;
                    r.extend_from_slice(b"\xde\xad\xbe\xef");
                    let _ = s.send_to(&r, from);
                }
            }
        });
        addr
    }

    fn server(names: &[&str]) -> Server {
        server_with(names, vec![upstream()])
    }

    fn server_with(names: &[&str], upstreams: Vec<SocketAddr>) -> Server {
        server_sink(names, upstreams, Box::new(|_| {}))
    }

    fn server_sink(names: &[&str], upstreams: Vec<SocketAddr>, sink: EventSink) -> Server {
        let settings = Settings {
            listen: vec!["127.0.0.1:0".parse().unwrap()],
            upstreams,
            answer: Blocked::NxDomain,
            ttl: 5,
            acl: Acl::default(),
            rate: (0, 1),
            workers: 2,
            upstream_timeout: Duration::from_millis(300),
            run_dir: None,
            neighbours: false,
        };
        Server::start(settings, matcher(names), sink).unwrap()
    }

    #[test]
    fn blocked_queries_reach_the_sink_with_client_and_listed_entry() {
        let got = Arc::new(Mutex::new(Vec::new()));
        let g = got.clone();
        let sink: EventSink = Box::new(move |evs| {
            let mut g = g.lock().unwrap();
            g.extend(
                evs.iter()
                    .map(|e| (e.client, e.name().to_string(), e.listed().to_string())),
            );
        });
        let srv = server_sink(&["evil.example"], vec![upstream()], sink);
        let to = srv.udp_addrs()[0];
        ask(to, &query("www.Evil.example", wire::rtype::A, None)).unwrap();
        ask(to, &query("a.fwd.test", wire::rtype::A, None)).unwrap();
        srv.stop();
        let got = got.lock().unwrap();
        let local: IpAddr = "127.0.0.1".parse().unwrap();
        assert_eq!(
            *got,
            [(local, "www.evil.example".to_string(), "evil.example".to_string())],
            "one event, for the blocked name only"
        );
    }

    fn ask(to: SocketAddr, msg: &[u8]) -> Option<Vec<u8>> {
        let c = UdpSocket::bind("127.0.0.1:0").unwrap();
        c.set_read_timeout(Some(Duration::from_millis(1500))).unwrap();
        c.send_to(msg, to).unwrap();
        let mut buf = [0u8; 1500];
        c.recv_from(&mut buf).ok().map(|(n, _)| buf[..n].to_vec())
    }

    #[test]
    fn answers_blocks_forwards_and_fails_over_udp_and_tcp() {
        let srv = server(&["evil.example"]);
        let to = srv.udp_addrs()[0];
        // Blocked, with its event.
        let r = ask(to, &query("www.Evil.example", wire::rtype::A, None)).unwrap();
        assert_eq!(r[3] & 0xf, rcode::NXDOMAIN);
        assert_eq!(&r[..2], &[0x12, 0x34]);
        // Forwarded: the upstream's bytes exactly, with our ID.
        let q = query("a.fwd.test", wire::rtype::A, Some(&[(10, b"cookie!!")]));
        let r = ask(to, &q).unwrap();
        let mut want = q.clone();
        want[2] |= 0x80;
        want.extend_from_slice(b"\xde\xad\xbe\xef");
        assert_eq!(r, want);
        // The upstream ignores this one: SERVFAIL after the timeout.
        let t = Instant::now();
        let r = ask(to, &query("silent.example", wire::rtype::A, None)).unwrap();
        assert_eq!(r[3] & 0xf, rcode::SERVFAIL);
        assert!(t.elapsed() >= Duration::from_millis(250));
        // Malformed: FORMERR, or nothing at all for a header fragment.
        let mut bad = query("x.example", 1, None);
        bad[5] = 2;
        assert_eq!(ask(to, &bad).unwrap()[3] & 0xf, rcode::FORMERR);
        assert_eq!(ask(to, &[1, 2, 3]), None);
        // TCP: length-prefixed, several messages on one connection.
        let mut t = TcpStream::connect(to).unwrap();
        t.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
        let mut buf = vec![0u8; 65535];
        for _ in 0..2 {
            write_msg(&mut t, &query("c2.evil.example", wire::rtype::AAAA, None)).unwrap();
            let n = read_msg(&mut t, &mut buf).unwrap();
            assert_eq!(buf[3] & 0xf, rcode::NXDOMAIN, "{n}");
        }
        // Reload: a new list is used at once, the old name is gone.
        srv.reload(matcher(&["new.example"]));
        let r = ask(to, &query("new.example", wire::rtype::A, None)).unwrap();
        assert_eq!(r[3] & 0xf, rcode::NXDOMAIN);
        let s = srv.stats();
        assert_eq!(s.blocked.load(Ordering::Relaxed), 4);
        assert_eq!(s.relayed.load(Ordering::Relaxed), 1);
        assert_eq!(s.servfail.load(Ordering::Relaxed), 1);
        assert_eq!(s.malformed.load(Ordering::Relaxed), 2);
        assert_eq!(srv.event_counts().1, 4);
        drop(t);
        srv.stop();
    }

    #[test]
    fn a_silent_upstream_is_skipped_after_the_timeout() {
        let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
        let srv = server_with(&[], vec![silent.local_addr().unwrap(), upstream()]);
        let t = Instant::now();
        let r = ask(srv.udp_addrs()[0], &query("b.fwd.test", wire::rtype::A, None)).unwrap();
        assert_eq!(
            &r[r.len() - 4..],
            b"\xde\xad\xbe\xef",
            "answer of the second upstream"
        );
        assert!(t.elapsed() >= Duration::from_millis(250));
        // With no upstream at all, blocked names still work and the rest
        // is SERVFAIL at once.
        let alone = server_with(&["evil.example"], vec![]);
        let to = alone.udp_addrs()[0];
        assert_eq!(
            ask(to, &query("evil.example", 1, None)).unwrap()[3] & 0xf,
            rcode::NXDOMAIN
        );
        assert_eq!(
            ask(to, &query("a.fwd.test", 1, None)).unwrap()[3] & 0xf,
            rcode::SERVFAIL
        );
        drop(silent);
        srv.stop();
        alone.stop();
    }

    /// An upstream that misbehaves on purpose, recording every name asked:
    /// `spoof.fwd.test` first gets forged replies (wrong ID, another name,
    /// another type, a torn header, and one from another port), then the
    /// genuine one; `big.fwd.test` gets a 1400-byte reply; the rest an echo.
    fn tricky_upstream() -> (SocketAddr, Arc<Mutex<Vec<String>>>) {
        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        let other = UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = s.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let seen2 = seen.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 1500];
            while let Ok((n, from)) = s.recv_from(&mut buf) {
                let q = wire::parse_query(&buf[..n]).unwrap();
                let name = q.name.text().unwrap_or("").to_string();
                seen2.lock().unwrap().push(name.clone());
                let mut r = buf[..n].to_vec();
                r[2] |= 0x80;
                let end = q.question_end;
                if name == "spoof.fwd.test" {
                    let forged = |f: &dyn Fn(&mut Vec<u8>)| {
                        let mut x = r.clone();
                        x.extend_from_slice(b"\x66\x66\x66\x66");
                        f(&mut x);
                        x
                    };
                    let _ = other.send_to(&forged(&|_| {}), from);
                    let _ = s.send_to(&forged(&|x| x[1] ^= 1), from);
                    let _ = s.send_to(&forged(&|x| x[wire::HEADER_LEN + 1] = b'x'), from);
                    let _ = s.send_to(&forged(&|x| x[end - 3] = wire::rtype::AAAA as u8), from);
                    let _ = s.send_to(&forged(&|x| x.truncate(7)), from);
                } else if name == "big.fwd.test" {
                    r.resize(1400, 0x42);
                }
                r.extend_from_slice(b"\xde\xad\xbe\xef");
                let _ = s.send_to(&r, from);
            }
        });
        (addr, seen)
    }

    #[test]
    fn forged_replies_are_dropped_big_ones_truncated_and_blocked_names_never_forwarded() {
        let (up, seen) = tricky_upstream();
        let srv = server_with(&["evil.example"], vec![up]);
        let to = srv.udp_addrs()[0];
        // The forgeries arrive first; the client still gets the genuine reply.
        let r = ask(to, &query("spoof.fwd.test", wire::rtype::A, None)).unwrap();
        assert_eq!(&r[r.len() - 4..], b"\xde\xad\xbe\xef");
        assert_eq!(&r[..2], &[0x12, 0x34], "the client's ID back");
        let mismatched = srv.stats().mismatched.load(Ordering::Relaxed);
        // The other port's one never gets past the connected socket.
        assert_eq!(mismatched, 4, "wrong ID, name, type and a torn header");
        // Larger than a plain client's 512: header and question with TC.
        let q = query("big.fwd.test", wire::rtype::A, None);
        let r = ask(to, &q).unwrap();
        assert_eq!(r.len(), q.len(), "{r:?}");
        assert_eq!(r[2] & 0x82, 0x82, "a response with TC");
        assert_eq!(&r[4..12], &[0, 1, 0, 0, 0, 0, 0, 0]);
        // With EDNS 4096 (the helper's size) it fits and is relayed whole.
        let r = ask(to, &query("big.fwd.test", wire::rtype::A, Some(&[]))).unwrap();
        assert_eq!(r.len(), 1404);
        assert_eq!(r[2] & 0x02, 0);
        assert_eq!(srv.stats().truncated.load(Ordering::Relaxed), 1);
        // Blocked names are answered here, over UDP and TCP, never sent on.
        for name in ["evil.example", "www.EVIL.example"] {
            let r = ask(to, &query(name, wire::rtype::A, None)).unwrap();
            assert_eq!(r[3] & 0xf, rcode::NXDOMAIN);
            let mut t = TcpStream::connect(to).unwrap();
            t.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
            write_msg(&mut t, &query(name, wire::rtype::AAAA, None)).unwrap();
            let mut buf = vec![0u8; 65535];
            read_msg(&mut t, &mut buf).unwrap();
            assert_eq!(buf[3] & 0xf, rcode::NXDOMAIN);
        }
        srv.stop();
        let seen = seen.lock().unwrap();
        assert_eq!(*seen, ["spoof.fwd.test", "big.fwd.test", "big.fwd.test"]);
    }

    #[test]
    fn tcp_connections_are_capped() {
        let srv = server(&["evil.example"]);
        let to = srv.udp_addrs()[0];
        let held: Vec<TcpStream> = (0..MAX_TCP_CONNS)
            .map(|_| TcpStream::connect(to).unwrap())
            .collect();
        // Give the accept thread time to count them.
        let t = Instant::now();
        while srv.shared.tcp_conns.load(Ordering::Acquire) < MAX_TCP_CONNS
            && t.elapsed() < Duration::from_secs(5)
        {
            std::thread::sleep(Duration::from_millis(20));
        }
        let mut extra = TcpStream::connect(to).unwrap();
        extra.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
        let _ = write_msg(&mut extra, &query("evil.example", 1, None));
        let mut b = [0u8; 2];
        assert!(extra.read_exact(&mut b).is_err(), "the 65th connection is closed");
        // UDP is unaffected by the held connections.
        assert!(ask(to, &query("evil.example", 1, None)).is_some());
        drop(held);
        srv.stop();
    }
}
