//! The campaign report's renderings of a fixed report, compared byte for
//! byte with golden files under tests/data/report (so that a change in
//! wording, layout or diacritics shows in review). `UPDATE_GOLDEN=1
//! cargo test --test report_render` rewrites them.

mod common;

use common::report::{merged, unit, HOSTILE, WIDE};
use iocguard::report::model::Lang;
use iocguard::report::render::{self, width::width, Format};
use std::path::PathBuf;

fn golden(name: &str, got: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/report")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_GOLDEN=1 writes it)", path.display()));
    if want != got {
        let line = want
            .lines()
            .zip(got.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(want.lines().count().min(got.lines().count()));
        panic!(
            "{name} differs from the golden file at line {}:\nwant: {:?}\ngot:  {:?}\n(UPDATE_GOLDEN=1 rewrites it)",
            line + 1,
            want.lines().nth(line),
            got.lines().nth(line)
        );
    }
}

#[test]
fn unit_text_and_markdown_match_the_golden_files() {
    for (lang, code) in [(Lang::Vi, "vi"), (Lang::En, "en")] {
        let r = unit(lang);
        golden(&format!("unit.{code}.txt"), &render::unit(&r, lang, Format::Text));
        golden(&format!("unit.{code}.md"), &render::unit(&r, lang, Format::Md));
    }
}

#[test]
fn merged_text_matches_the_golden_file() {
    golden(
        "merged.vi.txt",
        &render::merged(&merged(), Lang::Vi, Format::Text),
    );
}

#[test]
fn vietnamese_wording_is_the_templates_with_its_diacritics() {
    let t = render::unit(&unit(Lang::Vi), Lang::Vi, Format::Text);
    for s in [
        "Phụ lục — Mẫu thống kê, báo cáo kết quả triển khai",
        "1. Thông tin chung",
        "Tên đơn vị: Sở Thông tin và Truyền thông tỉnh Thừa Thiên Huế",
        "Đánh giá kết quả thực hiện chiến dịch trong phạm vi triển khai (do iocguard",
        "Đề xuất, kiến nghị (nếu có)",
        "2. Thông tin số liệu",
        "TT   Nội dung",
        "Số lượng  Ghi chú",
        "Kỳ báo cáo: từ 01/11/2026 đến 28/11/2026",
        "Thời điểm lập báo cáo: 28/11/2026 21:17 UTC",
        "Lây nhiễm lại",
    ] {
        assert!(t.contains(s), "missing {s:?} in\n{t}");
    }
    let md = render::unit(&unit(Lang::Vi), Lang::Vi, Format::Md);
    for r in iocguard::report::Row::ALL {
        let (tt, name) = iocguard::report::render::lang::row(Lang::Vi, r);
        assert!(md.contains(&format!("| {tt} | {name} |")), "{name}");
    }
    assert!(md.contains("| 2 | Tổng số đơn vị, tổ chức triển khai chiến dịch | 1 |"));
    // Precomposed (NFC) bytes, as the template is written: "ụ" is U+1EE5.
    assert!(t.as_bytes().windows(3).any(|w| w == "ụ".as_bytes()));
    assert_eq!("ụ".as_bytes(), [0xe1, 0xbb, 0xa5]);
    let en = render::unit(&unit(Lang::En), Lang::En, Format::Text);
    assert!(
        en.contains("Reporting period: from 2026-11-01 to 2026-11-28"),
        "{en}"
    );
}

/// The host table's lines (header, rule, one per host) in a text report.
fn host_lines(t: &str) -> Vec<&str> {
    let start = t.lines().position(|l| l.starts_with("4. ")).unwrap() + 3;
    t.lines()
        .skip(start)
        .take_while(|l| !l.is_empty() && !l.starts_with('≥'))
        .collect()
}

