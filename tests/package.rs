//! The OpenWrt package: builds an `.ipk` with `openwrt/build-ipk.sh` from the
//! host binary (the packaging is the same for every architecture except the
//! binary, which `make test-aarch64` covers under qemu), unpacks it with
//! `tar` and checks what opkg and the router will see: archive layout,
//! control fields, modes and ownership, the paths from DESIGN.md, conffiles,
//! agreement with `openwrt/Makefile`, shell syntax under busybox ash,
//! shellcheck; and the `.apk` for OpenWrt 25.12+, built and installed
//! with the real apk-tools 3. The init script runs under real procd in
//! tests/openwrt_kit.rs.
//!
//! Tools: GNU tar, gzip, bash (the builder); busybox and shellcheck for the
//! shell checks, whose tests are ignored and fail when run without them:
//! `make test` runs them where the tools are present (under `CI` they must
//! be).

mod common;

use common::require::{require, Need};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

const ARCH: &str = "aarch64_generic";
/// 2023-11-14 22:13:20 UTC: every archive member must carry this mtime.
const EPOCH: &str = "1700000000";
const EPOCH_UTC: &str = "2023-11-14 22:13:20";

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh directory under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!("iocguard-pkg-{}-{tag}", std::process::id()));
        let _ = fs::remove_dir_all(&p);
        fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Builds an ipk from the host binary into `out`; returns its path.
fn build_ipk(out: &Path) -> PathBuf {
    let o = run(Command::new("bash")
        .arg(repo().join("openwrt/build-ipk.sh"))
        .args(["--arch", ARCH, "--bin", env!("CARGO_BIN_EXE_iocguard"), "--out"])
        .arg(out)
        .env("SOURCE_DATE_EPOCH", EPOCH));
    PathBuf::from(text(&o.stdout).trim())
}

/// The package, built once and unpacked: `outer/` holds the three members,
/// `control/` and `data/` their contents.
struct Unpacked {
    _tmp: TempDir,
    ipk: PathBuf,
    root: PathBuf,
}

fn unpacked() -> &'static Unpacked {
    static U: OnceLock<Unpacked> = OnceLock::new();
    U.get_or_init(|| {
        let tmp = TempDir::new("ipk");
        let ipk = build_ipk(&tmp.0.join("dist"));
        let root = tmp.0.join("x");
        for d in ["outer", "control", "data"] {
            fs::create_dir_all(root.join(d)).unwrap();
        }
        run(Command::new("tar")
            .arg("-xzf")
            .arg(&ipk)
            .arg("-C")
            .arg(root.join("outer")));
        for d in ["control", "data"] {
            run(Command::new("tar")
                .arg("-xzf")
                .arg(root.join(format!("outer/{d}.tar.gz")))
                .arg("-C")
                .arg(root.join(d)));
        }
        Unpacked { _tmp: tmp, ipk, root }
    })
}

/// One `tar -tv` line: mode string, "uid/gid", mtime, path.
#[derive(Debug)]
struct Entry {
    mode: String,
    owner: String,
    mtime: String,
    path: String,
}

fn listing(archive: &Path) -> Vec<Entry> {
    let o = run(Command::new("tar")
        .args(["--numeric-owner", "--full-time", "-tvzf"])
        .arg(archive)
        .env("TZ", "UTC"));
    text(&o.stdout)
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            assert!(f.len() >= 6, "unexpected tar line {l:?}");
            Entry {
                mode: f[0].to_string(),
                owner: f[1].to_string(),
                mtime: format!("{} {}", f[3], f[4]),
                path: f[5..].join(" "),
            }
        })
        .collect()
}

fn control_fields() -> BTreeMap<String, String> {
    let c = fs::read_to_string(unpacked().root.join("control/control")).unwrap();
    let mut m = BTreeMap::new();
    let mut last = String::new();
    for line in c.lines() {
        if let Some(cont) = line.strip_prefix(' ') {
            let v: &mut String = m.get_mut(&last).expect("continuation line before any field");
            v.push('\n');
            v.push_str(cont);
        } else {
            let (k, v) = line
                .split_once(": ")
                .unwrap_or_else(|| panic!("bad control line {line:?}"));
            last = k.to_string();
            assert!(
                m.insert(k.to_string(), v.to_string()).is_none(),
                "field {k} twice"
            );
        }
    }
    m
}

fn makefile() -> String {
    fs::read_to_string(repo().join("openwrt/Makefile")).unwrap()
}

