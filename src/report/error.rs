//! Why the IT centre's merge of units' reports (or a unit's signing of its
//! own) was refused. Its own file so that both [`super::signed`] (keys,
//! signatures) and [`super::merge`](mod@super::merge) can name it without
//! depending on each other.
//!
//! Every message is one sentence that starts with the file it is about,
//! so an admin merging fifty reports knows which one to send back. Unit
//! names, read from untrusted reports, are printed quoted with control
//! characters escaped (`{:?}`), so a name cannot forge a second line.

/// Why a merge was refused: one variant per cause, each naming the file(s)
/// and the reason.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MergeError {
    /// A report or signature file could not be read.
    #[error("{file}: cannot be read: {source}")]
    Read {
        /// The file.
        file: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// A report larger than [`super::merge::MAX_REPORT_BYTES`].
    #[error("{file}: more than {max} bytes, too large for a unit report")]
    TooLarge {
        /// The file.
        file: String,
        /// The cap.
        max: usize,
    },
    /// Not JSON, truncated, or not shaped as a unit report (unknown or
    /// missing fields, wrong types).
    #[error("{file}: not a unit report: {reason}")]
    NotAReport {
        /// The file.
        file: String,
        /// What the parser found, with line and column.
        reason: String,
    },
    /// A report of another schema version.
    #[error("{file}: schema {found}; this iocguard reads schema {expected}")]
    Schema {
        /// The file.
        file: String,
        /// The report's `schema`.
        found: u64,
        /// [`super::model::SCHEMA`].
        expected: u32,
    },
    /// Figures that contradict each other: a hand-edited report.
    #[error("{file}: inconsistent figures: {reason}")]
    Inconsistent {
        /// The file.
        file: String,
        /// Which figures disagree.
        reason: String,
    },
    /// Two reports of one unit whose periods share a second (a duplicate
    /// is the special case of equal periods).
    #[error(
        "{first} and {second} are both reports of unit {unit:?} for overlapping periods \
         ({first}: {first_period}; {second}: {second_period})"
    )]
    Overlap {
        /// The unit.
        unit: String,
        /// The file given first.
        first: String,
        /// Its period, readable.
        first_period: String,
        /// The file given later.
        second: String,
        /// Its period, readable.
        second_period: String,
    },
    /// Sums beyond 2⁶⁴: only hostile figures get there.
    #[error("{file}: figures too large to add to the other units' figures")]
    Overflow {
        /// The file whose figures overflowed the sum.
        file: String,
    },
    /// `--keys` was given and a report has no `.minisig` beside it.
    #[error("{file}: no signature ({signature}) but --keys was given")]
    Unsigned {
        /// The report.
        file: String,
        /// The signature file expected.
        signature: String,
    },
    /// The report's unit has no key in the key directory.
    #[error("{file}: unit {unit:?} has no public key in {dir}")]
    NoKey {
        /// The report.
        file: String,
        /// The unit it claims to be from.
        unit: String,
        /// The key directory.
        dir: String,
    },
    /// The signature does not verify with the unit's key, or was made for
    /// another unit.
    #[error("{file}: signature does not verify with {key}: {reason}")]
    BadSignature {
        /// The report.
        file: String,
        /// The unit's key file.
        key: String,
        /// Why.
        reason: String,
    },
    /// The key directory cannot be listed.
    #[error("{dir}: cannot be read: {source}")]
    KeyDir {
        /// The directory.
        dir: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The key directory holds no `UNIT.pub` file.
    #[error("{dir}: no public key (UNIT.pub) in it")]
    NoKeys {
        /// The directory.
        dir: String,
    },
    /// A `.pub` file that is not a minisign public key, or whose name is
    /// not UTF-8 (it would name no unit).
    #[error("{file}: not a unit's public key: {reason}")]
    Key {
        /// The key file.
        file: String,
        /// Why.
        reason: String,
    },
    /// A report could not be signed.
    #[error("cannot sign the report of unit {unit:?}: {reason}")]
    Sign {
        /// The unit.
        unit: String,
        /// Why.
        reason: String,
    },
}
