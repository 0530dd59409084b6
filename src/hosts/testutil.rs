//! Fixtures shared by the unit tests of the host log and its readers.

use super::{Event, Hit, IpHit, Mac, Proto};

/// A blocked connection at `time` from `src` (MAC `mac`) to 203.0.113.5,
/// TCP 443, listed as 203.0.113.0/24 by feed "campaign".
pub fn ip_event(time: u64, src: &str, mac: Option<Mac>) -> Event {
    Event {
        time,
        src: src.parse().unwrap(),
        mac,
        hit: Hit::Ip(IpHit {
            dst: "203.0.113.5".parse().unwrap(),
            proto: Proto::Tcp,
            dport: Some(443),
            iif: None,
            oif: None,
        }),
        listed: "203.0.113.0/24".into(),
        feeds: vec!["campaign".into()],
    }
}

/// `02:00:00:00:00:n`, the MAC of the test host numbered `n`.
pub fn mac(n: u8) -> Mac {
    Mac([2, 0, 0, 0, 0, n])
}
