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

use super::netlink::Key;
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
}
