//! Response Policy Zones (RPZ): a DNS zone file whose owner names are the
//! triggers and whose records are the actions.
//!
//! In RPZ the owner name *relative to the zone apex* is the domain being
//! policed: `evil.com.rpz.example.` in zone `rpz.example.` means
//! `evil.com`. Zone files published as blocklists usually carry no
//! `$ORIGIN` at all (the server names the zone when it loads it), so:
//! - the apex is the owner of the SOA record or, failing that, the first
//!   explicit `$ORIGIN`; when neither names it (`@ SOA …` and no
//!   `$ORIGIN`), it is unknown and names are taken as they stand;
//! - a relative name is relative to the current `$ORIGIN`; with no
//!   explicit `$ORIGIN` it is the trigger itself;
//! - an absolute name (ending in `.`) under the apex has the apex cut off;
//!   an absolute name outside a known apex is rejected.
//!
//! Actions: `CNAME .` (NXDOMAIN), `CNAME *.` (NODATA), `CNAME rpz-drop.`,
//! a `CNAME` to a walled garden and local data (`A 0.0.0.0`, `AAAA`,
//! `TXT`…) all block. `CNAME rpz-passthru.` is an allow entry and
//! `CNAME rpz-tcp-only.` does not block, so both are skipped. A
//! `*.name` trigger is the name with its subdomains, which every domain
//! indicator already means. `N.d.c.b.a.rpz-ip` triggers (answers holding
//! that network) become the network `a.b.c.d/N`; the forward form some
//! lists write (`a.b.c.d.rpz-ip`, no length) is the address `a.b.c.d`
//! (see [`rpz_ip`]). Client-IP and name-server triggers are skipped with
//! a reason (they do not name a destination).
//!
//! Zone-file syntax handled: `;` comments (not inside quotes), optional TTL
//! and class in either order, `$ORIGIN`/`$TTL`, SOA/NS and other apex
//! records, owner-less records (leading whitespace: the previous owner
//! again), and records spread over lines by parentheses. `$INCLUDE` is
//! rejected: a downloaded feed cannot name files on the router.

use crate::feed::Sink;

/// Most tokens kept for one record, so an unclosed `(` stays small.
const MAX_TOKENS: usize = 64;

/// Parses an RPZ zone file into `sink`.
pub fn parse(text: &str, sink: &mut Sink) {
    let mut zone = Zone::default();
    let mut rec = Record::default();
    for (i, raw) in text.split('\n').enumerate() {
        let n = (i + 1).min(u32::MAX as usize) as u32;
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if rec.depth == 0 {
            rec = Record {
                line: n,
                has_owner: !raw.starts_with([' ', '\t']),
                ..Record::default()
            };
        }
        tokenize(raw, &mut rec);
        if rec.depth == 0 && !rec.tokens.is_empty() {
            zone.record(&rec, sink);
        }
    }
    if rec.depth > 0 && !rec.tokens.is_empty() {
        sink.reject(rec.line, &rec.tokens.join(" "), "unclosed parenthesis");
    }
}

/// One record being gathered (possibly across lines).
#[derive(Default)]
struct Record<'a> {
    line: u32,
    has_owner: bool,
    tokens: Vec<&'a str>,
    depth: u32,
}

/// Splits one line into tokens, dropping comments and parentheses.
fn tokenize<'a>(line: &'a str, rec: &mut Record<'a>) {
    let mut start: Option<usize> = None;
    let mut quoted = false;
    let push = |rec: &mut Record<'a>, s: &'a str| {
        if rec.tokens.len() < MAX_TOKENS {
            rec.tokens.push(s);
        }
    };
    for (i, c) in line.char_indices() {
        if quoted {
            if c == '"' {
                quoted = false;
            }
            continue;
        }
        match c {
            '"' => {
                quoted = true;
                start.get_or_insert(i);
            }
            ';' | '(' | ')' => {
                if let Some(s) = start.take() {
                    push(rec, &line[s..i]);
                }
                match c {
                    ';' => return,
                    '(' => rec.depth = rec.depth.saturating_add(1),
                    _ => rec.depth = rec.depth.saturating_sub(1),
                }
            }
            c if c.is_whitespace() => {
                if let Some(s) = start.take() {
                    push(rec, &line[s..i]);
                }
            }
            _ => {
                start.get_or_insert(i);
            }
        }
    }
    if let Some(s) = start {
        push(rec, &line[s..]);
    }
}

