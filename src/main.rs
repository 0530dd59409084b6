//! The iocguard binary: wires the command line to the library and turns
//! every error into one sentence on stderr and an exit code.

use iocguard::check::{self, Input};
use iocguard::cli::{self, Command, Common, EnforceFlags, EXIT_USAGE};
use iocguard::feed::token::parse_indicator;
use iocguard::feed::{Format, KindFilter};
use iocguard::indicator::{Gate, GateConfig, Indicator, IndicatorSet};
use iocguard::nft::{self, Action, EnforceConfig};
use std::io::{Read, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    let (common, cmd) = match cli::parse(std::env::args_os().skip(1)) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("iocguard: {e}");
            return ExitCode::from(EXIT_USAGE as u8);
        }
    };
    init_logging(&common);
    match run(&common, cmd) {
        Ok(code) => ExitCode::from(code as u8),
        Err(msg) => {
            eprintln!("iocguard: {msg}");
            ExitCode::from(EXIT_USAGE as u8)
        }
    }
}

fn init_logging(c: &Common) {
    let level = match c.verbose {
        0 => log::LevelFilter::Warn,
        1 => log::LevelFilter::Info,
        _ => log::LevelFilter::Debug,
    };
    // stderr is what procd forwards to logd; a failure to set up logging
    // must never stop blocking, so it is ignored.
    let _ = simple_logger::SimpleLogger::new().with_level(level).init();
}

/// Prints `s`, treating a closed pipe (`iocguard check … | head`) as done.
fn out(s: &str) {
    let mut o = std::io::stdout().lock();
    let _ = o.write_all(s.as_bytes()).and_then(|_| o.flush());
}

fn run(common: &Common, cmd: Command) -> Result<i32, String> {
    match cmd {
        Command::Version => {
            out(&format!("iocguard {}\n", env!("CARGO_PKG_VERSION")));
            Ok(0)
        }
        Command::Help(sub) => {
            out(&cli::help(sub.as_deref()));
            Ok(0)
        }
        Command::Check {
            files,
            format,
            kind,
            allow,
            allow_reserved,
            show,
        } => {
            let format = parse_format(format.as_deref())?;
            let kind = match kind.as_deref() {
                None => KindFilter::Auto,
                Some(k) => {
                    KindFilter::parse(k).ok_or_else(|| format!("--kind {k:?} is not auto, ip or domain"))?
                }
            };
            let gate = gate(&allow, &allow_reserved)?;
            let inputs = read_inputs(&files)?;
            let (report, _) = check::check(&inputs, format, kind, &gate);
            if common.json {
                out(&(serde_json::to_string_pretty(&report).map_err(|e| e.to_string())? + "\n"));
            } else {
                out(&report.render(show));
            }
            Ok(report.exit_code())
        }
        Command::Test {
            value,
            feeds,
            allow,
            allow_reserved,
        } => {
            let gate = gate(&allow, &allow_reserved)?;
            let inputs = read_inputs(&feeds)?;
            let (report, set) = check::check(&inputs, None, KindFilter::Auto, &gate);
            if let Some(bad) = report.files.iter().find(|f| f.error.is_some()) {
                return Err(format!("{}: {}", bad.file, bad.error.as_deref().unwrap_or("")));
            }
            let answer = check::test(&set, &value).map_err(|e| e.to_string())?;
            if common.json {
                out(&(serde_json::to_string(&answer).map_err(|e| e.to_string())? + "\n"));
            } else {
                match (&answer.entry, &answer.feed) {
                    (Some(entry), Some(feed)) => out(&format!(
                        "{}: {} (listed as {} in {})\n",
                        answer.value, answer.verdict, entry, feed
                    )),
                    _ => out(&format!("{}: {}\n", answer.value, answer.verdict)),
                }
            }
            Ok(if answer.verdict == "blocked" { 0 } else { 1 })
        }
        cmd @ (Command::Apply { .. } | Command::Flush { .. } | Command::Status { .. }) => {
            run_nft(common, cmd)
        }
    }
}

