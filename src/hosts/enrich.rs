//! Who is behind an address: parsers for the files a gateway already
//! keeps (dnsmasq's `/tmp/dhcp.leases`, odhcpd's `/tmp/hosts/odhcpd`,
//! `/etc/ethers`, the kernel neighbour table as `/proc/net/arp` and
//! `ip -6 neigh` print it) and [`Enrichment`], the lookup maps built from
//! them: address → MAC, MAC → hostname, address → hostname.
//!
//! Text in, records out: the caller reads the files (at most
//! [`MAX_INPUT_BYTES`] each) and runs `ip`. No parser panics; a line that
//! does not follow its file's grammar is skipped and counted
//! ([`Parsed::bad_lines`]); a line that is well-formed but says nothing
//! useful (an incomplete neighbour, a lease without hostname) is not bad.
//! Every map is bounded by [`MAX_BINDINGS`], overflow counted. Names are
//! kept as written (the table cleans them when it shows them).

use super::mac::Mac;
use std::collections::HashMap;
use std::net::IpAddr;

/// Bytes of one source file a caller should read at most (a lease file
/// of a large network is well under this).
pub const MAX_INPUT_BYTES: usize = 4 << 20;
/// Entries per lookup map.
pub const MAX_BINDINGS: usize = 65_536;
/// Bytes of a name kept in a map.
const NAME_BYTES: usize = 253;

/// What one line says: some of address, MAC and name, together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The address (canonical).
    pub addr: Option<IpAddr>,
    /// The MAC.
    pub mac: Option<Mac>,
    /// The hostname.
    pub name: Option<String>,
}

/// The bindings of one file and how many lines were not understood.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    /// Bindings, in file order.
    pub bindings: Vec<Binding>,
    /// Lines skipped because they did not follow the file's grammar.
    pub bad_lines: usize,
}

impl Parsed {
    fn push(&mut self, addr: Option<IpAddr>, mac: Option<Mac>, name: Option<&str>) {
        self.bindings.push(Binding {
            addr: addr.map(|a| a.to_canonical()),
            mac,
            name: name.map(str::to_string),
        });
    }
}

/// Lines without comments (from `#`) and blank lines, split on whitespace.
fn fields(text: &str, comments: bool) -> impl Iterator<Item = Vec<&str>> {
    text.lines()
        .map(move |l| {
            if comments {
                l.split('#').next().unwrap_or("")
            } else {
                l
            }
        })
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|f| !f.is_empty())
}

/// dnsmasq's lease file. IPv4: `expiry mac ip hostname clientid`; IPv6
/// after the `duid SERVER-DUID` line: `expiry iaid ip6 hostname duid`.
/// A hostname of `*` is none; a non-Ethernet hardware address
/// (`hwtype-…`) gives the binding without MAC.
pub fn dnsmasq_leases(text: &str) -> Parsed {
    let mut p = Parsed::default();
    for f in fields(text, false) {
        if f[0] == "duid" {
            continue;
        }
        let (Some(hw), Some(ip), Some(name)) = (f.get(1), f.get(2), f.get(3)) else {
            p.bad_lines += 1;
            continue;
        };
        let Ok(addr) = ip.parse::<IpAddr>() else {
            p.bad_lines += 1;
            continue;
        };
        let expiry_ok = f[0].parse::<u64>().is_ok();
        let mac = Mac::parse(hw);
        let hw_ok = match addr {
            IpAddr::V4(_) => mac.is_some() || is_other_hwaddr(hw),
            // The IAID, decimal, `T`-prefixed for temporary addresses.
            IpAddr::V6(_) => hw.strip_prefix('T').unwrap_or(hw).parse::<u32>().is_ok(),
        };
        if !expiry_ok || !hw_ok {
            p.bad_lines += 1;
            continue;
        }
        let name = (*name != "*").then_some(*name);
        p.push(Some(addr), mac.filter(|_| addr.is_ipv4()), name);
    }
    p
}

/// dnsmasq's form of a non-Ethernet hardware address: `TT-hh:hh:…`.
fn is_other_hwaddr(s: &str) -> bool {
    s.split_once('-').is_some_and(|(ty, addr)| {
        ty.len() == 2
            && ty.bytes().all(|c| c.is_ascii_hexdigit())
            && !addr.is_empty()
            && addr.bytes().all(|c| c.is_ascii_hexdigit() || c == b':')
    })
}

