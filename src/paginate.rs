//! Walking every page of a search: streams of pages and of contacts, with bounded concurrency.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    future::Future,
    pin::Pin,
};

use futures::{
    Stream, StreamExt, TryStreamExt,
    stream::{self, FuturesUnordered},
};
use tokio::task::JoinSet;

use crate::{
    Error, Result, Search,
    position::{After, Position, find_start},
    types::{Contact, ContactList, ContactListMeta, CurrentPage},
};

/// Contacts per page; the API has no page-size parameter.
///
/// ```
/// // 31 contacts fill three pages.
/// assert_eq!(31_u32.div_ceil(livedesk::PAGE_SIZE), 3);
/// ```
pub const PAGE_SIZE: u32 = 15;

/// Pages fetched at once by default.
///
/// ```
/// assert_eq!(livedesk::DEFAULT_CONCURRENCY, 4);
/// ```
pub const DEFAULT_CONCURRENCY: usize = 4;

impl Search {
    /// Walks every page of this search, from the page it names (default 1), with every
    /// filter on every request. See [`Paginate`] for the settings, the streams and the rules
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
    pub fn paginate(self) -> Paginate {
        Paginate {
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
///   [`WalkError::CountMismatch`]: contacts moved between pages while it ran. See below for
///   the order that avoids it. A total lower than an earlier answer's ends the walk with
///   [`WalkError::CountFell`]: a contact was deleted, and may have shifted others onto pages
///   already fetched (a server whose totals go backwards for another reason, such as a
///   stale cache, fails walks this way too). What no total can show is a deletion that an
///   addition hides before the next answer the walk compares with, nor one that pages in
///   flight together straddle: run an export again if contacts may be deleted while it runs.
/// - **Repeats are dropped.** A contact already yielded is not yielded again. A full page
///   that holds only repeats (contacts shifted by others added before them) is skipped, up
///   to [`MAX_REPEATED_PAGES`] in a row ([`WalkError::RepeatedPages`] past that), on servers
///   that give a total, which then tells whether the skipped page hid anything; on servers
///   without one (`has_more`) such a page ends the walk with that error. A page whose
///   `meta.current_page` is not the page asked for means the server ignores `page`, and ends
///   the walk with [`WalkError::PageIgnored`].
/// - **Without a total, trust is all there is.** A `has_more` server gives no total, so a
///   walk there cannot notice contacts that moved onto pages it had already fetched; export
///   oldest first (below) on such servers too.
/// - **Errors end it**: the first error that retries could not cure is the stream's last
///   item, after every page before it.
/// - **It can be capped**: [`max_pages`](Self::max_pages) ends a walk that has not ended by
///   itself with [`WalkError::PageCap`]; no cap by default, so a server that says there is
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
/// it reached. Newest first, or without `sort` (whose order is not stable between pages),
/// contacts added during the walk push others onto pages already fetched, and the count check
/// ends the walk with an error rather than let them go missing.
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
pub struct Paginate {
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

/// Full pages of repeats skipped in a row before a walk gives up.
///
/// ```
/// assert_eq!(livedesk::MAX_REPEATED_PAGES, 4);
/// ```
pub const MAX_REPEATED_PAGES: u32 = 4;

/// The largest page the API accepts (`page` is an `int32`).
pub(crate) const LAST_POSSIBLE_PAGE: u32 = i32::MAX as u32;

/// How many times in a row an oldest-first walk reads its end again when the total grew past
/// what it yielded. Each read takes in the contacts added up to its own answer, so one is
/// usually enough; more in a row means contacts arrive faster than the end can be read, or
/// are missing for another reason, and the walk fails.
const MAX_END_READS: u32 = 8;

/// Why a walk could not finish complete.
///
/// ```no_run
/// use livedesk::{Error, WalkError};
///
/// # async fn run(client: livedesk::Client) {
/// match client.contacts().paginate().collect().await {
///     Ok(contacts) => println!("all {} of them", contacts.len()),
///     Err(Error::Walk(WalkError::CountMismatch { count, yielded })) => {
///         eprintln!("{yielded} of {count}: contacts moved during the walk, run it again")
///     }
///     Err(other) => eprintln!("{other}"),
/// }
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WalkError {
    /// The walk ended with fewer contacts than the server's total.
    #[error(
        "the server counted {count} matching contacts but its pages held {yielded}: contacts \
         moved between pages during the walk (contacts added, unless the walk is oldest first, \
         where they join its end; or contacts deleted); run it again"
    )]
    CountMismatch {
        /// The server's total, from the last page.
        count: u64,
        /// Distinct contacts the walk yielded.
        yielded: u64,
    },
    /// A page named another page than the one asked for.
    #[error("asked for page {requested}, the server answered page {answered}: it ignores `page`")]
    PageIgnored {
        /// The page asked for.
        requested: u32,
        /// The page the server said it answered.
        answered: u32,
    },
    /// Too many full pages in a row held only contacts already yielded (or one, on a server
    /// that gives no total to check the walk against).
    #[error(
        "{0} page(s) in a row held only contacts already yielded: the results shift under the \
         walk, or the server ignores `page`"
    )]
    RepeatedPages(u32),
    /// A page's total was lower than one an earlier answer gave: contacts were deleted during
    /// the walk, and the contacts after them may have shifted onto pages already fetched.
    #[error(
        "the server's total fell from {from} to {to} at page {page}: contacts were deleted \
         during the walk, and others may have shifted onto pages already fetched; run it again"
    )]
    CountFell {
        /// The page whose answer gave the lower total.
        page: u32,
        /// The largest total an earlier answer gave.
        from: u64,
        /// The total this page gave.
        to: u64,
    },
    /// The page a resumed or time-bounded walk found to start from no longer began before
    /// its start when the walk read it: contacts before it were deleted in between, and some
    /// after it may have shifted onto earlier pages.
    #[error(
        "page {0} no longer began before the walk's start when it was read: contacts were \
         deleted meanwhile; run it again"
    )]
    StartMoved(u32),
    /// A page came back empty while the server said more contacts follow (`has_more:
    /// true`): whatever it was to hold is unknown.
    #[error("page {0} was empty, but the server said more contacts follow it")]
    EmptyPage(u32),
    /// The walk reached its page cap before the server said it ended.
    #[error("the walk reached its cap of {0} pages before the server said it ended")]
    PageCap(u32),
}

