//! The notice page's HTTP server: one thread, one epoll set, every socket
//! non-blocking, so that no client can hold it up.
//!
//! Bounds, because any LAN device can connect (and malware would not be
//! polite): at most [`MAX_CONNS`] connections, [`PER_PEER`] per address
//! (a new one beyond either closes the oldest), each with [`DEADLINE`]
//! to send its whole request, a request of at most `MAX_HEAD +
//! MAX_BODY` bytes, and one response per connection. Peers outside the
//! LAN are closed unanswered.

use super::request::{parse, MAX_BODY, MAX_HEAD};
use super::respond::{respond, Board, Response, Site};
use crate::clock::unix_now;
use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags};
use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Connections open at most.
pub const MAX_CONNS: usize = 256;
/// Connections open at most per client address.
pub const PER_PEER: usize = 16;
/// Time a client has from connecting to the end of its request.
pub const DEADLINE: Duration = Duration::from_secs(5);

/// Counters for the daemon's log and the benchmark.
#[derive(Debug, Default)]
pub struct Stats {
    /// Responses sent (any status).
    pub answered: AtomicU64,
    /// Requests refused as malformed or too large.
    pub refused: AtomicU64,
    /// Connections closed for a slow client, a full server or a peer cap.
    pub dropped: AtomicU64,
    /// Connections from outside the LAN, closed unanswered.
    pub foreign: AtomicU64,
}

/// The running server.
pub struct Server {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    addr: SocketAddr,
    stats: Arc<Stats>,
}

/// Whether an address may be served (the LAN).
pub type Admit = Box<dyn Fn(IpAddr) -> bool + Send>;

