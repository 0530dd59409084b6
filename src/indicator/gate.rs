//! The safety gate: what may never be blocked, whatever a feed says.
//!
//! A real FireHOL level1 list once carried `0.0.0.0/8`, `10.0.0.0/8` and
//! `224.0.0.0/3` and cut users off from their own LANs. So an entry that
//! lies wholly inside a protected range, is shorter than the configured
//! minimum, or names a public suffix is refused with a reason. An entry
//! that merely *covers* a protected or allowlisted range is kept, and the
//! set builder cuts the protected part out of it: blocking the rest of a
//! hostile /16 is still worth doing.
//!
//! The admin can let a protected range through (`allow_reserved`, used by
//! the lab, which plays malicious hosts on documentation addresses) and can
//! allowlist IPs, CIDRs and domains; the allowlist always wins.

use super::domain_table::DomainTable;
use super::prefix::{merge_ranges, subtract_ranges, Bits};
use super::suffix::is_public_suffix;
use super::{Indicator, Prefix, V4Prefix, V6Prefix};

/// Settings of the gate, from configuration.
#[derive(Clone, Debug)]
pub struct GateConfig {
    /// Shortest IPv4 prefix a feed may block. /8 by default: no real
    /// indicator feed lists a whole /8, and anything shorter is a typo or a
    /// broken generator.
    pub min_v4_len: u8,
    /// Shortest IPv6 prefix. /19 by default: RIRs hand the largest ISPs
    /// /19–/22, so a shorter block would take out more than one ISP.
    pub min_v6_len: u8,
    /// Protected ranges the admin explicitly lets feeds block.
    pub allow_reserved: Vec<Indicator>,
    /// Never block these IPs, networks or domains (and subdomains).
    pub allow: Vec<Indicator>,
}

impl Default for GateConfig {
    fn default() -> Self {
        Self {
            min_v4_len: 8,
            min_v6_len: 19,
            allow_reserved: Vec::new(),
            allow: Vec::new(),
        }
    }
}

/// Why the gate refused an indicator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// Shorter than the configured minimum prefix length.
    #[error("prefix /{len} is broader than the allowed minimum /{min}")]
    TooBroad {
        /// The entry's length.
        len: u8,
        /// The configured minimum.
        min: u8,
    },
    /// Inside a range that must never be blocked.
    #[error("inside {name} ({range}), which is never blocked")]
    Protected {
        /// What the range is.
        name: &'static str,
        /// The range in CIDR notation.
        range: String,
    },
    /// A bare TLD or a public suffix such as `co.uk`.
    #[error("{0:?} is a public suffix; blocking it would block every site under it")]
    PublicSuffix(String),
    /// Covered by an allowlist entry.
    #[error("allowlisted by {0:?}")]
    Allowlisted(String),
}

impl Refusal {
    /// The kind of refusal without the entry's own details, so that a
    /// feed's refusals can be counted by reason in a bounded table
    /// (`inside private network (RFC 1918)`, `public suffix`).
    pub fn class(&self) -> String {
        match self {
            Refusal::TooBroad { min, .. } => format!("prefix broader than /{min}"),
            Refusal::Protected { name, .. } => format!("inside {name}"),
            Refusal::PublicSuffix(_) => "public suffix".to_string(),
            Refusal::Allowlisted(_) => "allowlisted".to_string(),
        }
    }
}

struct Protected<A: Bits> {
    prefix: Prefix<A>,
    name: &'static str,
}

fn p4(a: [u8; 4], len: u8, name: &'static str) -> Protected<u32> {
    Protected {
        prefix: Prefix::new_truncating(u32::from_be_bytes(a), len),
        name,
    }
}

fn p6(hi: u64, len: u8, name: &'static str) -> Protected<u128> {
    Protected {
        prefix: Prefix::new_truncating((hi as u128) << 64, len),
        name,
    }
}

fn protected_v4() -> Vec<Protected<u32>> {
    vec![
        p4([0, 0, 0, 0], 8, "\"this network\" / unspecified"),
        p4([10, 0, 0, 0], 8, "private network (RFC 1918)"),
        p4([100, 64, 0, 0], 10, "carrier-grade NAT (RFC 6598)"),
        p4([127, 0, 0, 0], 8, "loopback"),
        p4([169, 254, 0, 0], 16, "link-local"),
        p4([172, 16, 0, 0], 12, "private network (RFC 1918)"),
        p4([192, 0, 0, 0], 24, "IETF protocol assignments"),
        p4([192, 0, 2, 0], 24, "documentation (TEST-NET-1)"),
        p4([192, 168, 0, 0], 16, "private network (RFC 1918)"),
        p4([198, 18, 0, 0], 15, "benchmarking (RFC 2544)"),
        p4([198, 51, 100, 0], 24, "documentation (TEST-NET-2)"),
        p4([203, 0, 113, 0], 24, "documentation (TEST-NET-3)"),
        p4([224, 0, 0, 0], 4, "multicast"),
        p4([240, 0, 0, 0], 4, "reserved and broadcast"),
    ]
}

