//! What the gateway already knows about its hosts, read when it changed:
//! dnsmasq's leases (`option leases`), odhcpd's state file, `/etc/ethers`
//! (by modification time and size), and the kernel's neighbour tables
//! (`/proc/net/arp`, `ip -6 neigh`) when some host is still known only by
//! address. Each file is read up to `hosts::enrich::MAX_INPUT_BYTES`.

use crate::config::Config;
use crate::hosts::enrich::{self, Enrichment, Parsed, MAX_INPUT_BYTES};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// odhcpd's state file on OpenWrt (IPv6 and DHCPv4 leases with names).
const ODHCPD: &str = "/tmp/hosts/odhcpd";
/// Static MAC ↔ name/address bindings.
const ETHERS: &str = "/etc/ethers";

struct File {
    path: PathBuf,
    parse: fn(&str) -> Parsed,
    stamp: Option<(SystemTime, u64)>,
    parsed: Parsed,
}

/// The enrichment sources and what they said last.
pub struct Sources {
    files: Vec<File>,
    neighbours: Parsed,
    neighbours_read: bool,
}

impl Sources {
    /// The sources for `cfg`.
    pub fn new(cfg: &Config) -> Sources {
        let file = |path: &Path, parse: fn(&str) -> Parsed| File {
            path: path.to_path_buf(),
            parse,
            stamp: None,
            parsed: Parsed::default(),
        };
        Sources {
            files: vec![
                file(&cfg.main.leases, enrich::dnsmasq_leases),
                file(Path::new(ODHCPD), enrich::odhcpd),
                file(Path::new(ETHERS), enrich::ethers),
            ],
            neighbours: Parsed::default(),
            neighbours_read: false,
        }
    }

    /// A new enrichment when a file changed, or when `anonymous` hosts
    /// (or the first call) make the neighbour tables worth reading.
    pub fn refresh(&mut self, anonymous: bool) -> Option<Enrichment> {
        let mut changed = false;
        for f in &mut self.files {
            let stamp = std::fs::metadata(&f.path)
                .ok()
                .map(|m| (m.modified().unwrap_or(SystemTime::UNIX_EPOCH), m.len()));
            if stamp != f.stamp {
                f.stamp = stamp;
                f.parsed = stamp
                    .and_then(|_| read(&f.path))
                    .map(|t| (f.parse)(&t))
                    .unwrap_or_default();
                if f.parsed.bad_lines > 0 {
                    log::debug!(
                        "hosts: {}: {} lines not understood",
                        f.path.display(),
                        f.parsed.bad_lines
                    );
                }
                changed = true;
            }
        }
        if anonymous || !self.neighbours_read {
            self.neighbours_read = true;
            let mut n = read(Path::new("/proc/net/arp"))
                .map(|t| enrich::proc_arp(&t))
                .unwrap_or_default();
            if let Some(t) = ip6_neigh() {
                n.bindings.extend(enrich::ip_neigh(&t).bindings);
            }
            if n != self.neighbours {
                self.neighbours = n;
                changed = true;
            }
        }
        if !changed {
            return None;
        }
        // The kernel's neighbour table is the freshest address → MAC;
        // leases name hosts before the static files.
        let mut en = Enrichment::new();
        en.add(&self.neighbours);
        for f in &self.files {
            en.add(&f.parsed);
        }
        Some(en)
    }
}

fn read(path: &Path) -> Option<String> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .ok()?
        .take(MAX_INPUT_BYTES as u64)
        .read_to_end(&mut bytes)
        .ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// `ip -6 neigh show`, or `None` where `ip` is missing.
fn ip6_neigh() -> Option<String> {
    let out = std::process::Command::new("ip")
        .args(["-6", "neigh", "show"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let bytes = &out.stdout[..out.stdout.len().min(MAX_INPUT_BYTES)];
    Some(String::from_utf8_lossy(bytes).into_owned())
}
