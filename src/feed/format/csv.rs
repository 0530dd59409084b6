//! CSV feeds with a header naming the columns: Feodo Tracker, URLhaus,
//! ThreatFox, MISP exports (8- and 13-column), C2IntelFeeds, and headerless
//! `value,label` lists.
//!
//! Reading is RFC 4180 done by hand (the csv crate would cost flash for
//! what is one small state machine here): quoted fields may hold commas,
//! `""` escapes and newlines (at most [`MAX_RECORD_LINES`]; an unclosed
//! quote costs its first line, then reading resumes on the next line).
//! Spaces around separators are allowed (`"a", "b"`, as ThreatFox writes).
//!
//! The header is the last `#` comment line before the data that names a
//! known column (`#ip,ioc`, `# first_seen_utc,dst_ip,…`), or an uncommented
//! first row that names one and holds no dotted value. Without a header
//! the first column is the value. Columns, by name:
//! - `value` + `type` (MISP) or `ioc_value` + `ioc_type` (ThreatFox): the
//!   type decides. Network types are kept (`ip-dst`, `ip-src`, `domain`,
//!   `hostname`, `url`, `ip:port`; `ip-dst|port` keeps the address,
//!   `domain|ip` gives both); everything else (hashes, filenames, `link`,
//!   `uri` — in MISP a path without a host) is skipped.
//! - otherwise every column among `ip`, `dst_ip`, `ip_address`, `domain`,
//!   `hostname`, `host`, `url`, `fqdn`, `indicator` is a value (C2Intel's
//!   `domain,ioc,uri_path,ip` gives the domain and the IP); only when none
//!   is present is `ioc_value`, `ioc` or `value` used (C2Intel's `ioc`
//!   column is a label, not the indicator).
//! - `to_ids` (MISP) `0`/`false`: the row is skipped, MISP's own "not for
//!   detection" flag.
//!
//! A row too short to hold a needed column is rejected with the field
//! counts; longer rows are fine. Line numbers are those of a row's first
//! line.

use crate::feed::Sink;

/// Most physical lines one quoted record may span.
const MAX_RECORD_LINES: usize = 32;

/// Column names whose cells are indicators as they stand.
const DIRECT: &[&str] = &[
    "ip",
    "dst_ip",
    "ip_address",
    "domain",
    "hostname",
    "host",
    "url",
    "fqdn",
    "indicator",
];
/// Generic value columns, used only when no [`DIRECT`] column exists.
const GENERIC: &[&str] = &["ioc_value", "ioc", "value"];

/// Parses a CSV feed into `sink`.
pub fn parse(text: &str, sink: &mut Sink) {
    let mut plan: Option<Plan> = None;
    let mut seen_data = false;
    let mut lines = text.split('\n').enumerate();
    let mut sp = Splitter::default();
    while let Some((i, raw)) = lines.next() {
        let n = (i + 1).min(u32::MAX as usize) as u32;
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            if !seen_data {
                sp.begin();
                if sp.feed(comment.trim_start_matches('#').trim()) {
                    plan = Plan::from_header(&sp.fields).or(plan);
                }
            }
            continue;
        }
        // Gather one record, following quoted newlines on a copy of the
        // line iterator so that an unclosed quote costs only its own line.
        let mut ahead = lines.clone();
        sp.begin();
        let mut complete = sp.feed(raw.trim_end_matches('\r'));
        let mut used = 1;
        while !complete && used < MAX_RECORD_LINES {
            let Some((_, next)) = ahead.next() else { break };
            complete = sp.feed(next.trim_end_matches('\r'));
            used += 1;
        }
        if !complete {
            sink.reject(n, line, "unterminated quoted field");
            continue;
        }
        lines = ahead;
        if !seen_data {
            seen_data = true;
            if let Some(p) = Plan::from_first_row(&sp.fields) {
                plan = Some(p);
                continue;
            }
        }
        match &plan {
            Some(p) => p.row(n, line, &sp.fields, sink),
            None => sink.value(n, sp.fields.first().map_or("", String::as_str)),
        }
    }
}

/// Which columns of a row to read, from the header.
struct Plan {
    /// `(value, type)` columns of a typed export.
    typed: Option<(usize, usize)>,
    /// Columns whose cells are values as they stand.
    columns: Vec<(usize, String)>,
    /// MISP `to_ids`.
    to_ids: Option<usize>,
    /// Fields in the header.
    width: usize,
}

