//! Fuzzes the HTTP/1.1 response reader (status line, headers, 1xx
//! interim responses, Content-Length / chunked / close-delimited framing,
//! trailers, gzip): the server's bytes are read before any signature
//! check, so any byte string must give a body, a redirect or an error,
//! never a panic, and a body is never larger than `max_bytes`.
//!
//! The first input byte picks how many bytes each read hands the reader
//! (1–255, or 0 for "as many as fit"), so lines and chunk sizes split
//! across reads are explored; the second picks a small or default body cap
//! and whether validators were sent (which makes 304 acceptable).
#![no_main]

use iocguard::fetch::{replay_http_response, FetchOptions, Fetched, Validators};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [chunk, flags, rest @ ..] = data else { return };
    let chunk = if *chunk == 0 { usize::MAX } else { *chunk as usize };
    let mut opts = FetchOptions::default();
    if flags & 1 != 0 {
        // A small cap reaches the "too large" paths with short inputs.
        opts.max_bytes = 64;
    }
    let prev = Validators {
        etag: Some("\"abc\"".into()),
        last_modified: None,
    };
    let prev = (flags & 2 != 0).then_some(&prev);
    if let Ok(Ok(Fetched::Body { bytes, .. })) = replay_http_response(rest, chunk, &opts, prev) {
        assert!(bytes.len() as u64 <= opts.max_bytes, "body over the cap");
    }
});
