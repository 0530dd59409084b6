//! Who asked: the client address and MAC of a query. In `front` mode the
//! UDP/TCP source is the client and its MAC comes from the kernel's
//! neighbour table (`/proc/net/arp`, `ip -6 neigh`); in `behind` mode the
//! source is dnsmasq, and the client is what dnsmasq attached: EDNS Client
//! Subnet (`add-subnet=32,128`) and its MAC option (`add-mac`).

use super::wire::Edns;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// The identified client of one query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Client {
    /// The client's address (ECS when the forwarder attached it).
    pub ip: IpAddr,
    /// The client's MAC, when known.
    pub mac: Option<[u8; 6]>,
}

/// The client of a query from `source`. EDNS data is trusted only from
/// loopback sources (the local dnsmasq): a LAN host must not be able to
/// blame another one by attaching options itself.
pub fn identify(source: IpAddr, edns: Option<&Edns>) -> Client {
    let source = source.to_canonical();
    match edns {
        Some(e) if source.is_loopback() => Client {
            ip: e.client.map(|c| c.to_canonical()).unwrap_or(source),
            mac: e.mac,
        },
        _ => Client {
            ip: source,
            mac: None,
        },
    }
}

/// `aa:bb:cc:dd:ee:ff`.
pub fn format_mac(m: &[u8; 6]) -> String {
    format!(
        "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
        m[0], m[1], m[2], m[3], m[4], m[5]
    )
}

/// Parses `aa:bb:cc:dd:ee:ff` (any case).
pub fn parse_mac(s: &str) -> Option<[u8; 6]> {
    let mut m = [0u8; 6];
    let mut parts = s.split(':');
    for b in &mut m {
        let p = parts.next()?;
        if p.len() != 2 {
            return None;
        }
        *b = u8::from_str_radix(p, 16).ok()?;
    }
    parts.next().is_none().then_some(m)
}

/// Entries of `/proc/net/arp` that are complete (flags 0x2) and not all-zero.
pub fn parse_proc_arp(text: &str) -> Vec<(IpAddr, [u8; 6])> {
    text.lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let ip = f.first()?.parse().ok()?;
            let flags = u32::from_str_radix(f.get(2)?.trim_start_matches("0x"), 16).ok()?;
            let mac = parse_mac(f.get(3)?)?;
            (flags & 0x2 != 0 && mac != [0; 6]).then_some((ip, mac))
        })
        .collect()
}

/// Entries of `ip neigh show` output (`ADDR dev IF lladdr MAC STATE`).
pub fn parse_ip_neigh(text: &str) -> Vec<(IpAddr, [u8; 6])> {
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let ip = f.first()?.parse().ok()?;
            let at = f.iter().position(|w| *w == "lladdr")?;
            let state = f.last()?;
            if matches!(*state, "FAILED" | "INCOMPLETE") {
                return None;
            }
            Some((ip, parse_mac(f.get(at + 1)?)?))
        })
        .collect()
}

/// A cached view of the neighbour table, re-read at most every
/// `refresh`, only when a lookup misses (events are rare; queries are not
/// slowed: lookups happen on the event writer thread).
pub struct Neighbours {
    entries: Vec<(IpAddr, [u8; 6])>,
    read_at: Option<Instant>,
    refresh: Duration,
}

impl Neighbours {
    /// An empty cache that re-reads at most every `refresh`.
    pub fn new(refresh: Duration) -> Self {
        Neighbours {
            entries: Vec::new(),
            read_at: None,
            refresh,
        }
    }

    /// The MAC of `ip`, if the kernel knows it.
    pub fn lookup(&mut self, ip: IpAddr) -> Option<[u8; 6]> {
        let ip = ip.to_canonical();
        if ip.is_loopback() {
            return None;
        }
        if let Some(m) = self.find(ip) {
            return Some(m);
        }
        if self.read_at.is_none_or(|t| t.elapsed() >= self.refresh) {
            self.read_at = Some(Instant::now());
            let mut e = std::fs::read_to_string("/proc/net/arp")
                .map(|t| parse_proc_arp(&t))
                .unwrap_or_default();
            if ip.is_ipv6() {
                if let Ok(o) = std::process::Command::new("ip")
                    .args(["-6", "neigh", "show"])
                    .output()
                {
                    e.extend(parse_ip_neigh(&String::from_utf8_lossy(&o.stdout)));
                }
            }
            self.entries = e;
        }
        self.find(ip)
    }

    /// The IPv4 address the kernel has for `mac` (behind mode without
    /// `add-subnet`: dnsmasq sent the MAC but the source is loopback).
    pub fn ip_of(&mut self, mac: [u8; 6]) -> Option<IpAddr> {
        let find =
            |e: &[(IpAddr, [u8; 6])]| e.iter().find(|(a, m)| *m == mac && a.is_ipv4()).map(|(a, _)| *a);
        if let Some(a) = find(&self.entries) {
            return Some(a);
        }
        if self.read_at.is_none_or(|t| t.elapsed() >= self.refresh) {
            self.read_at = Some(Instant::now());
            self.entries = std::fs::read_to_string("/proc/net/arp")
                .map(|t| parse_proc_arp(&t))
                .unwrap_or_default();
        }
        find(&self.entries)
    }

    fn find(&self, ip: IpAddr) -> Option<[u8; 6]> {
        self.entries.iter().find(|(a, _)| *a == ip).map(|(_, m)| *m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edns_trusted_only_from_loopback() {
        let e = Edns {
            mac: Some([2, 0, 0, 0, 0, 1]),
            client: Some("192.0.2.10".parse().unwrap()),
            ..Edns::default()
        };
        let c = identify("127.0.0.1".parse().unwrap(), Some(&e));
        assert_eq!(c.ip, "192.0.2.10".parse::<IpAddr>().unwrap());
        assert_eq!(c.mac, Some([2, 0, 0, 0, 0, 1]));
        let c = identify("192.0.2.66".parse().unwrap(), Some(&e));
        assert_eq!(c.ip, "192.0.2.66".parse::<IpAddr>().unwrap());
        assert_eq!(c.mac, None);
        let c = identify("::ffff:192.0.2.5".parse().unwrap(), None);
        assert_eq!(c.ip, "192.0.2.5".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn neighbour_tables() {
        let arp = "IP address       HW type     Flags       HW address            Mask     Device\n\
                   192.0.2.10       0x1         0x2         02:00:00:00:00:0a     *        veth0\n\
                   192.0.2.11       0x1         0x0         00:00:00:00:00:00     *        veth0\n";
        assert_eq!(
            parse_proc_arp(arp),
            vec![("192.0.2.10".parse().unwrap(), [2, 0, 0, 0, 0, 10])]
        );
        let neigh = "2001:db8::10 dev veth0 lladdr 02:00:00:00:00:0b REACHABLE\n\
                     2001:db8::11 dev veth0  FAILED\n\
                     fe80::1 dev veth0 lladdr 02:00:00:00:00:0c router STALE\n";
        let n = parse_ip_neigh(neigh);
        assert_eq!(n.len(), 2);
        assert_eq!(n[0].1, [2, 0, 0, 0, 0, 11]);
        assert_eq!(format_mac(&[2, 0xab, 0, 0, 0, 0xff]), "02:ab:00:00:00:ff");
        assert_eq!(parse_mac("02:AB:00:00:00:ff"), Some([2, 0xab, 0, 0, 0, 0xff]));
        assert_eq!(parse_mac("02:ab:00:00:00"), None);
        assert_eq!(parse_mac("02:ab:00:00:00:ff:00"), None);
    }
}
