//! `iocguard feed build|sign|verify|keygen`: the central IT centre's side.
//!
//! `build` merges raw lists in any format iocguard parses into one
//! canonical feed: a `#` header (name, UTC generation time, each source
//! with its counts, totals) and then one aggregated indicator per line —
//! IPv4 CIDRs/hosts, IPv6, domains — each group sorted. The result is a
//! plain-format list that every iocguard reads back as the same set. An
//! unusable source or an empty result writes nothing: a feed that silently
//! lost a source would unblock it on every router.
//!
//! `keygen`, `sign` and `verify` wrap [`crate::sign`] with minisign's file
//! conventions (`FILE.minisig`, secret key mode 0600, no silent overwrite).
//! Outputs are written to a temporary file and renamed, so a web server
//! never serves a half-written feed or signature.

use crate::check::{self, CheckReport, Input};
use crate::fsio::write_atomic;
use crate::indicator::Gate;
use crate::indicator::KindFilter;
use crate::sign::{sign_reader, PublicKey, SecretKey, Signature, Verified, MAX_SIG_FILE_BYTES};
use serde::Serialize;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

/// A built feed and what went into it.
pub struct Built {
    /// The feed file's contents.
    pub text: String,
    /// The per-source parse report.
    pub report: CheckReport,
    /// IPv4 lines written.
    pub v4: usize,
    /// IPv6 lines written.
    pub v6: usize,
    /// Domain lines written.
    pub domains: usize,
}

/// Replaces line breaks and other control characters so a value cannot
/// end the `#` header line it is printed in.
fn one_line(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// The final path component, for the header (central paths stay private).
fn base_name(path: &str) -> &str {
    Path::new(path)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(path)
}

/// Merges `inputs` into one canonical feed named `name`, generated at
/// `now` (unix seconds). Fails when any input is unusable or nothing is
/// left to block.
pub fn build(
    inputs: impl IntoIterator<Item = Input>,
    name: &str,
    gate: &Gate,
    now: u64,
) -> Result<Built, String> {
    let (report, set) = check::check(inputs, None, KindFilter::Auto, gate);
    if let Some(bad) = report.files.iter().find(|f| f.error.is_some()) {
        return Err(format!(
            "{}: {}; nothing written",
            bad.file,
            bad.error.as_deref().unwrap_or("")
        ));
    }
    let v4 = set.v4_prefixes();
    let v6 = set.v6_prefixes();
    let mut domains: Vec<String> = set.domains().collect();
    domains.sort_unstable();
    if v4.is_empty() && v6.is_empty() && domains.is_empty() {
        return Err("no indicator left to publish (all inputs empty or refused); nothing written".into());
    }

    let mut text = String::with_capacity((v4.len() + v6.len() + domains.len()) * 20 + 512);
    let _ = writeln!(text, "# iocguard feed: {}", one_line(name));
    let _ = writeln!(text, "# generated: {}", crate::clock::utc_iso8601(now));
    for f in &report.files {
        if let Some(r) = &f.report {
            let c = &r.counts;
            let _ = writeln!(
                text,
                "# source: {} (format {}): {} accepted ({} IPv4, {} IPv6, {} domains), {} rejected",
                one_line(base_name(&f.file)),
                r.format,
                c.accepted(),
                c.v4,
                c.v6,
                c.domains,
                c.rejected
            );
        }
    }
    let _ = writeln!(
        text,
        "# total: {} IPv4 prefixes, {} IPv6 prefixes, {} domains",
        v4.len(),
        v6.len(),
        domains.len()
    );
    for p in &v4 {
        let _ = writeln!(text, "{p}");
    }
    for p in &v6 {
        let _ = writeln!(text, "{p}");
    }
    for d in &domains {
        text.push_str(d);
        text.push('\n');
    }
    Ok(Built {
        text,
        report,
        v4: v4.len(),
        v6: v6.len(),
        domains: domains.len(),
    })
}

/// Creates `path` with `mode` (0600 for secrets), refusing to replace an
/// existing file unless `force`.
fn create_file(path: &Path, data: &[u8], mode: u32, force: bool) -> std::io::Result<()> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    if force {
        // Remove rather than truncate: a truncated file keeps its old,
        // possibly world-readable, mode.
        match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    let mut f = o.open(path)?;
    f.write_all(data)?;
    f.sync_all()
}

/// `feed keygen`: writes a new unencrypted key pair; returns the message
/// for the admin.
pub fn keygen(pub_path: &str, sec_path: &str, force: bool) -> Result<String, String> {
    if !force {
        for p in [sec_path, pub_path] {
            if Path::new(p).exists() {
                return Err(format!("{p} already exists; use --force to replace the key pair"));
            }
        }
    }
    let sk = SecretKey::generate().map_err(|e| e.to_string())?;
    let pk = sk.public_key();
    create_file(Path::new(sec_path), sk.to_file_string().as_bytes(), 0o600, force)
        .map_err(|e| format!("{sec_path}: cannot be written: {e}"))?;
    create_file(Path::new(pub_path), pk.to_file_string().as_bytes(), 0o644, force)
        .map_err(|e| format!("{pub_path}: cannot be written: {e}"))?;
    Ok(format!(
        "key {id}: secret key in {sec_path} (mode 0600, unencrypted: keep it off the web server), \
         public key in {pub_path}\n\
         for the routers' /etc/config/iocguard:  option pubkey '{b64}'\n\
         verify with minisign:  minisign -Vm FILE -P {b64}\n",
        id = pk.id(),
        b64 = pk.to_base64()
    ))
}

/// Loads a secret key file, naming the file in every error.
pub fn load_secret(path: &str) -> Result<SecretKey, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: cannot be read: {e}"))?;
    SecretKey::parse(&text).map_err(|e| format!("{path}: {e}"))
}

