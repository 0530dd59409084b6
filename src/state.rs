//! State on disk: the last-good feed cache on flash, runtime status in RAM,
//! and the lock that keeps two `sync` runs apart.
//!
//! Guarantees:
//! - every file is replaced atomically through [`crate::fsio`]: a `kill -9`
//!   or power cut at any point leaves either the old or the new file;
//! - flash is written only when content changed (a router's flash survives
//!   a limited number of erase cycles, and cron runs sync every few hours);
//! - cached bodies are zlib-compressed (adler32-checked), and reading one
//!   back is bounded by the feed's size cap, so a corrupt cache cannot
//!   exhaust memory.

use crate::fsio::{write_atomic, write_atomic_with, WriteError};
use serde::{Deserialize, Serialize};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A state file operation that failed, with the path.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// Reading, writing or renaming failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// Replacing a file failed.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// A cached body did not decompress (corrupt or truncated).
    #[error("{0}: cached copy is corrupt and was ignored")]
    Corrupt(PathBuf),
    /// Another `sync` holds the lock.
    #[error("another iocguard sync is running (lock {0} held)")]
    Busy(PathBuf),
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> StateError + '_ {
    move |source| StateError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The exclusive lock of one `sync` run; released on drop (and by the
/// kernel when the process dies, so a killed sync never wedges cron).
pub struct SyncLock {
    _file: File,
}

impl SyncLock {
    /// Takes the lock at `path`, waiting up to `wait` for a running sync.
    pub fn acquire(path: &Path, wait: Duration) -> Result<SyncLock, StateError> {
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(io_err(dir))?;
        }
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(io_err(path))?;
        let deadline = Instant::now() + wait;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(SyncLock { _file: file }),
                Err(fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(100))
                }
                Err(fs::TryLockError::WouldBlock) => return Err(StateError::Busy(path.to_path_buf())),
                Err(fs::TryLockError::Error(e)) => return Err(io_err(path)(e)),
            }
        }
    }
}

/// What is remembered about a feed's last accepted copy (flash, rewritten
/// only when the copy changes).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct CacheMeta {
    /// HTTP ETag of the accepted copy.
    pub etag: Option<String>,
    /// HTTP Last-Modified of the accepted copy.
    pub last_modified: Option<String>,
    /// Unix time the copy was accepted.
    pub accepted_at: u64,
    /// Entries the copy held when accepted.
    pub entries: u64,
    /// Body size in bytes (uncompressed).
    pub bytes: u64,
    /// Timestamp of the minisign signature of the copy, for the replay
    /// check.
    #[serde(default)]
    pub signed_at: Option<u64>,
    /// Domains among the entries: how big to make the fingerprint table
    /// before reading the copy (absent in caches written before it was).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domains: Option<u64>,
}

/// The per-feed last-good cache under `state_dir/feeds/`.
pub struct FeedCache {
    dir: PathBuf,
}

impl FeedCache {
    /// The cache below `state_dir`.
    pub fn new(state_dir: &Path) -> Self {
        FeedCache {
            dir: state_dir.join("feeds"),
        }
    }

    fn body_path(&self, feed: &str) -> PathBuf {
        self.dir.join(format!("{feed}.z"))
    }

    fn meta_path(&self, feed: &str) -> PathBuf {
        self.dir.join(format!("{feed}.json"))
    }

    /// The accepted body, if any; `limit` bounds the decompressed size.
    pub fn body(&self, feed: &str, limit: usize) -> Result<Option<Vec<u8>>, StateError> {
        // Inflated in chunks into a vector that grows as written: neither
        // the compressed file nor a zero-filled guess of the size is held
        // beside the body (a 14 MB feed would otherwise peak at ~2.5×).
        let mut body = Vec::new();
        let found = self.stream(feed, limit, |chunk| {
            body.extend_from_slice(chunk);
            true
        })?;
        Ok(found.map(|_| body))
    }

    /// True when an accepted copy exists and inflates whole within
    /// `limit`, checked while inflating (nothing is kept).
    pub fn intact(&self, feed: &str, limit: usize) -> bool {
        matches!(self.stream(feed, limit, |_| true), Ok(Some(true)))
    }

    /// True when the accepted copy is exactly `body`, compared while
    /// inflating, so the old copy is never held in memory next to the new
    /// one. An unreadable or corrupt copy is not `body`.
    pub fn holds(&self, feed: &str, body: &[u8]) -> bool {
        let mut at = 0;
        let same = self.stream(feed, body.len(), |chunk| {
            let same = body.get(at..at + chunk.len()) == Some(chunk);
            at += chunk.len();
            same
        });
        matches!(same, Ok(Some(true))) && at == body.len()
    }