impl Paginate {
    /// Pages requested at once (default [`DEFAULT_CONCURRENCY`]); 1 walks strictly one page
    /// after another. At most this many pages are held in memory.
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

    /// Ends a walk that has not ended by itself after `pages` pages with
    /// [`WalkError::PageCap`] (no cap by default).
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

    /// Where this walk starts: before its first contact. Advance it with each contact the
    /// walk yields ([`Position::advance`]), save it, and [`resume`](Self::resume) from it.
    ///
    /// ```no_run
    /// # async fn run(client: livedesk::Client) {
    /// let walk = client.contacts().sort(livedesk::SortField::CreatedAt).paginate();
    /// let position = walk.position();
    /// # }
    /// ```
    pub fn position(&self) -> Position {
        Position::start(&self.search)
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
    /// position, and no position can promise completeness.
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
    /// with another, its first item is [`Error::InvalidArgument`].
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
    /// created at or after it. Sorted as for [`created_after`](Self::created_after).
    ///
    /// ```no_run
    /// # async fn run(client: livedesk::Client) -> livedesk::Result<()> {
    /// let (from, to) = (1_700_000_000, 1_700_086_400);
    /// let that_day = client.contacts().paginate().created_after(from).created_before(to).collect().await?;
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
    /// ```no_run
    /// use futures::TryStreamExt;
    ///
    /// # async fn run(client: livedesk::Client) -> livedesk::Result<()> {
    /// let mut pages = std::pin::pin!(client.contacts().paginate().pages());
    /// while let Some(page) = pages.try_next().await? {
    ///     println!("page {:?}: {} contacts", page.meta.page(), page.payload.len());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn pages(self) -> impl Stream<Item = Result<ContactList>> + Send + 'static {
        let walk = Walk::new(self);
        stream::unfold(walk, |mut walk| async move {
            walk.next().await.map(|item| (item, walk))
        })
    }

    /// The contacts, in server order.
    ///
    /// ```no_run
    /// use futures::TryStreamExt;
    ///
    /// # async fn run(client: livedesk::Client) -> livedesk::Result<()> {
    /// let mut contacts = std::pin::pin!(client.contacts().paginate().contacts());
    /// while let Some(contact) = contacts.try_next().await? {
    ///     println!("{} {:?}", contact.id, contact.email);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn contacts(self) -> impl Stream<Item = Result<Contact>> + Send + 'static {
        self.pages()
            .map_ok(|page| stream::iter(page.payload.into_iter().map(Ok)))
            .try_flatten()
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

/// How far ahead pages may be requested.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Plan {
    /// Before the first page answers: one request.
    FirstPage,
    /// `meta.count` is the total: up to this page, the first one expected short or empty.
    UpTo(u32),
    /// Newer servers (`has_more`), or a count that cannot be trusted: `concurrency` pages
    /// ahead; a page past the end comes back empty and costs one request.
    Ahead,
}

