//! Building NFLOG packet messages the way the kernel's `nfnetlink_log`
//! does (attribute order of `__build_packet_message`), with a real IPv4 or
//! IPv6 header and a TCP/UDP header behind it. Used by the decoder's
//! tests, the fuzz seed corpus and benchmarks; the daemon never sends
//! packet messages.

use super::{
    Chain, LoggedPacket, NFULA_HWADDR, NFULA_HWHEADER, NFULA_HWLEN, NFULA_HWTYPE, NFULA_IFINDEX_INDEV,
    NFULA_IFINDEX_OUTDEV, NFULA_PACKET_HDR, NFULA_PAYLOAD, NFULA_PREFIX, NFULA_SEQ, NFULNL_MSG_PACKET,
};
use crate::nft::netlink::attr::{pad4, put_attr_hdr, put_nlmsghdr, set_nlmsg_len};
use crate::nft::netlink::{put_str_attr, NFNETLINK_V0, NFNL_SUBSYS_ULOG, NLA_HDRLEN};
use std::net::IpAddr;

const AF_INET: u8 = 2;
const AF_INET6: u8 = 10;
const ETH_P_IP: u16 = 0x0800;
const ETH_P_IPV6: u16 = 0x86dd;
const ARPHRD_ETHER: u16 = 1;
/// The router's side of the link in the synthetic Ethernet header.
const ROUTER_MAC: [u8; 6] = [2, 0, 0, 0, 0, 1];

/// One NFLOG packet message for `p`: IPv4 when both addresses are IPv4,
/// else IPv6 (an IPv4 address becomes IPv4-mapped). A TCP (SYN) or UDP
/// header carries the ports; UDP-Lite and SCTP get their first 8 bytes;
/// when a port is `None` no transport header is written, so the decoder
/// gives `None` back. `Chain::Other` writes no prefix.
pub fn packet_msg(p: &LoggedPacket) -> Vec<u8> {
    let mut b = Vec::with_capacity(256);
    put_packet_msg(&mut b, p);
    b
}

/// Appends [`packet_msg`]`(p)` to `buf` (4-byte aligned), so many
/// messages can share one datagram-sized buffer without an allocation
/// each.
pub fn put_packet_msg(buf: &mut Vec<u8>, p: &LoggedPacket) {
    let mut ip = [0u8; 40 + 20];
    let n = ip_packet(p, &mut ip);
    put_message(buf, p, &ip[..n]);
}

/// Like [`packet_msg`] but with `payload` as the copied packet bytes
/// (`NFULA_PAYLOAD`), for malformed or unusual packets.
pub fn packet_msg_with_payload(p: &LoggedPacket, payload: &[u8]) -> Vec<u8> {
    let mut b = Vec::with_capacity(128 + payload.len());
    put_message(&mut b, p, payload);
    b
}

