//! Display width for the text table, and the visible form of untrusted
//! text: a device chooses its own hostname, so a name may carry
//! newlines, tabs, bidi overrides, wide or combining characters, any of
//! which would break a column or reorder what the reader sees.
//!
//! The width table is a short approximation of UAX #11 and the Unicode
//! combining classes, enough for Vietnamese (precomposed or decomposed),
//! CJK and emoji; a crate with the full tables would cost more flash than
//! this whole module and buys little for a report.

/// Ranges of zero-width characters: combining marks, joiners, variation
/// selectors.
const ZERO: &[(u32, u32)] = &[
    (0x0300, 0x036F),
    (0x0483, 0x0489),
    (0x0591, 0x05BD),
    (0x0610, 0x061A),
    (0x064B, 0x065F),
    (0x0E31, 0x0E31),
    (0x0E34, 0x0E3A),
    (0x0E47, 0x0E4E),
    (0x1AB0, 0x1AFF),
    (0x1DC0, 0x1DFF),
    (0x200B, 0x200D),
    (0x20D0, 0x20FF),
    (0xFE00, 0xFE0F),
    (0xFE20, 0xFE2F),
    (0xE0100, 0xE01EF),
];

/// Ranges of East Asian wide and fullwidth characters and emoji.
const WIDE: &[(u32, u32)] = &[
    (0x1100, 0x115F),
    (0x231A, 0x231B),
    (0x2329, 0x232A),
    (0x23E9, 0x23EC),
    (0x25FD, 0x25FE),
    (0x2614, 0x2615),
    (0x2648, 0x2653),
    (0x26A1, 0x26A1),
    (0x26AA, 0x26AB),
    (0x26BD, 0x26BE),
    (0x26C4, 0x26C5),
    (0x26D4, 0x26D4),
    (0x26EA, 0x26EA),
    (0x26F5, 0x26F5),
    (0x26FA, 0x26FA),
    (0x26FD, 0x26FD),
    (0x2705, 0x2705),
    (0x270A, 0x270B),
    (0x2728, 0x2728),
    (0x274C, 0x274C),
    (0x2753, 0x2755),
    (0x2757, 0x2757),
    (0x2795, 0x2797),
    (0x27B0, 0x27B0),
    (0x27BF, 0x27BF),
    (0x2B1B, 0x2B1C),
    (0x2B50, 0x2B50),
    (0x2B55, 0x2B55),
    (0x2E80, 0x303E),
    (0x3041, 0x33FF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xA000, 0xA4CF),
    (0xA960, 0xA97F),
    (0xAC00, 0xD7A3),
    (0xF900, 0xFAFF),
    (0xFE10, 0xFE19),
    (0xFE30, 0xFE6F),
    (0xFF00, 0xFF60),
    (0xFFE0, 0xFFE6),
    (0x1F004, 0x1F004),
    (0x1F0CF, 0x1F0CF),
    (0x1F18E, 0x1F18E),
    (0x1F191, 0x1F19A),
    (0x1F200, 0x1F251),
    (0x1F300, 0x1F64F),
    (0x1F680, 0x1F6FF),
    (0x1F7E0, 0x1F7EB),
    (0x1F90C, 0x1F9FF),
    (0x1FA70, 0x1FAFF),
    (0x20000, 0x2FFFD),
    (0x30000, 0x3FFFD),
];

fn within(table: &[(u32, u32)], c: char) -> bool {
    let c = c as u32;
    table
        .binary_search_by(|&(lo, hi)| {
            if hi < c {
                std::cmp::Ordering::Less
            } else if lo > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// True for characters shown escaped: C0 and C1 controls, DEL, line and
/// paragraph separators, the byte-order mark, and the bidi controls that
/// would reorder the text around them.
pub fn is_control(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2028}' | '\u{2029}'
                | '\u{2066}'..='\u{2069}' | '\u{FEFF}'
        )
}

/// Columns `c` takes in a terminal or a monospace font: 0 for combining
/// marks, 2 for wide characters, 1 otherwise. Controls count 1 here but
/// are never measured raw: [`visible`] escapes them first.
pub fn char_width(c: char) -> usize {
    if within(ZERO, c) {
        0
    } else if within(WIDE, c) {
        2
    } else {
        1
    }
}

/// The display width of `s`.
pub fn width(s: &str) -> usize {
    s.chars().map(char_width).sum()
}

/// `s` on one line with every control escaped (`\n`, `\t`, `\r`,
/// `\u{202e}`), so that it cannot break a row or reorder its neighbours.
pub fn visible(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        push_visible(&mut out, c);
    }
    out
}

