//! Building a [`Client`]: credentials, base URL, HTTP settings, retries and rate limits.

use std::{fmt, sync::Arc, time::Duration};

use reqwest::{Url, header::HeaderMap};

use crate::{
    ConfigError, Credentials, Error, Pacing, RateLimit, RetryPolicy, Search, auth::env_var,
    generated, network, pacer::Pacer, retry::RetryBudget, transport::Transport,
};

/// Where LiveDesk's API lives; clients use it unless told otherwise.
///
/// ```
/// assert!(livedesk::DEFAULT_BASE_URL.starts_with("https://"));
/// ```
pub const DEFAULT_BASE_URL: &str = "https://livedesk-api.engagelab.com";

/// Environment variable read by [`Client::from_env`] for another base URL.
pub(crate) const BASE_URL_VAR: &str = "LIVEDESK_BASE_URL";

/// The default cap on a success body: far above a real page of 15 contacts (a few KiB to a
/// few hundred KiB), far below what would hurt.
const DEFAULT_MAX_BODY_SIZE: usize = 16 * 1024 * 1024;

/// A LiveDesk API client: one key pair, one base URL, and the settings every request goes
/// through (retries, rate limit, timeouts).
///
/// Cheap to clone: clones share one connection pool, one rate limit and one retry budget, so
/// hand them to as many tasks as you like. `Debug` shows the base URL and the API key, never
/// the secret.
///
/// ```no_run
/// use livedesk::{Client, Credentials};
///
/// # async fn run() -> livedesk::Result<()> {
/// let client = Client::builder(Credentials::new("my-key", "my-secret")?).build()?;
/// let page = client.search("support@engagelab.com").send().await?;
/// println!("{:?} contacts match", page.meta.total());
/// # Ok(()) }
/// ```
///
/// The HTTP client underneath is not reachable, so nothing can send the credentials past the
/// base URL check:
///
/// ```compile_fail,E0277
/// # let client = livedesk::Client::builder(livedesk::Credentials::new("k", "s")?).build()?;
/// let http: &reqwest::Client = progenitor_client::ClientInfo::client(&client);
/// # Ok::<(), livedesk::Error>(())
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    engine: generated::Client,
    /// How the server reads `direction`, once seen (src/order.rs).
    order: crate::order::Learned,
    base_url: String,
    /// For `Debug` (the key) and to take the secret out of what a server says.
    credentials: Credentials,
}

impl Client {
    /// Starts building a client for this key pair.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use livedesk::{Client, Credentials, RetryPolicy};
    ///
    /// let client = Client::builder(Credentials::new("my-key", "my-secret")?)
    ///     .timeout(Duration::from_secs(10))
    ///     .retry(RetryPolicy::default().max_attempts(6))
    ///     .build()?;
    /// # Ok::<(), livedesk::Error>(())
    /// ```
    pub fn builder(credentials: Credentials) -> ClientBuilder {
        ClientBuilder {
            credentials,
            base_url: DEFAULT_BASE_URL.to_owned(),
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            rate_limit: None,
            headroom: 0.0,
            max_body_size: DEFAULT_MAX_BODY_SIZE,
            network: network::Settings::default(),
        }
    }

    /// A client with default settings from `LIVEDESK_API_KEY`, `LIVEDESK_API_SECRET` and,
    /// if set, `LIVEDESK_BASE_URL`; [`ClientBuilder::from_env`] reads the same and lets you
    /// change the other settings.
    ///
    /// ```no_run
    /// # async fn run() -> livedesk::Result<()> {
    /// let client = livedesk::Client::from_env()?;
    /// let page = client.search("support").send().await?;
    /// # Ok(()) }
    /// ```
    pub fn from_env() -> Result<Self, Error> {
        ClientBuilder::from_env()?.build()
    }

