//! The host log's files. On flash (`state_dir`): the table snapshot
//! `hosts.json` and the ack journal `acks.jsonl`; in RAM (`run_dir`):
//! the event log `events.jsonl`, the counters `hosts-status.json` and the
//! control socket. Everything that names machines is 0600.
//!
//! Loading never refuses to run: a snapshot that cannot be read is moved
//! aside to `hosts.json.corrupt` with a warning and the table starts
//! empty; then the journal's acks are replayed (they are idempotent, see
//! `hosts::table`), so an ack the CLI made while the daemon was down, or
//! after its last snapshot, is never lost.

use crate::fsio::{write_atomic_mode, WriteError};
use crate::hosts::table::parse_acks;
use crate::hosts::{snapshot, Ack, AckOutcome, HostTable};
use crate::linelog::LineLog;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The snapshot's file name in `state_dir`.
pub const SNAPSHOT: &str = "hosts.json";
/// The ack journal's file name in `state_dir`.
pub const JOURNAL: &str = "acks.jsonl";
/// The event log's file name in `run_dir`.
pub const EVENTS: &str = "events.jsonl";
/// The counters' file name in `run_dir`.
pub const STATUS: &str = "hosts-status.json";
/// The control socket's file name in `run_dir`.
pub const SOCKET: &str = "control.sock";
/// Size at which the event log is rotated (two files at most in RAM).
pub const EVENTS_CAP: u64 = 1 << 20;
/// Bytes of the ack journal read at most: acks are typed by people.
const JOURNAL_MAX: u64 = 4 << 20;

/// Where the host log keeps its files.
#[derive(Debug, Clone)]
pub struct Store {
    state_dir: PathBuf,
    run_dir: PathBuf,
}

/// A table as loaded, with what the admin should hear about it.
pub struct Loaded {
    /// The table: the snapshot's, with the journal replayed.
    pub table: HostTable,
    /// When the snapshot was written (0: none).
    pub saved: u64,
    /// Warnings: a snapshot moved aside, hosts cut to the capacity,
    /// unreadable journal lines.
    pub warnings: Vec<String>,
    /// Each journal ack with what replaying it did (`None`: its host is
    /// gone).
    pub replayed: Vec<(Ack, Option<AckOutcome>)>,
}

impl Store {
    /// The files under `state_dir` and `run_dir`.
    pub fn new(state_dir: &Path, run_dir: &Path) -> Store {
        Store {
            state_dir: state_dir.to_path_buf(),
            run_dir: run_dir.to_path_buf(),
        }
    }

    /// The snapshot's path.
    pub fn snapshot_path(&self) -> PathBuf {
        self.state_dir.join(SNAPSHOT)
    }

    /// The journal's path.
    pub fn journal_path(&self) -> PathBuf {
        self.state_dir.join(JOURNAL)
    }

    /// The control socket's path.
    pub fn socket_path(&self) -> PathBuf {
        self.run_dir.join(SOCKET)
    }

    /// The counters file's path.
    pub fn status_path(&self) -> PathBuf {
        self.run_dir.join(STATUS)
    }

    /// The event log.
    pub fn events(&self) -> LineLog {
        LineLog::new(self.run_dir.join(EVENTS), EVENTS_CAP)
    }

