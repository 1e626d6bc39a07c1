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
///     Ok(page) => println!("{} contacts", page.meta.total().unwrap_or_default()),
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
    Config(ConfigError),

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
    #[error("the server answered {status}: {message}{}{}", .retry_after.map(|wait| format!(" (it asked to retry after {} s)", whole_seconds(wait))).unwrap_or_default(), if *.retry_budget_spent { BUDGET_SPENT } else { "" })]
    #[non_exhaustive]
    Api {
        /// The HTTP status.
        status: StatusCode,
        /// The server's message, from whichever body shape it sent (JSON `error`, `errors`,
        /// `message`; plain text; an HTML page's title), or the status's reason if none.
        message: String,
        /// How long the server asked us to wait (`Retry-After`, seconds or HTTP date; a date
        /// is read against the response's `Date` where it has one).
        retry_after: Option<Duration>,
        /// Whether a retry was due but not made because the client's retry budget is spent
        /// (see [`Error::is_retry_budget_spent`]).
        retry_budget_spent: bool,
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
    #[error("the server answered {status}, a redirect{}, which is not followed", .host.as_ref().map(|h| format!(" to {h}")).unwrap_or_default())]
    #[non_exhaustive]
    Redirect {
        /// The HTTP status (`301`, `302`, `307`, ...).
        status: StatusCode,
        /// The host the redirect points to, when its `Location` names one.
        host: Option<String>,
    },

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

    /// A walk over the pages could not finish complete (see [`Paginator`](crate::Paginator)).
    #[error("the walk is incomplete: {0}")]
    Walk(crate::WalkError),

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

    /// A search with a query and labels was answered by a server whose search ignores
    /// labels: the newer upstream versions, those that answer with `meta.has_more`, apply
    /// labels to a listing only, and their page holds contacts without the labels. Never
    /// returned as a success: list with the labels instead ([`Client::contacts`](crate::Client::contacts)),
    /// or search without them.
    #[error(
        "the server's search ignores `labels` (a version that answers with `has_more`): its \
         contacts are not filtered by them; list with the labels and no query instead, or \
         search without labels"
    )]
    #[non_exhaustive]
    LabelsNotApplied {
        /// The labels the search asked for.
        labels: Vec<String>,
    },

    /// The request did not complete: connection refused or closed, timeout, body cut off.
    /// It names the host; its [`source`](std::error::Error::source) chain says what happened.
    #[error(transparent)]
    Transport(TransportError),

    /// The sandbox (`Sandbox`, feature `sandbox`) could not start: its loopback port could not be
    /// bound, or its data could not be read.
    #[error("the sandbox could not start")]
    SandboxStart(#[source] std::io::Error),
}

/// What [`Error::Api`] and [`TransportError`] add when a retry was due but the budget was spent.
const BUDGET_SPENT: &str = " (not retried: the client's retry budget is spent after repeated \
     failures; it refills as requests succeed)";

/// What kind of failure an [`Error`] is, for handling whole classes alike: the command
/// line's exit codes are these kinds.
///
/// ```
/// use livedesk::{Credentials, ErrorKind};
///
/// let error = Credentials::new("", "secret").unwrap_err();
/// assert_eq!(error.kind(), ErrorKind::Auth);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Refused before any request (a bad argument or setting), a listing the server
    /// refused for lacking a query, or a search with labels on a server whose search ignores
    /// them: the call must change.
    Usage,
    /// Credentials missing or malformed, or refused by the server (`401`, `403`).
    Auth,
    /// Still throttled (`429`) after waiting as long as the retry policy allows.
    RateLimited,
    /// No connection, a timeout, or a connection cut: the network or the host.
    Network,
    /// The server failed (`5xx`, other statuses), or sent what the client cannot use (a body
    /// that does not decode or is too large, a redirect, an order it was not asked for).
    Server,
    /// A walk over the pages could not finish complete ([`WalkError`](crate::WalkError)).
    Incomplete,
    /// Anything else: several contacts for an exact lookup, a build without TLS, a sandbox
    /// that could not start.
    Other,
}

impl From<ConfigError> for Error {
    fn from(error: ConfigError) -> Self {
        Self::Config(error)
    }
}

