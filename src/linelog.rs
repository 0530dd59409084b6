//! A size-capped, append-only log of text lines in RAM (`run_dir`): the
//! event log the daemon writes and `iocguard events` / `host` read.
//!
//! The file is rotated to `NAME.1` once the next append would pass the
//! cap, and the older `.1` is dropped, so the log never holds more than
//! twice the cap whatever the traffic. New files are 0600: events name
//! machines (MAC, address) and stay on the router.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

/// An append-only line log at a path, rotated at a byte cap.
pub struct LineLog {
    path: PathBuf,
    cap: u64,
}

impl LineLog {
    /// The log at `path`, rotated at `cap` bytes.
    pub fn new(path: PathBuf, cap: u64) -> LineLog {
        LineLog { path, cap }
    }

    /// The current file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The rotated file.
    pub fn rotated(&self) -> PathBuf {
        let mut name = self.path.as_os_str().to_os_string();
        name.push(".1");
        PathBuf::from(name)
    }

    /// Appends `lines` (each without its newline) in one write, rotating
    /// first when the file would pass the cap.
    pub fn append<S: AsRef<str>>(&self, lines: &[S]) -> std::io::Result<()> {
        if lines.is_empty() {
            return Ok(());
        }
        let mut buf = Vec::with_capacity(lines.iter().map(|l| l.as_ref().len() + 1).sum());
        for l in lines {
            buf.extend_from_slice(l.as_ref().as_bytes());
            buf.push(b'\n');
        }
        let size = std::fs::metadata(&self.path).map_or(0, |m| m.len());
        if size > 0 && size + buf.len() as u64 > self.cap {
            std::fs::rename(&self.path, self.rotated())?;
        }
        let mut o = OpenOptions::new();
        o.create(true).append(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            o.mode(0o600);
        }
        o.open(&self.path)?.write_all(&buf)
    }

    /// Every line of the rotated and the current file, oldest first. A
    /// torn last line (a crash mid-write) comes back as it is; the reader
    /// decides what it accepts.
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        for p in [self.rotated(), self.path.clone()] {
            if let Ok(bytes) = std::fs::read(&p) {
                let text = String::from_utf8_lossy(&bytes);
                out.extend(text.lines().filter(|l| !l.is_empty()).map(str::to_string));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotates_at_the_cap_and_reads_oldest_first() {
        let dir = std::env::temp_dir().join(format!("iocg-linelog-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let log = LineLog::new(dir.join("events.jsonl"), 100);
        for i in 0..40 {
            log.append(&[format!("line {i:04}")]).unwrap();
        }
        let cur = std::fs::metadata(log.path()).unwrap().len();
        assert!(cur <= 100, "{cur}");
        assert!(dir.join("events.jsonl.1").exists());
        let lines = log.lines();
        assert!(lines.len() < 40, "older rotations are dropped: bounded");
        assert_eq!(lines.last().map(String::as_str), Some("line 0039"));
        assert!(lines.windows(2).all(|w| w[0] < w[1]), "{lines:?}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(log.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        log.append::<&str>(&[]).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_missing_log_has_no_lines() {
        let log = LineLog::new("/nonexistent/iocguard/events.jsonl".into(), 10);
        assert!(log.lines().is_empty());
    }
}
