//! DNS query type names, as logs and the host table print them: the
//! mnemonic of a common type, `TYPEn` for the rest (RFC 3597). Both the
//! sinkhole and the host table use it, so it sits below both.

/// Mnemonics of common types, `TYPEn` otherwise (RFC 3597).
pub fn qtype_name(t: u16) -> String {
    let s = match t {
        1 => "A",
        2 => "NS",
        5 => "CNAME",
        6 => "SOA",
        12 => "PTR",
        15 => "MX",
        16 => "TXT",
        28 => "AAAA",
        33 => "SRV",
        64 => "SVCB",
        65 => "HTTPS",
        255 => "ANY",
        _ => return format!("TYPE{t}"),
    };
    s.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_the_generic_form() {
        assert_eq!(qtype_name(1), "A");
        assert_eq!(qtype_name(65), "HTTPS");
        assert_eq!(qtype_name(999), "TYPE999");
    }
}
