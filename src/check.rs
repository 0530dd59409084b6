//! `iocguard check` and `iocguard test`: lint feed files and ask whether a
//! value would be blocked. Pure: the caller reads the files.

use crate::exit::Exit;
use crate::feed::{parse_feed, tallies, FeedReport, Format};
use crate::indicator::parse_indicator;
use crate::indicator::{Gate, Indicator, IndicatorSet, Keep, KindFilter, Match, SetBuilder};
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
                        "{}: format {}{}: {} IPv4, {} IPv6, {} domains accepted; {} rejected{}; {} skipped",
                        f.file,
                        r.format,
                        if r.detected { " (detected)" } else { "" },
                        c.v4,
                        c.v6,
                        c.domains,
                        c.rejected,
                        if c.refused > 0 {
                            format!(" ({} refused by policy, {} unreadable)", c.refused, c.malformed())
                        } else {
                            String::new()
                        },
                        c.skipped
                    );
                    for note in &r.notes {
                        let _ = writeln!(s, "  {}: {note}", f.file);
                    }
                    if !r.refusals.is_empty() {
                        let _ = writeln!(
                            s,
                            "  {}: dropped one by one, the rest is kept: {} refused by policy ({})",
                            f.file,
                            c.refused,
                            tallies(&r.refusals)
                        );
                    }
                    if !r.skips.is_empty() {
                        let _ = writeln!(s, "  {}: skipped: {}", f.file, tallies(&r.skips));
                    }
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
    check_keeping(inputs, format, kind, gate, Keep::All)
}

