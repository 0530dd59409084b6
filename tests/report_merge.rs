//! The IT centre's merge of units' reports from files, as `iocguard report
//! merge` reads them: reports and `.minisig` files beside them, a key
//! directory of `UNIT.pub`, a roster. Signatures come from iocguard and
//! from the real `minisign` tool, both directions.
//!
//! The test that runs `minisign` is ignored (`make test` runs it where it
//! is installed and reports it as skipped elsewhere) and fails when run
//! without it.

mod common;

use common::require::{require, Need};
use iocguard::report::merge::Submitted;
use iocguard::report::model::{Blocked, Devices, HostRow, Indicators, MergedReport, Period, UnitReport};
use iocguard::report::{merge, sign_report, verify_report, KeyRing, SCHEMA};
use iocguard::sign::{KeyId, PublicKey, SecretKey};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

const T: u64 = 1_764_370_000;

/// A scratch directory, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "iocguard-report-merge-{}-{tag}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("keys")).unwrap();
        Scratch(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    fn s(&self, name: &str) -> String {
        self.path(name).to_str().unwrap().to_string()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A consistent report of `unit`: one host found by IP and DNS, cleaned.
fn report(unit: &str) -> UnitReport {
    UnitReport {
        schema: SCHEMA,
        unit: unit.into(),
        generated: T + 86_400,
        period: Period {
            since: Some(T),
            until: T + 86_400,
        },
        orgs_informed: Some(12),
        orgs_deployed: 3,
        assessment: "Đã phát hiện 1 thiết bị, đã xử lý 1 thiết bị.".into(),
        assessment_drafted: true,
        proposals: String::new(),
        devices: Devices {
            detected: 1,
            by_ip: 0,
            by_dns: 0,
            by_both: 1,
            handled: 1,
            reinfected: 0,
            notified: 1,
        },
        blocked: Blocked {
            connections: Some(17),
            dns_queries: 4,
        },
        indicators: Indicators {
            ip_prefixes: 1200,
            domains: 300,
        },
        feeds: vec![],
        hosts: vec![HostRow {
            hostname: Some("ke-toan-01".into()),
            mac: Some("02:00:00:00:00:01".into()),
            addrs: vec!["192.168.1.20".into()],
            first_seen: T + 60,
            last_seen: T + 3600,
            ip_hits: 9,
            ip_hits_lower_bound: false,
            dns_hits: 4,
            indicators: vec!["evil.example".into()],
            state: "acknowledged".into(),
            ack_at: Some(T + 7200),
            note: Some("cài lại Windows".into()),
        }],
    }
}

/// Writes `r` as `name` (the JSON `report --format json` writes).
fn write_report(d: &Scratch, name: &str, r: &UnitReport) -> PathBuf {
    let p = d.path(name);
    std::fs::write(&p, serde_json::to_vec_pretty(r).unwrap()).unwrap();
    p
}

fn read(paths: &[&Path]) -> Vec<Submitted> {
    paths.iter().map(|p| Submitted::read(p).unwrap()).collect()
}

#[test]
fn files_signed_by_iocguard_merge_to_json_and_back() {
    let d = Scratch::new("files");
    let units = ["Sở Tài chính", "Sở Y tế"];
    let mut paths = Vec::new();
    for (i, unit) in units.iter().enumerate() {
        let sk = SecretKey::from_seed(KeyId([i as u8 + 1; 8]), [i as u8 + 1; 32]).unwrap();
        std::fs::write(
            d.path(&format!("keys/{unit}.pub")),
            sk.public_key().to_file_string(),
        )
        .unwrap();
        let r = report(unit);
        let p = write_report(&d, &format!("{i}.json"), &r);
        let bytes = std::fs::read(&p).unwrap();
        let sig = sign_report(&sk, &bytes, unit, r.generated).unwrap();
        std::fs::write(d.path(&format!("{i}.json.minisig")), sig).unwrap();
        paths.push(p);
    }
    let keys = KeyRing::load(&d.path("keys")).unwrap();
    let roster = "# Tỉnh X\nSở Tài chính\nSở Y tế\nSở Xây dựng\n";
    let m = merge(
        read(&[&paths[0], &paths[1]]),
        Some(roster),
        Some(&keys),
        T + 2 * 86_400,
    )
    .unwrap();
    assert!(m.units.iter().all(|u| u.signed));
    assert_eq!(m.missing, ["Sở Xây dựng"]);
    assert_eq!(m.totals.devices.detected, 2);
    assert_eq!(m.totals.blocked.connections, Some(34));
    assert_eq!(m.totals.orgs_informed, Some(24));
    let json = serde_json::to_string_pretty(&m).unwrap();
    let back: MergedReport = serde_json::from_str(&json).unwrap();
    assert_eq!(back, m);

    // A report signed, then edited: refused by name with the key file.
    let edited = std::fs::read_to_string(&paths[1]).unwrap().replacen(
        "\"connections\": 17",
        "\"connections\": 1700",
        1,
    );
    std::fs::write(&paths[1], edited).unwrap();
    let e = merge(read(&[&paths[0], &paths[1]]), None, Some(&keys), T)
        .unwrap_err()
        .to_string();
    let want = format!(
        "{}: signature does not verify with {}: bad signature",
        paths[1].display(),
        d.path("keys/Sở Y tế.pub").display()
    );
    assert!(e.starts_with(&want), "{e}");
    // Without keys the edit breaks no sum: only the signature catches it.
    merge(read(&[&paths[0], &paths[1]]), None, None, T).unwrap();
}

fn run(cmd: &str, args: &[&str]) -> Output {
    Command::new(cmd)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{cmd}: {e}"))
}

fn ok(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed ({:?}):\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A key pair made by `minisign -G -W` as `NAME.pub` / `NAME.key`.
fn minisign_keys(d: &Scratch, name: &str) -> (String, String) {
    let (p, s) = (d.s(&format!("{name}.pub")), d.s(&format!("{name}.key")));
    ok(
        &run("minisign", &["-G", "-W", "-p", &p, "-s", &s]),
        "minisign -G -W",
    );
    (p, s)
}

#[test]
#[ignore = "needs minisign: make test runs it when present"]
fn minisign_signed_reports_merge_and_iocguard_signatures_verify_with_minisign() {
    require(&[Need::Minisign]);
    let d = Scratch::new("minisign");
    let (pub_x, sec_x) = minisign_keys(&d, "x");
    let (pub_y, sec_y) = minisign_keys(&d, "y");
    std::fs::copy(&pub_x, d.path("keys/Sở X.pub")).unwrap();
    std::fs::copy(&pub_y, d.path("keys/Sở Y.pub")).unwrap();
    let keys = KeyRing::load(&d.path("keys")).unwrap();
    let x = write_report(&d, "x.json", &report("Sở X"));
    let y = write_report(&d, "y.json", &report("Sở Y"));
    let (xs, ys) = (x.to_str().unwrap(), y.to_str().unwrap());

    // Units signing with minisign itself: prehashed and legacy.
    ok(
        &run("minisign", &["-S", "-s", &sec_x, "-t", "unit: Sở X", "-m", xs]),
        "minisign -S",
    );
    ok(
        &run(
            "minisign",
            &["-S", "-l", "-s", &sec_y, "-t", "unit: Sở Y", "-m", ys],
        ),
        "minisign -S -l",
    );
    let m = merge(read(&[&x, &y]), None, Some(&keys), T).unwrap();
    assert!(m.units.iter().all(|u| u.signed));
    let pk_x = PublicKey::parse(&std::fs::read_to_string(&pub_x).unwrap()).unwrap();
    let bytes_x = std::fs::read(&x).unwrap();
    let sig_x = std::fs::read(d.path("x.json.minisig")).unwrap();
    verify_report(&pk_x, &bytes_x, &sig_x, "Sở X").unwrap();

    // minisign's default trusted comment names no unit.
    ok(&run("minisign", &["-S", "-s", &sec_x, "-m", xs]), "minisign -S");
    let e = merge(read(&[&x]), None, Some(&keys), T).unwrap_err().to_string();
    assert!(e.contains("names no unit"), "{e}");

    // Forged: Y's key, claiming to be X.
    ok(
        &run("minisign", &["-S", "-s", &sec_y, "-t", "unit: Sở X", "-m", xs]),
        "minisign -S",
    );
    let e = merge(read(&[&x]), None, Some(&keys), T).unwrap_err().to_string();
    let want = format!(
        "{xs}: signature does not verify with {}: signed with key",
        d.path("keys/Sở X.pub").display()
    );
    assert!(e.starts_with(&want), "{e}");

    // The other direction: iocguard signs with minisign's secret key, and
    // `minisign -V` accepts it and shows the unit.
    let sk = SecretKey::parse(&std::fs::read_to_string(&sec_x).unwrap()).unwrap();
    let sig = sign_report(&sk, &bytes_x, "Sở X", T).unwrap();
    std::fs::write(d.path("x.json.minisig"), sig).unwrap();
    let out = run("minisign", &["-V", "-p", &pub_x, "-m", xs]);
    ok(&out, "minisign -V");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("Trusted comment: unit: Sở X\ttimestamp: {T}")),
        "{stdout}"
    );
    merge(read(&[&x]), None, Some(&keys), T).unwrap();
}