    /// Every contact of the account, with no query: filter it by label, sort it, then
    /// [`send`](Search::send) it for one page or [`paginate`](Search::paginate) it for all.
    /// This is how to export "everything".
    ///
    /// Upstream, only contacts with an email, a phone number or an identifier are ever
    /// listed; a contact with none of the three is never returned, by any request. A server
    /// (or gateway) that requires a query answers with [`Error::QueryRequired`], never with an
    /// empty success.
    ///
    /// ```no_run
    /// use livedesk::{SortDirection, SortField};
    ///
    /// # async fn run(client: livedesk::Client) -> livedesk::Result<()> {
    /// let vips = client
    ///     .contacts()
    ///     .label("vip")
    ///     .sort(SortField::CreatedAt)
    ///     .direction(SortDirection::Asc)
    ///     .paginate()
    ///     .collect()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn contacts(&self) -> Search {
        Search::new(self.clone(), None)
    }

    /// A search for contacts whose name, email, phone number, company name or identifier
    /// contains `q` (upstream's fields; newer versions differ, as `docs/search.md` says).
    /// A blank query is refused before any request, as it is not the same as no query: use
    /// [`contacts`](Self::contacts) to list everyone. The server
    /// reads `%` and `_` in `q` as wildcards; [`search_literal`](Self::search_literal)
    /// searches for them as they are. Set the other parameters on the returned [`Search`],
    /// then [`send`](Search::send) it or [`paginate`](Search::paginate) it.
    ///
    /// ```no_run
    /// # async fn run(client: livedesk::Client) -> livedesk::Result<()> {
    /// let page = client.search("+8613800000000").send().await?;
    /// # Ok(()) }
    /// ```
    pub fn search(&self, q: impl Into<String>) -> Search {
        Search::new(self.clone(), Some(q.into()))
    }

    /// A search for `text` as it is: its `%`, `_` and `\` are escaped, so that the server
    /// (which reads them as `LIKE` wildcards and escape) matches them literally.
    ///
    /// ```no_run
    /// # async fn run(client: livedesk::Client) -> livedesk::Result<()> {
    /// // Finds `user_42`, not `userX42`.
    /// let page = client.search_literal("user_42").send().await?;
    /// # Ok(()) }
    /// ```
    pub fn search_literal(&self, text: &str) -> Search {
        self.search(crate::lookup::escape_wildcards(text))
    }

    /// What the client has found out about the rate limit, shared by its clones: the limit's
    /// shape and numbers, the rate it runs at, and its requests and `429`s so far.
    ///
    /// Without a [`RateLimit`] set on the builder, the client models the server's limiter
    /// from its answers (the model is described in `docs/rate-limits.md`): before the first
    /// `429` it sends freely; a `429` pauses it until the throttle lifts (one probe at a
    /// time, at the boundaries of windows on the clock of 1 s, 2 s, 3 s, 5 s … an hour, or
    /// exactly as long as a `Retry-After` says, for every request of the client); two lifts
    /// tell a fixed window (an allowance each period, its boundaries placed in time) from a
    /// limiter whose capacity returns gradually (a sustained rate). Then it spreads each
    /// window's allowance, less the [`ClientBuilder::headroom`], between the boundaries it
    /// predicts, or paces at the rate, and learns again when answers contradict the model.
    /// `cargo bench --bench ratelimit` measures it against simulated limiters and over real
    /// sockets.
    ///
    /// ```no_run
    /// # async fn run(client: livedesk::Client) -> livedesk::Result<()> {
    /// let everyone = client.contacts().paginate().collect().await?;
    /// let pacing = client.pacing();
    /// println!("{:?}; {} of {} requests throttled", pacing.shape(), pacing.throttled_requests(), pacing.requests());
    /// if let Some(per_minute) = pacing.requests_per_minute() {
    ///     println!("the client runs at about {per_minute:.0} searches a minute");
    /// }
    /// # Ok(()) }
    /// ```
    pub fn pacing(&self) -> Pacing {
        self.inner.engine.inner.pacer.pacing()
    }

    /// Whether the client is waiting for a throttle to lift right now: after a `429`, until a
    /// request gets through (or for as long as a `Retry-After` said). For progress displays.
    ///
    /// ```no_run
    /// # async fn run(client: livedesk::Client) {
    /// if client.is_throttled() {
    ///     eprintln!("rate limited, waiting…");
    /// }
    /// # }
    /// ```
    pub fn is_throttled(&self) -> bool {
        self.pacing().is_throttled()
    }

    /// Whether this client (or a clone) saw the server ignore `direction`, and so asks for
    /// descending orders as `sort=-field`, as the server LiveDesk is built on reads them.
    /// The client checks the order of the first answers it gets to a sorted search, where
    /// the order can be seen (`created_at`, `last_activity_at`, `name`, `email`,
    /// `phone_number`), and learns this from them.
    ///
    /// ```no_run
    /// # async fn run(client: livedesk::Client) -> livedesk::Result<()> {
    /// use livedesk::{SortDirection, SortField};
    /// let newest = client.search("@").sort(SortField::CreatedAt).direction(SortDirection::Desc);
    /// newest.send().await?;
    /// if client.sorts_descending_with_minus() {
    ///     eprintln!("the server ignores `direction`; asking `sort=-created_at` instead");
    /// }
    /// # Ok(()) }
    /// ```
    pub fn sorts_descending_with_minus(&self) -> bool {
        self.inner.order.is_ignored()
    }

    pub(crate) fn learned_order(&self) -> &crate::order::Learned {
        &self.inner.order
    }

    pub(crate) fn engine(&self) -> &generated::Client {
        &self.inner.engine
    }

    pub(crate) fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    pub(crate) fn credentials(&self) -> &Credentials {
        &self.inner.credentials
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url)
            .field("api_key", &self.inner.credentials.api_key())
            .finish_non_exhaustive()
    }
}

