//! Typed [httpmock](https://docs.rs/httpmock) helpers for the search (feature `mock`).
//!
//! [`MockServerExt::search_contacts`] mocks a search. Each `when` method requires its query
//! parameter as the client sends it, and `None` (or an empty label list) requires it absent:
//! `when.q(None)` mocks a listing, made by [`Client::contacts`](crate::Client::contacts).
//! `then` answers with a page ([`ok`](SearchContactsThen::ok)), a server's error
//! ([`error`](SearchContactsThen::error)) or a throttle
//! ([`rate_limited`](SearchContactsThen::rate_limited)). For a server that behaves as the API
//! does (paging, errors, rate limits), use [`Sandbox`](crate::Sandbox) instead (feature
//! `sandbox`).
//!
//! httpmock is a pre-1.0 crate: these helpers follow its releases, so they sit behind their
//! own feature, away from the rest of the public API.
//!
//! ```
//! use httpmock::MockServer;
//! use livedesk::mock::MockServerExt;
//! use livedesk::{Client, Contact, ContactList, Credentials};
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let server = MockServer::start_async().await;
//! let page = ContactList::new(1, 1, vec![Contact::new(7)]);
//! let mock = server.search_contacts(|when, then| {
//!     when.q("ada").labels(["vip"]);
//!     then.ok(&page);
//! });
//!
//! let client = Client::builder(Credentials::new("key", "secret")?).base_url(server.base_url()).build()?;
//! let found = client.search("ada").label("vip").send().await?;
//! assert_eq!(found, page);
//! mock.assert_async().await;
//! # Ok(()) }
//! ```

use httpmock::{Method, Mock, MockServer, Then, When};

use crate::types::{ContactList, SortDirection, SortField};

/// The search's path, as the spec names it.
const PATH: &str = "/api/v2/accounts/contacts";

/// Adds a typed mock for the search to httpmock's [`MockServer`].
///
/// ```
/// use livedesk::mock::MockServerExt;
///
/// let server = httpmock::MockServer::start();
/// let mock = server.search_contacts(|when, then| {
///     when.q(None);
///     then.error(401, "Invalid Access Token");
/// });
/// # let _ = mock;
/// ```
pub trait MockServerExt: sealed::Sealed {
    /// Mocks `GET /api/v2/accounts/contacts`: `config` sets what the request must carry and
    /// what the server answers.
    fn search_contacts<F>(&self, config: F) -> Mock<'_>
    where
        F: FnOnce(SearchContactsWhen, SearchContactsThen);
}

/// Only httpmock's server takes these helpers, so that adding one is not a breaking change.
mod sealed {
    pub trait Sealed {}
    impl Sealed for httpmock::MockServer {}
}

impl MockServerExt for MockServer {
    fn search_contacts<F>(&self, config: F) -> Mock<'_>
    where
        F: FnOnce(SearchContactsWhen, SearchContactsThen),
    {
        self.mock(|when, then| {
            config(
                SearchContactsWhen(when.method(Method::GET).path(PATH)),
                SearchContactsThen(then),
            );
        })
    }
}

/// What a mocked search requires of the request: one method per query parameter.
///
/// ```
/// use livedesk::mock::MockServerExt;
/// use livedesk::SortField;
///
/// let server = httpmock::MockServer::start();
/// server.search_contacts(|when, then| {
///     when.q("ada").page(2).sort(SortField::Name).direction(None);
///     then.rate_limited();
/// });
/// ```
pub struct SearchContactsWhen(When);

/// Requires `name` to be `value`, or absent for `None`.
fn param(when: When, name: &str, value: Option<String>) -> When {
    match value {
        Some(value) => when.query_param(name, value),
        None => when.query_param_missing(name),
    }
}

