//! Gzip (RFC 1952) decoding with an output cap, for `Content-Encoding: gzip`.
//!
//! The deflate stream is inflated by `miniz_oxide` in 32 KiB steps and the
//! output is refused as soon as it would pass the limit, so a zip bomb
//! costs at most `limit` bytes of memory. The CRC-32 and length trailer of
//! every member are checked (that is what catches a truncated download
//! whose deflate stream happens to end cleanly), concatenated members are
//! supported, and trailing zero padding (some servers add it) is ignored.

use miniz_oxide::inflate::stream::{inflate, InflateState};
use miniz_oxide::{DataFormat, MZError, MZFlush, MZStatus};

/// Why a gzip body was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum GzipError {
    /// The output would exceed the limit.
    TooLarge,
    /// Not gzip, corrupt or truncated.
    Corrupt(&'static str),
}

const FHCRC: u8 = 0x02;
const FEXTRA: u8 = 0x04;
const FNAME: u8 = 0x08;
const FCOMMENT: u8 = 0x10;

/// Decodes all members of `input`, refusing output beyond `limit` bytes.
pub(super) fn gunzip(input: &[u8], limit: u64) -> Result<Vec<u8>, GzipError> {
    let mut out = Vec::new();
    // The last member's trailer holds its size mod 2^32: a hint (within
    // the limit) that saves the doubling slack of a growing Vec.
    if let Some(t) = input.len().checked_sub(4).map(|i| &input[i..]) {
        let hint = u32::from_le_bytes([t[0], t[1], t[2], t[3]]) as u64;
        out.reserve_exact(usize::try_from(hint.min(limit)).unwrap_or(0));
    }
    let mut pos = 0;
    let mut state = InflateState::new_boxed(DataFormat::Raw);
    loop {
        pos += header_len(&input[pos..])?;
        let member_start = out.len();
        state.reset(DataFormat::Raw);
        pos += inflate_member(&mut state, &input[pos..], &mut out, limit)?;
        let trailer = input
            .get(pos..pos + 8)
            .ok_or(GzipError::Corrupt("truncated (no trailer)"))?;
        let crc = u32::from_le_bytes([trailer[0], trailer[1], trailer[2], trailer[3]]);
        let size = u32::from_le_bytes([trailer[4], trailer[5], trailer[6], trailer[7]]);
        let member = &out[member_start..];
        if crc32(member) != crc {
            return Err(GzipError::Corrupt("CRC-32 mismatch"));
        }
        if member.len() as u32 != size {
            return Err(GzipError::Corrupt("length mismatch"));
        }
        pos += 8;
        let rest = &input[pos..];
        if rest.iter().all(|&b| b == 0) {
            return Ok(out);
        }
        // Anything else must be another member; header_len says if not.
    }
}

/// Length of the member header at the start of `b`.
fn header_len(b: &[u8]) -> Result<usize, GzipError> {
    let short = GzipError::Corrupt("truncated header");
    if b.len() < 10 {
        return Err(if b.len() >= 2 && b[..2] != [0x1f, 0x8b] {
            GzipError::Corrupt("not gzip data")
        } else {
            short
        });
    }
    if b[..2] != [0x1f, 0x8b] {
        return Err(GzipError::Corrupt("not gzip data"));
    }
    if b[2] != 8 {
        return Err(GzipError::Corrupt("unknown compression method"));
    }
    let flags = b[3];
    if flags & 0xe0 != 0 {
        return Err(GzipError::Corrupt("reserved header flags set"));
    }
    let mut pos = 10;
    if flags & FEXTRA != 0 {
        let len = b.get(pos..pos + 2).ok_or(short.clone())?;
        pos += 2 + u16::from_le_bytes([len[0], len[1]]) as usize;
    }
    for flag in [FNAME, FCOMMENT] {
        if flags & flag != 0 {
            let nul = b
                .get(pos..)
                .and_then(|r| r.iter().position(|&c| c == 0))
                .ok_or(short.clone())?;
            pos += nul + 1;
        }
    }
    if flags & FHCRC != 0 {
        pos += 2;
    }
    if pos > b.len() {
        return Err(short);
    }
    Ok(pos)
}

