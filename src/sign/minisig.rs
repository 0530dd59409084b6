//! `.minisig` signature files: parse, verify, create.
//!
//! Four lines:
//! 1. `untrusted comment: …` (free text, not signed)
//! 2. base64 of alg (`"ED"` prehashed / `"Ed"` legacy) ‖ key id (8) ‖
//!    ed25519 signature (64) over BLAKE2b-512(file) or over the file itself
//! 3. `trusted comment: …`
//! 4. base64 of the global signature: ed25519 over signature (64) ‖ the
//!    trusted comment's bytes
//!
//! Lines end at `\n`; a line ends at its first `\r`, as in minisign. The
//! whole file is capped at [`MAX_SIG_FILE_BYTES`], comments at minisign's
//! own limits, so a hostile server cannot make the parser allocate much.

use super::blake2b::Blake2b512;
use super::key::{lines, UNTRUSTED_PREFIX};
use super::{FileKind, KeyId, PublicKey, SecretKey, SignError};
use crate::base64;
use ring::signature::{UnparsedPublicKey, ED25519};
use std::io::Read;

/// Largest `.minisig` accepted. minisign's own limits (1 KiB untrusted
/// comment, 8 KiB trusted comment, two short base64 lines) fit well below.
pub const MAX_SIG_FILE_BYTES: usize = 16 * 1024;

const TRUSTED_PREFIX: &str = "trusted comment: ";
/// minisign's COMMENTMAXBYTES: the untrusted comment line, prefix included.
const UNTRUSTED_MAX: usize = 1024;
/// minisign's TRUSTEDCOMMENTMAXBYTES, prefix included.
const TRUSTED_MAX: usize = 8192;
const SIG_LEN: usize = 2 + 8 + 64;

/// What the file signature covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SigAlg {
    /// `ED`: the BLAKE2b-512 hash of the file (minisign ≥ 0.8 default).
    Prehashed,
    /// `Ed`: the file itself (`minisign -S -l`, old minisign, signify).
    Legacy,
}

impl SigAlg {
    fn tag(self) -> &'static [u8; 2] {
        match self {
            SigAlg::Prehashed => b"ED",
            SigAlg::Legacy => b"Ed",
        }
    }
}

/// A parsed `.minisig` file. Parsing checks the shape only; trust comes
/// from [`Signature::verify`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signature {
    /// Prehashed or legacy.
    pub alg: SigAlg,
    /// The id of the key that (claims to have) signed.
    pub key_id: KeyId,
    sig: [u8; 64],
    /// Line 1 after the prefix. Anyone can change it: never act on it.
    pub untrusted_comment: String,
    /// Line 3 after the prefix. Trustworthy only after `verify` succeeded.
    pub trusted_comment: String,
    global: [u8; 64],
}

/// The outcome of a successful verification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// The signing key's id.
    pub key_id: KeyId,
    /// The verified trusted comment, e.g. `timestamp:1700000000\tfile:x`.
    pub trusted_comment: String,
    /// Whether the signature was prehashed (`ED`) or legacy (`Ed`).
    pub alg: SigAlg,
}

impl Verified {
    /// The `timestamp:` field of the trusted comment, when present; see
    /// [`trusted_timestamp`].
    pub fn timestamp(&self) -> Option<u64> {
        trusted_timestamp(&self.trusted_comment)
    }
}

/// The unix time in the `timestamp:N` field of a trusted comment (fields
/// are tab-separated, as minisign writes them). A feed signed earlier than
/// the last accepted one is a replay; the caller decides.
pub fn trusted_timestamp(trusted_comment: &str) -> Option<u64> {
    trusted_comment
        .split('\t')
        .find_map(|f| f.trim().strip_prefix("timestamp:"))
        .and_then(|v| v.trim().parse().ok())
}

fn bad(line: usize, reason: &str) -> SignError {
    SignError::malformed(FileKind::Signature, line, reason)
}

fn decode_line(text: &str, line: usize, len: usize, what: &str) -> Result<Vec<u8>, SignError> {
    let t = text.trim_matches([' ', '\t']);
    if t.is_empty() {
        return Err(bad(line, &format!("missing the {what} (truncated file?)")));
    }
    let b = base64::decode(t).map_err(|e| bad(line, &format!("{what}: {e}")))?;
    if b.len() != len {
        return Err(bad(line, &format!("{what} is {} bytes, expected {len}", b.len())));
    }
    Ok(b)
}

