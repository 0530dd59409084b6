//! Sockets and threads of the sinkhole.
//!
//! UDP: per listen address, one `SO_REUSEPORT` socket per worker thread
//! (the kernel spreads clients over them), each served by a blocking
//! `recv_from` loop that answers blocked names from stack buffers — no
//! allocation, no lock on the way (the blocklist is an `Arc` the worker
//! re-reads only when the reload generation changes). Forwarded queries go
//! out on the worker's own upstream socket with a fresh ID and are
//! remembered in a fixed table; a relay thread per worker matches the
//! upstream's replies (source, ID, question), restores the client's ID and
//! sends the upstream's bytes back, and turns queries unanswered after the
//! timeout into a retry on the next upstream or a SERVFAIL.
//!
//! TCP: one accept thread per listen address, a thread per connection up
//! to [`MAX_TCP_CONNS`] (more are closed at once), idle timeout, 2-byte
//! length-prefixed messages, forwarded over a TCP connection to the
//! upstream. A slow client only holds its own thread.

use super::client::{identify, Neighbours};
use super::events::{Event, EventLog, EventRing, FILE_CAP, RING_CAPACITY};
use super::matcher::DomainMatcher;
use super::policy::{Acl, RateLimiter};
use super::wire::{self, rcode, Blocked, Query, MAX_OWN_RESPONSE};
use super::DnsError;
use std::io::{Read, Write};
use std::net::{IpAddr, Shutdown, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Concurrent TCP connections at most.
pub const MAX_TCP_CONNS: usize = 64;
/// A TCP connection idle this long is closed.
pub const TCP_IDLE: Duration = Duration::from_secs(10);
/// A TCP connection is closed after this long whatever it does, so a
/// client trickling bytes cannot hold one of the capped slots forever.
pub const TCP_LIFETIME: Duration = Duration::from_secs(60);
/// Forwarded queries in flight per worker; more get SERVFAIL at once.
/// (The upstream socket's port is fixed per worker; IDs are random.)
pub const PENDING_SLOTS: usize = 1024;
/// Largest UDP query forwarded (the EDNS flag-day payload size).
const MAX_UDP_QUERY: usize = 1232;
/// Rate-limiter shards (locks) and buckets per shard.
const RATE_SHARDS: usize = 16;
const RATE_BUCKETS: usize = 256;

/// How the server runs.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Addresses to serve on, UDP and TCP.
    pub listen: Vec<SocketAddr>,
    /// Resolvers for names not blocked, tried in order.
    pub upstreams: Vec<SocketAddr>,
    /// The answer to blocked names.
    pub answer: Blocked,
    /// TTL (and SOA minimum) of blocked answers.
    pub ttl: u32,
    /// Who may ask.
    pub acl: Acl,
    /// Per-client queries per second (0: no limit) and burst.
    pub rate: (u32, u32),
    /// UDP worker threads per listen address.
    pub workers: usize,
    /// Time to wait for an upstream before the next one or SERVFAIL.
    pub upstream_timeout: Duration,
    /// Where `events.jsonl` goes (`None`: events stay in memory).
    pub run_dir: Option<PathBuf>,
    /// Look MACs up in the neighbour table (front mode).
    pub neighbours: bool,
}

/// Counters, readable while running.
#[derive(Debug, Default)]
pub struct Stats {
    /// Queries received (parsed or not).
    pub queries: AtomicU64,
    /// Answered as blocked.
    pub blocked: AtomicU64,
    /// Sent upstream.
    pub forwarded: AtomicU64,
    /// Upstream replies relayed.
    pub relayed: AtomicU64,
    /// REFUSED (not from the LAN).
    pub refused: AtomicU64,
    /// Dropped by the rate limit.
    pub limited: AtomicU64,
    /// SERVFAIL (no upstream answered, or no room).
    pub servfail: AtomicU64,
    /// Malformed queries (answered FORMERR/NOTIMP or dropped).
    pub malformed: AtomicU64,
    /// TCP connections refused at the cap.
    pub tcp_refused: AtomicU64,
}

fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

