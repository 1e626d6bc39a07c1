//! Walking every page of a search: streams of pages and of contacts, with bounded concurrency.

use std::{future::Future, num::NonZeroU32, pin::Pin, sync::Arc};

use futures::{
    StreamExt, TryStreamExt,
    stream::{self, BoxStream, FuturesUnordered},
};
use tokio::task::JoinSet;

use crate::{
    Error, Result, Search,
    order::WalkForms,
    position::{After, Position, find_start},
    types::{Contact, ContactList, ContactListMeta, CurrentPage},
    walk::{Action, Settings, Walk},
};

/// Pages fetched at once by default.
///
/// ```
/// assert_eq!(livedesk::DEFAULT_CONCURRENCY, 4);
/// ```
pub const DEFAULT_CONCURRENCY: usize = 4;

impl Search {
    /// Walks every page of this search, from the page it names (default 1), with every
    /// filter on every request. See [`Paginator`] for the settings, the streams and the rules
    /// that make a walk complete or fail.
    ///
    /// ```no_run
    /// use futures::TryStreamExt;
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
    pub fn paginate(self) -> Paginator {
        Paginator {
            search: self,
            concurrency: DEFAULT_CONCURRENCY,
            limit: None,
            max_pages: None,
            after: None,
            before: None,
            refused: None,
        }
    }
}

/// Settings for a walk over all pages of a search; made by [`Search::paginate`].
///
/// A walk yields every contact that matches exactly once, or ends with an error: it never
/// ends with success and contacts missing that it could have noticed. The rules:
///
/// - **It ends only when the data says so**: at an empty page, at a page of fewer than 15
///   contacts, or at `meta.has_more: false` (newer servers). `meta.count` (the total, on
///   servers without `has_more`) only plans how many pages to fetch ahead: when the page it
///   names as the last one comes back full, the next one is fetched to confirm the end, and a
///   later page's larger count widens the plan.
/// - **It checks the total.** When the walk ends, a server that gave a total must have
///   delivered as many contacts as the largest total it gave; otherwise the walk ends with
///   [`WalkError::CountMismatch`](crate::WalkError::CountMismatch): contacts moved between pages while it ran. See below for
///   the order that avoids it. A total lower than an earlier answer's ends the walk with
///   [`WalkError::CountFell`](crate::WalkError::CountFell): a contact was deleted, and may have shifted others onto pages
///   already fetched (a server whose totals go backwards for another reason, such as a
///   stale cache, fails walks this way too). What no total can show is a deletion that an
///   addition hides before the next answer the walk compares with, nor one that pages in
///   flight together straddle: run an export again if contacts may be deleted while it runs.
/// - **Repeats are dropped.** A contact already yielded is not yielded again. A full page
///   that holds only repeats (contacts shifted by others added before them) is skipped, up
///   to [`MAX_REPEATED_PAGES`](crate::MAX_REPEATED_PAGES) in a row ([`WalkError::RepeatedPages`](crate::WalkError::RepeatedPages) past that), on servers
///   that give a total, which then tells whether the skipped page hid anything; on servers
///   without one (`has_more`) such a page ends the walk with that error. A page whose
///   `meta.current_page` is not the page asked for means the server ignores `page`, and ends
///   the walk with [`WalkError::PageIgnored`](crate::WalkError::PageIgnored).
/// - **Without a total, trust is all there is.** A `has_more` server gives no total, so a
///   walk there cannot notice contacts that moved onto pages it had already fetched; export
///   oldest first (below) on such servers too.
/// - **Ties end it loudly.** Sorted oldest first, a run of contacts with one creation time
///   that filled more positions than it showed distinct contacts (the server ordered a tie
///   across pages differently for each page, so some never came out) ends the walk with
///   [`WalkError::Tie`](crate::WalkError::Tie) as soon as the run ends (or, where the run
///   showed one contact alone and the server's total grew by as many as it lacks, with
///   [`WalkError::JoinedBehind`](crate::WalkError::JoinedBehind): contacts that joined the
///   order behind the walk repeat the same way).
/// - **Errors end it**: the first error that retries could not cure is the stream's last
///   item, after every page before it.
/// - **It can be capped**: [`max_pages`](Self::max_pages) ends a walk that has not ended by
///   itself with [`WalkError::PageCap`](crate::WalkError::PageCap); no cap by default, so a server that says there is
///   always more (`has_more: true` forever) is walked until it stops or the stream is
///   dropped. Page 2,147,483,647, the largest the API accepts, is always the last one asked.
/// - [`limit`](Self::limit) stops after that many contacts, with success.
///
/// **Exporting while contacts are added:** sort by [`SortField::CreatedAt`](crate::SortField)
/// in [`SortDirection::Asc`](crate::SortDirection) order (oldest first). New contacts then
/// join the end of the walk instead of pushing the others onto pages already fetched, and a
/// total that grew past what the walk yielded after it read its last page is settled by
/// reading the end again, one page at a time (up to 8 times in a row), not reported as loss:
/// such a walk yields every contact that existed when it started, and those added since that
/// it reached. A contact that joins the order behind it at an old creation time (given an
/// email, phone number or identifier, without which upstream does not list it; given the
/// walked label; edited to match) shifts the pages after it, and ends the walk with
/// [`WalkError::JoinedBehind`](crate::WalkError::JoinedBehind). Newest first, or without
/// `sort` (whose order is not stable between pages), contacts added during the walk push
/// others onto pages already fetched, and the count check ends the walk with an error
/// rather than let them go missing.
///
/// Pages are fetched [`concurrency`](Self::concurrency) at a time (once the first page has
/// told the server's shape), on tasks of their own, so they keep arriving while the consumer
/// works on earlier ones; at most `concurrency` pages are held, and they are yielded in page
/// order. Dropping the stream cancels the requests in flight.
///
/// ```no_run
/// use futures::TryStreamExt;
///
/// # async fn run(client: livedesk::Client) -> livedesk::Result<()> {
/// let walk = client.contacts().paginate().concurrency(8).limit(1_000);
/// let emails: Vec<String> = walk
///     .contacts()
///     .try_filter_map(|contact| async move { Ok(contact.email) })
///     .try_collect()
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
#[must_use = "a walk sends nothing until its `pages`, `contacts` or `collect` is polled"]
pub struct Paginator {
    search: Search,
    concurrency: usize,
    limit: Option<usize>,
    max_pages: Option<u32>,
    /// Only contacts after this (resumed, or created after a time).
    after: Option<After>,
    /// Only contacts created before this second.
    before: Option<i64>,
    /// The setter of a refused bound, reported by the walk's first item.
    refused: Option<&'static str>,
}

