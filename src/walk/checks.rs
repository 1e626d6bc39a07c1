//! What a page must show for a walk to trust it, and the totals it is checked against.

use std::collections::HashMap;

use crate::{
    Error,
    position::After,
    types::{ContactList, ContactListMeta},
};

use super::{PAGE_SIZE, WalkError};

/// What a page's `meta` and size say about the walk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Shape {
    /// Contacts on the page, repeats included.
    pub(crate) received: usize,
    /// A full page: more may follow.
    pub(crate) is_full: bool,
    /// `meta.has_more`, on newer servers.
    pub(crate) has_more: Option<bool>,
    /// The total the page gives, on servers without `has_more`.
    pub(crate) total: Option<u64>,
}

impl Shape {
    pub(crate) fn of(page: &ContactList) -> Self {
        let received = page.payload.len();
        Shape {
            received,
            is_full: received >= PAGE_SIZE as usize,
            has_more: page.meta.has_more,
            total: total_of(page),
        }
    }

    /// Whether the data says the walk ends at this page: empty, short (without
    /// `has_more`), or `has_more: false`.
    pub(crate) fn is_end(self) -> bool {
        self.received == 0
            || self.has_more == Some(false)
            || (self.has_more.is_none() && !self.is_full)
    }
}

/// The total a page gives: `meta.count`, on servers without `has_more` (on the others it is
/// the page's size).
pub(crate) fn total_of(page: &ContactList) -> Option<u64> {
    total_of_meta(&page.meta)
}

pub(crate) fn total_of_meta(meta: &ContactListMeta) -> Option<u64> {
    match meta.has_more {
        None => meta.count.and_then(|count| u64::try_from(count).ok()),
        Some(_) => None,
    }
}

/// The checks of one page that do not depend on what the walk yielded before: the first
/// failed one, as the error that ends the walk.
///
/// - a page that names another page than the one asked: the server ignores `page` (or
///   answered from a cache), and what it hides cannot be known;
/// - a page short of what it says (more follow, or its own count on a `has_more` server):
///   what it was to hold is unknown;
/// - the page a resumed or time-bounded walk starts from must still begin before its start
///   (it was found as the page before the first to reach it), else contacts were deleted
///   in between and others shifted left;
/// - a walk placed by creation time cannot place a contact without one: fail, not guess.
pub(crate) fn page(
    number: u32,
    page: &ContactList,
    first_page: u32,
    after: Option<&After>,
    is_bounded_by_time: bool,
) -> Result<(), Error> {
    if let Some(answered) = page.meta.page().filter(|&n| n != number) {
        return Err(WalkError::PageIgnored {
            requested: number,
            answered,
        }
        .into());
    }
    // Upstream reads one contact more than a page holds to say `has_more`, and counts the
    // page it answers: a page that holds less than either lost contacts nothing else shows.
    let received = page.payload.len();
    let said = match page.meta.has_more {
        Some(true) => PAGE_SIZE as usize,
        Some(false) => page
            .meta
            .count
            .and_then(|count| usize::try_from(count).ok())
            .unwrap_or(0),
        None => 0,
    };
    if received < said {
        return Err(WalkError::ShortPage {
            page: number,
            received,
        }
        .into());
    }
    if let Some(after) = after
        && number == first_page
        && number > 1
        && page
            .payload
            .first()
            .and_then(|contact| contact.created_at)
            .is_some_and(|at| at >= after.created_at)
    {
        return Err(WalkError::StartMoved { page: number }.into());
    }
    if is_bounded_by_time
        && let Some(index) = page.payload.iter().position(|c| c.created_at.is_none())
    {
        return Err(Error::Decode {
            status: http::StatusCode::OK,
            path: format!("payload[{index}].created_at"),
            message: "missing, and a walk resumed or bounded by creation time places every \
                      contact by it"
                .to_owned(),
            excerpt: String::new(),
        });
    }
    Ok(())
}

/// The totals a walk's answers gave, to check each answer and the end against.
#[derive(Debug, Default)]
pub(crate) struct Totals {
    /// The largest total the server gave, in page order: a contact deleted during the walk
    /// lowers later counts, and the contacts it shifted onto pages already fetched would go
    /// missing unseen.
    pub(crate) count: Option<u64>,
    /// The largest total of the answers arrived so far (in any order).
    largest_arrived: Option<u64>,
    /// For each page in flight, the largest total arrived before it was sent: the server
    /// counted those first, so an honest answer to it cannot give less.
    sent_after: HashMap<u32, u64>,
}

impl Totals {
    /// A walk that starts with what a search for its start saw.
    pub(crate) fn starting_at(largest: Option<u64>) -> Self {
        Totals {
            largest_arrived: largest,
            ..Totals::default()
        }
    }

    /// Records that page `number` is sent now.
    pub(crate) fn sent(&mut self, number: u32) {
        if let Some(largest) = self.largest_arrived {
            self.sent_after.insert(number, largest);
        }
    }

    /// Checks an arrived page's total against the largest one that had arrived when the
    /// page was sent (answers to pages in flight together may have been counted in either
    /// order): a lower one is a deletion, which may have shifted contacts onto pages already
    /// fetched; an addition after it could bring the total back by the end, so it is caught
    /// here or not at all.
    pub(crate) fn arrived(&mut self, number: u32, page: &ContactList) -> Result<(), WalkError> {
        let total = total_of(page);
        match (self.sent_after.remove(&number), total) {
            (Some(from), Some(to)) if to < from => Err(WalkError::CountFell {
                page: number,
                from,
                to,
            }),
            _ => {
                self.largest_arrived = self.largest_arrived.max(total);
                Ok(())
            }
        }
    }

    /// Takes in the total of the page the walk reads now, in page order.
    pub(crate) fn read(&mut self, total: Option<u64>) {
        if total.is_some() {
            self.count = self.count.max(total);
        }
    }

    /// Forgets the pages in flight, whose answers are no longer wanted.
    pub(crate) fn forget_in_flight(&mut self) {
        self.sent_after.clear();
    }
}
