//! Walking every page of a search: streams of pages and of contacts, with bounded concurrency.

use std::{collections::HashSet, future::Future, pin::Pin};

use futures::{
    Stream, StreamExt, TryStreamExt,
    stream::{self, FuturesOrdered},
};

use crate::{
    Result, Search,
    types::{Contact, ContactList, CurrentPage},
};

/// Contacts per page; the API has no page-size parameter.
///
/// ```
/// // 31 contacts fill three pages.
/// assert_eq!(31_u32.div_ceil(livedesk::PAGE_SIZE), 3);
/// ```
pub const PAGE_SIZE: u32 = 15;

/// Pages fetched at once by default once the page count is known.
///
/// ```
/// assert_eq!(livedesk::DEFAULT_CONCURRENCY, 4);
/// ```
pub const DEFAULT_CONCURRENCY: usize = 4;

impl Search {
    /// Walks every page of this search, from the page it names (default 1), with every
    /// filter on every request. See [`Paginate`] for the settings and the streams.
    ///
    /// ```no_run
    /// use futures::TryStreamExt;
    /// use livedesk::SortField;
    ///
    /// # async fn run(client: livedesk::Client) -> livedesk::Result<()> {
    /// let vips = client
    ///     .search("@")
    ///     .label("vip")
    ///     .sort(SortField::CreatedAt)
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
        }
    }
}

/// Settings for a walk over all pages of a search; made by [`Search::paginate`].
///
/// How the walk ends: at the first empty page; when `meta.has_more` is `false`; after the
/// last page that `meta.count` implies (`count` is the total when `has_more` is absent); at
/// the first error (yielded as the last item, after retries could not cure it); or at a
/// page that holds only contacts already yielded, which is how a server that repeats a
/// page shows itself. It never loops forever.
///
/// Each contact id is yielded at most once. Without `sort` the server's order is not stable
/// between pages, so while contacts change a contact can move from one page to another and
/// be missed or seen twice (the second time is dropped); set `sort` for the most stable walk.
///
/// Once the first page tells how many pages there are, the rest are fetched
/// [`concurrency`](Self::concurrency) at a time, still yielded in page order. Newer servers
/// (with `has_more`) do not say how many pages there are; there the walk is sequential.
/// Streams are lazy: requests run while the stream is polled, nothing runs in the
/// background, and dropping the stream cancels the requests in flight.
///
/// ```no_run
/// use futures::TryStreamExt;
///
/// # async fn run(client: livedesk::Client) -> livedesk::Result<()> {
/// let walk = client.search("@").paginate().concurrency(8).limit(1_000);
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
}

type PageFuture = Pin<Box<dyn Future<Output = (u32, Result<ContactList>)> + Send>>;

impl Paginate {
    /// Pages requested at once once the page count is known (default
    /// [`DEFAULT_CONCURRENCY`]); 1 walks strictly one page after another. At most about
    /// this many pages are held in memory.
    ///
    /// ```no_run
    /// # async fn run(client: livedesk::Client) -> livedesk::Result<()> {
    /// let all = client.search("@").paginate().concurrency(8).collect().await?;
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
    /// let first_40 = client.search("@").paginate().limit(40).collect().await?;
    /// assert!(first_40.len() <= 40);
    /// # Ok(()) }
    /// ```
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = Some(limit);
        self
    }

    /// The pages, in order, each with its `meta`. Contacts already yielded by an earlier
    /// page are removed from later pages, and the last page is cut at the limit.
    ///
    /// ```no_run
    /// use futures::TryStreamExt;
    ///
    /// # async fn run(client: livedesk::Client) -> livedesk::Result<()> {
    /// let mut pages = std::pin::pin!(client.search("@").paginate().pages());
    /// while let Some(page) = pages.try_next().await? {
    ///     println!("page {:?}: {} contacts", page.meta.current_page.number(), page.payload.len());
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
    /// let mut contacts = std::pin::pin!(client.search("@").paginate().contacts());
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
    /// let contacts = client.search("@").paginate().collect().await?;
    /// # Ok(()) }
    /// ```
    pub async fn collect(self) -> Result<Vec<Contact>> {
        self.contacts().try_collect().await
    }
}

