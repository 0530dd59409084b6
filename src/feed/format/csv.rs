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
//! The header is checked against the content: when the column(s) it
//! names (or, headerless, the first) hold indicators in fewer than half of
//! the first rows and another column holds more, that column is read
//! instead (a portal export headed `Address,url` over rows
//! `evil.example, IOC FOUND`); ties go to the header. The choice is a
//! note in the report. Rows before the first indicator that hold none at
//! all are a banner and skipped.
//!
//! A row too short to hold a needed column is rejected with the field
//! counts; longer rows are fine. Line numbers are those of a row's first
//! line.

use crate::feed::Sink;
use crate::indicator::{parse_indicator, Indicator};

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

/// Data rows looked at to choose the indicator column by content.
const SAMPLE_ROWS: usize = 256;
/// Columns looked at for that choice.
const MAX_COLUMNS: usize = 64;
/// Rows without any indicator before the first one that has one are a
/// banner (a title or notice turned into a data row) up to this many.
const MAX_BANNER_ROWS: usize = 5;

/// One step of reading: a comment before the data, a record, or a line
/// that opens a quote it never closes.
enum Event<'t, 'f> {
    Comment(&'f [String]),
    Row {
        n: u32,
        line: &'t str,
        fields: &'f [String],
    },
    Unterminated {
        n: u32,
        line: &'t str,
    },
}

/// Reads `text` record by record into `f` until it returns false.
fn records<'t>(text: &'t str, mut f: impl FnMut(Event<'t, '_>) -> bool) {
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
                if sp.feed(comment.trim_start_matches('#').trim()) && !f(Event::Comment(&sp.fields)) {
                    return;
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
            if !f(Event::Unterminated { n, line }) {
                return;
            }
            continue;
        }
        lines = ahead;
        seen_data = true;
        if !f(Event::Row {
            n,
            line,
            fields: &sp.fields,
        }) {
            return;
        }
    }
}

/// The header as read so far: a commented header line, or an
/// uncommented first row that names columns.
#[derive(Default)]
struct Header {
    plan: Option<Plan>,
    first_row_done: bool,
}

impl Header {
    /// Takes a header event; true when `ev` is a data row to read.
    fn take(&mut self, ev: &Event) -> bool {
        match ev {
            Event::Comment(fields) => {
                self.plan = Plan::from_header(fields).or(self.plan.take());
                false
            }
            Event::Row { fields, .. } if !self.first_row_done => {
                self.first_row_done = true;
                match Plan::from_first_row(fields) {
                    Some(p) => {
                        self.plan = Some(p);
                        false
                    }
                    None => true,
                }
            }
            _ => true,
        }
    }
}

/// True when `v` is an indicator a list would carry: an address, a
/// network, or a name with a dot (a lone word is a label, not a host).
fn looks_like_indicator(v: &str) -> bool {
    match parse_indicator(v) {
        Ok(Indicator::Domain(d)) => d.as_str().contains('.'),
        Ok(_) => true,
        Err(_) => false,
    }
}

/// Parses a CSV feed into `sink`.
pub fn parse(text: &str, sink: &mut Sink) {
    let plan = choose_columns(text, sink);
    let mut header = Header::default();
    let mut banner = 0usize;
    let mut seen_indicator = false;
    records(text, |ev| {
        if !header.take(&ev) {
            return true;
        }
        match ev {
            Event::Unterminated { n, line } => sink.reject(n, line, "unterminated quoted field"),
            Event::Row { n, line, fields } => {
                // A title or notice row before the data holds no indicator
                // in any column: skipped, not held against the feed.
                let typed = plan.as_ref().is_some_and(|p| p.typed.is_some());
                if !seen_indicator && !typed {
                    if fields.iter().any(|f| looks_like_indicator(f)) {
                        seen_indicator = true;
                    } else if banner < MAX_BANNER_ROWS {
                        banner += 1;
                        sink.skip_because("banner lines before the data");
                        return true;
                    }
                }
                match &plan {
                    Some(p) => p.row(n, line, fields, sink),
                    None => sink.value(n, fields.first().map_or("", String::as_str)),
                }
            }
            Event::Comment(_) => {}
        }
        true
    });
}

