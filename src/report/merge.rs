//! `iocguard report merge`: the IT centre's sum of units' JSON reports.
//!
//! A report is read strictly: it must be schema [`SCHEMA`] and parse as a
//! [`UnitReport`] exactly (unknown fields refused), and its figures must
//! agree with each other and with its host list ([`check_figures`]), so a
//! truncated, tampered or hand-edited report is refused with the file and
//! the reason rather than summed. With `--keys` each report must also
//! carry its unit's signature ([`super::signed`]). Two reports of one unit
//! for overlapping periods are refused with both file names: the sum would
//! count the same devices twice.
//!
//! Nothing here reads files except [`Submitted::read`], the caller's
//! convenience; the merge itself works on bytes.

use super::error::MergeError;
use super::model::{Blocked, Devices, Figures, MergedReport, Period, UnitLine, UnitReport, SCHEMA};
use super::signed::{verify_report, KeyRing};
use crate::sign::MAX_SIG_FILE_BYTES;
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

/// Largest report accepted, in bytes. A unit's report lists its infected
/// hosts; 32 MiB holds some 100 000 of them, far beyond any unit, and
/// bounds what one hostile file can make the IT centre allocate. Callers
/// that read reports themselves must stop reading there.
pub const MAX_REPORT_BYTES: usize = 32 * 1024 * 1024;

/// One unit's report as read: the file name, its bytes, its signature
/// file's bytes when present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitted {
    /// The report's file name, as the admin gave it (for messages).
    pub file: String,
    /// The report's bytes.
    pub bytes: Vec<u8>,
    /// The bytes of `FILE.minisig`, when there is one.
    pub signature: Option<Vec<u8>>,
}

impl Submitted {
    /// The name of the signature file expected beside `file`.
    pub fn signature_file(file: &str) -> String {
        format!("{file}.minisig")
    }

    /// Reads `path` (at most [`MAX_REPORT_BYTES`]) and `path.minisig` when
    /// it exists (at most [`MAX_SIG_FILE_BYTES`]).
    pub fn read(path: &Path) -> Result<Submitted, MergeError> {
        let file = path.display().to_string();
        let bytes = read_capped(path, &file, MAX_REPORT_BYTES)?.ok_or_else(|| MergeError::Read {
            file: file.clone(),
            source: std::io::ErrorKind::NotFound.into(),
        })?;
        if bytes.len() > MAX_REPORT_BYTES {
            return Err(MergeError::TooLarge {
                file,
                max: MAX_REPORT_BYTES,
            });
        }
        let mut sig_path = path.as_os_str().to_owned();
        sig_path.push(".minisig");
        let sig_path = Path::new(&sig_path);
        // One byte over the cap is kept so that the parser reports the
        // oversized file instead of a truncated one.
        let signature = read_capped(sig_path, &Submitted::signature_file(&file), MAX_SIG_FILE_BYTES)?;
        Ok(Submitted {
            file,
            bytes,
            signature,
        })
    }
}

/// Reads at most `cap + 1` bytes of `path`; `None` when it does not exist.
fn read_capped(path: &Path, shown: &str, cap: usize) -> Result<Option<Vec<u8>>, MergeError> {
    let err = |source| MergeError::Read {
        file: shown.to_string(),
        source,
    };
    let f = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(err(e)),
    };
    let mut buf = Vec::new();
    f.take(cap as u64 + 1).read_to_end(&mut buf).map_err(err)?;
    Ok(Some(buf))
}

/// Just the schema, read before the full parse so that a report of a
/// newer schema is refused as such and not for its new fields.
#[derive(serde::Deserialize)]
struct Probe {
    #[serde(default)]
    schema: Option<u64>,
}

/// Why serde_json refused, in the admin's words.
fn json_reason(e: &serde_json::Error) -> String {
    match e.classify() {
        serde_json::error::Category::Eof => {
            format!("truncated at line {}, column {}", e.line(), e.column())
        }
        _ => e.to_string(),
    }
}

