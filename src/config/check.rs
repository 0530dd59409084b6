//! Checking one option value against its declared [`Ty`].
//!
//! Values are untrusted text from the UCI file: a check never panics (a
//! date is checked for length before its bytes are indexed) and an error
//! is one phrase quoting the value, which the caller prefixes with file,
//! line and option.

use super::specs::{Spec, Ty};
use crate::indicator::{parse_indicator, Indicator};
use crate::rate::Rate;

/// `Ok` when `v` is a valid value of `spec`'s type, else why not.
pub(super) fn check_value(spec: &Spec, v: &str) -> Result<(), String> {
    match spec.ty {
        Ty::Bool => match v {
            "1" | "0" | "yes" | "no" | "on" | "off" | "true" | "false" | "enabled" | "disabled" => Ok(()),
            _ => Err(format!("{v:?} is not a boolean (use 1 or 0)")),
        },
        Ty::UInt(lo, hi) => match v.parse::<u64>() {
            Ok(n) if (lo..=hi).contains(&n) => Ok(()),
            _ => Err(format!("{v:?} is not a number from {lo} to {hi}")),
        },
        Ty::Enum(words) => {
            if words.contains(&v) {
                Ok(())
            } else {
                Err(format!("{v:?} is not one of {}", words.join(", ")))
            }
        }
        Ty::Text => Ok(()),
        Ty::Rate => Rate::parse(v).map(|_| ()),
        Ty::Path => {
            if v.is_empty() || v.starts_with('/') || v.starts_with('.') {
                Ok(())
            } else {
                Err(format!("{v:?} is not a path (start it with / or ./)"))
            }
        }
        Ty::Cidr => match parse_indicator(v) {
            Ok(Indicator::V4(_) | Indicator::V6(_)) => Ok(()),
            Ok(Indicator::Domain(_)) => Err(format!("{v:?} is a domain, expected an IP address or CIDR")),
            Err(e) => Err(format!("{v:?}: {e}")),
        },
        Ty::Indicator => parse_indicator(v).map(|_| ()).map_err(|e| format!("{v:?}: {e}")),
        Ty::Date => {
            let b = v.as_bytes();
            let ok = b.len() == 10
                && b[4] == b'-'
                && b[7] == b'-'
                && b.iter()
                    .enumerate()
                    .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
            if ok {
                Ok(())
            } else {
                Err(format!("{v:?} is not a date (YYYY-MM-DD)"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SPECS;

    #[test]
    fn every_default_passes_its_own_type() {
        for spec in SPECS.iter().filter(|s| !s.default.is_empty()) {
            assert_eq!(
                check_value(spec, spec.default),
                Ok(()),
                "default of {}.{}",
                spec.section,
                spec.name
            );
        }
    }

    #[test]
    fn every_spec_default_passes_its_own_check() {
        for s in SPECS {
            if !s.default.is_empty() {
                check_value(s, s.default).unwrap_or_else(|e| panic!("{}.{}: {e}", s.section, s.name));
            }
        }
    }
}