impl Plan {
    /// A plan from header names, or `None` if none is a known column.
    fn from_header(names: &[String]) -> Option<Plan> {
        let names: Vec<String> = names.iter().map(|s| s.trim().to_ascii_lowercase()).collect();
        let find = |want: &str| names.iter().position(|n| n == want);
        let to_ids = find("to_ids");
        let typed = find("value")
            .zip(find("type"))
            .or_else(|| find("ioc_value").zip(find("ioc_type")));
        let mut columns: Vec<(usize, String)> = names
            .iter()
            .enumerate()
            .filter(|(_, n)| DIRECT.contains(&n.as_str()))
            .map(|(i, n)| (i, n.clone()))
            .collect();
        if columns.is_empty() {
            columns.extend(GENERIC.iter().find_map(|g| find(g).map(|i| (i, g.to_string()))));
        }
        if typed.is_none() && columns.is_empty() || names.len() < 2 {
            return None;
        }
        Some(Plan {
            typed,
            columns,
            to_ids,
            width: names.len(),
        })
    }

    /// An uncommented first row is a header when it names a known column
    /// and holds no dotted value (data rows hold addresses and names).
    fn from_first_row(fields: &[String]) -> Option<Plan> {
        if fields.iter().any(|f| f.contains('.')) {
            return None;
        }
        Plan::from_header(fields)
    }

    fn row(&self, n: u32, line: &str, fields: &[String], sink: &mut Sink) {
        let short = |name: &str| {
            format!(
                "row has {} fields, the header has {}: no `{name}` column",
                fields.len(),
                self.width
            )
        };
        if let Some(t) = self.to_ids {
            if fields
                .get(t)
                .is_some_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "0" | "false" | "no"))
            {
                return sink.skip();
            }
        }
        if let Some((vi, ti)) = self.typed {
            let (Some(value), Some(kind)) = (fields.get(vi), fields.get(ti)) else {
                return sink.reject(n, line, short(if fields.len() <= ti { "type" } else { "value" }));
            };
            return match type_action(kind) {
                Action::Skip => sink.skip(),
                Action::Keep => sink.value(n, value),
                Action::Address => sink.value(n, value.split('|').next().unwrap_or(value)),
                Action::Each => value.split('|').for_each(|v| sink.value(n, v)),
            };
        }
        let mut found = false;
        let mut missing = None;
        for (i, name) in &self.columns {
            match fields.get(*i).map(|v| v.trim()) {
                Some("") => {}
                Some(v) => {
                    found = true;
                    sink.value(n, v);
                }
                None => missing = missing.or(Some(name.as_str())),
            }
        }
        if let Some(name) = missing {
            sink.reject(n, line, short(name));
        } else if !found {
            sink.reject(n, line, "no value in the indicator column(s)");
        }
    }
}

/// What to do with a typed row.
enum Action {
    Skip,
    Keep,
    /// `ip-dst|port`: the part before `|`.
    Address,
    /// `domain|ip`: every part.
    Each,
}

fn type_action(kind: &str) -> Action {
    match kind.trim().to_ascii_lowercase().as_str() {
        "ip-dst" | "ip-src" | "ip" | "ipv4" | "ipv6" | "ipv4-addr" | "ipv6-addr" | "domain" | "hostname"
        | "url" | "ip:port" | "fqdn" => Action::Keep,
        "ip-dst|port" | "ip-src|port" | "hostname|port" | "domain|port" => Action::Address,
        "domain|ip" => Action::Each,
        _ => Action::Skip,
    }
}

/// An RFC 4180 record splitter fed one physical line at a time, so a
/// quoted field spanning lines costs each line once.
#[derive(Default)]
struct Splitter {
    fields: Vec<String>,
    field: String,
    state: State,
}

#[derive(Default, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before a field (leading blanks are dropped).
    #[default]
    Start,
    /// Inside an unquoted field.
    Unquoted,
    /// Inside a quoted field.
    Quoted,
    /// Just saw `"` inside a quoted field: an escape or the closing quote.
    QuoteSeen,
    /// After the closing quote, before the separator.
    Closed,
}

