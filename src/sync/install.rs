//! Installing what sync accepted: the configuration's enforcement settings
//! ([`enforce_config`]) and the set built from the last-good copies
//! ([`install`]), for `sync`, `apply` without `--feed` and the daemon.

use super::{build_doh_from_cache, build_ranges_from_cache};
use crate::config::Config;
use crate::indicator::{Gate, IndicatorSet};
use crate::nft::{self, Action, EnforceConfig, NftError};
use crate::state::{FeedCache, StateError};

/// Why installing failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InstallError {
    /// The configuration's enforcement settings are unusable.
    #[error("{path}: {message}")]
    Config {
        /// The configuration file.
        path: String,
        /// What is wrong, naming the option.
        message: String,
    },
    /// The last-good cache could not be read.
    #[error(transparent)]
    State(#[from] StateError),
    /// The kernel (or nft) refused.
    #[error(transparent)]
    Nft(#[from] NftError),
}

/// The enforcement settings of a UCI configuration (`config iocguard
/// 'main'` and the IP entries of `config allow`).
pub fn enforce_config(cfg: &Config) -> Result<EnforceConfig, InstallError> {
    let bad = |message: String| InstallError::Config {
        path: cfg.path.display().to_string(),
        message,
    };
    let m = &cfg.main;
    let mut e = EnforceConfig {
        table: m.table.clone(),
        nflog_group: m.nflog_group,
        action: if m.reject { Action::Reject } else { Action::Drop },
        log_rate: m.log_rate,
        log_burst: m.log_rate.count.saturating_mul(2),
        force_dns: m.force_dns,
        block_dot: m.block_dot,
        inbound: m.inbound,
        run_dir: m.run_dir.clone(),
        notice_port: m.notice.enabled.then_some(m.notice.port),
        // A blocked name answered with an address: HTTP to it is the
        // user's browser on its way to a blocked site.
        sinkhole_addrs: match cfg.dns.answer.parse::<std::net::IpAddr>() {
            Ok(a) if cfg.dns.enabled && m.notice.enabled && !a.is_unspecified() => vec![a],
            _ => Vec::new(),
        },
        ..EnforceConfig::default()
    };
    for l in &m.lan {
        if !e.add_lan(l) {
            return Err(bad(format!("list lan {l:?} is not an IP network")));
        }
    }
    for a in &cfg.gate.allow {
        e.add_allow(a);
    }
    e.validate().map_err(bad)?;
    Ok(e)
}

/// Installs the ranges of `set` (or, when `None`, of the set built from
/// the last good copies) and the DoH resolver set with the
/// configuration's settings. `set` is consumed: its domains are freed
/// and its ranges handed to the loader before the kernel work starts.
pub fn install(
    cfg: &Config,
    set: Option<IndicatorSet>,
    if_missing: bool,
) -> Result<nft::ApplyReport, InstallError> {
    let ecfg = enforce_config(cfg)?;
    let gate = Gate::new(&cfg.gate);
    let cache = FeedCache::new(&cfg.main.state_dir);
    let (v4, v6) = match set {
        Some(mut s) => s.take_ip_ranges(),
        None => build_ranges_from_cache(cfg, &gate, &cache)?.take_ip_ranges(),
    };
    let (doh4, doh6) = build_doh_from_cache(cfg, &gate, &cache)?.take_ip_ranges();
    let wanted = nft::Wanted { v4, v6, doh4, doh6 };
    Ok(nft::apply(&ecfg, wanted, if_missing)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn cfg(main: &str) -> Config {
        let text = format!("config iocguard 'main'\n{main}\nconfig allow 'allow'\n\tlist entry '8.8.8.8'\n\tlist entry 'ok.example'\n");
        Config::parse(Path::new("/etc/config/iocguard"), &text).unwrap()
    }

    #[test]
    fn settings_come_from_the_main_section() {
        let e = enforce_config(&cfg("\toption action 'drop'\n\toption log_rate '6/minute'\n\tlist lan '192.168.1.0/24'\n\tlist lan 'fd00::/64'\n")).unwrap();
        assert_eq!(e.action, Action::Drop);
        assert_eq!(e.log_rate.to_string(), "6/minute");
        assert_eq!(e.log_burst, 12);
        assert_eq!(e.lan_v4.len(), 1);
        assert_eq!(e.lan_v6.len(), 1);
        // Only the allowlist's IPs reach the kernel; domains stay with DNS.
        assert_eq!(e.allow_v4.len(), 1);
        assert!(e.allow_v6.is_empty());
    }

    #[test]
    fn a_bad_table_name_names_the_file() {
        let err = enforce_config(&cfg("\toption table 'no spaces'\n")).unwrap_err();
        assert!(
            err.to_string().starts_with("/etc/config/iocguard: table name"),
            "{err}"
        );
    }
}
