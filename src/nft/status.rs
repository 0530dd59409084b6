//! `iocguard status` for the kernel side: is the table there, how many
//! ranges each set holds, and the named counters. All of it over netlink:
//! sets are counted by streaming an element dump (nothing is kept or
//! printed), counters come from an object dump. `nft list counters` or
//! `nft -t list table` are not used: nft 1.0.6 fetches every set element
//! into its cache first (70–100 s and 1.3 GB for a million ranges).
//!
//! The decisions and the text are pure — which sets are dumped
//! ([`counting`]), what a line says ([`SetCount::new`]) and the rendering
//! ([`KernelStatus::render`]) — and tested on data; [`status`] only asks
//! the kernel.

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
    /// handles), `kernel` (counted from an element dump) or `none`.
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

/// The sets `status` reports, in order, and whether each holds IPv4.
pub const SETS: [(&str, bool); 8] = [
    (SET_V4H, true),
    (SET_V4, true),
    (SET_V6H, false),
    (SET_V6, false),
    (SET_DOH4, true),
    (SET_DOH6, false),
    (SET_ALLOW4, true),
    (SET_ALLOW6, false),
];

/// How `status` finds a set's size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counting {
    /// Count the elements of a kernel dump (seconds to minutes for a
    /// million ranges).
    Dump,
    /// Take the size of the trusted record, or report it unknown.
    Record,
}

/// How to find the size of `set`: `count` asks for dumps; the allow sets
/// are small and never recorded, so they are always dumped.
pub fn counting(set: &str, count: bool) -> Counting {
    if count || set == SET_ALLOW4 || set == SET_ALLOW6 {
        Counting::Dump
    } else {
        Counting::Record
    }
}

impl SetCount {
    /// The line for `name`, found `how`, with `ranges` (`None`: no
    /// trusted record).
    pub fn new(name: &str, how: Counting, ranges: Option<usize>) -> Self {
        let source = match (how, ranges) {
            (Counting::Dump, _) => "kernel",
            (Counting::Record, Some(_)) => "record",
            (Counting::Record, None) => "none",
        };
        SetCount {
            name: name.into(),
            ranges,
            source,
        }
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
    let sock = &mut Socket::open().map_err(NftError::Socket)?;
    for (name, v4) in SETS {
        let how = counting(name, count);
        let ranges = match (how, v4) {
            (Counting::Record, _) => recorded(sock, table, name, run_dir, v4)?,
            (Counting::Dump, true) => Some(dump_count::<u32>(sock, table, name)?),
            (Counting::Dump, false) => Some(dump_count::<u128>(sock, table, name)?),
        };
        st.sets.push(SetCount::new(name, how, ranges));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> KernelStatus {
        KernelStatus {
            table: "iocguard".into(),
            present: true,
            sets: vec![
                SetCount::new("v4h", Counting::Record, Some(1234567)),
                SetCount::new("v4", Counting::Record, None),
                SetCount::new("allow4", Counting::Dump, Some(2)),
            ],
            counters: vec![CounterValue {
                name: "blocked_out".into(),
                packets: 42,
                bytes: 2520,
            }],
        }
    }

    #[test]
    fn only_count_and_the_allow_sets_dump_the_kernel() {
        for (set, _) in SETS {
            assert_eq!(counting(set, true), Counting::Dump, "{set}");
        }
        assert_eq!(counting(SET_ALLOW4, false), Counting::Dump);
        assert_eq!(counting(SET_ALLOW6, false), Counting::Dump);
        for set in [SET_V4H, SET_V4, SET_V6H, SET_V6, SET_DOH4, SET_DOH6] {
            assert_eq!(counting(set, false), Counting::Record, "{set}");
        }
    }

    #[test]
    fn a_line_names_where_its_size_came_from() {
        let c = |how, n| {
            let s = SetCount::new("v6", how, n);
            (s.ranges, s.source)
        };
        assert_eq!(c(Counting::Record, Some(3)), (Some(3), "record"));
        assert_eq!(c(Counting::Record, None), (None, "none"));
        assert_eq!(c(Counting::Dump, Some(0)), (Some(0), "kernel"));
    }

    #[test]
    fn rendering_an_installed_table() {
        assert_eq!(
            sample().render(),
            "table inet iocguard: installed\n\
             \x20 set v4h       1234567 ranges (record)\n\
             \x20 set v4        unknown (no record; --count dumps the kernel set)\n\
             \x20 set allow4          2 ranges (kernel)\n\
             \x20 counter blocked_out             42 packets         2520 bytes\n"
        );
    }

    #[test]
    fn rendering_a_missing_table_lists_nothing_else() {
        let st = KernelStatus {
            present: false,
            ..sample()
        };
        assert_eq!(st.render(), "table inet iocguard: not installed\n");
    }

    #[test]
    fn the_json_shape_is_stable() {
        let st = KernelStatus {
            sets: sample().sets[..2].to_vec(),
            ..sample()
        };
        assert_eq!(
            serde_json::to_string(&st).unwrap(),
            r#"{"table":"iocguard","present":true,"sets":[{"name":"v4h","ranges":1234567,"source":"record"},{"name":"v4","ranges":null,"source":"none"}],"counters":[{"name":"blocked_out","packets":42,"bytes":2520}]}"#
        );
    }
}