    /// Streams the inflated copy of `feed` through `each`, in chunks of at
    /// most 64 KiB, until the end or until `each` returns false. `None`
    /// when there is no copy; `Some(false)` when `each` stopped early;
    /// `Corrupt` when it does not inflate or inflates past `limit`.
    pub fn stream(
        &self,
        feed: &str,
        limit: usize,
        each: impl FnMut(&[u8]) -> bool,
    ) -> Result<Option<bool>, StateError> {
        inflate_file(&self.body_path(feed), limit, each)
    }

    /// The accepted copy of `feed`, as a [`Stored`] copy.
    pub fn copy<'a>(&'a self, feed: &'a str) -> CachedCopy<'a> {
        CachedCopy { cache: self, feed }
    }

    /// Writes `body` compressed beside the accepted copy of `feed`, to be
    /// read back and then either committed in its place or dropped (a
    /// guard refused it; the process died: the next stage overwrites it).
    /// This is what lets `sync` free a big download before parsing it.
    pub fn stage(&self, feed: &str, body: &[u8]) -> Result<Staged<'_>, StateError> {
        let path = self.staged_path(feed);
        write_atomic_with(&path, 0o644, |f| deflate_into(f, body))?;
        Ok(Staged {
            cache: self,
            feed: feed.to_string(),
            path,
            committed: false,
        })
    }

    fn staged_path(&self, feed: &str) -> PathBuf {
        self.dir.join(format!("{feed}.z.new"))
    }

    /// Removes a copy a killed `sync` left staged: it would hold flash
    /// until the feed next changed.
    pub fn drop_stale_stage(&self, feed: &str) {
        let _ = fs::remove_file(self.staged_path(feed));
    }

    /// Writes the metadata of the copy in use when it changed (or the body
    /// was just written); returns true when flash was written.
    fn store_meta(&self, feed: &str, meta: &CacheMeta, body_written: bool) -> Result<bool, StateError> {
        // Validators change even when the body does not (a re-published
        // identical file): keep them, they save the next download.
        let old_meta = self.meta(feed);
        let changed = old_meta.as_ref().is_none_or(|m| {
            m.etag != meta.etag
                || m.last_modified != meta.last_modified
                || m.entries != meta.entries
                || body_written
        });
        if changed {
            let json = serde_json::to_vec_pretty(meta).unwrap_or_default();
            write_atomic(&self.meta_path(feed), &json)?;
        }
        Ok(changed)
    }

    /// Records `meta` for a copy whose body is already the accepted one
    /// (a download equal to it); returns true when flash was written.
    pub fn store_unchanged(&self, feed: &str, meta: &CacheMeta) -> Result<bool, StateError> {
        self.store_meta(feed, meta, false)
    }

    /// The metadata of the accepted copy, if any (a corrupt file reads as
    /// none: the feed is then simply fetched in full).
    pub fn meta(&self, feed: &str) -> Option<CacheMeta> {
        let text = fs::read(self.meta_path(feed)).ok()?;
        serde_json::from_slice(&text).ok()
    }

    /// Stores a newly accepted copy. The body is written only when it
    /// differs from the cached one; returns true when flash was written.
    pub fn store(&self, feed: &str, body: &[u8], meta: &CacheMeta) -> Result<bool, StateError> {
        if self.holds(feed, body) {
            return self.store_unchanged(feed, meta);
        }
        self.store_new(feed, body, meta).map(|_| true)
    }

    /// Stores a newly accepted copy known to differ from the cached one.
    pub fn store_new(&self, feed: &str, body: &[u8], meta: &CacheMeta) -> Result<(), StateError> {
        // Compressed while written, so no compressed copy is held beside
        // the body (a 23 MB domain feed made 11.5 MB more).
        write_atomic_with(&self.body_path(feed), 0o644, |f| deflate_into(f, body))?;
        self.store_meta(feed, meta, true).map(|_| ())
    }
}

/// A copy of a feed on flash that can be read back in pieces: the
/// accepted one ([`CachedCopy`]) or a new one not yet decided on
/// ([`Staged`]).
pub trait Stored {
    /// Streams the inflated copy through `each`, as [`FeedCache::stream`].
    fn stream(&self, limit: usize, each: &mut dyn FnMut(&[u8]) -> bool) -> Result<Option<bool>, StateError>;

