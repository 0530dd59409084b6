//! One test per exit-code class of the binary (README, `iocguard --help`):
//! 0 ok, 1 partial, 2 usage or unusable input, 3 kept the previous state,
//! 4 the system refused.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

struct Dir(PathBuf);

impl Dir {
    fn new(tag: &str) -> Dir {
        let d = std::env::temp_dir().join(format!("iocguard-exit-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        Dir(d)
    }

    fn file(&self, name: &str, text: &str) -> String {
        let p = self.0.join(name);
        fs::write(&p, text).unwrap();
        p.display().to_string()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Exit code and stderr of `iocguard ARGS…`.
fn iocguard(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_iocguard"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn config(d: &Dir, run_dir: &Path, feed: &str) -> String {
    d.file(
        "iocguard.conf",
        &format!(
            "config iocguard 'main'\n\toption state_dir '{}'\n\toption run_dir '{}'\n\toption max_shrink '50'\n\n\
             config feed 'a'\n\toption url '{feed}'\n",
            d.0.join("state").display(),
            run_dir.display()
        ),
    )
}

fn ips(n: usize) -> String {
    (0..n)
        .map(|i| format!("11.0.{}.{}\n", i / 250, i % 250 + 1))
        .collect()
}

#[test]
fn ok_is_zero() {
    let d = Dir::new("ok");
    let f = d.file("a.txt", "evil.example\n11.1.1.1\n");
    assert_eq!(iocguard(&["check", &f]).0, 0);
    assert_eq!(iocguard(&["test", "evil.example", "--feed", &f]).0, 0);
}

#[test]
fn partial_is_one() {
    let d = Dir::new("partial");
    let f = d.file("a.txt", "evil.example\n11.1.1.1\n11.1.1.2\nnot a value\n");
    assert_eq!(iocguard(&["check", &f]).0, 1, "some lines rejected");
    assert_eq!(
        iocguard(&["test", "good.example", "--feed", &f]).0,
        1,
        "not blocked"
    );
    // A feed that cannot be read keeps its (absent) copy; sync goes on.
    let run = d.0.join("run");
    let cfg = config(&d, &run, &d.0.join("missing.txt").display().to_string());
    let (code, err) = iocguard(&["--config", &cfg, "sync", "--no-apply"]);
    assert_eq!(code, 1, "{err}");
}

#[test]
fn usage_and_unusable_input_are_two() {
    let d = Dir::new("usage");
    let (code, err) = iocguard(&["frobnicate"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown command \"frobnicate\""), "{err}");
    assert_eq!(iocguard(&["check"]).0, 2, "check without files");
    let html = d.file("page.txt", "<!DOCTYPE html><html><body>hi</body></html>\n");
    assert_eq!(iocguard(&["check", &html]).0, 2, "an HTML page is not a feed");
    let bad = d.file(
        "bad.conf",
        "config iocguard 'main'\n\toption log_rate '10/fortnight'\n",
    );
    let (code, err) = iocguard(&["--config", &bad, "sync"]);
    assert_eq!(code, 2);
    assert!(err.contains("bad.conf line 2: option log_rate"), "{err}");
}

#[test]
fn guard_refusal_keeping_the_previous_copy_is_three() {
    let d = Dir::new("kept");
    let feed = d.file("a.txt", &ips(100));
    let run = d.0.join("run");
    let cfg = config(&d, &run, &feed);
    assert_eq!(iocguard(&["--config", &cfg, "sync", "--no-apply"]).0, 0);
    fs::write(&feed, ips(10)).unwrap();
    let (code, err) = iocguard(&["--config", &cfg, "sync", "--no-apply"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("shrank from 100 to 10"), "{err}");
}

#[test]
fn system_refusal_is_four() {
    let d = Dir::new("system");
    let feed = d.file("a.txt", &ips(5));
    // No one, not even root, can create a directory under /proc.
    let cfg = config(&d, Path::new("/proc/iocguard-no-such-dir"), &feed);
    let (code, err) = iocguard(&["--config", &cfg, "sync", "--no-apply"]);
    assert_eq!(code, 4, "{err}");
    assert!(
        err.contains("/proc/iocguard-no-such-dir"),
        "the message names the path: {err}"
    );
}
