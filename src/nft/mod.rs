//! Kernel enforcement with nftables: iocguard's own `table inet iocguard`
//! (never fw4's), its structural ruleset, and the indicator sets.
//!
//! Guarantees:
//! - **Own table only.** Everything lives in one table; `flush` deletes
//!   that table and nothing else.
//! - **No empty window.** The structure is re-applied as one idempotent
//!   nft transaction that never flushes an indicator set; indicator sets
//!   change by *diff* against what was last committed (a record checked
//!   against the kernel's table and set handles, falling back to a
//!   `NFT_MSG_GETSETELEM` dump whenever it cannot be trusted, see
//!   [`state`]), in bounded transactions that each move whole clusters of
//!   changed ranges (see [`diff`]), so no address that stays listed is
//!   ever unlisted in between.
//! - **Lean bulk loading.** Elements are encoded straight into one reused
//!   batch buffer of at most [`DEFAULT_TXN_RANGES`] ranges and sent as raw
//!   nfnetlink batches; memory does not grow with the set beyond the
//!   wanted and installed range lists. Single addresses go to a hash set
//!   and only real ranges to the interval set: the kernel loads a hash
//!   set about 4× cheaper (DESIGN.md, measured facts).
//! - **Every refusal is seen.** Each element message asks for an
//!   acknowledgement; a refused transaction is aborted whole by the
//!   kernel and reported with how much of the update was committed before.
//!
//! The pure parts are [`policy`] (configuration), [`ruleset`] (config →
//! nft text), [`diff`] (installed vs wanted → transactions) and the
//! encoders in [`netlink`]; the I/O is [`netlink::socket`], the `nft`
//! process call here and [`status`].

pub mod diff;
pub mod netlink;
pub mod policy;
pub mod ruleset;
pub mod state;
pub mod status;

pub use policy::{Action, EnforceConfig};

use netlink::socket::{NlError, Socket};
use netlink::{elems_to_ranges, end_elem_len, Batch, ElemOp, Key, MAX_LIST_BYTES};
use nix::errno::Errno;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// Blocked IPv4 networks and ranges (interval set).
pub const SET_V4: &str = "v4";
/// Blocked IPv6 networks and ranges (interval set).
pub const SET_V6: &str = "v6";
/// Blocked single IPv4 addresses (hash set: most indicators are hosts,
/// and a hash set loads ~4× cheaper than an interval set).
pub const SET_V4H: &str = "v4h";
/// Blocked single IPv6 addresses (hash set).
pub const SET_V6H: &str = "v6h";
/// Known DNS-over-HTTPS resolvers, IPv4.
pub const SET_DOH4: &str = "doh4";
/// Known DNS-over-HTTPS resolvers, IPv6.
pub const SET_DOH6: &str = "doh6";
/// Never-blocked destinations, IPv4.
pub const SET_ALLOW4: &str = "allow4";
/// Never-blocked destinations, IPv6.
pub const SET_ALLOW6: &str = "allow6";
/// LAN networks, IPv4.
pub const SET_LAN4: &str = "lan4";
/// LAN networks, IPv6.
pub const SET_LAN6: &str = "lan6";

/// Ranges per transaction. The kernel commits 20k–100k-element
/// transactions about 5× cheaper than one huge one (DESIGN.md), and
/// 32k IPv4 ranges are 64k elements, ~1.3 MiB of batch.
pub const DEFAULT_TXN_RANGES: usize = 32 * 1024;

/// Why enforcement failed; `Display` is one sentence for the admin.
#[derive(Debug, thiserror::Error)]
pub enum NftError {
    /// The netlink socket could not be opened or used.
    #[error("cannot talk to nf_tables over netlink ({0}); is this root with nf_tables in the kernel?")]
    Socket(NlError),
    /// The kernel refused a transaction; it was aborted whole.
    #[error(
        "the kernel refused an update of set {set} ({errno}); {done} of {total} changes were committed \
         before it and stay, the refused transaction was rolled back"
    )]
    Refused {
        /// The set.
        set: String,
        /// The kernel's error.
        errno: Errno,
        /// Changes (range adds + deletes) committed before the refusal.
        done: usize,
        /// Changes planned.
        total: usize,
    },
    /// The kernel refused to delete the table.
    #[error("the kernel refused to delete table inet {table} ({errno})")]
    Flush {
        /// The table.
        table: String,
        /// The kernel's error.
        errno: Errno,
    },
    /// Reading a set from the kernel failed.
    #[error("cannot read set {set} of table inet {table} from the kernel: {source}")]
    Read {
        /// The table.
        table: String,
        /// The set.
        set: String,
        /// What went wrong.
        source: NlError,
    },
    /// `nft` could not be run or refused the ruleset.
    #[error("nft {what} failed: {msg}")]
    Nft {
        /// What was being done.
        what: &'static str,
        /// nft's own message (first lines of stderr).
        msg: String,
    },
    /// The configuration is unusable.
    #[error("{0}")]
    Config(String),
}

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

/// How a set stores its elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetKind {
    /// `flags interval`: ranges as start/end element pairs (rbtree).
    Interval,
    /// A plain hash set of single addresses: about 4× cheaper per element
    /// for the kernel than an interval set (DESIGN.md).
    Hash,
}

