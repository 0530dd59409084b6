//! The seams where hits enter the host table: a blocked query from the
//! sinkhole and a logged packet from NFLOG become one [`hosts::Event`]
//! (`hosts`, `dns` and `nft` are peers and do not know each other).

use crate::dns;
use crate::hosts;
use crate::indicator::IpIndex;
use crate::nft::netlink::nflog::{Chain, LoggedPacket};

/// The host-table event for a blocked query the sinkhole logged: the
/// seam where DNS hits enter the host table (`hosts` and `dns` are peers
/// and do not know each other).
pub fn host_event(e: &dns::events::Event) -> hosts::Event {
    hosts::Event {
        time: e.time,
        src: e.client.to_canonical(),
        mac: e.mac.map(hosts::Mac),
        hit: hosts::Hit::Dns(hosts::DnsHit {
            name: e.name().to_string(),
            qtype: e.qtype,
        }),
        listed: e.listed().to_string(),
        feeds: if e.feed().is_empty() {
            Vec::new()
        } else {
            vec![e.feed().to_string()]
        },
    }
}

/// The host-table event for a packet the ruleset logged at `now`, and
/// whether a loaded feed lists its destination (else the destination
/// itself stands for the entry: the packet was logged under an older
/// set). `None` for the inbound chain: a listed source knocking on the
/// router is not an internal host reaching out. `ifname` names an
/// interface index.
pub fn ip_event(
    p: &LoggedPacket,
    now: u64,
    index: &IpIndex,
    mut ifname: impl FnMut(u32) -> Option<String>,
) -> Option<(hosts::Event, bool)> {
    if p.chain == Chain::In {
        return None;
    }
    let (listed, feeds, attributed) = match index.attribute(p.dst) {
        Some(a) => {
            let feeds = if a.feed.is_empty() {
                Vec::new()
            } else {
                vec![a.feed.to_string()]
            };
            (a.entry, feeds, true)
        }
        None => (p.dst.to_canonical().to_string(), Vec::new(), false),
    };
    let e = hosts::Event {
        time: now,
        src: p.src.to_canonical(),
        mac: p.hwaddr.map(hosts::Mac).filter(|m| !m.is_zero()),
        hit: hosts::Hit::Ip(hosts::IpHit {
            dst: p.dst.to_canonical(),
            proto: hosts::Proto::from_number(p.proto),
            dport: p.dport,
            iif: p.iif.and_then(&mut ifname),
            oif: p.oif.and_then(&mut ifname),
        }),
        listed,
        feeds,
    };
    Some((e, attributed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_the_sinkhole_event() {
        let d = dns::events::Event::new(
            5,
            "::ffff:192.168.1.10".parse().unwrap(),
            Some([2, 0, 0, 0, 0, 10]),
            "www.evil.example",
            4,
            28,
            "campaign",
            false,
        );
        let e = host_event(&d);
        assert_eq!(e.src, "192.168.1.10".parse::<std::net::IpAddr>().unwrap());
        assert_eq!(e.listed, "evil.example");
        assert_eq!(e.feeds, ["campaign"]);
        assert_eq!(e.mac, Some(hosts::Mac([2, 0, 0, 0, 0, 10])));
        assert_eq!(e.kind(), hosts::Kind::Dns);
    }

    fn packet(chain: Chain, dst: &str) -> LoggedPacket {
        LoggedPacket {
            group: 10,
            chain,
            hwaddr: Some([2, 0, 0, 0, 1, 0x10]),
            src: "192.0.2.10".parse().unwrap(),
            dst: dst.parse().unwrap(),
            proto: 6,
            sport: Some(40000),
            dport: Some(8080),
            iif: Some(3),
            oif: Some(4),
            seq: Some(1),
        }
    }

    fn index() -> IpIndex {
        use crate::indicator::{parse_indicator, Gate, SetBuilder};
        let mut b = SetBuilder::new();
        let f = b.add_feed("campaign");
        b.push(parse_indicator("203.0.113.0/24").unwrap(), f);
        b.build(&Gate::default()).ip_index()
    }

    #[test]
    fn from_a_logged_packet() {
        let names = |i: u32| Some(format!("if{i}"));
        let (e, attributed) = ip_event(&packet(Chain::Fwd, "203.0.113.70"), 77, &index(), names).unwrap();
        assert!(attributed);
        assert_eq!(
            e.to_line(),
            "{\"kind\":\"ip\",\"time\":77,\"ts\":\"1970-01-01T00:01:17Z\",\"src\":\"192.0.2.10\",\"mac\":\"02:00:00:00:01:10\",\"dst\":\"203.0.113.70\",\"proto\":\"tcp\",\"dport\":8080,\"iif\":\"if3\",\"oif\":\"if4\",\"listed\":\"203.0.113.0/24\",\"feeds\":[\"campaign\"]}"
        );
        // Logged under an older set: the destination stands for the entry.
        let (e, attributed) = ip_event(&packet(Chain::Out, "198.51.100.9"), 77, &index(), names).unwrap();
        assert!(!attributed);
        assert_eq!((e.listed.as_str(), e.feeds.len()), ("198.51.100.9", 0));
        // Inbound knocks are not host events.
        assert_eq!(
            ip_event(&packet(Chain::In, "203.0.113.70"), 77, &index(), names),
            None
        );
    }
}