/// What the zone has told us so far.
#[derive(Default)]
struct Zone {
    /// Current `$ORIGIN`, lowercase, no trailing dot (`""` is the root);
    /// `None` until an explicit `$ORIGIN`.
    origin: Option<String>,
    /// The zone apex, when known.
    apex: Option<String>,
}

/// Where an owner name lands relative to the apex.
enum Owner {
    Apex,
    Trigger(String),
    Outside(String),
}

impl Zone {
    fn record(&mut self, rec: &Record, sink: &mut Sink) {
        let n = rec.line;
        let Some((&first, rest)) = rec.tokens.split_first() else {
            return;
        };
        if let Some(directive) = first.strip_prefix('$') {
            return self.directive(n, directive, rest, rec, sink);
        }
        let (owner, rest) = if rec.has_owner {
            (first, rest)
        } else {
            // Owner-less: same owner as before; another record of a name
            // already counted (at the apex: its NS records).
            return sink.skip();
        };
        let mut fields = rest.iter().copied().skip_while(|t| is_ttl(t) || is_class(t));
        let Some(rtype) = fields.next() else {
            return sink.reject(n, &rec.tokens.join(" "), "record without a type");
        };
        let rtype = rtype.to_ascii_uppercase();
        let rdata = fields.next();
        if rtype == "SOA" {
            if self.apex.is_none() {
                self.apex = match self.absolute(owner) {
                    Some(a) => Some(a),
                    None if owner == "@" => self.origin.clone(),
                    None => None,
                };
            }
            return sink.skip();
        }
        if matches!(
            rtype.as_str(),
            "NS" | "DS" | "DNAME" | "RRSIG" | "NSEC" | "NSEC3" | "DNSKEY"
        ) {
            return sink.skip();
        }
        if owner.contains('\\') {
            return sink.reject(n, owner, "escaped characters in an owner name");
        }
        let trigger = match self.owner(owner) {
            Owner::Apex => return sink.skip(),
            Owner::Outside(name) => {
                let apex = self.apex.as_deref().unwrap_or("");
                return sink.reject(n, &name, format!("name is outside the zone {apex}."));
            }
            Owner::Trigger(t) => t,
        };
        if rtype == "CNAME" {
            match rdata.map(str::to_ascii_lowercase).as_deref() {
                None => return sink.reject(n, &rec.tokens.join(" "), "CNAME without a target"),
                Some("rpz-passthru." | "rpz-tcp-only.") => return sink.skip(),
                Some(_) => {}
            }
        }
        block(n, &trigger, sink);
    }

    fn directive(&mut self, n: u32, name: &str, args: &[&str], rec: &Record, sink: &mut Sink) {
        match name.to_ascii_uppercase().as_str() {
            "TTL" => {}
            "ORIGIN" => match args.first() {
                Some(o) => {
                    let o = o.to_ascii_lowercase();
                    let o = match o.strip_suffix('.') {
                        Some(abs) => abs.to_string(),
                        None => join(&o, self.origin.as_deref().unwrap_or("")),
                    };
                    if self.apex.is_none() {
                        self.apex = Some(o.clone());
                    }
                    self.origin = Some(o);
                }
                None => sink.reject(n, &rec.tokens.join(" "), "$ORIGIN without a name"),
            },
            "INCLUDE" => sink.reject(n, &rec.tokens.join(" "), "$INCLUDE is not allowed in a feed"),
            _ => sink.reject(n, &rec.tokens.join(" "), "unknown zone-file directive"),
        }
    }