impl SearchContactsWhen {
    /// Requires the query `q` (`None`: no `q`, a listing).
    ///
    /// ```
    /// # use livedesk::mock::MockServerExt;
    /// # let server = httpmock::MockServer::start();
    /// server.search_contacts(|when, then| {
    ///     when.q("ada@example.com");
    ///     then.ok(&livedesk::ContactList::default());
    /// });
    /// ```
    pub fn q<'a>(self, q: impl Into<Option<&'a str>>) -> Self {
        Self(param(self.0, "q", q.into().map(str::to_owned)))
    }

    /// Requires `page` (`None`: not sent, the first page).
    ///
    /// ```
    /// # use livedesk::mock::MockServerExt;
    /// # let server = httpmock::MockServer::start();
    /// server.search_contacts(|when, then| {
    ///     when.page(2);
    ///     then.ok(&livedesk::ContactList::default());
    /// });
    /// ```
    pub fn page(self, page: impl Into<Option<u32>>) -> Self {
        Self(param(self.0, "page", page.into().map(|p| p.to_string())))
    }

    /// Requires exactly these labels, as `labels[]` (none: no label sent).
    ///
    /// ```
    /// # use livedesk::mock::MockServerExt;
    /// # let server = httpmock::MockServer::start();
    /// server.search_contacts(|when, then| {
    ///     when.labels(["vip", "beta"]);
    ///     then.ok(&livedesk::ContactList::default());
    /// });
    /// ```
    pub fn labels<I>(self, labels: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        let labels: Vec<String> = labels.into_iter().map(Into::into).collect();
        if labels.is_empty() {
            return Self(self.0.query_param_missing("labels[]"));
        }
        // Each label present, and no other: a mock pins the exact list.
        let when = self
            .0
            .query_param_count(r"^labels\[\]$", ".*", labels.len());
        Self(
            labels
                .into_iter()
                .fold(when, |when, label| when.query_param("labels[]", label)),
        )
    }

    /// Requires `include_contact_inboxes` (`None`: not sent).
    ///
    /// ```
    /// # use livedesk::mock::MockServerExt;
    /// # let server = httpmock::MockServer::start();
    /// server.search_contacts(|when, then| {
    ///     when.include_contact_inboxes(false);
    ///     then.ok(&livedesk::ContactList::default());
    /// });
    /// ```
    pub fn include_contact_inboxes(self, include: impl Into<Option<bool>>) -> Self {
        let value = include.into().map(|b| b.to_string());
        Self(param(self.0, "include_contact_inboxes", value))
    }

    /// Requires `sort` (`None`: not sent).
    ///
    /// ```
    /// # use livedesk::mock::MockServerExt;
    /// # let server = httpmock::MockServer::start();
    /// server.search_contacts(|when, then| {
    ///     when.sort(livedesk::SortField::CreatedAt);
    ///     then.ok(&livedesk::ContactList::default());
    /// });
    /// ```
    pub fn sort(self, field: impl Into<Option<SortField>>) -> Self {
        Self(param(self.0, "sort", field.into().map(|f| f.to_string())))
    }

    /// Requires `direction` (`None`: not sent).
    ///
    /// ```
    /// # use livedesk::mock::MockServerExt;
    /// # let server = httpmock::MockServer::start();
    /// server.search_contacts(|when, then| {
    ///     when.direction(livedesk::SortDirection::Desc);
    ///     then.ok(&livedesk::ContactList::default());
    /// });
    /// ```
    pub fn direction(self, direction: impl Into<Option<SortDirection>>) -> Self {
        Self(param(
            self.0,
            "direction",
            direction.into().map(|d| d.to_string()),
        ))
    }

    /// httpmock's own `When`, for requirements beyond the query parameters.
    ///
    /// ```
    /// # use livedesk::mock::MockServerExt;
    /// # let server = httpmock::MockServer::start();
    /// server.search_contacts(|when, then| {
    ///     when.q("ada").into_inner().header_exists("authorization");
    ///     then.ok(&livedesk::ContactList::default());
    /// });
    /// ```
    pub fn into_inner(self) -> When {
        self.0
    }
}

/// What a mocked search answers.
///
/// ```
/// use livedesk::mock::MockServerExt;
///
/// let server = httpmock::MockServer::start();
/// server.search_contacts(|_, then| {
///     then.error(503, "upstream unavailable");
/// });
/// ```
pub struct SearchContactsThen(Then);

impl SearchContactsThen {
    /// Answers `200` with this page, as JSON.
    ///
    /// ```
    /// # use livedesk::mock::MockServerExt;
    /// # let server = httpmock::MockServer::start();
    /// let page = livedesk::ContactList::new(1, 1, vec![livedesk::Contact::new(7)]);
    /// server.search_contacts(|_, then| {
    ///     then.ok(&page);
    /// });
    /// ```
    pub fn ok(self, page: &ContactList) -> Self {
        Self(
            self.0
                .status(200)
                .header("content-type", "application/json")
                .json_body_obj(page),
        )
    }

    /// Answers `status` with the server's error shape, `{"error": message}`: the client's
    /// error is [`Error::Api`](crate::Error::Api) with this status and message.
    ///
    /// ```
    /// # use livedesk::mock::MockServerExt;
    /// # let server = httpmock::MockServer::start();
    /// server.search_contacts(|_, then| {
    ///     then.error(401, "Invalid Access Token");
    /// });
    /// ```
    pub fn error(self, status: u16, message: &str) -> Self {
        Self(
            self.0
                .status(status)
                .header("content-type", "application/json")
                .json_body(serde_json::json!({ "error": message })),
        )
    }

    /// Answers `429 Retry later` with no `Retry-After`, as the server's rate limiter does. A
    /// client that retries waits it out; one built with
    /// [`RetryPolicy::disabled`](crate::RetryPolicy::disabled) gets the `429` at once.
    ///
    /// ```
    /// # use livedesk::mock::MockServerExt;
    /// # let server = httpmock::MockServer::start();
    /// server.search_contacts(|_, then| {
    ///     then.rate_limited();
    /// });
    /// ```
    pub fn rate_limited(self) -> Self {
        Self(
            self.0
                .status(429)
                .header("content-type", "text/plain")
                .body("Retry later\n"),
        )
    }

    /// httpmock's own `Then`, for answers beyond these (a delay, other headers, any body).
    ///
    /// ```
    /// # use livedesk::mock::MockServerExt;
    /// # let server = httpmock::MockServer::start();
    /// server.search_contacts(|_, then| {
    ///     then.into_inner().status(502).body("<html><title>Bad gateway</title></html>");
    /// });
    /// ```
    pub fn into_inner(self) -> Then {
        self.0
    }
}

#[cfg(test)]
mod tests {
    /// Every query parameter of the spec has its `when` method here (the list is checked
    /// against the spec's, so a parameter added to the spec fails this test until it has one).
    #[test]
    fn the_mock_requires_every_spec_parameter() {
        const MOCKED: &[&str] = &[
            "q",
            "page",
            "labels",
            "include_contact_inboxes",
            "sort",
            "direction",
        ];
        let mut in_spec: Vec<&str> = crate::error::spec_parameters().collect();
        let mut mocked = MOCKED.to_vec();
        in_spec.sort_unstable();
        mocked.sort_unstable();
        assert_eq!(mocked, in_spec);
    }
}
