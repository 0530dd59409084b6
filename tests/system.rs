//! The system test: the whole campaign of `make demo`, driven through the
//! same steps (demo/lib.sh), with an assertion at every step, then what
//! must hold when things go wrong:
//!
//! - the IT centre builds a feed from raw lists in four formats, signs it
//!   and serves it over HTTPS (throwaway CA); the unit router (nftables,
//!   dnsmasq serving DHCP and DNS, iocguard in `dns.mode behind`) syncs
//!   it and runs the daemon;
//! - three LAN hosts take DHCP leases with their hostnames; the clean one
//!   reaches the benign site and an unlisted C2-network address; two
//!   infected ones beacon (listed names, IPv4 and IPv6 addresses, a
//!   hard-coded outside resolver) and are blocked; one user gets the
//!   notice page and presses "I understand";
//! - `hosts` lists exactly the two infected hosts by hostname and MAC;
//!   `ack`, a new beacon, re-infected; the Vietnamese report; the IT
//!   centre's merge of this unit's signed report with two other units';
//! - the feed server goes down: `sync` exits 1 and blocking goes on; a
//!   tampered feed is published: refused, nothing changes; the daemon is
//!   `kill -9`ed and restarted (as procd does): the host table and the
//!   ack survive; the firewall's tables are deleted (`service firewall
//!   stop`): the daemon puts them back within seconds.
//!
//! Every wait is on a condition with a time limit. The lab (namespaces
//! unique to this run, its processes and files) is removed on drop, so
//! also when an assertion fails.

mod common;

use common::require::{require, Need};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const IOCGUARD: &str = env!("CARGO_BIN_EXE_iocguard");
const KETOAN_MAC: &str = "02:00:00:00:02:0b";
const KHO_MAC: &str = "02:00:00:00:02:0c";

/// One run of the lab, torn down on drop.
struct Lab {
    id: String,
    dir: PathBuf,
}

impl Lab {
    fn new() -> Lab {
        let id = format!("s{}", std::process::id());
        let dir = std::env::temp_dir().join(format!("iocguard-system-{id}"));
        let lab = Lab { id, dir };
        lab.down();
        lab
    }

    /// `bash demo/lib.sh ARGS…` for this lab.
    fn run(&self, args: &[&str]) -> Output {
        let lib = Path::new(env!("CARGO_MANIFEST_DIR")).join("demo/lib.sh");
        Command::new("bash")
            .arg(lib)
            .args(args)
            .env("DEMO_ID", &self.id)
            .env("DEMO_DIR", &self.dir)
            .env("IOCGUARD", IOCGUARD)
            .output()
            .expect("run demo/lib.sh")
    }

    /// A step that must succeed; its stdout.
    fn ok(&self, args: &[&str]) -> String {
        let o = self.run(args);
        assert!(
            o.status.success(),
            "demo/lib.sh {} failed ({}):\n{}{}",
            args.join(" "),
            o.status,
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// The probe's one-line (or few-line) answer from LAN host `pc`.
    fn probe(&self, pc: &str, args: &[&str]) -> String {
        let mut a = vec!["probe", pc];
        a.extend_from_slice(args);
        self.ok(&a)
    }

    fn iocg(&self, args: &[&str]) -> Output {
        let mut a = vec!["iocg"];
        a.extend_from_slice(args);
        self.run(&a)
    }

    fn hosts(&self) -> Value {
        serde_json::from_str(&self.ok(&["iocg", "hosts", "--json"])).expect("hosts --json")
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }

    fn down(&self) {
        let _ = self.run(&["lab_down"]);
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        if std::thread::panicking() {
            // What the lab's processes said, before it goes.
            if let Ok(dir) = std::fs::read_dir(self.path("logs")) {
                for e in dir.flatten() {
                    let text = std::fs::read_to_string(e.path()).unwrap_or_default();
                    let tail: Vec<&str> = text.lines().rev().take(30).collect();
                    eprintln!("--- {} (last lines)", e.path().display());
                    for l in tail.iter().rev() {
                        eprintln!("{l}");
                    }
                }
            }
        }
        self.down();
    }
}

/// The host with `mac` in a `hosts --json` document.
fn host<'a>(doc: &'a Value, mac: &str) -> Option<&'a Value> {
    doc["hosts"].as_array()?.iter().find(|h| h["mac"] == mac)
}

