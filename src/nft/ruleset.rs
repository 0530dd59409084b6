//! The structural ruleset as `nft -f` text, generated purely from an
//! [`EnforceConfig`]. Indicator elements are not here: they are streamed
//! by the netlink loader.
//!
//! The text is idempotent and is one nft transaction: sets and objects
//! are `add`ed (a no-op when present, so the loaded indicator sets keep
//! their elements), chains are added and flushed and refilled in the same
//! commit, so re-applying never opens a window. Chains that the
//! configuration no longer wants are emptied and deleted in that same
//! commit.
//!
//! Priorities (fw4's filter chains sit at `NF_IP_PRI_FILTER` = 0):
//! - filter chains at [`NF_IP_PRI_MANGLE`] (-150): after connection
//!   tracking (-200), before fw4's filter, so our verdict comes first and
//!   every blocked attempt is counted and logged even if fw4 would have
//!   dropped it for another reason. A drop in any base chain is final, so
//!   fw4's later accepts cannot undo it.
//! - the DNS redirect at [`NF_IP_PRI_NAT_DST`] - 10 (-110): just before
//!   fw4's dstnat (-100), so a port-forward of port 53 cannot bypass it.

use super::names::{
    SET_ALLOW4, SET_ALLOW6, SET_DOH4, SET_DOH6, SET_LAN4, SET_LAN6, SET_NOTICE4, SET_NOTICE6, SET_V4,
    SET_V4H, SET_V6, SET_V6H,
};
use super::policy::{Action, EnforceConfig};
use std::fmt::Write as _;
use std::net::IpAddr;

/// `NF_IP_PRI_MANGLE` (linux/netfilter_ipv4.h).
pub const NF_IP_PRI_MANGLE: i32 = -150;
/// `NF_IP_PRI_NAT_DST` (linux/netfilter_ipv4.h).
pub const NF_IP_PRI_NAT_DST: i32 = -100;
/// `NF_IP_PRI_FILTER`: where fw4's filter chains run.
pub const NF_IP_PRI_FILTER: i32 = 0;
/// Our filter chains' priority.
pub const PRIO_FILTER: i32 = NF_IP_PRI_MANGLE;
/// Our DNS redirect's priority.
pub const PRIO_DSTNAT: i32 = NF_IP_PRI_NAT_DST - 10;

/// Named counters the ruleset creates (what `status` reports).
pub const COUNTERS: &[&str] = &[
    "blocked_fwd",
    "blocked_out",
    "blocked_in",
    "logged",
    "dns_redirected",
    "dot_rejected",
    "doh_rejected",
    "notice_redirected",
];

/// Name of the shared log rate limit object.
pub const LOG_LIMIT: &str = "log_rate";

