//! A fixed unit report and merge for the renderer tests, with the inputs
//! a hostile or unusual LAN can produce: a hostname with markup, a
//! newline, a tab, a pipe and a bidi override; one with decomposed
//! Vietnamese marks, CJK and an emoji; a formula in a note.
#![allow(dead_code)]

use iocguard::report::assess;
use iocguard::report::model::{
    Blocked, Devices, FeedRow, Figures, HostRow, Indicators, Lang, MergedReport, Period, UnitLine, UnitReport,
};

/// 2026-11-28T21:17:42Z.
pub const GENERATED: u64 = 1_795_900_662;
/// 2026-11-01T00:00:00Z.
pub const SINCE: u64 = 1_793_491_200;

/// The hostile hostname.
pub const HOSTILE: &str = "<script>alert(\"x\")</script>\n|evil\t\u{202e}gpj.exe";
/// Decomposed "Kế" (e, circumflex, acute), wide CJK, an emoji.
pub const WIDE: &str = "ma\u{301}y-Ke\u{302}\u{301}-toa\u{301}n-电脑-🦠";

fn host(hostname: Option<&str>, mac: u8, state: &str) -> HostRow {
    HostRow {
        hostname: hostname.map(str::to_string),
        mac: Some(format!("02:00:00:00:00:{mac:02x}")),
        addrs: vec![format!("192.168.1.{}", 100 + mac)],
        first_seen: 1_793_693_700,
        last_seen: 1_795_817_040,
        ip_hits: 0,
        ip_hits_lower_bound: false,
        dns_hits: 0,
        indicators: vec![],
        state: state.to_string(),
        ack_at: None,
        note: None,
    }
}

/// The fixed unit report, its assessment drafted in `lang`.
pub fn unit(lang: Lang) -> UnitReport {
    let mut hostile = host(Some(HOSTILE), 1, "infected");
    hostile.addrs = vec!["192.168.1.101".into(), "fd00::1:65".into(), "192.168.1.99".into()];
    hostile.ip_hits = 120;
    hostile.ip_hits_lower_bound = true;
    hostile.dns_hits = 7;
    hostile.indicators = vec![
        "203.0.113.0/24".into(),
        "c2.bad.example".into(),
        "198.51.100.7".into(),
        "x.bad.example".into(),
    ];
    let mut wide = host(Some(WIDE), 2, "acknowledged");
    wide.ip_hits = 3;
    wide.dns_hits = 2;
    wide.indicators = vec!["c2.bad.example".into()];
    wide.ack_at = Some(1_795_845_600);
    wide.note = Some("=1+2 đã cài lại hệ điều hành, ok".into());
    let mut nameless = host(None, 3, "reinfected");
    nameless.ip_hits = 9;
    nameless.indicators = vec!["203.0.113.9".into()];
    nameless.ack_at = Some(1_795_167_000);
    nameless.note = Some("Máy in tầng 2".into());
    let mut plain = host(Some("LAPTOP-HR01"), 4, "infected");
    plain.dns_hits = 31;
    plain.indicators = vec!["update.bad.example".into()];
    plain.last_seen = 1_795_167_000;
    let devices = Devices {
        detected: 4,
        by_ip: 1,
        by_dns: 1,
        by_both: 2,
        handled: 1,
        reinfected: 1,
        notified: 2,
    };
    let blocked = Blocked {
        connections: Some(1_234),
        dns_queries: 40,
    };
    let figures = Figures {
        orgs_informed: None,
        orgs_deployed: 1,
        devices,
        blocked,
    };
    UnitReport {
        schema: 1,
        unit: "Sở Thông tin và Truyền thông tỉnh Thừa Thiên Huế".into(),
        generated: GENERATED,
        period: Period {
            since: Some(SINCE),
            until: GENERATED,
        },
        orgs_informed: None,
        orgs_deployed: 1,
        assessment: assess::draft(&figures, lang),
        assessment_drafted: true,
        proposals: "Đề nghị bổ sung nguồn dữ liệu tên miền độc hại.\n- Tập huấn cho cán bộ | quản trị mạng."
            .into(),
        devices,
        blocked,
        indicators: Indicators {
            ip_prefixes: 15_230,
            domains: 3_208,
        },
        feeds: vec![
            FeedRow {
                name: "ministry-c2".into(),
                entries: 15_230,
                last_success: Some(1_795_845_600),
            },
            FeedRow {
                name: "local<b>|domains\t".into(),
                entries: 3_208,
                last_success: None,
            },
        ],
        hosts: vec![hostile, wide, nameless, plain],
    }
}

/// A merge of three units, one without kernel counters, and two missing.
pub fn merged() -> MergedReport {
    let a = unit(Lang::Vi);
    let mut b = a.figures();
    b.orgs_informed = Some(12);
    b.orgs_deployed = 3;
    b.blocked.connections = None;
    b.devices = Devices {
        detected: 2,
        by_ip: 2,
        ..Devices::default()
    };
    let c = Figures {
        orgs_deployed: 1,
        ..Figures::default()
    };
    let line = |unit: &str, file: &str, since, figures, signed| UnitLine {
        unit: unit.into(),
        file: file.into(),
        period: Period {
            since,
            until: GENERATED,
        },
        figures,
        signed,
    };
    MergedReport {
        schema: 1,
        generated: GENERATED + 86_400,
        units: vec![
            line(&a.unit, "hue.json", Some(SINCE), a.figures(), true),
            line(
                "Công an tỉnh | =HYPERLINK(\"x\")",
                "ca.json",
                Some(1_792_022_400),
                b,
                false,
            ),
            line("Trường Đại học 电脑 🦠", "dh.json", None, c, true),
        ],
        totals: Figures {
            orgs_informed: Some(12),
            orgs_deployed: 5,
            devices: Devices {
                detected: 6,
                by_ip: 3,
                by_dns: 1,
                by_both: 2,
                handled: 1,
                reinfected: 1,
                notified: 2,
            },
            blocked: Blocked {
                connections: None,
                dns_queries: 40,
            },
        },
        missing: vec!["Bệnh viện Đa khoa tỉnh".into(), "<b>Phòng\nKỹ thuật</b>".into()],
    }
}