impl Paginator {
    /// Pages requested at once (default [`DEFAULT_CONCURRENCY`], at least 1: 0 is taken as 1);
    /// 1 walks strictly one page after another. At most this many pages are held in memory.
    ///
    /// ```no_run
    /// # async fn run(client: livedesk::Client) -> livedesk::Result<()> {
    /// let all = client.contacts().paginate().concurrency(8).collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency.max(1);
        self
    }

    /// Stops after `limit` contacts, requesting no page beyond what they need.
    ///
    /// ```no_run
    /// # async fn run(client: livedesk::Client) -> livedesk::Result<()> {
    /// let first_40 = client.contacts().paginate().limit(40).collect().await?;
    /// assert!(first_40.len() <= 40);
    /// # Ok(()) }
    /// ```
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Ends a walk that has not ended by itself after `pages` pages (at least 1: 0 is taken
    /// as 1) with [`WalkError::PageCap`](crate::WalkError::PageCap) (no cap by default).
    ///
    /// ```no_run
    /// # async fn run(client: livedesk::Client) -> livedesk::Result<()> {
    /// let at_most_10_000 = client.contacts().paginate().max_pages(667).collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn max_pages(mut self, pages: u32) -> Self {
        self.max_pages = Some(pages.max(1));
        self
    }

    /// Where this walk starts: before its first contact, past its
    /// [`created_after`](Self::created_after) bound or [resumed](Self::resume) position if it
    /// has one. Advance it with each contact the walk yields ([`Position::advance`]), save it,
    /// and [`resume`](Self::resume) from it: a day with no new contacts saves the bound, not
    /// the search's start.
    ///
    /// ```no_run
    /// # async fn run(client: livedesk::Client) {
    /// let walk = client.contacts().sort(livedesk::SortField::CreatedAt).paginate();
    /// let position = walk.position();
    /// # }
    /// ```
    pub fn position(&self) -> Position {
        Position::start(&self.search, self.after.as_ref())
    }

    /// Yields only the contacts after `position`, saved from an earlier walk of the same
    /// search. The walk finds its place by binary search over the pages (about log2(pages)
    /// requests), by creation time, so contacts deleted or added since do not make it skip or
    /// repeat any: across both walks, every contact that existed throughout comes out exactly
    /// once.
    ///
    /// Refused ([`Error::InvalidArgument`] naming `position`) for a position of another
    /// search or format version, and for a walk not sorted by `created_at`, oldest first:
    /// in any other order, contacts added or deleted between the walks move others across the
    /// position, and no position can promise completeness. A position past the start of its
    /// walk finds its page by creation time: a [`page`](Search::page) past the first set on
    /// the search is then refused as the walk's first item.
    ///
    /// ```no_run
    /// # async fn run(client: livedesk::Client, saved: livedesk::Position) -> livedesk::Result<()> {
    /// let walk = client.contacts().sort(livedesk::SortField::CreatedAt).paginate();
    /// let rest = walk.resume(saved)?.collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn resume(mut self, position: Position) -> Result<Self> {
        if !self.search.is_oldest_first() {
            return Err(Error::InvalidArgument {
                argument: "position",
                reason: "a walk resumes only sorted by `created_at`, oldest first".to_owned(),
            });
        }
        position.check(&self.search)?;
        if let Some(after) = position.bound() {
            self.after = Some(match self.after.take() {
                Some(earlier) => earlier.max(after),
                None => after,
            });
        }
        Ok(self)
    }

    /// Yields only the contacts created after `unix_seconds`, starting where they start
    /// (found by binary search over the pages: about log2(pages) requests, not a walk from
    /// page 1). A daily sync asks for the contacts created since the last one.
    ///
    /// The walk must be sorted by `created_at`, oldest first: without a sort it is sorted so;
    /// with another, its first item is [`Error::InvalidArgument`], as it is with a
    /// [`page`](Search::page) past the first set (the start is found by creation time, not by
    /// page). Called again, the later of the two bounds holds: bounds narrow a walk, never
    /// widen it.
    ///
    /// ```no_run
    /// # async fn run(client: livedesk::Client) -> livedesk::Result<()> {
    /// let yesterday = 1_700_000_000;
    /// let new = client.contacts().paginate().created_after(yesterday).collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn created_after(mut self, unix_seconds: i64) -> Self {
        self.sort_by_creation("created_after");
        let after = After::seconds(unix_seconds);
        self.after = Some(match self.after.take() {
            Some(earlier) => earlier.max(after),
            None => after,
        });
        self
    }

    /// Yields only the contacts created before `unix_seconds`, and ends at the first contact
    /// created at or after it. Sorted as for [`created_after`](Self::created_after); called
    /// again, the earlier of the two bounds holds.
    ///
    /// Both bounds leave their own second out: windows that follow each other, from `from`
    /// up to `to` and from `to` on, take `created_after(from - 1)`, so that no second falls
    /// between them.
    ///
    /// ```no_run
    /// # async fn run(client: livedesk::Client) -> livedesk::Result<()> {
    /// let (from, to) = (1_700_000_000, 1_700_086_400);
    /// // From `from` (included) to `to` (left out): the next day starts at `to - 1`.
    /// let that_day = client.contacts().paginate().created_after(from - 1).created_before(to).collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn created_before(mut self, unix_seconds: i64) -> Self {
        self.sort_by_creation("created_before");
        self.before = Some(self.before.map_or(unix_seconds, |b| b.min(unix_seconds)));
        self
    }

    /// Sorts an unsorted walk oldest first; another sort is refused when the walk starts.
    fn sort_by_creation(&mut self, argument: &'static str) {
        if self.search.parameters.sort.is_none() {
            self.search = self.search.clone().sort(crate::SortField::CreatedAt);
        }
        if !self.search.is_oldest_first() {
            self.refused = Some(argument);
        }
    }

    /// The pages, in order, each with its `meta`. Contacts already yielded by an earlier
    /// page are removed from later pages, and the last page is cut at the limit.
    ///
    /// The stream is boxed, so it is [`Unpin`]: poll it as it is, with no `pin!`.
    ///
    /// ```no_run
    /// use futures::TryStreamExt;
    ///
    /// # async fn run(client: livedesk::Client) -> livedesk::Result<()> {
    /// let mut pages = client.contacts().paginate().pages();
    /// while let Some(page) = pages.try_next().await? {
    ///     println!("page {:?}: {} contacts", page.meta.page(), page.payload.len());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn pages(self) -> BoxStream<'static, Result<ContactList>> {
        let shell = Shell::new(self);
        stream::unfold(shell, |mut shell| async move {
            shell.next().await.map(|item| (item, shell))
        })
        .boxed()
    }

    /// The contacts, in server order.
    ///
    /// The stream is boxed, so it is [`Unpin`]: poll it as it is, with no `pin!`.
    ///
    /// ```
    /// use futures::TryStreamExt;
    ///
    /// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = livedesk::Sandbox::builder().contacts(40).no_rate_limit().start().await?;
    /// # let client = sandbox.client().build()?;
    /// let mut contacts = client.contacts().paginate().contacts();
    /// let mut count = 0;
    /// while let Some(contact) = contacts.try_next().await? {
    ///     println!("{} {:?}", contact.id, contact.email);
    ///     count += 1;
    /// }
    /// # assert!(count > 30);
    /// # Ok(()) }
    /// ```
    pub fn contacts(self) -> BoxStream<'static, Result<Contact>> {
        self.pages()
            .map_ok(|page| stream::iter(page.payload.into_iter().map(Ok)))
            .try_flatten()
            .boxed()
    }

    /// Every contact in a `Vec`, or the first error.
    ///
    /// ```no_run
    /// # async fn run(client: livedesk::Client) -> livedesk::Result<()> {
    /// let contacts = client.contacts().paginate().collect().await?;
    /// # Ok(()) }
    /// ```
    pub async fn collect(self) -> Result<Vec<Contact>> {
        self.contacts().try_collect().await
    }
}

