//! The iocguard binary: wires the command line to the library and turns
//! every error into one sentence on stderr and an exit code.

use iocguard::check::{self, Input};
use iocguard::cli::{self, Command, Common, EnforceFlags, FeedCommand, EXIT_USAGE};
use iocguard::feed::fetch::{self, FetchOptions, Fetched, Validators};
use iocguard::feed::token::parse_indicator;
use iocguard::feed::{Format, KindFilter};
use iocguard::indicator::{Gate, GateConfig, Indicator, IndicatorSet};
use iocguard::nft::{self, Action, EnforceConfig};
use iocguard::{clock, config, state, sync};
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

fn run_nft(common: &Common, cmd: Command) -> Result<i32, String> {
    match cmd {
        Command::Apply {
            feeds,
            doh,
            if_missing,
            enforce,
            allow,
            allow_reserved,
        } if feeds.is_empty() => {
            if !doh.is_empty()
                || !allow.is_empty()
                || !allow_reserved.is_empty()
                || enforce != EnforceFlags::default()
            {
                return Err("without --feed, apply takes its settings from the configuration file".into());
            }
            let cfg = config::Config::load(&config_path(common)).map_err(|e| e.to_string())?;
            if !cfg.main.enabled {
                out("iocguard is disabled (option enabled 0); nothing installed\n");
                return Ok(0);
            }
            print_apply(common, &install_from_cache(&cfg, None, if_missing)?)?;
            Ok(0)
        }
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
            let set = usable_set(read_inputs(&feeds), KindFilter::Auto, &gate)?;
            let doh_set = usable_set(read_inputs(&doh), KindFilter::Ip, &gate)?;
            let wanted = nft::Wanted {
                v4: set.v4_ranges(),
                v6: set.v6_ranges(),
                doh4: doh_set.v4_ranges(),
                doh6: doh_set.v6_ranges(),
            };
            print_apply(
                common,
                &nft::apply(&cfg, wanted, if_missing).map_err(|e| e.to_string())?,
            )?;
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
            // With a readable configuration, its table and run_dir are the
            // defaults and the feeds' state is shown too.
            let cfg = config::Config::load(&config_path(common)).ok();
            let d = EnforceConfig::default();
            let table = table
                .or_else(|| cfg.as_ref().map(|c| c.main.table.clone()))
                .unwrap_or(d.table);
            let run_dir = run_dir
                .map(Into::into)
                .or_else(|| cfg.as_ref().map(|c| c.main.run_dir.clone()))
                .unwrap_or(d.run_dir);
            let st = nft::status::status(&table, &run_dir, count).map_err(|e| e.to_string())?;
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
                }
                let full = Full {
                    kernel: &st,
                    feeds: &feeds,
                };
                out(&(serde_json::to_string_pretty(&full).map_err(|e| e.to_string())? + "\n"));
            } else {
                out(&st.render());
                for f in &feeds {
                    let age = f.age.map_or("never".to_string(), |a| {
                        format!("{}h{:02}m ago", a / 3600, a / 60 % 60)
                    });
                    out(&format!(
                        "feed {}{}: {} entries, accepted {}{}\n",
                        f.name,
                        if f.enabled { "" } else { " (disabled)" },
                        f.entries,
                        age,
                        match (&f.last_outcome, &f.last_error) {
                            (_, Some(e)) => format!("; last sync failed: {e}"),
                            (Some(o), None) => format!("; last sync: {}", o.as_str()),
                            _ => String::new(),
                        }
                    ));
                }
            }
            Ok(if st.present { 0 } else { 1 })
        }
        _ => Err("not an nft command".into()),
    }
}

