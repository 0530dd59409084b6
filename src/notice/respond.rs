//! What the notice server answers to one request, decided from plain data:
//! the request, who asked (the peer address the kernel gave), where it
//! arrived (the router address and port), and the host table behind a
//! [`Board`]. No I/O here, so every answer is unit-tested.
//!
//! - A request for any other site (it reached us through the redirect:
//!   the host is due the notice, or it asked for a blocked name resolved
//!   to the sinkhole address) gets `302` to the page on the router's own
//!   address. That is also what makes Android, Apple, Windows and Firefox
//!   open their "sign in to network" window: their connectivity probes
//!   (`connectivitycheck.gstatic.com/generate_204`,
//!   `captive.apple.com/hotspot-detect.html`,
//!   `www.msftconnecttest.com/connecttest.txt`,
//!   `detectportal.firefox.com/success.txt`) are plain HTTP and get the
//!   redirect instead of their expected answer.
//! - `GET /` on the router shows the page for the device that asks.
//! - `POST /confirm` with the device's token records "I understand".

use super::lang::Lang;
use super::page::{self, Contact, HostView, View};
use super::request::{field, path, query, Method, Request};
use super::token::Tokens;
use std::net::{IpAddr, SocketAddr};

/// Longest return address kept (`from`), and longest site name shown.
const MAX_FROM: usize = 512;
const MAX_SITE: usize = 253;

/// The host table as the page sees it.
pub trait Board: Send + Sync {
    /// The infected (not acknowledged) host that uses `addr`, as its key
    /// (what its token is made from) and what the page shows.
    fn host(&self, addr: IpAddr, now: u64) -> Option<(String, HostView)>;
    /// The user of host `key` read the notice at `now`; false when the
    /// host is gone.
    fn confirm(&self, key: &str, now: u64) -> bool;
    /// Whether `name` is blocked by the sinkhole (so the page may name it).
    fn is_blocked(&self, name: &str) -> bool;
}

/// The page's fixed settings for one daemon run.
pub struct Site {
    /// The unit's contact and tool link.
    pub contact: Contact,
    /// The Content-Security-Policy header value.
    pub csp: String,
    /// Token secret; `None` (no CSPRNG) means no confirmation form.
    pub tokens: Option<Tokens>,
}

/// One response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Reason phrase.
    pub reason: &'static str,
    /// `Location`, for redirects.
    pub location: Option<String>,
    /// HTML body (not sent for `HEAD`).
    pub body: String,
    /// Send the head only.
    pub head_only: bool,
}

impl Response {
    fn html(status: u16, reason: &'static str, body: String) -> Response {
        Response {
            status,
            reason,
            location: None,
            body,
            head_only: false,
        }
    }

    /// A short plain page for errors (400, 403, 404, 405, 413).
    pub fn error(status: u16, reason: &'static str) -> Response {
        Response::html(
            status,
            reason,
            format!("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{status}</title></head><body><p>{status} {reason}</p></body></html>\n"),
        )
    }

    /// The bytes on the wire.
    pub fn to_bytes(&self, csp: &str) -> Vec<u8> {
        let mut head = format!(
            "HTTP/1.1 {} {}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
             Content-Security-Policy: {csp}\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n\
             X-Frame-Options: DENY\r\nReferrer-Policy: no-referrer\r\nConnection: close\r\n",
            self.status,
            self.reason,
            self.body.len()
        );
        if let Some(l) = &self.location {
            head.push_str("Location: ");
            head.push_str(l);
            head.push_str("\r\n");
        }
        head.push_str("\r\n");
        let mut out = head.into_bytes();
        if !self.head_only {
            out.extend_from_slice(self.body.as_bytes());
        }
        out
    }
}

/// The answer to `req` from `client`, which arrived at `local`.
pub fn respond(
    req: &Request,
    client: IpAddr,
    local: SocketAddr,
    board: &dyn Board,
    site: &Site,
    now: u64,
) -> Response {
    let client = client.to_canonical();
    let here = authority(local);
    let for_us = req.host.is_some_and(|h| h.eq_ignore_ascii_case(&here));
    let mut r = if !for_us {
        redirect(req, &here, board)
    } else {
        match (req.method, path(req.target)) {
            (Method::Get | Method::Head, "/") => page(req, client, board, site, now),
            (Method::Post, "/confirm") => confirm(req, client, board, site, now),
            (Method::Get | Method::Head, _) => Response::error(404, "Not Found"),
            _ => Response::error(405, "Method Not Allowed"),
        }
    };
    r.head_only = req.method == Method::Head;
    r
}

/// `192.0.2.1:8800` or `[2001:db8::1]:8800`: the page's own address.
pub fn authority(local: SocketAddr) -> String {
    match local.ip().to_canonical() {
        IpAddr::V4(a) => format!("{a}:{}", local.port()),
        IpAddr::V6(a) => format!("[{a}]:{}", local.port()),
    }
}

