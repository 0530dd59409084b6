//! The report for people: text, Markdown and HTML in the ministry
//! template's layout, CSV for Excel, JSON for the IT centre's merge, in
//! Vietnamese or English.
//!
//! Every string from a unit, a host or a feed is untrusted (a device
//! names itself): each format escapes it its own way ([`width::visible`]
//! for text, [`md::escape`], [`html::escape`], [`csv::field`]).

pub mod cells;
pub mod csv;
pub mod html;
pub mod lang;
pub mod md;
pub mod text;
pub mod width;

use crate::report::model::{Lang, MergedReport, UnitReport};

/// An output format of `iocguard report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Plain text, tables padded by display width.
    Text,
    /// Markdown with GitHub-flavoured tables.
    Md,
    /// One self-contained HTML page, printable to A4.
    Html,
    /// The machine form (schema-versioned), read by `report merge`.
    Json,
    /// The host list (a merge: the unit list) for Excel.
    Csv,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Format, String> {
        match s {
            "text" => Ok(Format::Text),
            "md" => Ok(Format::Md),
            "html" => Ok(Format::Html),
            "json" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            _ => Err(format!("no report format {s:?}: text, md, html, json or csv")),
        }
    }
}

/// Pretty JSON with a final newline. Serialising these plain structs
/// cannot fail; should it ever, the output is empty rather than a panic.
fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string_pretty(v).map_or_else(|_| String::new(), |s| s + "\n")
}

/// One unit's report in `format` (JSON ignores `lang`).
pub fn unit(r: &UnitReport, lang: Lang, format: Format) -> String {
    match format {
        Format::Text => text::unit(r, lang),
        Format::Md => md::unit(r, lang),
        Format::Html => html::unit(r, lang),
        Format::Json => json(r),
        Format::Csv => csv::unit(r, lang),
    }
}

/// The IT centre's merge in `format`: each unit's line, the totals, the
/// units that sent nothing.
pub fn merged(m: &MergedReport, lang: Lang, format: Format) -> String {
    match format {
        Format::Text => text::merged(m, lang),
        Format::Md => md::merged(m, lang),
        Format::Html => html::merged(m, lang),
        Format::Json => json(m),
        Format::Csv => csv::merged(m, lang),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_parse_by_name() {
        for (s, f) in [
            ("text", Format::Text),
            ("md", Format::Md),
            ("html", Format::Html),
            ("json", Format::Json),
            ("csv", Format::Csv),
        ] {
            assert_eq!(s.parse::<Format>(), Ok(f));
        }
        let e = "pdf".parse::<Format>().unwrap_err();
        assert!(
            e.contains("\"pdf\"") && e.contains("text, md, html, json or csv"),
            "{e}"
        );
        assert!("HTML".parse::<Format>().is_err() && "".parse::<Format>().is_err());
    }
}