/// Shows what `apply` did: per set, the ranges now held and the change.
fn print_apply(common: &Common, report: &nft::ApplyReport) -> Result<(), String> {
    if common.json {
        out(&(serde_json::to_string(report).map_err(|e| e.to_string())? + "\n"));
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
    Ok(())
}

/// Parses feeds; refuses when any is unusable, so a broken download never
/// replaces a good installed set.
fn usable_set(
    inputs: impl IntoIterator<Item = Input>,
    kind: KindFilter,
    gate: &Gate,
) -> Result<IndicatorSet, String> {
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
            let inputs = read_inputs(&files);
            let (report, _) = check::check(inputs, format, kind, &gate);
            if common.json {
                out(&(serde_json::to_string_pretty(&report).map_err(|e| e.to_string())? + "\n"));
            } else {
                out(&report.render(show));
            }
            Ok(report.exit_code())
        }
        Command::Sync { force, no_apply } => sync(common, force, no_apply),
        cmd @ (Command::Apply { .. } | Command::Flush { .. } | Command::Status { .. }) => {
            run_nft(common, cmd)
        }
        cmd @ Command::Fetch { .. } => fetch_cmd(common, cmd),
        Command::Test {
            value,
            feeds,
            allow,
            allow_reserved,
        } => {
            let gate = gate(&allow, &allow_reserved)?;
            let inputs = read_inputs(&feeds);
            let (report, set) = check::check(inputs, None, KindFilter::Auto, &gate);
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
        Command::Feed(f) => run_feed(common, f),
        Command::Run | Command::Events { .. } | Command::ExportDnsmasq { .. } => run_dns(common, cmd),
    }
}

/// `run`, `events`, `export-dnsmasq`; the logic lives in `iocguard::daemon`
/// and `iocguard::dns`.
fn run_dns(common: &Common, cmd: Command) -> Result<i32, String> {
    let cfg = config::Config::load(&config_path(common)).map_err(|e| e.to_string())?;
    for w in &cfg.warnings {
        log::warn!("{w}");
    }
    match cmd {
        Command::Events { tail } => {
            let log = iocguard::dns::events::EventLog::new(&cfg.main.run_dir, 0);
            for r in log.tail(tail) {
                if common.json {
                    out(&(serde_json::to_string(&r).map_err(|e| e.to_string())? + "\n"));
                } else {
                    out(&(r.render() + "\n"));
                }
            }
            Ok(0)
        }
        Command::ExportDnsmasq { file } => {
            let set = iocguard::daemon::load_set(&cfg).map_err(|e| e.to_string())?;
            if file == "-" {
                out(&iocguard::dns::dnsmasq_conf(&set));
            } else {
                iocguard::dns::export_dnsmasq(&set, file.as_ref()).map_err(|e| e.to_string())?;
            }
            Ok(0)
        }
        _ => iocguard::daemon::run(&cfg).map_err(|e| e.to_string()),
    }
}

