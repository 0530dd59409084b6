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
        "apply" => parse_apply(&mut p, &mut common)?,
        "flush" | "status" => parse_table_only(&sub, &mut p, &mut common)?,
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
    if feeds.is_empty() {
        return Err("apply needs at least one --feed FILE".into());
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
        _ => OVERVIEW.into(),
    }
}

const OVERVIEW: &str = "\
iocguard — block botnet C2 indicators on a gateway and find the infected hosts

usage: iocguard [--config PATH] [--json] [-v] COMMAND [ARGS]

commands:
  check FILE…          lint feed files: format, accepted and rejected lines, aggregate
  test VALUE --feed F  is this IP or domain blocked, and by which entry of which feed?
  apply --feed F…      install the nftables ruleset and block the feeds' IPs/CIDRs
  flush                remove everything iocguard installed in nftables
  status               what the kernel holds: set sizes and counters
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

const APPLY_HELP: &str = "\
usage: iocguard apply [OPTIONS] --feed FILE…

Installs (or refreshes) table inet iocguard and makes its sets hold the
IPs and CIDRs of the given feeds. Only the difference to what the kernel
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
        assert!(parse(args("apply")).is_err());
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
