//! luci-app-iocguard as packages and translations, without a browser:
//! every string has Vietnamese, the catalogue compiles to the `.lmo` LuCI
//! reads, the `.apk` installs and uninstalls with apk-tools 3 on the
//! OpenWrt userland kit, the build script is shellcheck-clean. (The
//! `.ipk` is installed with opkg by `tests/luci_app.rs`.)

mod common;

use common::owrt::{build, repo, Router};
use common::require::{require, Need};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// The strings the app translates: `_('…')` in the views and the menu
/// titles (as `i18n-scan.py` collects them for the .pot).
fn app_strings() -> Vec<String> {
    let app = repo().join("openwrt/luci-app-iocguard");
    let mut files = vec![app.join("htdocs/luci-static/resources/iocguard/api.js")];
    let views = app.join("htdocs/luci-static/resources/view/iocguard");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&views)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    files.extend(v);
    let mut found = Vec::new();
    for f in files {
        let src = std::fs::read_to_string(&f).unwrap();
        let mut rest = src.as_str();
        while let Some(i) = rest.find("_('") {
            rest = &rest[i + 3..];
            let mut s = String::new();
            let mut chars = rest.char_indices();
            while let Some((j, c)) = chars.next() {
                match c {
                    '\\' => s.push(chars.next().unwrap().1),
                    '\'' => {
                        rest = &rest[j..];
                        break;
                    }
                    c => s.push(c),
                }
            }
            found.push(s);
        }
    }
    let menu: Value = serde_json::from_str(
        &std::fs::read_to_string(app.join("root/usr/share/luci/menu.d/luci-app-iocguard.json")).unwrap(),
    )
    .unwrap();
    for node in menu.as_object().unwrap().values() {
        found.push(node["title"].as_str().unwrap().to_string());
    }
    found.sort();
    found.dedup();
    found
}

/// msgid → msgstr of a .po file (single-line entries, as ours are).
fn po(path: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(path).unwrap();
    let unq = |l: &str| {
        let s = &l[l.find('"').unwrap() + 1..l.rfind('"').unwrap()];
        s.replace("\\\"", "\"").replace("\\\\", "\\")
    };
    let mut out = Vec::new();
    let mut id = None;
    for l in text.lines() {
        if l.starts_with("msgid ") {
            id = Some(unq(l));
        } else if l.starts_with("msgstr ") {
            if let Some(i) = id.take().filter(|i| !i.is_empty()) {
                out.push((i, unq(l)));
            }
        }
    }
    out
}

#[test]
fn every_string_of_the_app_has_a_vietnamese_translation_and_the_template_is_current() {
    let app = repo().join("openwrt/luci-app-iocguard/po");
    let used = app_strings();
    assert!(
        used.len() > 100,
        "{} strings found: the scan is broken",
        used.len()
    );
    let mut pot: Vec<String> = po(&app.join("templates/iocguard.pot"))
        .into_iter()
        .map(|(i, _)| i)
        .collect();
    pot.sort();
    assert_eq!(pot, used, "po/templates/iocguard.pot is stale: run i18n-scan.py");
    let vi = po(&app.join("vi/iocguard.po"));
    let untranslated: Vec<&String> = used
        .iter()
        .filter(|s| !vi.iter().any(|(i, t)| i == *s && !t.is_empty()))
        .collect();
    assert!(untranslated.is_empty(), "no Vietnamese for {untranslated:#?}");
}

#[test]
#[ignore = "needs python3: make test runs it when present"]
fn the_vietnamese_catalogue_compiles_to_the_lmo_luci_reads() {
    require(&[Need::Python3]);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("luci_lmo");
    std::fs::create_dir_all(&dir).unwrap();
    let lmo = dir.join("iocguard.vi.lmo");
    let app = repo().join("openwrt/luci-app-iocguard");
    let o = Command::new("python3")
        .arg(app.join("po2lmo.py"))
        .arg(app.join("po/vi/iocguard.po"))
        .arg(&lmo)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // The layout LuCI reads: values, a sorted 16-byte index, its offset.
    let d = std::fs::read(&lmo).unwrap();
    let be = |i: usize| u32::from_be_bytes(d[i..i + 4].try_into().unwrap());
    let idx = be(d.len() - 4) as usize;
    assert_eq!((d.len() - 4 - idx) % 16, 0);
    let entries: Vec<(u32, String)> = (idx..d.len() - 4)
        .step_by(16)
        .map(|i| {
            let (off, len) = (be(i + 8) as usize, be(i + 12) as usize);
            (be(i), String::from_utf8(d[off..off + len].to_vec()).unwrap())
        })
        .collect();
    assert!(entries.windows(2).all(|w| w[0].0 <= w[1].0), "index not sorted");
    // Key ids as LuCI's own po2lmo (luci-base) computes them for these
    // msgids: the hash must agree or LuCI never finds a translation.
    for (key, text) in [
        (0xadba_ae97, "Tổng quan"),
        (0xf841_36d5, "Máy bị nhiễm"),
        (0x4b64_add6, "Xác nhận (đã làm sạch)"),
        (0xb6c1_d32f, "Tắt sẽ gỡ các luật của iocguard khỏi nhân."),
        (0, "nplurals=1; plural=0;"),
    ] {
        assert!(
            entries.iter().any(|(k, t)| *k == key && t == text),
            "{key:#x} {text:?} is not in the catalogue"
        );
    }
    // Every translated string is in (those equal to their msgid, e.g.
    // "MAC", are left out as LuCI's tool does).
    let differing = po(&app.join("po/vi/iocguard.po"))
        .iter()
        .filter(|(i, t)| i != t)
        .count();
    assert_eq!(entries.len(), differing + 1);
}

