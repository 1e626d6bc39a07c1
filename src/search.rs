//! The search builder: the query (or none, to list every contact), then the optional
//! parameters, forwarded to the generated engine.

use std::{fmt, num::NonZeroU32};

use http::StatusCode;

use crate::{
    Client, Error, Result,
    error::{from_generated, invalid_argument, within_maximum},
    generated::builder::SearchContacts,
    generated::types::SearchContactsQ,
    transport::{Note, noted},
    types::{ContactList, SortDirection, SortField},
};

/// A listing or a search of the account's contacts: made by [`Client::contacts`] (every
/// contact, no query) or [`Client::search`] (contacts matching a query). The other parameters
/// are set the same way on both.
///
/// It owns a clone of its client, so its future and its streams are `'static + Send`: spawn
/// them, return them, keep them in a struct. It is `Clone`, to send variations of one search.
/// Arguments are checked when the search is sent: a refused one is an
/// [`Error::InvalidArgument`] naming it and what it accepts, and no request goes out.
///
/// `Debug` never shows the query, which holds personal data (an email, a phone number).
///
/// A setter returns the changed search, and a search left unused is a warning: a filter set
/// on a copy that is then dropped would otherwise go unnoticed.
///
/// ```compile_fail
/// #![deny(unused_must_use)]
/// # let client = livedesk::Client::builder(livedesk::Credentials::new("k", "s")?).build()?;
/// let search = client.contacts();
/// search.clone().label("vip"); // dropped: `search` lists everyone
/// # let _ = search;
/// # Ok::<(), livedesk::Error>(())
/// ```
///
/// ```no_run
/// use livedesk::{SortDirection, SortField};
///
/// # async fn run(client: livedesk::Client) -> livedesk::Result<()> {
/// let search = client
///     .search("engagelab.com")
///     .label("vip")
///     .sort(SortField::CreatedAt)
///     .direction(SortDirection::Asc);
/// assert!(!format!("{search:?}").contains("engagelab.com"));
/// let first_page = tokio::spawn(search.send()).await.expect("the task ran")?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
#[must_use = "a search sends nothing until `send` or `paginate`"]
pub struct Search {
    pub(crate) client: Client,
    /// `None` lists every contact; a refused query is reported when sent.
    q: Option<std::result::Result<SearchContactsQ, Refused>>,
    pub(crate) parameters: Parameters,
}

/// A setter's value that does not convert to the parameter's type.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Refused;

/// One line per optional query parameter of the spec: its name (as the generated builder's
/// setter) and its type. A parameter added to the spec fails the test
/// `the_search_builder_forwards_every_spec_parameter` until it has its line here (and its
/// setter on [`Search`]).
macro_rules! forward {
    ($($name:ident: $ty:ty;)*) => {
        #[derive(Clone, Default)]
        pub(crate) struct Parameters {
            $(pub(crate) $name: Option<std::result::Result<$ty, Refused>>,)*
        }

        impl Parameters {
            /// Sets every given parameter on the generated builder, or names the refused one.
            fn apply<'a>(&self, mut builder: SearchContacts<'a>) -> Result<SearchContacts<'a>> {
                $(
                    if let Some(value) = &self.$name {
                        let value = value
                            .clone()
                            .ok()
                            .filter(|value| {
                                value
                                    .as_integer()
                                    .is_none_or(|n| within_maximum(stringify!($name), n))
                            })
                            .ok_or_else(|| invalid_argument(stringify!($name)))?;
                        builder = builder.$name(value);
                    }
                )*
                Ok(builder)
            }

            fn fields(&self, f: &mut fmt::DebugStruct<'_, '_>) {
                $(
                    if let Some(value) = &self.$name {
                        f.field(stringify!($name), value);
                    }
                )*
            }
        }

        /// The setters this builder forwards.
        #[cfg(test)]
        pub(crate) const FORWARDED: &[&str] = &[$(stringify!($name)),*];
    };
}

