//! The `--help` texts: one per command, each ending with its exit codes.
//! Kept apart from the syntax so `mod.rs` reads as the grammar.

use crate::exit::Exit;

/// Every command, in the order the overview lists them, with its line.
/// The dispatcher in `cli::parse` knows exactly these (a test checks it).
pub const COMMANDS: &[(&str, &str)] = &[
    (
        "sync",
        "fetch, verify and parse every feed; keep last-good copies; install",
    ),
    (
        "apply",
        "install the last-good set (boot, firewall restart), or --feed files",
    ),
    ("flush", "remove everything iocguard installed in nftables"),
    ("status", "feeds, counts and what the kernel holds"),
    (
        "run",
        "the daemon: DNS sinkhole and host log (reloads the set on SIGHUP)",
    ),
    (
        "hosts",
        "which internal hosts hit a listed indicator, newest first",
    ),
    (
        "host",
        "one host in detail: names, addresses, indicators, recent events",
    ),
    ("ack", "mark a host cleaned; a later hit flags it re-infected"),
    (
        "events",
        "recent hits, both kinds: blocked packets and blocked queries",
    ),
    (
        "report",
        "the campaign report in the ministry's template; `report merge` for the IT centre",
    ),
    (
        "check",
        "lint feed files: format, accepted and rejected lines, aggregate",
    ),
    (
        "test",
        "is this IP or domain blocked, and by which entry of which feed?",
    ),
    (
        "fetch",
        "download one feed as sync would (limits, TLS trust, gzip)",
    ),
    (
        "feed",
        "central side: build a canonical feed, sign it, verify, keygen",
    ),
    (
        "export-dnsmasq",
        "local=/domain/ lines for dnsmasq (dns.mode dnsmasq-file)",
    ),
    ("help", "help for one command: iocguard help COMMAND [SUBCOMMAND]"),
];

/// Help text for a command (`"feed sign"` for a subcommand), or the
/// overview for `None` or an unknown topic.
pub fn help(topic: Option<&str>) -> String {
    match topic.map(str::trim) {
        Some("check") => CHECK_HELP.into(),
        Some("test") => TEST_HELP.into(),
        Some("apply") => APPLY_HELP.into(),
        Some("flush") => FLUSH_HELP.into(),
        Some("status") => STATUS_HELP.into(),
        Some("fetch") => FETCH_HELP.into(),
        Some("sync") => SYNC_HELP.into(),
        Some("feed") => FEED_HELP.into(),
        Some("run") => RUN_HELP.into(),
        Some("events") => EVENTS_HELP.into(),
        Some("hosts") => HOSTS_HELP.into(),
        Some("host") => HOST_HELP.into(),
        Some("ack") => ACK_HELP.into(),
        Some("report") => REPORT_HELP.into(),
        Some("report merge") => REPORT_MERGE_HELP.into(),
        Some("export-dnsmasq") => EXPORT_DNSMASQ_HELP.into(),
        Some("feed build") => FEED_BUILD_HELP.into(),
        Some("feed sign") => FEED_SIGN_HELP.into(),
        Some("feed verify") => FEED_VERIFY_HELP.into(),
        Some("feed keygen") => FEED_KEYGEN_HELP.into(),
        Some("help") => HELP_HELP.into(),
        _ => overview(),
    }
}

/// The top-level help: title, usage, every command in order, options,
/// exit codes.
fn overview() -> String {
    let mut s = String::from(
        "iocguard — block botnet C2 indicators on a gateway and find the infected hosts\n\n\
         usage: iocguard [--config PATH] [--json] [-v] COMMAND [ARGS]\n\ncommands:\n",
    );
    for (name, line) in COMMANDS {
        s += &format!("  {name:<16} {line}\n");
    }
    s += "\nglobal options:
  --config PATH    configuration file [/etc/config/iocguard]
  --json           machine-readable output
  -v               more log output (repeat for more)
  -V, --version    print the version

`iocguard help COMMAND` (or `iocguard COMMAND --help`) shows a command's
options and what its exit codes mean for it.

";
    s += Exit::HELP;
    s
}

const HELP_HELP: &str = "\
usage: iocguard help [COMMAND [SUBCOMMAND]]

Shows the overview, or one command's help (`iocguard help feed sign`);
the same text as `iocguard COMMAND --help`.

exit codes:
  0  shown
