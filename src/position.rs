//! Where a walk sorted oldest first stands: a value to save and resume from in a later
//! process, and the binary search that finds that place again among the pages.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{
    Error, Result, Search,
    types::{Contact, ContactList},
};

/// The only version of [`Position`]'s format so far.
const VERSION: u32 = 1;

/// Where an oldest-first walk stands: after the last contact it yielded. Save it (it is
/// `serde`-serializable, and versioned), and [`Paginator::resume`](crate::Paginator::resume)
/// from it in a later process: the resumed walk finds its place again by the contacts'
/// creation time, not by page number, so contacts deleted since (which shift pages left) and
/// added since (which join the end) do not make it skip or repeat any.
///
/// It holds the creation time of the last contact yielded and the ids of the contacts
/// yielded with that same time (contacts imported together share a second, and the server
/// orders them differently from one request to the next), and a fingerprint of the search it
/// belongs to: never the query itself, which is personal data (a 64-bit hash, unsalted: one who
/// guesses the query can check the guess against it: keep positions as safe as the exports).
///
/// ```no_run
/// use futures::TryStreamExt;
/// use livedesk::{Position, SortField};
///
/// # async fn run(client: livedesk::Client, saved: Option<String>) -> livedesk::Result<()> {
/// let walk = client.contacts().sort(SortField::CreatedAt).paginate();
/// let mut position = match saved {
///     Some(json) => serde_json::from_str::<Position>(&json).expect("a saved position"),
///     None => walk.position(),
/// };
/// let mut contacts = walk.resume(position.clone())?.contacts();
/// while let Some(contact) = contacts.try_next().await? {
///     // ... write the contact somewhere durable, then:
///     position.advance(&contact);
///     let _save_me = serde_json::to_string(&position).expect("a position serializes");
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    version: u32,
    /// A fingerprint of the search: its query, labels and sort.
    search: String,
    /// The creation time of the last contact yielded; `None` before the first.
    created_at: Option<i64>,
    /// The contacts yielded with exactly that creation time.
    ids: Vec<i64>,
}

impl Position {
    /// Where a walk of `search` starts: before its first contact, or at its bound (a
    /// `created_after`, or a resumed position).
    pub(crate) fn start(search: &Search, after: Option<&After>) -> Self {
        Position {
            version: VERSION,
            search: fingerprint(search),
            created_at: after.map(|after| after.created_at),
            ids: after.map(|after| after.ids.clone()).unwrap_or_default(),
        }
    }

    /// Moves the position past `contact`, the next one the walk yielded. A contact without
    /// a creation time cannot be placed, and leaves the position as it was.
    ///
    /// ```
    /// # fn check(mut position: livedesk::Position, contact: livedesk::Contact) {
    /// position.advance(&contact);
    /// assert_eq!(position.created_at(), contact.created_at);
    /// # }
    /// ```
    pub fn advance(&mut self, contact: &Contact) {
        let Some(at) = contact.created_at else { return };
        match self.created_at {
            Some(current) if at == current => self.ids.push(contact.id),
            Some(current) if at < current => {}
            _ => {
                self.created_at = Some(at);
                self.ids = vec![contact.id];
            }
        }
    }

    /// The creation time (unix seconds) of the last contact yielded; before any, where the
    /// walk starts (the second after its `created_after` bound), if it has a start.
    ///
    /// ```
    /// # fn check(walk: livedesk::Paginator) {
    /// assert_eq!(walk.position().created_at(), None);
    /// # }
    /// ```
    pub fn created_at(&self) -> Option<i64> {
        self.created_at
    }

    /// Checks that this position belongs to `search`, and can be resumed by this version.
    pub(crate) fn check(&self, search: &Search) -> Result<()> {
        let refuse = |reason: &str| Error::InvalidArgument {
            argument: "position",
            reason: reason.to_owned(),
        };
        if self.version != VERSION {
            return Err(refuse(&format!(
                "it is of format version {}, and this version of livedesk reads version {VERSION}",
                self.version
            )));
        }
        if self.search != fingerprint(search) {
            return Err(refuse(
                "it belongs to another search (another query, labels or sort)",
            ));
        }
        Ok(())
    }

    /// The contacts after this position.
    pub(crate) fn bound(&self) -> Option<After> {
        Some(After {
            created_at: self.created_at?,
            ids: self.ids.clone(),
        })
    }
}

