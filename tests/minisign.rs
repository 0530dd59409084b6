//! Interoperability with the real `minisign` tool, both directions, and
//! the `iocguard feed` commands end to end. No mocks: keys and signatures
//! come from /usr/bin/minisign and from the built iocguard binary.
//!
//! The tests that run `minisign` are ignored (`make test` runs them where
//! it is installed and reports them as skipped elsewhere; `.ci/run`
//! installs it) and fail when run without it.

mod common;

use common::require::{require, Need};
use iocguard::sign::{PublicKey, SecretKey, SigAlg, SignError, Signature};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

const BIN: &str = env!("CARGO_BIN_EXE_iocguard");

/// A scratch directory, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "iocguard-minisign-{}-{tag}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    fn s(&self, name: &str) -> String {
        self.path(name).to_str().unwrap().to_string()
    }

    fn write(&self, name: &str, data: &[u8]) -> String {
        std::fs::write(self.path(name), data).unwrap();
        self.s(name)
    }

    fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(name)).unwrap()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run(cmd: &str, args: &[&str]) -> Output {
    let out = Command::new(cmd)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{cmd}: {e}"));
    out
}

fn ok(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed ({:?}):\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A key pair made by `minisign -G -W` (unencrypted, non-interactive).
fn minisign_keys(d: &Scratch) -> (String, String) {
    let (p, s) = (d.s("m.pub"), d.s("m.key"));
    ok(
        &run("minisign", &["-G", "-W", "-p", &p, "-s", &s]),
        "minisign -G -W",
    );
    (p, s)
}

/// Sample feed bytes, a few blocks long so BLAKE2b runs multi-block.
fn feed_bytes() -> Vec<u8> {
    let mut v = b"# campaign feed\n".to_vec();
    for i in 0..500u32 {
        v.extend_from_slice(format!("45.{}.{}.0/24\n", i / 250, i % 250).as_bytes());
    }
    v.extend_from_slice(b"c2.example.net\n");
    v
}

fn pk_of(path: &str) -> PublicKey {
    PublicKey::parse(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
#[ignore = "needs minisign: make test runs it when present"]
fn minisign_signs_iocguard_verifies_prehashed_and_legacy() {
    require(&[Need::Minisign]);
    let d = Scratch::new("m2i");
    let (pubf, secf) = minisign_keys(&d);
    let data = feed_bytes();
    let file = d.write("feed.txt", &data);
    let pk = pk_of(&pubf);

    // Default (prehashed `ED`) with a custom trusted comment.
    ok(
        &run(
            "minisign",
            &[
                "-S",
                "-s",
                &secf,
                "-m",
                &file,
                "-t",
                "timestamp:1700000000\tcampaign:7",
            ],
        ),
        "minisign -S",
    );
    let sig = Signature::parse(&d.read("feed.txt.minisig")).unwrap();
    assert_eq!(sig.alg, SigAlg::Prehashed);
    let v = sig.verify(&pk, &data).unwrap();
    assert_eq!(v.trusted_comment, "timestamp:1700000000\tcampaign:7");
    assert_eq!(v.timestamp(), Some(1_700_000_000));
    assert_eq!(v.key_id, pk.id());
    // Streaming verification agrees.
    assert!(sig
        .verify_reader(&pk, std::fs::File::open(&file).unwrap())
        .is_ok());
    // The bare base64 form of the key (UCI `option pubkey`) works too.
    let bare = String::from_utf8(d.read("m.pub")).unwrap();
    let bare = bare.lines().nth(1).unwrap();
    assert!(sig.verify(&PublicKey::parse(bare).unwrap(), &data).is_ok());

    // Legacy `Ed` (`-l`, supported by minisign ≥ 0.10).
    let legacy = d.s("legacy.minisig");
    ok(
        &run("minisign", &["-S", "-l", "-s", &secf, "-m", &file, "-x", &legacy]),
        "minisign -S -l",
    );
    let sig = Signature::parse(&d.read("legacy.minisig")).unwrap();
    assert_eq!(sig.alg, SigAlg::Legacy);
    let v = sig.verify(&pk, &data).unwrap();
    assert!(
        v.timestamp().is_some(),
        "minisign's default comment has a timestamp: {v:?}"
    );
    assert!(matches!(sig.verify(&pk, b"other"), Err(SignError::BadSignature)));

    // Its unencrypted secret key loads in iocguard and is the same key.
    let sk = SecretKey::parse(&String::from_utf8(d.read("m.key")).unwrap()).unwrap();
    assert_eq!(sk.public_key(), pk);
}

#[test]
#[ignore = "needs minisign: make test runs it when present"]
fn iocguard_signs_minisign_verifies() {
    require(&[Need::Minisign]);
    let d = Scratch::new("i2m");
    let (pubf, secf) = (d.s("ioc.pub"), d.s("ioc.key"));
    ok(
        &run(BIN, &["feed", "keygen", "--pub", &pubf, "--sec", &secf]),
        "iocguard feed keygen",
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&secf).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "secret key mode");
    }
    // No silent overwrite; --force replaces.
    let again = run(BIN, &["feed", "keygen", "--pub", &pubf, "--sec", &secf]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
    let old_pub = d.read("ioc.pub");
    ok(
        &run(
            BIN,
            &["feed", "keygen", "--pub", &pubf, "--sec", &secf, "--force"],
        ),
        "keygen --force",
    );
    assert_ne!(d.read("ioc.pub"), old_pub);

    let a = d.write("a.txt", &feed_bytes());
    let b = d.write("b.txt", b"evil.example.com\n");
    ok(
        &run(BIN, &["feed", "sign", "--sec", &secf, &a, &b]),
        "iocguard feed sign",
    );
    for f in [&a, &b] {
        ok(&run("minisign", &["-Vm", f, "-p", &pubf]), "minisign -V");
        // minisign -H refuses legacy signatures: ours are prehashed.
        ok(
            &run("minisign", &["-V", "-H", "-m", f, "-p", &pubf]),
            "minisign -V -H",
        );
    }
    let tc = String::from_utf8(d.read("a.txt.minisig")).unwrap();
    let tc = tc.lines().nth(2).unwrap();
    assert!(tc.starts_with("trusted comment: timestamp:"), "{tc}");
    assert!(tc.ends_with("\tfile:a.txt\thashed"), "{tc}");

    // A custom trusted comment, verified and printed by minisign.
    ok(
        &run(
            BIN,
            &[
                "feed",
                "sign",
                "--sec",
                &secf,
                "--comment",
                "campaign 2022-08 #4",
                &a,
            ],
        ),
        "sign --comment",
    );
    let v = run("minisign", &["-Vm", &a, "-p", &pubf]);
    ok(&v, "minisign -V");
    assert!(String::from_utf8_lossy(&v.stdout).contains("Trusted comment: campaign 2022-08 #4"));

    // minisign signs with iocguard's secret key (the key format works both ways).
    let c = d.write("c.txt", b"1.2.3.4\n");
    ok(
        &run("minisign", &["-S", "-s", &secf, "-m", &c]),
        "minisign -S with iocguard's key",
    );
    ok(
        &run(BIN, &["feed", "verify", "--pub", &pubf, &c]),
        "iocguard feed verify",
    );

    // Tampering after signing: minisign and iocguard both refuse.
    d.write("b.txt", b"evil.example.org\n");
    assert_eq!(run("minisign", &["-Vm", &b, "-p", &pubf]).status.code(), Some(1));
    let v = run(BIN, &["feed", "verify", "--pub", &pubf, &a, &b]);
    assert_eq!(v.status.code(), Some(1));
    let text = String::from_utf8_lossy(&v.stdout);
    assert!(text.contains("a.txt: good signature by key"), "{text}");
    assert!(text.contains("b.txt: BAD: bad signature"), "{text}");
}

/// Each way a signature can be wrong, through the library and the CLI.
#[test]
#[ignore = "needs minisign: make test runs it when present"]
fn rejections_name_the_reason() {
    require(&[Need::Minisign]);
    let d = Scratch::new("bad");
    let (pubf, secf) = minisign_keys(&d);
    let pk = pk_of(&pubf);
    let data = feed_bytes();
    let file = d.write("feed.txt", &data);
    ok(&run("minisign", &["-S", "-s", &secf, "-m", &file]), "minisign -S");
    let good = String::from_utf8(d.read("feed.txt.minisig")).unwrap();
    let lines: Vec<&str> = good.lines().collect();
    let verify = |sig_text: &str, data: &[u8]| -> Result<(), SignError> {
        Signature::parse(sig_text.as_bytes())?
            .verify(&pk, data)
            .map(|_| ())
    };
    assert!(verify(&good, &data).is_ok());

    // Tampered file: one byte.
    let mut bad_data = data.clone();
    bad_data[20] ^= 1;
    assert!(matches!(verify(&good, &bad_data), Err(SignError::BadSignature)));

    // Tampered trusted comment: a later timestamp, to defeat replay checks.
    let ts = lines[2].replace("timestamp:", "timestamp:9");
    let t = good.replace(lines[2], &ts);
    assert!(matches!(verify(&t, &data), Err(SignError::BadGlobalSignature)));

    // Wrong key: another minisign key pair.
    let d2 = Scratch::new("bad2");
    let (pub2, _) = minisign_keys(&d2);
    let e = Signature::parse(good.as_bytes())
        .unwrap()
        .verify(&pk_of(&pub2), &data)
        .unwrap_err();
    match &e {
        SignError::KeyIdMismatch { signed, expected } => {
            assert_eq!(*signed, pk.id());
            assert_eq!(*expected, pk_of(&pub2).id());
        }
        other => panic!("{other:?}"),
    }

    // Truncated .minisig: every prefix cut at a line, and mid-line.
    for keep in 0..4 {
        let t = lines[..keep].join("\n");
        assert!(
            matches!(Signature::parse(t.as_bytes()), Err(SignError::Malformed { .. })),
            "{keep} lines"
        );
    }
    let half = &good[..good.len() / 2];
    assert!(matches!(
        Signature::parse(half.as_bytes()),
        Err(SignError::Malformed { .. })
    ));

    // Garbage base64 in the signature line and in the global signature.
    let g = good.replace(lines[1], "RUT!not*base64");
    let e = Signature::parse(g.as_bytes()).unwrap_err();
    assert!(e.to_string().contains("line 2"), "{e}");
    let g = good.replace(lines[3], "QUFBQQ==");
    let e = Signature::parse(g.as_bytes()).unwrap_err();
    assert!(e.to_string().contains("line 4"), "{e}");

    // The CLI reports each as BAD with exit 1, and a wrong key's id.
    std::fs::write(d.path("feed.txt.minisig"), &t).unwrap();
    let v = run(BIN, &["feed", "verify", "--pub", &pubf, &file]);
    assert_eq!(v.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&v.stdout).contains("trusted comment was altered"));
    std::fs::write(d.path("feed.txt.minisig"), &good).unwrap();
    let v = run(BIN, &["feed", "verify", "--pub", &pub2, &file]);
    assert_eq!(v.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&v.stdout).contains(&format!("signed with key {}", pk.id())));
    std::fs::remove_file(d.path("feed.txt.minisig")).unwrap();
    let v = run(BIN, &["feed", "verify", "--pub", &pubf, &file]);
    assert_eq!(v.status.code(), Some(1), "unsigned file");
    // A garbage public key is a usage error (2), not a bad signature.
    let v = run(BIN, &["feed", "verify", "--pubkey", "RWQgarbage", &file]);
    assert_eq!(v.status.code(), Some(2));
    // A password-protected key is refused with the way out.
    let mut enc = String::from_utf8(d.read("m.key")).unwrap();
    let b64 = enc.lines().nth(1).unwrap().to_string();
    let mut raw = iocguard::base64::decode(&b64).unwrap();
    raw[2..4].copy_from_slice(b"Sc");
    enc = enc.replace(&b64, &iocguard::base64::encode(&raw));
    let encf = d.write("enc.key", enc.as_bytes());
    let v = run(BIN, &["feed", "sign", "--sec", &encf, &file]);
    assert_eq!(v.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&v.stderr).contains("password-protected"));
}