fn redirect(req: &Request, here: &str, board: &dyn Board) -> Response {
    let host = req.host.map(strip_port).unwrap_or("");
    let mut location = format!("http://{here}/");
    if !host.is_empty() && host.len() <= MAX_SITE && board.is_blocked(host) {
        location.push_str("?site=");
        location.push_str(&page::url_encode(host));
    } else if !host.is_empty() && req.method != Method::Post {
        let from = format!("http://{}{}", req.host.unwrap_or(""), req.target);
        if from.len() <= MAX_FROM {
            location.push_str("?from=");
            location.push_str(&page::url_encode(&from));
        }
    }
    let body = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>302</title></head><body><p><a href=\"{0}\">{0}</a></p></body></html>\n",
        page::escape(&location)
    );
    Response {
        status: 302,
        reason: "Found",
        location: Some(location),
        body,
        head_only: false,
    }
}

/// `name` of `name:port` or `[v6]:port`.
fn strip_port(h: &str) -> &str {
    if let Some(rest) = h.strip_prefix('[') {
        return rest.split_once(']').map_or(rest, |(a, _)| a);
    }
    h.rsplit_once(':').map_or(h, |(n, p)| {
        if p.bytes().all(|b| b.is_ascii_digit()) {
            n
        } else {
            h
        }
    })
}

fn page(req: &Request, client: IpAddr, board: &dyn Board, site: &Site, now: u64) -> Response {
    let q = query(req.target);
    let lang = Lang::choose(field(q, "lang", 8).as_deref(), req.accept_language);
    let view = view(
        lang,
        q,
        client,
        board,
        site,
        now,
        field(q, "done", 4).is_some_and(|d| d == "1"),
    );
    Response::html(200, "OK", page::render(&view, &site.contact))
}

fn view(
    lang: Lang,
    q: &str,
    client: IpAddr,
    board: &dyn Board,
    site: &Site,
    now: u64,
    confirmed: bool,
) -> View {
    let host = board.host(client, now);
    let token = match (&host, &site.tokens) {
        (Some((key, h)), Some(t)) if h.due => Some(t.token(key)),
        _ => None,
    };
    View {
        lang,
        token,
        blocked_site: field(q, "site", MAX_SITE).filter(|s| board.is_blocked(s)),
        from: field(q, "from", MAX_FROM).filter(|f| f.starts_with("http://")),
        confirmed: confirmed && host.as_ref().is_some_and(|(_, h)| !h.due),
        host: host.map(|(_, h)| h),
    }
}

