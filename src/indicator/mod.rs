//! The indicator model: what a feed can name (IPv4 prefix, IPv6 prefix,
//! domain), where it came from, and the aggregated set that enforcement and
//! the sinkhole consume.
//!
//! Everything here is pure: no I/O, no clock, no allocation bound by the
//! network except what the caller hands in. The [`gate`] decides what may
//! be blocked at all; the [`set`] aggregates what passed.

pub mod domain;
pub mod domain_table;
pub mod fingerprint;
pub mod gate;
pub mod ip_index;
pub mod parse;
pub mod prefix;
pub mod set;
pub mod suffix;

pub use domain::{uts46_to_ascii_strict, Domain, DomainError};
pub use fingerprint::{fingerprint, FingerprintTable};
pub use gate::{Gate, GateConfig, Refusal};
pub use ip_index::{Attribution, IpIndex, Listed, PrefixIndex};
pub use parse::{parse_indicator, TokenError};
pub use prefix::{Bits, Prefix, V4Prefix, V6Prefix};
pub use set::{IndicatorSet, Keep, Match, SetBuilder};

use std::fmt;

/// Index of a feed in the set's feed table. Kept small because every
/// indicator carries one.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Default)]
pub struct FeedId(pub u16);

/// One thing a feed says to block.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum Indicator {
    /// An IPv4 address or network.
    V4(V4Prefix),
    /// An IPv6 address or network.
    V6(V6Prefix),
    /// A domain and, implicitly, every name below it.
    Domain(Domain),
}

/// The kind of an indicator, for counting and for `kind` filters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// IPv4 prefix.
    V4,
    /// IPv6 prefix.
    V6,
    /// Domain name.
    Domain,
}

impl Indicator {
    /// The kind of this indicator.
    pub fn kind(&self) -> Kind {
        match self {
            Indicator::V4(_) => Kind::V4,
            Indicator::V6(_) => Kind::V6,
            Indicator::Domain(_) => Kind::Domain,
        }
    }
}

impl fmt::Display for Indicator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Indicator::V4(p) => p.fmt(f),
            Indicator::V6(p) => p.fmt(f),
            Indicator::Domain(d) => d.fmt(f),
        }
    }
}

/// Which indicator kinds a feed may contribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum KindFilter {
    /// Whatever the feed holds.
    #[default]
    Auto,
    /// IP addresses and prefixes only.
    Ip,
    /// Domains only.
    Domain,
}

impl KindFilter {
    /// Parses the configuration spelling (`auto`, `ip`, `domain`).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "auto" => Some(Self::Auto),
            "ip" => Some(Self::Ip),
            "domain" => Some(Self::Domain),
            _ => None,
        }
    }
}