/// odhcpd's state file (OpenWrt: `/tmp/hosts/odhcpd`): lease lines
/// `# ifname duid iaid hostname validuntil assigned length addr/len…`
/// (for DHCPv4 leases `iaid` is `ipv4` and `duid` is the MAC in hex;
/// hostname `-` is none) followed by hosts-file lines `addr name…`.
pub fn odhcpd(text: &str) -> Parsed {
    let mut p = Parsed::default();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let Some(lease) = line.strip_prefix('#') else {
            hosts_line(&mut p, line);
            continue;
        };
        let f: Vec<&str> = lease.split_whitespace().collect();
        if f.len() < 7 {
            // Plain comment.
            continue;
        }
        let (duid, iaid, name, valid) = (f[1], f[2], f[3], f[4]);
        if valid.parse::<i64>().is_err() || !duid.bytes().all(|c| c.is_ascii_hexdigit()) {
            p.bad_lines += 1;
            continue;
        }
        let v4 = iaid == "ipv4";
        let mac = if v4 { Mac::parse(duid) } else { None };
        // `broken\x20…` marks a name odhcpd itself would not use.
        let name = (name != "-" && !name.starts_with("broken\\x20")).then_some(name);
        let addrs: Vec<IpAddr> = f[7..]
            .iter()
            .filter_map(|a| a.split('/').next()?.parse().ok())
            .collect();
        if addrs.is_empty() {
            // Expired leases have no address; the MAC–name pair still helps.
            if mac.is_some() && name.is_some() {
                p.push(None, mac, name);
            }
            continue;
        }
        for a in addrs {
            p.push(Some(a), mac, name);
        }
    }
    p
}

/// A hosts file (`addr name [alias…]`, `#` comments): odhcpd's hosts
/// lines and any `/etc/hosts`-style file. The first name is the one kept.
pub fn hosts_file(text: &str) -> Parsed {
    let mut p = Parsed::default();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        if !line.is_empty() {
            hosts_line(&mut p, line);
        }
    }
    p
}

fn hosts_line(p: &mut Parsed, line: &str) {
    let mut f = line.split_whitespace();
    match (f.next().map(str::parse::<IpAddr>), f.next()) {
        (Some(Ok(a)), Some(name)) => p.push(Some(a), None, Some(name)),
        _ => p.bad_lines += 1,
    }
}

/// `/etc/ethers`: `mac name-or-address`, `#` comments.
pub fn ethers(text: &str) -> Parsed {
    let mut p = Parsed::default();
    for f in fields(text, true) {
        let (Some(mac), Some(who)) = (Mac::parse(f[0]), f.get(1)) else {
            p.bad_lines += 1;
            continue;
        };
        match who.parse::<IpAddr>() {
            Ok(a) => p.push(Some(a), Some(mac), None),
            Err(_) => p.push(None, Some(mac), Some(who)),
        }
    }
    p
}

/// `/proc/net/arp`: a header, then `IP HWtype Flags HWaddress Mask Device`.
/// Only complete entries (`ATF_COM`, flag 0x2) with a non-zero MAC bind.
pub fn proc_arp(text: &str) -> Parsed {
    let mut p = Parsed::default();
    for f in fields(text, false) {
        if f[0] == "IP" {
            continue;
        }
        let (Some(flags), Some(hw)) = (f.get(2), f.get(3)) else {
            p.bad_lines += 1;
            continue;
        };
        let addr = f[0].parse::<IpAddr>();
        let flags = u32::from_str_radix(flags.trim_start_matches("0x"), 16);
        let (Ok(addr), Ok(flags), Some(mac)) = (addr, flags, Mac::parse(hw)) else {
            p.bad_lines += 1;
            continue;
        };
        if flags & 0x2 != 0 && !mac.is_zero() {
            p.push(Some(addr), Some(mac), None);
        }
    }
    p
}

