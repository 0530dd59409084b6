//! minisign-compatible signatures: the feed's proof of origin.
//!
//! The central IT centre signs each feed with `minisign` or `iocguard feed
//! sign`; every router verifies it with the public key from its UCI config
//! before a single line is parsed. Files are interchangeable with the real
//! `minisign` tool (0.8 and later) in both directions: keys from
//! `minisign -G -W`, signatures from `minisign -S` (prehashed `ED`, the
//! default) and `minisign -S -l` (legacy `Ed`), and what iocguard writes
//! verifies with `minisign -V`.
//!
//! Guarantees: a signature is accepted only when the key ids match, the
//! file signature verifies and the global signature over the trusted
//! comment verifies; the trusted comment is returned only then (it carries
//! the signing timestamp, which callers use against replay of old feeds).
//! Parsing never panics: the `.minisig` arrives from the network. ed25519
//! is ring's; BLAKE2b and base64 are small local modules.

pub mod blake2b;
pub mod key;
pub mod minisig;

pub use key::{PublicKey, SecretKey};
pub use minisig::{sign, sign_reader, trusted_timestamp, SigAlg, Signature, Verified, MAX_SIG_FILE_BYTES};

use std::fmt;

/// The 8-byte key id minisign puts in keys and signatures.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyId(pub [u8; 8]);

impl fmt::Display for KeyId {
    /// As minisign prints it: the bytes read as a little-endian `u64`, in
    /// 16 upper-case hex digits.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016X}", u64::from_le_bytes(self.0))
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

/// Which minisign file an error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// A `.pub` file or base64 public key.
    Public,
    /// A secret key file.
    Secret,
    /// A `.minisig` signature file.
    Signature,
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileKind::Public => "public key",
            FileKind::Secret => "secret key",
            FileKind::Signature => "signature",
        })
    }
}

/// A 1-based line number, or 0 when the error is not about one line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineNo(pub usize);

impl fmt::Display for LineNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 > 0 {
            write!(f, " line {}", self.0)
        } else {
            Ok(())
        }
    }
}

/// Why a key or signature was refused. The caller adds the file name.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// The file does not have minisign's shape.
    #[error("malformed {what}{line}: {reason}")]
    Malformed {
        /// Which kind of file.
        what: FileKind,
        /// Where.
        line: LineNo,
        /// What is wrong.
        reason: String,
    },
    /// An algorithm tag this implementation does not know.
    #[error("unsupported {what} algorithm {found}")]
    UnsupportedAlgorithm {
        /// Which field.
        what: &'static str,
        /// The tag found, printable.
        found: String,
    },
    /// The signature was made by another key.
    #[error("signed with key {signed}, expected key {expected}")]
    KeyIdMismatch {
        /// The key id in the signature.
        signed: KeyId,
        /// The key id of the trusted public key.
        expected: KeyId,
    },
    /// The file signature does not verify: the file was altered, or the
    /// signature was made by another key with the same id.
    #[error("bad signature: the file does not match its signature (altered or truncated?)")]
    BadSignature,
    /// The global signature does not verify: the trusted comment (or the
    /// signature line) was altered.
    #[error("bad global signature: the trusted comment was altered")]
    BadGlobalSignature,
    /// A scrypt-encrypted secret key.
    #[error(
        "the secret key is password-protected; create an unencrypted key with \
         `minisign -G -W` or `iocguard feed keygen`"
    )]
    EncryptedSecretKey,
    /// The secret key's checksum does not match its contents.
    #[error("secret key checksum mismatch: the key file is corrupt")]
    SecretKeyChecksum,
    /// A comment that would break the line format.
    #[error("{0} comment must be one line (no CR or LF)")]
    BadComment(&'static str),
    /// The system random source failed (key generation).
    #[error("the system random number generator failed")]
    Random,
    /// Reading the signed data failed.
    #[error("reading the signed data: {0}")]
    Io(#[from] std::io::Error),
}

impl SignError {
    pub(crate) fn malformed(what: FileKind, line: usize, reason: &str) -> Self {
        SignError::Malformed {
            what,
            line: LineNo(line),
            reason: reason.to_string(),
        }
    }

    /// Fills in the line of a [`SignError::Malformed`] that did not know it.
    pub(crate) fn at_line(self, n: usize) -> Self {
        match self {
            SignError::Malformed {
                what,
                line: LineNo(0),
                reason,
            } => SignError::Malformed {
                what,
                line: LineNo(n),
                reason,
            },
            e => e,
        }
    }
}

/// An algorithm tag for messages: text when printable, hex otherwise.
pub(crate) fn show_alg(b: &[u8]) -> String {
    if b.iter().all(|c| c.is_ascii_graphic()) {
        format!("{:?}", String::from_utf8_lossy(b))
    } else {
        b.iter().map(|c| format!("\\x{c:02x}")).collect()
    }
}
