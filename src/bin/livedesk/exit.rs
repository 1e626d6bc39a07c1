//! Exit codes: one for each kind of failure a script may want to handle apart.

use std::process::ExitCode;

use livedesk::{ConfigError, Error};

/// The codes, as `--help` and the README list them.
pub(crate) const HELP: &str = "\
Exit codes:
  0  success
  1  other error (the server failed, sent something unreadable, or a walk was incomplete)
  2  usage: bad arguments or settings, or a server that requires a query was asked for a
     listing without one
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

/// The exit code for an error of the library.
pub(crate) fn code(error: &Error) -> ExitCode {
    ExitCode::from(match error {
        Error::Config(
            ConfigError::MissingVariable(_)
            | ConfigError::EmptyVariable(_)
            | ConfigError::NotUnicodeVariable(_)
            | ConfigError::EmptyKey
            | ConfigError::EmptySecret
            | ConfigError::ColonInKey
            | ConfigError::ControlCharacter(_),
        ) => AUTH,
        // Not the user's arguments: how the binary was built, or the system's TLS.
        Error::Config(ConfigError::NoTls | ConfigError::HttpClient(_)) => OTHER,
        Error::Config(_) | Error::InvalidArgument { .. } | Error::QueryRequired { .. } => USAGE,
        Error::Api { status, .. } if matches!(status.as_u16(), 401 | 403) => AUTH,
        Error::Api { status, .. } if status.as_u16() == 429 => RATE_LIMITED,
        Error::Transport(_) => NETWORK,
        Error::RetryBudgetSpent(last) => return code(last),
        _ => OTHER,
    })
}
