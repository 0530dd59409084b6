//! The notice page for real: the lab's router runs `iocguard run` with
//! the real ruleset, its NFLOG group and the notice page; LAN hosts are
//! network namespaces with their own MACs; headless Chromium (driven over
//! the DevTools protocol, tests/browser/cdp.py) is the infected user's
//! browser.
//!
//! - an infected host's plain HTTP to a benign WAN server lands on the
//!   notice page naming it (hostname, MAC, count, tool link, contact);
//!   the captive-portal probe is redirected for it and answered normally
//!   for a clean host; its HTTPS (443) reaches the WAN server untouched;
//! - "I understand", clicked with the mouse, takes it out of the notice
//!   set, and its next request reaches the WAN server; `hosts` and the
//!   report count the notified user;
//! - a host whose DHCP hostname is markup gets a page where nothing runs;
//! - an HTTP request to the sinkhole address for a blocked name lands on
//!   the page naming that name;
//! - when the daemon stops, nobody is redirected any more.

mod common;
mod lab;

use common::require::{require, Need};
use lab::daemon::{ok, wait_for, Daemon};
use lab::{enter, in_ns, sa, sh, tcp_probe, Lab, Tcp, LAN_MAC, LAN_V4};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

const PORT: u16 = 8800;
const WAN_WEB: &str = "198.51.100.2";
const SINKHOLE: &str = "198.51.100.53";
const CLEAN_MAC: &str = "02:00:00:00:01:20";
const CLEAN_V4: &str = "192.0.2.20";
const HOSTILE_MAC: &str = "02:00:00:00:01:30";
const HOSTILE_V4: &str = "192.0.2.30";
/// A DHCP hostname a device chose to attack the admin's and the user's
/// pages (no spaces: the lease file is space-separated).
const HOSTILE_NAME: &str = "<img/src=x/onerror=document.title=1><script>alert(2)</script>";
const PHONE: &str = "024 3999 0000";
const TOOL: &str = "https://khonggianmang.vn/";

/// An extra LAN host: a namespace holding a macvlan of the LAN namespace's
/// link, with its own MAC and address. Deleted on drop.
struct Side {
    ns: String,
}

impl Side {
    fn new(lab: &Lab, tag: &str, mac: &str, v4: &str) -> Side {
        let ns = format!("{}-{tag}", lab.lan);
        let link = format!("mv{tag}");
        sh("ip", &["netns", "add", &ns]);
        #[rustfmt::skip]
        let steps: &[&[&str]] = &[
            &["-n", &lab.lan, "link", "add", &link, "link", "eth0", "address", mac, "type", "macvlan", "mode", "bridge"],
            &["-n", &lab.lan, "link", "set", &link, "netns", &ns],
            &["-n", &ns, "link", "set", "lo", "up"],
            &["-n", &ns, "addr", "add", &format!("{v4}/24"), "dev", &link],
            &["-n", &ns, "link", "set", &link, "up"],
            &["-n", &ns, "route", "add", "default", "via", "192.0.2.1"],
        ];
        for s in steps {
            sh("ip", s);
        }
        Side { ns }
    }
}

impl Drop for Side {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.ns]).output();
    }
}