type PageResult = (u32, Result<ContactList>);

/// Requests in flight: on tasks of their own when a tokio runtime is running (they progress
/// while the consumer works, and are aborted when the walk is dropped), polled in place
/// otherwise.
enum InFlight {
    Tasks(JoinSet<PageResult>),
    Local(FuturesUnordered<Pin<Box<dyn Future<Output = PageResult> + Send>>>),
}

impl InFlight {
    fn new() -> Self {
        match tokio::runtime::Handle::try_current() {
            Ok(_) => Self::Tasks(JoinSet::new()),
            Err(_) => Self::Local(FuturesUnordered::new()),
        }
    }

    fn len(&self) -> usize {
        match self {
            Self::Tasks(tasks) => tasks.len(),
            Self::Local(futures) => futures.len(),
        }
    }

    fn push(&mut self, request: impl Future<Output = PageResult> + Send + 'static) {
        match self {
            Self::Tasks(tasks) => {
                tasks.spawn(request);
            }
            Self::Local(futures) => futures.push(Box::pin(request)),
        }
    }

    async fn next(&mut self) -> Option<PageResult> {
        match self {
            Self::Tasks(tasks) => match tasks.join_next().await? {
                Ok(result) => Some(result),
                // A panic in a request is passed on; a cancelled task means the runtime is
                // shutting down, and nobody is left to read the walk.
                Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
                Err(_) => None,
            },
            Self::Local(futures) => futures.next().await,
        }
    }
}

struct Walk {
    search: Search,
    concurrency: usize,
    /// Only contacts after this; its start is found by binary search before the first page.
    after: Option<After>,
    start_found: bool,
    before: Option<i64>,
    max_pages: Option<u32>,
    /// Contacts still to yield, when limited.
    remaining: Option<usize>,
    /// The last page the cap allows.
    cap: Option<u32>,
    first_page: u32,
    /// The next page to request, and the next to yield.
    next_request: u32,
    next_yield: u32,
    plan: Plan,
    in_flight: InFlight,
    /// Pages that arrived before the ones before them.
    arrived: BTreeMap<u32, Result<ContactList>>,
    seen: HashSet<i64>,
    /// Full pages of repeats in a row.
    repeats: u32,
    /// The largest total the server gave, if it gives totals, in page order.
    count: Option<u64>,
    /// The largest total of the answers arrived so far.
    largest_arrived: Option<u64>,
    /// For each page in flight, the largest total arrived before it was sent: the server
    /// counted those first, so an honest answer to it cannot give less.
    sent_after: HashMap<u32, u64>,
    /// What the walk ends with after the page it just yielded.
    ending: Option<Ending>,
    /// Sorted by creation, oldest first: contacts added during the walk join its end.
    oldest_first: bool,
    /// Times the end was read again for contacts added during the walk.
    end_reads: u32,
    done: bool,
    /// The forms its pages were asked in: one walk never mixes two (src/order.rs).
    forms: std::sync::Arc<crate::order::WalkForms>,
}

enum Ending {
    Complete,
    Failed(Error),
}

impl Walk {
    fn new(paginate: Paginate) -> Self {
        // An invalid page is reported by the first request, like any other invalid argument.
        let first_page = paginate.search.first_page();
        let oldest_first = paginate.search.is_oldest_first();
        let cap = paginate
            .max_pages
            .map(|pages| first_page.saturating_add(pages - 1));
        let ending = paginate.refused.map(|argument| {
            Ending::Failed(Error::InvalidArgument {
                argument,
                reason: "a walk bounded by creation time must be sorted by `created_at`, \
                         oldest first"
                    .to_owned(),
            })
        });
        Self {
            search: paginate.search,
            concurrency: paginate.concurrency,
            start_found: paginate.after.is_none(),
            after: paginate.after,
            before: paginate.before,
            max_pages: paginate.max_pages,
            remaining: paginate.limit,
            cap,
            first_page,
            next_request: first_page,
            next_yield: first_page,
            plan: Plan::FirstPage,
            in_flight: InFlight::new(),
            arrived: BTreeMap::new(),
            seen: HashSet::new(),
            repeats: 0,
            count: None,
            largest_arrived: None,
            sent_after: HashMap::new(),
            ending,
            oldest_first,
            end_reads: 0,
            done: paginate.limit == Some(0),
            forms: Default::default(),
        }
    }

