//! Command-line syntax: turns `argv` into a [`Command`] without touching
//! the system. Resolving paths and reading files happens in `main`.

mod help;

pub use help::{help, COMMANDS};
use lexopt::prelude::*;
use std::ffi::OsString;

/// Options every subcommand accepts.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Common {
    /// `--config PATH`.
    pub config: Option<String>,
    /// `--json`.
    pub json: bool,
    /// `-v` (repeatable).
    pub verbose: u8,
}

/// A parsed command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `iocguard check FILE…`.
    Check {
        /// Files to lint (`-` is stdin).
        files: Vec<String>,
        /// `--format NAME`.
        format: Option<String>,
        /// `--kind auto|ip|domain`.
        kind: Option<String>,
        /// `--allow VALUE` (repeatable).
        allow: Vec<String>,
        /// `--allow-reserved CIDR` (repeatable).
        allow_reserved: Vec<String>,
        /// `--show N` rejected lines per file in text output.
        show: usize,
    },
    /// `iocguard test VALUE --feed FILE…`.
    Test {
        /// IP or domain to look up.
        value: String,
        /// Feed files.
        feeds: Vec<String>,
        /// `--allow VALUE`.
        allow: Vec<String>,
        /// `--allow-reserved CIDR`.
        allow_reserved: Vec<String>,
    },
    /// `iocguard fetch URL`: one download as `sync` does it, for manual use.
    Fetch {
        /// Feed URL or path.
        url: String,
        /// `--out FILE` (default stdout).
        out: Option<String>,
        /// `--etag E`: conditional request.
        etag: Option<String>,
        /// `--last-modified DATE`: conditional request.
        last_modified: Option<String>,
        /// `--ca-bundle FILE`.
        ca_bundle: Option<String>,
        /// `--max-bytes N`.
        max_bytes: Option<u64>,
    },
    /// `iocguard sync`.
    Sync {
        /// `--force`: accept a shrink beyond `max_shrink`.
        force: bool,
        /// `--no-apply`: keep the lists current, install nothing.
        no_apply: bool,
    },
    /// `iocguard feed build|sign|verify|keygen …`: the central side.
    Feed(FeedCommand),
    /// `iocguard report [merge] …`: the campaign report.
    Report(ReportCommand),
    /// `iocguard run`: the daemon (DNS sinkhole; reloads on SIGHUP).
    Run {
        /// `--listen ADDR` (repeatable): serve DNS here instead of
        /// `dns.listen` (the init script resolves the LAN's addresses at
        /// start, so nothing is frozen at install).
        listen: Vec<String>,
        /// `--upstream ADDR` (repeatable): forward here instead of
        /// `dns.upstream`.
        upstream: Vec<String>,
        /// `--lan CIDR` (repeatable): the LAN networks (DNS ACL,
        /// attribution) instead of `main.lan`.
        lan: Vec<String>,
    },
    /// `iocguard events [--tail N]`: recent blocked DNS queries.
    Events {
        /// `--tail N`: how many of the newest.
        tail: usize,
        /// `--kind ip|dns`: only this kind.
        kind: Option<String>,
    },
    /// `iocguard hosts [--since WHEN] [--state STATE] [--csv]`.
    Hosts {
        /// `--since WHEN`: only hosts seen since.
        since: Option<String>,
        /// `--state infected|acknowledged|reinfected`.
        state: Option<String>,
        /// `--csv`.
        csv: bool,
    },
    /// `iocguard host X [--events N]`.
    Host {
        /// A MAC, address or hostname.
        query: String,
        /// `--events N`: how many recent events to show.
        events: usize,
    },
    /// `iocguard ack X [--note TEXT]`.
    Ack {
        /// A MAC, address or hostname.
        query: String,
        /// `--note TEXT`.
        note: String,
    },
    /// `iocguard export-dnsmasq FILE`: `local=/d/` lines for dnsmasq.
    ExportDnsmasq {
        /// Where to write (`-` for stdout).
        file: String,
    },
    /// `iocguard apply --feed FILE…`: install the ruleset and the sets.
    Apply {
        /// Feed files whose IPs/CIDRs are blocked.
        feeds: Vec<String>,
        /// Feed files listing DNS-over-HTTPS resolver addresses.
        doh: Vec<String>,
        /// `--if-missing`: do nothing when the table exists.
        if_missing: bool,
        /// Enforcement options.
        enforce: EnforceFlags,
        /// `--allow VALUE` (repeatable).
        allow: Vec<String>,
        /// `--allow-reserved CIDR` (repeatable).
        allow_reserved: Vec<String>,
    },
    /// `iocguard flush`: remove everything iocguard installed.
    Flush {
        /// `--table NAME`.
        table: Option<String>,
        /// `--run-dir DIR`.
        run_dir: Option<String>,
    },
    /// `iocguard status`: what the kernel holds.
    Status {
        /// `--table NAME`.
        table: Option<String>,
        /// `--run-dir DIR`.
        run_dir: Option<String>,
        /// `--count`: count set elements from the kernel.
        count: bool,
    },
    /// `--help` for a subcommand (or the top level when `None`).
    Help(Option<String>),
    /// `--version`.
    Version,
}

