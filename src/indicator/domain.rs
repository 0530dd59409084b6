//! Domain names in the one canonical form the rest of iocguard compares:
//! lowercase ASCII, no trailing dot, internationalised labels in punycode
//! (`xn--…`), every label 1–63 bytes, the name at most 253 bytes.
//!
//! Labels may contain letters, digits, hyphens (not first or last) and
//! underscores: strict LDH would reject real C2 hostnames such as
//! `ab_cd.duckdns.org`, which resolvers answer. Unicode case folding is
//! `char::to_lowercase`; full UTS-46 mapping tables would cost more flash
//! than the handful of feeds that need them are worth.

use std::fmt;

/// A validated, normalised domain name.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Domain(Box<str>);

/// Why a string is not a usable domain name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DomainError {
    /// Nothing left after trimming.
    #[error("empty name")]
    Empty,
    /// Longer than 253 bytes once encoded.
    #[error("name longer than 253 bytes")]
    TooLong,
    /// A label of zero bytes (`a..b`) or over 63 bytes.
    #[error("label {0:?} is empty or longer than 63 bytes")]
    BadLabelLength(String),
    /// A character DNS hostnames cannot hold.
    #[error("label {0:?} contains a character not allowed in host names")]
    BadCharacter(String),
    /// A label that begins or ends with a hyphen.
    #[error("label {0:?} begins or ends with a hyphen")]
    Hyphen(String),
    /// The top-level label is all digits: this is an address, not a name.
    #[error("numeric top-level label: looks like an IP address")]
    NumericTld,
}