/// The ruleset text for `nft -f -`.
pub fn ruleset(cfg: &EnforceConfig) -> String {
    let t = &cfg.table;
    let mut s = String::new();
    let w = &mut s;
    let _ = writeln!(w, "add table inet {t}");
    for (name, ty) in [
        (SET_V4, "ipv4_addr"),
        (SET_V6, "ipv6_addr"),
        (SET_DOH4, "ipv4_addr"),
        (SET_DOH6, "ipv6_addr"),
        (SET_ALLOW4, "ipv4_addr"),
        (SET_ALLOW6, "ipv6_addr"),
        (SET_LAN4, "ipv4_addr"),
        (SET_LAN6, "ipv6_addr"),
    ] {
        let _ = writeln!(w, "add set inet {t} {name} {{ type {ty}; flags interval; }}");
    }
    for (name, ty) in [(SET_V4H, "ipv4_addr"), (SET_V6H, "ipv6_addr")] {
        let _ = writeln!(w, "add set inet {t} {name} {{ type {ty}; }}");
    }
    // Filled by the daemon, element by element, with timeouts.
    for (name, ty) in [(SET_NOTICE4, "ipv4_addr"), (SET_NOTICE6, "ipv6_addr")] {
        let _ = writeln!(w, "add set inet {t} {name} {{ type {ty}; flags timeout; }}");
    }
    // The small configured sets are rewritten whole; flush and refill in
    // one transaction is atomic.
    let small = [
        (SET_ALLOW4, list(&cfg.allow_v4)),
        (SET_ALLOW6, list(&cfg.allow_v6)),
        (SET_LAN4, list(&cfg.lan_v4)),
        (SET_LAN6, list(&cfg.lan_v6)),
    ];
    for (name, elems) in &small {
        let _ = writeln!(w, "flush set inet {t} {name}");
        if !elems.is_empty() {
            let _ = writeln!(w, "add element inet {t} {name} {{ {elems} }}");
        }
    }
    for c in COUNTERS {
        let _ = writeln!(w, "add counter inet {t} {c}");
    }
    // `add limit` keeps an existing object's old rate, so the limit is
    // replaced: the chains that use it are emptied first (same
    // transaction), then it is deleted and added anew.
    for chain in ["block_fwd", "block_out", "drop_in"] {
        regular_chain(w, t, chain);
    }
    let limit = format!("{{ rate {} burst {} packets; }}", cfg.log_rate, cfg.log_burst);
    let _ = writeln!(w, "add limit inet {t} {LOG_LIMIT} {limit}");
    let _ = writeln!(w, "delete limit inet {t} {LOG_LIMIT}");
    let _ = writeln!(w, "add limit inet {t} {LOG_LIMIT} {limit}");

    // Verdict chains: count, log (shared rate limit), refuse.
    let log = |w: &mut String, chain: &str, tag: &str| {
        let _ = writeln!(
            w,
            "add rule inet {t} {chain} limit name \"{LOG_LIMIT}\" counter name \"logged\" \
             log prefix \"iocguard {tag} \" group {}",
            cfg.nflog_group
        );
    };
    for (chain, counter, tag) in [
        ("block_fwd", "blocked_fwd", "fwd"),
        ("block_out", "blocked_out", "out"),
    ] {
        let _ = writeln!(w, "add rule inet {t} {chain} counter name \"{counter}\"");
        log(w, chain, tag);
        refuse(w, t, chain, cfg.action);
    }
    let _ = writeln!(w, "add rule inet {t} drop_in counter name \"blocked_in\"");
    log(w, "drop_in", "in");
    let _ = writeln!(w, "add rule inet {t} drop_in drop");

    // forward: LAN (and anything routed) to listed destinations.
    base_chain(w, t, "forward", "filter", "forward", PRIO_FILTER);
    dest_rules(w, t, "forward", "block_fwd");
    if cfg.inbound {
        src_rules(w, t, "forward");
    }
    let lan = lan_selectors(cfg);
    if cfg.block_dot {
        for sel in &lan {
            // Forwarded traffic is never addressed to the router itself.
            let _ = writeln!(
                w,
                "add rule inet {t} forward {sel}meta l4proto {{ tcp, udp }} th dport 853 \
                 counter name \"dot_rejected\" {}",
                refusal(cfg.action)
            );
        }
    }
    for (sel, only) in lan.iter().zip(lan_families(cfg)) {
        for (fam, set) in [("ip", SET_DOH4), ("ip6", SET_DOH6)] {
            if only.is_some_and(|f| f != fam) {
                continue;
            }
            let _ = writeln!(
                w,
                "add rule inet {t} forward {sel}{fam} daddr @{set} meta l4proto {{ tcp, udp }} \
                 th dport 443 counter name \"doh_rejected\" {}",
                refusal(cfg.action)
            );
        }
    }

    // output: the router's own traffic.
    base_chain(w, t, "output", "filter", "output", PRIO_FILTER);
    dest_rules(w, t, "output", "block_out");

    // input: only for the inbound option.
    if cfg.inbound {
        base_chain(w, t, "input", "filter", "input", PRIO_FILTER);
        src_rules(w, t, "input");
    } else {
        remove_chain(w, t, "input", "filter", "input", PRIO_FILTER);
    }

    // dstnat: pull LAN DNS that bypasses the router back to it, and the
    // plain HTTP of hosts due the notice to the notice page.
    let dns = cfg.force_dns && !lan.is_empty();
    let notice = cfg.notice_port.filter(|_| !lan.is_empty());
    if dns || notice.is_some() {
        base_chain(w, t, "dstnat", "nat", "prerouting", PRIO_DSTNAT);
        let not_router = not_router(cfg);
        for sel in lan.iter().filter(|_| dns) {
            let _ = writeln!(
                w,
                "add rule inet {t} dstnat {sel}meta l4proto {{ tcp, udp }} th dport 53 {not_router}\
                 counter name \"dns_redirected\" redirect to :53"
            );
        }
        if let Some(port) = notice {
            notice_rules(w, cfg, &lan, port);
        }
    } else {
        remove_chain(w, t, "dstnat", "nat", "prerouting", PRIO_DSTNAT);
    }
    s
}

