//! The notice page's server under a flood (`benches/notice.sh`):
//!
//!     noticebench SECS [quiet]   # prints two lines: rates, flood, peak memory
//!
//! The process runs the real `notice::Server` (port picked by the kernel,
//! loopback as its LAN, a board with one infected host at 127.0.0.1) and
//! starts itself again as the load (`noticebench --load PORT SECS`), so
//! that the peak memory it reports (`VmHWM`) is the server's alone. The
//! load, for SECS seconds:
//! - 4 good clients at 127.0.0.1 ask `GET /` on the page and count the
//!   complete 200 answers that name the host;
//! - slow clients from 127.0.1.1–127.0.1.200 open connections and send a
//!   byte every 100 ms (slowloris), keeping 600 open;
//! - malformed clients from 127.0.2.x send garbage heads and oversized
//!   bodies, as fast as they can, and count the 400/413 answers.
//!
//! `quiet` leaves the flood out: the anchor for the good clients' rate.
//!
//! It exits non-zero when a good answer was wrong, when no malformed
//! request was refused, or when the load process failed: a figure only
//! counts when the run did what it claims.

use iocguard::notice::page::{csp, HostView};
use iocguard::notice::respond::{Board, Site};
use iocguard::notice::{Contact, Server, Tokens};
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::process::{exit, Command};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct OneHost;

impl Board for OneHost {
    fn host(&self, addr: IpAddr, _now: u64) -> Option<(String, HostView)> {
        (addr == IpAddr::V4(Ipv4Addr::LOCALHOST)).then(|| {
            (
                "02:00:00:00:00:01".into(),
                HostView {
                    hostname: Some("bench-pc".into()),
                    mac: Some("02:00:00:00:00:01".into()),
                    addr: addr.to_string(),
                    hits: 42,
                    first_seen: 1_764_460_800,
                    last_seen: 1_764_464_400,
                    names: vec!["evil.example".into(), "203.0.113.7".into()],
                    due: true,
                    notified_at: None,
                },
            )
        })
    }
    fn confirm(&self, _key: &str, _now: u64) -> bool {
        true
    }
    fn is_blocked(&self, name: &str) -> bool {
        name == "evil.example"
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--load") {
        let port: u16 = args[2].parse().expect("port");
        let secs: u64 = args[3].parse().expect("seconds");
        let flood = args.get(4).map(String::as_str) != Some("quiet");
        exit(load(port, Duration::from_secs(secs), flood));
    }
    let secs: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(10);
    let mode = args.get(2).cloned().unwrap_or_else(|| "flood".into());
    let site = Site {
        contact: Contact {
            tool_url: "https://khonggianmang.vn/".into(),
            phone: "024 3999 0000".into(),
            snooze_hours: 24,
            ..Contact::default()
        },
        csp: csp(),
        tokens: Tokens::new(),
    };
    let admit = Box::new(|a: IpAddr| a.is_loopback());
    let server = Server::start(0, admit, site, Arc::new(OneHost)).expect("start the notice server");
    let port = server.local_addr().port();
    let hwm_before = status_kb("VmHWM");
    let out = Command::new(&args[0])
        .args(["--load", &port.to_string(), &secs.to_string(), &mode])
        .output()
        .expect("start the load");
    let stats = server.stats();
    let (answered, refused, dropped) = (
        stats.answered.load(Ordering::Relaxed),
        stats.refused.load(Ordering::Relaxed),
        stats.dropped.load(Ordering::Relaxed),
    );
    let hwm = status_kb("VmHWM");
    let rss = status_kb("VmRSS");
    server.stop();
    print!("{}", String::from_utf8_lossy(&out.stdout));
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    println!(
        "server answered={answered} refused={refused} dropped={dropped} \
         vmhwm_kb_before={hwm_before} vmhwm_kb={hwm} vmrss_kb={rss}"
    );
    if !out.status.success() {
        eprintln!("noticebench: the load failed ({})", out.status);
        exit(1);
    }
}

fn status_kb(key: &str) -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}:")))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// A client socket bound to `src` (any port), connected to the server.
fn connect_from(src: Ipv4Addr, port: u16) -> std::io::Result<TcpStream> {
    use nix::sys::socket::{bind, connect, socket, AddressFamily, SockFlag, SockType, SockaddrIn};
    use std::net::SocketAddrV4;
    use std::os::fd::AsRawFd;
    let fd = socket(
        AddressFamily::Inet,
        SockType::Stream,
        SockFlag::SOCK_CLOEXEC,
        None,
    )?;
    bind(fd.as_raw_fd(), &SockaddrIn::from(SocketAddrV4::new(src, 0)))?;
    connect(
        fd.as_raw_fd(),
        &SockaddrIn::from(SocketAddrV4::new(Ipv4Addr::LOCALHOST, port)),
    )?;
    Ok(TcpStream::from(fd))
}

