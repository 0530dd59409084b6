//! The bounded queue between the readers (NFLOG, the sinkhole's writer)
//! and the table thread. Readers never wait on it: a full queue drops the
//! event and counts it ([`offer`]).

use crate::hosts;
use crate::indicator::IpIndex;
use crate::nft::netlink::nflog::LoggedPacket;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{SyncSender, TrySendError};

/// What the readers hand the table thread. Small: the queue's slots are
/// allocated up front (a 4096-slot queue of these is 320 KB).
pub enum Input {
    /// A logged packet.
    Packet(LoggedPacket),
    /// A blocked query, as a host event.
    Dns(Box<hosts::Event>),
    /// NFLOG messages the kernel dropped.
    Lost(u64),
    /// NFLOG messages that could not be decoded.
    Skipped(u64),
    /// A newly loaded set and configuration.
    Reload(Box<Reload>),
    /// Nothing: look at the stop flag and the schedules now.
    Wake,
}

/// What a reload (SIGHUP) changes in the host log.
pub struct Reload {
    /// The new set's attribution index.
    pub index: IpIndex,
    /// `host_capacity`.
    pub capacity: usize,
    /// `retention_days`, in seconds (0: keep).
    pub retention: u64,
}

/// Queues `input`, or counts it in `overflow` when the queue is full.
pub fn offer(tx: &SyncSender<Input>, overflow: &AtomicU64, input: Input) {
    if let Err(TrySendError::Full(_)) = tx.try_send(input) {
        overflow.fetch_add(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_queue_slot_stays_small() {
        assert!(
            std::mem::size_of::<super::Input>() <= 80,
            "{}",
            std::mem::size_of::<super::Input>()
        );
    }
}
