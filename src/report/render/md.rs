//! Markdown (GitHub-flavoured tables), for a mail client or a wiki that
//! renders it. Untrusted text is escaped so that it stays text: `|` and
//! newlines cannot break a table row, and `<`, `[`, `*`… cannot become
//! HTML, links or emphasis.

use super::cells;
use super::lang;
use super::width::{visible, visible_lines};
use crate::report::model::{Figures, Lang, MergedReport, Row, UnitReport};

/// `s` on one line, every Markdown-active character backslash-escaped
/// (CommonMark escapes any ASCII punctuation this way).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in visible(s).chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' | '!' | '#'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `text` as paragraphs, one per line, with list and heading markers at
/// the start of a line escaped too.
fn prose(out: &mut String, text: &str, none: &str) {
    let text = visible_lines(text.trim());
    let mut any = false;
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let mut e = escape(line);
        let digits = e.chars().take_while(char::is_ascii_digit).count();
        if e.starts_with(['-', '+', '=']) {
            e.insert(0, '\\');
        } else if digits > 0 && e[digits..].starts_with(['.', ')']) {
            e.insert(digits, '\\');
        }
        out.push_str(&e);
        out.push_str("\n\n");
        any = true;
    }
    if !any {
        out.push_str(none);
        out.push_str("\n\n");
    }
}

/// A table; `right`: which columns are right-aligned. Cells must be
/// escaped already.
fn table(out: &mut String, head: &[&str], right: &[bool], rows: &[Vec<String>]) {
    let line = |cells: &mut dyn Iterator<Item = String>| {
        let cells: Vec<String> = cells.collect();
        format!("| {} |\n", cells.join(" | "))
    };
    out.push_str(&line(&mut head.iter().map(|h| escape(h))));
    out.push_str(&line(&mut (0..head.len()).map(|i| {
        if right.get(i) == Some(&true) { "--:" } else { "---" }.to_string()
    })));
    for r in rows {
        out.push_str(&line(&mut r.iter().cloned()));
    }
    out.push('\n');
}

fn figures(out: &mut String, f: &Figures, lang: Lang, merged: bool) {
    let w = lang::words(lang);
    let rows: Vec<Vec<String>> = Row::ALL
        .iter()
        .map(|&r| {
            let (tt, name) = lang::row(lang, r);
            let n = r.count(f);
            vec![
                tt.to_string(),
                escape(name),
                cells::count(n),
                escape(lang::note(lang, r, n, merged)),
            ]
        })
        .collect();
    table(out, &w.columns, &[false, false, true, false], &rows);
}

/// One unit's report.
pub fn unit(r: &UnitReport, lang: Lang) -> String {
    let w = lang::words(lang);
    let mut out = format!("# {}\n\n## {}\n\n", escape(w.title), escape(w.general));
    out.push_str(&format!("**{}:** {}\n\n", w.unit, escape(&r.unit)));
    if r.assessment_drafted {
        out.push_str(&format!("**{}** *{}*\n\n", w.assessment, escape(w.drafted)));
    } else {
        out.push_str(&format!("**{}**\n\n", w.assessment));
    }
    prose(&mut out, &r.assessment, w.none);
    out.push_str(&format!("**{}**\n\n", escape(w.proposals)));
    prose(&mut out, &r.proposals, w.none);

    out.push_str(&format!("## {}\n\n", escape(w.figures)));
    figures(&mut out, &r.figures(), lang, false);

    out.push_str(&format!("## {}\n\n", escape(w.indicators)));
    out.push_str(&format!("- {}: {}\n", w.ip_prefixes, r.indicators.ip_prefixes));
    out.push_str(&format!("- {}: {}\n\n", w.domains, r.indicators.domains));
    let feeds: Vec<Vec<String>> = r
        .feeds
        .iter()
        .map(|f| {
            vec![
                escape(&f.name),
                f.entries.to_string(),
                f.last_success
                    .map_or_else(|| w.never.to_string(), |t| lang::datetime(lang, t)),
            ]
        })
        .collect();
    table(&mut out, &w.feed_columns, &[false, true, false], &feeds);
    out.push_str(&format!(
        "**{}:** {}  \n",
        w.period,
        lang::period(lang, &r.period)
    ));
    out.push_str(&format!(
        "**{}:** {} UTC  \n{}\n\n",
        w.generated,
        lang::datetime(lang, r.generated),
        w.utc
    ));

    out.push_str(&format!("## {}\n\n", escape(w.hosts)));
    if r.hosts.is_empty() {
        out.push_str(w.no_hosts);
        out.push('\n');
        return out;
    }
    let rows: Vec<Vec<String>> = r
        .hosts
        .iter()
        .map(|h| cells::host(h, lang).iter().map(|c| escape(c)).collect())
        .collect();
    table(&mut out, &w.host_columns, &cells::HOST_RIGHT, &rows);
    if r.hosts.iter().any(|h| h.ip_hits_lower_bound) {
        out.push_str(&escape(w.lower_bound));
        out.push('\n');
    }
    out
}

/// The IT centre's merge.
pub fn merged(m: &MergedReport, lang: Lang) -> String {
    let w = lang::words(lang);
    let mut out = format!("# {}\n\n", escape(w.merged_title));
    out.push_str(&format!(
        "**{}:** {} UTC  \n{}\n\n",
        w.generated,
        lang::datetime(lang, m.generated),
        w.utc
    ));
    out.push_str(&format!("## {}\n\n", escape(w.merged_sections[0])));
    figures(&mut out, &m.totals, lang, true);

    out.push_str(&format!("## {}\n\n", escape(w.merged_sections[1])));
    let mut head: Vec<&str> = w.unit_columns.to_vec();
    head.extend(Row::ALL.iter().map(|&r| lang::row(lang, r).0));
    let mut right = vec![true, false, false, false];
    right.extend([true; 10]);
    let mut rows: Vec<Vec<String>> = m
        .units
        .iter()
        .enumerate()
        .map(|(i, u)| cells::unit(i, u, lang).iter().map(|c| escape(c)).collect())
        .collect();
    let mut total = vec![
        String::new(),
        format!("**{}**", w.total),
        String::new(),
        String::new(),
    ];
    total.extend(
        Row::ALL
            .iter()
            .map(|r| format!("**{}**", cells::count(r.count(&m.totals)))),
    );
    rows.push(total);
    table(&mut out, &head, &right, &rows);
    out.push_str(w.unit_columns_legend);
    out.push_str("\n\n");

    out.push_str(&format!("## {}\n\n", escape(w.merged_sections[2])));
    if m.missing.is_empty() {
        out.push_str(w.no_missing);
        out.push('\n');
    }
    for u in &m.missing {
        out.push_str(&format!("- {}\n", escape(u)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_keep_a_cell_in_its_row() {
        assert_eq!(escape("a|b\nc"), "a\\|b\\\\nc");
        assert_eq!(escape("<script>"), "\\<script\\>");
        assert_eq!(escape("[x](y) *b* _i_ `c`"), "\\[x\\](y) \\*b\\* \\_i\\_ \\`c\\`");
        assert!(!escape("x\u{202e}y").contains('\u{202e}'));
        let mut out = String::new();
        prose(&mut out, "- item\n# head\n1. one\n\n", "none");
        assert_eq!(out, "\\- item\n\n\\# head\n\n1\\. one\n\n");
    }
}