/// Enforcement flags of `apply`, as given (parsed into
/// `nft::EnforceConfig` by the binary).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct EnforceFlags {
    /// `--table NAME`.
    pub table: Option<String>,
    /// `--nflog-group N`.
    pub nflog_group: Option<String>,
    /// `--action reject|drop`.
    pub action: Option<String>,
    /// `--lan CIDR` (repeatable).
    pub lan: Vec<String>,
    /// `--lan-if IFNAME` (repeatable).
    pub lan_if: Vec<String>,
    /// `--router-addr IP` (repeatable).
    pub router_addr: Vec<String>,
    /// `--no-force-dns`.
    pub no_force_dns: bool,
    /// `--no-block-dot`.
    pub no_block_dot: bool,
    /// `--inbound`.
    pub inbound: bool,
    /// `--run-dir DIR`.
    pub run_dir: Option<String>,
}

/// `iocguard feed …` subcommands (the central IT centre's tools).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedCommand {
    /// `feed build [--out FILE] [--name NAME] INPUT…`.
    Build {
        /// Raw lists to merge (`-` is stdin).
        inputs: Vec<String>,
        /// `--out FILE` (stdout when absent).
        out: Option<String>,
        /// `--name NAME` for the header.
        name: Option<String>,
        /// `--allow VALUE` (repeatable).
        allow: Vec<String>,
        /// `--allow-reserved CIDR` (repeatable).
        allow_reserved: Vec<String>,
    },
    /// `feed sign --sec FILE [--comment TEXT] FILE…`.
    Sign {
        /// Secret key file.
        sec: String,
        /// `--comment TEXT`: the trusted comment.
        comment: Option<String>,
        /// Files to sign.
        files: Vec<String>,
    },
    /// `feed verify --pub FILE|--pubkey B64 FILE…`.
    Verify {
        /// `--pub FILE`.
        pub_file: Option<String>,
        /// `--pubkey B64`.
        pubkey: Option<String>,
        /// Files to verify (each against `FILE.minisig`).
        files: Vec<String>,
    },
    /// `feed keygen [--pub FILE] [--sec FILE] [--force]`.
    Keygen {
        /// Public key file.
        pub_file: String,
        /// Secret key file.
        sec_file: String,
        /// Replace existing files.
        force: bool,
    },
}

/// Output options shared by `report` and `report merge`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReportOutput {
    /// `--lang vi|en` (default vi).
    pub lang: Option<String>,
    /// `--format text|md|html|json|csv` (default text).
    pub format: Option<String>,
    /// `--out FILE` (default stdout).
    pub out: Option<String>,
}

/// `iocguard report …`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportCommand {
    /// `report [--since W] [--until W] [--informed N] [--deployed N]
    /// [--assessment T] [--proposals T] [--sign KEY] OUTPUT`.
    Unit {
        /// `--since WHEN`.
        since: Option<String>,
        /// `--until WHEN`.
        until: Option<String>,
        /// `--informed N`: template row 1.
        informed: Option<u64>,
        /// `--deployed N`: template row 2.
        deployed: Option<u64>,
        /// `--assessment TEXT`.
        assessment: Option<String>,
        /// `--proposals TEXT`.
        proposals: Option<String>,
        /// `--sign KEYFILE`: minisign secret key; the signature goes to
        /// `OUT.minisig`.
        sign: Option<String>,
        /// Output.
        output: ReportOutput,
    },
    /// `report merge FILE… [--roster FILE] [--keys DIR] OUTPUT`.
    Merge {
        /// Units' JSON reports.
        files: Vec<String>,
        /// `--roster FILE`: units expected.
        roster: Option<String>,
        /// `--keys DIR`: units' public keys (`UNIT.pub`).
        keys: Option<String>,
        /// Output.
        output: ReportOutput,
    },
}

/// Parses the full argument list (without the program name).
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<(Common, Command), lexopt::Error> {
    let mut p = lexopt::Parser::from_args(args);
    let mut common = Common::default();
    let mut sub: Option<String> = None;
    // Global options before the subcommand.
    while sub.is_none() {
        match p.next()? {
            Some(Long("config")) => common.config = Some(p.value()?.string()?),
            Some(Long("json")) => common.json = true,
            Some(Short('v')) => common.verbose += 1,
            Some(Long("version") | Short('V')) => return Ok((common, Command::Version)),
            Some(Long("help") | Short('h')) => return Ok((common, Command::Help(None))),
            Some(Value(v)) => sub = Some(v.string()?),
            Some(other) => return Err(other.unexpected()),
            None => return Ok((common, Command::Help(None))),
        }
    }
    let sub = sub.unwrap_or_default();
    let cmd = match sub.as_str() {
        "check" => parse_check(&mut p, &mut common)?,
        "test" => parse_test(&mut p, &mut common)?,
        "fetch" => parse_fetch(&mut p, &mut common)?,
        "apply" => parse_apply(&mut p, &mut common)?,
        "flush" | "status" => parse_table_only(&sub, &mut p, &mut common)?,
        "sync" => parse_sync(&mut p, &mut common)?,
        "feed" => parse_feed(&mut p, &mut common)?,
        "run" | "events" | "export-dnsmasq" => parse_dns(&sub, &mut p, &mut common)?,
        "hosts" | "host" | "ack" => parse_hosts(&sub, &mut p, &mut common)?,
        "report" => parse_report(&mut p, &mut common)?,
        "help" => {
            // `help feed sign`: every word names the topic.
            let mut words = Vec::new();
            while let Some(a) = p.next()? {
                match a {
                    Value(v) => words.push(v.string()?),
                    other => return Err(other.unexpected()),
                }
            }
            Command::Help((!words.is_empty()).then(|| words.join(" ")))
        }
        other => return Err(format!("unknown command {other:?}; see `iocguard --help`").into()),
    };
    Ok((common, cmd))
}

