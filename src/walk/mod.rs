//! The decisions of a walk over pages, as a sans-IO state machine: fed the answers to the
//! requests it asks for, it says what to send next, what to yield and when the walk ends.
//! The streaming shell in `src/paginate.rs` only sends requests and feeds the answers in.
//!
//! Each rule lives in a file of its own: `plan` (how far ahead to ask), `checks` (what a
//! page must show, and the totals), `dedup` (each contact once), `bounds` (creation-time
//! bounds), `end` (whether the end is complete). `tests.rs` holds a table test for each
//! rule the README's walk section states.

mod bounds;
mod checks;
mod dedup;
mod end;
mod error;
mod plan;
#[cfg(test)]
mod tests;
mod ties;

use std::collections::BTreeMap;

use crate::{Error, Result, position::After, types::ContactList};

pub use dedup::MAX_REPEATED_PAGES;
pub use error::WalkError;

pub(crate) use checks::{total_of, total_of_meta};
pub(crate) use plan::expected_last_page;

use bounds::Bounds;
use checks::{Shape, Totals};
use dedup::Dedup;
use end::Short;
use plan::{Cap, Plan};
use ties::Ties;

/// Contacts per page; the API has no page-size parameter.
///
/// ```
/// // 31 contacts fill three pages.
/// assert_eq!(31_u32.div_ceil(livedesk::PAGE_SIZE), 3);
/// ```
pub const PAGE_SIZE: u32 = 15;

/// The largest page the API accepts (`page` is an `int32`).
pub(crate) const LAST_POSSIBLE_PAGE: u32 = i32::MAX as u32;

/// What a walk asks of its shell next.
#[derive(Debug)]
pub(crate) enum Action {
    /// Find the page to start from for the contacts created at or after this second (a
    /// binary search over the pages), and report it with [`Walk::start_found`].
    FindStart(i64),
    /// Send the request for this page; report its answer with [`Walk::answered`].
    Send(u32),
    /// Drop every request in flight: their answers are no longer wanted.
    CancelInFlight,
    /// Wait for an answer to a request in flight.
    Wait,
    /// Yield this page.
    Yield(ContactList),
    /// The walk is over, with this error as its last item if any; every later action is
    /// `End(None)`.
    End(Option<Error>),
}

/// What a walk was asked for.
#[derive(Debug)]
pub(crate) struct Settings {
    /// The page it starts from (unless a start is searched for).
    pub(crate) first_page: u32,
    /// Pages requested at once, at least 1.
    pub(crate) concurrency: usize,
    /// Contacts to yield at most.
    pub(crate) limit: Option<usize>,
    /// Pages to read at most before an end.
    pub(crate) max_pages: Option<u32>,
    /// Only contacts after this; its start is found by a binary search before the first page.
    pub(crate) after: Option<After>,
    /// Only contacts created before this second.
    pub(crate) before: Option<i64>,
    /// Sorted by creation, oldest first: contacts added during the walk join its end.
    pub(crate) is_oldest_first: bool,
    /// An error to end the walk with before it asks anything (a refused setting).
    pub(crate) refused: Option<Error>,
}

/// Whether the end was asked again for a total counted after every page the walk read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Recount {
    NotYet,
    /// Asked: the answer for this page is a recount.
    Pending(u32),
    Done,
}

/// Where the walk starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Start {
    /// To be found, for the contacts at or after this creation time.
    Search(i64),
    /// Being found: the shell reports it with [`Walk::start_found`].
    Searching,
    /// Found, or given.
    Known,
}

/// A walk's decisions: see the module's documentation.
#[derive(Debug)]
pub(crate) struct Walk {
    concurrency: usize,
    start: Start,
    first_page: u32,
    cap: Cap,
    bounds: Bounds,
    is_oldest_first: bool,
    /// Contacts still to yield, when limited.
    remaining: Option<usize>,
    plan: Plan,
    /// The next page to request, and the next to yield.
    next_request: u32,
    next_yield: u32,
    /// Requests sent and not answered.
    in_flight: usize,
    /// A request was sent while another was in flight: the server may have read their pages
    /// in any order.
    overlapped: bool,
    /// Pages that arrived before the ones before them.
    arrived: BTreeMap<u32, Result<ContactList>>,
    dedup: Dedup,
    totals: Totals,
    /// Runs of one creation time, on a walk sorted oldest first.
    ties: Ties,
    /// Times the end was read again for contacts added during the walk.
    end_reads: u32,
    /// The end page asked again for a fresh total only (its contacts are not taken in),
    /// when the data showed more positions than any total counted.
    recount: Recount,
    /// Requests in flight to be dropped before anything else is sent.
    is_cancelling: bool,
    /// What the walk ends with after the page it just yielded: `Ok` complete.
    ending: Option<Result<()>>,
    is_done: bool,
}