/// The notice redirect: port 80 of the hosts in the notice sets (never
/// HTTPS: it cannot be redirected without breaking it), and port 80 of
/// the sinkhole address for everyone, to the page on the router. The
/// router's own web interface (port 80 aimed at a local address) is left
/// alone; a sinkhole address that is one of the router's own is too.
fn notice_rules(w: &mut String, cfg: &EnforceConfig, lan: &[String], port: u16) {
    let t = &cfg.table;
    let to = format!("counter name \"notice_redirected\" redirect to :{port}");
    for (sel, only) in lan.iter().zip(lan_families(cfg)) {
        for (fam, set) in [("ip", SET_NOTICE4), ("ip6", SET_NOTICE6)] {
            if only.is_some_and(|f| f != fam) {
                continue;
            }
            let _ = writeln!(
                w,
                "add rule inet {t} dstnat {sel}{fam} saddr @{set} tcp dport 80 fib daddr type != local {to}"
            );
        }
        for a in &cfg.sinkhole_addrs {
            let fam = if a.is_ipv4() { "ip" } else { "ip6" };
            if only.is_some_and(|f| f != fam) {
                continue;
            }
            let _ = writeln!(
                w,
                "add rule inet {t} dstnat {sel}{fam} daddr {a} tcp dport 80 fib daddr type != local {to}"
            );
        }
    }
}

fn list<P: std::fmt::Display>(v: &[P]) -> String {
    v.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(", ")
}

fn regular_chain(w: &mut String, t: &str, chain: &str) {
    let _ = writeln!(w, "add chain inet {t} {chain}");
    let _ = writeln!(w, "flush chain inet {t} {chain}");
}

fn base_chain(w: &mut String, t: &str, chain: &str, ty: &str, hook: &str, prio: i32) {
    let _ = writeln!(
        w,
        "add chain inet {t} {chain} {{ type {ty} hook {hook} priority {prio}; policy accept; }}"
    );
    let _ = writeln!(w, "flush chain inet {t} {chain}");
}

/// Adds-then-deletes a chain: a no-op when absent, removal when present.
fn remove_chain(w: &mut String, t: &str, chain: &str, ty: &str, hook: &str, prio: i32) {
    base_chain(w, t, chain, ty, hook, prio);
    let _ = writeln!(w, "delete chain inet {t} {chain}");
}

fn dest_rules(w: &mut String, t: &str, chain: &str, target: &str) {
    for (fam, set, allow) in [
        ("ip", SET_V4H, SET_ALLOW4),
        ("ip", SET_V4, SET_ALLOW4),
        ("ip6", SET_V6H, SET_ALLOW6),
        ("ip6", SET_V6, SET_ALLOW6),
    ] {
        let _ = writeln!(
            w,
            "add rule inet {t} {chain} {fam} daddr @{set} {fam} daddr != @{allow} goto {target}"
        );
    }
}

fn src_rules(w: &mut String, t: &str, chain: &str) {
    for (fam, set, allow) in [
        ("ip", SET_V4H, SET_ALLOW4),
        ("ip", SET_V4, SET_ALLOW4),
        ("ip6", SET_V6H, SET_ALLOW6),
        ("ip6", SET_V6, SET_ALLOW6),
    ] {
        let _ = writeln!(
            w,
            "add rule inet {t} {chain} {fam} saddr @{set} {fam} saddr != @{allow} goto drop_in"
        );
    }
}

fn refuse(w: &mut String, t: &str, chain: &str, action: Action) {
    match action {
        Action::Reject => {
            let _ = writeln!(
                w,
                "add rule inet {t} {chain} meta l4proto tcp reject with tcp reset"
            );
            let _ = writeln!(w, "add rule inet {t} {chain} reject with icmpx admin-prohibited");
        }
        Action::Drop => {
            let _ = writeln!(w, "add rule inet {t} {chain} drop");
        }
    }
}

/// The verdict of a single-rule refusal (DoT, DoH).
fn refusal(action: Action) -> &'static str {
    match action {
        Action::Reject => "reject with icmpx admin-prohibited",
        Action::Drop => "drop",
    }
}

/// Rule prefixes that select LAN traffic: the interfaces when given, else
/// the LAN networks per family; none when the LAN is unknown.
fn lan_selectors(cfg: &EnforceConfig) -> Vec<String> {
    if !cfg.lan_ifs.is_empty() {
        let ifs: Vec<String> = cfg.lan_ifs.iter().map(|i| format!("\"{i}\"")).collect();
        return vec![format!("iifname {{ {} }} ", ifs.join(", "))];
    }
    let mut v = Vec::new();
    if !cfg.lan_v4.is_empty() {
        v.push(format!("ip saddr @{SET_LAN4} "));
    }
    if !cfg.lan_v6.is_empty() {
        v.push(format!("ip6 saddr @{SET_LAN6} "));
    }
    v
}

