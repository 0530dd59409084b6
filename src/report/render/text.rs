//! Plain text, for the body of an email or a terminal: tables padded by
//! display width, so that Vietnamese with decomposed marks, CJK names and
//! emoji keep the columns straight; untrusted cells are escaped
//! ([`visible`]) and cut with "…" rather than allowed to spill.

use super::cells;
use super::lang::{self, Words};
use super::width::{fit, pad, visible, visible_lines, width, wrap};
use crate::report::model::{Figures, Lang, MergedReport, Row, UnitReport};

/// Width of the running text (assessment, proposals).
const PROSE: usize = 76;

/// One column: its header, widest content, alignment, and whether long
/// cells wrap onto more lines (our own wording) or are cut (one line per
/// host, so a listing stays one line a host).
struct Col {
    head: String,
    max: usize,
    right: bool,
    wrap: bool,
}

fn col(head: &str, max: usize, right: bool, wrap: bool) -> Col {
    Col {
        head: head.to_string(),
        max,
        right,
        wrap,
    }
}

/// The table of `rows` (cells already made visible) under `cols`.
fn table(cols: &[Col], rows: &[Vec<String>]) -> String {
    let widths: Vec<usize> = cols
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let widest = rows
                .iter()
                .filter_map(|r| r.get(i))
                .map(|s| width(s))
                .chain([width(&c.head)])
                .max()
                .unwrap_or(0);
            widest.min(c.max).max(1)
        })
        .collect();
    let mut out = String::new();
    let head: Vec<String> = cols.iter().map(|c| c.head.clone()).collect();
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    let emit = |r: &[String], out: &mut String| {
        let cells: Vec<Vec<String>> = cols
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (c, &w))| {
                let s = r.get(i).map_or("", String::as_str);
                if c.wrap {
                    wrap(s, w)
                } else {
                    vec![fit(s, w)]
                }
            })
            .collect();
        let height = cells.iter().map(Vec::len).max().unwrap_or(1);
        for line in 0..height {
            let parts: Vec<String> = cells
                .iter()
                .zip(cols.iter().zip(&widths))
                .map(|(lines, (c, &w))| pad(lines.get(line).map_or("", String::as_str), w, c.right))
                .collect();
            out.push_str(parts.join("  ").trim_end());
            out.push('\n');
        }
    };
    emit(&head, &mut out);
    out.push_str(&rule.join("  "));
    out.push('\n');
    for r in rows {
        emit(r, &mut out);
    }
    out
}

fn heading(out: &mut String, s: &str, underline: char) {
    out.push_str(s);
    out.push('\n');
    out.push_str(&underline.to_string().repeat(width(s)));
    out.push_str("\n\n");
}

/// `text` as indented paragraphs of at most [`PROSE`] columns.
fn prose(out: &mut String, text: &str, none: &str) {
    let text = visible_lines(text.trim());
    if text.is_empty() {
        out.push_str("  ");
        out.push_str(none);
        out.push('\n');
    }
    for para in text.lines() {
        for line in wrap(para, PROSE - 2) {
            out.push_str("  ");
            out.push_str(&line);
            out.push('\n');
        }
    }
    out.push('\n');
}

/// The statistics table of `f`.
fn figures(f: &Figures, lang: Lang, merged: bool) -> String {
    let w = lang::words(lang);
    let cols = [
        col(w.columns[0], 4, false, true),
        col(w.columns[1], 44, false, true),
        col(w.columns[2], 10, true, true),
        col(w.columns[3], 32, false, true),
    ];
    let rows: Vec<Vec<String>> = Row::ALL
        .iter()
        .map(|&r| {
            let (tt, name) = lang::row(lang, r);
            let n = r.count(f);
            vec![
                tt.to_string(),
                name.to_string(),
                cells::count(n),
                lang::note(lang, r, n, merged).to_string(),
            ]
        })
        .collect();
    table(&cols, &rows)
}

fn lower_bound_note(out: &mut String, r: &UnitReport, w: &Words) {
    if r.hosts.iter().any(|h| h.ip_hits_lower_bound) {
        for line in wrap(w.lower_bound, PROSE) {
            out.push_str(&line);
            out.push('\n');
        }
    }
}