impl Splitter {
    /// Starts a new record.
    fn begin(&mut self) {
        self.fields.clear();
        self.field.clear();
        self.state = State::Start;
    }

    fn end_field(&mut self) {
        if self.state == State::Unquoted {
            let keep = self.field.trim_end().len();
            self.field.truncate(keep);
        }
        self.fields.push(std::mem::take(&mut self.field));
        self.state = State::Start;
    }

    /// Feeds one line (without its newline); true when the record is
    /// complete, false when it ends inside a quoted field.
    fn feed(&mut self, line: &str) -> bool {
        for c in line.chars() {
            match (self.state, c) {
                (State::Start, ' ' | '\t') => {}
                (State::Start, '"') => self.state = State::Quoted,
                (State::Quoted, '"') => self.state = State::QuoteSeen,
                (State::Quoted, c) => self.field.push(c),
                (State::QuoteSeen, '"') => {
                    self.field.push('"');
                    self.state = State::Quoted;
                }
                (_, ',') => self.end_field(),
                // Text between a closing quote and the separator is kept
                // without blanks, as lenient readers do (`"a"b,` → `ab`).
                (State::QuoteSeen | State::Closed, c) => {
                    if !c.is_whitespace() {
                        self.field.push(c);
                    }
                    self.state = State::Closed;
                }
                (State::Start | State::Unquoted, c) => {
                    self.field.push(c);
                    self.state = State::Unquoted;
                }
            }
        }
        if self.state == State::Quoted {
            self.field.push('\n');
            return false;
        }
        self.end_field();
        true
    }
}

/// Splits one single-line record into `out`; false if a quote is left open.
#[cfg(test)]
fn split_fields(s: &str, out: &mut Vec<String>) -> bool {
    let mut sp = Splitter::default();
    let ok = sp.feed(s);
    *out = sp.fields;
    ok
}

#[cfg(test)]
mod tests {
    use super::split_fields;
    use crate::feed::format::Format;
    use crate::feed::testutil::parse_str;

    fn fields(s: &str) -> (bool, Vec<String>) {
        let mut v = Vec::new();
        let ok = split_fields(s, &mut v);
        (ok, v)
    }

    #[test]
    fn rfc4180_reader() {
        assert_eq!(fields("a,b,,c").1, ["a", "b", "", "c"]);
        assert_eq!(
            fields("\"ELF 32-bit MSB executable, Motorola m68k\",1").1,
            ["ELF 32-bit MSB executable, Motorola m68k", "1"]
        );
        assert_eq!(fields("\"say \"\"hi\"\"\",x").1, ["say \"hi\"", "x"]);
        assert_eq!(fields("\"a\", \"b\" , c ").1, ["a", "b", "c"]);
        assert!(!fields("\"open,x").0);
        assert_eq!(fields("").1, [""]);
    }

    #[test]
    fn feodo_with_commented_header() {
        let r = parse_str(
            Format::Csv,
            "#####\n# abuse.ch Feodo Tracker\n#####\n# first_seen_utc,dst_ip,dst_port,c2_status,last_online,malware\n\
             2021-01-17 07:44:46,51.178.161.32,4643,online,2024-05-06,Pikabot\n\
             \"2021-01-17 07:44:46\",\"8.8.4.0\",\"443\",\"online\",\"\",\"QakBot\"\n# END\n",
        );
        assert_eq!((r.counts.v4, r.counts.rejected), (2, 0));
    }

    #[test]
    fn threatfox_comma_space_and_types() {
        let r = parse_str(
            Format::Csv,
            "# \"first_seen_utc\", \"ioc_id\", \"ioc_value\", \"ioc_type\", \"threat_type\"\n\
             \"2024-01-01 00:00:00\", \"1\", \"45.9.148.108:443\", \"ip:port\", \"botnet_cc\"\n\
             \"2024-01-01 00:00:00\", \"2\", \"evil.example\", \"domain\", \"botnet_cc\"\n\
             \"2024-01-01 00:00:00\", \"3\", \"http://bad.example/x.exe\", \"url\", \"payload\"\n\
             \"2024-01-01 00:00:00\", \"4\", \"d41d8cd98f00b204e9800998ecf8427e\", \"md5_hash\", \"payload\"\n",
        );
        assert_eq!(
            (r.counts.v4, r.counts.domains, r.counts.skipped, r.counts.rejected),
            (1, 2, 1, 0)
        );
    }