/// An argument's value as an integer, for the spec's `maximum`, which the generated types do
/// not check.
trait AsInteger {
    fn as_integer(&self) -> Option<i64> {
        None
    }
}

impl AsInteger for NonZeroU32 {
    fn as_integer(&self) -> Option<i64> {
        Some(self.get().into())
    }
}

impl AsInteger for Vec<String> {}
impl AsInteger for bool {}
impl AsInteger for SortField {}
impl AsInteger for SortDirection {}

forward! {
    page: NonZeroU32;
    labels: Vec<String>;
    include_contact_inboxes: bool;
    sort: SortField;
    direction: SortDirection;
}

/// The setters, in the ecosystem's style: plain values, checked when the search is sent.
impl Search {
    /// The page to fetch, from 1 (the default); 15 contacts a page. Page 0, or one past the
    /// spec's maximum, is refused when sent.
    ///
    /// ```no_run
    /// # async fn run(client: livedesk::Client) -> livedesk::Result<()> {
    /// let second = client.contacts().page(2).send().await?;
    /// # Ok(()) }
    /// ```
    pub fn page(mut self, page: u32) -> Self {
        self.parameters.page = Some(NonZeroU32::new(page).ok_or(Refused));
        self
    }

    /// Only contacts carrying at least one of these labels; replaces earlier labels. An
    /// empty list sets no filter. The search (with a query) of newer upstream versions, those
    /// that send `has_more`, ignores labels, so such an answer to a search with labels is
    /// [`Error::LabelsNotApplied`], never contacts unfiltered; a listing applies them.
    ///
    /// ```no_run
    /// # async fn run(client: livedesk::Client) -> livedesk::Result<()> {
    /// let page = client.contacts().labels(["vip", "beta"]).send().await?;
    /// let wanted = vec!["vip".to_owned()];
    /// let page = client.contacts().labels(wanted).send().await?;
    /// # Ok(()) }
    /// ```
    pub fn labels<I>(mut self, labels: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        let labels: Vec<String> = labels.into_iter().map(Into::into).collect();
        self.parameters.labels = (!labels.is_empty()).then_some(Ok(labels));
        self
    }

    /// Adds one label to the filter; contacts carrying any of the labels match.
    ///
    /// ```no_run
    /// # async fn run(client: livedesk::Client) -> livedesk::Result<()> {
    /// let page = client.contacts().label("vip").label("beta").send().await?;
    /// # Ok(()) }
    /// ```
    pub fn label(mut self, label: impl Into<String>) -> Self {
        match &mut self.parameters.labels {
            Some(Ok(labels)) => labels.push(label.into()),
            _ => self.parameters.labels = Some(Ok(vec![label.into()])),
        }
        self
    }

    /// Whether each contact carries its `contact_inboxes` (the server's default is `true`).
    ///
    /// ```no_run
    /// # async fn run(client: livedesk::Client) -> livedesk::Result<()> {
    /// let page = client.contacts().include_contact_inboxes(false).send().await?;
    /// assert!(page.payload.iter().all(|c| c.contact_inboxes.is_empty()));
    /// # Ok(()) }
    /// ```
    pub fn include_contact_inboxes(mut self, include: bool) -> Self {
        self.parameters.include_contact_inboxes = Some(Ok(include));
        self
    }

    /// The field to sort by: a [`SortField`], or its name as the API spells it
    /// (`"created_at"`); a name it does not know is refused when sent. Upstream has no
    /// tie-breaker: contacts with equal values may come in any order, and that order may
    /// differ between pages.
    ///
    /// ```no_run
    /// # async fn run(client: livedesk::Client) -> livedesk::Result<()> {
    /// let page = client.contacts().sort(livedesk::SortField::Name).send().await?;
    /// let page = client.contacts().sort("last_activity_at").send().await?;
    /// # Ok(()) }
    /// ```
    pub fn sort<F: TryInto<SortField>>(mut self, field: F) -> Self {
        self.parameters.sort = Some(field.try_into().map_err(|_| Refused));
        self
    }

