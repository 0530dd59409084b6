//! Fuzzes the notice page's request parser and everything an accepted
//! request reaches (the answer, the page, the response head): any bytes
//! a LAN device sends give a request, "read more" or a refusal with its
//! status, never a panic; an answer never carries a header line the
//! server did not write (no CR/LF from the request reaches the head) and
//! never a script element, whatever the query, Host or form holds.
#![no_main]

use iocguard::notice::page::{csp, HostView};
use iocguard::notice::request::parse;
use iocguard::notice::respond::{respond, Board, Site};
use iocguard::notice::{Contact, Tokens};
use libfuzzer_sys::fuzz_target;
use std::net::IpAddr;

struct Fake;

impl Board for Fake {
    fn host(&self, addr: IpAddr, _now: u64) -> Option<(String, HostView)> {
        addr.is_ipv4().then(|| {
            (
                "02:00:00:00:00:01".to_string(),
                HostView {
                    hostname: Some("<script>x</script>".into()),
                    addr: addr.to_string(),
                    hits: 3,
                    names: vec!["evil.example".into()],
                    due: true,
                    ..HostView::default()
                },
            )
        })
    }
    fn confirm(&self, _key: &str, _now: u64) -> bool {
        true
    }
    fn is_blocked(&self, name: &str) -> bool {
        name.ends_with("example")
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(Some(req)) = parse(data) else { return };
    let site = Site {
        contact: Contact {
            tool_url: "https://khonggianmang.vn/".into(),
            ..Contact::default()
        },
        csp: csp(),
        tokens: Some(Tokens::from_secret(b"fuzz")),
    };
    for client in ["192.168.1.20", "2001:db8::20"] {
        for local in ["192.168.1.1:8800", "[2001:db8::1]:8800"] {
            let r = respond(&req, client.parse().unwrap(), local.parse().unwrap(), &Fake, &site, 1_764_460_800);
            let bytes = r.to_bytes(&site.csp);
            let text = String::from_utf8(bytes).expect("responses are UTF-8");
            let (head, body) = text.split_once("\r\n\r\n").expect("a head");
            for line in head.split("\r\n").skip(1) {
                assert!(
                    [
                        "Content-Type: ",
                        "Content-Length: ",
                        "Content-Security-Policy: ",
                        "Cache-Control: ",
                        "X-Content-Type-Options: ",
                        "X-Frame-Options: ",
                        "Referrer-Policy: ",
                        "Connection: ",
                        "Location: "
                    ]
                    .iter()
                    .any(|p| line.starts_with(p)),
                    "a header line the server did not write: {line:?}"
                );
                assert!(!line.contains('\n') && !line.contains('\r'));
            }
            let lower = body.to_ascii_lowercase();
            assert!(!lower.contains("<script"), "{body}");
            assert!(!lower.contains("href=\"javascript"), "{body}");
        }
    }
});
