//! One hit, from either enforcement path: a packet to a listed address
//! (NFLOG, `kind` `ip`) or a query for a listed domain (the sinkhole,
//! `kind` `dns`). The [`Event`] is what the host table records and what
//! the JSON-lines event log holds, one event per line:
//!
//! ```text
//! {"kind":"ip","time":1764366000,"ts":"2025-11-28T21:40:00Z","src":"192.168.1.10","mac":"02:00:00:00:00:0a","dst":"203.0.113.5","proto":"tcp","dport":443,"iif":"br-lan","oif":"wan","listed":"203.0.113.0/24","feeds":["campaign"]}
//! {"kind":"dns","time":1764366001,"ts":"2025-11-28T21:40:01Z","src":"192.168.1.10","name":"www.evil.example","qtype":"AAAA","listed":"evil.example","feeds":["campaign"]}
//! ```
//!
//! Absent optional fields are left out; `ts` is for people reading the
//! file and ignored when parsing; unknown fields are ignored, so an older
//! reader accepts a newer writer's lines. Parsing never panics and names
//! the line and field of anything it refuses ([`EventError`]).

use super::mac::Mac;
use crate::clock::utc_iso8601;
use crate::qtype::qtype_name;
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// Which enforcement path saw the hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A packet to a listed address (NFLOG).
    Ip,
    /// A query for a listed domain (DNS sinkhole).
    Dns,
}

impl Kind {
    /// `ip` or `dns`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Ip => "ip",
            Kind::Dns => "dns",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An IP protocol, named when common; written `tcp`, `udp`, `icmp`,
/// `icmpv6`, or the decimal number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Proto {
    /// 6.
    Tcp,
    /// 17.
    Udp,
    /// 1.
    Icmp,
    /// 58.
    Icmpv6,
    /// Any other protocol number.
    Other(u8),
}

impl Proto {
    /// The protocol with IANA number `n`.
    pub fn from_number(n: u8) -> Proto {
        match n {
            6 => Proto::Tcp,
            17 => Proto::Udp,
            1 => Proto::Icmp,
            58 => Proto::Icmpv6,
            n => Proto::Other(n),
        }
    }

    /// The IANA number.
    pub fn number(self) -> u8 {
        match self {
            Proto::Tcp => 6,
            Proto::Udp => 17,
            Proto::Icmp => 1,
            Proto::Icmpv6 => 58,
            Proto::Other(n) => n,
        }
    }
}

impl fmt::Display for Proto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Proto::Tcp => f.write_str("tcp"),
            Proto::Udp => f.write_str("udp"),
            Proto::Icmp => f.write_str("icmp"),
            Proto::Icmpv6 => f.write_str("icmpv6"),
            Proto::Other(n) => write!(f, "{n}"),
        }
    }
}

impl FromStr for Proto {
    type Err = ();
    /// A name (any case) or a decimal number.
    fn from_str(s: &str) -> Result<Proto, ()> {
        match s.to_ascii_lowercase().as_str() {
            "tcp" => Ok(Proto::Tcp),
            "udp" => Ok(Proto::Udp),
            "icmp" => Ok(Proto::Icmp),
            "icmpv6" | "ipv6-icmp" => Ok(Proto::Icmpv6),
            n => n.parse::<u8>().map(Proto::from_number).map_err(|_| ()),
        }
    }
}

impl Serialize for Proto {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Proto {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Proto, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse()
            .map_err(|_| serde::de::Error::custom(format!("not a protocol: {s:?}")))
    }
}

/// What an `ip` hit adds: where the packet went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpHit {
    /// Destination address.
    pub dst: IpAddr,
    /// IP protocol.
    pub proto: Proto,
    /// Destination port (TCP, UDP, SCTP…), when the packet has one.
    pub dport: Option<u16>,
    /// Input interface name, when known.
    pub iif: Option<String>,
    /// Output interface name, when known.
    pub oif: Option<String>,
}

/// What a `dns` hit adds: the question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsHit {
    /// The queried name (lower case, no trailing dot).
    pub name: String,
    /// QTYPE.
    pub qtype: u16,
}

/// The path-specific part of an [`Event`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hit {
    /// A blocked packet.
    Ip(IpHit),
    /// A blocked query.
    Dns(DnsHit),
}

/// One hit on a listed indicator by an internal host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Unix time, seconds.
    pub time: u64,
    /// The internal host's address.
    pub src: IpAddr,
    /// The internal host's MAC, when known.
    pub mac: Option<Mac>,
    /// Path-specific detail.
    pub hit: Hit,
    /// The listed indicator that matched (`203.0.113.0/24`, `evil.example`).
    pub listed: String,
    /// The feeds that list it.
    pub feeds: Vec<String>,
}

