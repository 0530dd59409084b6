//! Fuzzes the host table's readers of untrusted or crash-torn text: the
//! snapshot, event-log lines, the ack journal, and the enrichment parsers
//! (DHCP leases, hosts files, ethers, ARP/neighbour tables). Any bytes
//! must give a value or an error, never a panic; an event read from a line
//! must read back the same from its own line.
#![no_main]

use iocguard::hosts::{enrich, snapshot, table, Event};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = snapshot::decode(data, 64);
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for (i, line) in text.lines().enumerate() {
        if let Ok(e) = Event::from_line(line, i + 1) {
            assert_eq!(
                Event::from_line(&e.to_line(), 1).as_ref(),
                Ok(&e),
                "round trip of {line:?}"
            );
        }
    }
    let _ = table::parse_acks(text);
    let _ = enrich::dnsmasq_leases(text);
    let _ = enrich::odhcpd(text);
    let _ = enrich::hosts_file(text);
    let _ = enrich::ethers(text);
    let _ = enrich::proc_arp(text);
    let _ = enrich::ip_neigh(text);
});
