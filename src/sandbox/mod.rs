//! A local LiveDesk server for tests, demos and offline work (feature `sandbox`).

mod data;
mod like;
mod load;
mod query;
mod server;

pub use load::SandboxData;

use std::{
    fmt, io,
    net::{Ipv4Addr, SocketAddr},
    sync::{Arc, Mutex, atomic::AtomicU64},
    time::Duration,
};

use tokio::{net::TcpListener, sync::oneshot};

use crate::{Client, ClientBuilder, Credentials};

/// A LiveDesk server on loopback, serving a seeded data set (or [your own](SandboxBuilder::data))
/// as the real API does.
///
/// It reads a request as the server LiveDesk is built on (Chatwoot) does, following its
/// source: Basic auth against its key pair, wrong or missing credentials answered with the
/// real `401` bodies; no `q` lists every contact (upstream's index action); `q` (stripped of
/// ASCII whitespace) matched as upstream's `ILIKE '%q%'` of name, email, phone number and
/// company name (ignoring case) and `LIKE` of the identifier (case-sensitively), `%` and
/// `_` wildcards, `\` their escape; only contacts with an email, a phone number or an
/// identifier listed or found; a blank `q` answered with an empty page and a `null` count;
/// `labels` any-match ignoring case, comma-separated names split; `page` read as Ruby's
/// `to_i`; 15 contacts a page with `meta.count` and `current_page` echoed as sent. It sorts
/// as the upstream scopes do: `name`, `email` and `phone_number` by their lower case with
/// nulls last ascending and first descending, the timestamps and the raw text of `company`,
/// `city` and `country` with nulls last both ways; an unknown sort key is ignored, and a
/// comma-separated list applies each key in the order the upstream controller declares them.
/// `sort=-field` descends, and so does `direction=desc` unless
/// [`ignore_direction`](SandboxBuilder::ignore_direction). It throttles as the real server
/// does: a fixed window per account (100 searches a minute by default), every request
/// counted before its credentials are checked (throttled ones too), `429` with the text
/// `Retry later`. Faults can be injected: latency, gateway errors, bodies cut short.
///
/// The generated data set is deterministic: the same seed and size give the same contacts.
/// Its first contacts are the awkward ones (CJK and emoji names, a name with a comma, quotes
/// and a newline, an empty and a null name, a null email, `+` phones, a contact in every
/// channel, one with neither email, phone number nor identifier, never listed), and its
/// tenth is the documentation's example contact (id 64464046, `support@engagelab.com`).
///
/// Where it differs from the real server: among equal sort keys its order is stable (by
/// id) unless [`unstable_ties`](SandboxBuilder::unstable_ties), and without `sort` it lists
/// the most recently active first; the real server has no tie-breaker, and its order may
/// differ between pages (sort a walk).
///
/// The server runs until the `Sandbox` is dropped; then it stops accepting connections and
/// closes each open one once its request in flight is answered.
///
/// ```
/// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use livedesk::Sandbox;
///
/// let sandbox = Sandbox::builder().contacts(40).start().await?;
/// let client = sandbox.client().build()?;
///
/// let page = client.search("ada").send().await?;
/// assert!(page.payload.iter().any(|c| c.name.as_deref() == Some("Ada Lovelace")));
/// # Ok(()) }
/// ```
pub struct Sandbox {
    base_url: String,
    credentials: Credentials,
    shared: Arc<server::Shared>,
    /// Dropped with the sandbox, it stops the server: no new connections, and open ones
    /// closed once their request in flight is answered.
    _stop: oneshot::Sender<()>,
}

impl Sandbox {
    /// The largest data set a sandbox serves: ten million contacts.
    ///
    /// ```
    /// assert_eq!(livedesk::Sandbox::MAX_CONTACTS, 10_000_000);
    /// ```
    pub const MAX_CONTACTS: usize = 10_000_000;

