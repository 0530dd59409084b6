//! Signed unit reports: a unit signs its JSON report with minisign
//! (`iocguard report --sign KEY`, or the `minisign` tool itself), and the
//! IT centre checks each report against the unit's public key before it
//! merges it, so a forged report is refused by name.
//!
//! The signature is an ordinary `.minisig` (prehashed `ED`) beside the
//! report. Its trusted comment names the unit: `unit: NAME\ttimestamp: N`
//! (tab-separated fields, as minisign writes its own). Verification needs
//! the `unit:` field and checks it against the report's unit, because the
//! key alone does not bind a unit when units share a key or a key file is
//! misfiled: one unit must not vouch for another unit's figures. A unit
//! signing with the `minisign` tool writes the same field:
//! `minisign -S -s unit.key -t "unit: NAME" -m report.json`.
//!
//! The IT centre's keys are a directory of minisign public key files named
//! after the units (`keys/Sở Y tế.pub`), read once by [`KeyRing::load`];
//! a unit is looked up in that listing, never joined into a path, so a
//! hostile unit name (`../x`) reaches no other file.

use super::error::MergeError;
use crate::sign::{sign, PublicKey, SecretKey, SigAlg, Signature};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Largest public key file read: minisign's are under 200 bytes, its
/// comment line at most 1 KiB.
pub const MAX_KEY_FILE_BYTES: usize = 16 * 1024;

/// The trusted comment of a unit's report signature.
pub fn trusted_comment(unit: &str, generated: u64) -> String {
    format!("unit: {unit}\ttimestamp: {generated}")
}

/// The unit named by a trusted comment's `unit:` field (value trimmed);
/// `Ok(None)` when there is none. Two `unit:` fields are an error: which
/// one the signer meant is unknowable.
pub fn signed_unit(trusted_comment: &str) -> Result<Option<&str>, String> {
    let mut units = trusted_comment
        .split('\t')
        .filter_map(|f| f.trim_start().strip_prefix("unit:"))
        .map(str::trim);
    let first = units.next();
    if units.next().is_some() {
        return Err("the trusted comment names more than one unit".into());
    }
    Ok(first)
}

/// Signs a report's JSON bytes with `sk` (the exact bytes written to the
/// file: any other byte breaks the signature). The trusted comment carries
/// the unit and the report's generation time ([`trusted_comment`]).
/// Returns the `.minisig` file's content, to be written as `FILE.minisig`.
pub fn sign_report(sk: &SecretKey, bytes: &[u8], unit: &str, generated: u64) -> Result<String, MergeError> {
    let refuse = |reason: &str| MergeError::Sign {
        unit: unit.to_string(),
        reason: reason.to_string(),
    };
    if unit.trim().is_empty() {
        return Err(refuse("the unit has no name (option unit)"));
    }
    // A tab would split the field, a line break end the comment: the name
    // could not be read back as it was signed.
    if unit.chars().any(char::is_control) {
        return Err(refuse("the unit name contains a control character"));
    }
    let untrusted = format!("iocguard unit report signature, key {}", sk.id());
    let sig = sign(
        sk,
        bytes,
        SigAlg::Prehashed,
        &trusted_comment(unit, generated),
        &untrusted,
    )
    .map_err(|e| refuse(&e.to_string()))?;
    Ok(sig.to_file_string())
}

/// Checks that `sig` (a `.minisig` file's bytes) is `pk`'s signature of
/// `bytes` and that its trusted comment names `unit`. The error is the
/// reason, for the caller to prefix with the file and key.
pub fn verify_report(pk: &PublicKey, bytes: &[u8], sig: &[u8], unit: &str) -> Result<(), String> {
    let sig = Signature::parse(sig).map_err(|e| e.to_string())?;
    // The comment is trustworthy only once the signature verified.
    let verified = sig.verify(pk, bytes).map_err(|e| e.to_string())?;
    match signed_unit(&verified.trusted_comment)? {
        Some(u) if u == unit.trim() => Ok(()),
        Some(u) => Err(format!("signed as a report of unit {u:?}, not of {unit:?}")),
        None => Err(format!(
            "the trusted comment {:?} names no unit (sign with -t \"unit: NAME\")",
            verified.trusted_comment
        )),
    }
}