/// Parses one report: size, shape, schema; figures are not checked.
fn parse(file: &str, bytes: &[u8]) -> Result<UnitReport, MergeError> {
    let not = |reason: String| MergeError::NotAReport {
        file: file.to_string(),
        reason,
    };
    if bytes.len() > MAX_REPORT_BYTES {
        return Err(MergeError::TooLarge {
            file: file.to_string(),
            max: MAX_REPORT_BYTES,
        });
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(not("the file is empty".into()));
    }
    // serde would also read a struct from a JSON array, a form iocguard
    // never writes.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(not("not a JSON object".into()));
    }
    let probe: Probe = serde_json::from_slice(bytes).map_err(|e| not(json_reason(&e)))?;
    if let Some(found) = probe.schema.filter(|&s| s != u64::from(SCHEMA)) {
        return Err(MergeError::Schema {
            file: file.to_string(),
            found,
            expected: SCHEMA,
        });
    }
    serde_json::from_slice(bytes).map_err(|e| not(json_reason(&e)))
}

/// Parses and checks one unit's report (everything [`merge`] checks of a
/// single report except its signature).
pub fn parse_report(file: &str, bytes: &[u8]) -> Result<UnitReport, MergeError> {
    let r = parse(file, bytes)?;
    check_figures(&r).map_err(|reason| MergeError::Inconsistent {
        file: file.to_string(),
        reason,
    })?;
    Ok(r)
}

/// Checks that a report's figures agree with each other and with its host
/// list, as [`super::build::build`] makes them: each listed host is a
/// detected device, classified by its hits (IP only, DNS only, both) and
/// its state, and the blocked DNS queries are its hosts' DNS hits. A
/// report edited by hand rarely keeps all of that true. The error is
/// which figures disagree. `blocked.connections` (the kernel's counters)
/// and the admin's rows cannot be checked against anything.
pub fn check_figures(r: &UnitReport) -> Result<(), String> {
    if r.unit.trim().is_empty() {
        return Err("the unit has no name".into());
    }
    let p = &r.period;
    if let Some(since) = p.since.filter(|&s| s > p.until) {
        return Err(format!(
            "the period starts ({}) after it ends ({})",
            crate::clock::utc_iso8601(since),
            crate::clock::utc_iso8601(p.until)
        ));
    }
    let d = &r.devices;
    // u128: hostile figures near 2⁶⁴ must not overflow the check itself.
    let kinds = u128::from(d.by_ip) + u128::from(d.by_dns) + u128::from(d.by_both);
    if kinds != u128::from(d.detected) {
        return Err(format!(
            "devices by IP ({}) + by DNS ({}) + by both ({}) = {kinds}, not the {} detected",
            d.by_ip, d.by_dns, d.by_both, d.detected
        ));
    }
    if u128::from(d.handled) + u128::from(d.reinfected) > u128::from(d.detected) {
        return Err(format!(
            "devices handled ({}) + re-infected ({}) exceed the {} detected",
            d.handled, d.reinfected, d.detected
        ));
    }
    if d.notified > d.detected {
        return Err(format!(
            "users notified ({}) exceed the {} devices detected",
            d.notified, d.detected
        ));
    }
    if r.hosts.len() as u64 != d.detected {
        return Err(format!(
            "the host list has {} hosts, not the {} detected",
            r.hosts.len(),
            d.detected
        ));
    }
    // Users notified are counted from the notice page's clicks, which the
    // host list does not carry: only its bound above can be checked.
    let mut seen = Devices {
        detected: d.detected,
        notified: d.notified,
        ..Devices::default()
    };
    let mut dns_hits: u128 = 0;
    for (i, h) in r.hosts.iter().enumerate() {
        let n = i + 1;
        if h.first_seen > h.last_seen {
            return Err(format!("host {n} was last seen before it was first seen"));
        }
        if !p.meets(h.first_seen, h.last_seen) {
            return Err(format!("host {n} was not seen in the period"));
        }
        match (h.ip_hits > 0, h.dns_hits > 0) {
            (true, true) => seen.by_both += 1,
            (true, false) => seen.by_ip += 1,
            (false, true) => seen.by_dns += 1,
            (false, false) => return Err(format!("host {n} has no hit")),
        }
        match h.state.as_str() {
            "acknowledged" => seen.handled += 1,
            "reinfected" => seen.reinfected += 1,
            "infected" => {}
            other => return Err(format!("host {n} has an unknown state {other:?}")),
        }
        dns_hits += u128::from(h.dns_hits);
    }
    if seen != *d {
        return Err(format!(
            "the host list gives {} by IP, {} by DNS, {} by both, {} handled, {} re-infected; \
             the figures say {}, {}, {}, {}, {}",
            seen.by_ip,
            seen.by_dns,
            seen.by_both,
            seen.handled,
            seen.reinfected,
            d.by_ip,
            d.by_dns,
            d.by_both,
            d.handled,
            d.reinfected
        ));
    }
    if dns_hits != u128::from(r.blocked.dns_queries) {
        return Err(format!(
            "{} blocked DNS queries, but the hosts' DNS hits add up to {dns_hits}",
            r.blocked.dns_queries
        ));
    }
    Ok(())
}

