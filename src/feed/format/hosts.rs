//! hosts files: `ADDRESS NAME [NAME…] [# comment]`.
//!
//! Blocklists in hosts form point every listed name at a sink (`0.0.0.0`,
//! `127.0.0.1`, `::1`); the address is never an indicator, the names are.
//! Whatever the address, a line must start with one, or it is not a hosts
//! line. The entries every stock hosts file carries (`localhost`,
//! `broadcasthost`, `ip6-*`, …) are skipped without a word: they are the
//! file's boilerplate, not something the feed asks to block.

use crate::feed::text::{lines, strip_comment};
use crate::feed::Sink;
use std::net::IpAddr;

/// Parses a hosts file into `sink`.
pub fn parse(text: &str, sink: &mut Sink) {
    for (n, line) in lines(text) {
        let line = strip_comment(line, &['#']);
        let mut words = line.split_whitespace();
        let Some(addr) = words.next() else { continue };
        if !is_address(addr) {
            sink.reject(n, line, "hosts line does not start with an IP address");
            continue;
        }
        let mut names = 0;
        for name in words {
            names += 1;
            if is_boilerplate(name) {
                sink.skip();
            } else {
                sink.value(n, name);
            }
        }
        if names == 0 {
            sink.reject(n, line, "hosts line has an address but no host name");
        }
    }
}

/// The address column: any IP, with an optional IPv6 zone (`fe80::1%lo0`).
fn is_address(s: &str) -> bool {
    let s = s.split_once('%').map_or(s, |(a, _)| a);
    s.parse::<IpAddr>().is_ok() || s == "0"
}

/// Names that stock hosts files map to loopback or broadcast.
fn is_boilerplate(name: &str) -> bool {
    let name = name.trim_end_matches('.');
    const NAMES: &[&str] = &[
        "localhost",
        "localhost.localdomain",
        "local",
        "broadcasthost",
        "0.0.0.0",
        "localhost4",
        "localhost4.localdomain4",
        "localhost6",
        "localhost6.localdomain6",
    ];
    NAMES.iter().any(|n| n.eq_ignore_ascii_case(name))
        || name.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("ip6-"))
}

#[cfg(test)]
mod tests {
    use crate::feed::format::Format;
    use crate::feed::testutil::parse_str;

    #[test]
    fn sinks_tabs_several_names_and_comments() {
        let r = parse_str(
            Format::Hosts,
            "# header\n0.0.0.0 a.com\n127.0.0.1\tb.com\tc.com # two\n::1 d.com\n0.0.0.0 e.com#x\n",
        );
        assert_eq!((r.counts.domains, r.counts.rejected), (5, 0));
    }

    #[test]
    fn boilerplate_is_skipped_silently() {
        let r = parse_str(
            Format::Hosts,
            "127.0.0.1 localhost localhost.localdomain local\n255.255.255.255 broadcasthost\n\
             ::1 ip6-localhost ip6-loopback\nfe80::1%lo0 localhost\nff02::1 ip6-allnodes\n\
             0.0.0.0 0.0.0.0\n0.0.0.0 evil.com\n",
        );
        assert_eq!((r.counts.domains, r.counts.rejected, r.counts.skipped), (1, 0, 9));
    }

    #[test]
    fn lines_without_an_address_or_a_name_are_rejected() {
        let r = parse_str(
            Format::Hosts,
            "0.0.0.0 a.com\n0.0.0.0 b.com\n0.0.0.0 c.com\nevil.com\n0.0.0.0\n",
        );
        assert_eq!(r.counts.rejected, 2);
        assert_eq!(r.rejected[0].line, 4);
        assert!(r.rejected[1].reason.contains("no host name"));
    }

    #[test]
    fn idn_and_case_are_normalised() {
        let r = parse_str(
            Format::Hosts,
            "0.0.0.0 shopgcaothụ.vn\n0.0.0.0 wvOntgd.pqmg.bid\n",
        );
        assert_eq!((r.counts.domains, r.counts.rejected), (2, 0));
    }
}