";

const CHECK_HELP: &str = "\
usage: iocguard check [OPTIONS] FILE…   (FILE may be - for stdin)

Parses each feed file, shows the detected format, the accepted entries by
type, every rejected line with its line number and reason, and the size of
the aggregated result (duplicates removed, prefixes merged, subdomains of
listed domains dropped).

options:
  --format NAME          skip detection: plain hosts ipset mikrotik dshield
                         spamhaus-json adblock dnsmasq unbound rpz csv stix
  --kind auto|ip|domain  accept only this kind of indicator [auto]
  --allow VALUE          never block this IP, CIDR or domain (repeatable)
  --allow-reserved CIDR  let feeds block this normally protected range
  --show N               rejected lines shown per file [20] (--json: up to 1000)
  --json                 print the report as JSON

exit codes:
  0  every line of every file was accepted
  1  some lines were rejected (the rest is usable)
  2  a file is unusable (not a list, binary, wrong format) or bad usage
";

const SYNC_HELP: &str = "\
usage: iocguard [--config PATH] sync [--force] [--json]

Fetches every enabled feed of the configuration (conditional GET, size cap,
minisign signature when a public key is set), parses it, applies the sanity
guards, and keeps each feed's last good copy on flash. A feed that fails
keeps its previous copy. Then installs the aggregated set. Run from cron.

options:
  --force     accept a feed that shrank by more than max_shrink percent
  --no-apply  keep the cached lists current but install nothing (central
              test machines; `apply` installs later)
  --json    print the run summary as JSON

exit codes:
  0  every feed fine
  1  some feeds failed (download, signature, parse); their previous copies
     were kept, the rest is installed
  2  configuration error (nothing changed)
  3  a guard refused a feed (shrank beyond max_shrink, emptied, outside
     min/max_entries); its previous copy was kept
  4  the kernel or the system refused (netlink, permissions, nft missing,
     state directory); the previous set stays installed
";

const TEST_HELP: &str = "\
usage: iocguard test [OPTIONS] VALUE --feed FILE…

Answers whether VALUE (an IP address or domain; URLs and host:port are
reduced to the host) would be blocked by the given feeds, and by which entry
of which feed. A domain is blocked when it or any parent domain is listed.

options:
  --feed FILE            a feed file (repeatable)
  --allow VALUE          allowlist entry (repeatable)
  --allow-reserved CIDR  let feeds block this normally protected range
  --json                 print the answer as JSON

exit codes:
  0  blocked
  1  not blocked (not listed, or allowlisted)
  2  bad usage, bad VALUE, or an unusable feed file
";

const RUN_HELP: &str = "\
usage: iocguard [--config PATH] run [--listen ADDR]... [--upstream ADDR]... [--lan CIDR]... [-v]

The daemon. Loads the set from the last-good feed cache (no network) and,
with dns.mode front or behind, serves DNS on dns.listen (UDP and TCP):
listed domains and every name under them get dns.answer with dns.ttl,
everything else is forwarded to dns.upstream (default: the nameservers in
/tmp/resolv.conf.d/resolv.conf.auto, else /etc/resolv.conf). Only main.lan
networks and loopback are answered; others get REFUSED. Blocked queries
are logged to run_dir/events.jsonl (see `iocguard events`). Writes
run_dir/iocguard.pid; SIGHUP (sent by `sync`) reloads the set; SIGTERM
stops.

It also runs `iocguard sync` every main.sync_interval seconds (0: never)
at a random offset, and soon after start when the last sync is older
than that; and puts the table back (apply --if-missing) when something
deleted it.

  --listen ADDR    serve DNS here instead of dns.listen (repeatable)
  --upstream ADDR  forward here instead of dns.upstream (repeatable)
  --lan CIDR       LAN networks instead of main.lan (repeatable)

exit codes:
  0  stopped by SIGTERM/SIGINT
  2  configuration error
  4  a listen address could not be bound, or signals/pid file failed
";

const EVENTS_HELP: &str = "\
usage: iocguard [--config PATH] events [--tail N] [--kind ip|dns] [--json]

Prints the newest hits from run_dir/events.jsonl (and its rotated copy),
which the daemon writes: blocked packets (kind ip: source, MAC,
destination, protocol and port, interfaces) and blocked DNS queries (kind
dns: client, MAC, name, type), each with the listed indicator that
matched and its feeds. The log lives in RAM and is capped; the host
table (`iocguard hosts`) keeps the totals.

