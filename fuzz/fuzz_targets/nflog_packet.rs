//! Fuzzes the NFLOG packet decoder: any datagram must split into messages
//! and decode to packets or errors, never a panic. A decoded packet must
//! survive re-encoding (`packet_msg`) unchanged, which also exercises the
//! encoder the tests and benchmarks rely on.
//!
//! Inputs starting with 0xff are read differently: a kernel-shaped message
//! is built around the rest as its copied packet bytes, so the fuzzer
//! explores IPv4/IPv6 headers, extension headers and fragments directly
//! instead of having to find valid netlink framing first.
#![no_main]

use iocguard::nft::netlink::messages;
use iocguard::nft::netlink::nflog::{packet_msg, packet_msg_with_payload, parse_packet, Chain, LoggedPacket};
use libfuzzer_sys::fuzz_target;

fn check(datagram: &[u8]) {
    for m in messages(datagram) {
        let Ok(m) = m else { continue };
        if let Ok(Some(p)) = parse_packet(&m) {
            let again = packet_msg(&p);
            let m2 = messages(&again).next().expect("one message").expect("framing");
            assert_eq!(parse_packet(&m2), Ok(Some(p)), "re-encoding changed {p:?}");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if let [0xff, payload @ ..] = data {
        let p = LoggedPacket {
            group: 10,
            chain: Chain::Fwd,
            hwaddr: Some([2, 0, 0, 0, 1, 0x10]),
            src: "192.0.2.10".parse().unwrap(),
            dst: "203.0.113.5".parse().unwrap(),
            proto: 6,
            sport: None,
            dport: None,
            iif: Some(2),
            oif: Some(3),
            seq: Some(1),
        };
        check(&packet_msg_with_payload(&p, payload));
    } else {
        check(data);
    }
});
