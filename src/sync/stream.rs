//! Reading a cached copy into a set piece by piece, so that the whole
//! inflated body is never in memory at once.
//!
//! A million-line feed is 14–23 MB of text, which is as much as the set
//! built from it: holding it whole is what made `apply` and the daemon's
//! load peak at twice the set. The copy is inflated in 64 KiB pieces and
//! handed to the parser in runs of whole lines of about [`PIECE`] bytes.
//! Only line formats whose lines mean the same wherever they stand are
//! parsed in pieces; a format with state across lines (CSV's header,
//! RPZ's `$ORIGIN`, STIX/MISP JSON, BIND's zone blocks, adblock's
//! exceptions) is read whole, as before.
//!
//! The copy was accepted by a sync, so it parses. If a piece is refused
//! anyway (a run of lines that alone looks malformed), what this feed
//! added is rolled back and the copy is parsed whole: the answer is the
//! same as reading it whole, only the memory differs.

use crate::config::FeedConfig;
use crate::feed::{detect, not_a_list, parse_feed, text, FeedReport, Format};
use crate::indicator::{FeedId, Gate, SetBuilder};
use crate::state::{FeedCache, StateError, Stored};

/// Bytes of whole lines handed to the parser at once.
pub const PIECE: usize = 1 << 20;

/// Formats whose lines are independent of each other.
pub fn line_independent(f: Format) -> bool {
    matches!(
        f,
        Format::Plain
            | Format::Hosts
            | Format::Ipset
            | Format::Mikrotik
            | Format::Dshield
            | Format::SpamhausJson
            | Format::Dnsmasq
            | Format::Unbound
    )
}

