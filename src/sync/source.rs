//! Where a feed's bytes come from: [`crate::fetch`] for `https://`,
//! `http://`, `file://` and paths, plus the `.minisig` next to the feed
//! when the feed has a public key. This is the one place that turns the
//! configuration into fetch options.

use super::verify::feed_key;
use super::Download;
use crate::config::{FeedConfig, Main};
use crate::fetch::{fetch, fetch_signature, FetchOptions, Fetched, Validators};
use crate::state::CacheMeta;
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
pub fn fetch_feed(feed: &FeedConfig, prev: Option<&CacheMeta>, main: &Main) -> Result<Download, String> {
    let opts = options(feed, main);
    let validators = prev.map(|m| Validators {
        etag: m.etag.clone(),
        last_modified: m.last_modified.clone(),
    });
    let fetched =
        fetch(&feed.url, &opts, validators.as_ref().filter(|v| !v.is_empty())).map_err(|e| e.to_string())?;
    let signature = match (&fetched, feed_key(feed)?) {
        (Fetched::Body { .. }, Some(_)) => match fetch_signature(&feed.url, &opts) {
            Ok(sig) => Some(sig),
            // A missing signature is reported by the verifier, which
            // knows whether one was required.
            Err(e) => {
                log::warn!("feed {}: {e}", feed.name);
                None
            }
        },
        _ => None,
    };
    Ok(Download { fetched, signature })
}
