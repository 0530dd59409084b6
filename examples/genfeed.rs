//! Deterministic feed generator for benchmarks: `genfeed ipv4|ipv6|domains N [SEED]`
//! writes N lines to stdout. The same arguments always give the same bytes,
//! so iocguard and its anchors (nft, dnsmasq) load identical data.

use std::io::{BufWriter, Write};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*: fast, no dependency, good enough spread for test data.
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

const TLDS: &[&str] = &[
    "com", "net", "org", "info", "xyz", "top", "vn", "ru", "cn", "online", "site", "club",
];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let kind = args.get(1).map(String::as_str).unwrap_or("ipv4");
    let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let seed: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(1);
    let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let out = std::io::stdout();
    let mut w = BufWriter::with_capacity(1 << 16, out.lock());
    for _ in 0..n {
        let r = rng.next();
        let res = match kind {
            "ipv4" => {
                // Public unicast only (first octet 1..=223, skipping 10 and
                // 127), 1 in 16 lines a /24 network like real DROP lists.
                let mut a = (r >> 32) as u32;
                let first = 1 + (a >> 24) % 223;
                let first = if first == 10 || first == 127 || first == 100 || first == 172 || first == 192 {
                    first + 1
                } else {
                    first
                };
                a = (first << 24) | (a & 0x00ff_ffff);
                if r & 0xf == 0 {
                    let a = a & 0xffff_ff00;
                    writeln!(w, "{}.{}.{}.0/24", a >> 24, (a >> 16) & 255, (a >> 8) & 255)
                } else {
                    writeln!(
                        w,
                        "{}.{}.{}.{}",
                        a >> 24,
                        (a >> 16) & 255,
                        (a >> 8) & 255,
                        a & 255
                    )
                }
            }
            "domains" => {
                let label: String = (0..6 + (r % 7) as usize)
                    .map(|i| {
                        let c = ((r >> (8 + i * 5)) & 31) as u8 % 36;
                        (if c < 26 { b'a' + c } else { b'0' + c - 26 }) as char
                    })
                    .collect();
                let r2 = rng.next();
                writeln!(
                    w,
                    "{}.c2-{:x}.{}",
                    label,
                    r2 % 500_000,
                    TLDS[(r2 >> 40) as usize % TLDS.len()]
                )
            }
            "ipv6" => {
                // Global unicast 2a00::/12 (RIPE's space: the safety gate
                // keeps it), 1 in 16 lines a /48 like real lists.
                let hi = (rng.next() & 0x000f_ffff_ffff_ffff) | 0x2a00_0000_0000_0000;
                let g = |v: u64, i: u32| (v >> (48 - 16 * i)) & 0xffff;
                if r & 0xf == 0 {
                    writeln!(w, "{:x}:{:x}:{:x}::/48", g(hi, 0), g(hi, 1), g(hi, 2))
                } else {
                    let lo = r;
                    writeln!(
                        w,
                        "{:x}:{:x}:{:x}:{:x}:{:x}:{:x}:{:x}:{:x}",
                        g(hi, 0),
                        g(hi, 1),
                        g(hi, 2),
                        g(hi, 3),
                        g(lo, 0),
                        g(lo, 1),
                        g(lo, 2),
                        g(lo, 3) | 1
                    )
                }
            }
            other => {
                eprintln!("genfeed: unknown kind {other:?} (ipv4|ipv6|domains)");
                std::process::exit(2);
            }
        };
        if res.is_err() {
            return;
        }
    }
}