/// What a request in flight answers: a page, or the page a walk starts from (with the
/// largest total the search for it read).
enum Answered {
    Page(u32, Result<ContactList>),
    Start(Result<(u32, Option<u64>)>),
}

/// Requests in flight: on tasks of their own when a tokio runtime is running (they progress
/// while the consumer works, and are aborted when the walk is dropped), polled in place
/// otherwise.
enum InFlight {
    Tasks(JoinSet<Answered>),
    Local(FuturesUnordered<Pin<Box<dyn Future<Output = Answered> + Send>>>),
}

impl InFlight {
    fn new() -> Self {
        Self::Local(FuturesUnordered::new())
    }

    fn push(&mut self, request: impl Future<Output = Answered> + Send + 'static) {
        // Tasks where a runtime runs the walk, so that its requests go on while the consumer
        // works: decided by the first request, not when the stream was made (a stream made
        // before the runtime started, then polled in it, had its requests wait on the
        // consumer, and time out under a slow one).
        if let Self::Local(futures) = self
            && futures.is_empty()
            && tokio::runtime::Handle::try_current().is_ok()
        {
            *self = Self::Tasks(JoinSet::new());
        }
        match self {
            Self::Tasks(tasks) => {
                tasks.spawn(request);
            }
            Self::Local(futures) => futures.push(Box::pin(request)),
        }
    }

