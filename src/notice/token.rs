//! The confirmation form's per-host token: an HMAC of the host's key
//! under a secret drawn when the daemon starts. Only the page served to
//! that host carries it, so another LAN device (or a web page that makes
//! the browser post a form) cannot silence someone else's notice.

use ring::hmac;

/// The secret behind every token of one daemon run.
pub struct Tokens(hmac::Key);

impl Tokens {
    /// A fresh secret from the system's CSPRNG; `None` when it fails
    /// (the page then offers no confirmation rather than a guessable one).
    pub fn new() -> Option<Tokens> {
        let rng = ring::rand::SystemRandom::new();
        hmac::Key::generate(hmac::HMAC_SHA256, &rng).ok().map(Tokens)
    }

    /// A secret from fixed bytes, for tests.
    pub fn from_secret(secret: &[u8]) -> Tokens {
        Tokens(hmac::Key::new(hmac::HMAC_SHA256, secret))
    }

    /// The token of host `key` (32 hex digits).
    pub fn token(&self, key: &str) -> String {
        let tag = hmac::sign(&self.0, key.as_bytes());
        tag.as_ref()[..16].iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Whether `token` is host `key`'s, compared in constant time.
    pub fn check(&self, key: &str, token: &str) -> bool {
        let want = self.token(key);
        want.len() == token.len()
            && want
                .bytes()
                .zip(token.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_opens_only_its_own_host() {
        let t = Tokens::from_secret(b"secret");
        let a = t.token("02:00:00:00:00:01");
        assert_eq!(a.len(), 32);
        assert!(t.check("02:00:00:00:00:01", &a));
        assert!(!t.check("02:00:00:00:00:02", &a));
        assert!(!t.check("02:00:00:00:00:01", &a[..31]));
        assert!(!t.check("02:00:00:00:00:01", ""));
        let other = Tokens::from_secret(b"another run");
        assert!(
            !other.check("02:00:00:00:00:01", &a),
            "a restart invalidates old pages"
        );
        assert!(Tokens::new().is_some());
    }
}
