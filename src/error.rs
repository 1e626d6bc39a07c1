//! The crate's one error type, and how any response the server sends becomes one.

use std::{fmt, time::Duration};

use http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;

use crate::{
    generated::ResponseValue,
    response::{retry_after, server_message},
};

/// A `Result` whose error is this crate's [`Error`].
///
/// ```no_run
/// async fn count(client: &livedesk::Client) -> livedesk::Result<Option<i64>> {
///     Ok(client.contacts().send().await?.meta.count)
/// }
/// ```
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong, from a bad argument to a gateway's HTML page.
///
/// No variant holds the API secret, the `Authorization` header, the request URL or the
/// search query, so `Debug`, `Display` and every `source()` are safe to log. The `status`
/// fields are [`http::StatusCode`] from the `http` 1.x crate.
///
/// ```no_run
/// # async fn run(client: livedesk::Client) {
/// match client.search("support").send().await {
///     Ok(page) => println!("{} contacts", page.meta.count.unwrap_or_default()),
///     Err(livedesk::Error::Api { status, message, .. }) => eprintln!("{status}: {message}"),
///     Err(other) => eprintln!("{other}"),
/// }
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The client's configuration was refused (credentials, base URL, environment), before
    /// any request.
    #[error("invalid configuration: {0}")]
    Config(#[from] ConfigError),

    /// A request argument was refused (for example page 0 or a blank query), before any
    /// request.
    #[error("invalid argument: `{argument}` was refused: {reason}")]
    #[non_exhaustive]
    InvalidArgument {
        /// The setter (and query parameter) that was refused: `q`, `page`, `sort`, ...
        argument: &'static str,
        /// What it accepts, from the spec (`it must be one of `asc`, `desc``).
        reason: String,
    },

    /// The server answered with a non-success status.
    #[error("LiveDesk answered {status}: {message}{}", .retry_after.map(|wait| format!(" (it asked to retry after {} s)", wait.as_secs())).unwrap_or_default())]
    #[non_exhaustive]
    Api {
        /// The HTTP status.
        status: StatusCode,
        /// The server's message, from whichever body shape it sent (JSON `error`, `errors`,
        /// `message`; plain text; an HTML page's title), or the status's reason if none.
        message: String,
        /// How long the server asked us to wait (`Retry-After`, seconds or HTTP date).
        retry_after: Option<Duration>,
    },

    /// A success response whose body is not what the spec describes.
    #[error("could not decode the {status} response at `{path}`: {message} (near {excerpt:?})")]
    #[non_exhaustive]
    Decode {
        /// The HTTP status.
        status: StatusCode,
        /// Where in the JSON decoding failed, like `payload[3].blocked` (`.` for the root).
        path: String,
        /// What was wrong there.
        message: String,
        /// A few characters on either side of where decoding failed (not the rest of the body,
        /// which holds other contacts' data).
        excerpt: String,
    },

    /// A success body larger than [`ClientBuilder::max_body_size`](crate::ClientBuilder::max_body_size)
    /// allows; it was not read past the cap, and is not retried.
    #[error(
        "the {status} response's body is larger than the {limit}-byte cap (see `ClientBuilder::max_body_size`)"
    )]
    #[non_exhaustive]
    BodyTooLarge {
        /// The HTTP status.
        status: StatusCode,
        /// The cap, in bytes.
        limit: usize,
    },

    /// The server answered with a redirect, which is not followed: it would hand the URL, and
    /// so the search query, to wherever it points.
    #[error("LiveDesk answered {status}, a redirect{}, which is not followed", .host.as_ref().map(|h| format!(" to {h}")).unwrap_or_default())]
    #[non_exhaustive]
    Redirect {
        /// The HTTP status (`301`, `302`, `307`, ...).
        status: StatusCode,
        /// The host the redirect points to, when its `Location` names one.
        host: Option<String>,
    },

    /// A failure that was not retried because the client's retry budget is spent: many
    /// requests failed lately (an outage), and retrying them would only add load. The budget
    /// refills as requests succeed.
    #[error(
        "{0} (not retried: the client's retry budget is spent after repeated failures; it \
         refills as requests succeed)"
    )]
    RetryBudgetSpent(Box<Error>),

    /// A listing without a query ([`Client::contacts`](crate::Client::contacts)) was refused
    /// with a `400` or `422`, or answered as a blank search is upstream (an empty first page
    /// with no count): the server, or a gateway in front of it, requires `q`. Nothing was
    /// listed; search with a query instead (upstream, `%` matches every contact it lists).
    #[error("the server requires a query: it answered a listing without `q` with {status}{}", .message.as_ref().map(|m| format!(" ({m})")).unwrap_or_default())]
    #[non_exhaustive]
    QueryRequired {
        /// The HTTP status (`200` for an empty page with no count).
        status: StatusCode,
        /// The server's message, when it sent one.
        message: Option<String>,
    },

    /// An exact lookup ([`Client::find_by_email`](crate::Client::find_by_email) and the
    /// like) found several contacts with that value.
    #[error("{} contacts have this {field}: {}", .ids.len(), .ids.iter().map(i64::to_string).collect::<Vec<_>>().join(", "))]
    #[non_exhaustive]
    SeveralMatches {
        /// What was looked up: `email`, `phone number` or `identifier`.
        field: &'static str,
        /// The ids of the contacts found (the value itself is not repeated: it is personal
        /// data).
        ids: Vec<i64>,
    },

    /// A walk over the pages could not finish complete (see [`Paginate`](crate::Paginate)).
    #[error("the walk is incomplete: {0}")]
    Walk(#[from] crate::WalkError),

    /// The server did not sort as the search asked, with either of the forms a descending
    /// order can be asked in (`direction=desc`, as LiveDesk documents it, and `sort=-field`,
    /// as the server it is built on reads it), or began to honour the other form partway
    /// through a walk. Never retried: the client does not return an order it can see is
    /// not the one asked for.
    #[error("the server did not sort by `{field}` {direction}: {what}")]
    #[non_exhaustive]
    SortNotApplied {
        /// The field asked for.
        field: crate::SortField,
        /// The direction asked for.
        direction: crate::SortDirection,
        /// What the server did instead.
        what: String,
    },

    /// The request did not complete: connection refused or closed, timeout, body cut off.
    #[error("request failed: {0}")]
    Transport(#[source] TransportError),
}

/// Why a client's configuration was refused. The messages name the setting but never echo a
/// secret.
///
/// ```
/// use livedesk::{ConfigError, Credentials, Error};
///
/// let error = Credentials::new("", "secret").unwrap_err();
/// assert!(matches!(error, Error::Config(ConfigError::EmptyKey)));
/// assert_eq!(error.to_string(), "invalid configuration: the API key is empty");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The API key is empty.
    #[error("the API key is empty")]
    EmptyKey,
    /// The API secret is empty.
    #[error("the API secret is empty")]
    EmptySecret,
    /// The API key contains `:`, which Basic auth cannot carry.
    #[error("the API key contains `:`, which Basic auth cannot carry")]
    ColonInKey,
    /// The key (`"key"`) or the secret (`"secret"`) contains a control character.
    #[error("the API {0} contains a control character (a stray newline?)")]
    ControlCharacter(&'static str),
    /// This environment variable is not set.
    #[error("{0} is not set")]
    MissingVariable(&'static str),
    /// This environment variable is set but empty.
    #[error("{0} is set but empty")]
    EmptyVariable(&'static str),
    /// This environment variable is not valid UTF-8.
    #[error("{0} is not valid UTF-8")]
    NotUnicodeVariable(&'static str),
    /// The base URL does not parse.
    #[error("the base URL is not a URL: {0}")]
    InvalidBaseUrl(String),
    /// The base URL carries a user name or password.
    #[error("the base URL must not carry credentials")]
    CredentialsInBaseUrl,
    /// The base URL has a query or a fragment.
    #[error("the base URL must not have a query or fragment")]
    QueryInBaseUrl,
    /// The base URL is plain `http` to a host that is not loopback.
    #[error(
        "the base URL is not https: credentials must not travel in clear text (plain http is \
         allowed for loopback hosts only)"
    )]
    InsecureBaseUrl,
    /// The base URL's scheme is neither `https` nor `http`.
    #[error("the base URL's scheme {0:?} is not https")]
    UnsupportedScheme(String),
    /// The base URL is `https`, but the crate was built without a TLS feature (`rustls` or
    /// `native-tls`).
    #[error(
        "the base URL is https, but this build has no TLS: enable the `rustls` or `native-tls` feature"
    )]
    NoTls,
    /// The HTTP client could not be built (for example, no TLS backend could start).
    #[error("cannot build the HTTP client: {0}")]
    HttpClient(String),
    /// The proxy given to [`ClientBuilder::proxy`](crate::ClientBuilder::proxy) was refused,
    /// for this reason (the URL itself is not repeated: it may carry a password).
    #[error("the proxy was refused: {0}")]
    InvalidProxy(String),
    /// A PEM bundle given to
    /// [`ClientBuilder::add_root_certificates`](crate::ClientBuilder::add_root_certificates)
    /// could not be read.
    #[error("a root certificate could not be read: {0}")]
    InvalidRootCertificate(String),
    /// The [`ClientBuilder::user_agent_suffix`](crate::ClientBuilder::user_agent_suffix) has
    /// characters other than visible ASCII and spaces.
    #[error("the User-Agent suffix may hold visible ASCII characters and spaces only")]
    InvalidUserAgent,
}