/// Body lines of `define NAME` … `endef` in openwrt/Makefile.
fn make_define(name: &str) -> Vec<String> {
    let mk = makefile();
    let start = format!("define {name}\n");
    let body = &mk[mk.find(&start).unwrap_or_else(|| panic!("no {start:?}")) + start.len()..];
    body[..body.find("endef\n").unwrap()]
        .lines()
        .map(str::to_string)
        .collect()
}

fn cargo_version() -> String {
    let toml = fs::read_to_string(repo().join("Cargo.toml")).unwrap();
    toml.lines()
        .find_map(|l| l.strip_prefix("version = \""))
        .and_then(|v| v.strip_suffix('"'))
        .unwrap()
        .to_string()
}

#[test]
fn outer_archive_is_a_gzipped_tar_with_the_three_members_in_ipkg_build_order() {
    let u = unpacked();
    let head = fs::read(&u.ipk).unwrap();
    // opkg on OpenWrt reads gzip'd tar; an ar archive ("!<arch>") is a .deb.
    assert_eq!(&head[..2], &[0x1f, 0x8b], "not gzip");
    let names: Vec<String> = listing(&u.ipk).into_iter().map(|e| e.path).collect();
    assert_eq!(names, ["./debian-binary", "./data.tar.gz", "./control.tar.gz"]);
    assert_eq!(
        fs::read_to_string(u.root.join("outer/debian-binary")).unwrap(),
        "2.0\n"
    );
    let file = u.ipk.file_name().unwrap().to_str().unwrap();
    assert_eq!(file, format!("iocguard_{}-r1_{ARCH}.ipk", cargo_version()));
}

#[test]
fn control_has_the_fields_opkg_and_the_feed_index_use() {
    let c = control_fields();
    let u = unpacked();
    assert_eq!(c["Package"], "iocguard");
    assert_eq!(c["Version"], format!("{}-r1", cargo_version()));
    assert_eq!(c["Architecture"], ARCH);
    assert_eq!(c["Section"], "net");
    assert_eq!(c["License"], "MIT OR Apache-2.0");
    for k in ["Source", "Maintainer", "Description"] {
        assert!(!c[k].trim().is_empty(), "{k} empty");
    }
    let deps: Vec<&str> = c["Depends"].split(", ").collect();
    for d in [
        "nftables-json",
        "kmod-nft-core",
        "kmod-nfnetlink-log",
        "ca-bundle",
    ] {
        assert!(deps.contains(&d), "Depends lacks {d}: {deps:?}");
    }
    assert!(
        !c["Depends"].contains('$') && !c["Depends"].contains('+'),
        "{}",
        c["Depends"]
    );
    // ipkg-build's definition: the size of the uncompressed data tar.
    let o = run(Command::new("gzip")
        .arg("-dc")
        .arg(u.root.join("outer/data.tar.gz")));
    assert_eq!(c["Installed-Size"], o.stdout.len().to_string());
}

#[test]
fn every_member_is_root_owned_with_the_fixed_mtime_and_the_intended_mode() {
    let u = unpacked();
    let want: BTreeMap<&str, &str> = [
        ("./usr/sbin/iocguard", "-rwxr-xr-x"),
        ("./etc/init.d/iocguard", "-rwxr-xr-x"),
        // INSTALL_CONF: the config may hold feed credentials.
        ("./etc/config/iocguard", "-rw-------"),
        ("./etc/uci-defaults/90-iocguard", "-rwxr-xr-x"),
        ("./usr/share/iocguard/firewall.include", "-rw-r--r--"),
        ("./usr/share/iocguard/dnsmasq.sh", "-rwxr-xr-x"),
        ("./usr/share/iocguard/dnsguard.sh", "-rwxr-xr-x"),
        ("./lib/upgrade/keep.d/iocguard", "-rw-r--r--"),
    ]
    .into_iter()
    .collect();
    let data = listing(&u.root.join("outer/data.tar.gz"));
    let mut files = BTreeMap::new();
    for e in &data {
        assert_eq!(e.owner, "0/0", "{e:?}");
        assert_eq!(e.mtime, EPOCH_UTC, "{e:?}");
        if e.mode.starts_with('d') {
            assert_eq!(e.mode, "drwxr-xr-x", "{e:?}");
        } else {
            files.insert(e.path.as_str(), e.mode.as_str());
        }
    }
    assert_eq!(files, want);
    let control = listing(&u.root.join("outer/control.tar.gz"));
    for e in control.iter().chain(listing(&u.ipk).iter()) {
        assert_eq!((e.owner.as_str(), e.mtime.as_str()), ("0/0", EPOCH_UTC), "{e:?}");
    }
}

