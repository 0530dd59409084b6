//! Untrusted text on its way into a request or a log line.
//!
//! Header values (from the server, or validators echoed back to it) and
//! reason phrases end up in request heads, error messages and logs: these
//! helpers check for bytes that could break a header block and cut text
//! to a length, always on a `char` boundary (never panics on any input).

/// True when `v` can go into a header value as is: printable ASCII and
/// tabs only, so no CR/LF to inject a header or end the block.
pub(super) fn header_safe(v: &str) -> bool {
    v.bytes().all(|b| b == b'\t' || (b' '..=b'~').contains(&b))
}

/// The first `n` characters of `s` (all of it when shorter).
pub(super) fn truncate(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}