/// State shared by every thread.
struct Shared {
    set: RwLock<Arc<DomainMatcher>>,
    generation: AtomicU64,
    events: Mutex<EventRing>,
    rate: Vec<Mutex<RateLimiter>>,
    stats: Stats,
    stop: AtomicBool,
    tcp_conns: AtomicUsize,
    settings: Settings,
    started: Instant,
}

impl Shared {
    fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    fn rate_ok(&self, ip: IpAddr) -> bool {
        if self.settings.rate.0 == 0 || ip.is_loopback() {
            return true;
        }
        let shard = match ip {
            IpAddr::V4(a) => u32::from(a) as usize,
            IpAddr::V6(a) => (u128::from(a) as usize) ^ ((u128::from(a) >> 64) as usize),
        } % RATE_SHARDS;
        let now = self.now_ms();
        let ok = self.rate[shard]
            .lock()
            .map(|mut r| r.allow(ip, now))
            .unwrap_or(true);
        if !ok {
            bump(&self.stats.limited);
        }
        ok
    }
}

/// A worker's view of the blocklist: the `Arc` is re-read only after a
/// reload, so the query path takes no lock.
struct View {
    set: Arc<DomainMatcher>,
    generation: u64,
}

impl View {
    fn new(sh: &Shared) -> View {
        View {
            set: sh.set.read().map(|s| s.clone()).unwrap_or_default(),
            generation: sh.generation.load(Ordering::Acquire),
        }
    }

    fn current(&mut self, sh: &Shared) -> &DomainMatcher {
        let g = sh.generation.load(Ordering::Acquire);
        if g != self.generation {
            if let Ok(s) = sh.set.read() {
                self.set = s.clone();
                self.generation = g;
            }
        }
        &self.set
    }
}

/// What to do with one received message. `Forward` carries the parsed
/// query by value on purpose: it lives on the stack, never the heap.
#[allow(clippy::large_enum_variant)]
enum Action {
    /// Send `out[..n]`.
    Reply(usize),
    /// Forward to the upstream.
    Forward(Query),
    /// Say nothing.
    Drop,
}

/// The policy for one message: parse, ACL, rate, blocklist.
fn decide(sh: &Shared, view: &mut View, src: IpAddr, msg: &[u8], out: &mut [u8], tcp: bool) -> Action {
    bump(&sh.stats.queries);
    let q = match wire::parse_query(msg) {
        Ok(q) => q,
        Err(e) => {
            bump(&sh.stats.malformed);
            return match wire::write_unparsable(msg, e, out) {
                Some(n) => Action::Reply(n),
                None => Action::Drop,
            };
        }
    };
    if !sh.settings.acl.allows(src) {
        bump(&sh.stats.refused);
        return reply(wire::write_error(&q, rcode::REFUSED, out));
    }
    let client = identify(src, q.edns.as_ref());
    if !sh.rate_ok(client.ip) {
        return Action::Drop;
    }
    let set = view.current(sh);
    if let Some(name) = q.name.text().filter(|n| !n.is_empty()) {
        if let Some(hit) = set.lookup(name) {
            bump(&sh.stats.blocked);
            let (at, feed) = (hit.at, hit.feed);
            let time = crate::clock::unix_now();
            let ev = Event::new(time, client.ip, client.mac, name, at, q.qtype, feed, tcp);
            if let Ok(mut r) = sh.events.lock() {
                r.push(ev);
            }
            return reply(wire::write_blocked(
                &q,
                at,
                sh.settings.answer,
                sh.settings.ttl,
                out,
            ));
        }
    }
    if sh.settings.upstreams.is_empty() {
        bump(&sh.stats.servfail);
        return reply(wire::write_error(&q, rcode::SERVFAIL, out));
    }
    Action::Forward(q)
}

fn reply(r: Result<usize, wire::WireError>) -> Action {
    r.map_or(Action::Drop, Action::Reply)
}

/// A running server.
pub struct Server {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
    udp_addrs: Vec<SocketAddr>,
    tcp_addrs: Vec<SocketAddr>,
}

impl Server {
    /// Binds every listen address (UDP and TCP) and starts the threads.
    pub fn start(settings: Settings, set: DomainMatcher) -> Result<Server, DnsError> {
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
        srv.threads.push(spawn("dns-events", move || event_writer(sh))?);
        Ok(srv)
    }