/// A line of the event log that is not an event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EventError {
    /// Not JSON, or a field of the wrong JSON type.
    #[error("event line {line}: {message}")]
    Syntax {
        /// 1-based line number.
        line: usize,
        /// What serde_json said (with the column).
        message: String,
    },
    /// A field this kind of event needs is absent.
    #[error("event line {line}: missing field {field:?}")]
    Missing {
        /// 1-based line number.
        line: usize,
        /// The field.
        field: &'static str,
    },
    /// A field's value is not what it should be.
    #[error("event line {line}: field {field:?}: bad value {value:?}")]
    Value {
        /// 1-based line number.
        line: usize,
        /// The field.
        field: &'static str,
        /// The value, as found.
        value: String,
    },
}

/// QTYPEs [`qtype_name`] names; parsing checks them so both directions
/// agree without keeping a second table.
const NAMED_QTYPES: [u16; 12] = [1, 2, 5, 6, 12, 15, 16, 28, 33, 64, 65, 255];

/// QTYPE from its mnemonic (any case), `TYPEn` (RFC 3597) or a number.
pub fn parse_qtype(s: &str) -> Option<u16> {
    let up = s.to_ascii_uppercase();
    if let Some(t) = NAMED_QTYPES.iter().find(|&&t| qtype_name(t) == up) {
        return Some(*t);
    }
    up.strip_prefix("TYPE").unwrap_or(&up).parse().ok()
}

impl Event {
    /// `ip` or `dns`.
    pub fn kind(&self) -> Kind {
        match self.hit {
            Hit::Ip(_) => Kind::Ip,
            Hit::Dns(_) => Kind::Dns,
        }
    }

    /// The JSON-lines form, without the newline.
    pub fn to_line(&self) -> String {
        // Serialising plain strings and numbers into a String cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads one line of the event log; `line` (1-based) is for errors.
    pub fn from_line(text: &str, line: usize) -> Result<Event, EventError> {
        let w: Wire = serde_json::from_str(text).map_err(|e| EventError::Syntax {
            line,
            message: e.to_string(),
        })?;
        let missing = |field| EventError::Missing { line, field };
        let bad = |field, value: &str| EventError::Value {
            line,
            field,
            value: value.to_string(),
        };
        let src = w.src.parse::<IpAddr>().map_err(|_| bad("src", &w.src))?;
        let mac = match &w.mac {
            Some(m) => Some(Mac::parse(m).ok_or_else(|| bad("mac", m))?),
            None => None,
        };
        let hit = match w.kind.as_str() {
            "ip" => {
                let dst = w.dst.ok_or_else(|| missing("dst"))?;
                let proto = w.proto.ok_or_else(|| missing("proto"))?;
                Hit::Ip(IpHit {
                    dst: dst.parse().map_err(|_| bad("dst", &dst))?,
                    proto: proto.parse().map_err(|_| bad("proto", &proto))?,
                    dport: w.dport,
                    iif: w.iif,
                    oif: w.oif,
                })
            }
            "dns" => {
                let name = w.name.ok_or_else(|| missing("name"))?;
                let qtype = w.qtype.ok_or_else(|| missing("qtype"))?;
                Hit::Dns(DnsHit {
                    qtype: parse_qtype(&qtype).ok_or_else(|| bad("qtype", &qtype))?,
                    name,
                })
            }
            other => return Err(bad("kind", other)),
        };
        if w.listed.is_empty() {
            return Err(bad("listed", ""));
        }
        Ok(Event {
            time: w.time,
            src: src.to_canonical(),
            mac,
            hit,
            listed: w.listed,
            feeds: w.feeds,
        })
    }

    /// One line for people (control characters shown as `?`).
    pub fn render(&self) -> String {
        let mac = self.mac.map_or_else(|| "-".to_string(), |m| m.to_string());
        let what = match &self.hit {
            Hit::Ip(h) => {
                let port = h.dport.map(|p| format!("/{p}")).unwrap_or_default();
                format!("-> {} {}{}", h.dst, h.proto, port)
            }
            Hit::Dns(h) => format!("{} {}", printable(&h.name), qtype_name(h.qtype)),
        };
        let feeds = self
            .feeds
            .iter()
            .map(|f| printable(f))
            .collect::<Vec<_>>()
            .join(",");
        format!(
            "{} {} {} {} {} listed {} ({})",
            utc_iso8601(self.time),
            self.kind(),
            self.src,
            mac,
            what,
            printable(&self.listed),
            if feeds.is_empty() { "-" } else { &feeds }
        )
    }
}

/// `s` with control characters replaced, so a name from the wire cannot
/// move the admin's cursor or forge a line.
pub(crate) fn printable(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { '?' } else { c }).collect()
}

