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
    /// `iocguard sync`.
    Sync {
        /// `--force`: accept a shrink beyond `max_shrink`.
        force: bool,
    },
    /// `--help` for a subcommand (or the top level when `None`).
    Help(Option<String>),
    /// `--version`.
    Version,
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
        "sync" => parse_sync(&mut p, &mut common)?,
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
    let mut force = false;
    while let Some(arg) = p.next()? {
        match arg {
            Long("config") => c.config = Some(p.value()?.string()?),
            Long("json") => c.json = true,
            Short('v') => c.verbose += 1,
            Long("force") => force = true,
            Long("help") | Short('h') => return Ok(Command::Help(Some("sync".into()))),
            other => return Err(other.unexpected()),
        }
    }
    Ok(Command::Sync { force })
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

/// Help text for a subcommand, or the overview.
pub fn help(sub: Option<&str>) -> String {
    match sub {
        Some("check") => CHECK_HELP.into(),
        Some("test") => TEST_HELP.into(),
        Some("sync") => SYNC_HELP.into(),
        _ => OVERVIEW.into(),
    }
}

const OVERVIEW: &str = "\
iocguard — block botnet C2 indicators on a gateway and find the infected hosts

usage: iocguard [--config PATH] [--json] [-v] COMMAND [ARGS]

commands:
  sync                 fetch, verify and parse every feed; keep last-good copies; install
  check FILE…          lint feed files: format, accepted and rejected lines, aggregate
  test VALUE --feed F  is this IP or domain blocked, and by which entry of which feed?
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
  --force   accept a feed that shrank by more than max_shrink percent
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
            Command::Sync { force: true }
        );
    }

    #[test]
    fn unknown_command() {
        assert!(parse(args("frobnicate")).is_err());
    }
}
