//! minisign public and secret keys: parsing, encoding, generation.
//!
//! Byte layouts (all integers little-endian):
//! - public key: `"Ed"` ‖ key id (8) ‖ ed25519 public key (32), base64 on
//!   the line after an `untrusted comment:` line.
//! - secret key: `"Ed"` ‖ kdf (`"Sc"` scrypt or `"\0\0"` none) ‖ `"B2"` ‖
//!   salt (32) ‖ opslimit (8) ‖ memlimit (8) ‖ key id (8) ‖ ed25519 secret
//!   key (64 = seed ‖ public key) ‖ checksum (32), where the checksum is
//!   BLAKE2b-256 of `"Ed"` ‖ key id ‖ secret key. With scrypt, the last 104
//!   bytes are XORed with a password-derived stream.
//!
//! Only unencrypted secret keys are loaded: iocguard signs unattended, and
//! carrying scrypt for a password prompt is not worth the flash. A loaded
//! key is checked for consistency (checksum, and the public half matching
//! the seed), so a corrupt key file cannot produce signatures that nobody
//! can verify.

use super::blake2b::blake2b_256;
use super::{FileKind, KeyId, SignError};
use crate::base64;
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{Ed25519KeyPair, KeyPair};

const SIG_ALG: &[u8; 2] = b"Ed";
const KDF_SCRYPT: &[u8; 2] = b"Sc";
const KDF_NONE: &[u8; 2] = b"\0\0";
const CHK_ALG: &[u8; 2] = b"B2";

const PUBLIC_LEN: usize = 2 + 8 + 32;
const SECRET_LEN: usize = 2 + 2 + 2 + 32 + 8 + 8 + 8 + 64 + 32;

/// The `untrusted comment:` prefix every minisign file starts with.
pub(crate) const UNTRUSTED_PREFIX: &str = "untrusted comment: ";

/// A minisign public key: key id and ed25519 public key.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    id: KeyId,
    key: [u8; 32],
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKey({} {})", self.id, self.to_base64())
    }
}

/// Splits minisign text into lines the way minisign reads them: at `\n`,
/// each line ending at its first `\r` (minisign truncates there too).
pub(crate) fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.split('\n').map(|l| l.split('\r').next().unwrap_or(""))
}

/// Finds the base64 line of a key file or accepts a bare base64 string.
/// Returns the text and its 1-based line number.
fn key_line(text: &str, what: FileKind) -> Result<(&str, usize), SignError> {
    let mut it = lines(text);
    let first = it.next().unwrap_or("");
    if first.starts_with("untrusted comment:") {
        let second = it.next().unwrap_or("").trim();
        if second.is_empty() {
            return Err(SignError::malformed(what, 2, "missing the base64 key line"));
        }
        Ok((second, 2))
    } else if text.trim().contains(['\n', '\r']) {
        Err(SignError::malformed(
            what,
            1,
            "expected `untrusted comment: …` then the base64 key",
        ))
    } else {
        Ok((text.trim(), 1))
    }
}

impl PublicKey {
    /// Builds a key from its parts.
    pub fn new(id: KeyId, key: [u8; 32]) -> Self {
        Self { id, key }
    }

    /// Parses the contents of a `.pub` file (comment line, base64 line) or a
    /// bare base64 key as in UCI `option pubkey 'RWQ…'`.
    pub fn parse(text: &str) -> Result<Self, SignError> {
        let (b64, line) = key_line(text, FileKind::Public)?;
        let bytes =
            base64::decode(b64).map_err(|e| SignError::malformed(FileKind::Public, line, &e.to_string()))?;
        Self::from_bytes(&bytes).map_err(|e| e.at_line(line))
    }

