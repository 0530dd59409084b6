//! The commands: one file per command family, each a thin wiring of the
//! library layers below (it parses nothing and decides nothing a test
//! would want to call on its own). [`run`] is the one dispatcher;
//! every command returns an [`Exit`] class or a [`CmdError`] that `main`
//! prints as one sentence.

mod enforce;
mod feed;
mod fetch;
mod inputs;
mod lint;
mod output;
mod run;
mod sync;

use crate::cli::{Command, Common};
use crate::exit::Exit;
use std::fmt;
use std::path::PathBuf;

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

/// Runs one parsed command.
pub fn run(common: &Common, cmd: Command) -> CmdResult {
    match cmd {
        Command::Version => {
            output::out(&format!("iocguard {}\n", env!("CARGO_PKG_VERSION")));
            Ok(Exit::Ok)
        }
        Command::Help(topic) => {
            output::out(&crate::cli::help(topic.as_deref()));
            Ok(Exit::Ok)
        }
        Command::Check {
            files,
            format,
            kind,
            allow,
            allow_reserved,
            show,
        } => lint::check(
            common,
            &files,
            format.as_deref(),
            kind.as_deref(),
            &allow,
            &allow_reserved,
            show,
        ),
        Command::Test {
            value,
            feeds,
            allow,
            allow_reserved,
        } => lint::test(common, &value, &feeds, &allow, &allow_reserved),
        Command::Fetch {
            url,
            out,
            etag,
            last_modified,
            ca_bundle,
            max_bytes,
        } => fetch::run(
            common,
            fetch::Args {
                url,
                out,
                etag,
                last_modified,
                ca_bundle,
                max_bytes,
            },
        ),
        Command::Sync { force, no_apply } => sync::run(common, force, no_apply),
        Command::Apply {
            feeds,
            doh,
            if_missing,
            enforce,
            allow,
            allow_reserved,
        } => enforce::apply(
            common,
            &feeds,
            &doh,
            if_missing,
            &enforce,
            &allow,
            &allow_reserved,
        ),
        Command::Flush { table, run_dir } => enforce::flush(table, run_dir),
        Command::Status {
            table,
            run_dir,
            count,
        } => enforce::status(common, table, run_dir, count),
        Command::Feed(f) => feed::run(common, f),
        Command::Run => run::daemon(common),
        Command::Events { tail } => run::events(common, tail),
        Command::ExportDnsmasq { file } => run::export_dnsmasq(common, &file),
    }
}

/// The configuration file to use.
fn config_path(common: &Common) -> PathBuf {
    common
        .config
        .clone()
        .unwrap_or_else(|| crate::config::DEFAULT_PATH.into())
        .into()
}

/// Loads the configuration and logs its warnings.
fn load_config(common: &Common) -> Result<crate::config::Config, CmdError> {
    let cfg = crate::config::Config::load(&config_path(common))?;
    for w in &cfg.warnings {
        log::warn!("{w}");
    }
    Ok(cfg)
}
