//! Running the `nft` binary (the structural ruleset goes through it)
//! and asking the kernel whether the table exists.

use super::error::NftError;
use super::netlink::socket::Socket;
use std::io::Write;
use std::process::{Command, Stdio};

/// Runs `nft` with `args`, feeding `input` on stdin; returns stdout.
pub fn run_nft(what: &'static str, args: &[&str], input: Option<&str>) -> Result<String, NftError> {
    let err = |msg: String| NftError::Nft { what, msg };
    let mut child = Command::new("nft")
        .args(args)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| err(format!("cannot run nft: {e}")))?;
    if let (Some(text), Some(mut stdin)) = (input, child.stdin.take()) {
        stdin
            .write_all(text.as_bytes())
            .map_err(|e| err(format!("cannot write to nft: {e}")))?;
    }
    let out = child.wait_with_output().map_err(|e| err(e.to_string()))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let msg: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).take(3).collect();
        return Err(err(if msg.is_empty() {
            out.status.to_string()
        } else {
            msg.join(" / ")
        }));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// True when `table inet TABLE` exists (asked over netlink: `nft list`
/// would fetch every set element first, minutes for a million).
pub fn table_exists(table: &str) -> Result<bool, NftError> {
    let mut sock = Socket::open().map_err(NftError::Socket)?;
    Ok(sock.table_handle(table).map_err(NftError::Socket)?.is_some())
}
