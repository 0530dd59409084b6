//! `hosts`, `host`, `ack` and `events`: the infected-host view. The table
//! comes from the running daemon (control socket) or, when none runs,
//! from the snapshot on flash with the ack journal replayed; both go
//! through the same rendering. The logic is `crate::hosts`; the files
//! and the socket are `crate::daemon::hostlog`.

use super::error::{CmdError, CmdResult};
use super::inputs::load_config;
use super::output::{json, out};
use crate::cli::Common;
use crate::clock::unix_now;
use crate::config::Config;
use crate::daemon::hostlog::control::{self, ControlError};
use crate::daemon::hostlog::{offline_table, Store};
use crate::exit::Exit;
use crate::hosts::{self, render, Ack, Event, HostTable, QueryError};

/// Where the table came from.
pub(super) enum Source {
    /// The running daemon's, over the control socket.
    Daemon,
    /// The snapshot on flash with the ack journal replayed.
    Snapshot,
}

/// The current table: the daemon's, else the snapshot's.
pub(super) fn table(cfg: &Config) -> Result<(HostTable, Source), CmdError> {
    let store = Store::new(&cfg.main.state_dir, &cfg.main.run_dir);
    match control::request(&store.socket_path(), "snapshot") {
        Ok(bytes) => hosts::snapshot::decode(&bytes, cfg.main.host_capacity as usize)
            .map(|r| (r.table, Source::Daemon))
            .map_err(|e| CmdError::system(format!("the daemon's answer: {e}"))),
        Err(ControlError::NotRunning) => {
            let (t, warnings) = offline_table(cfg);
            for w in warnings {
                eprintln!("iocguard: {w}");
            }
            Ok((t, Source::Snapshot))
        }
        Err(e) => Err(CmdError::system(e)),
    }
}

/// One host from what the admin typed; several matches are listed on
/// stderr and are a usage error (exit 2).
fn resolve(t: &HostTable, query: &str) -> Result<hosts::HostKey, CmdError> {
    hosts::resolve(t, query).map_err(|e| {
        if let QueryError::Ambiguous { candidates, .. } = &e {
            for k in candidates {
                let h = t.get(k);
                eprintln!(
                    "  {k}  {}  {}",
                    h.and_then(|h| h.hostname.as_deref()).unwrap_or("-"),
                    h.and_then(|h| h.address()).map_or("-".into(), |a| a.to_string())
                );
            }
        }
        CmdError::usage(e)
    })
}

/// `hosts`: the listing.
pub fn list(common: &Common, since: Option<&str>, state: Option<&str>, csv: bool) -> CmdResult {
    let cfg = load_config(common)?;
    let filter = hosts::Filter {
        since: since
            .map(|s| hosts::query::parse_since(s, unix_now()))
            .transpose()
            .map_err(CmdError::usage)?,
        state: state
            .map(|s| s.parse::<hosts::StateKind>())
            .transpose()
            .map_err(CmdError::usage)?,
    };
    let (t, _) = table(&cfg)?;
    let hosts = hosts::select(&t, &filter);
    out(&if common.json {
        render::json(&hosts, &t.stats())
    } else if csv {
        render::csv(&hosts)
    } else {
        render::text(&hosts, &t.stats())
    });
    Ok(Exit::Ok)
}

/// The event log's events, oldest first (unreadable lines skipped).
fn events(cfg: &Config) -> Vec<Event> {
    Store::new(&cfg.main.state_dir, &cfg.main.run_dir)
        .events()
        .lines()
        .iter()
        .filter_map(|l| Event::from_line(l, 0).ok())
        .collect()
}

/// `host X`: one host in detail.
pub fn show(common: &Common, query: &str, max_events: usize) -> CmdResult {
    let cfg = load_config(common)?;
    let (t, _) = table(&cfg)?;
    let key = resolve(&t, query)?;
    let h = t
        .get(&key)
        .ok_or_else(|| CmdError::usage(QueryError::NotFound(query.into())))?;
    let all = events(&cfg);
    let recent: Vec<Event> = hosts::events_of(h, &all, max_events)
        .into_iter()
        .cloned()
        .collect();
    if common.json {
        let v = serde_json::json!({
            "host": h,
            "key": key.to_string(),
            "recent": recent.iter().map(|e| serde_json::from_str::<serde_json::Value>(&e.to_line()).unwrap_or_default()).collect::<Vec<_>>(),
        });
        json(&v, false)?;
    } else {
        out(&render::detail(h, &recent));
    }
    Ok(Exit::Ok)
}

/// `ack X`: journal first (durable), then the daemon.
pub fn ack(common: &Common, query: &str, note: &str) -> CmdResult {
    let cfg = load_config(common)?;
    let (t, source) = table(&cfg)?;
    let key = resolve(&t, query)?;
    let a = Ack {
        key,
        at: unix_now(),
        note: note.to_string(),
    };
    let store = Store::new(&cfg.main.state_dir, &cfg.main.run_dir);
    store.append_ack(&a)?;
    let name = t
        .get(&key)
        .and_then(|h| h.hostname.clone())
        .map_or(String::new(), |n| format!(" ({n})"));
    let outcome = match source {
        Source::Daemon => match control::request(&store.socket_path(), &format!("ack {}", a.to_line())) {
            Ok(answer) => String::from_utf8_lossy(&answer).trim().to_string(),
            // Journaled: the daemon applies it when it starts.
            Err(ControlError::NotRunning) => "ok journaled".into(),
            Err(e) => {
                return Err(CmdError::system(format!(
                    "{e}; the ack is in {} and is applied at the daemon's next start",
                    store.journal_path().display()
                )))
            }
        },
        Source::Snapshot => "ok journaled".into(),
    };
    let sentence = match outcome.as_str() {
        "ok acknowledged" => format!("{key}{name} acknowledged as cleaned\n"),
        "ok reinfected" => format!("{key}{name}: ack recorded, but it was hit again after it: re-infected\n"),
        "ok stale" => format!("{key}{name} was already acknowledged\n"),
        "ok journaled" => format!(
            "{key}{name} acknowledged as cleaned; no daemon runs, it applies the ack when it starts\n"
        ),
        other => {
            let why = other.strip_prefix("err ").unwrap_or(other);
            return Err(CmdError::usage(format!("the daemon refused the ack: {why}")));
        }
    };
    out(&sentence);
    Ok(Exit::Ok)
}

/// `events [--tail N] [--kind K]`: the newest hits of both kinds.
pub fn recent(common: &Common, tail: usize, kind: Option<&str>) -> CmdResult {
    let cfg = load_config(common)?;
    let mut evs: Vec<Event> = events(&cfg)
        .into_iter()
        .filter(|e| kind.is_none_or(|k| e.kind().as_str() == k))
        .collect();
    let skip = evs.len().saturating_sub(tail);
    evs.drain(..skip);
    for e in &evs {
        if common.json {
            out(&(e.to_line() + "\n"));
        } else {
            out(&(e.render() + "\n"));
        }
    }
    Ok(Exit::Ok)
}
