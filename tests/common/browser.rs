//! Headless Chromium for tests that drive a real page: the Rust side
//! of `tests/browser/session.py` (a DevTools driver with no dependency
//! beyond Python's standard library, started in the namespace that can
//! reach the page).
#![allow(dead_code)]

use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

/// Headless Chromium through `tests/browser/session.py`, run in a network
/// namespace: one JSON command per line, one JSON answer per line.
pub struct Browser {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    shots: PathBuf,
}

impl Browser {
    /// Starts the browser in namespace `ns`; screenshots go to `shots`.
    pub fn start(ns: &str, shots: PathBuf) -> Browser {
        let mut child = Command::new("ip")
            .args(["netns", "exec", ns, "python3"])
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/session.py"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let mut b = Browser {
            child,
            stdin,
            stdout,
            shots,
        };
        let ready = b.read();
        assert_eq!(ready, Ok(Value::from("ready")), "the browser did not start");
        b
    }

    fn read(&mut self) -> Result<Value, String> {
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        let v: Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("session.py said {line:?}: {e}"));
        if v["ok"] == true {
            Ok(v["value"].clone())
        } else {
            Err(v["error"].as_str().unwrap_or("?").to_string())
        }
    }

    /// One command; the driver's error as `Err`.
    pub fn try_cmd(&mut self, cmd: Value) -> Result<Value, String> {
        writeln!(self.stdin, "{cmd}").unwrap();
        self.read()
    }

    /// One command, which must succeed.
    pub fn cmd(&mut self, cmd: Value) -> Value {
        self.try_cmd(cmd.clone())
            .unwrap_or_else(|e| panic!("browser {cmd}: {e}"))
    }

    /// The value of a JS expression (promises awaited).
    pub fn eval(&mut self, js: &str) -> Value {
        self.cmd(serde_json::json!({"op": "eval", "expr": js}))
    }

    /// Polls `js` until it is `true` (40 s), else panics with the page's
    /// text and a `timeout` screenshot.
    pub fn wait(&mut self, js: &str, what: &str) {
        let end = Instant::now() + Duration::from_secs(40);
        loop {
            if let Ok(v) = self.try_cmd(serde_json::json!({"op": "eval", "expr": js})) {
                if v.as_bool() == Some(true) {
                    return;
                }
            }
            if Instant::now() > end {
                self.shot("timeout");
                panic!(
                    "timed out waiting for {what}; page text:\n{}",
                    self.eval("document.body.innerText")
                );
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// A full-page screenshot `NAME.png` in the screenshot folder.
    pub fn shot(&mut self, name: &str) -> PathBuf {
        let p = self.shots.join(format!("{name}.png"));
        self.cmd(serde_json::json!({"op": "shot", "path": p}));
        p
    }

    /// Console errors and exceptions since the start.
    pub fn console(&mut self) -> Vec<String> {
        serde_json::from_value(self.cmd(serde_json::json!({"op": "console"}))).unwrap()
    }

    /// Clicks the first element matching `selector`, which must exist.
    pub fn click(&mut self, selector: &str) {
        let found = self.eval(&format!(
            "(() => {{ const e = document.querySelector({}); if (!e) return false; e.click(); return true; }})()",
            Value::from(selector)
        ));
        assert_eq!(found, Value::from(true), "nothing to click at {selector}");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = writeln!(self.stdin, "{{\"op\":\"quit\"}}");
        let end = Instant::now() + Duration::from_secs(15);
        while Instant::now() < end {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
    }
}
