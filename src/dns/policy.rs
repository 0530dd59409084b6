//! Pure decisions of the sinkhole: who may ask (LAN ACL), how often (a
//! per-client token bucket with the time passed in), what a blocked name
//! is answered with, and which resolvers the rest goes to.

use super::wire::Blocked;
use std::net::{IpAddr, SocketAddr};

/// A configuration value the DNS server cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("dns option {option}: {value:?} {why}")]
pub struct PolicyError {
    /// The option (`answer`, `listen`, `upstream`, `lan`).
    pub option: &'static str,
    /// The value as written.
    pub value: String,
    /// Why it is unusable.
    pub why: &'static str,
}

/// Parses `option answer`: `nxdomain`, `zero`, or a sinkhole IP.
pub fn parse_answer(v: &str) -> Result<Blocked, PolicyError> {
    match v {
        "nxdomain" | "" => Ok(Blocked::NxDomain),
        "zero" => Ok(Blocked::Zero),
        ip => ip.parse().map(Blocked::Sinkhole).map_err(|_| PolicyError {
            option: "answer",
            value: v.into(),
            why: "is not nxdomain, zero or an IP address",
        }),
    }
}

/// Parses a socket address as written in UCI: `IP`, `IP:port`,
/// `[IPv6]:port`, or dnsmasq's `IP#port`; `default_port` when absent.
pub fn parse_addr(v: &str, default_port: u16) -> Option<SocketAddr> {
    let v = v.trim();
    if let Ok(sa) = v.parse::<SocketAddr>() {
        return Some(sa);
    }
    if let Some((ip, port)) = v.split_once('#') {
        return Some(SocketAddr::new(ip.parse().ok()?, port.parse().ok()?));
    }
    let ip = v.strip_prefix('[').and_then(|x| x.strip_suffix(']')).unwrap_or(v);
    Some(SocketAddr::new(ip.parse().ok()?, default_port))
}

/// The `nameserver` lines of a resolv.conf.
pub fn resolv_conf_servers(text: &str) -> Vec<SocketAddr> {
    text.lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            (w.next()? == "nameserver").then_some(())?;
            // A scoped link-local (`fe80::1%eth0`) needs the scope id,
            // which std's parser lacks: such servers are skipped.
            parse_addr(w.next()?, 53)
        })
        .collect()
}

/// Upstreams that are not iocguard itself: a resolv.conf pointing at
/// 127.0.0.1 while we listen on 127.0.0.1:53 (or 0.0.0.0:53) would loop.
pub fn without_self(upstreams: Vec<SocketAddr>, listen: &[SocketAddr]) -> Vec<SocketAddr> {
    upstreams
        .into_iter()
        .filter(|u| {
            !listen.iter().any(|l| {
                l.port() == u.port()
                    && (l.ip() == u.ip() || (l.ip().is_unspecified() && u.ip().is_loopback()))
            })
        })
        .collect()
}

/// The networks whose hosts get answers; loopback always does.
#[derive(Debug, Clone, Default)]
pub struct Acl {
    nets: Vec<(IpAddr, u8)>,
}

impl Acl {
    /// From `main.lan` (`192.168.1.0/24`, `2001:db8::/32`, or a host).
    pub fn new(lan: &[String]) -> Result<Acl, PolicyError> {
        let mut nets = Vec::new();
        for v in lan {
            let bad = || PolicyError {
                option: "lan",
                value: v.clone(),
                why: "is not an IP network",
            };
            let (ip, len) = match v.split_once('/') {
                Some((ip, len)) => (ip, Some(len)),
                None => (v.as_str(), None),
            };
            let ip: IpAddr = ip.trim().parse().map_err(|_| bad())?;
            let max = if ip.is_ipv4() { 32 } else { 128 };
            let len = match len {
                Some(l) => l
                    .trim()
                    .parse::<u8>()
                    .ok()
                    .filter(|&l| l <= max)
                    .ok_or_else(bad)?,
                None => max,
            };
            nets.push((ip, len));
        }
        Ok(Acl { nets })
    }

    /// True when `ip` may use the resolver.
    pub fn allows(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        ip.is_loopback() || self.nets.iter().any(|&(net, len)| in_net(ip, net, len))
    }
}

fn in_net(ip: IpAddr, net: IpAddr, len: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = if len == 0 {
                0
            } else {
                u32::MAX << (32 - len as u32)
            };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = if len == 0 {
                0
            } else {
                u128::MAX << (128 - len as u32)
            };
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

/// Per-client token buckets in a fixed table: bounded memory whatever the
/// number of clients. Clients whose addresses hash to the same slot take
/// it over from each other (a newcomer starts with a full bucket), which
/// errs on the side of answering.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    slots: Vec<Bucket>,
    /// Tokens per second.
    rate: u32,
    /// Bucket size.
    burst: u32,
    /// Queries refused so far.
    pub limited: u64,
}

#[derive(Debug, Clone, Copy, Default)]
struct Bucket {
    key: u128,
    used: bool,
    /// Thousandths of a token.
    milli: u64,
    last_ms: u64,
}

