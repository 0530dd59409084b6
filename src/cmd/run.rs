//! `iocguard run` (the daemon) and `export-dnsmasq`. The logic is
//! `crate::daemon` and `crate::dns`.

use super::error::CmdResult;
use super::inputs::load_config;
use super::output::out;
use crate::cli::Common;
use crate::exit::Exit;
use crate::{daemon, dns};

/// `run`: serve until SIGTERM/SIGINT.
pub fn daemon(common: &Common) -> CmdResult {
    let cfg = load_config(common)?;
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
