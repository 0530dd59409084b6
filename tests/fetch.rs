//! `fetch` against real servers on loopback: a scripted HTTP/1.1
//! server in a thread (plain TCP, or TLS with a throwaway CA made at test
//! time), one handler per test, attempts counted server-side. No mocks:
//! the fetcher's real sockets, timeouts, TLS and gzip are exercised.

mod common;

use common::http::{respond, Server};
use common::require::{require, Need};
use iocguard::fetch::{fetch, fetch_signature, FetchError, FetchOptions, Fetched, Validators};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::io::{self, Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

/// A chunked response, in `chunk`-byte chunks.
fn respond_chunked(w: &mut dyn Write, headers: &[(&str, &str)], body: &[u8], chunk: usize) -> io::Result<()> {
    let mut head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n".to_string();
    for (n, v) in headers {
        head += &format!("{n}: {v}\r\n");
    }
    w.write_all(head.as_bytes())?;
    w.write_all(b"\r\n")?;
    for c in body.chunks(chunk) {
        write!(w, "{:x};ext=1\r\n", c.len())?;
        w.write_all(c)?;
        w.write_all(b"\r\n")?;
    }
    w.write_all(b"0\r\nX-Trailer: t\r\n\r\n")
}

fn gzip(data: &[u8]) -> Vec<u8> {
    fn crc32(data: &[u8]) -> u32 {
        let mut c = !0u32;
        for &b in data {
            c ^= b as u32;
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xedb8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
        }
        !c
    }
    let mut v = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
    v.extend(miniz_oxide::deflate::compress_to_vec(data, 6));
    v.extend(crc32(data).to_le_bytes());
    v.extend((data.len() as u32).to_le_bytes());
    v
}

/// Short timeouts and backoff, so failure paths take milliseconds.
fn opts() -> FetchOptions {
    FetchOptions {
        connect_timeout: Duration::from_secs(2),
        read_timeout: Duration::from_secs(2),
        total_timeout: Duration::from_secs(10),
        backoff: Duration::from_millis(10),
        ..FetchOptions::default()
    }
}

fn body(r: Result<Fetched, FetchError>) -> (Vec<u8>, Validators) {
    match r {
        Ok(Fetched::Body { bytes, validators }) => (bytes, validators),
        other => panic!("expected a body, got {other:?}"),
    }
}

const FEED: &[u8] = b"# test feed\n198.51.100.7\n203.0.113.0/24\nc2.evil.example\n";

#[test]
fn ok_with_validators_then_not_modified() {
    let s = Server::start(None, |req, _, w| {
        if req.header("if-none-match") == Some("\"v1\"") {
            return w.write_all(b"HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\n\r\n");
        }
        let h = [
            ("ETag", "\"v1\""),
            ("Last-Modified", "Sat, 28 Nov 2026 10:00:00 GMT"),
        ];
        respond(w, "200 OK", &h, FEED)
    });
    let url = s.url("/feed.txt");
    let (bytes, v) = body(fetch(&url, &opts(), None));
    assert_eq!(bytes, FEED);
    assert_eq!(v.etag.as_deref(), Some("\"v1\""));
    assert_eq!(v.last_modified.as_deref(), Some("Sat, 28 Nov 2026 10:00:00 GMT"));
    let first = s.last();
    assert_eq!(first.path, "/feed.txt");
    assert_eq!(first.header("accept-encoding"), Some("gzip"));
    assert!(first.header("user-agent").unwrap().starts_with("iocguard/"));
    assert_eq!(first.header("if-none-match"), None);

    assert_eq!(fetch(&url, &opts(), Some(&v)).unwrap(), Fetched::NotModified);
    let second = s.last();
    assert_eq!(second.header("if-none-match"), Some("\"v1\""));
    assert_eq!(
        second.header("if-modified-since"),
        Some("Sat, 28 Nov 2026 10:00:00 GMT")
    );
    // A changed ETag: the server sends the body again.
    let stale = Validators {
        etag: Some("\"v0\"".into()),
        last_modified: None,
    };
    assert_eq!(body(fetch(&url, &opts(), Some(&stale))).0, FEED);
    assert_eq!(s.hits(), 3);
}

#[test]
fn client_errors_are_not_retried() {
    let s = Server::start(None, |_, _, w| respond(w, "404 Not Found", &[], b"<h1>nope</h1>"));
    let url = s.url("/missing.txt");
    let e = fetch(&url, &opts(), None).unwrap_err();
    assert_eq!(e.to_string(), format!("{url}: HTTP 404 Not Found"));
    assert_eq!(s.hits(), 1);
}

#[test]
fn server_errors_are_retried_with_backoff() {
    let s = Server::start(None, |_, _, w| {
        respond(w, "500 Internal Server Error", &[], b"oops")
    });
    let url = s.url("/feed.txt");
    let t = Instant::now();
    let e = fetch(&url, &opts(), None).unwrap_err();
    assert_eq!(e.to_string(), format!("{url}: HTTP 500 Internal Server Error"));
    assert_eq!(s.hits(), 4, "1 attempt + 3 retries");
    assert!(t.elapsed() >= Duration::from_millis(70), "backoff 10+20+40 ms");

    // Transient failures then success.
    let s = Server::start(None, |_, n, w| {
        if n < 3 {
            respond(w, "503 Service Unavailable", &[], b"")
        } else {
            respond(w, "200 OK", &[], FEED)
        }
    });
    assert_eq!(body(fetch(&s.url("/f"), &opts(), None)).0, FEED);
    assert_eq!(s.hits(), 3);
}

#[test]
fn stalled_server_times_out() {
    let s = Server::start(None, |_, _, _| {
        thread::sleep(Duration::from_secs(3));
        Ok(())
    });
    let o = FetchOptions {
        read_timeout: Duration::from_millis(300),
        retries: 0,
        ..opts()
    };
    let url = s.url("/feed.txt");
    let t = Instant::now();
    let e = fetch(&url, &o, None).unwrap_err();
    // Generous bound for a loaded CI machine; the server holds on for 3 s.
    assert!(t.elapsed() < Duration::from_millis(2500), "{:?}", t.elapsed());
    assert_eq!(e.to_string(), format!("{url}: timed out after 0.3 s"));
    assert!(e.is_transient());
}

#[test]
fn slow_drip_hits_the_whole_transfer_deadline() {
    let s = Server::start(None, |_, _, w| {
        w.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")?;
        for _ in 0..100 {
            w.write_all(b"x")?;
            w.flush()?;
            thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    });
    let o = FetchOptions {
        read_timeout: Duration::from_secs(1),
        total_timeout: Duration::from_millis(400),
        retries: 0,
        ..opts()
    };
    let t = Instant::now();
    let e = fetch(&s.url("/drip"), &o, None).unwrap_err();
    // The drip goes on for 5 s; per-read timeouts alone would never fire.
    assert!(t.elapsed() < Duration::from_millis(2500), "{:?}", t.elapsed());
    assert!(e.to_string().ends_with("timed out after 0.4 s"), "{e}");
}

#[test]
fn body_over_the_cap_is_refused() {
    let o = FetchOptions {
        max_bytes: 1000,
        retries: 0,
        ..opts()
    };
    // Content-Length over the cap: refused from the head alone, without
    // waiting for a body that never comes.
    let s = Server::start(None, |_, _, w| {
        w.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1001\r\n\r\n")?;
        w.flush()?;
        thread::sleep(Duration::from_secs(3));
        Ok(())
    });
    let url = s.url("/big");
    let t = Instant::now();
    let e = fetch(&url, &o, None).unwrap_err();
    assert!(t.elapsed() < Duration::from_millis(2500), "{:?}", t.elapsed());
    assert_eq!(e.to_string(), format!("{url}: body exceeds the 1000-byte limit"));
    assert!(!e.is_transient());

    // Chunked, no length: stops at the cap.
    let s = Server::start(None, |_, _, w| respond_chunked(w, &[], &[b'a'; 5000], 100));
    let e = fetch(&s.url("/big"), &o, None).unwrap_err();
    assert!(matches!(e, FetchError::TooLarge { limit: 1000, .. }), "{e}");
    // Delimited by close: stops at the cap.
    let s = Server::start(None, |_, _, w| {
        w.write_all(b"HTTP/1.1 200 OK\r\n\r\n")?;
        w.write_all(&[b'a'; 5000])
    });
    let e = fetch(&s.url("/big"), &o, None).unwrap_err();
    assert!(matches!(e, FetchError::TooLarge { limit: 1000, .. }), "{e}");
    // Exactly at the cap is fine, in all three framings.
    let s = Server::start(None, |req, _, w| match req.path.as_str() {
        "/len" => respond(w, "200 OK", &[], &[b'a'; 1000]),
        "/chunked" => respond_chunked(w, &[], &[b'a'; 1000], 64),
        _ => {
            w.write_all(b"HTTP/1.1 200 OK\r\n\r\n")?;
            w.write_all(&[b'a'; 1000])
        }
    });
    for p in ["/len", "/chunked", "/close"] {
        assert_eq!(body(fetch(&s.url(p), &o, None)).0.len(), 1000, "{p}");
    }
}

#[test]
fn truncated_bodies_are_errors() {
    let s = Server::start(None, |req, _, w| {
        if req.path == "/chunked" {
            w.write_all(
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123456789abcdef\r\n10\r\n01234",
            )
        } else {
            w.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n")?;
            w.write_all(&[b'x'; 1200])
        }
    });
    let o = FetchOptions { retries: 1, ..opts() };
    let url = s.url("/feed.txt");
    let e = fetch(&url, &o, None).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("{url}: connection closed after 1200 of 5000 bytes")
    );
    assert_eq!(s.hits(), 2, "truncation is transient: retried once");
    let url = s.url("/chunked");
    let e = fetch(&url, &o, None).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("{url}: connection closed after 21 bytes, before the end of the body")
    );
}