    /// Settings for a sandbox: see [`SandboxBuilder`] for each and its default.
    ///
    /// ```
    /// # #[tokio::main] async fn main() -> livedesk::Result<()> {
    /// let sandbox = livedesk::Sandbox::builder().contacts(1_000).seed(7).start().await?;
    /// # Ok(()) }
    /// ```
    pub fn builder() -> SandboxBuilder {
        SandboxBuilder::default()
    }

    /// The base URL to give [`ClientBuilder::base_url`], such as `http://127.0.0.1:40123`.
    ///
    /// ```
    /// # #[tokio::main] async fn main() -> livedesk::Result<()> {
    /// let sandbox = livedesk::Sandbox::builder().start().await?;
    /// assert!(sandbox.base_url().starts_with("http://127.0.0.1:"));
    /// # Ok(()) }
    /// ```
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The key pair the sandbox accepts.
    ///
    /// ```
    /// # #[tokio::main] async fn main() -> livedesk::Result<()> {
    /// let sandbox = livedesk::Sandbox::builder().start().await?;
    /// assert_eq!(sandbox.credentials().api_key(), "sandbox-key");
    /// # Ok(()) }
    /// ```
    pub fn credentials(&self) -> Credentials {
        self.credentials.clone()
    }

    /// A client builder with this sandbox's base URL and key pair, for further settings.
    ///
    /// ```
    /// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let sandbox = livedesk::Sandbox::builder().start().await?;
    /// let client = sandbox.client().retry(livedesk::RetryPolicy::disabled()).build()?;
    /// # Ok(()) }
    /// ```
    pub fn client(&self) -> ClientBuilder {
        Client::builder(self.credentials()).base_url(&self.base_url)
    }

    /// How many contacts it serves: the generated data set's size, or the contacts of its
    /// [`data`](SandboxBuilder::data).
    ///
    /// ```
    /// # #[tokio::main] async fn main() -> livedesk::Result<()> {
    /// let sandbox = livedesk::Sandbox::builder().contacts(40).start().await?;
    /// assert_eq!(sandbox.contacts(), 40);
    /// # Ok(()) }
    /// ```
    pub fn contacts(&self) -> usize {
        self.shared.index.len()
    }

    /// How many requests reached the search endpoint, throttled and failed ones included.
    ///
    /// ```
    /// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let sandbox = livedesk::Sandbox::builder().start().await?;
    /// sandbox.client().build()?.search("ada").send().await?;
    /// assert_eq!(sandbox.requests(), 1);
    /// # Ok(()) }
    /// ```
    pub fn requests(&self) -> u64 {
        self.shared
            .served
            .load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sandbox")
            .field("base_url", &self.base_url)
            .field("credentials", &self.credentials)
            .field("settings", &self.shared.settings)
            .finish()
    }
}

/// Settings for a [`Sandbox`]; made by [`Sandbox::builder`].
///
/// | setting | default |
/// |---|---|
/// | [`contacts`](Self::contacts) | 250 |
/// | [`seed`](Self::seed) | 1 |
/// | [`credentials`](Self::credentials) | `sandbox-key` / `sandbox-secret` |
/// | [`rate_limit`](Self::rate_limit) | 100 searches a minute |
/// | [`retry_after`](Self::retry_after) | off |
/// | [`has_more`](Self::has_more) | off (the documented shape: `count` is the total) |
/// | [`require_query`](Self::require_query) | off (no `q` lists every contact) |
/// | [`latency`](Self::latency), [`gateway_errors`](Self::gateway_errors), [`cut_bodies`](Self::cut_bodies) | none |
/// | [`ignore_direction`](Self::ignore_direction) | off: `direction` honoured, `sort=-field` too |
/// | [`unstable_ties`](Self::unstable_ties) | off: equal sort keys in id order on every page |
/// | [`bulk_imports`](Self::bulk_imports) | off: no two generated contacts share a second |
/// | [`port`](Self::port) | any free port on 127.0.0.1 |
#[derive(Debug)]
#[must_use = "a builder starts no sandbox until `start`"]
pub struct SandboxBuilder {
    contacts: usize,
    seed: u64,
    data: Option<SandboxData>,
    credentials: Option<Credentials>,
    port: u16,
    settings: Settings,
    unstable_ties: bool,
    bulk_imports: bool,
}

