//! The iocguard binary: parses the command line, runs one command, and
//! turns its outcome into one sentence on stderr and an exit code.

use iocguard::cli::{self, Common};
use iocguard::cmd;
use iocguard::exit::Exit;
use std::process::ExitCode;

fn main() -> ExitCode {
    iocguard::mem::large_blocks_apart();
    iocguard::mem::few_arenas();
    let (common, cmd) = match cli::parse(std::env::args_os().skip(1)) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("iocguard: {e}");
            return ExitCode::from(Exit::Usage.code());
        }
    };
    init_logging(&common);
    match cmd::run(&common, cmd) {
        Ok(exit) => ExitCode::from(exit.code()),
        Err(e) => {
            eprintln!("iocguard: {e}");
            ExitCode::from(e.exit.code())
        }
    }
}

fn init_logging(c: &Common) {
    let level = match c.verbose {
        0 => log::LevelFilter::Warn,
        1 => log::LevelFilter::Info,
        _ => log::LevelFilter::Debug,
    };
    // stderr is what procd forwards to logd; a failure to set up logging
    // must never stop blocking, so it is ignored.
    let _ = simple_logger::SimpleLogger::new().with_level(level).init();
}
