//! The set loader: makes the kernel's indicator sets hold the wanted
//! ranges, changing only the difference, in bounded transactions.
//!
//! One update reads what is installed — from the record of the last
//! commit when [`state::trusted`] allows, else from an element dump —,
//! plans the changes ([`diff`]), commits them transaction by transaction,
//! and then saves or drops the record ([`state::after_update`]). A
//! refusal that says the record was wrong is retried once against a dump
//! ([`state::retry_with_dump`]).
//!
//! The kernel is reached through the small `SetIo` seam: netlink in
//! production ([`Loader`]), an in-memory set model in the tests at the
//! bottom, so that the record, retry and ordering logic is tested without
//! root.

use super::diff::{self, Changes};
use super::error::NftError;
use super::netlink::socket::{NlError, Socket};
use super::netlink::{elems_to_ranges, end_elem_len, Batch, ElemOp, Key, MAX_LIST_BYTES};
use super::state::{self, Handles, SpotCheck};
use std::path::PathBuf;
use std::time::Instant;

/// Ranges per transaction. The kernel commits 20k–100k-element
/// transactions about 5× cheaper than one huge one (DESIGN.md), and
/// 32k IPv4 ranges are 64k elements, ~1.3 MiB of batch.
pub const DEFAULT_TXN_RANGES: usize = 32 * 1024;

/// What one set update did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SetUpdate {
    /// The set's name.
    pub set: String,
    /// Ranges installed before.
    pub before: usize,
    /// Ranges installed after.
    pub after: usize,
    /// Ranges added.
    pub added: usize,
    /// Ranges deleted.
    pub deleted: usize,
    /// Kernel transactions used.
    pub transactions: usize,
    /// Where the installed ranges were read from: `record` or `kernel`.
    pub source: &'static str,
    /// Wall time of the whole set update, milliseconds.
    pub millis: u64,
}

/// How a set stores its elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetKind {
    /// `flags interval`: ranges as start/end element pairs (rbtree).
    Interval,
    /// A plain hash set of single addresses: about 4× cheaper per element
    /// for the kernel than an interval set (DESIGN.md).
    Hash,
}

/// Where an update took the installed ranges from (`SetUpdate::source`).
const FROM_RECORD: &str = "record";
/// See [`FROM_RECORD`].
const FROM_KERNEL: &str = "kernel";

/// The kernel operations a set update needs.
trait SetIo<K> {
    /// The table's and the set's handles, when both exist.
    fn handles(&mut self, table: &str, set: &str) -> Result<Option<Handles>, NlError>;
    /// Whether the set holds an element at `key`.
    fn has_elem(&mut self, table: &str, set: &str, key: K) -> Result<bool, NlError>;
    /// Whether the set holds no element at all.
    fn is_empty(&mut self, table: &str, set: &str) -> Result<bool, NlError>;
    /// The installed ranges, sorted (a hash set's elements as
    /// one-address ranges).
    fn dump(&mut self, table: &str, set: &str, kind: SetKind) -> Result<Vec<(K, K)>, NlError>;
    /// Commits one transaction: delete `del`, then add `add`; all or
    /// nothing.
    fn transact(
        &mut self,
        table: &str,
        set: &str,
        kind: SetKind,
        del: &[(K, K)],
        add: &[(K, K)],
    ) -> Result<(), NlError>;
}

/// The netlink side: one socket and one reused batch buffer.
struct Netlink {
    sock: Socket,
    batch: Batch,
}

impl Netlink {
    fn fill<K: Key>(&mut self, table: &str, set: &str, kind: SetKind, op: ElemOp, ranges: &[(K, K)]) {
        let mut open = false;
        for &(a, b) in ranges {
            // A range is at most two elements; start a new message before
            // the list attribute could overflow its u16 length.
            if !open || self.batch.open_list_bytes() + 2 * end_elem_len::<K>() > MAX_LIST_BYTES {
                self.batch.open_elems(op, table, set);
                open = true;
            }
            match kind {
                SetKind::Interval => self.batch.push_range(a, b),
                SetKind::Hash => self.batch.push_elem(a, false),
            }
        }
        self.batch.close_elems();
    }
}