impl Signature {
    /// Parses the bytes of a `.minisig` file.
    pub fn parse(bytes: &[u8]) -> Result<Self, SignError> {
        if bytes.len() > MAX_SIG_FILE_BYTES {
            return Err(bad(
                0,
                &format!(
                    "{} bytes, more than the {MAX_SIG_FILE_BYTES} a signature can need",
                    bytes.len()
                ),
            ));
        }
        let text = std::str::from_utf8(bytes).map_err(|e| {
            let line = bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count() + 1;
            bad(line, "not UTF-8 text")
        })?;
        let mut it = lines(text);
        let mut next = |n: usize, what: &str| {
            it.next()
                .ok_or_else(|| bad(n, &format!("missing the {what} (truncated file?)")))
        };

        let l1 = next(1, "untrusted comment")?;
        let untrusted = l1
            .strip_prefix(UNTRUSTED_PREFIX)
            .ok_or_else(|| bad(1, "must start with \"untrusted comment: \""))?;
        if l1.len() >= UNTRUSTED_MAX {
            return Err(bad(
                1,
                &format!("untrusted comment longer than {UNTRUSTED_MAX} bytes"),
            ));
        }

        let sig = decode_line(next(2, "signature")?, 2, SIG_LEN, "signature")?;
        let alg = match &sig[..2] {
            b"ED" => SigAlg::Prehashed,
            b"Ed" => SigAlg::Legacy,
            other => {
                return Err(SignError::UnsupportedAlgorithm {
                    what: "signature",
                    found: super::show_alg(other),
                })
            }
        };

        let l3 = next(3, "trusted comment")?;
        let trusted = l3
            .strip_prefix(TRUSTED_PREFIX)
            .ok_or_else(|| bad(3, "must start with \"trusted comment: \""))?;
        if l3.len() >= TRUSTED_MAX {
            return Err(bad(
                3,
                &format!("trusted comment longer than {TRUSTED_MAX} bytes"),
            ));
        }

        let global = decode_line(next(4, "global signature")?, 4, 64, "global signature")?;

        let mut key_id = [0u8; 8];
        key_id.copy_from_slice(&sig[2..10]);
        let mut s = [0u8; 64];
        s.copy_from_slice(&sig[10..]);
        let mut g = [0u8; 64];
        g.copy_from_slice(&global);
        Ok(Signature {
            alg,
            key_id: KeyId(key_id),
            sig: s,
            untrusted_comment: untrusted.to_string(),
            trusted_comment: trusted.to_string(),
            global: g,
        })
    }

    /// The `.minisig` file contents.
    pub fn to_file_string(&self) -> String {
        let mut line2 = Vec::with_capacity(SIG_LEN);
        line2.extend_from_slice(self.alg.tag());
        line2.extend_from_slice(&self.key_id.0);
        line2.extend_from_slice(&self.sig);
        format!(
            "{UNTRUSTED_PREFIX}{}\n{}\n{TRUSTED_PREFIX}{}\n{}\n",
            self.untrusted_comment,
            base64::encode(&line2),
            self.trusted_comment,
            base64::encode(&self.global)
        )
    }

    /// Verifies `data` against this signature and `pk`: key ids, the file
    /// signature, then the global signature over the trusted comment.
    pub fn verify(&self, pk: &PublicKey, data: &[u8]) -> Result<Verified, SignError> {
        self.check_key(pk)?;
        let ok = match self.alg {
            SigAlg::Prehashed => {
                let mut h = Blake2b512::new();
                h.update(data);
                ed25519_ok(pk, &h.finalize(), &self.sig)
            }
            SigAlg::Legacy => ed25519_ok(pk, data, &self.sig),
        };
        self.finish(pk, ok)
    }

    /// Like [`Signature::verify`], reading the data from `r`. Prehashed
    /// signatures stream (constant memory); legacy ones must read the whole
    /// input, since ed25519 signs the message itself.
    pub fn verify_reader(&self, pk: &PublicKey, mut r: impl Read) -> Result<Verified, SignError> {
        self.check_key(pk)?;
        let ok = match self.alg {
            SigAlg::Prehashed => ed25519_ok(pk, &hash_reader(&mut r)?, &self.sig),
            SigAlg::Legacy => {
                let mut data = Vec::new();
                r.read_to_end(&mut data)?;
                ed25519_ok(pk, &data, &self.sig)
            }
        };
        self.finish(pk, ok)
    }