impl fmt::Debug for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Position")
            .field("version", &self.version)
            .field("created_at", &self.created_at)
            .field("ids", &self.ids)
            .finish_non_exhaustive()
    }
}

/// The contacts a walk may yield: those created after `created_at`, and those created at
/// that second whose id is not in `ids`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct After {
    pub(crate) created_at: i64,
    pub(crate) ids: Vec<i64>,
}

impl After {
    /// Contacts created after `seconds`: from the next second, all of them.
    pub(crate) fn seconds(seconds: i64) -> Self {
        After {
            created_at: seconds.saturating_add(1),
            ids: Vec::new(),
        }
    }

    /// The later of two bounds (with both sets of ids on the same second).
    pub(crate) fn max(self, other: After) -> After {
        match self.created_at.cmp(&other.created_at) {
            std::cmp::Ordering::Less => other,
            std::cmp::Ordering::Greater => self,
            std::cmp::Ordering::Equal => After {
                ids: self.ids.into_iter().chain(other.ids).collect(),
                ..self
            },
        }
    }

    /// Whether `contact` comes after the bound; one with no creation time cannot be placed
    /// (a walk by creation time fails on it before asking).
    pub(crate) fn admits(&self, contact: &Contact) -> bool {
        contact.created_at.is_some_and(|at| {
            at > self.created_at || (at == self.created_at && !self.ids.contains(&contact.id))
        })
    }
}

/// FNV-1a of the search's query, labels and sort: enough to tell searches apart, and not
/// the query itself.
fn fingerprint(search: &Search) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in search.identity().bytes() {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// The first page to walk from to reach every contact at or after `created_at`, in a search
/// sorted oldest first, found by binary search over the pages (about log2(pages) requests),
/// and the largest total the pages read gave. The page before the first that reaches
/// `created_at` is the start: a margin for contacts deleted between the search and the walk.
pub(crate) async fn find_start(search: &Search, created_at: i64) -> Result<(u32, Option<u64>)> {
    // A contact with no creation time sorts last (PostgreSQL's NULLs, ascending): it is past
    // every bound, and the walk that reaches it fails on it rather than skip what precedes.
    let reaches = |page: &ContactList| {
        page.payload.len() < crate::PAGE_SIZE as usize
            || page
                .payload
                .iter()
                .any(|contact| contact.created_at.is_none_or(|at| at >= created_at))
    };
    let first = search.clone().page(1).fetch().await?;
    let mut largest = crate::walk::total_of(&first);
    if reaches(&first) {
        return Ok((1, largest));
    }
    // Without a total (`has_more` servers), the range is found by doubling.
    let (mut low, mut high) = match largest {
        Some(total) => (2, crate::walk::expected_last_page(1, total).max(2)),
        None => {
            let mut high = 2_u32;
            loop {
                let page = search.clone().page(high).fetch().await?;
                if reaches(&page) || high >= crate::walk::LAST_POSSIBLE_PAGE / 2 {
                    break (high / 2 + 1, high);
                }
                high *= 2;
            }
        }
    };
    // The first page that reaches `created_at` is in `low..=high`.
    while low < high {
        let middle = low + (high - low) / 2;
        let page = search.clone().page(middle).fetch().await?;
        largest = largest.max(crate::walk::total_of(&page));
        if reaches(&page) {
            high = middle;
        } else {
            low = middle + 1;
        }
    }
    Ok((low.saturating_sub(1).max(1), largest))
}

#[cfg(test)]
mod tests {
    use super::After;
    use crate::types::Contact;

    fn contact(id: i64, created_at: i64) -> Contact {
        let mut contact = Contact::new(id);
        contact.created_at = Some(created_at);
        contact
    }

    #[test]
    fn a_bound_admits_what_comes_after_it_and_the_rest_of_its_second() {
        let after = After {
            created_at: 100,
            ids: vec![7, 8],
        };
        assert!(!after.admits(&contact(1, 99)));
        assert!(!after.admits(&contact(7, 100)));
        assert!(after.admits(&contact(9, 100)));
        assert!(after.admits(&contact(1, 101)));
        let seconds = After::seconds(100);
        assert!(!seconds.admits(&contact(9, 100)));
        assert!(seconds.admits(&contact(9, 101)));
        assert_eq!(after.clone().max(seconds.clone()), seconds);
        assert_eq!(
            after
                .clone()
                .max(After {
                    created_at: 100,
                    ids: vec![9]
                })
                .ids,
            [7, 8, 9]
        );
    }
}