    /// Decodes the 42-byte binary form.
    pub fn from_bytes(b: &[u8]) -> Result<Self, SignError> {
        if b.len() != PUBLIC_LEN {
            return Err(SignError::malformed(
                FileKind::Public,
                0,
                &format!("{} bytes, expected {PUBLIC_LEN}", b.len()),
            ));
        }
        if &b[..2] != SIG_ALG {
            return Err(SignError::UnsupportedAlgorithm {
                what: "public key signature",
                found: super::show_alg(&b[..2]),
            });
        }
        let mut id = [0u8; 8];
        id.copy_from_slice(&b[2..10]);
        let mut key = [0u8; 32];
        key.copy_from_slice(&b[10..42]);
        Ok(Self { id: KeyId(id), key })
    }

    /// The 42-byte binary form.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(PUBLIC_LEN);
        v.extend_from_slice(SIG_ALG);
        v.extend_from_slice(&self.id.0);
        v.extend_from_slice(&self.key);
        v
    }

    /// The bare base64 form (`RWQ…`), as `minisign -P` and UCI take it.
    pub fn to_base64(&self) -> String {
        base64::encode(&self.to_bytes())
    }

    /// The `.pub` file contents, exactly as `minisign -G` writes them.
    pub fn to_file_string(&self) -> String {
        format!(
            "{UNTRUSTED_PREFIX}minisign public key {}\n{}\n",
            self.id,
            self.to_base64()
        )
    }

    /// The key id.
    pub fn id(&self) -> KeyId {
        self.id
    }

    /// The raw ed25519 public key.
    pub fn ed25519(&self) -> &[u8; 32] {
        &self.key
    }
}

/// An unencrypted minisign secret key, ready to sign.
pub struct SecretKey {
    id: KeyId,
    pair: Ed25519KeyPair,
    seed: [u8; 32],
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the seed.
        write!(f, "SecretKey({})", self.id)
    }
}

impl SecretKey {
    /// Generates a fresh key pair from the system's random source.
    pub fn generate() -> Result<Self, SignError> {
        let rng = SystemRandom::new();
        let mut id = [0u8; 8];
        let mut seed = [0u8; 32];
        rng.fill(&mut id).map_err(|_| SignError::Random)?;
        rng.fill(&mut seed).map_err(|_| SignError::Random)?;
        Self::from_seed(KeyId(id), seed)
    }

    /// Builds a key from a key id and a 32-byte ed25519 seed.
    pub fn from_seed(id: KeyId, seed: [u8; 32]) -> Result<Self, SignError> {
        let pair = Ed25519KeyPair::from_seed_unchecked(&seed)
            .map_err(|_| SignError::malformed(FileKind::Secret, 0, "unusable ed25519 seed"))?;
        Ok(Self { id, pair, seed })
    }

    /// Parses the contents of a minisign secret key file (comment line,
    /// base64 line; a bare base64 line is accepted too).
    pub fn parse(text: &str) -> Result<Self, SignError> {
        let (b64, line) = key_line(text, FileKind::Secret)?;
        let bytes =
            base64::decode(b64).map_err(|e| SignError::malformed(FileKind::Secret, line, &e.to_string()))?;
        Self::from_bytes(&bytes).map_err(|e| e.at_line(line))
    }

