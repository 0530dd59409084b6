//! DShield `block.txt`: `start<TAB>end<TAB>prefixlen<TAB>attacks<TAB>…`.
//!
//! The network is `start/prefixlen`; the `end` column must agree with it,
//! or the row is rejected rather than guessed at (a generator bug that
//! shifts columns would otherwise block the wrong networks). Columns after
//! the third (attack count, name, country, e-mail, `-` placeholders) are
//! ignored. `#` lines are comments.

use crate::feed::text::lines;
use crate::feed::Sink;
use crate::indicator::parse_indicator;
use crate::indicator::Indicator;
use std::net::Ipv4Addr;

/// Parses a DShield block list into `sink`.
pub fn parse(text: &str, sink: &mut Sink) {
    for (n, line) in lines(text) {
        if line.starts_with('#') {
            continue;
        }
        let mut cols = line.split(['\t', ' ']).filter(|c| !c.is_empty());
        let (Some(start), Some(end), Some(len)) = (cols.next(), cols.next(), cols.next()) else {
            sink.reject(n, line, "expected start, end and prefix length columns");
            continue;
        };
        let (Ok(_), Ok(end), Ok(_)) = (
            start.parse::<Ipv4Addr>(),
            end.parse::<Ipv4Addr>(),
            len.parse::<u8>(),
        ) else {
            sink.reject(
                n,
                line,
                "start and end must be IPv4 addresses and the prefix length a number",
            );
            continue;
        };
        let value = format!("{start}/{len}");
        match parse_indicator(&value) {
            Ok(Indicator::V4(p)) if p.last() == u32::from(end) => sink.indicator(n, &value, Indicator::V4(p)),
            Ok(_) => sink.reject(n, line, format!("end {end} does not match {value}")),
            Err(e) => sink.reject(n, line, e),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::feed::format::Format;
    use crate::feed::testutil::parse_str;

    #[test]
    fn rows_become_start_slash_len() {
        let r = parse_str(
            Format::Dshield,
            "#\n#    (c) $year DShield.org\t\n\
             151.243.11.0\t151.243.11.255\t24\t170\tRASANA\tIR\tabuse@rasana.net\n\
             66.132.186.0\t66.132.186.255\t24\t169\t-\t-\t-\n",
        );
        assert_eq!((r.counts.v4, r.counts.rejected), (2, 0));
    }

    #[test]
    fn inconsistent_rows_are_rejected() {
        let r = parse_str(
            Format::Dshield,
            "1.2.3.0\t1.2.3.255\t24\n2.2.3.0\t2.2.3.255\t24\n3.2.3.0\t3.2.3.255\t24\n8.8.0.0\t8.8.255.255\t16\n\
             4.2.3.0\t4.2.3.127\t24\n5.2.3.0\t5.2.3.255\n6.2.3.0\tx\t24\n7.2.3.1\t7.2.3.255\t24\n",
        );
        assert_eq!((r.counts.v4, r.counts.rejected), (4, 4));
        assert!(
            r.rejected[0].reason.contains("does not match"),
            "{:?}",
            r.rejected
        );
        assert!(r.rejected[3].reason.contains("host bits"), "{:?}", r.rejected);
    }
}