/// How the running server behaves.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// Requests a window allows, and the window's length.
    pub(crate) rate_limit: Option<(u32, Duration)>,
    pub(crate) retry_after: bool,
    pub(crate) has_more: bool,
    /// Answers a request without `q` with `422`, as a gateway that insists on a query would.
    pub(crate) require_query: bool,
    pub(crate) latency: Duration,
    pub(crate) gateway_errors: f64,
    pub(crate) cut_bodies: f64,
    /// Read `direction` as the upstream server does: not at all.
    pub(crate) ignore_direction: bool,
    /// Order contacts of equal sort keys differently for each page, from this seed (the
    /// data set's), as the upstream database's bounded heap sort may.
    pub(crate) unstable_ties: Option<u64>,
}

impl Default for SandboxBuilder {
    fn default() -> Self {
        SandboxBuilder {
            contacts: 250,
            seed: 1,
            data: None,
            credentials: None,
            port: 0,
            settings: Settings {
                rate_limit: Some((100, Duration::from_secs(60))),
                retry_after: false,
                has_more: false,
                require_query: false,
                latency: Duration::ZERO,
                gateway_errors: 0.0,
                cut_bodies: 0.0,
                ignore_direction: false,
                unstable_ties: None,
            },
            unstable_ties: false,
            bulk_imports: false,
        }
    }
}

impl SandboxBuilder {
    /// How many contacts the data set holds (in memory): at most [`Sandbox::MAX_CONTACTS`].
    ///
    /// ```
    /// let builder = livedesk::Sandbox::builder().contacts(100_000);
    /// ```
    pub fn contacts(mut self, count: usize) -> Self {
        self.contacts = count;
        self
    }

