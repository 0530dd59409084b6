//! Signature policy for downloaded feeds: with a configured public key, a
//! feed is used only with a valid minisign signature by that key, and never
//! with a signature older than the copy already in use (an attacker on the
//! path could otherwise replay last month's, nearly empty, signed list).

use crate::config::FeedConfig;
use crate::sign::{PublicKey, Signature};

/// The public key a feed requires, if any.
pub fn feed_key(feed: &FeedConfig) -> Result<Option<PublicKey>, String> {
    let text = match (&feed.pubkey, &feed.pubkey_file) {
        (Some(k), _) => k.clone(),
        (None, Some(path)) => std::fs::read_to_string(path)
            .map_err(|e| format!("public key file {} cannot be read: {e}", path.display()))?,
        (None, None) => return Ok(None),
    };
    PublicKey::parse(&text)
        .map(Some)
        .map_err(|e| format!("option pubkey of feed {:?}: {e}", feed.name))
}

/// Checks `body` against `sig` when the feed has a key. Returns the
/// signature's timestamp (to remember for the replay check).
pub fn verify(
    feed: &FeedConfig,
    body: &[u8],
    sig: Option<&[u8]>,
    prev_signed_at: Option<u64>,
) -> Result<Option<u64>, String> {
    let Some(key) = feed_key(feed)? else {
        return Ok(None);
    };
    let sig = sig.ok_or_else(|| {
        format!(
            "{}: no signature ({}.minisig) but a public key is configured",
            feed.url, feed.url
        )
    })?;
    let sig = Signature::parse(sig).map_err(|e| format!("{}.minisig: {e}", feed.url))?;
    let verified = sig
        .verify(&key, body)
        .map_err(|e| format!("{}: signature check failed: {e}", feed.url))?;
    let signed_at = verified.timestamp();
    if let (Some(new), Some(old)) = (signed_at, prev_signed_at) {
        if new < old {
            return Err(format!(
                "{}: signed at {new}, earlier than the copy in use (signed at {old}); refusing a possible replay",
                feed.url
            ));
        }
    }
    Ok(signed_at)
}
