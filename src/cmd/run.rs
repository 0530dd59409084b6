//! `iocguard run` (the daemon) and `export-dnsmasq`. The logic is
//! `crate::daemon` and `crate::dns`.

use super::error::CmdResult;
use super::inputs::load_config;
use super::output::out;
use crate::cli::Common;
use crate::exit::Exit;
use crate::{daemon, dns};

/// `run [--listen ADDR]… [--upstream ADDR]… [--lan CIDR]…`: serve until
/// SIGTERM/SIGINT. The flags replace `dns.listen`, `dns.upstream` and
/// `main.lan` for this run (the init script resolves them at start).
pub fn daemon(common: &Common, listen: &[String], upstream: &[String], lan: &[String]) -> CmdResult {
    let mut cfg = load_config(common)?;
    if !listen.is_empty() {
        cfg.dns.listen = listen.to_vec();
    }
    if !upstream.is_empty() {
        cfg.dns.upstream = upstream.to_vec();
    }
    if !lan.is_empty() {
        cfg.main.lan = lan.to_vec();
    }
    daemon::run(&cfg)?;
    Ok(Exit::Ok)
}

/// `export-dnsmasq FILE`: the blocklist as dnsmasq `local=/d/` lines.
pub fn export_dnsmasq(common: &Common, file: &str) -> CmdResult {
    let cfg = load_config(common)?;
    let set = daemon::load_set(&cfg)?;
    if file == "-" {
        out(&dns::dnsmasq_conf(&set));
    } else {
        dns::export_dnsmasq(&set, file.as_ref())?;
    }
    Ok(Exit::Ok)
}
