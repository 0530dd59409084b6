//! The record of what iocguard last committed to each indicator set, so
//! that an update diffs against it instead of dumping the kernel set.
//!
//! Why not read the kernel every time: an nf_tables interval set is dumped
//! by re-walking its rbtree from the start for every reply message, which
//! is quadratic — measured 95 s for 1M ranges (and `nft list` is no
//! better). So the kernel stays the truth but is consulted only when the
//! record cannot be trusted:
//! - the record is keyed by the table's and the set's kernel handles
//!   (new handles after `fw4 flush`/a recreated table, so a stale record
//!   is never used; the recreated set is empty and dumps instantly) and
//!   by the network namespace;
//! - a transaction the kernel refuses with `ENOENT`/`EEXIST` (someone
//!   edited the set by hand) drops the record, and the update is retried
//!   once against a real dump;
//! - any other failure removes the record, so the next run dumps.
//!
//! The record lives in the RAM run directory (`/tmp/iocguard`): kernel
//! sets do not survive a reboot, and neither does it. Written to a
//! temporary file and renamed, so it is whole or absent.
//!
//! The decisions — when a record is trusted ([`trusted`]), what becomes
//! of it after an update ([`after_update`]), when a refusal is retried
//! ([`retry_with_dump`]) — are functions of data and a kernel question
//! passed in, so they are tested without a kernel.

use super::netlink::Key;
use super::NftError;
use nix::errno::Errno;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 8] = b"IOCGNFT1";

/// The kernel identity a record belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Handles {
    /// `NFTA_TABLE_HANDLE`.
    pub table: u64,
    /// `NFTA_SET_HANDLE`.
    pub set: u64,
}

/// The record's path for `table`/`set` in the current network namespace.
pub fn path(dir: &Path, table: &str, set: &str) -> PathBuf {
    use std::os::unix::fs::MetadataExt;
    // thread-self: a thread that entered another namespace (setns) gets
    // that namespace's identity, not the process's.
    let ns = std::fs::metadata("/proc/thread-self/ns/net")
        .map(|m| m.ino())
        .unwrap_or(0);
    dir.join(format!("nft-{ns}-{table}-{set}.ranges"))
}

/// Loads the record if it exists and belongs to `handles`.
pub fn load<K: Key>(path: &Path, handles: Handles) -> Option<Vec<(K, K)>> {
    let f = std::fs::File::open(path).ok()?;
    let mut r = BufReader::new(f);
    let mut hdr = [0u8; 8 + 1 + 8 + 8 + 8];
    r.read_exact(&mut hdr).ok()?;
    let u64_at = |i: usize| u64::from_le_bytes(hdr[i..i + 8].try_into().unwrap_or_default());
    if &hdr[..8] != MAGIC || hdr[8] as usize != K::LEN {
        return None;
    }
    if u64_at(9) != handles.table || u64_at(17) != handles.set {
        return None;
    }
    let n = u64_at(25) as usize;
    // Never trust a length beyond what the file can hold.
    let size = std::fs::metadata(path).ok()?.len() as usize;
    if n.checked_mul(2 * K::LEN)? != size.checked_sub(hdr.len())? {
        return None;
    }
    let mut out = Vec::with_capacity(n);
    let mut buf = [0u8; 32];
    for _ in 0..n {
        r.read_exact(&mut buf[..2 * K::LEN]).ok()?;
        let a = K::read(&buf[..K::LEN])?;
        let b = K::read(&buf[K::LEN..2 * K::LEN])?;
        out.push((a, b));
    }
    Some(out)
}

/// Writes the record atomically.
pub fn save<K: Key>(path: &Path, handles: Handles, ranges: &[(K, K)]) -> io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("tmp");
    let mut w = BufWriter::new(std::fs::File::create(&tmp)?);
    w.write_all(MAGIC)?;
    w.write_all(&[K::LEN as u8])?;
    w.write_all(&handles.table.to_le_bytes())?;
    w.write_all(&handles.set.to_le_bytes())?;
    w.write_all(&(ranges.len() as u64).to_le_bytes())?;
    let mut b = Vec::with_capacity(32);
    for &(a, z) in ranges {
        b.clear();
        a.write(&mut b);
        z.write(&mut b);
        w.write_all(&b)?;
    }
    w.into_inner().map_err(|e| e.into_error())?.sync_all().ok();
    std::fs::rename(&tmp, path)
}