/// `iocguard feed …`; the logic lives in `iocguard::feedtool`.
fn run_feed(common: &Common, cmd: FeedCommand) -> Result<i32, String> {
    use iocguard::feedtool;
    match cmd {
        FeedCommand::Build {
            inputs,
            out: out_file,
            name,
            allow,
            allow_reserved,
        } => {
            let gate = gate(&allow, &allow_reserved)?;
            let name = name.unwrap_or_else(|| {
                out_file
                    .as_deref()
                    .filter(|o| *o != "-")
                    .and_then(|o| std::path::Path::new(o).file_stem()?.to_str().map(String::from))
                    .unwrap_or_else(|| "feed".into())
            });
            let built = feedtool::build(read_inputs(&inputs), &name, &gate, clock::unix_now())?;
            match &out_file {
                Some(path) if path != "-" => feedtool::write_atomic(path.as_ref(), built.text.as_bytes())
                    .map_err(|e| format!("{path}: cannot be written: {e}"))?,
                _ => out(&built.text),
            }
            // The report goes to stderr so stdout can be the feed itself.
            eprint!("{}", built.report.render(20));
            eprintln!(
                "wrote {}: {} IPv4 prefixes, {} IPv6 prefixes, {} domains",
                out_file.as_deref().unwrap_or("stdout"),
                built.v4,
                built.v6,
                built.domains
            );
            Ok(built.report.exit_code())
        }
        FeedCommand::Sign { sec, comment, files } => {
            let sk = feedtool::load_secret(&sec)?;
            for f in &files {
                let now = clock::unix_now();
                let tc = comment
                    .clone()
                    .unwrap_or_else(|| feedtool::default_trusted_comment(f, now));
                let sig_path = feedtool::sign_file(&sk, f, &tc)?;
                out(&format!("{f}: signed with key {} → {sig_path}\n", sk.id()));
            }
            Ok(0)
        }
        FeedCommand::Verify {
            pub_file,
            pubkey,
            files,
        } => {
            let pk = match (pub_file, pubkey) {
                (Some(p), _) => feedtool::load_public(&p)?,
                (None, Some(b)) => {
                    iocguard::sign::PublicKey::parse(&b).map_err(|e| format!("--pubkey: {e}"))?
                }
                (None, None) => return Err("feed verify needs --pub FILE or --pubkey BASE64".into()),
            };
            let results: Vec<_> = files.iter().map(|f| feedtool::verify_file(&pk, f)).collect();
            if common.json {
                out(&(serde_json::to_string_pretty(&results).map_err(|e| e.to_string())? + "\n"));
            } else {
                for r in &results {
                    match (&r.error, &r.trusted_comment, &r.key_id) {
                        (Some(e), _, _) => out(&format!("{}: BAD: {e}\n", r.file)),
                        (None, Some(tc), Some(id)) => out(&format!(
                            "{}: good signature by key {id}; trusted comment: {tc}\n",
                            r.file
                        )),
                        _ => out(&format!("{}: good signature\n", r.file)),
                    }
                }
            }
            Ok(if results.iter().all(|r| r.ok) { 0 } else { 1 })
        }
        FeedCommand::Keygen {
            pub_file,
            sec_file,
            force,
        } => {
            out(&feedtool::keygen(&pub_file, &sec_file, force)?);
            Ok(0)
        }
    }
}

/// `iocguard fetch`: one download with the sync defaults, for manual checks.
fn fetch_cmd(common: &Common, cmd: Command) -> Result<i32, String> {
    let Command::Fetch {
        url,
        out: out_file,
        etag,
        last_modified,
        ca_bundle,
        max_bytes,
    } = cmd
    else {
        return Err("internal: not a fetch command".into());
    };
    let mut opts = FetchOptions {
        ca_bundle: ca_bundle.map(Into::into),
        ..FetchOptions::default()
    };
    if let Some(m) = max_bytes {
        opts.max_bytes = m;
    }
    let prev = Validators { etag, last_modified };
    let fetched = fetch::fetch(&url, &opts, Some(&prev)).map_err(|e| e.to_string())?;
    let (status, bytes, validators) = match &fetched {
        Fetched::NotModified => ("not_modified", None, None),
        Fetched::Body { bytes, validators } => ("body", Some(bytes), Some(validators)),
    };
    if let (Some(b), Some(f)) = (bytes, &out_file) {
        std::fs::write(f, b).map_err(|e| format!("{f}: cannot write: {e}"))?;
    }
    if common.json {
        let v = serde_json::json!({
            "url": url,
            "status": status,
            "bytes": bytes.map(|b| b.len()),
            "etag": validators.and_then(|v| v.etag.as_deref()),
            "last_modified": validators.and_then(|v| v.last_modified.as_deref()),
        });
        out(&(v.to_string() + "\n"));
    } else if let Some(b) = bytes {
        if out_file.is_none() {
            let mut o = std::io::stdout().lock();
            let _ = o.write_all(b).and_then(|_| o.flush());
        }
        let v = validators.cloned().unwrap_or_default();
        log::info!(
            "{url}: {} bytes, etag {:?}, last-modified {:?}",
            b.len(),
            v.etag,
            v.last_modified
        );
    } else {
        log::info!("{url}: not modified");
    }
    Ok(if bytes.is_some() { 0 } else { 1 })
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

/// Reads inputs lazily, one file at a time, as `check` consumes them.
fn read_inputs(files: &[String]) -> impl Iterator<Item = Input> + '_ {
    files.iter().map(|f| {
        let body = if f == "-" {
            let mut b = Vec::new();
            std::io::stdin().read_to_end(&mut b).map(|_| b)
        } else {
            std::fs::read(f)
        };
        Input {
            name: f.clone(),
            body: body.map_err(|e| format!("cannot be read: {e}")),
        }
    })
}

