//! How the server runs: addresses, upstreams, the blocked answer, who may
//! ask and how fast, threads and timeouts. Plain data, built once from the
//! configuration (`Settings::from_config` in the parent `dns` module) and
//! read by every thread; nothing here touches the network.

use crate::dns::policy::Acl;
use crate::dns::wire::Blocked;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// How the server runs.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Addresses to serve on, UDP and TCP.
    pub listen: Vec<SocketAddr>,
    /// Resolvers for names not blocked, tried in order.
    pub upstreams: Vec<SocketAddr>,
    /// The answer to blocked names.
    pub answer: Blocked,
    /// TTL (and SOA minimum) of blocked answers.
    pub ttl: u32,
    /// Who may ask.
    pub acl: Acl,
    /// Per-client queries per second (0: no limit) and burst.
    pub rate: (u32, u32),
    /// UDP worker threads per listen address.
    pub workers: usize,
    /// Time to wait for an upstream before the next one or SERVFAIL.
    pub upstream_timeout: Duration,
    /// Where `events.jsonl` goes (`None`: events stay in memory).
    pub run_dir: Option<PathBuf>,
    /// Look MACs up in the neighbour table (front mode).
    pub neighbours: bool,
}
