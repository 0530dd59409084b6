//! `report` and `report merge`: the campaign report. What the router
//! knows is gathered here (host table from the daemon or its snapshot,
//! kernel counters, the set in force, feed caches, config); building,
//! drafting, rendering, merging and signing are `crate::report`.

use super::error::{CmdError, CmdResult};
use super::hosts::table;
use super::inputs::load_config;
use super::output::out;
use crate::cli::{Common, ReportCommand, ReportOutput};
use crate::clock::unix_now;
use crate::config::Config;
use crate::exit::Exit;
use crate::hosts::query::parse_since;
use crate::report::model::{FeedRow, Indicators};
use crate::report::render::{self, Format};
use crate::report::{build, merge, sign_report, Inputs, KeyRing, Lang, Submitted};
use crate::{daemon, nft, sync};
use std::path::Path;

/// Runs `report …`.
pub fn run(common: &Common, cmd: ReportCommand) -> CmdResult {
    match cmd {
        ReportCommand::Unit {
            since,
            until,
            informed,
            deployed,
            assessment,
            proposals,
            sign,
            output,
        } => {
            let cfg = load_config(common)?;
            let (lang, format) = output_options(&output)?;
            let now = unix_now();
            let when = |s: &str| parse_since(s, now).map_err(CmdError::usage);
            let since = match since.or_else(|| cfg.main.campaign_start.clone()) {
                Some(s) => Some(when(&s)?),
                None => None,
            };
            let until = until.as_deref().map(when).transpose()?;
            let (t, _) = table(&cfg)?;
            let inputs = Inputs {
                unit: cfg.main.unit.clone(),
                generated: now,
                since,
                until,
                orgs_informed: informed.or(cfg.main.orgs_informed),
                orgs_deployed: Some(deployed.unwrap_or(cfg.main.orgs_deployed)),
                assessment: assessment.or_else(|| Some(cfg.main.assessment.clone())),
                proposals: proposals.unwrap_or_else(|| cfg.main.proposals.clone()),
                blocked_connections: blocked_connections(&cfg),
                indicators: indicators(&cfg),
                feeds: feeds(&cfg, now),
                lang,
            };
            let r = build(&t, inputs);
            let text = render::unit(&r, lang, format);
            // The key is read before anything is written: a wrong key
            // leaves no unsigned report behind.
            let sk = sign
                .map(|k| crate::feedtool::load_secret(&k).map_err(CmdError::usage))
                .transpose()?;
            write(&output, &text)?;
            if let (Some(sk), Some(file)) = (sk, &output.out) {
                // The signature covers exactly the bytes written.
                let sig = sign_report(&sk, text.as_bytes(), &r.unit, r.generated).map_err(CmdError::usage)?;
                crate::fsio::write_atomic(Path::new(&Submitted::signature_file(file)), sig.as_bytes())?;
            }
            Ok(Exit::Ok)
        }
        ReportCommand::Merge {
            files,
            roster,
            keys,
            output,
        } => {
            let (lang, format) = output_options(&output)?;
            let reports = files
                .iter()
                .map(|f| Submitted::read(Path::new(f)).map_err(CmdError::usage))
                .collect::<Result<Vec<_>, _>>()?;
            let roster = roster
                .map(|r| {
                    std::fs::read_to_string(&r)
                        .map_err(|e| CmdError::usage(format!("{r}: cannot be read: {e}")))
                })
                .transpose()?;
            let keys = keys
                .map(|d| KeyRing::load(Path::new(&d)).map_err(CmdError::usage))
                .transpose()?;
            let m = merge(reports, roster.as_deref(), keys.as_ref(), unix_now()).map_err(CmdError::usage)?;
            write(&output, &render::merged(&m, lang, format))?;
            Ok(Exit::Ok)
        }
    }
}

fn output_options(o: &ReportOutput) -> Result<(Lang, Format), CmdError> {
    let lang = o
        .lang
        .as_deref()
        .map(str::parse::<Lang>)
        .transpose()
        .map_err(CmdError::usage)?
        .unwrap_or_default();
    let format = o
        .format
        .as_deref()
        .map(str::parse::<Format>)
        .transpose()
        .map_err(CmdError::usage)?
        .unwrap_or(Format::Text);
    Ok((lang, format))
}

fn write(o: &ReportOutput, text: &str) -> Result<(), CmdError> {
    match &o.out {
        None => {
            out(text);
            Ok(())
        }
        Some(f) => Ok(crate::fsio::write_atomic(Path::new(f), text.as_bytes())?),
    }
}

/// Blocked packets from the kernel's counters (forwarded and the
/// router's own); `None` away from the router or without the table.
fn blocked_connections(cfg: &Config) -> Option<u64> {
    let st = nft::status::status(&cfg.main.table, &cfg.main.run_dir, false).ok()?;
    if !st.present {
        return None;
    }
    let get = |n: &str| st.counters.iter().find(|c| c.name == n).map_or(0, |c| c.packets);
    Some(get("blocked_fwd") + get("blocked_out"))
}

/// The set in force (the last-good copies); zeros when none is cached.
fn indicators(cfg: &Config) -> Indicators {
    match daemon::load_set(cfg) {
        Ok(set) => Indicators {
            ip_prefixes: (set.v4_entries() + set.v6_entries()) as u64,
            domains: set.domain_count() as u64,
        },
        Err(e) => {
            eprintln!("iocguard: the indicators in force are unknown: {e}");
            Indicators::default()
        }
    }
}

fn feeds(cfg: &Config, now: u64) -> Vec<FeedRow> {
    sync::feed_summaries(cfg, now)
        .into_iter()
        .filter(|f| f.enabled)
        .map(|f| FeedRow {
            name: f.name,
            entries: f.entries,
            last_success: f.accepted_at,
        })
        .collect()
}