fn parse_check(p: &mut lexopt::Parser, c: &mut Common) -> Result<Command, lexopt::Error> {
    let (mut files, mut format, mut kind, mut allow, mut allow_reserved, mut show) =
        (Vec::new(), None, None, Vec::new(), Vec::new(), 20);
    while let Some(arg) = p.next()? {
        match arg {
            Long("config") => c.config = Some(p.value()?.string()?),
            Long("json") => c.json = true,
            Short('v') => c.verbose += 1,
            Long("format") => format = Some(p.value()?.string()?),
            Long("kind") => kind = Some(p.value()?.string()?),
            Long("allow") => allow.push(p.value()?.string()?),
            Long("allow-reserved") => allow_reserved.push(p.value()?.string()?),
            Long("show") => show = p.value()?.parse()?,
            Long("help") | Short('h') => return Ok(Command::Help(Some("check".into()))),
            Value(v) => files.push(v.string()?),
            other => return Err(other.unexpected()),
        }
    }
    if files.is_empty() {
        return Err("check needs at least one FILE (or - for stdin)".into());
    }
    Ok(Command::Check {
        files,
        format,
        kind,
        allow,
        allow_reserved,
        show,
    })
}

fn parse_sync(p: &mut lexopt::Parser, c: &mut Common) -> Result<Command, lexopt::Error> {
    let (mut force, mut no_apply) = (false, false);
    while let Some(arg) = p.next()? {
        match arg {
            Long("config") => c.config = Some(p.value()?.string()?),
            Long("json") => c.json = true,
            Short('v') => c.verbose += 1,
            Long("force") => force = true,
            Long("no-apply") => no_apply = true,
            Long("help") | Short('h') => return Ok(Command::Help(Some("sync".into()))),
            other => return Err(other.unexpected()),
        }
    }
    Ok(Command::Sync { force, no_apply })
}

fn parse_report(p: &mut lexopt::Parser, c: &mut Common) -> Result<Command, lexopt::Error> {
    let mut merge = false;
    let mut output = ReportOutput::default();
    let (mut since, mut until, mut informed, mut deployed) = (None, None, None, None);
    let (mut assessment, mut proposals, mut sign) = (None, None, None);
    let (mut files, mut roster, mut keys) = (Vec::new(), None, None);
    let mut first = true;
    while let Some(arg) = p.next()? {
        let at_start = std::mem::replace(&mut first, false);
        match arg {
            Long("config") => c.config = Some(p.value()?.string()?),
            Short('v') => c.verbose += 1,
            Long("help") | Short('h') => {
                return Ok(Command::Help(Some(
                    if merge { "report merge" } else { "report" }.into(),
                )))
            }
            Long("lang") => output.lang = Some(p.value()?.string()?),
            Long("format") => output.format = Some(p.value()?.string()?),
            Long("json") => output.format = Some("json".into()),
            Long("out") => output.out = Some(p.value()?.string()?),
            Value(v) if at_start && v == "merge" => merge = true,
            Value(v) if merge => files.push(v.string()?),
            Long("roster") if merge => roster = Some(p.value()?.string()?),
            Long("keys") if merge => keys = Some(p.value()?.string()?),
            Long("since") if !merge => since = Some(p.value()?.string()?),
            Long("until") if !merge => until = Some(p.value()?.string()?),
            Long("informed") if !merge => informed = Some(p.value()?.parse()?),
            Long("deployed") if !merge => deployed = Some(p.value()?.parse()?),
            Long("assessment") if !merge => assessment = Some(p.value()?.string()?),
            Long("proposals") if !merge => proposals = Some(p.value()?.string()?),
            Long("sign") if !merge => sign = Some(p.value()?.string()?),
            other => return Err(other.unexpected()),
        }
    }
    if merge {
        if files.is_empty() {
            return Err("report merge needs the units' JSON reports".into());
        }
        return Ok(Command::Report(ReportCommand::Merge {
            files,
            roster,
            keys,
            output,
        }));
    }
    if sign.is_some() && output.out.is_none() {
        return Err("--sign needs --out FILE: the signature is written beside it".into());
    }
    Ok(Command::Report(ReportCommand::Unit {
        since,
        until,
        informed,
        deployed,
        assessment,
        proposals,
        sign,
        output,
    }))
}

