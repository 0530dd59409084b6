//! The notice sets: the LAN addresses whose plain HTTP the ruleset sends
//! to the notice page (`notice4`/`notice6`, `flags timeout`).
//!
//! The daemon rewrites them whole, in one transaction (flush + add), each
//! time the list of hosts due the notice changes and at least every few
//! minutes: the list is small (the infected hosts of one LAN), and a
//! rewrite cannot leave a stale address behind. Every element carries a
//! timeout a little longer than that refresh, so a daemon that stops or
//! dies stops redirecting by itself, and nobody's browsing is sent to a
//! page that no longer answers.

use super::error::NftError;
use super::names::{SET_NOTICE4, SET_NOTICE6};
use super::netlink::socket::{NlError, Socket};
use super::netlink::{Batch, ElemOp, Key, MAX_LIST_BYTES};
use std::net::IpAddr;
use std::time::Duration;

/// Replaces the contents of the notice sets of `table` with `addrs`, each
/// element expiring after `ttl`.
pub fn write_notice_sets(table: &str, addrs: &[IpAddr], ttl: Duration) -> Result<(), NftError> {
    let mut sock = Socket::open().map_err(NftError::Socket)?;
    let ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
    let (mut v4, mut v6) = (Vec::new(), Vec::new());
    for a in addrs {
        match a.to_canonical() {
            IpAddr::V4(v) => v4.push(u32::from(v)),
            IpAddr::V6(v) => v6.push(u128::from(v)),
        }
    }
    let seq = sock.take_seq(0);
    let mut b = Batch::new(seq);
    fill(&mut b, table, SET_NOTICE4, &v4, ms);
    fill(&mut b, table, SET_NOTICE6, &v6, ms);
    let (bytes, acks) = b.finish();
    let r = sock.transact(bytes, acks);
    match r {
        Ok(()) => Ok(()),
        Err(NlError::Kernel(errno)) => Err(NftError::Refused {
            set: format!("{SET_NOTICE4}/{SET_NOTICE6} of table inet {table}"),
            errno,
            done: 0,
            total: addrs.len(),
        }),
        Err(e) => Err(NftError::Socket(e)),
    }
}

fn fill<K: Key>(b: &mut Batch, table: &str, set: &str, keys: &[K], ms: u64) {
    b.flush_set(table, set);
    let mut open = false;
    for &k in keys {
        if !open || b.open_list_bytes() > MAX_LIST_BYTES - 64 {
            b.open_elems(ElemOp::Add, table, set);
            open = true;
        }
        b.push_elem_timeout(k, ms);
    }
}
