//! What to do with one received message, UDP or TCP alike: parse it, check
//! the ACL and the client's rate, answer a blocked name (recording the
//! event), or hand it on for forwarding.
//!
//! The message is untrusted: parsing fails rather than panics, a message
//! too broken to answer is dropped, and replies are written into the
//! caller's fixed buffer (no allocation on the blocked path).

use super::shared::{Shared, View};
use super::stats::bump;
use crate::dns::client::identify;
use crate::dns::events::Event;
use crate::dns::wire::{self, rcode, Query};
use std::net::IpAddr;

/// What to do with one received message. `Forward` carries the parsed
/// query by value on purpose: it lives on the stack, never the heap.
#[allow(clippy::large_enum_variant)]
pub(super) enum Action {
    /// Send `out[..n]`.
    Reply(usize),
    /// Forward to the upstream.
    Forward(Query),
    /// Say nothing.
    Drop,
}

/// The policy for one message: parse, ACL, rate, blocklist.
pub(super) fn decide(
    sh: &Shared,
    view: &mut View,
    src: IpAddr,
    msg: &[u8],
    out: &mut [u8],
    tcp: bool,
) -> Action {
    bump(&sh.stats.queries);
    let q = match wire::parse_query(msg) {
        Ok(q) => q,
        Err(e) => {
            bump(&sh.stats.malformed);
            return match wire::write_unparsable(msg, e, out) {
                Some(n) => Action::Reply(n),
                None => Action::Drop,
            };
        }
    };
    if !sh.settings.acl.allows(src) {
        bump(&sh.stats.refused);
        return reply(wire::write_error(&q, rcode::REFUSED, out));
    }
    let client = identify(src, q.edns.as_ref());
    if !sh.rate_ok(client.ip) {
        return Action::Drop;
    }
    let set = view.current(sh);
    if let Some(name) = q.name.text().filter(|n| !n.is_empty()) {
        if let Some(hit) = set.lookup(name) {
            bump(&sh.stats.blocked);
            let (at, feed) = (hit.at, hit.feed);
            let time = crate::clock::unix_now();
            let ev = Event::new(time, client.ip, client.mac, name, at, q.qtype, feed, tcp);
            if let Ok(mut r) = sh.events.lock() {
                r.push(ev);
            }
            return reply(wire::write_blocked(
                &q,
                at,
                sh.settings.answer,
                sh.settings.ttl,
                out,
            ));
        }
    }
    if sh.settings.upstreams.is_empty() {
        bump(&sh.stats.servfail);
        return reply(wire::write_error(&q, rcode::SERVFAIL, out));
    }
    Action::Forward(q)
}

fn reply(r: Result<usize, wire::WireError>) -> Action {
    r.map_or(Action::Drop, Action::Reply)
}
