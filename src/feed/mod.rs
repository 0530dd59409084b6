//! Feeds: turning the bytes of a downloaded or local list into indicators.
//!
//! `parse_feed` is the single entry point: it refuses bodies that are not a
//! list at all (binary data, an HTML or PHP page), picks the format (given
//! or detected), runs the format's parser line by line into a [`Sink`], and
//! refuses the whole body when most of its lines make no sense in that
//! format. Indicators the safety gate refuses are dropped one by one and
//! never make a body unusable. Nothing here panics on any input; every parser has a fuzz target.

pub mod detect;
mod error;
pub mod format;
mod parse;
pub mod sink;
pub mod text;

#[cfg(test)]
pub mod testutil;

pub use error::FeedError;
pub use format::Format;
pub use parse::{not_a_list, parse_feed, FeedReport};
pub use sink::{tallies, Counts, Findings, Rejected, Sink, Tally};
