//! Where a feed's bytes come from: [`super::fetch`] for `https://`,
//! `http://`, `file://` and paths, plus the `.minisig` next to the feed
//! when the feed has a public key. This is the one place that turns the
//! configuration into fetch options.

use super::fetch::{fetch, fetch_signature, FetchOptions, Fetched, Validators};
use super::verify::feed_key;
use crate::config::{FeedConfig, Main};
use crate::state::CacheMeta;
use crate::sync::{Download, Fetch};
use std::time::Duration;

/// The fetch options for `feed` under the global settings.
pub fn options(feed: &FeedConfig, main: &Main) -> FetchOptions {
    let timeout = Duration::from_secs(main.timeout.into());
    FetchOptions {
        max_bytes: feed.max_bytes,
        connect_timeout: timeout.min(Duration::from_secs(15)),
        read_timeout: timeout,
        ca_bundle: main.ca_bundle.clone(),
        retries: main.retries,
        ..FetchOptions::default()
    }
}

/// Downloads one feed. `prev` is the metadata of the cached copy; pass it
/// only when that copy is really there, or a 304 would leave the feed with
/// nothing.
pub fn fetch_feed(feed: &FeedConfig, prev: Option<&CacheMeta>, main: &Main) -> Result<Fetch, String> {
    let opts = options(feed, main);
    let validators = prev.map(|m| Validators {
        etag: m.etag.clone(),
        last_modified: m.last_modified.clone(),
    });
    match fetch(&feed.url, &opts, validators.as_ref().filter(|v| !v.is_empty())).map_err(|e| e.to_string())? {
        Fetched::NotModified => Ok(Fetch::NotModified),
        Fetched::Body { bytes, validators } => {
            let signature = match feed_key(feed)? {
                None => None,
                // A missing signature is reported by the verifier, which
                // knows whether one was required.
                Some(_) => match fetch_signature(&feed.url, &opts) {
                    Ok(sig) => Some(sig),
                    Err(e) => {
                        log::warn!("feed {}: {e}", feed.name);
                        None
                    }
                },
            };
            Ok(Fetch::New(Download {
                body: bytes,
                etag: validators.etag,
                last_modified: validators.last_modified,
                signature,
            }))
        }
    }
}