    /// `owner` as an absolute name when it is written as one.
    fn absolute(&self, owner: &str) -> Option<String> {
        owner.strip_suffix('.').map(str::to_ascii_lowercase)
    }

    fn owner(&self, owner: &str) -> Owner {
        let full = if owner == "@" {
            match &self.origin {
                Some(o) => o.clone(),
                None => return Owner::Apex,
            }
        } else if let Some(abs) = self.absolute(owner) {
            abs
        } else {
            match &self.origin {
                Some(o) => join(&owner.to_ascii_lowercase(), o),
                // Relative to the apex the server gives the zone.
                None => return Owner::Trigger(owner.to_string()),
            }
        };
        match self.apex.as_deref() {
            None | Some("") => Owner::Trigger(full),
            Some(apex) if full == apex => Owner::Apex,
            Some(apex) => match full.strip_suffix(apex).and_then(|s| s.strip_suffix('.')) {
                Some(t) if !t.is_empty() => Owner::Trigger(t.to_string()),
                _ => Owner::Outside(full),
            },
        }
    }
}

fn join(name: &str, origin: &str) -> String {
    if origin.is_empty() {
        name.to_string()
    } else {
        format!("{name}.{origin}")
    }
}

/// Blocks the trigger `t` (relative to the apex).
fn block(n: u32, t: &str, sink: &mut Sink) {
    let lower = t.to_ascii_lowercase();
    let Some((labels, kind)) = lower.rsplit_once('.') else {
        return sink.value(n, t);
    };
    match kind {
        "rpz-ip" => match rpz_ip(labels) {
            Some(prefix) => sink.value(n, &prefix),
            None => sink.reject(n, t, "malformed rpz-ip trigger"),
        },
        "rpz-client-ip" => sink.skip_because("rpz-client-ip triggers (they name clients, not destinations)"),
        "rpz-nsip" => sink.skip_because("rpz-nsip triggers (they name name servers, not destinations)"),
        "rpz-nsdname" => sink.skip_because("rpz-nsdname triggers (they name name servers, not destinations)"),
        _ => sink.value(n, t),
    }
}

/// Most labels an `rpz-ip` trigger can have: a length and 8 groups.
const MAX_IP_LABELS: usize = 9;

/// The network an `rpz-ip` trigger names, in either form found in the wild:
/// - RFC form, first label a prefix length, address reversed:
///   `32.4.3.2.1` → `1.2.3.4/32`; `48.zz.12.c380.2a14` → `2a14:c380:12::/48`;
/// - forward form, an IPv4 address as written with no length (a large
///   public threat list writes `1.0.164.165.rpz-ip` for 1.0.164.165), and
///   likewise an IPv6 address in written order whose first label cannot
///   be a length (`2a14.c380.12.zz.1`).
///
/// Four numeric labels can only be the forward form (the RFC form of an
/// IPv4 network has five), and a first label above 128 is no length.
fn rpz_ip(labels: &str) -> Option<String> {
    let parts: Vec<&str> = labels.split('.').collect();
    if parts.len() > MAX_IP_LABELS || parts.iter().any(|p| p.is_empty()) {
        return None;
    }
    let numeric = |p: &&str| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit());
    let length = parts[0]
        .parse::<u8>()
        .ok()
        .filter(|l| *l <= 128 && numeric(&parts[0]));
    match (parts.len(), length) {
        (4, _) if parts.iter().all(numeric) => Some(format!("{}/32", parts.join("."))),
        (5, Some(len)) if parts.iter().all(numeric) => {
            let mut octets = parts[1..].to_vec();
            octets.reverse();
            Some(format!("{}/{len}", octets.join(".")))
        }
        (3..=9, Some(len)) => {
            let mut groups = parts[1..].to_vec();
            groups.reverse();
            Some(format!("{}/{len}", v6(&groups)?))
        }
        (2..=8, None) => Some(format!("{}/128", v6(&parts)?)),
        _ => None,
    }
}

