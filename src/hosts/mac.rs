//! Who a host is: its MAC address, read in the notations admins and tools
//! write (`aa:bb:cc:dd:ee:ff`, `aa-bb-…`, `aabb.ccdd.eeff`, `aabbccddeeff`,
//! the `8:0:20:1:2:3` form of `/etc/ethers`) and always shown as lower-case
//! colon form; and the [`HostKey`] a host is filed under — its MAC when
//! known, else its address.
//!
//! Invariants: parsing never panics; an `Addr` key is always canonical
//! (an IPv4-mapped IPv6 address is stored as the IPv4 address), so one
//! machine never gets two keys from two spellings of its address; the
//! text form of a key parses back to the same key (a MAC never parses as
//! an IPv6 address and vice versa: six groups without `::` is not IPv6).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// A 48-bit Ethernet hardware address.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Mac(pub [u8; 6]);

impl Mac {
    /// The MAC in `b` when it is exactly six bytes (NFLOG's `NFULA_HWADDR`
    /// carries other lengths on non-Ethernet links).
    pub fn from_slice(b: &[u8]) -> Option<Mac> {
        <[u8; 6]>::try_from(b).ok().map(Mac)
    }

    /// Parses any common notation, case-insensitive, surrounding
    /// whitespace ignored; `None` for anything else.
    pub fn parse(s: &str) -> Option<Mac> {
        let s = s.trim();
        if s.contains(':') {
            groups(s, ':')
        } else if s.contains('-') {
            groups(s, '-')
        } else if s.contains('.') {
            // Cisco: three groups of four hex digits.
            let mut m = [0u8; 6];
            let mut parts = s.split('.');
            for pair in m.chunks_mut(2) {
                let p = parts.next()?;
                if p.len() != 4 {
                    return None;
                }
                let v = hex_u16(p)?;
                pair.copy_from_slice(&v.to_be_bytes());
            }
            parts.next().is_none().then_some(Mac(m))
        } else if s.len() == 12 {
            let mut m = [0u8; 6];
            for (i, b) in m.iter_mut().enumerate() {
                *b = hex_u8(s.get(2 * i..2 * i + 2)?)?;
            }
            Some(Mac(m))
        } else {
            None
        }
    }

    /// All zeroes: what the kernel shows for an incomplete neighbour.
    pub fn is_zero(&self) -> bool {
        self.0 == [0; 6]
    }
}

/// Six groups of one or two hex digits split by `sep`.
fn groups(s: &str, sep: char) -> Option<Mac> {
    let mut m = [0u8; 6];
    let mut parts = s.split(sep);
    for b in &mut m {
        let p = parts.next()?;
        if p.is_empty() || p.len() > 2 {
            return None;
        }
        *b = hex_u8(p)?;
    }
    parts.next().is_none().then_some(Mac(m))
}

fn hex_u8(s: &str) -> Option<u8> {
    // from_str_radix accepts a leading `+`; a MAC group must be digits only.
    s.bytes()
        .all(|c| c.is_ascii_hexdigit())
        .then(|| u8::from_str_radix(s, 16).ok())?
}

fn hex_u16(s: &str) -> Option<u16> {
    s.bytes()
        .all(|c| c.is_ascii_hexdigit())
        .then(|| u16::from_str_radix(s, 16).ok())?
}

impl fmt::Display for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            m[0], m[1], m[2], m[3], m[4], m[5]
        )
    }
}

impl fmt::Debug for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl From<[u8; 6]> for Mac {
    fn from(b: [u8; 6]) -> Mac {
        Mac(b)
    }
}

/// A text that is not a MAC address in any notation [`Mac::parse`] reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a MAC address: {0:?}")]
pub struct BadMac(pub String);

impl FromStr for Mac {
    type Err = BadMac;
    fn from_str(s: &str) -> Result<Mac, BadMac> {
        Mac::parse(s).ok_or_else(|| BadMac(s.to_string()))
    }
}