impl<K: Key> SetIo<K> for Netlink {
    fn handles(&mut self, table: &str, set: &str) -> Result<Option<Handles>, NlError> {
        Ok(
            match (self.sock.table_handle(table)?, self.sock.set_handle(table, set)?) {
                (Some(table), Some(set)) => Some(Handles { table, set }),
                _ => None,
            },
        )
    }

    fn has_elem(&mut self, table: &str, set: &str, key: K) -> Result<bool, NlError> {
        self.sock.has_elem(table, set, key)
    }

    fn is_empty(&mut self, table: &str, set: &str) -> Result<bool, NlError> {
        let mut any = false;
        self.sock.dump_elems::<K>(table, set, |_, _| any = true)?;
        Ok(!any)
    }

    fn dump(&mut self, table: &str, set: &str, kind: SetKind) -> Result<Vec<(K, K)>, NlError> {
        let mut elems: Vec<(K, bool)> = Vec::new();
        self.sock
            .dump_elems::<K>(table, set, |k, end| elems.push((k, end)))?;
        // End elements sort before start elements at the same key, so
        // adjacent intervals pair up correctly.
        elems.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        Ok(match kind {
            SetKind::Interval => elems_to_ranges(&elems),
            SetKind::Hash => elems.into_iter().map(|(k, _)| (k, k)).collect(),
        })
    }

    fn transact(
        &mut self,
        table: &str,
        set: &str,
        kind: SetKind,
        del: &[(K, K)],
        add: &[(K, K)],
    ) -> Result<(), NlError> {
        let seq = self.sock.take_seq(0);
        self.batch.reset(seq);
        self.fill(table, set, kind, ElemOp::Delete, del);
        self.fill(table, set, kind, ElemOp::Add, add);
        let (bytes, acks) = self.batch.finish();
        let r = self.sock.transact(bytes, acks);
        // Keep the socket's sequence numbers past this batch.
        self.sock.take_seq(self.batch.next_seq().wrapping_sub(seq));
        r
    }
}

/// Streams set elements to the kernel in bounded transactions.
pub struct Loader {
    sets: Sets<Netlink>,
}

impl Loader {
    /// Opens the netlink socket (in the caller's network namespace).
    pub fn new() -> Result<Self, NftError> {
        let io = Netlink {
            sock: Socket::open().map_err(NftError::Socket)?,
            batch: Batch::new(0),
        };
        Ok(Loader { sets: Sets::new(io) })
    }

