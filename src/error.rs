//! The crate's one error type, and how any response the server sends becomes one.

use std::time::Duration;

use reqwest::{StatusCode, header::HeaderMap};
use serde::de::DeserializeOwned;

use crate::{
    ResponseValue,
    response::{excerpt, retry_after, server_message},
};

/// A `Result` whose error is this crate's [`Error`].
///
/// ```no_run
/// async fn count(client: &livedesk::Client) -> livedesk::Result<i64> {
///     Ok(client.search_contacts().q("@").send().await?.meta.count)
/// }
/// ```
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong, from a bad argument to a gateway's HTML page.
///
/// No variant holds the API secret or the `Authorization` header, so `Debug` and `Display`
/// are safe to log.
///
/// ```no_run
/// # async fn run(client: livedesk::Client) {
/// match client.search_contacts().q("support").send().await {
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
    Config(String),

    /// A request argument was refused (for example page 0 or a blank `q`), before any
    /// request.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),

    /// The server answered with a non-success status.
    #[error("LiveDesk answered {status}: {message}")]
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
    #[error("request failed: {}", cause(.0))]
    Transport(#[source] reqwest::Error),
}

impl Error {
    /// The HTTP status, when the server answered.
    ///
    /// ```
    /// let error = livedesk::Error::InvalidArgument("page must be at least 1".into());
    /// assert_eq!(error.status(), None);
    /// ```
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Api { status, .. } | Self::Decode { status, .. } => Some(*status),
            Self::Transport(e) => e.status(),
            Self::Config(_) | Self::InvalidArgument(_) => None,
        }
    }

    /// Whether the request timed out (connecting or waiting for the answer).
    ///
    /// ```
    /// let error = livedesk::Error::Config("no key".into());
    /// assert!(!error.is_timeout());
    /// ```
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Transport(e) if e.is_timeout())
    }

    /// The server's `Retry-After`, when it sent one.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let error = livedesk::Error::Api {
    ///     status: reqwest::StatusCode::TOO_MANY_REQUESTS,
    ///     message: "Retry later".into(),
    ///     retry_after: Some(Duration::from_secs(3)),
    /// };
    /// assert_eq!(error.retry_after(), Some(Duration::from_secs(3)));
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

/// Turns the generated `send`'s result into this crate's error (called from the `send` that
/// `build.rs` generates around it).
pub(crate) async fn from_generated<T: DeserializeOwned>(
    result: std::result::Result<ResponseValue<T>, progenitor_client::Error>,
) -> Result<ResponseValue<T>> {
    use progenitor_client::Error as E;
    let error = match result {
        Ok(value) => return Ok(value),
        Err(error) => error,
    };
    Err(match error {
        E::InvalidRequest(message) | E::Custom(message) => invalid_argument(message),
        E::CommunicationError(e) | E::InvalidUpgrade(e) | E::ResponseBodyError(e) => {
            Error::Transport(e)
        }
        // Only documented success codes are decoded, and the spec documents only 200.
        E::InvalidResponsePayload(body, _) => decode_error::<T>(StatusCode::OK, &body),
        E::ErrorResponse(response) => api_error(response.status(), response.headers(), b""),
        E::UnexpectedResponse(response) => {
            let status = response.status();
            let headers = response.headers().clone();
            match response.bytes().await {
                Err(e) => Error::Transport(e),
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

/// Says which argument was refused and what it accepts; the generated message
/// (`conversion to `SortField` for sort failed`, `q was not initialized`) names only a type.
fn invalid_argument(generated: String) -> Error {
    let rule = PARAMETER_RULES.iter().find_map(|&(name, rule, required)| {
        if generated.ends_with(&format!(" for {name} failed")) {
            Some(format!("`{name}` was refused: it must be {rule}"))
        } else if required && generated == format!("{name} was not initialized") {
            Some(format!("`{name}` is missing: it is required ({rule})"))
        } else {
            None
        }
    });
    Error::InvalidArgument(rule.unwrap_or(generated))
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
