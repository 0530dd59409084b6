//! Signature policy for downloaded feeds: with a configured public key, a
//! feed is used only with a valid minisign signature by that key, and never
//! with a signature older than the copy already in use (an attacker on the
//! path could otherwise replay last month's, nearly empty, signed list).
//!
//! The replay rule is [`check_replay`], a function of the two signing
//! times (from the trusted comment's `timestamp:` field, which the global
//! signature protects). A signature without a timestamp cannot be ordered
//! and is not refused for it: minisign always writes one, so only a signer
//! who chose a custom trusted comment produces such a file.

use crate::clock::utc_iso8601;
use crate::config::FeedConfig;
use crate::sign::{PublicKey, SignError, Signature};
use std::path::PathBuf;

/// Why a feed's signature was not accepted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// `pubkey_file` could not be read.
    #[error("public key file {} cannot be read: {source}", path.display())]
    KeyFile {
        /// The key file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The configured key is not a minisign public key.
    #[error("option pubkey of feed {feed:?}: {source}")]
    Key {
        /// The feed's name.
        feed: String,
        /// Why.
        source: SignError,
    },
    /// A key is configured but no signature came with the feed.
    #[error("{url}: no signature ({url}.minisig) but a public key is configured")]
    Missing {
        /// The feed's URL.
        url: String,
    },
    /// The `.minisig` is not a minisign signature.
    #[error("{url}.minisig: {source}")]
    Malformed {
        /// The feed's URL.
        url: String,
        /// Why.
        source: SignError,
    },
    /// The signature does not match the body or the key.
    #[error("{url}: signature check failed: {source}")]
    Mismatch {
        /// The feed's URL.
        url: String,
        /// Why.
        source: SignError,
    },
    /// Signed before the copy in use: a possible replay.
    #[error(
        "{url}: signed at {} ({signed_at}), earlier than the copy in use (signed at {} ({prev})); \
         refusing a possible replay",
        utc_iso8601(*signed_at),
        utc_iso8601(*prev)
    )]
    Replay {
        /// The feed's URL.
        url: String,
        /// The new signature's unix time.
        signed_at: u64,
        /// The unix time of the signature of the copy in use.
        prev: u64,
    },
}

/// The public key a feed requires, if any.
pub fn required_key(feed: &FeedConfig) -> Result<Option<PublicKey>, VerifyError> {
    let text = match (&feed.pubkey, &feed.pubkey_file) {
        (Some(k), _) => k.clone(),
        (None, Some(path)) => std::fs::read_to_string(path).map_err(|source| VerifyError::KeyFile {
            path: path.clone(),
            source,
        })?,
        (None, None) => return Ok(None),
    };
    PublicKey::parse(&text)
        .map(Some)
        .map_err(|source| VerifyError::Key {
            feed: feed.name.clone(),
            source,
        })
}

/// [`required_key`], with the error as one sentence.
pub fn feed_key(feed: &FeedConfig) -> Result<Option<PublicKey>, String> {
    required_key(feed).map_err(|e| e.to_string())
}

/// The replay rule: a copy signed at `signed_at` may replace the copy in
/// use, signed at `prev`, unless it was signed earlier. Either time may
/// be unknown (no timestamp; no copy, or one accepted without a key),
/// and then there is nothing to compare.
pub fn check_replay(url: &str, signed_at: Option<u64>, prev: Option<u64>) -> Result<(), VerifyError> {
    match (signed_at, prev) {
        (Some(new), Some(old)) if new < old => Err(VerifyError::Replay {
            url: url.into(),
            signed_at: new,
            prev: old,
        }),
        _ => Ok(()),
    }
}

/// Checks `body` against `sig` when the feed has a key. Returns the
/// signature's timestamp (to remember for the replay check).
pub fn check(
    feed: &FeedConfig,
    body: &[u8],
    sig: Option<&[u8]>,
    prev_signed_at: Option<u64>,
) -> Result<Option<u64>, VerifyError> {
    let Some(key) = required_key(feed)? else {
        return Ok(None);
    };
    let url = || feed.url.clone();
    let sig = sig.ok_or_else(|| VerifyError::Missing { url: url() })?;
    let sig = Signature::parse(sig).map_err(|source| VerifyError::Malformed { url: url(), source })?;
    let verified = sig
        .verify(&key, body)
        .map_err(|source| VerifyError::Mismatch { url: url(), source })?;
    let signed_at = verified.timestamp();
    check_replay(&feed.url, signed_at, prev_signed_at)?;
    Ok(signed_at)
}