/// IPv6 groups in written order, `zz` standing for `::` (at most once).
fn v6(groups: &[&str]) -> Option<String> {
    let hex = |g: &&str| g.len() <= 4 && g.bytes().all(|b| b.is_ascii_hexdigit());
    match groups.iter().position(|g| *g == "zz") {
        Some(z) => {
            let (a, b) = (&groups[..z], &groups[z + 1..]);
            (a.iter().chain(b).all(hex) && !b.contains(&"zz") && a.len() + b.len() <= 7)
                .then(|| format!("{}::{}", a.join(":"), b.join(":")))
        }
        None => (groups.len() == 8 && groups.iter().all(hex)).then(|| groups.join(":")),
    }
}

/// A TTL: a number, or BIND units (`1h30m`, `1w`).
fn is_ttl(t: &str) -> bool {
    t.starts_with(|c: char| c.is_ascii_digit())
        && t.bytes()
            .all(|b| b.is_ascii_digit() || b"smhdwSMHDW".contains(&b))
}

fn is_class(t: &str) -> bool {
    matches!(t.to_ascii_uppercase().as_str(), "IN" | "CH" | "HS" | "CS")
        || t.get(..5).is_some_and(|p| p.eq_ignore_ascii_case("CLASS"))
}

#[cfg(test)]
mod tests {
    use crate::feed::format::Format;
    use crate::feed::testutil::parse_str;
    use crate::feed::FeedReport;

    fn domains(text: &str) -> (FeedReport, Vec<String>) {
        use crate::feed::parse_feed;
        use crate::indicator::KindFilter;
        use crate::indicator::{Gate, SetBuilder};
        let mut b = SetBuilder::new();
        let id = b.add_feed("t");
        let gate = Gate::default();
        let r = parse_feed(
            text.as_bytes(),
            Some(Format::Rpz),
            KindFilter::Auto,
            &mut b,
            id,
            &gate,
        )
        .unwrap();
        let set = b.build(&gate);
        let mut d: Vec<String> = set.domains().collect();
        d.sort();
        (r, d)
    }

    #[test]
    fn blocklist_without_origin() {
        let (r, d) = domains(
            "; c\n\n$TTL 30\n@ IN SOA localhost. root.localhost. 1 86400 3600 604800 30\n NS localhost.\n\n\
             a.com CNAME .\n*.a.com CNAME .\nb.com 300 IN CNAME .\nc.com IN 300 CNAME *.\nD.com. CNAME rpz-drop.\n",
        );
        assert_eq!((r.counts.domains, r.counts.rejected, r.counts.skipped), (5, 0, 2));
        assert_eq!(d, ["a.com", "b.com", "c.com", "d.com"]);
    }

    #[test]
    fn origin_is_the_apex_and_is_cut_off() {
        let (r, d) = domains(
            "$ORIGIN rpz.example.\n@ 3600 SOA ns.rpz.example. admin.rpz.example. (\n  1 ; serial\n  3600 )\n\
             @ NS ns.rpz.example.\nevil.com CNAME .\nbad.org.rpz.example. CNAME .\n\
             $ORIGIN net.rpz.example.\nworse CNAME .\nstray.example. CNAME .\n",
        );
        assert_eq!(d, ["bad.org", "evil.com", "worse.net"]);
        assert_eq!((r.counts.domains, r.counts.rejected), (3, 1));
        assert!(r.rejected[0].reason.contains("outside the zone rpz.example."));
    }

    #[test]
    fn passthru_is_skipped_and_local_data_blocks() {
        let (r, d) = domains(
            "ok.com CNAME rpz-passthru.\nx.com A 0.0.0.0\n   AAAA ::\ny.com TXT \"a ; b\"\n\
             z.com CNAME walled.garden.example.\ntcp.com CNAME rpz-tcp-only.\n",
        );
        assert_eq!(d, ["x.com", "y.com", "z.com"]);
        assert_eq!((r.counts.skipped, r.counts.rejected), (3, 0));
    }

