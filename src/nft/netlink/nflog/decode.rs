//! Reading one `NFULNL_MSG_PACKET` into a [`LoggedPacket`]: the group,
//! the chain that logged it (from the prefix), interfaces, source MAC,
//! sequence number, and the addresses, protocol and ports of the copied
//! IPv4/IPv6 bytes.
//!
//! The bytes come from the kernel, but the decoder trusts nothing: every
//! length is checked, a malformed message is a [`ParseError`], and nothing
//! is allocated, so a flood of logged packets costs no heap churn.

use super::{
    NFULA_HWADDR, NFULA_IFINDEX_INDEV, NFULA_IFINDEX_OUTDEV, NFULA_PAYLOAD, NFULA_PREFIX, NFULA_SEQ,
    NFULNL_MSG_PACKET,
};
use crate::nft::netlink::{attrs, Msg, ParseError, NFGENMSG_LEN, NFNL_SUBSYS_ULOG};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Which ruleset chain logged it, from the NFLOG prefix ("iocguard fwd " …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chain {
    /// `block_fwd`: a forwarded packet (a LAN host) to a listed address.
    Fwd,
    /// `block_out`: the router itself to a listed address.
    Out,
    /// `drop_in`: a listed address reaching in.
    In,
    /// Another prefix, or none: not one of iocguard's rules.
    Other,
}

impl Chain {
    /// The log prefix the ruleset writes for this chain (`Other`: empty).
    pub fn prefix(self) -> &'static str {
        match self {
            Chain::Fwd => "iocguard fwd ",
            Chain::Out => "iocguard out ",
            Chain::In => "iocguard in ",
            Chain::Other => "",
        }
    }

    /// The chain of an `NFULA_PREFIX` value (NUL-terminated, trailing
    /// blanks ignored).
    pub fn from_prefix(raw: &[u8]) -> Chain {
        let s = raw.split(|&c| c == 0).next().unwrap_or(&[]);
        match s.trim_ascii_end() {
            b"iocguard fwd" => Chain::Fwd,
            b"iocguard out" => Chain::Out,
            b"iocguard in" => Chain::In,
            _ => Chain::Other,
        }
    }
}

/// A logged packet. Copy, no heap allocation on the decode path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoggedPacket {
    /// The log group (the message's `res_id`).
    pub group: u16,
    /// The rule that logged it.
    pub chain: Chain,
    /// Source MAC (`NFULA_HWADDR`) when it is a 6-byte (Ethernet) address.
    pub hwaddr: Option<[u8; 6]>,
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// IPv4 protocol, or the IPv6 header after the extension headers that
    /// were copied whole (else the first one that was not).
    pub proto: u8,
    /// Source port (TCP, UDP, UDP-Lite, SCTP; not in a later fragment).
    pub sport: Option<u16>,
    /// Destination port, like [`sport`](Self::sport).
    pub dport: Option<u16>,
    /// Input interface index (`NFULA_IFINDEX_INDEV`).
    pub iif: Option<u32>,
    /// Output interface index (`NFULA_IFINDEX_OUTDEV`).
    pub oif: Option<u32>,
    /// The group's sequence number (`NFULA_SEQ`), when asked for.
    pub seq: Option<u32>,
}

const TCP: u8 = 6;
const UDP: u8 = 17;
const SCTP: u8 = 132;
const UDPLITE: u8 = 136;
const V6_HOPOPTS: u8 = 0;
const V6_ROUTING: u8 = 43;
const V6_FRAGMENT: u8 = 44;
const V6_DSTOPTS: u8 = 60;

