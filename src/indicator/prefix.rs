//! IP prefixes, generic over the address width so that IPv4 and IPv6 share
//! one implementation of masking, range arithmetic and CIDR covering.
//!
//! A [`Prefix`] is always stored in canonical form: host bits are zero.
//! Range helpers work on inclusive `[first, last]` pairs because the top of
//! the address space (`255.255.255.255`) has no exclusive successor.

use std::fmt;
use std::hash::Hash;
use std::net::{Ipv4Addr, Ipv6Addr};

/// An unsigned integer that holds one address of an IP family.
pub trait Bits: Copy + Ord + Eq + Hash + fmt::Debug + Send + Sync + 'static {
    /// Width of the address in bits (32 or 128).
    const WIDTH: u8;
    /// The all-zero address.
    const ZERO: Self;
    /// The all-ones address.
    const MAX: Self;
    /// The netmask with `len` leading ones (`len` ≤ WIDTH).
    fn mask(len: u8) -> Self;
    /// Bitwise and.
    fn and(self, other: Self) -> Self;
    /// Bitwise or.
    fn or(self, other: Self) -> Self;
    /// Bitwise not.
    fn not(self) -> Self;
    /// `self + 1`, or `None` at the top of the space.
    fn succ(self) -> Option<Self>;
    /// `self - 1`, or `None` at zero.
    fn pred(self) -> Option<Self>;
    /// Number of trailing zero bits (WIDTH for zero).
    fn trailing_zeros(self) -> u8;
}

macro_rules! impl_bits {
    ($t:ty, $w:expr) => {
        impl Bits for $t {
            const WIDTH: u8 = $w;
            const ZERO: Self = 0;
            const MAX: Self = <$t>::MAX;
            fn mask(len: u8) -> Self {
                if len == 0 {
                    0
                } else {
                    <$t>::MAX << ($w - len)
                }
            }
            fn and(self, o: Self) -> Self {
                self & o
            }
            fn or(self, o: Self) -> Self {
                self | o
            }
            fn not(self) -> Self {
                !self
            }
            fn succ(self) -> Option<Self> {
                self.checked_add(1)
            }
            fn pred(self) -> Option<Self> {
                self.checked_sub(1)
            }
            fn trailing_zeros(self) -> u8 {
                <$t>::trailing_zeros(self) as u8
            }
        }
    };
}
impl_bits!(u32, 32);
impl_bits!(u128, 128);

/// A CIDR prefix in canonical form (host bits cleared).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Prefix<A: Bits> {
    addr: A,
    len: u8,
}

/// An IPv4 prefix; a single host is a /32.
pub type V4Prefix = Prefix<u32>;
/// An IPv6 prefix; a single host is a /128.
pub type V6Prefix = Prefix<u128>;

impl<A: Bits> Prefix<A> {
    /// Builds a prefix, or `None` when `len` exceeds the address width or
    /// host bits are set (feeds that write `10.1.2.3/8` are ambiguous: the
    /// author may have meant the host or the network, so we refuse to guess).
    pub fn new(addr: A, len: u8) -> Option<Self> {
        if len > A::WIDTH || addr.and(A::mask(len)) != addr {
            return None;
        }
        Some(Self { addr, len })
    }

    /// Builds a prefix, clearing any host bits.
    pub fn new_truncating(addr: A, len: u8) -> Self {
        let len = len.min(A::WIDTH);
        Self {
            addr: addr.and(A::mask(len)),
            len,
        }
    }

    /// A single-address prefix.
    pub fn host(addr: A) -> Self {
        Self { addr, len: A::WIDTH }
    }

    /// The network address.
    pub fn addr(&self) -> A {
        self.addr
    }

    /// The prefix length.
    // A prefix is not a collection; `is_empty` would mean nothing.
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> u8 {
        self.len
    }

    /// True for a single address (/32 or /128).
    pub fn is_host(&self) -> bool {
        self.len == A::WIDTH
    }

    /// The last address inside the prefix.
    pub fn last(&self) -> A {
        self.addr.or(A::mask(self.len).not())
    }

    /// The inclusive range the prefix covers.
    pub fn range(&self) -> (A, A) {
        (self.addr, self.last())
    }