impl From<crate::WalkError> for Error {
    fn from(error: crate::WalkError) -> Self {
        Self::Walk(error)
    }
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
    /// [`ClientBuilder::headroom`](crate::ClientBuilder::headroom) was not a share from 0 to
    /// 0.9.
    #[error("the headroom must be a share of the limit from 0 to 0.9")]
    Headroom,
    /// [`ClientBuilder::timeout`](crate::ClientBuilder::timeout) (`"timeout"`) or
    /// [`ClientBuilder::connect_timeout`](crate::ClientBuilder::connect_timeout)
    /// (`"connect_timeout"`) was zero: no request could complete in it.
    #[error("the {0} is zero: no request could complete in it")]
    ZeroTimeout(&'static str),
}

/// A request that did not complete (connection refused or cut, timeout, body cut off):
/// which host it went to, never the URL or its query.
///
/// Its [`source`](std::error::Error::source) chain says what happened, one cause a link
/// (`error sending request`, ..., `Connection refused (os error 111)`), from the HTTP
/// library's errors with the URL taken out and repeated links dropped; the links are
/// opaque, as the library may change in any release.
///
/// ```no_run
/// # async fn run(client: livedesk::Client) {
/// if let Err(livedesk::Error::Transport(error)) = client.search("ada").send().await {
///     eprintln!("{error} (timeout: {})", error.is_timeout());
/// }
/// # }
/// ```
pub struct TransportError {
    host: Option<String>,
    timeout: bool,
    connect: bool,
    cause: Option<Box<Cause>>,
    retry_budget_spent: bool,
}

/// One link of a [`TransportError`]'s chain of causes: a message and the next link.
#[derive(Debug)]
struct Cause {
    message: String,
    next: Option<Box<Cause>>,
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Cause {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.next.as_deref().map(|next| next as _)
    }
}

impl TransportError {
    pub(crate) fn new(error: reqwest::Error) -> Self {
        let host = error.url().and_then(host_of);
        let (timeout, connect) = (error.is_timeout(), error.is_connect());
        let error = error.without_url();
        // reqwest wraps some causes twice (`request or response body error` over itself).
        let mut messages: Vec<String> = Vec::new();
        let mut link: Option<&(dyn std::error::Error + 'static)> = Some(&error);
        while let Some(e) = link {
            let message = e.to_string();
            if messages.last() != Some(&message) {
                messages.push(message);
            }
            link = e.source();
        }
        let cause = messages.into_iter().rev().fold(None, |next, message| {
            Some(Box::new(Cause { message, next }))
        });
        Self {
            host,
            timeout,
            connect,
            cause,
            retry_budget_spent: false,
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
        self.timeout
    }

    /// Whether the connection could not be opened.
    ///
    /// ```no_run
    /// # fn check(error: &livedesk::TransportError) {
    /// if error.is_connect() { /* is the base URL right? */ }
    /// # }
    /// ```
    pub fn is_connect(&self) -> bool {
        self.connect
    }

    /// The host (and port, when the URL names one) the request went to. It is not private;
    /// the query, which is, is never kept.
    ///
    /// ```no_run
    /// # fn check(error: &livedesk::TransportError) {
    /// eprintln!("cannot reach {}", error.host().unwrap_or("the server"));
    /// # }
    /// ```
    pub fn host(&self) -> Option<&str> {
        self.host.as_deref()
    }

    /// Whether a retry was due but not made because the client's retry budget is spent.
    ///
    /// ```no_run
    /// # fn check(error: &livedesk::TransportError) {
    /// if error.is_retry_budget_spent() { /* an outage: wait before trying again */ }
    /// # }
    /// ```
    pub fn is_retry_budget_spent(&self) -> bool {
        self.retry_budget_spent
    }
}

/// `host:port` of a URL (the port when it names one).
fn host_of(url: &url::Url) -> Option<String> {
    let host = url.host_str()?;
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    })
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = if self.timeout {
            "timed out"
        } else if self.connect {
            "could not connect"
        } else {
            "failed"
        };
        match &self.host {
            Some(host) => write!(f, "the request to {host} {what}")?,
            None => write!(f, "the request {what}")?,
        }
        if self.retry_budget_spent {
            f.write_str(BUDGET_SPENT)?;
        }
        Ok(())
    }
}

impl fmt::Debug for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut causes = Vec::new();
        let mut link = self.cause.as_deref();
        while let Some(cause) = link {
            causes.push(cause.message.as_str());
            link = cause.next.as_deref();
        }
        f.debug_struct("TransportError")
            .field("host", &self.host)
            .field("causes", &causes)
            .field("timeout", &self.timeout)
            .field("connect", &self.connect)
            .field("retry_budget_spent", &self.retry_budget_spent)
            .finish()
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause.as_deref().map(|cause| cause as _)
    }
}

