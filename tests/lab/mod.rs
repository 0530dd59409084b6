//! The network-namespace lab: real packets between a LAN host, a router
//! running iocguard and nftables, and WAN servers playing malicious and
//! benign destinations. Only documentation addresses are used and the
//! namespaces have no link to the host, so no packet can leave.
//!
//! ```text
//!  lan ns                      router ns                       wan ns
//!  eth0 192.0.2.10/24  ─veth─  lan0 192.0.2.1/24
//!       2001:db8:1::10/64           2001:db8:1::1/64
//!       MAC 02:00:00:00:01:10  wan0 198.51.100.1/24  ─veth─  eth0 198.51.100.2/24
//!                                   2001:db8:2::1/64               2001:db8:2::2/64
//!                                                            lo: local 203.0.113.0/24,
//!                                                                local 2001:db8:3::/48
//! ```
//!
//! The WAN namespace answers for every address of 203.0.113.0/24 and
//! 2001:db8:3::/48 (AnyIP local routes), so a test can probe any address
//! inside and outside a listed CIDR. Servers run as threads of the test
//! process that entered the WAN namespace (`setns` is per thread); probes
//! run the same way in the LAN or router namespace.
//!
//! Needs root, `ip` and `nft`: every lab test is `#[ignore = "needs root,
//! ip and nft: …"]` and starts with `common::require::require`, so it fails
//! when run without them; `make test` (tests/run.sh) runs the lab tests
//! where they are present and reports them as skipped otherwise.

#![allow(dead_code)]

pub mod daemon;

