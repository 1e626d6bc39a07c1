//! Why a walk could not finish complete.

/// Why a walk could not finish complete.
///
/// ```no_run
/// use livedesk::{Error, WalkError};
///
/// # async fn run(client: livedesk::Client) {
/// match client.contacts().paginate().collect().await {
///     Ok(contacts) => println!("all {} of them", contacts.len()),
///     Err(Error::Walk(WalkError::CountMismatch { count, yielded, .. })) => {
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
    #[non_exhaustive]
    CountMismatch {
        /// The server's total, from the last page.
        count: u64,
        /// Distinct contacts the walk yielded.
        yielded: u64,
    },
    /// A page named another page than the one asked for.
    #[error("asked for page {requested}, the server answered page {answered}: it ignores `page`")]
    #[non_exhaustive]
    PageIgnored {
        /// The page asked for.
        requested: u32,
        /// The page the server said it answered.
        answered: u32,
    },
    /// Too many full pages in a row held only contacts already yielded (or one, the last
    /// page included, on a server that gives no total to check the walk against).
    #[error(
        "{pages} page(s) in a row held only contacts already yielded: the results shift under \
         the walk, or the server ignores `page`"
    )]
    #[non_exhaustive]
    RepeatedPages {
        /// How many pages in a row held only repeats.
        pages: u32,
    },
    /// A page's total was lower than one an earlier answer gave: contacts were deleted during
    /// the walk, and the contacts after them may have shifted onto pages already fetched.
    #[error(
        "the server's total fell from {from} to {to} at page {page}: contacts were deleted \
         during the walk, and others may have shifted onto pages already fetched; run it again"
    )]
    #[non_exhaustive]
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
        "page {page} no longer began before the walk's start when it was read: contacts were \
         deleted meanwhile; run it again"
    )]
    #[non_exhaustive]
    StartMoved {
        /// The page found to start from.
        page: u32,
    },
    /// A page held fewer contacts than its answer said: short of a full page (15) while the
    /// server said more contacts follow (`has_more: true`), or fewer than its `count` on a
    /// server whose `count` is the page's. Whatever it was to hold is unknown, and such a
    /// server gives no total to notice it by later.
    #[error(
        "page {page} held {received} contact(s), fewer than its answer said (a page holds 15 \
         where more follow it)"
    )]
    #[non_exhaustive]
    ShortPage {
        /// The page.
        page: u32,
        /// The contacts on it, repeats included.
        received: usize,
    },
    /// Contacts of one creation second (imported together) straddled pages, and the server
    /// ordered them differently for each page (its `ORDER BY created_at` has no
    /// tie-breaker): it showed some twice and never listed others.
    #[error(
        "{size} contacts share the creation time {created_at} (unix seconds) on pages \
         {first_page} to {last_page}, and the server ordered them differently for each page: \
         {missing} of them were never listed. The API has no tie-breaker for equal creation \
         times (contacts imported together share a second): export sorted by `email` instead \
         (unique in an account; contacts without one tie again), or narrow the search \
         (`labels`, `q`) so that no second's contacts straddle a page"
    )]
    #[non_exhaustive]
    Tie {
        /// The creation time the contacts share, in unix seconds.
        created_at: i64,
        /// The first page that held them.
        first_page: u32,
        /// The last page that held them.
        last_page: u32,
        /// The positions they filled in the order: how many share that second.
        size: u64,
        /// How many of them no page listed.
        missing: u64,
    },
    /// Sorted oldest first, a page began with a contact the page before it ended with, of a
    /// second no other contact seen has, while the server's total grew by as many as were
    /// repeated: contacts joined the order behind the walk at their old creation time (a
    /// contact given an email, phone number or identifier, which the upstream server is
    /// known to require of every contact it lists; the walked label; an edit that makes it
    /// match) and pushed the rest onto later pages. The walk did not list them, and cannot
    /// tell them from contacts of one second that the server ordered differently for each
    /// page.
    #[error(
        "page {page} began with {repeated} contact(s) the page before it ended with, while \
         the server's total grew: contacts joined the order behind the walk (a contact given \
         an email, phone number or identifier, the walked label, or an edit that makes it \
         match keeps its old creation time), and the walk did not list them (or contacts \
         of one creation time the server ordered differently for each page hid one); run \
         it again"
    )]
    #[non_exhaustive]
    JoinedBehind {
        /// The page that began with the repeats.
        page: u32,
        /// How many contacts it repeated.
        repeated: u64,
    },
    /// The walk reached its page cap before the server said it ended.
    #[error("the walk reached its cap of {pages} pages before the server said it ended")]
    #[non_exhaustive]
    PageCap {
        /// The cap, in pages.
        pages: u32,
    },
    /// The requests in flight ended without an answer (the runtime that ran them shut
    /// down): whatever the pages from this one on held is unknown.
    #[error(
        "the requests for page {page} and after ended without an answer (the runtime running \
         them shut down): the walk cannot tell what they held; run it again"
    )]
    #[non_exhaustive]
    Interrupted {
        /// The first page whose answer was lost.
        page: u32,
    },
}