    /// Keeps a record of committed ranges in `dir` (see [`state`]);
    /// without one every update dumps the kernel set.
    pub fn with_state_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.sets.state_dir = Some(dir.into());
        self
    }

    /// Sets the number of ranges per transaction (for benchmarks).
    pub fn with_txn_ranges(mut self, n: usize) -> Self {
        self.sets.txn_ranges = n.max(1);
        self
    }

    /// The ranges the kernel holds in `table`/`set`, sorted (a hash set's
    /// elements as one-address ranges).
    pub fn installed<K: Key>(
        &mut self,
        table: &str,
        set: &str,
        kind: SetKind,
    ) -> Result<Vec<(K, K)>, NftError> {
        self.sets.dump(table, set, kind)
    }

    /// Makes the interval set `table`/`set` hold exactly `wanted` (sorted,
    /// disjoint, non-adjacent inclusive ranges), changing only the
    /// difference.
    pub fn sync<K: Key>(&mut self, table: &str, set: &str, wanted: &[(K, K)]) -> Result<SetUpdate, NftError> {
        let t0 = Instant::now();
        let mut u = self.sets.sync(table, set, wanted)?;
        u.millis = t0.elapsed().as_millis() as u64;
        Ok(u)
    }

    /// Makes a family's pair of sets hold `hosts` (single addresses, in
    /// the hash set `host_set`) and `nets` (real ranges, in the interval
    /// set `net_set`). Addresses that move between the two stay blocked
    /// throughout (see [`diff::split_changes`]).
    pub fn sync_split<K: Key>(
        &mut self,
        table: &str,
        host_set: &str,
        net_set: &str,
        hosts: &[(K, K)],
        nets: &[(K, K)],
    ) -> Result<[SetUpdate; 2], NftError> {
        let t0 = Instant::now();
        let mut u = self.sets.sync_split(table, host_set, net_set, hosts, nets)?;
        let ms = t0.elapsed().as_millis() as u64;
        u[0].millis = ms;
        u[1].millis = ms;
        Ok(u)
    }

    /// Deletes `del` and adds `add` (each sorted and disjoint), in
    /// transactions that never split a cluster; returns how many.
    pub fn apply_changes<K: Key>(
        &mut self,
        table: &str,
        set: &str,
        kind: SetKind,
        del: &[(K, K)],
        add: &[(K, K)],
    ) -> Result<usize, NftError> {
        self.sets.apply_changes(table, set, kind, del, add)
    }
}

/// The update logic over any `SetIo`.
struct Sets<IO> {
    io: IO,
    txn_ranges: usize,
    state_dir: Option<PathBuf>,
}

/// One set's installed contents and where they were read from.
struct Prepared<K> {
    path: Option<PathBuf>,
    handles: Option<Handles>,
    installed: Vec<(K, K)>,
    source: &'static str,
}

impl<K: Key> Prepared<K> {
    /// Saves (after success) or drops (after a failure) the set's record.
    fn finish(&self, committed: bool, wanted: &[(K, K)]) {
        if let Some(p) = &self.path {
            state::finish(p, state::after_update(committed, self.handles), wanted);
        }
    }
}

/// The counts of one set's update (`millis` is the caller's).
fn counts<K: Key>(set: &str, installed: &[(K, K)], wanted: &[(K, K)], source: &'static str) -> SetUpdate {
    SetUpdate {
        set: set.into(),
        before: installed.len(),
        after: wanted.len(),
        source,
        ..SetUpdate::default()
    }
}

impl<IO> Sets<IO> {
    fn new(io: IO) -> Self {
        Sets {
            io,
            txn_ranges: DEFAULT_TXN_RANGES,
            state_dir: None,
        }
    }

    fn dump<K: Key>(&mut self, table: &str, set: &str, kind: SetKind) -> Result<Vec<(K, K)>, NftError>
    where
        IO: SetIo<K>,
    {
        self.io.dump(table, set, kind).map_err(|source| NftError::Read {
            table: table.into(),
            set: set.into(),
            source,
        })
    }