use nix::sched::{setns, CloneFlags};
use std::fs::File;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// The LAN host's fixed MAC.
pub const LAN_MAC: &str = "02:00:00:00:01:10";
/// The LAN host's addresses.
pub const LAN_V4: &str = "192.0.2.10";
/// The LAN host's IPv6 address.
pub const LAN_V6: &str = "2001:db8:1::10";
/// TCP port the WAN servers listen on.
pub const TCP_PORT: u16 = 8080;
/// UDP echo port of the WAN servers.
pub const UDP_PORT: u16 = 8081;

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// Runs `cmd args…`, panicking with its stderr on failure.
pub fn sh(cmd: &str, args: &[&str]) -> Output {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd}: {e}"));
    if !out.status.success() {
        panic!(
            "{cmd} {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    out
}

/// A lab: three namespaces, deleted on drop.
pub struct Lab {
    /// The LAN host's namespace.
    pub lan: String,
    /// The router's namespace.
    pub router: String,
    /// The WAN servers' namespace.
    pub wan: String,
    /// iocguard's run directory for this lab.
    pub run_dir: PathBuf,
    /// Connections the WAN TCP server accepted.
    pub accepted: Arc<AtomicUsize>,
    /// Datagrams the WAN UDP server received.
    pub datagrams: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    servers: Vec<JoinHandle<()>>,
}

impl Lab {
    /// Builds the topology and starts the WAN servers.
    pub fn new() -> Lab {
        let id = format!(
            "iocg-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        let mut lab = Lab {
            lan: format!("{id}-lan"),
            router: format!("{id}-rtr"),
            wan: format!("{id}-wan"),
            run_dir: std::env::temp_dir().join(&id),
            accepted: Arc::new(AtomicUsize::new(0)),
            datagrams: Arc::new(AtomicUsize::new(0)),
            stop: Arc::new(AtomicBool::new(false)),
            servers: Vec::new(),
        };
        let (l, r, w) = (lab.lan.clone(), lab.router.clone(), lab.wan.clone());
        for ns in [&l, &r, &w] {
            sh("ip", &["netns", "add", ns]);
            sh("ip", &["-n", ns, "link", "set", "lo", "up"]);
        }
        #[rustfmt::skip]
        let steps: &[&[&str]] = &[
            &["-n", &l, "link", "add", "eth0", "address", LAN_MAC, "type", "veth", "peer", "name", "lan0", "netns", &r],
            &["-n", &w, "link", "add", "eth0", "type", "veth", "peer", "name", "wan0", "netns", &r],
            &["-n", &l, "addr", "add", "192.0.2.10/24", "dev", "eth0"],
            &["-n", &l, "addr", "add", "2001:db8:1::10/64", "dev", "eth0", "nodad"],
            &["-n", &r, "addr", "add", "192.0.2.1/24", "dev", "lan0"],
            &["-n", &r, "addr", "add", "2001:db8:1::1/64", "dev", "lan0", "nodad"],
            &["-n", &r, "addr", "add", "198.51.100.1/24", "dev", "wan0"],
            &["-n", &r, "addr", "add", "2001:db8:2::1/64", "dev", "wan0", "nodad"],
            &["-n", &w, "addr", "add", "198.51.100.2/24", "dev", "eth0"],
            &["-n", &w, "addr", "add", "2001:db8:2::2/64", "dev", "eth0", "nodad"],
            &["-n", &l, "link", "set", "eth0", "up"],
            &["-n", &r, "link", "set", "lan0", "up"],
            &["-n", &r, "link", "set", "wan0", "up"],
            &["-n", &w, "link", "set", "eth0", "up"],
            &["-n", &l, "route", "add", "default", "via", "192.0.2.1"],
            &["-n", &l, "-6", "route", "add", "default", "via", "2001:db8:1::1"],
            &["-n", &w, "route", "add", "default", "via", "198.51.100.1"],
            &["-n", &w, "-6", "route", "add", "default", "via", "2001:db8:2::1"],
            &["-n", &r, "route", "add", "203.0.113.0/24", "via", "198.51.100.2"],
            &["-n", &r, "-6", "route", "add", "2001:db8:3::/48", "via", "2001:db8:2::2"],
            &["-n", &w, "route", "add", "local", "203.0.113.0/24", "dev", "lo"],
            &["-n", &w, "-6", "route", "add", "local", "2001:db8:3::/48", "dev", "lo"],
        ];
        for s in steps {
            sh("ip", s);
        }
        sh(
            "ip",
            &[
                "netns",
                "exec",
                &r,
                "sysctl",
                "-qw",
                "net.ipv4.ip_forward=1",
                "net.ipv6.conf.all.forwarding=1",
            ],
        );
        lab.start_servers();
        lab.wait_ready();
        lab
    }

    /// Waits until the LAN host reaches the WAN over both families (veth
    /// carrier and IPv6 neighbour discovery take a moment), then zeroes
    /// the servers' counters.
    fn wait_ready(&self) {
        let lan = self.lan.clone();
        let ok = in_ns(&lan, || {
            let deadline = std::time::Instant::now() + Duration::from_secs(10);
            let mut up = [false; 2];
            while std::time::Instant::now() < deadline && !(up[0] && up[1]) {
                for (i, a) in ["198.51.100.2:8080", "[2001:db8:2::2]:8080"].iter().enumerate() {
                    if !up[i] {
                        up[i] = tcp_probe(sa(a), Duration::from_millis(500)) == Tcp::Connected;
                    }
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            up
        });
        assert_eq!(ok, [true, true], "lab network did not come up");
        self.accepted.store(0, Ordering::SeqCst);
        self.datagrams.store(0, Ordering::SeqCst);
    }

    fn start_servers(&mut self) {
        let (stop, acc) = (self.stop.clone(), self.accepted.clone());
        let wan = self.wan.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        self.servers.push(std::thread::spawn(move || {
            enter(&wan);
            let l = TcpListener::bind(("::", TCP_PORT)).expect("bind tcp");
            l.set_nonblocking(true).expect("nonblocking");
            tx.send(()).ok();
            while !stop.load(Ordering::Relaxed) {
                match l.accept() {
                    Ok((mut s, _)) => {
                        acc.fetch_add(1, Ordering::SeqCst);
                        let _ = s.write_all(b"hello\n");
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(2)),
                }
            }
        }));
        let (stop, dg) = (self.stop.clone(), self.datagrams.clone());
        let wan = self.wan.clone();
        let (tx2, rx2) = std::sync::mpsc::channel();
        self.servers.push(std::thread::spawn(move || {
            enter(&wan);
            let u = UdpSocket::bind(("::", UDP_PORT)).expect("bind udp");
            u.set_read_timeout(Some(Duration::from_millis(50))).ok();
            tx2.send(()).ok();
            let mut buf = [0u8; 1500];
            while !stop.load(Ordering::Relaxed) {
                if let Ok((n, from)) = u.recv_from(&mut buf) {
                    dg.fetch_add(1, Ordering::SeqCst);
                    let _ = u.send_to(&buf[..n], from);
                }
            }
        }));
        rx.recv().expect("tcp server up");
        rx2.recv().expect("udp server up");
    }

    /// Runs `iocguard ARGS…` in the router namespace.
    pub fn iocguard(&self, args: &[&str]) -> Output {
        let run_dir = self.run_dir.to_string_lossy().to_string();
        let mut a: Vec<&str> = vec!["netns", "exec", &self.router, env!("CARGO_BIN_EXE_iocguard")];
        a.extend_from_slice(args);
        if matches!(args.first(), Some(&"apply" | &"flush" | &"status")) {
            a.extend_from_slice(&["--run-dir", &run_dir]);
        }
        Command::new("ip").args(&a).output().expect("run iocguard")
    }

    /// `iocguard apply` with the lab's standard options and `feed`.
    pub fn apply(&self, feed: &std::path::Path, extra: &[&str]) -> Output {
        let f = feed.to_string_lossy().to_string();
        let mut a = vec![
            "apply",
            "--feed",
            &f,
            "--allow-reserved",
            "203.0.113.0/24",
            "--allow-reserved",
            "2001:db8::/32",
            "--lan",
            "192.0.2.0/24",
            "--lan",
            "2001:db8:1::/64",
        ];
        a.extend_from_slice(extra);
        let out = self.iocguard(&a);
        assert!(
            out.status.success(),
            "apply failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// Runs `nft ARGS…` in the router namespace.
    pub fn nft(&self, args: &[&str]) -> Output {
        let mut a = vec!["netns", "exec", &self.router, "nft"];
        a.extend_from_slice(args);
        Command::new("ip").args(&a).output().expect("run nft")
    }

    /// Writes a feed file in the lab's run directory.
    pub fn feed(&self, name: &str, body: &str) -> PathBuf {
        std::fs::create_dir_all(&self.run_dir).expect("run dir");
        let p = self.run_dir.join(name);
        std::fs::write(&p, body).expect("write feed");
        p
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for s in self.servers.drain(..) {
            let _ = s.join();
        }
        for ns in [&self.lan, &self.router, &self.wan] {
            let _ = Command::new("ip").args(["netns", "del", ns]).output();
        }
        let _ = std::fs::remove_dir_all(&self.run_dir);
    }
}

/// Moves the calling thread into namespace `ns`.
pub fn enter(ns: &str) {
    let f = File::open(format!("/run/netns/{ns}")).unwrap_or_else(|e| panic!("open netns {ns}: {e}"));
    setns(&f, CloneFlags::CLONE_NEWNET).unwrap_or_else(|e| panic!("setns {ns}: {e}"));
}

/// Runs `f` on a thread inside namespace `ns` and returns its result.
pub fn in_ns<T: Send + 'static>(ns: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let ns = ns.to_string();
    std::thread::spawn(move || {
        enter(&ns);
        f()
    })
    .join()
    .expect("namespace thread panicked")
}

/// What a TCP connection attempt came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tcp {
    /// Connected and read the server's greeting.
    Connected,
    /// Refused at once (TCP reset).
    Reset,
    /// ICMP unreachable (EHOSTUNREACH/EACCES/ENETUNREACH).
    Unreachable,
    /// No answer in time (a drop).
    Timeout,
}

/// One TCP connection attempt to `addr`.
pub fn tcp_probe(addr: SocketAddr, timeout: Duration) -> Tcp {
    match TcpStream::connect_timeout(&addr, timeout) {
        Ok(mut s) => {
            s.set_read_timeout(Some(timeout)).ok();
            let mut b = [0u8; 6];
            let _ = s.read_exact(&mut b);
            Tcp::Connected
        }
        Err(e) if e.kind() == ErrorKind::ConnectionRefused => Tcp::Reset,
        Err(e) if e.kind() == ErrorKind::TimedOut || e.kind() == ErrorKind::WouldBlock => Tcp::Timeout,
        Err(_) => Tcp::Unreachable,
    }
}

/// What a UDP exchange came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Udp {
    /// The echo came back.
    Echoed,
    /// An ICMP error was reported on the socket.
    IcmpError(i32),
    /// Nothing came back.
    Silent,
}

/// Sends one datagram to `addr` and waits for the echo or an ICMP error.
pub fn udp_probe(addr: SocketAddr) -> Udp {
    let bind: SocketAddr = if addr.is_ipv4() {
        "0.0.0.0:0".parse().unwrap()
    } else {
        "[::]:0".parse().unwrap()
    };
    let s = UdpSocket::bind(bind).expect("udp bind");
    s.connect(addr).expect("udp connect");
    s.set_read_timeout(Some(Duration::from_millis(1500))).ok();
    let mut b = [0u8; 64];
    for _ in 0..3 {
        if let Err(e) = s.send(b"probe") {
            return Udp::IcmpError(e.raw_os_error().unwrap_or(0));
        }
        match s.recv(&mut b) {
            Ok(_) => return Udp::Echoed,
            Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::TimedOut => continue,
            Err(e) => return Udp::IcmpError(e.raw_os_error().unwrap_or(0)),
        }
    }
    Udp::Silent
}

/// Parses "ip:port" / "[ip6]:port".
pub fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap_or_else(|_| panic!("bad socket address {s}"))
}
