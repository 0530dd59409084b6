//! The pid file in `run_dir`, and whom `sync` may signal: the pid in
//! it, when that process runs iocguard ([`reload_target`]).

use super::error::DaemonError;
use nix::sys::signal::Signal;
use nix::unistd::Pid;
use std::path::{Path, PathBuf};

/// Name of the pid file in `run_dir`.
pub const PID_FILE: &str = "iocguard.pid";

/// Writes `pid` to `run_dir/iocguard.pid` (creating `run_dir`); returns
/// the file's path.
pub fn write_pid_file(run_dir: &Path, pid: u32) -> Result<PathBuf, DaemonError> {
    std::fs::create_dir_all(run_dir).map_err(|e| DaemonError::PidFile(run_dir.to_path_buf(), e))?;
    let path = run_dir.join(PID_FILE);
    std::fs::write(&path, format!("{pid}\n")).map_err(|e| DaemonError::PidFile(path.clone(), e))?;
    Ok(path)
}

/// Why no reload was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NoDaemon {
    /// No pid file (or an unreadable one): no daemon was started here.
    #[error("no pid file {}", .0.display())]
    NoPidFile(PathBuf),
    /// The pid file does not hold a usable pid (0, 1 and negative
    /// numbers would signal a process group, init or everyone).
    #[error("{} does not hold a daemon's pid: {text:?}", path.display())]
    NotAPid {
        /// The pid file.
        path: PathBuf,
        /// What it holds.
        text: String,
    },
    /// No such process: the daemon died without removing its pid file.
    #[error("pid {0} from the pid file is not running")]
    Stale(i32),
    /// The pid now belongs to another program (pids are recycled).
    #[error("pid {pid} from the pid file is {comm:?}, not iocguard")]
    Foreign {
        /// The pid.
        pid: i32,
        /// That process's name.
        comm: String,
    },
}

/// The daemon to signal: the pid in `run_dir/iocguard.pid`, when that
/// process runs iocguard. `comm_of` gives a process's name (`None`: no
/// such process); [`notify_reload`] reads `/proc/PID/comm`.
pub fn reload_target(run_dir: &Path, comm_of: impl FnOnce(i32) -> Option<String>) -> Result<Pid, NoDaemon> {
    let path = run_dir.join(PID_FILE);
    let text = std::fs::read_to_string(&path).map_err(|_| NoDaemon::NoPidFile(path.clone()))?;
    let pid = match text.trim().parse::<i32>() {
        Ok(pid) if pid > 1 => pid,
        _ => return Err(NoDaemon::NotAPid { path, text }),
    };
    let comm = comm_of(pid).ok_or(NoDaemon::Stale(pid))?;
    let comm = comm.trim();
    if !comm.starts_with("iocguard") {
        return Err(NoDaemon::Foreign {
            pid,
            comm: comm.into(),
        });
    }
    Ok(Pid::from_raw(pid))
}

/// Asks a running daemon (pid in `run_dir/iocguard.pid`) to reload.
/// Returns whether one was signalled; a stale pid file (no such process,
/// or a recycled pid that is not iocguard) is left alone.
pub fn notify_reload(run_dir: &Path) -> bool {
    let comm_of = |pid: i32| std::fs::read_to_string(format!("/proc/{pid}/comm")).ok();
    match reload_target(run_dir, comm_of) {
        Ok(pid) => nix::sys::signal::kill(pid, Signal::SIGHUP).is_ok(),
        Err(e) => {
            log::debug!("no reload sent: {e}");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A run directory removed at the end of the test.
    struct RunDir(PathBuf);

    impl RunDir {
        fn new(tag: &str) -> Self {
            let d = std::env::temp_dir().join(format!("iocg-daemon-{tag}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&d);
            RunDir(d)
        }

        fn pid_file(&self, text: &str) {
            std::fs::create_dir_all(&self.0).unwrap();
            std::fs::write(self.0.join(PID_FILE), text).unwrap();
        }
    }

    impl Drop for RunDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn iocguard(_: i32) -> Option<String> {
        Some("iocguard\n".into())
    }

    #[test]
    fn the_pid_file_names_the_daemon_to_signal() {
        let dir = RunDir::new("target");
        let path = write_pid_file(&dir.0.join("sub"), 4242).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "4242\n");
        let mut asked = None;
        let r = reload_target(&dir.0.join("sub"), |pid| {
            asked = Some(pid);
            iocguard(pid)
        });
        assert_eq!(r, Ok(Pid::from_raw(4242)));
        assert_eq!(asked, Some(4242));
    }

    #[test]
    fn what_is_not_a_daemon_to_signal() {
        let dir = RunDir::new("nodaemon");
        let path = dir.0.join(PID_FILE);
        assert_eq!(
            reload_target(&dir.0, iocguard),
            Err(NoDaemon::NoPidFile(path.clone()))
        );
        for text in ["", "abc\n", "0\n", "1\n", "-1\n", "99999999999\n"] {
            dir.pid_file(text);
            let e = reload_target(&dir.0, |_| panic!("asked about a process for {text:?}"));
            assert_eq!(
                e,
                Err(NoDaemon::NotAPid {
                    path: path.clone(),
                    text: text.into()
                })
            );
        }
        dir.pid_file("4242\n");
        assert_eq!(reload_target(&dir.0, |_| None), Err(NoDaemon::Stale(4242)));
        let e = reload_target(&dir.0, |_| Some("dnsmasq\n".into())).unwrap_err();
        assert_eq!(
            e,
            NoDaemon::Foreign {
                pid: 4242,
                comm: "dnsmasq".into()
            }
        );
        assert_eq!(
            e.to_string(),
            "pid 4242 from the pid file is \"dnsmasq\", not iocguard"
        );
    }

    #[test]
    fn notify_reload_leaves_stale_and_foreign_pids_alone() {
        let dir = RunDir::new("notify");
        assert!(!notify_reload(&dir.0), "no pid file");
        // A foreign process: a live `sleep`, which a SIGHUP would kill.
        let mut child = std::process::Command::new("sleep").arg("30").spawn().unwrap();
        dir.pid_file(&format!("{}\n", child.id()));
        assert!(!notify_reload(&dir.0));
        assert_eq!(
            child.try_wait().unwrap(),
            None,
            "the foreign process was not signalled"
        );
        // A stale pid: that process, gone and reaped.
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(!notify_reload(&dir.0));
        dir.pid_file("1\n");
        assert!(!notify_reload(&dir.0), "never init");
    }
}
