//! Ties in creation time, on a walk sorted oldest first: contacts of one second (imported
//! together) across a page boundary, which the upstream server may order differently for
//! each page (its `ORDER BY` has no tie-breaker), showing some twice and hiding others.
//!
//! The walk counts, for each run of equal creation times, the positions it filled and the
//! distinct contacts that filled them: fewer contacts than positions means some of that
//! second were never listed, and the walk fails naming the second and its pages. Sorted
//! oldest first, contacts created during the walk join the end and deleted ones shift the
//! rest left; the one other repeat is a contact that joins the order behind the walk at its
//! old creation time (given an email, phone number or identifier, the walked label, or an
//! edit that makes it match) and pushes the rest right. The server's total then grows:
//! where it grew by as many as the run lacks and the run showed one contact (of a second
//! no other contact seen has: no tie seen), the walk fails saying so, not with a tie.
//! Contacts created at the end grow the total too, so a run of several contacts short of
//! one is called a tie whatever the total did.

use std::collections::HashSet;

use crate::types::ContactList;

use super::{PAGE_SIZE, WalkError};

#[derive(Debug, Default)]
pub(crate) struct Ties {
    /// The first position not yet counted: pages read again count once.
    next_position: u64,
    run: Option<Run>,
}

/// A run of contacts with one creation time, in the order's positions.
#[derive(Debug)]
struct Run {
    created_at: i64,
    first_page: u32,
    last_page: u32,
    positions: u64,
    ids: HashSet<i64>,
    /// The server's totals on the run's first page and on its last.
    totals: (Option<u64>, Option<u64>),
}

impl Run {
    /// The error for a run that showed fewer contacts than it had positions.
    fn check(self) -> Result<(), WalkError> {
        let distinct = self.ids.len() as u64;
        let missing = self.positions.saturating_sub(distinct);
        let grew = match self.totals {
            (Some(first), Some(last)) => last.saturating_sub(first),
            _ => 0,
        };
        if missing > 0 && distinct == 1 && grew >= missing {
            Err(WalkError::JoinedBehind {
                page: self.last_page,
                repeated: missing,
            })
        } else if missing > 0 {
            Err(WalkError::Tie {
                created_at: self.created_at,
                first_page: self.first_page,
                last_page: self.last_page,
                size: self.positions,
                missing,
            })
        } else {
            Ok(())
        }
    }
}

impl Ties {
    /// Takes in page `number` as the server sent it (repeats included), with its total: an
    /// error when a run of one creation time ended short of contacts.
    pub(crate) fn read(
        &mut self,
        number: u32,
        page: &ContactList,
        total: Option<u64>,
    ) -> Result<(), WalkError> {
        let first = u64::from(number - 1) * u64::from(PAGE_SIZE);
        for (index, contact) in page.payload.iter().enumerate() {
            let position = first + index as u64;
            if position < self.next_position {
                continue;
            }
            self.next_position = position + 1;
            match (&mut self.run, contact.created_at) {
                (Some(run), Some(at)) if run.created_at == at => {
                    run.positions += 1;
                    run.last_page = number;
                    run.ids.insert(contact.id);
                    run.totals.1 = total;
                }
                (_, at) => {
                    if let Some(run) = self.run.take() {
                        run.check()?;
                    }
                    // No creation time: nothing to place a tie by (the server never sends
                    // one without).
                    self.run = at.map(|created_at| Run {
                        created_at,
                        first_page: number,
                        last_page: number,
                        positions: 1,
                        ids: HashSet::from([contact.id]),
                        totals: (total, total),
                    });
                }
            }
        }
        Ok(())
    }

    /// At the walk's end: the last run must be whole too.
    pub(crate) fn end(&mut self) -> Result<(), WalkError> {
        self.run.take().map_or(Ok(()), Run::check)
    }
}