/// [`check`], building a set that keeps only what `keep` says (`apply`
/// needs the ranges, not the attribution).
pub fn check_keeping(
    inputs: impl IntoIterator<Item = Input>,
    format: Option<Format>,
    kind: KindFilter,
    gate: &Gate,
    keep: Keep,
) -> (CheckReport, IndicatorSet) {
    let mut builder = SetBuilder::keeping(keep);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicator::GateConfig;

    /// Two good lines of each kind, a protected address and a bad name.
    const A: &[u8] = b"11.0.0.0/24\n8.8.8.8/30\nevil.example\n2a00:1450::/32\n10.1.2.3\nbad_name!\n";

    fn input(name: &str, body: &[u8]) -> Input {
        Input {
            name: name.into(),
            body: Ok(body.to_vec()),
        }
    }

    fn gate() -> Gate {
        let allow = ["8.8.8.8", "good.evil.example"];
        Gate::new(&GateConfig {
            allow: allow.iter().map(|a| parse_indicator(a).unwrap()).collect(),
            ..GateConfig::default()
        })
    }

    fn run(inputs: Vec<Input>) -> (CheckReport, IndicatorSet) {
        check(inputs, None, KindFilter::Auto, &gate())
    }

    #[test]
    fn a_clean_file_exits_ok() {
        let (r, _) = run(vec![input("clean.txt", b"# C2\n11.0.0.1\nevil.example\n")]);
        assert_eq!(r.exit(), Exit::Ok);
        assert_eq!(
            r.render(10),
            "clean.txt: format plain (detected): 1 IPv4, 0 IPv6, 1 domains accepted; 0 rejected; 0 skipped\n\
             aggregated: 1 IPv4 entries → 1 CIDRs, 0 IPv6 entries → 0 CIDRs, 1 domains\n"
        );
    }

    #[test]
    fn rejected_lines_are_partial_and_listed_up_to_the_limit() {
        let (r, _) = run(vec![input("a.txt", A)]);
        assert_eq!(r.exit(), Exit::Partial);
        let head = "a.txt: format plain (detected): 2 IPv4, 1 IPv6, 1 domains accepted; \
                    2 rejected (1 refused by policy, 1 unreadable); 0 skipped\n  \
                    a.txt: dropped one by one, the rest is kept: 1 refused by policy \
                    (1 inside private network (RFC 1918))\n";
        let rej1 = "  a.txt:5: \"10.1.2.3\": inside private network (RFC 1918) (10.0.0.0/8), which is never blocked\n";
        let rej2 =
            "  a.txt:6: \"bad_name!\": not an IP address or domain name: label \"bad_name!\" contains a \
                    character not allowed in host names\n";
        // 8.8.8.8 is cut out of 8.8.8.8/30: 11.0.0.0/24, 8.8.8.9, 8.8.8.10/31.
        let agg = "aggregated: 2 IPv4 entries → 3 CIDRs, 1 IPv6 entries → 1 CIDRs, 1 domains\n";
        assert_eq!(r.render(2), format!("{head}{rej1}{rej2}{agg}"));
        assert_eq!(
            r.render(1),
            format!("{head}{rej1}  … 1 more rejected (use --json for up to 1000)\n{agg}")
        );
        assert_eq!(
            r.render(0),
            format!("{head}  … 2 more rejected (use --json for up to 1000)\n{agg}")
        );
    }

    #[test]
    fn an_unusable_file_is_a_usage_error_and_not_aggregated() {
        let (r, _) = run(vec![
            input("a.txt", A),
            Input {
                name: "b.txt".into(),
                body: Err("cannot read b.txt: No such file or directory (os error 2)".into()),
            },
            input("c.html", b"<!DOCTYPE html><html><body>Not found</body></html>\n"),
        ]);
        assert_eq!(r.exit(), Exit::Usage, "worse than the rejected lines of a.txt");
        let text = r.render(0);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[3..],
            [
                "b.txt: refused: cannot read b.txt: No such file or directory (os error 2)",
                "c.html: refused: is an HTML page, not an indicator list",
                "aggregated: 2 IPv4 entries → 3 CIDRs, 1 IPv6 entries → 1 CIDRs, 1 domains",
            ]
        );
        assert!(r.files[1].report.is_none() && r.files[2].report.is_none());
    }

    /// Issue 13: 14 bogons and 3 real C2 addresses. The 3 are kept, and
    /// the report says how many were refused and why.
    #[test]
    fn mostly_gate_refused_entries_keep_the_rest() {
        let body = "# C2 list\n10.0.0.1\n10.2.3.4\n192.168.1.1\n192.168.7.7\n172.16.0.9\n127.0.0.1\n\
                    0.0.0.0/0\n0.0.0.0\n224.0.0.251\n255.255.255.255\n169.254.1.1\n100.64.0.1\n\
                    192.0.2.10\n203.0.113.5\n45.9.148.108\n185.220.101.4\n91.92.109.63\n";
        let (r, set) = run(vec![input("c2.txt", body.as_bytes())]);
        let rep = r.files[0].report.as_ref().expect("the feed is usable");
        assert_eq!(
            (rep.counts.v4, rep.counts.rejected, rep.counts.refused),
            (3, 14, 14)
        );
        assert_eq!(set.v4_entries(), 3);
        assert_eq!(r.exit(), Exit::Partial);
        let text = r.render(0);
        assert!(
            text.contains(
                "3 IPv4, 0 IPv6, 0 domains accepted; 14 rejected (14 refused by policy, 0 unreadable)"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "c2.txt: dropped one by one, the rest is kept: 14 refused by policy \
                 (5 inside private network (RFC 1918), 1 inside loopback, 1 prefix broader than /8, \
                 1 inside \"this network\" / unspecified, 1 inside multicast, \
                 1 inside reserved and broadcast, 1 inside link-local, \
                 1 inside carrier-grade NAT (RFC 6598), 1 inside documentation (TEST-NET-1), \
                 1 inside documentation (TEST-NET-3))\n"
            ),
            "{text}"
        );
        assert_eq!(test(&set, "45.9.148.108").unwrap().verdict, "blocked");
    }

    #[test]
    fn prose_is_still_not_a_list() {
        let body = b"Welcome to our threat page\nWe publish daily\nContact us at\nThanks\n1.2.3.4\n";
        let (r, _) = run(vec![input("p.txt", body)]);
        let e = r.files[0].error.as_deref().unwrap_or_default();
        assert!(
            e.contains("not a usable plain list: 4 of 5 entries could not be read"),
            "{e}"
        );
    }

    fn answer(value: &str, verdict: &'static str, listed: Option<&str>) -> TestAnswer {
        TestAnswer {
            value: value.into(),
            verdict,
            entry: listed.map(Into::into),
            feed: listed.map(|_| "a.txt".into()),
        }
    }

    #[test]
    fn test_answers_for_addresses() {
        let (_, set) = run(vec![input("a.txt", A)]);
        let t = |v| test(&set, v).unwrap();
        assert_eq!(t("11.0.0.7"), answer("11.0.0.7", "blocked", Some("11.0.0.0/24")));
        assert_eq!(t("8.8.8.9"), answer("8.8.8.9", "blocked", Some("8.8.8.8/30")));
        // Allowlisted: listed by the feed, exempt by the gate.
        assert_eq!(t("8.8.8.8"), answer("8.8.8.8", "allowed", Some("8.8.8.8/30")));
        assert_eq!(t("9.9.9.9"), answer("9.9.9.9", "not-listed", None));
        // Refused by the gate, so not listed at all.
        assert_eq!(t("10.1.2.3"), answer("10.1.2.3", "not-listed", None));
        assert_eq!(
            t("2a00:1450:0::1"),
            answer("2a00:1450::1", "blocked", Some("2a00:1450::/32"))
        );
        assert_eq!(t("2a00:1451::1"), answer("2a00:1451::1", "not-listed", None));
    }

    #[test]
    fn test_answers_for_domains() {
        let (_, set) = run(vec![input("a.txt", A)]);
        let t = |v| test(&set, v).unwrap();
        assert_eq!(
            t("evil.example"),
            answer("evil.example", "blocked", Some("evil.example"))
        );
        assert_eq!(
            t("WWW.Evil.Example."),
            answer("www.evil.example", "blocked", Some("evil.example"))
        );
        assert_eq!(
            t("good.evil.example"),
            answer("good.evil.example", "allowed", Some("evil.example"))
        );
        assert_eq!(
            t("x.good.evil.example"),
            answer("x.good.evil.example", "allowed", Some("evil.example"))
        );
        assert_eq!(t("example.org"), answer("example.org", "not-listed", None));
    }

    #[test]
    fn test_refuses_what_is_not_one_address_or_name() {
        let (_, set) = run(vec![input("a.txt", A)]);
        for v in ["11.0.0.0/24", "no way", ""] {
            match test(&set, v) {
                Err(TestError::BadValue(got)) => assert_eq!(got, v),
                other => panic!("{v:?}: {other:?}"),
            }
        }
        assert_eq!(
            test(&set, "no way").unwrap_err().to_string(),
            "\"no way\" is not an IP address or domain name"
        );
    }
}
