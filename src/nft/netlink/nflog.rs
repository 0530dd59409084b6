//! NFLOG (`nfnetlink_log`) messages: binding a log group and reading the
//! packets the kernel sends to it. Pure encoding and decoding; the
//! listener daemon (a later piece, `watch`) and the lab tests open the
//! socket.

use super::{attrs, Msg, ParseError, NFGENMSG_LEN, NFNETLINK_V0, NFNL_SUBSYS_ULOG};
use super::{NLA_HDRLEN, NLM_F_ACK, NLM_F_REQUEST};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

// linux/netfilter/nfnetlink_log.h
/// `NFULNL_MSG_PACKET`: a logged packet.
pub const NFULNL_MSG_PACKET: u16 = 0;
/// `NFULNL_MSG_CONFIG`.
pub const NFULNL_MSG_CONFIG: u16 = 1;
/// `NFULA_CFG_CMD`.
pub const NFULA_CFG_CMD: u16 = 1;
/// `NFULA_CFG_MODE`.
pub const NFULA_CFG_MODE: u16 = 2;
/// `NFULNL_CFG_CMD_BIND`.
pub const NFULNL_CFG_CMD_BIND: u8 = 1;
/// `NFULNL_CFG_CMD_UNBIND`.
pub const NFULNL_CFG_CMD_UNBIND: u8 = 2;
/// `NFULNL_COPY_PACKET`.
pub const NFULNL_COPY_PACKET: u8 = 2;
/// `NFULA_HWADDR` (`struct nfulnl_msg_packet_hw`).
pub const NFULA_HWADDR: u16 = 8;
/// `NFULA_PAYLOAD`: the packet from its network header.
pub const NFULA_PAYLOAD: u16 = 9;
/// `NFULA_PREFIX`: the rule's log prefix (string).
pub const NFULA_PREFIX: u16 = 10;

/// Bytes of each packet copied to userspace: enough for the IPv6 header
/// plus the ports.
pub const COPY_RANGE: u32 = 64;

fn config_msg(seq: u32, group: u16, attr: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut b = Vec::with_capacity(48);
    b.extend_from_slice(&0u32.to_ne_bytes());
    b.extend_from_slice(&((NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG).to_ne_bytes());
    b.extend_from_slice(&(NLM_F_REQUEST | NLM_F_ACK).to_ne_bytes());
    b.extend_from_slice(&seq.to_ne_bytes());
    b.extend_from_slice(&0u32.to_ne_bytes());
    b.extend_from_slice(&[0, NFNETLINK_V0]);
    b.extend_from_slice(&group.to_be_bytes());
    attr(&mut b);
    let len = b.len() as u32;
    b[0..4].copy_from_slice(&len.to_ne_bytes());
    b
}

/// `NFULNL_CFG_CMD_BIND` (or UNBIND) for `group`.
pub fn bind_msg(seq: u32, group: u16, bind: bool) -> Vec<u8> {
    config_msg(seq, group, |b| {
        b.extend_from_slice(&((NLA_HDRLEN + 1) as u16).to_ne_bytes());
        b.extend_from_slice(&NFULA_CFG_CMD.to_ne_bytes());
        b.extend_from_slice(&[
            if bind {
                NFULNL_CFG_CMD_BIND
            } else {
                NFULNL_CFG_CMD_UNBIND
            },
            0,
            0,
            0,
        ]);
    })
}

/// `NFULA_CFG_MODE`: copy the first [`COPY_RANGE`] bytes of each packet.
pub fn mode_msg(seq: u32, group: u16) -> Vec<u8> {
    config_msg(seq, group, |b| {
        b.extend_from_slice(&((NLA_HDRLEN + 6) as u16).to_ne_bytes());
        b.extend_from_slice(&NFULA_CFG_MODE.to_ne_bytes());
        b.extend_from_slice(&COPY_RANGE.to_be_bytes());
        b.extend_from_slice(&[NFULNL_COPY_PACKET, 0, 0, 0]);
    })
}

/// A logged packet, reduced to what attribution needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedPacket {
    /// The log group (from the message's `res_id`).
    pub group: u16,
    /// The rule's prefix, e.g. `iocguard fwd`.
    pub prefix: String,
    /// Source hardware address, when the kernel had one.
    pub hwaddr: Option<Vec<u8>>,
    /// Source address.
    pub src: Option<IpAddr>,
    /// Destination address.
    pub dst: Option<IpAddr>,
}

