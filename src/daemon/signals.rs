//! What a signal does ([`on_signal`]) and the loop that takes them
//! ([`signal_loop`]). Both take the signal source, the set loader and the
//! swap as closures, so SIGHUP/SIGTERM sequences and failed reloads are
//! tested without real signals.

use super::error::DaemonError;
use nix::sys::signal::Signal;

/// What one signal did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled {
    /// SIGHUP: the new set was built and swapped in.
    Reloaded,
    /// SIGHUP, but the new set could not be built (the reason): the
    /// current one keeps serving.
    KeptCurrent(String),
    /// SIGTERM, SIGINT or any other signal: the daemon stops.
    Stop,
}

/// Handles `sig`: SIGHUP builds a new set with `load` and hands it to
/// `swap`, or keeps the current one when `load` fails; anything else
/// stops the daemon without loading.
pub fn on_signal<T>(
    sig: Signal,
    load: impl FnOnce() -> Result<T, DaemonError>,
    swap: impl FnOnce(T),
) -> Handled {
    if sig != Signal::SIGHUP {
        log::info!("{sig}: stopping");
        return Handled::Stop;
    }
    match load() {
        Ok(set) => {
            swap(set);
            log::info!("reloaded the set");
            Handled::Reloaded
        }
        Err(e) => {
            log::warn!("reload failed, keeping the current set: {e}");
            Handled::KeptCurrent(e.to_string())
        }
    }
}

/// Takes signals from `next` and handles each ([`on_signal`]) until one
/// stops the daemon. A failed reload does not end the loop; a failure
/// of `next` does, with its error.
pub fn signal_loop<T>(
    mut next: impl FnMut() -> Result<Signal, DaemonError>,
    mut load: impl FnMut() -> Result<T, DaemonError>,
    mut swap: impl FnMut(T),
) -> Result<(), DaemonError> {
    loop {
        if on_signal(next()?, &mut load, &mut swap) == Handled::Stop {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::collections::VecDeque;

    /// What `load_set` returns when the cache went bad.
    fn failed_load() -> DaemonError {
        crate::state::StateError::Corrupt("/etc/iocguard/cache/abuse.gz".into()).into()
    }

    /// Runs `signal_loop` over `signals` with loads answering from
    /// `loads`; returns the swapped sets, the signals left unread and the
    /// number of loads.
    fn drive(signals: &[Signal], loads: Vec<Result<u32, DaemonError>>) -> (Vec<u32>, usize, usize) {
        let mut signals: VecDeque<Signal> = signals.iter().copied().collect();
        let mut loads: VecDeque<_> = loads.into();
        let mut calls = 0;
        let swapped = RefCell::new(Vec::new());
        signal_loop(
            || Ok(signals.pop_front().expect("the loop waited past a stop")),
            || {
                calls += 1;
                loads.pop_front().expect("unexpected load")
            },
            |set| swapped.borrow_mut().push(set),
        )
        .unwrap();
        (swapped.into_inner(), signals.len(), calls)
    }

    #[test]
    fn sighup_reloads_and_sigterm_stops() {
        let (swapped, left, loads) = drive(
            &[Signal::SIGHUP, Signal::SIGHUP, Signal::SIGTERM, Signal::SIGHUP],
            vec![Ok(1), Ok(2)],
        );
        assert_eq!(swapped, [1, 2]);
        assert_eq!((left, loads), (1, 2), "nothing is read or loaded after SIGTERM");
    }

    #[test]
    fn a_failed_reload_keeps_the_current_set_and_the_loop_going() {
        let (swapped, left, loads) = drive(
            &[Signal::SIGHUP, Signal::SIGHUP, Signal::SIGINT],
            vec![Err(failed_load()), Ok(7)],
        );
        assert_eq!(swapped, [7]);
        assert_eq!((left, loads), (0, 2));
    }

    #[test]
    fn a_stop_signal_does_not_load() {
        for sig in [Signal::SIGTERM, Signal::SIGINT, Signal::SIGUSR1] {
            let h = on_signal(
                sig,
                || -> Result<u32, _> { panic!("loaded on {sig}") },
                |_| panic!("swapped"),
            );
            assert_eq!(h, Handled::Stop, "{sig}");
        }
    }

    #[test]
    fn what_a_sighup_reports() {
        let mut got = None;
        assert_eq!(
            on_signal(Signal::SIGHUP, || Ok(3u32), |s| got = Some(s)),
            Handled::Reloaded
        );
        assert_eq!(got, Some(3));
        let h = on_signal(
            Signal::SIGHUP,
            || Err::<u32, _>(failed_load()),
            |_| panic!("swapped"),
        );
        assert_eq!(
            h,
            Handled::KeptCurrent(
                "/etc/iocguard/cache/abuse.gz: cached copy is corrupt and was ignored".into()
            )
        );
    }

    #[test]
    fn a_failing_wait_ends_the_loop_with_its_error() {
        let mut n = 0;
        let r = signal_loop(
            || {
                n += 1;
                match n {
                    1 => Ok(Signal::SIGHUP),
                    _ => Err(DaemonError::Wait(nix::errno::Errno::EINVAL)),
                }
            },
            || Ok(0u32),
            |_| {},
        );
        let e = r.unwrap_err();
        assert!(matches!(e, DaemonError::Wait(nix::errno::Errno::EINVAL)), "{e:?}");
        assert_eq!(
            e.to_string(),
            "failed to wait for a signal: EINVAL: Invalid argument"
        );
    }
}
