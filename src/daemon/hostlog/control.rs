//! The control socket: how `hosts`, `host` and `ack` reach a running
//! daemon. A Unix stream socket in `run_dir` (0600, and the peer must be
//! root or the daemon's own user, checked with `SO_PEERCRED`); one
//! request line, one answer, then the connection closes:
//!
//! - `snapshot` → the host table as a snapshot document (what the CLI
//!   reads from flash when the daemon is down, so both paths render the
//!   same way);
//! - `ack {json}` → `ok acknowledged` | `ok reinfected` | `ok stale` |
//!   `err SENTENCE`.
//!
//! The listener is blocking (no wake-ups while idle); [`wake`] connects
//! once so a stopping daemon's accept returns.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Bytes of a request line read at most.
const REQUEST_MAX: u64 = 4096;
/// Bytes of an answer read at most (a snapshot of a full table).
const ANSWER_MAX: u64 = crate::hosts::snapshot::MAX_BYTES as u64;
/// How long either side waits for the other.
const TIMEOUT: Duration = Duration::from_secs(5);

/// Why a request to the daemon failed.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    /// No daemon listens (no socket, or a stale one).
    #[error("the daemon is not running")]
    NotRunning,
    /// The exchange failed.
    #[error("{path}: {source}")]
    Io {
        /// The socket.
        path: String,
        /// What failed.
        source: std::io::Error,
    },
}

/// Binds the socket at `path` (replacing a stale one), 0600.
pub fn bind(path: &Path) -> std::io::Result<UnixListener> {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d)?;
    }
    let _ = std::fs::remove_file(path);
    let l = UnixListener::bind(path)?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(l)
}

/// Answers requests with `handle` until `stop` is set (then one more
/// connection, see [`wake`], ends the loop).
pub fn serve(listener: &UnixListener, stop: &AtomicBool, mut handle: impl FnMut(&str) -> Vec<u8>) {
    for conn in listener.incoming() {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let Ok(mut s) = conn else { continue };
        if !trusted(&s) {
            let _ = s.write_all(b"err only root may ask the daemon\n");
            continue;
        }
        let _ = s.set_read_timeout(Some(TIMEOUT));
        let _ = s.set_write_timeout(Some(TIMEOUT));
        let mut line = String::new();
        let read = BufReader::new((&s).take(REQUEST_MAX)).read_line(&mut line);
        if read.is_err() || !line.ends_with('\n') {
            let _ = s.write_all(b"err the request was not one line\n");
            continue;
        }
        let answer = handle(line.trim_end());
        let _ = s.write_all(&answer);
    }
}

/// Root, or the user the daemon runs as.
fn trusted(s: &UnixStream) -> bool {
    use nix::sys::socket::{getsockopt, sockopt::PeerCredentials};
    match getsockopt(s, PeerCredentials) {
        Ok(c) => c.uid() == 0 || c.uid() == nix::unistd::geteuid().as_raw(),
        Err(_) => false,
    }
}

/// Makes a blocked [`serve`] look at its stop flag.
pub fn wake(path: &Path) {
    let _ = UnixStream::connect(path);
}

/// Sends one request line to the daemon and returns its answer.
pub fn request(path: &Path, line: &str) -> Result<Vec<u8>, ControlError> {
    let io = |source| ControlError::Io {
        path: path.display().to_string(),
        source,
    };
    let mut s = match UnixStream::connect(path) {
        Ok(s) => s,
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
            ) =>
        {
            return Err(ControlError::NotRunning)
        }
        Err(e) => return Err(io(e)),
    };
    s.set_read_timeout(Some(TIMEOUT)).map_err(io)?;
    s.set_write_timeout(Some(TIMEOUT)).map_err(io)?;
    s.write_all(format!("{line}\n").as_bytes()).map_err(io)?;
    let mut answer = Vec::new();
    s.take(ANSWER_MAX).read_to_end(&mut answer).map_err(io)?;
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn one_request_one_answer_then_stop() {
        let dir = std::env::temp_dir().join(format!("iocg-control-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("control.sock");
        assert!(matches!(
            request(&path, "snapshot"),
            Err(ControlError::NotRunning)
        ));
        let l = bind(&path).unwrap();
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let stop = Arc::new(AtomicBool::new(false));
        let st = stop.clone();
        let t = std::thread::spawn(move || {
            let mut seen = Vec::new();
            serve(&l, &st, |req| {
                seen.push(req.to_string());
                format!("echo {req}\n").into_bytes()
            });
            seen
        });
        assert_eq!(request(&path, "snapshot").unwrap(), b"echo snapshot\n");
        assert_eq!(request(&path, "ack {\"a\":1}").unwrap(), b"echo ack {\"a\":1}\n");
        // A request that never ends its line gets an error, not a hang.
        let mut s = UnixStream::connect(&path).unwrap();
        s.write_all(&[b'x'; REQUEST_MAX as usize]).unwrap();
        let mut a = String::new();
        s.read_to_string(&mut a).unwrap();
        assert_eq!(a, "err the request was not one line\n");
        stop.store(true, Ordering::Relaxed);
        wake(&path);
        let seen = t.join().unwrap();
        assert_eq!(seen, ["snapshot", "ack {\"a\":1}"]);
        // A stale socket file: nobody listens.
        assert!(matches!(
            request(&path, "snapshot"),
            Err(ControlError::NotRunning)
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