    async fn next(&mut self) -> Option<Result<ContactList>> {
        loop {
            if self.done {
                return None;
            }
            match self.ending.take() {
                Some(Ending::Complete) => return self.finish(None),
                Some(Ending::Failed(error)) => return self.finish(Some(error)),
                None => {}
            }
            if !self.start_found
                && let Err(error) = self.find_start().await
            {
                return self.finish(Some(error));
            }
            self.refill();
            let number = self.next_yield;
            let result = match self.arrived.remove(&number) {
                Some(result) => result,
                None => {
                    let Some((arrived, result)) = self.in_flight.next().await else {
                        // Nothing asked and no end in sight cannot happen (every page that
                        // does not end the walk plans the next); were it to, the total says
                        // whether the walk is complete, never silence.
                        self.ending = Some(self.completeness());
                        continue;
                    };
                    let result = result.and_then(|page| self.total_held(arrived, page));
                    self.arrived.insert(arrived, result);
                    continue;
                }
            };
            self.next_yield = number.saturating_add(1);
            match result {
                Err(error) => return self.finish(Some(error)),
                Ok(page) => {
                    if let Some(page) = self.accept(number, page) {
                        return Some(Ok(page));
                    }
                }
            }
        }
    }

    /// Checks a page's total against the largest one that had arrived when the page was
    /// sent (answers to pages in flight together may have been counted in either order): a
    /// lower one is a deletion, which may have shifted contacts onto pages already fetched;
    /// an addition after it could bring the total back by the end, so it is caught here or
    /// not at all.
    fn total_held(&mut self, number: u32, page: ContactList) -> Result<ContactList> {
        let total = total_of(&page);
        match (self.sent_after.remove(&number), total) {
            (Some(from), Some(to)) if to < from => Err(WalkError::CountFell {
                page: number,
                from,
                to,
            }
            .into()),
            _ => {
                self.largest_arrived = self.largest_arrived.max(total);
                Ok(page)
            }
        }
    }

    /// Finds the page to start from for the contacts after `self.after`, and starts there.
    async fn find_start(&mut self) -> Result<()> {
        let created_at = self
            .after
            .as_ref()
            .map_or(i64::MIN, |after| after.created_at);
        let (page, largest) = find_start(&self.search, created_at).await?;
        self.start_found = true;
        self.first_page = page;
        self.next_request = page;
        self.next_yield = page;
        self.cap = self.max_pages.map(|pages| page.saturating_add(pages - 1));
        // A total lower than the search's when the walk reads a page: a deletion.
        self.largest_arrived = largest;
        Ok(())
    }