/// How far the walk may go, as learnt from the first page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Bound {
    /// Before the first page answers.
    Unknown,
    /// `meta.count` is the total, so this is the last page.
    LastPage(u32),
    /// A newer server: follow `has_more` one page at a time.
    HasMore,
}

struct Walk {
    search: Search,
    concurrency: usize,
    /// Contacts still to yield, when limited.
    remaining: Option<usize>,
    next_page: u32,
    bound: Bound,
    in_flight: FuturesOrdered<PageFuture>,
    seen: HashSet<i64>,
    done: bool,
}

impl Walk {
    fn new(paginate: Paginate) -> Self {
        // An invalid page is reported by the first request, like any other invalid argument.
        let first = match paginate.search.parameters.page {
            Some(Ok(page)) => page.get(),
            _ => 1,
        };
        Self {
            search: paginate.search,
            concurrency: paginate.concurrency,
            remaining: paginate.limit,
            next_page: first,
            bound: Bound::Unknown,
            in_flight: FuturesOrdered::new(),
            seen: HashSet::new(),
            done: paginate.limit == Some(0),
        }
    }

    async fn next(&mut self) -> Option<Result<ContactList>> {
        if self.done {
            return None;
        }
        self.refill();
        let (number, result) = self.in_flight.next().await?;
        let mut page = match result {
            Ok(page) => page,
            Err(error) => {
                self.finish();
                return Some(Err(error));
            }
        };
        if self.bound == Bound::Unknown {
            self.bound = match page.meta.has_more {
                Some(_) => Bound::HasMore,
                None => Bound::LastPage(last_page(page.meta.count)),
            };
        }
        page.payload.retain(|contact| self.seen.insert(contact.id));
        if let Some(remaining) = &mut self.remaining {
            page.payload.truncate(*remaining);
            *remaining -= page.payload.len();
        }
        let last = match self.bound {
            Bound::LastPage(last) => number >= last,
            Bound::HasMore | Bound::Unknown => page.meta.has_more == Some(false),
        };
        if page.payload.is_empty() {
            // An empty page, or one that only repeats contacts already yielded: the end.
            self.finish();
            return None;
        }
        if last || self.remaining == Some(0) {
            self.finish();
        }
        Some(Ok(page))
    }

    /// Requests pages up to the window the bound allows and the limit needs.
    fn refill(&mut self) {
        let (window, last) = match self.bound {
            Bound::Unknown | Bound::HasMore => (1, u32::MAX),
            Bound::LastPage(last) => (self.concurrency, last),
        };
        while self.in_flight.len() < window && self.next_page <= last && self.wants_more() {
            let number = self.next_page;
            // An invalid `page` stays as it is, so that `send` refuses it like any argument.
            let request = match self.search.parameters.page {
                Some(Err(_)) => self.search.clone(),
                _ => self.search.clone().page(number),
            };
            self.in_flight
                .push_back(Box::pin(async move { (number, request.send().await) }));
            match self.next_page.checked_add(1) {
                Some(next) => self.next_page = next,
                None => break,
            }
        }
    }

    /// Whether the pages in flight may not be enough for the limit (assuming full pages).
    fn wants_more(&self) -> bool {
        self.remaining
            .is_none_or(|remaining| self.in_flight.len() * (PAGE_SIZE as usize) < remaining)
    }

    /// Ends the walk and cancels what is in flight.
    fn finish(&mut self) {
        self.done = true;
        self.in_flight = FuturesOrdered::new();
    }
}

/// The last page when `count` contacts match in all.
fn last_page(count: i64) -> u32 {
    let pages = u64::try_from(count)
        .unwrap_or(0)
        .div_ceil(u64::from(PAGE_SIZE));
    u32::try_from(pages).unwrap_or(u32::MAX)
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
    use super::last_page;

    #[test]
    fn last_page_from_count() {
        assert_eq!(last_page(0), 0);
        assert_eq!(last_page(1), 1);
        assert_eq!(last_page(15), 1);
        assert_eq!(last_page(16), 2);
        assert_eq!(last_page(3000), 200);
        assert_eq!(last_page(-5), 0);
        assert_eq!(last_page(i64::MAX), u32::MAX);
    }
}