#[test]
fn gzip_bodies_are_inflated_and_bombs_refused() {
    let big_feed = FEED.repeat(2000);
    let packed = gzip(&big_feed);
    let bomb = gzip(&vec![0u8; 8 << 20]);
    let s = Server::start(None, move |req, _, w| {
        let ce = [("Content-Encoding", "gzip")];
        match req.path.as_str() {
            "/feed.txt" => respond(w, "200 OK", &ce, &packed),
            "/chunked" => respond_chunked(w, &ce, &packed, 777),
            "/bomb" => respond(w, "200 OK", &ce, &bomb),
            "/corrupt" => respond(w, "200 OK", &ce, &packed[..packed.len() - 3]),
            _ => respond(w, "200 OK", &[("Content-Encoding", "br")], b"xx"),
        }
    });
    let o = FetchOptions {
        max_bytes: 1 << 20,
        retries: 0,
        ..opts()
    };
    assert_eq!(body(fetch(&s.url("/feed.txt"), &o, None)).0, big_feed);
    assert_eq!(body(fetch(&s.url("/chunked"), &o, None)).0, big_feed);
    let url = s.url("/bomb");
    let e = fetch(&url, &o, None).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("{url}: gzip body inflates beyond the 1048576-byte limit")
    );
    let e = fetch(&s.url("/corrupt"), &o, None).unwrap_err();
    assert!(e.to_string().contains("gzip body is corrupt: truncated"), "{e}");
    let e = fetch(&s.url("/br"), &o, None).unwrap_err();
    assert!(
        e.to_string().contains("unsupported Content-Encoding \"br\""),
        "{e}"
    );
}