/// Inflates one raw deflate stream from `input` onto `out`; returns the
/// input bytes it used.
fn inflate_member(
    state: &mut InflateState,
    input: &[u8],
    out: &mut Vec<u8>,
    limit: u64,
) -> Result<usize, GzipError> {
    let mut chunk = vec![0u8; 32 * 1024];
    let mut pos = 0;
    loop {
        let r = inflate(state, &input[pos..], &mut chunk, MZFlush::None);
        pos += r.bytes_consumed;
        if (out.len() + r.bytes_written) as u64 > limit {
            return Err(GzipError::TooLarge);
        }
        out.extend_from_slice(&chunk[..r.bytes_written]);
        match r.status {
            Ok(MZStatus::StreamEnd) => return Ok(pos),
            Ok(MZStatus::Ok) if r.bytes_consumed > 0 || r.bytes_written > 0 => {}
            // No progress: the input ran out before the end of the stream.
            Ok(MZStatus::Ok) | Err(MZError::Buf) => return Err(GzipError::Corrupt("truncated deflate data")),
            _ => return Err(GzipError::Corrupt("invalid deflate data")),
        }
    }
}

/// CRC-32 (IEEE, reflected), the gzip trailer checksum.
fn crc32(data: &[u8]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut t = [0u32; 256];
        let mut i = 0;
        while i < 256 {
            let mut c = i as u32;
            let mut k = 0;
            while k < 8 {
                c = if c & 1 != 0 {
                    0xedb8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
                k += 1;
            }
            t[i] = c;
            i += 1;
        }
        t
    };
    !data
        .iter()
        .fold(!0u32, |c, &b| TABLE[((c ^ b as u32) & 0xff) as usize] ^ (c >> 8))
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A one-member gzip file of `data` (optionally with a file name).
    pub(crate) fn gzip(data: &[u8], name: Option<&str>) -> Vec<u8> {
        let mut v = vec![
            0x1f,
            0x8b,
            8,
            if name.is_some() { FNAME } else { 0 },
            0,
            0,
            0,
            0,
            0,
            3,
        ];
        if let Some(n) = name {
            v.extend_from_slice(n.as_bytes());
            v.push(0);
        }
        v.extend(miniz_oxide::deflate::compress_to_vec(data, 6));
        v.extend(crc32(data).to_le_bytes());
        v.extend((data.len() as u32).to_le_bytes());
        v
    }

    proptest::proptest! {
        #[test]
        fn gunzip_never_panics(body in proptest::collection::vec(proptest::num::u8::ANY, 0..200), at in 0usize..300) {
            let _ = gunzip(&body, 1000);
            // Mutations of a valid member reach deeper than random bytes.
            let mut good = gzip(&body, Some("f"));
            let i = at % good.len();
            good[i] = good[i].wrapping_add(body.first().copied().unwrap_or(1));
            let _ = gunzip(&good, 1000);
        }
    }

    #[test]
    fn crc_known_value() {
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn round_trip_and_members() {
        let data = b"198.51.100.7\nevil.example\n".repeat(1000);
        assert_eq!(gunzip(&gzip(&data, None), 1 << 20).unwrap(), data);
        assert_eq!(gunzip(&gzip(&data, Some("feed.txt")), 1 << 20).unwrap(), data);
        let mut two = gzip(b"a\n", None);
        two.extend(gzip(b"b\n", None));
        two.extend([0, 0, 0]);
        assert_eq!(gunzip(&two, 100).unwrap(), b"a\nb\n");
        assert_eq!(gunzip(&gzip(b"", None), 0).unwrap(), b"");
    }

    #[test]
    fn limits_and_corruption() {
        let bomb = gzip(&vec![0u8; 4 << 20], None);
        assert!(bomb.len() < 10_000);
        assert_eq!(gunzip(&bomb, 1 << 20), Err(GzipError::TooLarge));
        assert_eq!(gunzip(&bomb, 4 << 20).unwrap().len(), 4 << 20);

        let good = gzip(&b"x.example\n".repeat(100), Some("n"));
        // Every truncation is an error, never a panic or a short success.
        for cut in 0..good.len() {
            assert!(gunzip(&good[..cut], 1 << 20).is_err(), "cut at {cut}");
        }
        let mut bad_crc = good.clone();
        let n = bad_crc.len();
        bad_crc[n - 5] ^= 1;
        assert_eq!(
            gunzip(&bad_crc, 1 << 20),
            Err(GzipError::Corrupt("CRC-32 mismatch"))
        );
        let mut garbage = good.clone();
        garbage.extend(b"junk");
        assert!(gunzip(&garbage, 1 << 20).is_err());
        assert_eq!(
            gunzip(b"plain text, not gzip", 100),
            Err(GzipError::Corrupt("not gzip data"))
        );
        let mut flags = good.clone();
        flags[3] |= 0x80;
        assert!(gunzip(&flags, 1 << 20).is_err());
        // Flipping any byte never panics.
        for i in 0..good.len() {
            let mut b = good.clone();
            b[i] ^= 0x55;
            let _ = gunzip(&b, 1 << 20);
        }
    }
}