/// A request that did not complete: what happened (`Connection refused`, `timed out`,
/// a body cut off), never the URL or its query.
///
/// Its [`source`](std::error::Error::source) is the HTTP library's error, with the URL taken
/// out; treat it as opaque, as its type may change in any release.
///
/// ```no_run
/// # async fn run(client: livedesk::Client) {
/// if let Err(livedesk::Error::Transport(error)) = client.search("ada").send().await {
///     eprintln!("{error} (timeout: {})", error.is_timeout());
/// }
/// # }
/// ```
pub struct TransportError {
    source: reqwest::Error,
}

impl TransportError {
    pub(crate) fn new(error: reqwest::Error) -> Self {
        Self {
            source: error.without_url(),
        }
    }

    /// Whether the attempt timed out (connecting, or waiting for the answer).
    ///
    /// ```no_run
    /// # fn check(error: &livedesk::TransportError) {
    /// if error.is_timeout() { /* try a longer `ClientBuilder::timeout` */ }
    /// # }
    /// ```
    pub fn is_timeout(&self) -> bool {
        self.source.is_timeout()
    }

    /// Whether the connection could not be opened.
    ///
    /// ```no_run
    /// # fn check(error: &livedesk::TransportError) {
    /// if error.is_connect() { /* is the base URL right? */ }
    /// # }
    /// ```
    pub fn is_connect(&self) -> bool {
        self.source.is_connect()
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&cause(&self.source))
    }
}

