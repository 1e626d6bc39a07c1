//! Exit codes: one for each kind of failure a script may want to handle apart.

use std::process::ExitCode;

use livedesk::{Error, ErrorKind};

/// The codes, as `--help` and the README list them.
pub(crate) const HELP: &str = "\
Exit codes:
  0  success
  1  other error (the server failed, sent something unreadable, or a walk was incomplete)
  2  usage: bad arguments or settings, a server that requires a query was asked for a
     listing without one, or a server whose search ignores labels for a search with them
  3  authentication: credentials missing or refused (401, 403)
  4  rate limited: still throttled (429) after waiting
  5  network: no connection, timeout, or a connection cut
  130  interrupted (Ctrl-C, SIGTERM, SIGHUP, SIGQUIT); an --output file is left as it was";

pub(crate) const OTHER: u8 = 1;
pub(crate) const USAGE: u8 = 2;
pub(crate) const AUTH: u8 = 3;
pub(crate) const RATE_LIMITED: u8 = 4;
pub(crate) const NETWORK: u8 = 5;
pub(crate) const INTERRUPTED: u8 = 130;

/// The exit code for an error of the library: one for each of its kinds.
pub(crate) fn code(error: &Error) -> ExitCode {
    ExitCode::from(match error.kind() {
        ErrorKind::Usage => USAGE,
        ErrorKind::Auth => AUTH,
        ErrorKind::RateLimited => RATE_LIMITED,
        ErrorKind::Network => NETWORK,
        _ => OTHER,
    })
}
