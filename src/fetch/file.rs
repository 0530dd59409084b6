//! Local feeds: `file:///etc/iocguard/local.txt` or a plain path.
//!
//! The file's validator is a stamp of its mtime (to the nanosecond) and
//! size, kept in [`Validators::last_modified`]; the same stamp next time
//! means [`Fetched::NotModified`] without reading the file. The size cap
//! applies as for HTTP, also to a file that grows while it is read. No
//! gzip here: a local file is read as it is.

use super::{FetchError, Fetched, Validators};
use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::time::UNIX_EPOCH;

pub(super) fn fetch(
    url: &str,
    path: &Path,
    max_bytes: u64,
    prev: Option<&Validators>,
) -> Result<Fetched, FetchError> {
    let err = |e: std::io::Error| FetchError::File {
        url: url.to_string(),
        detail: e.to_string(),
    };
    // Open first, then stat the handle: the stamp then describes the file
    // that is actually read, even if it is replaced meanwhile.
    let mut f = File::open(path).map_err(err)?;
    let meta = f.metadata().map_err(err)?;
    if !meta.is_file() {
        return Err(FetchError::File {
            url: url.to_string(),
            detail: "not a regular file".into(),
        });
    }
    let stamp = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| {
            format!(
                "mtime={}.{:09} size={}",
                d.as_secs(),
                d.subsec_nanos(),
                meta.len()
            )
        });
    if stamp.is_some() && prev.and_then(|p| p.last_modified.as_ref()) == stamp.as_ref() {
        return Ok(Fetched::NotModified);
    }
    let too_large = || FetchError::TooLarge {
        url: url.to_string(),
        limit: max_bytes,
    };
    if meta.len() > max_bytes {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    f.by_ref()
        .take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(err)?;
    if bytes.len() as u64 > max_bytes {
        return Err(too_large());
    }
    Ok(Fetched::Body {
        bytes,
        validators: Validators {
            etag: None,
            last_modified: stamp,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::super::{fetch as fetch_url, FetchOptions};
    use super::*;

    #[test]
    fn file_fetch_stamp_and_cap() {
        let dir = std::env::temp_dir().join(format!("iocguard-fetch-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("local.txt");
        std::fs::write(&p, "198.51.100.1\n").unwrap();
        let url = format!("file://{}", p.display());
        let opts = FetchOptions::default();
        let Fetched::Body { bytes, validators } = fetch_url(&url, &opts, None).unwrap() else {
            panic!("no body")
        };
        assert_eq!(bytes, b"198.51.100.1\n");
        assert!(validators.etag.is_none());
        assert!(validators.last_modified.as_deref().unwrap().ends_with(" size=13"));
        // Plain path, same stamp: not modified.
        assert_eq!(
            fetch_url(p.to_str().unwrap(), &opts, Some(&validators)).unwrap(),
            Fetched::NotModified
        );
        // Size changes: a new body.
        std::fs::write(&p, "198.51.100.1\n198.51.100.2\n").unwrap();
        assert!(matches!(
            fetch_url(&url, &opts, Some(&validators)).unwrap(),
            Fetched::Body { .. }
        ));
        let small = FetchOptions {
            max_bytes: 10,
            ..FetchOptions::default()
        };
        let e = fetch_url(&url, &small, None).unwrap_err();
        assert_eq!(e.to_string(), format!("{url}: body exceeds the 10-byte limit"));
        let e = fetch_url(dir.join("missing").to_str().unwrap(), &opts, None).unwrap_err();
        assert!(e.to_string().contains("cannot read file: No such file"), "{e}");
        let e = fetch_url(dir.to_str().unwrap(), &opts, None).unwrap_err();
        assert!(e.to_string().ends_with("not a regular file"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