    fn check_key(&self, pk: &PublicKey) -> Result<(), SignError> {
        if self.key_id != pk.id() {
            return Err(SignError::KeyIdMismatch {
                signed: self.key_id,
                expected: pk.id(),
            });
        }
        Ok(())
    }

    fn finish(&self, pk: &PublicKey, file_ok: bool) -> Result<Verified, SignError> {
        if !file_ok {
            return Err(SignError::BadSignature);
        }
        if !ed25519_ok(
            pk,
            &global_message(&self.sig, &self.trusted_comment),
            &self.global,
        ) {
            return Err(SignError::BadGlobalSignature);
        }
        Ok(Verified {
            key_id: self.key_id,
            trusted_comment: self.trusted_comment.clone(),
            alg: self.alg,
        })
    }
}

fn ed25519_ok(pk: &PublicKey, msg: &[u8], sig: &[u8; 64]) -> bool {
    UnparsedPublicKey::new(&ED25519, pk.ed25519())
        .verify(msg, sig)
        .is_ok()
}

fn global_message(sig: &[u8; 64], trusted_comment: &str) -> Vec<u8> {
    let mut m = Vec::with_capacity(64 + trusted_comment.len());
    m.extend_from_slice(sig);
    m.extend_from_slice(trusted_comment.as_bytes());
    m
}

