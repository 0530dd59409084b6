//! BLAKE2b (RFC 7693), unkeyed, any output length from 1 to 64 bytes.
//!
//! minisign needs it twice: BLAKE2b-512 of the signed file for prehashed
//! (`ED`) signatures, and BLAKE2b-256 as the secret key's checksum. The
//! hasher streams (`update` any number of times, then `finalize`), so a
//! 32 MB feed is hashed from a file without being held in memory. A
//! 64-byte `u64` state and a 128-byte block buffer is all it keeps.
//!
//! Written here rather than pulled from a crate because it is ~100 lines
//! and the RustCrypto `blake2` crate brings `digest` and its trait stack
//! onto a router with a 3 MB budget.

/// The SHA-512 initialisation vector, which BLAKE2b reuses.
const IV: [u64; 8] = [
    0x6a09e667f3bcc908,
    0xbb67ae8584caa73b,
    0x3c6ef372fe94f82b,
    0xa54ff53a5f1d36f1,
    0x510e527fade682d1,
    0x9b05688c2b3e6c1f,
    0x1f83d9abfb41bd6b,
    0x5be0cd19137e2179,
];

/// Message word permutations, one row per round (rounds 10 and 11 reuse
/// rows 0 and 1).
const SIGMA: [[usize; 16]; 10] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
    [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
    [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
    [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
    [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
    [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
    [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
    [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
    [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
    [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
];

const BLOCK: usize = 128;

/// Largest digest BLAKE2b produces (BLAKE2b-512).
pub const MAX_OUT: usize = 64;

/// A streaming BLAKE2b hasher.
#[derive(Clone)]
pub struct Blake2b {
    h: [u64; 8],
    /// Bytes compressed so far (RFC 7693's `t`, 128 bits).
    t: u128,
    buf: [u8; BLOCK],
    /// Bytes waiting in `buf`. The last block must be compressed with the
    /// final flag, so a full buffer is only flushed when more input comes.
    buf_len: usize,
    out_len: usize,
}

impl Blake2b {
    /// A hasher producing `out_len` bytes.
    ///
    /// # Panics
    /// When `out_len` is 0 or above 64: a programming error, never input.
    pub fn new(out_len: usize) -> Self {
        assert!(
            (1..=MAX_OUT).contains(&out_len),
            "BLAKE2b output length {out_len}"
        );
        let mut h = IV;
        // Parameter block word 0: digest length, key length 0, fanout 1,
        // depth 1 (sequential mode).
        h[0] ^= 0x0101_0000 ^ out_len as u64;
        Self {
            h,
            t: 0,
            buf: [0; BLOCK],
            buf_len: 0,
            out_len,
        }
    }

    /// Feeds more input.
    pub fn update(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            if self.buf_len == BLOCK {
                self.t += BLOCK as u128;
                let block = self.buf;
                self.compress(&block, false);
                self.buf_len = 0;
            }
            let take = (BLOCK - self.buf_len).min(data.len());
            self.buf[self.buf_len..self.buf_len + take].copy_from_slice(&data[..take]);
            self.buf_len += take;
            data = &data[take..];
        }
    }

    /// Finishes and writes the digest into `out`, which must be exactly
    /// the length given to [`Blake2b::new`].
    ///
    /// # Panics
    /// When `out` has another length (a programming error).
    pub fn finalize_into(mut self, out: &mut [u8]) {
        assert_eq!(out.len(), self.out_len, "BLAKE2b output buffer length");
        self.t += self.buf_len as u128;
        self.buf[self.buf_len..].fill(0);
        let block = self.buf;
        self.compress(&block, true);
        for (chunk, word) in out.chunks_mut(8).zip(self.h.iter()) {
            chunk.copy_from_slice(&word.to_le_bytes()[..chunk.len()]);
        }
    }

    fn compress(&mut self, block: &[u8; BLOCK], last: bool) {
        let mut m = [0u64; 16];
        for (w, c) in m.iter_mut().zip(block.chunks_exact(8)) {
            let mut b = [0u8; 8];
            b.copy_from_slice(c);
            *w = u64::from_le_bytes(b);
        }
        let mut v = [0u64; 16];
        v[..8].copy_from_slice(&self.h);
        v[8..].copy_from_slice(&IV);
        v[12] ^= self.t as u64;
        v[13] ^= (self.t >> 64) as u64;
        if last {
            v[14] = !v[14];
        }
        for round in 0..12 {
            let s = &SIGMA[round % 10];
            g(&mut v, 0, 4, 8, 12, m[s[0]], m[s[1]]);
            g(&mut v, 1, 5, 9, 13, m[s[2]], m[s[3]]);
            g(&mut v, 2, 6, 10, 14, m[s[4]], m[s[5]]);
            g(&mut v, 3, 7, 11, 15, m[s[6]], m[s[7]]);
            g(&mut v, 0, 5, 10, 15, m[s[8]], m[s[9]]);
            g(&mut v, 1, 6, 11, 12, m[s[10]], m[s[11]]);
            g(&mut v, 2, 7, 8, 13, m[s[12]], m[s[13]]);
            g(&mut v, 3, 4, 9, 14, m[s[14]], m[s[15]]);
        }
        for i in 0..8 {
            self.h[i] ^= v[i] ^ v[i + 8];
        }
    }
}

/// The mixing function G of RFC 7693 section 3.1.
#[inline(always)]
fn g(v: &mut [u64; 16], a: usize, b: usize, c: usize, d: usize, x: u64, y: u64) {
    v[a] = v[a].wrapping_add(v[b]).wrapping_add(x);
    v[d] = (v[d] ^ v[a]).rotate_right(32);
    v[c] = v[c].wrapping_add(v[d]);
    v[b] = (v[b] ^ v[c]).rotate_right(24);
    v[a] = v[a].wrapping_add(v[b]).wrapping_add(y);
    v[d] = (v[d] ^ v[a]).rotate_right(16);
    v[c] = v[c].wrapping_add(v[d]);
    v[b] = (v[b] ^ v[c]).rotate_right(63);
}

/// A streaming BLAKE2b-512 hasher, the digest minisign signs in `ED` mode.
#[derive(Clone)]
pub struct Blake2b512(Blake2b);

impl Default for Blake2b512 {
    fn default() -> Self {
        Self(Blake2b::new(64))
    }
}

impl Blake2b512 {
    /// A fresh hasher.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds more input.
    pub fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    /// The 64-byte digest.
    pub fn finalize(self) -> [u8; 64] {
        let mut out = [0u8; 64];
        self.0.finalize_into(&mut out);
        out
    }
}

/// BLAKE2b-512 of `data` in one call.
pub fn blake2b_512(data: &[u8]) -> [u8; 64] {
    let mut h = Blake2b512::new();
    h.update(data);
    h.finalize()
}

/// BLAKE2b-256 of the concatenation of `parts` (the secret key checksum).
pub fn blake2b_256(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Blake2b::new(32);
    for p in parts {
        h.update(p);
    }
    let mut out = [0u8; 32];
    h.finalize_into(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    fn pattern(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i % 251) as u8).collect()
    }

    #[test]
    fn rfc7693_abc() {
        // RFC 7693 appendix A.
        assert_eq!(
            hex(&blake2b_512(b"abc")),
            "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1\
             7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923"
        );
    }

    #[test]
    fn empty_input() {
        assert_eq!(
            hex(&blake2b_512(b"")),
            "786a02f742015903c6c6fd852552d272912f4740e15847618a86e217f71f5419\
             d25e1031afee585313896444934eb04b903a685b1448b755d56f701afe9be2ce"
        );
    }

    #[test]
    fn block_boundaries_and_multi_block() {
        // Expected values from an independent implementation (Python's
        // hashlib.blake2b) over bytes i % 251; 127/128/129 and 255/256
        // straddle the one- and two-block edges where the final-block rule
        // bites.
        let cases = [
            (
                127,
                "b6292669ccd38d5f01caae96ba272c76a879a45743afa0725d83b9ebb26665b7\
                   31f1848c52f11972b6644f554c064fa90780dbbbf3a89d4fc31f67df3e5857ef",
            ),
            (
                128,
                "2319e3789c47e2daa5fe807f61bec2a1a6537fa03f19ff32e87eecbfd64b7e0e\
                   8ccff439ac333b040f19b0c4ddd11a61e24ac1fe0f10a039806c5dcc0da3d115",
            ),
            (
                129,
                "f59711d44a031d5f97a9413c065d1e614c417ede998590325f49bad2fd444d3e\
                   4418be19aec4e11449ac1a57207898bc57d76a1bcf3566292c20c683a5c4648f",
            ),
            (
                255,
                "fe2c02da499516b0e9fb2dd70c49eb3629039f632e20a880946fb7bc97a7ab09\
                   deb7d48774d7f0648141c9d9ede19ae6e0dbf07863a128cf4b00195f0f179f74",
            ),
            (
                256,
                "93463ac058b6163eb43be3f5bb32b28541498f4e3366f1effe253ad44e1e076e\
                   41c3616046027c82a7124f8f4746668ad10b12e8e25a95ac8f3151df01cd5a93",
            ),
            (
                1000,
                "c11e1c0340bd7e5a1b275f1230c962fad215ecb1391486e74e31b960a2f29963\
                    81a5fad092da06841d5f26e38f6ecfeaf441acbcd1c2de61aef121e7927175f5",
            ),
        ];
        for (n, want) in cases {
            assert_eq!(hex(&blake2b_512(&pattern(n))), want, "length {n}");
        }
    }

    #[test]
    fn streaming_matches_one_shot_for_every_split() {
        let data = pattern(300);
        let whole = blake2b_512(&data);
        for split in 0..=data.len() {
            let mut h = Blake2b512::new();
            h.update(&data[..split]);
            h.update(&[]);
            h.update(&data[split..]);
            assert_eq!(h.finalize(), whole, "split at {split}");
        }
        // Byte by byte.
        let mut h = Blake2b512::new();
        for b in &data {
            h.update(std::slice::from_ref(b));
        }
        assert_eq!(h.finalize(), whole);
    }

    #[test]
    fn blake2b_256_abc() {
        // Python: hashlib.blake2b(b"abc", digest_size=32). The output length
        // is part of the parameter block, so this is not a truncated -512.
        assert_eq!(
            hex(&blake2b_256(&[b"a", b"bc"])),
            "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319"
        );
    }
}