fn parse_hosts(sub: &str, p: &mut lexopt::Parser, c: &mut Common) -> Result<Command, lexopt::Error> {
    let (mut since, mut state, mut csv, mut events, mut note, mut query) =
        (None, None, false, 20, String::new(), None::<String>);
    while let Some(arg) = p.next()? {
        match (sub, arg) {
            (_, Long("config")) => c.config = Some(p.value()?.string()?),
            (_, Long("json")) => c.json = true,
            (_, Short('v')) => c.verbose += 1,
            (_, Long("help") | Short('h')) => return Ok(Command::Help(Some(sub.into()))),
            ("hosts", Long("since")) => since = Some(p.value()?.string()?),
            ("hosts", Long("state")) => state = Some(p.value()?.string()?),
            ("hosts", Long("csv")) => csv = true,
            ("host", Long("events")) => events = p.value()?.parse()?,
            ("ack", Long("note")) => note = p.value()?.string()?,
            ("host" | "ack", Value(v)) if query.is_none() => query = Some(v.string()?),
            (_, other) => return Err(other.unexpected()),
        }
    }
    if csv && c.json {
        return Err("choose one of --csv and --json".into());
    }
    let query = || {
        query
            .clone()
            .ok_or_else(|| format!("{sub} needs a host: a MAC, an address or a hostname"))
    };
    Ok(match sub {
        "hosts" => Command::Hosts { since, state, csv },
        "host" => Command::Host {
            query: query()?,
            events,
        },
        _ => Command::Ack {
            query: query()?,
            note,
        },
    })
}

fn parse_dns(sub: &str, p: &mut lexopt::Parser, c: &mut Common) -> Result<Command, lexopt::Error> {
    let (mut tail, mut file, mut kind) = (20, None, None);
    let (mut listen, mut upstream, mut lan) = (Vec::new(), Vec::new(), Vec::new());
    while let Some(arg) = p.next()? {
        match (sub, arg) {
            ("run", Long("listen")) => listen.push(p.value()?.string()?),
            ("run", Long("upstream")) => upstream.push(p.value()?.string()?),
            ("run", Long("lan")) => lan.push(p.value()?.string()?),
            (_, Long("config")) => c.config = Some(p.value()?.string()?),
            (_, Long("json")) => c.json = true,
            (_, Short('v')) => c.verbose += 1,
            (_, Long("help") | Short('h')) => return Ok(Command::Help(Some(sub.into()))),
            ("events", Long("tail")) => tail = p.value()?.parse()?,
            ("events", Long("kind")) => {
                let k = p.value()?.string()?;
                if k != "ip" && k != "dns" {
                    return Err(format!("--kind takes ip or dns, not {k:?}").into());
                }
                kind = Some(k);
            }
            ("export-dnsmasq", Value(v)) if file.is_none() => file = Some(v.string()?),
            (_, other) => return Err(other.unexpected()),
        }
    }
    Ok(match sub {
        "run" => Command::Run {
            listen,
            upstream,
            lan,
        },
        "events" => Command::Events { tail, kind },
        _ => Command::ExportDnsmasq {
            file: file.ok_or("export-dnsmasq needs a FILE (or - for stdout)")?,
        },
    })
}

fn parse_test(p: &mut lexopt::Parser, c: &mut Common) -> Result<Command, lexopt::Error> {
    let (mut value, mut feeds, mut allow, mut allow_reserved) = (None, Vec::new(), Vec::new(), Vec::new());
    while let Some(arg) = p.next()? {
        match arg {
            Long("config") => c.config = Some(p.value()?.string()?),
            Long("json") => c.json = true,
            Short('v') => c.verbose += 1,
            Long("feed") => feeds.push(p.value()?.string()?),
            Long("allow") => allow.push(p.value()?.string()?),
            Long("allow-reserved") => allow_reserved.push(p.value()?.string()?),
            Long("help") | Short('h') => return Ok(Command::Help(Some("test".into()))),
            Value(v) if value.is_none() => value = Some(v.string()?),
            other => return Err(other.unexpected()),
        }
    }
    let value = value.ok_or("test needs an IP address or domain")?;
    if feeds.is_empty() {
        return Err("test needs at least one --feed FILE".into());
    }
    Ok(Command::Test {
        value,
        feeds,
        allow,
        allow_reserved,
    })
}

