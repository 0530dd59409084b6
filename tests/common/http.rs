//! A scripted HTTP/1.1 (and TLS) server on loopback for integration
//! tests: one handler per test, every request recorded. Shared by the
//! fetcher's and the sync's tests.
#![allow(dead_code)]

use std::io::{self, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Request {
    pub path: String,
    /// Lower-case names.
    pub headers: Vec<(String, String)>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

pub type Handler = dyn Fn(&Request, usize, &mut dyn Write) -> io::Result<()> + Send + Sync;

pub struct Server {
    pub port: u16,
    pub tls: bool,
    pub requests: Arc<Mutex<Vec<Request>>>,
}

impl Server {
    /// Serves on 127.0.0.1 until the test process ends; `handler` gets the
    /// request, its 1-based number and the connection.
    pub fn start(
        tls: Option<Arc<rustls::ServerConfig>>,
        handler: impl Fn(&Request, usize, &mut dyn Write) -> io::Result<()> + Send + Sync + 'static,
    ) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let (reqs, is_tls) = (requests.clone(), tls.is_some());
        thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(tcp) = conn else { continue };
                let (handler, reqs, tls) = (handler.clone(), reqs.clone(), tls.clone());
                thread::spawn(move || {
                    let _ = tcp.set_read_timeout(Some(Duration::from_secs(5)));
                    match tls {
                        None => {
                            let mut s = tcp;
                            serve_one(&mut s, &*handler, &reqs);
                        }
                        Some(cfg) => {
                            let conn = rustls::ServerConnection::new(cfg).unwrap();
                            let mut s = rustls::StreamOwned::new(conn, tcp);
                            if serve_one(&mut s, &*handler, &reqs) {
                                s.conn.send_close_notify();
                                let _ = s.flush();
                            }
                        }
                    }
                });
            }
        });
        Server {
            port,
            tls: is_tls,
            requests,
        }
    }

    pub fn url(&self, path: &str) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://127.0.0.1:{}{path}", self.port)
    }

    pub fn hits(&self) -> usize {
        self.requests.lock().unwrap().len()
    }

    pub fn last(&self) -> Request {
        self.requests.lock().unwrap().last().cloned().unwrap()
    }
}

/// Reads one request head and runs the handler; false if no request came
/// or the handler failed (then TLS closes without `close_notify`).
pub fn serve_one<S: Read + Write>(s: &mut S, handler: &Handler, reqs: &Mutex<Vec<Request>>) -> bool {
    let mut head = Vec::new();
    let mut byte = [0u8];
    while !head.ends_with(b"\r\n\r\n") {
        match s.read(&mut byte) {
            Ok(1) if head.len() < 65536 => head.push(byte[0]),
            _ => return false,
        }
    }
    let text = String::from_utf8_lossy(&head);
    let mut lines = text.split("\r\n");
    let path = lines
        .next()
        .unwrap_or("")
        .split(' ')
        .nth(1)
        .unwrap_or("")
        .to_string();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let req = Request { path, headers };
    let n = {
        let mut r = reqs.lock().unwrap();
        r.push(req.clone());
        r.len()
    };
    handler(&req, n, s).and_then(|_| s.flush()).is_ok()
}

/// A complete response with Content-Length.
pub fn respond(w: &mut dyn Write, status: &str, headers: &[(&str, &str)], body: &[u8]) -> io::Result<()> {
    let mut head = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\n", body.len());
    for (n, v) in headers {
        head += &format!("{n}: {v}\r\n");
    }
    w.write_all(head.as_bytes())?;
    w.write_all(b"\r\n")?;
    w.write_all(body)
}
