//! What a test needs beyond a plain `cargo test` as an ordinary user.
//!
//! Such a test is `#[ignore = "needs …: make test runs it when present"]`,
//! so `cargo test` reports it as ignored, and starts with
//! [`require`], so that running it explicitly (`--ignored`) without its
//! requirements fails instead of passing without testing anything.
//! `tests/run.sh` (`make test`) runs the ignored tests where their
//! requirements are met and reports the others as skipped; its table of
//! requirements must match the `ignore` reasons.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::Path;

/// One requirement of a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Effective user id 0 (network namespaces, nftables).
    Root,
    /// `ip` (iproute2).
    Ip,
    /// `nft` (nftables).
    Nft,
    /// `dnsmasq`.
    Dnsmasq,
    /// `dig` (dnsutils).
    Dig,
    /// `minisign`.
    Minisign,
    /// `busybox`.
    Busybox,
    /// `shellcheck`.
    Shellcheck,
    /// A usable IPv6 loopback address (::1).
    Ipv6Loopback,
    /// `python3` (raw Ethernet frames for the lab's spoofed flood).
    Python3,
    /// `chromium` (the HTML report rendered headless).
    Chromium,
    /// `openssl` (the system test's throwaway CA).
    Openssl,
    /// The OpenWrt userland kit's sources (`../shared/openwrt-userland` or
    /// `$IOCGUARD_OWRT_KIT`), built on first use (tests/common/owrt.rs).
    OpenwrtKit,
    /// apk-tools 3's sources (`../shared/apk-tools` or
    /// `$IOCGUARD_APK_TOOLS`), built on first use into the cache.
    ApkKit,
}

impl Need {
    fn name(self) -> &'static str {
        match self {
            Need::Root => "root",
            Need::Ip => "ip",
            Need::Nft => "nft",
            Need::Dnsmasq => "dnsmasq",
            Need::Dig => "dig",
            Need::Minisign => "minisign",
            Need::Busybox => "busybox",
            Need::Shellcheck => "shellcheck",
            Need::Python3 => "python3",
            Need::Ipv6Loopback => "ipv6-loopback",
            Need::Chromium => "chromium",
            Need::Openssl => "openssl",
            Need::OpenwrtKit => "openwrt-kit",
            Need::ApkKit => "apk-kit",
        }
    }

    fn met(self) -> bool {
        match self {
            Need::Root => is_root(),
            Need::Ipv6Loopback => TcpListener::bind("[::1]:0").is_ok(),
            Need::OpenwrtKit => super::owrt::kit_dir().is_some(),
            Need::ApkKit => super::owrt::apk_tools_dir().is_some(),
            tool => on_path(tool.name()),
        }
    }
}

/// Whether the effective user is root (/proc/self belongs to it).
fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// Whether an executable file named `tool` is in a directory of `PATH`.
fn on_path(tool: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path).any(|dir| {
        Path::new(&dir)
            .join(tool)
            .metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    })
}

/// Panics, naming what is missing, unless every requirement in `needs`
/// is met. Call it first in every test marked `#[ignore = "needs …"]`.
pub fn require(needs: &[Need]) {
    let missing: Vec<&str> = needs.iter().filter(|n| !n.met()).map(|n| n.name()).collect();
    if !missing.is_empty() {
        let all: Vec<&str> = needs.iter().map(|n| n.name()).collect();
        panic!(
            "this test needs {}; missing here: {} (`make test` runs it only where \
             its requirements are met and reports it as skipped otherwise)",
            all.join(", "),
            missing.join(", ")
        );
    }
}
