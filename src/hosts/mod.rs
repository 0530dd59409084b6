//! The infected-host view: which internal machines hit a listed
//! indicator, by MAC and hostname, since when, what they tried to reach,
//! and where their cleaning stands.
//!
//! Pieces: [`event`] (one hit from either path — NFLOG or the sinkhole —
//! and its JSON-lines form), [`feedname`] (shared feed names), [`mac`] (MAC notations, host keys), [`host`]
//! (one host's bounded record and its remediation state machine),
//! [`table`] (the bounded table, merges, eviction, acks), [`snapshot`]
//! (the table on flash), [`enrich`] (leases, ethers, neighbour tables →
//! names and MACs), [`query`] (finding hosts the way admins name them,
//! listing filters), [`render`] (text table, CSV, JSON, detail view).
//!
//! Guarantees: no I/O and no clock — file contents come in as text,
//! times as parameters — so everything here is tested without a router;
//! memory is bounded by `host_capacity` and per-host constants, never by
//! the number of events (a flood of spoofed sources churns a bounded
//! table); nothing panics on untrusted input (events, snapshots, lease
//! and neighbour files); the daemon learns from return values when to
//! log (a new infected host, a re-infection, an eviction), never per
//! packet.
//!
//! Wiring (for the daemon and CLI): build an [`Event`] per hit
//! (`daemon::host_event` for the sinkhole), [`Enrichment::fill`] its MAC,
//! [`HostTable::record`] it and log on [`Change::NewHost`] /
//! [`Change::Reinfected`]; refresh an [`Enrichment`] from the files when
//! they change and [`HostTable::enrich`]; write [`snapshot::encode`] when
//! [`HostTable::generation`] moved; apply acks with
//! [`HostTable::apply_ack`] (see [`table`] for the journal protocol).

pub mod enrich;
pub mod event;
pub mod feedname;
pub mod host;
pub mod mac;
pub mod query;
pub mod render;
pub mod snapshot;
pub mod table;

#[cfg(test)]
pub mod testutil;

pub use enrich::{Binding, Enrichment, Parsed};
pub use event::{DnsHit, Event, EventError, Hit, IpHit, Kind, Proto};
pub use feedname::FeedName;
pub use host::{AckOutcome, Host, IndicatorHits, PortHits, SeenAddr, State, StateKind};
pub use mac::{HostKey, Mac};
pub use query::{events_of, resolve, select, Filter, QueryError};
pub use snapshot::{Restored, SnapshotError};
pub use table::{Ack, Change, Evicted, HostTable, RecordOutcome, TableError, TableStats};