#[test]
fn hostile_names_never_break_the_text_table() {
    for lang in [Lang::Vi, Lang::En] {
        let r = unit(lang);
        let t = render::unit(&r, lang, Format::Text);
        assert!(!t.contains('\t') && !t.contains('\u{202e}') && !t.contains('\r'));
        let lines = host_lines(&t);
        // Header, rule, one line per host: a newline in a name made none.
        assert_eq!(lines.len(), 2 + r.hosts.len(), "{lines:#?}");
        // Each column starts at the same display column on every line:
        // the rule's dashes mark where.
        let rule = lines[1];
        let starts: Vec<usize> = rule
            .char_indices()
            .filter(|&(i, c)| c == '-' && (i == 0 || rule[..i].ends_with(' ')))
            .map(|(i, _)| width(&rule[..i]))
            .collect();
        assert_eq!(starts.len(), 9);
        for l in &lines {
            for &s in &starts[1..] {
                // The character before a column start is a separator space
                // on every line (a misaligned line has text there).
                let mut col = 0;
                let mut before = None;
                for c in l.chars() {
                    if col + iocguard::report::render::width::char_width(c) > s - 1 {
                        before = Some(c);
                        break;
                    }
                    col += iocguard::report::render::width::char_width(c);
                }
                assert!(before.is_none_or(|c| c == ' '), "misaligned at {s}: {l:?}");
            }
        }
        assert!(t.contains("\\u{202e}gpj.exe") || t.contains("…"));
        assert!(t.contains("≥ 120"));
    }
}

#[test]
fn wide_and_combining_names_are_measured_by_display_width() {
    assert_eq!(width(WIDE), 19);
    let t = render::unit(&unit(Lang::Vi), Lang::Vi, Format::Text);
    assert!(t.contains("ma\u{301}y-Ke\u{302}\u{301}-toa\u{301}n-电"), "{t}");
}

#[test]
fn markdown_tables_keep_their_rows() {
    let r = unit(Lang::Vi);
    let md = render::unit(&r, Lang::Vi, Format::Md);
    assert!(!md.contains('\t') && !md.contains('\u{202e}'));
    let b = md.as_bytes();
    assert!(
        (0..b.len()).all(|i| b[i] != b'<' || (i > 0 && b[i - 1] == b'\\')),
        "raw < in\n{md}"
    );
    assert!(md.contains("\\<script\\>"));
    let hosts: Vec<&str> = md
        .lines()
        .skip_while(|l| !l.starts_with("## 4."))
        .filter(|l| l.starts_with('|'))
        .collect();
    assert_eq!(hosts.len(), 2 + r.hosts.len());
    // Every row has as many unescaped pipes as the header.
    let pipes = |l: &str| {
        let b = l.as_bytes();
        (0..b.len())
            .filter(|&i| b[i] == b'|' && (i == 0 || b[i - 1] != b'\\'))
            .count()
    };
    assert!(hosts.iter().all(|l| pipes(l) == pipes(hosts[0])), "{hosts:#?}");
}

#[test]
fn html_escapes_everything_untrusted() {
    let r = unit(Lang::Vi);
    let h = render::unit(&r, Lang::Vi, Format::Html);
    assert!(!h.contains("<script") && !h.contains("<b>"));
    assert!(h.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"));
    assert!(h.contains("local&lt;b&gt;|domains\\t"));
    assert!(!h.contains('\u{202e}'));
    let m = render::merged(&merged(), Lang::Vi, Format::Html);
    assert!(m.contains("&lt;b&gt;Phòng\\nKỹ thuật&lt;/b&gt;") && !m.contains("<b>"));
}

/// The fields of a CSV in the RFC 4180 form the renderer writes.
fn parse_csv(s: &str) -> Vec<Vec<String>> {
    let mut rows = vec![];
    let mut row = vec![];
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        assert_eq!(c, '"', "every field is quoted");
        let mut f = String::new();
        loop {
            match chars.next().expect("closing quote") {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    f.push('"');
                }
                '"' => break,
                c => f.push(c),
            }
        }
        row.push(f);
        match chars.next() {
            Some(',') => {}
            Some('\r') => {
                assert_eq!(chars.next(), Some('\n'), "CRLF");
                rows.push(std::mem::take(&mut row));
            }
            other => panic!("after a field: {other:?}"),
        }
    }
    rows
}