/// `feed build` → `feed sign` → `check` reads back the same set, and
/// minisign accepts the signature.
#[test]
#[ignore = "needs minisign: make test runs it when present"]
fn build_sign_check_round_trip() {
    require(&[Need::Minisign]);
    let d = Scratch::new("build");
    let a = d.write(
        "a.txt",
        b"# raw list\n5.6.7.8\n5.6.7.9\n185.220.101.7 # tor\nbad.example.org\n",
    );
    let b = d.write(
        "b.txt",
        b"45.9.148.0/24\n45.9.149.0/24\n2a0e:1c80::/32\nsub.bad.example.org\n",
    );
    let out = d.s("campaign.txt");
    let r = run(BIN, &["feed", "build", "--out", &out, &a, &b]);
    ok(&r, "feed build");
    let feed = String::from_utf8(d.read("campaign.txt")).unwrap();
    assert!(
        feed.starts_with("# iocguard feed: campaign\n# generated: "),
        "{feed}"
    );
    let body: Vec<&str> = feed.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(
        body,
        [
            "5.6.7.8/31",
            "45.9.148.0/23",
            "185.220.101.7",
            "2a0e:1c80::/32",
            "bad.example.org"
        ]
    );
    // check on the raw inputs and on the built feed agree.
    let agg = |files: &[&str]| {
        let mut args = vec!["--json", "check"];
        args.extend_from_slice(files);
        let o = run(BIN, &args);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v["aggregate"].clone()
    };
    let raw = agg(&[&a, &b]);
    let built = agg(&[&out]);
    assert_eq!(raw["v4_prefixes"], built["v4_prefixes"]);
    assert_eq!(raw["v6_prefixes"], built["v6_prefixes"]);
    assert_eq!(raw["domains"], built["domains"]);
    // An unusable input: exit 2 and the old feed stays.
    let html = d.write("page.html", b"<html><body>not a list</body></html>\n");
    let r = run(BIN, &["feed", "build", "--out", &out, &a, &html]);
    assert_eq!(r.status.code(), Some(2));
    assert_eq!(String::from_utf8(d.read("campaign.txt")).unwrap(), feed);

    let (pubf, secf) = (d.s("k.pub"), d.s("k.key"));
    ok(
        &run(BIN, &["feed", "keygen", "--pub", &pubf, "--sec", &secf]),
        "keygen",
    );
    ok(&run(BIN, &["feed", "sign", "--sec", &secf, &out]), "sign");
    ok(&run("minisign", &["-Vm", &out, "-p", &pubf]), "minisign -V");
    assert!(Path::new(&format!("{out}.minisig")).exists());
}