fn run_nft(common: &Common, cmd: Command) -> Result<i32, String> {
    match cmd {
        Command::Apply {
            feeds,
            doh,
            if_missing,
            enforce,
            allow,
            allow_reserved,
        } => {
            let cfg = enforce_config(&enforce, &allow)?;
            let gate = gate(&allow, &allow_reserved)?;
            let set = usable_set(&read_inputs(&feeds)?, KindFilter::Auto, &gate)?;
            let doh_set = usable_set(&read_inputs(&doh)?, KindFilter::Ip, &gate)?;
            let wanted = nft::Wanted {
                v4: set.v4_ranges(),
                v6: set.v6_ranges(),
                doh4: doh_set.v4_ranges(),
                doh6: doh_set.v6_ranges(),
            };
            let report = nft::apply(&cfg, wanted, if_missing).map_err(|e| e.to_string())?;
            if common.json {
                out(&(serde_json::to_string(&report).map_err(|e| e.to_string())? + "\n"));
            } else if !report.changed {
                out(&format!(
                    "table inet {} is present; nothing to do\n",
                    report.table
                ));
            } else {
                for s in &report.sets {
                    out(&format!(
                        "set {}: {} ranges (+{} -{}, {} transactions, {} ms)\n",
                        s.set, s.after, s.added, s.deleted, s.transactions, s.millis
                    ));
                }
            }
            Ok(0)
        }
        Command::Flush { table, run_dir } => {
            let mut cfg = EnforceConfig::default();
            if let Some(t) = table {
                cfg.table = t;
            }
            if let Some(d) = run_dir {
                cfg.run_dir = d.into();
            }
            let table = cfg.table.clone();
            let removed = nft::flush_all(&cfg).map_err(|e| e.to_string())?;
            out(&if removed {
                format!("table inet {table} removed\n")
            } else {
                format!("table inet {table} was not installed\n")
            });
            Ok(0)
        }
        Command::Status {
            table,
            run_dir,
            count,
        } => {
            let d = EnforceConfig::default();
            let table = table.unwrap_or(d.table);
            let run_dir = run_dir.map(Into::into).unwrap_or(d.run_dir);
            let st = nft::status::status(&table, &run_dir, count).map_err(|e| e.to_string())?;
            if common.json {
                out(&(serde_json::to_string_pretty(&st).map_err(|e| e.to_string())? + "\n"));
            } else {
                out(&st.render());
            }
            Ok(if st.present { 0 } else { 1 })
        }
        _ => Err("not an nft command".into()),
    }
}

/// Parses feeds; refuses when any is unusable, so a broken download never
/// replaces a good installed set.
fn usable_set(inputs: &[Input], kind: KindFilter, gate: &Gate) -> Result<IndicatorSet, String> {
    let (report, set) = check::check(inputs, None, kind, gate);
    if let Some(bad) = report.files.iter().find(|f| f.error.is_some()) {
        return Err(format!(
            "{}: {}; nothing was changed",
            bad.file,
            bad.error.as_deref().unwrap_or("")
        ));
    }
    Ok(set)
}

/// The enforcement configuration from `apply`'s flags (later: from UCI).
fn enforce_config(f: &EnforceFlags, allow: &[String]) -> Result<EnforceConfig, String> {
    let mut cfg = EnforceConfig::default();
    if let Some(t) = &f.table {
        cfg.table = t.clone();
    }
    if let Some(g) = &f.nflog_group {
        cfg.nflog_group = g
            .parse()
            .map_err(|_| format!("--nflog-group {g:?} is not a number 0-65535"))?;
    }
    if let Some(a) = &f.action {
        cfg.action = Action::parse(a).ok_or_else(|| format!("--action {a:?} is not reject or drop"))?;
    }
    for l in &f.lan {
        match parse_indicator(l) {
            Ok(Indicator::V4(p)) => cfg.lan_v4.push(p),
            Ok(Indicator::V6(p)) => cfg.lan_v6.push(p),
            _ => return Err(format!("--lan {l:?} is not an IP network")),
        }
    }
    cfg.lan_ifs = f.lan_if.clone();
    for r in &f.router_addr {
        cfg.router_addrs.push(
            r.parse()
                .map_err(|_| format!("--router-addr {r:?} is not an IP address"))?,
        );
    }
    cfg.force_dns = !f.no_force_dns;
    cfg.block_dot = !f.no_block_dot;
    cfg.inbound = f.inbound;
    if let Some(d) = &f.run_dir {
        cfg.run_dir = d.into();
    }
    for a in allow {
        match parse_indicator(a) {
            Ok(Indicator::V4(p)) => cfg.allow_v4.push(p),
            Ok(Indicator::V6(p)) => cfg.allow_v6.push(p),
            _ => {} // domains: the sinkhole's business
        }
    }
    cfg.validate()?;
    Ok(cfg)
}

fn parse_format(name: Option<&str>) -> Result<Option<Format>, String> {
    match name {
        None | Some("auto") => Ok(None),
        Some(n) => Format::from_name(n).map(Some).ok_or_else(|| {
            let names: Vec<_> = Format::all().map(|f| f.name()).collect();
            format!("unknown format {n:?}; known: auto {}", names.join(" "))
        }),
    }
}

fn gate(allow: &[String], allow_reserved: &[String]) -> Result<Gate, String> {
    let parse = |v: &String, what: &str| -> Result<Indicator, String> {
        parse_indicator(v).map_err(|e| format!("{what} {v:?}: {e}"))
    };
    let cfg = GateConfig {
        allow: allow
            .iter()
            .map(|v| parse(v, "--allow"))
            .collect::<Result<_, _>>()?,
        allow_reserved: allow_reserved
            .iter()
            .map(|v| parse(v, "--allow-reserved"))
            .collect::<Result<_, _>>()?,
        ..GateConfig::default()
    };
    Ok(Gate::new(&cfg))
}

fn read_inputs(files: &[String]) -> Result<Vec<Input>, String> {
    files
        .iter()
        .map(|f| {
            let body = if f == "-" {
                let mut b = Vec::new();
                std::io::stdin().read_to_end(&mut b).map(|_| b)
            } else {
                std::fs::read(f)
            };
            body.map(|body| Input {
                name: f.clone(),
                body,
            })
            .map_err(|e| format!("cannot read {f}: {e}"))
        })
        .collect()
}
