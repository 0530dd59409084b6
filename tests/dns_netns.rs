//! The DNS sinkhole with real components in network namespaces:
//!
//! ```text
//!  lan (192.0.2.10, MAC 02:00:00:00:00:0a) ── router (192.0.2.1 | 198.51.100.1) ── wan (198.51.100.2)
//!      dig                                      iocguard run, dnsmasq (behind)       dnsmasq: the upstream
//! ```
//!
//! The spoofing test replaces the wan dnsmasq with a slow upstream of its
//! own and a spoofer flooding forged replies from the upstream's address.
//!
//! Needs root, `ip`, `dnsmasq` and `dig` (the spoofing test no
//! `dnsmasq`): the tests are ignored, fail when run without them, and
//! `make test` runs them where they are present (under `CI` they must be).

mod common;

use common::require::{require, Need};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_iocguard");

fn sh(script: &str) -> String {
    let o = Command::new("sh").args(["-c", script]).output().expect("sh");
    assert!(
        o.status.success(),
        "`{script}` failed: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The namespaces; removed (with everything running in them) on drop.
struct Lab {
    lan: String,
    rtr: String,
    wan: String,
    dir: PathBuf,
    children: Vec<Child>,
}

impl Drop for Lab {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        for ns in [&self.lan, &self.rtr, &self.wan] {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Lab {
    fn new(tag: &str) -> Lab {
        let id = format!("{}{}", tag, std::process::id() % 100_000);
        let dir = std::env::temp_dir().join(format!("iocgd-{id}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let lab = Lab {
            lan: format!("iocgd-l{id}"),
            rtr: format!("iocgd-r{id}"),
            wan: format!("iocgd-w{id}"),
            dir,
            children: Vec::new(),
        };
        let (l, r, w) = (&lab.lan, &lab.rtr, &lab.wan);
        sh(&format!(
            "set -e
            for n in {l} {r} {w}; do ip netns add $n; ip -n $n link set lo up; done
            ip link add vl{id} netns {l} type veth peer name vr{id} netns {r}
            ip link add vw{id} netns {w} type veth peer name vx{id} netns {r}
            ip -n {l} link set vl{id} address 02:00:00:00:00:0a
            ip -n {l} addr add 192.0.2.10/24 dev vl{id}; ip -n {l} link set vl{id} up
            ip -n {r} addr add 192.0.2.1/24 dev vr{id}; ip -n {r} link set vr{id} up
            ip -n {r} addr add 198.51.100.1/24 dev vx{id}; ip -n {r} link set vx{id} up
            ip -n {w} addr add 198.51.100.2/24 dev vw{id}; ip -n {w} link set vw{id} up"
        ));
        lab
    }

    fn spawn(&mut self, ns: &str, args: &[&str], log: &str) {
        let out = std::fs::File::create(self.dir.join(log)).unwrap();
        let c = Command::new("ip")
            .args(["netns", "exec", ns])
            .args(args)
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .expect("spawn");
        self.children.push(c);
    }

    /// The upstream: dnsmasq in wan answering the test zone.
    fn upstream(&mut self) {
        let wan = self.wan.clone();
        self.spawn(
            &wan,
            &[
                "dnsmasq",
                "--no-daemon",
                "--conf-file=/dev/null",
                "-k",
                "--no-resolv",
                "--no-hosts",
                "--listen-address=198.51.100.2",
                "--bind-interfaces",
                "--host-record=www.fwd.test,203.0.113.8",
                "--txt-record=txt.fwd.test,\"hello from upstream\"",
                "--address=/wild.fwd.test/203.0.113.9",
            ],
            "upstream.log",
        );
        self.wait_dns(&self.wan.clone(), "198.51.100.2", 53, "www.fwd.test");
    }

    /// A config using the shared cache, writing to its own run dir.
    fn config(&self, name: &str, dns: &str) -> PathBuf {
        let run = self.dir.join(format!("run-{name}"));
        let text = format!(
            "config iocguard 'main'\n\toption state_dir '{state}'\n\toption run_dir '{run}'\n\
             \tlist lan '192.0.2.0/24'\n\nconfig dns 'dns'\n{dns}\n\
             config feed 'campaign'\n\toption url '{feed}'\n",
            state = self.dir.join("state").display(),
            run = run.display(),
            feed = self.dir.join("feed.txt").display(),
        );
        let p = self.dir.join(format!("{name}.config"));
        std::fs::write(&p, text).unwrap();
        p
    }

    fn feed(&self, domains: &[&str]) {
        std::fs::write(self.dir.join("feed.txt"), domains.join("\n") + "\n").unwrap();
    }

    fn sync(&self, cfg: &Path) {
        let o = Command::new(BIN)
            .args(["--config", cfg.to_str().unwrap(), "sync", "--no-apply"])
            .output()
            .unwrap();
        assert!(o.status.success(), "sync: {}", String::from_utf8_lossy(&o.stderr));
    }

    fn run_iocguard(&mut self, cfg: &Path, log: &str, port: u16) {
        let rtr = self.rtr.clone();
        self.spawn(&rtr, &[BIN, "--config", cfg.to_str().unwrap(), "-v", "run"], log);
        self.wait_dns(&self.lan.clone(), "192.0.2.1", port, "www.fwd.test");
    }

    fn wait_dns(&self, ns: &str, server: &str, port: u16, name: &str) {
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(10) {
            if dig(ns, server, port, &[name]).contains("status: NOERROR") {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("no DNS answer from {server}:{port} in {ns}");
    }
}

fn dig(ns: &str, server: &str, port: u16, args: &[&str]) -> String {
    let o = Command::new("ip")
        .args([
            "netns",
            "exec",
            ns,
            "dig",
            &format!("@{server}"),
            "-p",
            &port.to_string(),
        ])
        .args(["+tries=1", "+time=4"])
        .args(args)
        .output()
        .expect("dig");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The answer section lines of a dig output (TTL column dropped).
fn answers(out: &str) -> Vec<String> {
    out.lines()
        .skip_while(|l| !l.starts_with(";; ANSWER SECTION"))
        .skip(1)
        .take_while(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            format!("{} {}", f[0], f[2..].join(" "))
        })
        .collect()
}

#[test]
#[ignore = "needs root, ip, dnsmasq and dig: make test runs it when present"]
fn front_mode_blocks_forwards_refuses_reloads_and_survives_upstream_loss() {
    require(&[Need::Root, Need::Ip, Need::Dnsmasq, Need::Dig]);
    let mut lab = Lab::new("f");
    lab.upstream();
    lab.feed(&["evil.example", "bad.test"]);
    let up = "\tlist upstream '198.51.100.2'\n\toption rate_limit '0'";
    let nx = lab.config(
        "nx",
        &format!("\toption mode 'front'\n\tlist listen '0.0.0.0:53'\n{up}"),
    );
    let zero = lab.config(
        "zero",
        &format!("\toption mode 'front'\n\tlist listen '192.0.2.1:5301'\n\toption answer 'zero'\n{up}"),
    );
    let sink = lab.config(
        "sink",
        &format!(
            "\toption mode 'front'\n\tlist listen '192.0.2.1:5302'\n\toption answer '203.0.113.99'\n\
             \toption ttl '7'\n{up}"
        ),
    );
    lab.sync(&nx);
    lab.run_iocguard(&nx, "nx.log", 53);
    lab.run_iocguard(&zero, "zero.log", 5301);
    lab.run_iocguard(&sink, "sink.log", 5302);
    let (lan, wan) = (lab.lan.clone(), lab.wan.clone());

    // Listed domain and subdomains, every answer kind.
    for name in ["evil.example", "www.evil.example", "a.b.BAD.test"] {
        let o = dig(&lan, "192.0.2.1", 53, &[name, "A"]);
        assert!(o.contains("status: NXDOMAIN"), "{name}: {o}");
        assert!(o.contains("5\tIN\tSOA\tiocguard.invalid."), "{name}: {o}");
    }
    let o = dig(&lan, "192.0.2.1", 5301, &["x.evil.example", "A"]);
    assert_eq!(answers(&o), ["x.evil.example. IN A 0.0.0.0"], "{o}");
    let o = dig(&lan, "192.0.2.1", 5301, &["x.evil.example", "AAAA"]);
    assert_eq!(answers(&o), ["x.evil.example. IN AAAA ::"], "{o}");
    let o = dig(&lan, "192.0.2.1", 5302, &["evil.example", "A"]);
    assert_eq!(answers(&o), ["evil.example. IN A 203.0.113.99"], "{o}");
    assert!(o.contains("\t7\tIN\tA"), "ttl 7: {o}");

    // Unlisted names: the upstream's answer, intact (TXT, flags, EDNS).
    for (name, t) in [
        ("www.fwd.test", "A"),
        ("txt.fwd.test", "TXT"),
        ("q.wild.fwd.test", "A"),
    ] {
        let via = dig(&lan, "192.0.2.1", 53, &[name, t, "+dnssec"]);
        let direct = dig(&wan, "198.51.100.2", 53, &[name, t, "+dnssec"]);
        assert!(via.contains("status: NOERROR"), "{via}");
        assert_eq!(answers(&via), answers(&direct), "{via}\n{direct}");
        assert!(!answers(&via).is_empty());
        let flags = |o: &str| o.lines().find(|l| l.contains(";; flags:")).map(str::to_string);
        assert_eq!(flags(&via), flags(&direct));
    }

    // TCP, blocked and forwarded.
    let o = dig(&lan, "192.0.2.1", 53, &["+tcp", "www.evil.example", "A"]);
    assert!(o.contains("status: NXDOMAIN"), "{o}");
    let o = dig(&lan, "192.0.2.1", 53, &["+tcp", "www.fwd.test", "A"]);
    assert_eq!(answers(&o), ["www.fwd.test. IN A 203.0.113.8"], "{o}");

    // Not from the LAN: REFUSED, never an open resolver.
    let o = dig(&wan, "198.51.100.1", 53, &["www.fwd.test", "A"]);
    assert!(o.contains("status: REFUSED"), "{o}");
    assert!(answers(&o).is_empty());

    // Attribution: client address and its MAC from the neighbour table.
    let ev = events_until(&nx, "\"name\":\"a.b.bad.test\"");
    let line = ev
        .lines()
        .find(|l| l.contains("\"name\":\"a.b.bad.test\""))
        .unwrap_or_else(|| panic!("no event: {ev}"));
    assert!(line.contains("\"kind\":\"dns\""), "{line}");
    assert!(line.contains("\"src\":\"192.0.2.10\""), "{line}");
    assert!(line.contains("\"mac\":\"02:00:00:00:00:0a\""), "{line}");
    assert!(line.contains("\"listed\":\"bad.test\""), "{line}");
    assert!(line.contains("\"feeds\":[\"campaign\"]"), "{line}");

    // A reload during a query storm loses nothing: 1500 queries, mixed
    // blocked and forwarded, while the feed changes and sync signals the
    // daemon three times; every query gets an answer.
    let mut batch = String::new();
    for i in 0..1500 {
        let name = if i % 2 == 0 {
            format!("h{i}.evil.example")
        } else {
            format!("h{i}.wild.fwd.test")
        };
        batch.push_str(&format!("{name} A\n"));
    }
    std::fs::write(lab.dir.join("storm.txt"), &batch).unwrap();
    let storm = Command::new("ip")
        .args([
            "netns",
            "exec",
            &lan,
            "dig",
            "@192.0.2.1",
            "+tries=1",
            "+time=3",
            "+noall",
            "+comments",
            "-f",
        ])
        .arg(lab.dir.join("storm.txt"))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    for round in 0..3 {
        std::thread::sleep(Duration::from_millis(300));
        let extra = format!("new{round}.example");
        lab.feed(&["evil.example", "bad.test", &extra]);
        lab.sync(&nx);
    }
    let out = storm.wait_with_output().unwrap();
    let out = String::from_utf8_lossy(&out.stdout);
    let nxd = out.matches("status: NXDOMAIN").count();
    let ok = out.matches("status: NOERROR").count();
    assert_eq!(
        (nxd, ok),
        (750, 750),
        "lost answers during reload:\n{}",
        &out[..out.len().min(2000)]
    );
    let o = dig(&lan, "192.0.2.1", 53, &["x.new2.example", "A"]);
    assert!(o.contains("status: NXDOMAIN"), "reloaded set in use: {o}");

    // Upstream down: SERVFAIL within the timeout; blocked names still work.
    sh(&format!(
        "ip -n {wan} link set lo down; ip netns exec {wan} pkill -x dnsmasq || true"
    ));
    lab.children
        .retain_mut(|c| c.try_wait().map_or(true, |s| s.is_none()));
    let t = Instant::now();
    let o = dig(&lan, "192.0.2.1", 53, &["nothere.fwd.test", "A"]);
    let took = t.elapsed();
    assert!(o.contains("status: SERVFAIL"), "{o}");
    assert!(took < Duration::from_millis(3500), "SERVFAIL took {took:?}");
    let t = Instant::now();
    let o = dig(&lan, "192.0.2.1", 53, &["www.evil.example", "A"]);
    assert!(o.contains("status: NXDOMAIN"), "{o}");
    assert!(t.elapsed() < Duration::from_secs(1));
}

#[test]
#[ignore = "needs root, ip, dnsmasq and dig: make test runs it when present"]
fn behind_mode_attributes_the_lan_host_not_the_router() {
    require(&[Need::Root, Need::Ip, Need::Dnsmasq, Need::Dig]);
    let mut lab = Lab::new("b");
    lab.upstream();
    lab.feed(&["evil.example"]);
    let cfg = lab.config(
        "behind",
        "\toption mode 'behind'\n\tlist listen '127.0.0.1:5354'\n\tlist upstream '198.51.100.2'",
    );
    lab.sync(&cfg);
    let rtr = lab.rtr.clone();
    lab.spawn(
        &rtr,
        &[BIN, "--config", cfg.to_str().unwrap(), "-v", "run"],
        "behind.log",
    );
    lab.wait_dns(&rtr, "127.0.0.1", 5354, "www.fwd.test");
    // dnsmasq on the router's port 53, forwarding everything to iocguard
    // with the client's MAC and address attached.
    lab.spawn(
        &rtr,
        &[
            "dnsmasq",
            "--no-daemon",
            "--conf-file=/dev/null",
            "-k",
            "--no-resolv",
            "--no-hosts",
            "--listen-address=192.0.2.1",
            "--bind-interfaces",
            "--server=127.0.0.1#5354",
            "--add-mac",
            "--add-subnet=32,128",
            "--no-negcache",
        ],
        "dnsmasq-router.log",
    );
    // OpenWrt's wiring (openwrt/files/iocguard.dnsmasq): add-mac only;
    // iocguard finds the address from the MAC in the neighbour table.
    lab.spawn(
        &rtr,
        &[
            "dnsmasq",
            "--no-daemon",
            "--conf-file=/dev/null",
            "-k",
            "--no-resolv",
            "--no-hosts",
            "--listen-address=192.0.2.1",
            "--port=5300",
            "--bind-interfaces",
            "--server=127.0.0.1#5354",
            "--add-mac",
            "--no-negcache",
        ],
        "dnsmasq-router-mac-only.log",
    );
    let lan = lab.lan.clone();
    lab.wait_dns(&lan, "192.0.2.1", 53, "www.fwd.test");
    lab.wait_dns(&lan, "192.0.2.1", 5300, "www.fwd.test");
    let o = dig(&lan, "192.0.2.1", 5300, &["c3.evil.example", "A"]);
    assert!(o.contains("status: NXDOMAIN"), "{o}");
    let o = dig(&lan, "192.0.2.1", 53, &["c2.evil.example", "A"]);
    assert!(o.contains("status: NXDOMAIN"), "{o}");
    let o = dig(&lan, "192.0.2.1", 53, &["www.fwd.test", "A"]);
    assert_eq!(answers(&o), ["www.fwd.test. IN A 203.0.113.8"], "{o}");
    let ev = events_until(&cfg, "c2.evil.example");
    let line = ev
        .lines()
        .find(|l| l.contains("c2.evil.example"))
        .unwrap_or_else(|| panic!("no event: {ev}"));
    assert!(line.contains("\"mac\":\"02:00:00:00:00:0a\""), "{line}");
    assert!(line.contains("\"src\":\"192.0.2.10\""), "{line}");
    let line = ev
        .lines()
        .find(|l| l.contains("c3.evil.example"))
        .unwrap_or_else(|| panic!("no event: {ev}"));
    assert!(line.contains("\"mac\":\"02:00:00:00:00:0a\""), "{line}");
    assert!(line.contains("\"src\":\"192.0.2.10\""), "{line}");
}

/// `iocguard events --json` once it holds a line containing `needle`
/// (the daemon writes its event log within a fraction of a second).
fn events_until(cfg: &std::path::Path, needle: &str) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let ev = Command::new(BIN)
            .args([
                "--config",
                cfg.to_str().unwrap(),
                "events",
                "--json",
                "--tail",
                "1000",
            ])
            .output()
            .unwrap();
        let ev = String::from_utf8_lossy(&ev.stdout).into_owned();
        if ev.contains(needle) || std::time::Instant::now() > deadline {
            return ev;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Runs `f` on a thread that has entered network namespace `ns` (`setns`
/// is per thread, so the test's other threads stay where they are).
fn in_ns<T: Send + 'static>(ns: &str, f: impl FnOnce() -> T + Send + 'static) -> std::thread::JoinHandle<T> {
    let path = format!("/var/run/netns/{ns}");
    std::thread::spawn(move || {
        let fd = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        nix::sched::setns(&fd, nix::sched::CloneFlags::CLONE_NEWNET).expect("setns");
        f()
    })
}

/// The question of a query: its name in lower case and where it ends.
fn question(q: &[u8]) -> Option<(String, usize)> {
    let mut p = 12;
    let mut labels = Vec::new();
    loop {
        let n = *q.get(p)? as usize;
        if n == 0 {
            break;
        }
        labels.push(String::from_utf8_lossy(q.get(p + 1..p + 1 + n)?).to_lowercase());
        p += 1 + n;
    }
    Some((labels.join("."), p + 5))
}

/// An answer to `query` (header and question up to `end`) with one A record.
fn a_reply(query: &[u8], end: usize, addr: [u8; 4]) -> Vec<u8> {
    let mut r = query[..end].to_vec();
    r[2] |= 0x80;
    r[3] = 0x80;
    r[6..12].copy_from_slice(&[0, 1, 0, 0, 0, 0]);
    r.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4]);
    r.extend_from_slice(&addr);
    r
}

#[test]
#[ignore = "needs root, ip and dig: make test runs it when present"]
fn forged_replies_flooded_from_the_wan_never_reach_the_lan_client() {
    use std::net::UdpSocket;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::sync::{Arc, Mutex};
    require(&[Need::Root, Need::Ip, Need::Dig]);
    let mut lab = Lab::new("s");
    let (lan, wan) = (lab.lan.clone(), lab.wan.clone());
    // The upstream, in wan: `probe.fwd.test` answered at once (as an
    // attacker's own domain would be: the attacker sees the router's
    // source port and ID), `www.fwd.test` after 500 ms (a slow upstream
    // keeps the spoofing window wide open).
    let up = in_ns(&wan, || UdpSocket::bind("198.51.100.2:53").unwrap())
        .join()
        .unwrap();
    let probes = Arc::new(Mutex::new(Vec::<(u16, u16)>::new()));
    let (up2, probes2) = (up.try_clone().unwrap(), probes.clone());
    std::thread::spawn(move || {
        let mut buf = [0u8; 1500];
        while let Ok((n, from)) = up2.recv_from(&mut buf) {
            let q = buf[..n].to_vec();
            let Some((name, end)) = question(&q) else { continue };
            let id = u16::from_be_bytes([q[0], q[1]]);
            let s = up2.try_clone().unwrap();
            match name.as_str() {
                "probe.fwd.test" => {
                    probes2.lock().unwrap().push((from.port(), id));
                    let _ = s.send_to(&a_reply(&q, end, [203, 0, 113, 1]), from);
                }
                "www.fwd.test" => {
                    std::thread::spawn(move || {
                        std::thread::sleep(Duration::from_millis(500));
                        let _ = s.send_to(&a_reply(&q, end, [203, 0, 113, 8]), from);
                    });
                }
                _ => {}
            }
        }
    });
    lab.feed(&["evil.example"]);
    let cfg = lab.config(
        "spoof",
        "\toption mode 'front'\n\tlist listen '192.0.2.1:53'\n\tlist upstream '198.51.100.2'\n\
         \toption rate_limit '0'",
    );
    lab.sync(&cfg);
    lab.run_iocguard(&cfg, "spoof.log", 53);

    // What an off-path attacker learns from queries for its own domain:
    // the source ports and IDs. Each query has its own port and ID.
    let mut args = vec!["+short"];
    args.extend(["probe.fwd.test"; 20]);
    let o = dig(&lan, "192.0.2.1", 53, &args);
    assert_eq!(o.matches("203.0.113.1").count(), 20, "{o}");
    let seen = probes.lock().unwrap().clone();
    let ports: std::collections::HashSet<u16> = seen.iter().map(|p| p.0).collect();
    let ids: std::collections::HashSet<u16> = seen.iter().map(|p| p.1).collect();
    assert!(
        seen.len() >= 20 && ports.len() >= 18 && ids.len() >= 18,
        "{seen:?}"
    );

    // The spoofer, in wan, from the upstream's address and port (a clone
    // of its socket, used only to send): forged answers to www.fwd.test
    // (right question, forged address, random IDs), nine in ten at the
    // ports it learnt, the rest at random ports.
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let (spoof, stop2, sent2) = (up.try_clone().unwrap(), stop.clone(), sent.clone());
    let learnt: Vec<u16> = ports.into_iter().collect();
    let flood = std::thread::spawn(move || {
        let mut q = vec![0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        q.extend_from_slice(b"\x03www\x03fwd\x04test\x00\x00\x01\x00\x01");
        let end = q.len();
        let mut forged = a_reply(&q, end, [203, 0, 113, 66]);
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15 ^ u64::from(std::process::id());
        while !stop2.load(Ordering::Relaxed) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            forged[..2].copy_from_slice(&(x as u16).to_be_bytes());
            let port = if (x >> 16) % 10 < 9 {
                learnt[(x >> 24) as usize % learnt.len()]
            } else {
                1024 + ((x >> 40) % 64512) as u16
            };
            if spoof.send_to(&forged, ("198.51.100.1", port)).is_ok() {
                sent2.fetch_add(1, Ordering::Relaxed);
            }
        }
    });

    // Meanwhile the LAN client resolves the benign name, 40 times.
    std::thread::sleep(Duration::from_millis(200));
    let mut args = vec!["+short"];
    args.extend(["www.fwd.test"; 40]);
    let o = dig(&lan, "192.0.2.1", 53, &args);
    stop.store(true, Ordering::Relaxed);
    flood.join().unwrap();
    let sent = sent.load(Ordering::Relaxed);
    assert!(!o.contains("203.0.113.66"), "a forged answer got through:\n{o}");
    assert_eq!(
        o.matches("203.0.113.8").count(),
        40,
        "every query answered genuinely:\n{o}"
    );
    // The flood really ran through the whole window (over 20 s).
    assert!(sent > 10_000, "only {sent} forged replies sent");
    eprintln!("{sent} forged replies sent during 40 slow lookups");
}