options:
  --tail N        how many of the newest [20]
  --kind ip|dns   only this kind
  --json          one JSON object per line, as stored

exit codes:
  0  printed (possibly nothing)
  2  bad usage or configuration
";

const REPORT_HELP: &str = "\
usage: iocguard [--config PATH] report [--since WHEN] [--until WHEN] [--lang vi|en]
                [--format text|md|html|json|csv] [--out FILE] [--sign KEYFILE]
                [--informed N] [--deployed N] [--assessment TEXT] [--proposals TEXT]

Writes the unit's campaign report in the ministry's template (Phụ lục —
Mẫu thống kê, báo cáo kết quả triển khai): unit name, assessment,
proposals, and the statistics table — organisations informed and deploying
(admin inputs), then what the router's data proves: devices detected
(by IP, DNS, both), handled, re-infected; blocked connection attempts
(kernel counters, exact) and DNS queries; indicators and feeds in force.
Reads the running daemon's host table (or the last snapshot) without
stopping it; the hosts are those `iocguard hosts --since` lists.

options:
  --since WHEN       period start [option campaign_start, else everything]
  --until WHEN       period end [now]
  --lang vi|en       language [vi]; dates dd/mm/yyyy in vi
  --format F         text, md, html (one self-contained file, prints on A4),
                     json (for `report merge`), csv (the host list, for Excel)
  --out FILE         write to FILE [stdout]
  --sign KEYFILE     minisign secret key: also write FILE.minisig
  --informed N       template row 1 [option orgs_informed]
  --deployed N       template row 2 [option orgs_deployed, else 1]
  --assessment TEXT  replaces the drafted assessment [option assessment]
  --proposals TEXT   proposals [option proposals]

exit codes:
  0  written
  2  bad usage or configuration
  4  the output or the signature could not be written
";

const REPORT_MERGE_HELP: &str = "\
usage: iocguard report merge FILE… [--roster FILE] [--keys DIR] [--lang vi|en]
                [--format text|md|html|json|csv] [--out FILE]

The IT centre's view: units' JSON reports summed row by row, each unit
listed with its figures. Refused, naming the files: a report that is
truncated, tampered with or of another schema; two reports of the same
unit for overlapping periods; with --keys, a report without a good
signature (FILE.minisig) by its unit's key.

options:
  --roster FILE   units expected, one per line: those without a report
                  are listed as missing
  --keys DIR      units' minisign public keys, DIR/UNIT.pub
  --lang, --format, --out   as for `iocguard report`

exit codes:
  0  merged
  2  bad usage, or a report was refused
  4  the output could not be written
";

const HOSTS_HELP: &str = "\
usage: iocguard [--config PATH] hosts [--since WHEN] [--state STATE] [--csv | --json]

Lists the internal hosts that hit a listed indicator, newest first:
hostname, MAC, address, first and last seen, IP and DNS hits (\u{2265} N when
the NFLOG rate limit may have hidden some), the top indicator and the
remediation state. Asks the running daemon (control socket in run_dir);
when none runs, reads the last snapshot in state_dir.

options:
  --since WHEN    only hosts seen since: 2026-01-31, 2026-01-31T08:00Z,
                  a unix time, or an age (90m, 24h, 7d, 2w)
  --state STATE   infected, acknowledged or reinfected
  --csv           comma-separated, for spreadsheets
  --json          the hosts and the table's counters as JSON

exit codes:
  0  printed (possibly no host)
  2  bad usage or configuration
  4  the daemon could not be asked
";

const HOST_HELP: &str = "\
usage: iocguard [--config PATH] host X [--events N] [--json]

Shows one host in detail: MAC, hostname, every address, first and last
seen, the indicators it hit with counts and feeds, top destination ports,
its remediation state, and its recent events. X is a MAC (any notation),
an address or a hostname; when several hosts match, they are listed and
nothing is shown.

options:
  --events N   recent events to show [20]
  --json       the host as JSON

exit codes:
  0  shown
  2  bad usage or configuration; no host or several hosts match X
  4  the daemon could not be asked
";

const ACK_HELP: &str = "\
usage: iocguard [--config PATH] ack X [--note TEXT]