/// One set's installed contents and where they were read from.
struct Prepared<K> {
    path: Option<PathBuf>,
    handles: Option<state::Handles>,
    installed: Vec<(K, K)>,
    source: &'static str,
}

/// Runs `nft` with `args`, feeding `input` on stdin; returns stdout.
pub fn run_nft(what: &'static str, args: &[&str], input: Option<&str>) -> Result<String, NftError> {
    let err = |msg: String| NftError::Nft { what, msg };
    let mut child = Command::new("nft")
        .args(args)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| err(format!("cannot run nft: {e}")))?;
    if let (Some(text), Some(mut stdin)) = (input, child.stdin.take()) {
        stdin
            .write_all(text.as_bytes())
            .map_err(|e| err(format!("cannot write to nft: {e}")))?;
    }
    let out = child.wait_with_output().map_err(|e| err(e.to_string()))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let msg: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).take(3).collect();
        return Err(err(if msg.is_empty() {
            out.status.to_string()
        } else {
            msg.join(" / ")
        }));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// True when `table inet TABLE` exists (asked over netlink: `nft list`
/// would fetch every set element first, minutes for a million).
pub fn table_exists(table: &str) -> Result<bool, NftError> {
    let mut sock = Socket::open().map_err(NftError::Socket)?;
    Ok(sock.table_handle(table).map_err(NftError::Socket)?.is_some())
}

/// Installs or refreshes the structural ruleset (one nft transaction) and
/// checks that the table is there afterwards.
pub fn install_ruleset(cfg: &EnforceConfig) -> Result<(), NftError> {
    cfg.validate().map_err(NftError::Config)?;
    run_nft("ruleset", &["-f", "-"], Some(&ruleset::ruleset(cfg)))?;
    if !table_exists(&cfg.table)? {
        return Err(NftError::Nft {
            what: "ruleset",
            msg: format!("table inet {} is missing right after it was installed", cfg.table),
        });
    }
    Ok(())
}

/// The indicator ranges to install.
#[derive(Debug, Default, Clone, Copy)]
pub struct Wanted<'a> {
    /// Blocked IPv4 ranges.
    pub v4: &'a [(u32, u32)],
    /// Blocked IPv6 ranges.
    pub v6: &'a [(u128, u128)],
    /// DoH resolver IPv4 ranges.
    pub doh4: &'a [(u32, u32)],
    /// DoH resolver IPv6 ranges.
    pub doh6: &'a [(u128, u128)],
}

/// What `apply` did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ApplyReport {
    /// The table.
    pub table: String,
    /// False when `--if-missing` found the table and did nothing.
    pub changed: bool,
    /// Per set.
    pub sets: Vec<SetUpdate>,
}

/// Installs the ruleset and makes the indicator sets hold `wanted`.
/// With `if_missing`, does nothing when the table is already there.
pub fn apply(cfg: &EnforceConfig, wanted: Wanted<'_>, if_missing: bool) -> Result<ApplyReport, NftError> {
    let mut report = ApplyReport {
        table: cfg.table.clone(),
        ..ApplyReport::default()
    };
    if if_missing && table_exists(&cfg.table)? {
        return Ok(report);
    }
    install_ruleset(cfg)?;
    let mut loader = Loader::new()?.with_state_dir(&cfg.run_dir);
    let t = &cfg.table;
    let (h4, n4) = split_hosts(wanted.v4);
    report
        .sets
        .extend(loader.sync_split(t, SET_V4H, SET_V4, &h4, &n4)?);
    drop((h4, n4));
    let (h6, n6) = split_hosts(wanted.v6);
    report
        .sets
        .extend(loader.sync_split(t, SET_V6H, SET_V6, &h6, &n6)?);
    report.sets.push(loader.sync(t, SET_DOH4, wanted.doh4)?);
    report.sets.push(loader.sync(t, SET_DOH6, wanted.doh6)?);
    report.changed = true;
    Ok(report)
}

/// Splits ranges into single addresses and real ranges.
pub fn split_hosts<K: Key>(ranges: &[(K, K)]) -> (diff::Ranges<K>, diff::Ranges<K>) {
    ranges.iter().partition(|r| r.0 == r.1)
}

/// Removes iocguard's table (and so everything it installed). Returns
/// false when there was nothing to remove. Done over netlink: `nft delete
/// table` would first fetch every set element (minutes for a million).
pub fn flush(table: &str) -> Result<bool, NftError> {
    let mut sock = Socket::open().map_err(NftError::Socket)?;
    let mut batch = Batch::new(sock.take_seq(3));
    batch.del_table(table);
    let (bytes, acks) = batch.finish();
    match sock.transact(bytes, acks) {
        Ok(()) => Ok(true),
        Err(NlError::Kernel(Errno::ENOENT)) => Ok(false),
        Err(NlError::Kernel(errno)) => Err(NftError::Flush {
            table: table.into(),
            errno,
        }),
        Err(e) => Err(NftError::Socket(e)),
    }
}

/// [`flush`], also dropping the records of committed ranges.
pub fn flush_all(cfg: &EnforceConfig) -> Result<bool, NftError> {
    let r = flush(&cfg.table)?;
    for set in [SET_V4, SET_V6, SET_V4H, SET_V6H, SET_DOH4, SET_DOH6] {
        state::remove(&state::path(&cfg.run_dir, &cfg.table, set));
    }
    Ok(r)
}