/// Why a cached copy added nothing.
#[derive(Debug, thiserror::Error)]
pub enum CachedError {
    /// Reading or inflating the copy failed.
    #[error(transparent)]
    State(#[from] StateError),
    /// The copy does not parse (any more: the gate or the format may have
    /// changed since it was accepted).
    #[error("cached copy {0}")]
    Feed(#[from] crate::feed::FeedError),
}

/// Parses `feed`'s cached copy into `builder` as feed `id`. `Ok(false)`
/// when there is no copy.
pub fn parse_cached(
    cache: &FeedCache,
    feed: &FeedConfig,
    builder: &mut SetBuilder,
    id: FeedId,
    gate: &Gate,
) -> Result<bool, CachedError> {
    Ok(parse_stored(&cache.copy(&feed.name), feed, builder, id, gate)?.is_some())
}

/// Parses a stored copy of `feed` into `builder` as feed `id`, in
/// pieces where its format allows, and reports it as [`parse_feed`]
/// would report the whole body. `None` when there is no copy.
pub fn parse_stored(
    copy: &dyn Stored,
    feed: &FeedConfig,
    builder: &mut SetBuilder,
    id: FeedId,
    gate: &Gate,
) -> Result<Option<FeedReport>, CachedError> {
    let limit = usize::try_from(feed.max_bytes).unwrap_or(usize::MAX);
    let mark = builder.mark();
    let mut pending: Vec<u8> = Vec::new();
    let mut format = feed.format;
    let mut whole = false;
    let mut refused = false;
    let mut report: Option<FeedReport> = None;
    // Lines before the pending bytes, for the line numbers of rejects.
    let mut lines_before = 0u32;
    let found = copy.stream(limit, &mut |out| {
        pending.extend_from_slice(out);
        if whole || pending.len() < PIECE {
            return true;
        }
        // A line longer than a piece waits for its end.
        let Some(cut) = pending.iter().rposition(|&b| b == b'\n') else {
            return true;
        };
        let lines = &pending[..=cut];
        let f = match format {
            Some(f) => f,
            None => match text::decode(lines) {
                Ok(t) => *format.insert(detect::detect(t)),
                Err(_) => {
                    whole = true;
                    return true;
                }
            },
        };
        if !line_independent(f) {
            whole = true;
            return true;
        }
        match parse_feed(lines, Some(f), feed.kind, builder, id, gate) {
            Ok(r) => absorb(&mut report, r, lines_before),
            Err(_) => {
                refused = true;
                return false;
            }
        }
        lines_before = lines_before.saturating_add(count_lines(lines));
        pending.drain(..=cut);
        true
    })?;
    if found.is_none() {
        return Ok(None);
    }
    if !refused {
        match report {
            // Small, or a format read whole: exactly as before.
            None => {
                return Ok(Some(parse_feed(
                    &pending,
                    feed.format,
                    feed.kind,
                    builder,
                    id,
                    gate,
                )?))
            }
            Some(mut r) => {
                r.detected = feed.format.is_none();
                if pending.is_empty() {
                    if !not_a_list(&r.counts) {
                        return Ok(Some(r));
                    }
                } else if let Ok(last) = parse_feed(&pending, format, feed.kind, builder, id, gate) {
                    r.absorb(last, lines_before);
                    // Pieces that each pass can still add up to a body
                    // that is refused whole: then the whole decides.
                    if !not_a_list(&r.counts) {
                        return Ok(Some(r));
                    }
                }
            }
        }
    }
    // A piece was refused: read the copy whole, as it was accepted. The
    // pieces before it were committed by their marks: forget them too.
    builder.rollback(mark);
    builder.forget_fingerprints(id);
    drop(pending);
    let body = copy.body(limit)?.unwrap_or_default();
    Ok(Some(parse_feed(
        &body,
        feed.format,
        feed.kind,
        builder,
        id,
        gate,
    )?))
}

/// Adds a piece's report to the feed's.
fn absorb(report: &mut Option<FeedReport>, piece: FeedReport, lines_before: u32) {
    report
        .get_or_insert_with(|| FeedReport::empty(piece.format, piece.detected))
        .absorb(piece, lines_before);
}

fn count_lines(b: &[u8]) -> u32 {
    b.iter().filter(|&&c| c == b'\n').count().min(u32::MAX as usize) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicator::{IndicatorSet, KindFilter};
    use crate::state::CacheMeta;

    fn feed(format: Option<Format>) -> FeedConfig {
        FeedConfig {
            name: "f".into(),
            enabled: true,
            url: "/x".into(),
            format,
            kind: KindFilter::Auto,
            doh: false,
            pubkey: None,
            pubkey_file: None,
            max_bytes: 1 << 30,
            max_entries: 10_000_000,
            min_entries: 0,
        }
    }

    fn cache(tag: &str, body: &[u8]) -> FeedCache {
        let d = std::env::temp_dir().join(format!("iocguard-stream-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        let c = FeedCache::new(&d);
        c.store("f", body, &CacheMeta::default()).unwrap();
        c
    }

    /// What the set looks like, for comparing two ways of building it.
    fn summary(s: &IndicatorSet) -> (Vec<(u32, u32)>, usize, usize, Vec<String>) {
        let mut d: Vec<String> = s.domains().collect();
        d.sort();
        (s.v4_ranges().to_vec(), s.v4_entries(), s.domain_count(), d)
    }

    fn both_ways(tag: &str, body: &[u8], format: Option<Format>) -> (IndicatorSet, IndicatorSet) {
        let gate = Gate::default();
        let c = cache(tag, body);
        let mut streamed = SetBuilder::new();
        let id = streamed.add_feed("f");
        assert!(parse_cached(&c, &feed(format), &mut streamed, id, &gate).unwrap());
        let mut whole = SetBuilder::new();
        let id = whole.add_feed("f");
        parse_feed(body, format, KindFilter::Auto, &mut whole, id, &gate).unwrap();
        (streamed.build(&gate), whole.build(&gate))
    }

    /// `n` lines: public IPv4 hosts, /24s and domains, with comments.
    fn plain(n: u32) -> String {
        (0..n)
            .map(|i| match i % 5 {
                0 => format!("# comment {i}\n"),
                1 => format!("{}.{}.{}.0/24\n", 11 + i % 100, (i >> 8) & 255, i & 255),
                2 => format!("c2-{i}.example.com\n"),
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
    fn a_plain_copy_read_in_pieces_builds_the_same_set() {
        let body = plain(300_000);
        assert!(body.len() > 3 * PIECE, "spans several pieces");
        for format in [None, Some(Format::Plain)] {
            let (s, w) = both_ways("plain", body.as_bytes(), format);
            assert_eq!(summary(&s), summary(&w));
            assert!(s.v4_entries() > 100_000 && s.domain_count() > 30_000);
        }
    }

    #[test]
    fn a_csv_copy_is_read_whole() {
        // Only the header names the column: a piece without it would not
        // parse, so this passes only if CSV is read whole.
        let mut body = String::from("first_seen,dst_ip,port\n");
        for i in 0..120_000u32 {
            body += &format!(
                "2024-01-01,{}.{}.{}.{},443\n",
                11 + i % 100,
                (i >> 16) & 255,
                (i >> 8) & 255,
                i & 255
            );
        }
        assert!(body.len() > 3 * PIECE);
        let (s, w) = both_ways("csv", body.as_bytes(), None);
        assert_eq!(summary(&s), summary(&w));
        assert!(s.v4_entries() > 100_000);
    }

    #[test]
    fn a_piece_refused_alone_falls_back_to_the_whole_copy() {
        // A megabyte of malformed lines between two good halves: the piece
        // made of it alone is refused, the copy as a whole is a list.
        let mut body = plain(120_000);
        let bad: String = (0..70_000).map(|i| format!("not an indicator {i}\n")).collect();
        body += &bad;
        body += &plain(120_000);
        let (s, w) = both_ways("fallback", body.as_bytes(), Some(Format::Plain));
        assert_eq!(summary(&s), summary(&w));
        assert!(s.v4_entries() > 50_000);
    }

    #[test]
    fn fingerprints_read_in_pieces_with_a_fallback_count_once() {
        // As above, into a presized fingerprint table: the pieces before
        // the refused one were committed; the whole-copy reread must not
        // count them twice or leave any behind.
        use crate::indicator::Keep;
        let mut body = plain(120_000);
        body += &(0..70_000)
            .map(|i| format!("not an indicator {i}\n"))
            .collect::<String>();
        body += &plain(120_000).replace("c2-", "other-");
        let c = cache("fp-fallback", body.as_bytes());
        let gate = Gate::default();
        let mut b = SetBuilder::keeping(Keep::Serve);
        b.expect_domains(10);
        let keep = b.add_feed("keep");
        b.push(
            crate::indicator::parse_indicator("c2-2.example.com").unwrap(),
            keep,
        );
        let id = b.add_feed("f");
        assert!(parse_cached(&c, &feed(Some(Format::Plain)), &mut b, id, &gate).unwrap());
        let mut served = b.build(&gate);
        let mut whole = SetBuilder::new();
        let wid = whole.add_feed("f");
        parse_feed(
            body.as_bytes(),
            Some(Format::Plain),
            KindFilter::Auto,
            &mut whole,
            wid,
            &gate,
        )
        .unwrap();
        let whole = whole.build(&gate);
        assert_eq!(served.domain_count(), whole.domain_count());
        assert_eq!(served.v4_entries(), whole.v4_entries());
        let fps = served.take_fingerprints();
        assert_eq!(
            fps.covering("c2-2.example.com"),
            Some((0, 0)),
            "the other feed's entry stays first"
        );
        assert_eq!(fps.covering("other-7.example.com"), Some((0, 1)));
    }

    #[test]
    fn a_copy_unusable_as_a_whole_leaves_nothing_behind() {
        // The first piece parses, the rest is mostly garbage: the copy as
        // a whole is refused, and nothing of it may stay in the set, not
        // even the fingerprints the first piece committed.
        use crate::indicator::Keep;
        let mut body = plain(100_000);
        body += &(0..400_000)
            .map(|i| format!("not an indicator {i}\n"))
            .collect::<String>();
        let c = cache("unusable", body.as_bytes());
        let mut b = SetBuilder::keeping(Keep::Serve);
        b.expect_domains(10);
        let keep = b.add_feed("keep");
        b.push(crate::indicator::parse_indicator("kept.example").unwrap(), keep);
        let id = b.add_feed("f");
        assert!(parse_cached(&c, &feed(Some(Format::Plain)), &mut b, id, &Gate::default()).is_err());
        let set = b.build(&Gate::default());
        assert_eq!((set.domain_count(), set.v4_entries()), (1, 0));
    }

    #[test]
    fn no_copy_adds_nothing() {
        let c = cache("none", b"11.0.0.1\n");
        let mut b = SetBuilder::new();
        let id = b.add_feed("g");
        let f = FeedConfig {
            name: "g".into(),
            ..feed(None)
        };
        assert!(!parse_cached(&c, &f, &mut b, id, &Gate::default()).unwrap());
        assert!(b.is_empty());
    }
}
