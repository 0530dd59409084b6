//! The infected-host view: which internal machines hit a listed
//! indicator, by MAC and hostname, since when, what they tried to reach,
//! and where their cleaning stands.
//!
//! Guarantees: no I/O and no clock — file contents come in as text,
//! times as parameters — so everything here is tested without a router;
//! memory is bounded by `host_capacity` and per-host constants, never by
//! the number of events (a flood of spoofed sources churns a bounded
//! table); nothing panics on untrusted input (events, snapshots, lease
//! and neighbour files); the daemon learns from return values when to
//! log (a new infected host, a re-infection, an eviction), never per
//! packet.

pub mod enrich;
pub mod event;
pub mod host;
pub mod mac;
pub mod query;
pub mod snapshot;
pub mod table;

pub use enrich::{Binding, Enrichment, Parsed};
pub use event::{DnsHit, Event, EventError, Hit, IpHit, Kind, Proto};
pub use host::{AckOutcome, Host, IndicatorHits, PortHits, SeenAddr, State, StateKind};
pub use mac::{HostKey, Mac};
pub use query::{events_of, resolve, select, Filter, QueryError};
pub use snapshot::{Restored, SnapshotError};
pub use table::{Ack, Change, Evicted, HostTable, RecordOutcome, TableError, TableStats};
