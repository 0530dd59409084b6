//! A compact list of multi-label public suffixes (ICANN section only).
//!
//! Blocking `co.uk` or `com.vn` would cut a gateway off from a country's
//! commercial web, and a feed that lists one is broken. Single-label names
//! (bare TLDs) are refused by the gate without a list. The private section
//! of the Public Suffix List (`duckdns.org`, `ddns.net`, …) is deliberately
//! absent: dynamic-DNS providers are exactly what some campaign feeds block.

/// Second-level public suffixes under country-code TLDs that campaigns and
/// corpus feeds touch most (Vietnam's complete, the commonest worldwide).
/// Sorted, for binary search (a test checks it).
const MULTI_LABEL: &[&str] = &[
    "ac.cn",
    "ac.id",
    "ac.il",
    "ac.in",
    "ac.jp",
    "ac.kr",
    "ac.th",
    "ac.uk",
    "ac.vn",
    "ac.za",
    "ad.jp",
    "biz.vn",
    "co.at",
    "co.id",
    "co.il",
    "co.in",
    "co.jp",
    "co.ke",
    "co.kr",
    "co.nz",
    "co.th",
    "co.uk",
    "co.ve",
    "co.za",
    "com.ar",
    "com.au",
    "com.bd",
    "com.br",
    "com.cn",
    "com.co",
    "com.ec",
    "com.eg",
    "com.gr",
    "com.hk",
    "com.kh",
    "com.la",
    "com.mm",
    "com.mx",
    "com.my",
    "com.ng",
    "com.pe",
    "com.ph",
    "com.pk",
    "com.pl",
    "com.ru",
    "com.sa",
    "com.sg",
    "com.tr",
    "com.tw",
    "com.ua",
    "com.uy",
    "com.ve",
    "com.vn",
    "edu.au",
    "edu.br",
    "edu.cn",
    "edu.hk",
    "edu.sg",
    "edu.tr",
    "edu.tw",
    "edu.vn",
    "firm.in",
    "gen.in",
    "go.id",
    "go.jp",
    "go.ke",
    "go.kr",
    "go.th",
    "gob.ar",
    "gob.mx",
    "gob.pe",
    "gov.au",
    "gov.br",
    "gov.cn",
    "gov.co",
    "gov.eg",
    "gov.hk",
    "gov.il",
    "gov.in",
    "gov.my",
    "gov.ng",
    "gov.ph",
    "gov.sa",
    "gov.sg",
    "gov.tr",
    "gov.tw",
    "gov.ua",
    "gov.uk",
    "gov.vn",
    "gov.za",
    "govt.nz",
    "gr.jp",
    "gv.at",
    "health.vn",
    "id.au",
    "id.vn",
    "in.th",
    "in.ua",
    "ind.in",
    "info.vn",
    "int.vn",
    "io.vn",
    "ltd.uk",
    "me.uk",
    "name.vn",
    "ne.jp",
    "ne.kr",
    "net.au",
    "net.br",
    "net.cn",
    "net.hk",
    "net.in",
    "net.my",
    "net.nz",
    "net.ph",
    "net.pl",
    "net.ru",
    "net.sg",
    "net.tw",
    "net.uk",
    "net.vn",
    "nhs.uk",
    "or.at",
    "or.id",
    "or.jp",
    "or.ke",
    "or.kr",
    "or.th",
    "org.au",
    "org.br",
    "org.cn",
    "org.hk",
    "org.il",
    "org.in",
    "org.mx",
    "org.my",
    "org.nz",
    "org.ph",
    "org.pl",
    "org.ru",
    "org.sg",
    "org.tw",
    "org.ua",
    "org.uk",
    "org.vn",
    "org.za",
    "plc.uk",
    "police.uk",
    "pro.vn",
    "sch.uk",
    "web.id",
];

/// True when `name` (normalised) is a bare TLD or a listed public suffix.
pub fn is_public_suffix(name: &str) -> bool {
    match name.bytes().filter(|&b| b == b'.').count() {
        0 => true,
        1 => MULTI_LABEL.binary_search(&name).is_ok(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tlds_and_known_suffixes_are_public() {
        assert!(is_public_suffix("com"));
        assert!(is_public_suffix("co.uk"));
        assert!(is_public_suffix("com.vn"));
        assert!(is_public_suffix("xn--p1ai"));
    }

    #[test]
    fn registrable_names_are_not() {
        assert!(!is_public_suffix("example.com"));
        assert!(!is_public_suffix("duckdns.org"));
        assert!(!is_public_suffix("shop.com.vn"));
    }

    #[test]
    fn list_is_normalised_and_sorted() {
        assert!(MULTI_LABEL.windows(2).all(|w| w[0] < w[1]));
        for s in MULTI_LABEL {
            assert_eq!(*s, s.to_ascii_lowercase());
            assert_eq!(s.matches('.').count(), 1, "{s}");
        }
    }
}