/// Removes the record (nothing to do when absent).
pub fn remove(path: &Path) {
    let _ = std::fs::remove_file(path);
}

/// What the kernel must confirm before a record is trusted. Handles
/// repeat in a network namespace created anew (they count from 1), so
/// matching handles alone do not prove that the set is the recorded one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpotCheck<K> {
    /// The record is empty: the kernel set must hold no element at all.
    Empty,
    /// The kernel set must hold elements at these keys: the starts of
    /// the first, middle and last recorded ranges.
    Starts([K; 3]),
}

impl<K: Copy> SpotCheck<K> {
    /// The spot check for the record `rec`.
    pub fn of(rec: &[(K, K)]) -> Self {
        match (rec.first(), rec.get(rec.len() / 2), rec.last()) {
            (Some(a), Some(m), Some(z)) => SpotCheck::Starts([a.0, m.0, z.0]),
            _ => SpotCheck::Empty,
        }
    }
}

/// The record at `path`, when it can be trusted: it is only read when
/// the kernel reported `handles` for the table and the set and no dump
/// was demanded (`fresh`), it must belong to those handles, and the
/// kernel must pass its [`SpotCheck`] (`kernel_agrees`, asked only then).
/// `None` means: read the set from the kernel.
pub fn trusted<K: Key, E>(
    path: Option<&Path>,
    handles: Option<Handles>,
    fresh: bool,
    kernel_agrees: impl FnOnce(SpotCheck<K>) -> Result<bool, E>,
) -> Result<Option<Vec<(K, K)>>, E> {
    let (Some(path), Some(handles), false) = (path, handles, fresh) else {
        return Ok(None);
    };
    let Some(rec) = load::<K>(path, handles) else {
        return Ok(None);
    };
    Ok(kernel_agrees(SpotCheck::of(&rec))?.then_some(rec))
}

/// What becomes of a set's record once its update is over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterUpdate {
    /// Everything was committed: record the wanted ranges under the
    /// handles the set had when the update began.
    Save(Handles),
    /// Something failed, or the set had no handles: the kernel may hold
    /// anything between the old and the wanted ranges, so the record
    /// goes and the next update dumps the set.
    Remove,
}

/// The fate of a record after an update that `committed` (or not), of
/// a set that had `handles` before it.
pub fn after_update(committed: bool, handles: Option<Handles>) -> AfterUpdate {
    match (committed, handles) {
        (true, Some(h)) => AfterUpdate::Save(h),
        _ => AfterUpdate::Remove,
    }
}

/// Carries out `action` for the record at `path`; a record that cannot
/// be written is removed (with a warning), never left stale.
pub fn finish<K: Key>(path: &Path, action: AfterUpdate, wanted: &[(K, K)]) {
    match action {
        AfterUpdate::Save(h) => {
            if let Err(e) = save(path, h, wanted) {
                log::warn!(
                    "cannot write {}: {e}; the next update re-reads the kernel",
                    path.display()
                );
                remove(path);
            }
        }
        AfterUpdate::Remove => remove(path),
    }
}