#[test]
fn html_error_page_with_200_comes_through() {
    // Content checks are the parser's job; the fetcher passes the bytes on.
    let page = b"<!DOCTYPE html><html><body>Login required</body></html>\n";
    let s = Server::start(None, move |_, _, w| {
        respond(w, "200 OK", &[("Content-Type", "text/html")], page)
    });
    assert_eq!(body(fetch(&s.url("/feed.txt"), &opts(), None)).0, page);
}

#[test]
fn redirects_are_followed_within_limits() {
    let s = Server::start(None, |req, _, w| match req.path.as_str() {
        "/old" => respond(w, "301 Moved Permanently", &[("Location", "/new/feed.txt")], b""),
        "/new/feed.txt" => respond(w, "200 OK", &[], FEED),
        "/evil" => respond(w, "302 Found", &[("Location", "/x\x1b[2J")], b""),
        "/file" => respond(w, "302 Found", &[("Location", "file:///etc/shadow")], b""),
        _ => respond(w, "302 Found", &[("Location", "loop")], b""),
    });
    assert_eq!(body(fetch(&s.url("/old"), &opts(), None)).0, FEED);
    let url = s.url("/loop");
    let e = fetch(&url, &opts(), None).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("{url}: bad redirect: more than 5 redirects")
    );
}