impl Serialize for Mac {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Mac {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Mac, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Mac::parse(&s).ok_or_else(|| serde::de::Error::custom(BadMac(s.into_owned())))
    }
}

/// The key a host is filed under: its MAC when known (stable across DHCP
/// renumbering and IPv6 privacy addresses), else its address.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub enum HostKey {
    /// A host whose MAC is known.
    Mac(Mac),
    /// A host known only by its (canonical) address.
    Addr(IpAddr),
}

impl HostKey {
    /// The key for an address alone, canonicalised.
    pub fn addr(a: IpAddr) -> HostKey {
        HostKey::Addr(a.to_canonical())
    }

    /// Reads the text form: a MAC in any notation, else an address.
    pub fn parse(s: &str) -> Option<HostKey> {
        if let Some(m) = Mac::parse(s) {
            return Some(HostKey::Mac(m));
        }
        s.trim().parse::<IpAddr>().ok().map(HostKey::addr)
    }
}

impl fmt::Display for HostKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostKey::Mac(m) => m.fmt(f),
            HostKey::Addr(a) => a.fmt(f),
        }
    }
}

impl Serialize for HostKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for HostKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<HostKey, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        HostKey::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("not a MAC or address: {s:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: Mac = Mac([0x02, 0xab, 0x00, 0x0c, 0x01, 0xff]);

    #[test]
    fn every_common_notation_parses() {
        for s in [
            "02:ab:00:0c:01:ff",
            "02:AB:00:0C:01:FF",
            " 02-ab-00-0c-01-ff\n",
            "02ab.000c.01ff",
            "02AB000C01FF",
            "2:ab:0:c:1:ff",
        ] {
            assert_eq!(Mac::parse(s), Some(M), "{s:?}");
        }
        assert_eq!(M.to_string(), "02:ab:00:0c:01:ff");
        assert_eq!(format!("{M:?}"), "02:ab:00:0c:01:ff");
    }

    #[test]
    fn garbage_is_not_a_mac() {
        for s in [
            "",
            "02:ab:00:0c:01",
            "02:ab:00:0c:01:ff:00",
            "02:ab:00:0c:01:fff",
            "02:ab:00:0c::ff",
            "02:ab-00:0c:01:ff",
            "+2:ab:00:0c:01:ff",
            "02ab.000c.01f",
            "02ab.000c.01ff.0000",
            "02ab000c01f",
            "02ab000c01fg",
            "zz:ab:00:0c:01:ff",
            "ü2ab000c01f",
            "2001:db8::1",
            "laptop",
        ] {
            assert_eq!(Mac::parse(s), None, "{s:?}");
        }
        assert_eq!("x".parse::<Mac>(), Err(BadMac("x".into())));
        assert_eq!(Mac::from_slice(&[1, 2, 3]), None);
        assert_eq!(Mac::from_slice(&M.0), Some(M));
    }

    #[test]
    fn keys_round_trip_and_canonicalise() {
        let k = HostKey::parse("::ffff:192.0.2.10").unwrap();
        assert_eq!(k, HostKey::Addr("192.0.2.10".parse().unwrap()));
        for k in [
            HostKey::Mac(M),
            HostKey::addr("2001:db8::1".parse().unwrap()),
            HostKey::addr("192.0.2.1".parse().unwrap()),
        ] {
            assert_eq!(HostKey::parse(&k.to_string()), Some(k));
            let j = serde_json::to_string(&k).unwrap();
            assert_eq!(serde_json::from_str::<HostKey>(&j).unwrap(), k);
        }
        // Six groups is a MAC, never an IPv6 address.
        assert_eq!(
            HostKey::parse("1:2:3:4:5:6"),
            Some(HostKey::Mac(Mac([1, 2, 3, 4, 5, 6])))
        );
        assert_eq!(HostKey::parse("laptop"), None);
        assert!(serde_json::from_str::<HostKey>("\"laptop\"").is_err());
        assert!(serde_json::from_str::<Mac>("\"02:ab\"").is_err());
    }
}
