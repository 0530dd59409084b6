//! Why the daemon could not start or had to stop: one sentence each.

use crate::dns;
use std::path::PathBuf;

/// Why the daemon stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// The DNS server could not start.
    #[error(transparent)]
    Dns(#[from] dns::DnsError),
    /// The configuration could not be read again (SIGHUP).
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// The set could not be built.
    #[error(transparent)]
    State(#[from] crate::state::StateError),
    /// Signals could not be set up.
    #[error("failed to set up signal handling: {0}")]
    Signals(nix::Error),
    /// Waiting for a signal failed.
    #[error("failed to wait for a signal: {0}")]
    Wait(nix::Error),
    /// The pid file could not be written.
    #[error("failed to write {0}: {1}")]
    PidFile(PathBuf, std::io::Error),
    /// The host log could not start (its control socket, the NFLOG
    /// subscription or a thread).
    #[error("host log: {0}")]
    HostLog(String),
}
