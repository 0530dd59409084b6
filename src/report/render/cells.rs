//! A host's cells as the text, Markdown and HTML tables show them, raw:
//! each renderer escapes them for its own format.

use super::lang;
use crate::report::model::{HostRow, Lang, Row, UnitLine};

/// How many indicators a host's cell names before "+N more".
const TOP: usize = 3;

/// The hit count, `≥ N` when a lower bound.
pub fn hits(n: u64, lower_bound: bool) -> String {
    if lower_bound {
        format!("≥ {n}")
    } else {
        n.to_string()
    }
}

/// `first, second (+N more)`.
fn some_of(items: &[String], keep: usize, lang: Lang) -> String {
    if items.is_empty() {
        return "-".into();
    }
    let shown = items[..items.len().min(keep)].join(", ");
    match items.len().saturating_sub(keep) {
        0 => shown,
        n => format!("{shown} (+{n} {})", lang::words(lang).more),
    }
}

/// The nine cells of the host table, in `Words::host_columns` order.
pub fn host(h: &HostRow, lang: Lang) -> [String; 9] {
    [
        h.hostname.clone().unwrap_or_else(|| "-".into()),
        h.mac.clone().unwrap_or_else(|| "-".into()),
        some_of(&h.addrs, 1, lang),
        lang::datetime(lang, h.first_seen),
        lang::datetime(lang, h.last_seen),
        hits(h.ip_hits, h.ip_hits_lower_bound),
        h.dns_hits.to_string(),
        some_of(&h.indicators, TOP, lang),
        lang::state(lang, &h.state),
    ]
}

/// Which host columns are counts (right-aligned).
pub const HOST_RIGHT: [bool; 9] = [false, false, false, false, false, true, true, false, false];

/// A count, or "-" when unknown.
pub fn count(n: Option<u64>) -> String {
    n.map_or_else(|| "-".into(), |n| n.to_string())
}

/// A unit's line in the merged table, raw: its number (from 1), name,
/// period, whether its signature was checked, then each row's count.
pub fn unit(i: usize, u: &UnitLine, lang: Lang) -> Vec<String> {
    let w = lang::words(lang);
    let mut row = vec![
        (i + 1).to_string(),
        u.unit.clone(),
        lang::period_short(lang, &u.period),
        if u.signed { w.yes } else { w.no }.to_string(),
    ];
    row.extend(Row::ALL.iter().map(|r| count(r.count(&u.figures))));
    row
}