    async fn next(&mut self) -> Option<Answered> {
        match self {
            Self::Tasks(tasks) => match tasks.join_next().await? {
                Ok(result) => Some(result),
                // A panic in a request is passed on; a cancelled task means the runtime that
                // ran it shut down (a reader may go on from another): the walk ends in error.
                Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
                Err(_) => None,
            },
            Self::Local(futures) => futures.next().await,
        }
    }
}

/// The streaming shell of a walk: it does what the walk's decisions ([`Walk`]) ask, sending
/// requests and feeding their answers in, and decides nothing itself.
struct Shell {
    walk: Walk,
    search: Search,
    in_flight: InFlight,
    /// The forms its pages were asked in: one walk never mixes two (src/order.rs).
    forms: Arc<WalkForms>,
}

impl Shell {
    fn new(paginator: Paginator) -> Self {
        let search = paginator.search;
        let refused = paginator
            .refused
            .map(|argument| Error::InvalidArgument {
                argument,
                reason: "a walk bounded by creation time must be sorted by `created_at`, oldest \
                         first"
                    .to_owned(),
            })
            // Its start is found by creation time, which would drop the page unread (review
            // 114: `page(3)` with `created_after` yielded pages 1 and 2 too). Page 1 is the
            // start either way, and drops nothing (review 116). An invalid page is refused
            // as the request would refuse it, but here: the search for the start sets its own
            // pages, and would send its requests before the walk's first page refused it.
            .or_else(|| match (&paginator.after, &search.parameters.page) {
                (Some(_), Some(Err(_))) => Some(crate::error::invalid_argument("page")),
                (Some(_), Some(Ok(page))) if *page > NonZeroU32::MIN => {
                    Some(Error::InvalidArgument {
                        argument: "page",
                        reason: "a walk with a `created_after` bound or resumed from a position \
                                 starts where its contacts start, found by creation time: \
                                 leave `page` unset (or 1)"
                            .to_owned(),
                    })
                }
                _ => None,
            });
        let walk = Walk::new(Settings {
            // An invalid page is reported by the first request, like any other invalid
            // argument.
            first_page: search.first_page(),
            concurrency: paginator.concurrency,
            limit: paginator.limit,
            max_pages: paginator.max_pages,
            after: paginator.after,
            before: paginator.before,
            is_oldest_first: search.is_oldest_first(),
            refused,
        });
        Shell {
            walk,
            search,
            in_flight: InFlight::new(),
            forms: Arc::default(),
        }
    }

