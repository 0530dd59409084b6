//! Standard base64 (RFC 4648 alphabet, `=` padding), as minisign writes
//! it for keys and signatures.
//!
//! Decoding is strict: the length must be a multiple of four, padding only
//! at the end, no whitespace inside, and unused trailing bits must be zero,
//! so every binary value has exactly one accepted text form. It never
//! panics, whatever the input.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Encodes `data` with padding.
pub fn encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn value(c: u8) -> Option<u32> {
    Some(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    } as u32)
}

/// Why a base64 string was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Base64Error {
    /// Not a multiple of four characters.
    #[error("base64 length {0} is not a multiple of 4")]
    Length(usize),
    /// A character outside the alphabet (or padding in the middle).
    #[error("invalid base64 character at position {0}")]
    Char(usize),
    /// Non-zero bits after the last full byte.
    #[error("non-canonical base64 (stray bits in the last character)")]
    Trailing,
}

/// Decodes strict, padded base64.
pub fn decode(s: &str) -> Result<Vec<u8>, Base64Error> {
    let s = s.as_bytes();
    if !s.len().is_multiple_of(4) {
        return Err(Base64Error::Length(s.len()));
    }
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    let quads = s.len() / 4;
    for (q, chunk) in s.chunks_exact(4).enumerate() {
        let is_last = q + 1 == quads;
        // Padding may only end the last quad: "xx==" or "xxx=".
        let pad = if is_last {
            chunk.iter().rev().take_while(|&&c| c == b'=').count()
        } else {
            0
        };
        if pad > 2 {
            return Err(Base64Error::Char(q * 4 + 4 - pad));
        }
        let mut n = 0u32;
        for (i, &c) in chunk[..4 - pad].iter().enumerate() {
            n = n << 6 | value(c).ok_or(Base64Error::Char(q * 4 + i))?;
        }
        n <<= 6 * pad as u32;
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        let keep = 3 - pad;
        if bytes[keep..].iter().any(|&b| b != 0) {
            return Err(Base64Error::Trailing);
        }
        out.extend_from_slice(&bytes[..keep]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4648_vectors() {
        for (plain, enc) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(encode(plain.as_bytes()), enc);
            assert_eq!(decode(enc).unwrap(), plain.as_bytes());
        }
    }

    #[test]
    fn round_trip_all_lengths() {
        for n in 0..80 {
            let data: Vec<u8> = (0..n).map(|i| (i * 37 + 11) as u8).collect();
            assert_eq!(decode(&encode(&data)).unwrap(), data);
        }
    }

    #[test]
    fn strictness() {
        assert_eq!(decode("Zg="), Err(Base64Error::Length(3)));
        assert_eq!(decode("Zg=a"), Err(Base64Error::Char(2)));
        assert_eq!(decode("Z==="), Err(Base64Error::Char(1)));
        assert_eq!(decode("Zg==Zm9v"), Err(Base64Error::Char(2)));
        assert_eq!(decode("Zm 9"), Err(Base64Error::Char(2)));
        assert_eq!(decode("Zh=="), Err(Base64Error::Trailing));
        assert_eq!(decode("Zm9vYmF\u{e9}").unwrap_err(), Base64Error::Length(9));
        assert_eq!(decode("===="), Err(Base64Error::Char(0)));
    }
}
