//! CSV for Excel: the host list (one row per host) or, for a merge, one
//! row per unit. Excel needs a UTF-8 byte-order mark to read Vietnamese
//! correctly and CRLF line ends; every field is quoted so that commas,
//! quotes and newlines in hostnames or notes stay inside their cell, and
//! a cell that Excel would take for a formula (`=`, `+`, `-`, `@`, tab,
//! CR first) gets a leading `'`, since a device chooses its own name.

use super::cells;
use super::lang;
use crate::report::model::{Figures, Lang, MergedReport, Row, UnitReport};

const BOM: &str = "\u{feff}";

/// One field, quoted, quotes doubled, a formula defused.
pub fn field(s: &str) -> String {
    let defused = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    format!("\"{}\"", defused.replace('"', "\"\""))
}

fn push_row<S: AsRef<str>>(out: &mut String, cells: &[S]) {
    let row: Vec<String> = cells.iter().map(|c| field(c.as_ref())).collect();
    out.push_str(&row.join(","));
    out.push_str("\r\n");
}

/// The unit's host list.
pub fn unit(r: &UnitReport, lang: Lang) -> String {
    let w = lang::words(lang);
    let mut out = BOM.to_string();
    push_row(&mut out, &w.csv_columns);
    for h in &r.hosts {
        push_row(
            &mut out,
            &[
                h.hostname.clone().unwrap_or_default(),
                h.mac.clone().unwrap_or_default(),
                h.addrs.join(" "),
                lang::datetime(lang, h.first_seen),
                lang::datetime(lang, h.last_seen),
                cells::hits(h.ip_hits, h.ip_hits_lower_bound),
                h.dns_hits.to_string(),
                h.indicators.join(" "),
                lang::state(lang, &h.state),
                h.ack_at.map(|t| lang::datetime(lang, t)).unwrap_or_default(),
                h.note.clone().unwrap_or_default(),
            ],
        );
    }
    out
}

/// The merge: one row per unit with its figures, a totals row, and a row
/// per missing unit.
pub fn merged(m: &MergedReport, lang: Lang) -> String {
    let w = lang::words(lang);
    let mut out = BOM.to_string();
    let mut head: Vec<String> = vec![
        w.unit_columns[1].to_string(),
        w.status[0].to_string(),
        w.unit_columns[2].to_string(),
        w.unit_columns[3].to_string(),
    ];
    head.extend(Row::ALL.iter().map(|&r| {
        let (tt, name) = lang::row(lang, r);
        format!("{tt}. {name}")
    }));
    push_row(&mut out, &head);
    let figures = |f: &Figures| Row::ALL.map(|r| r.count(f).map(|n| n.to_string()).unwrap_or_default());
    for u in &m.units {
        let mut row = vec![
            u.unit.clone(),
            w.status[1].to_string(),
            lang::period_short(lang, &u.period),
            if u.signed { w.yes } else { w.no }.to_string(),
        ];
        row.extend(figures(&u.figures));
        push_row(&mut out, &row);
    }
    let mut total = vec![w.total.to_string(), String::new(), String::new(), String::new()];
    total.extend(figures(&m.totals));
    push_row(&mut out, &total);
    for u in &m.missing {
        push_row(&mut out, &[u.as_str(), w.status[2]]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_and_formulas_defused() {
        assert_eq!(field("plain"), "\"plain\"");
        assert_eq!(field(""), "\"\"");
        assert_eq!(field("a,\"b\"\r\nc"), "\"a,\"\"b\"\"\r\nc\"");
        assert_eq!(field("=1+2"), "\"'=1+2\"");
        assert_eq!(field("+x"), "\"'+x\"");
        assert_eq!(field("-x"), "\"'-x\"");
        assert_eq!(field("@SUM(A1)"), "\"'@SUM(A1)\"");
        assert_eq!(field("\tx"), "\"'\tx\"");
        assert_eq!(field("\rx"), "\"'\rx\"");
        assert_eq!(field("=\"q\""), "\"'=\"\"q\"\"\"");
        assert_eq!(field("a=b"), "\"a=b\"");
    }
}