/// Settings for a [`Client`]; made by [`Client::builder`].
///
/// | setting | default |
/// |---|---|
/// | base URL | [`DEFAULT_BASE_URL`] |
/// | timeout per attempt | 30 s |
/// | connect timeout | 10 s |
/// | retries | [`RetryPolicy::default`] |
/// | rate limit | none: learnt from the server |
/// | headroom | 0: the whole learnt limit is used |
/// | largest success body | 16 MiB |
/// | trusted roots | the system's (plus [`add_root_certificates`](Self::add_root_certificates)) |
/// | proxy | from the environment (`HTTPS_PROXY`, ...), never for a loopback base URL |
/// | User-Agent | `livedesk-rust/VERSION` (plus [`user_agent_suffix`](Self::user_agent_suffix)) |
///
/// ```
/// use std::time::Duration;
/// use livedesk::{Client, Credentials};
///
/// let builder = Client::builder(Credentials::new("my-key", "my-secret")?)
///     .connect_timeout(Duration::from_secs(5));
/// // `Debug` is safe to log: it shows the key, never the secret.
/// assert!(!format!("{builder:?}").contains("my-secret"));
/// let client = builder.build()?;
/// # Ok::<(), livedesk::Error>(())
/// ```
#[derive(Clone)]
#[must_use = "a builder makes no client until `build`"]
pub struct ClientBuilder {
    credentials: Credentials,
    base_url: String,
    timeout: Duration,
    connect_timeout: Duration,
    retry: RetryPolicy,
    rate_limit: Option<RateLimit>,
    headroom: f64,
    max_body_size: usize,
    network: network::Settings,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("credentials", &self.credentials)
            // Not checked until `build`: it may carry a password or a query.
            .field("base_url", &network::shown(&self.base_url))
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("retry", &self.retry)
            .field("rate_limit", &self.rate_limit)
            .field("headroom", &self.headroom)
            .field("max_body_size", &self.max_body_size)
            .field("network", &self.network)
            .finish()
    }
}

