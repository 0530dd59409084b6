//! Every file of the real feed corpus (`tests/data/feeds/`, see its
//! SOURCES.md) and of the synthetic samples (`tests/data/synthetic/`) goes
//! through `parse_feed` with auto-detection. The expected counts are
//! computed here from each file's own structure with plain string
//! operations (count `address=/` lines, `CNAME .` records, CSV rows by
//! type column…), never copied from a run of the parser, so a parser bug
//! cannot agree with itself.

use iocguard::feed::{parse_feed, FeedError, FeedReport, Format};
use iocguard::indicator::KindFilter;
use iocguard::indicator::{Domain, Gate, IndicatorSet, Match, SetBuilder};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};

fn dir(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(sub)
}

fn read(sub: &str, name: &str) -> String {
    std::fs::read_to_string(dir(sub).join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Parses `body` with detection; returns the report and the built set.
fn run(body: &[u8]) -> Result<(FeedReport, IndicatorSet), FeedError> {
    let gate = Gate::default();
    let mut b = SetBuilder::new();
    let id = b.add_feed("corpus");
    let r = parse_feed(body, None, KindFilter::Auto, &mut b, id, &gate)?;
    Ok((r, b.build(&gate)))
}

/// What a file must give, computed from its structure.
#[derive(Debug, Default, PartialEq)]
struct Want {
    format: Option<Format>,
    v4: usize,
    v6: usize,
    domains: usize,
    rejected: usize,
    skipped: usize,
}

fn got(r: &FeedReport) -> Want {
    Want {
        format: Some(r.format),
        v4: r.counts.v4,
        v6: r.counts.v6,
        domains: r.counts.domains,
        rejected: r.counts.rejected,
        skipped: r.counts.skipped,
    }
}

/// Trimmed, non-empty lines not starting with any of `comments`.
fn data<'a>(text: &'a str, comments: &'a [&str]) -> impl Iterator<Item = &'a str> + 'a {
    text.lines()
        .map(str::trim)
        .filter(move |l| !l.is_empty() && !comments.iter().any(|c| l.starts_with(c)))
}

fn is_v4(s: &str) -> bool {
    s.parse::<Ipv4Addr>().is_ok()
}

/// The first CIDR-ish token of each data line, split by family.
fn families<'a>(lines: impl Iterator<Item = &'a str>) -> (usize, usize) {
    let (mut v4, mut v6) = (0, 0);
    for l in lines {
        let tok = l.split_whitespace().next().unwrap_or("");
        let addr = tok.split('/').next().unwrap_or("");
        if is_v4(addr) {
            v4 += 1;
        } else if addr.parse::<Ipv6Addr>().is_ok() {
            v6 += 1;
        }
    }
    (v4, v6)
}

