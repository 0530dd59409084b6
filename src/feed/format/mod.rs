//! One small parser per feed format. Each takes the decoded text and a
//! [`Sink`], and reports every value it finds with its line number; the
//! sink does classification and gating. Parsers only know their syntax.

mod adblock;
mod bind;
mod csv;
mod dnsmasq;
mod dshield;
mod hosts;
mod ipset;
mod mikrotik;
mod name;
mod plain;
mod rpz;
mod spamhaus_json;
mod stix;
mod unbound;

pub use name::Format;

use super::error::FeedError;
use super::sink::Sink;

/// Runs the parser for `format` over `text`.
pub fn parse(format: Format, text: &str, sink: &mut Sink) -> Result<(), FeedError> {
    match format {
        Format::Plain => plain::parse(text, sink),
        Format::Hosts => hosts::parse(text, sink),
        Format::Ipset => ipset::parse(text, sink),
        Format::Mikrotik => mikrotik::parse(text, sink),
        Format::Dshield => dshield::parse(text, sink),
        Format::SpamhausJson => spamhaus_json::parse(text, sink),
        Format::Adblock => adblock::parse(text, sink),
        Format::Dnsmasq => dnsmasq::parse(text, sink),
        Format::Unbound => unbound::parse(text, sink),
        Format::Rpz => rpz::parse(text, sink),
        Format::Csv => csv::parse(text, sink),
        Format::Bind => bind::parse(text, sink),
        Format::Stix => return stix::parse(text, sink),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::testutil::parse_str;

    #[test]
    fn ranges_become_exact_prefixes() {
        let r = parse_str(
            Format::Ipset,
            "add s 1.2.3.1-1.2.3.6\nadd s 2001:4860::-2001:4860::ff\n",
        );
        // .1/32 .2/31 .4/31 .6/32; one /120
        assert_eq!((r.counts.v4, r.counts.v6, r.counts.rejected), (4, 1, 0));
        let r = parse_str(
            Format::Ipset,
            "add s 1.2.3.9-1.2.3.1\nadd s 5.5.5.5\nadd s 6.6.6.6\n",
        );
        assert_eq!(r.counts.rejected, 1);
        assert!(r.rejected[0].reason.contains("ends before"));
    }

    /// Pieces of every format's syntax, so random inputs reach deep paths.
    const PIECES: &[&str] = &[
        "\n",
        "\r\n",
        " ",
        "\t",
        "#",
        ";",
        "!",
        ",",
        "\"",
        "'",
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        "/",
        "\\",
        "|",
        "^",
        "$",
        "=",
        "*.",
        "-",
        ":",
        "0.0.0.0 ",
        "||",
        "^$domain=a.com",
        "@@",
        "##",
        "address=/",
        "server=/",
        "local-zone: ",
        " always_nxdomain",
        "CNAME .",
        " CNAME rpz-passthru.",
        "$ORIGIN ",
        "$TTL 30",
        "@ SOA a. b. 1 2 3 4 5",
        "rpz-ip",
        "add ",
        "create ",
        "/ip firewall address-list ",
        "address=",
        "1.2.3.4",
        "1.2.3.0/24",
        "2001:db8::1",
        "2a14:c380:12::/48",
        "evil.com",
        "ụ",
        "#ip,ioc",
        "uuid,type,value,to_ids",
        "ip-dst",
        "domain|ip",
        "{\"cidr\":\"1.2.3.0/24\"}",
        "{\"objects\":[{\"type\":\"indicator\",\"pattern\":\"",
        "[ipv4-addr:value = '",
        "' OR ",
        " IN ('",
        "\"}]}",
        "1.2.3.0\t1.2.3.255\t24\t",
        "zone \"",
        "{ type master; file \"null.zone.file\"; };",
        "//",
        "/*",
        "*/",
    ];

    proptest::proptest! {
        /// What the fuzz target checks, on every `cargo test`: no parser
        /// panics, accepted counts match the builder, a refusal leaves
        /// nothing behind.
        #[test]
        fn no_format_panics_on_syntax_soup(
            parts in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::sample::select(PIECES),
                    proptest::sample::select(&["a", "b", "7", "x.y", "-", "."][..]),
                ],
                0..60,
            )
        ) {
            use crate::feed::parse_feed;
            use crate::indicator::KindFilter;
            use crate::indicator::{Gate, SetBuilder};
            let body = parts.concat();
            let gate = Gate::default();
            for format in std::iter::once(None).chain(Format::all().map(Some)) {
                let mut b = SetBuilder::new();
                let id = b.add_feed("p");
                match parse_feed(body.as_bytes(), format, KindFilter::Auto, &mut b, id, &gate) {
                    Ok(r) => proptest::prop_assert_eq!(b.len(), r.counts.accepted()),
                    Err(_) => proptest::prop_assert!(b.is_empty()),
                }
            }
        }
    }

    #[test]
    fn names_round_trip() {
        for f in Format::all() {
            assert_eq!(Format::from_name(f.name()), Some(f));
        }
        assert_eq!(Format::from_name("IPSUM"), Some(Format::Plain));
        assert_eq!(Format::from_name("auto"), None);
    }
}