impl Walk {
    pub(crate) fn new(settings: Settings) -> Self {
        let first_page = settings.first_page;
        Walk {
            concurrency: settings.concurrency.max(1),
            start: match &settings.after {
                Some(after) => Start::Search(after.created_at),
                None => Start::Known,
            },
            first_page,
            cap: Cap::new(first_page, settings.max_pages),
            bounds: Bounds {
                after: settings.after,
                before: settings.before,
            },
            is_oldest_first: settings.is_oldest_first,
            remaining: settings.limit,
            plan: Plan::FirstPage,
            next_request: first_page,
            next_yield: first_page,
            in_flight: 0,
            overlapped: false,
            arrived: BTreeMap::new(),
            dedup: Dedup::default(),
            totals: Totals::default(),
            ties: Ties::default(),
            end_reads: 0,
            recount: Recount::NotYet,
            is_cancelling: false,
            ending: settings.refused.map(Err),
            is_done: settings.limit == Some(0),
        }
    }

    /// What to do next.
    pub(crate) fn poll(&mut self) -> Action {
        loop {
            if self.is_done {
                return Action::End(None);
            }
            if let Some(ending) = self.ending.take() {
                self.is_done = true;
                self.in_flight = 0;
                self.arrived.clear();
                self.totals.forget_in_flight();
                return Action::End(ending.err());
            }
            match self.start {
                Start::Search(created_at) => {
                    self.start = Start::Searching;
                    return Action::FindStart(created_at);
                }
                Start::Searching => return Action::Wait,
                Start::Known => {}
            }
            if self.is_cancelling {
                self.is_cancelling = false;
                return Action::CancelInFlight;
            }
            if let Some(number) = self.next_to_send() {
                return Action::Send(number);
            }
            let number = self.next_yield;
            let Some(result) = self.arrived.remove(&number) else {
                if self.in_flight > 0 {
                    return Action::Wait;
                }
                // Nothing asked and no end in sight cannot happen (every page that does not
                // end the walk plans the next); were it to, the total says whether the walk
                // is complete, never silence.
                self.ending = Some(self.completeness().map_err(Error::from));
                continue;
            };
            self.next_yield = number.saturating_add(1);
            match result {
                Err(error) => self.ending = Some(Err(error)),
                Ok(page) if self.recount == Recount::Pending(number) => {
                    self.recount = Recount::Done;
                    self.totals.read(Shape::of(&page).total);
                    self.ending = self.at_end(number);
                }
                Ok(page) => {
                    if let Some(page) = self.accept(number, page) {
                        return Action::Yield(page);
                    }
                }
            }
        }
    }

    /// The start a [`Action::FindStart`] found: the page to start from and the largest total
    /// the pages it read gave, or why it could not be found.
    pub(crate) fn start_found(&mut self, found: Result<(u32, Option<u64>)>) {
        self.start = Start::Known;
        match found {
            Err(error) => self.ending = Some(Err(error)),
            Ok((page, largest)) => {
                self.first_page = page;
                self.next_request = page;
                self.next_yield = page;
                self.cap = self.cap.starting_at(page);
                // A total lower than the search's when the walk reads a page: a deletion.
                self.totals = Totals::starting_at(largest);
            }
        }
    }

    /// The answer to the request for page `number`.
    pub(crate) fn answered(&mut self, number: u32, result: Result<ContactList>) {
        self.in_flight = self.in_flight.saturating_sub(1);
        let is_recount = self.recount == Recount::Pending(number);
        let result = result.and_then(|page| match self.totals.arrived(number, &page) {
            Ok(()) => Ok(page),
            // Counted after every page was read, a lower total is a deletion since then: it
            // fails no walk that holds every contact the largest total counted (review 100).
            // The largest total seen, not only in page order: a page past the end counts too.
            Err(WalkError::CountFell { from, .. })
                if is_recount
                    && end::completeness(
                        self.totals.count.max(Some(from)),
                        self.first_page,
                        self.dedup.len() as u64,
                    )
                    .is_ok() =>
            {
                Ok(page)
            }
            Err(error) => Err(error.into()),
        });
        self.arrived.insert(number, result);
    }

    /// Every request in flight was lost without an answer (the runtime running them shut
    /// down): the pages they asked for are unknown, so the walk ends in error. (Not by the
    /// total: a server that sends none could not tell a walk cut short from a complete one.)
    pub(crate) fn lost_in_flight(&mut self) {
        self.in_flight = 0;
        self.start = Start::Known;
        if self.ending.is_none() {
            self.ending = Some(Err(WalkError::Interrupted {
                page: self.next_yield,
            }
            .into()));
        }
    }

    /// The next page to request, if the plan's window, the cap and the limit allow one.
    fn next_to_send(&mut self) -> Option<u32> {
        let (window, last) = self.plan.window(self.first_page, self.concurrency);
        let last = self.cap.limit(last);
        let pending = self.in_flight + self.arrived.len();
        if pending >= window || self.next_request > last || !self.is_short_of_limit(pending) {
            return None;
        }
        let number = self.next_request;
        self.totals.sent(number);
        self.overlapped |= self.in_flight > 0;
        self.in_flight += 1;
        self.next_request = number.saturating_add(1);
        Some(number)
    }

