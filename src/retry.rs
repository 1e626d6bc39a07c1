//! When to retry: a pure function of the policy and what happened, testable without a network.

use std::time::Duration;

use http::StatusCode;

/// How failed and throttled attempts are retried.
///
/// Two kinds of trouble, two bounds:
///
/// - **Throttling** (`429`) means "not now": it is waited out, for as long as
///   `throttle_deadline` allows (3 minutes by default, enough for a one-minute window twice
///   over). How long each wait is, the client's pace decides (see
///   [`Client::pacing`](crate::Client::pacing)); a `Retry-After` pauses every request of the
///   client.
/// - **Failures** (`408`, `502`, `503`, `504`, connection failures and timeouts; a search is a
///   `GET`, so repeating it is safe) get `max_attempts` attempts, with backoff, within
///   `deadline`, and each retry spends from the client's retry budget. Never retried: any
///   other status, such as `400`, `401`, `403`, `404` or `422`, which would only fail again.
///
/// The wait before retry *n* is exponential with jitter: a random point between half and all
/// of `initial_backoff × 2ⁿ⁻¹`, capped by `max_backoff`, and at least the server's
/// `Retry-After`. A `Retry-After` longer than `max_backoff` on a failure, or on a `429` one
/// that would end past `throttle_deadline`, ends the request at once, with the wait in the
/// error ([`Error::retry_after`](crate::Error::retry_after)). No retry of a failure starts
/// once `deadline` would pass during its wait, counting the time spent on attempts and
/// backoffs, not the time spent waiting for the client's pace or a throttle to lift (which
/// `throttle_deadline` bounds: no such retry starts past the later of the two deadlines,
/// counting everything but the request's turns in the pace while the client's requests pass,
/// and from the client's last pass if later).
///
/// | setting | default |
/// |---|---|
/// | `max_attempts` | 4 (the first try and 3 retries) |
/// | `initial_backoff` | 500 ms |
/// | `max_backoff` | 30 s |
/// | `deadline` | 120 s of attempts and backoffs, from the first attempt |
/// | `throttle_deadline` | 180 s from the first attempt |
///
/// ```
/// use std::time::Duration;
/// use livedesk::RetryPolicy;
///
/// let patient = RetryPolicy::default()
///     .max_attempts(8)
///     .initial_backoff(Duration::from_secs(1))
///     .deadline(Some(Duration::from_secs(300)));
/// let never = RetryPolicy::disabled();
/// # let _ = (patient, never);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    deadline: Option<Duration>,
    throttle_deadline: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            deadline: Some(Duration::from_secs(120)),
            throttle_deadline: Duration::from_secs(180),
        }
    }
}

/// What one attempt ended with, as far as retrying is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The server answered with this status.
    Response {
        /// The status.
        status: StatusCode,
        /// The server's `Retry-After`, if any.
        retry_after: Option<Duration>,
    },
    /// The attempt timed out (connecting, or waiting for the answer).
    Timeout,
    /// The connection failed or broke before an answer arrived.
    Connection,
}

/// What to do after an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Keep this result: it succeeded, cannot be cured by retrying, or the budget is spent.
    Done,
    /// Wait this long, then try again.
    Retry(Duration),
}

impl RetryPolicy {
    /// No retries: every attempt's result is final, a `429` too (its `throttle_deadline` is
    /// zero), and no throttle holds a request back (the client's pace still spaces them).
    ///
    /// ```
    /// let client = livedesk::Client::builder(livedesk::Credentials::new("key", "secret")?)
    ///     .retry(livedesk::RetryPolicy::disabled())
    ///     .build()?;
    /// # Ok::<(), livedesk::Error>(())
    /// ```
    pub fn disabled() -> Self {
        Self {
            max_attempts: 1,
            throttle_deadline: Duration::ZERO,
            ..Self::default()
        }
    }

