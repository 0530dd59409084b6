//! What enforcement should do, as plain data: [`EnforceConfig`]. Filled
//! from command-line flags today and from the UCI file later; nothing here
//! reads files or talks to the kernel.

use crate::indicator::{V4Prefix, V6Prefix};
use std::net::IpAddr;
use std::path::PathBuf;

/// What happens to a packet to a listed destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Action {
    /// TCP reset for TCP, ICMP administratively prohibited otherwise: the
    /// client fails at once instead of retrying into a timeout.
    #[default]
    Reject,
    /// Silently dropped.
    Drop,
}

impl Action {
    /// Parses the UCI/CLI spelling (`reject` or `drop`).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "reject" => Some(Action::Reject),
            "drop" => Some(Action::Drop),
            _ => None,
        }
    }
}

/// The enforcement configuration (UCI `config iocguard 'main'` options).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnforceConfig {
    /// nftables table name, family inet (`option table`).
    pub table: String,
    /// NFLOG group for blocked attempts (`option nflog_group`).
    pub nflog_group: u16,
    /// Log messages per second shared by every log rule (`option log_rate`).
    pub log_rate: u32,
    /// Packets allowed above the rate in a burst.
    pub log_burst: u32,
    /// Reject or drop (`option action`).
    pub action: Action,
    /// LAN networks (`list lan`): who the DNS controls apply to.
    pub lan_v4: Vec<V4Prefix>,
    /// LAN networks, IPv6.
    pub lan_v6: Vec<V6Prefix>,
    /// LAN interfaces; when set they select LAN traffic instead of
    /// `lan_v4`/`lan_v6`.
    pub lan_ifs: Vec<String>,
    /// The router's addresses for DNS; empty means "any local address"
    /// (the `fib daddr type local` test).
    pub router_addrs: Vec<IpAddr>,
    /// Redirect LAN port-53 traffic not aimed at the router to the router
    /// (`option force_dns`).
    pub force_dns: bool,
    /// Reject DNS over TLS (853) from the LAN to anyone but the router
    /// (`option block_dot`).
    pub block_dot: bool,
    /// Also drop packets coming *from* listed sources (`option inbound`).
    pub inbound: bool,
    /// Never-blocked IPv4 destinations, installed as the allow set.
    pub allow_v4: Vec<V4Prefix>,
    /// Never-blocked IPv6 destinations.
    pub allow_v6: Vec<V6Prefix>,
    /// RAM directory for runtime state (`option run_dir`), here the record
    /// of committed set contents.
    pub run_dir: PathBuf,
}

impl Default for EnforceConfig {
    fn default() -> Self {
        Self {
            table: "iocguard".into(),
            nflog_group: 10,
            log_rate: 10,
            log_burst: 20,
            action: Action::Reject,
            lan_v4: Vec::new(),
            lan_v6: Vec::new(),
            lan_ifs: Vec::new(),
            router_addrs: Vec::new(),
            force_dns: true,
            block_dot: true,
            inbound: false,
            allow_v4: Vec::new(),
            allow_v6: Vec::new(),
            run_dir: PathBuf::from("/tmp/iocguard"),
        }
    }
}

impl EnforceConfig {
    /// Checks what nft would otherwise reject with a less helpful message.
    pub fn validate(&self) -> Result<(), String> {
        let ok_name = |s: &str| {
            !s.is_empty()
                && s.len() <= 31
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
                && s.as_bytes()[0].is_ascii_alphabetic()
        };
        if !ok_name(&self.table) {
            return Err(format!(
                "table name {:?} must start with a letter and hold only letters, digits, _ and - (max 31)",
                self.table
            ));
        }
        if let Some(i) = self.lan_ifs.iter().find(|i| {
            i.is_empty()
                || i.len() > 15
                || !i
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.@".contains(&b))
        }) {
            return Err(format!("interface name {i:?} is not valid"));
        }
        if self.log_rate == 0 {
            return Err("log rate must be at least 1/second".into());
        }
        Ok(())
    }
}

impl EnforceConfig {
    /// The enforcement settings of a UCI configuration (`config iocguard
    /// 'main'` and the IP entries of `config allow`).
    pub fn from_config(cfg: &crate::config::Config) -> Result<Self, String> {
        use crate::feed::token::parse_indicator;
        use crate::indicator::Indicator;
        let m = &cfg.main;
        let mut e = EnforceConfig {
            table: m.table.clone(),
            nflog_group: m.nflog_group,
            action: if m.reject { Action::Reject } else { Action::Drop },
            force_dns: m.force_dns,
            block_dot: m.block_dot,
            inbound: m.inbound,
            run_dir: m.run_dir.clone(),
            ..EnforceConfig::default()
        };
        // `log_rate '10/second'`: the number before the slash.
        let rate = m.log_rate.split('/').next().unwrap_or("").trim();
        e.log_rate = rate
            .parse()
            .map_err(|_| format!("option log_rate {:?} is not N/second", m.log_rate))?;
        e.log_burst = e.log_rate.saturating_mul(2);
        for l in &m.lan {
            match parse_indicator(l) {
                Ok(Indicator::V4(p)) => e.lan_v4.push(p),
                Ok(Indicator::V6(p)) => e.lan_v6.push(p),
                _ => return Err(format!("list lan {l:?} is not an IP network")),
            }
        }
        for a in &cfg.gate.allow {
            match a {
                Indicator::V4(p) => e.allow_v4.push(*p),
                Indicator::V6(p) => e.allow_v6.push(*p),
                Indicator::Domain(_) => {} // the sinkhole's business
            }
        }
        e.validate()?;
        Ok(e)
    }
}
