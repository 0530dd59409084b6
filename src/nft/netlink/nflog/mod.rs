//! NFLOG (`nfnetlink_log`): the packets the ruleset's `log … group N`
//! rules send to userspace, written from `linux/netfilter/nfnetlink_log.h`.
//!
//! One concern per file: this file holds the kernel's numbers and the
//! configuration messages (bind a group, copy mode, flags); `decode.rs`
//! reads a packet message into a [`LoggedPacket`] (pure, no allocation);
//! `encode.rs` builds packet messages the way the kernel does (tests, fuzz
//! seeds, benchmarks); `listen.rs` is the socket that subscribes to a
//! group and counts what the kernel dropped.

mod decode;
mod encode;
mod listen;

pub use decode::{parse_packet, Chain, LoggedPacket};
pub use encode::{packet_msg, packet_msg_with_payload, put_packet_msg};
pub use listen::{if_name, BatchStats, Listener};

use super::{NFNETLINK_V0, NFNL_SUBSYS_ULOG, NLA_HDRLEN, NLM_F_ACK, NLM_F_REQUEST};

/// `NFULNL_MSG_PACKET`: a logged packet.
pub const NFULNL_MSG_PACKET: u16 = 0;
/// `NFULNL_MSG_CONFIG`.
pub const NFULNL_MSG_CONFIG: u16 = 1;

/// `NFULA_PACKET_HDR` (`struct nfulnl_msg_packet_hdr`: hw protocol, hook).
pub const NFULA_PACKET_HDR: u16 = 1;
/// `NFULA_MARK`.
pub const NFULA_MARK: u16 = 2;
/// `NFULA_TIMESTAMP`.
pub const NFULA_TIMESTAMP: u16 = 3;
/// `NFULA_IFINDEX_INDEV`: input interface index (be32).
pub const NFULA_IFINDEX_INDEV: u16 = 4;
/// `NFULA_IFINDEX_OUTDEV`: output interface index (be32).
pub const NFULA_IFINDEX_OUTDEV: u16 = 5;
/// `NFULA_HWADDR` (`struct nfulnl_msg_packet_hw`: be16 length, pad, 8 bytes).
pub const NFULA_HWADDR: u16 = 8;
/// `NFULA_PAYLOAD`: the packet from its network header.
pub const NFULA_PAYLOAD: u16 = 9;
/// `NFULA_PREFIX`: the rule's log prefix (NUL-terminated string).
pub const NFULA_PREFIX: u16 = 10;
/// `NFULA_SEQ`: per-group sequence number (be32), with [`NFULNL_CFG_F_SEQ`].
pub const NFULA_SEQ: u16 = 12;
/// `NFULA_SEQ_GLOBAL`: sequence number across all groups.
pub const NFULA_SEQ_GLOBAL: u16 = 13;
/// `NFULA_HWTYPE`: ARPHRD_* of the input device (be16).
pub const NFULA_HWTYPE: u16 = 15;
/// `NFULA_HWHEADER`: the link-layer header.
pub const NFULA_HWHEADER: u16 = 16;
/// `NFULA_HWLEN`: length of [`NFULA_HWHEADER`] (be16).
pub const NFULA_HWLEN: u16 = 17;

/// `NFULA_CFG_CMD`.
pub const NFULA_CFG_CMD: u16 = 1;
/// `NFULA_CFG_MODE` (`struct nfulnl_msg_config_mode`).
pub const NFULA_CFG_MODE: u16 = 2;
/// `NFULA_CFG_FLAGS` (be16).
pub const NFULA_CFG_FLAGS: u16 = 6;
/// `NFULNL_CFG_CMD_BIND`.
pub const NFULNL_CFG_CMD_BIND: u8 = 1;
/// `NFULNL_CFG_CMD_UNBIND`.
pub const NFULNL_CFG_CMD_UNBIND: u8 = 2;
/// `NFULNL_COPY_PACKET`.
pub const NFULNL_COPY_PACKET: u8 = 2;
/// `NFULNL_CFG_F_SEQ`: number this group's messages ([`NFULA_SEQ`]).
pub const NFULNL_CFG_F_SEQ: u16 = 0x0001;
/// `NFULNL_CFG_F_SEQ_GLOBAL`.
pub const NFULNL_CFG_F_SEQ_GLOBAL: u16 = 0x0002;

