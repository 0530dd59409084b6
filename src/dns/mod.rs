//! The DNS sinkhole: answers queries for listed domains (and every name
//! under them) itself — NXDOMAIN with a short negative TTL, `0.0.0.0`/`::`,
//! or a sinkhole address — records who asked, and forwards everything else
//! to the upstream resolvers, relaying their answers byte for byte (flags,
//! EDNS, DNSSEC records untouched; only the ID is rewritten).
//!
//! Guarantees: only LAN networks and loopback get answers (everyone else
//! REFUSED: never an open resolver); each client is rate limited; no
//! untrusted byte can make it panic or hang ([`wire`] checks every length
//! and refuses pointer loops); memory is bounded (fixed forwarding table,
//! capped TCP connections, bounded event ring and log files); a reload
//! swaps the whole blocklist at once, so no query sees half a table; with
//! every upstream down, blocked names are still answered and the rest gets
//! SERVFAIL after the timeout. Forwarding resists off-path spoofing as a
//! careful resolver does: each UDP query leaves on its own socket, from a
//! source port and with an ID drawn from the OS CSPRNG, and only a reply
//! from that upstream's address and port with that ID and the same
//! question is relayed (dnsmasq in `behind` mode caches what we relay, so
//! one forged answer would reach every LAN host). A query costs bounded
//! work: blocked names are never forwarded, and a reply larger than the
//! client's buffer is cut to the question with TC, never sent whole.
//!
//! Pieces: [`wire`] (pure wire format), [`policy`] (pure: ACL, rate limit,
//! answers, upstream lists), [`matcher`] (the compact blocklist), [`client`] (who asked), [`events`] (ring and
//! JSON-lines log), [`server`] (sockets and threads), [`dnsmasq_dir`]
//! (where `dnsmasq-file` mode writes).

pub mod client;
pub mod dnsmasq_dir;
pub mod events;
pub mod matcher;
pub mod policy;
pub mod server;
pub mod wire;

use crate::config::Config;
use crate::indicator::IndicatorSet;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

pub use matcher::DomainMatcher;
pub use server::{BlockedNames, Server, Settings};