/// apk-tools 3, built once from `../shared/apk-tools` (or
/// `$IOCGUARD_APK_TOOLS`) into the test cache; a tool no registry has.
fn apk_tool() -> PathBuf {
    let src = std::env::var_os("IOCGUARD_APK_TOOLS")
        .map_or_else(|| repo().join("../shared/apk-tools"), PathBuf::from);
    assert!(
        src.join("build.sh").is_file(),
        "this test needs apk-tools 3's source in {} (apk-kit)",
        src.display()
    );
    let cache = common::owrt::cache_dir();
    let o = Command::new("flock")
        .arg(cache.join("apk.lock"))
        .arg("bash")
        .arg(src.join("build.sh"))
        .arg(cache.join("apk"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "building apk-tools: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    PathBuf::from(String::from_utf8(o.stdout).unwrap().lines().last().unwrap())
}

#[test]
#[ignore = "needs root, the OpenWrt userland kit and apk-tools 3's source: make test runs it when present"]
fn the_app_installs_and_removes_with_apk_on_the_kit() {
    require(&[Need::Root, Need::OpenwrtKit]);
    let apk = apk_tool();
    let dist = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("luci_apk");
    let _ = std::fs::remove_dir_all(&dist);
    std::fs::create_dir_all(dist.join("empty")).unwrap();
    let built = build(&[
        "openwrt/luci-app-iocguard/build.sh",
        "--out",
        dist.to_str().unwrap(),
        "--apk",
        apk.to_str().unwrap(),
    ]);
    let app = built
        .iter()
        .find(|p| p.extension().is_some_and(|e| e == "apk"))
        .unwrap();
    assert!(
        app.ends_with("luci-app-iocguard-0.1.0-r1.apk"),
        "{}",
        app.display()
    );

    let r = Router::start();
    // apk runs inside the router as on OpenWrt 25.12: the host's build
    // with the libraries it links (the kit has the host's glibc).
    r.ok("mkdir -p /tmp/apk-tool /tmp/apk-pkgs");
    let ldd = Command::new("ldd").arg(&apk).output().unwrap();
    let mut files = vec![apk.clone()];
    for l in String::from_utf8_lossy(&ldd.stdout).lines() {
        if let Some(p) = l.split("=> ").nth(1).and_then(|p| p.split(' ').next()) {
            if !p.contains("/libc.so") {
                files.push(PathBuf::from(p));
            }
        }
    }
    for f in &files {
        r.put(
            f,
            &format!("/tmp/apk-tool/{}", f.file_name().unwrap().to_str().unwrap()),
        );
    }
    // What the image provides, as empty packages (the kit's LuCI and rpcd
    // are not installed by a package manager; iocguard is another test's).
    for dep in ["luci-base", "rpcd-mod-ucode", "iocguard"] {
        let stub = dist.join(format!("{dep}.apk"));
        let o = Command::new(&apk)
            .args([
                "mkpkg",
                "--info",
                &format!("name:{dep}"),
                "--info",
                "version:0-r0",
            ])
            .args([
                "--info",
                "arch:noarch",
                "--info",
                "description:provided by the image",
                "--files",
            ])
            .arg(dist.join("empty"))
            .arg("--output")
            .arg(&stub)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        r.put(&stub, &format!("/tmp/apk-pkgs/{dep}.apk"));
    }
    r.put(app, "/tmp/apk-pkgs/luci-app-iocguard.apk");
    r.ok("/etc/init.d/rpcd start");
    let apk_in = "chmod +x /tmp/apk-tool/apk; LD_LIBRARY_PATH=/tmp/apk-tool /tmp/apk-tool/apk";
    r.ok(&format!(
        "{apk_in} add --initdb --allow-untrusted --no-network /tmp/apk-pkgs/*.apk"
    ));
    r.ok(&format!("{apk_in} info -e luci-app-iocguard"));
    for f in [
        "/www/luci-static/resources/view/iocguard/hosts.js",
        "/www/luci-static/resources/iocguard/api.js",
        "/usr/share/rpcd/ucode/iocguard",
        "/usr/share/rpcd/acl.d/luci-app-iocguard.json",
        "/usr/share/luci/menu.d/luci-app-iocguard.json",
        "/usr/lib/lua/luci/i18n/iocguard.vi.lmo",
    ] {
        r.ok(&format!("[ -f {f} ]"));
    }
    // The post-install script made rpcd load the plugin.
    assert!(
        r.wait_for("ubus list luci.iocguard", Duration::from_secs(15)),
        "rpcd did not load luci.iocguard after apk add"
    );
    r.ok(&format!("{apk_in} del luci-app-iocguard"));
    r.ok("[ ! -e /www/luci-static/resources/view/iocguard/hosts.js ] && [ ! -e /usr/share/rpcd/ucode/iocguard ]");
    assert!(
        r.wait_for("! ubus list luci.iocguard", Duration::from_secs(15)),
        "rpcd kept luci.iocguard after apk del"
    );
}

#[test]
#[ignore = "needs shellcheck: make test runs it when present"]
fn the_app_build_script_is_shellcheck_clean() {
    require(&[Need::Shellcheck]);
    let o = Command::new("shellcheck")
        .arg("-x")
        .arg("openwrt/luci-app-iocguard/build.sh")
        .current_dir(repo())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
}
