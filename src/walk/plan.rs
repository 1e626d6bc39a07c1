//! How far ahead a walk may request pages, and where it must stop asking.

use super::{LAST_POSSIBLE_PAGE, PAGE_SIZE, WalkError};

/// How far ahead pages may be requested.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Plan {
    /// Before the first page answers: one request, so that the server's shape (a total or
    /// `has_more`) is known before more are sent.
    FirstPage,
    /// `meta.count` is the total: up to this page, the first one expected short or empty.
    UpTo(u32),
    /// Newer servers (`has_more`), or a count that cannot be trusted: `concurrency` pages
    /// ahead; a page past the end comes back empty and costs one request.
    Ahead,
}

impl Plan {
    /// The plan after page `number` answered with `total` (if the server gives totals) and
    /// was `full`: a total plans up to the page it names as the last, a larger one later
    /// widens that, and a full page where the plan expected the end means the count was
    /// low, so the walk goes on ahead.
    pub(crate) fn after(
        self,
        first_page: u32,
        number: u32,
        total: Option<u64>,
        full: bool,
    ) -> Plan {
        let plan = match (self, total) {
            (Plan::Ahead, _) | (_, None) => Plan::Ahead,
            (plan, Some(total)) => {
                let last = expected_last_page(first_page, total);
                match plan {
                    Plan::UpTo(planned) => Plan::UpTo(planned.max(last)),
                    _ => Plan::UpTo(last),
                }
            }
        };
        match plan {
            Plan::UpTo(last) if number >= last && full => Plan::Ahead,
            plan => plan,
        }
    }

    /// How many pages may be in flight or held, and the last page that may be asked for.
    pub(crate) fn window(self, first_page: u32, concurrency: usize) -> (usize, u32) {
        match self {
            Plan::FirstPage => (1, first_page),
            Plan::UpTo(last) => (concurrency, last),
            Plan::Ahead => (concurrency, LAST_POSSIBLE_PAGE),
        }
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

/// A walk's page cap: the last page [`max_pages`](crate::Paginator::max_pages) allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Cap {
    first_page: u32,
    max_pages: Option<u32>,
}

impl Cap {
    pub(crate) fn new(first_page: u32, max_pages: Option<u32>) -> Self {
        Cap {
            first_page,
            max_pages: max_pages.map(|pages| pages.max(1)),
        }
    }

    /// The same cap for a walk that starts at `first_page` instead.
    pub(crate) fn starting_at(self, first_page: u32) -> Self {
        Cap { first_page, ..self }
    }

    fn last(self) -> Option<u32> {
        self.max_pages
            .map(|pages| self.first_page.saturating_add(pages - 1))
    }

    /// The last page that may be asked for, of the `planned` one.
    pub(crate) fn limit(self, planned: u32) -> u32 {
        self.last().map_or(planned, |cap| cap.min(planned))
    }

    /// The error of a walk that reached its cap, or the last page the API accepts, at
    /// page `number` without an end.
    pub(crate) fn reached(self, number: u32) -> Option<WalkError> {
        if number >= LAST_POSSIBLE_PAGE {
            Some(WalkError::PageCap { pages: number })
        } else if self.last().is_some_and(|cap| number >= cap) {
            Some(WalkError::PageCap {
                pages: number - self.first_page + 1,
            })
        } else {
            None
        }
    }
}
