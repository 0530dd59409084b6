//! A packet or message rate as nftables writes it: `N/second`,
//! `N/minute`, `N/hour` (also `N/day`, which nftables accepts too).
//!
//! Parsed once where the admin writes it (`option log_rate`), so that a
//! value like `10/minute` is never silently read as ten per second.

use std::fmt;

/// The time unit of a [`Rate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Per {
    /// Per second.
    Second,
    /// Per minute.
    Minute,
    /// Per hour.
    Hour,
    /// Per day.
    Day,
}

impl Per {
    /// nftables' spelling.
    pub fn name(self) -> &'static str {
        match self {
            Per::Second => "second",
            Per::Minute => "minute",
            Per::Hour => "hour",
            Per::Day => "day",
        }
    }
}

/// `count` events per `per`; `count` is at least 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// How many.
    pub count: u32,
    /// Per what.
    pub per: Per,
}

impl Rate {
    /// Parses `N/second|minute|hour|day` (N ≥ 1, no other spelling).
    pub fn parse(s: &str) -> Result<Rate, String> {
        let bad = || format!("{s:?} is not a rate (N/second, N/minute or N/hour)");
        let (n, unit) = s.trim().split_once('/').ok_or_else(bad)?;
        let count: u32 = n.trim().parse().map_err(|_| bad())?;
        let per = match unit.trim() {
            "second" => Per::Second,
            "minute" => Per::Minute,
            "hour" => Per::Hour,
            "day" => Per::Day,
            _ => return Err(bad()),
        };
        if count == 0 {
            return Err(format!("{s:?}: a rate must be at least 1"));
        }
        Ok(Rate { count, per })
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.count, self.per.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_are_kept() {
        assert_eq!(
            Rate::parse("10/minute").unwrap(),
            Rate {
                count: 10,
                per: Per::Minute
            }
        );
        assert_eq!(Rate::parse("3/hour").unwrap().to_string(), "3/hour");
        assert_eq!(Rate::parse(" 10/second ").unwrap().to_string(), "10/second");
    }

    #[test]
    fn other_spellings_are_refused() {
        for bad in [
            "10",
            "10/sec",
            "ten/second",
            "0/second",
            "-1/second",
            "10/",
            "/second",
            "10/minutes",
        ] {
            assert!(Rate::parse(bad).is_err(), "{bad} accepted");
        }
    }
}
