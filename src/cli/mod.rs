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
        "fetch" => parse_fetch(&mut p, &mut common)?,
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

/// Help text for a subcommand, or the overview.
pub fn help(sub: Option<&str>) -> String {
    match sub {
        Some("check") => CHECK_HELP.into(),
        Some("test") => TEST_HELP.into(),
        Some("fetch") => FETCH_HELP.into(),
        _ => OVERVIEW.into(),
    }
}

const OVERVIEW: &str = "\
iocguard — block botnet C2 indicators on a gateway and find the infected hosts

usage: iocguard [--config PATH] [--json] [-v] COMMAND [ARGS]

commands:
  check FILE…          lint feed files: format, accepted and rejected lines, aggregate
  test VALUE --feed F  is this IP or domain blocked, and by which entry of which feed?
  fetch URL            download one feed as sync would (limits, TLS trust, gzip)
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
    fn unknown_command() {
        assert!(parse(args("frobnicate")).is_err());
    }
}