/// `ip neigh` / `ip -6 neigh` output: `addr dev IF lladdr MAC [router]
/// STATE`. Entries without `lladdr`, or `FAILED`/`INCOMPLETE`, bind
/// nothing; a non-Ethernet link-layer address (tunnels) neither.
pub fn ip_neigh(text: &str) -> Parsed {
    let mut p = Parsed::default();
    for f in fields(text, false) {
        let Ok(addr) = f[0].parse::<IpAddr>() else {
            p.bad_lines += 1;
            continue;
        };
        let state = f.last().copied().unwrap_or("");
        if matches!(state, "FAILED" | "INCOMPLETE") {
            continue;
        }
        let mac = f
            .iter()
            .position(|w| *w == "lladdr")
            .and_then(|i| f.get(i + 1))
            .and_then(|m| Mac::parse(m));
        if let Some(mac) = mac.filter(|m| !m.is_zero()) {
            p.push(Some(addr), Some(mac), None);
        }
    }
    p
}

/// Lookup maps from every source added. The first source to bind a key
/// wins, so add the most trusted first: the neighbour table (what is on
/// the wire now), then `/etc/ethers` (the admin's own names), then the
/// DHCP leases.
#[derive(Debug, Clone, Default)]
pub struct Enrichment {
    addr_mac: HashMap<IpAddr, Mac>,
    mac_name: HashMap<Mac, String>,
    addr_name: HashMap<IpAddr, String>,
    /// Bindings not stored because a map was full.
    pub overflow: u64,
    /// Bad lines of every source added.
    pub bad_lines: u64,
}

impl Enrichment {
    /// Empty maps.
    pub fn new() -> Enrichment {
        Enrichment::default()
    }

    /// Adds one source's bindings (first binding of a key wins).
    pub fn add(&mut self, p: &Parsed) {
        self.bad_lines = self.bad_lines.saturating_add(p.bad_lines as u64);
        for b in &p.bindings {
            let name = b.name.as_deref().map(|n| super::host::clean(n, NAME_BYTES));
            if let (Some(a), Some(m)) = (b.addr, b.mac) {
                self.overflow += u64::from(!put(&mut self.addr_mac, a, m));
            }
            if let (Some(m), Some(n)) = (b.mac, &name) {
                self.overflow += u64::from(!put(&mut self.mac_name, m, n.to_string()));
            }
            if let (Some(a), Some(n)) = (b.addr, &name) {
                self.overflow += u64::from(!put(&mut self.addr_name, a, n.to_string()));
            }
        }
    }

    /// The MAC of `addr`.
    pub fn mac_of(&self, addr: IpAddr) -> Option<Mac> {
        self.addr_mac.get(&addr.to_canonical()).copied()
    }

    /// The name bound to `mac`.
    pub fn name_of_mac(&self, mac: Mac) -> Option<&str> {
        self.mac_name.get(&mac).map(String::as_str)
    }

    /// The name bound to `addr`.
    pub fn name_of_addr(&self, addr: IpAddr) -> Option<&str> {
        self.addr_name.get(&addr.to_canonical()).map(String::as_str)
    }

    /// A host's name: by its MAC, else by the first of its addresses
    /// (newest first) that has one.
    pub fn hostname_for(&self, mac: Option<Mac>, mut addrs: impl Iterator<Item = IpAddr>) -> Option<&str> {
        mac.and_then(|m| self.name_of_mac(m))
            .or_else(|| addrs.find_map(|a| self.name_of_addr(a)))
    }

    /// Completes an event's MAC from the neighbour data before it is
    /// recorded (the sinkhole in behind mode, NFLOG without hardware
    /// header). True when it was filled.
    pub fn fill(&self, e: &mut super::event::Event) -> bool {
        if e.mac.is_some() {
            return false;
        }
        e.mac = self.mac_of(e.src);
        e.mac.is_some()
    }
}

