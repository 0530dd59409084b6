//! Helpers for parser unit tests.

use super::{parse_feed, FeedReport, Format};
use crate::indicator::KindFilter;
use crate::indicator::{Gate, SetBuilder};

/// Parses `text` as `format` with the default gate; panics if refused.
pub fn parse_str(format: Format, text: &str) -> FeedReport {
    let mut b = SetBuilder::new();
    let id = b.add_feed("test");
    parse_feed(
        text.as_bytes(),
        Some(format),
        KindFilter::Auto,
        &mut b,
        id,
        &Gate::default(),
    )
    .unwrap_or_else(|e| panic!("feed refused: {e}"))
}