    /// True when `a` lies inside the prefix.
    pub fn contains(&self, a: A) -> bool {
        a.and(A::mask(self.len)) == self.addr
    }

    /// True when `other` lies completely inside `self`.
    pub fn covers(&self, other: &Self) -> bool {
        other.len >= self.len && self.contains(other.addr)
    }

    /// True when the two prefixes share at least one address.
    pub fn overlaps(&self, other: &Self) -> bool {
        self.covers(other) || other.covers(self)
    }
}

/// Splits the inclusive range `[first, last]` into the minimal list of
/// prefixes that cover exactly that range, calling `out` for each in order.
pub fn range_to_prefixes<A: Bits>(mut first: A, last: A, mut out: impl FnMut(Prefix<A>)) {
    loop {
        // The largest block that starts at `first` (alignment) and does not
        // run past `last`.
        let mut len = A::WIDTH - first.trailing_zeros().min(A::WIDTH);
        loop {
            let p = Prefix::new_truncating(first, len);
            if p.addr == first && p.last() <= last {
                break;
            }
            len += 1;
        }
        let p = Prefix { addr: first, len };
        out(p);
        match p.last().succ() {
            Some(next) if p.last() < last => first = next,
            _ => return,
        }
    }
}

impl fmt::Display for V4Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_host() {
            write!(f, "{}", Ipv4Addr::from(self.addr))
        } else {
            write!(f, "{}/{}", Ipv4Addr::from(self.addr), self.len)
        }
    }
}

impl fmt::Display for V6Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_host() {
            write!(f, "{}", Ipv6Addr::from(self.addr))
        } else {
            write!(f, "{}/{}", Ipv6Addr::from(self.addr), self.len)
        }
    }
}

impl From<Ipv4Addr> for V4Prefix {
    fn from(a: Ipv4Addr) -> Self {
        Prefix::host(u32::from(a))
    }
}

impl From<Ipv6Addr> for V6Prefix {
    fn from(a: Ipv6Addr) -> Self {
        Prefix::host(u128::from(a))
    }
}

/// True when the sorted disjoint `ranges` contain `a`.
pub fn range_contains<A: Bits>(ranges: &[(A, A)], a: A) -> bool {
    let i = ranges.partition_point(|&(first, _)| first <= a);
    i > 0 && ranges[i - 1].1 >= a
}

/// Merges inclusive ranges, sorted by start, into disjoint, non-adjacent
/// ranges.
pub fn merge_ranges<A: Bits>(sorted: impl Iterator<Item = (A, A)>) -> Vec<(A, A)> {
    let mut out: Vec<(A, A)> = Vec::new();
    for (a, b) in sorted {
        if let Some(last) = out.last_mut() {
            let touches = match last.1.succ() {
                Some(next) => a <= next,
                None => true,
            };
            if touches {
                last.1 = last.1.max(b);
                continue;
            }
        }
        out.push((a, b));
    }
    out
}

/// [`merge_ranges`] in place: `ranges`, sorted by start, become disjoint
/// and non-adjacent without a second vector (a million IPv4 ranges are
/// 8 MB; the commands that install them run on routers with 128 MB).
pub fn merge_ranges_in_place<A: Bits>(ranges: &mut Vec<(A, A)>) {
    let mut w = 0;
    for r in 0..ranges.len() {
        let (a, b) = ranges[r];
        if w > 0 {
            let last = &mut ranges[w - 1];
            let touches = match last.1.succ() {
                Some(next) => a <= next,
                None => true,
            };
            if touches {
                last.1 = last.1.max(b);
                continue;
            }
        }
        ranges[w] = (a, b);
        w += 1;
    }
    ranges.truncate(w);
}

/// `ranges` minus `cut` (both sorted and disjoint), reusing `ranges` when
/// no range meets a cut — the usual case, since the gate already refuses
/// entries inside the protected ranges and only covering prefixes meet
/// them.
pub fn subtract_ranges_owned<A: Bits>(ranges: Vec<(A, A)>, cut: &[(A, A)]) -> Vec<(A, A)> {
    let mut j = 0;
    let meets = ranges.iter().any(|&(a, b)| {
        while j < cut.len() && cut[j].1 < a {
            j += 1;
        }
        j < cut.len() && cut[j].0 <= b
    });
    if meets {
        subtract_ranges(&ranges, cut)
    } else {
        ranges
    }
}