/// The benign web server on the WAN side: port 80 answers every path with
/// a page (and `/generate_204` with 204, as Google's probe server does),
/// port 443 greets with a banner (the test only needs to see that the
/// connection reached it, not TLS).
struct Web {
    stop: Arc<AtomicBool>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Web {
    fn start(lab: &Lab) -> Web {
        let stop = Arc::new(AtomicBool::new(false));
        let mut threads = Vec::new();
        for port in [80u16, 443] {
            let (stop, wan) = (stop.clone(), lab.wan.clone());
            let (tx, rx) = std::sync::mpsc::channel();
            threads.push(std::thread::spawn(move || {
                enter(&wan);
                let l = TcpListener::bind(("::", port)).expect("bind the WAN web server");
                l.set_nonblocking(true).unwrap();
                tx.send(()).unwrap();
                while !stop.load(Ordering::Relaxed) {
                    match l.accept() {
                        Ok((s, _)) => serve(s, port),
                        Err(_) => std::thread::sleep(Duration::from_millis(5)),
                    }
                }
            }));
            rx.recv().unwrap();
        }
        Web { stop, threads }
    }
}

fn serve(mut s: TcpStream, port: u16) {
    s.set_nonblocking(false).ok();
    s.set_read_timeout(Some(Duration::from_secs(2))).ok();
    if port == 443 {
        let _ = s.write_all(b"wan-443\n");
        return;
    }
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let head = String::from_utf8_lossy(&buf);
    let reply = if head.starts_with("GET /generate_204 ") {
        "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n".to_string()
    } else {
        let body = "<!DOCTYPE html><html><head><title>benign</title></head>\
                    <body><p id=\"benign\">benign WAN page</p></body></html>";
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    };
    let _ = s.write_all(reply.as_bytes());
}

impl Drop for Web {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// A plain HTTP/1.1 GET from namespace `ns`: status, `Location`, body.
fn get(ns: &str, addr: &str, host: &str, path: &str) -> (u16, Option<String>, String) {
    let (addr, req) = (
        sa(addr),
        format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"),
    );
    in_ns(ns, move || {
        let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(3)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s.write_all(req.as_bytes()).unwrap();
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        let text = String::from_utf8_lossy(&out).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or_else(|| panic!("no status in {text:?}"));
        let location = head
            .lines()
            .find_map(|l| l.strip_prefix("Location: "))
            .map(str::to_string);
        (status, location, body.to_string())
    })
}

/// The first bytes a TCP server at `addr` sends to namespace `ns`.
fn banner(ns: &str, addr: &str) -> String {
    let addr: SocketAddr = sa(addr);
    in_ns(ns, move || {
        let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(3)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
        let mut b = [0u8; 8];
        let n = s.read(&mut b).unwrap_or(0);
        String::from_utf8_lossy(&b[..n]).into_owned()
    })
}

/// Runs the DevTools `steps` with Chromium in namespace `ns`; the results
/// and console lines.
fn browse(ns: &str, dir: &Path, lang: &str, steps: Value) -> (Vec<Value>, Vec<String>) {
    let file = dir.join(format!("steps-{}.json", rand_tag()));
    std::fs::write(&file, steps.to_string()).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/cdp.py");
    let out = Command::new("ip")
        .args(["netns", "exec", ns, "python3"])
        .env("CDP_ACCEPT_LANGUAGE", lang)
        .arg(&script)
        .arg(&file)
        .output()
        .expect("run cdp.py");
    assert!(
        out.status.success(),
        "chromium in {ns}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("cdp.py output");
    let steps = v["steps"].as_array().unwrap().clone();
    let console = v["console"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap_or("").to_string())
        .collect();
    (steps, console)
}

fn rand_tag() -> u64 {
    use std::sync::atomic::AtomicU64;
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

fn artifacts() -> PathBuf {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-artifacts");
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Addresses in the notice set `set` of the lab's router.
fn notice_set(lab: &Lab, set: &str) -> String {
    String::from_utf8_lossy(&lab.nft(&["list", "set", "inet", "iocguard", set]).stdout).into_owned()
}

fn hosts(lab: &Lab, cfg: &Path) -> Value {
    serde_json::from_str(&ok(lab.iocguard(&[
        "--config",
        cfg.to_str().unwrap(),
        "hosts",
        "--json",
    ])))
    .expect("hosts --json")
}

fn host<'a>(doc: &'a Value, mac: &str) -> Option<&'a Value> {
    doc["hosts"].as_array()?.iter().find(|h| h["mac"] == mac)
}

fn setup(lab: &Lab) -> PathBuf {
    let dir = lab.run_dir.clone();
    let feed = lab.feed("campaign.txt", "203.0.113.64/26\n2001:db8:3::/64\nevil.example\n");
    std::fs::write(
        dir.join("dhcp.leases"),
        format!(
            "4102444800 {LAN_MAC} {LAN_V4} lab-pc 01:{LAN_MAC}\n\
             4102444800 {HOSTILE_MAC} {HOSTILE_V4} {HOSTILE_NAME} 01:{HOSTILE_MAC}\n\
             4102444800 {CLEAN_MAC} {CLEAN_V4} clean-pc 01:{CLEAN_MAC}\n"
        ),
    )
    .unwrap();
    let cfg = dir.join("config");
    std::fs::write(
        &cfg,
        format!(
            "config iocguard 'main'\n\
             \toption unit 'Phòng thí nghiệm'\n\
             \toption state_dir '{d}/state'\n\
             \toption run_dir '{d}/run'\n\
             \toption log_rate '100000/second'\n\
             \toption leases '{d}/dhcp.leases'\n\
             \tlist lan '192.0.2.0/24'\n\
             \tlist lan '2001:db8:1::/64'\n\
             \tlist allow_reserved '203.0.113.0/24'\n\
             \tlist allow_reserved '2001:db8::/32'\n\
             \toption notice '1'\n\
             \toption notice_port '{PORT}'\n\
             \toption notice_url '{TOOL}'\n\
             \toption contact_name 'Tổ CNTT'\n\
             \toption contact_phone '{PHONE}'\n\
             \toption contact_email 'cntt@example.vn'\n\
             config dns 'dns'\n\
             \toption mode 'front'\n\
             \tlist listen '192.0.2.1:53'\n\
             \toption answer '{SINKHOLE}'\n\
             \toption rate_limit '0'\n\
             config feed 'campaign'\n\
             \toption url '{f}'\n",
            d = dir.display(),
            f = feed.display()
        ),
    )
    .unwrap();
    ok(lab.iocguard(&["--config", cfg.to_str().unwrap(), "sync"]));
    cfg
}

#[test]
#[ignore = "needs root, ip, nft, python3 and chromium: make test runs it when present"]
fn an_infected_hosts_user_gets_the_notice_in_the_browser_and_nobody_else_is_touched() {
    require(&[Need::Root, Need::Ip, Need::Nft, Need::Python3, Need::Chromium]);
    let lab = Lab::new();
    let clean = Side::new(&lab, "cl", CLEAN_MAC, CLEAN_V4);
    let hostile = Side::new(&lab, "ho", HOSTILE_MAC, HOSTILE_V4);
    let _web = Web::start(&lab);
    let cfg = setup(&lab);
    let daemon = Daemon::start(&lab, &cfg, "daemon.log");
    wait_for(Duration::from_secs(10), "the notice page", || {
        in_ns(&lab.lan, || {
            TcpStream::connect_timeout(&sa("192.0.2.1:8800"), Duration::from_millis(300)).is_ok()
        })
    });
    let page = format!("http://192.0.2.1:{PORT}/");
    let web = format!("{WAN_WEB}:80");

    // Before any hit: nobody is redirected.
    let (status, _, body) = get(&lab.lan, &web, WAN_WEB, "/");
    assert_eq!(status, 200);
    assert!(body.contains("benign WAN page"));

    // Two hosts beacon to a listed address.
    for ns in [lab.lan.clone(), hostile.ns.clone()] {
        let r = in_ns(&ns, || tcp_probe(sa("203.0.113.70:8080"), Duration::from_secs(2)));
        assert_eq!(r, Tcp::Reset, "the listed address is blocked");
    }
    wait_for(Duration::from_secs(10), "both hosts in the notice set", || {
        let s = notice_set(&lab, "notice4");
        s.contains(LAN_V4) && s.contains(HOSTILE_V4)
    });
    assert!(!notice_set(&lab, "notice4").contains(CLEAN_V4));

    // The captive-portal probe: redirected for the infected host, the
    // normal answer for the clean one.
    let probe = |ns: &str| get(ns, &web, "connectivitycheck.gstatic.com", "/generate_204");
    let (status, location, _) = probe(&lab.lan);
    assert_eq!(status, 302);
    assert_eq!(
        location.as_deref(),
        Some("http://192.0.2.1:8800/?from=http%3A%2F%2Fconnectivitycheck.gstatic.com%2Fgenerate_204")
    );
    assert_eq!(probe(&clean.ns).0, 204, "a clean host is never redirected");
    // IPv6 too: once the host beaconed over IPv6, its v6 address is in
    // notice6 and the page answers on the router's v6 address.
    let r = in_ns(&lab.lan, || {
        tcp_probe(sa("[2001:db8:3::5]:8080"), Duration::from_secs(2))
    });
    assert_eq!(r, Tcp::Reset);
    wait_for(Duration::from_secs(10), "the v6 address in notice6", || {
        notice_set(&lab, "notice6").contains(lab::LAN_V6)
    });
    let (status, location, _) = get(&lab.lan, "[2001:db8:2::2]:80", "www.example.org", "/");
    assert_eq!(status, 302);
    assert_eq!(
        location.as_deref(),
        Some("http://[2001:db8:1::1]:8800/?from=http%3A%2F%2Fwww.example.org%2F")
    );
    // HTTPS is never touched.
    assert_eq!(banner(&lab.lan, &format!("{WAN_WEB}:443")), "wan-443\n");

    // The infected user's browser.
    let dir = lab.run_dir.clone();
    let shots = artifacts();
    let (r, console) = browse(
        &lab.lan,
        &dir,
        "vi-VN,vi;q=0.9,en-US;q=0.8",
        serde_json::json!([
            {"op": "goto", "url": format!("http://{WAN_WEB}/news/today")},
            {"op": "text"},
            {"op": "text", "selector": "#hostname"},
            {"op": "text", "selector": "#ids"},
            {"op": "eval", "expr": "document.querySelector('#tool').href"},
            {"op": "shot", "path": shots.join("notice-vi.png").display().to_string()},
            {"op": "click", "selector": "#confirm"},
            {"op": "text"},
        ]),
    );
    let url = r[0].as_str().unwrap();
    assert!(
        url.starts_with(&page),
        "the browser ends on the notice page: {url}"
    );
    let text = r[1].as_str().unwrap();
    for want in [
        "nhiễm mã độc",
        "203.0.113.64/26",
        PHONE,
        "cntt@example.vn",
        "Tôi đã hiểu",
    ] {
        assert!(text.contains(want), "{want:?} not on the page:\n{text}");
    }
    assert!(
        text.contains("lần kết nối bị chặn") && text.chars().any(|c| c.is_ascii_digit()),
        "{text}"
    );
    assert_eq!(r[2], "lab-pc");
    assert_eq!(r[3], format!("({LAN_MAC}, {LAN_V4})"));
    assert_eq!(r[4], TOOL);
    let after = r[6].as_str().unwrap();
    assert!(after.starts_with(&format!("{page}?done=1")), "{after}");
    assert!(
        r[7].as_str().unwrap().contains("Cảm ơn bạn đã xác nhận"),
        "{}",
        r[7]
    );
    assert!(console.is_empty(), "console: {console:?}");

    // The confirmation took the host out of the set: its next request
    // reaches the WAN server.
    wait_for(Duration::from_secs(10), "the host out of the notice set", || {
        !notice_set(&lab, "notice4").contains(LAN_V4)
    });
    let (r, _) = browse(
        &lab.lan,
        &dir,
        "vi-VN,vi",
        serde_json::json!([
            {"op": "goto", "url": format!("http://{WAN_WEB}/news/today")},
            {"op": "text", "selector": "#benign"},
        ]),
    );
    assert_eq!(r[0], format!("http://{WAN_WEB}/news/today"));
    assert_eq!(r[1], "benign WAN page");
    let doc = hosts(&lab, &cfg);
    let me = host(&doc, LAN_MAC).expect("lab-pc in hosts");
    assert!(me["notified_at"].as_u64().is_some(), "{me}");
    assert!(host(&doc, HOSTILE_MAC).unwrap().get("notified_at").is_none());
    let table = ok(lab.iocguard(&["--config", cfg.to_str().unwrap(), "hosts"]));
    assert!(table.contains("user notified"), "{table}");

    // A clean host browses as before.
    let (r, _) = browse(
        &clean.ns,
        &dir,
        "vi-VN,vi",
        serde_json::json!([
            {"op": "goto", "url": format!("http://{WAN_WEB}/")},
            {"op": "text", "selector": "#benign"},
        ]),
    );
    assert_eq!(
        r[1], "benign WAN page",
        "the clean host's browser is not redirected"
    );

    // A hostile hostname is text on the page; nothing of it runs.
    let (r, console) = browse(
        &hostile.ns,
        &dir,
        "vi-VN,vi",
        serde_json::json!([
            {"op": "goto", "url": format!("http://{WAN_WEB}/?lang=x")},
            {"op": "goto", "url": format!("{page}?lang=en")},
            {"op": "eval", "expr": "document.title"},
            {"op": "eval", "expr": "document.images.length + document.scripts.length"},
            {"op": "text", "selector": "#hostname"},
            {"op": "shot", "path": shots.join("notice-en-hostile.png").display().to_string()},
        ]),
    );
    assert!(r[0].as_str().unwrap().starts_with(&page), "{}", r[0]);
    assert_eq!(r[2], "Warning: your device shows signs of a malware infection");
    assert_eq!(r[3], 0, "no image and no script made it into the page");
    assert_eq!(r[4], HOSTILE_NAME);
    assert!(console.is_empty(), "console: {console:?}");

    // The sinkhole address answers blocked names with the page naming them.
    let (status, location, _) = get(&clean.ns, &format!("{SINKHOLE}:80"), "www.evil.example", "/login");
    assert_eq!(status, 302);
    assert_eq!(
        location.as_deref(),
        Some("http://192.0.2.1:8800/?site=www.evil.example")
    );
    let (status, _, body) = get(
        &clean.ns,
        &format!("192.0.2.1:{PORT}"),
        &format!("192.0.2.1:{PORT}"),
        "/?site=www.evil.example",
    );
    assert_eq!(status, 200);
    assert!(
        body.contains("www.evil.example") && body.contains("đã bị chặn"),
        "{body}"
    );

    // The report counts the notified user.
    let report: Value = serde_json::from_str(&ok(lab.iocguard(&[
        "--config",
        cfg.to_str().unwrap(),
        "report",
        "--format",
        "json",
    ])))
    .unwrap();
    assert_eq!(report["devices"]["notified"], 1, "{report}");
    assert_eq!(report["devices"]["detected"], 2);

    // A stopped daemon redirects nobody.
    assert!(daemon.stop().success());
    let s = notice_set(&lab, "notice4");
    assert!(!s.contains(HOSTILE_V4), "the set is emptied at stop: {s}");
    let (status, _, _) = get(&hostile.ns, &web, WAN_WEB, "/");
    assert_eq!(status, 200);
    drop(clean);
    drop(hostile);
}
