//! The commands: one file per command family, each a thin wiring of the
//! library layers below (it parses nothing and decides nothing a test
//! would want to call on its own). [`run`] is the one dispatcher;
//! every command returns an [`Exit`] class or a [`CmdError`] that `main`
//! prints as one sentence.

mod enforce;
mod error;
mod feed;
mod fetch;
mod hosts;
mod inputs;
mod lint;
mod output;
mod report;
mod run;
mod sync;

pub use error::{CmdError, CmdResult};

use crate::cli::{Command, Common};
use crate::exit::Exit;

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
            &url,
            out.as_deref(),
            etag,
            last_modified,
            ca_bundle,
            max_bytes,
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
        Command::Report(r) => report::run(common, r),
        Command::Run {
            listen,
            upstream,
            lan,
        } => run::daemon(common, &listen, &upstream, &lan),
        Command::Events { tail, kind } => hosts::recent(common, tail, kind.as_deref()),
        Command::Hosts { since, state, csv } => hosts::list(common, since.as_deref(), state.as_deref(), csv),
        Command::Host { query, events } => hosts::show(common, &query, events),
        Command::Ack { query, note } => hosts::ack(common, &query, &note),
        Command::ExportDnsmasq { file } => run::export_dnsmasq(common, &file),
    }
}