/// Why the DNS server could not start.
#[derive(Debug, thiserror::Error)]
pub enum DnsError {
    /// A listen address could not be bound.
    #[error("failed to bind {0} listener on {1}: {2}")]
    Bind(&'static str, SocketAddr, std::io::Error),
    /// A thread could not be started.
    #[error("failed to start a DNS thread: {0}")]
    Thread(std::io::Error),
    /// A configuration value is unusable.
    #[error(transparent)]
    Policy(#[from] policy::PolicyError),
}

/// Where OpenWrt keeps the resolvers learnt from the WAN (DHCP/PPP).
pub const RESOLV_AUTO: &str = "/tmp/resolv.conf.d/resolv.conf.auto";

impl Settings {
    /// The server settings of a configuration. Upstreams: `dns.upstream`,
    /// else the `nameserver`s of OpenWrt's resolv.conf.auto, else of
    /// /etc/resolv.conf — minus any address iocguard itself listens on.
    pub fn from_config(cfg: &Config) -> Result<Settings, DnsError> {
        let d = &cfg.dns;
        let bad = |option: &'static str, value: &str| policy::PolicyError {
            option,
            value: value.into(),
            why: "is not an IP address with an optional port",
        };
        let mut listen = Vec::new();
        for l in &d.listen {
            listen.push(policy::parse_addr(l, 53).ok_or_else(|| bad("listen", l))?);
        }
        if listen.is_empty() {
            // behind: dnsmasq keeps 53 and forwards here (openwrt/files).
            let default = if d.mode == "behind" {
                "127.0.0.1:5354"
            } else {
                "0.0.0.0:53"
            };
            listen.push(policy::parse_addr(default, 53).ok_or_else(|| bad("listen", default))?);
        }
        let mut upstreams = Vec::new();
        for u in &d.upstream {
            upstreams.push(policy::parse_addr(u, 53).ok_or_else(|| bad("upstream", u))?);
        }
        if upstreams.is_empty() {
            for p in [RESOLV_AUTO, "/etc/resolv.conf"] {
                if let Ok(t) = std::fs::read_to_string(p) {
                    upstreams = policy::without_self(policy::resolv_conf_servers(&t), &listen);
                    if !upstreams.is_empty() {
                        break;
                    }
                }
            }
        }
        let upstreams = policy::without_self(upstreams, &listen);
        Ok(Settings {
            listen,
            upstreams,
            answer: policy::parse_answer(&d.answer)?,
            ttl: d.ttl,
            acl: policy::Acl::new(&cfg.main.lan)?,
            rate: (d.rate_limit, d.rate_burst),
            workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
            upstream_timeout: Duration::from_secs(2),
            run_dir: Some(cfg.main.run_dir.clone()),
            neighbours: d.mode != "behind",
        })
    }
}

/// dnsmasq configuration lines (`local=/d/`) for every blocked domain:
/// for routers too small for the daemon (`mode dnsmasq-file`). dnsmasq
/// answers NXDOMAIN for the domain and everything under it.
pub fn dnsmasq_conf(set: &IndicatorSet) -> String {
    let mut s = String::from("# written by iocguard; do not edit\n");
    for d in set.domains() {
        s.push_str("local=/");
        s.push_str(&d);
        s.push_str("/\n");
    }
    s
}

/// Writes [`dnsmasq_conf`] to `path` atomically.
pub fn export_dnsmasq(set: &IndicatorSet, path: &Path) -> Result<(), crate::fsio::WriteError> {
    crate::fsio::write_atomic(path, dnsmasq_conf(set).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicator::parse_indicator;
    use crate::indicator::{Gate, GateConfig, SetBuilder};

    fn cfg(dns: &str) -> Config {
        let text = format!("config iocguard 'main'\n list lan '192.0.2.0/24'\nconfig dns 'dns'\n{dns}");
        Config::parse(Path::new("/etc/config/iocguard"), &text).unwrap()
    }

    #[test]
    fn settings_from_config() {
        let s = Settings::from_config(&cfg(
            " option mode behind\n list upstream '198.51.100.1'\n list upstream '127.0.0.1#5353'\n option answer zero\n",
        ))
        .unwrap();
        assert_eq!(s.listen, ["127.0.0.1:5354".parse().unwrap()]);
        assert_eq!(
            s.upstreams,
            [
                "198.51.100.1:53".parse().unwrap(),
                "127.0.0.1:5353".parse().unwrap()
            ]
        );
        assert_eq!(s.answer, wire::Blocked::Zero);
        assert_eq!((s.ttl, s.rate), (5, (200, 400)));
        assert!(!s.neighbours, "behind: the MAC comes from dnsmasq");
        // An upstream equal to our own listen address is dropped (a loop).
        let s =
            Settings::from_config(&cfg(" list listen '127.0.0.1:53'\n list upstream '127.0.0.1'\n")).unwrap();
        assert!(s.upstreams.is_empty());
        let e = Settings::from_config(&cfg(" list listen 'nope'\n")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "dns option listen: \"nope\" is not an IP address with an optional port"
        );
        assert!(Settings::from_config(&cfg(" option answer 'bogus'\n")).is_err());
    }

    #[test]
    fn dnsmasq_lines() {
        let mut b = SetBuilder::new();
        let id = b.add_feed("f");
        for d in ["evil.example", "www.evil.example", "c2.test"] {
            b.push(parse_indicator(d).unwrap(), id);
        }
        let set = b.build(&Gate::new(&GateConfig::default()));
        let text = dnsmasq_conf(&set);
        let mut lines: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
        lines.sort();
        assert_eq!(lines, ["local=/c2.test/", "local=/evil.example/"]);
    }
}
