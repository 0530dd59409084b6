//! Every word the report prints, in Vietnamese (the ministry template's
//! own wording) and English, and dates in each language's form. One
//! struct per language, so a label missing in either fails to compile.

use crate::clock::utc_iso8601;
use crate::report::model::{Lang, Row};

/// The labels of one language.
pub struct Words {
    /// The appendix title.
    pub title: &'static str,
    /// The merged report's title.
    pub merged_title: &'static str,
    /// Section 1.
    pub general: &'static str,
    /// Tên đơn vị.
    pub unit: &'static str,
    /// Đánh giá….
    pub assessment: &'static str,
    /// Said after the assessment's label when iocguard drafted it.
    pub drafted: &'static str,
    /// Đề xuất, kiến nghị.
    pub proposals: &'static str,
    /// Said when there are no proposals.
    pub none: &'static str,
    /// Section 2.
    pub figures: &'static str,
    /// Columns of the statistics table.
    pub columns: [&'static str; 4],
    /// Section 3.
    pub indicators: &'static str,
    /// Listed IP prefixes.
    pub ip_prefixes: &'static str,
    /// Listed domains.
    pub domains: &'static str,
    /// Columns of the feed table.
    pub feed_columns: [&'static str; 3],
    /// A feed never synced.
    pub never: &'static str,
    /// The period's label.
    pub period: &'static str,
    /// "from" in a period.
    pub from: &'static str,
    /// "to" in a period.
    pub to: &'static str,
    /// An open period's start.
    pub from_start: &'static str,
    /// The generation time's label.
    pub generated: &'static str,
    /// Section 4.
    pub hosts: &'static str,
    /// Columns of the host table.
    pub host_columns: [&'static str; 9],
    /// Columns of the host CSV.
    pub csv_columns: [&'static str; 11],
    /// No host in the period.
    pub no_hosts: &'static str,
    /// What `≥` means.
    pub lower_bound: &'static str,
    /// That times are UTC.
    pub utc: &'static str,
    /// The merged report's sections: totals, units, missing units.
    pub merged_sections: [&'static str; 3],
    /// "more" after a cut list.
    pub more: &'static str,
    /// Its columns before the figures.
    pub unit_columns: [&'static str; 4],
    /// What its figure columns are.
    pub unit_columns_legend: &'static str,
    /// The totals row.
    pub total: &'static str,
    /// Status of a unit in the merged CSV: reported, missing.
    pub status: [&'static str; 3],
    /// No missing unit.
    pub no_missing: &'static str,
    /// "yes".
    pub yes: &'static str,
    /// "no".
    pub no: &'static str,
    /// Host states: infected, acknowledged, reinfected.
    pub states: [&'static str; 3],
}

const VI: Words = Words {
    title: "Phụ lục — Mẫu thống kê, báo cáo kết quả triển khai",
    merged_title: "Tổng hợp báo cáo kết quả triển khai chiến dịch",
    general: "1. Thông tin chung",
    unit: "Tên đơn vị",
    assessment: "Đánh giá kết quả thực hiện chiến dịch trong phạm vi triển khai",
    drafted: "(do iocguard soạn thảo từ số liệu)",
    proposals: "Đề xuất, kiến nghị (nếu có)",
    none: "Không có.",
    figures: "2. Thông tin số liệu",
    columns: ["TT", "Nội dung", "Số lượng", "Ghi chú"],
    indicators: "3. Dấu hiệu nhận biết mã độc đang áp dụng",
    ip_prefixes: "Dải địa chỉ IP bị chặn",
    domains: "Tên miền bị chặn",
    feed_columns: ["Nguồn dữ liệu", "Số mục", "Đồng bộ thành công gần nhất"],
    never: "chưa đồng bộ",
    period: "Kỳ báo cáo",
    from: "từ",
    to: "đến",
    from_start: "từ khi bắt đầu ghi nhận",
    generated: "Thời điểm lập báo cáo",
    hosts: "4. Danh sách thiết bị được phát hiện",
    host_columns: [
        "Tên thiết bị",
        "Địa chỉ MAC",
        "Địa chỉ IP",
        "Lần đầu",
        "Lần cuối",
        "Lượt IP",
        "Lượt DNS",
        "Địa chỉ độc hại",
        "Trạng thái",
    ],
    csv_columns: [
        "Tên thiết bị",
        "Địa chỉ MAC",
        "Địa chỉ IP",
        "Lần đầu (UTC)",
        "Lần cuối (UTC)",
        "Lượt kết nối IP bị chặn",
        "Lượt truy vấn DNS bị chặn",
        "Địa chỉ độc hại",
        "Trạng thái",
        "Thời điểm xác nhận xử lý (UTC)",
        "Ghi chú",
    ],
    no_hosts: "Không phát hiện thiết bị nào trong kỳ báo cáo.",
    lower_bound: "≥: một số lượt bị chặn không được ghi nhật ký (giới hạn tốc độ ghi); số lượt thực tế không ít hơn số đã ghi.",
    utc: "Các thời điểm trong báo cáo tính theo giờ UTC.",
    merged_sections: [
        "1. Số liệu tổng hợp",
        "2. Số liệu theo từng đơn vị",
        "3. Đơn vị chưa gửi báo cáo",
    ],
    more: "khác",
    unit_columns: ["TT", "Đơn vị", "Kỳ báo cáo", "Đã ký"],
    unit_columns_legend: "Các cột số liệu mang số TT của các dòng trong bảng trên.",
    total: "Tổng cộng",
    status: ["Tình trạng", "đã gửi báo cáo", "chưa gửi báo cáo"],
    no_missing: "Không có.",
    yes: "có",
    no: "không",
    states: ["Chưa xử lý", "Đã xử lý", "Lây nhiễm lại"],
};

const EN: Words = Words {
    title: "Appendix — Statistics and report form on the deployment results",
    merged_title: "Summary of the units' reports on the campaign",
    general: "1. General information",
    unit: "Unit",
    assessment: "Assessment of the campaign's results within the deployment scope",
    drafted: "(drafted by iocguard from the figures)",
    proposals: "Proposals and recommendations (if any)",
    none: "None.",
    figures: "2. Figures",
    columns: ["No.", "Item", "Count", "Notes"],
    indicators: "3. Malware indicators in force",
    ip_prefixes: "Blocked IP prefixes",
    domains: "Blocked domains",
    feed_columns: ["Feed", "Entries", "Last successful sync"],
    never: "never synced",
    period: "Reporting period",
    from: "from",
    to: "to",
    from_start: "from the first record",
    generated: "Report generated",
    hosts: "4. Devices detected",
    host_columns: [
        "Hostname",
        "MAC",
        "IP address",
        "First seen",
        "Last seen",
        "IP hits",
        "DNS hits",
        "Malicious addresses",
        "State",
    ],
    csv_columns: [
        "Hostname",
        "MAC",
        "IP addresses",
        "First seen (UTC)",
        "Last seen (UTC)",
        "Blocked IP connections",
        "Blocked DNS queries",
        "Malicious addresses",
        "State",
        "Acknowledged at (UTC)",
        "Note",
    ],
    no_hosts: "No device was detected in the reporting period.",
    lower_bound:
        "≥: some blocked attempts were not logged (log rate limit); the real count is at least the one shown.",
    utc: "All times are in UTC.",
    merged_sections: ["1. Totals", "2. Figures by unit", "3. Units that sent no report"],
    more: "more",
    unit_columns: ["No.", "Unit", "Reporting period", "Signed"],
    unit_columns_legend: "The figure columns carry the numbers of the rows in the table above.",
    total: "Total",
    status: ["Status", "reported", "no report"],
    no_missing: "None.",
    yes: "yes",
    no: "no",
    states: ["Not handled", "Handled", "Re-infected"],
};

/// The labels of `lang`.
pub fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::Vi => &VI,
        Lang::En => &EN,
    }
}

/// A row's number (TT) and wording.
pub fn row(lang: Lang, row: Row) -> (&'static str, &'static str) {
    let vi = lang == Lang::Vi;
    let pick = |v, e| if vi { v } else { e };
    match row {
        Row::OrgsInformed => (
            "1",
            pick(
                "Tổng số đơn vị, tổ chức nhận được thông tin về chiến dịch",
                "Organisations informed of the campaign",
            ),
        ),
        Row::OrgsDeployed => (
            "2",
            pick(
                "Tổng số đơn vị, tổ chức triển khai chiến dịch",
                "Organisations that deployed the campaign",
            ),
        ),
        Row::DevicesDetected => (
            "3",
            pick(
                "Tổng số thiết bị được phát hiện kết nối tới địa chỉ độc hại",
                "Devices detected connecting to malicious addresses",
            ),
        ),
        Row::DevicesByIp => (
            "3.1",
            pick("Trong đó: chỉ qua địa chỉ IP", "of which by IP address only"),
        ),
        Row::DevicesByDns => (
            "3.2",
            pick(
                "Trong đó: chỉ qua tên miền (DNS)",
                "of which by domain name (DNS) only",
            ),
        ),
        Row::DevicesByBoth => (
            "3.3",
            pick("Trong đó: qua cả địa chỉ IP và tên miền", "of which by both"),
        ),
        Row::DevicesHandled => (
            "4",
            pick(
                "Số thiết bị đã được xử lý (xác nhận đã làm sạch)",
                "Devices handled (acknowledged as cleaned)",
            ),
        ),
        Row::DevicesReinfected => (
            "5",
            pick(
                "Số thiết bị bị lây nhiễm lại sau khi xử lý",
                "Devices re-infected after handling",
            ),
        ),
        Row::UsersNotified => (
            "6",
            pick(
                "Số người dùng đã được cảnh báo trực tiếp trên thiết bị (đã đọc trang cảnh báo)",
                "Users warned on their device (read the notice page)",
            ),
        ),
        Row::BlockedConnections => (
            "7",
            pick(
                "Số lượt kết nối tới địa chỉ độc hại đã bị chặn",
                "Blocked connection attempts to malicious addresses",
            ),
        ),
        Row::BlockedDnsQueries => (
            "8",
            pick(
                "Số truy vấn DNS tới tên miền độc hại đã bị chặn",
                "Blocked DNS queries for malicious domains",
            ),
        ),
    }
}

/// The note (Ghi chú) of a row whose count is `count`; `merged`: the
/// count is a sum over units.
pub fn note(lang: Lang, row: Row, count: Option<u64>, merged: bool) -> &'static str {
    let vi = lang == Lang::Vi;
    let pick = |v, e| if vi { v } else { e };
    match (row, count.is_some(), merged) {
        (Row::OrgsInformed, false, _) => pick(
            "Không có số liệu (quản trị viên chưa cung cấp)",
            "Not available (not given by the administrator)",
        ),
        (Row::OrgsInformed, true, _) => pick("Do quản trị viên cung cấp", "Given by the administrator"),
        (Row::OrgsDeployed, _, _) => pick(
            "Do quản trị viên cung cấp; tính cả đơn vị báo cáo",
            "Given by the administrator; includes the reporting unit",
        ),
        (Row::DevicesDetected, _, _) => pick("Mỗi thiết bị được tính một lần", "Each device counted once"),
        (Row::DevicesHandled | Row::DevicesReinfected, _, _) => pick(
            "Theo trạng thái tại thời điểm lập báo cáo",
            "State when the report was generated",
        ),
        (Row::UsersNotified, _, _) => pick(
            "Người dùng bấm \u{201c}Tôi đã hiểu\u{201d} trong kỳ báo cáo",
            "The user pressed \u{201c}I understand\u{201d} in the period",
        ),
        (Row::BlockedConnections, true, _) => pick(
            "Theo bộ đếm của nhân hệ điều hành, số liệu chính xác",
            "From the kernel's counters, exact",
        ),
        (Row::BlockedConnections, false, false) => pick(
            "Không có số liệu (không đọc được bộ đếm của nhân hệ điều hành)",
            "Not available (the kernel's counters could not be read)",
        ),
        (Row::BlockedConnections, false, true) => pick(
            "Không có số liệu (có đơn vị không có số liệu này)",
            "Not available (missing in some unit's report)",
        ),
        (Row::BlockedDnsQueries, _, _) => pick("Theo nhật ký chặn truy vấn DNS", "From the DNS block log"),
        (Row::DevicesByIp | Row::DevicesByDns | Row::DevicesByBoth, _, _) => "",
    }
}

/// A host state (`infected`, `acknowledged`, `reinfected`) in `lang`;
/// anything else as given.
pub fn state(lang: Lang, s: &str) -> String {
    let w = words(lang);
    match s {
        "infected" => w.states[0].to_string(),
        "acknowledged" => w.states[1].to_string(),
        "reinfected" => w.states[2].to_string(),
        other => other.to_string(),
    }
}

/// Year, month, day, hour, minute of `unix` in UTC, as text.
fn parts(unix: u64) -> (String, String, String, String, String) {
    let iso = utc_iso8601(unix);
    let (date, time) = iso.split_once('T').unwrap_or((&iso, ""));
    let mut d = date.rsplitn(3, '-');
    let day = d.next().unwrap_or_default().to_string();
    let month = d.next().unwrap_or_default().to_string();
    let year = d.next().unwrap_or_default().to_string();
    let hour = time.get(0..2).unwrap_or_default().to_string();
    let minute = time.get(3..5).unwrap_or_default().to_string();
    (year, month, day, hour, minute)
}

/// The UTC date of `unix`: dd/mm/yyyy in Vietnamese, yyyy-mm-dd in
/// English.
pub fn date(lang: Lang, unix: u64) -> String {
    let (y, m, d, _, _) = parts(unix);
    match lang {
        Lang::Vi => format!("{d}/{m}/{y}"),
        Lang::En => format!("{y}-{m}-{d}"),
    }
}

/// The UTC date and time (to the minute) of `unix`.
pub fn datetime(lang: Lang, unix: u64) -> String {
    let (_, _, _, h, min) = parts(unix);
    format!("{} {h}:{min}", date(lang, unix))
}

/// The period in short: `01/11/2026–28/11/2026`, `…–28/11/2026`.
pub fn period_short(lang: Lang, p: &crate::report::model::Period) -> String {
    let start = p.since.map_or_else(|| "…".to_string(), |s| date(lang, s));
    format!("{start}–{}", date(lang, p.until))
}

/// The period in words.
pub fn period(lang: Lang, p: &crate::report::model::Period) -> String {
    let w = words(lang);
    let start = match p.since {
        Some(s) => format!("{} {}", w.from, date(lang, s)),
        None => w.from_start.to_string(),
    };
    format!("{start} {} {}", w.to, date(lang, p.until))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_per_language() {
        assert_eq!(date(Lang::Vi, 1_795_900_662), "28/11/2026");
        assert_eq!(date(Lang::En, 1_795_900_662), "2026-11-28");
        assert_eq!(datetime(Lang::Vi, 1_795_900_662), "28/11/2026 21:17");
        assert_eq!(datetime(Lang::En, 0), "1970-01-01 00:00");
        // Far future: no panic, some date.
        assert!(!date(Lang::Vi, u64::MAX).is_empty());
    }

    #[test]
    fn every_row_is_named_in_both_languages() {
        for r in Row::ALL {
            assert!(!row(Lang::Vi, r).1.is_empty() && !row(Lang::En, r).1.is_empty());
            assert_ne!(row(Lang::Vi, r).1, row(Lang::En, r).1);
        }
        assert_eq!(state(Lang::Vi, "reinfected"), "Lây nhiễm lại");
        assert_eq!(state(Lang::En, "weird"), "weird");
    }
}