/// Reads an `NFULNL_MSG_PACKET`; `None` for other message types.
pub fn parse_packet(m: &Msg<'_>) -> Result<Option<LoggedPacket>, ParseError> {
    if m.ty != (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET {
        return Ok(None);
    }
    let gen = m.payload.get(..NFGENMSG_LEN).ok_or(ParseError::Truncated)?;
    let group = u16::from_be_bytes([gen[2], gen[3]]);
    let mut p = LoggedPacket {
        group,
        prefix: String::new(),
        hwaddr: None,
        src: None,
        dst: None,
    };
    for a in attrs(&m.payload[NFGENMSG_LEN..]) {
        match a? {
            (NFULA_PREFIX, s) => {
                let s = s.split(|&c| c == 0).next().unwrap_or(&[]);
                p.prefix = String::from_utf8_lossy(s).into_owned();
            }
            (NFULA_HWADDR, h) if h.len() >= 4 => {
                let n = (u16::from_be_bytes([h[0], h[1]]) as usize).min(h.len() - 4);
                p.hwaddr = Some(h[4..4 + n].to_vec());
            }
            (NFULA_PAYLOAD, pkt) => {
                (p.src, p.dst) = ip_addrs(pkt);
            }
            _ => {}
        }
    }
    Ok(Some(p))
}

/// Source and destination of an IPv4 or IPv6 packet, if long enough.
fn ip_addrs(pkt: &[u8]) -> (Option<IpAddr>, Option<IpAddr>) {
    match pkt.first().map(|b| b >> 4) {
        Some(4) if pkt.len() >= 20 => {
            let s: [u8; 4] = pkt[12..16].try_into().unwrap_or_default();
            let d: [u8; 4] = pkt[16..20].try_into().unwrap_or_default();
            (Some(Ipv4Addr::from(s).into()), Some(Ipv4Addr::from(d).into()))
        }
        Some(6) if pkt.len() >= 40 => {
            let s: [u8; 16] = pkt[8..24].try_into().unwrap_or_default();
            let d: [u8; 16] = pkt[24..40].try_into().unwrap_or_default();
            (Some(Ipv6Addr::from(s).into()), Some(Ipv6Addr::from(d).into()))
        }
        _ => (None, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nft::netlink::{messages, put_str_attr};

    #[test]
    fn bind_message_layout() {
        let m = bind_msg(9, 10, true);
        assert_eq!(m.len(), 16 + 4 + 8);
        assert_eq!(u16::from_ne_bytes([m[4], m[5]]), (4 << 8) | 1);
        assert_eq!(&m[16..20], &[0, 0, 0, 10]);
        assert_eq!(m[24], NFULNL_CFG_CMD_BIND);
        let mode = mode_msg(10, 10);
        assert_eq!(mode.len(), 16 + 4 + 12);
        assert_eq!(&mode[24..28], &64u32.to_be_bytes());
    }

    #[test]
    fn packet_is_decoded() {
        let mut b = Vec::new();
        b.extend_from_slice(&0u32.to_ne_bytes());
        b.extend_from_slice(&(4u16 << 8).to_ne_bytes());
        b.extend_from_slice(&[0; 10]);
        b.extend_from_slice(&[2, 0, 0, 10]);
        put_str_attr(&mut b, NFULA_PREFIX, "iocguard fwd");
        let mut ip = vec![0x45u8; 20];
        ip[12..16].copy_from_slice(&[192, 0, 2, 10]);
        ip[16..20].copy_from_slice(&[203, 0, 113, 5]);
        b.extend_from_slice(&((NLA_HDRLEN + 20) as u16).to_ne_bytes());
        b.extend_from_slice(&NFULA_PAYLOAD.to_ne_bytes());
        b.extend_from_slice(&ip);
        let len = b.len() as u32;
        b[0..4].copy_from_slice(&len.to_ne_bytes());
        let m = messages(&b).next().unwrap().unwrap();
        let p = parse_packet(&m).unwrap().unwrap();
        assert_eq!(p.group, 10);
        assert_eq!(p.prefix, "iocguard fwd");
        assert_eq!(p.dst, Some("203.0.113.5".parse().unwrap()));
        assert_eq!(p.src, Some("192.0.2.10".parse().unwrap()));
    }
}
