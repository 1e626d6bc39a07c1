//! Whether a walk that reached the end the data announced is complete.

use super::{PAGE_SIZE, WalkError};

/// How many times in all an oldest-first walk reads its end again when the total grew past
/// what it yielded. Each read takes in the contacts added up to its own answer, so one is
/// usually enough; more means contacts arrive faster than the end can be read, or are
/// missing for another reason, and the walk fails.
pub(crate) const MAX_END_READS: u32 = 8;

/// At the end the data announced, for a walk from `first_page` that holds `yielded`
/// distinct contacts: complete, unless the largest total the server gave (`count`) says
/// contacts are missing. The pages before the first count as full.
pub(crate) fn completeness(
    count: Option<u64>,
    first_page: u32,
    yielded: u64,
) -> Result<(), WalkError> {
    let skipped = u64::from(first_page - 1) * u64::from(PAGE_SIZE);
    match count {
        Some(count) if yielded + skipped < count => Err(WalkError::CountMismatch {
            count: count.saturating_sub(skipped),
            yielded,
        }),
        _ => Ok(()),
    }
}

/// How many contacts matched, at least, when page `number` was read with `received`
/// contacts on it: the positions up to its last one (none for an empty page, which shows
/// no contact at all, as past the end).
pub(crate) fn positions(number: u32, received: usize) -> u64 {
    if received == 0 {
        return 0;
    }
    u64::from(number - 1) * u64::from(PAGE_SIZE) + received as u64
}

/// What a walk does at the end the data announced, short of the total.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Short {
    /// Oldest first, contacts added during the walk join its end: read the end again.
    ReadAgain,
    /// Report the shortfall.
    Fail,
}

/// Oldest first, a total that grew past what the walk yielded after its last page was read
/// is settled by reading the end again, up to [`MAX_END_READS`] times in all; in any other
/// order contacts added push others onto pages already fetched, and the shortfall is loss.
pub(crate) fn when_short(is_oldest_first: bool, end_reads: u32) -> Short {
    if is_oldest_first && end_reads < MAX_END_READS {
        Short::ReadAgain
    } else {
        Short::Fail
    }
}