/// Loads a public key from a `.pub` file, naming the file in every error.
pub fn load_public(path: &str) -> Result<PublicKey, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: cannot be read: {e}"))?;
    PublicKey::parse(&text).map_err(|e| format!("{path}: {e}"))
}

/// minisign's default trusted comment for a prehashed signature.
pub fn default_trusted_comment(file: &str, now: u64) -> String {
    format!("timestamp:{now}\tfile:{}\thashed", one_line(base_name(file)))
}

/// `feed sign`: signs `file` (streamed, prehashed) into `file.minisig`;
/// returns the signature path.
pub fn sign_file(sk: &SecretKey, file: &str, trusted_comment: &str) -> Result<String, String> {
    let f = std::fs::File::open(file).map_err(|e| format!("{file}: cannot be read: {e}"))?;
    let untrusted = format!("signature from iocguard feed sign, key {}", sk.id());
    let sig = sign_reader(sk, std::io::BufReader::new(f), trusted_comment, &untrusted)
        .map_err(|e| format!("{file}: {e}"))?;
    let sig_path = format!("{file}.minisig");
    write_atomic(Path::new(&sig_path), sig.to_file_string().as_bytes()).map_err(|e| e.to_string())?;
    Ok(sig_path)
}

/// The outcome of verifying one file, for text and JSON output.
#[derive(Serialize, Debug)]
pub struct VerifyResult {
    /// The file verified.
    pub file: String,
    /// True when the signature is good.
    pub ok: bool,
    /// The signing key id (when good).
    pub key_id: Option<String>,
    /// The verified trusted comment (when good).
    pub trusted_comment: Option<String>,
    /// Its `timestamp:` field.
    pub timestamp: Option<u64>,
    /// Why it was refused.
    pub error: Option<String>,
}

impl VerifyResult {
    /// One line for the admin: good (with key and trusted comment) or BAD
    /// with the reason.
    pub fn render(&self) -> String {
        match (&self.error, &self.trusted_comment, &self.key_id) {
            (Some(e), _, _) => format!("{}: BAD: {e}", self.file),
            (None, Some(tc), Some(id)) => {
                format!("{}: good signature by key {id}; trusted comment: {tc}", self.file)
            }
            _ => format!("{}: good signature", self.file),
        }
    }
}

/// `feed verify`: checks `file` against `file.minisig` and `pk`.
pub fn verify_file(pk: &PublicKey, file: &str) -> VerifyResult {
    let outcome = (|| -> Result<Verified, String> {
        let sig_path = format!("{file}.minisig");
        let sig_bytes = read_capped(&sig_path, MAX_SIG_FILE_BYTES)?;
        let sig = Signature::parse(&sig_bytes).map_err(|e| format!("{sig_path}: {e}"))?;
        let f = std::fs::File::open(file).map_err(|e| format!("cannot be read: {e}"))?;
        // The caller prints the file name before the error.
        sig.verify_reader(pk, std::io::BufReader::new(f))
            .map_err(|e| e.to_string())
    })();
    match outcome {
        Ok(v) => VerifyResult {
            file: file.to_string(),
            ok: true,
            key_id: Some(v.key_id.to_string()),
            timestamp: v.timestamp(),
            trusted_comment: Some(v.trusted_comment),
            error: None,
        },
        Err(e) => VerifyResult {
            file: file.to_string(),
            ok: false,
            key_id: None,
            trusted_comment: None,
            timestamp: None,
            error: Some(e),
        },
    }
}

