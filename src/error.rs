//! The crate's one error type, and how any response the server sends becomes one.

use std::{fmt, time::Duration};

use http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;

use crate::{
    generated::ResponseValue,
    response::{excerpt, retry_after, server_message},
};

/// A `Result` whose error is this crate's [`Error`].
///
/// ```no_run
/// async fn count(client: &livedesk::Client) -> livedesk::Result<i64> {
///     Ok(client.search("@").send().await?.meta.count)
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
///     Ok(page) => println!("{} contacts", page.meta.count),
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
    #[error("LiveDesk answered {status}: {message}")]
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
    #[error(
        "could not decode the {status} response at `{path}`: {message}; body starts: {excerpt:?}"
    )]
    #[non_exhaustive]
    Decode {
        /// The HTTP status.
        status: StatusCode,
        /// Where in the JSON decoding failed, like `payload[3].blocked` (`.` for the root).
        path: String,
        /// What was wrong there.
        message: String,
        /// The start of the body.
        excerpt: String,
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
    /// The HTTP client could not be built (for example, no TLS backend could start).
    #[error("cannot build the HTTP client: {0}")]
    HttpClient(String),
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
            Self::Api { status, .. } | Self::Decode { status, .. } => Some(*status),
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
        matches!(self, Self::Transport(e) if e.is_timeout())
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
        E::CommunicationError(e) | E::InvalidUpgrade(e) | E::ResponseBodyError(e) => {
            Error::Transport(TransportError::new(e))
        }
        // Only documented success codes are decoded, and the spec documents only 200.
        E::InvalidResponsePayload(body, _) => decode_error::<T>(StatusCode::OK, &body),
        E::ErrorResponse(response) => api_error(response.status(), response.headers(), b""),
        E::UnexpectedResponse(response) => {
            let status = response.status();
            let headers = response.headers().clone();
            match response.bytes().await {
                Err(e) => Error::Transport(TransportError::new(e)),
                Ok(body) if status.is_success() => Error::Decode {
                    status,
                    path: ".".into(),
                    message: "a success status the spec does not document".into(),
                    excerpt: excerpt(&String::from_utf8_lossy(&body)),
                },
                Ok(body) => api_error(status, &headers, &body),
            }
        }
    })
}

include!(concat!(env!("OUT_DIR"), "/parameters.rs"));

/// [`Error::InvalidArgument`] for the query parameter whose setter is `argument`, saying what
/// it accepts, from the spec.
pub(crate) fn invalid_argument(argument: &'static str) -> Error {
    let accepts = PARAMETER_RULES
        .iter()
        .find(|(name, _, _)| *name == argument)
        .map_or("a valid value", |(_, rule, _)| rule);
    Error::InvalidArgument {
        argument,
        reason: format!("it must be {accepts}"),
    }
}

/// Decodes again, tracking the path, to say where the body went wrong; only runs on failure.
fn decode_error<T: DeserializeOwned>(status: StatusCode, body: &[u8]) -> Error {
    let mut de = serde_json::Deserializer::from_slice(body);
    let (path, message) = match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Err(e) => (e.path().to_string(), e.into_inner().to_string()),
        Ok(_) => (".".into(), "trailing data after the JSON value".into()),
    };
    Error::Decode {
        status,
        path,
        message,
        excerpt: excerpt(&String::from_utf8_lossy(body)),
    }
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

    /// The hand-written search builder forwards every optional query parameter of the spec:
    /// a parameter added to the spec fails this test until `src/search.rs` has its line.
    #[test]
    fn the_search_builder_forwards_every_spec_parameter() {
        let mut in_spec: Vec<&str> = PARAMETER_RULES
            .iter()
            .filter(|(_, _, required)| !required)
            .map(|(name, _, _)| *name)
            .collect();
        let mut forwarded = crate::search::FORWARDED.to_vec();
        in_spec.sort_unstable();
        forwarded.sort_unstable();
        assert_eq!(forwarded, in_spec);
    }
}