/// Bytes of each packet copied to userspace: an IPv4 header with the
/// largest options, or an IPv6 header with a few extension headers, plus
/// the ports. Small, because the receive buffer is charged per message.
pub const COPY_RANGE: u32 = 128;

fn config_msg(seq: u32, group: u16, attr: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut b = Vec::with_capacity(48);
    b.extend_from_slice(&0u32.to_ne_bytes());
    b.extend_from_slice(&((NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG).to_ne_bytes());
    b.extend_from_slice(&(NLM_F_REQUEST | NLM_F_ACK).to_ne_bytes());
    b.extend_from_slice(&seq.to_ne_bytes());
    b.extend_from_slice(&0u32.to_ne_bytes());
    // AF_UNSPEC: since Linux 3.17 a group receives every family.
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
        let cmd = if bind {
            NFULNL_CFG_CMD_BIND
        } else {
            NFULNL_CFG_CMD_UNBIND
        };
        b.extend_from_slice(&[cmd, 0, 0, 0]);
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

/// `NFULA_CFG_TIMEOUT`: how long the kernel may hold logged packets
/// before sending them (hundredths of a second; its default is 1 s).
pub const NFULA_CFG_TIMEOUT: u16 = 4;
/// `NFULA_CFG_QTHRESH`: how many logged packets the kernel batches into
/// one datagram at most (its default is 100).
pub const NFULA_CFG_QTHRESH: u16 = 5;

/// A `u32` setting (`NFULA_CFG_TIMEOUT`, `NFULA_CFG_QTHRESH`) for `group`.
pub fn u32_cfg_msg(seq: u32, group: u16, attr: u16, value: u32) -> Vec<u8> {
    config_msg(seq, group, |b| {
        b.extend_from_slice(&((NLA_HDRLEN + 4) as u16).to_ne_bytes());
        b.extend_from_slice(&attr.to_ne_bytes());
        b.extend_from_slice(&value.to_be_bytes());
    })
}

/// `NFULA_CFG_FLAGS`: e.g. [`NFULNL_CFG_F_SEQ`] to number the messages.
pub fn flags_msg(seq: u32, group: u16, flags: u16) -> Vec<u8> {
    config_msg(seq, group, |b| {
        b.extend_from_slice(&((NLA_HDRLEN + 2) as u16).to_ne_bytes());
        b.extend_from_slice(&NFULA_CFG_FLAGS.to_ne_bytes());
        b.extend_from_slice(&flags.to_be_bytes());
        b.extend_from_slice(&[0, 0]);
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nft::netlink::{attrs, messages, NFGENMSG_LEN};

    #[test]
    fn config_message_layout() {
        let m = bind_msg(9, 10, true);
        assert_eq!(m.len(), 16 + 4 + 8);
        assert_eq!(u16::from_ne_bytes([m[4], m[5]]), (4 << 8) | 1);
        assert_eq!(&m[16..20], &[0, 0, 0, 10]);
        assert_eq!(m[24], NFULNL_CFG_CMD_BIND);
        assert_eq!(bind_msg(9, 10, false)[24], NFULNL_CFG_CMD_UNBIND);
        let mode = mode_msg(10, 10);
        assert_eq!(mode.len(), 16 + 4 + 12);
        assert_eq!(&mode[24..28], &COPY_RANGE.to_be_bytes());
        assert_eq!(mode[28], NFULNL_COPY_PACKET);
        let flags = flags_msg(11, 300, NFULNL_CFG_F_SEQ);
        let msg = messages(&flags).next().unwrap().unwrap();
        assert_eq!(msg.seq, 11);
        assert_eq!(&msg.payload[2..4], &300u16.to_be_bytes());
        let (ty, v) = attrs(&msg.payload[NFGENMSG_LEN..]).next().unwrap().unwrap();
        assert_eq!((ty, v), (NFULA_CFG_FLAGS, &[0u8, 1][..]));
    }
}