fn parse_feed(p: &mut lexopt::Parser, c: &mut Common) -> Result<Command, lexopt::Error> {
    let sub = loop {
        match p.next()? {
            Some(Long("config")) => c.config = Some(p.value()?.string()?),
            Some(Long("json")) => c.json = true,
            Some(Short('v')) => c.verbose += 1,
            Some(Long("help") | Short('h')) | None => return Ok(Command::Help(Some("feed".into()))),
            Some(Value(v)) => break v.string()?,
            Some(other) => return Err(other.unexpected()),
        }
    };
    let help = |s: &str| Ok(Command::Help(Some(format!("feed {s}"))));
    let (mut files, mut out, mut name, mut allow, mut allow_reserved) =
        (Vec::new(), None, None, Vec::new(), Vec::new());
    let (mut sec, mut pub_file, mut pubkey, mut comment, mut force) = (None, None, None, None, false);
    while let Some(arg) = p.next()? {
        match (sub.as_str(), arg) {
            (_, Long("config")) => c.config = Some(p.value()?.string()?),
            (_, Long("json")) => c.json = true,
            (_, Short('v')) => c.verbose += 1,
            (s, Long("help") | Short('h')) => return help(s),
            ("build", Long("out")) => out = Some(p.value()?.string()?),
            ("build", Long("name")) => name = Some(p.value()?.string()?),
            ("build", Long("allow")) => allow.push(p.value()?.string()?),
            ("build", Long("allow-reserved")) => allow_reserved.push(p.value()?.string()?),
            ("sign" | "keygen", Long("sec")) => sec = Some(p.value()?.string()?),
            ("sign", Long("comment")) => comment = Some(p.value()?.string()?),
            ("verify" | "keygen", Long("pub")) => pub_file = Some(p.value()?.string()?),
            ("verify", Long("pubkey")) => pubkey = Some(p.value()?.string()?),
            ("keygen", Long("force")) => force = true,
            ("build" | "sign" | "verify", Value(v)) => files.push(v.string()?),
            (_, other) => return Err(other.unexpected()),
        }
    }
    let cmd = match sub.as_str() {
        "build" => {
            if files.is_empty() {
                return Err("feed build needs at least one INPUT (or - for stdin)".into());
            }
            FeedCommand::Build {
                inputs: files,
                out,
                name,
                allow,
                allow_reserved,
            }
        }
        "sign" => {
            let sec = sec.ok_or("feed sign needs --sec FILE (the secret key)")?;
            if files.is_empty() {
                return Err("feed sign needs at least one FILE".into());
            }
            FeedCommand::Sign { sec, comment, files }
        }
        "verify" => {
            if pub_file.is_some() == pubkey.is_some() {
                return Err("feed verify needs exactly one of --pub FILE or --pubkey BASE64".into());
            }
            if files.is_empty() {
                return Err("feed verify needs at least one FILE".into());
            }
            FeedCommand::Verify {
                pub_file,
                pubkey,
                files,
            }
        }
        "keygen" => FeedCommand::Keygen {
            pub_file: pub_file.unwrap_or_else(|| "iocguard.pub".into()),
            sec_file: sec.unwrap_or_else(|| "iocguard.key".into()),
            force,
        },
        other => {
            return Err(format!("unknown command \"feed {other}\"; known: build sign verify keygen").into())
        }
    };
    Ok(Command::Feed(cmd))
}

fn parse_fetch(p: &mut lexopt::Parser, c: &mut Common) -> Result<Command, lexopt::Error> {
    let (mut url, mut out, mut etag, mut last_modified, mut ca_bundle, mut max_bytes) =
        (None, None, None, None, None, None);
    while let Some(arg) = p.next()? {
        match arg {
            Long("config") => c.config = Some(p.value()?.string()?),
            Long("json") => c.json = true,
            Short('v') => c.verbose += 1,
            Long("out") | Short('o') => out = Some(p.value()?.string()?),
            Long("etag") => etag = Some(p.value()?.string()?),
            Long("last-modified") => last_modified = Some(p.value()?.string()?),
            Long("ca-bundle") => ca_bundle = Some(p.value()?.string()?),
            Long("max-bytes") => max_bytes = Some(p.value()?.parse()?),
            Long("help") | Short('h') => return Ok(Command::Help(Some("fetch".into()))),
            Value(v) if url.is_none() => url = Some(v.string()?),
            other => return Err(other.unexpected()),
        }
    }
    Ok(Command::Fetch {
        url: url.ok_or("fetch needs a URL or path")?,
        out,
        etag,
        last_modified,
        ca_bundle,
        max_bytes,
    })
}

fn parse_apply(p: &mut lexopt::Parser, c: &mut Common) -> Result<Command, lexopt::Error> {
    let (mut feeds, mut doh, mut if_missing, mut allow, mut allow_reserved) =
        (Vec::new(), Vec::new(), false, Vec::new(), Vec::new());
    let mut e = EnforceFlags::default();
    while let Some(arg) = p.next()? {
        match arg {
            Long("config") => c.config = Some(p.value()?.string()?),
            Long("json") => c.json = true,
            Short('v') => c.verbose += 1,
            Long("feed") => feeds.push(p.value()?.string()?),
            Long("doh") => doh.push(p.value()?.string()?),
            Long("if-missing") => if_missing = true,
            Long("allow") => allow.push(p.value()?.string()?),
            Long("allow-reserved") => allow_reserved.push(p.value()?.string()?),
            Long("table") => e.table = Some(p.value()?.string()?),
            Long("nflog-group") => e.nflog_group = Some(p.value()?.string()?),
            Long("action") => e.action = Some(p.value()?.string()?),
            Long("lan") => e.lan.push(p.value()?.string()?),
            Long("lan-if") => e.lan_if.push(p.value()?.string()?),
            Long("router-addr") => e.router_addr.push(p.value()?.string()?),
            Long("no-force-dns") => e.no_force_dns = true,
            Long("no-block-dot") => e.no_block_dot = true,
            Long("inbound") => e.inbound = true,
            Long("run-dir") => e.run_dir = Some(p.value()?.string()?),
            Long("help") | Short('h') => return Ok(Command::Help(Some("apply".into()))),
            other => return Err(other.unexpected()),
        }
    }
    Ok(Command::Apply {
        feeds,
        doh,
        if_missing,
        enforce: e,
        allow,
        allow_reserved,
    })
}