/// One unit's report.
pub fn unit(r: &UnitReport, lang: Lang) -> String {
    let w = lang::words(lang);
    let mut out = String::new();
    heading(&mut out, w.title, '=');
    heading(&mut out, w.general, '-');
    out.push_str(&format!("{}: {}\n\n", w.unit, visible(&r.unit)));
    if r.assessment_drafted {
        out.push_str(&format!("{} {}:\n", w.assessment, w.drafted));
    } else {
        out.push_str(&format!("{}:\n", w.assessment));
    }
    prose(&mut out, &r.assessment, w.none);
    out.push_str(&format!("{}:\n", w.proposals));
    prose(&mut out, &r.proposals, w.none);

    heading(&mut out, w.figures, '-');
    out.push_str(&figures(&r.figures(), lang, false));
    out.push('\n');

    heading(&mut out, w.indicators, '-');
    out.push_str(&format!("{}: {}\n", w.ip_prefixes, r.indicators.ip_prefixes));
    out.push_str(&format!("{}: {}\n\n", w.domains, r.indicators.domains));
    let feeds: Vec<Vec<String>> = r
        .feeds
        .iter()
        .map(|f| {
            vec![
                visible(&f.name),
                f.entries.to_string(),
                f.last_success
                    .map_or_else(|| w.never.to_string(), |t| lang::datetime(lang, t)),
            ]
        })
        .collect();
    let cols = [
        col(w.feed_columns[0], 32, false, false),
        col(w.feed_columns[1], 10, true, false),
        col(w.feed_columns[2], 30, false, false),
    ];
    out.push_str(&table(&cols, &feeds));
    out.push('\n');
    out.push_str(&format!("{}: {}\n", w.period, lang::period(lang, &r.period)));
    out.push_str(&format!(
        "{}: {} UTC\n",
        w.generated,
        lang::datetime(lang, r.generated)
    ));
    out.push_str(w.utc);
    out.push_str("\n\n");

    heading(&mut out, w.hosts, '-');
    if r.hosts.is_empty() {
        out.push_str(w.no_hosts);
        out.push('\n');
        return out;
    }
    const MAX: [usize; 9] = [24, 17, 30, 16, 16, 8, 8, 40, 14];
    let cols: Vec<Col> = (0..9)
        .map(|i| col(w.host_columns[i], MAX[i], cells::HOST_RIGHT[i], false))
        .collect();
    let rows: Vec<Vec<String>> = r
        .hosts
        .iter()
        .map(|h| cells::host(h, lang).iter().map(|c| visible(c)).collect())
        .collect();
    out.push_str(&table(&cols, &rows));
    lower_bound_note(&mut out, r, w);
    out
}

/// The IT centre's merge: totals, each unit's figures, missing units.
pub fn merged(m: &MergedReport, lang: Lang) -> String {
    let w = lang::words(lang);
    let mut out = String::new();
    heading(&mut out, w.merged_title, '=');
    out.push_str(&format!(
        "{}: {} UTC\n",
        w.generated,
        lang::datetime(lang, m.generated)
    ));
    out.push_str(w.utc);
    out.push_str("\n\n");

    heading(&mut out, w.merged_sections[0], '-');
    out.push_str(&figures(&m.totals, lang, true));
    out.push('\n');

    heading(&mut out, w.merged_sections[1], '-');
    let mut cols = vec![
        col(w.unit_columns[0], 4, true, false),
        col(w.unit_columns[1], 30, false, false),
        col(w.unit_columns[2], 23, false, false),
        col(w.unit_columns[3], 6, false, false),
    ];
    for r in Row::ALL {
        cols.push(col(lang::row(lang, r).0, 10, true, false));
    }
    let mut rows: Vec<Vec<String>> = m
        .units
        .iter()
        .enumerate()
        .map(|(i, u)| cells::unit(i, u, lang).iter().map(|c| visible(c)).collect())
        .collect();
    let mut total = vec![String::new(), w.total.to_string(), String::new(), String::new()];
    total.extend(Row::ALL.iter().map(|r| cells::count(r.count(&m.totals))));
    rows.push(total);
    out.push_str(&table(&cols, &rows));
    out.push_str(w.unit_columns_legend);
    out.push_str("\n\n");

    heading(&mut out, w.merged_sections[2], '-');
    if m.missing.is_empty() {
        out.push_str(w.no_missing);
        out.push('\n');
    }
    for u in &m.missing {
        out.push_str(&format!("- {}\n", fit(&visible(u), PROSE)));
    }
    out
}