    /// Decodes the 158-byte binary form.
    pub fn from_bytes(b: &[u8]) -> Result<Self, SignError> {
        if b.len() != SECRET_LEN {
            return Err(SignError::malformed(
                FileKind::Secret,
                0,
                &format!("{} bytes, expected {SECRET_LEN}", b.len()),
            ));
        }
        if &b[0..2] != SIG_ALG {
            return Err(SignError::UnsupportedAlgorithm {
                what: "secret key signature",
                found: super::show_alg(&b[0..2]),
            });
        }
        if &b[4..6] != CHK_ALG {
            return Err(SignError::UnsupportedAlgorithm {
                what: "secret key checksum",
                found: super::show_alg(&b[4..6]),
            });
        }
        match &b[2..4] {
            k if k == KDF_NONE => {}
            k if k == KDF_SCRYPT => return Err(SignError::EncryptedSecretKey),
            k => {
                return Err(SignError::UnsupportedAlgorithm {
                    what: "secret key derivation",
                    found: super::show_alg(k),
                })
            }
        }
        let ks = &b[54..];
        let (id_b, sk, chk) = (&ks[..8], &ks[8..72], &ks[72..104]);
        // minisign computes the checksum only when it encrypts a key, so
        // `minisign -G -W` leaves it all zero; a key whose password was
        // removed with `minisign -C -W` keeps a real one. Accept both,
        // refuse anything else: that is a corrupt or altered file.
        if chk.iter().any(|&x| x != 0) && blake2b_256(&[SIG_ALG, id_b, sk]) != chk {
            return Err(SignError::SecretKeyChecksum);
        }
        let mut id = [0u8; 8];
        id.copy_from_slice(id_b);
        let mut seed = [0u8; 32];
        seed.copy_from_slice(&sk[..32]);
        let pair = Ed25519KeyPair::from_seed_and_public_key(&sk[..32], &sk[32..]).map_err(|_| {
            SignError::malformed(
                FileKind::Secret,
                0,
                "the public half does not belong to the secret seed (corrupt key)",
            )
        })?;
        Ok(Self {
            id: KeyId(id),
            pair,
            seed,
        })
    }

