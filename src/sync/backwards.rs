//! Parsing a big download last piece first, giving each piece's memory
//! back as soon as it is parsed.
//!
//! `sync` must hold a download whole while it verifies and stores it,
//! and a million-line feed is 14–23 MB of text: as much as the set built
//! from it. Reading the stored copy back (inflating it in pieces) keeps
//! the two apart but costs a second pass over the feed. Here the body is
//! cut from its end instead: each run of whole lines at the tail is
//! parsed, then the vector is truncated and shrunk, which the allocator
//! does in place for a block this size (one `mremap` for glibc and musl),
//! so the body shrinks while the set grows and the peak stays that of the
//! body alone. Only formats whose lines mean the same wherever they stand
//! can be read out of order (see [`super::stream::line_independent`]);
//! the set does not depend on the order of a feed's lines.
//!
//! Line-level rejects are not kept (their numbers would come in reverse,
//! and `sync` reports counts): a caller that needs them, or the exact
//! error of a refused body, parses the stored copy whole.

use crate::feed::{detect, not_a_list, parse_feed, text, FeedReport, Format};
use crate::indicator::{FeedId, Gate, KindFilter, SetBuilder};

use super::stream::{line_independent, PIECE};

/// Parses `body`, in `format`, into `builder` as feed `id`, from its last
/// run of lines to its first, freeing each run as it goes. `None` when a
/// run or the whole is refused: what this call added to `builder` must
/// then be rolled back by the caller, who reads the stored copy instead.
pub fn parse_backwards(
    mut body: Vec<u8>,
    format: Format,
    kind: KindFilter,
    builder: &mut SetBuilder,
    id: FeedId,
    gate: &Gate,
) -> Option<FeedReport> {
    let mut report = FeedReport::empty(format, false);
    while !body.is_empty() {
        let start = piece_start(&body);
        let mut piece = parse_feed(&body[start..], Some(format), kind, builder, id, gate).ok()?;
        piece.rejected.clear();
        report.absorb(piece, 0);
        body.truncate(start);
        body.shrink_to_fit();
    }
    // Runs that each pass can still add up to a body refused whole.
    (!not_a_list(&report.counts)).then_some(report)
}

/// The format of `body` (`given`, or detected from its first run of
/// lines) when it can be read out of order.
pub fn line_format(body: &[u8], given: Option<Format>) -> Option<Format> {
    let f = match given {
        Some(f) => f,
        None => {
            let end = body.len().min(PIECE);
            let cut = body[..end]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(end, |i| i + 1);
            detect::detect(text::decode(&body[..cut]).ok()?)
        }
    };
    line_independent(f).then_some(f)
}

/// Where the last run of whole lines of about [`PIECE`] bytes begins: just
/// after a line end, or at 0.
fn piece_start(body: &[u8]) -> usize {
    let Some(before) = body.len().checked_sub(PIECE) else {
        return 0;
    };
    body[..before]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicator::IndicatorSet;

    fn summary(s: &IndicatorSet) -> (Vec<(u32, u32)>, usize, usize, usize) {
        (
            s.v4_ranges().to_vec(),
            s.v4_entries(),
            s.v6_entries(),
            s.domain_count(),
        )
    }

    /// `n` lines of hosts, /24s, IPv6 and domains, with comments and a
    /// few refused and malformed values.
    fn plain(n: u32) -> String {
        (0..n)
            .map(|i| match i % 7 {
                0 => format!("# comment {i}\n"),
                1 => format!("{}.{}.{}.0/24 ; net\n", 11 + i % 100, (i >> 8) & 255, i & 255),
                2 => format!("c2-{i}.example.com\n"),
                3 if i % 1000 == 3 => "10.0.0.1\nnot/a/thing\n".to_string(),
                4 => format!("2001:db8:{:x}::1\n", i & 0xffff),
                _ => format!(
                    "{}.{}.{}.{}\n",
                    11 + i % 100,
                    (i >> 16) & 255,
                    (i >> 8) & 255,
                    i & 255
                ),
            })
            .collect()
    }

    #[test]
    fn the_set_and_counts_are_those_of_a_whole_parse() {
        let body = plain(400_000);
        assert!(body.len() > 5 * PIECE, "spans several pieces");
        let gate = Gate::default();
        let mut whole = SetBuilder::new();
        let wid = whole.add_feed("f");
        let w = parse_feed(
            body.as_bytes(),
            Some(Format::Plain),
            KindFilter::Auto,
            &mut whole,
            wid,
            &gate,
        )
        .unwrap();
        let mut back = SetBuilder::new();
        let bid = back.add_feed("f");
        let b = parse_backwards(
            body.into_bytes(),
            Format::Plain,
            KindFilter::Auto,
            &mut back,
            bid,
            &gate,
        )
        .unwrap();
        assert_eq!(b.counts, w.counts);
        let sorted = |mut t: Vec<crate::feed::Tally>| {
            t.sort_by(|a, b| a.reason.cmp(&b.reason));
            t
        };
        assert_eq!(
            sorted(b.refusals),
            sorted(w.refusals),
            "the order of first sight may differ"
        );
        assert!(w.counts.rejected > 0 && w.counts.refused > 0, "{:?}", w.counts);
        let (w, b) = (whole.build(&gate), back.build(&gate));
        assert_eq!(summary(&b), summary(&w));
        let mut wd: Vec<String> = w.domains().collect();
        let mut bd: Vec<String> = b.domains().collect();
        wd.sort();
        bd.sort();
        assert_eq!(bd, wd);
    }

    #[test]
    fn a_body_refused_whole_is_refused() {
        // Long junk lines, so that some pieces hold fewer than the three
        // malformed values the rule needs; the whole holds more malformed
        // than good.
        let junk = "x".repeat(700 << 10);
        let mut body = String::new();
        for _ in 0..4 {
            body.push_str(&format!("{junk}\n{junk}\n203.0.113.7\n"));
        }
        let gate = Gate::default();
        let mut w = SetBuilder::new();
        let id = w.add_feed("f");
        assert!(parse_feed(
            body.as_bytes(),
            Some(Format::Plain),
            KindFilter::Auto,
            &mut w,
            id,
            &gate
        )
        .is_err());
        let mut b = SetBuilder::new();
        let id = b.add_feed("f");
        assert!(parse_backwards(
            body.into_bytes(),
            Format::Plain,
            KindFilter::Auto,
            &mut b,
            id,
            &gate
        )
        .is_none());
    }

    #[test]
    fn pieces_start_after_a_line_end() {
        let body = vec![b'a'; PIECE + 10];
        assert_eq!(piece_start(&body), 0, "one long line");
        let mut body = vec![b'a'; 3 * PIECE];
        body[PIECE] = b'\n';
        assert_eq!(piece_start(&body), PIECE + 1);
        assert_eq!(piece_start(b"short\n"), 0);
    }
}
