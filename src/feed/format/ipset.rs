//! `ipset restore` input: `add NAME ENTRY [options…]`.
//!
//! Only `add` lines carry indicators; `create`, `flush`, `destroy`, `swap`,
//! `rename`, `del`, `COMMIT` and `#` comments are valid and carry none.
//! Global flags (`-exist`, `-!`, `-quiet`) may precede or follow the
//! command word. Entries of multi-dimension sets (`1.2.3.4,tcp:80`) keep
//! their first dimension; `nomatch` entries are exceptions, not blocks. Ranges
//! (`1.2.3.1-1.2.3.6`) become the prefixes that cover them exactly.

use crate::feed::text::{lines, strip_comment};
use crate::feed::Sink;

/// Parses `ipset restore` commands into `sink`.
pub fn parse(text: &str, sink: &mut Sink) {
    for (n, line) in lines(text) {
        let line = strip_comment(line, &['#']);
        let mut words = line.split_whitespace().filter(|w| !w.starts_with('-'));
        let Some(cmd) = words.next() else { continue };
        match cmd {
            "add" | "a" => {}
            "create" | "n" | "flush" | "f" | "destroy" | "x" | "swap" | "w" | "rename" | "e" | "del"
            | "d" | "COMMIT" | "test" | "t" => {
                sink.skip();
                continue;
            }
            _ => {
                sink.reject(n, line, "not an ipset restore command (add, create, flush, …)");
                continue;
            }
        }
        let (Some(_set), Some(entry)) = (words.next(), words.next()) else {
            sink.reject(n, line, "`add` needs a set name and an entry");
            continue;
        };
        if words.any(|w| w == "nomatch") {
            sink.skip();
            continue;
        }
        let entry = entry.split(',').next().unwrap_or(entry);
        sink.value_or_range(n, entry);
    }
}

#[cfg(test)]
mod tests {
    use crate::feed::format::Format;
    use crate::feed::testutil::parse_str;

    #[test]
    fn add_lines_with_options_and_housekeeping() {
        let r = parse_str(
            Format::Ipset,
            "# saved\ncreate bl hash:net family inet6 -exist\nflush bl\n\
             add bl 2a12:a800:7::/48\nadd -exist bl 1.2.3.0/24 timeout 600\n\
             -exist add bl 5.6.7.8,tcp:443 comment \"x\"\nadd bl 9.9.9.0/24 nomatch\ndestroy old",
        );
        assert_eq!((r.counts.v4, r.counts.v6, r.counts.rejected), (2, 1, 0));
        assert_eq!(r.counts.skipped, 4);
    }

    #[test]
    fn broken_lines_are_rejected() {
        let r = parse_str(
            Format::Ipset,
            "add bl 1.2.3.4\nadd bl 1.2.3.5\nadd bl 1.2.3.6\nadd bl\nhello world\n",
        );
        assert_eq!(r.counts.rejected, 2);
        assert_eq!(r.rejected[0].line, 4);
        assert_eq!(r.rejected[1].line, 5);
    }
}