/// Whether a failed update is retried once against a kernel dump: only
/// when the kernel refused because the record was wrong (`ENOENT`: a
/// recorded range is not there; `EEXIST`: an unrecorded one is), the
/// installed ranges came `from_record`, and this is not the retry.
pub fn retry_with_dump(err: &NftError, from_record: bool, retried: bool) -> bool {
    let disagrees = matches!(
        err,
        NftError::Refused {
            errno: Errno::ENOENT | Errno::EEXIST,
            ..
        }
    );
    disagrees && from_record && !retried
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_handle_check() {
        let dir = std::env::temp_dir().join(format!("iocg-state-{}", std::process::id()));
        let p = path(&dir, "t", "v6");
        let h = Handles { table: 7, set: 3 };
        let r: Vec<(u128, u128)> = vec![(1, 2), (10, u128::MAX)];
        save(&p, h, &r).unwrap();
        assert_eq!(load::<u128>(&p, h), Some(r));
        assert_eq!(load::<u128>(&p, Handles { table: 8, set: 3 }), None);
        assert_eq!(load::<u32>(&p, h), None);
        // A truncated record is refused, not half-read.
        let bytes = std::fs::read(&p).unwrap();
        std::fs::write(&p, &bytes[..bytes.len() - 1]).unwrap();
        assert_eq!(load::<u128>(&p, h), None);
        remove(&p);
        let _ = std::fs::remove_dir(&dir);
    }

    #[test]
    fn the_spot_check_asks_for_first_middle_and_last() {
        assert_eq!(SpotCheck::<u32>::of(&[]), SpotCheck::Empty);
        assert_eq!(SpotCheck::of(&[(4u32, 9)]), SpotCheck::Starts([4, 4, 4]));
        let rec = [(1u32, 1), (3, 4), (6, 6), (8, 9)];
        assert_eq!(SpotCheck::of(&rec), SpotCheck::Starts([1, 6, 8]));
    }

    #[test]
    fn a_record_is_trusted_only_with_its_handles_and_the_kernels_word() {
        let dir = std::env::temp_dir().join(format!("iocg-state-trust-{}", std::process::id()));
        let p = path(&dir, "t", "v4");
        let h = Handles { table: 7, set: 3 };
        let rec = vec![(1u32, 2), (5, 5), (9, 20)];
        save(&p, h, &rec).unwrap();
        let never = |_: SpotCheck<u32>| -> Result<bool, ()> { panic!("the kernel must not be asked") };
        // Not read at all: no state dir, no handles, or a dump demanded.
        assert_eq!(trusted(None, Some(h), false, never), Ok(None));
        assert_eq!(trusted(Some(&p), None, false, never), Ok(None));
        assert_eq!(trusted(Some(&p), Some(h), true, never), Ok(None));
        // Other handles (a recreated set): not asked either.
        let other = Handles { table: 7, set: 4 };
        assert_eq!(trusted(Some(&p), Some(other), false, never), Ok(None));
        // Matching handles: the kernel decides, and is asked the right thing.
        let mut asked = None;
        let r = trusted(Some(&p), Some(h), false, |c| {
            asked = Some(c);
            Ok::<_, ()>(true)
        });
        assert_eq!(r, Ok(Some(rec.clone())));
        assert_eq!(asked, Some(SpotCheck::Starts([1, 5, 9])));
        assert_eq!(
            trusted::<u32, ()>(Some(&p), Some(h), false, |_| Ok(false)),
            Ok(None)
        );
        assert_eq!(
            trusted::<u32, _>(Some(&p), Some(h), false, |_| Err("gone")),
            Err("gone")
        );
        // A corrupt record is not trusted, and the kernel is not asked.
        std::fs::write(&p, b"IOCGNFT1 garbage").unwrap();
        assert_eq!(trusted(Some(&p), Some(h), false, never), Ok(None));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn only_a_committed_update_with_handles_is_recorded() {
        let h = Handles { table: 1, set: 2 };
        assert_eq!(after_update(true, Some(h)), AfterUpdate::Save(h));
        assert_eq!(after_update(false, Some(h)), AfterUpdate::Remove);
        assert_eq!(after_update(true, None), AfterUpdate::Remove);
        assert_eq!(after_update(false, None), AfterUpdate::Remove);

        let dir = std::env::temp_dir().join(format!("iocg-state-finish-{}", std::process::id()));
        let p = path(&dir, "t", "v4");
        finish(&p, AfterUpdate::Save(h), &[(1u32, 1)]);
        assert_eq!(load::<u32>(&p, h), Some(vec![(1, 1)]));
        finish(&p, AfterUpdate::Remove, &[(1u32, 1)]);
        assert!(!p.exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn only_a_disagreement_with_a_record_is_retried_once() {
        let refused = |errno| NftError::Refused {
            set: "v4".into(),
            errno,
            done: 0,
            total: 1,
        };
        assert!(retry_with_dump(&refused(Errno::ENOENT), true, false));
        assert!(retry_with_dump(&refused(Errno::EEXIST), true, false));
        // Already the retry, or the ranges came from a dump.
        assert!(!retry_with_dump(&refused(Errno::ENOENT), true, true));
        assert!(!retry_with_dump(&refused(Errno::ENOENT), false, false));
        // Refusals that say nothing about the record.
        assert!(!retry_with_dump(&refused(Errno::ENOMEM), true, false));
        assert!(!retry_with_dump(&refused(Errno::EPERM), true, false));
        let read = NftError::Config("x".into());
        assert!(!retry_with_dump(&read, true, false));
    }
}
