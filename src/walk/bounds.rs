//! Bounds by creation time, on a walk sorted oldest first: what comes before its start is
//! not yielded, and the first contact at or past its end ends it.

use crate::{
    position::After,
    types::{Contact, ContactList},
};

use super::{PAGE_SIZE, WalkError, dedup::Dedup};

#[derive(Clone, Debug, Default)]
pub(crate) struct Bounds {
    /// Only contacts after this (resumed, or created after a time).
    pub(crate) after: Option<After>,
    /// Only contacts created before this second.
    pub(crate) before: Option<i64>,
}

/// Where on a page the contacts at or past the end bound begin, and how many distinct
/// contacts the walk holds before them: taken before the page's repeats are dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BeforeEnd {
    at: usize,
    held: usize,
}

impl Bounds {
    pub(crate) fn is_bounded(&self) -> bool {
        self.after.is_some() || self.before.is_some()
    }

    /// With an end bound, where it falls on `page` and what the walk holds before it.
    pub(crate) fn before_end(&self, page: &ContactList, dedup: &Dedup) -> Option<BeforeEnd> {
        let before = self.before?;
        let at = page
            .payload
            .iter()
            .position(|c| c.created_at.is_some_and(|at| at >= before))
            .unwrap_or(page.payload.len());
        Some(BeforeEnd {
            at,
            held: dedup.held_with(page, at),
        })
    }

    /// Drops from `page` what lies outside the bounds; whether the page reached the end
    /// bound.
    pub(crate) fn trim(&self, page: &mut ContactList) -> bool {
        if let Some(after) = &self.after {
            page.payload.retain(|contact| after.admits(contact));
        }
        let Some(before) = self.before else {
            return false;
        };
        let within = |contact: &Contact| contact.created_at.is_none_or(|at| at < before);
        let reached = !page.payload.iter().all(within);
        page.payload.retain(within);
        reached
    }
}

impl BeforeEnd {
    /// At the end bound, on page `number` of a walk from `first_page`: every contact before
    /// the bound must have come out, as many as the pages before it hold, with no shift or
    /// reordered tie hiding one.
    pub(crate) fn check(self, first_page: u32, number: u32) -> Result<(), WalkError> {
        let expected = (number - first_page) as usize * PAGE_SIZE as usize + self.at;
        if self.held < expected {
            Err(WalkError::CountMismatch {
                count: expected as u64,
                yielded: self.held as u64,
            })
        } else {
            Ok(())
        }
    }
}