    /// The sort direction, with [`sort`](Self::sort): a [`SortDirection`], or `"asc"` or
    /// `"desc"` (anything else, or a direction without a `sort`, is refused when sent).
    ///
    /// ```no_run
    /// # async fn run(client: livedesk::Client) -> livedesk::Result<()> {
    /// use livedesk::{SortDirection, SortField};
    /// let page = client.contacts().sort(SortField::CreatedAt).direction(SortDirection::Desc).send().await?;
    /// # Ok(()) }
    /// ```
    pub fn direction<D: TryInto<SortDirection>>(mut self, direction: D) -> Self {
        self.parameters.direction = Some(direction.try_into().map_err(|_| Refused));
        self
    }
}

impl Search {
    /// A search for `q`, or the listing of every contact when `q` is `None`.
    pub(crate) fn new(client: Client, q: Option<String>) -> Self {
        Self {
            client,
            // Nothing once stripped as the server strips it (Ruby's `strip` takes NUL with
            // the whitespace, where the spec's pattern does not): a NUL alone would search
            // for "", which every contact matches (not blank to the server, review 101).
            q: q.map(|q| match crate::lookup::stripped(&q) {
                "" => Err(Refused),
                _ => SearchContactsQ::try_from(q).map_err(|_| Refused),
            }),
            parameters: Parameters::default(),
        }
    }

    /// Whether this lists every contact (no query).
    pub(crate) fn is_listing(&self) -> bool {
        self.q.is_none()
    }