    /// The whole inflated copy, if there is one.
    fn body(&self, limit: usize) -> Result<Option<Vec<u8>>, StateError> {
        let mut body = Vec::new();
        let found = self.stream(limit, &mut |chunk| {
            body.extend_from_slice(chunk);
            true
        })?;
        Ok(found.map(|_| body))
    }
}

/// The accepted copy of one feed.
pub struct CachedCopy<'a> {
    cache: &'a FeedCache,
    feed: &'a str,
}

impl Stored for CachedCopy<'_> {
    fn stream(&self, limit: usize, each: &mut dyn FnMut(&[u8]) -> bool) -> Result<Option<bool>, StateError> {
        self.cache.stream(self.feed, limit, each)
    }
}

/// A new copy written beside the accepted one by [`FeedCache::stage`];
/// removed when dropped uncommitted.
pub struct Staged<'a> {
    cache: &'a FeedCache,
    feed: String,
    path: PathBuf,
    committed: bool,
}

impl Staged<'_> {
    /// Makes this copy the accepted one, with `meta`.
    pub fn commit(mut self, meta: &CacheMeta) -> Result<(), StateError> {
        let target = self.cache.body_path(&self.feed);
        fs::rename(&self.path, &target).map_err(io_err(&target))?;
        self.committed = true;
        // The rename is durable only once the directory entry is.
        File::open(&self.cache.dir)
            .and_then(|d| d.sync_all())
            .map_err(io_err(&self.cache.dir))?;
        self.cache.store_meta(&self.feed, meta, true)?;
        Ok(())
    }
}

impl Stored for Staged<'_> {
    fn stream(&self, limit: usize, each: &mut dyn FnMut(&[u8]) -> bool) -> Result<Option<bool>, StateError> {
        inflate_file(&self.path, limit, each)
    }
}

impl Drop for Staged<'_> {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Inflates the zlib file at `path` through `each` (see
/// [`FeedCache::stream`]).
fn inflate_file(
    path: &Path,
    limit: usize,
    mut each: impl FnMut(&[u8]) -> bool,
) -> Result<Option<bool>, StateError> {
    use miniz_oxide::inflate::stream::{inflate, InflateState};
    use miniz_oxide::{DataFormat, MZError, MZFlush, MZStatus};
    use std::io::Read;
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err(path)(e)),
    };
    let corrupt = || StateError::Corrupt(path.to_path_buf());
    let mut state = InflateState::new_boxed(DataFormat::Zlib);
    let (mut input, mut out) = (vec![0u8; 64 << 10], vec![0u8; 64 << 10]);
    let (mut start, mut end, mut eof, mut total) = (0, 0, false, 0usize);
    loop {
        if start == end && !eof {
            end = file.read(&mut input).map_err(io_err(path))?;
            start = 0;
            eof = end == 0;
        }
        let flush = if eof { MZFlush::Finish } else { MZFlush::None };
        let r = inflate(&mut state, &input[start..end], &mut out, flush);
        start += r.bytes_consumed;
        total += r.bytes_written;
        if total > limit {
            return Err(corrupt());
        }
        if r.bytes_written > 0 && !each(&out[..r.bytes_written]) {
            return Ok(Some(false));
        }
        match r.status {
            Ok(MZStatus::StreamEnd) => return Ok(Some(true)),
            Ok(_) => {}
            // No progress possible: more input is needed but there is none.
            Err(MZError::Buf) if !eof || r.bytes_written > 0 => {}
            Err(_) => return Err(corrupt()),
        }
        if eof && r.bytes_consumed == 0 && r.bytes_written == 0 {
            return Err(corrupt());
        }
    }
}

/// The zlib level of cached bodies. Level 1 is miniz's greedy fast path:
/// on 1M random domains (23.1 MB) it writes 13.19 MB where level 2 writes
/// 12.89 MB (2 % more flash) and takes ~0.65 s less of a 2.4 s `sync`;
/// level 6 takes 8× longer than level 2 for 13 % less. The copy is
/// written only when a feed changed, and read back at every start.
const ZLIB_LEVEL: i32 = 1;