fn hash_reader(r: &mut impl Read) -> Result<[u8; 64], SignError> {
    let mut h = Blake2b512::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match r.read(&mut buf) {
            Ok(0) => return Ok(h.finalize()),
            Ok(n) => h.update(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
}

fn check_comment(c: &str, what: &'static str, max: usize) -> Result<(), SignError> {
    if c.contains(['\n', '\r']) {
        return Err(SignError::BadComment(what));
    }
    if c.len() + 20 >= max {
        return Err(SignError::malformed(
            FileKind::Signature,
            0,
            &format!("{what} comment longer than {} bytes", max - 20),
        ));
    }
    Ok(())
}

fn build(
    sk: &SecretKey,
    alg: SigAlg,
    sig: [u8; 64],
    trusted_comment: &str,
    untrusted_comment: &str,
) -> Signature {
    let global = sk.sign_raw(&global_message(&sig, trusted_comment));
    Signature {
        alg,
        key_id: sk.id(),
        sig,
        untrusted_comment: untrusted_comment.to_string(),
        trusted_comment: trusted_comment.to_string(),
        global,
    }
}

/// Signs `data` with `sk`. `alg` is [`SigAlg::Prehashed`] unless a legacy
/// verifier must read it. Comments must be single lines.
pub fn sign(
    sk: &SecretKey,
    data: &[u8],
    alg: SigAlg,
    trusted_comment: &str,
    untrusted_comment: &str,
) -> Result<Signature, SignError> {
    check_comment(trusted_comment, "trusted", TRUSTED_MAX)?;
    check_comment(untrusted_comment, "untrusted", UNTRUSTED_MAX)?;
    let sig = match alg {
        SigAlg::Prehashed => {
            let mut h = Blake2b512::new();
            h.update(data);
            sk.sign_raw(&h.finalize())
        }
        SigAlg::Legacy => sk.sign_raw(data),
    };
    Ok(build(sk, alg, sig, trusted_comment, untrusted_comment))
}

/// Signs what `r` yields, prehashed, in constant memory.
pub fn sign_reader(
    sk: &SecretKey,
    mut r: impl Read,
    trusted_comment: &str,
    untrusted_comment: &str,
) -> Result<Signature, SignError> {
    check_comment(trusted_comment, "trusted", TRUSTED_MAX)?;
    check_comment(untrusted_comment, "untrusted", UNTRUSTED_MAX)?;
    let sig = sk.sign_raw(&hash_reader(&mut r)?);
    Ok(build(
        sk,
        SigAlg::Prehashed,
        sig,
        trusted_comment,
        untrusted_comment,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINISIGN_PUB: &str = "RWTyJYDNuuWe/6GnTM0jYUsyecqo+KbHvQgFIWNY7InUM9/1fC6DzD9m";
    /// `minisign -S` (0.11) of "hello\n".
    const HASHED: &str = "untrusted comment: signature from minisign secret key
RUTyJYDNuuWe/401LyJArFNX/VBHOlSQqvMJ71b6LeU5slTHu4+dvCKyh8IRnvp5MGlc7vQYSkxJ+SYjI/DQDONhUKFv5l1VWQI=
trusted comment: timestamp:1795900662\tfile:f.txt\thashed
FvALFa31TU3cvyEg8hZv7YPwQZRdNeo8M5DCB+3pKoEoLm0xG9+X2Dsag6va8F7T4zA3wAaC6iTjrFEQP6PaAA==
";
    /// `minisign -S -l` (0.11) of "hello\n".
    const LEGACY: &str = "untrusted comment: signature from minisign secret key
RWTyJYDNuuWe/x596BNrSG0uTyEBnDz+TrPwGPofnnRbtb/qEZEFnUiiRahx41GCizPnXaEOavdRo86PJcoTRgVKKIRFUoc7Fgc=
trusted comment: timestamp:1795900662\tfile:f.txt
Eg1uKXEBK4uQTu0mzRSq0HMx1KuaRwSBlu5nU708GoZHtHss/GAIcS7OA8Ok6+MR/563gYI5XJ2kB8F/hLgHAg==
";

    fn pk() -> PublicKey {
        PublicKey::parse(MINISIGN_PUB).unwrap()
    }

    #[test]
    fn minisign_fixtures_verify() {
        let s = Signature::parse(HASHED.as_bytes()).unwrap();
        assert_eq!(s.alg, SigAlg::Prehashed);
        let v = s.verify(&pk(), b"hello\n").unwrap();
        assert_eq!(v.trusted_comment, "timestamp:1795900662\tfile:f.txt\thashed");
        assert_eq!(v.timestamp(), Some(1795900662));
        assert_eq!(v.key_id.to_string(), "FF9EE5BACD8025F2");
        let v = s.verify_reader(&pk(), &b"hello\n"[..]).unwrap();
        assert_eq!(v.alg, SigAlg::Prehashed);

        let l = Signature::parse(LEGACY.as_bytes()).unwrap();
        assert_eq!(l.alg, SigAlg::Legacy);
        assert_eq!(l.verify(&pk(), b"hello\n").unwrap().alg, SigAlg::Legacy);
        assert!(l.verify_reader(&pk(), &b"hello\n"[..]).is_ok());
    }

    #[test]
    fn encoding_round_trips_byte_for_byte() {
        for text in [HASHED, LEGACY] {
            assert_eq!(Signature::parse(text.as_bytes()).unwrap().to_file_string(), text);
        }
        // CRLF line ends (a file passed through a Windows editor) parse.
        let crlf = HASHED.replace('\n', "\r\n");
        assert!(Signature::parse(crlf.as_bytes())
            .unwrap()
            .verify(&pk(), b"hello\n")
            .is_ok());
    }

    #[test]
    fn tampering_is_caught_by_the_right_check() {
        let s = Signature::parse(HASHED.as_bytes()).unwrap();
        assert!(matches!(
            s.verify(&pk(), b"hello!\n"),
            Err(SignError::BadSignature)
        ));
        let mut t = s.clone();
        t.trusted_comment = t.trusted_comment.replace("1795900662", "1895900662");
        assert!(matches!(
            t.verify(&pk(), b"hello\n"),
            Err(SignError::BadGlobalSignature)
        ));
        // The untrusted comment is not signed.
        let mut u = s.clone();
        u.untrusted_comment = "anything".into();
        assert!(u.verify(&pk(), b"hello\n").is_ok());
        // Switching ED to Ed changes what the signature claims to cover.
        let mut a = s.clone();
        a.alg = SigAlg::Legacy;
        assert!(matches!(
            a.verify(&pk(), b"hello\n"),
            Err(SignError::BadSignature)
        ));
        // Another key.
        let other = SecretKey::generate().unwrap().public_key();
        let e = s.verify(&other, b"hello\n").unwrap_err();
        assert!(matches!(e, SignError::KeyIdMismatch { .. }));
        assert!(
            e.to_string()
                .contains("signed with key FF9EE5BACD8025F2, expected key"),
            "{e}"
        );
        // Same id, other key material.
        let impostor = PublicKey::new(pk().id(), *other.ed25519());
        assert!(matches!(
            s.verify(&impostor, b"hello\n"),
            Err(SignError::BadSignature)
        ));
    }

    #[test]
    fn malformed_files_name_the_line() {
        let cases: &[(&str, usize)] = &[
            ("", 1),
            ("untrusted comment: x\n", 2),
            ("comment: x\nRUTy\n", 1),
            ("untrusted comment: x\nRUTy!!!!\n", 2),
            ("untrusted comment: x\nZm9v\n", 2),
        ];
        for (text, line) in cases {
            match Signature::parse(text.as_bytes()) {
                Err(SignError::Malformed { line: l, .. }) => assert_eq!(l.0, *line, "{text:?}"),
                other => panic!("{text:?}: {other:?}"),
            }
        }
        let lines: Vec<&str> = HASHED.lines().collect();
        for keep in 0..4 {
            let t = lines[..keep].join("\n");
            let e = Signature::parse(t.as_bytes()).unwrap_err();
            assert!(matches!(e, SignError::Malformed { .. }), "{keep}: {e}");
        }
        let no_tc = HASHED.replace("\ntrusted comment: ", "\ntrusted: ");
        let e = Signature::parse(no_tc.as_bytes()).unwrap_err();
        assert!(e.to_string().contains("line 3"), "{e}");
        let short_global = HASHED.replace("FvAL", "").replace("AA==", "");
        let e = Signature::parse(short_global.as_bytes()).unwrap_err();
        assert!(e.to_string().contains("line 4"), "{e}");
        assert!(Signature::parse(&[0xff, 0xfe]).is_err());
        assert!(Signature::parse(&vec![b'a'; MAX_SIG_FILE_BYTES + 1]).is_err());
        // Unknown algorithm tag "Xd".
        let mut raw = base64::decode(HASHED.lines().nth(1).unwrap()).unwrap();
        raw[0] = b'X';
        let t = HASHED.replace(HASHED.lines().nth(1).unwrap(), &base64::encode(&raw));
        assert!(matches!(
            Signature::parse(t.as_bytes()),
            Err(SignError::UnsupportedAlgorithm { .. })
        ));
    }

    #[test]
    fn sign_then_verify_both_algorithms() {
        let sk = SecretKey::generate().unwrap();
        let data: Vec<u8> = (0..5000u32).map(|i| i as u8).collect();
        for alg in [SigAlg::Prehashed, SigAlg::Legacy] {
            let s = sign(&sk, &data, alg, "timestamp:1\tfile:feed.txt", "x").unwrap();
            let back = Signature::parse(s.to_file_string().as_bytes()).unwrap();
            assert_eq!(back, s);
            assert_eq!(back.verify(&sk.public_key(), &data).unwrap().timestamp(), Some(1));
        }
        let s = sign_reader(&sk, &data[..], "t", "u").unwrap();
        assert_eq!(s, sign(&sk, &data, SigAlg::Prehashed, "t", "u").unwrap());
        assert!(matches!(
            sign(&sk, b"", SigAlg::Prehashed, "a\nb", ""),
            Err(SignError::BadComment("trusted"))
        ));
    }

    proptest::proptest! {
        /// Arbitrary bytes (the .minisig comes from the network) never
        /// panic any parser.
        #[test]
        fn parsers_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400)) {
            let _ = Signature::parse(&bytes);
            let text = String::from_utf8_lossy(&bytes);
            let _ = PublicKey::parse(&text);
            let _ = SecretKey::parse(&text);
        }

        /// One changed byte anywhere in a real signature file is either
        /// refused or harmless: only the (unsigned) untrusted comment and
        /// the final line break may change and still verify.
        #[test]
        fn one_byte_changes_never_verify_silently(pos in 0..HASHED.len(), byte in proptest::prelude::any::<u8>()) {
            let mut b = HASHED.as_bytes().to_vec();
            b[pos] = byte;
            let first_line_end = HASHED.find('\n').unwrap();
            let accepted = Signature::parse(&b).and_then(|s| s.verify(&pk(), b"hello\n")).is_ok();
            if accepted {
                proptest::prop_assert!(
                    b == HASHED.as_bytes()
                        || (pos >= UNTRUSTED_PREFIX.len() && pos < first_line_end)
                        || pos == HASHED.len() - 1,
                    "byte {pos} set to {byte:#x} still verifies"
                );
            }
        }
    }

    #[test]
    fn timestamps() {
        assert_eq!(trusted_timestamp("timestamp:12\tfile:a"), Some(12));
        assert_eq!(trusted_timestamp("file:a\ttimestamp:13"), Some(13));
        assert_eq!(trusted_timestamp("no stamp"), None);
        assert_eq!(trusted_timestamp("timestamp:x"), None);
    }
}