impl fmt::Debug for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransportError")
            .field("cause", &cause(&self.source))
            .field("timeout", &self.is_timeout())
            .finish()
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

impl Error {
    /// The HTTP status, when the server answered.
    ///
    /// ```
    /// # use livedesk::{Credentials, Error};
    /// let error = Credentials::new("", "secret").unwrap_err();
    /// assert_eq!(error.status(), None);
    /// ```
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::RetryBudgetSpent(error) => error.status(),
            Self::Api { status, .. }
            | Self::Decode { status, .. }
            | Self::BodyTooLarge { status, .. }
            | Self::Redirect { status, .. }
            | Self::QueryRequired { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether the request timed out (connecting or waiting for the answer).
    ///
    /// ```
    /// # use livedesk::Credentials;
    /// let error = Credentials::new("", "secret").unwrap_err();
    /// assert!(!error.is_timeout());
    /// ```
    pub fn is_timeout(&self) -> bool {
        match self {
            Self::Transport(e) => e.is_timeout(),
            Self::RetryBudgetSpent(error) => error.is_timeout(),
            _ => false,
        }
    }

    /// The server's `Retry-After`, when it sent one.
    ///
    /// ```no_run
    /// # async fn run(client: livedesk::Client) {
    /// if let Err(error) = client.search("ada").send().await {
    ///     if let Some(wait) = error.retry_after() {
    ///         eprintln!("the server asked for a pause of {wait:?}");
    ///     }
    /// }
    /// # }
    /// ```
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Api { retry_after, .. } => *retry_after,
            Self::RetryBudgetSpent(error) => error.retry_after(),
            _ => None,
        }
    }
}