impl ClientBuilder {
    /// A builder with the key pair from `LIVEDESK_API_KEY` and `LIVEDESK_API_SECRET`, and
    /// the base URL from `LIVEDESK_BASE_URL` if it is set; every other setting can then be
    /// changed, as on [`Client::builder`]. A variable that is missing, empty or not UTF-8 is
    /// an [`Error::Config`] naming it (the base URL itself is checked by [`build`](Self::build)).
    ///
    /// ```no_run
    /// use std::time::Duration;
    ///
    /// let client = livedesk::ClientBuilder::from_env()?
    ///     .timeout(Duration::from_secs(10))
    ///     .user_agent_suffix("nightly-export/1.0")
    ///     .build()?;
    /// # Ok::<(), livedesk::Error>(())
    /// ```
    pub fn from_env() -> Result<Self, Error> {
        let mut builder = Client::builder(Credentials::from_env()?);
        if std::env::var_os(BASE_URL_VAR).is_some() {
            builder = builder.base_url(env_var(BASE_URL_VAR)?);
        }
        Ok(builder)
    }

    /// Another base URL (a proxy, a test server). It must be `https`, except on loopback
    /// hosts, so that credentials never travel in clear text.
    ///
    /// ```
    /// # use livedesk::{Client, Credentials};
    /// let credentials = Credentials::new("key", "secret")?;
    /// assert!(Client::builder(credentials.clone()).base_url("http://127.0.0.1:8080").build().is_ok());
    /// assert!(Client::builder(credentials).base_url("http://example.com").build().is_err());
    /// # Ok::<(), livedesk::Error>(())
    /// ```
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self
    }

    /// Longest wait for one attempt, from sending to the whole answer (zero is refused by
    /// [`build`](Self::build) with [`ConfigError::ZeroTimeout`]).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # let builder = livedesk::Client::builder(livedesk::Credentials::new("k", "s")?);
    /// let builder = builder.timeout(Duration::from_secs(5));
    /// # Ok::<(), livedesk::Error>(())
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Longest wait for a connection to open (zero is refused by [`build`](Self::build) with
    /// [`ConfigError::ZeroTimeout`]).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # let builder = livedesk::Client::builder(livedesk::Credentials::new("k", "s")?);
    /// let builder = builder.connect_timeout(Duration::from_secs(3));
    /// # Ok::<(), livedesk::Error>(())
    /// ```
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How failed attempts are retried; [`RetryPolicy::disabled`] turns retries off.
    ///
    /// ```
    /// # let builder = livedesk::Client::builder(livedesk::Credentials::new("k", "s")?);
    /// let builder = builder.retry(livedesk::RetryPolicy::disabled());
    /// # Ok::<(), livedesk::Error>(())
    /// ```
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Spaces requests to stay under a rate you know, across all clones of the built client;
    /// the client then never changes its pace (see [`Client::pacing`] for what it does
    /// without one).
    ///
    /// ```
    /// # use std::num::NonZeroU32;
    /// # let builder = livedesk::Client::builder(livedesk::Credentials::new("k", "s")?);
    /// let builder = builder.rate_limit(livedesk::RateLimit::per_minute(NonZeroU32::new(90).unwrap()));
    /// # Ok::<(), livedesk::Error>(())
    /// ```
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate_limit = Some(limit);
        self
    }

    /// Leaves this share of the learnt limit (0 to 0.9, else [`build`](Self::build) refuses it
    /// with [`ConfigError::Headroom`]; default 0) to the account's other
    /// users, such as agents searching in the LiveDesk dashboard: the client then sends at
    /// most `1 - share` of what each window (or the rate, once two throttles have measured
    /// it) allows, over the export. It has no effect on a [`rate_limit`](Self::rate_limit)
    /// set explicitly.
    ///
    /// ```
    /// # let builder = livedesk::Client::builder(livedesk::Credentials::new("k", "s")?);
    /// // Leave a fifth of the account's searches to the agents.
    /// let builder = builder.headroom(0.2);
    /// # Ok::<(), livedesk::Error>(())
    /// ```
    pub fn headroom(mut self, share: f64) -> Self {
        self.headroom = share;
        self
    }

    /// The largest success body read, in bytes (default 16 MiB). A larger one stops being
    /// read at the cap and is an [`Error::BodyTooLarge`], not retried. Nor may a body decode
    /// to more than four times the cap, as estimated from what each part of it decodes into
    /// before decoding: one dense with values (`0,0,…`, which decodes to 21 times its bytes,
    /// or an attribute map of short keys, 18 times, or of arrays of one, 44 times) is an
    /// [`Error::Decode`], not retried, while an honest page is estimated at 5 to 10 times its
    /// bytes: pages of tens of kilobytes pass at any cap of a megabyte or more. Error bodies
    /// are always cut at 64 KiB, which holds more than any message needs.
    ///
    /// ```
    /// # let builder = livedesk::Client::builder(livedesk::Credentials::new("k", "s")?);
    /// let builder = builder.max_body_size(1024 * 1024);
    /// # Ok::<(), livedesk::Error>(())
    /// ```
    pub fn max_body_size(mut self, bytes: usize) -> Self {
        self.max_body_size = bytes;
        self
    }

    /// Trusts the certificates of this PEM bundle (one or several `-----BEGIN CERTIFICATE-----`
    /// blocks) as roots, besides the system's: for a network whose proxy inspects TLS with
    /// its own certificate authority. Call it again to add more bundles. The bundle is read by
    /// [`build`](Self::build), which refuses one with no certificate in it
    /// ([`ConfigError::InvalidRootCertificate`]).
    ///
    /// ```no_run
    /// # let builder = livedesk::Client::builder(livedesk::Credentials::new("k", "s")?);
    /// let corporate_ca = std::fs::read("/etc/ssl/corporate-ca.pem")?;
    /// let client = builder.add_root_certificates(corporate_ca).build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add_root_certificates(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.network.roots.0.push(pem.into());
        self
    }

    /// Sends every request through this HTTP proxy (`http://` or `https://`, with
    /// `user:password@` if it needs them), instead of one from the environment. The URL is
    /// checked by [`build`](Self::build); its user name and password never show in `Debug`
    /// or in errors. Requests to the API are https, so the proxy sees where they go but not
    /// what they carry. A plain-http base URL (a loopback test server) may only go through a
    /// loopback proxy.
    ///
    /// ```
    /// # let builder = livedesk::Client::builder(livedesk::Credentials::new("k", "s")?);
    /// let builder = builder.proxy("http://ops:pa55word@proxy.example.com:3128");
    /// assert!(!format!("{builder:?}").contains("pa55word"));
    /// let client = builder.build()?;
    /// # Ok::<(), livedesk::Error>(())
    /// ```
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.network.proxy = network::Proxy::Url(url.into());
        self
    }

    /// Sends no request through a proxy, whatever the environment says (`HTTPS_PROXY`,
    /// `HTTP_PROXY`, `ALL_PROXY`, which are read by default, as curl reads them).
    ///
    /// ```
    /// # let builder = livedesk::Client::builder(livedesk::Credentials::new("k", "s")?);
    /// let client = builder.no_proxy().build()?;
    /// # Ok::<(), livedesk::Error>(())
    /// ```
    pub fn no_proxy(mut self) -> Self {
        self.network.proxy = network::Proxy::Off;
        self
    }

    /// Names the application in the `User-Agent` header, after the crate's own
    /// (`livedesk-rust/0.1.0 nightly-export/2.1`), so that the account's administrators can
    /// tell its requests apart. Visible ASCII and spaces only ([`build`](Self::build) refuses
    /// anything else with [`ConfigError::InvalidUserAgent`]).
    ///
    /// ```
    /// # let builder = livedesk::Client::builder(livedesk::Credentials::new("k", "s")?);
    /// let client = builder.user_agent_suffix("nightly-export/2.1").build()?;
    /// # Ok::<(), livedesk::Error>(())
    /// ```
    pub fn user_agent_suffix(mut self, suffix: impl Into<String>) -> Self {
        self.network.user_agent_suffix = Some(suffix.into());
        self
    }

    /// Checks the settings and builds the client.
    ///
    /// ```
    /// let client = livedesk::Client::builder(livedesk::Credentials::new("k", "s")?).build()?;
    /// # Ok::<(), livedesk::Error>(())
    /// ```
    pub fn build(self) -> Result<Client, Error> {
        let (base_url, loopback) = check_base_url(&self.base_url)?;
        if !(0.0..=0.9).contains(&self.headroom) {
            return Err(ConfigError::Headroom.into());
        }
        // Every attempt would time out at once, and be retried until the budget is spent.
        if self.timeout.is_zero() {
            return Err(ConfigError::ZeroTimeout("timeout").into());
        }
        if self.connect_timeout.is_zero() {
            return Err(ConfigError::ZeroTimeout("connect_timeout").into());
        }
        let mut headers = HeaderMap::new();
        headers.insert(
            reqwest::header::AUTHORIZATION,
            self.credentials.authorization(),
        );
        // The documentation's header table and both its examples send it with this `GET`,
        // although there is no body: a gateway may expect what the documentation shows.
        headers.insert(
            reqwest::header::CONTENT_TYPE,
            reqwest::header::HeaderValue::from_static("application/json"),
        );
        let http = || {
            reqwest::Client::builder()
                .default_headers(headers.clone())
                .timeout(self.timeout)
                .connect_timeout(self.connect_timeout)
                // A redirect would hand the URL, and so the query, to wherever it points.
                .redirect(reqwest::redirect::Policy::none())
                .referer(false)
        };
        let plain = base_url.starts_with("http:");
        let http = network::build(http, &self.network, plain, loopback)?;
        let pacer = Pacer::new(self.rate_limit, self.headroom, self.retry.longest_pause());
        let transport = Transport {
            retry: self.retry,
            pacer: Arc::new(pacer),
            budget: Arc::new(RetryBudget::new()),
            max_body: self.max_body_size,
        };
        Ok(Client {
            inner: Arc::new(Inner {
                engine: generated::Client::new_with_client(&base_url, http, transport),
                order: crate::order::Learned::default(),
                base_url,
                credentials: self.credentials,
            }),
        })
    }
}