#[test]
fn signature_is_fetched_with_a_small_cap() {
    let s = Server::start(None, |req, _, w| match req.path.as_str() {
        "/feed.txt.minisig" => respond(w, "200 OK", &[], b"untrusted comment: x\nRWQ...\n"),
        _ => respond(w, "200 OK", &[], &[b'a'; 5000]),
    });
    assert_eq!(
        fetch_signature(&s.url("/feed.txt"), &opts()).unwrap(),
        b"untrusted comment: x\nRWQ...\n"
    );
    let e = fetch_signature(&s.url("/big.txt"), &opts()).unwrap_err();
    assert!(
        e.to_string()
            .ends_with("/big.txt.minisig: body exceeds the 4096-byte limit"),
        "{e}"
    );
    assert!(s
        .requests
        .lock()
        .unwrap()
        .iter()
        .all(|r| r.header("if-none-match").is_none()));
}

#[test]
fn hostile_heads_are_bounded() {
    let s = Server::start(None, |req, _, w| match req.path.as_str() {
        "/huge-head" => {
            w.write_all(b"HTTP/1.1 200 OK\r\n")?;
            for i in 0..2000 {
                write!(w, "X-Filler-{i}: {}\r\n", "y".repeat(60))?;
            }
            w.write_all(b"\r\n")
        }
        "/long-line" => {
            w.write_all(b"HTTP/1.1 200 OK\r\nX-Long: ")?;
            w.write_all(&[b'z'; 100_000])
        }
        "/ssh" => w.write_all(b"SSH-2.0-OpenSSH_9.2\r\n\r\n"),
        _ => Ok(()),
    });
    let o = FetchOptions { retries: 0, ..opts() };
    for p in ["/huge-head", "/long-line"] {
        let e = fetch(&s.url(p), &o, None).unwrap_err();
        assert!(
            e.to_string()
                .contains("malformed HTTP response: headers larger than"),
            "{e}"
        );
    }
    let e = fetch(&s.url("/ssh"), &o, None).unwrap_err();
    assert!(e.to_string().contains("not an HTTP/1.x status line"), "{e}");
    let e = fetch(&s.url("/empty"), &o, None).unwrap_err();
    assert!(
        e.to_string()
            .ends_with("connection failed: the server closed the connection without a response"),
        "{e}"
    );
}

#[test]
fn connection_refused_is_a_clear_transient_error() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/feed.txt");
    let e = fetch(&url, &opts(), None).unwrap_err();
    assert!(
        e.to_string()
            .starts_with(&format!("{url}: cannot connect to 127.0.0.1:{port}: ")),
        "{e}"
    );
    assert!(e.is_transient());
}

// ---- HTTPS ----------------------------------------------------------------

struct Pki {
    dir: PathBuf,
    /// PEM of the CA that signed the server certificates.
    ca: PathBuf,
    /// PEM of an unrelated CA.
    other_ca: PathBuf,
    /// Certificate for 127.0.0.1 and localhost.
    good: Arc<rustls::ServerConfig>,
    /// Certificate for another name only.
    wrong_name: Arc<rustls::ServerConfig>,
}

fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
        let dir = std::env::temp_dir().join(format!("iocguard-fetch-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let make_ca = |name: &str| {
            let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
            p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            p.distinguished_name.push(DnType::CommonName, name);
            let key = KeyPair::generate().unwrap();
            let cert = p.self_signed(&key).unwrap();
            (cert, Issuer::new(p, key))
        };
        let (ca_cert, issuer) = make_ca("iocguard test CA");
        let (other_cert, _) = make_ca("some other CA");
        let ca = dir.join("ca.pem");
        let other_ca = dir.join("other-ca.pem");
        std::fs::write(&ca, ca_cert.pem()).unwrap();
        std::fs::write(&other_ca, other_cert.pem()).unwrap();
        let server = |names: Vec<String>| {
            let key = KeyPair::generate().unwrap();
            let cert = CertificateParams::new(names)
                .unwrap()
                .signed_by(&key, &issuer)
                .unwrap();
            let chain: Vec<CertificateDer<'static>> = vec![cert.der().clone()];
            let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
            let cfg = rustls::ServerConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .unwrap();
            Arc::new(cfg)
        };
        Pki {
            good: server(vec!["127.0.0.1".into(), "localhost".into()]),
            wrong_name: server(vec!["feeds.example".into()]),
            dir,
            ca,
            other_ca,
        }
    })
}

fn tls_opts(ca: &std::path::Path) -> FetchOptions {
    FetchOptions {
        ca_bundle: Some(ca.to_path_buf()),
        retries: 0,
        ..opts()
    }
}

#[test]
fn https_with_the_right_ca() {
    let p = pki();
    let packed = gzip(FEED);
    let s = Server::start(Some(p.good.clone()), move |req, _, w| {
        if req.header("if-none-match") == Some("\"t1\"") {
            return w.write_all(b"HTTP/1.1 304 Not Modified\r\n\r\n");
        }
        match req.path.as_str() {
            "/feed.txt" => respond(
                w,
                "200 OK",
                &[("ETag", "\"t1\""), ("Content-Encoding", "gzip")],
                &packed,
            ),
            "/close" => {
                w.write_all(b"HTTP/1.1 200 OK\r\n\r\n")?;
                w.write_all(FEED)
            }
            "/cut" => {
                w.write_all(b"HTTP/1.1 200 OK\r\n\r\n")?;
                w.write_all(FEED)?;
                w.flush()?;
                Err(io::Error::other("close without close_notify"))
            }
            _ => respond_chunked(w, &[], FEED, 10),
        }
    });
    let o = tls_opts(&p.ca);
    let url = s.url("/feed.txt");
    let (bytes, v) = body(fetch(&url, &o, None));
    assert_eq!(bytes, FEED);
    assert_eq!(fetch(&url, &o, Some(&v)).unwrap(), Fetched::NotModified);
    assert_eq!(body(fetch(&s.url("/chunked"), &o, None)).0, FEED);
    // Delimited by close, ended with close_notify: complete.
    assert_eq!(body(fetch(&s.url("/close"), &o, None)).0, FEED);
    // The same without close_notify: could be an attacker cutting it short.
    let url = s.url("/cut");
    let e = fetch(&url, &o, None).unwrap_err();
    let want = format!(
        "{url}: connection closed after {} bytes, before the end of the body",
        FEED.len()
    );
    assert_eq!(e.to_string(), want);
    // localhost resolves to 127.0.0.1 (and maybe ::1, where nothing listens).
    let localhost = format!("https://localhost:{}/feed.txt", s.port);
    assert_eq!(body(fetch(&localhost, &o, None)).0, FEED);
    // A plain-HTTP URL that redirects to HTTPS (the upgrade is fine).
    let to = s.url("/feed.txt");
    let r = Server::start(None, move |_, _, w| {
        respond(w, "301 Moved Permanently", &[("Location", &to)], b"")
    });
    assert_eq!(body(fetch(&r.url("/feed.txt"), &o, None)).0, FEED);
}

#[test]
fn https_with_an_untrusted_certificate() {
    let p = pki();
    let s = Server::start(Some(p.good.clone()), |_, _, w| respond(w, "200 OK", &[], FEED));
    let url = s.url("/feed.txt");
    let e = fetch(&url, &tls_opts(&p.other_ca), None).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("{url}: certificate not trusted: issued by a CA that is not in the CA bundle")
    );
    assert!(!e.is_transient());
    // The machine's own bundle does not know the throwaway CA either.
    if std::path::Path::new("/etc/ssl/certs/ca-certificates.crt").exists() {
        let o = FetchOptions {
            ca_bundle: None,
            retries: 0,
            ..opts()
        };
        let e = fetch(&url, &o, None).unwrap_err();
        assert!(matches!(e, FetchError::CertNotTrusted { .. }), "{e}");
    }
    let s = Server::start(Some(p.wrong_name.clone()), |_, _, w| {
        respond(w, "200 OK", &[], FEED)
    });
    let url = s.url("/feed.txt");
    let e = fetch(&url, &tls_opts(&p.ca), None).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("{url}: certificate not trusted: not issued for this host name")
    );
    // Plain HTTP spoken to a TLS client is a TLS error, not a hang.
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    thread::spawn(move || {
        if let Ok((mut c, _)) = l.accept() {
            let _ = c.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
            thread::sleep(Duration::from_millis(200));
        }
    });
    let e = fetch(&format!("https://127.0.0.1:{port}/x"), &tls_opts(&p.ca), None).unwrap_err();
    assert!(matches!(e, FetchError::Tls { .. }), "{e}");
}