/// What went wrong, from the error's causes: reqwest's own message names only the URL, whose
/// query may carry personal data (an email, a phone number).
pub(crate) fn cause(error: &reqwest::Error) -> String {
    let mut causes = Vec::new();
    let mut source = std::error::Error::source(error);
    while let Some(e) = source {
        causes.push(e.to_string());
        source = e.source();
    }
    if causes.is_empty() {
        causes.push(
            if error.is_timeout() {
                "timed out"
            } else {
                "no answer"
            }
            .to_owned(),
        );
    } else if error.is_timeout() && !causes.iter().any(|c| c.contains("timed out")) {
        causes.insert(0, "timed out".to_owned());
    }
    causes.join(": ")
}

/// Turns the generated `send`'s result into this crate's error.
pub(crate) async fn from_generated<T: DeserializeOwned>(
    result: std::result::Result<ResponseValue<T>, progenitor_client::Error>,
) -> Result<T> {
    use progenitor_client::Error as E;
    let error = match result {
        Ok(value) => return Ok(value.into_inner()),
        Err(error) => error,
    };
    Err(match error {
        // The hand-written builder converts every argument before the generated code sees it.
        E::InvalidRequest(message) | E::Custom(message) => Error::InvalidArgument {
            argument: "request",
            reason: message,
        },
        // Only documented success codes are decoded, and the spec documents only 200.
        E::ResponseBodyError(e) => body_error(StatusCode::OK, e),
        E::CommunicationError(e) | E::InvalidUpgrade(e) => Error::Transport(TransportError::new(e)),
        E::InvalidResponsePayload(body, _) => decode_error::<T>(StatusCode::OK, &body),
        E::ErrorResponse(response) => api_error(response.status(), response.headers(), b""),
        E::UnexpectedResponse(response) => {
            let status = response.status();
            if status.is_redirection() {
                return Err(redirect(status, response.headers()));
            }
            let headers = response.headers().clone();
            match response.bytes().await {
                Err(e) => body_error(status, e),
                Ok(_) if status.is_success() => Error::Decode {
                    status,
                    path: ".".into(),
                    message: "a success status the spec does not document".into(),
                    excerpt: String::new(),
                },
                Ok(body) => api_error(status, &headers, &body),
            }
        }
    })
}

/// A body that could not be read: over the cap (see `src/transport.rs`), or cut off.
fn body_error(status: StatusCode, error: reqwest::Error) -> Error {
    let mut source = std::error::Error::source(&error);
    while let Some(e) = source {
        if let Some(too_large) = e.downcast_ref::<crate::transport::BodyTooLarge>() {
            return Error::BodyTooLarge {
                status,
                limit: too_large.limit,
            };
        }
        source = e.source();
    }
    Error::Transport(TransportError::new(error))
}

/// [`Error::Redirect`], naming the host of an absolute `Location`.
fn redirect(status: StatusCode, headers: &HeaderMap) -> Error {
    let host = headers
        .get(http::header::LOCATION)
        .and_then(|location| location.to_str().ok())
        .and_then(|location| url::Url::parse(location).ok())
        .and_then(|url| url.host_str().map(str::to_owned));
    Error::Redirect { status, host }
}