    /// Takes page `number` in: decides whether the walk goes on, and what of the page to
    /// yield (`None` for nothing).
    fn accept(&mut self, number: u32, mut page: ContactList) -> Option<ContactList> {
        let received = page.payload.len();
        let full = received >= PAGE_SIZE as usize;
        let has_more = page.meta.has_more;
        let total = total_of(&page);
        // The largest total seen: a contact deleted during the walk lowers later counts,
        // and the contacts it shifted onto pages already fetched would go missing unseen.
        if total.is_some() {
            self.count = self.count.max(total);
        }
        self.plan = match (self.plan, total) {
            (Plan::Ahead, _) | (_, None) => Plan::Ahead,
            (plan, Some(total)) => {
                let last = expected_last_page(self.first_page, total);
                match plan {
                    Plan::UpTo(planned) => Plan::UpTo(planned.max(last)),
                    _ => Plan::UpTo(last),
                }
            }
        };

        // A full page where the plan expected the end: the count was low; go on ahead.
        if matches!(self.plan, Plan::UpTo(last) if number >= last) && full {
            self.plan = Plan::Ahead;
        }

        // A page that says it is another page than the one asked: the server ignores `page`
        // (or answered from a cache), and what it hides cannot be known.
        if let Some(answered) = page.meta.page().filter(|&n| n != number) {
            self.ending = Some(Ending::Failed(
                WalkError::PageIgnored {
                    requested: number,
                    answered,
                }
                .into(),
            ));
            return None;
        }
        if received == 0 && has_more == Some(true) {
            self.ending = Some(Ending::Failed(WalkError::EmptyPage(number).into()));
            return None;
        }
        // The start was found as the page before the first to reach the bound: it must still
        // begin before it, else contacts were deleted in between and others shifted left.
        if let Some(after) = &self.after
            && number == self.first_page
            && number > 1
            && page
                .payload
                .first()
                .and_then(|contact| contact.created_at)
                .is_some_and(|at| at >= after.created_at)
        {
            self.ending = Some(Ending::Failed(WalkError::StartMoved(number).into()));
            return None;
        }
        // A walk placed by creation time cannot place a contact without one: fail, not guess.
        if (self.after.is_some() || self.before.is_some())
            && let Some(index) = page.payload.iter().position(|c| c.created_at.is_none())
        {
            self.ending = Some(Ending::Failed(Error::Decode {
                status: http::StatusCode::OK,
                path: format!("payload[{index}].created_at"),
                message: "missing, and a walk resumed or bounded by creation time places every \
                          contact by it"
                    .to_owned(),
                excerpt: String::new(),
            }));
            return None;
        }
        // With an end bound: where on this page the contacts at or past it begin, and how many
        // distinct contacts the walk holds before them.
        let before_bound = self.before.map(|before| {
            let at = page
                .payload
                .iter()
                .position(|c| c.created_at.is_some_and(|at| at >= before))
                .unwrap_or(received);
            let mut new = HashSet::new();
            for contact in &page.payload[..at] {
                if !self.seen.contains(&contact.id) {
                    new.insert(contact.id);
                }
            }
            (at, self.seen.len() + new.len())
        });
        page.payload.retain(|contact| self.seen.insert(contact.id));
        let ends = received == 0 || has_more == Some(false) || (has_more.is_none() && !full);
        if page.payload.is_empty() && !ends {
            // A full page of contacts already yielded.
            self.repeats += 1;
            if let Some(cap) = self.page_cap(number) {
                self.ending = Some(cap);
                return None;
            }
            // Skipping is safe only where the total will tell whether the skipped page hid
            // contacts; without one (`has_more` servers), a page of repeats ends the walk.
            if self.repeats > MAX_REPEATED_PAGES || self.count.is_none() {
                self.ending = Some(Ending::Failed(
                    WalkError::RepeatedPages(self.repeats).into(),
                ));
            }
            return None;
        }
        self.repeats = 0;

        // Bounds by creation time (the walk is oldest first): what comes before the start is
        // not yielded, and the first contact at or past the end ends the walk.
        if let Some(after) = &self.after {
            page.payload.retain(|contact| after.admits(contact));
        }
        let mut reached_end = false;
        if let Some(before) = self.before {
            let within = |contact: &Contact| contact.created_at.is_none_or(|at| at < before);
            reached_end = !page.payload.iter().all(within);
            page.payload.retain(within);
        }

        if let Some(remaining) = &mut self.remaining {
            page.payload.truncate(*remaining);
            *remaining -= page.payload.len();
            if *remaining == 0 {
                // What was asked for, complete whatever the count says.
                self.ending = Some(Ending::Complete);
                return Some(page);
            }
        }
        self.ending = if reached_end {
            // Every contact before the bound must have come out: as many as the pages before it
            // hold, with no shift or reordered tie hiding one.
            let (at, held) = before_bound.expect("an end bound was checked");
            let expected = (number - self.first_page) as usize * PAGE_SIZE as usize + at;
            Some(if held < expected {
                Ending::Failed(
                    WalkError::CountMismatch {
                        count: expected as u64,
                        yielded: held as u64,
                    }
                    .into(),
                )
            } else {
                Ending::Complete
            })
        } else if ends {
            match self.completeness() {
                Ending::Failed(_) if self.oldest_first && self.end_reads < MAX_END_READS => {
                    self.read_end_again(number);
                    None
                }
                ending => Some(ending),
            }
        } else {
            self.page_cap(number)
        };
        (!page.payload.is_empty()).then_some(page)
    }

    /// Oldest first, contacts added during the walk join its end: a total that grew past what
    /// the walk yielded after its last page was read is settled by reading the end again, one
    /// page at a time, from the page that ended it (what was already yielded is dropped as a
    /// repeat). Requests still in flight are dropped: they are re-sent in order.
    fn read_end_again(&mut self, ended_at: u32) {
        self.end_reads += 1;
        self.concurrency = 1;
        self.in_flight = InFlight::new();
        self.arrived.clear();
        self.sent_after.clear();
        self.next_request = ended_at;
        self.next_yield = ended_at;
        self.repeats = 0;
    }