    /// The seed of the data set: the same seed and size give the same contacts.
    ///
    /// ```
    /// let builder = livedesk::Sandbox::builder().seed(42);
    /// ```
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Serves your own contacts instead of the generated data set ([`contacts`](Self::contacts)
    /// and [`seed`](Self::seed) are then unused): see [`SandboxData`] for the format, the
    /// checks and an example.
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// let data = livedesk::SandboxData::from_json(r#"[{"id": 1, "name": "Ada", "email": null,
    ///   "phone_number": "+442071234567", "identifier": null, "blocked": false, "thumbnail": "",
    ///   "availability_status": "offline", "additional_attributes": {}, "custom_attributes": {},
    ///   "created_at": 1700000000}]"#)?;
    /// let builder = livedesk::Sandbox::builder().data(data);
    /// # Ok(()) }
    /// ```
    pub fn data(mut self, data: SandboxData) -> Self {
        self.data = Some(data);
        self
    }

    /// The key pair the sandbox accepts.
    ///
    /// ```
    /// # fn main() -> livedesk::Result<()> {
    /// let builder = livedesk::Sandbox::builder()
    ///     .credentials(livedesk::Credentials::new("test-key", "test-secret")?);
    /// # Ok(()) }
    /// ```
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// The fixed window of the rate limit: `requests` searches in each `window`, counted
    /// from the epoch (a minute's windows start on the minute). Every request to the search
    /// counts, throttled ones included, and as upstream the throttle comes before the
    /// credentials are checked: requests with a wrong key pair or none count and are
    /// throttled too. A limit of 0 throttles every request (an account with no searches
    /// left); [`no_rate_limit`](Self::no_rate_limit) turns the limit off.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// // A minute's limit, a thousand times faster, for a test.
    /// let builder = livedesk::Sandbox::builder().rate_limit(100, Duration::from_millis(60));
    /// ```
    pub fn rate_limit(mut self, requests: u32, window: Duration) -> Self {
        self.settings.rate_limit = Some((requests, window));
        self
    }

    /// Turns the rate limit off.
    ///
    /// ```
    /// let builder = livedesk::Sandbox::builder().no_rate_limit();
    /// ```
    pub fn no_rate_limit(mut self) -> Self {
        self.settings.rate_limit = None;
        self
    }

    /// Whether a `429` carries `Retry-After` with the seconds left in the window (the real
    /// server sends none; a gateway in front may).
    ///
    /// ```
    /// let builder = livedesk::Sandbox::builder().retry_after(true);
    /// ```
    pub fn retry_after(mut self, on: bool) -> Self {
        self.settings.retry_after = on;
        self
    }

    /// Answers searches (with `q`) as the newest upstream versions do: in their shape
    /// (`meta.has_more`, with `count` the number of contacts on the page), and searching as
    /// they do: `labels` ignored, contacts with a name only found, the id of a `q` of digits
    /// matched, the company name not. Their listing (no `q`) is the documented one, in the
    /// documented shape (`count` the total).
    ///
    /// ```
    /// let builder = livedesk::Sandbox::builder().has_more(true);
    /// ```
    pub fn has_more(mut self, on: bool) -> Self {
        self.settings.has_more = on;
        self
    }

    /// Answers a request without `q` with `422` (`Specify search string with parameter q`),
    /// as a gateway that insists on a query might, instead of listing every contact as the
    /// upstream server does: to test how a client copes with such a server.
    ///
    /// ```
    /// let builder = livedesk::Sandbox::builder().require_query(true);
    /// ```
    pub fn require_query(mut self, on: bool) -> Self {
        self.settings.require_query = on;
        self
    }

    /// A delay before every answer.
    ///
    /// ```
    /// let builder = livedesk::Sandbox::builder().latency(std::time::Duration::from_millis(20));
    /// ```
    pub fn latency(mut self, latency: Duration) -> Self {
        self.settings.latency = latency;
        self
    }

    /// The share of requests (0 to 1) a gateway answers with a `502` HTML page.
    ///
    /// ```
    /// let builder = livedesk::Sandbox::builder().gateway_errors(0.1);
    /// ```
    pub fn gateway_errors(mut self, share: f64) -> Self {
        self.settings.gateway_errors = share;
        self
    }

    /// The share of successful answers (0 to 1) whose connection is cut halfway through the
    /// body.
    ///
    /// ```
    /// let builder = livedesk::Sandbox::builder().cut_bodies(0.1);
    /// ```
    pub fn cut_bodies(mut self, share: f64) -> Self {
        self.settings.cut_bodies = share;
        self
    }

    /// Reads `direction` as the upstream server (Chatwoot) does: not at all, so that
    /// `sort=created_at&direction=desc` comes back oldest first and only `sort=-created_at`
    /// descends. By default the sandbox honours `direction`, as LiveDesk's documentation
    /// says, and accepts `sort=-field` as well; this switch lets code be tested against a
    /// server that ignores it.
    ///
    /// ```
    /// let builder = livedesk::Sandbox::builder().ignore_direction(true);
    /// ```
    pub fn ignore_direction(mut self, on: bool) -> Self {
        self.settings.ignore_direction = on;
        self
    }

    /// Orders contacts of equal sort keys (and, without `sort`, equal activity times)
    /// differently for each page, as the upstream server's database may: its `ORDER BY` has
    /// no tie-breaker, and PostgreSQL's bounded heap sort for `LIMIT`/`OFFSET` is not stable.
    /// The same page asked again comes back the same; another page whose slice of the
    /// order cuts through the same tie orders it another way (from a hash of the page's
    /// offset, the [`seed`](Self::seed) and the contact's id), so a tie group across a page
    /// boundary can show a contact twice and hide another. By default ties are in id order
    /// on every page.
    ///
    /// ```
    /// let builder = livedesk::Sandbox::builder().unstable_ties(true).bulk_imports(true);
    /// ```
    pub fn unstable_ties(mut self, on: bool) -> Self {
        self.unstable_ties = on;
        self
    }

    /// Adds bulk imports to the generated data set: in every thousand contacts, one import
    /// of 100 to 400 contacts and one of 2 to 14 that share their creation second, as
    /// contacts imported from a CSV file do upstream (`Contact.import` stamps the contacts it
    /// inserts with one time). Unused with [`data`](Self::data).
    ///
    /// ```
    /// let builder = livedesk::Sandbox::builder().contacts(5_000).bulk_imports(true);
    /// ```
    pub fn bulk_imports(mut self, on: bool) -> Self {
        self.bulk_imports = on;
        self
    }

    /// The port on 127.0.0.1 (0, the default, takes any free one).
    ///
    /// ```
    /// let builder = livedesk::Sandbox::builder().port(8080);
    /// ```
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Builds the data set and starts serving it on a task of the current tokio runtime.
    ///
    /// Fails with [`Error::InvalidArgument`](crate::Error::InvalidArgument) for a share
    /// outside 0 to 1, an empty rate-limit window or more than [`Sandbox::MAX_CONTACTS`]
    /// contacts; with [`Error::SandboxStart`](crate::Error::SandboxStart) when the port cannot
    /// be bound (its source names the address).
    ///
    /// ```
    /// # #[tokio::main] async fn main() -> livedesk::Result<()> {
    /// let sandbox = livedesk::Sandbox::builder().start().await?;
    /// println!("serving on {}", sandbox.base_url());
    /// # Ok(()) }
    /// ```
    pub async fn start(self) -> crate::Result<Sandbox> {
        let invalid = |argument, reason| Err(crate::Error::InvalidArgument { argument, reason });
        for (name, share) in [
            ("gateway_errors", self.settings.gateway_errors),
            ("cut_bodies", self.settings.cut_bodies),
        ] {
            if !(0.0..=1.0).contains(&share) {
                return invalid(name, format!("it is a share: from 0 to 1, not {share}"));
            }
        }
        if self
            .settings
            .rate_limit
            .is_some_and(|(_, window)| window.is_zero())
        {
            return invalid("rate_limit", "its window must be longer than zero".into());
        }
        let size = self.data.as_ref().map_or(self.contacts, SandboxData::len);
        if size > Sandbox::MAX_CONTACTS {
            return invalid(
                "contacts",
                format!(
                    "{size} contacts: the sandbox holds at most {}",
                    Sandbox::MAX_CONTACTS
                ),
            );
        }
        let credentials = match self.credentials {
            Some(credentials) => credentials,
            None => Credentials::new("sandbox-key", "sandbox-secret").expect("a valid pair"),
        };

        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let listener = TcpListener::bind(address).await.map_err(|e| {
            crate::Error::SandboxStart(io::Error::new(
                e.kind(),
                format!("cannot listen on {address}: {e}"),
            ))
        })?;
        let local = listener.local_addr().map_err(crate::Error::SandboxStart)?;
        let base_url = format!("http://{local}");
        let (seed, contacts, bulk) = (self.seed, self.contacts, self.bulk_imports);
        let mut settings = self.settings;
        settings.unstable_ties = self.unstable_ties.then_some(seed);
        let records = match self.data {
            Some(data) => data.records,
            None => tokio::task::spawn_blocking(move || data::generate(seed, contacts, bulk))
                .await
                .map_err(|e| crate::Error::SandboxStart(io::Error::other(e)))?,
        };
        let shared = Arc::new(server::Shared {
            index: query::Index::new(records),
            authorization: credentials.authorization(),
            faults: Mutex::new(fastrand::Rng::with_seed(seed)),
            window: Mutex::default(),
            served: AtomicU64::new(0),
            settings,
        });
        let app = server::router(shared.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            // The sender is never used: its drop is the signal.
            let stopped = async move {
                let _ = stopped.await;
            };
            axum::serve(listener, app)
                .with_graceful_shutdown(stopped)
                .await
        });
        Ok(Sandbox {
            base_url,
            credentials,
            shared,
            _stop: stop,
        })
    }
}