    fn spawn_udp_worker(&mut self, sock: UdpSocket, addr: SocketAddr) -> Result<(), DnsError> {
        let io = |e| DnsError::Bind("udp", addr, e);
        sock.set_read_timeout(Some(Duration::from_millis(500)))
            .map_err(io)?;
        let bind_any: SocketAddr = if self
            .shared
            .settings
            .upstreams
            .first()
            .is_some_and(|u| u.is_ipv6())
        {
            "[::]:0".parse().unwrap_or(addr)
        } else {
            "0.0.0.0:0".parse().unwrap_or(addr)
        };
        let upstream = UdpSocket::bind(bind_any).map_err(|e| DnsError::Bind("udp", bind_any, e))?;
        upstream
            .set_read_timeout(Some(Duration::from_millis(100)))
            .map_err(io)?;
        let pending = Arc::new(Mutex::new(Pending::new()));
        let (s1, u1, p1, sh1) = (
            sock.try_clone().map_err(io)?,
            upstream.try_clone().map_err(io)?,
            pending.clone(),
            self.shared.clone(),
        );
        self.threads
            .push(spawn("dns-udp", move || udp_worker(sh1, s1, u1, p1))?);
        let sh2 = self.shared.clone();
        self.threads.push(spawn("dns-relay", move || {
            udp_relay(sh2, sock, upstream, pending)
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

fn spawn(name: &str, f: impl FnOnce() + Send + 'static) -> Result<JoinHandle<()>, DnsError> {
    std::thread::Builder::new()
        .name(name.into())
        .stack_size(256 * 1024)
        .spawn(f)
        .map_err(DnsError::Thread)
}

/// A UDP socket with `SO_REUSEPORT` (and v6-only for IPv6, so `[::]:53`
/// and `0.0.0.0:53` can both be bound).
fn reuseport_udp(addr: SocketAddr) -> Result<UdpSocket, DnsError> {
    use nix::sys::socket::{self as s, sockopt, AddressFamily, SockFlag, SockType, SockaddrStorage};
    use std::os::fd::AsRawFd;
    let err = |e: nix::Error| DnsError::Bind("udp", addr, std::io::Error::from(e));
    let family = if addr.is_ipv4() {
        AddressFamily::Inet
    } else {
        AddressFamily::Inet6
    };
    let fd = s::socket(family, SockType::Datagram, SockFlag::SOCK_CLOEXEC, None).map_err(err)?;
    s::setsockopt(&fd, sockopt::ReusePort, &true).map_err(err)?;
    if addr.is_ipv6() {
        s::setsockopt(&fd, sockopt::Ipv6V6Only, &true).map_err(err)?;
    }
    // A large receive buffer absorbs bursts while a worker is descheduled.
    let _ = s::setsockopt(&fd, sockopt::RcvBuf, &(1 << 20));
    s::bind(fd.as_raw_fd(), &SockaddrStorage::from(addr)).map_err(err)?;
    Ok(UdpSocket::from(fd))
}

/// A TCP listener, v6-only for IPv6 like the UDP sockets (std's would be
/// dual-stack and clash with a `0.0.0.0` listener on the same port).
fn tcp_listener(addr: SocketAddr) -> Result<TcpListener, DnsError> {
    use nix::sys::socket::{self as s, sockopt, AddressFamily, Backlog, SockFlag, SockType, SockaddrStorage};
    use std::os::fd::AsRawFd;
    let err = |e: nix::Error| DnsError::Bind("tcp", addr, std::io::Error::from(e));
    let family = if addr.is_ipv4() {
        AddressFamily::Inet
    } else {
        AddressFamily::Inet6
    };
    let fd = s::socket(family, SockType::Stream, SockFlag::SOCK_CLOEXEC, None).map_err(err)?;
    s::setsockopt(&fd, sockopt::ReuseAddr, &true).map_err(err)?;
    if addr.is_ipv6() {
        s::setsockopt(&fd, sockopt::Ipv6V6Only, &true).map_err(err)?;
    }
    s::bind(fd.as_raw_fd(), &SockaddrStorage::from(addr)).map_err(err)?;
    s::listen(&fd, Backlog::new(128).map_err(err)?).map_err(err)?;
    Ok(TcpListener::from(fd))
}

/// Forwarded UDP queries in flight, in a fixed table. The upstream sees a
/// random ID per query (an ID-to-slot map finds the slot again), so an
/// off-path spoofer has to guess 16 random bits on top of the question
/// and the source address and port, which are checked too.
struct Pending {
    slots: Vec<Slot>,
    free: Vec<u16>,
    /// Upstream ID → slot + 1 (0: unused).
    by_id: Vec<u16>,
    rng: u64,
}

struct Slot {
    used: bool,
    id: u16,
    client: SocketAddr,
    client_id: u16,
    upstream: usize,
    sent: Instant,
    question_end: usize,
    len: usize,
    query: Box<[u8]>,
}

impl Pending {
    fn new() -> Pending {
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
    fn insert(&mut self, client: SocketAddr, msg: &[u8], question_end: usize) -> Option<usize> {
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
    fn slot_of(&self, id: u16) -> Option<usize> {
        (self.by_id[id as usize] as usize).checked_sub(1)
    }

    fn release(&mut self, i: usize) {
        if let Some(s) = self.slots.get_mut(i) {
            if s.used {
                s.used = false;
                self.by_id[s.id as usize] = 0;
                self.free.push(i as u16);
            }
        }
    }
}

fn udp_worker(sh: Arc<Shared>, sock: UdpSocket, upstream: UdpSocket, pending: Arc<Mutex<Pending>>) {
    let mut view = View::new(&sh);
    let mut buf = [0u8; 4096];
    let mut out = [0u8; MAX_OWN_RESPONSE];
    while !sh.stop.load(Ordering::Relaxed) {
        let (n, src) = match sock.recv_from(&mut buf) {
            Ok(v) => v,
            Err(_) => continue, // timeout (stop check) or a transient error
        };
        let msg = &buf[..n];
        match decide(&sh, &mut view, src.ip(), msg, &mut out, false) {
            Action::Reply(len) => {
                let _ = sock.send_to(&out[..len], src);
            }
            Action::Drop => {}
            Action::Forward(q) => {
                let sent = if n > MAX_UDP_QUERY {
                    None
                } else {
                    let mut p = match pending.lock() {
                        Ok(p) => p,
                        Err(_) => continue,
                    };
                    p.insert(src, msg, q.question_end).map(|i| {
                        let s = &p.slots[i];
                        let ok = upstream
                            .send_to(&s.query[..s.len], sh.settings.upstreams[0])
                            .is_ok();
                        (i, ok)
                    })
                };
                match sent {
                    Some((_, true)) => bump(&sh.stats.forwarded),
                    // A send error (no route) waits for the timeout, which
                    // tries the next upstream.
                    Some((_, false)) => {}
                    None => {
                        bump(&sh.stats.servfail);
                        if let Ok(len) = wire::write_error(&q, rcode::SERVFAIL, &mut out) {
                            let _ = sock.send_to(&out[..len], src);
                        }
                    }
                }
            }
        }
    }
}

fn udp_relay(sh: Arc<Shared>, sock: UdpSocket, upstream: UdpSocket, pending: Arc<Mutex<Pending>>) {
    let mut buf = vec![0u8; 65535];
    let mut out = [0u8; MAX_OWN_RESPONSE];
    let mut last_scan = Instant::now();
    let ups = &sh.settings.upstreams;
    while !sh.stop.load(Ordering::Relaxed) {
        if let Ok((n, from)) = upstream.recv_from(&mut buf) {
            let reply = &mut buf[..n];
            if let Some(id) = wire::message_id(reply) {
                let target = pending.lock().ok().and_then(|mut p| {
                    let slot = p.slot_of(id)?;
                    let s = p.slots.get(slot).filter(|s| s.used && s.id == id)?;
                    let ok = ups.get(s.upstream) == Some(&from)
                        && wire::reply_matches(reply, &s.query[..s.len], s.question_end);
                    if !ok {
                        return None;
                    }
                    let t = (s.client, s.client_id);
                    p.release(slot);
                    Some(t)
                });
                if let Some((client, client_id)) = target {
                    wire::set_message_id(reply, client_id);
                    let _ = sock.send_to(reply, client);
                    bump(&sh.stats.relayed);
                }
            }
        }
        if last_scan.elapsed() >= Duration::from_millis(100) {
            last_scan = Instant::now();
            expire(&sh, &sock, &upstream, &pending, &mut out);
        }
    }
}

/// Queries past the timeout go to the next upstream, or get SERVFAIL.
fn expire(sh: &Shared, sock: &UdpSocket, upstream: &UdpSocket, pending: &Mutex<Pending>, out: &mut [u8]) {
    let Ok(mut p) = pending.lock() else { return };
    let timeout = sh.settings.upstream_timeout;
    let ups = &sh.settings.upstreams;
    for i in 0..p.slots.len() {
        let s = &mut p.slots[i];
        if !s.used || s.sent.elapsed() < timeout {
            continue;
        }
        if s.upstream + 1 < ups.len() {
            s.upstream += 1;
            s.sent = Instant::now();
            let _ = upstream.send_to(&s.query[..s.len], ups[s.upstream]);
            continue;
        }
        let (client, client_id) = (s.client, s.client_id);
        let mut q = s.query[..s.len].to_vec();
        wire::set_message_id(&mut q, client_id);
        p.release(i);
        bump(&sh.stats.servfail);
        if let Ok(query) = wire::parse_query(&q) {
            if let Ok(n) = wire::write_error(&query, rcode::SERVFAIL, out) {
                let _ = sock.send_to(&out[..n], client);
            }
        }
    }
}

fn tcp_accept(sh: Arc<Shared>, listener: TcpListener) {
    for conn in listener.incoming() {
        if sh.stop.load(Ordering::Relaxed) {
            return;
        }
        let Ok(stream) = conn else { continue };
        if sh.tcp_conns.fetch_add(1, Ordering::AcqRel) >= MAX_TCP_CONNS {
            sh.tcp_conns.fetch_sub(1, Ordering::AcqRel);
            bump(&sh.stats.tcp_refused);
            continue; // dropping the stream closes it
        }
        let sh2 = sh.clone();
        let started = spawn("dns-tcp", move || {
            tcp_conn(&sh2, stream);
            sh2.tcp_conns.fetch_sub(1, Ordering::AcqRel);
        });
        if started.is_err() {
            sh.tcp_conns.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

/// Reads one length-prefixed message; `None` at EOF, timeout or error.
fn read_msg(s: &mut impl Read, buf: &mut [u8]) -> Option<usize> {
    let mut len = [0u8; 2];
    s.read_exact(&mut len).ok()?;
    let n = u16::from_be_bytes(len) as usize;
    // The 2-byte prefix bounds a message at 64 KiB; the buffer holds that.
    let dst = buf.get_mut(..n)?;
    s.read_exact(dst).ok()?;
    Some(n)
}

fn write_msg(s: &mut impl Write, msg: &[u8]) -> std::io::Result<()> {
    let len = u16::try_from(msg.len()).map_err(std::io::Error::other)?;
    let mut framed = Vec::with_capacity(msg.len() + 2);
    framed.extend_from_slice(&len.to_be_bytes());
    framed.extend_from_slice(msg);
    s.write_all(&framed)
}

fn tcp_conn(sh: &Shared, mut stream: TcpStream) {
    let Ok(peer) = stream.peer_addr() else { return };
    let _ = stream.set_read_timeout(Some(TCP_IDLE));
    let _ = stream.set_write_timeout(Some(TCP_IDLE));
    let _ = stream.set_nodelay(true);
    let mut view = View::new(sh);
    let mut buf = vec![0u8; 65535];
    let mut out = [0u8; MAX_OWN_RESPONSE];
    while !sh.stop.load(Ordering::Relaxed) {
        let Some(n) = read_msg(&mut stream, &mut buf) else {
            break;
        };
        let answered = match decide(sh, &mut view, peer.ip(), &buf[..n], &mut out, true) {
            Action::Reply(len) => write_msg(&mut stream, &out[..len]),
            Action::Drop => Ok(()),
            Action::Forward(q) => {
                bump(&sh.stats.forwarded);
                match forward_tcp(sh, &buf[..n]) {
                    Some(reply) => {
                        bump(&sh.stats.relayed);
                        write_msg(&mut stream, &reply)
                    }
                    None => {
                        bump(&sh.stats.servfail);
                        match wire::write_error(&q, rcode::SERVFAIL, &mut out) {
                            Ok(len) => write_msg(&mut stream, &out[..len]),
                            Err(_) => Ok(()),
                        }
                    }
                }
            }
        };
        if answered.is_err() {
            break;
        }
    }
    let _ = stream.shutdown(Shutdown::Both);
}

/// One query over TCP to each upstream in turn; the first answer wins.
fn forward_tcp(sh: &Shared, msg: &[u8]) -> Option<Vec<u8>> {
    let timeout = sh.settings.upstream_timeout;
    for up in &sh.settings.upstreams {
        let Ok(mut s) = TcpStream::connect_timeout(up, timeout) else {
            continue;
        };
        let _ = s.set_read_timeout(Some(timeout));
        let _ = s.set_write_timeout(Some(timeout));
        if write_msg(&mut s, msg).is_err() {
            continue;
        }
        let mut buf = vec![0u8; 65535];
        if let Some(n) = read_msg(&mut s, &mut buf) {
            if wire::message_id(&buf[..n]) == wire::message_id(msg) {
                buf.truncate(n);
                return Some(buf);
            }
        }
    }
    None
}

/// The counters as JSON, for `run_dir/dns.json` (status, monitoring).
fn stats_json(sh: &Shared) -> String {
    let s = &sh.stats;
    let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
    let (dropped, total) = sh.events.lock().map_or((0, 0), |r| (r.dropped, r.total));
    serde_json::json!({
        "queries": g(&s.queries), "blocked": g(&s.blocked), "forwarded": g(&s.forwarded),
        "relayed": g(&s.relayed), "refused": g(&s.refused), "rate_limited": g(&s.limited),
        "servfail": g(&s.servfail), "malformed": g(&s.malformed), "tcp_refused": g(&s.tcp_refused),
        "events": total, "events_dropped": dropped,
        "uptime_s": sh.started.elapsed().as_secs(),
    })
    .to_string()
}

/// Drains the event ring every 200 ms into `events.jsonl`, filling in
/// MACs from the neighbour table in front mode, and the address from the
/// MAC when dnsmasq sent only the MAC.
fn event_writer(sh: Arc<Shared>) {
    let log = sh.settings.run_dir.as_ref().map(|d| EventLog::new(d, FILE_CAP));
    let mut neigh = Neighbours::new(Duration::from_secs(5));
    let mut batch = Vec::with_capacity(RING_CAPACITY);
    let mut reported_drops = 0;
    let mut stats_at = Instant::now();
    loop {
        let stopping = sh.stop.load(Ordering::Relaxed);
        if let Ok(mut r) = sh.events.lock() {
            r.drain_into(&mut batch);
            if r.dropped > reported_drops {
                log::warn!("dns: {} events dropped (ring full)", r.dropped - reported_drops);
                reported_drops = r.dropped;
            }
        }
        if !batch.is_empty() {
            let records: Vec<_> = batch
                .iter_mut()
                .map(|e| {
                    if e.mac.is_none() && sh.settings.neighbours {
                        e.mac = neigh.lookup(e.client);
                    }
                    // Behind dnsmasq without add-subnet: MAC only.
                    if let (true, Some(mac)) = (e.client.is_loopback(), e.mac) {
                        e.client = neigh.ip_of(mac).unwrap_or(e.client);
                    }
                    e.record()
                })
                .collect();
            batch.clear();
            if let Some(log) = &log {
                if let Err(e) = log.append(&records) {
                    log::warn!("dns: cannot write {}: {e}", log.path().display());
                }
            }
        }
        if stopping || stats_at.elapsed() >= Duration::from_secs(10) {
            stats_at = Instant::now();
            if let Some(dir) = &sh.settings.run_dir {
                let _ = crate::fsio::write_atomic(&dir.join("dns.json"), stats_json(&sh).as_bytes());
            }
        }
        if stopping {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::policy::Acl;
    use crate::dns::wire::tests::query;
    use crate::indicator::parse_indicator;
    use crate::indicator::{Gate, GateConfig, SetBuilder};

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
        Server::start(settings, matcher(names)).unwrap()
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
