//! The host table as the notice page sees it ([`notice::Board`]), and
//! the list of addresses due the notice that the table thread keeps in
//! the kernel's notice sets ([`Redirects`]).
//!
//! An address is only trusted for a while: DHCP hands a quiet host's
//! address to another device, which must neither be redirected nor be
//! shown the first one's name and MAC. So only addresses a host was seen
//! with in the last [`ADDR_FRESH`] seconds count.

use super::core::{Every, HostLog};
use super::queue::Input;
use super::shared::Shared;
use super::syslog;
use crate::hosts::{Host, HostKey, StateKind};
use crate::notice::{Board, HostView};
use std::net::IpAddr;
use std::sync::mpsc::SyncSender;
use std::sync::Arc;
use std::time::Duration;

/// How long after its last hit from an address a host keeps it for the
/// notice (an OpenWrt DHCP lease is 12 h).
pub const ADDR_FRESH: u64 = 12 * 3600;
/// Listed names shown on the page.
const NAMES_SHOWN: usize = 5;
/// Addresses kept in the notice sets at most.
const MAX_REDIRECTED: usize = 4096;
/// Seconds between rewrites of unchanged notice sets.
const REFRESH: u64 = 120;
/// Life of a notice-set element: a few refreshes, so a daemon that died
/// stops redirecting within minutes.
pub const ELEMENT_TTL: Duration = Duration::from_secs(300);

/// Whether `h` still holds `addr` at `now`.
fn holds(h: &Host, addr: IpAddr, now: u64) -> bool {
    h.addrs
        .iter()
        .any(|a| a.addr == addr && a.last_seen.saturating_add(ADDR_FRESH) >= now)
}

/// The addresses of every host due the notice at `now`, sorted.
pub fn due_addrs(log: &HostLog, now: u64, snooze: u64) -> Vec<IpAddr> {
    let mut v: Vec<IpAddr> = log
        .table()
        .hosts()
        .filter(|h| h.notice_due(now, snooze))
        .flat_map(|h| {
            h.addrs
                .iter()
                .filter(move |a| a.last_seen.saturating_add(ADDR_FRESH) >= now)
                .map(|a| a.addr)
        })
        .collect();
    v.sort_unstable();
    v.dedup();
    v.truncate(MAX_REDIRECTED);
    v
}

/// What the page shows of `h`, asked from `addr`.
pub fn view(h: &Host, addr: IpAddr, now: u64, snooze: u64) -> HostView {
    HostView {
        hostname: h.hostname.clone(),
        mac: h.mac.map(|m| m.to_string()),
        addr: addr.to_string(),
        hits: h.hits(),
        first_seen: h.first_seen,
        last_seen: h.last_seen,
        names: h
            .indicators_by_hits()
            .into_iter()
            .take(NAMES_SHOWN)
            .map(|i| i.listed.to_string())
            .collect(),
        due: h.notice_due(now, snooze),
        notified_at: h.notified_at,
    }
}

/// The board the notice server reads.
pub struct HostBoard {
    pub(super) shared: Arc<Shared>,
    pub(super) tx: SyncSender<Input>,
    pub(super) snooze: u64,
    pub(super) blocked: Box<dyn Fn(&str) -> bool + Send + Sync>,
}

impl Board for HostBoard {
    fn host(&self, addr: IpAddr, now: u64) -> Option<(String, HostView)> {
        let addr = addr.to_canonical();
        let log = self.shared.lock();
        let h = log.table().host_of(addr)?;
        if h.state.kind() == StateKind::Acknowledged || !holds(h, addr, now) {
            return None;
        }
        Some((h.key().to_string(), view(h, addr, now, self.snooze)))
    }

    fn confirm(&self, key: &str, now: u64) -> bool {
        let Some(k) = HostKey::parse(key) else {
            return false;
        };
        let line = {
            let mut log = self.shared.lock();
            if log.table_mut().notified(&k, now).is_err() {
                return false;
            }
            let h = log.table().get(&k);
            h.map(|h| syslog::notified(h, h.address().unwrap_or(IpAddr::from([0, 0, 0, 0]))))
        };
        if let Some(l) = line {
            eprintln!("{l}");
        }
        // The table thread takes the host out of the notice sets now.
        let _ = self.tx.try_send(Input::Wake);
        true
    }

