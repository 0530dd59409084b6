//! Why enforcement failed, as one sentence naming the set, table or
//! kernel error.

use super::netlink::socket::NlError;
use nix::errno::Errno;

/// Why enforcement failed; `Display` is one sentence for the admin.
#[derive(Debug, thiserror::Error)]
pub enum NftError {
    /// The netlink socket could not be opened or used.
    #[error("cannot talk to nf_tables over netlink ({0}); is this root with nf_tables in the kernel?")]
    Socket(NlError),
    /// The kernel refused a transaction; it was aborted whole.
    #[error(
        "the kernel refused an update of set {set} ({errno}); {done} of {total} changes were committed \
         before it and stay, the refused transaction was rolled back"
    )]
    Refused {
        /// The set.
        set: String,
        /// The kernel's error.
        errno: Errno,
        /// Changes (range adds + deletes) committed before the refusal.
        done: usize,
        /// Changes planned.
        total: usize,
    },
    /// The kernel refused to delete the table.
    #[error("the kernel refused to delete table inet {table} ({errno})")]
    Flush {
        /// The table.
        table: String,
        /// The kernel's error.
        errno: Errno,
    },
    /// Reading a set from the kernel failed.
    #[error("cannot read set {set} of table inet {table} from the kernel: {source}")]
    Read {
        /// The table.
        table: String,
        /// The set.
        set: String,
        /// What went wrong.
        source: NlError,
    },
    /// `nft` could not be run or refused the ruleset.
    #[error("nft {what} failed: {msg}")]
    Nft {
        /// What was being done.
        what: &'static str,
        /// nft's own message (first lines of stderr).
        msg: String,
    },
    /// The configuration is unusable.
    #[error("{0}")]
    Config(String),
}