include!(concat!(env!("OUT_DIR"), "/parameters.rs"));

/// [`Error::InvalidArgument`] for the query parameter whose setter is `argument`, saying what
/// it accepts, from the spec.
pub(crate) fn invalid_argument(argument: &'static str) -> Error {
    let accepts = PARAMETER_RULES
        .iter()
        .find(|(name, ..)| *name == argument)
        .map_or("a valid value", |(_, rule, ..)| rule);
    Error::InvalidArgument {
        argument,
        reason: format!("it must be {accepts}"),
    }
}

/// Whether an integer argument is within the spec's `maximum` for it.
pub(crate) fn within_maximum(argument: &str, value: i64) -> bool {
    PARAMETER_RULES
        .iter()
        .find(|(name, ..)| *name == argument)
        .and_then(|(.., maximum)| *maximum)
        .is_none_or(|maximum| value <= maximum)
}

/// Decodes again, tracking the path, to say where the body went wrong; only runs on failure.
fn decode_error<T: DeserializeOwned>(status: StatusCode, body: &[u8]) -> Error {
    let mut de = serde_json::Deserializer::from_slice(body);
    let (path, message, line, column) = match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let (line, column) = (inner.line(), inner.column());
            // serde_json's message ends with the position, which the excerpt shows instead.
            let message = inner.to_string();
            let message = match message.rfind(" at line ") {
                Some(end) => message[..end].to_owned(),
                None => message,
            };
            (path, message, line, column)
        }
        Ok(_) => (
            ".".into(),
            "trailing data after the JSON value".into(),
            0,
            0,
        ),
    };
    Error::Decode {
        status,
        path,
        message,
        excerpt: excerpt_at(body, line, column),
    }
}

/// A few characters on either side of `line`:`column` (1-based, as serde_json counts): what
/// failed, without the rest of the body, which holds other contacts' data.
fn excerpt_at(body: &[u8], line: usize, column: usize) -> String {
    const AROUND: usize = 24;
    let line_start = if line <= 1 {
        0
    } else {
        body.iter()
            .enumerate()
            .filter(|&(_, &b)| b == b'\n')
            .nth(line - 2)
            .map_or(body.len(), |(i, _)| i + 1)
    };
    let at = (line_start + column.saturating_sub(1)).min(body.len());
    let (start, end) = (at.saturating_sub(AROUND), (at + AROUND).min(body.len()));
    let text = String::from_utf8_lossy(&body[start..end]);
    // Lossy decoding of a window cut mid-character shows its ends as U+FFFD; trim those.
    let text = text.trim_matches('\u{FFFD}');
    format!(
        "{}{text}{}",
        if start > 0 { "…" } else { "" },
        if end < body.len() { "…" } else { "" }
    )
}

/// Builds [`Error::Api`] from any error response.
fn api_error(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Error {
    Error::Api {
        status,
        message: server_message(status, body),
        retry_after: retry_after(headers),
    }
}

#[cfg(test)]
mod tests {
    use super::PARAMETER_RULES;

    /// The hand-written search builder forwards every query parameter of the spec but `q`
    /// (which `Client::search` takes, and `Client::contacts` leaves out): a parameter added
    /// to the spec fails this test until `src/search.rs` has its line.
    #[test]
    fn the_search_builder_forwards_every_spec_parameter() {
        let mut in_spec: Vec<&str> = PARAMETER_RULES
            .iter()
            .map(|(name, ..)| *name)
            .filter(|name| *name != "q")
            .collect();
        assert!(
            PARAMETER_RULES.iter().all(|(_, _, required, _)| !required),
            "the documentation marks every query parameter optional"
        );
        let mut forwarded = crate::search::FORWARDED.to_vec();
        in_spec.sort_unstable();
        forwarded.sort_unstable();
        assert_eq!(forwarded, in_spec);
    }
}
