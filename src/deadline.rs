//! One request's account of its time against the retry policy's deadlines: which of its waits
//! were its queue rather than a throttle, and whether its `429`s single it out (its query
//! refused for good). Fed times and what the client's requests did; it has no clock of its
//! own, so tests drive it without a network or a sleep.

use std::time::Duration;

use tokio::time::Instant;

/// A request singled out this many times after its first `429` ([`Account::throttled`]) is
/// refused for good (its query, or its endpoint): its throttle deadline counts from its first
/// `429`, whatever passes (review 115: one query refused for good beside a steady stream of
/// others was retried for as long as they went on, 2,108 s of a 30-minute stream). In 344
/// sound scenarios (review 118: windows, buckets, logs, round trips of 20 ms to 25 s, 1 to
/// 128 at once, set paces up to three times too fast) no request was singled out more than
/// 3 times: twice that leaves a margin, and still ends a refused query 6 to 23 s past its
/// deadline beside a steady stream (each time costs one turn in the pace).
const SINGLED_OUT: u32 = 6;

/// What the client's requests did so far: kept by the pacer for all of them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Passes {
    /// When the last pass came back.
    pub(crate) answered: Option<Instant>,
    /// When the last-sent request of those that passed was sent.
    pub(crate) sent: Option<Instant>,
    /// Passes so far.
    pub(crate) passed: u64,
    /// `429`s so far.
    pub(crate) refused: u64,
}

/// One request's time, from its first attempt to its last.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Account {
    first: Instant,
    /// The throttle deadline: how long a throttle may hold it.
    longest: Duration,
    /// Its time that was queue, not throttle: its turns in the pace while the client's
    /// requests passed, and all its time up to the client's last pass.
    queued: Duration,
    /// All its time waiting for the pacer: not the failures' to spend.
    paced: Duration,
    refusals: Option<Refusals>,
}

/// A request's `429`s.
#[derive(Clone, Copy, Debug)]
struct Refusals {
    first: Instant,
    singled_out: u32,
    /// When the last one came back, and the client's tallies then.
    last: Instant,
    passed: u64,
    refused: u64,
}

impl Account {
    /// A request first attempted at `first`, held by throttles for up to `longest`.
    pub(crate) fn new(first: Instant, longest: Duration) -> Self {
        Self {
            first,
            longest,
            queued: Duration::ZERO,
            paced: Duration::ZERO,
            refusals: None,
        }
    }

    /// Adds a wait for a turn in the pace while the client's requests pass: a queue, however
    /// long (review 110: a queue of 32 at a window of 10 a minute waited past the throttle
    /// deadline, went all at once, and was refused).
    pub(crate) fn queue(&mut self, waited: Duration) {
        self.queued = self.queued.saturating_add(waited);
    }

    /// Adds a wait for the pacer, of any kind.
    pub(crate) fn pace(&mut self, waited: Duration) {
        self.paced = self.paced.saturating_add(waited);
    }

    /// Counts all the time up to the client's last pass as queue: the limiter let the client
    /// through since, so whatever held this request before was its queue (review 113: the
    /// `Retry-After` pauses that a window of 10 a minute ended with its 10 passes counted
    /// against every waiter's deadline, 179 s of 180 by the third window, and 24 of 64 at once
    /// failed).
    pub(crate) fn credit(&mut self, passes: &Passes) {
        if let Some(at) = passes.answered {
            self.queued = self.queued.max(at.saturating_duration_since(self.first));
        }
    }

    /// Takes a `429` that came back at `now`. It singles the request out when a request sent
    /// after its previous `429` came back has passed, and the client's requests passed more
    /// than they were refused in between (review 117: counted on passes sent before it and
    /// answered late, or while most requests were refused and a few won a bucket's token,
    /// sound requests behind round trips of 2 to 25 s at 32 and 64 at once scored 6 to 11,
    /// and exports failed with a `429`).
    pub(crate) fn throttled(&mut self, now: Instant, passes: &Passes) {
        let Some(refusals) = &mut self.refusals else {
            self.refusals = Some(Refusals {
                first: now,
                singled_out: 0,
                last: now,
                passed: passes.passed,
                refused: passes.refused,
            });
            return;
        };
        let passed = passes.passed.saturating_sub(refusals.passed);
        // Not this one's own.
        let refused = passes
            .refused
            .saturating_sub(refusals.refused)
            .saturating_sub(1);
        if passes.sent.is_some_and(|sent| sent > refusals.last) && refused < passed {
            refusals.singled_out = refusals.singled_out.saturating_add(1);
        }
        refusals.last = now;
        refusals.passed = passes.passed;
        refusals.refused = passes.refused;
    }

    /// Its time at `now` that counts against the throttle deadline.
    pub(crate) fn throttled_for(&self, now: Instant) -> Duration {
        let held = self.held(now);
        match self.refusals {
            Some(refusals) if refusals.singled_out >= SINGLED_OUT => {
                held.max(now.saturating_duration_since(refusals.first))
            }
            _ => held,
        }
    }

    /// Its time at `now` that was not queue (which the cutoff of failures' retries counts).
    pub(crate) fn held(&self, now: Instant) -> Duration {
        now.saturating_duration_since(self.first)
            .saturating_sub(self.queued)
    }

    /// Its time at `now` not spent waiting for the pacer (which the deadline of failures'
    /// retries counts).
    pub(crate) fn unpaced(&self, now: Instant) -> Duration {
        now.saturating_duration_since(self.first)
            .saturating_sub(self.paced)
    }

