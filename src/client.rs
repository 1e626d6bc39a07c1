//! Building a [`Client`]: credentials, base URL, HTTP settings, retries and rate limits.

use std::{net::IpAddr, sync::Arc, time::Duration};

use reqwest::{
    Url,
    header::{self, HeaderMap, HeaderValue},
};

use crate::{
    Client, Credentials, Error, RateLimit, RetryPolicy, auth::env_var, rate_limit::Limiter,
    transport::Transport,
};

/// Where LiveDesk's API lives; clients use it unless told otherwise.
///
/// ```
/// assert!(livedesk::DEFAULT_BASE_URL.starts_with("https://"));
/// ```
pub const DEFAULT_BASE_URL: &str = "https://livedesk-api.engagelab.com";

/// Environment variable read by [`Client::from_env`] for another base URL.
pub(crate) const BASE_URL_VAR: &str = "LIVEDESK_BASE_URL";

const USER_AGENT: &str = concat!("livedesk-rust/", env!("CARGO_PKG_VERSION"));

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
        }
    }

    /// A client with default settings from `LIVEDESK_API_KEY`, `LIVEDESK_API_SECRET` and,
    /// if set, `LIVEDESK_BASE_URL`.
    ///
    /// ```no_run
    /// # async fn run() -> livedesk::Result<()> {
    /// let client = livedesk::Client::from_env()?;
    /// let page = client.search_contacts().q("support").send().await?;
    /// # Ok(()) }
    /// ```
    pub fn from_env() -> Result<Self, Error> {
        let mut builder = Self::builder(Credentials::from_env()?);
        if std::env::var_os(BASE_URL_VAR).is_some() {
            builder = builder.base_url(env_var(BASE_URL_VAR)?);
        }
        builder.build()
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
/// | rate limit | none |
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
#[derive(Clone, Debug)]
pub struct ClientBuilder {
    credentials: Credentials,
    base_url: String,
    timeout: Duration,
    connect_timeout: Duration,
    retry: RetryPolicy,
    rate_limit: Option<RateLimit>,
}

impl ClientBuilder {
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

    /// Longest wait for one attempt, from sending to the whole answer.
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

    /// Longest wait for a connection to open.
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

    /// Spaces requests to stay under a rate, across all clones of the built client.
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

    /// Checks the settings and builds the client.
    ///
    /// ```
    /// let client = livedesk::Client::builder(livedesk::Credentials::new("k", "s")?).build()?;
    /// # Ok::<(), livedesk::Error>(())
    /// ```
    pub fn build(self) -> Result<Client, Error> {
        let base_url = check_base_url(&self.base_url)?;
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, self.credentials.authorization());
        // The product documentation lists it as a request header; gateways may expect it.
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .default_headers(headers)
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .build()
            .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?;
        let transport = Transport {
            retry: self.retry,
            limiter: self.rate_limit.map(|limit| Arc::new(Limiter::new(limit))),
        };
        Ok(Client::new_with_client(&base_url, http, transport))
    }
}

/// The base URL without a trailing slash, if it is safe to send credentials to.
fn check_base_url(base_url: &str) -> Result<String, Error> {
    let url = Url::parse(base_url)
        .map_err(|e| Error::Config(format!("the base URL {base_url:?} is not a URL: {e}")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::Config(
            "the base URL must not carry credentials".into(),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::Config(format!(
            "the base URL {base_url:?} must not have a query or fragment"
        )));
    }
    let loopback = match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(Error::Config(format!(
                "the base URL {base_url:?} is not https: credentials must not travel in clear text \
                 (plain http is allowed for loopback hosts only)"
            )));
        }
        other => {
            return Err(Error::Config(format!(
                "the base URL's scheme {other:?} is not https"
            )));
        }
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::check_base_url;

    #[test]
    fn base_urls() {
        assert_eq!(
            check_base_url("https://example.com/").unwrap(),
            "https://example.com"
        );
        assert_eq!(
            check_base_url("https://example.com/stem/").unwrap(),
            "https://example.com/stem"
        );
        for ok in [
            "http://127.0.0.1:9",
            "http://127.8.0.1",
            "http://[::1]:80",
            "http://LOCALHOST",
        ] {
            assert!(check_base_url(ok).is_ok(), "{ok}");
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