/// The base URL without a trailing slash, if it is safe to send credentials to, and whether
/// its host is loopback.
fn check_base_url(base_url: &str) -> Result<(String, bool), ConfigError> {
    let url = Url::parse(base_url).map_err(|e| ConfigError::InvalidBaseUrl(e.to_string()))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ConfigError::CredentialsInBaseUrl);
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ConfigError::QueryInBaseUrl);
    }
    let loopback = url.host().as_ref().is_some_and(network::is_loopback);
    match url.scheme() {
        // Refused here rather than failing (and being retried) on every request.
        "https" if !cfg!(any(feature = "rustls", feature = "native-tls")) => {
            return Err(ConfigError::NoTls);
        }
        "https" => {}
        "http" if loopback => {}
        "http" => return Err(ConfigError::InsecureBaseUrl),
        other => return Err(ConfigError::UnsupportedScheme(other.to_owned())),
    }
    Ok((url.as_str().trim_end_matches('/').to_owned(), loopback))
}

#[cfg(test)]
mod tests {
    use super::check_base_url;

    #[test]
    fn base_urls() {
        assert_eq!(
            check_base_url("https://example.com/").unwrap(),
            ("https://example.com".to_owned(), false)
        );
        assert_eq!(
            check_base_url("https://example.com/stem/").unwrap(),
            ("https://example.com/stem".to_owned(), false)
        );
        for ok in [
            "http://127.0.0.1:9",
            "http://127.8.0.1",
            "http://[::1]:80",
            "http://LOCALHOST",
        ] {
            assert!(check_base_url(ok).unwrap().1, "{ok}");
        }
        for bad in [
            "http://example.com",
            "http://10.0.0.1",
            "ftp://example.com",
            "example.com",
            "",
            "https://user:pw@example.com",
            "https://example.com/?x=1",
            "http://localhost.example.com",
        ] {
            assert!(check_base_url(bad).is_err(), "{bad}");
        }
    }
}