/// Reads at most `cap` bytes of `path`; more is an error, not a truncation.
fn read_capped(path: &str, cap: usize) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let f = std::fs::File::open(path).map_err(|e| format!("{path}: cannot be read: {e}"))?;
    let mut buf = Vec::new();
    f.take(cap as u64 + 1)
        .read_to_end(&mut buf)
        .map_err(|e| format!("{path}: cannot be read: {e}"))?;
    if buf.len() > cap {
        return Err(format!(
            "{path}: larger than {cap} bytes, not a minisign signature"
        ));
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicator::GateConfig;

    fn input(name: &str, body: &str) -> Input {
        Input {
            name: name.into(),
            body: Ok(body.as_bytes().to_vec()),
        }
    }

    #[test]
    fn build_merges_sorts_and_reads_back_as_the_same_set() {
        let gate = Gate::new(&GateConfig::default());
        let a = "# list a\n185.220.101.7\n5.6.7.8\n5.6.7.9\nevil.example.com\n";
        // Plain lists only: the other parsers live on another branch.
        let b = "c2.example.net\nsub.evil.example.com\nbad.example.org # c2\n";
        let c = "2a0e:1c80::/32\n45.9.148.0/24\n45.9.149.0/24\n2a0e:1c80::1\n";
        let built = build(
            vec![input("/srv/raw/a.txt", a), input("b.txt", b), input("c.txt", c)],
            "campaign\nx",
            &gate,
            1_795_900_662,
        )
        .unwrap();
        let t = &built.text;
        assert!(
            t.starts_with("# iocguard feed: campaign x\n# generated: 2026-11-28T21:17:42Z\n"),
            "{t}"
        );
        assert!(t.contains("# source: a.txt (format plain)"), "{t}");
        assert!(!t.contains("/srv/raw"), "{t}");
        assert!(t.contains("# source: b.txt (format plain): 3 accepted"), "{t}");
        let body: Vec<&str> = t.lines().filter(|l| !l.starts_with('#')).collect();
        // Aggregated (5.6.7.8 + .9 → /31, two /24 → /23), v4 then v6 then
        // sorted domains; subdomains of listed domains are dropped.
        let want_prefix = ["5.6.7.8/31", "45.9.148.0/23"];
        assert_eq!(&body[..2], &want_prefix, "{t}");
        assert_eq!(
            &body[body.len() - 3..],
            &["bad.example.org", "c2.example.net", "evil.example.com"]
        );
        let (report, back) = check::check(vec![input("built", t)], None, KindFilter::Auto, &gate);
        assert_eq!(report.exit(), crate::exit::Exit::Ok, "{}", report.render(10));
        assert_eq!(report.files[0].report.as_ref().unwrap().format.name(), "plain");
        let (_, orig) = check::check(
            vec![input("a", a), input("b", b), input("c", c)],
            None,
            KindFilter::Auto,
            &gate,
        );
        assert_eq!(back.v4_ranges(), orig.v4_ranges());
        assert_eq!(back.v6_ranges(), orig.v6_ranges());
        let mut d1: Vec<String> = back.domains().collect();
        let mut d2: Vec<String> = orig.domains().collect();
        d1.sort();
        d2.sort();
        assert_eq!(d1, d2);
        assert_eq!(built.domains, 3);
    }

    #[test]
    fn build_refuses_unusable_inputs_and_empty_results() {
        let gate = Gate::new(&GateConfig::default());
        let e = build(
            vec![
                input("ok.txt", "5.6.7.8\n"),
                input("page.html", "<html><body>hi</body></html>\n"),
            ],
            "x",
            &gate,
            0,
        )
        .err()
        .unwrap();
        assert!(e.starts_with("page.html: "), "{e}");
        let e = build(vec![input("empty.txt", "# nothing\n")], "x", &gate, 0)
            .err()
            .unwrap();
        assert!(e.contains("nothing written"), "{e}");
    }
}