/// Decodes one netlink message: `Ok(None)` for messages that are not
/// `NFULNL_MSG_PACKET`; `Err` for a packet message that is truncated or
/// garbage or has no IPv4/IPv6 payload with both addresses. Never panics.
pub fn parse_packet(m: &Msg<'_>) -> Result<Option<LoggedPacket>, ParseError> {
    if m.ty != (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET {
        return Ok(None);
    }
    let gen = m.payload.get(..NFGENMSG_LEN).ok_or(ParseError::Truncated)?;
    let group = u16::from_be_bytes([gen[2], gen[3]]);
    let (mut chain, mut hwaddr, mut iif, mut oif, mut seq) = (Chain::Other, None, None, None, None);
    let mut payload = None;
    for a in attrs(&m.payload[NFGENMSG_LEN..]) {
        let (ty, v) = a?;
        match ty {
            NFULA_PREFIX => chain = Chain::from_prefix(v),
            NFULA_IFINDEX_INDEV => iif = Some(be32(v)?),
            NFULA_IFINDEX_OUTDEV => oif = Some(be32(v)?),
            NFULA_SEQ => seq = Some(be32(v)?),
            NFULA_HWADDR => hwaddr = ethernet(v)?,
            NFULA_PAYLOAD => payload = Some(v),
            // Timestamps, marks, link-layer headers, conntrack…: not needed.
            _ => {}
        }
    }
    let l3 = network(payload.ok_or(ParseError::Malformed)?)?;
    let (sport, dport) = match (l3.proto, l3.l4) {
        (TCP | UDP | UDPLITE | SCTP, Some(&[a, b, c, d, ..])) => {
            (Some(u16::from_be_bytes([a, b])), Some(u16::from_be_bytes([c, d])))
        }
        _ => (None, None),
    };
    Ok(Some(LoggedPacket {
        group,
        chain,
        hwaddr,
        src: l3.src,
        dst: l3.dst,
        proto: l3.proto,
        sport,
        dport,
        iif,
        oif,
        seq,
    }))
}

fn be32(v: &[u8]) -> Result<u32, ParseError> {
    let b: [u8; 4] = v.try_into().map_err(|_| ParseError::Malformed)?;
    Ok(u32::from_be_bytes(b))
}

/// `struct nfulnl_msg_packet_hw`: only a 6-byte address is an Ethernet MAC;
/// other link types (PPP has none, tunnels have other lengths) give `None`.
fn ethernet(v: &[u8]) -> Result<Option<[u8; 6]>, ParseError> {
    let len = v.get(..2).ok_or(ParseError::Malformed)?;
    if u16::from_be_bytes([len[0], len[1]]) != 6 {
        return Ok(None);
    }
    let mac = v.get(4..10).ok_or(ParseError::Malformed)?;
    Ok(mac.try_into().ok())
}

/// The network-layer facts of a copied packet.
struct Network<'a> {
    src: IpAddr,
    dst: IpAddr,
    proto: u8,
    /// The transport header's first copied bytes; `None` when they are not
    /// there (a later fragment, or an extension header cut off).
    l4: Option<&'a [u8]>,
}

fn network(p: &[u8]) -> Result<Network<'_>, ParseError> {
    match p.first().map(|b| b >> 4) {
        Some(4) => ipv4(p),
        Some(6) => ipv6(p),
        None => Err(ParseError::Truncated),
        Some(_) => Err(ParseError::Malformed),
    }
}

fn ipv4(p: &[u8]) -> Result<Network<'_>, ParseError> {
    let h: &[u8; 20] = p
        .get(..20)
        .and_then(|h| h.try_into().ok())
        .ok_or(ParseError::Truncated)?;
    let ihl = usize::from(h[0] & 0x0f) * 4;
    if ihl < 20 {
        return Err(ParseError::Malformed);
    }
    let frag_offset = u16::from_be_bytes([h[6], h[7]]) & 0x1fff;
    let src = Ipv4Addr::new(h[12], h[13], h[14], h[15]);
    let dst = Ipv4Addr::new(h[16], h[17], h[18], h[19]);
    Ok(Network {
        src: src.into(),
        dst: dst.into(),
        proto: h[9],
        l4: if frag_offset == 0 { p.get(ihl..) } else { None },
    })
}