    #[test]
    fn misp_types_to_ids_and_pipes() {
        let r = parse_str(
            Format::Csv,
            "uuid,event_id,category,type,value,comment,to_ids,date\n\
             1,10,Network activity,ip-dst,\"52.8.153.44\",\"IP, linked\",1,20160824\n\
             2,10,Network activity,domain,\"redcrossworld.com\",\"\",1,20160824\n\
             3,10,Payload delivery,md5,\"fd2bdfee0c18b802bb19a844e7445be9\",\"\",1,20160824\n\
             4,10,Network activity,ip-dst|port,\"52.8.153.45|443\",\"\",1,20160824\n\
             5,10,Network activity,domain|ip,\"a.example|52.8.153.46\",\"\",1,20160824\n\
             6,10,Network activity,ip-dst,\"52.8.153.47\",\"\",0,20160824\n\
             7,10,External analysis,link,\"https://www.virustotal.com/x\",\"\",0,20160824\n\
             8,10,Payload delivery,url,\"nation-news.com/4077017s/\",\"\",1,20160824\n",
        );
        assert_eq!((r.counts.v4, r.counts.domains), (3, 3));
        assert_eq!((r.counts.skipped, r.counts.rejected), (3, 0));
    }

    #[test]
    fn c2intel_takes_domain_and_ip_not_the_label() {
        let r = parse_str(
            Format::Csv,
            "#domain,ioc,uri_path,ip\na.example,Possible Cobalt Strike C2 Domain,/dot.gif,198.13.42.85\n\
             b.example,Possible Cobalt Strike C2 Domain,/IE9CompatViewList.xml,158.247.218.76\n",
        );
        assert_eq!((r.counts.v4, r.counts.domains, r.counts.rejected), (2, 2, 0));
    }

    #[test]
    fn column_drift_is_rejected_not_a_panic() {
        let r = parse_str(
            Format::Csv,
            "#ip,ioc\n1.1.1.1,a\n2.2.2.2\n3.3.3.3,b,extra,fields\n,empty\n\"\n4.4.4.4,c\n",
        );
        assert_eq!(r.counts.v4, 4, "{:?}", r.rejected);
        assert_eq!(r.counts.rejected, 2, "{:?}", r.rejected);
        assert!(r.rejected[0].reason.contains("no value"));
        assert!(r.rejected[1].reason.contains("unterminated"));
        let r = parse_str(
            Format::Csv,
            "id,dateadded,url,url_status\n1,2024,http://a.example/x,online\n2,2024,http://b.example/x,online\n\
             3,2024,http://c.example/x,online\n4,2024\n",
        );
        assert_eq!(r.counts.rejected, 1);
        assert!(
            r.rejected[0]
                .reason
                .contains("row has 2 fields, the header has 4"),
            "{:?}",
            r.rejected
        );
    }

    #[test]
    fn uncommented_quoted_header_and_misp_uri() {
        let r = parse_str(
            Format::Csv,
            "\"first_seen_utc\",\"dst_ip\",\"dst_port\"\n\"2024-01-01\",\"45.9.148.108\",\"443\"\n",
        );
        assert_eq!((r.counts.v4, r.counts.rejected), (1, 0));
        let r = parse_str(
            Format::Csv,
            "type,value\nuri,/gate.php\nurl,http://a.example/gate.php\nip-src,45.9.148.108\n",
        );
        assert_eq!((r.counts.domains, r.counts.v4, r.counts.skipped), (1, 1, 1));
    }

    #[test]
    fn quoted_newlines_and_headerless() {
        let r = parse_str(
            Format::Csv,
            "uuid,type,value,comment\n1,domain,\"a.example\",\"two\nlines, here\"\n2,domain,b.example,x\n",
        );
        assert_eq!((r.counts.domains, r.rejected.len()), (2, 0));
        assert_eq!(r.rejected.len(), 0);
        let r = parse_str(Format::Csv, "1.2.3.4,Cobalt\n5.6.7.8,Sliver\n");
        assert_eq!(r.counts.v4, 2);
    }
}
