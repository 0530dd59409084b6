//! How a command fails: [`CmdError`], one sentence and an exit class, and
//! the mapping of each layer's typed error to its class.

use crate::exit::Exit;
use std::fmt;

/// A command that failed: one sentence for the admin and its exit class.
#[derive(Debug)]
pub struct CmdError {
    /// The exit class (never [`Exit::Ok`]).
    pub exit: Exit,
    /// One sentence naming the file, feed, line or kernel object.
    pub message: String,
}

impl CmdError {
    /// Bad usage or unusable input (exit 2).
    pub fn usage(message: impl fmt::Display) -> Self {
        CmdError {
            exit: Exit::Usage,
            message: message.to_string(),
        }
    }

    /// The kernel or the system refused (exit 4).
    pub fn system(message: impl fmt::Display) -> Self {
        CmdError {
            exit: Exit::System,
            message: message.to_string(),
        }
    }
}

impl fmt::Display for CmdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<crate::config::ConfigError> for CmdError {
    fn from(e: crate::config::ConfigError) -> Self {
        CmdError::usage(e)
    }
}

impl From<crate::nft::NftError> for CmdError {
    fn from(e: crate::nft::NftError) -> Self {
        match e {
            crate::nft::NftError::Config(_) => CmdError::usage(e),
            _ => CmdError::system(e),
        }
    }
}

impl From<crate::state::StateError> for CmdError {
    fn from(e: crate::state::StateError) -> Self {
        CmdError::system(e)
    }
}

impl From<crate::fsio::WriteError> for CmdError {
    fn from(e: crate::fsio::WriteError) -> Self {
        CmdError::system(e)
    }
}

impl From<crate::sync::install::InstallError> for CmdError {
    fn from(e: crate::sync::install::InstallError) -> Self {
        use crate::sync::install::InstallError;
        match e {
            InstallError::Config { .. } => CmdError::usage(e),
            InstallError::Nft(n) => n.into(),
            _ => CmdError::system(e),
        }
    }
}

impl From<crate::daemon::DaemonError> for CmdError {
    fn from(e: crate::daemon::DaemonError) -> Self {
        use crate::daemon::DaemonError;
        use crate::dns::DnsError;
        match e {
            DaemonError::Dns(DnsError::Policy(_)) => CmdError::usage(e),
            _ => CmdError::system(e),
        }
    }
}

/// What a command returns.
pub type CmdResult = Result<Exit, CmdError>;