    /// Attempts in all for a failure, the first included (at least 1). `429`s are not
    /// failures: [`throttle_deadline`](Self::throttle_deadline) bounds them.
    ///
    /// ```
    /// let policy = livedesk::RetryPolicy::default().max_attempts(6);
    /// # let _ = policy;
    /// ```
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The base of the exponential backoff: the wait before the first retry is between half
    /// of it and all of it.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let policy = livedesk::RetryPolicy::default().initial_backoff(Duration::from_millis(100));
    /// # let _ = policy;
    /// ```
    pub fn initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// The longest single wait; a `Retry-After` asking for more ends the request at once.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let policy = livedesk::RetryPolicy::default().max_backoff(Duration::from_secs(10));
    /// # let _ = policy;
    /// ```
    pub fn max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// Time from the first attempt after which no retry of a failure starts, not counting
    /// time spent waiting for the client's pace or a throttle to lift; `None` for no limit.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let policy = livedesk::RetryPolicy::default().deadline(Some(Duration::from_secs(30)));
    /// # let _ = policy;
    /// ```
    pub fn deadline(mut self, deadline: Option<Duration>) -> Self {
        self.deadline = deadline;
        self
    }

    /// How long a request waits out `429`s before the last one is returned (default 180 s).
    /// It counts from the request's first attempt, or from the client's last pass if later
    /// (a throttle the limiter ended by letting the client's requests through, a
    /// `Retry-After` pause's too, was their queue), leaving out the request's turns in the
    /// client's pace while its requests pass (however long the queue); after a `429`, until a
    /// pass, every wait counts. A request singled out six times after its first `429` (each
    /// time refused again after a request sent since its previous `429` came back passed,
    /// more of the client's passing than others were refused meanwhile: its query or its
    /// endpoint refused for good) counts from its first `429` too. Several such requests at
    /// once are retried one at a time, each ending about two minutes after the one before,
    /// and more than a few may be retried as long as the others pass: the pace gives its
    /// turns to one of them while the others wait (and one the pace passes over at every
    /// turn, as behind a stream of others answered in lockstep, waits as long). A
    /// `Retry-After` as long as this deadline is not waited out: for windows of an hour,
    /// which may ask for a whole one, give a little more. Zero waits none out: each `429`
    /// comes back at once, and no throttle holds a request back (a pace, learnt or set, still
    /// spaces them).
    ///
    /// ```
    /// # use std::time::Duration;
    /// // An overnight export can afford to wait out a long throttle.
    /// let policy = livedesk::RetryPolicy::default().throttle_deadline(Duration::from_secs(600));
    /// # let _ = policy;
    /// ```
    pub fn throttle_deadline(mut self, deadline: Duration) -> Self {
        self.throttle_deadline = deadline;
        self
    }

    /// The longest `Retry-After` of a `429` that pauses the client, and how long a request
    /// waits out throttles: none for a policy that does not wait out throttles, whose
    /// callers want every answer at once.
    pub(crate) fn longest_pause(&self) -> Duration {
        self.throttle_deadline
    }

    /// The time from the first attempt after which no retry of a failure starts, whatever
    /// part of it was spent waiting for a throttle (not the turns in the pace while requests
    /// pass, which the throttle deadline does not count either): `deadline`, or the
    /// throttle deadline if later.
    pub(crate) fn failure_cutoff(&self) -> Option<Duration> {
        self.deadline
            .map(|deadline| deadline.max(self.throttle_deadline))
    }

    /// Whether this policy ever retries: a failure, or a `429`.
    pub(crate) fn retries(&self) -> bool {
        self.max_attempts > 1 || self.waits_out_throttles()
    }

    /// Whether `429`s are waited out at all (not with [`RetryPolicy::disabled`]).
    pub(crate) fn waits_out_throttles(&self) -> bool {
        !self.throttle_deadline.is_zero()
    }