/// Public keys of units: a directory of minisign public key files named
/// `UNIT.pub` (the exact unit name; UTF-8 file names are fine), loaded
/// once. Other files (no `.pub` suffix) and subdirectories are ignored.
#[derive(Debug, Clone)]
pub struct KeyRing {
    dir: String,
    keys: BTreeMap<String, (PathBuf, PublicKey)>,
}

impl KeyRing {
    /// Loads every `UNIT.pub` in `dir`; errors name the file. A directory
    /// without any key is refused: every report would fail against it.
    pub fn load(dir: &Path) -> Result<KeyRing, MergeError> {
        let shown = dir.display().to_string();
        let dir_err = |source| MergeError::KeyDir {
            dir: shown.clone(),
            source,
        };
        let mut keys = BTreeMap::new();
        for entry in std::fs::read_dir(dir).map_err(dir_err)? {
            let path = entry.map_err(dir_err)?.path();
            if path.extension().is_none_or(|e| e != "pub") {
                continue;
            }
            let file = path.display().to_string();
            let key_err = |reason: String| MergeError::Key {
                file: file.clone(),
                reason,
            };
            let Some(unit) = path.file_stem().map(|s| s.to_str()) else {
                continue;
            };
            let unit =
                unit.ok_or_else(|| key_err("the file name is not UTF-8, so it names no unit".into()))?;
            // Follows symlinks: a key may be a link into a shared store.
            match std::fs::metadata(&path) {
                Ok(m) if m.is_dir() => continue,
                Ok(_) => {}
                Err(source) => return Err(MergeError::Read { file, source }),
            }
            let text = read_key(&path).map_err(|e| match e {
                KeyRead::Io(source) => MergeError::Read {
                    file: file.clone(),
                    source,
                },
                KeyRead::Bad(reason) => key_err(reason),
            })?;
            let pk = PublicKey::parse(&text).map_err(|e| key_err(e.to_string()))?;
            keys.insert(unit.to_string(), (path.clone(), pk));
        }
        if keys.is_empty() {
            return Err(MergeError::NoKeys { dir: shown });
        }
        Ok(KeyRing { dir: shown, keys })
    }

    /// The public key of `unit` (exact name), when the directory has one.
    pub fn for_unit(&self, unit: &str) -> Option<&PublicKey> {
        self.keys.get(unit).map(|(_, pk)| pk)
    }

    /// The file `unit`'s key came from, for messages.
    pub fn key_file(&self, unit: &str) -> Option<&Path> {
        self.keys.get(unit).map(|(p, _)| p.as_path())
    }

    /// The directory, as given, for messages.
    pub fn dir(&self) -> &str {
        &self.dir
    }

    /// The units that have a key, sorted.
    pub fn units(&self) -> impl Iterator<Item = &str> {
        self.keys.keys().map(String::as_str)
    }
}

enum KeyRead {
    Io(std::io::Error),
    Bad(String),
}