/// Like [`visible`] but keeps line feeds: for the admin's multi-line
/// texts (assessment, proposals).
pub fn visible_lines(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c == '\n' {
            out.push('\n');
        } else {
            push_visible(&mut out, c);
        }
    }
    out
}

fn push_visible(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if is_control(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        c => out.push(c),
    }
}

/// `s` cut to at most `max` columns, ending in "…" when cut. Combining
/// marks stay with their base character.
pub fn fit(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = char_width(c);
        if used + w + 1 > max {
            break;
        }
        used += w;
        out.push(c);
    }
    if max > 0 {
        out.push('…');
    }
    out
}

/// `s` padded with spaces to `w` columns (left-aligned, or right when
/// `right`); never shorter than `s`.
pub fn pad(s: &str, w: usize, right: bool) -> String {
    let fill = " ".repeat(w.saturating_sub(width(s)));
    if right {
        fill + s
    } else {
        format!("{s}{fill}")
    }
}

/// `s` broken into lines of at most `max` columns at spaces; a word
/// longer than a line is split.
pub fn wrap(s: &str, max: usize) -> Vec<String> {
    let max = max.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in s.split(' ').filter(|w| !w.is_empty()) {
        let sep = usize::from(!line.is_empty());
        if width(&line) + sep + width(word) <= max {
            if sep == 1 {
                line.push(' ');
            }
            line.push_str(word);
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        for c in word.chars() {
            if width(&line) + char_width(c) > max && !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            line.push(c);
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths() {
        assert_eq!(width("abc"), 3);
        assert_eq!(width("Việt"), 4);
        // Decomposed: e + circumflex + dot below.
        assert_eq!(width("Vie\u{302}\u{323}t"), 4);
        assert_eq!(width("máy tính 电脑"), 13);
        assert_eq!(width("🦠x"), 3);
        assert_eq!(width("ｅ"), 2);
        assert_eq!(width("a\u{200d}b"), 2);
    }

    #[test]
    fn controls_are_escaped() {
        assert_eq!(visible("a\nb\tc\r"), "a\\nb\\tc\\r");
        assert_eq!(visible("x\u{202e}y\u{7f}\u{85}"), "x\\u{202e}y\\u{7f}\\u{85}");
        assert_eq!(visible_lines("a\nb\u{2066}"), "a\nb\\u{2066}");
        assert!(visible("\u{1b}[31m").starts_with("\\u{1b}"));
    }

    #[test]
    fn fit_pad_and_wrap_measure_columns() {
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("abc", 3), "abc");
        assert_eq!(fit("电脑电脑", 5), "电脑…");
        assert_eq!(width(&fit("电脑电脑", 5)), 5);
        assert_eq!(fit("e\u{301}e\u{301}e\u{301}", 2), "e\u{301}…");
        assert_eq!(fit("abc", 0), "");
        assert_eq!(pad("电", 4, false), "电  ");
        assert_eq!(pad("7", 3, true), "  7");
        assert_eq!(pad("long", 2, false), "long");
        assert_eq!(wrap("một hai ba bốn", 7), ["một hai", "ba bốn"]);
        assert_eq!(wrap("abcdefgh", 3), ["abc", "def", "gh"]);
        assert_eq!(wrap("", 3), [""]);
        for s in ["电脑电脑 x", "a  b", "🦠🦠🦠"] {
            assert!(wrap(s, 3).iter().all(|l| width(l) <= 3), "{s}");
        }
    }
}