#[test]
fn https_handshake_stall_times_out() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    thread::spawn(move || {
        if let Ok((_c, _)) = l.accept() {
            thread::sleep(Duration::from_secs(3));
        }
    });
    let o = FetchOptions {
        read_timeout: Duration::from_millis(300),
        ..tls_opts(&pki().ca)
    };
    let url = format!("https://127.0.0.1:{port}/feed.txt");
    let t = Instant::now();
    let e = fetch(&url, &o, None).unwrap_err();
    assert!(t.elapsed() < Duration::from_millis(2500), "{:?}", t.elapsed());
    assert_eq!(e.to_string(), format!("{url}: timed out after 0.3 s"));
}

#[test]
#[ignore = "needs ipv6-loopback: make test runs it when present"]
fn ipv6_loopback_when_available() {
    require(&[Need::Ipv6Loopback]);
    let l = TcpListener::bind("[::1]:0").expect("bind [::1]:0");
    let port = l.local_addr().unwrap().port();
    thread::spawn(move || {
        if let Ok((mut c, _)) = l.accept() {
            let mut buf = [0u8; 4096];
            let _ = c.read(&mut buf);
            let _ = respond(&mut c, "200 OK", &[], FEED);
        }
    });
    assert_eq!(
        body(fetch(&format!("http://[::1]:{port}/feed.txt"), &opts(), None)).0,
        FEED
    );
}

#[test]
fn https_ca_bundle_problems() {
    let p = pki();
    let url = "https://127.0.0.1:9/feed.txt";
    let missing = p.dir.join("missing.pem");
    let e = fetch(url, &tls_opts(&missing), None).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{url}: cannot use CA bundle {}: No such file or directory (os error 2)",
            missing.display()
        )
    );
    let junk = p.dir.join("junk.pem");
    std::fs::write(&junk, "not a certificate\n").unwrap();
    let e = fetch(url, &tls_opts(&junk), None).unwrap_err();
    assert!(e.to_string().ends_with("no usable PEM certificate in it"), "{e}");
    let e = FetchError::NoCaBundle { url: url.into() };
    assert_eq!(
        e.to_string(),
        format!("{url}: no CA bundle found (install ca-bundle or set option ca_bundle)")
    );
}

#[test]
fn garbage_from_the_server_never_panics() {
    // Responses built from a deterministic PRNG: valid prefixes, then noise.
    let s = Server::start(None, |_, n, w| {
        let mut x = 0x9e37_79b9_7f4a_7c15u64 ^ (n as u64).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let prefixes: [&[u8]; 5] = [
            b"",
            b"HTTP/1.1 200 OK\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 40\r\n\r\n\x1f\x8b\x08\x00",
            b"HTTP/1.1 301 Moved\r\nLocation: ",
        ];
        w.write_all(prefixes[n % prefixes.len()])?;
        let len = next() % 300;
        let alphabet = b"0123456789abcdef\r\n:; \x1f\x8b\xff\x00HTTP/1.";
        let noise: Vec<u8> = (0..len)
            .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
            .collect();
        w.write_all(&noise)
    });
    let o = FetchOptions {
        read_timeout: Duration::from_millis(500),
        retries: 0,
        max_redirects: 1,
        ..opts()
    };
    for i in 0..200 {
        // Any outcome but a panic or a hang is fine.
        let _ = fetch(&s.url(&format!("/{i}")), &o, None);
    }
    assert!(s.hits() >= 200);
}