/// The units of a roster file: one unit name per line, trimmed; blank
/// lines and lines whose first character is `#` are skipped (a `#` later
/// in a line is part of the name: "Đơn vị #3"); a leading UTF-8 BOM, as
/// Windows editors write, is dropped; repeated names are listed once.
pub fn parse_roster(text: &str) -> Vec<String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut units: Vec<String> = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') || units.iter().any(|u| u == line) {
            continue;
        }
        units.push(line.to_string());
    }
    units
}

/// A period for messages: `2025-11-01T00:00:00Z to 2025-11-30T23:59:59Z`.
fn show_period(p: &Period) -> String {
    let until = crate::clock::utc_iso8601(p.until);
    match p.since {
        Some(s) => format!("{} to {until}", crate::clock::utc_iso8601(s)),
        None => format!("until {until}"),
    }
}

/// Checks `file`'s signature against its unit's key.
fn check_signature(s: &Submitted, unit: &str, keys: &KeyRing) -> Result<(), MergeError> {
    let sig = s.signature.as_deref().ok_or_else(|| MergeError::Unsigned {
        file: s.file.clone(),
        signature: Submitted::signature_file(&s.file),
    })?;
    let (Some(pk), Some(key_file)) = (keys.for_unit(unit), keys.key_file(unit)) else {
        return Err(MergeError::NoKey {
            file: s.file.clone(),
            unit: unit.to_string(),
            dir: keys.dir().to_string(),
        });
    };
    verify_report(pk, &s.bytes, sig, unit).map_err(|reason| MergeError::BadSignature {
        file: s.file.clone(),
        key: key_file.display().to_string(),
        reason,
    })
}

/// `a + b`, or the overflow error naming `file`.
fn add(a: u64, b: u64, file: &str) -> Result<u64, MergeError> {
    a.checked_add(b).ok_or_else(|| MergeError::Overflow {
        file: file.to_string(),
    })
}

/// Adds one unit's figures to the totals. Row 1 (organisations informed)
/// is summed over the units that give it and stays `None` when none does;
/// blocked connections become `None` as soon as one unit lacks them, since
/// a sum missing a unit would read as exact.
fn add_figures(t: &mut Figures, f: &Figures, first: bool, file: &str) -> Result<(), MergeError> {
    t.orgs_informed = match (t.orgs_informed, f.orgs_informed) {
        (Some(a), Some(b)) => Some(add(a, b, file)?),
        (a, b) => a.or(b),
    };
    t.orgs_deployed = add(t.orgs_deployed, f.orgs_deployed, file)?;
    let (td, fd) = (&mut t.devices, &f.devices);
    td.detected = add(td.detected, fd.detected, file)?;
    td.by_ip = add(td.by_ip, fd.by_ip, file)?;
    td.by_dns = add(td.by_dns, fd.by_dns, file)?;
    td.by_both = add(td.by_both, fd.by_both, file)?;
    td.handled = add(td.handled, fd.handled, file)?;
    td.reinfected = add(td.reinfected, fd.reinfected, file)?;
    td.notified = add(td.notified, fd.notified, file)?;
    t.blocked = Blocked {
        connections: match (t.blocked.connections, f.blocked.connections) {
            (Some(a), Some(b)) => Some(add(a, b, file)?),
            (None, b) if first => b,
            _ => None,
        },
        dns_queries: add(t.blocked.dns_queries, f.blocked.dns_queries, file)?,
    };
    Ok(())
}