    /// Decides after an attempt ended with `outcome`, `elapsed` after the first attempt
    /// started, when `failures` attempts (this one included, `429`s not counted) have failed.
    /// `jitter` is a random number in `[0, 1]`, passed in so that the decision is a pure
    /// function.
    ///
    /// A `429` is retried after the `Retry-After` it names (or `Retry(0)`: the client's pace
    /// then says when), unless that wait would end past `throttle_deadline`.
    ///
    pub(crate) fn decide(
        &self,
        failures: u32,
        outcome: Outcome,
        elapsed: Duration,
        jitter: f64,
    ) -> Decision {
        let retry_after = match outcome {
            Outcome::Response {
                status: StatusCode::TOO_MANY_REQUESTS,
                retry_after,
            } => {
                let asked = retry_after.unwrap_or(Duration::ZERO);
                // A throttle is waited out for as long as `throttle_deadline` allows (a
                // gateway in front of a one-minute window asks for up to a minute). A server
                // that asks for a longer pause would refuse an earlier retry too: its answer
                // goes back at once, with the wait it asked for.
                return if elapsed.saturating_add(asked) >= self.throttle_deadline {
                    Decision::Done
                } else {
                    Decision::Retry(asked)
                };
            }
            Outcome::Response {
                status,
                retry_after,
            } if is_retryable(status) => retry_after,
            Outcome::Response { .. } => return Decision::Done,
            Outcome::Timeout | Outcome::Connection => None,
        };
        let attempt = failures.max(1);
        if attempt >= self.max_attempts {
            return Decision::Done;
        }
        let exponential = self
            .initial_backoff
            .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)))
            .min(self.max_backoff);
        let jittered = exponential.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0));
        // A server that asks for a longer pause than the policy allows would refuse an
        // earlier retry too: give its answer back at once, with the wait it asked for.
        if retry_after.is_some_and(|asked| asked > self.max_backoff) {
            return Decision::Done;
        }
        let wait = retry_after.map_or(jittered, |asked| asked.max(jittered));
        match self.deadline {
            Some(deadline) if elapsed.saturating_add(wait) >= deadline => Decision::Done,
            _ => Decision::Retry(wait),
        }
    }
}

/// The retry budget, as in AWS's retry quota: shared by a client's clones, a retry of a
/// failure costs [`RETRY_COST`] (a timeout [`TIMEOUT_COST`]), a success gives one back, and no
/// retry is made without enough. Under a total outage it stops retries from multiplying the
/// load; throttles (`429`) never spend from it.
pub(crate) const RETRY_BUDGET: u32 = 500;
/// What a retry of a failure costs.
pub(crate) const RETRY_COST: u32 = 5;
/// What a retry of a timeout costs: a timeout held a connection for the whole timeout.
pub(crate) const TIMEOUT_COST: u32 = 10;

/// The budget left, shared by a client's clones.
#[derive(Debug)]
pub(crate) struct RetryBudget(std::sync::atomic::AtomicU32);

impl RetryBudget {
    pub(crate) fn new() -> Self {
        Self(std::sync::atomic::AtomicU32::new(RETRY_BUDGET))
    }

    /// Takes `cost` from the budget; false when there is not enough.
    pub(crate) fn spend(&self, cost: u32) -> bool {
        use std::sync::atomic::Ordering;
        self.0
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |left| {
                left.checked_sub(cost)
            })
            .is_ok()
    }

    /// A success gives one back, up to the full budget.
    pub(crate) fn refill(&self) {
        use std::sync::atomic::Ordering;
        let _ = self
            .0
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |left| {
                (left < RETRY_BUDGET).then_some(left + 1)
            });
    }
}