#[test]
fn csv_opens_in_excel_without_formulas() {
    let r = unit(Lang::Vi);
    let csv = render::unit(&r, Lang::Vi, Format::Csv);
    let body = csv.strip_prefix('\u{feff}').expect("UTF-8 BOM");
    let rows = parse_csv(body);
    assert_eq!(rows.len(), 1 + r.hosts.len());
    assert!(rows.iter().all(|row| row.len() == 11));
    assert_eq!(rows[0][0], "Tên thiết bị");
    assert_eq!(rows[1][0], HOSTILE, "kept whole, inside its quotes");
    assert_eq!(rows[1][4], "27/11/2026 22:04");
    assert_eq!(rows[1][5], "≥ 120");
    assert_eq!(rows[2][10], "'=1+2 đã cài lại hệ điều hành, ok");
    assert_eq!(rows[2][8], "Đã xử lý");
    for row in &rows {
        assert!(
            row.iter()
                .all(|f| !f.starts_with(['=', '+', '-', '@', '\t', '\r'])),
            "{row:?}"
        );
    }

    let m = render::merged(&merged(), Lang::Vi, Format::Csv);
    let rows = parse_csv(m.strip_prefix('\u{feff}').unwrap());
    // Header, three units, totals, two missing.
    assert_eq!(rows.len(), 7);
    assert_eq!(rows[2][0], "Công an tỉnh | =HYPERLINK(\"x\")");
    assert_eq!(rows[4][0], "Tổng cộng");
    assert_eq!(rows[4][6], "6");
    assert_eq!(rows[4][12], "2", "users notified, summed");
    assert_eq!(rows[4][13], "", "connections unknown in a unit: unknown in total");
    assert_eq!(rows[6], ["<b>Phòng\nKỹ thuật</b>", "chưa gửi báo cáo"]);
}

#[test]
fn json_is_the_model_and_reads_back() {
    let r = unit(Lang::Vi);
    let j = render::unit(&r, Lang::Vi, Format::Json);
    assert!(j.starts_with("{\n  \"schema\": 1,") && j.ends_with("}\n"));
    let back: iocguard::report::UnitReport = serde_json::from_str(&j).unwrap();
    assert_eq!(back, r);
    assert_eq!(
        j,
        render::unit(&r, Lang::En, Format::Json),
        "JSON has no language"
    );
    let m = merged();
    let back: iocguard::report::MergedReport =
        serde_json::from_str(&render::merged(&m, Lang::Vi, Format::Json)).unwrap();
    assert_eq!(back, m);
}

#[test]
fn every_format_renders_an_empty_report() {
    let mut r = unit(Lang::En);
    r.hosts.clear();
    r.feeds.clear();
    r.unit = String::new();
    r.proposals = String::new();
    r.assessment = "\n\n".into();
    let mut m = merged();
    m.units.clear();
    m.missing.clear();
    for f in ["text", "md", "html", "json", "csv"] {
        let f: Format = f.parse().unwrap();
        for lang in [Lang::Vi, Lang::En] {
            assert!(!render::unit(&r, lang, f).is_empty());
            assert!(!render::merged(&m, lang, f).is_empty());
        }
    }
    let t = render::unit(&r, Lang::En, Format::Text);
    assert!(t.contains("No device was detected in the reporting period."));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]

    /// Any hostname, note, unit or feed name renders in every format
    /// without a panic, one text line and one Markdown row per host, and
    /// no markup in the HTML.
    #[test]
    fn any_untrusted_text_renders_safely(
        name in proptest::prelude::any::<String>(),
        other in "[\\PC\\t\\n\\r\u{202e}|<>&\"'=+@-]{0,60}",
    ) {
        let mut r = unit(Lang::Vi);
        r.unit = other.clone();
        r.hosts[0].hostname = Some(name.clone());
        r.hosts[1].hostname = Some(other.clone());
        r.hosts[1].note = Some(name.clone());
        r.feeds[0].name = name.clone();
        r.proposals = other.clone();
        for lang in [Lang::Vi, Lang::En] {
            let t = render::unit(&r, lang, Format::Text);
            proptest::prop_assert_eq!(host_lines(&t).len(), 2 + r.hosts.len());
            let md = render::unit(&r, lang, Format::Md);
            let rows = md.lines().skip_while(|l| !l.starts_with("## 4.")).filter(|l| l.starts_with('|')).count();
            proptest::prop_assert_eq!(rows, 2 + r.hosts.len());
            let h = render::unit(&r, lang, Format::Html);
            proptest::prop_assert!(!h.contains("<script") && !h.contains("<b>"));
            let csv = render::unit(&r, lang, Format::Csv);
            proptest::prop_assert_eq!(parse_csv(csv.strip_prefix('\u{feff}').unwrap()).len(), 1 + r.hosts.len());
        }
    }
}