    /// Loads the snapshot (moving a bad one aside when `repair`, as the
    /// daemon does; the CLI only reads) and replays the journal.
    pub fn load(&self, capacity: usize, repair: bool) -> Loaded {
        let path = self.snapshot_path();
        let mut warnings = Vec::new();
        let (mut table, saved) = match read_capped(&path, snapshot::MAX_BYTES as u64) {
            Ok(None) => (HostTable::new(capacity), 0),
            Ok(Some(bytes)) => match snapshot::decode(&bytes, capacity) {
                Ok(r) => {
                    if r.dropped > 0 {
                        warnings.push(format!(
                            "{}: {} hosts beyond host_capacity {capacity} were dropped",
                            path.display(),
                            r.dropped
                        ));
                    }
                    (r.table, r.saved)
                }
                Err(e) => {
                    warnings.push(self.set_aside(&path, &e.to_string(), repair));
                    (HostTable::new(capacity), 0)
                }
            },
            Err(e) => {
                warnings.push(self.set_aside(&path, &e, repair));
                (HostTable::new(capacity), 0)
            }
        };
        let (acks, bad) = match read_capped(&self.journal_path(), JOURNAL_MAX) {
            Ok(Some(b)) => parse_acks(&String::from_utf8_lossy(&b)),
            Ok(None) => (Vec::new(), 0),
            Err(e) => {
                warnings.push(format!(
                    "{}: {e}; acks in it are not applied",
                    self.journal_path().display()
                ));
                (Vec::new(), 0)
            }
        };
        if bad > 0 {
            warnings.push(format!(
                "{}: {bad} lines are not acks and were skipped",
                self.journal_path().display()
            ));
        }
        let replayed = acks
            .into_iter()
            .map(|a| {
                let r = table.apply_ack(&a).ok();
                (a, r)
            })
            .collect();
        Loaded {
            table,
            saved,
            warnings,
            replayed,
        }
    }

    fn set_aside(&self, path: &Path, why: &str, repair: bool) -> String {
        if !repair {
            return format!("{}: {why}; showing an empty table", path.display());
        }
        let aside = path.with_extension("json.corrupt");
        match std::fs::rename(path, &aside) {
            Ok(()) => format!(
                "{}: {why}; moved to {} and starting with an empty host table",
                path.display(),
                aside.display()
            ),
            Err(e) => format!(
                "{}: {why}; could not move it aside ({e}); starting with an empty host table",
                path.display()
            ),
        }
    }

    /// Writes the table to flash atomically, 0600.
    pub fn save(&self, bytes: &[u8]) -> Result<(), WriteError> {
        write_atomic_mode(&self.snapshot_path(), bytes, 0o600)
    }