#[test]
fn the_paths_of_design_md_are_installed_or_left_to_runtime() {
    let u = unpacked();
    let design = fs::read_to_string(repo().join("DESIGN.md")).unwrap();
    let table = &design[design
        .find("## Paths on OpenWrt")
        .expect("DESIGN.md lost its paths table")..];
    let table = &table[..table[3..].find("\n## ").map_or(table.len(), |i| i + 3)];
    let paths: Vec<&str> = table
        .lines()
        .filter_map(|l| l.strip_prefix("| `")?.split('`').next())
        .collect();
    assert!(paths.len() >= 5, "{paths:?}");
    let keep = fs::read_to_string(u.root.join("data/lib/upgrade/keep.d/iocguard")).unwrap();
    let uci_defaults = fs::read_to_string(u.root.join("data/etc/uci-defaults/90-iocguard")).unwrap();
    for p in paths {
        if p.starts_with("/tmp/") {
            // RAM: created at runtime, never shipped (flash is precious).
            assert!(!u.root.join("data").join(&p[1..]).exists(), "{p} shipped");
        } else if let Some(dir) = p.strip_suffix('/') {
            // Flash state dir: created on install, kept across sysupgrade.
            assert!(keep.lines().any(|l| l == p), "{p} not in keep.d");
            assert!(
                uci_defaults.contains(&format!("mkdir -p {dir}")),
                "{p} not created"
            );
        } else {
            assert!(
                u.root.join("data").join(&p[1..]).is_file(),
                "{p} missing from data.tar.gz"
            );
        }
    }
}

#[test]
fn conffiles_and_keep_d_match_the_package_makefile() {
    let u = unpacked();
    let conffiles = fs::read_to_string(u.root.join("control/conffiles")).unwrap();
    assert_eq!(conffiles, "/etc/config/iocguard\n");
    let keep = fs::read_to_string(u.root.join("data/lib/upgrade/keep.d/iocguard")).unwrap();
    assert_eq!(keep, "/etc/iocguard/\n");
    let mut from_make = make_define("Package/iocguard/conffiles");
    from_make.sort();
    let mut from_ipk: Vec<String> = conffiles
        .lines()
        .chain(keep.lines())
        .map(str::to_string)
        .collect();
    from_ipk.sort();
    assert_eq!(from_make, from_ipk);
}

#[test]
fn data_matches_the_install_section_of_the_package_makefile() {
    let u = unpacked();
    let mut installed = Vec::new();
    for line in make_define("Package/iocguard/install") {
        let f: Vec<&str> = line.split_whitespace().collect();
        let mode = match f.first().copied() {
            Some("$(INSTALL_BIN)") => 0o755,
            Some("$(INSTALL_CONF)") => 0o600,
            Some("$(INSTALL_DATA)") => 0o644,
            Some("$(INSTALL_DIR)") => continue,
            other => panic!("unexpected install line {line:?} ({other:?})"),
        };
        let (src, dest) = (f[1], f[2].strip_prefix("$(1)").expect("dest under $(1)"));
        let got = u.root.join("data").join(&dest[1..]);
        let meta = fs::metadata(&got).unwrap_or_else(|_| panic!("{dest} not in data.tar.gz"));
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(meta.permissions().mode() & 0o7777, mode, "{dest}");
        let want = match src.strip_prefix("./") {
            Some(rel) => fs::read(repo().join("openwrt").join(rel)).unwrap(),
            None => fs::read(env!("CARGO_BIN_EXE_iocguard")).unwrap(),
        };
        assert!(fs::read(&got).unwrap() == want, "{dest} differs from {src}");
        installed.push(dest.to_string());
    }
    assert!(installed.contains(&"/usr/sbin/iocguard".to_string()));
    // Nothing in the package that the Makefile does not install (keep.d is
    // generated from conffiles, as package-ipkg.mk does).
    let o = run(Command::new("find").arg(u.root.join("data")).args(["-type", "f"]));
    let prefix = u.root.join("data");
    for f in text(&o.stdout).lines() {
        let rel = &f[prefix.to_str().unwrap().len()..];
        assert!(
            installed.iter().any(|i| i == rel) || rel == "/lib/upgrade/keep.d/iocguard",
            "{rel} is not in Package/iocguard/install"
        );
    }
}

