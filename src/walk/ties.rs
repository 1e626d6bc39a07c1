//! Ties in creation time, on a walk sorted oldest first: contacts of one second (imported
//! together) across a page boundary, which the upstream server may order differently for
//! each page (its `ORDER BY` has no tie-breaker), showing some twice and hiding others.
//!
//! The walk counts, for each run of equal creation times, the positions it filled and the
//! distinct contacts that filled them: fewer contacts than positions means some of that
//! second were never listed, and the walk fails naming the second and its pages. Sorted
//! oldest first nothing else repeats a contact (contacts added join the end, deleted ones
//! shift the rest left), so a repeat inside a run is the server's order of the tie.

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
}

impl Run {
    /// The error for a run that showed fewer contacts than it had positions.
    fn check(self) -> Result<(), WalkError> {
        let distinct = self.ids.len() as u64;
        if distinct < self.positions {
            Err(WalkError::Tie {
                created_at: self.created_at,
                first_page: self.first_page,
                last_page: self.last_page,
                size: self.positions,
                missing: self.positions - distinct,
            })
        } else {
            Ok(())
        }
    }
}

impl Ties {
    /// Takes in page `number` as the server sent it (repeats included): an error when a
    /// run of one creation time ended short of contacts.
    pub(crate) fn read(&mut self, number: u32, page: &ContactList) -> Result<(), WalkError> {
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
