//! The real OpenWrt userland (`../shared/openwrt-userland`, procd as PID 1
//! in its own namespaces) for package tests.
//!
//! The kit is a tool no registry has, so it is never copied into the repo:
//! it is built from `../shared/openwrt-userland` (or `$IOCGUARD_OWRT_KIT`)
//! into a cache outside the repo (`$IOCGUARD_CACHE`, default
//! `/var/cache/iocguard`), once; a re-run of its build script takes under a
//! second. Tests that use it need [`Need::OpenwrtKit`](super::require::Need)
//! and root. Each [`Router`] is a fresh instance with a unique name (the
//! rootfs is the lower layer of a tmpfs overlay, so every start is
//! pristine) and is stopped when dropped, client namespaces included.
#![allow(dead_code)]

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// The kit's source folder, if present.
pub fn kit_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("IOCGUARD_OWRT_KIT") {
        return Some(PathBuf::from(d));
    }
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/openwrt-userland");
    d.join("build.sh").is_file().then(|| d.canonicalize().unwrap())
}

/// apk-tools 3's source folder (`../shared/apk-tools` or
/// `$IOCGUARD_APK_TOOLS`), if present: `build.sh OUT` there builds `apk`.
pub fn apk_tools_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("IOCGUARD_APK_TOOLS") {
        return Some(PathBuf::from(d));
    }
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/apk-tools");
    d.join("build.sh").is_file().then(|| d.canonicalize().unwrap())
}

/// Where tools built for the tests are cached (outside the repo).
pub fn cache_dir() -> PathBuf {
    let d = std::env::var_os("IOCGUARD_CACHE")
        .map_or_else(|| PathBuf::from("/var/cache/iocguard"), PathBuf::from);
    std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("create cache {}: {e}", d.display()));
    d
}

/// Builds the kit (once; later calls are a stamp check) and returns the
/// rootfs. Concurrent test processes serialise on a lock file (`flock`,
/// util-linux).
pub fn rootfs() -> PathBuf {
    let kit = kit_dir().expect("../shared/openwrt-userland is absent (set IOCGUARD_OWRT_KIT)");
    let out = cache_dir().join("owrt-kit");
    let o = Command::new("flock")
        .arg(cache_dir().join("owrt-kit.lock"))
        .arg("bash")
        .arg(kit.join("build.sh"))
        .arg(&out)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "building the OpenWrt userland kit into {} failed: {}\n{}",
        out.display(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    out.join("rootfs")
}

/// The kit's harness script `name`.
pub fn harness(name: &str) -> PathBuf {
    kit_dir().unwrap().join("harness").join(name)
}

/// One running OpenWrt instance.
pub struct Router {
    /// Its instance name (also the prefix of its client namespaces).
    pub name: String,
    /// The rootfs it booted from.
    pub rootfs: PathBuf,
}

static SEQ: AtomicU32 = AtomicU32::new(0);

impl Router {
    /// Boots a fresh instance: procd, ubus and the boot scripts are up.
    pub fn start() -> Router {
        let rootfs = rootfs();
        let name = format!(
            "iog{}x{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        );
        let o = Command::new("bash")
            .arg(harness("start.sh"))
            .arg(&rootfs)
            .arg(&name)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "start.sh {name}: {}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        Router { name, rootfs }
    }

    /// Runs `cmd` (through `sh -c`) inside the instance.
    pub fn sh(&self, cmd: &str) -> Output {
        Command::new("bash")
            .arg(harness("exec.sh"))
            .arg(&self.name)
            .args(["sh", "-c", cmd])
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    /// Runs `cmd` inside and panics, with its output, unless it succeeds;
    /// returns its stdout.
    pub fn ok(&self, cmd: &str) -> String {
        let o = self.sh(cmd);
        assert!(
            o.status.success(),
            "in {}: `{cmd}` failed ({}):\n{}{}\n--- router log ---\n{}",
            self.name,
            o.status,
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr),
            self.log_tail()
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// Copies a host file to `dest` inside the instance.
    pub fn put(&self, src: &Path, dest: &str) {
        let o = Command::new("bash")
            .arg(harness("exec.sh"))
            .arg(&self.name)
            .args(["sh", "-c", &format!("cat > '{dest}'")])
            .stdin(File::open(src).unwrap_or_else(|e| panic!("{}: {e}", src.display())))
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "copy {} -> {dest}: {}",
            src.display(),
            String::from_utf8_lossy(&o.stderr)
        );
    }

    /// Marks packages the host provides (kernel modules, nft, CAs) as
    /// installed, so that real Depends: lines resolve.
    pub fn provide(&self, pkgs: &[&str]) {
        let o = Command::new("sh")
            .arg(harness("provide.sh"))
            .arg(&self.name)
            .args(pkgs)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "provide.sh: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }

    /// Makes network namespace `<name>-<tag>` and moves the router's `lan0p`
    /// (`side` "lan") or `wan0p` ("wan") peer into it; returns its name.
    pub fn client(&self, tag: &str, side: &str) -> String {
        let ns = format!("{}-{tag}", self.name);
        let o = Command::new("bash")
            .arg(harness("client.sh"))
            .args([&self.name, &ns, side])
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "client.sh: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        ns
    }

    /// The kit's busybox (udhcpc, wget, nslookup for client namespaces).
    pub fn busybox(&self) -> PathBuf {
        self.rootfs.join("bin/busybox")
    }

    /// The last lines procd and the init scripts wrote.
    pub fn log_tail(&self) -> String {
        let st = std::env::var("OWRT_NS_DIR").unwrap_or_else(|_| "/run/owrt-ns".into());
        let log = std::fs::read_to_string(format!("{st}/{}/log", self.name)).unwrap_or_default();
        let console = String::from_utf8_lossy(&self.sh("tail -n 40 /dev/console").stdout).into_owned();
        let tail: Vec<&str> = log.lines().rev().take(20).collect();
        format!(
            "{}\n{console}",
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        )
    }

    /// Polls `cmd` inside until it succeeds or `timeout` passes; returns
    /// whether it succeeded (its last stdout in the error case is logged).
    pub fn wait_for(&self, cmd: &str, timeout: Duration) -> bool {
        let end = Instant::now() + timeout;
        loop {
            if self.sh(cmd).status.success() {
                return true;
            }
            if Instant::now() > end {
                return false;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Router {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(harness("stop.sh"))
            .arg(&self.name)
            .output();
    }
}

/// The repository's root.
pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs a build script of the repo (`bash ARGS…` in its root, stderr
/// shown); the lines it prints on stdout, each a path it wrote.
pub fn build(args: &[&str]) -> Vec<PathBuf> {
    let o = Command::new("bash")
        .args(args)
        .current_dir(repo())
        .stderr(Stdio::inherit())
        .output()
        .unwrap();
    assert!(o.status.success(), "{args:?} failed");
    String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(PathBuf::from)
        .collect()
}