/// Independent expectations per corpus file. Every file must be listed.
fn want(name: &str, text: &str) -> Want {
    let w = |format, v4, v6, domains, rejected, skipped| Want {
        format: Some(format),
        v4,
        v6,
        domains,
        rejected,
        skipped,
    };
    match name {
        // One IPv4 per line under a `#` header.
        "firehol-feodo.ipset"
        | "firehol-et_compromised.ipset"
        | "hostsvn-threat-ip.txt"
        | "ipsum-level3.txt"
        | "urlhaus-filter-dnscrypt-ips.txt"
        | "secops-spamhaus-drop-trailing-space.txt" => {
            let lines: Vec<_> = data(text, &["#"]).collect();
            assert!(
                lines.iter().all(|l| is_v4(l.split('/').next().unwrap_or(""))),
                "{name}"
            );
            w(Format::Plain, lines.len(), 0, 0, 0, 0)
        }
        // `CIDR ; SBL…` with `;` comments.
        "spamhaus-drop.txt" | "spamhaus-drop-v6.txt" => {
            let (v4, v6) = families(data(text, &[";"]));
            w(Format::Plain, v4, v6, 0, 0, 0)
        }
        // Bare domains (and `*.domain`).
        "hostsvn-threat-vn.domains" | "threatintel-latestdomains.txt" | "hagezi-fake.wildcard" => {
            let n = data(text, &["#"]).count();
            w(Format::Plain, 0, 0, n, 0, 0)
        }
        // `*.x`, where x is sometimes an IPv4 literal.
        "urlhaus-filter-online.wildcard" => {
            let inner: Vec<_> = data(text, &["#"]).map(|l| l.trim_start_matches("*.")).collect();
            let v4 = inner.iter().filter(|s| is_v4(s)).count();
            w(Format::Plain, v4, 0, inner.len() - v4, 0, 0)
        }
        "spamhaus-drop-v6.ipset" => {
            let (v4, v6) = families(text.lines().filter_map(|l| l.strip_prefix("add spamhaus_v6 ")));
            w(Format::Ipset, v4, v6, 0, 0, 0)
        }
        "spamhaus-drop-v4.rsc" => {
            let adds = text
                .lines()
                .filter(|l| l.contains(" add ") && l.contains("address="))
                .count();
            let removes = text.lines().filter(|l| l.contains(" remove ")).count();
            w(Format::Mikrotik, adds, 0, 0, 0, removes)
        }
        "dshield-block.txt" => {
            let rows: Vec<_> = data(text, &["#"]).collect();
            assert!(rows.iter().all(|r| r.split('\t').nth(2) == Some("24")));
            w(Format::Dshield, rows.len(), 0, 0, 0, 0)
        }
        "hostsvn-threat-vn.hosts" => {
            let n = text.lines().filter(|l| l.starts_with("0.0.0.0 ")).count();
            w(Format::Hosts, 0, 0, n, 0, 0)
        }
        // `^\|\|[^^]+\^$`, split by whether the host is an IPv4 literal.
        "hostsvn-threat-vn.adblock" | "urlhaus-filter-online-agh.adblock" => {
            let hosts: Vec<_> = text
                .lines()
                .filter_map(|l| l.strip_prefix("||")?.strip_suffix('^'))
                .filter(|h| !h.is_empty() && !h.contains('^'))
                .collect();
            let v4 = hosts.iter().filter(|h| is_v4(h)).count();
            w(Format::Adblock, v4, 0, hosts.len() - v4, 0, 0)
        }
        "urlhaus-filter-online.dnsmasq" => {
            let n = text.lines().filter(|l| l.starts_with("address=/")).count();
            w(Format::Dnsmasq, 0, 0, n, 0, 0)
        }
        "urlhaus-filter-online.unbound" => {
            let n = text.lines().filter(|l| l.starts_with("local-zone:")).count();
            w(Format::Unbound, 0, 0, n, 0, 0)
        }
        // CNAME records are the triggers; SOA and the owner-less NS skip.
        "urlhaus-filter-online.rpz" | "hagezi-dyndns.rpz" => {
            let cnames = text.lines().filter(|l| l.ends_with(" CNAME .")).count();
            let apex = text
                .lines()
                .filter(|l| l.contains(" SOA ") || l.trim_start().starts_with("NS "))
                .count();
            // `ad.jp` (and `*.ad.jp`) in the HaGeZi list is a public
            // suffix: the gate refuses both, checked in its own test.
            let refused = text
                .lines()
                .filter(|l| l.trim_start_matches("*.") == "ad.jp CNAME .")
                .count();
            w(Format::Rpz, 0, 0, cnames - refused, refused, apex)
        }
        // `#ip,ioc`: every row's first field, one RFC 1918 row refused.
        "c2intel-ipc2s-30d.csv" => {
            let rows: Vec<_> = data(text, &["#"]).collect();
            let private = rows.iter().filter(|r| r.starts_with("172.21.")).count();
            w(Format::Csv, rows.len() - private, 0, 0, private, 0)
        }
        // `#domain,ioc,uri_path,ip`: both the domain and the IP.
        "c2intel-domain-url-ip-30d.csv" => {
            let rows: Vec<Vec<&str>> = data(text, &["#"]).map(|r| r.split(',').collect()).collect();
            let v4 = rows
                .iter()
                .filter(|r| r.get(3).is_some_and(|ip| is_v4(ip)))
                .count();
            let domains = rows
                .iter()
                .filter(|r| r.first().is_some_and(|d| !d.is_empty()))
                .count();
            w(Format::Csv, v4, 0, domains, 0, 0)
        }
        // MISP 8 columns, unquoted type column: ip-dst → IPv4, domain and
        // url (all with a host name) → domains.
        "citizenlab-nso-iocs.csv" => {
            let col = |t: &str| text.lines().filter(|l| l.split(',').nth(3) == Some(t)).count();
            w(Format::Csv, col("ip-dst"), 0, col("domain") + col("url"), 0, 0)
        }
        // MISP 13 columns, quoted: network rows are ip-dst and url (whose
        // host is an IP); every other data row is a hash, filename, mime
        // type or link and is skipped.
        "threatintel-00004634.misp.csv" => {
            let rows = data(text, &["uuid,"]).count();
            let net = text
                .lines()
                .filter(|l| matches!(l.split(',').nth(3), Some("\"ip-dst\"" | "\"url\"")))
                .count();
            w(Format::Csv, net, 0, 0, 0, rows - net)
        }
        // Network comparisons in patterns; hash indicators and the
        // observed-data object are skipped.
        "threatintel-00004634.stix2.json" => {
            let net = ["network-traffic:dst_ref.value = '", "url:value = '"]
                .iter()
                .map(|p| text.matches(p).count())
                .sum();
            let hashes = text.matches("\"pattern\": \"[file:hashes.").count();
            let observed = text.matches("\"type\": \"observed-data\"").count();
            w(Format::Stix, net, 0, 0, 0, hashes + observed)
        }
        other => panic!("corpus file {other} has no expectation in tests/corpus.rs"),
    }
}