impl Serialize for Event {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("kind", &self.kind())?;
        m.serialize_entry("time", &self.time)?;
        m.serialize_entry("ts", &utc_iso8601(self.time))?;
        m.serialize_entry("src", &self.src)?;
        if let Some(mac) = &self.mac {
            m.serialize_entry("mac", mac)?;
        }
        match &self.hit {
            Hit::Ip(h) => {
                m.serialize_entry("dst", &h.dst)?;
                m.serialize_entry("proto", &h.proto)?;
                if let Some(p) = h.dport {
                    m.serialize_entry("dport", &p)?;
                }
                if let Some(i) = &h.iif {
                    m.serialize_entry("iif", i)?;
                }
                if let Some(o) = &h.oif {
                    m.serialize_entry("oif", o)?;
                }
            }
            Hit::Dns(h) => {
                m.serialize_entry("name", &h.name)?;
                m.serialize_entry("qtype", &qtype_name(h.qtype))?;
            }
        }
        m.serialize_entry("listed", &self.listed)?;
        m.serialize_entry("feeds", &self.feeds)?;
        m.end()
    }
}

/// The line as read, before the fields are checked against `kind`.
#[derive(Deserialize)]
struct Wire {
    kind: String,
    time: u64,
    src: String,
    mac: Option<String>,
    dst: Option<String>,
    proto: Option<String>,
    dport: Option<u16>,
    iif: Option<String>,
    oif: Option<String>,
    name: Option<String>,
    qtype: Option<String>,
    listed: String,
    #[serde(default)]
    feeds: Vec<String>,
}

