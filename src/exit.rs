//! The process exit codes, one per class of outcome, so that cron and
//! procd scripts can tell a typo from a kernel refusal.

/// How a command ended. The numbers are the product's interface: they are
/// listed in `iocguard --help`, README and tested per class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub enum Exit {
    /// Everything done.
    Ok = 0,
    /// Partly done: some feeds failed (their previous copies stay), or a
    /// lookup answered "no" (`test`: not blocked; `status`: not installed).
    Partial = 1,
    /// A usage error or unusable input (command line, configuration file,
    /// a feed file given on the command line); nothing was changed.
    Usage = 2,
    /// A guard refused new data and the previous state was kept (a feed
    /// shrank too much or emptied).
    KeptPrevious = 3,
    /// The kernel or the system refused (netlink error, permission,
    /// missing nftables, an unwritable state directory).
    System = 4,
}

impl Exit {
    /// The numeric code.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The table printed in `--help` and README.
    pub const HELP: &'static str = "\
exit codes:
  0  ok
  1  partial: some feeds failed and kept their previous copies (or: not blocked / not installed)
  2  usage error or unusable input; nothing changed
  3  a guard refused new data; the previous state stays installed
  4  the kernel or the system refused (netlink, permissions, nft missing, disk)
";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_lists_every_code() {
        for e in [
            Exit::Ok,
            Exit::Partial,
            Exit::Usage,
            Exit::KeptPrevious,
            Exit::System,
        ] {
            assert!(Exit::HELP.contains(&format!("\n  {}  ", e.code())), "{e:?}");
        }
    }
}
