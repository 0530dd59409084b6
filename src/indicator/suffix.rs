//! A compact list of multi-label public suffixes (ICANN section only).
//!
//! Blocking `co.uk` or `com.vn` would cut a gateway off from a country's
//! commercial web, and a feed that lists one is broken. Single-label names
//! (bare TLDs) are refused by the gate without a list. The private section
//! of the Public Suffix List (`duckdns.org`, `ddns.net`, …) is deliberately
//! absent: dynamic-DNS providers are exactly what some campaign feeds block.

/// Second-level public suffixes under country-code TLDs that campaigns and
/// corpus feeds touch most (Vietnam first, then the commonest worldwide).
const MULTI_LABEL: &[&str] = &[
    // Vietnam
    "com.vn",
    "net.vn",
    "org.vn",
    "edu.vn",
    "gov.vn",
    "int.vn",
    "ac.vn",
    "biz.vn",
    "info.vn",
    "name.vn",
    "pro.vn",
    "health.vn",
    "io.vn",
    "id.vn",
    // United Kingdom
    "co.uk",
    "org.uk",
    "me.uk",
    "ltd.uk",
    "plc.uk",
    "net.uk",
    "ac.uk",
    "gov.uk",
    "nhs.uk",
    "police.uk",
    "sch.uk",
    // Asia-Pacific
    "com.au",
    "net.au",
    "org.au",
    "edu.au",
    "gov.au",
    "id.au",
    "co.nz",
    "net.nz",
    "org.nz",
    "govt.nz",
    "co.jp",
    "ne.jp",
    "or.jp",
    "ac.jp",
    "go.jp",
    "ad.jp",
    "gr.jp",
    "co.kr",
    "or.kr",
    "ne.kr",
    "go.kr",
    "ac.kr",
    "com.cn",
    "net.cn",
    "org.cn",
    "gov.cn",
    "edu.cn",
    "ac.cn",
    "com.hk",
    "net.hk",
    "org.hk",
    "gov.hk",
    "edu.hk",
    "com.tw",
    "net.tw",
    "org.tw",
    "gov.tw",
    "edu.tw",
    "com.sg",
    "net.sg",
    "org.sg",
    "gov.sg",
    "edu.sg",
    "com.my",
    "net.my",
    "org.my",
    "gov.my",
    "co.id",
    "or.id",
    "go.id",
    "ac.id",
    "web.id",
    "co.th",
    "in.th",
    "go.th",
    "ac.th",
    "or.th",
    "com.ph",
    "net.ph",
    "org.ph",
    "gov.ph",
    "co.in",
    "net.in",
    "org.in",
    "gov.in",
    "ac.in",
    "firm.in",
    "gen.in",
    "ind.in",
    "com.pk",
    "com.bd",
    "com.kh",
    "com.la",
    "com.mm",
    // Americas
    "com.br",
    "net.br",
    "org.br",
    "gov.br",
    "edu.br",
    "com.mx",
    "org.mx",
    "gob.mx",
    "com.ar",
    "gob.ar",
    "com.co",
    "gov.co",
    "com.pe",
    "gob.pe",
    "com.ve",
    "co.ve",
    "com.ec",
    "com.uy",
    // Europe, Middle East, Africa
    "com.tr",
    "gov.tr",
    "edu.tr",
    "co.il",
    "org.il",
    "gov.il",
    "ac.il",
    "com.ru",
    "org.ru",
    "net.ru",
    "com.ua",
    "gov.ua",
    "org.ua",
    "in.ua",
    "com.pl",
    "net.pl",
    "org.pl",
    "co.za",
    "org.za",
    "gov.za",
    "ac.za",
    "com.eg",
    "gov.eg",
    "com.sa",
    "gov.sa",
    "com.ng",
    "gov.ng",
    "co.ke",
    "or.ke",
    "go.ke",
    "com.gr",
    "co.at",
    "or.at",
    "gv.at",
];

/// True when `name` (normalised) is a bare TLD or a listed public suffix.
pub fn is_public_suffix(name: &str) -> bool {
    !name.contains('.') || MULTI_LABEL.contains(&name)
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
    fn list_is_normalised() {
        for s in MULTI_LABEL {
            assert_eq!(*s, s.to_ascii_lowercase());
            assert_eq!(s.matches('.').count(), 1, "{s}");
        }
    }
}