fn put_message(b: &mut Vec<u8>, p: &LoggedPacket, payload: &[u8]) {
    pad4(b);
    let at = b.len();
    let v4 = p.src.is_ipv4() && p.dst.is_ipv4();
    put_nlmsghdr(b, 0, (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET, 0, 0);
    b.extend_from_slice(&[if v4 { AF_INET } else { AF_INET6 }, NFNETLINK_V0]);
    b.extend_from_slice(&p.group.to_be_bytes());

    let ethertype = if v4 { ETH_P_IP } else { ETH_P_IPV6 };
    // Netfilter hooks: LOCAL_IN 1, FORWARD 2, LOCAL_OUT 3.
    let hook = match p.chain {
        Chain::In => 1,
        Chain::Out => 3,
        Chain::Fwd | Chain::Other => 2,
    };
    let [e0, e1] = ethertype.to_be_bytes();
    put_attr(b, NFULA_PACKET_HDR, &[e0, e1, hook, 0]);
    if p.chain != Chain::Other {
        put_str_attr(b, NFULA_PREFIX, p.chain.prefix());
    }
    if let Some(i) = p.iif {
        put_attr(b, NFULA_IFINDEX_INDEV, &i.to_be_bytes());
    }
    if let Some(o) = p.oif {
        put_attr(b, NFULA_IFINDEX_OUTDEV, &o.to_be_bytes());
    }
    if let Some(mac) = p.hwaddr {
        let mut hw = [0u8; 12];
        hw[..2].copy_from_slice(&6u16.to_be_bytes());
        hw[4..10].copy_from_slice(&mac);
        put_attr(b, NFULA_HWADDR, &hw);
        put_attr(b, NFULA_HWTYPE, &ARPHRD_ETHER.to_be_bytes());
        let mut eth = [0u8; 14];
        eth[..6].copy_from_slice(&ROUTER_MAC);
        eth[6..12].copy_from_slice(&mac);
        eth[12..].copy_from_slice(&ethertype.to_be_bytes());
        put_attr(b, NFULA_HWHEADER, &eth);
        put_attr(b, NFULA_HWLEN, &14u16.to_be_bytes());
    }
    if let Some(s) = p.seq {
        put_attr(b, NFULA_SEQ, &s.to_be_bytes());
    }
    put_attr(b, NFULA_PAYLOAD, payload);
    set_nlmsg_len(b, at);
    pad4(b);
}

fn put_attr(b: &mut Vec<u8>, ty: u16, v: &[u8]) {
    put_attr_hdr(b, ty, NLA_HDRLEN + v.len());
    b.extend_from_slice(v);
    pad4(b);
}

/// Writes the IP and transport headers into `out`; returns their length.
fn ip_packet(p: &LoggedPacket, out: &mut [u8; 60]) -> usize {
    let l4 = match (p.proto, p.sport, p.dport) {
        (6, Some(_), Some(_)) => 20,
        (17 | 136 | 132, Some(_), Some(_)) => 8,
        _ => 0,
    };
    let ip_len = match (p.src, p.dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            let total = (20 + l4) as u16;
            out[0] = 0x45;
            out[2..4].copy_from_slice(&total.to_be_bytes());
            out[6] = 0x40; // don't fragment
            out[8] = 64;
            out[9] = p.proto;
            out[12..16].copy_from_slice(&s.octets());
            out[16..20].copy_from_slice(&d.octets());
            let sum = checksum(&out[..20]);
            out[10..12].copy_from_slice(&sum.to_be_bytes());
            20
        }
        (s, d) => {
            let v6 = |a: IpAddr| match a {
                IpAddr::V4(a) => a.to_ipv6_mapped(),
                IpAddr::V6(a) => a,
            };
            out[0] = 0x60;
            out[4..6].copy_from_slice(&(l4 as u16).to_be_bytes());
            out[6] = p.proto;
            out[7] = 64;
            out[8..24].copy_from_slice(&v6(s).octets());
            out[24..40].copy_from_slice(&v6(d).octets());
            40
        }
    };
    if let (Some(sp), Some(dp)) = (p.sport, p.dport) {
        if l4 > 0 {
            let t = &mut out[ip_len..ip_len + l4];
            t[..2].copy_from_slice(&sp.to_be_bytes());
            t[2..4].copy_from_slice(&dp.to_be_bytes());
            if l4 == 20 {
                t[12] = 5 << 4; // data offset
                t[13] = 0x02; // SYN
                t[14..16].copy_from_slice(&64240u16.to_be_bytes());
            } else if p.proto == 17 {
                t[4..6].copy_from_slice(&8u16.to_be_bytes());
            }
        }
    }
    ip_len + l4
}

/// The IPv4 header checksum (RFC 1071), so captures of these messages
/// look like real packets in tools that check it.
fn checksum(h: &[u8]) -> u16 {
    let mut sum: u32 = h
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], c.get(1).copied().unwrap_or(0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nft::netlink::{attrs, messages, NFGENMSG_LEN};

    fn sample() -> LoggedPacket {
        LoggedPacket {
            group: 10,
            chain: Chain::Fwd,
            hwaddr: Some([2, 0, 0, 0, 1, 0x10]),
            src: "192.0.2.10".parse().unwrap(),
            dst: "203.0.113.5".parse().unwrap(),
            proto: 6,
            sport: Some(40000),
            dport: Some(8080),
            iif: Some(3),
            oif: Some(4),
            seq: Some(7),
        }
    }

    #[test]
    fn kernel_attribute_order_and_header() {
        let m = packet_msg(&sample());
        let msg = messages(&m).next().unwrap().unwrap();
        assert_eq!(msg.ty, 4 << 8);
        assert_eq!(&msg.payload[..4], &[AF_INET, 0, 0, 10]);
        let types: Vec<u16> = attrs(&msg.payload[NFGENMSG_LEN..])
            .map(|a| a.unwrap().0)
            .collect();
        assert_eq!(types, [1, 10, 4, 5, 8, 15, 16, 17, 12, 9]);
        let payload = attrs(&msg.payload[NFGENMSG_LEN..]).last().unwrap().unwrap().1;
        assert_eq!(payload.len(), 40);
        assert_eq!(checksum(&payload[..20]), 0, "valid IPv4 header checksum");
        assert_eq!(m.len() % 4, 0);
    }

    #[test]
    fn many_messages_share_a_buffer() {
        let mut buf = Vec::new();
        let mut p = sample();
        for i in 0..5 {
            p.seq = Some(i);
            put_packet_msg(&mut buf, &p);
        }
        let seqs: Vec<_> = messages(&buf)
            .map(|m| super::super::parse_packet(&m.unwrap()).unwrap().unwrap().seq)
            .collect();
        assert_eq!(seqs, [0, 1, 2, 3, 4].map(Some));
    }

    #[test]
    fn mixed_families_become_ipv6() {
        let mut p = sample();
        p.dst = "2001:db8::1".parse().unwrap();
        let m = packet_msg(&p);
        let got = super::super::parse_packet(&messages(&m).next().unwrap().unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(got.src, "::ffff:192.0.2.10".parse::<IpAddr>().unwrap());
        assert_eq!(got.dst, p.dst);
    }
}