    /// The 158-byte unencrypted binary form, with a real checksum.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut sk = [0u8; 64];
        sk[..32].copy_from_slice(&self.seed);
        sk[32..].copy_from_slice(self.pair.public_key().as_ref());
        let chk = blake2b_256(&[SIG_ALG, &self.id.0, &sk]);
        let mut v = Vec::with_capacity(SECRET_LEN);
        v.extend_from_slice(SIG_ALG);
        v.extend_from_slice(KDF_NONE);
        v.extend_from_slice(CHK_ALG);
        // Salt and scrypt limits are unused without a KDF; zero, as
        // minisign writes them.
        v.extend_from_slice(&[0u8; 32 + 8 + 8]);
        v.extend_from_slice(&self.id.0);
        v.extend_from_slice(&sk);
        v.extend_from_slice(&chk);
        v
    }

    /// The secret key file contents (readable by `minisign -S -s`).
    pub fn to_file_string(&self) -> String {
        format!(
            "{UNTRUSTED_PREFIX}minisign unencrypted secret key\n{}\n",
            base64::encode(&self.to_bytes())
        )
    }

    /// The key id.
    pub fn id(&self) -> KeyId {
        self.id
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        let mut key = [0u8; 32];
        key.copy_from_slice(self.pair.public_key().as_ref());
        PublicKey { id: self.id, key }
    }

    /// Raw ed25519 signature over `msg`.
    pub(crate) fn sign_raw(&self, msg: &[u8]) -> [u8; 64] {
        let mut out = [0u8; 64];
        out.copy_from_slice(self.pair.sign(msg).as_ref());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A key made by `minisign -G -W` (0.11): zero checksum, comment
    /// "minisign encrypted secret key" although it is not encrypted.
    pub(crate) const MINISIGN_SEC: &str = "untrusted comment: minisign encrypted secret key\n\
RWQAAEIyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA8iWAzbrlnv9QDM4+TdhRjxUdkgWEVeZX/Ij5rnZ/aK+0+my4kapuAaGnTM0jYUsyecqo+KbHvQgFIWNY7InUM9/1fC6DzD9mAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
    pub(crate) const MINISIGN_PUB: &str = "untrusted comment: minisign public key FF9EE5BACD8025F2\n\
RWTyJYDNuuWe/6GnTM0jYUsyecqo+KbHvQgFIWNY7InUM9/1fC6DzD9m\n";

    #[test]
    fn public_key_file_and_bare_forms() {
        let pk = PublicKey::parse(MINISIGN_PUB).unwrap();
        assert_eq!(pk.id().to_string(), "FF9EE5BACD8025F2");
        assert_eq!(pk.id().0, [0xf2, 0x25, 0x80, 0xcd, 0xba, 0xe5, 0x9e, 0xff]);
        let bare = PublicKey::parse("  RWTyJYDNuuWe/6GnTM0jYUsyecqo+KbHvQgFIWNY7InUM9/1fC6DzD9m\n").unwrap();
        assert_eq!(pk, bare);
        // The file we write is byte-for-byte what minisign wrote.
        assert_eq!(pk.to_file_string(), MINISIGN_PUB);
        assert_eq!(PublicKey::from_bytes(&pk.to_bytes()).unwrap(), pk);
        assert_eq!(&pk.ed25519()[..4], &[0xa1, 0xa7, 0x4c, 0xcd]);
    }

    #[test]
    fn malformed_public_keys() {
        let e = PublicKey::parse("untrusted comment: x\n").unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
        let e = PublicKey::parse("untrusted comment: x\nRWTy!!\n").unwrap_err();
        assert!(
            matches!(
                e,
                SignError::Malformed {
                    line: crate::sign::LineNo(2),
                    ..
                }
            ),
            "{e}"
        );
        // Right length, wrong algorithm ("Xd").
        let mut b = PublicKey::parse(MINISIGN_PUB).unwrap().to_bytes();
        b[0] = b'X';
        assert!(matches!(
            PublicKey::parse(&base64::encode(&b)),
            Err(SignError::UnsupportedAlgorithm { .. })
        ));
        let e = PublicKey::parse(&base64::encode(&b[..41])).unwrap_err();
        assert!(e.to_string().contains("41 bytes"), "{e}");
        assert!(PublicKey::parse("").is_err());
        assert!(PublicKey::parse("a\nb\n").is_err());
    }

    #[test]
    fn minisign_unencrypted_secret_key_loads_and_matches_public() {
        let sk = SecretKey::parse(MINISIGN_SEC).unwrap();
        assert_eq!(sk.public_key(), PublicKey::parse(MINISIGN_PUB).unwrap());
        // Re-encoding writes a real checksum, and loads back.
        let again = SecretKey::from_bytes(&sk.to_bytes()).unwrap();
        assert_eq!(again.public_key(), sk.public_key());
        assert_eq!(sk.to_bytes().len(), SECRET_LEN);
        assert_eq!(&sk.to_bytes()[..6], b"Ed\0\0B2");
    }

    #[test]
    fn secret_key_checks() {
        let good = SecretKey::parse(MINISIGN_SEC).unwrap().to_bytes();
        // Wrong checksum.
        let mut b = good.clone();
        b[SECRET_LEN - 1] ^= 1;
        assert!(matches!(
            SecretKey::from_bytes(&b),
            Err(SignError::SecretKeyChecksum)
        ));
        // A flipped seed byte with the zero checksum minisign writes: the
        // public half no longer matches.
        let mut b = good.clone();
        b[SECRET_LEN - 32..].fill(0);
        b[54 + 8] ^= 1;
        assert!(matches!(
            SecretKey::from_bytes(&b),
            Err(SignError::Malformed { .. })
        ));
        // scrypt-encrypted.
        let mut b = good.clone();
        b[2..4].copy_from_slice(b"Sc");
        let e = SecretKey::from_bytes(&b).unwrap_err();
        assert!(matches!(e, SignError::EncryptedSecretKey));
        assert!(e.to_string().contains("minisign -G -W"), "{e}");
        // Unknown checksum algorithm.
        let mut b = good;
        b[4] = b'Z';
        assert!(matches!(
            SecretKey::from_bytes(&b),
            Err(SignError::UnsupportedAlgorithm { .. })
        ));
    }

    #[test]
    fn generated_keys_round_trip_through_files() {
        let sk = SecretKey::generate().unwrap();
        let loaded = SecretKey::parse(&sk.to_file_string()).unwrap();
        assert_eq!(loaded.public_key(), sk.public_key());
        assert_eq!(loaded.id(), sk.id());
        let pk = PublicKey::parse(&sk.public_key().to_file_string()).unwrap();
        assert_eq!(pk, sk.public_key());
        assert_ne!(SecretKey::generate().unwrap().id(), sk.id());
        assert!(!format!("{sk:?}").contains(&base64::encode(&sk.seed)));
    }
}