impl Domain {
    /// Normalises and validates `raw` (case, trailing dot, IDN → punycode).
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let raw = raw.strip_suffix('.').unwrap_or(raw);
        if raw.is_empty() {
            return Err(DomainError::Empty);
        }
        if let Some(d) = Self::parse_plain_ascii(raw) {
            return Ok(d);
        }
        let mut out = String::with_capacity(raw.len());
        for (i, label) in raw.split('.').enumerate() {
            if i > 0 {
                out.push('.');
            }
            push_label(label, &mut out)?;
        }
        if out.len() > 253 {
            return Err(DomainError::TooLong);
        }
        let tld = out.rsplit('.').next().unwrap_or("");
        if tld.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DomainError::NumericTld);
        }
        Ok(Domain(out.into_boxed_str()))
    }

    /// One pass over an already-valid ASCII name, the common case; `None`
    /// sends anything unusual (IDN, bad labels, numeric TLD) to the full
    /// path, which produces the precise error.
    fn parse_plain_ascii(raw: &str) -> Option<Self> {
        let b = raw.as_bytes();
        if b.len() > 253 {
            return None;
        }
        let mut label_start = 0;
        let mut tld_numeric = true;
        for (i, &c) in b.iter().enumerate() {
            match c {
                b'.' => {
                    let len = i - label_start;
                    if len == 0 || len > 63 || b[i - 1] == b'-' || b[label_start] == b'-' {
                        return None;
                    }
                    label_start = i + 1;
                    tld_numeric = true;
                }
                b'a'..=b'z' | b'A'..=b'Z' | b'_' | b'-' => tld_numeric = false,
                b'0'..=b'9' => {}
                _ => return None,
            }
        }
        let len = b.len() - label_start;
        if len == 0 || len > 63 || b[b.len() - 1] == b'-' || b[label_start] == b'-' || tld_numeric {
            return None;
        }
        Some(Domain(raw.to_ascii_lowercase().into_boxed_str()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Number of labels (`www.example.com` → 3).
    pub fn label_count(&self) -> usize {
        self.0.split('.').count()
    }

    /// The name and each parent, longest first: `a.b.c`, `b.c`, `c`.
    pub fn suffixes(&self) -> impl Iterator<Item = &str> {
        suffixes(&self.0)
    }
}

/// The name and each parent, longest first, for any dotted string.
pub fn suffixes(name: &str) -> impl Iterator<Item = &str> {
    let mut next = Some(name);
    std::iter::from_fn(move || {
        let cur = next?;
        next = cur.split_once('.').map(|(_, rest)| rest);
        Some(cur)
    })
}

fn push_label(label: &str, out: &mut String) -> Result<(), DomainError> {
    let start = out.len();
    if label.is_ascii() {
        for b in label.bytes() {
            let b = b.to_ascii_lowercase();
            if !(b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
                return Err(DomainError::BadCharacter(label.to_string()));
            }
            out.push(b as char);
        }
    } else {
        let lower: String = label.chars().flat_map(char::to_lowercase).collect();
        if lower
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || (c.is_ascii() && !is_ldh(c)))
        {
            return Err(DomainError::BadCharacter(label.to_string()));
        }
        out.push_str("xn--");
        punycode_encode(&lower, out);
    }
    let encoded = &out[start..];
    if encoded.is_empty() || encoded.len() > 63 {
        return Err(DomainError::BadLabelLength(label.to_string()));
    }
    if encoded.starts_with('-') || encoded.ends_with('-') {
        return Err(DomainError::Hyphen(label.to_string()));
    }
    Ok(())
}

fn is_ldh(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Domain {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

// RFC 3492 parameters.
const BASE: u32 = 36;
const T_MIN: u32 = 1;
const T_MAX: u32 = 26;
const SKEW: u32 = 38;
const DAMP: u32 = 700;
const INITIAL_BIAS: u32 = 72;
const INITIAL_N: u32 = 128;

fn adapt(mut delta: u32, num_points: u32, first: bool) -> u32 {
    delta /= if first { DAMP } else { 2 };
    delta += delta / num_points;
    let mut k = 0;
    while delta > ((BASE - T_MIN) * T_MAX) / 2 {
        delta /= BASE - T_MIN;
        k += BASE;
    }
    k + (((BASE - T_MIN + 1) * delta) / (delta + SKEW))
}

fn digit(d: u32) -> char {
    (if d < 26 {
        b'a' + d as u8
    } else {
        b'0' + (d - 26) as u8
    }) as char
}

/// Punycode-encodes one label (RFC 3492), appending to `out`. Labels are at
/// most a few hundred code points, so the u32 arithmetic cannot overflow
/// before the 63-byte length check rejects the result.
fn punycode_encode(input: &str, out: &mut String) {
    let cps: Vec<u32> = input.chars().map(|c| c as u32).collect();
    let basic = cps.iter().filter(|&&c| c < 0x80).count() as u32;
    for &c in cps.iter().filter(|&&c| c < 0x80) {
        out.push(char::from_u32(c).unwrap_or('-'));
    }
    if basic > 0 {
        out.push('-');
    }
    let (mut n, mut delta, mut bias, mut h) = (INITIAL_N, 0u32, INITIAL_BIAS, basic);
    let total = cps.len() as u32;
    while h < total {
        let m = cps.iter().copied().filter(|&c| c >= n).min().unwrap_or(n);
        delta = delta.saturating_add((m - n).saturating_mul(h + 1));
        n = m;
        for &c in &cps {
            if c < n {
                delta = delta.saturating_add(1);
            }
            if c == n {
                let mut q = delta;
                let mut k = BASE;
                loop {
                    let t = if k <= bias {
                        T_MIN
                    } else if k >= bias + T_MAX {
                        T_MAX
                    } else {
                        k - bias
                    };
                    if q < t {
                        break;
                    }
                    out.push(digit(t + (q - t) % (BASE - t)));
                    q = (q - t) / (BASE - t);
                    k += BASE;
                }
                out.push(digit(q));
                bias = adapt(delta, h + 1, h == basic);
                delta = 0;
                h += 1;
            }
        }
        delta = delta.saturating_add(1);
        n += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> String {
        Domain::parse(s).unwrap().to_string()
    }

    #[test]
    fn lowercases_and_drops_trailing_dot() {
        assert_eq!(ok("wvOntgd.pqmg.bid."), "wvontgd.pqmg.bid");
    }

    #[test]
    fn idn_becomes_punycode() {
        // Reference values from RFC 3492 / well-known registrations.
        assert_eq!(ok("bücher.de"), "xn--bcher-kva.de");
        assert_eq!(ok("中国.cn"), "xn--fiqs8s.cn");
        assert_eq!(ok("Bücher.DE"), "xn--bcher-kva.de");
        assert_eq!(ok("россия.рф"), "xn--h1alffa9f.xn--p1ai");
    }

    #[test]
    fn vietnamese_idn_from_corpus_encodes() {
        let d = ok("shopgcaothụ.vn");
        assert!(d.starts_with("xn--shopgcaoth-"), "{d}");
        assert!(d.ends_with(".vn"));
    }

    #[test]
    fn rejects_bad_names() {
        assert_eq!(Domain::parse(""), Err(DomainError::Empty));
        assert!(matches!(
            Domain::parse("a..b"),
            Err(DomainError::BadLabelLength(_))
        ));
        assert!(matches!(Domain::parse("-a.com"), Err(DomainError::Hyphen(_))));
        assert!(matches!(
            Domain::parse("a b.com"),
            Err(DomainError::BadCharacter(_))
        ));
        assert!(matches!(
            Domain::parse("a/b.com"),
            Err(DomainError::BadCharacter(_))
        ));
        assert_eq!(Domain::parse("1.2.3.4"), Err(DomainError::NumericTld));
        let long_label = "a".repeat(64);
        assert!(Domain::parse(&format!("{long_label}.com")).is_err());
        let long_name = ["abcdefghij"; 24].join(".") + ".com";
        assert_eq!(Domain::parse(&long_name), Err(DomainError::TooLong));
    }

    #[test]
    fn accepts_underscore_and_digits() {
        assert_eq!(ok("ab_cd.duckdns.org"), "ab_cd.duckdns.org");
        assert_eq!(
            ok("132.red-81-42-249.staticip.rima-tde.net"),
            "132.red-81-42-249.staticip.rima-tde.net"
        );
    }

    #[test]
    fn suffixes_walk_to_the_tld() {
        let d = Domain::parse("a.b.example.com").unwrap();
        let v: Vec<_> = d.suffixes().collect();
        assert_eq!(v, ["a.b.example.com", "b.example.com", "example.com", "com"]);
    }
}