impl Server {
    /// Listens on `port` on every address (one dual-stack socket, or IPv4
    /// alone where IPv6 is off) and serves until [`Server::stop`].
    pub fn start(port: u16, admit: Admit, site: Site, board: Arc<dyn Board>) -> std::io::Result<Server> {
        let listener = TcpListener::bind(("::", port)).or_else(|_| TcpListener::bind(("0.0.0.0", port)))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let stats = Arc::new(Stats::default());
        let epoll = Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC).map_err(std::io::Error::from)?;
        epoll
            .add(&listener, EpollEvent::new(EpollFlags::EPOLLIN, LISTENER))
            .map_err(std::io::Error::from)?;
        let mut lp = Loop {
            epoll,
            listener,
            conns: (0..MAX_CONNS).map(|_| None).collect(),
            admit,
            site,
            board,
            stats: stats.clone(),
        };
        let s = stop.clone();
        let thread = std::thread::Builder::new()
            .name("notice".into())
            .spawn(move || lp.run(&s))?;
        Ok(Server {
            stop,
            thread: Some(thread),
            addr,
            stats,
        })
    }

    /// The listening address (port 0 asked for picks one).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The counters.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Stops the thread (within half a second) and closes every socket.
    pub fn stop(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

const LISTENER: u64 = u64::MAX;

struct Conn {
    stream: TcpStream,
    peer: IpAddr,
    local: SocketAddr,
    opened: Instant,
    buf: Vec<u8>,
    out: Vec<u8>,
    sent: usize,
}

struct Loop {
    epoll: Epoll,
    listener: TcpListener,
    conns: Vec<Option<Conn>>,
    admit: Admit,
    site: Site,
    board: Arc<dyn Board>,
    stats: Arc<Stats>,
}

impl Loop {
    fn run(&mut self, stop: &AtomicBool) {
        let mut events = [EpollEvent::empty(); 64];
        while !stop.load(Ordering::Relaxed) {
            let n = self.epoll.wait(&mut events, 500u16).unwrap_or(0);
            for ev in &events[..n] {
                match ev.data() {
                    LISTENER => self.accept(),
                    slot => self.service(slot as usize),
                }
            }
            self.expire();
        }
    }

    fn accept(&mut self) {
        for _ in 0..64 {
            let (stream, peer) = match self.listener.accept() {
                Ok(x) => x,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                // Out of descriptors or the like: the connection stays in
                // the backlog; try again on the next wake-up.
                Err(_) => return,
            };
            let peer_ip = peer.ip().to_canonical();
            if !(self.admit)(peer_ip) {
                self.stats.foreign.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            let Ok(local) = stream.local_addr() else { continue };
            if stream.set_nonblocking(true).is_err() {
                continue;
            }
            let slot = self.free_slot(peer_ip);
            let ev = EpollEvent::new(EpollFlags::EPOLLIN | EpollFlags::EPOLLRDHUP, slot as u64);
            if self.epoll.add(&stream, ev).is_err() {
                continue;
            }
            self.conns[slot] = Some(Conn {
                stream,
                peer: peer_ip,
                local,
                opened: Instant::now(),
                buf: Vec::new(),
                out: Vec::new(),
                sent: 0,
            });
        }
    }

    /// A free slot, after closing the peer's oldest connection when it has
    /// [`PER_PEER`], or the oldest of all when every slot is taken.
    fn free_slot(&mut self, peer: IpAddr) -> usize {
        let oldest =
            |it: &mut dyn Iterator<Item = (usize, &Conn)>| it.min_by_key(|(_, c)| c.opened).map(|(i, _)| i);
        let mine = self
            .conns
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.as_ref().filter(|c| c.peer == peer).map(|c| (i, c)));
        if mine.clone().count() >= PER_PEER {
            let victim = oldest(&mut mine.clone()).unwrap_or(0);
            self.close(victim, true);
            return victim;
        }
        if let Some(i) = self.conns.iter().position(Option::is_none) {
            return i;
        }
        let victim = oldest(
            &mut self
                .conns
                .iter()
                .enumerate()
                .filter_map(|(i, c)| c.as_ref().map(|c| (i, c))),
        )
        .unwrap_or(0);
        self.close(victim, true);
        victim
    }

    fn close(&mut self, slot: usize, dropped: bool) {
        if let Some(c) = self.conns[slot].take() {
            let _ = self.epoll.delete(&c.stream);
            let _ = c.stream.shutdown(Shutdown::Both);
            if dropped {
                self.stats.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    fn expire(&mut self) {
        let now = Instant::now();
        for i in 0..self.conns.len() {
            if self.conns[i]
                .as_ref()
                .is_some_and(|c| now.duration_since(c.opened) > DEADLINE)
            {
                self.close(i, true);
            }
        }
    }

    fn service(&mut self, slot: usize) {
        let Some(c) = self.conns.get_mut(slot).and_then(Option::as_mut) else {
            return;
        };
        if c.out.is_empty() {
            match read_request(c, &*self.board, &self.site) {
                Ok(None) => return,
                Ok(Some(resp)) => {
                    c.out = resp.to_bytes(&self.site.csp);
                    self.stats.answered.fetch_add(1, Ordering::Relaxed);
                    if resp.status == 400 || resp.status == 413 {
                        self.stats.refused.fetch_add(1, Ordering::Relaxed);
                    }
                    let mut ev = EpollEvent::new(EpollFlags::EPOLLOUT, slot as u64);
                    let _ = self.epoll.modify(&c.stream, &mut ev);
                }
                Err(()) => return self.close(slot, false),
            }
        }
        loop {
            match c.stream.write(&c.out[c.sent..]) {
                Ok(0) => return self.close(slot, false),
                Ok(n) => {
                    c.sent += n;
                    if c.sent == c.out.len() {
                        let _ = c.stream.shutdown(Shutdown::Write);
                        return self.close(slot, false);
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => return self.close(slot, false),
            }
        }
    }
}

/// Reads what the peer sent so far; true when it has closed its side
/// (a client may send its request and then shut down writing); `Err`
/// when the connection failed.
fn read_some(c: &mut Conn) -> Result<bool, ()> {
    let mut chunk = [0u8; 2048];
    loop {
        match c.stream.read(&mut chunk) {
            Ok(0) => return Ok(true),
            Ok(n) => {
                c.buf.extend_from_slice(&chunk[..n]);
                if c.buf.len() > MAX_HEAD + MAX_BODY + 4 {
                    return Ok(false);
                }
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(false),
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(_) => return Err(()),
        }
    }
}

/// The response once the request is whole or refused, `Ok(None)` to wait
/// for more, `Err` when the peer went away before a whole request.
fn read_request(c: &mut Conn, board: &dyn Board, site: &Site) -> Result<Option<Response>, ()> {
    let eof = read_some(c)?;
    Ok(match parse(&c.buf) {
        Ok(None) if eof => return Err(()),
        Ok(None) if c.buf.len() <= MAX_HEAD + MAX_BODY + 4 => None,
        Ok(None) => Some(Response::error(413, "Content Too Large")),
        Err(e) => {
            let (code, reason) = e.status();
            Some(Response::error(code, reason))
        }
        Ok(Some(req)) => Some(respond(&req, c.peer, c.local, board, site, unix_now())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notice::page::{csp, HostView};
    use crate::notice::Contact;

    struct Nobody;

    impl Board for Nobody {
        fn host(&self, _: IpAddr, _: u64) -> Option<(String, HostView)> {
            None
        }
        fn confirm(&self, _: &str, _: u64) -> bool {
            false
        }
        fn is_blocked(&self, _: &str) -> bool {
            false
        }
    }

    fn server() -> Server {
        let site = Site {
            contact: Contact::default(),
            csp: csp(),
            tokens: None,
        };
        Server::start(0, Box::new(|a: IpAddr| a.is_loopback()), site, Arc::new(Nobody)).unwrap()
    }

    fn exchange(port: u16, req: &[u8], half_close: bool) -> String {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s.write_all(req).unwrap();
        if half_close {
            s.shutdown(Shutdown::Write).unwrap();
        }
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        out
    }

    #[test]
    fn answers_whole_requests_also_after_a_half_close_and_refuses_garbage() {
        let srv = server();
        let port = srv.local_addr().port();
        let here = format!("GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n");
        for half in [false, true] {
            let r = exchange(port, here.as_bytes(), half);
            assert!(r.starts_with("HTTP/1.1 200 OK\r\n"), "{r}");
        }
        // Split across writes.
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.write_all(&here.as_bytes()[..10]).unwrap();
        std::thread::sleep(Duration::from_millis(50));
        s.write_all(&here.as_bytes()[10..]).unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        assert!(out.starts_with("HTTP/1.1 200 OK"), "{out}");
        assert!(exchange(port, b"\x00garbage\r\n\r\n", false).starts_with("HTTP/1.1 400 "));
        assert_eq!(
            exchange(port, b"GET / HTT", true),
            "",
            "an incomplete request is closed"
        );
        assert!(srv.stats().refused.load(Ordering::Relaxed) >= 1);
        srv.stop();
    }
}
