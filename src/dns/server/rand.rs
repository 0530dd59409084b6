//! Unpredictable numbers for forwarding: upstream query IDs and source
//! ports. They come from the OS CSPRNG (`getrandom(2)` through ring's
//! `SystemRandom`), never from a seeded PRNG: an off-path spoofer who has
//! seen some IDs and ports must learn nothing about the next ones
//! (xorshift, which this replaces, is predictable from a few outputs).
//!
//! One syscall per query would cost throughput, so bytes are drawn in
//! blocks of [`BLOCK`] into a buffer owned by one thread (no lock) and
//! handed out two at a time. If the OS cannot supply randomness, `u16`
//! returns `None` and the caller refuses to forward: a predictable ID is
//! worse than a SERVFAIL.

use ring::rand::{SecureRandom, SystemRandom};

/// Bytes drawn from the OS at a time: 128 IDs or ports per syscall.
const BLOCK: usize = 256;

/// A per-thread buffer of CSPRNG output.
pub(super) struct Rand {
    os: SystemRandom,
    buf: [u8; BLOCK],
    used: usize,
}

impl Rand {
    /// An empty buffer; the first call fills it.
    pub(super) fn new() -> Rand {
        Rand {
            os: SystemRandom::new(),
            buf: [0; BLOCK],
            used: BLOCK,
        }
    }

    /// Sixteen random bits, or `None` if the OS CSPRNG failed.
    pub(super) fn u16(&mut self) -> Option<u16> {
        if self.used + 2 > BLOCK {
            self.os.fill(&mut self.buf).ok()?;
            self.used = 0;
        }
        let v = u16::from_ne_bytes([self.buf[self.used], self.buf[self.used + 1]]);
        // Each byte is handed out once.
        self.buf[self.used..self.used + 2].fill(0);
        self.used += 2;
        Some(v)
    }

    /// Uniform in `lo..=hi` (rejection sampling: no modulo bias).
    pub(super) fn in_range(&mut self, lo: u16, hi: u16) -> Option<u16> {
        let span = u32::from(hi.checked_sub(lo)?) + 1;
        // The largest multiple of span that fits in 16 bits.
        let zone = (1u32 << 16) / span * span;
        loop {
            let v = u32::from(self.u16()?);
            if v < zone {
                return Some(lo + (v % span) as u16);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_spread_and_ranges_respected() {
        let mut r = Rand::new();
        let ids: std::collections::HashSet<u16> = (0..1000).map(|_| r.u16().unwrap()).collect();
        // 1000 draws of 16 bits: a repeat-free run of ~990+ is expected; a
        // stuck or short-cycled generator would fall far below.
        assert!(ids.len() > 950, "{}", ids.len());
        let mut seen = [false; 8];
        for _ in 0..2000 {
            let p = r.in_range(1000, 1007).unwrap();
            assert!((1000..=1007).contains(&p));
            seen[(p - 1000) as usize] = true;
        }
        assert!(seen.iter().all(|&s| s), "every value of a small range comes up");
        assert_eq!(r.in_range(5, 5), Some(5));
        assert_eq!(r.in_range(6, 5), None);
        assert!(r.in_range(0, u16::MAX).is_some());
    }
}
