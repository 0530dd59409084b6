//! One self-contained HTML page, to attach or print to PDF: inline CSS, no
//! scripts, no external assets or links, and a Content-Security-Policy
//! that refuses any request, so that even a hostname that slipped through
//! escaping could not load or run anything. The print stylesheet sets A4
//! pages and keeps table rows and headings whole.

use super::cells;
use super::lang;
use super::width::{visible, visible_lines};
use crate::report::model::{Figures, Lang, MergedReport, Row, UnitReport};
use std::fmt::Write;

const STYLE: &str = "\
body{font-family:\"Times New Roman\",\"DejaVu Serif\",serif;font-size:12pt;color:#000;background:#fff;\
margin:2em auto;max-width:60em;padding:0 1em;line-height:1.35}
h1{font-size:15pt;text-align:center;text-transform:uppercase;margin:0 0 1em}
h2{font-size:13pt;margin:1.4em 0 .5em;break-after:avoid;page-break-after:avoid}
p{margin:.4em 0}
.label{font-weight:bold}
.drafted{font-style:italic;font-weight:normal}
.prose{margin-left:1.5em}
table{border-collapse:collapse;width:100%;margin:.5em 0 1em}
th,td{border:1px solid #444;padding:.2em .4em;vertical-align:top;text-align:left;overflow-wrap:anywhere}
th{background:#eee}
td.n,th.n{text-align:right;white-space:nowrap}
td.k{white-space:nowrap}
tr.sub td:nth-child(2){padding-left:1.6em}
tr.total td{font-weight:bold}
table.hosts{font-size:9.5pt}
.foot{font-size:10pt;color:#333}
@page{size:A4;margin:18mm 15mm}
@media print{body{margin:0;max-width:none;padding:0;font-size:11pt}\
tr,td,th{break-inside:avoid;page-break-inside:avoid}thead{display:table-header-group}\
h1,h2{break-after:avoid;page-break-after:avoid}th{background:#eee;-webkit-print-color-adjust:exact;print-color-adjust:exact}}
";

/// `s` escaped for HTML text and attribute values alike, with controls
/// shown escaped (a bidi override would otherwise reorder the page).
pub fn escape(s: &str) -> String {
    escape_raw(&visible(s))
}

fn escape_raw(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn page(lang: Lang, title: &str, body: &str) -> String {
    let code = match lang {
        Lang::Vi => "vi",
        Lang::En => "en",
    };
    format!(
        "<!DOCTYPE html>\n<html lang=\"{code}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        escape(title)
    )
}

/// `text` as paragraphs, one per line.
fn prose(out: &mut String, text: &str, none: &str) {
    let text = visible_lines(text.trim());
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    if lines.is_empty() {
        let _ = writeln!(out, "<p class=\"prose\">{}</p>", escape_raw(none));
    }
    for l in lines {
        let _ = writeln!(out, "<p class=\"prose\">{}</p>", escape_raw(l));
    }
}

/// Classes of the host table's columns: counts right-aligned (`n`), MAC
/// and times kept on one line (`k`) so that they read at a glance.
const HOST_CLASSES: [&str; 9] = ["", "k", "", "k", "k", "n", "n", "", ""];

/// A table: `head` (plain text), rows of cells already escaped; `cols`:
/// each column's class (`n` for counts).
fn table(out: &mut String, class: &str, head: &[&str], cols: &[&str], rows: &[(String, Vec<String>)]) {
    let num = |i: usize| match cols.get(i) {
        Some(c) if !c.is_empty() => format!(" class=\"{c}\""),
        _ => String::new(),
    };
    let _ = write!(out, "<table class=\"{class}\">\n<thead><tr>");
    for (i, h) in head.iter().enumerate() {
        let _ = write!(out, "<th{}>{}</th>", num(i), escape(h));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for (row_class, r) in rows {
        if row_class.is_empty() {
            out.push_str("<tr>");
        } else {
            let _ = write!(out, "<tr class=\"{row_class}\">");
        }
        for (i, c) in r.iter().enumerate() {
            let _ = write!(out, "<td{}>{c}</td>", num(i));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
}

fn figures(out: &mut String, f: &Figures, lang: Lang, merged: bool) {
    let w = lang::words(lang);
    let rows: Vec<(String, Vec<String>)> = Row::ALL
        .iter()
        .map(|&r| {
            let (tt, name) = lang::row(lang, r);
            let n = r.count(f);
            let class = if tt.contains('.') { "sub" } else { "" };
            (
                class.to_string(),
                vec![
                    escape(tt),
                    escape(name),
                    cells::count(n),
                    escape(lang::note(lang, r, n, merged)),
                ],
            )
        })
        .collect();
    table(out, "figures", &w.columns, &["", "", "n", ""], &rows);
}

/// One unit's report.
pub fn unit(r: &UnitReport, lang: Lang) -> String {
    let w = lang::words(lang);
    let mut b = String::new();
    let _ = writeln!(b, "<h1>{}</h1>", escape(w.title));
    let _ = writeln!(b, "<h2>{}</h2>", escape(w.general));
    let _ = writeln!(
        b,
        "<p><span class=\"label\">{}:</span> {}</p>",
        escape(w.unit),
        escape(&r.unit)
    );
    let drafted = if r.assessment_drafted {
        format!(" <span class=\"drafted\">{}</span>", escape(w.drafted))
    } else {
        String::new()
    };
    let _ = writeln!(b, "<p class=\"label\">{}:{drafted}</p>", escape(w.assessment));
    prose(&mut b, &r.assessment, w.none);
    let _ = writeln!(b, "<p class=\"label\">{}:</p>", escape(w.proposals));
    prose(&mut b, &r.proposals, w.none);

    let _ = writeln!(b, "<h2>{}</h2>", escape(w.figures));
    figures(&mut b, &r.figures(), lang, false);

    let _ = writeln!(b, "<h2>{}</h2>", escape(w.indicators));
    let _ = writeln!(
        b,
        "<p>{}: {}<br>{}: {}</p>",
        escape(w.ip_prefixes),
        r.indicators.ip_prefixes,
        escape(w.domains),
        r.indicators.domains
    );
    let feeds: Vec<(String, Vec<String>)> = r
        .feeds
        .iter()
        .map(|f| {
            let last = f
                .last_success
                .map_or_else(|| w.never.to_string(), |t| lang::datetime(lang, t));
            (
                String::new(),
                vec![escape(&f.name), f.entries.to_string(), escape(&last)],
            )
        })
        .collect();
    table(&mut b, "feeds", &w.feed_columns, &["", "n", ""], &feeds);
    let _ = writeln!(
        b,
        "<p><span class=\"label\">{}:</span> {}<br><span class=\"label\">{}:</span> {} UTC<br>{}</p>",
        escape(w.period),
        escape(&lang::period(lang, &r.period)),
        escape(w.generated),
        escape(&lang::datetime(lang, r.generated)),
        escape(w.utc)
    );

    let _ = writeln!(b, "<h2>{}</h2>", escape(w.hosts));
    if r.hosts.is_empty() {
        let _ = writeln!(b, "<p>{}</p>", escape(w.no_hosts));
    } else {
        let rows: Vec<(String, Vec<String>)> = r
            .hosts
            .iter()
            .map(|h| {
                (
                    String::new(),
                    cells::host(h, lang).iter().map(|c| escape(c)).collect(),
                )
            })
            .collect();
        table(&mut b, "hosts", &w.host_columns, &HOST_CLASSES, &rows);
        if r.hosts.iter().any(|h| h.ip_hits_lower_bound) {
            let _ = writeln!(b, "<p class=\"foot\">{}</p>", escape(w.lower_bound));
        }
    }
    page(lang, w.title, &b)
}

/// The IT centre's merge.
pub fn merged(m: &MergedReport, lang: Lang) -> String {
    let w = lang::words(lang);
    let mut b = String::new();
    let _ = writeln!(b, "<h1>{}</h1>", escape(w.merged_title));
    let _ = writeln!(
        b,
        "<p><span class=\"label\">{}:</span> {} UTC<br>{}</p>",
        escape(w.generated),
        escape(&lang::datetime(lang, m.generated)),
        escape(w.utc)
    );
    let _ = writeln!(b, "<h2>{}</h2>", escape(w.merged_sections[0]));
    figures(&mut b, &m.totals, lang, true);

    let _ = writeln!(b, "<h2>{}</h2>", escape(w.merged_sections[1]));
    let mut head: Vec<&str> = w.unit_columns.to_vec();
    head.extend(Row::ALL.iter().map(|&r| lang::row(lang, r).0));
    let mut right = vec!["n", "", "", ""];
    right.extend(["n"; 10]);
    let mut rows: Vec<(String, Vec<String>)> = m
        .units
        .iter()
        .enumerate()
        .map(|(i, u)| {
            (
                String::new(),
                cells::unit(i, u, lang).iter().map(|c| escape(c)).collect(),
            )
        })
        .collect();
    let mut total = vec![String::new(), escape(w.total), String::new(), String::new()];
    total.extend(Row::ALL.iter().map(|r| cells::count(r.count(&m.totals))));
    rows.push(("total".into(), total));
    table(&mut b, "units", &head, &right, &rows);
    let _ = writeln!(b, "<p class=\"foot\">{}</p>", escape(w.unit_columns_legend));

    let _ = writeln!(b, "<h2>{}</h2>", escape(w.merged_sections[2]));
    if m.missing.is_empty() {
        let _ = writeln!(b, "<p>{}</p>", escape(w.no_missing));
    } else {
        b.push_str("<ul>\n");
        for u in &m.missing {
            let _ = writeln!(b, "<li>{}</li>", escape(u));
        }
        b.push_str("</ul>\n");
    }
    page(lang, w.merged_title, &b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_text_and_attributes() {
        assert_eq!(
            escape("<script>alert(\"x\" & 'y')</script>"),
            "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;"
        );
        assert_eq!(escape("a\nb\u{202e}"), "a\\nb\\u{202e}");
        assert_eq!(escape("Nguyễn 电脑"), "Nguyễn 电脑");
    }

    #[test]
    fn the_page_cannot_fetch_anything() {
        let p = page(Lang::Vi, "t<", "<p>x</p>\n");
        assert!(p.contains("<meta charset=\"utf-8\">"));
        assert!(p.contains("default-src 'none'; style-src 'unsafe-inline'"));
        assert!(p.contains("@page{size:A4"));
        for bad in ["http:", "https:", "src=", "href=", "url(", "<script", "@import"] {
            assert!(!p.contains(bad), "{bad}");
        }
    }
}
