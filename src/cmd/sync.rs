//! `iocguard sync`: fetch, verify, guard and cache every feed, install the
//! result, tell the daemon. The run itself is `crate::sync`.

use super::error::{CmdError, CmdResult};
use super::inputs::load_config;
use super::output::{json, out};
use crate::cli::Common;
use crate::sync::{self, install, source, SyncOptions};
use crate::{clock, daemon, dns, fsio, state};
use std::time::Duration;

/// `dns.mode dnsmasq-file`: the list into the running dnsmasq's conf-dir,
/// and dnsmasq restarted when it changed (it reads conf-dir files only at
/// start).
fn dnsmasq_file(set: &crate::indicator::IndicatorSet) {
    use dns::dnsmasq_dir;
    let dirs = dnsmasq_dir::find(std::path::Path::new(dnsmasq_dir::GENERATED_DIR));
    match dnsmasq_dir::install(&dirs, &dns::dnsmasq_conf(set)) {
        Ok(false) => {}
        Ok(true) => {
            let init = std::path::Path::new("/etc/init.d/dnsmasq");
            if init.exists() {
                match std::process::Command::new(init).arg("restart").status() {
                    Ok(s) if s.success() => log::info!("dnsmasq restarted with the new list"),
                    Ok(s) => log::warn!("dnsmasq restart failed ({s})"),
                    Err(e) => log::warn!("cannot restart dnsmasq: {e}"),
                }
            }
        }
        Err(e) => log::warn!("{e}"),
    }
}

/// `sync [--force] [--no-apply]`.
pub fn run(common: &Common, force: bool, no_apply: bool) -> CmdResult {
    let cfg = load_config(common)?;
    let _lock = state::SyncLock::acquire(&cfg.main.run_dir.join("sync.lock"), Duration::from_secs(60))
        .map_err(CmdError::system)?;
    let opts = SyncOptions { force };
    let (mut report, set) = sync::run(&cfg, &opts, clock::unix_now(), |feed, prev| {
        source::fetch_feed(feed, prev, &cfg.main)
    })?;
    if cfg.dns.enabled && cfg.dns.mode == "dnsmasq-file" {
        dnsmasq_file(&set);
    }
    if !no_apply && cfg.main.enabled {
        match install::install(&cfg, Some(set), false) {
            Ok(_) => report.applied = Some(true),
            Err(e) => {
                eprintln!("iocguard: {e}; the previous set stays installed");
                report.applied = Some(false);
                report.apply_error = Some(e.to_string());
            }
        }
    }
    // A running daemon picks the new set up from the cache.
    daemon::notify_reload(&cfg.main.run_dir);
    // Runtime status lives in RAM; `status` reads it.
    let text = serde_json::to_string_pretty(&report).map_err(CmdError::system)?;
    if let Err(e) = fsio::write_atomic(&cfg.main.run_dir.join("sync.json"), text.as_bytes()) {
        log::warn!("{e}");
    }
    if common.json {
        json(&report, true)?;
    } else {
        out(&report.render());
    }
    Ok(report.exit())
}