impl Error {
    /// What kind of failure this is, as the command line's exit codes classify them.
    ///
    /// ```no_run
    /// use livedesk::ErrorKind;
    ///
    /// # async fn run(client: livedesk::Client) {
    /// match client.search("ada").send().await {
    ///     Ok(page) => println!("{} found", page.payload.len()),
    ///     Err(error) if error.kind() == ErrorKind::Auth => eprintln!("check the key pair"),
    ///     Err(error) if error.kind() == ErrorKind::Network => eprintln!("offline? {error}"),
    ///     Err(error) => eprintln!("{error}"),
    /// }
    /// # }
    /// ```
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Config(
                ConfigError::MissingVariable(_)
                | ConfigError::EmptyVariable(_)
                | ConfigError::NotUnicodeVariable(_)
                | ConfigError::EmptyKey
                | ConfigError::EmptySecret
                | ConfigError::ColonInKey
                | ConfigError::ControlCharacter(_),
            ) => ErrorKind::Auth,
            // Not the caller's settings: how the crate was built, or the system's TLS.
            Self::Config(ConfigError::NoTls | ConfigError::HttpClient(_)) => ErrorKind::Other,
            Self::Config(_)
            | Self::InvalidArgument { .. }
            | Self::QueryRequired { .. }
            | Self::LabelsNotApplied { .. } => ErrorKind::Usage,
            Self::Api { status, .. } => match status.as_u16() {
                401 | 403 => ErrorKind::Auth,
                429 => ErrorKind::RateLimited,
                _ => ErrorKind::Server,
            },
            Self::Decode { .. }
            | Self::BodyTooLarge { .. }
            | Self::Redirect { .. }
            | Self::SortNotApplied { .. } => ErrorKind::Server,
            Self::Transport(_) => ErrorKind::Network,
            Self::Walk(_) => ErrorKind::Incomplete,
            Self::SeveralMatches { .. } | Self::SandboxStart(_) => ErrorKind::Other,
        }
    }

    /// The HTTP status, when the server answered.
    ///
    /// ```
    /// # use livedesk::{Credentials, Error};
    /// let error = Credentials::new("", "secret").unwrap_err();
    /// assert_eq!(error.status(), None);
    /// ```
    pub fn status(&self) -> Option<StatusCode> {
        match self {
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
        matches!(self, Self::Transport(e) if e.is_timeout())
    }

    /// Whether a retry was due but not made because the client's retry budget is spent:
    /// many requests failed lately (an outage), and retrying would only add load. The budget
    /// refills as requests succeed. The error is otherwise the failure itself
    /// ([`Error::Api`] or [`Error::Transport`]).
    ///
    /// ```
    /// # use livedesk::Credentials;
    /// let error = Credentials::new("", "secret").unwrap_err();
    /// assert!(!error.is_retry_budget_spent());
    /// ```
    pub fn is_retry_budget_spent(&self) -> bool {
        match self {
            Self::Api {
                retry_budget_spent, ..
            } => *retry_budget_spent,
            Self::Transport(e) => e.retry_budget_spent,
            _ => false,
        }
    }

    /// A transport error without a host (reqwest names none for a body cut off) takes the
    /// base URL's: the only host requests go to, as redirects are not followed.
    pub(crate) fn with_host_of(mut self, base_url: &str) -> Self {
        if let Self::Transport(e) = &mut self
            && e.host.is_none()
        {
            e.host = url::Url::parse(base_url).ok().as_ref().and_then(host_of);
        }
        self
    }

    /// This error without the query `q` in what the server said (a server or gateway may
    /// echo it): its message, or the excerpt of a body that is not JSON (a JSON one's values
    /// are left out already, and a decoder's message quotes none).
    pub(crate) fn without_query(self, q: &str) -> Self {
        self.server_text_mapped(|text| crate::redact::query_left_out(text, q))
    }

    /// This error without the API secret in what the server said (see
    /// [`Credentials::left_out_of`](crate::Credentials)).
    pub(crate) fn without_secret(self, credentials: &crate::Credentials) -> Self {
        self.server_text_mapped(|text| credentials.left_out_of(text))
    }

    /// This error with `map` applied to what the server said: the message of an answer, or
    /// the excerpt of a body that could not be decoded.
    fn server_text_mapped(mut self, map: impl Fn(&str) -> String) -> Self {
        match &mut self {
            Self::Api { message, .. } => *message = map(message),
            // The path names a map's keys as the server wrote them
            // (`custom_attributes.<key>`), and a key may hold the query (review 107).
            Self::Decode { excerpt, path, .. } => {
                *excerpt = map(excerpt);
                *path = map(path);
            }
            _ => {}
        }
        self
    }

    /// This error, marked as not retried for want of retry budget.
    pub(crate) fn with_retry_budget_spent(mut self) -> Self {
        match &mut self {
            Self::Api {
                retry_budget_spent, ..
            } => *retry_budget_spent = true,
            Self::Transport(e) => e.retry_budget_spent = true,
            _ => {}
        }
        self
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
        // Only documented success codes are decoded, and the spec documents only 200.
        E::ResponseBodyError(e) => body_error(StatusCode::OK, e),
        // No request could be made of the arguments (review 106: a query of 70,000
        // characters, past the longest URL there is), which no network would cure.
        E::CommunicationError(e) if e.is_builder() => Error::InvalidArgument {
            argument: "request",
            reason: "no request can be made of it: its URL, the query included, is too long".into(),
        },
        E::CommunicationError(e) | E::InvalidUpgrade(e) => Error::Transport(TransportError::new(e)),
        E::InvalidResponsePayload(body, error) => {
            // Its message may quote a value as long as the body: gone before decoding again.
            drop(error);
            decode_error::<T>(StatusCode::OK, &body)
        }
        E::ErrorResponse(response) => api_error(response.status(), response.headers(), b""),
        E::UnexpectedResponse(response) => {
            let status = response.status();
            // `304` answers a conditional request, which the client never sends: no
            // redirect, a status the spec does not document (review 107).
            if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
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

/// A body that could not be read: refused (over the cap, or estimated to decode past a
/// multiple of it: see `src/transport.rs`), or cut off.
fn body_error(status: StatusCode, error: reqwest::Error) -> Error {
    use crate::transport::BodyRefused;
    let mut source = std::error::Error::source(&error);
    while let Some(e) = source {
        match e.downcast_ref::<BodyRefused>() {
            Some(&BodyRefused::TooLarge { limit }) => {
                return Error::BodyTooLarge { status, limit };
            }
            Some(&BodyRefused::TooDense { cap }) => {
                return Error::Decode {
                    status,
                    path: ".".into(),
                    message: format!(
                        "the body would decode to more than {} times the {cap}-byte cap \
                         (see `ClientBuilder::max_body_size`): it is dense with values, far \
                         more than a page of contacts holds",
                        crate::decoded::DECODED_PER_CAP
                    ),
                    excerpt: String::new(),
                };
            }
            None => {}
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

/// The names of the spec's query parameters (their setters' names).
#[cfg(test)]
pub(crate) fn spec_parameters() -> impl Iterator<Item = &'static str> {
    PARAMETER_RULES.iter().map(|(name, ..)| *name)
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
            // A map's key in the path is as the server wrote it: one line, as a message is.
            let path = crate::response::one_line(&crate::response::excerpt(&e.path().to_string()));
            let inner = e.into_inner();
            let (line, column) = (inner.line(), inner.column());
            // serde_json's message ends with the position, which the excerpt shows instead.
            let message = inner.to_string();
            let message = match message.rfind(" at line ") {
                Some(end) => &message[..end],
                None => &message,
            };
            let message =
                crate::response::one_line(&crate::redact::quoted_values_left_out(message));
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
/// failed, without the rest of the body, which holds other contacts' data, and with its
/// values left out (the contact failing may be the one holding the query).
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
    let text = crate::redact::values_left_out(body, start, end);
    let text = String::from_utf8_lossy(&text);
    // Lossy decoding of a window cut mid-character shows its ends as U+FFFD; trim those.
    let text = text.trim_matches('\u{FFFD}');
    format!(
        "{}{text}{}",
        if start > 0 { "…" } else { "" },
        if end < body.len() { "…" } else { "" }
    )
}

/// A wait in whole seconds, rounded up: a `Retry-After` date half a second ahead is a wait
/// of 1 s, not of 0.
fn whole_seconds(wait: Duration) -> u64 {
    wait.as_secs()
        .saturating_add(u64::from(wait.subsec_nanos() > 0))
}

/// Builds [`Error::Api`] from any error response.
fn api_error(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Error {
    Error::Api {
        status,
        message: server_message(status, body),
        retry_after: retry_after(headers),
        retry_budget_spent: false,
    }
}

#[cfg(test)]
mod tests {
    use super::PARAMETER_RULES;

    /// The wait an error shows is rounded up to whole seconds (a date half a second ahead
    /// showed "0 s"), and the longest one does not overflow.
    #[test]
    fn an_error_shows_the_wait_asked_in_whole_seconds_rounded_up() {
        use std::time::Duration;
        let shown = |wait: Duration| {
            super::Error::Api {
                status: http::StatusCode::TOO_MANY_REQUESTS,
                message: "Retry later".into(),
                retry_after: Some(wait),
                retry_budget_spent: false,
            }
            .to_string()
        };
        assert!(shown(Duration::from_millis(400)).contains("retry after 1 s"));
        assert!(shown(Duration::from_secs(2)).contains("retry after 2 s"));
        assert!(shown(Duration::MAX).contains(&format!("retry after {} s", u64::MAX)));
    }

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
