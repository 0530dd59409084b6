//! The bulk loader on its own, for the benchmark of its memory and speed:
//! reads an IPv4 feed (one address or CIDR per line) into ranges with as
//! little memory as possible, installs the ruleset, and syncs the `v4`
//! set through [`iocguard::nft::Loader`].
//!
//! usage: nft_load FEED [RUN_DIR] [RANGES_PER_TXN]
//! Run inside a throw-away network namespace (`ip netns exec`).
//! `NFT_LOAD_MODE=interval` puts everything into the interval set `v4`
//! (the like-for-like comparison with `nft -f` into an interval set);
//! the default does what `iocguard apply` does: single addresses into
//! the hash set `v4h`, ranges into `v4`.

use iocguard::nft::{install_ruleset, EnforceConfig, Loader, SET_V4, SET_V4H};
use std::io::BufRead;
use std::net::Ipv4Addr;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let feed = args
        .get(1)
        .expect("usage: nft_load FEED [RUN_DIR] [RANGES_PER_TXN]");
    let run_dir = args
        .get(2)
        .cloned()
        .unwrap_or_else(|| "/tmp/iocguard-bench".into());
    let txn: usize = args
        .get(3)
        .and_then(|s| s.parse().ok())
        .unwrap_or(iocguard::nft::DEFAULT_TXN_RANGES);
    let t0 = Instant::now();
    let f = std::io::BufReader::new(std::fs::File::open(feed).expect("open feed"));
    let mut ranges: Vec<(u32, u32)> = Vec::new();
    for line in f.lines() {
        let line = line.expect("read");
        let (a, len) = match line.split_once('/') {
            Some((a, l)) => (a, l.parse::<u32>().expect("prefix length")),
            None => (line.as_str(), 32),
        };
        let a = u32::from(a.trim().parse::<Ipv4Addr>().expect("address"));
        let span = if len == 0 {
            u32::MAX
        } else {
            (1u32 << (32 - len)) - 1
        };
        ranges.push((a & !span, (a & !span) | span));
    }
    ranges.sort_unstable();
    // Merge in place (overlapping or adjacent ranges become one).
    ranges.dedup_by(|b, a| {
        if b.0 <= a.1.saturating_add(1) {
            a.1 = a.1.max(b.1);
            true
        } else {
            false
        }
    });
    ranges.shrink_to_fit();
    let parsed = t0.elapsed();
    let cfg = EnforceConfig {
        run_dir: run_dir.clone().into(),
        ..EnforceConfig::default()
    };
    install_ruleset(&cfg).expect("ruleset");
    let interval_only = std::env::var("NFT_LOAD_MODE").is_ok_and(|m| m == "interval");
    let t1 = Instant::now();
    let mut loader = Loader::new()
        .expect("netlink")
        .with_txn_ranges(txn)
        .with_state_dir(run_dir);
    let u = if interval_only {
        loader.sync(&cfg.table, SET_V4, &ranges).expect("load")
    } else {
        // Split in place: hosts first, then ranges, without a second copy.
        ranges.sort_unstable_by_key(|r| (r.0 != r.1, r.0));
        let cut = ranges.partition_point(|r| r.0 == r.1);
        let (hosts, nets) = ranges.split_at(cut);
        let [h, n] = loader
            .sync_split(&cfg.table, SET_V4H, SET_V4, hosts, nets)
            .expect("load");
        iocguard::nft::SetUpdate {
            after: h.after + n.after,
            added: h.added + n.added,
            deleted: h.deleted + n.deleted,
            transactions: h.transactions + n.transactions,
            ..h
        }
    };
    // The loader's own peak RSS (VmHWM), excluding the nft child that
    // installed the ruleset.
    let hwm = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l[6..].trim().to_string())
        })
        .unwrap_or_default();
    println!(
        "{} peak RSS {hwm}; read {:.3} s, load {:.3} s: {} ranges (+{} -{}) in {} transactions",
        if interval_only {
            "interval-only"
        } else {
            "hash+interval"
        },
        parsed.as_secs_f64(),
        t1.elapsed().as_secs_f64(),
        u.after,
        u.added,
        u.deleted,
        u.transactions
    );
}
