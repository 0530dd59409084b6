//! `iocguard status` for the kernel side: is the table there, how many
//! ranges each set holds, and the named counters. All of it over netlink:
//! sets are counted by streaming an element dump (nothing is kept or
//! printed), counters come from an object dump. `nft list counters` or
//! `nft -t list table` are not used: nft 1.0.6 fetches every set element
//! into its cache first (70–100 s and 1.3 GB for a million ranges).

use super::netlink::socket::Socket;
use super::netlink::Key;
use super::state::{self, Handles};
use super::{table_exists, NftError, SET_ALLOW4, SET_ALLOW6, SET_DOH4, SET_DOH6};
use super::{SET_V4, SET_V4H, SET_V6, SET_V6H};
use serde::Serialize;
use std::fmt::Write as _;
use std::path::Path;

/// Element counts of one set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SetCount {
    /// The set's name.
    pub name: String,
    /// Intervals installed; `None` when unknown (no trusted record and no
    /// kernel count asked for).
    pub ranges: Option<usize>,
    /// `record` (iocguard's record, matched to the kernel's table and set
    /// handles) or `kernel` (counted from an element dump).
    pub source: &'static str,
}

/// One named counter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CounterValue {
    /// The counter's name.
    pub name: String,
    /// Packets counted.
    pub packets: u64,
    /// Bytes counted.
    pub bytes: u64,
}

/// What the kernel holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KernelStatus {
    /// The table name (family inet).
    pub table: String,
    /// Whether the table exists.
    pub present: bool,
    /// Per set.
    pub sets: Vec<SetCount>,
    /// Named counters.
    pub counters: Vec<CounterValue>,
}

impl KernelStatus {
    /// The human-readable form.
    pub fn render(&self) -> String {
        let mut s = String::new();
        if !self.present {
            let _ = writeln!(s, "table inet {}: not installed", self.table);
            return s;
        }
        let _ = writeln!(s, "table inet {}: installed", self.table);
        for c in &self.sets {
            match c.ranges {
                Some(n) => {
                    let _ = writeln!(s, "  set {:<7} {:>9} ranges ({})", c.name, n, c.source);
                }
                None => {
                    let _ = writeln!(
                        s,
                        "  set {:<7}   unknown (no record; --count dumps the kernel set)",
                        c.name
                    );
                }
            }
        }
        for c in &self.counters {
            let _ = writeln!(
                s,
                "  counter {:<15} {:>10} packets {:>12} bytes",
                c.name, c.packets, c.bytes
            );
        }
        s
    }
}

/// Reads the kernel state of `table`. Indicator set sizes come from the
/// record of the last commit when the kernel's handles match it; with
/// `count` (or without a record) the set is counted from a dump, which
/// takes seconds to minutes for a million ranges (see [`super::state`]).
pub fn status(table: &str, run_dir: &Path, count: bool) -> Result<KernelStatus, NftError> {
    let mut st = KernelStatus {
        table: table.into(),
        present: table_exists(table)?,
        sets: Vec::new(),
        counters: Vec::new(),
    };
    if !st.present {
        return Ok(st);
    }
    let mut sock = Socket::open().map_err(NftError::Socket)?;
    for name in [
        SET_V4H, SET_V4, SET_V6H, SET_V6, SET_DOH4, SET_DOH6, SET_ALLOW4, SET_ALLOW6,
    ] {
        // The allow sets are small and not recorded: always counted.
        let small = name.starts_with("allow");
        let v4 = name.contains('4');
        let recorded = if small || count {
            None
        } else {
            recorded(&mut sock, table, name, run_dir, v4)?
        };
        let c = match recorded {
            Some(n) => SetCount {
                name: name.into(),
                ranges: Some(n),
                source: "record",
            },
            None if small || count => SetCount {
                name: name.into(),
                ranges: Some(if v4 {
                    dump_count::<u32>(&mut sock, table, name)?
                } else {
                    dump_count::<u128>(&mut sock, table, name)?
                }),
                source: "kernel",
            },
            None => SetCount {
                name: name.into(),
                ranges: None,
                source: "none",
            },
        };
        st.sets.push(c);
    }
    st.counters = sock
        .counters(table)
        .map_err(NftError::Socket)?
        .into_iter()
        .map(|(name, packets, bytes)| CounterValue { name, packets, bytes })
        .collect();
    Ok(st)
}

fn recorded(
    sock: &mut Socket,
    table: &str,
    set: &str,
    dir: &Path,
    v4: bool,
) -> Result<Option<usize>, NftError> {
    let th = sock.table_handle(table).map_err(NftError::Socket)?;
    let sh = sock.set_handle(table, set).map_err(NftError::Socket)?;
    let (Some(table_h), Some(set_h)) = (th, sh) else {
        return Ok(None);
    };
    let h = Handles {
        table: table_h,
        set: set_h,
    };
    let p = state::path(dir, table, set);
    Ok(if v4 {
        state::load::<u32>(&p, h).map(|r| r.len())
    } else {
        state::load::<u128>(&p, h).map(|r| r.len())
    })
}

fn dump_count<K: Key>(sock: &mut Socket, table: &str, set: &str) -> Result<usize, NftError> {
    let mut ranges = 0;
    sock.dump_elems::<K>(table, set, |_, end| {
        if !end {
            ranges += 1;
        }
    })
    .map_err(|source| NftError::Read {
        table: table.into(),
        set: set.into(),
        source,
    })?;
    Ok(ranges)
}
