//! Where a feed's bytes come from: local files now, HTTP(S) through
//! [`super::fetch`] once wired. The size cap applies before reading, so a
//! huge local file costs nothing.

use crate::config::{FeedConfig, Main};
use crate::state::CacheMeta;
use crate::sync::{Download, Fetch};
use std::io::Read;

/// Downloads or reads one feed, honouring its cap and cached validators.
pub fn fetch_feed(feed: &FeedConfig, _prev: Option<&CacheMeta>, _main: &Main) -> Result<Fetch, String> {
    let url = feed.url.as_str();
    let path = url.strip_prefix("file://").unwrap_or(url);
    if path.contains("://") {
        return Err(format!("{url}: unsupported URL scheme in this build"));
    }
    let file = std::fs::File::open(path).map_err(|e| format!("{url}: cannot be read: {e}"))?;
    let mut body = Vec::new();
    file.take(feed.max_bytes.saturating_add(1))
        .read_to_end(&mut body)
        .map_err(|e| format!("{url}: cannot be read: {e}"))?;
    if body.len() as u64 > feed.max_bytes {
        return Err(format!(
            "{url}: larger than the {}-byte limit (option max_bytes)",
            feed.max_bytes
        ));
    }
    let signature = match crate::feed::verify::feed_key(feed)? {
        None => None,
        Some(_) => read_capped(&format!("{path}.minisig"), crate::sign::MAX_SIG_FILE_BYTES as u64).ok(),
    };
    Ok(Fetch::New(Download {
        body,
        etag: None,
        last_modified: None,
        signature,
    }))
}

fn read_capped(path: &str, cap: u64) -> std::io::Result<Vec<u8>> {
    let mut body = Vec::new();
    std::fs::File::open(path)?.take(cap).read_to_end(&mut body)?;
    Ok(body)
}
