//! EDNS (RFC 6891): the OPT record of a query and the options iocguard
//! reads from it to identify the client: EDNS Client Subnet (RFC 7871,
//! dnsmasq `--add-subnet`) and dnsmasq's `--add-mac` in its raw, text and
//! base64 forms. Other options are skipped (a forwarded query carries
//! them upstream untouched).
//!
//! Every option length is checked against the record before it is read (a
//! bad one is [`WireError::BadOpt`]); an option that does not decode to a
//! full host address or a 6-byte MAC is ignored, never a panic.

use super::consts::opt;
use super::error::WireError;
use super::header::be16;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// What EDNS told about the query and its client.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Edns {
    /// Advertised UDP payload size.
    pub udp_size: u16,
    /// EDNS version (only 0 exists).
    pub version: u8,
    /// The DO bit (DNSSEC OK), copied into our answers (RFC 3225).
    pub dnssec_ok: bool,
    /// The client's MAC from dnsmasq's `--add-mac` option (any variant).
    pub mac: Option<[u8; 6]>,
    /// The client address from EDNS Client Subnet, when the source prefix
    /// is a full host address (dnsmasq `--add-subnet=32,128`).
    pub client: Option<IpAddr>,
}

/// Parses an OPT record whose fixed part starts at `at` (after the root
/// owner name).
pub(super) fn parse_opt(msg: &[u8], at: usize, (mut p, end): (usize, usize)) -> Result<Edns, WireError> {
    let udp_size = be16(msg, at + 2)?;
    let ttl_hi = be16(msg, at + 4)?;
    let ttl_lo = be16(msg, at + 6)?;
    let mut e = Edns {
        udp_size,
        version: (ttl_hi & 0xff) as u8,
        dnssec_ok: ttl_lo & 0x8000 != 0,
        mac: None,
        client: None,
    };
    while p < end {
        let code = be16(msg, p).map_err(|_| WireError::BadOpt)?;
        let len = be16(msg, p + 2).map_err(|_| WireError::BadOpt)? as usize;
        let data = msg.get(p + 4..p + 4 + len).ok_or(WireError::BadOpt)?;
        if p + 4 + len > end {
            return Err(WireError::BadOpt);
        }
        match code {
            opt::DNSMASQ_MAC if len == 6 => {
                let mut m = [0; 6];
                m.copy_from_slice(data);
                e.mac = Some(m);
            }
            opt::DEVICE_ID => e.mac = e.mac.or_else(|| decode_device_id(data)),
            opt::CLIENT_SUBNET => e.client = parse_client_subnet(data),
            // Cookies, padding and the rest are none of our business; a
            // forwarded query carries them to the upstream untouched.
            _ => {}
        }
        p += 4 + len;
    }
    Ok(e)
}

/// ECS data: family, source prefix, scope prefix, address bytes. Only a
/// full host address identifies a client; anything shorter is ignored.
fn parse_client_subnet(d: &[u8]) -> Option<IpAddr> {
    let family = u16::from_be_bytes([*d.first()?, *d.get(1)?]);
    let source = *d.get(2)?;
    let addr = d.get(4..)?;
    match (family, source) {
        (1, 32) if addr.len() == 4 => Some(IpAddr::V4(Ipv4Addr::new(addr[0], addr[1], addr[2], addr[3]))),
        (2, 128) if addr.len() == 16 => {
            let mut a = [0u8; 16];
            a.copy_from_slice(addr);
            Some(IpAddr::V6(Ipv6Addr::from(a)))
        }
        _ => None,
    }
}

/// dnsmasq's `--add-mac=text` (`aa:bb:cc:dd:ee:ff`) or `--add-mac=base64`
/// (8 characters: each half of the MAC as 4 base64 characters, no padding).
pub fn decode_device_id(d: &[u8]) -> Option<[u8; 6]> {
    let mut m = [0u8; 6];
    match d.len() {
        17 => {
            for (i, chunk) in d.chunks(3).enumerate() {
                if chunk.len() == 3 && chunk[2] != b':' {
                    return None;
                }
                let hex = std::str::from_utf8(&chunk[..2]).ok()?;
                m[i] = u8::from_str_radix(hex, 16).ok()?;
            }
            Some(m)
        }
        // Two 4-character groups with no padding: exactly the standard
        // base64 of the 6 bytes.
        8 => {
            let bytes = crate::base64::decode(std::str::from_utf8(d).ok()?).ok()?;
            m.copy_from_slice(bytes.get(..6)?);
            Some(m)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::wire::tests::query;
    use crate::dns::wire::{parse_query, rtype};

    #[test]
    fn reads_dnsmasq_mac_and_client_subnet() {
        let mac = [0x02, 0, 0, 0, 0, 0x10];
        let ecs = [0, 1, 32, 0, 192, 0, 2, 10];
        let m = query(
            "a.example",
            rtype::A,
            Some(&[
                (opt::DNSMASQ_MAC, &mac),
                (opt::CLIENT_SUBNET, &ecs),
                (10, b"cookie!!"),
            ]),
        );
        let e = parse_query(&m).unwrap().edns.unwrap();
        assert_eq!(e.mac, Some(mac));
        assert_eq!(e.client, Some("192.0.2.10".parse().unwrap()));
        assert!(e.dnssec_ok);
        assert_eq!(e.udp_size, 4096);
        let text = query(
            "a.example",
            rtype::A,
            Some(&[(opt::DEVICE_ID, b"02:00:00:00:00:10")]),
        );
        assert_eq!(parse_query(&text).unwrap().edns.unwrap().mac, Some(mac));
        // base64 of 02 00 00 | 00 00 10, as dnsmasq's encoder writes it.
        let b64 = query("a.example", rtype::A, Some(&[(opt::DEVICE_ID, b"AgAAAAAQ")]));
        assert_eq!(parse_query(&b64).unwrap().edns.unwrap().mac, Some(mac));
        let short_ecs = query(
            "a.example",
            rtype::A,
            Some(&[(opt::CLIENT_SUBNET, &[0, 1, 24, 0, 192, 0, 2])]),
        );
        assert_eq!(parse_query(&short_ecs).unwrap().edns.unwrap().client, None);
    }
}