fn confirm(req: &Request, client: IpAddr, board: &dyn Board, site: &Site, now: u64) -> Response {
    let Ok(form) = std::str::from_utf8(req.body) else {
        return Response::error(400, "Bad Request");
    };
    let (Some((key, _)), Some(tokens), Some(token)) =
        (board.host(client, now), &site.tokens, field(form, "token", 64))
    else {
        return Response::error(403, "Forbidden");
    };
    if !tokens.check(&key, &token) || !board.confirm(&key, now) {
        return Response::error(403, "Forbidden");
    }
    let lang = field(form, "lang", 8)
        .and_then(|l| Lang::from_code(&l))
        .unwrap_or_default();
    let mut location = format!("/?done=1&lang={}", lang.code());
    if let Some(from) = field(form, "from", MAX_FROM).filter(|f| f.starts_with("http://")) {
        location.push_str("&from=");
        location.push_str(&page::url_encode(&from));
    }
    Response {
        status: 303,
        reason: "See Other",
        location: Some(location),
        body: String::new(),
        head_only: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notice::request::parse;
    use std::sync::Mutex;

    /// One infected host at 192.168.1.20; `evil.example` is blocked.
    struct Fake {
        confirmed: Mutex<Vec<(String, u64)>>,
    }

    impl Board for Fake {
        fn host(&self, addr: IpAddr, _now: u64) -> Option<(String, HostView)> {
            (addr == "192.168.1.20".parse::<IpAddr>().unwrap()).then(|| {
                let due = self.confirmed.lock().unwrap().is_empty();
                (
                    "02:00:00:00:00:01".to_string(),
                    HostView {
                        hostname: Some("pc-ketoan".into()),
                        mac: Some("02:00:00:00:00:01".into()),
                        addr: addr.to_string(),
                        hits: 5,
                        due,
                        ..HostView::default()
                    },
                )
            })
        }
        fn confirm(&self, key: &str, now: u64) -> bool {
            self.confirmed.lock().unwrap().push((key.into(), now));
            true
        }
        fn is_blocked(&self, name: &str) -> bool {
            name == "evil.example"
        }
    }

    fn fake() -> Fake {
        Fake {
            confirmed: Mutex::new(Vec::new()),
        }
    }

    fn site() -> Site {
        Site {
            contact: Contact::default(),
            csp: page::csp(),
            tokens: Some(Tokens::from_secret(b"k")),
        }
    }

    const INFECTED: &str = "192.168.1.20";
    const CLEAN: &str = "192.168.1.30";

    fn ask(raw: &str, from: &str, b: &Fake) -> Response {
        let req = parse(raw.as_bytes()).unwrap().unwrap();
        respond(
            &req,
            from.parse().unwrap(),
            "192.168.1.1:8800".parse().unwrap(),
            b,
            &site(),
            1000,
        )
    }

    #[test]
    fn any_other_site_is_sent_to_the_page_with_the_way_back() {
        let b = fake();
        let r = ask(
            "GET /generate_204 HTTP/1.1\r\nHost: connectivitycheck.gstatic.com\r\n\r\n",
            INFECTED,
            &b,
        );
        assert_eq!(r.status, 302);
        assert_eq!(
            r.location.as_deref(),
            Some("http://192.168.1.1:8800/?from=http%3A%2F%2Fconnectivitycheck.gstatic.com%2Fgenerate_204")
        );
        let r = ask("GET / HTTP/1.1\r\nHost: evil.example:80\r\n\r\n", CLEAN, &b);
        assert_eq!(
            r.location.as_deref(),
            Some("http://192.168.1.1:8800/?site=evil.example")
        );
    }

    #[test]
    fn the_page_shows_the_asking_device_only() {
        let b = fake();
        let r = ask("GET / HTTP/1.1\r\nHost: 192.168.1.1:8800\r\n\r\n", INFECTED, &b);
        assert_eq!(r.status, 200);
        assert!(
            r.body.contains("pc-ketoan") && r.body.contains("name=\"token\""),
            "{}",
            r.body
        );
        let r = ask(
            "GET /?lang=en HTTP/1.1\r\nHost: 192.168.1.1:8800\r\n\r\n",
            CLEAN,
            &b,
        );
        assert!(
            !r.body.contains("pc-ketoan") && r.body.contains("no warning"),
            "{}",
            r.body
        );
        let r = ask(
            "GET /?site=other.example HTTP/1.1\r\nHost: 192.168.1.1:8800\r\n\r\n",
            CLEAN,
            &b,
        );
        assert!(!r.body.contains("other.example"), "only blocked names are named");
    }

    #[test]
    fn confirming_needs_the_devices_own_token() {
        let b = fake();
        let token = Tokens::from_secret(b"k").token("02:00:00:00:00:01");
        let post = |body: &str| {
            format!(
                "POST /confirm HTTP/1.1\r\nHost: 192.168.1.1:8800\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
        };
        // Another device with a stolen token, and the device with a wrong one.
        assert_eq!(ask(&post(&format!("token={token}")), CLEAN, &b).status, 403);
        assert_eq!(ask(&post("token=00"), INFECTED, &b).status, 403);
        assert!(b.confirmed.lock().unwrap().is_empty());
        let r = ask(
            &post(&format!("token={token}&lang=en&from=http%3A%2F%2Fx.example%2F")),
            INFECTED,
            &b,
        );
        assert_eq!(r.status, 303);
        assert_eq!(
            r.location.as_deref(),
            Some("/?done=1&lang=en&from=http%3A%2F%2Fx.example%2F")
        );
        assert_eq!(
            *b.confirmed.lock().unwrap(),
            vec![("02:00:00:00:00:01".to_string(), 1000)]
        );
        let r = ask(
            "GET /?done=1&from=http%3A%2F%2Fx.example%2F HTTP/1.1\r\nHost: 192.168.1.1:8800\r\n\r\n",
            INFECTED,
            &b,
        );
        assert!(
            r.body.contains("id=\"thanks\"") && !r.body.contains("<form"),
            "{}",
            r.body
        );
    }

    #[test]
    fn other_paths_and_methods_and_head() {
        let b = fake();
        assert_eq!(
            ask("GET /x HTTP/1.1\r\nHost: 192.168.1.1:8800\r\n\r\n", INFECTED, &b).status,
            404
        );
        assert_eq!(
            ask("POST / HTTP/1.1\r\nHost: 192.168.1.1:8800\r\n\r\n", INFECTED, &b).status,
            405
        );
        let r = ask("HEAD / HTTP/1.1\r\nHost: 192.168.1.1:8800\r\n\r\n", INFECTED, &b);
        let bytes = String::from_utf8(r.to_bytes("default-src 'none'")).unwrap();
        assert!(
            bytes.starts_with("HTTP/1.1 200 OK\r\n") && bytes.ends_with("\r\n\r\n"),
            "{bytes}"
        );
        assert!(bytes.contains("Content-Security-Policy: default-src 'none'\r\n"));
    }

    #[test]
    fn ports_come_off_host_names() {
        assert_eq!(strip_port("evil.example:80"), "evil.example");
        assert_eq!(strip_port("[2001:db8::1]:80"), "2001:db8::1");
        assert_eq!(strip_port("evil.example"), "evil.example");
        assert_eq!(
            authority("[::ffff:192.0.2.1]:8800".parse().unwrap()),
            "192.0.2.1:8800"
        );
    }
}