    /// Whether `pending` pages may not be enough for the limit (assuming full pages).
    fn is_short_of_limit(&self, pending: usize) -> bool {
        self.remaining
            .is_none_or(|remaining| pending * (PAGE_SIZE as usize) < remaining)
    }

    /// Takes page `number` in, in page order: decides whether the walk goes on, and what of
    /// the page to yield (`None` for nothing).
    fn accept(&mut self, number: u32, mut page: ContactList) -> Option<ContactList> {
        let shape = Shape::of(&page);
        self.totals.read(shape.total);
        self.plan = self
            .plan
            .after(self.first_page, number, shape.total, shape.is_full);
        if let Err(error) = checks::page(
            number,
            &page,
            self.first_page,
            self.bounds.after.as_ref(),
            self.bounds.is_bounded(),
        ) {
            self.ending = Some(Err(error));
            return None;
        }
        if self.is_oldest_first
            && let Err(error) = self.ties.read(number, &page, shape.total)
        {
            self.ending = Some(Err(error.into()));
            return None;
        }
        let before_end = self.bounds.before_end(&page, &self.dedup);
        self.dedup.retain_new(&mut page);
        if page.payload.is_empty() && shape.is_end() && shape.received > 0 {
            // The last page held only contacts already yielded: on a server that gives no
            // total to check the walk against, what it was to hold went unseen (review 107).
            if self.totals.count.is_none() {
                self.ending = self.dedup.repeated_page(false).err().map(|e| Err(e.into()));
                return None;
            }
        } else if page.payload.is_empty() && !shape.is_end() {
            // A full page of contacts already yielded.
            self.ending = match self.cap.reached(number) {
                Some(cap) => Some(Err(cap.into())),
                None => self
                    .dedup
                    .repeated_page(self.totals.count.is_some())
                    .err()
                    .map(|error| Err(error.into())),
            };
            return None;
        }
        self.dedup.fresh_page();

        let reached_end = self.bounds.trim(&mut page);
        if let Some(remaining) = &mut self.remaining {
            page.payload.truncate(*remaining);
            *remaining -= page.payload.len();
            if *remaining == 0 {
                // What was asked for, complete whatever the count says.
                self.ending = Some(Ok(()));
                return Some(page);
            }
        }
        self.ending = if reached_end {
            let before_end = before_end.expect("an end bound was checked");
            Some(
                before_end
                    .check(self.first_page, number)
                    .map_err(Error::from),
            )
        } else if shape.is_end() {
            let tie = if self.is_oldest_first {
                self.ties.end()
            } else {
                Ok(())
            };
            match tie {
                Err(error) => Some(Err(error.into())),
                Ok(())
                    if self.recount == Recount::NotYet
                        && self.totals.count.is_some_and(|count| {
                            self.overlapped || end::positions(number, shape.received) > count
                        }) =>
                {
                    // Upstream counts, then reads the page: a contact that arrives in
                    // between is on the page and not in its count, and pushes the page's
                    // last contact onto the next. Read in order, the next page's count has
                    // it, unless that page ended the walk: then the pages held more
                    // positions than any total counted. Read together, the next page may
                    // have been read first, without it, and no total or position shows
                    // that. Either way the contact that arrived could stand in for one the
                    // walk missed: ask the end again, for a total counted after every page
                    // the walk read.
                    self.recount_end(number);
                    None
                }
                Ok(()) => self.at_end(number),
            }
        } else {
            self.cap.reached(number).map(|cap| Err(cap.into()))
        };
        (!page.payload.is_empty()).then_some(page)
    }

    /// At the end the data announced, on page `number`: complete, or read the end again
    /// (oldest first), or the shortfall.
    fn at_end(&mut self, number: u32) -> Option<Result<()>> {
        match self.completeness() {
            Ok(()) => Some(Ok(())),
            Err(error) => match end::when_short(self.is_oldest_first, self.end_reads) {
                Short::ReadAgain => {
                    self.read_end_again(number);
                    None
                }
                Short::Fail => Some(Err(error.into())),
            },
        }
    }

    /// Asks page `number` again, for its total only.
    fn recount_end(&mut self, number: u32) {
        self.recount = Recount::Pending(number);
        self.ask_again(number);
    }

    fn completeness(&self) -> Result<(), WalkError> {
        end::completeness(self.totals.count, self.first_page, self.dedup.len() as u64)
    }

    /// Oldest first, contacts added during the walk join its end: the end is read again one
    /// page at a time, from the page that ended it (what was already yielded is dropped as a
    /// repeat). Requests still in flight are dropped: they are sent again in order.
    fn read_end_again(&mut self, ended_at: u32) {
        self.end_reads += 1;
        self.ask_again(ended_at);
        self.dedup.fresh_page();
    }

    /// Drops the requests in flight and asks page `number` next, alone.
    fn ask_again(&mut self, number: u32) {
        self.concurrency = 1;
        self.is_cancelling = true;
        self.in_flight = 0;
        self.arrived.clear();
        self.totals.forget_in_flight();
        self.next_request = number;
        self.next_yield = number;
    }
}
