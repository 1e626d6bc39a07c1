//! The signals that interrupt an export, so that it can leave no temporary file behind.

use std::future::Future;

/// Resolves at Ctrl-C or, on Unix, SIGTERM, SIGHUP (the terminal closed) or SIGQUIT. It
/// listens from the call on, not from its first poll, so that no signal between the two kills
/// the process with a temporary file left. A signal the process was started with ignored
/// (`nohup` ignores SIGHUP; a shell, SIGINT and SIGQUIT for a background job) stays ignored:
/// listening for it would undo that choice.
pub(crate) fn interruption() -> impl Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let listening: std::io::Result<Vec<_>> = [
            (SignalKind::interrupt(), libc::SIGINT),
            (SignalKind::terminate(), libc::SIGTERM),
            (SignalKind::hangup(), libc::SIGHUP),
            (SignalKind::quit(), libc::SIGQUIT),
        ]
        .into_iter()
        .filter(|&(_, number)| !ignored(number))
        .map(|(kind, _)| signal(kind))
        .collect();
        async move {
            match listening {
                Ok(mut signals) if !signals.is_empty() => {
                    let received = signals.iter_mut().map(|s| Box::pin(s.recv()));
                    futures::future::select_all(received).await;
                }
                Ok(_) => std::future::pending().await,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Whether `signal` is ignored, as the process was started.
#[cfg(unix)]
fn ignored(signal: libc::c_int) -> bool {
    let mut current = std::mem::MaybeUninit::<libc::sigaction>::zeroed();
    // SAFETY: with a null new action, `sigaction` changes nothing and only writes the
    // current action into `current`, which is valid memory for one.
    let read = unsafe { libc::sigaction(signal, std::ptr::null(), current.as_mut_ptr()) };
    // SAFETY: zeroed memory is a valid `sigaction` (plain integers and pointers), and a
    // successful call filled it in.
    read == 0 && unsafe { current.assume_init() }.sa_sigaction == libc::SIG_IGN
}