fn is_retryable(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 502 | 503 | 504)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn status(code: u16) -> Outcome {
        Outcome::Response {
            status: StatusCode::from_u16(code).unwrap(),
            retry_after: None,
        }
    }

    #[test]
    fn retries_only_what_is_safe_and_useful() {
        let policy = RetryPolicy::default();
        for code in [408, 429, 502, 503, 504] {
            assert!(
                matches!(
                    policy.decide(1, status(code), Duration::ZERO, 0.0),
                    Decision::Retry(_)
                ),
                "{code}"
            );
        }
        for code in [200, 400, 401, 403, 404, 422, 500, 501] {
            assert_eq!(
                policy.decide(1, status(code), Duration::ZERO, 0.0),
                Decision::Done,
                "{code}"
            );
        }
        assert!(matches!(
            policy.decide(1, Outcome::Connection, Duration::ZERO, 0.0),
            Decision::Retry(_)
        ));
    }

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let policy = RetryPolicy::default()
            .initial_backoff(100 * MS)
            .max_backoff(350 * MS);
        let wait =
            |attempt, jitter| policy.decide(attempt, Outcome::Timeout, Duration::ZERO, jitter);
        assert_eq!(wait(1, 0.0), Decision::Retry(50 * MS));
        assert_eq!(wait(1, 1.0), Decision::Retry(100 * MS));
        assert_eq!(wait(2, 1.0), Decision::Retry(200 * MS));
        assert_eq!(wait(3, 1.0), Decision::Retry(350 * MS));
        assert_eq!(wait(3, 0.0), Decision::Retry(175 * MS));
    }

    #[test]
    fn retry_after_is_a_floor_under_the_cap() {
        let policy = RetryPolicy::default()
            .initial_backoff(100 * MS)
            .max_backoff(Duration::from_secs(5));
        let limited = |secs| Outcome::Response {
            status: StatusCode::TOO_MANY_REQUESTS,
            retry_after: Some(Duration::from_secs(secs)),
        };
        assert_eq!(
            policy.decide(1, limited(1), Duration::ZERO, 1.0),
            Decision::Retry(Duration::from_secs(1))
        );
        assert_eq!(
            policy.decide(1, limited(0), Duration::ZERO, 1.0),
            Decision::Retry(Duration::ZERO)
        );
        // A throttle's pause is bounded by the throttle deadline (180 s), not the backoff's cap.
        assert_eq!(
            policy.decide(1, limited(60), Duration::ZERO, 1.0),
            Decision::Retry(Duration::from_secs(60))
        );
        assert_eq!(
            policy.decide(1, limited(60), Duration::from_secs(130), 1.0),
            Decision::Done
        );
        assert_eq!(
            policy.decide(1, limited(200), Duration::ZERO, 1.0),
            Decision::Done
        );
        let unavailable = Outcome::Response {
            status: StatusCode::SERVICE_UNAVAILABLE,
            retry_after: Some(Duration::from_secs(60)),
        };
        assert_eq!(
            policy.decide(1, unavailable, Duration::ZERO, 1.0),
            Decision::Done
        );
    }

    #[test]
    fn attempts_and_deadline_end_the_retries() {
        let policy = RetryPolicy::default()
            .max_attempts(3)
            .deadline(Some(Duration::from_secs(1)));
        assert!(matches!(
            policy.decide(2, Outcome::Timeout, Duration::ZERO, 0.0),
            Decision::Retry(_)
        ));
        assert_eq!(
            policy.decide(3, Outcome::Timeout, Duration::ZERO, 0.0),
            Decision::Done
        );
        assert_eq!(
            policy.decide(1, Outcome::Timeout, 900 * MS, 0.0),
            Decision::Done
        );
        assert_eq!(
            RetryPolicy::disabled().decide(1, status(503), Duration::ZERO, 0.0),
            Decision::Done
        );
        assert_eq!(RetryPolicy::default().max_attempts(0).max_attempts, 1);
    }

    #[test]
    fn huge_attempt_numbers_do_not_overflow() {
        let policy = RetryPolicy::default().max_attempts(u32::MAX).deadline(None);
        assert_eq!(
            policy.decide(u32::MAX - 1, Outcome::Timeout, Duration::MAX, 1.0),
            Decision::Retry(Duration::from_secs(30))
        );
    }

    #[test]
    fn throttles_are_bounded_by_time_not_attempts() {
        let policy = RetryPolicy::default().throttle_deadline(Duration::from_secs(60));
        let limited = status(429);
        // However many 429s came before (they do not count as failures).
        assert_eq!(
            policy.decide(1, limited, Duration::from_secs(59), 0.5),
            Decision::Retry(Duration::ZERO)
        );
        assert_eq!(
            policy.decide(1, limited, Duration::from_secs(60), 0.5),
            Decision::Done
        );
        assert_eq!(
            RetryPolicy::disabled().decide(1, limited, Duration::ZERO, 0.5),
            Decision::Done
        );
    }
}