fn protected_v6() -> Vec<Protected<u128>> {
    vec![
        Protected {
            prefix: Prefix::new_truncating(0, 128),
            name: "unspecified",
        },
        Protected {
            prefix: Prefix::new_truncating(1, 128),
            name: "loopback",
        },
        Protected {
            prefix: Prefix::new_truncating(0xffff_0000_0000, 96),
            name: "IPv4-mapped",
        },
        p6(0x0064_ff9b_0000_0000, 96, "NAT64 (RFC 6052)"),
        p6(0x0100_0000_0000_0000, 64, "discard-only (RFC 6666)"),
        p6(0x2001_0db8_0000_0000, 32, "documentation"),
        p6(0x3fff_0000_0000_0000, 20, "documentation (RFC 9637)"),
        p6(0xfc00_0000_0000_0000, 7, "unique local (ULA)"),
        p6(0xfe80_0000_0000_0000, 10, "link-local"),
        p6(0xff00_0000_0000_0000, 8, "multicast"),
    ]
}

/// The gate, built once from [`GateConfig`] and consulted for every entry.
pub struct Gate {
    min_v4_len: u8,
    min_v6_len: u8,
    protected_v4: Vec<Protected<u32>>,
    protected_v6: Vec<Protected<u128>>,
    allow_v4: Vec<V4Prefix>,
    allow_v6: Vec<V6Prefix>,
    allow_domains: DomainTable,
    exempt_v4: Vec<(u32, u32)>,
    exempt_v6: Vec<(u128, u128)>,
}

impl Default for Gate {
    fn default() -> Self {
        Gate::new(&GateConfig::default())
    }
}

impl Gate {
    /// Builds the gate. Protected ranges that `allow_reserved` covers are
    /// dropped from the protected list.
    pub fn new(cfg: &GateConfig) -> Self {
        let (mut rv4, mut rv6) = (Vec::new(), Vec::new());
        for r in &cfg.allow_reserved {
            match r {
                Indicator::V4(p) => rv4.push(*p),
                Indicator::V6(p) => rv6.push(*p),
                Indicator::Domain(_) => {}
            }
        }
        let (mut allow_v4, mut allow_v6, mut allow_d) = (Vec::new(), Vec::new(), Vec::new());
        for a in &cfg.allow {
            match a {
                Indicator::V4(p) => allow_v4.push(*p),
                Indicator::V6(p) => allow_v6.push(*p),
                Indicator::Domain(d) => allow_d.push(d.clone()),
            }
        }
        let protected_v4 = protected_v4();
        let protected_v6 = protected_v6();
        let exempt_v4 = exempt(&protected_v4, &rv4, &allow_v4);
        let exempt_v6 = exempt(&protected_v6, &rv6, &allow_v6);
        Gate {
            min_v4_len: cfg.min_v4_len,
            min_v6_len: cfg.min_v6_len,
            protected_v4,
            protected_v6,
            allow_v4,
            allow_v6,
            allow_domains: DomainTable::from_names(allow_d.iter().map(|d| d.as_str())),
            exempt_v4,
            exempt_v6,
            // `allow_reserved` prefixes are applied through `exempt_*` and
            // through `check`, which consults them below.
        }
        .with_reserved_allowed(&rv4, &rv6)
    }

    fn with_reserved_allowed(mut self, rv4: &[V4Prefix], rv6: &[V6Prefix]) -> Self {
        self.protected_v4
            .retain(|p| !rv4.iter().any(|r| r.covers(&p.prefix)));
        self.protected_v6
            .retain(|p| !rv6.iter().any(|r| r.covers(&p.prefix)));
        self
    }

    /// Decides whether a feed may block `ind`.
    pub fn check(&self, ind: &Indicator) -> Result<(), Refusal> {
        match ind {
            Indicator::V4(p) => check_ip(p, self.min_v4_len, &self.protected_v4, &self.allow_v4),
            Indicator::V6(p) => check_ip(p, self.min_v6_len, &self.protected_v6, &self.allow_v6),
            Indicator::Domain(d) => self.check_name(d.as_str()),
        }
    }

    /// [`Gate::check`] for a domain name in canonical form.
    pub fn check_name(&self, name: &str) -> Result<(), Refusal> {
        if is_public_suffix(name) {
            return Err(Refusal::PublicSuffix(name.to_string()));
        }
        if let Some((entry, _)) = self.allow_domains.covering(name) {
            return Err(Refusal::Allowlisted(entry.to_string()));
        }
        Ok(())
    }

    /// IPv4 ranges cut out of every block: protected (minus those allowed
    /// by `allow_reserved`) plus the allowlist. Sorted and disjoint.
    pub fn exempt_v4(&self) -> Vec<(u32, u32)> {
        self.exempt_v4.clone()
    }

