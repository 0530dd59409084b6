//! Domain names in the one canonical form the rest of iocguard compares:
//! lowercase ASCII, no trailing dot, internationalised labels in punycode
//! (`xn--…`), every label 1–63 bytes, the name at most 253 bytes.
//!
//! Labels may contain letters, digits, hyphens (not first or last) and
//! underscores: strict LDH would reject real C2 hostnames such as
//! `ab_cd.duckdns.org`, which resolvers answer.
//!
//! A name with any non-ASCII character goes through UTS #46 processing
//! (the `idna` crate, nontransitional): mapping (case folding, full-width
//! letters and dots, compatibility forms), NFC normalisation and the
//! validity criteria (including Bidi and ContextJ rules), then punycode.
//! Without it an NFD Vietnamese name copied from a PDF, or `ｅｖｉｌ.com`,
//! would be stored as a different name from the `xn--…`/ASCII one
//! browsers actually query, and block nothing. ASCII input skips it: it
//! needs only lowercasing, and `xn--` labels are kept as written (a
//! resolver answers them whether or not they decode), as before.
//! UseSTD3ASCIIRules is off so that `_` survives; the ASCII result then
//! meets the same label rules as a plain ASCII name.

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
    /// Refused by UTS #46 processing (a disallowed code point, a bad
    /// Bidi or joiner context, an undecodable `xn--` label, …).
    #[error("{0:?} is not a valid internationalised name (UTS #46)")]
    Idna(String),
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
        let mapped;
        let raw = if raw.is_ascii() {
            raw
        } else {
            mapped = uts46_to_ascii(raw)?;
            // A full-width or ideographic full stop at the end maps to '.'.
            mapped.strip_suffix('.').unwrap_or(&mapped)
        };
        if raw.is_empty() {
            return Err(DomainError::Empty);
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
        let upper = scan_plain(raw.as_bytes())?;
        Some(Domain(if upper {
            raw.to_ascii_lowercase().into_boxed_str()
        } else {
            Box::from(raw)
        }))
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

// Byte classes, as bits.
const DOT: u8 = 1;
/// A lowercase letter, `-` or `_` (anything that makes a label not
/// numeric; the hyphen's position is checked apart).
const LETTER: u8 = 2;
const UPPER: u8 = 4;
const DIGIT: u8 = 8;
/// Not in a plain ASCII name.
const BAD: u8 = 16;

/// The class of each byte in a plain ASCII name.
static CLASS: [u8; 256] = {
    let mut t = [BAD; 256];
    let mut c = 0;
    while c < 256 {
        t[c] = match c as u8 {
            b'.' => DOT,
            b'a'..=b'z' | b'-' | b'_' => LETTER,
            b'A'..=b'Z' => UPPER,
            b'0'..=b'9' => DIGIT,
            _ => BAD,
        };
        c += 1;
    }
    t
};

/// True for the bytes a host name or address may hold as written in a
/// feed (letters, digits, `.`, `-`, `_`): the quick route of
/// [`super::parse::parse_indicator`].
pub fn is_host_byte(b: u8) -> bool {
    CLASS[b as usize] != BAD
}

/// `raw` itself when it is a name already in the canonical form
/// [`Domain::parse`] gives (lowercase ASCII, valid labels, no trailing
/// dot, a TLD that is not all digits): most feed lines, checked without
/// building a `Domain`.
pub fn canonical(raw: &str) -> Option<&str> {
    (scan_plain(raw.as_bytes()) == Some(false)).then_some(raw)
}

/// One pass over a plain ASCII name: `Some(has uppercase)` when it is
/// valid as written but for case; `None` sends anything unusual (IDN, bad
/// labels, numeric TLD, a trailing dot) to the full path, which gives
/// the precise error.
fn scan_plain(b: &[u8]) -> Option<bool> {
    if b.len() > 253 {
        return None;
    }
    // One table look-up per byte (this runs for each of a million
    // names), its class bits or-ed together: only a dot branches, so
    // random letters and digits cost no mispredicted jumps.
    let mut seen = 0u8;
    let mut label_start = 0;
    let mut digits_only = true;
    for (i, &c) in b.iter().enumerate() {
        let class = CLASS[c as usize];
        if class == DOT {
            let len = i - label_start;
            if len == 0 || len > 63 || b[i - 1] == b'-' || b[label_start] == b'-' {
                return None;
            }
            label_start = i + 1;
            digits_only = true;
            continue;
        }
        seen |= class;
        digits_only &= class == DIGIT;
    }
    let len = b.len() - label_start;
    if seen & BAD != 0
        || len == 0
        || len > 63
        || b[b.len() - 1] == b'-'
        || b[label_start] == b'-'
        || digits_only
    {
        return None;
    }
    Some(seen & UPPER != 0)
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
    // Only ASCII reaches here: non-ASCII names were mapped and
    // punycode-encoded by `uts46_to_ascii` first.
    for b in label.bytes() {
        let b = b.to_ascii_lowercase();
        if !(b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return Err(DomainError::BadCharacter(label.to_string()));
        }
        out.push(b as char);
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

/// UTS #46 ToASCII, nontransitional, with UseSTD3ASCIIRules,
/// CheckHyphens and VerifyDnsLength off: the caller applies its own label
/// rules (which allow `_`) to the ASCII result. Mapping, NFC, validity,
/// CheckBidi and CheckJoiners are applied.
fn uts46_to_ascii(raw: &str) -> Result<String, DomainError> {
    idna::uts46::Uts46::new()
        .to_ascii(
            raw.as_bytes(),
            idna::uts46::AsciiDenyList::EMPTY,
            idna::uts46::Hyphens::Allow,
            idna::uts46::DnsLength::Ignore,
        )
        .map(|c| c.into_owned())
        .map_err(|_| DomainError::Idna(raw.to_string()))
}

/// Strict UTS #46 ToASCII as the conformance tests define it
/// (nontransitional, UseSTD3ASCIIRules, CheckHyphens, CheckBidi,
/// CheckJoiners, VerifyDnsLength): `None` on any error. Only the IDNA
/// test vectors use it, to show the processing under [`Domain::parse`]
/// conforms; `Domain::parse` itself relaxes the STD3, hyphen and length
/// steps as described in the module comment.
pub fn uts46_to_ascii_strict(raw: &str) -> Option<String> {
    idna::uts46::Uts46::new()
        .to_ascii(
            raw.as_bytes(),
            idna::uts46::AsciiDenyList::STD3,
            idna::uts46::Hyphens::Check,
            idna::uts46::DnsLength::Verify,
        )
        .ok()
        .map(|c| c.into_owned())
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

    /// Expected values computed independently: Python's `punycode` codec
    /// (RFC 3492) on the NFC, lowercased name.
    const VIETNAMESE: &[(&str, &str)] = &[
        // ư and ơ carrying tone marks (ờ = ơ + grave, ử = ư + hook above).
        ("người.vn", "xn--ngi-28a9548a.vn"),
        ("sửa-chữa.vn", "xn--sa-cha-3r8bua.vn"),
        ("trường-học.vn", "xn--trng-hc-t8b5918dpea.vn"),
        ("thương-mại.com.vn", "xn--thng-mi-e5b8k9433a.com.vn"),
        ("ơn.vn", "xn--n-sqa.vn"),
        ("đà-nẵng.vn", "xn---nng-zna70au54p.vn"),
    ];

    #[test]
    fn vietnamese_precomposed_and_decomposed_agree() {
        for &(nfc, want) in VIETNAMESE {
            // NFD by hand (PDF copy-paste and some editors produce it):
            // base letter, horn U+031B, then the tone mark.
            let nfd = nfc
                .replace('ư', "u\u{31b}")
                .replace('ờ', "o\u{31b}\u{300}")
                .replace('ử', "u\u{31b}\u{309}")
                .replace('ữ', "u\u{31b}\u{303}")
                .replace('ơ', "o\u{31b}")
                .replace('ọ', "o\u{323}")
                .replace('ạ', "a\u{323}")
                .replace('à', "a\u{300}")
                .replace('ẵ', "a\u{306}\u{303}");
            assert_ne!(nfd, nfc, "{nfc}: the test must really decompose");
            assert_eq!(ok(nfc), want, "{nfc}");
            assert_eq!(ok(&nfd), want, "NFD of {nfc}");
        }
    }

    #[test]
    fn vietnamese_uppercase_d_with_stroke_folds() {
        assert_eq!(ok("ĐÀ-NẴNG.VN"), "xn---nng-zna70au54p.vn");
        assert_eq!(ok("Đà-Nẵng.vn"), "xn---nng-zna70au54p.vn");
        // Decomposed uppercase: Đ has no decomposition, À and Ẵ do.
        assert_eq!(ok("ĐA\u{300}-NA\u{306}\u{303}NG.VN"), "xn---nng-zna70au54p.vn");
        // The pre-UTS-46 behaviour from the corpus still holds.
        let d = ok("shopgcaothụ.vn");
        assert!(d.starts_with("xn--shopgcaoth-"), "{d}");
    }

    #[test]
    fn full_width_and_ideographic_forms_map_to_ascii() {
        assert_eq!(ok("ｅｖｉｌ.com"), "evil.com");
        assert_eq!(ok("ＥＶＩＬ．ＣＯＭ"), "evil.com");
        assert_eq!(ok("evil。com"), "evil.com");
        assert_eq!(ok("evil｡com."), "evil.com");
        assert_eq!(ok("ｅｖｉｌ．ｃｏｍ．"), "evil.com");
        assert_eq!(ok("ａｂ＿ｃｄ.duckdns.org"), "ab_cd.duckdns.org");
        // Full-width digits are still digits: an address, not a name.
        assert_eq!(Domain::parse("１．２．３．４"), Err(DomainError::NumericTld));
        // Mapping to a character host names cannot hold is refused.
        assert!(Domain::parse("ｅｖｉｌ／x.com").is_err());
        assert!(Domain::parse("a\u{3000}b.com").is_err());
    }

    #[test]
    fn uts46_refusals_are_errors() {
        // A bare combining mark cannot begin a label (V5).
        assert!(matches!(Domain::parse("\u{300}a.com"), Err(DomainError::Idna(_))));
        // Disallowed code point.
        assert!(Domain::parse("a\u{fffd}.com").is_err());
        // A zero-width joiner outside its permitted context (C2).
        assert!(matches!(
            Domain::parse("a\u{200d}b.com"),
            Err(DomainError::Idna(_))
        ));
        // Ignored code points (soft hyphen) vanish.
        assert_eq!(ok("ev\u{ad}il.com"), "evil.com");
        // Nontransitional: ß stays ß.
        assert_eq!(ok("faß.de"), "xn--fa-hia.de");
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