    fn is_blocked(&self, name: &str) -> bool {
        (self.blocked)(name)
    }
}

/// The table thread's side: keeps the kernel's notice sets equal to
/// [`due_addrs`], rewriting them on change and every [`REFRESH`] seconds.
pub struct Redirects {
    table: String,
    written: Option<Vec<IpAddr>>,
    refresh: Every,
    last_error: Option<String>,
}

impl Redirects {
    /// For nft table `table`, from `now`.
    pub fn new(table: &str, now: u64) -> Redirects {
        Redirects {
            table: table.into(),
            written: None,
            refresh: Every::new(REFRESH, now),
            last_error: None,
        }
    }

    /// Addresses in the sets now; `None` while the notice is off.
    pub fn redirected(&self) -> Option<usize> {
        self.written.as_ref().map(Vec::len)
    }

    /// Brings the sets up to date (`snooze` 0: the notice is off, the
    /// sets are emptied once). At stop the sets are emptied.
    pub fn update(&mut self, log: &HostLog, now: u64, snooze: u64, stopping: bool) {
        let off = snooze == 0 || stopping;
        if off && self.written.is_none() {
            return;
        }
        let want = if off {
            Vec::new()
        } else {
            due_addrs(log, now, snooze)
        };
        let unchanged = self.written.as_ref() == Some(&want);
        // Elements time out: rewrite them before they do.
        let refresh = self.refresh.due(now) && !want.is_empty();
        if unchanged && !refresh {
            return;
        }
        match crate::nft::write_notice_sets(&self.table, &want, ELEMENT_TTL) {
            Ok(()) => {
                if !unchanged {
                    log::info!(
                        "notice: {} host addresses are redirected to the notice page",
                        want.len()
                    );
                }
                self.written = (!off).then_some(want);
                self.last_error = None;
            }
            Err(e) => {
                let msg = e.to_string();
                if self.last_error.as_deref() != Some(&msg) {
                    log::warn!("notice: {msg}; the redirect to the notice page is not updated");
                }
                self.last_error = Some(msg);
                self.written = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hosts::testutil::{ip_event, mac};
    use crate::hosts::{Event, HostTable, Mac};
    use crate::indicator::IpIndex;

    fn ev(t: u64, src: &str, n: u8) -> Event {
        ip_event(t, src, Some(mac(n)))
    }

    #[test]
    fn due_hosts_with_fresh_addresses_only() {
        let mut t = HostTable::new(16);
        t.record(&ev(1000, "192.0.2.10", 1), 1000);
        t.record(&ev(1000, "2001:db8::10", 1), 1000);
        t.record(&ev(1000, "192.0.2.11", 2), 1000);
        t.record(&ev(1000, "192.0.2.12", 3), 1000);
        t.notified(&HostKey::Mac(Mac([2, 0, 0, 0, 0, 2])), 1100).unwrap();
        t.ack(&HostKey::Mac(Mac([2, 0, 0, 0, 0, 3])), "cleaned", 1100)
            .unwrap();
        let log = HostLog::new(t, IpIndex::default(), 1000);
        let a = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(
            due_addrs(&log, 1200, 86_400),
            vec![a("192.0.2.10"), a("2001:db8::10")]
        );
        assert_eq!(
            due_addrs(&log, 1000 + ADDR_FRESH + 1, 86_400),
            Vec::<IpAddr>::new(),
            "stale addresses"
        );
        let h = log.table().host_of(a("192.0.2.10")).unwrap();
        let v = view(h, a("192.0.2.10"), 1200, 86_400);
        assert_eq!(
            (v.hits, v.due, v.names.as_slice()),
            (2, true, &["203.0.113.0/24".to_string()][..])
        );
        assert_eq!(v.mac.as_deref(), Some("02:00:00:00:00:01"));
    }
}