/// The events of a JSON-lines text, each with its 1-based line number in
/// errors; blank lines are skipped. The caller decides whether one bad
/// line stops it (strict import) or is skipped and counted (tailing a log
/// whose last line may be torn).
pub fn parse_lines(text: &str) -> impl Iterator<Item = Result<Event, EventError>> + '_ {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| Event::from_line(l, i + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    const IP_LINE: &str = r#"{"kind":"ip","time":1764366000,"ts":"2025-11-28T21:40:00Z","src":"192.168.1.10","mac":"02:00:00:00:00:0a","dst":"203.0.113.5","proto":"tcp","dport":443,"iif":"br-lan","oif":"wan","listed":"203.0.113.0/24","feeds":["campaign"]}"#;
    const DNS_LINE: &str = r#"{"kind":"dns","time":1764366001,"ts":"2025-11-28T21:40:01Z","src":"192.168.1.10","name":"www.evil.example","qtype":"AAAA","listed":"evil.example","feeds":["campaign","extra"]}"#;

    fn ip_event() -> Event {
        Event {
            time: 1_764_366_000,
            src: "192.168.1.10".parse().unwrap(),
            mac: Some(Mac([2, 0, 0, 0, 0, 10])),
            hit: Hit::Ip(IpHit {
                dst: "203.0.113.5".parse().unwrap(),
                proto: Proto::Tcp,
                dport: Some(443),
                iif: Some("br-lan".into()),
                oif: Some("wan".into()),
            }),
            listed: "203.0.113.0/24".into(),
            feeds: vec!["campaign".into()],
        }
    }

    #[test]
    fn lines_have_the_documented_shape() {
        let e = ip_event();
        assert_eq!(e.to_line(), IP_LINE);
        assert_eq!(Event::from_line(IP_LINE, 1).unwrap(), e);
        let d = Event::from_line(DNS_LINE, 2).unwrap();
        assert_eq!(d.kind(), Kind::Dns);
        assert_eq!(d.mac, None);
        assert_eq!(
            d.hit,
            Hit::Dns(DnsHit {
                name: "www.evil.example".into(),
                qtype: 28
            })
        );
        assert_eq!(d.to_line(), DNS_LINE);
    }

    #[test]
    fn renders_for_people() {
        assert_eq!(
            ip_event().render(),
            "2025-11-28T21:40:00Z ip 192.168.1.10 02:00:00:00:00:0a -> 203.0.113.5 tcp/443 listed 203.0.113.0/24 (campaign)"
        );
        let mut d = Event::from_line(DNS_LINE, 1).unwrap();
        d.hit = Hit::Dns(DnsHit {
            name: "a\x1b[2Jb.evil.example".into(),
            qtype: 1,
        });
        d.feeds.clear();
        assert_eq!(
            d.render(),
            "2025-11-28T21:40:01Z dns 192.168.1.10 - a?[2Jb.evil.example A listed evil.example (-)"
        );
    }

    #[test]
    fn garbage_is_refused_with_line_and_field() {
        let cases: &[(&str, EventError)] = &[
            (
                r#"{"kind":"ip","time":1,"src":"10.0.0.1","proto":"tcp","listed":"x"}"#,
                EventError::Missing {
                    line: 7,
                    field: "dst",
                },
            ),
            (
                r#"{"kind":"dns","time":1,"src":"10.0.0.1","name":"a","listed":"x"}"#,
                EventError::Missing {
                    line: 7,
                    field: "qtype",
                },
            ),
            (
                r#"{"kind":"smtp","time":1,"src":"10.0.0.1","listed":"x"}"#,
                EventError::Value {
                    line: 7,
                    field: "kind",
                    value: "smtp".into(),
                },
            ),
            (
                r#"{"kind":"ip","time":1,"src":"10.0.0.300","dst":"1.1.1.1","proto":"tcp","listed":"x"}"#,
                EventError::Value {
                    line: 7,
                    field: "src",
                    value: "10.0.0.300".into(),
                },
            ),
            (
                r#"{"kind":"ip","time":1,"src":"10.0.0.1","mac":"02:00","dst":"1.1.1.1","proto":"tcp","listed":"x"}"#,
                EventError::Value {
                    line: 7,
                    field: "mac",
                    value: "02:00".into(),
                },
            ),
            (
                r#"{"kind":"ip","time":1,"src":"10.0.0.1","dst":"1.1.1.1","proto":"tcpx","listed":"x"}"#,
                EventError::Value {
                    line: 7,
                    field: "proto",
                    value: "tcpx".into(),
                },
            ),
            (
                r#"{"kind":"dns","time":1,"src":"10.0.0.1","name":"a","qtype":"BOGUS","listed":"x"}"#,
                EventError::Value {
                    line: 7,
                    field: "qtype",
                    value: "BOGUS".into(),
                },
            ),
            (
                r#"{"kind":"dns","time":1,"src":"10.0.0.1","name":"a","qtype":"A","listed":""}"#,
                EventError::Value {
                    line: 7,
                    field: "listed",
                    value: "".into(),
                },
            ),
        ];
        for (text, want) in cases {
            assert_eq!(&Event::from_line(text, 7).unwrap_err(), want, "{text}");
        }
        for text in [
            "",
            "garbage",
            "{",
            r#"{"kind":"ip","time":-1}"#,
            r#"{"kind":"ip","time":"1","src":"10.0.0.1","listed":"x"}"#,
            r#"{"kind":"dns","time":1,"src":"10.0.0.1","name":"a","qtype":"A","listed":"x","dport":70000}"#,
            &IP_LINE[..IP_LINE.len() - 1],
        ] {
            let e = Event::from_line(text, 3).unwrap_err();
            assert!(matches!(e, EventError::Syntax { line: 3, .. }), "{text}: {e}");
        }
        assert!(Event::from_line(IP_LINE, 3).is_ok());
    }

    #[test]
    fn jsonl_numbers_lines_and_skips_blanks() {
        let text = format!("{IP_LINE}\n\n{DNS_LINE}\nnot json\n");
        let r: Vec<_> = parse_lines(&text).collect();
        assert_eq!(r.len(), 3);
        assert!(r[0].is_ok() && r[1].is_ok());
        assert!(matches!(r[2], Err(EventError::Syntax { line: 4, .. })));
    }

    #[test]
    fn protocols_and_qtypes_both_ways() {
        for n in 0..=255u8 {
            let p = Proto::from_number(n);
            assert_eq!(p.number(), n);
            assert_eq!(p.to_string().parse::<Proto>(), Ok(p));
        }
        assert_eq!("47".parse::<Proto>(), Ok(Proto::Other(47)));
        assert_eq!("TCP".parse::<Proto>(), Ok(Proto::Tcp));
        assert!("256".parse::<Proto>().is_err());
        for t in NAMED_QTYPES {
            assert_eq!(parse_qtype(&qtype_name(t)), Some(t));
        }
        assert_eq!(parse_qtype("aaaa"), Some(28));
        assert_eq!(parse_qtype("TYPE999"), Some(999));
        assert_eq!(parse_qtype("999"), Some(999));
        assert_eq!(parse_qtype("TYPE"), None);
        assert_eq!(parse_qtype("TYPE70000"), None);
    }
}