/// Merges units' reports into the IT centre's report, generated at `now`.
///
/// Each report is parsed and checked ([`parse_report`]; when `keys` is
/// given its signature is checked first, so a tampered report is refused
/// for its signature). Two reports of one unit for overlapping periods are
/// refused, naming both files. The figures are summed: organisations
/// informed over the units that give them (`None` when none does),
/// blocked connections only when every unit has them (`None` as soon as
/// one lacks them, since a partial sum would read as exact), the rest
/// always. Units are kept in the order given; the units of `roster` (see
/// [`parse_roster`]) that sent nothing are listed as `missing`, in roster
/// order. A unit not on the roster is merged all the same. The first
/// refusal stops the merge: the IT centre fixes or drops that file and
/// runs it again.
pub fn merge(
    reports: Vec<Submitted>,
    roster: Option<&str>,
    keys: Option<&KeyRing>,
    now: u64,
) -> Result<MergedReport, MergeError> {
    let mut units: Vec<UnitLine> = Vec::with_capacity(reports.len());
    let mut totals = Figures::default();
    // Unit name → indexes in `units`, for the overlap check.
    let mut by_unit: HashMap<String, Vec<usize>> = HashMap::new();
    for s in reports {
        let r = parse(&s.file, &s.bytes)?;
        if let Some(keys) = keys {
            check_signature(&s, &r.unit, keys)?;
        }
        check_figures(&r).map_err(|reason| MergeError::Inconsistent {
            file: s.file.clone(),
            reason,
        })?;
        let same = by_unit.entry(r.unit.trim().to_string()).or_default();
        if let Some(&i) = same.iter().find(|&&i| units[i].period.overlaps(&r.period)) {
            let earlier = &units[i];
            return Err(MergeError::Overlap {
                unit: r.unit,
                first: earlier.file.clone(),
                first_period: show_period(&earlier.period),
                second: s.file,
                second_period: show_period(&r.period),
            });
        }
        same.push(units.len());
        let figures = r.figures();
        add_figures(&mut totals, &figures, units.is_empty(), &s.file)?;
        units.push(UnitLine {
            unit: r.unit,
            file: s.file,
            period: r.period,
            figures,
            signed: keys.is_some(),
        });
    }
    let missing = roster
        .map(parse_roster)
        .unwrap_or_default()
        .into_iter()
        .filter(|u| !by_unit.contains_key(u))
        .collect();
    Ok(MergedReport {
        schema: SCHEMA,
        generated: now,
        units,
        totals,
        missing,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::{HostRow, Indicators};
    use crate::report::signed::sign_report;
    use crate::sign::{KeyId, SecretKey};
    use std::path::PathBuf;

    const T: u64 = 1_764_370_000;
    const DAY: u64 = 86_400;

    fn host(seen: u64, ip: u64, dns: u64, state: &str) -> HostRow {
        HostRow {
            hostname: Some("<script>pc</script>".into()),
            mac: Some("02:00:00:00:00:01".into()),
            addrs: vec!["192.0.2.1".into()],
            first_seen: seen,
            last_seen: seen + 10,
            ip_hits: ip,
            ip_hits_lower_bound: false,
            dns_hits: dns,
            indicators: vec!["evil.example".into()],
            state: state.into(),
            ack_at: None,
            note: None,
        }
    }

    /// A consistent report of `unit` for `[since, until]`: three hosts, one
    /// of each kind, one handled and one re-infected.
    fn report(unit: &str, since: u64, until: u64) -> UnitReport {
        UnitReport {
            schema: SCHEMA,
            unit: unit.into(),
            generated: until,
            period: Period {
                since: Some(since),
                until,
            },
            orgs_informed: Some(5),
            orgs_deployed: 2,
            assessment: "Tốt.".into(),
            assessment_drafted: false,
            proposals: String::new(),
            devices: Devices {
                detected: 3,
                by_ip: 1,
                by_dns: 1,
                by_both: 1,
                handled: 1,
                reinfected: 1,
                notified: 0,
            },
            blocked: Blocked {
                connections: Some(40),
                dns_queries: 7,
            },
            indicators: Indicators {
                ip_prefixes: 10,
                domains: 20,
            },
            feeds: vec![],
            hosts: vec![
                host(since, 4, 0, "infected"),
                host(since, 0, 5, "acknowledged"),
                host(since, 1, 2, "reinfected"),
            ],
        }
    }

    fn json(r: &UnitReport) -> Vec<u8> {
        serde_json::to_vec_pretty(r).unwrap()
    }

    fn sub(file: &str, r: &UnitReport) -> Submitted {
        Submitted {
            file: file.into(),
            bytes: json(r),
            signature: None,
        }
    }

    fn key(n: u8) -> SecretKey {
        SecretKey::from_seed(KeyId([n; 8]), [n; 32]).unwrap()
    }

    fn signed(file: &str, r: &UnitReport, sk: &SecretKey) -> Submitted {
        let mut s = sub(file, r);
        s.signature = Some(
            sign_report(sk, &s.bytes, &r.unit, r.generated)
                .unwrap()
                .into_bytes(),
        );
        s
    }

    /// A key directory with `UNIT.pub` for each (unit, key).
    fn keyring(tag: &str, keys: &[(&str, &SecretKey)]) -> (PathBuf, KeyRing) {
        let d = std::env::temp_dir().join(format!("iocguard-merge-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        for (unit, sk) in keys {
            std::fs::write(d.join(format!("{unit}.pub")), sk.public_key().to_file_string()).unwrap();
        }
        let ring = KeyRing::load(&d).unwrap();
        (d, ring)
    }

    fn err(reports: Vec<Submitted>, keys: Option<&KeyRing>) -> String {
        merge(reports, None, keys, T).unwrap_err().to_string()
    }

    #[test]
    fn json_merge_json_round_trip() {
        let a = report("Sở X", T, T + DAY);
        let mut b = report("Sở Y", T, T + DAY);
        b.orgs_informed = None;
        b.blocked.connections = None;
        let reports = vec![sub("a.json", &a), sub("b.json", &b)];
        // The unit's JSON reads back as the same report.
        assert_eq!(parse_report("a.json", &reports[0].bytes).unwrap(), a);
        let m = merge(reports, None, None, T + 2 * DAY).unwrap();
        assert_eq!(m.schema, SCHEMA);
        assert_eq!(m.generated, T + 2 * DAY);
        assert_eq!(
            m.units
                .iter()
                .map(|u| (u.unit.as_str(), u.file.as_str()))
                .collect::<Vec<_>>(),
            [("Sở X", "a.json"), ("Sở Y", "b.json")]
        );
        assert_eq!(m.units[0].figures, a.figures());
        assert!(!m.units[0].signed);
        let t = m.totals;
        assert_eq!(t.orgs_informed, Some(5), "summed over the units that give it");
        assert_eq!(t.orgs_deployed, 4);
        assert_eq!(
            t.devices,
            Devices {
                detected: 6,
                by_ip: 2,
                by_dns: 2,
                by_both: 2,
                handled: 2,
                reinfected: 2,
                notified: 0
            }
        );
        assert_eq!(t.blocked.connections, None, "one unit lacks it");
        assert_eq!(t.blocked.dns_queries, 14);
        // The merged JSON reads back as the same merge.
        let text = serde_json::to_string_pretty(&m).unwrap();
        let back: MergedReport = serde_json::from_str(&text).unwrap();
        assert_eq!(back, m);
    }

    #[test]
    fn totals_of_optional_rows() {
        let mut a = report("A", T, T + DAY);
        let mut b = report("B", T, T + DAY);
        a.orgs_informed = None;
        b.orgs_informed = None;
        let m = merge(vec![sub("a", &a), sub("b", &b)], None, None, T).unwrap();
        assert_eq!(m.totals.orgs_informed, None, "no unit gives it");
        assert_eq!(m.totals.blocked.connections, Some(80));
        // The first unit lacking connections makes the sum unknown too.
        a.blocked.connections = None;
        let m = merge(vec![sub("a", &a), sub("b", &b)], None, None, T).unwrap();
        assert_eq!(m.totals.blocked.connections, None);
        let m = merge(vec![], Some("A\n"), None, T).unwrap();
        assert_eq!((m.units.len(), m.missing), (0, vec!["A".to_string()]));
    }

    #[test]
    fn three_units_with_a_duplicate_a_missing_one_and_the_order_kept() {
        let roster = "\u{feff}# units of the campaign\nSở Z\n\n  Sở X  \r\nSở Y\nĐơn vị #3\nSở X\n";
        let x = report("Sở X", T, T + DAY);
        let y = report("Sở Y", T, T + DAY);
        let z = report("Sở Z", T, T + DAY);
        let m = merge(vec![sub("z.json", &z), sub("x.json", &x)], Some(roster), None, T).unwrap();
        assert_eq!(
            m.units.iter().map(|u| u.unit.as_str()).collect::<Vec<_>>(),
            ["Sở Z", "Sở X"]
        );
        assert_eq!(m.missing, ["Sở Y", "Đơn vị #3"]);

        // The same unit again, for a period that overlaps by one second.
        let x2 = report("Sở X", T + DAY, T + 2 * DAY);
        let e = err(
            vec![sub("a.json", &x), sub("b.json", &y), sub("c.json", &x2)],
            None,
        );
        assert!(
            e.starts_with("a.json and c.json are both reports of unit \"Sở X\" for overlapping periods ("),
            "{e}"
        );
        assert!(
            e.contains("a.json: 2025-11-28T22:46:40Z to 2025-11-29T22:46:40Z"),
            "{e}"
        );
        // The same file given twice is the same case.
        let e = err(vec![sub("a.json", &x), sub("a.json", &x)], None);
        assert!(e.starts_with("a.json and a.json are both reports"), "{e}");
        // Consecutive periods of one unit are fine: both are listed.
        let next = report("Sở X", T + DAY + 1, T + 2 * DAY);
        let m = merge(vec![sub("a.json", &x), sub("c.json", &next)], None, None, T).unwrap();
        assert_eq!(m.units.len(), 2);
        assert_eq!(m.totals.devices.detected, 6);
    }

    #[test]
    fn truncated_unknown_and_newer_reports_are_refused_by_name() {
        let good = json(&report("A", T, T + DAY));
        let text = String::from_utf8(good.clone()).unwrap();
        let cut = Submitted {
            file: "b.json".into(),
            bytes: good[..good.len() / 2].to_vec(),
            signature: None,
        };
        let e = err(vec![cut], None);
        assert!(
            e.starts_with("b.json: not a unit report: truncated at line "),
            "{e}"
        );
        let extra = text.replacen("\"unit\"", "\"injected\": 1,\n  \"unit\"", 1);
        let e = err(
            vec![Submitted {
                file: "c.json".into(),
                bytes: extra.into_bytes(),
                signature: None,
            }],
            None,
        );
        assert!(
            e.starts_with("c.json: not a unit report: unknown field `injected`"),
            "{e}"
        );
        // A newer schema is refused for its version, not its new fields.
        let newer = text.replacen("\"schema\": 1", "\"schema\": 2", 1).replacen(
            "\"unit\"",
            "\"new\": true,\n  \"unit\"",
            1,
        );
        let e = err(
            vec![Submitted {
                file: "d.json".into(),
                bytes: newer.into_bytes(),
                signature: None,
            }],
            None,
        );
        assert_eq!(e, "d.json: schema 2; this iocguard reads schema 1");
        for (bytes, want) in [
            (&b""[..], "e.json: not a unit report: the file is empty"),
            (b"[1]", "e.json: not a unit report: not a JSON object"),
            (
                b"{\"schema\":1}",
                "e.json: not a unit report: missing field `unit`",
            ),
        ] {
            let e = parse_report("e.json", bytes).unwrap_err().to_string();
            assert!(e.starts_with(want), "{e}");
        }
        let big = vec![b' '; MAX_REPORT_BYTES + 1];
        let e = parse_report("f.json", &big).unwrap_err().to_string();
        assert_eq!(
            e,
            format!("f.json: more than {MAX_REPORT_BYTES} bytes, too large for a unit report")
        );
    }

    /// A hand edit of a report.
    type Edit = fn(&mut UnitReport);

    #[test]
    fn hand_edited_figures_are_inconsistent() {
        let edits: [(Edit, &str); 10] = [
            (
                |r| r.devices.detected = 4,
                "devices by IP (1) + by DNS (1) + by both (1) = 3, not the 4 detected",
            ),
            (|r| r.devices.by_ip = 2, "= 4, not the 3 detected"),
            (
                |r| r.devices.handled = 3,
                "devices handled (3) + re-infected (1) exceed the 3 detected",
            ),
            (
                |r| r.devices.handled = 2,
                "the host list gives 1 by IP, 1 by DNS, 1 by both, 1 handled",
            ),
            (
                |r| r.blocked.dns_queries = 8,
                "8 blocked DNS queries, but the hosts' DNS hits add up to 7",
            ),
            (
                |r| r.period.since = Some(r.period.until + 1),
                "the period starts (2025-11-29T22:46:41Z) after",
            ),
            (
                |r| {
                    r.hosts.pop();
                },
                "the host list has 2 hosts, not the 3 detected",
            ),
            (
                |r| r.hosts[0].state = "cured".into(),
                "host 1 has an unknown state \"cured\"",
            ),
            (
                |r| r.hosts[1].last_seen = T - 2 * DAY,
                "host 2 was last seen before it was first seen",
            ),
            (
                |r| {
                    r.hosts[1].first_seen = T + 2 * DAY;
                    r.hosts[1].last_seen = T + 2 * DAY;
                },
                "host 2 was not seen in the period",
            ),
        ];
        for (edit, want) in edits {
            let mut r = report("A", T - DAY, T + DAY);
            edit(&mut r);
            let e = err(vec![sub("h.json", &r)], None);
            assert!(e.starts_with("h.json: inconsistent figures: "), "{e}");
            assert!(e.contains(want), "{want} not in {e}");
        }
        // Figures nothing can check are accepted unsigned.
        let mut r = report("A", T - DAY, T + DAY);
        r.blocked.connections = Some(1_000_000);
        r.orgs_deployed = 99;
        merge(vec![sub("h.json", &r)], None, None, T).unwrap();
    }

    #[test]
    fn hostile_figures_cannot_overflow_the_sums() {
        let mut a = report("A", T, T + DAY);
        a.blocked.connections = Some(u64::MAX);
        let b = report("B", T, T + DAY);
        let e = err(vec![sub("a.json", &a), sub("b.json", &b)], None);
        assert_eq!(e, "b.json: figures too large to add to the other units' figures");
        let mut c = report("C", T, T + DAY);
        c.devices.by_ip = u64::MAX;
        c.devices.by_dns = 2;
        c.devices.by_both = 0;
        c.devices.detected = 1;
        assert!(err(vec![sub("c.json", &c)], None).contains("inconsistent figures"));
    }

    #[test]
    fn signatures_are_checked_against_each_units_key() {
        let (ka, kb) = (key(1), key(2));
        let (dir, ring) = keyring("sig", &[("Sở X", &ka), ("Sở Y", &kb)]);
        let x = report("Sở X", T, T + DAY);
        let y = report("Sở Y", T, T + DAY);
        let m = merge(
            vec![signed("x.json", &x, &ka), signed("y.json", &y, &kb)],
            None,
            Some(&ring),
            T,
        )
        .unwrap();
        assert!(m.units.iter().all(|u| u.signed));

        let key_x = dir.join("Sở X.pub").display().to_string();
        // Tampered: a changed figure, the signature kept. Refused for the
        // signature even though the edit also breaks a sum.
        let mut t = signed("t.json", &x, &ka);
        let text = String::from_utf8(t.bytes.clone()).unwrap();
        t.bytes = text
            .replacen("\"detected\": 3", "\"detected\": 2", 1)
            .into_bytes();
        assert_ne!(t.bytes, json(&x));
        let e = err(vec![t.clone()], Some(&ring));
        assert!(
            e.starts_with(&format!(
                "t.json: signature does not verify with {key_x}: bad signature"
            )),
            "{e}"
        );
        // Without keys the same file is caught by its figures.
        let e = err(vec![t], None);
        assert!(e.starts_with("t.json: inconsistent figures: "), "{e}");
        // Without keys an edit that breaks no sum is accepted: only a
        // signature can tell.
        let mut quiet = signed("q.json", &x, &ka);
        quiet.bytes = String::from_utf8(quiet.bytes)
            .unwrap()
            .replacen("\"connections\": 40", "\"connections\": 4", 1)
            .into_bytes();
        assert!(merge(vec![quiet.clone()], None, None, T).is_ok());
        assert!(err(vec![quiet], Some(&ring)).contains("bad signature"));

        // Forged: unit Y signs a report claiming to be unit X.
        let e = err(vec![signed("f.json", &x, &kb)], Some(&ring));
        assert!(
            e.starts_with(&format!(
                "f.json: signature does not verify with {key_x}: signed with key"
            )),
            "{e}"
        );
        // Y's report, unit name changed to X and signed again by Y: the
        // same refusal, X's key is what counts.
        let mut claimed = y.clone();
        claimed.unit = "Sở X".into();
        assert!(err(vec![signed("g.json", &claimed, &kb)], Some(&ring)).contains("signed with key"));

        // A unit that shares X's key cannot vouch for X: the trusted
        // comment names the unit.
        let (dir2, shared) = keyring("shared", &[("Sở X", &ka), ("Sở Z", &ka)]);
        let z = report("Sở Z", T, T + DAY);
        let mut as_x = sub("s.json", &x);
        as_x.signature = Some(sign_report(&ka, &as_x.bytes, "Sở Z", 0).unwrap().into_bytes());
        let e = err(vec![as_x], Some(&shared));
        assert!(
            e.contains("signed as a report of unit \"Sở Z\", not of \"Sở X\""),
            "{e}"
        );
        merge(vec![signed("z.json", &z, &ka)], None, Some(&shared), T).unwrap();

        // Unsigned, and a unit without a key.
        let e = err(vec![sub("d.json", &x)], Some(&ring));
        assert_eq!(e, "d.json: no signature (d.json.minisig) but --keys was given");
        let w = report("Sở W", T, T + DAY);
        let e = err(vec![signed("e.json", &w, &ka)], Some(&ring));
        assert_eq!(
            e,
            format!("e.json: unit \"Sở W\" has no public key in {}", dir.display())
        );
        std::fs::remove_dir_all(&dir).unwrap();
        std::fs::remove_dir_all(&dir2).unwrap();
    }

    #[test]
    fn a_built_report_passes_the_checks() {
        use crate::hosts::{DnsHit, Event, Hit, HostKey, HostTable, IpHit, Mac, Proto};
        let ev = |mac: u8, t: u64, dns: bool| Event {
            time: t,
            src: format!("192.0.2.{mac}").parse().unwrap(),
            mac: Some(Mac([2, 0, 0, 0, 0, mac])),
            hit: if dns {
                Hit::Dns(DnsHit {
                    name: "www.evil.example".into(),
                    qtype: 1,
                })
            } else {
                Hit::Ip(IpHit {
                    dst: "203.0.113.5".parse().unwrap(),
                    proto: Proto::Tcp,
                    dport: Some(443),
                    iif: None,
                    oif: None,
                })
            },
            listed: if dns { "evil.example" } else { "203.0.113.0/24" }.into(),
            feeds: vec!["campaign".into()],
        };
        let mut t = HostTable::new(16);
        for (mac, dt, dns) in [
            (1, 0, false),
            (2, 0, true),
            (2, 1, true),
            (3, 0, false),
            (3, 0, true),
        ] {
            t.record(&ev(mac, T + dt, dns), T + dt);
        }
        t.ack(&HostKey::Mac(Mac([2, 0, 0, 0, 0, 1])), "reimaged", T + 5)
            .unwrap();
        t.ack(&HostKey::Mac(Mac([2, 0, 0, 0, 0, 3])), "", T + 5).unwrap();
        t.record(&ev(3, T + 10, false), T + 10);
        let r = crate::report::build::build(
            &t,
            crate::report::build::Inputs {
                unit: "Đơn vị A".into(),
                generated: T + 100,
                since: Some(T - 100),
                blocked_connections: Some(9),
                ..Default::default()
            },
        );
        let bytes = serde_json::to_vec_pretty(&r).unwrap();
        assert_eq!(parse_report("a.json", &bytes).unwrap(), r);
    }

    #[test]
    fn a_report_with_notified_users_is_consistent() {
        let mut r = report("A", T - DAY, T + DAY);
        r.devices.notified = 2;
        merge(vec![sub("n.json", &r)], None, None, T).unwrap();
    }

    #[test]
    fn read_takes_the_signature_beside_the_report() {
        let d = std::env::temp_dir().join(format!("iocguard-merge-read-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        let p = d.join("Sở X.json");
        std::fs::write(&p, b"{}").unwrap();
        let s = Submitted::read(&p).unwrap();
        assert_eq!((s.bytes.as_slice(), s.signature.as_ref()), (&b"{}"[..], None));
        std::fs::write(d.join("Sở X.json.minisig"), b"sig").unwrap();
        assert_eq!(
            Submitted::read(&p).unwrap().signature.as_deref(),
            Some(&b"sig"[..])
        );
        let e = Submitted::read(&d.join("none.json")).unwrap_err().to_string();
        assert!(e.contains("none.json: cannot be read: "), "{e}");
        std::fs::remove_dir_all(&d).unwrap();
    }
}