/// `ranges` minus `cut`, both sorted and disjoint.
pub fn subtract_ranges<A: Bits>(ranges: &[(A, A)], cut: &[(A, A)]) -> Vec<(A, A)> {
    let mut out = Vec::with_capacity(ranges.len());
    let mut j = 0;
    for &(mut a, b) in ranges {
        while j < cut.len() && cut[j].1 < a {
            j += 1;
        }
        let mut k = j;
        let mut alive = true;
        while alive && k < cut.len() && cut[k].0 <= b {
            let (ca, cb) = cut[k];
            if ca > a {
                out.push((a, ca.pred().unwrap_or(A::ZERO)));
            }
            match cb.succ() {
                Some(next) if cb < b => a = next,
                _ => alive = false,
            }
            k += 1;
        }
        if alive {
            out.push((a, b));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_place_merge_and_owned_subtract_agree_with_the_copying_ones() {
        // Every combination of a few short ranges on 0..16.
        let mut seed = 0x9e37_79b9u32;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed
        };
        for _ in 0..2000 {
            let mut rs: Vec<(u32, u32)> = (0..next() % 8)
                .map(|_| {
                    let a = next() % 16;
                    (a, a + next() % 4)
                })
                .collect();
            rs.sort();
            let want = merge_ranges(rs.iter().copied());
            merge_ranges_in_place(&mut rs);
            assert_eq!(rs, want);
            let cut = merge_ranges(
                {
                    let mut c: Vec<(u32, u32)> = (0..next() % 3)
                        .map(|_| {
                            let a = next() % 20;
                            (a, a + next() % 3)
                        })
                        .collect();
                    c.sort();
                    c
                }
                .into_iter(),
            );
            assert_eq!(
                subtract_ranges_owned(rs.clone(), &cut),
                subtract_ranges(&rs, &cut),
                "{rs:?} - {cut:?}"
            );
        }
        let mut top = vec![(u32::MAX - 1, u32::MAX), (u32::MAX, u32::MAX)];
        merge_ranges_in_place(&mut top);
        assert_eq!(top, [(u32::MAX - 1, u32::MAX)]);
    }

    fn v4(s: &str) -> V4Prefix {
        let (a, l) = s.split_once('/').unwrap_or((s, "32"));
        Prefix::new(u32::from(a.parse::<Ipv4Addr>().unwrap()), l.parse().unwrap()).unwrap()
    }

    #[test]
    fn new_refuses_host_bits_and_long_lengths() {
        assert!(V4Prefix::new(0x0a01_0203, 8).is_none());
        assert!(V4Prefix::new(0, 33).is_none());
        assert_eq!(V4Prefix::new_truncating(0x0a01_0203, 8), v4("10.0.0.0/8"));
    }

    #[test]
    fn zero_length_covers_everything() {
        let all = V4Prefix::new(0, 0).unwrap();
        assert_eq!(all.last(), u32::MAX);
        assert!(all.covers(&v4("255.255.255.255")));
    }

    #[test]
    fn display_omits_host_length() {
        assert_eq!(v4("192.0.2.1").to_string(), "192.0.2.1");
        assert_eq!(v4("192.0.2.0/24").to_string(), "192.0.2.0/24");
        let p = V6Prefix::new(0x2001_0db8 << 96, 32).unwrap();
        assert_eq!(p.to_string(), "2001:db8::/32");
    }

    #[test]
    fn range_split_is_minimal() {
        let mut v = Vec::new();
        // 10.0.0.1 .. 10.0.0.6 = .1/32 .2/31 .4/31 .6/32
        range_to_prefixes(0x0a00_0001u32, 0x0a00_0006, |p| v.push(p.to_string()));
        assert_eq!(v, ["10.0.0.1", "10.0.0.2/31", "10.0.0.4/31", "10.0.0.6"]);
    }

    #[test]
    fn range_split_reaches_top_of_space() {
        let mut v = Vec::new();
        range_to_prefixes(0u32, u32::MAX, |p| v.push(p));
        assert_eq!(v, vec![V4Prefix::new(0, 0).unwrap()]);
        let mut v = Vec::new();
        range_to_prefixes(u128::MAX - 1, u128::MAX, |p| v.push(p));
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].len(), 127);
    }
}
