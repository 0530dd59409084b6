//! Giving freed memory back to the kernel, for the glibc build.
//!
//! A router has 128–256 MB shared with the kernel, dnsmasq and the page
//! cache, so memory iocguard frees must leave the process. musl's
//! allocator returns large blocks by itself. glibc's raises its mmap
//! threshold each time a large block is freed, so later large blocks (a
//! feed body, the next reload's tables) come from the heap and stay
//! resident after they are freed: measured, `sync` of 1M IPv4 lines
//! peaked at 32.5 MB instead of 25.9 MB, and the daemon grew with every
//! reload. [`large_blocks_apart`] pins the threshold; [`give_back`]
//! trims what the heap still holds after a reload. Both are no-ops on
//! other C libraries.
//!
//! The only unsafe code in the crate: two calls into the C library with
//! plain integer arguments, no pointers.

/// Makes every allocation of 128 KiB or more a mapping of its own, which
/// goes back to the kernel when it is freed. Call once, early in `main`.
pub fn large_blocks_apart() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    glibc::mallopt_mmap_threshold(128 << 10);
}

/// Lets at most two malloc arenas serve all threads: glibc gives each
/// thread that allocates an arena of its own (up to 8 per core), and
/// what one thread frees stays in its arena, resident, for that thread.
/// The daemon's threads allocate little; one more arena than the main
/// thread's keeps them from contending on it.
pub fn few_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    glibc::mallopt_arena_max(2);
}

/// Returns the free memory at the top and inside the heap to the kernel
/// (after a reload dropped the previous tables).
pub fn give_back() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    glibc::trim();
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
mod glibc {
    use std::os::raw::c_int;

    extern "C" {
        fn mallopt(param: c_int, value: c_int) -> c_int;
        fn malloc_trim(pad: usize) -> c_int;
    }

    /// glibc's `M_MMAP_THRESHOLD` (malloc.h); setting it also turns off
    /// the dynamic adjustment.
    const M_MMAP_THRESHOLD: c_int = -3;
    /// glibc's `M_ARENA_MAX` (malloc.h).
    const M_ARENA_MAX: c_int = -8;

    pub fn mallopt_mmap_threshold(bytes: c_int) {
        // SAFETY: mallopt takes two integers and only changes allocator
        // tuning; any value is accepted or refused with a return of 0.
        unsafe {
            mallopt(M_MMAP_THRESHOLD, bytes);
        }
    }

    pub fn mallopt_arena_max(n: c_int) {
        // SAFETY: as above.
        unsafe {
            mallopt(M_ARENA_MAX, n);
        }
    }

    pub fn trim() {
        // SAFETY: malloc_trim takes an integer and only releases free
        // pages; it is thread-safe (takes the arena locks).
        unsafe {
            malloc_trim(0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads this process's resident set in kB.
    fn rss_kb() -> u64 {
        let s = std::fs::read_to_string("/proc/self/status").unwrap();
        let line = s.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

    #[test]
    fn a_freed_large_block_leaves_the_process() {
        large_blocks_apart();
        // Freeing a big block first is what made glibc serve the next
        // one from the heap (and keep it) before the threshold was pinned.
        drop(std::hint::black_box(vec![1u8; 24 << 20]));
        let before = rss_kb();
        let v = std::hint::black_box(vec![1u8; 16 << 20]);
        // Something after it, so it is not the heap's top (which glibc
        // trims by itself).
        let pin = std::hint::black_box(vec![2u8; 64]);
        let held = rss_kb();
        drop(v);
        let after = rss_kb();
        drop(pin);
        give_back();
        assert!(
            held >= before + 15_000,
            "the block was never resident: {before} → {held} kB"
        );
        assert!(
            after < before + 4_000,
            "16 MB freed, RSS {before} → {held} → {after} kB"
        );
    }
}
