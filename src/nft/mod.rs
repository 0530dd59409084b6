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

/// The indicator ranges to install, each sorted and disjoint. Owned, so
/// that [`apply`] splits them into hosts and nets in place instead of
/// holding a copy next to them (a million IPv4 ranges are 8 MB).
#[derive(Debug, Default, Clone)]
pub struct Wanted {
    /// Blocked IPv4 ranges.
    pub v4: Vec<(u32, u32)>,
    /// Blocked IPv6 ranges.
    pub v6: Vec<(u128, u128)>,
    /// DoH resolver IPv4 ranges.
    pub doh4: Vec<(u32, u32)>,
    /// DoH resolver IPv6 ranges.
    pub doh6: Vec<(u128, u128)>,
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
pub fn apply(cfg: &EnforceConfig, wanted: Wanted, if_missing: bool) -> Result<ApplyReport, NftError> {
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
    let (h4, n4) = split_hosts_owned(wanted.v4);
    report
        .sets
        .extend(loader.sync_split(t, SET_V4H, SET_V4, &h4, &n4)?);
    drop((h4, n4));
    let (h6, n6) = split_hosts_owned(wanted.v6);
    report
        .sets
        .extend(loader.sync_split(t, SET_V6H, SET_V6, &h6, &n6)?);
    report.sets.push(loader.sync(t, SET_DOH4, &wanted.doh4)?);
    report.sets.push(loader.sync(t, SET_DOH6, &wanted.doh6)?);
    report.changed = true;
    Ok(report)
}

/// Splits ranges into single addresses and real ranges.
pub fn split_hosts<K: Key>(ranges: &[(K, K)]) -> (diff::Ranges<K>, diff::Ranges<K>) {
    ranges.iter().partition(|r| r.0 == r.1)
}

/// [`split_hosts`], keeping the single addresses in `ranges`' own buffer:
/// only the real ranges are copied out. Both stay sorted.
pub fn split_hosts_owned<K: Key>(mut ranges: Vec<(K, K)>) -> (diff::Ranges<K>, diff::Ranges<K>) {
    let nets: Vec<(K, K)> = ranges.iter().filter(|r| r.0 != r.1).copied().collect();
    ranges.retain(|r| r.0 == r.1);
    ranges.shrink_to_fit();
    (ranges, nets)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_owned_split_equals_the_copying_one() {
        let ranges = vec![(1u32, 1), (3, 7), (9, 9), (10, 10), (12, 20), (30, 30)];
        let (h, n) = split_hosts_owned(ranges.clone());
        assert_eq!((h.clone(), n.clone()), split_hosts(&ranges));
        assert_eq!(h, [(1, 1), (9, 9), (10, 10), (30, 30)]);
        assert_eq!(n, [(3, 7), (12, 20)]);
    }
}
