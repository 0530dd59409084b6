//! `iocguard status` for the kernel side: is the table there, how many
//! ranges each set holds, and the named counters. Sets are counted by
//! streaming a netlink dump (no element is kept or printed); counters come
//! from `nft -j list counters`, which lists no set elements.

use super::netlink::Key;
use super::{run_nft, table_exists, Loader, NftError, SET_ALLOW4, SET_ALLOW6, SET_DOH4, SET_DOH6};
use super::{SET_V4, SET_V6};
use serde::Serialize;
use std::fmt::Write as _;

/// Element counts of one set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SetCount {
    /// The set's name.
    pub name: String,
    /// Intervals (start elements).
    pub ranges: usize,
    /// Kernel elements (starts and ends).
    pub elements: usize,
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
            let _ = writeln!(s, "  set {:<7} {:>9} ranges ({} elements)", c.name, c.ranges, c.elements);
        }
        for c in &self.counters {
            let _ = writeln!(s, "  counter {:<15} {:>10} packets {:>12} bytes", c.name, c.packets, c.bytes);
        }
        s
    }
}

/// Reads the kernel state of `table`.
pub fn status(table: &str) -> Result<KernelStatus, NftError> {
    let mut st = KernelStatus {
        table: table.into(),
        present: table_exists(table)?,
        sets: Vec::new(),
        counters: Vec::new(),
    };
    if !st.present {
        return Ok(st);
    }
    let mut loader = Loader::new()?;
    for name in [SET_V4, SET_V6, SET_DOH4, SET_DOH6, SET_ALLOW4, SET_ALLOW6] {
        let c = if name.ends_with('4') {
            count::<u32>(&mut loader, table, name)?
        } else {
            count::<u128>(&mut loader, table, name)?
        };
        st.sets.push(c);
    }
    let json = run_nft("list counters", &["-j", "list", "counters", "table", "inet", table], None)?;
    st.counters = parse_counters(&json);
    Ok(st)
}

fn count<K: Key>(loader: &mut Loader, table: &str, set: &str) -> Result<SetCount, NftError> {
    let (mut ranges, mut elements) = (0, 0);
    loader
        .sock
        .dump_elems::<K>(table, set, |_, end| {
            elements += 1;
            if !end {
                ranges += 1;
            }
        })
        .map_err(|source| NftError::Read {
            table: table.into(),
            set: set.into(),
            source,
        })?;
    Ok(SetCount {
        name: set.into(),
        ranges,
        elements,
    })
}

/// Reads the named counters out of `nft -j list counters` output.
/// Unknown shapes yield no counters rather than an error: the status of
/// the sets is still worth showing.
pub fn parse_counters(json: &str) -> Vec<CounterValue> {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(json) else {
        return Vec::new();
    };
    let items = v.get("nftables").and_then(|x| x.as_array()).cloned().unwrap_or_default();
    items
        .iter()
        .filter_map(|i| i.get("counter"))
        .filter_map(|c| {
            Some(CounterValue {
                name: c.get("name")?.as_str()?.to_string(),
                packets: c.get("packets")?.as_u64()?,
                bytes: c.get("bytes")?.as_u64()?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_from_nft_json() {
        let j = r#"{"nftables": [{"metainfo": {"version": "1.0.6", "json_schema_version": 1}},
          {"counter": {"family": "inet", "name": "blocked_fwd", "table": "iocguard", "handle": 3,
                       "packets": 5, "bytes": 300}},
          {"counter": {"family": "inet", "name": "logged", "table": "iocguard", "handle": 4,
                       "packets": 2, "bytes": 120}}]}"#;
        let c = parse_counters(j);
        assert_eq!(c.len(), 2);
        assert_eq!(
            c[0],
            CounterValue {
                name: "blocked_fwd".into(),
                packets: 5,
                bytes: 300
            }
        );
        assert!(parse_counters("garbage").is_empty());
    }
}
