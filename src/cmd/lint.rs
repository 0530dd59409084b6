//! `iocguard check` and `iocguard test`: feed files linted and looked up
//! without touching the system.

use super::error::{CmdError, CmdResult};
use super::inputs::{self, read_inputs};
use super::output::{json, out};
use crate::check;
use crate::cli::Common;
use crate::exit::Exit;
use crate::indicator::{Keep, KindFilter};

/// `check FILE…`.
pub fn check(
    common: &Common,
    files: &[String],
    format: Option<&str>,
    kind: Option<&str>,
    allow: &[String],
    allow_reserved: &[String],
    show: usize,
) -> CmdResult {
    let format = inputs::format(format)?;
    let kind = inputs::kind(kind)?;
    let gate = inputs::gate(allow, allow_reserved)?;
    let (report, _) = check::check(read_inputs(files), format, kind, &gate);
    if common.json {
        json(&report, true)?;
    } else {
        out(&report.render(show));
    }
    Ok(report.exit())
}

/// `test VALUE --feed FILE…`.
pub fn test(
    common: &Common,
    value: &str,
    feeds: &[String],
    allow: &[String],
    allow_reserved: &[String],
) -> CmdResult {
    let gate = inputs::gate(allow, allow_reserved)?;
    let set = inputs::usable_set(feeds, KindFilter::Auto, &gate, Keep::All)?;
    let answer = check::test(&set, value).map_err(CmdError::usage)?;
    if common.json {
        json(&answer, false)?;
    } else {
        match (&answer.entry, &answer.feed) {
            (Some(entry), Some(feed)) => out(&format!(
                "{}: {} (listed as {} in {})\n",
                answer.value, answer.verdict, entry, feed
            )),
            _ => out(&format!("{}: {}\n", answer.value, answer.verdict)),
        }
    }
    Ok(if answer.verdict == "blocked" {
        Exit::Ok
    } else {
        Exit::Partial
    })
}