    /// The end of a walk that reached its cap, or the last page the API accepts, at `number`.
    fn page_cap(&self, number: u32) -> Option<Ending> {
        if number >= LAST_POSSIBLE_PAGE {
            Some(Ending::Failed(WalkError::PageCap(number).into()))
        } else if self.cap.is_some_and(|cap| number >= cap) {
            let pages = number - self.first_page + 1;
            Some(Ending::Failed(WalkError::PageCap(pages).into()))
        } else {
            None
        }
    }

    /// At the end the data announced: complete, unless the server's total says otherwise.
    fn completeness(&self) -> Ending {
        let skipped = u64::from(self.first_page - 1) * u64::from(PAGE_SIZE);
        let yielded = self.seen.len() as u64;
        match self.count {
            Some(count) if yielded + skipped < count => Ending::Failed(
                WalkError::CountMismatch {
                    count: count.saturating_sub(skipped),
                    yielded,
                }
                .into(),
            ),
            _ => Ending::Complete,
        }
    }

    /// Requests pages up to the window the plan allows and the limit needs.
    fn refill(&mut self) {
        let (window, last) = match self.plan {
            Plan::FirstPage => (1, self.first_page),
            Plan::UpTo(last) => (self.concurrency, last),
            Plan::Ahead => (self.concurrency, LAST_POSSIBLE_PAGE),
        };
        let last = self.cap.map_or(last, |cap| cap.min(last));
        while self.in_flight.len() + self.arrived.len() < window
            && self.next_request <= last
            && self.wants_more()
        {
            let number = self.next_request;
            // An invalid `page` stays as it is, so that the request refuses it.
            let search = match self.search.parameters.page {
                Some(Err(_)) => self.search.clone(),
                _ => self.search.clone().page(number),
            };
            if let Some(largest) = self.largest_arrived {
                self.sent_after.insert(number, largest);
            }
            let forms = self.forms.clone();
            self.in_flight.push(async move {
                let (result, form) = search.fetch_checked().await;
                (number, forms.check(&search, result, form))
            });
            self.next_request = number.saturating_add(1);
        }
    }

    /// Whether the pages in flight may not be enough for the limit (assuming full pages).
    fn wants_more(&self) -> bool {
        let pending = self.in_flight.len() + self.arrived.len();
        self.remaining
            .is_none_or(|remaining| pending * (PAGE_SIZE as usize) < remaining)
    }

    /// Ends the walk, cancelling what is in flight, with `error` as its last item if any.
    fn finish(&mut self, error: Option<Error>) -> Option<Result<ContactList>> {
        self.done = true;
        self.in_flight = InFlight::new();
        self.arrived.clear();
        self.sent_after.clear();
        error.map(Err)
    }
}

/// The total a page gives: `meta.count`, on servers without `has_more` (on the others it is
/// the page's size).
pub(crate) fn total_of(page: &ContactList) -> Option<u64> {
    match page.meta.has_more {
        None => page.meta.count.and_then(|count| u64::try_from(count).ok()),
        Some(_) => None,
    }
}

/// The first page expected to be short or empty when `total` contacts match and the walk
/// started at `first_page`.
pub(crate) fn expected_last_page(first_page: u32, total: u64) -> u32 {
    let skipped = u64::from(first_page - 1);
    let full_pages = total / u64::from(PAGE_SIZE);
    u32::try_from(full_pages.saturating_sub(skipped) + u64::from(first_page))
        .unwrap_or(u32::MAX)
        .min(LAST_POSSIBLE_PAGE)
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

#[cfg(test)]
mod tests {
    use super::expected_last_page;

    #[test]
    fn the_page_expected_short_or_empty() {
        assert_eq!(expected_last_page(1, 0), 1);
        assert_eq!(expected_last_page(1, 1), 1);
        assert_eq!(expected_last_page(1, 14), 1);
        assert_eq!(expected_last_page(1, 15), 2);
        assert_eq!(expected_last_page(1, 16), 2);
        assert_eq!(expected_last_page(1, 3000), 201);
        assert_eq!(expected_last_page(3, 40), 3);
        assert_eq!(expected_last_page(1, u64::MAX), i32::MAX as u32);
    }
}
