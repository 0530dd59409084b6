//! The LAN networks when `list lan` is not set: what OpenWrt itself says
//! the `lan` interface is, read at each run, never frozen at install.
//!
//! The DNS redirect, the DoT/DoH rules, the notice page's redirect and its
//! "LAN clients only" all need the LAN; an install that leaves `list lan`
//! empty (the default) used to get none of them. So the networks come
//! from `/etc/config/network` next to our own file: the `lan` section's
//! static IPv4 (`ipaddr` as `A.B.C.D/N`, or with `netmask`), plus every
//! address the kernel has on its device (`device`, or the older `ifname`
//! of a bridge → `br-lan`), link-local IPv6 left out. A renumbered LAN is
//! picked up by the next start, sync or apply.

use super::uci;
use crate::indicator::{Indicator, V4Prefix, V6Prefix};
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;

/// The LAN networks of OpenWrt's `lan` interface, as CIDR strings; empty
/// when `network` (the UCI file) is absent or has no `lan` interface.
pub fn from_openwrt(network: &Path) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(network) else {
        return Vec::new();
    };
    let Ok(sections) = uci::parse(&text) else {
        return Vec::new();
    };
    let Some(lan) = sections.iter().find(|s| s.kind == "interface" && s.name == "lan") else {
        return Vec::new();
    };
    let mut nets: Vec<String> = Vec::new();
    let get = |n: &str| lan.option(n).map(|e| e.value.clone());
    for addr in lan.list("ipaddr") {
        if let Some(p) = static_v4(&addr.value, get("netmask").as_deref()) {
            nets.push(p);
        }
    }
    if let Some(dev) = device(lan) {
        nets.extend(kernel_networks(&dev));
    }
    let mut seen = std::collections::HashSet::new();
    nets.retain(|n| seen.insert(n.clone()));
    nets
}

/// The device of a `lan` section: `device`, or a bridge's `br-NAME`, or
/// its `ifname`.
fn device(s: &uci::Section) -> Option<String> {
    if let Some(d) = s.option("device") {
        return Some(d.value.clone());
    }
    if s.option("type").is_some_and(|t| t.value == "bridge") {
        return Some(format!("br-{}", s.name));
    }
    s.option("ifname")
        .and_then(|i| i.value.split_whitespace().next().map(str::to_string))
}

/// `192.168.1.1` + `255.255.255.0`, or `192.168.1.1/24`, as its network.
pub fn static_v4(addr: &str, netmask: Option<&str>) -> Option<String> {
    let (a, len) = match addr.split_once('/') {
        Some((a, l)) => (a.parse::<Ipv4Addr>().ok()?, l.parse::<u8>().ok()?),
        None => {
            let m: u32 = netmask
                .unwrap_or("255.255.255.0")
                .parse::<Ipv4Addr>()
                .ok()?
                .into();
            if m.leading_ones() + m.trailing_zeros() != 32 {
                return None;
            }
            (addr.parse::<Ipv4Addr>().ok()?, m.leading_ones() as u8)
        }
    };
    network(IpAddr::V4(a), len)
}

/// The network of `addr/len` as a CIDR string.
pub fn network(addr: IpAddr, len: u8) -> Option<String> {
    let p = match addr {
        IpAddr::V4(a) => Indicator::V4(V4Prefix::new_truncating(u32::from(a), len.min(32))),
        IpAddr::V6(a) => Indicator::V6(V6Prefix::new_truncating(u128::from(a), len.min(128))),
    };
    Some(p.to_string())
}

/// The networks of the addresses the kernel has on `dev` (no link-local
/// IPv6).
fn kernel_networks(dev: &str) -> Vec<String> {
    let Ok(addrs) = nix::ifaddrs::getifaddrs() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for a in addrs.filter(|a| a.interface_name == dev) {
        let (Some(addr), Some(mask)) = (a.address, a.netmask) else {
            continue;
        };
        if let (Some(v4), Some(m)) = (addr.as_sockaddr_in(), mask.as_sockaddr_in()) {
            let len = u32::from(m.ip()).leading_ones() as u8;
            out.extend(network(IpAddr::V4(v4.ip()), len));
        } else if let (Some(v6), Some(m)) = (addr.as_sockaddr_in6(), mask.as_sockaddr_in6()) {
            if v6.ip().segments()[0] & 0xffc0 == 0xfe80 {
                continue;
            }
            let len = u128::from(m.ip()).leading_ones() as u8;
            out.extend(network(IpAddr::V6(v6.ip()), len));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_addresses_give_their_networks() {
        assert_eq!(
            static_v4("192.168.1.1", Some("255.255.255.0")).as_deref(),
            Some("192.168.1.0/24")
        );
        assert_eq!(static_v4("192.168.1.1", None).as_deref(), Some("192.168.1.0/24"));
        assert_eq!(static_v4("10.1.2.3/16", None).as_deref(), Some("10.1.0.0/16"));
        assert_eq!(static_v4("10.1.2.3", Some("255.0.255.0")), None, "not a mask");
        assert_eq!(static_v4("lan", None), None);
    }

    #[test]
    fn the_lan_section_of_openwrts_network_file() {
        let dir = std::env::temp_dir().join(format!("iocg-lan-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("network");
        std::fs::write(
            &f,
            "config interface 'loopback'\n\toption device 'lo'\n\toption ipaddr '127.0.0.1'\n\
             config interface 'lan'\n\toption device 'iocg-no-such-dev'\n\toption proto 'static'\n\
             \toption ipaddr '192.168.8.1'\n\toption netmask '255.255.255.0'\n\toption ip6assign '60'\n",
        )
        .unwrap();
        assert_eq!(from_openwrt(&f), vec!["192.168.8.0/24".to_string()]);
        std::fs::write(
            &f,
            "config interface 'lan'\n\tlist ipaddr '192.0.2.1/24'\n\tlist ipaddr '198.51.100.1/25'\n",
        )
        .unwrap();
        assert_eq!(
            from_openwrt(&f),
            vec!["192.0.2.0/24".to_string(), "198.51.100.0/25".to_string()]
        );
        assert!(from_openwrt(&dir.join("absent")).is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_kernel_addresses_of_a_device() {
        // Loopback is on every machine: 127.0.0.0/8 (and ::1/128).
        let nets = kernel_networks("lo");
        assert!(nets.contains(&"127.0.0.0/8".to_string()), "{nets:?}");
        assert!(kernel_networks("iocg-no-such-dev").is_empty());
    }
}