    /// When a throttle holds it no longer (`None`: past any instant the clock can hold).
    pub(crate) fn give_up(&self) -> Option<Instant> {
        let held = self
            .first
            .checked_add(self.longest)?
            .checked_add(self.queued);
        match self.refusals {
            Some(refusals) if refusals.singled_out >= SINGLED_OUT => {
                let refused = refusals.first.checked_add(self.longest);
                match (held, refused) {
                    (Some(held), Some(refused)) => Some(held.min(refused)),
                    (held, refused) => held.or(refused),
                }
            }
            _ => held,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    fn at(t0: Instant, secs: u64) -> Instant {
        t0 + Duration::from_secs(secs)
    }

    /// The client's tallies, its last pass sent at `sent` and back at `answered`.
    fn passes(t0: Instant, answered: u64, sent: u64, passed: u64, refused: u64) -> Passes {
        Passes {
            answered: Some(at(t0, answered)),
            sent: Some(at(t0, sent)),
            passed,
            refused,
        }
    }

    /// Refused every 10 s, the `n`th time at `10 n` s when the client's last pass, sent at
    /// `sent(n)`, came back, with `passed(n)` passes and `refused(n)` `429`s (its own too).
    fn refused(
        account: &mut Account,
        t0: Instant,
        times: std::ops::Range<u64>,
        sent: impl Fn(u64) -> u64,
        passed: impl Fn(u64) -> u64,
        refused: impl Fn(u64) -> u64,
    ) {
        for n in times {
            let now = passes(t0, 10 * n, sent(n), passed(n), refused(n));
            account.credit(&now);
            account.throttled(at(t0, 10 * n), &now);
        }
    }

    #[test]
    fn queue_and_the_time_before_a_pass_are_left_out_of_the_throttle_deadline() {
        let t0 = Instant::now();
        let mut account = Account::new(t0, 180 * S);
        assert_eq!(account.give_up(), Some(at(t0, 180)));
        account.queue(30 * S);
        assert_eq!(account.throttled_for(at(t0, 100)), 70 * S);
        // Others passed at 90 s: all of it up to then was queue.
        account.credit(&passes(t0, 90, 89, 1, 0));
        assert_eq!(account.throttled_for(at(t0, 100)), 10 * S);
        assert_eq!(account.give_up(), Some(at(t0, 270)));
        // A pass before the queue counted adds nothing.
        account.credit(&passes(t0, 10, 9, 2, 0));
        assert_eq!(account.held(at(t0, 100)), 10 * S);
    }

    #[test]
    fn failures_count_what_was_not_spent_waiting_for_the_pacer() {
        let t0 = Instant::now();
        let mut account = Account::new(t0, 180 * S);
        account.pace(40 * S);
        assert_eq!(account.unpaced(at(t0, 50)), 10 * S);
        assert_eq!(account.unpaced(at(t0, 30)), Duration::ZERO);
    }

    #[test]
    fn a_request_singled_out_six_times_counts_from_its_first_refusal() {
        let t0 = Instant::now();
        let mut account = Account::new(t0, 180 * S);
        // Each time a request sent after the last `429` came back passed, and passes
        // outnumbered others' `429`s: five times singled out (the first `429` starts it).
        let sent = |n: u64| (10 * n).saturating_sub(1);
        refused(&mut account, t0, 0..6, sent, |n| 10 * n, |n| n + 1);
        // The passes move it on.
        assert_eq!(account.throttled_for(at(t0, 55)), 5 * S);
        assert_eq!(account.give_up(), Some(at(t0, 230)));
        refused(&mut account, t0, 6..7, sent, |n| 10 * n, |n| n + 1);
        assert_eq!(account.throttled_for(at(t0, 65)), 65 * S);
        assert_eq!(account.give_up(), Some(at(t0, 180)));
    }

    #[test]
    fn passes_sent_before_its_refusal_came_back_do_not_single_it_out() {
        let t0 = Instant::now();
        let mut account = Account::new(t0, 180 * S);
        // The last pass was sent before the previous `429` came back (answered late).
        let sent = |n: u64| (10 * n).saturating_sub(11);
        refused(&mut account, t0, 0..20, sent, |n| 10 * n, |n| n + 1);
        assert_eq!(account.throttled_for(at(t0, 200)), 10 * S);
        assert_eq!(account.give_up(), Some(at(t0, 370)));
    }

    #[test]
    fn its_own_refusal_is_not_counted_among_the_others() {
        let t0 = Instant::now();
        let mut account = Account::new(t0, 180 * S);
        // One pass between its refusals, and no other refusal than its own.
        let sent = |n: u64| (10 * n).saturating_sub(1);
        refused(&mut account, t0, 0..7, sent, |n| n, |n| n + 1);
        assert_eq!(account.throttled_for(at(t0, 65)), 65 * S);
    }

    #[test]
    fn a_request_refused_among_many_is_not_singled_out() {
        let t0 = Instant::now();
        let mut account = Account::new(t0, 180 * S);
        // Later requests passed, but as many others were refused as passed.
        let sent = |n: u64| (10 * n).saturating_sub(1);
        refused(&mut account, t0, 0..20, sent, |n| 2 * n, |n| 3 * n + 1);
        assert_eq!(account.throttled_for(at(t0, 200)), 10 * S);
    }
}
