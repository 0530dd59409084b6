//! `iocguard sync` end to end with local feed files: exit codes, the
//! last-good cache, and the sanity guards. (HTTP(S) sources and the kernel
//! side are covered by their own tests.)

mod common;

use common::require::{require, Need};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

struct Env {
    dir: PathBuf,
}

impl Env {
    fn new(tag: &str) -> Env {
        let dir = std::env::temp_dir().join(format!("iocguard-sync-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Env { dir }
    }

    fn feed(&self, name: &str, body: &str) -> PathBuf {
        let p = self.dir.join(name);
        fs::write(&p, body).unwrap();
        p
    }

    fn config(&self, feeds: &[(&str, &Path)], extra: &str) -> PathBuf {
        let mut c = format!(
            "config iocguard 'main'\n\toption state_dir '{0}/state'\n\toption run_dir '{0}/run'\n{extra}\n",
            self.dir.display()
        );
        for (name, path) in feeds {
            c += &format!("config feed '{name}'\n\toption url '{}'\n", path.display());
        }
        let p = self.dir.join("iocguard.conf");
        fs::write(&p, c).unwrap();
        p
    }

    fn sync(&self, cfg: &Path, args: &[&str]) -> (i32, serde_json::Value, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_iocguard"))
            .arg("--config")
            .arg(cfg)
            .arg("sync")
            .arg("--no-apply")
            .arg("--json")
            .args(args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let json = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
        (out.status.code().unwrap_or(-1), json, stderr)
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// Runs a sync whose one feed must fail (download, signature, parse:
/// exit 1, outcome `failed`) with an error containing `words`, and keep
/// `v4` IPv4 entries in the set.
fn sync_fails(env: &Env, cfg: &Path, args: &[&str], words: &str, v4: u64) {
    sync_ends(env, cfg, args, (1, "failed"), words, v4)
}

/// Like [`sync_fails`] for a feed a guard refuses: exit 3, `refused`.
fn sync_refused(env: &Env, cfg: &Path, args: &[&str], words: &str, v4: u64) {
    sync_ends(env, cfg, args, (3, "refused"), words, v4)
}

fn sync_ends(env: &Env, cfg: &Path, args: &[&str], (exit, outcome): (i32, &str), words: &str, v4: u64) {
    let (code, json, _) = env.sync(cfg, args);
    assert_eq!(code, exit, "{json}");
    assert_eq!(json["feeds"][0]["outcome"], outcome, "{json}");
    let err = json["feeds"][0]["error"].as_str().unwrap_or_default();
    assert!(err.contains(words), "expected {words:?} in {json}");
    assert_eq!(json["v4_entries"], v4, "the previous copy must stay: {json}");
}

fn ips(n: usize) -> String {
    (0..n)
        .map(|i| format!("11.0.{}.{}\n", i / 250, i % 250 + 1))
        .collect()
}

#[test]
fn good_feeds_exit_zero_and_are_cached() {
    let env = Env::new("good");
    let a = env.feed("a.txt", &ips(10));
    let b = env.feed("b.txt", "evil.example\nbad.example\n");
    let cfg = env.config(&[("a", &a), ("b", &b)], "");
    let (code, json, err) = env.sync(&cfg, &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(json["v4_entries"], 10);
    assert_eq!(json["domains"], 2);
    assert!(env.dir.join("state/feeds/a.z").exists());
    assert!(env.dir.join("run/sync.json").exists());
    // Unchanged second run: the cache files are not rewritten.
    let before = fs::metadata(env.dir.join("state/feeds/a.z"))
        .unwrap()
        .modified()
        .unwrap();
    let (code, json, _) = env.sync(&cfg, &[]);
    assert_eq!(code, 0);
    assert_eq!(json["feeds"][0]["outcome"], "unchanged");
    assert_eq!(
        fs::metadata(env.dir.join("state/feeds/a.z"))
            .unwrap()
            .modified()
            .unwrap(),
        before
    );
}

#[test]
fn broken_feed_keeps_previous_copy_and_exits_one() {
    let env = Env::new("broken");
    let a = env.feed("a.txt", &ips(10));
    let cfg = env.config(&[("a", &a)], "");
    assert_eq!(env.sync(&cfg, &[]).0, 0);
    fs::write(&a, "<!DOCTYPE html><html><body>502 Bad Gateway</body></html>").unwrap();
    let (code, json, _) = env.sync(&cfg, &[]);
    assert_eq!(code, 1);
    assert_eq!(json["feeds"][0]["outcome"], "failed");
    assert!(
        json["feeds"][0]["error"].as_str().unwrap().contains("HTML page"),
        "{json}"
    );
    assert_eq!(json["v4_entries"], 10, "previous copy must stay in the set");
    fs::remove_file(&a).unwrap();
    sync_fails(&env, &cfg, &[], "cannot read file", 10);
}

#[test]
fn shrink_guard_and_force() {
    let env = Env::new("shrink");
    let a = env.feed("a.txt", &ips(100));
    let cfg = env.config(&[("a", &a)], "\toption max_shrink '50'");
    assert_eq!(env.sync(&cfg, &[]).0, 0);
    fs::write(&a, ips(40)).unwrap();
    sync_refused(&env, &cfg, &[], "shrank from 100 to 40", 100);
    let (code, json, _) = env.sync(&cfg, &["--force"]);
    assert_eq!(code, 0);
    assert_eq!(json["v4_entries"], 40);
}

#[test]
fn emptied_feed_is_refused() {
    let env = Env::new("empty");
    let a = env.feed("a.txt", &ips(5));
    let cfg = env.config(&[("a", &a)], "");
    assert_eq!(env.sync(&cfg, &[]).0, 0);
    fs::write(&a, "# nothing today\n").unwrap();
    sync_refused(&env, &cfg, &["--force"], "no entries", 5);
}

/// Issue 13: a feed whose entries are mostly well-formed indicators that
/// the safety gate refuses (bogons, `0.0.0.0/0`) is installed without
/// them, and the run says how many were dropped and why; a feed of
/// mostly unreadable lines is still refused whole.
#[test]
fn gate_refusals_are_dropped_one_by_one() {
    let env = Env::new("policy");
    let body = "# C2 list\n10.0.0.1\n10.2.3.4\n192.168.1.1\n192.168.7.7\n172.16.0.9\n127.0.0.1\n\
                0.0.0.0/0\n0.0.0.0\n224.0.0.251\n255.255.255.255\n169.254.1.1\n100.64.0.1\n\
                192.0.2.10\n203.0.113.5\n45.9.148.108\n185.220.101.4\n91.92.109.63\n";
    let a = env.feed("a.txt", body);
    let cfg = env.config(&[("a", &a)], "");
    let (code, json, _) = env.sync(&cfg, &[]);
    assert_eq!(code, 0, "{json}");
    assert_eq!(json["feeds"][0]["outcome"], "updated", "{json}");
    assert_eq!(json["feeds"][0]["entries"], 3, "{json}");
    assert_eq!(json["feeds"][0]["rejected_lines"], 14, "{json}");
    assert_eq!(json["v4_entries"], 3, "{json}");
    let refused = json["feeds"][0]["refused"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let total: u64 = refused.iter().map(|t| t["count"].as_u64().unwrap_or(0)).sum();
    assert_eq!(total, 14, "{json}");
    assert_eq!(
        refused[0]["reason"], "inside private network (RFC 1918)",
        "{json}"
    );
    assert_eq!(refused[0]["count"], 5, "{json}");

    // The human summary and the log say it too.
    fs::write(&a, format!("{body}# changed\n")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_iocguard"))
        .arg("--config")
        .arg(&cfg)
        .args(["-v", "sync", "--no-apply"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let log = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{text}{log}");
    assert!(
        text.contains("a: updated, 3 entries; 14 refused and dropped (5 inside private network (RFC 1918), "),
        "{text}"
    );
    assert!(
        log.contains("feed a: 3 entries installed; dropped as refused by policy: 5 inside private network"),
        "{log}"
    );

    // Not a list: most lines unreadable. The previous copy stays.
    fs::write(&a, "this is\nnot a list\nof anything\nat all\n45.9.148.108\n").unwrap();
    sync_fails(&env, &cfg, &[], "4 of 5 entries could not be read", 3);
}

#[test]
fn config_error_exits_two_naming_the_line() {
    let env = Env::new("cfg");
    let p = env.dir.join("bad.conf");
    fs::write(&p, "config iocguard 'main'\n\toption max_shrink 'lots'\n").unwrap();
    let (code, _, err) = env.sync(&p, &[]);
    assert_eq!(code, 2);
    assert!(err.contains("line 2: option max_shrink"), "{err}");
}

/// `kill -9` at random points of many syncs must never leave a torn state
/// file: every cached copy still decompresses and parses, and the next
/// sync succeeds with the full set.
#[test]
fn kill_9_at_random_points_leaves_no_corrupt_state() {
    let env = Env::new("kill9");
    // Big enough that a sync takes tens of milliseconds to parse and write.
    let a = env.feed("a.txt", &ips(60_000));
    let b = env.feed(
        "b.txt",
        &(0..20_000)
            .map(|i| format!("h{i}.evil.example\n"))
            .collect::<String>(),
    );
    let cfg = env.config(&[("a", &a), ("b", &b)], "\toption max_shrink '100'");
    assert_eq!(env.sync(&cfg, &[]).0, 0);
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for round in 0..40 {
        // Alternate contents so every run has something to write.
        let n = if round % 2 == 0 { 59_000 } else { 60_000 };
        fs::write(&a, ips(n)).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_iocguard"))
            .arg("--config")
            .arg(&cfg)
            .arg("sync")
            .arg("--no-apply")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        std::thread::sleep(std::time::Duration::from_micros(seed % 150_000));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        for feed in ["a", "b"] {
            let z = env.dir.join(format!("state/feeds/{feed}.z"));
            let bytes = fs::read(&z).unwrap();
            assert!(
                miniz_oxide::inflate::decompress_to_vec_zlib(&bytes).is_ok(),
                "round {round}: {feed}.z is torn"
            );
            let meta = fs::read(env.dir.join(format!("state/feeds/{feed}.json"))).unwrap();
            assert!(
                serde_json::from_slice::<serde_json::Value>(&meta).is_ok(),
                "round {round}: meta torn"
            );
        }
    }
    let (code, json, err) = env.sync(&cfg, &[]);
    assert_eq!(code, 0, "{err}");
    assert!(json["v4_entries"].as_u64().unwrap() >= 59_000);
    assert_eq!(json["domains"], 20_000);
}

fn iocguard(args: &[&str], cwd: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_iocguard"))
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap()
}

#[test]
#[ignore = "needs minisign: make test runs it when present"]
fn signed_feeds_are_verified_and_replays_refused() {
    require(&[Need::Minisign]);
    let env = Env::new("signed");
    let d = &env.dir;
    assert!(iocguard(&["feed", "keygen"], d).status.success());
    let pubkey = fs::read_to_string(d.join("iocguard.pub")).unwrap();
    let key_line = pubkey.lines().nth(1).unwrap().to_string();
    let a = env.feed("a.txt", &ips(20));
    let sign = |comment: &str| {
        let out = iocguard(
            &[
                "feed",
                "sign",
                "--sec",
                "iocguard.key",
                "--comment",
                comment,
                "a.txt",
            ],
            d,
        );
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    };
    let cfg = env.config(&[("a", &a)], "");
    let text = fs::read_to_string(&cfg).unwrap() + &format!("\toption pubkey '{key_line}'\n");
    fs::write(&cfg, text).unwrap();

    // Unsigned: refused, nothing cached.
    sync_fails(&env, &cfg, &[], "no signature", 0);

    // Signed: accepted.
    sign("timestamp:2000000000\tfile:a.txt");
    let (code, json, err) = env.sync(&cfg, &[]);
    assert_eq!(code, 0, "{err} {json}");
    assert_eq!(json["v4_entries"], 20);

    // Tampered body: refused, previous copy kept.
    fs::write(&a, ips(25)).unwrap();
    sync_fails(&env, &cfg, &[], "signature check failed", 20);

    // Correctly signed but older than the copy in use: a replay.
    sign("timestamp:1900000000\tfile:a.txt");
    sync_fails(&env, &cfg, &[], "replay", 20);

    // Signed by the real minisign tool with the same key: accepted.
    let out = Command::new("minisign")
        .args([
            "-S",
            "-s",
            "iocguard.key",
            "-m",
            "a.txt",
            "-t",
            "timestamp:2100000000",
        ])
        .current_dir(d)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (code, json, _) = env.sync(&cfg, &[]);
    assert_eq!(code, 0, "{json}");
    assert_eq!(json["v4_entries"], 25);
}

/// `n` listed lines, more than 4 MiB from ~200k on: domains and IPv4
/// hosts, told apart by `tag`.
fn big(n: u32, tag: &str) -> String {
    (0..n)
        .map(|i| match i % 2 {
            0 => format!("c2-{i}-{tag}.example.com\n"),
            _ => format!("11.{}.{}.{}\n", i >> 16, (i >> 8) & 255, i & 255),
        })
        .collect()
}

#[test]
fn a_big_download_is_staged_and_only_an_accepted_one_replaces_the_copy() {
    let env = Env::new("big");
    let body = big(400_000, "a");
    assert!(body.len() > 6 << 20, "above the 4 MiB parsed from memory");
    let a = env.feed("a.txt", &body);
    let cfg = env.config(&[("a", &a)], "\toption max_shrink '50'");
    let cfg_text = fs::read_to_string(&cfg).unwrap().replace(
        "config feed 'a'\n",
        "config feed 'a'\n\toption max_entries '2000000'\n\toption max_bytes '268435456'\n",
    );
    fs::write(&cfg, cfg_text).unwrap();
    let copy = env.dir.join("state/feeds/a.z");
    let staged = env.dir.join("state/feeds/a.z.new");
    let (code, json, err) = env.sync(&cfg, &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        (json["v4_entries"].as_u64(), json["domains"].as_u64()),
        (Some(200_000), Some(200_000)),
        "{json}"
    );
    assert!(copy.exists() && !staged.exists());
    let accepted = fs::read(&copy).unwrap();

    // The same again: unchanged, nothing written; a copy a killed sync
    // left staged is removed.
    fs::write(&a, &body).unwrap();
    fs::write(&staged, b"left by a killed sync").unwrap();
    let (code, json, _) = env.sync(&cfg, &[]);
    assert_eq!(
        (code, json["feeds"][0]["outcome"].as_str()),
        (0, Some("unchanged")),
        "{json}"
    );
    assert_eq!(fs::read(&copy).unwrap(), accepted);

    // Shrunk by 75 %: refused; the copy and the set stay, nothing staged.
    fs::write(&a, big(100_000, "b")).unwrap();
    sync_refused(&env, &cfg, &[], "shrank from 400000 to 100000", 200_000);
    assert_eq!(fs::read(&copy).unwrap(), accepted);
    assert!(!staged.exists(), "a refused copy is removed");

    // Mostly garbage: not a list; same.
    let garbage: String = (0..400_000).map(|i| format!("no good line {i}!\n")).collect();
    fs::write(&a, format!("{}{garbage}", big(100_000, "c"))).unwrap();
    sync_fails(&env, &cfg, &[], "", 200_000);
    assert_eq!(fs::read(&copy).unwrap(), accepted);
    assert!(!staged.exists());

    // A block of garbage that one piece alone would refuse, in a body
    // that is a list: accepted, with those lines counted as rejected.
    let block: String = (0..60_000).map(|i| format!("junk {i}!\n")).collect();
    let body = big(400_000, "d");
    let (head, tail) = body.split_at(body.len() / 2);
    let cut = head.rfind('\n').unwrap() + 1;
    fs::write(&a, format!("{}{block}{}{tail}", &head[..cut], &head[cut..])).unwrap();
    let (code, json, err) = env.sync(&cfg, &[]);
    assert_eq!(code, 0, "{err} {json}");
    assert_eq!(json["feeds"][0]["outcome"], "updated", "{json}");
    assert_eq!(json["feeds"][0]["rejected_lines"], 60_000, "{json}");
    assert_eq!(
        (json["v4_entries"].as_u64(), json["domains"].as_u64()),
        (Some(200_000), Some(200_000)),
        "{json}"
    );
    assert_ne!(fs::read(&copy).unwrap(), accepted);
    assert!(!staged.exists());
}
