//! The host log's throughput and memory (`benches/hosts.sh`):
//!
//!     hostbench decode|record real|flood N     # prints one line per checkpoint
//!     hostbench snapshot N > hosts.json        # a table of N realistic hosts
//!     hostbench load hosts.json [CAPACITY]     # VmRSS of reading it back
//!
//! `record` runs what the daemon does per logged packet: netlink messages
//! (kernel-shaped, 32 per datagram like the daemon's `NFULA_CFG_QTHRESH`)
//! → `parse_packet` → `daemon::ip_event` (attribution through an `IpIndex`
//! of 100k listed IPv4 entries + 2k IPv6) → `HostLog::record`, draining
//! the event-log lines every 4096 events as the table thread does.
//! `decode` stops after `parse_packet`: the anchor, so the table's cost
//! shows as a ratio. `real` = 300 LAN hosts with MACs (half the traffic
//! from 8 of them), 10 % IPv6; `flood` = a new spoofed MAC and address
//! per message into a table of 4096 (every message past 4096 evicts).
//!
//! Messages are generated in chunks of 1000 into reused buffers outside
//! the timed part, so the RSS is the pipeline's, not a 1M-message heap.
//! Every checkpoint checks what happened (events recorded = sent, lines
//! drained = sent, nothing unattributed or dropped, hosts and evictions as
//! expected) and exits 1 otherwise. Deterministic: same arguments, same
//! messages.

use iocguard::daemon::hostlog::core::HostLog;
use iocguard::daemon::ip_event;
use iocguard::hosts::{snapshot, DnsHit, Event, Hit, HostKey, HostTable, IpHit, Mac, Proto};
use iocguard::indicator::{parse_indicator, Gate, IpIndex, SetBuilder};
use iocguard::nft::netlink::messages;
use iocguard::nft::netlink::nflog::{parse_packet, put_packet_msg, Chain, LoggedPacket};
use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::process::exit;
use std::time::Instant;

const LISTED_V4: usize = 100_000;
const LISTED_V6: usize = 2_000;
const LAN_HOSTS: u32 = 300;
const CAPACITY: usize = 4096;
/// Messages per datagram: what the daemon asks the kernel to batch.
const PER_DATAGRAM: usize = 32;
/// Messages generated between two timed stretches.
const CHUNK: u64 = 1000;
/// The table thread handles at most this many inputs per lock, then
/// flushes; draining at the same cadence keeps the pending lines below
/// `PENDING_LINES`, so none is dropped.
const DRAIN_EVERY: u64 = 4096;
/// A fixed start on the fake clock (2025-11-29): runs are reproducible.
const T0: u64 = 1_764_370_000;
/// The fake clock advances a second per this many events (the goal rate),
/// so the syslog budget behaves as it would at that rate.
const EVENTS_PER_SECOND: u64 = 100_000;

struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    fn next(&mut self) -> u64 {
        // xorshift64*, as in genfeed: no dependency, deterministic.
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// A listed entry hits are aimed at: base address and prefix length.
#[derive(Clone, Copy)]
enum Listed {
    V4(u32, u8),
    V6(u128, u8),
}

/// Public unicast IPv4 (like genfeed: first octet 1..=223 minus the
/// private/special ones).
fn public_v4(r: u64) -> u32 {
    let a = (r >> 32) as u32;
    let mut first = 1 + (a >> 24) % 223;
    if matches!(first, 10 | 100 | 127 | 169 | 172 | 192 | 198 | 203) {
        first += 1;
    }
    (first << 24) | (a & 0x00ff_ffff)
}

/// The listed set (1 in 16 IPv4 entries a /24, half the IPv6 ones /48)
/// and its attribution index, built as the daemon builds it.
fn listed() -> (Vec<Listed>, IpIndex) {
    let mut rng = Rng::new(7);
    let mut b = SetBuilder::new();
    let feeds = [b.add_feed("botnet-c2"), b.add_feed("scanners")];
    let mut out = Vec::with_capacity(LISTED_V4 + LISTED_V6);
    for i in 0..LISTED_V4 {
        let r = rng.next();
        let (a, len) = if r & 0xf == 0 {
            (public_v4(r) & 0xffff_ff00, 24)
        } else {
            (public_v4(r), 32)
        };
        let s = format!("{}/{len}", Ipv4Addr::from(a));
        b.push(parse_indicator(&s).expect("generated IPv4 entry"), feeds[i % 2]);
        out.push(Listed::V4(a, len));
    }
    for i in 0..LISTED_V6 {
        let r = rng.next();
        // 2a00::/12: RIPE's global unicast, public and routable.
        let hi = 0x2a00_0000_0000_0000u128 | u128::from(r >> 20);
        let (a, len) = if i % 2 == 0 {
            ((hi << 64) & !((1u128 << 80) - 1), 48)
        } else {
            ((hi << 64) | u128::from(rng.next()), 128)
        };
        let s = format!("{}/{len}", Ipv6Addr::from(a));
        b.push(parse_indicator(&s).expect("generated IPv6 entry"), feeds[i % 2]);
        out.push(Listed::V6(a, len));
    }
    let set = b.build(&Gate::default());
    (out, set.ip_index())
}

/// An address inside a listed entry of the wanted family.
fn destination(listed: &[Listed], r: u64, v6: bool) -> IpAddr {
    let pick = if v6 {
        LISTED_V4 + (r as usize >> 8) % LISTED_V6
    } else {
        (r as usize >> 8) % LISTED_V4
    };
    match listed[pick] {
        Listed::V4(a, len) => {
            let host = if len == 32 { 0 } else { (r as u32) & 0xff };
            IpAddr::V4(Ipv4Addr::from(a | host))
        }
        Listed::V6(a, len) => {
            let host = if len == 128 { 0 } else { u128::from(r as u16) };
            IpAddr::V6(Ipv6Addr::from(a | host))
        }
    }
}

/// One LAN host of the `real` mix: MAC, IPv4 and IPv6 address.
fn lan_host(i: u32) -> ([u8; 6], IpAddr, IpAddr) {
    let mac = [0x3c, 0x22, 0xfb, 0x10, (i >> 8) as u8, i as u8];
    let v4 = Ipv4Addr::new(192, 168, 1 + (i / 250) as u8, 2 + (i % 250) as u8);
    let v6 = Ipv6Addr::new(0x2001, 0xdb8, 0, 1, 0x3e22, 0xfbff, 0xfe10, i as u16);
    (mac, IpAddr::V4(v4), IpAddr::V6(v6))
}

/// The message stream of one mix, chunk by chunk.
struct Gen<'a> {
    listed: &'a [Listed],
    flood: bool,
    rng: Rng,
    n: u64,
    /// MACs sent so far (`real`), for the expected host count.
    macs: HashSet<[u8; 6]>,
}

impl Gen<'_> {
    fn packet(&mut self) -> LoggedPacket {
        let r = self.rng.next();
        let r2 = self.rng.next();
        let v6 = r.is_multiple_of(10);
        let (mac, src) = if self.flood {
            // Locally administered, unique per message; sources walk
            // 10.0.0.0/8 and fd00::/64.
            let i = self.n;
            let mac = [
                0x02,
                0xbe,
                (i >> 24) as u8,
                (i >> 16) as u8,
                (i >> 8) as u8,
                i as u8,
            ];
            let src = if v6 {
                IpAddr::V6(Ipv6Addr::from((0xfd00u128 << 112) | u128::from(i)))
            } else {
                IpAddr::V4(Ipv4Addr::from(0x0a00_0000 | (i as u32 & 0x00ff_ffff)))
            };
            (mac, src)
        } else {
            // Half the traffic from 8 busy bots, the rest spread.
            let h = if r & 0x100 == 0 {
                (r >> 9) as u32 % 8
            } else {
                (r >> 9) as u32 % LAN_HOSTS
            };
            let (mac, a4, a6) = lan_host(h);
            self.macs.insert(mac);
            (mac, if v6 { a6 } else { a4 })
        };
        let (proto, dport) = match (r >> 40) % 10 {
            0..=5 => (6, 443),
            6 => (6, 80),
            7 => (6, 8080),
            8 => (17, 53),
            _ => (17, 123),
        };
        self.n += 1;
        LoggedPacket {
            group: 10,
            chain: Chain::Fwd,
            hwaddr: Some(mac),
            src,
            dst: destination(self.listed, r2, v6),
            proto,
            sport: Some(32768 + (r2 >> 50) as u16 % 28000),
            dport: Some(dport),
            iif: Some(3),
            oif: Some(2),
            seq: Some(self.n as u32),
        }
    }

    /// `n` messages into `dgrams`, [`PER_DATAGRAM`] per buffer.
    fn chunk(&mut self, n: u64, dgrams: &mut Vec<Vec<u8>>) {
        for d in dgrams.iter_mut() {
            d.clear();
        }
        let mut used = 0;
        let mut left = n;
        while left > 0 {
            if used == dgrams.len() {
                dgrams.push(Vec::with_capacity(PER_DATAGRAM * 192));
            }
            let k = left.min(PER_DATAGRAM as u64);
            for _ in 0..k {
                let p = self.packet();
                put_packet_msg(&mut dgrams[used], &p);
            }
            left -= k;
            used += 1;
        }
        dgrams.truncate(used);
    }
}

