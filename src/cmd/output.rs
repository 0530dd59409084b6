//! Writing command output: stdout that treats a closed pipe
//! (`iocguard check … | head`) as done, and JSON.

use super::error::CmdError;
use std::io::Write;

/// Prints `s`; a closed pipe is not an error.
pub fn out(s: &str) {
    let mut o = std::io::stdout().lock();
    let _ = o.write_all(s.as_bytes()).and_then(|_| o.flush());
}

/// Prints `v` as JSON (pretty when `pretty`), one document per line.
pub fn json<T: serde::Serialize>(v: &T, pretty: bool) -> Result<(), CmdError> {
    let s = if pretty {
        serde_json::to_string_pretty(v)
    } else {
        serde_json::to_string(v)
    }
    .map_err(|e| CmdError::system(format!("cannot encode the output as JSON: {e}")))?;
    out(&(s + "\n"));
    Ok(())
}
