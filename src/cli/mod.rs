//! Command-line syntax: turns `argv` into a [`Command`] without touching
//! the system. Resolving paths and reading files happens in `main`.

use lexopt::prelude::*;
use std::ffi::OsString;

/// Exit code for a usage error, shared by every subcommand.
pub const EXIT_USAGE: i32 = 2;

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
    /// `iocguard run`: the daemon (DNS sinkhole; reloads on SIGHUP).
    Run,
    /// `iocguard events [--tail N]`: recent blocked DNS queries.
    Events {
        /// `--tail N`: how many of the newest.
        tail: usize,
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
        "help" => Command::Help(p.next()?.and_then(|a| match a {
            Value(v) => v.string().ok(),
            _ => None,
        })),
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

fn parse_dns(sub: &str, p: &mut lexopt::Parser, c: &mut Common) -> Result<Command, lexopt::Error> {
    let (mut tail, mut file) = (20, None);
    while let Some(arg) = p.next()? {
        match (sub, arg) {
            (_, Long("config")) => c.config = Some(p.value()?.string()?),
            (_, Long("json")) => c.json = true,
            (_, Short('v')) => c.verbose += 1,
            (_, Long("help") | Short('h')) => return Ok(Command::Help(Some(sub.into()))),
            ("events", Long("tail")) => tail = p.value()?.parse()?,
            ("export-dnsmasq", Value(v)) if file.is_none() => file = Some(v.string()?),
            (_, other) => return Err(other.unexpected()),
        }
    }
    Ok(match sub {
        "run" => Command::Run,
        "events" => Command::Events { tail },
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

/// Help text for a subcommand, or the overview.
pub fn help(sub: Option<&str>) -> String {
    match sub {
        Some("check") => CHECK_HELP.into(),
        Some("test") => TEST_HELP.into(),
        Some("apply") => APPLY_HELP.into(),
        Some("flush") => FLUSH_HELP.into(),
        Some("status") => STATUS_HELP.into(),
        Some("fetch") => FETCH_HELP.into(),
        Some("sync") => SYNC_HELP.into(),
        Some("feed") => FEED_HELP.into(),
        Some("run") => RUN_HELP.into(),
        Some("events") => EVENTS_HELP.into(),
        Some("export-dnsmasq") => EXPORT_DNSMASQ_HELP.into(),
        Some("feed build") => FEED_BUILD_HELP.into(),
        Some("feed sign") => FEED_SIGN_HELP.into(),
        Some("feed verify") => FEED_VERIFY_HELP.into(),
        Some("feed keygen") => FEED_KEYGEN_HELP.into(),
        _ => OVERVIEW.into(),
    }
}

const OVERVIEW: &str = "\
  apply --feed F…      install the nftables ruleset and block the feeds' IPs/CIDRs
  flush                remove everything iocguard installed in nftables
  status               what the kernel holds: set sizes and counters
iocguard — block botnet C2 indicators on a gateway and find the infected hosts
  fetch URL            download one feed as sync would (limits, TLS trust, gzip)

usage: iocguard [--config PATH] [--json] [-v] COMMAND [ARGS]

commands:
  sync                 fetch, verify and parse every feed; keep last-good copies; install
  check FILE…          lint feed files: format, accepted and rejected lines, aggregate
  test VALUE --feed F  is this IP or domain blocked, and by which entry of which feed?
  run                  the daemon: DNS sinkhole (reloads the set on SIGHUP)
  events [--tail N]    recent blocked DNS queries: who, MAC, name, listed domain, feed
  export-dnsmasq FILE  local=/domain/ lines for dnsmasq (dns.mode dnsmasq-file)
  feed build|sign|verify|keygen
                       central side: build a canonical feed, sign it (minisign)
  help COMMAND         help for one command

global options:
  --config PATH        configuration file [/etc/config/iocguard]
  --json               machine-readable output
  -v                   more log output (repeat for more)
  -V, --version        print the version

exit codes: 0 success; 1 partial (see the command); 2 usage or unusable input
";

const CHECK_HELP: &str = "\
usage: iocguard check [OPTIONS] FILE…   (FILE may be - for stdin)

Parses each feed file, shows the detected format, the accepted entries by
type, every rejected line with its line number and reason, and the size of
the aggregated result (duplicates removed, prefixes merged, subdomains of
listed domains dropped).

options:
  --format NAME          skip detection: plain hosts ipset mikrotik dshield
                         spamhaus-json adblock dnsmasq unbound rpz csv stix
  --kind auto|ip|domain  accept only this kind of indicator [auto]
  --allow VALUE          never block this IP, CIDR or domain (repeatable)
  --allow-reserved CIDR  let feeds block this normally protected range
  --show N               rejected lines shown per file [20] (--json: up to 1000)
  --json                 print the report as JSON

exit codes:
  0  every line of every file was accepted
  1  some lines were rejected (the rest is usable)
  2  a file is unusable (not a list, binary, wrong format) or bad usage
";

const SYNC_HELP: &str = "\
usage: iocguard [--config PATH] sync [--force] [--json]

Fetches every enabled feed of the configuration (conditional GET, size cap,
minisign signature when a public key is set), parses it, applies the sanity
guards, and keeps each feed's last good copy on flash. A feed that fails
keeps its previous copy. Then installs the aggregated set. Run from cron.

options:
  --force     accept a feed that shrank by more than max_shrink percent
  --no-apply  keep the cached lists current but install nothing (central
              test machines; `apply` installs later)
  --json    print the run summary as JSON

exit codes:
  0  every feed fine
  1  some feeds failed; their previous copies were kept
  2  configuration error (nothing changed)
  3  installing the set failed; the previous set stays installed
";

const TEST_HELP: &str = "\
usage: iocguard test [OPTIONS] VALUE --feed FILE…

Answers whether VALUE (an IP address or domain; URLs and host:port are
reduced to the host) would be blocked by the given feeds, and by which entry
of which feed. A domain is blocked when it or any parent domain is listed.

options:
  --feed FILE            a feed file (repeatable)
  --allow VALUE          allowlist entry (repeatable)
  --allow-reserved CIDR  let feeds block this normally protected range
  --json                 print the answer as JSON

exit codes:
  0  blocked
  1  not blocked (not listed, or allowlisted)
  2  bad usage, bad VALUE, or an unusable feed file
";

const RUN_HELP: &str = "\
usage: iocguard [--config PATH] run [-v]

The daemon. Loads the set from the last-good feed cache (no network) and,
with dns.mode front or behind, serves DNS on dns.listen (UDP and TCP):
listed domains and every name under them get dns.answer with dns.ttl,
everything else is forwarded to dns.upstream (default: the nameservers in
/tmp/resolv.conf.d/resolv.conf.auto, else /etc/resolv.conf). Only main.lan
networks and loopback are answered; others get REFUSED. Blocked queries
are logged to run_dir/events.jsonl (see `iocguard events`). Writes
run_dir/iocguard.pid; SIGHUP (sent by `sync`) reloads the set; SIGTERM
stops.

exit codes:
  0  stopped by SIGTERM/SIGINT
  2  configuration error, or a listen address could not be bound
";

const EVENTS_HELP: &str = "\
usage: iocguard [--config PATH] events [--tail N] [--json]

Prints the newest blocked DNS queries from run_dir/events.jsonl (and its
rotated copy): time, client address, MAC (when known), query name and
type, the listed domain that matched, and its feed.

options:
  --tail N   how many of the newest [20]
  --json     one JSON object per line, as stored

exit codes:
  0  printed (possibly nothing)
  2  bad usage or configuration
";

const EXPORT_DNSMASQ_HELP: &str = "\
usage: iocguard [--config PATH] export-dnsmasq FILE

Writes every blocked domain of the last-good set as a dnsmasq `local=/d/`
line (dnsmasq then answers NXDOMAIN for it and all names under it) to FILE,
atomically; `-` for stdout. For routers too small for the daemon: put FILE
in dnsmasq's conf-dir (e.g. /tmp/dnsmasq.d/iocguard.conf) and restart
dnsmasq. With dns.mode dnsmasq-file, `sync` writes that file itself.

exit codes:
  0  written
  2  bad usage, configuration error, or FILE cannot be written
";

const FEED_HELP: &str = "\
usage: iocguard feed COMMAND [OPTIONS] [ARGS]

The central IT centre's tools: merge raw lists into one canonical feed and
sign it. Keys and signatures are minisign's formats: `minisign -V` verifies
what `feed sign` writes, and `feed verify` (and every router) accepts what
`minisign -S` writes.

commands:
  build INPUT…         merge raw lists into one canonical, aggregated feed file
  sign --sec KEY FILE… write FILE.minisig for each FILE
  verify --pub PUB FILE…  check FILE against FILE.minisig
  keygen               create an unencrypted key pair

`iocguard feed COMMAND --help` for each command's options and exit codes.
";

const FEED_BUILD_HELP: &str = "\
usage: iocguard feed build [OPTIONS] INPUT…   (INPUT may be - for stdin)

Parses each raw list (any format `check` knows, detected per file) through
the same safety gate as the routers, and writes ONE plain feed: a `#` header
(feed name, UTC generation time, every source with its accepted and
rejected counts, totals), then IPv4 prefixes, IPv6 prefixes and domains,
one per line, aggregated (duplicates removed, adjacent prefixes merged,
subdomains of listed domains dropped) and sorted. Rejected lines are listed
on stderr as `check` lists them. Nothing is written when an input is
unusable or nothing is left to block.

options:
  --out FILE             write here (atomically: temporary file + rename) [stdout]
  --name NAME            feed name for the header [--out's file stem, or feed]
  --allow VALUE          never publish this IP, CIDR or domain (repeatable)
  --allow-reserved CIDR  let sources list this normally protected range

exit codes:
  0  feed written; every line of every input was accepted
  1  feed written; some lines were rejected (see stderr)
  2  nothing written: an input is unusable, nothing is left, or bad usage
";

const FEED_SIGN_HELP: &str = "\
usage: iocguard feed sign --sec FILE [--comment TEXT] FILE…

Signs each FILE with the minisign secret key and writes FILE.minisig
(prehashed `ED` signature, as `minisign -S` does). The trusted comment is
signed too, and verification returns it: its timestamp lets a sync refuse a
replayed older feed.

options:
  --sec FILE       unencrypted minisign secret key (`feed keygen`, `minisign -G -W`)
  --comment TEXT   trusted comment [timestamp:<unix time>\\tfile:<name>\\thashed,
                   as minisign writes it]

exit codes:
  0  every FILE signed
  2  unusable or password-protected key, unreadable FILE, unwritable
     signature, or bad usage (files before the failing one stay signed)
";

const FEED_VERIFY_HELP: &str = "\
usage: iocguard feed verify (--pub FILE | --pubkey BASE64) FILE…

Checks each FILE against FILE.minisig: the key id, the signature over the
file (prehashed or legacy) and the signature over the trusted comment, which
is printed.

options:
  --pub FILE       public key file (`minisign.pub`, `iocguard.pub`)
  --pubkey BASE64  the public key itself (`RWQ…`, as in UCI `option pubkey`)
  --json           print one result object per file

exit codes:
  0  every signature is good
  1  some FILE is unsigned, altered, or signed by another key
  2  unusable public key or bad usage
";

const FEED_KEYGEN_HELP: &str = "\
usage: iocguard feed keygen [--pub FILE] [--sec FILE] [--force]

Creates a minisign key pair. The secret key is NOT password-protected (it
signs unattended, e.g. from cron), so it is written with mode 0600: keep it
on the build machine, never on the web server. Prints the public key for the
routers' `option pubkey`.

options:
  --pub FILE   public key file [iocguard.pub]
  --sec FILE   secret key file [iocguard.key]
  --force      replace existing files

exit codes:
  0  key pair written
  2  a file exists (without --force), cannot be written, or bad usage
";

const FETCH_HELP: &str = "\
usage: iocguard fetch [OPTIONS] URL   (https://, http://, file://PATH or a path)

Downloads one feed exactly as `iocguard sync` does (size limit, timeouts,
3 retries, gzip, the system CA bundle) and writes the body to stdout or
--out FILE. Use it to see whether the router can reach a feed server.
With --etag / --last-modified it sends a conditional request. --json prints
the outcome and the new validators instead of the body.

options:
  -o, --out FILE          write the body to FILE
  --etag ETAG             send If-None-Match: ETAG
  --last-modified DATE    send If-Modified-Since: DATE
  --ca-bundle FILE        trusted CAs [/etc/ssl/certs/ca-certificates.crt]
  --max-bytes N           body size limit [33554432]
  --json                  print {status, bytes, etag, last_modified}

exit codes:
  0  a body was fetched
  1  not modified (the validators still match)
  2  bad usage, or the fetch failed (the reason is on stderr)
";

const APPLY_HELP: &str = "\
usage: iocguard [--config PATH] apply [--if-missing] [--json]
       iocguard apply [OPTIONS] --feed FILE…

Installs (or refreshes) table inet iocguard and makes its sets hold the
IPs and CIDRs of the given feeds. Without --feed it installs the last good
copies that `sync` kept, with the settings of the configuration file and
no network: what boot and firewall restarts run. Only the difference to what the kernel
holds is changed, in bounded transactions that never leave a listed
address unblocked. Domains in the feeds are for the DNS sinkhole and are
ignored here. If any feed is unusable nothing is changed.

options:
  --feed FILE            feed of addresses to block (repeatable)
  --doh FILE             feed of DNS-over-HTTPS resolver addresses (repeatable)
  --if-missing           do nothing if the table exists (after a firewall restart)
  --table NAME           nftables table, family inet [iocguard]
  --nflog-group N        NFLOG group for blocked attempts [10]
  --action reject|drop   TCP reset / ICMP admin-prohibited, or silent drop [reject]
  --lan CIDR             LAN network, for the DNS controls (repeatable)
  --lan-if IFNAME        LAN interface; takes precedence over --lan (repeatable)
  --router-addr IP       the router's DNS address (default: any local address)
  --no-force-dns         do not redirect LAN DNS (port 53) to the router
  --no-block-dot         do not reject DNS over TLS (853) from the LAN
  --inbound              also drop packets coming from listed sources
  --run-dir DIR          RAM directory for the record of installed sets [/tmp/iocguard]
  --allow VALUE          never block this IP or CIDR (repeatable)
  --allow-reserved CIDR  let feeds block this normally protected range
  --json                 print what changed as JSON

exit codes: 0 installed; 2 bad usage, unusable feed, or the kernel refused
";

const FLUSH_HELP: &str = "\
usage: iocguard flush [--table NAME] [--run-dir DIR]

Deletes table inet iocguard (or NAME) and so every rule, set and counter
iocguard installed. Tables of other owners (fw4) are never touched.
";

const STATUS_HELP: &str = "\
usage: iocguard status [--table NAME] [--run-dir DIR] [--count] [--json]

Shows whether the table is installed, how many ranges each set holds and
the named counters (blocked attempts, log messages, DNS redirects). Set
sizes come from iocguard's record of its last update, checked against the
kernel's set handles; --count counts them in the kernel instead (slow for
large sets: the kernel walks an interval set once per reply message).

exit codes: 0 installed; 1 not installed; 2 error
";

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
        assert_eq!(parse(args("run")).unwrap().1, Command::Run);
        assert_eq!(
            parse(args("events --tail 5 --json")).unwrap().1,
            Command::Events { tail: 5 }
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
