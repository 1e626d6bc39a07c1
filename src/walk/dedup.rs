//! Each contact once: the ids a walk has yielded, and the full pages of repeats in a row.

use std::collections::HashSet;

use crate::types::ContactList;

use super::WalkError;

/// Full pages of repeats skipped in a row before a walk gives up.
///
/// ```
/// assert_eq!(livedesk::MAX_REPEATED_PAGES, 4);
/// ```
pub const MAX_REPEATED_PAGES: u32 = 4;

#[derive(Debug, Default)]
pub(crate) struct Dedup {
    seen: HashSet<i64>,
    /// Full pages of repeats in a row.
    repeats: u32,
}

impl Dedup {
    /// Distinct contacts yielded (or dropped by a bound) so far.
    pub(crate) fn len(&self) -> usize {
        self.seen.len()
    }

    /// How many distinct contacts the walk holds once it takes in the first `at` contacts
    /// of `page`: the ones it holds and the new ones among those.
    pub(crate) fn held_with(&self, page: &ContactList, at: usize) -> usize {
        let new: HashSet<i64> = page.payload[..at]
            .iter()
            .map(|contact| contact.id)
            .filter(|id| !self.seen.contains(id))
            .collect();
        self.seen.len() + new.len()
    }

    /// Drops from `page` the contacts already seen, and records the rest.
    pub(crate) fn retain_new(&mut self, page: &mut ContactList) {
        page.payload.retain(|contact| self.seen.insert(contact.id));
    }

    /// Counts a full page that held only repeats, and says whether the walk must end:
    /// skipping is safe only where a total will tell whether the skipped page hid contacts
    /// (`is_checked`), and only up to [`MAX_REPEATED_PAGES`] in a row; without a total
    /// (`has_more` servers), one such page ends the walk.
    pub(crate) fn repeated_page(&mut self, is_checked: bool) -> Result<(), WalkError> {
        self.repeats += 1;
        if self.repeats > MAX_REPEATED_PAGES || !is_checked {
            Err(WalkError::RepeatedPages {
                pages: self.repeats,
            })
        } else {
            Ok(())
        }
    }

    /// A page with something new ends a run of repeats.
    pub(crate) fn fresh_page(&mut self) {
        self.repeats = 0;
    }
}