Marks host X cleaned (acknowledged) now, with an optional note. A later
hit flags it re-infected, keeping both times. The ack is written to
state_dir/acks.jsonl first, then applied by the running daemon, so it
survives restarts and is never lost to a snapshot; when no daemon runs it
is applied when the daemon starts. X as for `iocguard host`.

options:
  --note TEXT   what was done (reimaged, cleaned with …)

exit codes:
  0  acknowledged
  2  bad usage or configuration; no host or several hosts match X
  4  the ack could not be written or the daemon could not be asked
";

const EXPORT_DNSMASQ_HELP: &str = "\
usage: iocguard [--config PATH] export-dnsmasq FILE

Writes every blocked domain of the last-good set as a dnsmasq `local=/d/`
line (dnsmasq then answers NXDOMAIN for it and all names under it) to FILE,
atomically; `-` for stdout. For routers too small for the daemon: put FILE
in dnsmasq's conf-dir (e.g. /tmp/dnsmasq.d/iocguard.conf) and restart
dnsmasq. With dns.mode dnsmasq-file, `sync` writes that file itself.

exit codes:
  0  written
  2  bad usage or configuration error
  4  FILE cannot be written
";

const FEED_HELP: &str = "\
usage: iocguard feed COMMAND [OPTIONS] [ARGS]

The central IT centre's tools: merge raw lists into one canonical feed and
sign it. Keys and signatures are minisign's formats: `minisign -V` verifies
what `feed sign` writes, and `feed verify` (and every router) accepts what
`minisign -S` writes.

commands:
  build INPUT…         merge raw lists into one canonical, aggregated feed file
  sign --sec KEY FILE… write FILE.minisig for each FILE
  verify --pub PUB FILE…  check FILE against FILE.minisig
  keygen               create an unencrypted key pair

`iocguard feed COMMAND --help` for each command's options and exit codes.
";

const FEED_BUILD_HELP: &str = "\
usage: iocguard feed build [OPTIONS] INPUT…   (INPUT may be - for stdin)

Parses each raw list (any format `check` knows, detected per file) through
the same safety gate as the routers, and writes ONE plain feed: a `#` header
(feed name, UTC generation time, every source with its accepted and
rejected counts, totals), then IPv4 prefixes, IPv6 prefixes and domains,
one per line, aggregated (duplicates removed, adjacent prefixes merged,
subdomains of listed domains dropped) and sorted. Rejected lines are listed
on stderr as `check` lists them. Nothing is written when an input is
unusable or nothing is left to block.