fn ipv6(p: &[u8]) -> Result<Network<'_>, ParseError> {
    let h: &[u8; 40] = p
        .get(..40)
        .and_then(|h| h.try_into().ok())
        .ok_or(ParseError::Truncated)?;
    let addr = |at: usize| -> IpAddr {
        let mut a = [0u8; 16];
        a.copy_from_slice(&h[at..at + 16]);
        Ipv6Addr::from(a).into()
    };
    let (proto, l4) = ipv6_transport(p, h[6]);
    Ok(Network {
        src: addr(8),
        dst: addr(24),
        proto,
        l4,
    })
}

/// Walks the common extension headers from offset 40. Each step moves at
/// least 8 bytes forward, so the walk ends within the copied bytes.
fn ipv6_transport(p: &[u8], first: u8) -> (u8, Option<&[u8]>) {
    let (mut next, mut at) = (first, 40usize);
    loop {
        match next {
            V6_HOPOPTS | V6_ROUTING | V6_DSTOPTS => {
                let Some(&[nh, units]) = p.get(at..at + 2) else {
                    return (next, None);
                };
                let len = (usize::from(units) + 1) * 8;
                if p.len() < at + len {
                    return (next, None);
                }
                (next, at) = (nh, at + len);
            }
            V6_FRAGMENT => {
                let Some(&[nh, _, o1, o2, ..]) = p.get(at..at + 8) else {
                    return (next, None);
                };
                if u16::from_be_bytes([o1, o2]) >> 3 != 0 {
                    // A later fragment: its bytes are not the transport header.
                    return (nh, None);
                }
                (next, at) = (nh, at + 8);
            }
            _ => return (next, p.get(at..)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{packet_msg, packet_msg_with_payload};
    use super::*;
    use crate::nft::netlink::{messages, put_str_attr, NLA_HDRLEN};

    fn decode(bytes: &[u8]) -> Result<Option<LoggedPacket>, ParseError> {
        parse_packet(&messages(bytes).next().expect("one message")?)
    }

    fn sample(src: &str, dst: &str, proto: u8) -> LoggedPacket {
        LoggedPacket {
            group: 10,
            chain: Chain::Fwd,
            hwaddr: Some([2, 0, 0, 0, 1, 0x10]),
            src: src.parse().unwrap(),
            dst: dst.parse().unwrap(),
            proto,
            sport: Some(40000),
            dport: Some(8080),
            iif: Some(3),
            oif: Some(4),
            seq: Some(7),
        }
    }

    #[test]
    fn kernel_shaped_messages_round_trip() {
        for (s, d) in [("192.0.2.10", "203.0.113.5"), ("2001:db8:1::10", "2001:db8:3::5")] {
            for proto in [TCP, UDP, UDPLITE, SCTP] {
                let p = sample(s, d, proto);
                assert_eq!(decode(&packet_msg(&p)), Ok(Some(p)));
            }
            let mut icmp = sample(s, d, 1);
            (icmp.sport, icmp.dport, icmp.hwaddr, icmp.iif, icmp.seq) = (None, None, None, None, None);
            icmp.chain = Chain::Out;
            assert_eq!(decode(&packet_msg(&icmp)), Ok(Some(icmp)));
        }
    }

    #[test]
    fn chain_comes_from_the_prefix() {
        for c in [Chain::Fwd, Chain::Out, Chain::In] {
            assert_eq!(Chain::from_prefix(c.prefix().as_bytes()), c);
            assert_eq!(Chain::from_prefix(format!("{}\0", c.prefix()).as_bytes()), c);
        }
        assert_eq!(Chain::from_prefix(b"iocguard fwd\0junk"), Chain::Fwd);
        assert_eq!(Chain::from_prefix(b"fw4 drop "), Chain::Other);
        assert_eq!(Chain::from_prefix(b""), Chain::Other);
        assert_eq!(Chain::from_prefix(b"\xff\xfe"), Chain::Other);
    }

    #[test]
    fn other_message_types_are_not_packets() {
        let mut m = packet_msg(&sample("192.0.2.10", "203.0.113.5", TCP));
        m[4..6].copy_from_slice(&((NFNL_SUBSYS_ULOG << 8) | 1).to_ne_bytes());
        assert_eq!(decode(&m), Ok(None));
        m[4..6].copy_from_slice(&3u16.to_ne_bytes());
        assert_eq!(decode(&m), Ok(None));
    }

    #[test]
    fn unknown_and_flagged_attributes_are_skipped() {
        let p = sample("192.0.2.10", "203.0.113.5", TCP);
        let m = packet_msg(&p);
        // Splice an unknown attribute (type 99) and a nested-flagged
        // unknown one right after the nfgenmsg.
        let mut b = m[..20].to_vec();
        b.extend_from_slice(&8u16.to_ne_bytes());
        b.extend_from_slice(&99u16.to_ne_bytes());
        b.extend_from_slice(&[1, 2, 3, 4]);
        put_str_attr(&mut b, 0x8000 | 200, "x");
        b.extend_from_slice(&m[20..]);
        let len = b.len() as u32;
        b[..4].copy_from_slice(&len.to_ne_bytes());
        assert_eq!(decode(&b), Ok(Some(p)));
        // NLA_F_NET_BYTEORDER on a known attribute is masked.
        let mut b = m[..20].to_vec();
        put_str_attr(&mut b, 0x4000 | NFULA_PREFIX, "iocguard in ");
        b.extend_from_slice(&m[20..]);
        let len = b.len() as u32;
        b[..4].copy_from_slice(&len.to_ne_bytes());
        // The later, real prefix wins; both parse.
        assert_eq!(decode(&b).unwrap().unwrap().chain, Chain::Fwd);
    }

    #[test]
    fn truncated_and_garbage_are_errors() {
        let m = packet_msg(&sample("2001:db8:1::10", "2001:db8:3::5", UDP));
        // Every cut of the message: an error or a packet, never a panic.
        for n in 0..m.len() {
            let mut b = m[..n].to_vec();
            if n >= 4 {
                b[..4].copy_from_slice(&(n as u32).to_ne_bytes());
            }
            messages(&b).for_each(|r| {
                let _ = r.and_then(|m| parse_packet(&m));
            });
        }
        // The nfgenmsg alone: no payload.
        let mut b = m[..20].to_vec();
        b[..4].copy_from_slice(&20u32.to_ne_bytes());
        assert_eq!(decode(&b), Err(ParseError::Malformed));
        let mut b = m[..18].to_vec();
        b[..4].copy_from_slice(&18u32.to_ne_bytes());
        assert_eq!(decode(&b), Err(ParseError::Truncated));
        // Payloads that are not IP, or too short for both addresses.
        let p = sample("192.0.2.10", "203.0.113.5", TCP);
        for bad in [
            &[][..],
            &[0x45; 19][..],
            &[0x60; 39][..],
            &[0x55; 40][..],
            &[0x44; 20][..],
        ] {
            assert!(decode(&packet_msg_with_payload(&p, bad)).is_err(), "{bad:?}");
        }
        // A known attribute with the wrong size.
        let mut b = m[..20].to_vec();
        b.extend_from_slice(&6u16.to_ne_bytes());
        b.extend_from_slice(&NFULA_SEQ.to_ne_bytes());
        b.extend_from_slice(&[1, 2, 0, 0]);
        b.extend_from_slice(&m[20..]);
        let len = b.len() as u32;
        b[..4].copy_from_slice(&len.to_ne_bytes());
        assert_eq!(decode(&b), Err(ParseError::Malformed));
        // An attribute claiming more bytes than there are.
        let mut b = m.clone();
        b[20..22].copy_from_slice(&0xfff0u16.to_ne_bytes());
        assert_eq!(decode(&b), Err(ParseError::Malformed));
        for n in 0..300 {
            let junk: Vec<u8> = (0..n).map(|i| (i * 131 % 251) as u8).collect();
            messages(&junk).for_each(|r| {
                let _ = r.and_then(|m| parse_packet(&m));
            });
        }
    }

    #[test]
    fn hwaddr_only_when_ethernet() {
        let p = sample("192.0.2.10", "203.0.113.5", TCP);
        let m = packet_msg(&p);
        let at = find(&m, NFULA_HWADDR);
        let mut b = m.clone();
        b[at..at + 2].copy_from_slice(&8u16.to_be_bytes());
        assert_eq!(decode(&b).unwrap().unwrap().hwaddr, None);
        let mut b = m.clone();
        b[at..at + 2].copy_from_slice(&0u16.to_be_bytes());
        assert_eq!(decode(&b).unwrap().unwrap().hwaddr, None);
    }

    /// Offset of the value of the first attribute `ty` in an encoded message.
    fn find(m: &[u8], ty: u16) -> usize {
        let mut at = 20;
        loop {
            let len = u16::from_ne_bytes([m[at], m[at + 1]]) as usize;
            if u16::from_ne_bytes([m[at + 2], m[at + 3]]) == ty {
                return at + NLA_HDRLEN;
            }
            at += (len + 3) & !3;
        }
    }

    fn v4(proto: u8, frag: u16, ihl: u8, rest: &[u8]) -> Vec<u8> {
        let mut h = vec![0u8; 20];
        h[0] = 0x40 | ihl;
        h[6..8].copy_from_slice(&frag.to_be_bytes());
        h[9] = proto;
        h[12..16].copy_from_slice(&[192, 0, 2, 10]);
        h[16..20].copy_from_slice(&[203, 0, 113, 5]);
        h.resize(usize::from(ihl) * 4, 1);
        h.extend_from_slice(rest);
        h
    }

    fn v6(next: u8, rest: &[u8]) -> Vec<u8> {
        let mut h = vec![0u8; 40];
        h[0] = 0x60;
        h[6] = next;
        h[8..24].copy_from_slice(&"2001:db8:1::10".parse::<Ipv6Addr>().unwrap().octets());
        h[24..40].copy_from_slice(&"2001:db8:3::5".parse::<Ipv6Addr>().unwrap().octets());
        h.extend_from_slice(rest);
        h
    }

    fn ports_of(payload: &[u8]) -> (u8, Option<u16>, Option<u16>) {
        let p = sample("192.0.2.10", "203.0.113.5", TCP);
        let got = decode(&packet_msg_with_payload(&p, payload)).unwrap().unwrap();
        (got.proto, got.sport, got.dport)
    }

    const PORTS: [u8; 4] = [0x9c, 0x40, 0x1f, 0x90]; // 40000 → 8080

    #[test]
    fn ipv4_options_fragments_and_short_transport() {
        assert_eq!(ports_of(&v4(TCP, 0, 5, &PORTS)), (TCP, Some(40000), Some(8080)));
        // Options (IHL 15: 60 bytes) are skipped.
        assert_eq!(ports_of(&v4(UDP, 0, 15, &PORTS)), (UDP, Some(40000), Some(8080)));
        // First fragment (MF set, offset 0) has the ports; later ones do not.
        assert_eq!(
            ports_of(&v4(UDP, 0x2000, 5, &PORTS)),
            (UDP, Some(40000), Some(8080))
        );
        assert_eq!(ports_of(&v4(UDP, 0x2000 | 185, 5, &PORTS)), (UDP, None, None));
        // Ports cut off by the copy range, or not a port protocol.
        assert_eq!(ports_of(&v4(TCP, 0, 5, &PORTS[..3])), (TCP, None, None));
        assert_eq!(ports_of(&v4(TCP, 0, 15, &[])[..40]), (TCP, None, None));
        assert_eq!(ports_of(&v4(1, 0, 5, &PORTS)), (1, None, None));
        assert_eq!(ports_of(&v4(SCTP, 0, 5, &PORTS)), (SCTP, Some(40000), Some(8080)));
    }

    #[test]
    fn ipv6_extension_headers_are_walked() {
        assert_eq!(ports_of(&v6(TCP, &PORTS)), (TCP, Some(40000), Some(8080)));
        // Hop-by-hop (8 bytes) → routing (24 bytes) → dest-opts → UDP.
        let mut ext = vec![V6_ROUTING, 0, 1, 0, 0, 0, 0, 0];
        ext.extend_from_slice(&[V6_DSTOPTS, 2, 0, 0, 0, 0, 0, 0]);
        ext.extend_from_slice(&[0; 16]);
        ext.extend_from_slice(&[UDP, 0, 1, 4, 0, 0, 0, 0]);
        ext.extend_from_slice(&PORTS);
        assert_eq!(ports_of(&v6(V6_HOPOPTS, &ext)), (UDP, Some(40000), Some(8080)));
        // First fragment: ports; later fragment: the protocol, no ports.
        let first = [&[TCP, 0, 0, 1, 0, 0, 0, 9][..], &PORTS].concat();
        assert_eq!(ports_of(&v6(V6_FRAGMENT, &first)), (TCP, Some(40000), Some(8080)));
        let later = [&[TCP, 0, 0x05, 0x28, 0, 0, 0, 9][..], &PORTS].concat();
        assert_eq!(ports_of(&v6(V6_FRAGMENT, &later)), (TCP, None, None));
        // An extension header cut off by the copy range is reported as is.
        assert_eq!(ports_of(&v6(V6_HOPOPTS, &ext[..6])), (V6_HOPOPTS, None, None));
        assert_eq!(ports_of(&v6(V6_HOPOPTS, &ext[..12])), (V6_ROUTING, None, None));
        assert_eq!(ports_of(&v6(V6_FRAGMENT, &first[..7])), (V6_FRAGMENT, None, None));
        assert_eq!(ports_of(&v6(V6_HOPOPTS, &[])), (V6_HOPOPTS, None, None));
        // Other headers (ESP, ICMPv6, no next header) end the walk.
        assert_eq!(ports_of(&v6(58, &PORTS)), (58, None, None));
        assert_eq!(ports_of(&v6(59, &[])), (59, None, None));
        // A chain of hop-by-hop headers filling the copy ends (no loop).
        let many: Vec<u8> = (0..10).flat_map(|_| [V6_HOPOPTS, 0, 0, 0, 0, 0, 0, 0]).collect();
        assert_eq!(ports_of(&v6(V6_HOPOPTS, &many)), (V6_HOPOPTS, None, None));
    }

    #[test]
    fn legacy_single_test_message_still_decodes() {
        // A hand-built message as in the earlier decoder's test: prefix and
        // a bare IPv4 header, no other attributes.
        let mut b = Vec::new();
        b.extend_from_slice(&0u32.to_ne_bytes());
        b.extend_from_slice(&(4u16 << 8).to_ne_bytes());
        b.extend_from_slice(&[0; 10]);
        b.extend_from_slice(&[2, 0, 0, 10]);
        put_str_attr(&mut b, NFULA_PREFIX, "iocguard fwd");
        let ip = v4(TCP, 0, 5, &[]);
        b.extend_from_slice(&((NLA_HDRLEN + ip.len()) as u16).to_ne_bytes());
        b.extend_from_slice(&NFULA_PAYLOAD.to_ne_bytes());
        b.extend_from_slice(&ip);
        let len = b.len() as u32;
        b[0..4].copy_from_slice(&len.to_ne_bytes());
        let p = decode(&b).unwrap().unwrap();
        assert_eq!((p.group, p.chain, p.proto), (10, Chain::Fwd, TCP));
        assert_eq!(p.src, "192.0.2.10".parse::<IpAddr>().unwrap());
        assert_eq!(p.dst, "203.0.113.5".parse::<IpAddr>().unwrap());
        assert_eq!(
            (p.sport, p.hwaddr, p.iif, p.oif, p.seq),
            (None, None, None, None, None)
        );
    }
}