#[test]
fn every_corpus_file_is_detected_and_counted() {
    let mut files: Vec<_> = std::fs::read_dir(dir("feeds"))
        .expect("corpus dir")
        .map(|e| e.expect("entry").file_name().into_string().expect("utf-8 name"))
        .filter(|n| n != "SOURCES.md")
        .collect();
    files.sort();
    assert_eq!(files.len(), 27, "SOURCES.md documents 27 files");
    let mut failures = Vec::new();
    for name in &files {
        let text = read("feeds", name);
        let expected = want(name, &text);
        match run(text.as_bytes()) {
            Ok((r, _)) if got(&r) == expected => {}
            Ok((r, _)) => failures.push(format!(
                "{name}: want {expected:?}\n      got  {:?}\n      first rejects {:?}",
                got(&r),
                r.rejected.iter().take(3).collect::<Vec<_>>()
            )),
            Err(e) => failures.push(format!("{name}: refused: {e}")),
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn c2intel_test_data_row_is_refused_as_rfc1918() {
    let (r, set) = run(read("feeds", "c2intel-ipc2s-30d.csv").as_bytes()).unwrap();
    assert_eq!(r.counts.rejected, 1);
    let rej = &r.rejected[0];
    assert_eq!((rej.line, rej.text.as_str()), (2, "172.21.25.140"));
    assert!(
        rej.reason.contains("private network (RFC 1918)"),
        "{}",
        rej.reason
    );
    assert_eq!(set.lookup_ip("172.21.25.140".parse().unwrap()), Match::NotListed);
    // The duplicate with two labels is one entry, blocked.
    assert!(matches!(
        set.lookup_ip("118.24.128.43".parse().unwrap()),
        Match::Blocked { .. }
    ));
}

#[test]
fn public_suffix_in_hagezi_is_refused() {
    let (r, set) = run(read("feeds", "hagezi-dyndns.rpz").as_bytes()).unwrap();
    let texts: Vec<_> = r.rejected.iter().map(|x| x.text.as_str()).collect();
    assert_eq!(texts, ["ad.jp", "*.ad.jp"]);
    assert!(r.rejected.iter().all(|x| x.reason.contains("public suffix")));
    assert_eq!(set.lookup_domain("ad.jp"), Match::NotListed);
    // A wildcard and its exact twin are one domain.
    assert!(matches!(set.lookup_domain("x.120v.ac"), Match::Blocked { .. }));
}

/// The raw-UTF-8 names of the hostsVN files are blocked as punycode, and
/// mixed-case names in lower case.
#[test]
fn hostsvn_idns_become_punycode_and_case_folds() {
    for name in [
        "hostsvn-threat-vn.hosts",
        "hostsvn-threat-vn.adblock",
        "hostsvn-threat-vn.domains",
    ] {
        let text = read("feeds", name);
        let (r, set) = run(text.as_bytes()).unwrap();
        assert_eq!(r.counts.rejected, 0, "{name}");
        let raw_idns: Vec<&str> = text
            .lines()
            .filter(|l| !l.is_ascii())
            .map(|l| {
                l.trim_start_matches("0.0.0.0 ")
                    .trim_start_matches("||")
                    .trim_end_matches('^')
            })
            .collect();
        assert!(!raw_idns.is_empty(), "{name} has raw UTF-8 names");
        for raw in raw_idns {
            let puny = Domain::parse(raw).unwrap();
            assert!(
                puny.as_str().split('.').any(|l| l.starts_with("xn--")),
                "{raw} -> {puny}"
            );
            assert!(puny.as_str().is_ascii());
            assert!(
                matches!(set.lookup_domain(puny.as_str()), Match::Blocked { .. }),
                "{name}: {raw}"
            );
        }
        for mixed in ["wvOntgd.pqmg.bid", "zSmhlV.zgbv.tech"] {
            assert!(text.contains(mixed), "{name} holds {mixed}");
            let lower = mixed.to_ascii_lowercase();
            assert!(
                matches!(set.lookup_domain(&lower), Match::Blocked { .. }),
                "{name}: {mixed}"
            );
            assert!(set.domains().all(|d| d != mixed));
        }
    }
}

#[test]
fn ip_literals_in_domain_syntax_are_ips() {
    for name in [
        "urlhaus-filter-online-agh.adblock",
        "urlhaus-filter-online.wildcard",
    ] {
        let (_, set) = run(read("feeds", name).as_bytes()).unwrap();
        assert!(
            matches!(
                set.lookup_ip("1.1.109.99".parse().unwrap()),
                Match::Blocked { .. }
            ),
            "{name}"
        );
        assert!(set.domains().all(|d| !is_v4(&d)), "{name}");
    }
}

#[test]
fn stix_and_misp_copies_of_one_event_agree() {
    let ip: IpAddr = "212.192.246.164".parse().unwrap();
    for name in ["threatintel-00004634.stix2.json", "threatintel-00004634.misp.csv"] {
        let (_, set) = run(read("feeds", name).as_bytes()).unwrap();
        assert!(matches!(set.lookup_ip(ip), Match::Blocked { .. }), "{name}");
        assert_eq!(
            set.domains().count(),
            0,
            "{name}: no domain (the VirusTotal link is not one)"
        );
    }
}

// ---- synthetic samples of formats the corpus lacks ------------------------

fn synthetic(name: &str) -> (FeedReport, IndicatorSet) {
    run(read("synthetic", name).as_bytes()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn feodo_csv() {
    let text = read("synthetic", "feodo-ipblocklist.csv");
    let rows: Vec<&str> = data(&text, &["#"]).collect();
    let ips: Vec<&str> = rows
        .iter()
        .filter_map(|r| r.split(',').nth(1))
        .map(|s| s.trim_matches('"'))
        .collect();
    let private = ips.iter().filter(|i| i.starts_with("192.168.")).count();
    let v4 = ips.iter().filter(|i| is_v4(i)).count() - private;
    let (r, _) = synthetic("feodo-ipblocklist.csv");
    assert_eq!(
        got(&r),
        Want {
            format: Some(Format::Csv),
            v4,
            v6: ips.len() - v4 - private,
            rejected: private,
            ..Want::default()
        }
    );
    assert!(r.rejected[0].reason.contains("RFC 1918"));
}

#[test]
fn urlhaus_csv() {
    let (r, set) = synthetic("urlhaus-recent.csv");
    assert_eq!((r.format, r.counts.rejected), (Format::Csv, 0));
    assert_eq!((r.counts.v4, r.counts.v6, r.counts.domains), (1, 1, 2));
    assert!(matches!(
        set.lookup_domain("defanged.example"),
        Match::Blocked { .. }
    ));
    // The `urlhaus_link` column is a reference, not an indicator.
    assert_eq!(set.lookup_domain("urlhaus.abuse.ch"), Match::NotListed);
}

#[test]
fn threatfox_csv_with_comma_space() {
    let text = read("synthetic", "threatfox-recent.csv");
    let kinds: Vec<&str> = data(&text, &["#"]).filter_map(|r| r.split(", ").nth(3)).collect();
    let count = |k: &str| kinds.iter().filter(|x| **x == k).count();
    let (r, set) = synthetic("threatfox-recent.csv");
    assert_eq!(r.format, Format::Csv);
    assert_eq!(r.counts.v4 + r.counts.v6, count("\"ip:port\""));
    assert_eq!(r.counts.domains, count("\"domain\"") + count("\"url\""));
    assert_eq!(r.counts.skipped, count("\"md5_hash\""));
    assert!(matches!(
        set.lookup_ip("45.9.148.109".parse().unwrap()),
        Match::Blocked { .. }
    ));
    assert!(matches!(
        set.lookup_ip("2a14:c380:12::46".parse().unwrap()),
        Match::Blocked { .. }
    ));
}

#[test]
fn spamhaus_drop_json() {
    let text = read("synthetic", "spamhaus-drop-v4.json");
    let cidrs = text.matches("\"cidr\":").count();
    let (r, _) = synthetic("spamhaus-drop-v4.json");
    assert_eq!(r.format, Format::SpamhausJson);
    assert_eq!(
        (r.counts.accepted(), r.counts.skipped, r.counts.rejected),
        (cidrs, 1, 0)
    );
    assert_eq!(r.counts.v6, text.matches("\"cidr\":\"2a").count());
}

#[test]
fn stix21_bundle() {
    let (r, set) = synthetic("stix21-bundle.json");
    assert_eq!(r.format, Format::Stix);
    for ip in [
        "45.9.148.110",
        "2a14:c380:12::47",
        "45.9.148.111",
        "45.9.148.113",
        "2a14:c380:12::48",
    ] {
        assert!(
            matches!(set.lookup_ip(ip.parse().unwrap()), Match::Blocked { .. }),
            "{ip}"
        );
    }
    for d in [
        "c2.stix-example.example",
        "dl.stix-example.example",
        "a.stix-example.example",
        "b.stix-example.example",
        "sco.stix-example.example",
    ] {
        assert!(matches!(set.lookup_domain(d), Match::Blocked { .. }), "{d}");
    }
    // The snort rule's address is not read; hash and snort are skipped.
    assert_eq!(set.lookup_ip("45.9.148.112".parse().unwrap()), Match::NotListed);
    assert_eq!((r.counts.skipped, r.counts.rejected), (2, 0));
}

#[test]
fn crlf_and_bom_variants() {
    let (r, set) = synthetic("hosts-crlf-bom.txt");
    assert_eq!(
        (r.format, r.counts.domains, r.counts.rejected),
        (Format::Hosts, 3, 0)
    );
    assert!(matches!(
        set.lookup_domain("crlf-two.example"),
        Match::Blocked { .. }
    ));
    let (r, _) = synthetic("c2intel-crlf-bom.csv");
    assert_eq!((r.format, r.counts.v4, r.counts.rejected), (Format::Csv, 2, 0));
}

/// Issue 13: a CSV whose header names the wrong column is read from the
/// column that holds indicators, and the choice is reported.
#[test]
fn csv_column_chosen_by_content() {
    let text = read("synthetic", "address-url-ioc-found.csv");
    let firsts: Vec<&str> = data(&text, &["#"])
        .skip(1)
        .filter_map(|r| r.split(',').next())
        .filter(|v| v.contains('.'))
        .collect();
    let private = firsts.iter().filter(|v| v.starts_with("10.")).count();
    let v4 = firsts.iter().filter(|v| is_v4(v)).count() - private;
    let (r, set) = synthetic("address-url-ioc-found.csv");
    assert_eq!(
        got(&r),
        Want {
            format: Some(Format::Csv),
            v4,
            domains: firsts.len() - v4 - private,
            rejected: private,
            // The banner row.
            skipped: data(&text, &["#"]).count() - 1 - firsts.len(),
            ..Want::default()
        }
    );
    assert!(r.notes[0].starts_with("indicators read from column 1 (`address`), chosen by content"));
    assert!(matches!(
        set.lookup_domain("payload.csv-example.example"),
        Match::Blocked { .. }
    ));
}

/// Issue 13: BIND zone statements are detected (not read as a plain list
/// whose first token `zone` is a TLD) and give their quoted names.
#[test]
fn bind_zone_statements() {
    let text = read("synthetic", "bind-zones.conf");
    let names: Vec<String> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("zone \""))
        .filter_map(|l| l.split('"').next())
        .map(str::to_ascii_lowercase)
        .collect();
    let suffixes = names.iter().filter(|n| n.as_str() == "com.vn").count();
    let (r, set) = synthetic("bind-zones.conf");
    assert_eq!(
        got(&r),
        Want {
            format: Some(Format::Bind),
            domains: names.len() - suffixes,
            rejected: suffixes,
            ..Want::default()
        }
    );
    assert_eq!(r.counts.refused, suffixes);
    for n in names.iter().filter(|n| n.as_str() != "com.vn") {
        assert!(matches!(set.lookup_domain(n), Match::Blocked { .. }), "{n}");
    }
    assert!(matches!(
        set.lookup_domain("www.spread.bind-example.example"),
        Match::Blocked { .. }
    ));
}

/// Issue 13: `rpz-ip` triggers in forward order (`1.0.164.165.rpz-ip`)
/// next to RFC-form ones. Counts from the file's own lines.
#[test]
fn rpz_forward_order_ip_triggers() {
    let text = read("synthetic", "rpz-forward-ip.rpz");
    let owners: Vec<&str> = data(&text, &[";", "$", "@", "IN"])
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    let ip = |o: &str| o.ends_with(".rpz-ip");
    let v6 = owners.iter().filter(|o| ip(o) && o.contains("zz")).count();
    let private = owners.iter().filter(|o| o.starts_with("10.")).count();
    let v4 = owners.iter().filter(|o| ip(o)).count() - v6 - private;
    let other = |s: &str| owners.iter().filter(|o| o.ends_with(s)).count();
    let (r, set) = synthetic("rpz-forward-ip.rpz");
    assert_eq!(
        got(&r),
        Want {
            format: Some(Format::Rpz),
            v4,
            v6,
            domains: owners.iter().filter(|o| o.ends_with(".example")).count(),
            rejected: private,
            // SOA, NS and the three client/name-server triggers.
            skipped: 2 + other(".rpz-client-ip") + other(".rpz-nsip") + other(".rpz-nsdname"),
        }
    );
    assert_eq!(r.counts.refused, private);
    for a in ["1.0.164.165", "45.9.148.108", "45.9.148.114", "185.220.101.77"] {
        assert!(
            matches!(set.lookup_ip(a.parse().unwrap()), Match::Blocked { .. }),
            "{a}"
        );
    }
    assert_eq!(set.lookup_ip("165.164.0.1".parse().unwrap()), Match::NotListed);
    assert_eq!(set.lookup_ip("9.9.9.9".parse().unwrap()), Match::NotListed);
    assert_eq!(r.skips.len(), 3);
}

/// Bodies that are not lists are refused whole, with one sentence, in any
/// declared format too.
#[test]
fn web_pages_scripts_and_binary_are_refused() {
    let cases = [
        ("error-page.html", "is an HTML page, not an indicator list"),
        ("feed.php", "is PHP source, not an indicator list"),
        ("binary.gz", "is binary data, not a text list"),
    ];
    for (name, sentence) in cases {
        let body = std::fs::read(dir("synthetic").join(name)).unwrap();
        let formats = std::iter::once(None).chain(Format::all().map(Some));
        for format in formats {
            let gate = Gate::default();
            let mut b = SetBuilder::new();
            let id = b.add_feed("x");
            let e = parse_feed(&body, format, KindFilter::Auto, &mut b, id, &gate).unwrap_err();
            let msg = e.to_string();
            assert!(msg.starts_with(sentence), "{name} as {format:?}: {msg}");
            assert!(!msg.contains('\n'), "one sentence: {msg}");
            assert!(b.is_empty());
        }
    }
}