fn load(port: u16, dur: Duration, flood: bool) -> i32 {
    let stop = Arc::new(AtomicBool::new(false));
    let good = Arc::new(AtomicU64::new(0));
    let bad_answers = Arc::new(AtomicU64::new(0));
    let wrong = Arc::new(AtomicU64::new(0));
    let slow_open = Arc::new(AtomicU64::new(0));
    let mut threads = Vec::new();
    // Slowloris: 3 threads, 200 source addresses, 600 connections kept
    // open, each fed a byte every 100 ms; a closed one is reopened.
    for t in (0..3u8).filter(|_| flood) {
        let (stop, open) = (stop.clone(), slow_open.clone());
        threads.push(std::thread::spawn(move || {
            let mut conns: Vec<Option<TcpStream>> = (0..200).map(|_| None).collect();
            while !stop.load(Ordering::Relaxed) {
                for (i, c) in conns.iter_mut().enumerate() {
                    if c.is_none() {
                        let src = Ipv4Addr::new(127, 0, 1, 1 + ((i as u8) % 200).wrapping_add(t * 67) % 200);
                        if let Ok(s) = connect_from(src, port) {
                            s.set_nonblocking(true).ok();
                            open.fetch_add(1, Ordering::Relaxed);
                            *c = Some(s);
                        }
                    }
                    if let Some(s) = c {
                        if s.write(b"G").is_err() {
                            *c = None;
                        }
                    }
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }));
    }
    // Malformed: 2 threads.
    for t in (0..2u8).filter(|_| flood) {
        let (stop, answers) = (stop.clone(), bad_answers.clone());
        threads.push(std::thread::spawn(move || {
            let garbage: [&[u8]; 3] = [
                b"\x00\x01\x02 not http\r\n\r\n",
                b"GET / HTTP/1.1\r\nContent-Length: 999999\r\n\r\n",
                b"POST /confirm HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            ];
            let mut i = 0usize;
            while !stop.load(Ordering::Relaxed) {
                let src = Ipv4Addr::new(127, 0, 2, 1 + t);
                if let Ok(mut s) = connect_from(src, port) {
                    s.set_read_timeout(Some(Duration::from_secs(2))).ok();
                    let _ = s.write_all(garbage[i % 3]);
                    let mut b = [0u8; 12];
                    if s.read_exact(&mut b).is_ok()
                        && (b.starts_with(b"HTTP/1.1 400") || b.starts_with(b"HTTP/1.1 413"))
                    {
                        answers.fetch_add(1, Ordering::Relaxed);
                    }
                }
                i += 1;
            }
        }));
    }
    // Let the flood build up before the good clients count.
    std::thread::sleep(Duration::from_millis(500));
    let start = Instant::now();
    for _ in 0..4 {
        let (stop, good, wrong) = (stop.clone(), good.clone(), wrong.clone());
        threads.push(std::thread::spawn(move || {
            let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
            let req = format!("GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept-Language: vi\r\n\r\n");
            while !stop.load(Ordering::Relaxed) {
                let Ok(mut s) = TcpStream::connect(addr) else {
                    continue;
                };
                s.set_read_timeout(Some(Duration::from_secs(5))).ok();
                let _ = s.write_all(req.as_bytes());
                let mut out = Vec::with_capacity(8192);
                let _ = s.read_to_end(&mut out);
                let text = String::from_utf8_lossy(&out);
                if text.starts_with("HTTP/1.1 200 OK")
                    && text.contains("bench-pc")
                    && text.ends_with("</html>\n")
                {
                    good.fetch_add(1, Ordering::Relaxed);
                } else {
                    wrong.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    std::thread::sleep(dur);
    stop.store(true, Ordering::Relaxed);
    let secs = start.elapsed().as_secs_f64();
    for t in threads {
        let _ = t.join();
    }
    let (g, w, b, s) = (
        good.load(Ordering::Relaxed),
        wrong.load(Ordering::Relaxed),
        bad_answers.load(Ordering::Relaxed),
        slow_open.load(Ordering::Relaxed),
    );
    println!(
        "load flood={flood} secs={secs:.1} good={g} good_per_s={:.0} wrong={w} malformed_refused={b} slow_opened={s}",
        g as f64 / secs
    );
    if w > 0 || g == 0 || (flood && (b == 0 || s < 600)) {
        eprintln!(
            "noticebench: the run did not do what it claims (wrong={w}, refused={b}, good={g}, slow={s})"
        );
        return 1;
    }
    0
}
