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
mod error;
pub mod loader;
mod names;
pub mod netlink;
mod notice;
pub mod policy;
pub mod ruleset;
pub mod state;
pub mod status;
mod tool;

pub use error::NftError;
pub use loader::{Loader, SetKind, SetUpdate, DEFAULT_TXN_RANGES};
pub use names::{
    SET_ALLOW4, SET_ALLOW6, SET_DOH4, SET_DOH6, SET_LAN4, SET_LAN6, SET_NOTICE4, SET_NOTICE6, SET_V4,
    SET_V4H, SET_V6, SET_V6H,
};
pub use notice::write_notice_sets;
pub use policy::{Action, EnforceConfig};
pub use tool::{run_nft, table_exists};

use netlink::socket::{NlError, Socket};
use netlink::{Batch, Key};
use nix::errno::Errno;

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