/// VmHWM and VmRSS of this process, kB.
fn memory() -> (u64, u64) {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = |key: &str| {
        s.lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (kb("VmHWM:"), kb("VmRSS:"))
}

fn fail(msg: String) -> ! {
    eprintln!("hostbench: FAILED: {msg}");
    exit(1);
}

fn run(mode: &str, mix: &str, total: u64) {
    let record = match mode {
        "decode" => false,
        "record" => true,
        _ => fail(format!("unknown mode {mode:?} (decode|record)")),
    };
    let flood = match mix {
        "real" => false,
        "flood" => true,
        _ => fail(format!("unknown mix {mix:?} (real|flood)")),
    };
    let (listed, index) = listed();
    let index_entries = index.len();
    let index_bytes = index.heap_bytes();
    let mut log = HostLog::new(HostTable::new(CAPACITY), index, T0);
    // What the table thread does for interface names: a cache in front of
    // if_nametoindex, cloned per event.
    let ifnames: HashMap<u32, Option<String>> =
        [(3, Some("br-lan".to_string())), (2, Some("wan".to_string()))].into();
    let mut gen = Gen {
        listed: &listed,
        flood,
        rng: Rng::new(if flood { 2 } else { 1 }),
        n: 0,
        macs: HashSet::new(),
    };
    let (hwm, rss) = memory();
    println!(
        "hostbench mode={mode} mix={mix} stage=start index_entries={index_entries} index_kb={} vm_hwm_kb={hwm} vm_rss_kb={rss}",
        index_bytes / 1024
    );
    let checkpoints = [10_000u64, 100_000, 1_000_000].map(|c| c.min(total));
    let mut dgrams: Vec<Vec<u8>> = Vec::new();
    let mut notices = Vec::new();
    let (mut sent, mut events, mut secs) = (0u64, 0u64, 0f64);
    let (mut lines, mut log_bytes, mut notice_lines) = (0u64, 0u64, 0u64);
    let mut since_drain = 0u64;
    for (ci, &cp) in checkpoints.iter().enumerate() {
        if ci > 0 && cp == checkpoints[ci - 1] {
            continue;
        }
        while sent < cp {
            let n = CHUNK.min(cp - sent);
            gen.chunk(n, &mut dgrams);
            sent += n;
            let t = Instant::now();
            for d in &dgrams {
                for m in messages(d) {
                    let p = match m.map(|m| parse_packet(&m)) {
                        Ok(Ok(Some(p))) => p,
                        other => fail(format!("message {events} did not decode: {other:?}")),
                    };
                    events += 1;
                    if !record {
                        // Kept opaque so the decode is not optimised away.
                        std::hint::black_box(p);
                        continue;
                    }
                    let now = T0 + events / EVENTS_PER_SECOND;
                    match ip_event(&p, now, log.index(), |i| ifnames.get(&i).cloned().flatten()) {
                        Some((e, attributed)) => {
                            log.counters.unattributed += u64::from(!attributed);
                            log.record(e, now, &mut notices);
                        }
                        None => fail(format!("message {events}: no event")),
                    }
                    since_drain += 1;
                    if since_drain == DRAIN_EVERY {
                        since_drain = 0;
                        for l in log.take_lines() {
                            lines += 1;
                            log_bytes += l.len() as u64 + 1;
                        }
                        notice_lines += notices.len() as u64;
                        notices.clear();
                    }
                }
            }
            secs += t.elapsed().as_secs_f64();
        }
        if record {
            for l in log.take_lines() {
                lines += 1;
                log_bytes += l.len() as u64 + 1;
            }
            notice_lines += notices.len() as u64;
            notices.clear();
            since_drain = 0;
        }
        let (hwm, rss) = memory();
        let stats = log.stats();
        // The checks: every message became an event and a line, was
        // attributed, and the table holds whom it should.
        if events != sent {
            fail(format!("{events} events decoded of {sent} sent"));
        }
        if record {
            let c = log.counters;
            let want_hosts = if flood {
                (sent as usize).min(CAPACITY)
            } else {
                gen.macs.len()
            };
            let want_evictions = if flood {
                sent.saturating_sub(CAPACITY as u64)
            } else {
                0
            };
            let bad = [
                (
                    c.ip_events != sent,
                    format!("ip_events {} != sent {sent}", c.ip_events),
                ),
                (lines != sent, format!("event-log lines {lines} != sent {sent}")),
                (
                    c.log_dropped != 0,
                    format!("{} event-log lines dropped", c.log_dropped),
                ),
                (c.unattributed != 0, format!("{} unattributed", c.unattributed)),
                (
                    stats.hosts != want_hosts,
                    format!("hosts {} != {want_hosts}", stats.hosts),
                ),
                (
                    stats.evictions != want_evictions,
                    format!("evictions {} != {want_evictions}", stats.evictions),
                ),
            ];
            if let Some((_, why)) = bad.iter().find(|(b, _)| *b) {
                fail(format!("mode={mode} mix={mix} events={events}: {why}"));
            }
            if !flood {
                // A host of the busy eight carries its own hits.
                let key = HostKey::Mac(Mac(lan_host(0).0));
                if log.table().get(&key).is_none_or(|h| h.ip_hits == 0) {
                    fail("host 0 missing or without hits".into());
                }
            }
        }
        println!(
            "hostbench mode={mode} mix={mix} events={events} secs={secs:.4} eps={:.0} hosts={} evictions={} log_bytes={log_bytes} notices={notice_lines} vm_hwm_kb={hwm} vm_rss_kb={rss}",
            events as f64 / secs,
            stats.hosts,
            stats.evictions,
        );
    }
}

/// A snapshot of `n` hosts last seen around `now`: each with a MAC, a
/// hostname, an IPv4 and an IPv6 address, two listed addresses and two
/// listed domains hit, a few ports.
fn snapshot_of(n: u32, now: u64) -> Vec<u8> {
    if n > 64_000 {
        fail(format!(
            "snapshot: at most 64000 hosts (one 10.20.0.0/16), not {n}"
        ));
    }
    let mut t = HostTable::new(n as usize);
    let mut rng = Rng::new(3);
    for i in 0..n {
        let mac = Mac([0x3c, 0x22, 0xfb, 0x20, (i >> 8) as u8, i as u8]);
        let v4 = IpAddr::V4(Ipv4Addr::new(10, 20, (i / 250) as u8, 2 + (i % 250) as u8));
        let v6 = IpAddr::V6(Ipv6Addr::new(
            0x2001, 0xdb8, 0, 2, 0x3e22, 0xfbff, 0xfe20, i as u16,
        ));
        let at = now - 86_400 + u64::from(i) * 10;
        for k in 0..4u64 {
            let r = rng.next();
            let src = if k % 2 == 0 { v4 } else { v6 };
            let (hit, listed) = if k < 2 {
                let dst = IpAddr::V4(Ipv4Addr::from(public_v4(r)));
                let hit = Hit::Ip(IpHit {
                    dst,
                    proto: Proto::Tcp,
                    dport: Some([443, 8080][k as usize]),
                    iif: Some("br-lan".into()),
                    oif: Some("wan".into()),
                });
                (hit, dst.to_string())
            } else {
                let name = format!(
                    "c2-{:x}.{}",
                    r % 500_000,
                    ["com", "net", "top", "xyz"][(r >> 40) as usize % 4]
                );
                let hit = Hit::Dns(DnsHit {
                    name: format!("api.{name}"),
                    qtype: 1,
                });
                (hit, name)
            };
            let e = Event {
                time: at + k,
                src,
                mac: Some(mac),
                hit,
                listed,
                feeds: vec![["botnet-c2", "scanners"][k as usize % 2].into()],
            };
            t.record(&e, at + k);
        }
        let _ = t.set_hostname(&HostKey::Mac(mac), &format!("desk-{i:04}"));
    }
    if t.len() != n as usize {
        fail(format!("snapshot: {} hosts, wanted {n}", t.len()));
    }
    snapshot::encode(&t, now)
}

/// Where the daemon's memory for a restored table goes: VmRSS before
/// and after reading and decoding snapshot `path` (build for the musl
/// target to see what the router's allocator does).
fn load(path: &str, capacity: usize) {
    let (_, before) = memory();
    let bytes = std::fs::read(path).unwrap_or_else(|e| fail(format!("{path}: {e}")));
    let (_, read) = memory();
    let restored = snapshot::decode(&bytes, capacity).unwrap_or_else(|e| fail(format!("{path}: {e}")));
    let (_, decoded) = memory();
    let file_kb = bytes.len() / 1024;
    drop(bytes);
    let (hwm, table) = memory();
    println!(
        "hostbench load hosts={} file_kb={file_kb} vm_rss_kb: start={before} read={read} decoded={decoded} table={table} (table - start = {} kB, {} B/host) vm_hwm_kb={hwm}",
        restored.table.len(),
        table.saturating_sub(before),
        table.saturating_sub(before) * 1024 / restored.table.len().max(1) as u64
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    let num = |i: usize, d: u64| {
        if arg(i).is_empty() {
            d
        } else {
            arg(i)
                .parse()
                .unwrap_or_else(|_| fail(format!("not a number: {:?}", arg(i))))
        }
    };
    match arg(1) {
        "snapshot" => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(T0, |d| d.as_secs());
            let bytes = snapshot_of(num(2, CAPACITY as u64) as u32, now);
            use std::io::Write;
            if std::io::stdout().write_all(&bytes).is_err() {
                exit(1);
            }
        }
        "load" => load(arg(2), num(3, CAPACITY as u64) as usize),
        mode => run(mode, arg(2), num(3, 1_000_000)),
    }
}