/// The plan to read rows with: the header's, unless the column it names
/// holds indicators in fewer than half of the sampled rows and another
/// column holds more (a header `Address,url` over rows
/// `evil.example, IOC FOUND`). Without a header, the first column unless
/// another holds more. Typed exports (MISP, ThreatFox) keep their plan.
/// The choice is told to the admin through a note.
fn choose_columns(text: &str, sink: &mut Sink) -> Option<Plan> {
    let mut header = Header::default();
    let mut hits = [0usize; MAX_COLUMNS];
    let mut rows = 0usize;
    records(text, |ev| {
        if header.take(&ev) {
            if let Event::Row { fields, .. } = ev {
                for (h, f) in hits.iter_mut().zip(fields) {
                    *h += usize::from(looks_like_indicator(f));
                }
                rows += 1;
            }
        }
        rows < SAMPLE_ROWS
    });
    let plan = header.plan;
    if let Some(p) = plan.as_ref().filter(|p| p.typed.is_some()) {
        sink.note(format!(
            "indicators read from the `{}` column as its type column says",
            p.name(p.typed.map_or(0, |t| t.0))
        ));
        return plan;
    }
    let named: Vec<usize> = match &plan {
        Some(p) => p.columns.iter().map(|(i, _)| *i).collect(),
        None => vec![0],
    };
    let hit = |i: usize| hits.get(i).copied().unwrap_or(0);
    let named_best = named.iter().map(|&i| hit(i)).max().unwrap_or(0);
    // Ties go to the lowest column; the header's column wins any tie below.
    let (best, best_hits) = hits
        .iter()
        .enumerate()
        .fold((0, 0), |acc, (i, &h)| if h > acc.1 { (i, h) } else { acc });
    if best_hits > named_best && named_best * 2 < rows {
        let name = plan
            .as_ref()
            .map_or_else(|| format!("column {}", best + 1), |p| p.name(best));
        let was = match &plan {
            Some(p) => format!(
                "the header names {}, where {named_best} do",
                named
                    .iter()
                    .map(|&i| format!("`{}`", p.name(i)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None => format!("there is no header and column 1 holds {named_best}"),
        };
        sink.note(format!(
            "indicators read from column {} (`{name}`), chosen by content: {best_hits} of {rows} sampled rows hold one there; {was}",
            best + 1
        ));
        return Some(Plan {
            typed: None,
            columns: vec![(best, name)],
            to_ids: plan.as_ref().and_then(|p| p.to_ids),
            width: plan.as_ref().map_or(best + 1, |p| p.width),
            names: plan.map(|p| p.names).unwrap_or_default(),
        });
    }
    match &plan {
        Some(p) => sink.note(format!(
            "indicators read from column(s) {} named by the header",
            p.columns
                .iter()
                .map(|(i, n)| format!("{} (`{n}`)", i + 1))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        None => sink.note("no header: indicators read from column 1".to_string()),
    }
    plan
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
    /// The header's column names, lowercase.
    names: Vec<String>,
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
            names,
        })
    }

    /// The header's name of column `i`, or `column N`.
    fn name(&self, i: usize) -> String {
        self.names
            .get(i)
            .filter(|n| !n.is_empty())
            .cloned()
            .unwrap_or_else(|| format!("column {}", i + 1))
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
    fn column_chosen_by_content_when_the_header_names_the_wrong_one() {
        let r = parse_str(
            Format::Csv,
            "Address,url\nThreat list exported from the portal, do not redistribute\n\
             evil.example, IOC FOUND\nbad.example, IOC FOUND\n45.9.148.108, IOC FOUND\n",
        );
        assert_eq!(
            (r.counts.domains, r.counts.v4, r.counts.rejected, r.counts.skipped),
            (2, 1, 0, 1),
            "{:?}",
            r.rejected
        );
        assert_eq!(
            r.notes,
            [
                "indicators read from column 1 (`address`), chosen by content: 3 of 4 sampled rows hold one \
              there; the header names `url`, where 0 do"
            ]
        );
        assert_eq!(r.skips[0].reason, "banner lines before the data");
    }

    #[test]
    fn the_header_wins_ties_and_headerless_lists_choose_too() {
        // `url` and `urlhaus_link` both hold URLs: the header's column wins.
        let r = parse_str(
            Format::Csv,
            "id,url,urlhaus_link\n1,http://a.example/x,https://urlhaus.abuse.ch/url/1/\n",
        );
        assert_eq!(r.counts.domains, 1);
        assert_eq!(
            r.notes,
            ["indicators read from column(s) 2 (`url`) named by the header"]
        );
        let r = parse_str(Format::Csv, "Cobalt, 1.2.3.4\nSliver, 5.6.7.8\n");
        assert_eq!((r.counts.v4, r.counts.rejected), (2, 0));
        assert!(
            r.notes[0].starts_with("indicators read from column 2 (`column 2`)"),
            "{:?}",
            r.notes
        );
        let r = parse_str(Format::Csv, "1.2.3.4,Cobalt\n5.6.7.8,Sliver\n");
        assert_eq!(r.notes, ["no header: indicators read from column 1"]);
    }

    #[test]
    fn garbage_and_truncation_choose_nothing_wild() {
        for body in [
            "Address,url\n",
            "Address,url\n\"",
            "a,b\n,,,,\n",
            ",\n,\n,\n",
            "x\n",
            "\"a\nb\"\n1.2.3.4, x",
        ] {
            use crate::feed::parse_feed;
            use crate::indicator::{Gate, KindFilter, SetBuilder};
            let mut b = SetBuilder::new();
            let id = b.add_feed("t");
            let g = Gate::default();
            if let Ok(r) = parse_feed(
                body.as_bytes(),
                Some(Format::Csv),
                KindFilter::Auto,
                &mut b,
                id,
                &g,
            ) {
                assert_eq!(b.len(), r.counts.accepted(), "{body:?}");
            }
        }
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