#[test]
fn control_scripts_call_openwrts_defaults_and_prerm_matches_the_makefile() {
    let u = unpacked();
    let postinst = fs::read_to_string(u.root.join("control/postinst")).unwrap();
    assert!(postinst.contains(". \"${IPKG_INSTROOT}/lib/functions.sh\""));
    assert!(postinst.contains("default_postinst \"$0\" \"$@\""));
    let prerm = fs::read_to_string(u.root.join("control/prerm")).unwrap();
    assert!(prerm.contains("default_prerm \"$0\" \"$@\""));
    // The SDK build takes prerm-pkg from the Makefile, build-ipk.sh from
    // files/iocguard.prerm: same commands ($$ is make's escaped $).
    let code = |lines: Vec<String>| -> Vec<String> {
        lines
            .into_iter()
            .map(|l| l.replace("$$", "$"))
            .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
            .collect()
    };
    let ipk = fs::read_to_string(u.root.join("control/prerm-pkg")).unwrap();
    assert_eq!(
        code(ipk.lines().map(str::to_string).collect()),
        code(make_define("Package/iocguard/prerm"))
    );
    assert!(ipk.contains("PKG_UPGRADE"), "removal hook must spare upgrades");
}

#[test]
fn the_same_inputs_give_the_same_bytes() {
    let tmp = TempDir::new("repro");
    let a = fs::read(build_ipk(&tmp.0.join("a"))).unwrap();
    let b = fs::read(build_ipk(&tmp.0.join("b"))).unwrap();
    assert!(a == b, "two builds with SOURCE_DATE_EPOCH={EPOCH} differ");
}

/// The shell files as they ship: path in the package → local file.
fn shipped_scripts() -> Vec<(String, PathBuf)> {
    let u = unpacked();
    let mut v: Vec<(String, PathBuf)> = [
        "etc/init.d/iocguard",
        "etc/uci-defaults/90-iocguard",
        "usr/share/iocguard/dnsmasq.sh",
        "usr/share/iocguard/dnsguard.sh",
        "usr/share/iocguard/firewall.include",
    ]
    .iter()
    .map(|p| (format!("/{p}"), u.root.join("data").join(p)))
    .collect();
    for c in ["postinst", "prerm", "prerm-pkg"] {
        v.push((format!("CONTROL/{c}"), u.root.join("control").join(c)));
    }
    v
}

