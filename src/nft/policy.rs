//! What enforcement should do, as plain data: [`EnforceConfig`]. Filled
//! from `apply`'s flags (`cmd::apply`) or from the UCI file
//! (`sync::install`); nothing here reads files or talks to the kernel.

use crate::indicator::{Indicator, V4Prefix, V6Prefix};
use crate::rate::{Per, Rate};
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
    /// Log messages shared by every log rule (`option log_rate`).
    pub log_rate: Rate,
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
    /// The notice page's port (`option notice_port`) when the notice is
    /// on: plain HTTP of the hosts in the notice sets goes there.
    pub notice_port: Option<u16>,
    /// The address blocked names resolve to (`dns.answer` set to an IP):
    /// LAN HTTP to it goes to the notice page too, which names the
    /// blocked site.
    pub sinkhole_addrs: Vec<IpAddr>,
}

impl Default for EnforceConfig {
    fn default() -> Self {
        Self {
            table: "iocguard".into(),
            nflog_group: 10,
            log_rate: Rate {
                count: 10,
                per: Per::Second,
            },
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
            notice_port: None,
            sinkhole_addrs: Vec::new(),
        }
    }
}

impl EnforceConfig {
    /// Adds a LAN network by family; false when `value` is not an IP
    /// address or network (the caller names the flag or option).
    pub fn add_lan(&mut self, value: &str) -> bool {
        match crate::indicator::parse_indicator(value) {
            Ok(Indicator::V4(p)) => self.lan_v4.push(p),
            Ok(Indicator::V6(p)) => self.lan_v6.push(p),
            _ => return false,
        }
        true
    }

    /// Adds an allowlist entry by family; domains are the sinkhole's
    /// business and are skipped.
    pub fn add_allow(&mut self, entry: &Indicator) {
        match entry {
            Indicator::V4(p) => self.allow_v4.push(*p),
            Indicator::V6(p) => self.allow_v6.push(*p),
            Indicator::Domain(_) => {}
        }
    }

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
        if self.log_rate.count == 0 {
            return Err("log rate must be at least 1".into());
        }
        Ok(())
    }
}