/// Inserts unless the key is bound or the map is full; false only when
/// full.
fn put<K: std::hash::Hash + Eq, V>(m: &mut HashMap<K, V>, k: K, v: V) -> bool {
    if m.contains_key(&k) {
        return true;
    }
    if m.len() >= MAX_BINDINGS {
        return false;
    }
    m.insert(k, v);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    const M10: Mac = Mac([2, 0, 0, 0, 0, 0x0a]);
    const M11: Mac = Mac([2, 0, 0, 0, 0, 0x0b]);

    fn a(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn b(addr: Option<&str>, mac: Option<Mac>, name: Option<&str>) -> Binding {
        Binding {
            addr: addr.map(a),
            mac,
            name: name.map(Into::into),
        }
    }

    const LEASES: &str = "\
1764370000 02:00:00:00:00:0a 192.168.1.10 laptop 01:02:00:00:00:00:0a
0 02:00:00:00:00:0b 192.168.1.11 * *
1764370000 20-00:11:22:33:44:55:66:77 192.168.1.12 ib-node *
garbage line
1764370000 02:00:00:00:00:0c 192.168.1.300 bad-ip *
soon 02:00:00:00:00:0d 192.168.1.13 bad-expiry *
1764370000 notamac 192.168.1.14 bad-mac *
1764370000 02:00:00:00:00:0e
duid 00:01:00:01:2a:3b:4c:5d:02:00:00:00:00:01
1764370000 1234567 2001:db8::10 laptop 00:01:00:01:2a:3b:4c:5d:02:00:00:00:00:0a
1764370000 T55 2001:db8::11 * 00:01:00:01:2a:3b:4c:5d:02:00:00:00:00:0b
1764370000 iaid 2001:db8::12 bad-iaid *
";

    #[test]
    fn dnsmasq_leases_v4_and_v6() {
        let p = dnsmasq_leases(LEASES);
        assert_eq!(
            p.bindings,
            [
                b(Some("192.168.1.10"), Some(M10), Some("laptop")),
                b(Some("192.168.1.11"), Some(M11), None),
                b(Some("192.168.1.12"), None, Some("ib-node")),
                b(Some("2001:db8::10"), None, Some("laptop")),
                b(Some("2001:db8::11"), None, None),
            ]
        );
        assert_eq!(p.bad_lines, 6);
        assert_eq!(dnsmasq_leases(""), Parsed::default());
    }

    const ODHCPD: &str = "\
# br-lan 000100012a3b4c5d02000000000a 55aa laptop 1764370000 9a3 128 2001:db8::9a3/128 2001:db8:0:1::9a3/128
2001:db8::9a3\tlaptop.lan\tlaptop
2001:db8:0:1::9a3\tlaptop.lan\tlaptop
# br-lan 02000000000b ipv4 printer 1764370000 c0a8010b 32 192.168.1.11/32
192.168.1.11\tprinter.lan\tprinter
# br-lan 02000000000c ipv4 - 0 c0a8010c 32
# br-lan zz0000 ipv4 - 0 c0a8010c 32
# a plain comment
not-an-address name
";

    #[test]
    fn odhcpd_state_file() {
        let p = odhcpd(ODHCPD);
        assert_eq!(
            p.bindings,
            [
                b(Some("2001:db8::9a3"), None, Some("laptop")),
                b(Some("2001:db8:0:1::9a3"), None, Some("laptop")),
                b(Some("2001:db8::9a3"), None, Some("laptop.lan")),
                b(Some("2001:db8:0:1::9a3"), None, Some("laptop.lan")),
                b(Some("192.168.1.11"), Some(M11), Some("printer")),
                b(Some("192.168.1.11"), None, Some("printer.lan")),
            ]
        );
        assert_eq!(p.bad_lines, 2);
        let h = hosts_file("# c\n10.0.0.1 a b # x\n\n10.0.0.2\n::1 localhost\n");
        assert_eq!(
            h.bindings,
            [
                b(Some("10.0.0.1"), None, Some("a")),
                b(Some("::1"), None, Some("localhost"))
            ]
        );
        assert_eq!(h.bad_lines, 1);
    }

    #[test]
    fn ethers_names_and_addresses() {
        let p = ethers(
            "# static\n02:00:00:00:00:0a laptop\n2-0-0-0-0-b 192.168.1.11 # printer\n\
             zz:00:00:00:00:00 bad\n02:00:00:00:00:0c\n8:0:20:1:2:3 sun\n",
        );
        assert_eq!(
            p.bindings,
            [
                b(None, Some(M10), Some("laptop")),
                b(Some("192.168.1.11"), Some(M11), None),
                b(None, Some(Mac([8, 0, 0x20, 1, 2, 3])), Some("sun")),
            ]
        );
        assert_eq!(p.bad_lines, 2);
    }

    #[test]
    fn neighbour_tables() {
        let arp = "\
IP address       HW type     Flags       HW address            Mask     Device
192.168.1.10     0x1         0x2         02:00:00:00:00:0a     *        br-lan
192.168.1.11     0x1         0x0         00:00:00:00:00:00     *        br-lan
192.168.1.12     0x1         0x6         02:00:00:00:00:0c     *        br-lan
192.168.1.13     0x1         0xZ         02:00:00:00:00:0d     *        br-lan
192.168.1.14     0x1
";
        let p = proc_arp(arp);
        assert_eq!(
            p.bindings,
            [
                b(Some("192.168.1.10"), Some(M10), None),
                b(Some("192.168.1.12"), Some(Mac([2, 0, 0, 0, 0, 0x0c])), None),
            ]
        );
        assert_eq!(p.bad_lines, 2);
        let neigh = "\
2001:db8::10 dev br-lan lladdr 02:00:00:00:00:0a REACHABLE
2001:db8::11 dev br-lan  FAILED
fe80::b dev br-lan lladdr 02:00:00:00:00:0b router STALE
2001:db8::12 dev br-lan lladdr 02:00:00:00:00:0c INCOMPLETE
192.0.2.1 dev sit0 lladdr 198.51.100.1 PERMANENT
garbage dev br-lan lladdr 02:00:00:00:00:0d REACHABLE
::ffff:192.168.1.10 dev br-lan lladdr 02:00:00:00:00:0a DELAY
";
        let p = ip_neigh(neigh);
        assert_eq!(
            p.bindings,
            [
                b(Some("2001:db8::10"), Some(M10), None),
                b(Some("fe80::b"), Some(M11), None),
                b(Some("192.168.1.10"), Some(M10), None),
            ]
        );
        assert_eq!(p.bad_lines, 1);
    }

    #[test]
    fn maps_first_source_wins_and_lookups() {
        let mut en = Enrichment::new();
        en.add(&proc_arp(
            "IP address HW type Flags HW address Mask Device\n\
             192.168.1.10 0x1 0x2 02:00:00:00:00:0a * br-lan\n",
        ));
        en.add(&ethers("02:00:00:00:00:0a admin-name\n"));
        en.add(&dnsmasq_leases(LEASES));
        assert_eq!(en.mac_of(a("192.168.1.10")), Some(M10));
        assert_eq!(en.mac_of(a("::ffff:192.168.1.11")), Some(M11));
        assert_eq!(en.name_of_mac(M10), Some("admin-name"));
        assert_eq!(en.name_of_addr(a("2001:db8::10")), Some("laptop"));
        assert_eq!(en.bad_lines, 6);
        assert_eq!(en.hostname_for(Some(M10), std::iter::empty()), Some("admin-name"));
        assert_eq!(
            en.hostname_for(None, [a("10.9.9.9"), a("192.168.1.12")].into_iter()),
            Some("ib-node")
        );
        assert_eq!(en.hostname_for(Some(M11), std::iter::empty()), None);
        let mut e = crate::hosts::event::Event::from_line(
            r#"{"kind":"dns","time":1,"src":"192.168.1.11","name":"a","qtype":"A","listed":"a"}"#,
            1,
        )
        .unwrap();
        assert!(en.fill(&mut e));
        assert_eq!(e.mac, Some(M11));
        assert!(!en.fill(&mut e));
    }

    #[test]
    fn maps_are_bounded() {
        let mut p = Parsed::default();
        for i in 0..(MAX_BINDINGS as u32 + 10) {
            p.push(Some(IpAddr::from(i.to_be_bytes())), Some(M10), None);
        }
        let mut en = Enrichment::new();
        en.add(&p);
        assert_eq!(en.addr_mac.len(), MAX_BINDINGS);
        assert_eq!(en.overflow, 10);
    }

    #[test]
    fn parsers_never_panic_on_odd_bytes() {
        let odd = "\u{0}\u{1b}[2J é 0x \n#\n# # #\n\t\t\n:::: lladdr\nlladdr\nduid\n# a b c d e f g h\n";
        for f in [dnsmasq_leases, odhcpd, hosts_file, ethers, proc_arp, ip_neigh] {
            let p = f(odd);
            assert!(p.bindings.is_empty(), "{p:?}");
        }
    }
}