/// The family each of [`lan_selectors`] is limited to (`None`: both).
fn lan_families(cfg: &EnforceConfig) -> Vec<Option<&'static str>> {
    if !cfg.lan_ifs.is_empty() {
        return vec![None];
    }
    let mut v = Vec::new();
    if !cfg.lan_v4.is_empty() {
        v.push(Some("ip"));
    }
    if !cfg.lan_v6.is_empty() {
        v.push(Some("ip6"));
    }
    v
}

/// The "not aimed at the router" test for the DNS redirect.
fn not_router(cfg: &EnforceConfig) -> String {
    if cfg.router_addrs.is_empty() {
        return "fib daddr type != local ".into();
    }
    let (v4, v6): (Vec<IpAddr>, Vec<IpAddr>) = cfg.router_addrs.iter().partition(|a| a.is_ipv4());
    let mut s = String::new();
    if !v4.is_empty() {
        let _ = write!(s, "ip daddr != {{ {} }} ", list(&v4));
    }
    if !v6.is_empty() {
        let _ = write!(s, "ip6 daddr != {{ {} }} ", list(&v6));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(s: &str) -> crate::indicator::V4Prefix {
        match crate::indicator::parse_indicator(s).unwrap() {
            crate::indicator::Indicator::V4(p) => p,
            _ => panic!("{s}"),
        }
    }

    fn v6(s: &str) -> crate::indicator::V6Prefix {
        match crate::indicator::parse_indicator(s).unwrap() {
            crate::indicator::Indicator::V6(p) => p,
            _ => panic!("{s}"),
        }
    }

    fn lines(s: &str) -> Vec<&str> {
        s.lines().collect()
    }

    #[test]
    fn default_ruleset_shape() {
        let cfg = EnforceConfig {
            lan_v4: vec![v4("192.168.1.0/24")],
            ..EnforceConfig::default()
        };
        let r = ruleset(&cfg);
        let l = lines(&r);
        assert_eq!(l[0], "add table inet iocguard");
        assert!(l.contains(&"add set inet iocguard v4 { type ipv4_addr; flags interval; }"));
        assert!(l.contains(&"add set inet iocguard v6 { type ipv6_addr; flags interval; }"));
        assert!(l.contains(&"add set inet iocguard v4h { type ipv4_addr; }"));
        assert!(
            l.contains(&"add rule inet iocguard forward ip daddr @v4h ip daddr != @allow4 goto block_fwd")
        );
        assert!(
            l.contains(&"add rule inet iocguard output ip6 daddr @v6h ip6 daddr != @allow6 goto block_out")
        );
        assert!(l.contains(&"add element inet iocguard lan4 { 192.168.1.0/24 }"));
        assert!(l.contains(&"add limit inet iocguard log_rate { rate 10/second burst 20 packets; }"));
        assert!(l.contains(&"delete limit inet iocguard log_rate"));
        // The chains using the limit are emptied before it is replaced.
        let flush = l
            .iter()
            .position(|x| *x == "flush chain inet iocguard block_fwd")
            .unwrap();
        let delete = l
            .iter()
            .position(|x| *x == "delete limit inet iocguard log_rate")
            .unwrap();
        assert!(flush < delete);
        assert!(l.contains(
            &"add chain inet iocguard forward { type filter hook forward priority -150; policy accept; }"
        ));
        assert!(l.contains(&"add rule inet iocguard forward ip daddr @v4 ip daddr != @allow4 goto block_fwd"));
        assert!(
            l.contains(&"add rule inet iocguard output ip6 daddr @v6 ip6 daddr != @allow6 goto block_out")
        );
        assert!(l.contains(
            &"add rule inet iocguard block_fwd limit name \"log_rate\" counter name \"logged\" \
              log prefix \"iocguard fwd \" group 10"
        ));
        assert!(l.contains(&"add rule inet iocguard block_fwd meta l4proto tcp reject with tcp reset"));
        assert!(l.contains(&"add rule inet iocguard block_fwd reject with icmpx admin-prohibited"));
        // DNS controls on by default for the LAN.
        assert!(r.contains("chain inet iocguard dstnat { type nat hook prerouting priority -110;"));
        assert!(r.contains(
            "add rule inet iocguard dstnat ip saddr @lan4 meta l4proto { tcp, udp } th dport 53 \
             fib daddr type != local counter name \"dns_redirected\" redirect to :53"
        ));
        assert!(r.contains("th dport 853 counter name \"dot_rejected\""));
        // No inbound by default: the input chain is removed if present.
        assert!(r.contains("delete chain inet iocguard input"));
        assert!(!r.contains("saddr @v4"));
        // The indicator sets are never flushed by the structural text.
        assert!(!r.contains("flush set inet iocguard v4\n"));
        assert!(!r.contains("flush set inet iocguard v6\n"));
        assert!(!r.contains("flush set inet iocguard v4h\n"));
        assert!(!r.contains("fw4"));
    }

    #[test]
    fn options_change_the_text() {
        let cfg = EnforceConfig {
            table: "blk".into(),
            nflog_group: 7,
            action: Action::Drop,
            lan_ifs: vec!["br-lan".into()],
            router_addrs: vec!["192.168.1.1".parse().unwrap(), "fd00::1".parse().unwrap()],
            force_dns: true,
            block_dot: false,
            inbound: true,
            allow_v6: vec![v6("2001:db8::/32")],
            ..EnforceConfig::default()
        };
        let r = ruleset(&cfg);
        assert!(r.contains("log prefix \"iocguard out \" group 7"));
        // The NFLOG reader tells the chains apart by these prefixes.
        use crate::nft::netlink::nflog::Chain;
        for c in [Chain::Fwd, Chain::Out, Chain::In] {
            assert!(
                r.contains(&format!("log prefix \"{}\" group 7", c.prefix())),
                "{c:?}"
            );
        }
        assert!(r.contains("add rule inet blk block_fwd drop"));
        assert!(!r.contains("reject with"));
        assert!(r.contains(
            "add rule inet blk dstnat iifname { \"br-lan\" } meta l4proto { tcp, udp } th dport 53 \
             ip daddr != { 192.168.1.1 } ip6 daddr != { fd00::1 } counter"
        ));
        assert!(!r.contains("dport 853"));
        assert!(r.contains("add rule inet blk input ip saddr @v4 ip saddr != @allow4 goto drop_in"));
        assert!(r.contains("add rule inet blk forward ip6 saddr @v6 ip6 saddr != @allow6 goto drop_in"));
        assert!(r.contains("add element inet blk allow6 { 2001:db8::/32 }"));
        assert!(!r.contains("delete chain inet blk input"));
    }

    #[test]
    fn the_notice_redirects_only_listed_hosts_and_the_sinkhole_address_on_port_80() {
        let cfg = EnforceConfig {
            lan_v4: vec![v4("192.168.1.0/24")],
            lan_v6: vec![v6("fd00::/64")],
            force_dns: false,
            notice_port: Some(8800),
            sinkhole_addrs: vec!["198.51.100.53".parse().unwrap()],
            ..EnforceConfig::default()
        };
        let r = ruleset(&cfg);
        let l = lines(&r);
        assert!(l.contains(&"add set inet iocguard notice4 { type ipv4_addr; flags timeout; }"));
        let redirect = |s: &str| format!("counter name \"notice_redirected\" redirect to :8800{s}");
        assert!(l.contains(
            &format!(
                "add rule inet iocguard dstnat ip saddr @lan4 ip saddr @notice4 tcp dport 80 \
                 fib daddr type != local {}",
                redirect("")
            )
            .as_str()
        ));
        assert!(l.contains(
            &format!(
                "add rule inet iocguard dstnat ip6 saddr @lan6 ip6 saddr @notice6 tcp dport 80 \
                 fib daddr type != local {}",
                redirect("")
            )
            .as_str()
        ));
        assert!(l.contains(
            &format!(
                "add rule inet iocguard dstnat ip saddr @lan4 ip daddr 198.51.100.53 tcp dport 80 \
                 fib daddr type != local {}",
                redirect("")
            )
            .as_str()
        ));
        assert!(
            !l.iter()
                .any(|x| x.contains("redirect to :8800") && !x.contains("tcp dport 80 ")),
            "only port 80 is redirected, never HTTPS:\n{r}"
        );
        assert!(!r.contains("th dport 53"), "force_dns off");
        assert!(
            !r.contains("ip saddr @lan4 ip6 saddr @notice6"),
            "no cross-family rule"
        );
        let off = EnforceConfig {
            notice_port: None,
            ..cfg
        };
        assert!(!ruleset(&off).contains("notice_redirected\" redirect"));
        assert!(ruleset(&off).contains("delete chain inet iocguard dstnat"));
    }

    #[test]
    fn dns_controls_need_a_lan() {
        let r = ruleset(&EnforceConfig::default());
        assert!(r.contains("delete chain inet iocguard dstnat"));
        assert!(!r.contains("dport 853"));
        let off = EnforceConfig {
            force_dns: false,
            lan_v4: vec![v4("192.168.1.0/24")],
            ..EnforceConfig::default()
        };
        assert!(ruleset(&off).contains("delete chain inet iocguard dstnat"));
    }
}
