//! `iocguard fetch URL`: one download exactly as `sync` does it, for an
//! admin checking a feed URL by hand.

use super::error::{CmdError, CmdResult};
use super::output::out;
use crate::cli::Common;
use crate::exit::Exit;
use crate::fetch::{fetch, FetchError, FetchOptions, Fetched, Validators};
use std::io::Write;

/// `fetch URL [--out FILE] [--etag E] [--last-modified D] …`.
pub fn run(
    common: &Common,
    url: &str,
    out_file: Option<&str>,
    etag: Option<String>,
    last_modified: Option<String>,
    ca_bundle: Option<String>,
    max_bytes: Option<u64>,
) -> CmdResult {
    let mut opts = FetchOptions {
        ca_bundle: ca_bundle.map(Into::into),
        ..FetchOptions::default()
    };
    if let Some(m) = max_bytes {
        opts.max_bytes = m;
    }
    let prev = Validators { etag, last_modified };
    let fetched = fetch(url, &opts, Some(&prev)).map_err(|e| match e {
        FetchError::BadUrl { .. } => CmdError::usage(e),
        _ => CmdError::system(e),
    })?;
    let (bytes, validators) = match &fetched {
        Fetched::NotModified => (None, None),
        Fetched::Body { bytes, validators } => (Some(bytes), Some(validators)),
    };
    if let (Some(b), Some(f)) = (bytes, out_file) {
        crate::fsio::write_atomic(f.as_ref(), b)?;
    }
    if common.json {
        let v = serde_json::json!({
            "url": url,
            "status": if bytes.is_some() { "body" } else { "not_modified" },
            "bytes": bytes.map(|b| b.len()),
            "etag": validators.and_then(|v| v.etag.as_deref()),
            "last_modified": validators.and_then(|v| v.last_modified.as_deref()),
        });
        out(&(v.to_string() + "\n"));
    } else if let (Some(b), Some(v)) = (bytes, validators) {
        if out_file.is_none() {
            let mut o = std::io::stdout().lock();
            let _ = o.write_all(b).and_then(|_| o.flush());
        }
        log::info!(
            "{}: {} bytes, etag {:?}, last-modified {:?}",
            url,
            b.len(),
            v.etag,
            v.last_modified
        );
    } else {
        log::info!("{url}: not modified");
    }
    Ok(if bytes.is_some() { Exit::Ok } else { Exit::Partial })
}