fn wait_for(limit: Duration, what: &str, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !ok() {
        assert!(
            Instant::now() < deadline,
            "timed out after {limit:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Every file of the router's state directory (the last-good cache),
/// with its bytes: what a refused sync must leave alone.
fn cache(lab: &Lab) -> Vec<(PathBuf, Vec<u8>)> {
    let mut v = Vec::new();
    let mut dirs = vec![lab.path("router/state")];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if !p.ends_with("hosts.json") && !p.ends_with("acks.jsonl") {
                let b = std::fs::read(&p).unwrap();
                v.push((p, b));
            }
        }
    }
    v.sort();
    v
}

fn refused(line: &str) -> bool {
    line.trim_end().ends_with(" refused")
}

#[test]
#[ignore = "needs root, ip, nft, dnsmasq, busybox, openssl and python3: make test runs it when present"]
fn the_campaign_from_feed_to_merged_report_and_what_survives_failures() {
    require(&[
        Need::Root,
        Need::Ip,
        Need::Nft,
        Need::Dnsmasq,
        Need::Busybox,
        Need::Openssl,
        Need::Python3,
    ]);
    let started = Instant::now();
    let lab = Lab::new();
    lab.ok(&["lab_up"]);

    // 1. The IT centre: a feed from four raw formats, signed, on HTTPS.
    lab.ok(&["center_keygen"]);
    lab.ok(&["center_feed"]);
    let feed = std::fs::read_to_string(lab.path("center/www/campaign.txt")).unwrap();
    for source in [
        "feodo-c2.csv (format csv)",
        "c2-ranges.ipset (format ipset)",
        "malware-domains.hosts (format hosts)",
        "phishing.adblock (format adblock)",
    ] {
        assert!(
            feed.contains(&format!("# source: {source}")),
            "{source} missing:\n{feed}"
        );
    }
    let entries: Vec<&str> = feed.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(
        entries,
        [
            "203.0.113.7",
            "203.0.113.8/31",
            "203.0.113.64/26",
            "2001:db8:3::/64",
            "botnet-update.example",
            "dga-x7k2q.example",
            "evil-c2.example",
            "panel.qbot-loader.example"
        ],
        "{feed}"
    );
    lab.ok(&["center_sign"]);
    lab.ok(&["center_ca"]);
    lab.ok(&["center_serve"]);

    // 2. The Internet; 3. the router.
    lab.ok(&["wan_up"]);
    lab.ok(&["router_config"]);
    lab.ok(&["router_dnsmasq"]);
    let sync = lab.ok(&["router_sync"]);
    assert!(sync.contains("campaign: updated, 8 entries"), "{sync}");
    lab.ok(&["daemon_start"]);

    // 4. The LAN: leases with hostnames.
    for pc in ["letan-pc", "ketoan-pc", "kho-laptop"] {
        lab.ok(&["pc_dhcp", pc]);
    }
    let leases = std::fs::read_to_string(lab.path("router/dhcp.leases")).unwrap();
    for (pc, mac) in [
        ("letan-pc", "02:00:00:00:02:0a"),
        ("ketoan-pc", KETOAN_MAC),
        ("kho-laptop", KHO_MAC),
    ] {
        assert!(
            leases
                .lines()
                .any(|l| l.contains(&format!(" {mac} 192.0.2.")) && l.contains(&format!(" {pc} "))),
            "no lease for {pc}:\n{leases}"
        );
    }
    let ketoan_ip = lab.ok(&["pc_ip", "ketoan-pc"]).trim().to_string();

    // The clean host: the benign site, and an unlisted address of the C2
    // network answers (a missed block would show the same way).
    assert_eq!(
        lab.probe("letan-pc", &["dns", "192.0.2.1", "www.benign.example"])
            .trim(),
        "dns www.benign.example @192.0.2.1: answer 198.51.100.80"
    );
    let page = lab.probe("letan-pc", &["http", "http://198.51.100.80/"]);
    assert!(
        page.starts_with("http http://198.51.100.80/ 200\n") && page.contains("benign web site"),
        "{page}"
    );
    let open = lab.probe("letan-pc", &["tcp", "203.0.113.200", "443"]);
    assert!(
        open.contains("connected: C2 server 203.0.113.200 reached"),
        "{open}"
    );

    // The infected hosts: names through the router's resolver and through
    // a hard-coded outside one, IPv4 and IPv6 addresses.
    assert_eq!(
        lab.probe("ketoan-pc", &["dns", "192.0.2.1", "cdn.evil-c2.example"])
            .trim(),
        "dns cdn.evil-c2.example @192.0.2.1: NXDOMAIN"
    );
    for (pc, addr) in [
        ("ketoan-pc", "203.0.113.7"),
        ("ketoan-pc", "2001:db8:3::5"),
        ("kho-laptop", "203.0.113.70"),
    ] {
        let r = lab.probe(pc, &["tcp", addr, "443"]);
        assert!(refused(&r), "{pc} reached {addr}: {r}");
    }
    // The rogue resolver would answer 203.0.113.99 for anything: these
    // answers come from the router (force_dns), the sinkhole and upstream.
    assert_eq!(
        lab.probe(
            "kho-laptop",
            &["dns", "198.51.100.99", "update.botnet-update.example"]
        )
        .trim(),
        "dns update.botnet-update.example @198.51.100.99: NXDOMAIN"
    );
    assert_eq!(
        lab.probe("kho-laptop", &["dns", "198.51.100.99", "www.benign.example"])
            .trim(),
        "dns www.benign.example @198.51.100.99: answer 198.51.100.80"
    );

    // The admin's view: exactly the two infected hosts, named.
    let mut doc = Value::Null;
    // The daemon reads the leases every 10 s: a host that leased just
    // before it beaconed gets its name at the next read.
    wait_for(
        Duration::from_secs(25),
        "both infected hosts, named, with all hits",
        || {
            doc = lab.hosts();
            host(&doc, KETOAN_MAC)
                .is_some_and(|h| h["ip_hits"] == 2 && h["dns_hits"] == 1 && h["hostname"] == "ketoan-pc")
                && host(&doc, KHO_MAC)
                    .is_some_and(|h| h["ip_hits"] == 1 && h["dns_hits"] == 1 && h["hostname"] == "kho-laptop")
        },
    );
    assert_eq!(
        doc["hosts"].as_array().unwrap().len(),
        2,
        "only the infected hosts: {doc}"
    );
    let k = host(&doc, KETOAN_MAC).unwrap();
    assert_eq!(
        (k["hostname"].as_str(), k["state"].as_str()),
        (Some("ketoan-pc"), Some("infected"))
    );
    let addrs = k["addrs"].to_string();
    assert!(
        addrs.contains(&ketoan_ip) && addrs.contains("2001:db8:1::b"),
        "{addrs}"
    );
    let h = host(&doc, KHO_MAC).unwrap();
    assert_eq!(
        (h["hostname"].as_str(), h["state"].as_str()),
        (Some("kho-laptop"), Some("infected"))
    );
    let table = String::from_utf8_lossy(&lab.iocg(&["hosts"]).stdout).into_owned();
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("ketoan-pc ") && l.contains(KETOAN_MAC)),
        "{table}"
    );
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("kho-laptop ") && l.contains(KHO_MAC)),
        "{table}"
    );
    assert!(!table.contains("letan-pc"), "{table}");

    // 5. The notice page: ketoan-pc's plain HTTP goes to it, the clean
    // host's does not; "I understand" ends the redirect.
    lab.ok(&[
        "wait_until",
        "15",
        "ketoan-pc in the notice set",
        "in_notice_set",
        "ketoan-pc",
    ]);
    let notice = lab.probe("ketoan-pc", &["http", "http://198.51.100.80/", "--follow"]);
    assert!(
        notice.starts_with("http http://198.51.100.80/ 302 Location: http://192.0.2.1:8800/"),
        "{notice}"
    );
    assert!(
        notice.contains("ketoan-pc") && notice.contains(KETOAN_MAC),
        "{notice}"
    );
    let page = lab.probe("letan-pc", &["http", "http://198.51.100.80/"]);
    assert!(
        page.starts_with("http http://198.51.100.80/ 200\n"),
        "the clean host is never redirected: {page}"
    );
    let confirm = lab.probe("ketoan-pc", &["understand", "http://192.0.2.1:8800/"]);
    assert!(
        confirm.starts_with("http POST http://192.0.2.1:8800/confirm 303"),
        "{confirm}"
    );
    wait_for(Duration::from_secs(10), "the redirect to end", || {
        lab.probe("ketoan-pc", &["http", "http://198.51.100.80/"])
            .contains("benign web site")
    });

    // 6. Cleaned, beacons again: re-infected, both times kept.
    let ack = lab.ok(&["iocg", "ack", "ketoan-pc", "--note", "cài lại Windows"]);
    assert!(ack.contains("acknowledged as cleaned"), "{ack}");
    assert_eq!(host(&lab.hosts(), KETOAN_MAC).unwrap()["state"], "acknowledged");
    lab.ok(&["after_ack", "ketoan-pc"]);
    assert!(refused(&lab.probe("ketoan-pc", &["tcp", "203.0.113.7", "443"])));
    wait_for(Duration::from_secs(15), "the re-infection", || {
        host(&lab.hosts(), KETOAN_MAC).is_some_and(|h| h["state"] == "reinfected")
    });

    // 7. The report, in Vietnamese.
    let report = lab.ok(&["iocg", "report"]);
    assert!(
        report.starts_with("Phụ lục — Mẫu thống kê, báo cáo kết quả triển khai"),
        "{report}"
    );
    assert!(
        report.contains("Tên đơn vị: Sở Thông tin và Truyền thông tỉnh Demo"),
        "{report}"
    );
    let json: Value = serde_json::from_str(&lab.ok(&["iocg", "report", "--format", "json"])).unwrap();
    let d = &json["devices"];
    assert_eq!(
        [
            &d["detected"],
            &d["by_both"],
            &d["handled"],
            &d["reinfected"],
            &d["notified"]
        ],
        [2, 2, 0, 1, 1],
        "{json}"
    );
    assert!(
        report
            .lines()
            .any(|l| l.starts_with("ketoan-pc ") && l.contains("Lây nhiễm lại")),
        "{report}"
    );

    // 8. The IT centre's merge: three signed reports, one unit missing.
    lab.ok(&["unit_report"]);
    lab.ok(&["other_units"]);
    let merged = lab.ok(&["center_merge"]);
    assert!(
        merged.starts_with("Tổng hợp báo cáo kết quả triển khai chiến dịch"),
        "{merged}"
    );
    assert!(
        merged.contains("Đơn vị chưa gửi báo cáo") && merged.contains("- Ủy ban nhân dân huyện Demo"),
        "the unit that sent nothing: {merged}"
    );
    let mj: Value = serde_json::from_str(&lab.ok(&["center_merge", "--format", "json"])).unwrap();
    let text = mj.to_string();
    for unit in [
        "Sở Thông tin và Truyền thông tỉnh Demo",
        "Trường Cao đẳng Kỹ thuật Demo",
        "Bệnh viện Đa khoa Demo",
    ] {
        assert!(
            text.contains(&format!("\"{unit}\"")),
            "{unit} not in the merge: {text}"
        );
    }
    assert!(text.contains("\"detected\":6"), "2 + 3 + 1 devices: {text}");
    // A report changed after signing is refused by name.
    let other = lab.path("center/reports/benh-vien.json");
    let good = std::fs::read_to_string(&other).unwrap();
    std::fs::write(
        &other,
        good.replace("\"connections\": 11", "\"connections\": 1100"),
    )
    .unwrap();
    let o = lab.run(&["center_merge"]);
    assert_eq!(o.status.code(), Some(2), "a forged report must be refused");
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("benh-vien.json"),
        "{o:?}"
    );
    std::fs::write(&other, good).unwrap();

    // The feed server goes down: partial (1), the installed set stays.
    lab.ok(&["center_down"]);
    let o = lab.run(&["router_sync"]);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(
        refused(&lab.probe("ketoan-pc", &["tcp", "203.0.113.7", "443"])),
        "blocking goes on"
    );
    assert!(refused(
        &lab.probe("kho-laptop", &["tcp", "2001:db8:3::9", "443"])
    ));
    lab.ok(&["center_serve"]);

    // A tampered feed (the benign site added under the old signature):
    // refused, nothing changes.
    let before = cache(&lab);
    lab.ok(&["center_tamper"]);
    let o = lab.run(&["router_sync"]);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(said.contains("signature"), "{said}");
    assert!(cache(&lab) == before, "a refused feed changed the cache");
    assert!(
        lab.probe("letan-pc", &["http", "http://198.51.100.80/"])
            .contains("benign web site"),
        "the tampered feed blocked the benign site"
    );
    assert!(refused(&lab.probe("ketoan-pc", &["tcp", "203.0.113.7", "443"])));

    // kill -9 and a restart (procd's respawn): the host table (the last
    // snapshot, written at most every snapshot_interval = 60 s) and the
    // ack journal survive; blocking never stopped.
    let snapshot = lab.path("router/state/hosts.json");
    wait_for(Duration::from_secs(90), "a snapshot with both hosts", || {
        std::fs::read_to_string(&snapshot)
            .is_ok_and(|s| s.contains(KETOAN_MAC) && s.contains(KHO_MAC) && s.contains("reinfected"))
    });
    lab.ok(&["daemon_kill9"]);
    assert!(
        refused(&lab.probe("kho-laptop", &["tcp", "203.0.113.70", "443"])),
        "blocking without the daemon"
    );
    lab.ok(&["daemon_start"]);
    let doc = lab.hosts();
    assert_eq!(doc["hosts"].as_array().unwrap().len(), 2, "{doc}");
    let k = host(&doc, KETOAN_MAC).expect("ketoan-pc after the restart");
    assert_eq!(
        (k["hostname"].as_str(), k["state"].as_str(), k["note"].as_str()),
        (Some("ketoan-pc"), Some("reinfected"), Some("cài lại Windows")),
        "{k}"
    );
    assert!(k["ack_at"].as_u64().is_some(), "{k}");
    assert!(
        host(&doc, KHO_MAC).is_some_and(|h| h["state"] == "infected"),
        "{doc}"
    );

    // `service firewall stop` deletes every table: the daemon re-applies.
    lab.ok(&["firewall_stop"]);
    assert!(!lab.run(&["table_present"]).status.success());
    lab.ok(&[
        "wait_until",
        "15",
        "the daemon to re-apply the table",
        "table_present",
    ]);
    wait_for(Duration::from_secs(10), "blocking to resume", || {
        refused(&lab.probe("ketoan-pc", &["tcp", "203.0.113.7", "443"]))
    });
    eprintln!("system test: {:.0} s", started.elapsed().as_secs_f64());
}
