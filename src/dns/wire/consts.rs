//! Sizes, limits and protocol numbers of the DNS wire format. Constants
//! only; the limits (name lengths, pointers followed, the size of our own
//! responses) are what keeps parsing and writing bounded.

/// Length of the fixed header.
pub const HEADER_LEN: usize = 12;
/// Longest name on the wire (RFC 1035 2.3.4), root label included.
pub const MAX_NAME_WIRE: usize = 255;
/// Longest name in dotted text form, without the trailing dot.
pub const MAX_NAME_TEXT: usize = 253;
/// Compression pointers followed per name at most.
pub const MAX_POINTERS: usize = 32;
/// Room every response built here fits into (a 253-byte name, an SOA and
/// an OPT record need about 340 bytes).
pub const MAX_OWN_RESPONSE: usize = 512;
/// The UDP payload size iocguard advertises in its own OPT records (the
/// DNS flag day 2020 value).
pub const EDNS_UDP_SIZE: u16 = 1232;

/// Response codes used here.
pub mod rcode {
    /// No error.
    pub const NOERROR: u8 = 0;
    /// The query was malformed.
    pub const FORMERR: u8 = 1;
    /// The server failed (upstream unreachable).
    pub const SERVFAIL: u8 = 2;
    /// The name does not exist.
    pub const NXDOMAIN: u8 = 3;
    /// Opcode not implemented.
    pub const NOTIMP: u8 = 4;
    /// Refused by policy.
    pub const REFUSED: u8 = 5;
}

/// Record types used here.
pub mod rtype {
    /// IPv4 address.
    pub const A: u16 = 1;
    /// Start of authority.
    pub const SOA: u16 = 6;
    /// IPv6 address.
    pub const AAAA: u16 = 28;
    /// EDNS pseudo-record.
    pub const OPT: u16 = 41;
}

/// EDNS option codes read here.
pub mod opt {
    /// EDNS Client Subnet (RFC 7871); dnsmasq `--add-subnet`.
    pub const CLIENT_SUBNET: u16 = 8;
    /// dnsmasq `--add-mac`: the raw MAC bytes (dnsmasq's EDNS0_OPTION_MAC).
    pub const DNSMASQ_MAC: u16 = 65001;
    /// dnsmasq `--add-mac=base64` (8 characters) and `--add-mac=text`
    /// (`aa:bb:cc:dd:ee:ff`): Nominum's device-id code, EDNS0_OPTION_NOMDEVICEID.
    pub const DEVICE_ID: u16 = 65073;
}