    /// Sends the search and returns one page (the one [`page`](Self::page) names, or the
    /// first), retried and rate-limited as the client is set up to.
    ///
    /// ```no_run
    /// # async fn run(client: livedesk::Client) -> livedesk::Result<()> {
    /// let page = client.search("support").send().await?;
    /// for contact in &page.payload {
    ///     println!("{} {:?}", contact.id, contact.email);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn send(self) -> Result<ContactList> {
        self.fetch().await
    }

    /// Sends the search without consuming it, checking the order the server applied
    /// (src/order.rs).
    pub(crate) async fn fetch(&self) -> Result<ContactList> {
        self.fetch_checked().await.0
    }

    /// Sends the search once, as it is.
    pub(crate) async fn fetch_once(&self) -> Result<ContactList> {
        let mut builder = self.client.engine().search_contacts();
        if let Some(q) = &self.q {
            builder = builder.q(q.clone().map_err(|_| invalid_argument("q"))?);
        }
        // Upstream drops a blank label, and blank labels alone match no contact: an unset
        // variable (`--label "$L"`) would export nothing, with success (review 106).
        if let Some(Ok(labels)) = &self.parameters.labels
            && labels
                .iter()
                // Upstream splits a label at commas too (`labels=a,b`): `,` is as blank.
                .any(|label| {
                    label
                        .split(',')
                        .all(|part| crate::lookup::stripped(part).is_empty())
                })
        {
            return Err(Error::InvalidArgument {
                argument: "labels",
                reason: "a label is blank: the server drops it, and blank labels alone match \
                         no contact"
                    .into(),
            });
        }
        let builder = self.parameters.apply(builder)?;
        if self.parameters.direction.is_some() && self.parameters.sort.is_none() {
            return Err(Error::InvalidArgument {
                argument: "direction",
                reason: "it needs a `sort`: without a field there is no order to reverse".into(),
            });
        }
        let (result, note) = noted(async { from_generated(builder.send().await).await }).await;
        let result = match (result, note) {
            (Err(error), Some(Note::RetryBudgetSpent)) => Err(error.with_retry_budget_spent()),
            (result, _) => result,
        }
        .map_err(|error| error.with_host_of(self.client.base_url()))
        .map_err(|error| error.without_secret(self.client.credentials()))
        .map_err(|error| match &self.q {
            Some(Ok(q)) => error.without_query(q),
            _ => error,
        });
        self.checked(result)
    }

    /// The answer, unless it shows that the server did not run this request as asked:
    ///
    /// - a page with no contacts, no count and no `has_more` is how the upstream server
    ///   answers a blank query, and how a gateway that passes a missing `q` on as a blank one
    ///   would answer a listing; it says nothing of what matches, so it is never taken as
    ///   "nothing matches";
    /// - a listing answered `400` or `422` was refused for lacking a query (nothing else about
    ///   it can be refused: every other argument was checked before sending);
    /// - a search with labels answered in the shape of the newer upstream versions (with
    ///   `meta.has_more`), whose search ignores labels: [`Error::LabelsNotApplied`].
    ///
    /// The first two are [`Error::QueryRequired`] for a listing's first page; an empty page
    /// with no count is [`Error::Decode`] otherwise.
    fn checked(&self, result: Result<ContactList>) -> Result<ContactList> {
        match result {
            Err(Error::Api {
                status, message, ..
            }) if self.is_listing()
                && (status == StatusCode::BAD_REQUEST
                    || status == StatusCode::UNPROCESSABLE_ENTITY) =>
            {
                Err(Error::QueryRequired {
                    status,
                    message: Some(message),
                })
            }
            // A search (with a query) answered in the newer shape: those versions' search
            // ignores labels, so the page holds contacts without them (review 114).
            Ok(page) if !self.is_listing() && page.meta.has_more.is_some() => {
                match &self.parameters.labels {
                    Some(Ok(labels)) if !labels.is_empty() => Err(Error::LabelsNotApplied {
                        labels: labels.clone(),
                    }),
                    _ => Ok(page),
                }
            }
            Ok(page)
                if page.payload.is_empty()
                    && page.meta.count.is_none()
                    && page.meta.has_more.is_none() =>
            {
                const SAID: &str = "an empty page with no count";
                Err(if self.is_listing() && self.first_page() == 1 {
                    Error::QueryRequired {
                        status: StatusCode::OK,
                        message: Some(SAID.to_owned()),
                    }
                } else {
                    Error::Decode {
                        status: StatusCode::OK,
                        path: "meta.count".to_owned(),
                        message: format!("{SAID}, which answers no search"),
                        excerpt: String::new(),
                    }
                })
            }
            other => other,
        }
    }

    /// What decides the contacts this finds and their order (the query, labels and sort),
    /// as text: for telling searches apart, never for showing.
    pub(crate) fn identity(&self) -> String {
        let mut labels: Vec<String> = match &self.parameters.labels {
            Some(Ok(labels)) => labels.iter().map(|l| l.trim().to_lowercase()).collect(),
            _ => Vec::new(),
        };
        labels.sort_unstable();
        let q = match &self.q {
            Some(Ok(q)) => format!("q={}", q.as_str()),
            Some(Err(Refused)) => "q refused".to_owned(),
            None => "no q".to_owned(),
        };
        format!(
            "{q}\u{0}labels={}\u{0}sort={:?}\u{0}direction={:?}",
            labels.join("\u{0}"),
            self.parameters
                .sort
                .as_ref()
                .map(|s| s.as_ref().ok().map(ToString::to_string)),
            self.parameters
                .direction
                .as_ref()
                .map(|d| d.as_ref().ok().map(ToString::to_string)),
        )
    }

    /// Whether this is sorted by creation, oldest first (the server's default direction).
    pub(crate) fn is_oldest_first(&self) -> bool {
        matches!(self.parameters.sort, Some(Ok(SortField::CreatedAt)))
            && !matches!(self.parameters.direction, Some(Ok(SortDirection::Desc)))
    }

    /// The page this sends for (1 unless set).
    pub(crate) fn first_page(&self) -> u32 {
        match self.parameters.page {
            Some(Ok(page)) => page.get(),
            _ => 1,
        }
    }
}

impl fmt::Debug for Search {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Search");
        if self.q.is_some() {
            s.field("q", &"<redacted>");
        }
        self.parameters.fields(&mut s);
        s.finish_non_exhaustive()
    }
}
