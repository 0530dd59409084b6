//! Durable file replacement, the one way iocguard writes state, caches,
//! snapshots, keys' companions and generated files.
//!
//! A `kill -9` or a power cut at any point leaves either the old or the new
//! file, never a torn one: the bytes go to a temporary file in the same
//! directory, which is fsynced, renamed over the target, and then the
//! directory itself is fsynced so that the rename survives too.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// A write that failed, with the path it was for.
#[derive(Debug, thiserror::Error)]
#[error("{path}: cannot be written: {source}")]
pub struct WriteError {
    /// The file (or its directory) that could not be written.
    pub path: PathBuf,
    /// The OS error.
    pub source: io::Error,
}

/// Replaces `path` with `bytes` atomically and durably (mode 0644 for a
/// new file; an existing file's mode is not kept).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    write_atomic_mode(path, bytes, 0o644)
}

/// Like [`write_atomic`] with the new file's permission bits, e.g. 0600 for
/// files that hold personal data (MACs, hostnames) or secrets.
pub fn write_atomic_mode(path: &Path, bytes: &[u8], mode: u32) -> Result<(), WriteError> {
    write_atomic_with(path, mode, |f| f.write_all(bytes))
}

/// Like [`write_atomic_mode`], with the content written by `fill` into
/// the temporary file: for content produced while it is written (a
/// compressed cache), which then never has to be whole in memory.
pub fn write_atomic_with(
    path: &Path,
    mode: u32,
    fill: impl FnOnce(&mut File) -> io::Result<()>,
) -> Result<(), WriteError> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let err = |p: &Path| {
        let p = p.to_path_buf();
        move |source| WriteError { path: p, source }
    };
    fs::create_dir_all(dir).map_err(err(dir))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp{}", std::process::id()));
    let result = (|| {
        let mut o = OpenOptions::new();
        o.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            o.mode(mode);
        }
        #[cfg(not(unix))]
        let _ = mode;
        let mut f = o.open(&tmp)?;
        fill(&mut f)?;
        f.sync_all()?;
        fs::rename(&tmp, path)?;
        // The rename is durable only once the directory entry is.
        File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(err(path))
}

/// Writes `bytes` only when the file does not already hold exactly them,
/// so flash is not rewritten with the same content. Returns true when it
/// wrote.
pub fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<bool, WriteError> {
    match fs::read(path) {
        Ok(old) if old == bytes => Ok(false),
        _ => write_atomic(path, bytes).map(|_| true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmpdir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("iocguard-fsio-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn replaces_and_leaves_no_temporary_file() {
        let d = tmpdir("replace");
        let p = d.join("sub").join("f");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(d.join("sub"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("f")]);
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn private_mode_is_applied() {
        use std::os::unix::fs::PermissionsExt;
        let d = tmpdir("mode");
        let p = d.join("hosts.json");
        write_atomic_mode(&p, b"{}", 0o600).unwrap();
        assert_eq!(fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600);
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn unchanged_content_is_not_rewritten() {
        let d = tmpdir("changed");
        let p = d.join("f");
        assert!(write_if_changed(&p, b"x").unwrap());
        assert!(!write_if_changed(&p, b"x").unwrap());
        assert!(write_if_changed(&p, b"y").unwrap());
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn error_names_the_path() {
        let e = write_atomic(Path::new("/proc/iocguard-no/x"), b"x").unwrap_err();
        assert!(e.to_string().starts_with("/proc/iocguard-no"), "{e}");
    }
}