    #[test]
    fn ip_triggers() {
        let r = parse_str(
            Format::Rpz,
            "24.0.100.51.198.rpz-ip CNAME .\n32.4.3.2.1.rpz-ip CNAME .\n48.zz.12.c380.2a14.rpz-ip CNAME .\n\
             32.1.0.0.10.rpz-client-ip CNAME .\nns.evil.com.rpz-nsdname CNAME .\n",
        );
        // 198.51.100.0/24 is documentation space: the gate refuses it.
        assert_eq!(
            (r.counts.v4, r.counts.v6, r.counts.rejected, r.counts.skipped),
            (1, 1, 1, 2)
        );
    }

    #[test]
    fn forward_ip_triggers_and_rfc_forms() {
        use super::rpz_ip;
        // The forward form: an address as written, no length.
        assert_eq!(rpz_ip("1.0.164.165").as_deref(), Some("1.0.164.165/32"));
        // The RFC form: a length, then the address reversed.
        assert_eq!(rpz_ip("32.165.164.0.1").as_deref(), Some("1.0.164.165/32"));
        assert_eq!(rpz_ip("24.0.100.51.198").as_deref(), Some("198.51.100.0/24"));
        assert_eq!(rpz_ip("48.zz.12.c380.2a14").as_deref(), Some("2a14:c380:12::/48"));
        assert_eq!(rpz_ip("128.1.zz.db8.2001").as_deref(), Some("2001:db8::1/128"));
        assert_eq!(
            rpz_ip("128.8.7.6.5.4.3.2.2a14").as_deref(),
            Some("2a14:2:3:4:5:6:7:8/128")
        );
        // IPv6 in written order: a first label that cannot be a length.
        assert_eq!(
            rpz_ip("2a14.c380.12.zz.1").as_deref(),
            Some("2a14:c380:12::1/128")
        );
        // Garbage and truncation.
        for bad in [
            "",
            "1.2.3",
            "24.0.10",
            "1..2.3",
            "zz.zz",
            "48.zz.1.zz.2",
            "32.1.2.3.4.5.6.7.8.9.10",
            "1.2.3.4444",
            "48.g.zz",
            "48.12345.zz",
            "x.y",
        ] {
            assert_eq!(rpz_ip(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn forward_order_threat_list() {
        let r = parse_str(
            Format::Rpz,
            "$TTL 60\n@ SOA localhost. root.localhost. 1 3600 900 86400 60\n NS localhost.\n\
             1.0.164.165.rpz-ip CNAME .\n45.9.148.108.rpz-ip CNAME .\n32.4.148.9.45.rpz-ip CNAME .\n\
             10.0.0.1.rpz-ip CNAME .\n32.1.0.0.10.rpz-client-ip CNAME .\n32.9.9.9.9.rpz-nsip CNAME .\n\
             ns.evil.example.rpz-nsdname CNAME .\n1.2.3.rpz-ip CNAME .\n",
        );
        // 10.0.0.1 is refused by the gate, not misread; 1.2.3 is malformed.
        assert_eq!(
            (r.counts.v4, r.counts.refused, r.counts.rejected, r.counts.skipped),
            (3, 1, 2, 5)
        );
        assert!(r.rejected[0].reason.contains("RFC 1918"), "{:?}", r.rejected);
        assert_eq!(r.rejected[1].reason, "malformed rpz-ip trigger");
        let reasons: Vec<(&str, usize)> = r.skips.iter().map(|t| (t.reason.as_str(), t.count)).collect();
        assert_eq!(
            reasons,
            [
                ("rpz-client-ip triggers (they name clients, not destinations)", 1),
                ("rpz-nsip triggers (they name name servers, not destinations)", 1),
                (
                    "rpz-nsdname triggers (they name name servers, not destinations)",
                    1
                ),
            ]
        );
    }

    #[test]
    fn broken_records_are_rejected() {
        let r = parse_str(
            Format::Rpz,
            "a.com CNAME .\nb.com CNAME .\nc.com CNAME .\nd.com\ne.com CNAME\n$INCLUDE /etc/passwd\n",
        );
        assert_eq!(r.counts.rejected, 3);
        assert_eq!(r.rejected[2].line, 6);
    }
}