/// Reads a key file, at most [`MAX_KEY_FILE_BYTES`].
fn read_key(path: &Path) -> Result<String, KeyRead> {
    let mut buf = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_KEY_FILE_BYTES as u64 + 1).read_to_end(&mut buf))
        .map_err(KeyRead::Io)?;
    if buf.len() > MAX_KEY_FILE_BYTES {
        return Err(KeyRead::Bad(format!(
            "more than {MAX_KEY_FILE_BYTES} bytes, not a minisign public key"
        )));
    }
    String::from_utf8(buf).map_err(|_| KeyRead::Bad("not UTF-8 text".into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign::KeyId;

    fn key(n: u8) -> SecretKey {
        SecretKey::from_seed(KeyId([n; 8]), [n; 32]).unwrap()
    }

    #[test]
    fn a_report_signed_for_its_unit_verifies() {
        let sk = key(1);
        let bytes = b"{\"unit\":\"S\xe1\xbb\x9f X\"}";
        let sig = sign_report(&sk, bytes, "Sở X", 1_764_370_000).unwrap();
        assert!(
            sig.contains("trusted comment: unit: Sở X\ttimestamp: 1764370000\n"),
            "{sig}"
        );
        verify_report(&sk.public_key(), bytes, sig.as_bytes(), "Sở X").unwrap();
        let ts = Signature::parse(sig.as_bytes()).unwrap().trusted_comment;
        assert_eq!(crate::sign::trusted_timestamp(&ts), Some(1_764_370_000));
    }

    #[test]
    fn altered_bytes_another_key_or_another_unit_are_refused() {
        let (a, b) = (key(1), key(2));
        let bytes = b"{\"detected\":3}";
        let sig = sign_report(&a, bytes, "A", 1).unwrap();
        let e = verify_report(&a.public_key(), b"{\"detected\":4}", sig.as_bytes(), "A").unwrap_err();
        assert!(e.starts_with("bad signature"), "{e}");
        let e = verify_report(&b.public_key(), bytes, sig.as_bytes(), "A").unwrap_err();
        assert!(e.starts_with("signed with key"), "{e}");
        // A good signature by the right key, but made for another unit.
        let e = verify_report(&a.public_key(), bytes, sig.as_bytes(), "B").unwrap_err();
        assert_eq!(e, "signed as a report of unit \"A\", not of \"B\"");
        // minisign's default comment names no unit.
        let plain = sign(&a, bytes, SigAlg::Prehashed, "timestamp:1\tfile:r.json", "x").unwrap();
        let e = verify_report(&a.public_key(), bytes, plain.to_file_string().as_bytes(), "A").unwrap_err();
        assert!(e.contains("names no unit"), "{e}");
        let two = sign(&a, bytes, SigAlg::Prehashed, "unit: A\tunit: B", "x").unwrap();
        let e = verify_report(&a.public_key(), bytes, two.to_file_string().as_bytes(), "A").unwrap_err();
        assert!(e.contains("more than one unit"), "{e}");
    }

    #[test]
    fn unit_names_that_cannot_be_signed_are_refused() {
        for bad in ["", "  ", "A\tB", "A\nB"] {
            let e = sign_report(&key(1), b"{}", bad, 0).unwrap_err();
            assert!(e.to_string().starts_with("cannot sign the report of unit"), "{e}");
        }
    }

    #[test]
    fn the_unit_field_is_read_with_or_without_a_space() {
        assert_eq!(signed_unit("unit:A"), Ok(Some("A")));
        assert_eq!(signed_unit("timestamp:1\tunit: Sở X "), Ok(Some("Sở X")));
        assert_eq!(signed_unit("timestamp:1"), Ok(None));
    }

    fn tmpdir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("iocguard-keyring-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn keyring_reads_unit_pub_files_and_names_bad_ones() {
        let d = tmpdir("load");
        std::fs::write(d.join("Sở X.pub"), key(1).public_key().to_file_string()).unwrap();
        std::fs::write(d.join("README"), "not a key").unwrap();
        std::fs::create_dir(d.join("old.pub")).unwrap();
        let ring = KeyRing::load(&d).unwrap();
        assert_eq!(ring.units().collect::<Vec<_>>(), ["Sở X"]);
        assert_eq!(ring.for_unit("Sở X"), Some(&key(1).public_key()));
        assert!(ring.key_file("Sở X").unwrap().ends_with("Sở X.pub"));
        assert!(ring.for_unit("Sở Y").is_none() && ring.for_unit("../Sở X").is_none());

        std::fs::write(d.join("Sở Y.pub"), "untrusted comment: x\nnot base64!\n").unwrap();
        let e = KeyRing::load(&d).unwrap_err().to_string();
        assert!(
            e.starts_with(&format!(
                "{}: not a unit's public key: ",
                d.join("Sở Y.pub").display()
            )),
            "{e}"
        );
        std::fs::remove_file(d.join("Sở Y.pub")).unwrap();
        std::fs::write(d.join("big.pub"), vec![b'a'; MAX_KEY_FILE_BYTES + 1]).unwrap();
        let e = KeyRing::load(&d).unwrap_err().to_string();
        assert!(e.contains("big.pub: not a unit's public key: more than"), "{e}");

        let empty = tmpdir("empty");
        let e = KeyRing::load(&empty).unwrap_err().to_string();
        assert!(e.ends_with("no public key (UNIT.pub) in it"), "{e}");
        let e = KeyRing::load(&empty.join("nope")).unwrap_err().to_string();
        assert!(e.contains("nope: cannot be read: "), "{e}");
        std::fs::remove_dir_all(&d).unwrap();
        std::fs::remove_dir_all(&empty).unwrap();
    }
}
