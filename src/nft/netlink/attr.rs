//! Writing netlink headers and attributes into a byte buffer: `nlmsghdr`,
//! `nlattr`, NUL-terminated strings, and the 4-byte alignment between them.
//!
//! Headers are written first with a placeholder length and patched once
//! their content is complete ([`set_nlmsg_len`]). Callers keep messages
//! and attributes within the `u32`/`u16` lengths the headers can hold (an
//! element list is capped at [`MAX_LIST_BYTES`](super::MAX_LIST_BYTES)).

use super::uapi::NLA_HDRLEN;

/// Rounds up to the netlink alignment of 4.
pub const fn align4(n: usize) -> usize {
    (n + 3) & !3
}

/// Appends an `nlmsghdr` (port id 0: the kernel).
pub(super) fn put_nlmsghdr(buf: &mut Vec<u8>, len: u32, ty: u16, flags: u16, seq: u32) {
    buf.extend_from_slice(&len.to_ne_bytes());
    buf.extend_from_slice(&ty.to_ne_bytes());
    buf.extend_from_slice(&flags.to_ne_bytes());
    buf.extend_from_slice(&seq.to_ne_bytes());
    buf.extend_from_slice(&0u32.to_ne_bytes()); // port id: the kernel
}

/// Patches the length of the message whose header starts at `at` to
/// reach the end of `buf`.
pub(super) fn set_nlmsg_len(buf: &mut [u8], at: usize) {
    let len = (buf.len() - at) as u32;
    buf[at..at + 4].copy_from_slice(&len.to_ne_bytes());
}

/// Appends an `nlattr` header of total length `len`.
pub(super) fn put_attr_hdr(buf: &mut Vec<u8>, ty: u16, len: usize) {
    buf.extend_from_slice(&(len as u16).to_ne_bytes());
    buf.extend_from_slice(&ty.to_ne_bytes());
}

/// Appends a NUL-terminated string attribute (`NLA_STRING`), padded.
pub fn put_str_attr(buf: &mut Vec<u8>, ty: u16, s: &str) {
    put_attr_hdr(buf, ty, NLA_HDRLEN + s.len() + 1);
    buf.extend_from_slice(s.as_bytes());
    buf.push(0);
    pad4(buf);
}

/// Pads `buf` with zeros to the next multiple of 4.
pub(super) fn pad4(buf: &mut Vec<u8>) {
    while !buf.len().is_multiple_of(4) {
        buf.push(0);
    }
}
