//! Where `dns.mode dnsmasq-file` puts its list: the conf-dir of the
//! running dnsmasq, read from the configuration OpenWrt's dnsmasq init
//! generates (`/var/etc/dnsmasq.conf.<section>`, a `conf-dir=` line).
//! Releases differ: 22.03 uses `/tmp/dnsmasq.d`, 23.05 and later
//! `/tmp/dnsmasq.<section>.d` (the only directory its jail lets in), so a
//! fixed path is wrong on one of them.
//!
//! dnsmasq reads conf-dir files only at start: after a change the caller
//! restarts it (`/etc/init.d/dnsmasq restart`, as adblock does).

use std::path::{Path, PathBuf};

/// Where OpenWrt's dnsmasq init writes the generated configurations.
pub const GENERATED_DIR: &str = "/var/etc";

/// The conf-dir when no generated configuration names one (22.03's).
pub const FALLBACK_DIR: &str = "/tmp/dnsmasq.d";

/// The file iocguard owns inside a conf-dir.
pub const FILE_NAME: &str = "iocguard.conf";

/// The directories of the `conf-dir=DIR[,filters]` lines of one generated
/// configuration.
pub fn conf_dirs(conf: &str) -> Vec<PathBuf> {
    conf.lines()
        .filter_map(|l| l.trim().strip_prefix("conf-dir="))
        .map(|v| PathBuf::from(v.split(',').next().unwrap_or(v).trim()))
        .filter(|p| p.is_absolute())
        .collect()
}

/// The conf-dirs of every dnsmasq instance configured under `generated`
/// (`dnsmasq.conf.*` files), or [`FALLBACK_DIR`] when none names one.
pub fn find(generated: &Path) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Ok(rd) = std::fs::read_dir(generated) {
        let mut files: Vec<PathBuf> = rd
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("dnsmasq.conf."))
            })
            .collect();
        files.sort();
        for f in files {
            for d in conf_dirs(&std::fs::read_to_string(&f).unwrap_or_default()) {
                if !dirs.contains(&d) {
                    dirs.push(d);
                }
            }
        }
    }
    if dirs.is_empty() {
        dirs.push(PathBuf::from(FALLBACK_DIR));
    }
    dirs
}

/// Writes `text` as [`FILE_NAME`] into each of `dirs` (created if
/// missing) where it differs; returns whether any file changed.
pub fn install(dirs: &[PathBuf], text: &str) -> Result<bool, crate::fsio::WriteError> {
    let mut changed = false;
    for d in dirs {
        let path = d.join(FILE_NAME);
        if std::fs::read_to_string(&path).is_ok_and(|old| old == text) {
            continue;
        }
        let _ = std::fs::create_dir_all(d);
        crate::fsio::write_atomic(&path, text.as_bytes())?;
        changed = true;
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conf_dir_lines_of_22_03_and_23_05() {
        let c = "conf-file=/etc/dnsmasq.conf\nconf-dir=/tmp/dnsmasq.cfg01411c.d\nuser=dnsmasq\n";
        assert_eq!(conf_dirs(c), [PathBuf::from("/tmp/dnsmasq.cfg01411c.d")]);
        assert_eq!(
            conf_dirs("conf-dir=/tmp/dnsmasq.d,*.conf\n"),
            [PathBuf::from("/tmp/dnsmasq.d")]
        );
        assert!(conf_dirs("conf-file=/x\n#conf-dir=/y\n").is_empty());
    }

    #[test]
    fn finds_every_instance_and_writes_only_changes() {
        let t = std::env::temp_dir().join(format!("iocg-dnsmasq-dir-{}", std::process::id()));
        let gen = t.join("var-etc");
        std::fs::create_dir_all(&gen).unwrap();
        assert_eq!(find(&gen), [PathBuf::from(FALLBACK_DIR)]);
        let (a, b) = (t.join("a.d"), t.join("b.d"));
        std::fs::write(
            gen.join("dnsmasq.conf.cfg01"),
            format!("conf-dir={}\n", a.display()),
        )
        .unwrap();
        std::fs::write(
            gen.join("dnsmasq.conf.guest"),
            format!("conf-dir={},*.conf\n", b.display()),
        )
        .unwrap();
        std::fs::write(gen.join("other.conf"), "conf-dir=/nope\n").unwrap();
        let dirs = find(&gen);
        assert_eq!(dirs, [a.clone(), b.clone()]);
        assert!(install(&dirs, "local=/evil.example/\n").unwrap());
        assert_eq!(
            std::fs::read_to_string(a.join(FILE_NAME)).unwrap(),
            "local=/evil.example/\n"
        );
        assert!(
            !install(&dirs, "local=/evil.example/\n").unwrap(),
            "same text: no restart"
        );
        std::fs::remove_dir_all(&t).unwrap();
    }
}