    async fn next(&mut self) -> Option<Result<ContactList>> {
        loop {
            match self.walk.poll() {
                // On a task as the pages are: the search's requests go on while the consumer
                // works (polled only from `next`, one timed out under a busy consumer).
                Action::FindStart(created_at) => {
                    let search = self.search.clone();
                    self.in_flight.push(async move {
                        Answered::Start(find_start(&search, created_at).await)
                    });
                }
                Action::Send(number) => self.send(number),
                Action::CancelInFlight => self.in_flight = InFlight::new(),
                Action::Wait => match self.in_flight.next().await {
                    Some(Answered::Page(number, result)) => self.walk.answered(number, result),
                    Some(Answered::Start(found)) => self.walk.start_found(found),
                    None => self.walk.lost_in_flight(),
                },
                Action::Yield(page) => return Some(Ok(page)),
                Action::End(error) => {
                    self.in_flight = InFlight::new();
                    return error.map(Err);
                }
            }
        }
    }

    fn send(&mut self, number: u32) {
        // An invalid `page` stays as it is, so that the request refuses it.
        let search = match self.search.parameters.page {
            Some(Err(_)) => self.search.clone(),
            _ => self.search.clone().page(number),
        };
        let forms = self.forms.clone();
        self.in_flight.push(async move {
            let (result, form) = search.fetch_checked().await;
            Answered::Page(number, forms.check(&search, result, form))
        });
    }
}

impl ContactListMeta {
    /// The page number the server says this is ([`CurrentPage::number`]), or `None` when it
    /// sent none or one that is not a page number.
    ///
    /// ```
    /// let page: livedesk::ContactList = serde_json::from_str(r#"{"meta":{"current_page":"2"}}"#)?;
    /// assert_eq!(page.meta.page(), Some(2));
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn page(&self) -> Option<u32> {
        self.current_page.as_ref().and_then(CurrentPage::number)
    }

    /// How many contacts match the search in all, when the server says: `count` on servers
    /// that answer in the documented shape, `None` on those that send `has_more` (their
    /// `count` is this page's size, not the matches) and where `count` is missing or
    /// negative. Read this, not `count`, for "N contacts match".
    ///
    /// ```
    /// let total: livedesk::ContactList = serde_json::from_str(r#"{"meta":{"count":40}}"#)?;
    /// assert_eq!(total.meta.total(), Some(40));
    /// let page_size: livedesk::ContactList =
    ///     serde_json::from_str(r#"{"meta":{"count":15,"has_more":true}}"#)?;
    /// assert_eq!(page_size.meta.total(), None);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn total(&self) -> Option<u64> {
        crate::walk::total_of_meta(self)
    }
}

impl CurrentPage {
    /// The page number, whether the server sent it as an integer or as a string; `None` for
    /// values that are not a page number (`"abc"`, `0`, negative numbers).
    ///
    /// ```
    /// use livedesk::types::CurrentPage;
    ///
    /// assert_eq!(CurrentPage::Int64(3).number(), Some(3));
    /// assert_eq!(CurrentPage::String("2".into()).number(), Some(2));
    /// assert_eq!(CurrentPage::String("abc".into()).number(), None);
    /// ```
    pub fn number(&self) -> Option<u32> {
        match self {
            Self::Int64(n) => u32::try_from(*n).ok(),
            Self::String(s) => s.trim().parse().ok(),
        }
        .filter(|&n| n > 0)
    }
}