impl RateLimiter {
    /// `rate` queries per second with bursts of `burst`, over `slots`
    /// buckets. `rate` 0 disables the limit.
    pub fn new(rate: u32, burst: u32, slots: usize) -> Self {
        RateLimiter {
            slots: vec![Bucket::default(); slots.max(1)],
            rate,
            burst: burst.max(1),
            limited: 0,
        }
    }

    /// Takes one token for `ip` at `now_ms` (any monotonic milliseconds);
    /// false when its bucket is empty.
    pub fn allow(&mut self, ip: IpAddr, now_ms: u64) -> bool {
        if self.rate == 0 {
            return true;
        }
        let key = match ip.to_canonical() {
            IpAddr::V4(a) => u32::from(a) as u128,
            IpAddr::V6(a) => u128::from(a),
        };
        let h = (key ^ (key >> 64)) as u64;
        let idx = (h.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32) as usize % self.slots.len();
        let cap = self.burst as u64 * 1000;
        let b = &mut self.slots[idx];
        if !b.used || b.key != key {
            *b = Bucket {
                key,
                used: true,
                milli: cap,
                last_ms: now_ms,
            };
        }
        let elapsed = now_ms.saturating_sub(b.last_ms);
        b.milli = (b.milli + elapsed.saturating_mul(self.rate as u64)).min(cap);
        b.last_ms = now_ms.max(b.last_ms);
        if b.milli >= 1000 {
            b.milli -= 1000;
            true
        } else {
            self.limited += 1;
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers() {
        assert_eq!(parse_answer("nxdomain"), Ok(Blocked::NxDomain));
        assert_eq!(parse_answer("zero"), Ok(Blocked::Zero));
        assert_eq!(
            parse_answer("192.0.2.1"),
            Ok(Blocked::Sinkhole("192.0.2.1".parse().unwrap()))
        );
        let e = parse_answer("bogus").unwrap_err();
        assert_eq!(
            e.to_string(),
            "dns option answer: \"bogus\" is not nxdomain, zero or an IP address"
        );
    }

    #[test]
    fn addresses() {
        assert_eq!(parse_addr("192.0.2.1", 53), Some("192.0.2.1:53".parse().unwrap()));
        assert_eq!(
            parse_addr("127.0.0.1#5353", 53),
            Some("127.0.0.1:5353".parse().unwrap())
        );
        assert_eq!(
            parse_addr("[2001:db8::1]:54", 53),
            Some("[2001:db8::1]:54".parse().unwrap())
        );
        assert_eq!(
            parse_addr("2001:db8::1", 53),
            Some("[2001:db8::1]:53".parse().unwrap())
        );
        assert_eq!(parse_addr("nope", 53), None);
        let s = resolv_conf_servers("# x\nnameserver 198.51.100.1\nsearch lan\nnameserver 2001:db8::53\n");
        assert_eq!(s.len(), 2);
        let listen = ["0.0.0.0:53".parse().unwrap()];
        let up = without_self(
            vec!["127.0.0.1:53".parse().unwrap(), "127.0.0.1:5353".parse().unwrap()],
            &listen,
        );
        assert_eq!(up, vec!["127.0.0.1:5353".parse().unwrap()]);
    }

    #[test]
    fn acl() {
        let acl = Acl::new(&[
            "192.0.2.0/24".into(),
            "2001:db8::/32".into(),
            "198.51.100.7".into(),
        ])
        .unwrap();
        for ok in [
            "192.0.2.99",
            "2001:db8::5",
            "198.51.100.7",
            "127.0.0.1",
            "::1",
            "::ffff:192.0.2.3",
        ] {
            assert!(acl.allows(ok.parse().unwrap()), "{ok}");
        }
        for no in ["192.0.3.1", "198.51.100.8", "2001:db9::1", "203.0.113.1"] {
            assert!(!acl.allows(no.parse().unwrap()), "{no}");
        }
        assert!(Acl::new(&["192.0.2.0/33".into()]).is_err());
        assert!(!Acl::default().allows("192.0.2.1".parse().unwrap()));
    }

    #[test]
    fn token_bucket() {
        let ip: IpAddr = "192.0.2.10".parse().unwrap();
        let other: IpAddr = "192.0.2.11".parse().unwrap();
        let mut rl = RateLimiter::new(10, 5, 64);
        for _ in 0..5 {
            assert!(rl.allow(ip, 1000));
        }
        assert!(!rl.allow(ip, 1000), "burst spent");
        assert!(rl.allow(other, 1000), "others unaffected");
        assert!(!rl.allow(ip, 1050), "half a token after 50 ms");
        assert!(rl.allow(ip, 1100), "one token after 100 ms");
        assert!(!rl.allow(ip, 1100));
        // A long pause refills only up to the burst.
        let granted = (0..20).filter(|_| rl.allow(ip, 100_000)).count();
        assert_eq!(granted, 5);
        assert_eq!(rl.limited, 3 + 15);
        // Time going backwards never panics nor grants extra.
        assert!(!rl.allow(ip, 10));
        assert!(RateLimiter::new(0, 0, 1).allow(ip, 0));
    }
}
