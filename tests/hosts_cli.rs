//! `hosts`, `host`, `ack` and `events` when no daemon runs: the snapshot
//! on flash plus the ack journal, the event log in the run dir. No root
//! needed (the lab test `hosts_lab.rs` covers the running daemon).

use iocguard::hosts::{snapshot, DnsHit, Event, Hit, HostTable, IpHit, Mac, Proto};
use std::fs;
use std::path::PathBuf;
use std::process::Command;

const T: u64 = 1_764_370_000;

struct Dir(PathBuf);

impl Dir {
    fn new(tag: &str) -> Dir {
        let d = std::env::temp_dir().join(format!("iocguard-hosts-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(d.join("state")).unwrap();
        fs::create_dir_all(d.join("run")).unwrap();
        fs::write(
            d.join("config"),
            format!(
                "config iocguard 'main'\n\toption state_dir '{0}/state'\n\toption run_dir '{0}/run'\n",
                d.display()
            ),
        )
        .unwrap();
        Dir(d)
    }

    fn iocguard(&self, args: &[&str]) -> (i32, String, String) {
        let cfg = self.0.join("config");
        let out = Command::new(env!("CARGO_BIN_EXE_iocguard"))
            .args(["--config", cfg.to_str().unwrap()])
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn ip_hit(src: &str, mac: u8, t: u64) -> Event {
    Event {
        time: t,
        src: src.parse().unwrap(),
        mac: Some(Mac([2, 0, 0, 0, 0, mac])),
        hit: Hit::Ip(IpHit {
            dst: "203.0.113.5".parse().unwrap(),
            proto: Proto::Tcp,
            dport: Some(443),
            iif: None,
            oif: None,
        }),
        listed: "203.0.113.0/24".into(),
        feeds: vec!["campaign".into()],
    }
}

/// Two machines both called `android`, and a DNS hit from a third.
fn setup(d: &Dir) {
    let mut t = HostTable::new(64);
    let a = ip_hit("192.0.2.21", 0x21, T);
    let b = ip_hit("192.0.2.22", 0x22, T + 10);
    t.record(&a, T);
    t.record(&b, T + 10);
    let dns = Event {
        time: T + 20,
        src: "192.0.2.30".parse().unwrap(),
        mac: None,
        hit: Hit::Dns(DnsHit {
            name: "www.evil.example".into(),
            qtype: 1,
        }),
        listed: "evil.example".into(),
        feeds: vec!["campaign".into()],
    };
    t.record(&dns, T + 20);
    for k in [a.mac, b.mac] {
        t.set_hostname(&iocguard::hosts::HostKey::Mac(k.unwrap()), "android")
            .unwrap();
    }
    fs::write(d.0.join("state/hosts.json"), snapshot::encode(&t, T + 30)).unwrap();
    let log: String = [a, b, dns].iter().map(|e| e.to_line() + "\n").collect();
    fs::write(d.0.join("run/events.jsonl"), log).unwrap();
}

#[test]
fn without_a_daemon_the_snapshot_and_the_journal_answer() {
    let d = Dir::new("offline");
    setup(&d);
    let (code, out, err) = d.iocguard(&["hosts"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 4, "header and three hosts:\n{out}");
    assert!(
        out.lines().nth(1).unwrap().contains("192.0.2.30"),
        "newest first:\n{out}"
    );

    // Two hosts answer to `android`: both listed, nothing chosen.
    let (code, _, err) = d.iocguard(&["host", "android"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("\"android\" matches 2 hosts; name one by MAC or address"),
        "{err}"
    );
    assert!(
        err.contains("02:00:00:00:00:21") && err.contains("02:00:00:00:00:22"),
        "{err}"
    );
    let (code, _, err) = d.iocguard(&["ack", "android"]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = d.iocguard(&["host", "nobody"]);
    assert_eq!((code, err.trim()), (2, "iocguard: no host matches \"nobody\""));

    // By MAC (another notation): shown with its event.
    let (code, out, _) = d.iocguard(&["host", "0200.0000.0022"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("192.0.2.22") && out.contains("-> 203.0.113.5 tcp/443"),
        "{out}"
    );

    // An ack with no daemon: journaled (0600), applied when read back.
    let (code, out, err) = d.iocguard(&["ack", "192.0.2.22", "--note", "reimaged"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("02:00:00:00:00:22 (android) acknowledged as cleaned; no daemon runs"),
        "{out}"
    );
    {
        use std::os::unix::fs::PermissionsExt;
        let m = fs::metadata(d.0.join("state/acks.jsonl"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(m & 0o777, 0o600);
    }
    let (_, out, _) = d.iocguard(&["hosts", "--state", "acknowledged", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["hosts"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v["hosts"][0]["note"], "reimaged");
    let (_, out, _) = d.iocguard(&["hosts", "--csv"]);
    assert!(out.starts_with("hostname,mac,"), "{out}");

    // Events of both kinds, filtered.
    let (_, out, _) = d.iocguard(&["events", "--kind", "dns", "--json"]);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.contains("\"kind\":\"dns\""), "{out}");
    let (_, out, _) = d.iocguard(&["events", "--tail", "2"]);
    assert_eq!(out.lines().count(), 2, "{out}");
}

#[test]
fn a_corrupt_snapshot_is_reported_and_not_fatal() {
    let d = Dir::new("corrupt");
    setup(&d);
    let snap = d.0.join("state/hosts.json");
    let bytes = fs::read(&snap).unwrap();
    fs::write(&snap, &bytes[..bytes.len() / 3]).unwrap();
    let (code, out, err) = d.iocguard(&["hosts"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("hosts.json: host snapshot is truncated"), "{err}");
    assert_eq!(out.lines().count(), 1, "an empty table:\n{out}");
    // The CLI only reads: the daemon is the one that moves it aside.
    assert!(snap.exists());
}

#[test]
fn a_signed_report_merges_at_the_it_centre_and_a_tampered_one_does_not() {
    let d = Dir::new("report");
    setup(&d);
    let cfg = d.0.join("config");
    let mut text = fs::read_to_string(&cfg).unwrap();
    text.push_str("\toption unit 'Sở Y tế'\n\toption campaign_start '2025-11-01'\n");
    fs::write(&cfg, text).unwrap();
    let key = d.0.join("unit.key");
    let keys = d.0.join("keys");
    fs::create_dir_all(&keys).unwrap();
    let pubfile = keys.join("Sở Y tế.pub");
    let (code, _, err) = d.iocguard(&[
        "feed",
        "keygen",
        "--sec",
        key.to_str().unwrap(),
        "--pub",
        pubfile.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let json = d.0.join("unit.json");
    let (code, _, err) = d.iocguard(&[
        "report",
        "--format",
        "json",
        "--out",
        json.to_str().unwrap(),
        "--sign",
        key.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let r: serde_json::Value = serde_json::from_slice(&fs::read(&json).unwrap()).unwrap();
    assert_eq!(r["unit"], "Sở Y tế");
    assert_eq!(r["devices"]["detected"], 3, "{r}");
    assert!(d.0.join("unit.json.minisig").exists());
    // The same hosts as `hosts --since` the campaign start.
    let (_, out, _) = d.iocguard(&["hosts", "--since", "2025-11-01", "--json"]);
    let h: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(h["hosts"].as_array().unwrap().len(), 3);
    let roster = d.0.join("units.txt");
    fs::write(&roster, "Sở Y tế\nSở Tài chính\n").unwrap();
    let (code, out, err) = d.iocguard(&[
        "report",
        "merge",
        json.to_str().unwrap(),
        "--keys",
        keys.to_str().unwrap(),
        "--roster",
        roster.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let m: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(m["totals"]["devices"]["detected"], 3);
    assert_eq!(m["missing"], serde_json::json!(["Sở Tài chính"]));
    // One figure changed after signing: refused, by name.
    let tampered =
        fs::read_to_string(&json)
            .unwrap()
            .replacen("\"orgs_deployed\": 1", "\"orgs_deployed\": 9", 1);
    fs::write(&json, tampered).unwrap();
    let (code, _, err) = d.iocguard(&[
        "report",
        "merge",
        json.to_str().unwrap(),
        "--keys",
        keys.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("unit.json") && err.contains("signature"), "{err}");
}