    /// IPv6 counterpart of [`Gate::exempt_v4`].
    pub fn exempt_v6(&self) -> Vec<(u128, u128)> {
        self.exempt_v6.clone()
    }

    /// The allowlisted domains.
    pub fn allow_domains(&self) -> &DomainTable {
        &self.allow_domains
    }
}

fn check_ip<A: Bits>(
    p: &Prefix<A>,
    min: u8,
    protected: &[Protected<A>],
    allow: &[Prefix<A>],
) -> Result<(), Refusal>
where
    Prefix<A>: std::fmt::Display,
{
    if p.len() < min {
        return Err(Refusal::TooBroad { len: p.len(), min });
    }
    if let Some(r) = protected.iter().find(|r| r.prefix.covers(p)) {
        return Err(Refusal::Protected {
            name: r.name,
            range: r.prefix.to_string(),
        });
    }
    if let Some(a) = allow.iter().find(|a| a.covers(p)) {
        return Err(Refusal::Allowlisted(a.to_string()));
    }
    Ok(())
}

fn exempt<A: Bits>(
    protected: &[Protected<A>],
    allow_reserved: &[Prefix<A>],
    allow: &[Prefix<A>],
) -> Vec<(A, A)> {
    let mut prot: Vec<(A, A)> = protected.iter().map(|p| p.prefix.range()).collect();
    prot.sort_unstable();
    let prot = merge_ranges(prot.into_iter());
    let mut released: Vec<(A, A)> = allow_reserved.iter().map(|p| p.range()).collect();
    released.sort_unstable();
    let released = merge_ranges(released.into_iter());
    let mut all = subtract_ranges(&prot, &released);
    all.extend(allow.iter().map(|p| p.range()));
    all.sort_unstable();
    merge_ranges(all.into_iter())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicator::parse_indicator;

    fn ind(s: &str) -> Indicator {
        parse_indicator(s).unwrap()
    }

    fn refused(gate: &Gate, s: &str) -> String {
        gate.check(&ind(s)).unwrap_err().to_string()
    }

    #[test]
    fn refuses_what_locked_firehol_users_out() {
        let g = Gate::default();
        assert!(refused(&g, "0.0.0.0/8").contains("unspecified"));
        assert!(refused(&g, "10.0.0.0/8").contains("RFC 1918"));
        assert!(refused(&g, "224.0.0.0/3").contains("broader"));
        assert!(refused(&g, "0.0.0.0/0").contains("broader"));
    }

    #[test]
    fn refuses_each_protected_family() {
        let g = Gate::default();
        for s in [
            "127.0.0.1",
            "169.254.1.1",
            "192.168.1.0/24",
            "172.21.25.140",
            "100.64.1.1",
            "239.1.1.1",
            "255.255.255.255",
            "192.0.2.1",
            "198.51.100.7",
            "203.0.113.9",
            "::1",
            "::",
            "fe80::1",
            "ff02::1",
            "fd00::1",
            "2001:db8::1",
            "::ffff:1.2.3.4",
        ] {
            assert!(g.check(&ind(s)).is_err(), "{s} should be refused");
        }
        for s in ["1.2.3.4", "8.8.4.0/24", "2a14:c380:12::/48", "185.0.0.0/8"] {
            assert!(g.check(&ind(s)).is_ok(), "{s} should pass");
        }
    }

    #[test]
    fn v6_minimum_length() {
        let g = Gate::default();
        assert!(refused(&g, "2000::/3").contains("/3"));
        assert!(g.check(&ind("2a14:8000::/29")).is_ok());
    }

    #[test]
    fn allow_reserved_releases_a_range() {
        let cfg = GateConfig {
            allow_reserved: vec![ind("198.51.100.0/24"), ind("2001:db8::/32")],
            ..GateConfig::default()
        };
        let g = Gate::new(&cfg);
        assert!(g.check(&ind("198.51.100.7")).is_ok());
        assert!(g.check(&ind("2001:db8::7")).is_ok());
        assert!(g.check(&ind("192.0.2.1")).is_err());
        assert!(!g.exempt_v4().iter().any(|&(a, _)| a == 0xc633_6400));
    }

    #[test]
    fn public_suffixes_and_allowlisted_domains_are_refused() {
        let cfg = GateConfig {
            allow: vec![ind("update.example.com"), ind("8.8.8.8")],
            ..GateConfig::default()
        };
        let g = Gate::new(&cfg);
        assert!(refused(&g, "co.uk").contains("public suffix"));
        assert!(refused(&g, "com.").contains("public suffix"));
        assert!(refused(&g, "a.update.example.com").contains("allowlisted"));
        assert!(refused(&g, "8.8.8.8").contains("allowlisted"));
        assert!(g.check(&ind("example.com")).is_ok());
        assert!(
            g.check(&ind("8.8.8.0/24")).is_ok(),
            "covering prefixes are split, not refused"
        );
    }
}
