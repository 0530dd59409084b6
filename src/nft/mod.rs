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
//! encoders in [`netlink`]; the I/O is [`netlink::socket`], the set
//! [`loader`], the `nft` process call here and [`status`].

pub mod diff;
pub mod loader;
pub mod netlink;
pub mod policy;
pub mod ruleset;
pub mod state;
pub mod status;

pub use loader::Loader;
pub use policy::{Action, EnforceConfig};

use netlink::socket::{NlError, Socket};
use netlink::{Batch, Key};
use nix::errno::Errno;
use std::io::Write;
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

/// How a set stores its elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetKind {
    /// `flags interval`: ranges as start/end element pairs (rbtree).
    Interval,
    /// A plain hash set of single addresses: about 4× cheaper per element
    /// for the kernel than an interval set (DESIGN.md).
    Hash,
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