#[test]
#[ignore = "needs busybox: make test runs it when present"]
fn router_scripts_parse_under_busybox_ash() {
    require(&[Need::Busybox]);
    for (name, path) in shipped_scripts() {
        let o = Command::new("busybox")
            .args(["ash", "-n"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(o.status.success(), "{name}: {}", text(&o.stderr));
    }
}

#[test]
#[ignore = "needs shellcheck: make test runs it when present"]
fn router_and_build_scripts_are_shellcheck_clean() {
    require(&[Need::Shellcheck]);
    // Excluded, for the router scripts only:
    //  SC3043 `local` is not POSIX, but busybox ash (the only shell on
    //         OpenWrt) has it and every OpenWrt init script uses it.
    //  SC2034 START/USE_PROCD look unused: /etc/rc.common reads them.
    //  SC1091 /lib/functions.sh is sourced on the router, not here.
    for (name, path) in shipped_scripts() {
        let o = Command::new("shellcheck")
            .args(["-s", "sh", "-e", "SC3043,SC2034,SC1091"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(o.status.success(), "{name}:\n{}", text(&o.stdout));
    }
    // Build scripts: bash, no exclusions.
    let mut build: Vec<PathBuf> = fs::read_dir(repo().join("cross"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "sh") || p.ends_with("armv7-musl-gcc"))
        .collect();
    build.push(repo().join("openwrt/build-ipk.sh"));
    // The demo and the system test's lab (demo/lib.sh).
    for f in ["demo/run.sh", "demo/lib.sh", "demo/udhcpc-event.sh"] {
        build.push(repo().join(f));
    }
    build.push(repo().join("openwrt/build-apk.sh"));
    build.push(repo().join("openwrt/dist.sh"));
    build.sort();
    let o = Command::new("shellcheck")
        .arg("-x")
        .args(&build)
        .current_dir(repo())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stdout));
}

// --- The .apk for OpenWrt 25.12+ (apk-tools 3) ------------------------------

/// The real apk-tools 3, built from ../shared/apk-tools into the cache.
fn apk_tool() -> PathBuf {
    let tools = common::owrt::apk_tools_dir().expect("../shared/apk-tools is absent");
    let out = common::owrt::cache_dir().join("apk");
    let o = run(Command::new("flock")
        .arg(common::owrt::cache_dir().join("apk.lock"))
        .arg("bash")
        .arg(tools.join("build.sh"))
        .arg(&out));
    PathBuf::from(text(&o.stdout).lines().last().unwrap().trim())
}

fn build_apk(apk: &Path, out: &Path) -> PathBuf {
    let o = run(Command::new("bash")
        .arg(repo().join("openwrt/build-apk.sh"))
        .args([
            "--arch",
            "x86_64",
            "--bin",
            env!("CARGO_BIN_EXE_iocguard"),
            "--out",
        ])
        .arg(out)
        .arg("--apk")
        .arg(apk)
        .env("SOURCE_DATE_EPOCH", EPOCH));
    PathBuf::from(text(&o.stdout).lines().last().unwrap().trim())
}

/// `apk add --root DIR --initdb --allow-untrusted --no-network` of the
/// package, as on a 25.12 router, into a scratch root that has a shell
/// (Debian's static busybox) and a /lib/functions.sh recording the calls
/// of the scripts (the real one acts on a running system). Then
/// `apk del`: the removal hook runs, every file goes, the conffile stays
/// only if changed.
#[test]
#[ignore = "needs root, busybox and apk-kit: make test runs it when present"]
fn the_apk_installs_and_removes_with_apk_tools_3() {
    require(&[Need::Root, Need::Busybox, Need::ApkKit]);
    let apk = apk_tool();
    let tmp = TempDir::new("apk");
    let pkg = build_apk(&apk, &tmp.0.join("dist"));
    assert!(pkg.ends_with("iocguard_0.1.0-r1_x86_64.apk"), "{}", pkg.display());
    // Stand-ins for the dependencies the image provides (kernel modules,
    // nft, CAs): empty packages with their names, built by apk too.
    let empty = tmp.0.join("empty");
    fs::create_dir_all(&empty).unwrap();
    let mut deps = Vec::new();
    let dump = text(&run(Command::new(&apk).arg("adbdump").arg(&pkg)).stdout);
    let info = &dump[..dump.find("paths:").unwrap()];
    let mut in_depends = false;
    for line in info.lines() {
        if line.trim_start().starts_with("depends:") {
            in_depends = true;
        } else if in_depends {
            match line.trim().strip_prefix("- ") {
                Some(d) => deps.push(d.to_string()),
                None => in_depends = false,
            }
        }
    }
    assert_eq!(
        deps,
        [
            "ca-bundle",
            "kmod-nfnetlink-log",
            "kmod-nft-core",
            "kmod-nft-fib",
            "kmod-nft-nat",
            "nftables-json"
        ]
    );
    for (k, v) in [
        ("name", "iocguard"),
        ("version", "0.1.0-r1"),
        ("arch", "x86_64"),
        ("license", "MIT OR Apache-2.0"),
    ] {
        assert!(info.contains(&format!("  {k}: {v}\n")), "{k}: {info}");
    }
    let mut stubs = Vec::new();
    for d in &deps {
        let p = tmp.0.join(format!("{d}.apk"));
        run(Command::new(&apk)
            .args(["mkpkg", "--info", &format!("name:{d}"), "--info", "version:1-r0"])
            .args([
                "--info",
                "arch:x86_64",
                "--info",
                "description:provided by the image",
            ])
            .arg("--files")
            .arg(&empty)
            .arg("--output")
            .arg(&p));
        stubs.push(p);
    }
    let root = tmp.0.join("root");
    let calls = root.join("calls");
    fs::create_dir_all(root.join("bin")).unwrap();
    fs::create_dir_all(root.join("lib")).unwrap();
    let busybox = std::env::split_paths(&std::env::var_os("PATH").unwrap())
        .map(|d| d.join("busybox"))
        .find(|p| p.is_file())
        .unwrap();
    fs::copy(&busybox, root.join("bin/busybox")).unwrap();
    std::os::unix::fs::symlink("busybox", root.join("bin/sh")).unwrap();
    // apk runs the scripts chrooted into the root: busybox's shared
    // libraries (Debian's is dynamic) go in at their own paths.
    let ldd = text(&run(Command::new("ldd").arg(&busybox)).stdout);
    for lib in ldd.split_whitespace().filter(|w| w.starts_with('/')) {
        let dest = root.join(lib.trim_start_matches('/'));
        fs::create_dir_all(dest.parent().unwrap()).unwrap();
        fs::copy(lib, &dest).unwrap_or_else(|e| panic!("{lib}: {e}"));
    }
    fs::write(
        root.join("lib/functions.sh"),
        "add_group_and_user() { echo \"add_group_and_user $pkgname root=[$root]\" >> /calls; }\n\
         default_postinst() { echo \"default_postinst $pkgname\" >> /calls; }\n\
         default_prerm() { echo \"default_prerm $pkgname\" >> /calls; }\n",
    )
    .unwrap();
    let mut add = Command::new(&apk);
    add.arg("add")
        .arg("--root")
        .arg(&root)
        .args([
            "--initdb",
            "--allow-untrusted",
            "--no-network",
            "--arch",
            "x86_64",
        ])
        .args(&stubs)
        .arg(&pkg);
    let o = run(&mut add);
    assert!(
        text(&o.stdout).contains("Installing iocguard (0.1.0-r1)"),
        "{}",
        text(&o.stdout)
    );
    assert_eq!(
        fs::read_to_string(&calls).unwrap(),
        "add_group_and_user iocguard root=[]\ndefault_postinst iocguard\n",
        "post-install runs OpenWrt's default_postinst"
    );
    // The files, modes and OpenWrt's package metadata.
    use std::os::unix::fs::PermissionsExt;
    for (p, mode) in [
        ("usr/sbin/iocguard", 0o755),
        ("etc/init.d/iocguard", 0o755),
        ("etc/config/iocguard", 0o600),
        ("etc/uci-defaults/90-iocguard", 0o755),
        ("usr/share/iocguard/dnsmasq.sh", 0o755),
        ("usr/share/iocguard/dnsguard.sh", 0o755),
        ("usr/share/iocguard/firewall.include", 0o644),
        ("lib/upgrade/keep.d/iocguard", 0o644),
        ("lib/apk/packages/iocguard.list", 0o644),
        ("lib/apk/packages/iocguard.conffiles", 0o644),
        ("lib/apk/packages/iocguard.conffiles_static", 0o644),
    ] {
        let m = fs::metadata(root.join(p)).unwrap_or_else(|e| panic!("{p}: {e}"));
        assert_eq!(m.permissions().mode() & 0o7777, mode, "{p}");
    }
    let list = fs::read_to_string(root.join("lib/apk/packages/iocguard.list")).unwrap();
    for p in [
        "/usr/sbin/iocguard",
        "/etc/config/iocguard",
        "/lib/upgrade/keep.d/iocguard",
    ] {
        assert!(list.lines().any(|l| l == p), "{p} in the list:\n{list}");
    }
    assert!(
        !list.contains("conffiles"),
        "the list is written (sorted, through a temporary file) before the conffile lists"
    );
    assert_eq!(
        fs::read_to_string(root.join("lib/apk/packages/iocguard.conffiles")).unwrap(),
        "/etc/config/iocguard\n"
    );
    let stat = fs::read_to_string(root.join("lib/apk/packages/iocguard.conffiles_static")).unwrap();
    let sum = text(&run(Command::new("sha256sum").arg(repo().join("openwrt/files/iocguard.config"))).stdout);
    assert_eq!(
        stat,
        format!(
            "/etc/config/iocguard {}\n",
            sum.split_whitespace().next().unwrap()
        )
    );
    assert_eq!(
        fs::read(root.join("usr/sbin/iocguard")).unwrap(),
        fs::read(env!("CARGO_BIN_EXE_iocguard")).unwrap()
    );

    // apk del: pre-deinstall runs default_prerm, then our hook.
    fs::write(&calls, "").unwrap();
    let o = run(Command::new(&apk)
        .arg("del")
        .arg("--root")
        .arg(&root)
        .args(["--no-network", "iocguard"]));
    assert!(
        text(&o.stdout).contains("Purging iocguard"),
        "{}",
        text(&o.stdout)
    );
    assert_eq!(fs::read_to_string(&calls).unwrap(), "default_prerm iocguard\n");
    assert!(!root.join("usr/sbin/iocguard").exists());
    assert!(!root.join("etc/init.d/iocguard").exists());
}

#[test]
#[ignore = "needs apk-kit: make test runs it when present"]
fn the_apk_is_reproducible() {
    require(&[Need::ApkKit]);
    let apk = apk_tool();
    let tmp = TempDir::new("apk-repro");
    let a = fs::read(build_apk(&apk, &tmp.0.join("a"))).unwrap();
    let b = fs::read(build_apk(&apk, &tmp.0.join("b"))).unwrap();
    assert!(a == b, "two builds with SOURCE_DATE_EPOCH={EPOCH} differ");
}
