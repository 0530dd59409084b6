//! `iocguard apply`, `flush` and `status`: the nftables side, installed
//! from the last-good cache (config mode) or from files and flags.

use super::error::{CmdError, CmdResult};
use super::inputs::load_config;
use super::inputs::{self, usable_set};
use super::output::{json, out};
use crate::cli::{Common, EnforceFlags};
use crate::daemon::hostlog::Status;
use crate::exit::Exit;
use crate::indicator::{parse_indicator, Keep, KindFilter};
use crate::nft::{self, Action, EnforceConfig};
use crate::{clock, sync};

/// `apply`: with `--feed`, the given files with flag settings; without,
/// the configuration's last-good copies.
pub fn apply(
    common: &Common,
    feeds: &[String],
    doh: &[String],
    if_missing: bool,
    flags: &EnforceFlags,
    allow: &[String],
    allow_reserved: &[String],
) -> CmdResult {
    if feeds.is_empty() {
        if !doh.is_empty()
            || !allow.is_empty()
            || !allow_reserved.is_empty()
            || *flags != EnforceFlags::default()
        {
            return Err(CmdError::usage(
                "without --feed, apply takes its settings from the configuration file",
            ));
        }
        let cfg = load_config(common)?;
        if !cfg.main.enabled {
            out("iocguard is disabled (option enabled 0); nothing installed\n");
            return Ok(Exit::Ok);
        }
        print_apply(common, &sync::install::install(&cfg, None, if_missing)?)?;
        return Ok(Exit::Ok);
    }
    let ecfg = enforce_config(flags, allow)?;
    let gate = inputs::gate(allow, allow_reserved)?;
    let unchanged = |e: CmdError| CmdError::usage(format!("{e}; nothing was changed"));
    // Only the ranges are installed: no attribution table, no domains.
    let (v4, v6) = usable_set(feeds, KindFilter::Auto, &gate, Keep::IpRanges)
        .map_err(unchanged)?
        .take_ip_ranges();
    let (doh4, doh6) = usable_set(doh, KindFilter::Ip, &gate, Keep::IpRanges)
        .map_err(unchanged)?
        .take_ip_ranges();
    let wanted = nft::Wanted { v4, v6, doh4, doh6 };
    print_apply(common, &nft::apply(&ecfg, wanted, if_missing)?)?;
    Ok(Exit::Ok)
}

/// Shows what `apply` did: per set, the ranges now held and the change.
fn print_apply(common: &Common, report: &nft::ApplyReport) -> Result<(), CmdError> {
    if common.json {
        return json(report, false);
    }
    if !report.changed {
        out(&format!(
            "table inet {} is present; nothing to do\n",
            report.table
        ));
    }
    for s in report.sets.iter().filter(|_| report.changed) {
        out(&format!(
            "set {}: {} ranges (+{} -{}, {} transactions, {} ms)\n",
            s.set, s.after, s.added, s.deleted, s.transactions, s.millis
        ));
    }
    Ok(())
}

/// The enforcement configuration from `apply`'s flags.
fn enforce_config(f: &EnforceFlags, allow: &[String]) -> Result<EnforceConfig, CmdError> {
    let usage = CmdError::usage;
    let mut cfg = EnforceConfig::default();
    if let Some(t) = &f.table {
        cfg.table = t.clone();
    }
    if let Some(g) = &f.nflog_group {
        cfg.nflog_group = g
            .parse()
            .map_err(|_| usage(format!("--nflog-group {g:?} is not a number 0-65535")))?;
    }
    if let Some(a) = &f.action {
        cfg.action =
            Action::parse(a).ok_or_else(|| usage(format!("--action {a:?} is not reject or drop")))?;
    }
    for l in &f.lan {
        if !cfg.add_lan(l) {
            return Err(usage(format!("--lan {l:?} is not an IP network")));
        }
    }
    cfg.lan_ifs = f.lan_if.clone();
    for r in &f.router_addr {
        cfg.router_addrs.push(
            r.parse()
                .map_err(|_| usage(format!("--router-addr {r:?} is not an IP address")))?,
        );
    }
    cfg.force_dns = !f.no_force_dns;
    cfg.block_dot = !f.no_block_dot;
    cfg.inbound = f.inbound;
    if let Some(d) = &f.run_dir {
        cfg.run_dir = d.into();
    }
    for a in allow.iter().filter_map(|a| parse_indicator(a).ok()) {
        cfg.add_allow(&a);
    }
    cfg.validate().map_err(usage)?;
    Ok(cfg)
}

/// `flush`: remove table inet iocguard (or `--table`) and nothing else.
pub fn flush(table: Option<String>, run_dir: Option<String>) -> CmdResult {
    let mut cfg = EnforceConfig::default();
    if let Some(t) = table {
        cfg.table = t;
    }
    if let Some(d) = run_dir {
        cfg.run_dir = d.into();
    }
    let removed = nft::flush_all(&cfg)?;
    out(&if removed {
        format!("table inet {} removed\n", cfg.table)
    } else {
        format!("table inet {} was not installed\n", cfg.table)
    });
    Ok(Exit::Ok)
}

/// `status`: what the kernel holds and, with a readable configuration,
/// each feed's state.
pub fn status(common: &Common, table: Option<String>, run_dir: Option<String>, count: bool) -> CmdResult {
    // Without a readable configuration, the defaults and the kernel view.
    let cfg = load_config(common).ok();
    let d = EnforceConfig::default();
    let table = table
        .or_else(|| cfg.as_ref().map(|c| c.main.table.clone()))
        .unwrap_or(d.table);
    let run_dir = run_dir
        .map(Into::into)
        .or_else(|| cfg.as_ref().map(|c| c.main.run_dir.clone()))
        .unwrap_or(d.run_dir);
    let st = nft::status::status(&table, &run_dir, count)?;
    let hosts = Status::read(&run_dir);
    let feeds = cfg
        .as_ref()
        .map(|c| sync::feed_summaries(c, clock::unix_now()))
        .unwrap_or_default();
    if common.json {
        #[derive(serde::Serialize)]
        struct Full<'a> {
            #[serde(flatten)]
            kernel: &'a nft::status::KernelStatus,
            feeds: &'a [sync::FeedSummary],
            hosts: Option<&'a Status>,
        }
        json(
            &Full {
                kernel: &st,
                feeds: &feeds,
                hosts: hosts.as_ref(),
            },
            true,
        )?;
    } else {
        out(&st.render());
        for f in &feeds {
            out(&(f.render() + "\n"));
        }
        if let Some(h) = &hosts {
            out(&h.render(clock::unix_now()));
        }
    }
    Ok(if st.present { Exit::Ok } else { Exit::Partial })
}
