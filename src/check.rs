//! `iocguard check` and `iocguard test`: lint feed files and ask whether a
//! value would be blocked. Pure: the caller reads the files.

use crate::exit::Exit;
use crate::feed::{parse_feed, FeedReport, Format};
use crate::indicator::parse_indicator;
use crate::indicator::{Gate, Indicator, IndicatorSet, KindFilter, Match, SetBuilder};
use serde::Serialize;
use std::fmt::Write as _;
use std::net::IpAddr;

/// One input of `check`/`test`: a name (path or `-`) and its bytes.
pub struct Input {
    /// Shown to the admin: the path, or `-` for stdin.
    pub name: String,
    /// The body, or why it could not be read.
    pub body: Result<Vec<u8>, String>,
}

/// The outcome for one file.
#[derive(Serialize)]
pub struct FileResult {
    /// The file's name.
    pub file: String,
    /// The parse report, when the file was usable.
    #[serde(flatten)]
    pub report: Option<FeedReport>,
    /// Why the whole file was refused.
    pub error: Option<String>,
}

/// The aggregated result over all files.
#[derive(Serialize, Default)]
pub struct Aggregate {
    /// Distinct listed IPv4 prefixes.
    pub v4_entries: usize,
    /// Distinct listed IPv6 prefixes.
    pub v6_entries: usize,
    /// Domains after dropping subdomains of listed domains.
    pub domains: usize,
    /// The minimal CIDR cover of the blocked IPv4 space.
    pub v4_prefixes: usize,
    /// The minimal CIDR cover of the blocked IPv6 space.
    pub v6_prefixes: usize,
}

/// Everything `check` reports.
#[derive(Serialize)]
pub struct CheckReport {
    /// Per file.
    pub files: Vec<FileResult>,
    /// Over all usable files.
    pub aggregate: Aggregate,
}

impl CheckReport {
    /// Ok when clean, Partial when some lines were rejected, Usage when a
    /// file is unusable.
    pub fn exit(&self) -> Exit {
        if self.files.iter().any(|f| f.error.is_some()) {
            Exit::Usage
        } else if self
            .files
            .iter()
            .any(|f| f.report.as_ref().is_some_and(|r| r.counts.rejected > 0))
        {
            Exit::Partial
        } else {
            Exit::Ok
        }
    }

    /// The human-readable report; at most `max_rejects` rejected lines per
    /// file are listed.
    pub fn render(&self, max_rejects: usize) -> String {
        let mut s = String::new();
        for f in &self.files {
            match (&f.report, &f.error) {
                (_, Some(e)) => {
                    let _ = writeln!(s, "{}: refused: {}", f.file, e);
                }
                (Some(r), None) => {
                    let c = &r.counts;
                    let _ = writeln!(
                        s,
                        "{}: format {}{}: {} IPv4, {} IPv6, {} domains accepted; {} rejected; {} skipped",
                        f.file,
                        r.format,
                        if r.detected { " (detected)" } else { "" },
                        c.v4,
                        c.v6,
                        c.domains,
                        c.rejected,
                        c.skipped
                    );
                    for rej in r.rejected.iter().take(max_rejects) {
                        let _ = writeln!(s, "  {}:{}: {:?}: {}", f.file, rej.line, rej.text, rej.reason);
                    }
                    if c.rejected > max_rejects.min(r.rejected.len()) {
                        let _ = writeln!(
                            s,
                            "  … {} more rejected (use --json for up to 1000)",
                            c.rejected - max_rejects.min(r.rejected.len())
                        );
                    }
                }
                (None, None) => {}
            }
        }
        let a = &self.aggregate;
        let _ = writeln!(
            s,
            "aggregated: {} IPv4 entries → {} CIDRs, {} IPv6 entries → {} CIDRs, {} domains",
            a.v4_entries, a.v4_prefixes, a.v6_entries, a.v6_prefixes, a.domains
        );
        s
    }
}

/// Parses every input and aggregates the usable ones. Inputs are taken one
/// at a time and dropped after parsing, so only one body is in memory.
pub fn check(
    inputs: impl IntoIterator<Item = Input>,
    format: Option<Format>,
    kind: KindFilter,
    gate: &Gate,
) -> (CheckReport, IndicatorSet) {
    let mut builder = SetBuilder::new();
    let mut files = Vec::new();
    for input in inputs {
        let id = builder.add_feed(&input.name);
        let result = match input.body {
            Ok(body) => parse_feed(&body, format, kind, &mut builder, id, gate).map_err(|e| e.to_string()),
            Err(e) => Err(e),
        };
        let (report, error) = match result {
            Ok(r) => (Some(r), None),
            Err(e) => (None, Some(e)),
        };
        files.push(FileResult {
            file: input.name,
            report,
            error,
        });
    }
    let set = builder.build(gate);
    let aggregate = Aggregate {
        v4_entries: set.v4_entries(),
        v6_entries: set.v6_entries(),
        domains: set.domain_count(),
        v4_prefixes: set.v4_prefixes().len(),
        v6_prefixes: set.v6_prefixes().len(),
    };
    (CheckReport { files, aggregate }, set)
}

/// Why `test` could not answer.
#[derive(Debug, thiserror::Error)]
pub enum TestError {
    /// The value is neither an IP nor a domain.
    #[error("{0:?} is not an IP address or domain name")]
    BadValue(String),
}

/// The answer of `test`.
#[derive(Serialize, Debug, PartialEq, Eq)]
pub struct TestAnswer {
    /// The value asked about, normalised.
    pub value: String,
    /// `blocked`, `allowed` or `not-listed`.
    pub verdict: &'static str,
    /// The covering entry, when listed.
    pub entry: Option<String>,
    /// The feed that listed it.
    pub feed: Option<String>,
}

/// Asks whether `value` (an IP or domain) is blocked by `set`.
pub fn test(set: &IndicatorSet, value: &str) -> Result<TestAnswer, TestError> {
    let ind = parse_indicator(value).map_err(|_| TestError::BadValue(value.to_string()))?;
    let (norm, m) = match &ind {
        Indicator::V4(p) if p.is_host() => (p.to_string(), set.lookup_ip(IpAddr::V4(p.addr().into()))),
        Indicator::V6(p) if p.is_host() => (p.to_string(), set.lookup_ip(IpAddr::V6(p.addr().into()))),
        Indicator::Domain(d) => (d.to_string(), set.lookup_domain(d.as_str())),
        _ => return Err(TestError::BadValue(value.to_string())),
    };
    Ok(match m {
        Match::Blocked { entry, feed } => TestAnswer {
            value: norm,
            verdict: "blocked",
            entry: Some(entry),
            feed: Some(feed),
        },
        Match::Exempt { entry, feed } => TestAnswer {
            value: norm,
            verdict: "allowed",
            entry: Some(entry),
            feed: Some(feed),
        },
        Match::NotListed => TestAnswer {
            value: norm,
            verdict: "not-listed",
            entry: None,
            feed: None,
        },
    })
}