/// [`check`], with the error as one sentence.
pub fn verify(
    feed: &FeedConfig,
    body: &[u8],
    sig: Option<&[u8]>,
    prev_signed_at: Option<u64>,
) -> Result<Option<u64>, String> {
    check(feed, body, sig, prev_signed_at).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicator::KindFilter;
    use crate::sign::{sign, KeyId, SecretKey, SigAlg};

    const BODY: &[u8] = b"192.0.2.1\n198.51.100.0/24\n";
    /// 2023-11-14T22:13:20Z.
    const T1: u64 = 1_700_000_000;

    fn key(n: u8) -> SecretKey {
        SecretKey::from_seed(KeyId([n; 8]), [n; 32]).unwrap()
    }

    fn feed(pubkey: Option<String>) -> FeedConfig {
        FeedConfig {
            name: "campaign".into(),
            enabled: true,
            url: "https://feeds.example/c2.txt".into(),
            format: None,
            kind: KindFilter::Auto,
            doh: false,
            pubkey,
            pubkey_file: None,
            max_bytes: 1 << 20,
            max_entries: 1000,
            min_entries: 0,
        }
    }

    fn signed(sk: &SecretKey, body: &[u8], trusted: &str) -> Vec<u8> {
        sign(sk, body, SigAlg::Prehashed, trusted, "test")
            .unwrap()
            .to_file_string()
            .into_bytes()
    }

    fn keyed() -> FeedConfig {
        feed(Some(key(1).public_key().to_base64()))
    }

    #[test]
    fn the_replay_rule() {
        let url = "https://feeds.example/c2.txt";
        assert!(
            check_replay(url, Some(T1), Some(T1)).is_ok(),
            "the same signature again"
        );
        assert!(check_replay(url, Some(T1 + 1), Some(T1)).is_ok());
        assert!(check_replay(url, Some(T1), None).is_ok(), "first signed copy");
        assert!(
            check_replay(url, None, Some(T1)).is_ok(),
            "no timestamp to compare"
        );
        let e = check_replay(url, Some(T1 - 86_400), Some(T1)).unwrap_err();
        assert!(
            matches!(e, VerifyError::Replay { signed_at, prev, .. } if signed_at == T1 - 86_400 && prev == T1)
        );
        assert_eq!(
            e.to_string(),
            "https://feeds.example/c2.txt: signed at 2023-11-13T22:13:20Z (1699913600), earlier than \
             the copy in use (signed at 2023-11-14T22:13:20Z (1700000000)); refusing a possible replay"
        );
    }

    #[test]
    fn a_good_signature_yields_its_trusted_timestamp() {
        let sk = key(1);
        let sig = signed(&sk, BODY, &format!("timestamp:{T1}\tfile:c2.txt"));
        assert_eq!(check(&keyed(), BODY, Some(&sig), None).unwrap(), Some(T1));
        // The field may come anywhere among the tab-separated fields.
        let sig = signed(&sk, BODY, &format!("file:c2.txt\ttimestamp:{}", T1 + 5));
        assert_eq!(check(&keyed(), BODY, Some(&sig), Some(T1)).unwrap(), Some(T1 + 5));
        // No (or no numeric) timestamp: verified, nothing to remember.
        for comment in ["file:c2.txt", "timestamp:soon\tfile:c2.txt"] {
            let sig = signed(&sk, BODY, comment);
            assert_eq!(
                check(&keyed(), BODY, Some(&sig), Some(T1)).unwrap(),
                None,
                "{comment}"
            );
        }
    }

    #[test]
    fn an_older_signature_than_the_copy_in_use_is_a_replay() {
        let sig = signed(&key(1), BODY, &format!("timestamp:{T1}"));
        let e = check(&keyed(), BODY, Some(&sig), Some(T1 + 1)).unwrap_err();
        assert!(
            matches!(e, VerifyError::Replay { ref url, signed_at: T1, prev } if url == "https://feeds.example/c2.txt" && prev == T1 + 1),
            "{e:?}"
        );
        // The String form sync records says the same.
        let msg = verify(&keyed(), BODY, Some(&sig), Some(T1 + 1)).unwrap_err();
        assert!(
            msg.contains("(1700000000)") && msg.contains("(1700000001)") && msg.contains("replay"),
            "{msg}"
        );
    }

    #[test]
    fn refusals_name_the_feed() {
        let sig = signed(&key(1), BODY, &format!("timestamp:{T1}"));
        let e = check(&keyed(), BODY, None, None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "https://feeds.example/c2.txt: no signature (https://feeds.example/c2.txt.minisig) but a public key is configured"
        );
        let e = check(&keyed(), b"192.0.2.1\n", Some(&sig), None).unwrap_err();
        assert!(
            matches!(
                e,
                VerifyError::Mismatch {
                    source: SignError::BadSignature,
                    ..
                }
            ),
            "{e:?}"
        );
        let other = signed(&key(2), BODY, &format!("timestamp:{T1}"));
        let e = check(&keyed(), BODY, Some(&other), None).unwrap_err();
        assert!(
            matches!(
                e,
                VerifyError::Mismatch {
                    source: SignError::KeyIdMismatch { .. },
                    ..
                }
            ),
            "{e:?}"
        );
        let e = check(&keyed(), BODY, Some(b"not a signature"), None).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("https://feeds.example/c2.txt.minisig: "),
            "{e}"
        );
        let e = check(&feed(Some("RWQnope".into())), BODY, Some(&sig), None).unwrap_err();
        assert!(
            e.to_string().starts_with("option pubkey of feed \"campaign\": "),
            "{e}"
        );
    }

    #[test]
    fn without_a_key_nothing_is_checked() {
        assert_eq!(check(&feed(None), BODY, None, Some(T1)).unwrap(), None);
        assert_eq!(check(&feed(None), BODY, Some(b"junk"), None).unwrap(), None);
    }

    #[test]
    fn a_key_file_is_read_and_its_absence_named() {
        let dir = std::env::temp_dir().join(format!("iocg-verify-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("feed.pub");
        std::fs::write(&path, key(1).public_key().to_file_string()).unwrap();
        let mut f = feed(None);
        f.pubkey_file = Some(path.clone());
        let sig = signed(&key(1), BODY, &format!("timestamp:{T1}"));
        assert_eq!(check(&f, BODY, Some(&sig), None).unwrap(), Some(T1));
        std::fs::remove_file(&path).unwrap();
        let e = feed_key(&f).unwrap_err();
        assert!(
            e.starts_with(&format!("public key file {} cannot be read: ", path.display())),
            "{e}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