    /// Appends an ack to the journal, durably, before the daemon is told:
    /// whatever happens next, the ack is replayed at the next start.
    pub fn append_ack(&self, ack: &Ack) -> Result<(), WriteError> {
        let path = self.journal_path();
        let err = |source| WriteError {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(&self.state_dir).map_err(err)?;
        let mut o = std::fs::OpenOptions::new();
        o.create(true).append(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            o.mode(0o600);
        }
        let mut f = o.open(&path).map_err(err)?;
        f.write_all(format!("{}\n", ack.to_line()).as_bytes())
            .map_err(err)?;
        f.sync_all().map_err(err)
    }

    /// Rewrites the journal with only `keep` (the daemon, after a replay:
    /// acks a snapshot holds or whose host is gone are dropped, so an old
    /// ack is never replayed onto a later machine with the same address).
    pub fn rewrite_journal(&self, keep: &[Ack]) -> Result<(), WriteError> {
        let text: String = keep.iter().map(|a| a.to_line() + "\n").collect();
        let path = self.journal_path();
        if keep.is_empty() && !path.exists() {
            return Ok(());
        }
        write_atomic_mode(&path, text.as_bytes(), 0o600)
    }
}

/// The file's bytes, `None` when it does not exist, an error sentence
/// when it cannot be read or is larger than `cap`.
fn read_capped(path: &Path, cap: u64) -> Result<Option<Vec<u8>>, String> {
    let f = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot be read: {e}")),
    };
    let mut bytes = Vec::new();
    f.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot be read: {e}"))?;
    if bytes.len() as u64 > cap {
        return Err(format!("is larger than {cap} bytes"));
    }
    Ok(Some(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hosts::{Event, Hit, HostKey, IpHit, Mac, Proto};

    struct Dirs(PathBuf);
    impl Dirs {
        fn new(tag: &str) -> Dirs {
            let d = std::env::temp_dir().join(format!("iocg-store-{tag}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&d);
            Dirs(d)
        }
        fn store(&self) -> Store {
            Store::new(&self.0.join("state"), &self.0.join("run"))
        }
    }
    impl Drop for Dirs {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    const T: u64 = 1_764_370_000;
    const MAC: Mac = Mac([2, 0, 0, 0, 1, 0x10]);

    fn table_with_host() -> HostTable {
        let mut t = HostTable::new(16);
        t.record(
            &Event {
                time: T,
                src: "192.0.2.10".parse().unwrap(),
                mac: Some(MAC),
                hit: Hit::Ip(IpHit {
                    dst: "203.0.113.70".parse().unwrap(),
                    proto: Proto::Tcp,
                    dport: Some(8080),
                    iif: None,
                    oif: None,
                }),
                listed: "203.0.113.0/24".into(),
                feeds: vec!["campaign".into()],
            },
            T,
        );
        t
    }

    fn mode(p: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn snapshot_and_journal_round_trip_with_private_modes() {
        let d = Dirs::new("trip");
        let s = d.store();
        let empty = s.load(16, true);
        assert_eq!((empty.table.len(), empty.saved), (0, 0));
        assert!(empty.warnings.is_empty());
        s.save(&snapshot::encode(&table_with_host(), T + 5)).unwrap();
        assert_eq!(mode(&s.snapshot_path()), 0o600);
        let ack = Ack {
            key: HostKey::Mac(MAC),
            at: T + 100,
            note: "reimaged".into(),
        };
        s.append_ack(&ack).unwrap();
        assert_eq!(mode(&s.journal_path()), 0o600);
        let l = s.load(16, true);
        assert_eq!((l.table.len(), l.saved), (1, T + 5));
        assert_eq!(l.replayed, [(ack.clone(), Some(AckOutcome::Acknowledged))]);
        let h = l.table.get(&HostKey::Mac(MAC)).unwrap();
        assert_eq!(h.state.ack_at(), Some(T + 100));
        s.rewrite_journal(&[]).unwrap();
        assert_eq!(std::fs::read_to_string(s.journal_path()).unwrap(), "");
    }

    #[test]
    fn a_corrupt_snapshot_is_moved_aside_and_the_table_starts_empty() {
        let d = Dirs::new("corrupt");
        let s = d.store();
        let good = snapshot::encode(&table_with_host(), T);
        s.save(&good[..good.len() / 2]).unwrap();
        // The CLI only reads: the file stays where it is.
        let l = s.load(16, false);
        assert_eq!(l.table.len(), 0);
        assert!(l.warnings[0].contains("truncated"), "{:?}", l.warnings);
        assert!(s.snapshot_path().exists());
        let l = s.load(16, true);
        assert_eq!(l.table.len(), 0);
        assert!(
            l.warnings[0].contains("moved to")
                && l.warnings[0].ends_with("starting with an empty host table"),
            "{:?}",
            l.warnings
        );
        assert!(!s.snapshot_path().exists());
        assert!(s.snapshot_path().with_extension("json.corrupt").exists());
        // A torn journal line is skipped and said.
        std::fs::write(s.journal_path(), "{\"key\":\"02:00:00:00:01:10\",\"at\":5\n").unwrap();
        let l = s.load(16, true);
        assert!(
            l.warnings.iter().any(|w| w.contains("1 lines are not acks")),
            "{:?}",
            l.warnings
        );
    }

    #[test]
    fn an_oversized_snapshot_is_not_read() {
        let d = Dirs::new("big");
        let s = d.store();
        std::fs::create_dir_all(d.0.join("state")).unwrap();
        assert_eq!(read_capped(&s.snapshot_path(), 10), Ok(None));
        std::fs::write(s.snapshot_path(), vec![b' '; 11]).unwrap();
        assert_eq!(
            read_capped(&s.snapshot_path(), 10),
            Err("is larger than 10 bytes".into())
        );
    }
}