    /// What is installed in one set: from the record when it can be
    /// trusted, else from a kernel dump (always from a dump when `fresh`).
    fn prepare<K: Key>(
        &mut self,
        table: &str,
        set: &str,
        kind: SetKind,
        fresh: bool,
    ) -> Result<Prepared<K>, NftError>
    where
        IO: SetIo<K>,
    {
        let handles = self.io.handles(table, set).map_err(NftError::Socket)?;
        let path = self.state_dir.as_ref().map(|d| state::path(d, table, set));
        let io = &mut self.io;
        let recorded = state::trusted::<K, _>(path.as_deref(), handles, fresh, |check| match check {
            SpotCheck::Empty => io.is_empty(table, set),
            SpotCheck::Starts(keys) => {
                for k in keys {
                    if !io.has_elem(table, set, k)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
        })
        .map_err(NftError::Socket)?;
        let (installed, source) = match recorded {
            Some(r) => (r, FROM_RECORD),
            None => (self.dump(table, set, kind)?, FROM_KERNEL),
        };
        Ok(Prepared {
            path,
            handles,
            installed,
            source,
        })
    }

    fn sync<K: Key>(&mut self, table: &str, set: &str, wanted: &[(K, K)]) -> Result<SetUpdate, NftError>
    where
        IO: SetIo<K>,
    {
        let mut fresh = false;
        loop {
            let prep = self.prepare::<K>(table, set, SetKind::Interval, fresh)?;
            let mut u = counts(set, &prep.installed, wanted, prep.source);
            let changes = Changes::between(&prep.installed, wanted);
            let r = self.apply(table, set, SetKind::Interval, &changes, &mut u);
            prep.finish(r.is_ok(), wanted);
            match r {
                // A record that disagrees with the kernel (hand edits):
                // retry once against the truth.
                Err(e) if state::retry_with_dump(&e, prep.source == FROM_RECORD, fresh) => {
                    log::warn!("set {set}: the kernel disagrees with the record; re-reading the set");
                    fresh = true;
                }
                r => return r.map(|()| u),
            }
        }
    }

    fn sync_split<K: Key>(
        &mut self,
        table: &str,
        host_set: &str,
        net_set: &str,
        hosts: &[(K, K)],
        nets: &[(K, K)],
    ) -> Result<[SetUpdate; 2], NftError>
    where
        IO: SetIo<K>,
    {
        let mut fresh = false;
        loop {
            let ph = self.prepare::<K>(table, host_set, SetKind::Hash, fresh)?;
            let pn = self.prepare::<K>(table, net_set, SetKind::Interval, fresh)?;
            let mut hu = counts(host_set, &ph.installed, hosts, ph.source);
            let mut nu = counts(net_set, &pn.installed, nets, pn.source);
            let c = diff::split_changes(&ph.installed, &pn.installed, hosts, nets);
            let late = Changes {
                del: c.hosts_after.into(),
                add: (&[][..]).into(),
            };
            let r = self
                .apply(table, host_set, SetKind::Hash, &c.hosts, &mut hu)
                .and_then(|()| self.apply(table, net_set, SetKind::Interval, &c.nets, &mut nu))
                .and_then(|()| self.apply(table, host_set, SetKind::Hash, &late, &mut hu));
            ph.finish(r.is_ok(), hosts);
            pn.finish(r.is_ok(), nets);
            match r {
                Err(e)
                    if state::retry_with_dump(
                        &e,
                        ph.source == FROM_RECORD || pn.source == FROM_RECORD,
                        fresh,
                    ) =>
                {
                    log::warn!("sets {host_set}/{net_set}: the kernel disagrees with the record; re-reading");
                    fresh = true;
                }
                r => return r.map(|()| [hu, nu]),
            }
        }
    }

    /// Applies `c` to one set and adds what it did to `u`.
    fn apply<K: Key>(
        &mut self,
        table: &str,
        set: &str,
        kind: SetKind,
        c: &Changes<'_, K>,
        u: &mut SetUpdate,
    ) -> Result<(), NftError>
    where
        IO: SetIo<K>,
    {
        u.transactions += self.apply_changes(table, set, kind, &c.del, &c.add)?;
        u.added += c.add.len();
        u.deleted += c.del.len();
        Ok(())
    }

    fn apply_changes<K: Key>(
        &mut self,
        table: &str,
        set: &str,
        kind: SetKind,
        del: &[(K, K)],
        add: &[(K, K)],
    ) -> Result<usize, NftError>
    where
        IO: SetIo<K>,
    {
        let plan = diff::plan(del, add, self.txn_ranges, K::succ);
        let total = del.len() + add.len();
        let mut done = 0;
        for t in &plan {
            match self
                .io
                .transact(table, set, kind, &del[t.del.clone()], &add[t.add.clone()])
            {
                Ok(()) => done += t.del.len() + t.add.len(),
                Err(NlError::Kernel(errno)) => {
                    return Err(NftError::Refused {
                        set: set.into(),
                        errno,
                        done,
                        total,
                    })
                }
                Err(e) => return Err(NftError::Socket(e)),
            }
        }
        Ok(plan.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::errno::Errno;
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::Path;

    const T: &str = "t";

    /// One committed or refused transaction: set, deletes, adds.
    type Logged = (String, Vec<(u32, u32)>, Vec<(u32, u32)>);

    /// The kernel as the loader sees it: sets of ranges with handles, all
    /// or nothing transactions that refuse deleting what is absent
    /// (`ENOENT`) and adding what is there (`EEXIST`), and an optional
    /// injected refusal of the n-th transaction.
    #[derive(Default)]
    struct FakeKernel {
        table: Option<u64>,
        sets: BTreeMap<String, (u64, BTreeSet<(u32, u32)>)>,
        dumps: Vec<String>,
        log: Vec<Logged>,
        refuse: Option<(usize, Errno)>,
    }

    impl FakeKernel {
        fn new(sets: &[(&str, u64)]) -> Self {
            FakeKernel {
                table: Some(1),
                sets: sets
                    .iter()
                    .map(|&(s, h)| (s.to_string(), (h, BTreeSet::new())))
                    .collect(),
                ..FakeKernel::default()
            }
        }

        fn holds(&self, set: &str) -> Vec<(u32, u32)> {
            self.sets[set].1.iter().copied().collect()
        }

        fn put(&mut self, set: &str, ranges: &[(u32, u32)]) {
            self.sets.get_mut(set).unwrap().1 = ranges.iter().copied().collect();
        }
    }

    impl SetIo<u32> for FakeKernel {
        fn handles(&mut self, table: &str, set: &str) -> Result<Option<Handles>, NlError> {
            assert_eq!(table, T);
            Ok(self
                .table
                .zip(self.sets.get(set))
                .map(|(t, s)| Handles { table: t, set: s.0 }))
        }

        fn has_elem(&mut self, _: &str, set: &str, key: u32) -> Result<bool, NlError> {
            Ok(self.sets[set].1.iter().any(|r| r.0 == key))
        }

        fn is_empty(&mut self, _: &str, set: &str) -> Result<bool, NlError> {
            Ok(self.sets[set].1.is_empty())
        }

        fn dump(&mut self, _: &str, set: &str, _: SetKind) -> Result<Vec<(u32, u32)>, NlError> {
            self.dumps.push(set.into());
            Ok(self.holds(set))
        }

        fn transact(
            &mut self,
            _: &str,
            set: &str,
            _: SetKind,
            del: &[(u32, u32)],
            add: &[(u32, u32)],
        ) -> Result<(), NlError> {
            let n = self.log.len();
            self.log.push((set.into(), del.to_vec(), add.to_vec()));
            if let Some((at, errno)) = self.refuse {
                if at == n {
                    return Err(NlError::Kernel(errno));
                }
            }
            let mut next = self.sets[set].1.clone();
            for r in del {
                if !next.remove(r) {
                    return Err(NlError::Kernel(Errno::ENOENT));
                }
            }
            for r in add {
                if !next.insert(*r) {
                    return Err(NlError::Kernel(Errno::EEXIST));
                }
            }
            self.sets.get_mut(set).unwrap().1 = next;
            Ok(())
        }
    }

    /// A state directory removed at the end of the test.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(tag: &str) -> Self {
            let d = std::env::temp_dir().join(format!("iocg-loader-{tag}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&d);
            Scratch(d)
        }

        fn record(&self, set: &str) -> PathBuf {
            state::path(&self.0, T, set)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn sets(k: FakeKernel, dir: &Scratch, txn_ranges: usize) -> Sets<FakeKernel> {
        Sets {
            io: k,
            txn_ranges,
            state_dir: Some(dir.0.clone()),
        }
    }

    fn update(
        set: &str,
        before: usize,
        after: usize,
        added: usize,
        deleted: usize,
        txns: usize,
        source: &'static str,
    ) -> SetUpdate {
        SetUpdate {
            set: set.into(),
            before,
            after,
            added,
            deleted,
            transactions: txns,
            source,
            millis: 0,
        }
    }

    fn record(p: &Path, set_handle: u64) -> Option<Vec<(u32, u32)>> {
        state::load::<u32>(
            p,
            Handles {
                table: 1,
                set: set_handle,
            },
        )
    }

    const A: [(u32, u32); 3] = [(10, 20), (30, 30), (40, 50)];
    const B: [(u32, u32); 3] = [(10, 20), (30, 35), (60, 60)];

    #[test]
    fn a_first_load_reads_the_kernel_and_records_the_commit() {
        let dir = Scratch::new("first");
        let mut s = sets(FakeKernel::new(&[("v4", 7)]), &dir, 100);
        assert_eq!(
            s.sync(T, "v4", &A).unwrap(),
            update("v4", 0, 3, 3, 0, 1, "kernel")
        );
        assert_eq!(s.io.holds("v4"), A);
        assert_eq!(s.io.dumps, ["v4"]);
        assert_eq!(record(&dir.record("v4"), 7), Some(A.to_vec()));
    }

    #[test]
    fn the_next_update_diffs_against_the_record_without_a_dump() {
        let dir = Scratch::new("next");
        let mut s = sets(FakeKernel::new(&[("v4", 7)]), &dir, 100);
        s.sync(T, "v4", &A).unwrap();
        assert_eq!(
            s.sync(T, "v4", &B).unwrap(),
            update("v4", 3, 3, 2, 2, 1, "record")
        );
        assert_eq!(s.io.dumps, ["v4"], "only the first load dumped");
        assert_eq!(
            s.io.log[1],
            ("v4".into(), vec![(30, 30), (40, 50)], vec![(30, 35), (60, 60)])
        );
        assert_eq!(s.io.holds("v4"), B);
        assert_eq!(record(&dir.record("v4"), 7), Some(B.to_vec()));
    }

    #[test]
    fn a_corrupt_record_falls_back_to_a_dump() {
        let dir = Scratch::new("corrupt");
        let mut s = sets(FakeKernel::new(&[("v4", 7)]), &dir, 100);
        s.sync(T, "v4", &A).unwrap();
        let p = dir.record("v4");
        let mut bytes = std::fs::read(&p).unwrap();
        bytes.truncate(bytes.len() - 3);
        std::fs::write(&p, bytes).unwrap();
        assert_eq!(
            s.sync(T, "v4", &B).unwrap(),
            update("v4", 3, 3, 2, 2, 1, "kernel")
        );
        assert_eq!(s.io.dumps, ["v4", "v4"]);
        assert_eq!(record(&p, 7), Some(B.to_vec()), "rewritten whole");
    }

    #[test]
    fn a_recreated_set_with_new_handles_is_read_from_the_kernel() {
        let dir = Scratch::new("handles");
        let mut s = sets(FakeKernel::new(&[("v4", 7)]), &dir, 100);
        s.sync(T, "v4", &A).unwrap();
        // fw4 flush and a new ruleset: a new, empty set.
        s.io.sets.insert("v4".into(), (8, BTreeSet::new()));
        assert_eq!(
            s.sync(T, "v4", &B).unwrap(),
            update("v4", 0, 3, 3, 0, 1, "kernel")
        );
        assert_eq!(s.io.holds("v4"), B);
        assert_eq!(record(&dir.record("v4"), 8), Some(B.to_vec()));
        assert_eq!(record(&dir.record("v4"), 7), None);
    }

    #[test]
    fn a_record_that_fails_the_spot_check_is_not_used() {
        let dir = Scratch::new("spot");
        let mut s = sets(FakeKernel::new(&[("v4", 7)]), &dir, 100);
        s.sync(T, "v4", &A).unwrap();
        // Same handles, other contents (a namespace created anew): the
        // middle recorded start 30 is missing.
        s.io.put("v4", &[(10, 20), (40, 50)]);
        assert_eq!(
            s.sync(T, "v4", &B).unwrap(),
            update("v4", 2, 3, 2, 1, 1, "kernel")
        );
        assert_eq!(s.io.holds("v4"), B);
        // An empty record is trusted only for an empty set.
        s.sync(T, "v4", &[]).unwrap();
        s.io.put("v4", &[(1, 1)]);
        assert_eq!(
            s.sync(T, "v4", &A).unwrap(),
            update("v4", 1, 3, 3, 1, 1, "kernel")
        );
    }

    #[test]
    fn a_record_the_kernel_contradicts_is_retried_once_against_a_dump() {
        let dir = Scratch::new("retry");
        let wanted: Vec<(u32, u32)> = (0..5).map(|i| (i * 10, i * 10 + 1)).collect();
        let mut s = sets(FakeKernel::new(&[("v4", 7)]), &dir, 100);
        s.sync(T, "v4", &wanted).unwrap();
        // A hand edit the spot check (first, middle, last) cannot see.
        s.io.put("v4", &[(0, 1), (20, 21), (30, 31), (40, 41)]);
        let u = s.sync(T, "v4", &[(0, 1), (20, 21), (40, 41)]).unwrap();
        assert_eq!(u, update("v4", 4, 3, 0, 1, 1, "kernel"));
        // The refused transaction, then the retry from the dump.
        assert_eq!(s.io.log[1], ("v4".into(), vec![(10, 11), (30, 31)], vec![]));
        assert_eq!(s.io.log[2], ("v4".into(), vec![(30, 31)], vec![]));
        assert_eq!(s.io.log.len(), 3);
        assert_eq!(
            record(&dir.record("v4"), 7),
            Some(vec![(0, 1), (20, 21), (40, 41)])
        );
    }

    #[test]
    fn a_refusal_mid_way_reports_progress_and_drops_the_record() {
        let dir = Scratch::new("midway");
        let mut s = sets(FakeKernel::new(&[("v4", 7)]), &dir, 1);
        s.sync(T, "v4", &A).unwrap();
        let first = s.io.log.len();
        s.io.refuse = Some((first + 1, Errno::ENOMEM));
        let e = s.sync(
            T,
            "v4",
            &[(1, 1), (10, 20), (30, 30), (40, 50), (61, 61), (70, 70)],
        );
        match e {
            Err(NftError::Refused {
                ref set,
                errno: Errno::ENOMEM,
                done: 1,
                total: 3,
            }) if set == "v4" => {}
            other => panic!("{other:?}"),
        }
        // No retry for ENOMEM; the first transaction stays committed.
        assert_eq!(s.io.log.len(), first + 2);
        assert_eq!(s.io.holds("v4"), [(1, 1), (10, 20), (30, 30), (40, 50)]);
        assert!(!dir.record("v4").exists(), "the record is dropped");
        // So the next update reads the kernel and finishes the job.
        s.io.refuse = None;
        let u = s.sync(
            T,
            "v4",
            &[(1, 1), (10, 20), (30, 30), (40, 50), (61, 61), (70, 70)],
        );
        assert_eq!(u.unwrap(), update("v4", 4, 6, 2, 0, 2, "kernel"));
    }

    #[test]
    fn a_refusal_of_a_dump_based_update_is_not_retried() {
        let dir = Scratch::new("noretry");
        let mut s = sets(FakeKernel::new(&[("v4", 7)]), &dir, 100);
        s.io.refuse = Some((0, Errno::EEXIST));
        let e = s.sync(T, "v4", &A).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the kernel refused an update of set v4 (EEXIST: File exists); 0 of 3 changes were committed \
             before it and stay, the refused transaction was rolled back"
        );
        assert_eq!(s.io.log.len(), 1);
        assert!(!dir.record("v4").exists());
    }

    #[test]
    fn a_missing_table_means_no_record_is_written() {
        let dir = Scratch::new("notable");
        let mut k = FakeKernel::new(&[("v4", 7)]);
        k.table = None;
        let mut s = sets(k, &dir, 100);
        assert_eq!(s.sync(T, "v4", &A).unwrap().source, "kernel");
        assert!(!dir.record("v4").exists());
    }

    #[test]
    fn a_split_update_keeps_moving_addresses_blocked() {
        let dir = Scratch::new("split");
        let mut s = sets(FakeKernel::new(&[("v4h", 3), ("v4", 4)]), &dir, 100);
        let u = s
            .sync_split(T, "v4h", "v4", &[(5, 5), (7, 7), (50, 50)], &[(20, 30)])
            .unwrap();
        assert_eq!(
            u,
            [
                update("v4h", 0, 3, 3, 0, 1, "kernel"),
                update("v4", 0, 1, 1, 0, 1, "kernel")
            ]
        );
        s.io.log.clear();
        // 5 moves into the new range 0-10, 50 goes, 9 comes, and the
        // range 20-30 shrinks to the host 25.
        let u = s
            .sync_split(T, "v4h", "v4", &[(7, 7), (9, 9), (25, 25)], &[(0, 10)])
            .unwrap();
        assert_eq!(
            s.io.log,
            [
                ("v4h".into(), vec![(50, 50)], vec![(9, 9), (25, 25)]),
                ("v4".into(), vec![(20, 30)], vec![(0, 10)]),
                ("v4h".into(), vec![(5, 5)], vec![]),
            ]
        );
        assert_eq!(
            u,
            [
                update("v4h", 3, 3, 2, 2, 2, "record"),
                update("v4", 1, 1, 1, 1, 1, "record")
            ]
        );
        assert_eq!(
            record(&dir.record("v4h"), 3),
            Some(vec![(7, 7), (9, 9), (25, 25)])
        );
        assert_eq!(record(&dir.record("v4"), 4), Some(vec![(0, 10)]));
    }

    #[test]
    fn a_refused_interval_step_drops_both_records() {
        let dir = Scratch::new("splitfail");
        let mut s = sets(FakeKernel::new(&[("v4h", 3), ("v4", 4)]), &dir, 100);
        s.sync_split(T, "v4h", "v4", &[(5, 5)], &[(20, 30)]).unwrap();
        let n = s.io.log.len();
        s.io.refuse = Some((n + 1, Errno::EPERM));
        let e = s.sync_split(T, "v4h", "v4", &[(6, 6)], &[(0, 10)]).unwrap_err();
        assert!(
            matches!(e, NftError::Refused { ref set, done: 0, total: 2, .. } if set == "v4"),
            "{e:?}"
        );
        // The host step went through; the late host step never ran, so 5
        // (to be covered by the refused range 0-10) stays blocked.
        assert_eq!(s.io.log.len(), n + 2);
        assert_eq!(s.io.holds("v4h"), [(5, 5), (6, 6)]);
        assert_eq!(s.io.holds("v4"), [(20, 30)]);
        assert!(!dir.record("v4h").exists() && !dir.record("v4").exists());
    }

    #[test]
    fn changes_are_cut_into_bounded_transactions() {
        let dir = Scratch::new("bounded");
        let mut s = sets(FakeKernel::new(&[("v4h", 3)]), &dir, 2);
        let add: Vec<(u32, u32)> = (0..5).map(|i| (i * 10, i * 10)).collect();
        assert_eq!(s.apply_changes(T, "v4h", SetKind::Hash, &[], &add).unwrap(), 3);
        let sizes: Vec<usize> = s.io.log.iter().map(|l| l.2.len()).collect();
        assert_eq!(sizes, [2, 2, 1]);
    }
}