options:
  --out FILE             write here (atomically: temporary file + rename) [stdout]
  --name NAME            feed name for the header [--out's file stem, or feed]
  --allow VALUE          never publish this IP, CIDR or domain (repeatable)
  --allow-reserved CIDR  let sources list this normally protected range

exit codes:
  0  feed written; every line of every input was accepted
  1  feed written; some lines were rejected (see stderr)
  2  nothing written: an input is unusable, nothing is left, or bad usage
";

const FEED_SIGN_HELP: &str = "\
usage: iocguard feed sign --sec FILE [--comment TEXT] FILE…

Signs each FILE with the minisign secret key and writes FILE.minisig
(prehashed `ED` signature, as `minisign -S` does). The trusted comment is
signed too, and verification returns it: its timestamp lets a sync refuse a
replayed older feed.

options:
  --sec FILE       unencrypted minisign secret key (`feed keygen`, `minisign -G -W`)
  --comment TEXT   trusted comment [timestamp:<unix time>\\tfile:<name>\\thashed,
                   as minisign writes it]

exit codes:
  0  every FILE signed
  2  unusable or password-protected key, unreadable FILE, unwritable
     signature, or bad usage (files before the failing one stay signed)
";

const FEED_VERIFY_HELP: &str = "\
usage: iocguard feed verify (--pub FILE | --pubkey BASE64) FILE…

Checks each FILE against FILE.minisig: the key id, the signature over the
file (prehashed or legacy) and the signature over the trusted comment, which
is printed.

options:
  --pub FILE       public key file (`minisign.pub`, `iocguard.pub`)
  --pubkey BASE64  the public key itself (`RWQ…`, as in UCI `option pubkey`)
  --json           print one result object per file

exit codes:
  0  every signature is good
  1  some FILE is unsigned, altered, or signed by another key
  2  unusable public key or bad usage
";

const FEED_KEYGEN_HELP: &str = "\
usage: iocguard feed keygen [--pub FILE] [--sec FILE] [--force]

Creates a minisign key pair. The secret key is NOT password-protected (it
signs unattended, e.g. from cron), so it is written with mode 0600: keep it
on the build machine, never on the web server. Prints the public key for the
routers' `option pubkey`.

options:
  --pub FILE   public key file [iocguard.pub]
  --sec FILE   secret key file [iocguard.key]
  --force      replace existing files

exit codes:
  0  key pair written
  2  a file exists (without --force), cannot be written, or bad usage
";

const FETCH_HELP: &str = "\
usage: iocguard fetch [OPTIONS] URL   (https://, http://, file://PATH or a path)

Downloads one feed exactly as `iocguard sync` does (size limit, timeouts,
3 retries, gzip, the system CA bundle) and writes the body to stdout or
--out FILE. Use it to see whether the router can reach a feed server.
With --etag / --last-modified it sends a conditional request. --json prints
the outcome and the new validators instead of the body.

options:
  -o, --out FILE          write the body to FILE
  --etag ETAG             send If-None-Match: ETAG
  --last-modified DATE    send If-Modified-Since: DATE
  --ca-bundle FILE        trusted CAs [/etc/ssl/certs/ca-certificates.crt]
  --max-bytes N           body size limit [33554432]
  --json                  print {status, bytes, etag, last_modified}

exit codes:
  0  a body was fetched
  1  not modified (the validators still match)
  2  bad usage or an unusable URL
  4  the fetch failed (network, TLS, size cap; the reason is on stderr),
     or --out cannot be written
";

const APPLY_HELP: &str = "\
usage: iocguard [--config PATH] apply [--if-missing] [--json]
       iocguard apply [OPTIONS] --feed FILE…

Installs (or refreshes) table inet iocguard and makes its sets hold the
IPs and CIDRs of the given feeds. Without --feed it installs the last good
copies that `sync` kept, with the settings of the configuration file and
no network: what boot and firewall restarts run. Only the difference to what the kernel
holds is changed, in bounded transactions that never leave a listed
address unblocked. Domains in the feeds are for the DNS sinkhole and are
ignored here. If any feed is unusable nothing is changed.

options:
  --feed FILE            feed of addresses to block (repeatable)
  --doh FILE             feed of DNS-over-HTTPS resolver addresses (repeatable)
  --if-missing           do nothing if the table exists (after a firewall restart)
  --table NAME           nftables table, family inet [iocguard]
  --nflog-group N        NFLOG group for blocked attempts [10]
  --action reject|drop   TCP reset / ICMP admin-prohibited, or silent drop [reject]
  --lan CIDR             LAN network, for the DNS controls (repeatable)
  --lan-if IFNAME        LAN interface; takes precedence over --lan (repeatable)
  --router-addr IP       the router's DNS address (default: any local address)
  --no-force-dns         do not redirect LAN DNS (port 53) to the router
  --no-block-dot         do not reject DNS over TLS (853) from the LAN
  --inbound              also drop packets coming from listed sources
  --run-dir DIR          RAM directory for the record of installed sets [/tmp/iocguard]
  --allow VALUE          never block this IP or CIDR (repeatable)
  --allow-reserved CIDR  let feeds block this normally protected range
  --json                 print what changed as JSON

exit codes:
  0  installed (or already present with --if-missing)
  2  bad usage, bad configuration or an unusable feed file; nothing changed
  4  the kernel refused (or nft is missing, or not root)
";

const FLUSH_HELP: &str = "\
usage: iocguard flush [--table NAME] [--run-dir DIR]

Deletes table inet iocguard (or NAME) and so every rule, set and counter
iocguard installed. Tables of other owners (fw4) are never touched.

exit codes:
  0  removed, or it was not installed
  4  the kernel refused (or not root)
";

const STATUS_HELP: &str = "\
usage: iocguard status [--table NAME] [--run-dir DIR] [--count] [--json]

Shows whether the table is installed, how many ranges each set holds and
the named counters (blocked attempts, log messages, DNS redirects). Set
sizes come from iocguard's record of its last update, checked against the
kernel's set handles; --count counts them in the kernel instead (slow for
large sets: the kernel walks an interval set once per reply message).

exit codes:
  0  the table is installed
  1  the table is not installed
  4  the kernel could not be asked
";