fn config_path(common: &Common) -> std::path::PathBuf {
    common
        .config
        .clone()
        .unwrap_or_else(|| config::DEFAULT_PATH.into())
        .into()
}

/// Where `sync` writes the dnsmasq blocklist with `dns.mode dnsmasq-file`.
const DNSMASQ_FILE: &str = "/tmp/dnsmasq.d/iocguard.conf";

fn sync(common: &Common, force: bool, no_apply: bool) -> Result<i32, String> {
    let cfg = match config::Config::load(&config_path(common)) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("iocguard: {e}");
            return Ok(sync::EXIT_CONFIG);
        }
    };
    for w in &cfg.warnings {
        log::warn!("{w}");
    }
    let _lock = state::SyncLock::acquire(
        &cfg.main.run_dir.join("sync.lock"),
        std::time::Duration::from_secs(60),
    )
    .map_err(|e| e.to_string())?;
    let opts = sync::SyncOptions { force };
    let (mut report, set) = sync::run(&cfg, &opts, clock::unix_now(), |feed, prev| {
        iocguard::feed::source::fetch_feed(feed, prev, &cfg.main)
    })
    .map_err(|e| e.to_string())?;
    if cfg.dns.enabled && cfg.dns.mode == "dnsmasq-file" {
        if let Err(e) = iocguard::dns::export_dnsmasq(&set, std::path::Path::new(DNSMASQ_FILE)) {
            log::warn!("{e}");
        }
    }
    if !no_apply && cfg.main.enabled {
        match install_from_cache(&cfg, Some(&set), false) {
            Ok(_) => report.applied = Some(true),
            Err(e) => {
                eprintln!("iocguard: {e}; the previous set stays installed");
                report.applied = Some(false);
                report.apply_error = Some(e);
            }
        }
    }
    // A running daemon picks the new set up from the cache.
    iocguard::daemon::notify_reload(&cfg.main.run_dir);
    let json = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
    // Runtime status lives in RAM; `status` reads it.
    if let Err(e) = state::write_atomic(&cfg.main.run_dir.join("sync.json"), json.as_bytes()) {
        log::warn!("{e}");
    }
    if common.json {
        out(&(json + "\n"));
    } else {
        for f in &report.feeds {
            match &f.error {
                Some(e) => out(&format!(
                    "{}: failed, keeping previous copy ({} entries): {e}\n",
                    f.name, f.entries
                )),
                None => out(&format!(
                    "{}: {}, {} entries\n",
                    f.name,
                    f.outcome.as_str(),
                    f.entries
                )),
            }
        }
        out(&format!(
            "set: {} IPv4, {} IPv6, {} domains\n",
            report.v4_entries, report.v6_entries, report.domains
        ));
    }
    Ok(report.exit_code())
}

/// Installs the set built from the last good copies (or `set`, when the
/// caller just built it) with the configuration's enforcement settings.
fn install_from_cache(
    cfg: &config::Config,
    set: Option<&IndicatorSet>,
    if_missing: bool,
) -> Result<nft::ApplyReport, String> {
    let ecfg = EnforceConfig::from_config(cfg).map_err(|e| format!("{}: {e}", cfg.path.display()))?;
    let gate = Gate::new(&cfg.gate);
    let cache = state::FeedCache::new(&cfg.main.state_dir);
    let built;
    let set = match set {
        Some(s) => s,
        None => {
            built = sync::build_from_cache(cfg, &gate, &cache).map_err(|e| e.to_string())?;
            &built
        }
    };
    let doh = sync::build_doh_from_cache(cfg, &gate, &cache).map_err(|e| e.to_string())?;
    let wanted = nft::Wanted {
        v4: set.v4_ranges(),
        v6: set.v6_ranges(),
        doh4: doh.v4_ranges(),
        doh6: doh.v6_ranges(),
    };
    nft::apply(&ecfg, wanted, if_missing).map_err(|e| e.to_string())
}
