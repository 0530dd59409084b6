//! The notice page as HTML, from plain data ([`View`]).
//!
//! Every value on the page came from the network at some point (a DHCP
//! hostname is whatever the device calls itself, a blocked site is a
//! `Host` header, the return address is a URL the user's browser asked
//! for), so each one goes through [`escape`]; the page has no script, no
//! external asset and one inline stylesheet allowed by its hash in the
//! Content-Security-Policy ([`csp`]), so even a value that slipped
//! through could not run or load anything.

use super::lang::{text, Lang};
use crate::clock::utc_iso8601;
use std::fmt::Write;

const STYLE: &str = "\
body{font-family:system-ui,-apple-system,\"Segoe UI\",Roboto,\"Noto Sans\",sans-serif;margin:0;background:#f4f4f4;color:#1a1a1a;line-height:1.5}
main{max-width:42em;margin:0 auto;background:#fff;padding:1.2em 1.4em 2em;border-top:.5em solid #c0392b}
h1{font-size:1.35em;color:#a93226;margin:.3em 0 .6em}
h2{font-size:1.05em;margin:1.3em 0 .3em}
.device{background:#fdf2f0;border:1px solid #e6b0aa;padding:.6em .8em;border-radius:.3em}
.mono{font-family:ui-monospace,Menlo,Consolas,monospace;overflow-wrap:anywhere}
ul.names{margin:.3em 0;padding-left:1.4em}
ol li{margin:.3em 0}
a{color:#1f5fa8;overflow-wrap:anywhere}
form{margin:1.6em 0 .6em}
button{font-size:1.1em;padding:.6em 1.6em;background:#1e8449;color:#fff;border:0;border-radius:.3em;cursor:pointer}
.note{font-size:.9em;color:#444}
.ok{background:#eafaf1;border:1px solid #a9dfbf;padding:.6em .8em;border-radius:.3em}
footer{font-size:.85em;color:#555;margin-top:2em;border-top:1px solid #ddd;padding-top:.6em}
";

/// The Content-Security-Policy of every page: nothing may load or run;
/// the one stylesheet is allowed by its SHA-256; the form posts only
/// back here.
pub fn csp() -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, STYLE.as_bytes());
    format!(
        "default-src 'none'; style-src 'sha256-{}'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        crate::base64::encode(digest.as_ref())
    )
}

/// What the page shows about the device that asked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostView {
    /// Hostname from DHCP, when known.
    pub hostname: Option<String>,
    /// MAC, when known (`aa:bb:…`).
    pub mac: Option<String>,
    /// The address it asked from.
    pub addr: String,
    /// Blocked attempts counted.
    pub hits: u64,
    /// First and last blocked attempt, unix seconds.
    pub first_seen: u64,
    /// Last blocked attempt.
    pub last_seen: u64,
    /// The listed names and addresses it tried most (a few).
    pub names: Vec<String>,
    /// The notice is due now (not yet confirmed, or back after the snooze).
    pub due: bool,
    /// When the user last confirmed it.
    pub notified_at: Option<u64>,
}

/// The unit's settings shown on the page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contact {
    /// The removal tool's address.
    pub tool_url: String,
    /// IT contact: name, phone, email (each may be empty).
    pub name: String,
    /// Phone.
    pub phone: String,
    /// Email.
    pub email: String,
    /// Hours the notice pauses after a confirmation.
    pub snooze_hours: u64,
}

/// One page to render.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct View {
    /// The language.
    pub lang: Lang,
    /// The asking device, when the host table knows it as infected.
    pub host: Option<HostView>,
    /// The blocked site the sinkhole sent the user here from.
    pub blocked_site: Option<String>,
    /// The confirmation form's token (for `host`).
    pub token: Option<String>,
    /// The address the browser was on its way to (only `http://` URLs).
    pub from: Option<String>,
    /// The user has just confirmed.
    pub confirmed: bool,
}

/// `s` for HTML text and attribute values: markup characters escaped,
/// and the invisible characters that could reorder or hide text (bidi
/// overrides, zero-width and other format characters, controls) replaced.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() || is_format(c) => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Unicode format characters (category Cf) that matter on a page:
/// bidi controls, zero-width characters, the BOM, soft hyphen.
fn is_format(c: char) -> bool {
    matches!(c, '\u{AD}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

/// `unix` as the page's readers write dates: `30/11/2026 04:10 UTC` in
/// Vietnamese, `2026-11-30 04:10 UTC` in English.
pub fn date(lang: Lang, unix: u64) -> String {
    let iso = utc_iso8601(unix);
    let (y, m, d, hm) = (&iso[0..4], &iso[5..7], &iso[8..10], &iso[11..16]);
    match lang {
        Lang::Vi => format!("{d}/{m}/{y} {hm} UTC"),
        Lang::En => format!("{y}-{m}-{d} {hm} UTC"),
    }
}

/// Percent-encodes `s` for a query value.
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// The page.
pub fn render(v: &View, contact: &Contact) -> String {
    let t = text(v.lang);
    let mut body = String::new();
    let b = &mut body;
    match &v.host {
        Some(h) => {
            let _ = writeln!(b, "<h1>{}</h1>", t.title);
            let _ = writeln!(b, "<p>{}</p>", t.lead);
            if let Some(site) = &v.blocked_site {
                let _ = writeln!(b, "<p>{}</p>", t.blocked.replace("{site}", &mono(site)));
            }
            device(b, t.device, t.unnamed, h);
            let _ = writeln!(
                b,
                "<p>{}</p>",
                t.detected
                    .replace("{since}", &date(v.lang, h.first_seen))
                    .replace("{last}", &date(v.lang, h.last_seen))
                    .replace("{hits}", &format!("<strong>{}</strong>", h.hits))
            );
            if !h.names.is_empty() {
                let _ = writeln!(b, "<h2>{}</h2>\n<ul class=\"names\">", t.names);
                for n in &h.names {
                    let _ = writeln!(b, "<li>{}</li>", mono(n));
                }
                b.push_str("</ul>\n");
            }
            let _ = writeln!(b, "<h2>{}</h2>\n<p>{}</p>", t.risk_title, t.risk);
            todo(b, v.lang, contact);
            confirmation(b, v, h, contact);
        }
        None => match &v.blocked_site {
            Some(site) => {
                let _ = writeln!(b, "<h1>{}</h1>", t.site_blocked);
                let _ = writeln!(b, "<p>{}</p>", t.blocked.replace("{site}", &mono(site)));
                let _ = writeln!(b, "<h2>{}</h2>\n<p>{}</p>", t.risk_title, t.risk);
                todo(b, v.lang, contact);
            }
            None => {
                let _ = writeln!(b, "<h1>{}</h1>", t.no_notice);
            }
        },
    }
    let other = v.lang.other();
    let mut switch = format!("/?lang={}", other.code());
    if let Some(site) = &v.blocked_site {
        let _ = write!(switch, "&site={}", url_encode(site));
    }
    if let Some(from) = &v.from {
        let _ = write!(switch, "&from={}", url_encode(from));
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"{code}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n<title>{title}</title>\n<style>{STYLE}</style>\n</head>\n\
         <body>\n<main>\n{body}<footer><p><a href=\"{switch}\" hreflang=\"{other_code}\">{other_name}</a></p>\
         <p>{footer}</p></footer>\n</main>\n</body>\n</html>\n",
        code = v.lang.code(),
        title = if v.host.is_some() { t.title } else { t.site_blocked },
        switch = escape(&switch),
        other_code = other.code(),
        other_name = t.other_lang,
        footer = t.footer,
    )
}

fn mono(s: &str) -> String {
    format!("<span class=\"mono\">{}</span>", escape(s))
}

fn device(b: &mut String, label: &str, unnamed: &str, h: &HostView) {
    let name = h.hostname.as_deref().map_or_else(|| unnamed.to_string(), escape);
    let mut ids = vec![escape(&h.addr)];
    if let Some(m) = &h.mac {
        ids.insert(0, escape(m));
    }
    let _ = writeln!(
        b,
        "<p class=\"device\">{label}: <strong id=\"hostname\">{name}</strong> \
         <span class=\"mono\" id=\"ids\">({})</span></p>",
        ids.join(", ")
    );
}

fn todo(b: &mut String, lang: Lang, c: &Contact) {
    let t = text(lang);
    let _ = writeln!(b, "<h2>{}</h2>\n<ol>", t.todo_title);
    let url = &c.tool_url;
    // Only a web address becomes a link; anything else is shown as text.
    let tool = if url.starts_with("https://") || url.starts_with("http://") {
        format!(
            "<a id=\"tool\" href=\"{0}\" rel=\"noreferrer\">{0}</a>",
            escape(url)
        )
    } else {
        mono(url)
    };
    let _ = writeln!(b, "<li>{} {tool}</li>", t.todo_tool);
    let _ = writeln!(b, "<li>{}</li>", t.todo_remove);
    let _ = writeln!(b, "<li>{}</li>", t.todo_passwords);
    let _ = writeln!(b, "<li>{}</li>\n</ol>", t.todo_contact);
    let lines: Vec<String> = [&c.name, &c.phone, &c.email]
        .iter()
        .filter(|s| !s.is_empty())
        .map(|s| escape(s))
        .collect();
    if !lines.is_empty() {
        let _ = writeln!(
            b,
            "<h2>{}</h2>\n<p id=\"contact\">{}</p>",
            t.contact_title,
            lines.join("<br>")
        );
    }
}

fn confirmation(b: &mut String, v: &View, h: &HostView, c: &Contact) {
    let t = text(v.lang);
    let cont = |b: &mut String| {
        if let Some(from) = &v.from {
            let _ = writeln!(
                b,
                "<p>{} <a id=\"continue\" href=\"{1}\">{1}</a></p>",
                t.continue_to,
                escape(from)
            );
        }
    };
    if v.confirmed {
        let _ = writeln!(b, "<p class=\"ok\" id=\"thanks\">{}</p>", t.thanks);
        cont(b);
        return;
    }
    if !h.due {
        if let Some(at) = h.notified_at {
            let _ = writeln!(
                b,
                "<p class=\"ok\">{}</p>",
                t.confirmed_at.replace("{time}", &date(v.lang, at))
            );
        }
        cont(b);
        return;
    }
    let Some(token) = &v.token else { return };
    let mut hidden = format!(
        "<input type=\"hidden\" name=\"token\" value=\"{}\">\
         <input type=\"hidden\" name=\"lang\" value=\"{}\">",
        escape(token),
        v.lang.code()
    );
    if let Some(from) = &v.from {
        let _ = write!(
            hidden,
            "<input type=\"hidden\" name=\"from\" value=\"{}\">",
            escape(from)
        );
    }
    let _ = writeln!(
        b,
        "<form method=\"post\" action=\"/confirm\">{hidden}<button id=\"confirm\" type=\"submit\">{}</button></form>",
        t.confirm
    );
    let _ = writeln!(
        b,
        "<p class=\"note\">{}</p>",
        t.confirm_note.replace("{hours}", &c.snooze_hours.to_string())
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn infected() -> View {
        View {
            lang: Lang::Vi,
            host: Some(HostView {
                hostname: Some("<script>alert(1)</script>\u{202E}gpj.exe".into()),
                mac: Some("02:00:00:00:00:01".into()),
                addr: "192.168.1.20".into(),
                hits: 42,
                first_seen: 1_764_460_800,
                last_seen: 1_764_464_400,
                names: vec!["evil.example".into(), "203.0.113.7".into()],
                due: true,
                notified_at: None,
            }),
            blocked_site: None,
            token: Some("t0k\"en".into()),
            from: Some("http://x.example/?a=\"><b>".into()),
            confirmed: false,
        }
    }

    fn contact() -> Contact {
        Contact {
            tool_url: "https://khonggianmang.vn/".into(),
            name: "Phòng CNTT".into(),
            phone: "024 0000 0000".into(),
            email: "it@example.vn".into(),
            snooze_hours: 24,
        }
    }

    #[test]
    fn every_untrusted_value_is_escaped() {
        let html = render(&infected(), &contact());
        assert!(!html.contains("<script>"), "{html}");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;\u{FFFD}gpj.exe"),
            "{html}"
        );
        assert!(!html.contains('\u{202E}'));
        assert!(html.contains("value=\"t0k&quot;en\""));
        assert!(!html.contains("\"><b>"), "{html}");
        assert!(html.contains("http://x.example/?a=&quot;&gt;&lt;b&gt;"));
    }

    #[test]
    fn the_notice_names_the_device_the_count_the_tool_and_the_contact() {
        let html = render(&infected(), &contact());
        for want in [
            "<html lang=\"vi\">",
            "02:00:00:00:00:01, 192.168.1.20",
            "<strong>42</strong>",
            "30/11/2025 00:00 UTC",
            "evil.example",
            "href=\"https://khonggianmang.vn/\"",
            "024 0000 0000",
            "it@example.vn",
            "Tôi đã hiểu",
            "action=\"/confirm\"",
            "tạm dừng 24 giờ",
            "href=\"/?lang=en&amp;from=http%3A%2F%2Fx.example",
        ] {
            assert!(html.contains(want), "missing {want:?} in\n{html}");
        }
        let en = render(
            &View {
                lang: Lang::En,
                ..infected()
            },
            &contact(),
        );
        assert!(
            en.contains("I understand") && en.contains("2025-11-30 00:00 UTC"),
            "{en}"
        );
    }

    #[test]
    fn a_tool_address_that_is_not_a_web_address_is_not_a_link() {
        let c = Contact {
            tool_url: "javascript:alert(1)".into(),
            ..contact()
        };
        let html = render(&infected(), &c);
        assert!(!html.contains("href=\"javascript"), "{html}");
    }

    #[test]
    fn after_the_confirmation_no_form_and_the_way_back() {
        let v = View {
            confirmed: true,
            from: Some("http://x.example/".into()),
            ..infected()
        };
        let html = render(&v, &contact());
        assert!(!html.contains("<form"));
        assert!(
            html.contains("id=\"thanks\"") && html.contains("id=\"continue\" href=\"http://x.example/\"")
        );
        let mut quiet = infected();
        let h = quiet.host.as_mut().unwrap();
        h.due = false;
        h.notified_at = Some(1_764_460_800);
        let html = render(&quiet, &contact());
        assert!(
            !html.contains("<form") && html.contains("30/11/2025 00:00"),
            "{html}"
        );
    }

    #[test]
    fn a_clean_device_gets_no_notice_and_a_blocked_site_is_named() {
        let html = render(&View::default(), &contact());
        assert!(html.contains("Không có cảnh báo") && !html.contains("<form"));
        let v = View {
            blocked_site: Some("evil.example".into()),
            ..View::default()
        };
        let html = render(&v, &contact());
        assert!(
            html.contains("evil.example") && html.contains("khonggianmang"),
            "{html}"
        );
    }

    #[test]
    fn the_policy_allows_exactly_the_inline_style() {
        let p = csp();
        assert!(p.starts_with("default-src 'none'; style-src 'sha256-"));
        let digest = ring::digest::digest(&ring::digest::SHA256, STYLE.as_bytes());
        assert!(p.contains(&crate::base64::encode(digest.as_ref())));
        assert!(!p.contains("unsafe"));
    }
}