fn parse_table_only(sub: &str, p: &mut lexopt::Parser, c: &mut Common) -> Result<Command, lexopt::Error> {
    let (mut table, mut run_dir, mut count) = (None, None, false);
    while let Some(arg) = p.next()? {
        match arg {
            Long("config") => c.config = Some(p.value()?.string()?),
            Long("json") => c.json = true,
            Short('v') => c.verbose += 1,
            Long("table") => table = Some(p.value()?.string()?),
            Long("run-dir") => run_dir = Some(p.value()?.string()?),
            Long("count") if sub == "status" => count = true,
            Long("help") | Short('h') => return Ok(Command::Help(Some(sub.into()))),
            other => return Err(other.unexpected()),
        }
    }
    Ok(if sub == "flush" {
        Command::Flush { table, run_dir }
    } else {
        Command::Status {
            table,
            run_dir,
            count,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<OsString> {
        s.split_whitespace().map(OsString::from).collect()
    }

    #[test]
    fn check_takes_files_and_options() {
        let (c, cmd) = parse(args("--json check --format rpz a.txt - --show 5")).unwrap();
        assert!(c.json);
        assert_eq!(
            cmd,
            Command::Check {
                files: vec!["a.txt".into(), "-".into()],
                format: Some("rpz".into()),
                kind: None,
                allow: vec![],
                allow_reserved: vec![],
                show: 5
            }
        );
    }

    #[test]
    fn check_without_files_is_an_error() {
        assert!(parse(args("check")).is_err());
    }

    #[test]
    fn test_needs_value_and_feed() {
        assert!(parse(args("test 1.2.3.4")).is_err());
        let (_, cmd) = parse(args("test 1.2.3.4 --feed f --json")).unwrap();
        assert!(matches!(cmd, Command::Test { ref value, .. } if value == "1.2.3.4"));
    }

    /// The command names the dispatcher in [`parse`] matches on, read
    /// from this file's source so a new arm cannot hide from the help.
    fn dispatched_names() -> Vec<String> {
        let src = include_str!("mod.rs");
        let start = src.find("let cmd = match sub.as_str() {").unwrap();
        let end = start
            + src[start..]
                .find("other => return Err(format!(\"unknown command")
                .unwrap();
        let mut names = Vec::new();
        for line in src[start..end].lines() {
            let arm = line.trim_start();
            if !arm.starts_with('"') || !arm.contains("=>") {
                continue;
            }
            let pattern = &arm[..arm.find("=>").unwrap()];
            names.extend(pattern.split('|').map(|n| n.trim().trim_matches('"').to_string()));
        }
        names
    }

    #[test]
    fn overview_lists_exactly_the_dispatched_commands_in_order() {
        let mut dispatched = dispatched_names();
        let mut listed: Vec<String> = COMMANDS.iter().map(|(n, _)| n.to_string()).collect();
        dispatched.sort();
        listed.sort();
        assert_eq!(dispatched, listed, "cli::parse and help::COMMANDS disagree");
        let overview = help(None);
        assert!(overview.starts_with("iocguard — "), "title first:\n{overview}");
        let commands = overview.split("commands:\n").nth(1).unwrap();
        let order: Vec<&str> = commands
            .lines()
            .take_while(|l| !l.is_empty())
            .map(|l| l.split_whitespace().next().unwrap())
            .collect();
        let expected: Vec<&str> = COMMANDS.iter().map(|(n, _)| *n).collect();
        assert_eq!(order, expected);
        for code in ["0", "1", "2", "3", "4"] {
            assert!(
                overview.contains(&format!("\n  {code}  ")),
                "exit code {code} missing"
            );
        }
    }

    #[test]
    fn every_command_has_its_own_help_in_all_three_spellings() {
        let overview = help(None);
        for (name, _) in COMMANDS {
            let text = help(Some(name));
            assert_ne!(text, overview, "{name} has no help of its own");
            assert!(text.contains("exit codes"), "{name}: no exit codes");
            assert_eq!(
                parse(args(&format!("help {name}"))).unwrap().1,
                Command::Help(Some(name.to_string()))
            );
            if *name != "help" {
                assert_eq!(
                    parse(args(&format!("{name} --help"))).unwrap().1,
                    Command::Help(Some(name.to_string())),
                    "{name} --help"
                );
            }
        }
        for sub in ["build", "sign", "verify", "keygen"] {
            let topic = format!("feed {sub}");
            assert_eq!(
                parse(args(&format!("help feed {sub}"))).unwrap().1,
                Command::Help(Some(topic.clone()))
            );
            assert_eq!(
                parse(args(&format!("feed {sub} --help"))).unwrap().1,
                Command::Help(Some(topic.clone()))
            );
            assert_ne!(
                help(Some(&topic)),
                help(Some("feed")),
                "{topic} shows the feed help"
            );
        }
    }

    #[test]
    fn readme_documents_exactly_the_built_commands() {
        let readme = include_str!("../../README.md");
        let table = readme
            .split("## Commands")
            .nth(1)
            .unwrap()
            .split("\n## ")
            .next()
            .unwrap();
        let documented: Vec<&str> = table
            .lines()
            .filter_map(|l| l.strip_prefix("| `iocguard "))
            .map(|l| l.split([' ', '`']).next().unwrap())
            .collect();
        let mut built: Vec<&str> = COMMANDS.iter().map(|(n, _)| *n).collect();
        let mut doc_sorted = documented.clone();
        built.sort();
        doc_sorted.sort();
        doc_sorted.dedup();
        assert_eq!(doc_sorted, built, "README's command table");
    }

    #[test]
    fn help_everywhere() {
        assert_eq!(
            parse(args("check --help")).unwrap().1,
            Command::Help(Some("check".into()))
        );
        assert_eq!(parse(args("")).unwrap().1, Command::Help(None));
        assert!(help(Some("check")).contains("exit codes"));
        assert!(help(Some("test")).contains("exit codes"));
        assert!(help(Some("sync")).contains("exit codes"));
        assert_eq!(
            parse(args("sync --force")).unwrap().1,
            Command::Sync {
                force: true,
                no_apply: false
            }
        );
    }

    #[test]
    fn report_commands() {
        let out = |format: &str, o: Option<&str>| ReportOutput {
            lang: Some("en".into()),
            format: Some(format.into()),
            out: o.map(Into::into),
        };
        assert_eq!(
            parse(args(
                "report --since 2026-01-01 --lang en --format html --informed 12 --out r.html"
            ))
            .unwrap()
            .1,
            Command::Report(ReportCommand::Unit {
                since: Some("2026-01-01".into()),
                until: None,
                informed: Some(12),
                deployed: None,
                assessment: None,
                proposals: None,
                sign: None,
                output: out("html", Some("r.html")),
            })
        );
        assert_eq!(
            parse(args(
                "report merge a.json b.json --roster u.txt --keys k --lang en --json"
            ))
            .unwrap()
            .1,
            Command::Report(ReportCommand::Merge {
                files: vec!["a.json".into(), "b.json".into()],
                roster: Some("u.txt".into()),
                keys: Some("k".into()),
                output: out("json", None),
            })
        );
        assert!(parse(args("report merge")).is_err());
        assert!(parse(args("report --sign k.key")).is_err(), "--sign needs --out");
        assert!(parse(args("report merge a.json --since 7d")).is_err());
        assert!(parse(args("report --keys k")).is_err());
        assert!(parse(args("report --informed many")).is_err());
        assert_eq!(
            parse(args("report merge --help")).unwrap().1,
            Command::Help(Some("report merge".into()))
        );
    }

    #[test]
    fn host_commands() {
        assert_eq!(
            parse(args("hosts --since 7d --state reinfected --csv"))
                .unwrap()
                .1,
            Command::Hosts {
                since: Some("7d".into()),
                state: Some("reinfected".into()),
                csv: true
            }
        );
        assert!(parse(args("hosts --csv --json")).is_err());
        assert_eq!(
            parse(args("host lab-pc --events 5")).unwrap().1,
            Command::Host {
                query: "lab-pc".into(),
                events: 5
            }
        );
        assert_eq!(
            parse(args("ack 02:00:00:00:01:10 --note reimaged")).unwrap().1,
            Command::Ack {
                query: "02:00:00:00:01:10".into(),
                note: "reimaged".into()
            }
        );
        let e = parse(args("ack")).unwrap_err().to_string();
        assert_eq!(e, "ack needs a host: a MAC, an address or a hostname");
        assert!(parse(args("host a b")).is_err());
        assert!(parse(args("hosts --note x")).is_err());
        assert_eq!(
            parse(args("events --kind ip")).unwrap().1,
            Command::Events {
                tail: 20,
                kind: Some("ip".into())
            }
        );
        assert!(parse(args("events --kind tcp")).is_err());
    }

    #[test]
    fn feed_subcommands() {
        let (_, cmd) = parse(args(
            "feed build a.txt b.csv --out f.txt --name camp --allow 8.8.8.8",
        ))
        .unwrap();
        assert_eq!(
            cmd,
            Command::Feed(FeedCommand::Build {
                inputs: vec!["a.txt".into(), "b.csv".into()],
                out: Some("f.txt".into()),
                name: Some("camp".into()),
                allow: vec!["8.8.8.8".into()],
                allow_reserved: vec![],
            })
        );
        let (_, cmd) = parse(args("feed sign --sec k --comment hi f1 f2")).unwrap();
        assert!(matches!(cmd, Command::Feed(FeedCommand::Sign { ref files, .. }) if files.len() == 2));
        let (_, cmd) = parse(args("feed keygen")).unwrap();
        assert_eq!(
            cmd,
            Command::Feed(FeedCommand::Keygen {
                pub_file: "iocguard.pub".into(),
                sec_file: "iocguard.key".into(),
                force: false
            })
        );
        assert!(parse(args("feed verify f")).is_err());
        assert!(parse(args("feed verify --pub p --pubkey RWQ f")).is_err());
        assert!(parse(args("feed verify --pub p f")).is_ok());
        assert!(parse(args("feed sign f")).is_err());
        assert!(parse(args("feed keygen --out x")).is_err());
        assert!(parse(args("feed build")).is_err());
        assert!(parse(args("feed frob")).is_err());
        for sub in ["build", "sign", "verify", "keygen"] {
            let (_, cmd) = parse(args(&format!("feed {sub} --help"))).unwrap();
            assert_eq!(cmd, Command::Help(Some(format!("feed {sub}"))));
            assert!(help(Some(&format!("feed {sub}"))).contains("exit codes"));
        }
        assert_eq!(parse(args("feed")).unwrap().1, Command::Help(Some("feed".into())));
    }

    #[test]
    fn dns_commands() {
        assert_eq!(
            parse(args("run")).unwrap().1,
            Command::Run {
                listen: vec![],
                upstream: vec![],
                lan: vec![]
            }
        );
        assert_eq!(
            parse(args(
                "run --listen 127.0.0.1:5354 --listen [::1]:53 --upstream 198.51.100.1#53 --lan 192.0.2.0/24"
            ))
            .unwrap()
            .1,
            Command::Run {
                listen: vec!["127.0.0.1:5354".into(), "[::1]:53".into()],
                upstream: vec!["198.51.100.1#53".into()],
                lan: vec!["192.0.2.0/24".into()]
            }
        );
        assert!(parse(args("events --listen 127.0.0.1")).is_err());
        assert_eq!(
            parse(args("events --tail 5 --json")).unwrap().1,
            Command::Events { tail: 5, kind: None }
        );
        assert_eq!(
            parse(args("export-dnsmasq /tmp/x.conf")).unwrap().1,
            Command::ExportDnsmasq {
                file: "/tmp/x.conf".into()
            }
        );
        assert!(parse(args("export-dnsmasq")).is_err());
        assert!(parse(args("run --tail 3")).is_err());
        for sub in ["run", "events", "export-dnsmasq"] {
            assert!(help(Some(sub)).contains("exit codes"));
        }
    }

    #[test]
    fn fetch_takes_a_url_and_options() {
        let (_, cmd) = parse(args(
            "fetch https://f.example/x.txt -o /tmp/x --etag \"v1\" --max-bytes 10",
        ))
        .unwrap();
        assert_eq!(
            cmd,
            Command::Fetch {
                url: "https://f.example/x.txt".into(),
                out: Some("/tmp/x".into()),
                etag: Some("\"v1\"".into()),
                last_modified: None,
                ca_bundle: None,
                max_bytes: Some(10),
            }
        );
        assert!(parse(args("fetch")).is_err());
        assert!(parse(args("fetch a b")).is_err());
        assert!(help(Some("fetch")).contains("exit codes"));
    }

    #[test]
    fn apply_gathers_enforcement_flags() {
        let (_, cmd) = parse(args(
            "apply --feed a --feed b --lan 192.0.2.0/24 --lan-if br-lan --action drop \
             --no-force-dns --inbound --table t --nflog-group 5 --if-missing",
        ))
        .unwrap();
        let Command::Apply {
            feeds,
            if_missing,
            enforce,
            ..
        } = cmd
        else {
            panic!("not apply");
        };
        assert_eq!(feeds, vec!["a", "b"]);
        assert!(if_missing && enforce.no_force_dns && enforce.inbound && !enforce.no_block_dot);
        assert_eq!(enforce.table.as_deref(), Some("t"));
        assert_eq!(enforce.lan, vec!["192.0.2.0/24"]);
        assert!(
            matches!(parse(args("apply --if-missing")).unwrap().1, Command::Apply { ref feeds, if_missing: true, .. } if feeds.is_empty())
        );
        assert_eq!(
            parse(args("status --table x")).unwrap().1,
            Command::Status {
                table: Some("x".into()),
                run_dir: None,
                count: false
            }
        );
        assert_eq!(
            parse(args("flush")).unwrap().1,
            Command::Flush {
                table: None,
                run_dir: None
            }
        );
    }

    #[test]
    fn unknown_command() {
        assert!(parse(args("frobnicate")).is_err());
    }
}
