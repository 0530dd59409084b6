//! The set loader: streams indicator ranges to the kernel over netlink in
//! bounded transactions, diffing against the record of the last commit
//! (see [`super::state`]) or, when that cannot be trusted, a kernel dump.

use super::netlink::socket::{NlError, Socket};
use super::netlink::{elems_to_ranges, end_elem_len, Batch, ElemOp, Key, MAX_LIST_BYTES};
use super::{diff, state, NftError, SetKind, SetUpdate, DEFAULT_TXN_RANGES};
use nix::errno::Errno;
use std::path::PathBuf;

/// Streams set elements to the kernel in bounded transactions.
pub struct Loader {
    pub(crate) sock: Socket,
    batch: Batch,
    txn_ranges: usize,
    state_dir: Option<PathBuf>,
}

impl Loader {
    /// Opens the netlink socket (in the caller's network namespace).
    pub fn new() -> Result<Self, NftError> {
        Ok(Loader {
            sock: Socket::open().map_err(NftError::Socket)?,
            batch: Batch::new(0),
            txn_ranges: DEFAULT_TXN_RANGES,
            state_dir: None,
        })
    }

    /// Keeps a record of committed ranges in `dir` (see [`state`]);
    /// without one every update dumps the kernel set.
    pub fn with_state_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.state_dir = Some(dir.into());
        self
    }

    /// Sets the number of ranges per transaction (for benchmarks).
    pub fn with_txn_ranges(mut self, n: usize) -> Self {
        self.txn_ranges = n.max(1);
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
        let mut elems: Vec<(K, bool)> = Vec::new();
        self.sock
            .dump_elems::<K>(table, set, |k, end| elems.push((k, end)))
            .map_err(|source| NftError::Read {
                table: table.into(),
                set: set.into(),
                source,
            })?;
        // End elements sort before start elements at the same key, so
        // adjacent intervals pair up correctly.
        elems.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        Ok(match kind {
            SetKind::Interval => elems_to_ranges(&elems),
            SetKind::Hash => elems.into_iter().map(|(k, _)| (k, k)).collect(),
        })
    }

    /// What is installed in one set: from the record when it can be
    /// trusted, else from a kernel dump (or from a dump anyway, `fresh`).
    fn prepare<K: Key>(
        &mut self,
        table: &str,
        set: &str,
        kind: SetKind,
        fresh: bool,
    ) -> Result<Prepared<K>, NftError> {
        let sock_err = NftError::Socket;
        let handles = match (
            self.sock.table_handle(table).map_err(sock_err)?,
            self.sock.set_handle(table, set).map_err(sock_err)?,
        ) {
            (Some(table), Some(set)) => Some(state::Handles { table, set }),
            _ => None,
        };
        let path = self.state_dir.as_ref().map(|d| state::path(d, table, set));
        let recorded = match (&path, handles) {
            (Some(p), Some(h)) if !fresh => state::load::<K>(p, h),
            _ => None,
        };
        // Handles repeat in a namespace created anew (they count from 1),
        // so spot-check a few recorded ranges before trusting the record.
        let recorded = match recorded {
            Some(r) if self.spot_check(table, set, &r).map_err(sock_err)? => Some(r),
            _ => None,
        };
        Ok(match recorded {
            Some(installed) => Prepared {
                path,
                handles,
                installed,
                source: "record",
            },
            None => Prepared {
                path,
                handles,
                installed: self.installed::<K>(table, set, kind)?,
                source: "kernel",
            },
        })
    }

    /// Saves (after success) or drops (after a failure) a set's record.
    fn record<K: Key>(&self, prep: &Prepared<K>, ok: bool, wanted: &[(K, K)]) {
        let Some(p) = &prep.path else { return };
        match (ok, prep.handles) {
            (true, Some(h)) => {
                if let Err(e) = state::save(p, h, wanted) {
                    log::warn!(
                        "cannot write {}: {e}; the next update re-reads the kernel",
                        p.display()
                    );
                    state::remove(p);
                }
            }
            _ => state::remove(p),
        }
    }

    /// Makes the interval set `table`/`set` hold exactly `wanted` (sorted,
    /// disjoint, non-adjacent inclusive ranges), changing only the
    /// difference.
    pub fn sync<K: Key>(&mut self, table: &str, set: &str, wanted: &[(K, K)]) -> Result<SetUpdate, NftError> {
        let t0 = std::time::Instant::now();
        let mut fresh = false;
        loop {
            let prep = self.prepare::<K>(table, set, SetKind::Interval, fresh)?;
            let r = self.update(
                table,
                set,
                SetKind::Interval,
                &prep.installed,
                wanted,
                prep.source,
            );
            self.record(&prep, r.is_ok(), wanted);
            match r {
                // A record that disagrees with the kernel (hand edits):
                // retry once against the truth.
                Err(NftError::Refused {
                    errno: Errno::ENOENT | Errno::EEXIST,
                    ..
                }) if prep.source == "record" && !fresh => {
                    log::warn!("set {set}: the kernel disagrees with the record; re-reading the set");
                    fresh = true;
                }
                r => {
                    return r.map(|mut u| {
                        u.millis = t0.elapsed().as_millis() as u64;
                        u
                    })
                }
            }
        }
    }

    /// Makes a family's pair of sets hold `hosts` (single addresses, in
    /// the hash set `host_set`) and `nets` (real ranges, in the interval
    /// set `net_set`). Addresses that move between the two stay blocked
    /// throughout (see [`diff::host_steps`]).
    pub fn sync_split<K: Key>(
        &mut self,
        table: &str,
        host_set: &str,
        net_set: &str,
        hosts: &[(K, K)],
        nets: &[(K, K)],
    ) -> Result<[SetUpdate; 2], NftError> {
        let t0 = std::time::Instant::now();
        let mut fresh = false;
        loop {
            let ph = self.prepare::<K>(table, host_set, SetKind::Hash, fresh)?;
            let pn = self.prepare::<K>(table, net_set, SetKind::Interval, fresh)?;
            let r = self.split_update(table, host_set, net_set, &ph, &pn, hosts, nets);
            self.record(&ph, r.is_ok(), hosts);
            self.record(&pn, r.is_ok(), nets);
            match r {
                Err(NftError::Refused {
                    errno: Errno::ENOENT | Errno::EEXIST,
                    ..
                }) if (ph.source == "record" || pn.source == "record") && !fresh => {
                    log::warn!("sets {host_set}/{net_set}: the kernel disagrees with the record; re-reading");
                    fresh = true;
                }
                r => {
                    return r.map(|mut u| {
                        let ms = t0.elapsed().as_millis() as u64;
                        u[0].millis = ms;
                        u[1].millis = ms;
                        u
                    })
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn split_update<K: Key>(
        &mut self,
        table: &str,
        host_set: &str,
        net_set: &str,
        ph: &Prepared<K>,
        pn: &Prepared<K>,
        hosts: &[(K, K)],
        nets: &[(K, K)],
    ) -> Result<[SetUpdate; 2], NftError> {
        let mut hu = SetUpdate {
            set: host_set.into(),
            before: ph.installed.len(),
            after: hosts.len(),
            source: ph.source,
            ..SetUpdate::default()
        };
        if ph.installed.is_empty() {
            // First load: no copy of a million hosts.
            hu.transactions += self.apply_changes(table, host_set, SetKind::Hash, &[], hosts)?;
            hu.added = hosts.len();
        } else {
            let steps = diff::host_steps(&ph.installed, hosts, nets);
            hu.added = steps.add.len();
            hu.deleted = steps.del_before.len() + steps.del_after.len();
            hu.transactions +=
                self.apply_changes(table, host_set, SetKind::Hash, &steps.del_before, &steps.add)?;
            let nu = self.update(table, net_set, SetKind::Interval, &pn.installed, nets, pn.source)?;
            hu.transactions += self.apply_changes(table, host_set, SetKind::Hash, &steps.del_after, &[])?;
            return Ok([hu, nu]);
        }
        let nu = self.update(table, net_set, SetKind::Interval, &pn.installed, nets, pn.source)?;
        Ok([hu, nu])
    }

    /// True when the kernel set has the first, middle and last recorded
    /// range starts (or, for an empty record, no element at all).
    fn spot_check<K: Key>(&mut self, table: &str, set: &str, rec: &[(K, K)]) -> Result<bool, NlError> {
        if rec.is_empty() {
            let mut any = false;
            self.sock.dump_elems::<K>(table, set, |_, _| any = true)?;
            return Ok(!any);
        }
        for i in [0, rec.len() / 2, rec.len() - 1] {
            if !self.sock.has_elem(table, set, rec[i].0)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn update<K: Key>(
        &mut self,
        table: &str,
        set: &str,
        kind: SetKind,
        installed: &[(K, K)],
        wanted: &[(K, K)],
        source: &'static str,
    ) -> Result<SetUpdate, NftError> {
        // A first load adds `wanted` as it is: no copy of a million ranges.
        let (del, add) = if installed.is_empty() {
            (Vec::new(), std::borrow::Cow::Borrowed(wanted))
        } else {
            let (d, a) = diff::diff(installed, wanted);
            (d, std::borrow::Cow::Owned(a))
        };
        let txns = self.apply_changes(table, set, kind, &del, &add)?;
        Ok(SetUpdate {
            set: set.into(),
            before: installed.len(),
            after: wanted.len(),
            added: add.len(),
            deleted: del.len(),
            transactions: txns,
            source,
            millis: 0,
        })
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
        let plan = diff::plan(del, add, self.txn_ranges, K::succ);
        let total = del.len() + add.len();
        let mut done = 0;
        for t in &plan {
            let seq = self.sock.take_seq(0);
            self.batch.reset(seq);
            self.fill(table, set, kind, ElemOp::Delete, &del[t.del.clone()]);
            self.fill(table, set, kind, ElemOp::Add, &add[t.add.clone()]);
            let (bytes, acks) = self.batch.finish();
            let r = self.sock.transact(bytes, acks);
            // Keep the socket's sequence numbers past this batch.
            self.sock.take_seq(self.batch.next_seq().wrapping_sub(seq));
            match r {
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

/// One set's installed contents and where they were read from.
struct Prepared<K> {
    path: Option<PathBuf>,
    handles: Option<state::Handles>,
    installed: Vec<(K, K)>,
    source: &'static str,
}
