//! `iocguard fetch URL`: one download exactly as `sync` does it, for an
//! admin checking a feed URL by hand.

use super::error::{CmdError, CmdResult};
use super::output::out;
use crate::cli::Common;
use crate::exit::Exit;
use crate::fetch::{fetch, FetchError, FetchOptions, Fetched, Validators};
use std::io::Write;

/// The command's arguments.
pub struct Args {
    pub url: String,
    pub out: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub ca_bundle: Option<String>,
    pub max_bytes: Option<u64>,
}

/// `fetch URL [--out FILE] [--etag E] [--last-modified D] …`.
pub fn run(common: &Common, a: Args) -> CmdResult {
    let mut opts = FetchOptions {
        ca_bundle: a.ca_bundle.map(Into::into),
        ..FetchOptions::default()
    };
    if let Some(m) = a.max_bytes {
        opts.max_bytes = m;
    }
    let prev = Validators {
        etag: a.etag,
        last_modified: a.last_modified,
    };
    let fetched = fetch(&a.url, &opts, Some(&prev)).map_err(|e| match e {
        FetchError::BadUrl { .. } => CmdError::usage(e),
        _ => CmdError::system(e),
    })?;
    let (bytes, validators) = match &fetched {
        Fetched::NotModified => (None, None),
        Fetched::Body { bytes, validators } => (Some(bytes), Some(validators)),
    };
    if let (Some(b), Some(f)) = (bytes, &a.out) {
        crate::fsio::write_atomic(f.as_ref(), b)?;
    }
    if common.json {
        let v = serde_json::json!({
            "url": a.url,
            "status": if bytes.is_some() { "body" } else { "not_modified" },
            "bytes": bytes.map(|b| b.len()),
            "etag": validators.and_then(|v| v.etag.as_deref()),
            "last_modified": validators.and_then(|v| v.last_modified.as_deref()),
        });
        out(&(v.to_string() + "\n"));
    } else if let (Some(b), Some(v)) = (bytes, validators) {
        if a.out.is_none() {
            let mut o = std::io::stdout().lock();
            let _ = o.write_all(b).and_then(|_| o.flush());
        }
        log::info!(
            "{}: {} bytes, etag {:?}, last-modified {:?}",
            a.url,
            b.len(),
            v.etag,
            v.last_modified
        );
    } else {
        log::info!("{}: not modified", a.url);
    }
    Ok(if bytes.is_some() { Exit::Ok } else { Exit::Partial })
}