/// Writes `body` zlib-compressed into `w`, through a 64 KiB buffer.
fn deflate_into(w: &mut impl Write, body: &[u8]) -> io::Result<()> {
    use miniz_oxide::deflate::core::{create_comp_flags_from_zip_params, CompressorOxide};
    use miniz_oxide::deflate::stream::deflate;
    use miniz_oxide::{MZFlush, MZStatus};
    // Window bits 15: a zlib header and adler32 trailer, as
    // `compress_to_vec_zlib` wrote (old caches read the same).
    let mut c = Box::new(CompressorOxide::new(create_comp_flags_from_zip_params(
        ZLIB_LEVEL, 15, 0,
    )));
    let mut out = vec![0u8; 64 << 10];
    let mut input = body;
    loop {
        let r = deflate(&mut c, input, &mut out, MZFlush::Finish);
        input = &input[r.bytes_consumed..];
        w.write_all(&out[..r.bytes_written])?;
        match r.status {
            Ok(MZStatus::StreamEnd) => return Ok(()),
            Ok(_) => {}
            Err(e) => return Err(io::Error::other(format!("deflate failed: {e:?}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmpdir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("iocguard-state-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn cache_round_trip_and_write_avoidance() {
        let d = tmpdir("cache");
        let c = FeedCache::new(&d);
        assert!(c.body("f", 100).unwrap().is_none());
        let meta = CacheMeta {
            etag: Some("\"x\"".into()),
            entries: 2,
            ..CacheMeta::default()
        };
        assert!(c.store("f", b"1.2.3.4\n5.6.7.8\n", &meta).unwrap());
        assert!(
            !c.store("f", b"1.2.3.4\n5.6.7.8\n", &meta).unwrap(),
            "unchanged copy rewrote flash"
        );
        assert_eq!(c.body("f", 100).unwrap().unwrap(), b"1.2.3.4\n5.6.7.8\n");
        assert_eq!(c.meta("f").unwrap(), meta);
        assert!(c.holds("f", b"1.2.3.4\n5.6.7.8\n"));
        assert!(
            !c.holds("f", b"1.2.3.4\n5.6.7.8\n9"),
            "a longer body is another body"
        );
        assert!(!c.holds("f", b"1.2.3.4\n"), "a prefix is another body");
        assert!(!c.holds("f", b"1.2.3.4\n5.6.7.9\n"));
        assert!(!c.holds("g", b""), "no copy holds nothing, not the empty body");
    }

    #[test]
    fn a_body_bigger_than_the_chunks_round_trips() {
        let d = tmpdir("big");
        let c = FeedCache::new(&d);
        // Incompressible enough to span many input and output chunks.
        let mut x = 1u64;
        let body: Vec<u8> = (0..600_000)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                b'a' + (x >> 59) as u8
            })
            .collect();
        c.store("f", &body, &CacheMeta::default()).unwrap();
        assert_eq!(c.body("f", body.len()).unwrap().unwrap(), body);
        assert!(c.holds("f", &body));
        let mut other = body.clone();
        other[599_999] ^= 1;
        assert!(!c.holds("f", &other));
        assert!(matches!(c.body("f", body.len() - 1), Err(StateError::Corrupt(_))));
        assert!(c.intact("f", body.len()) && !c.intact("f", body.len() - 1) && !c.intact("g", 1 << 20));
        // A truncated file is corrupt, not a shorter body.
        let z = fs::read(d.join("feeds/f.z")).unwrap();
        fs::write(d.join("feeds/f.z"), &z[..z.len() / 2]).unwrap();
        assert!(matches!(c.body("f", 1 << 20), Err(StateError::Corrupt(_))));
        assert!(!c.intact("f", 1 << 20));
    }

    #[test]
    fn corrupt_or_oversized_cache_is_refused() {
        let d = tmpdir("corrupt");
        let c = FeedCache::new(&d);
        c.store("f", &vec![b'a'; 10_000], &CacheMeta::default()).unwrap();
        assert!(matches!(c.body("f", 100), Err(StateError::Corrupt(_))));
        fs::write(d.join("feeds/f.z"), b"garbage").unwrap();
        assert!(matches!(c.body("f", 1 << 20), Err(StateError::Corrupt(_))));
    }

    #[test]
    fn second_lock_waits_then_reports_busy() {
        let d = tmpdir("lock");
        let p = d.join("sync.lock");
        let held = SyncLock::acquire(&p, Duration::ZERO).unwrap();
        let e = SyncLock::acquire(&p, Duration::from_millis(200)).err().unwrap();
        assert!(e.to_string().contains("another iocguard sync is running"), "{e}");
        drop(held);
        assert!(SyncLock::acquire(&p, Duration::ZERO).is_ok());
    }
}
