//! The pace a client keeps, shared by its clones: throttles waited out, the account's rate
//! learnt from them, `Retry-After` pausing every request, and the retry budget.
//!
//! What LiveDesk's limiter looks like from outside (see `API-NOTES.md`): a fixed window that
//! counts every request, `429` with no `Retry-After`, a lift at the window's end; a gateway in
//! front may use a token bucket or send `Retry-After`. The pacer makes no assumption on the
//! window's length, so it behaves the same at a minute or a second:
//!
//! 1. Unpaced until the first `429`. Then one probe at a time, at gaps that double from a
//!    quarter of the time the client had been running (so the gaps scale with the window),
//!    until one succeeds: the throttle has lifted.
//! 2. At that lift it paces: the requests that succeeded before the throttle, over the time
//!    from the first request to the lift, is what the account allowed; it keeps 97% of it.
//! 3. Paced, each success raises the rate (probing upward): by 0.06% near the rate of the last
//!    throttle, by 1% when far below it (CUBIC's idea: careful where the limit was, quick
//!    where it was not). A `429` lowers it to 97% (85% when it comes right after the last
//!    cut), once per run of `429`s, and starts from the rate sustained since the first
//!    throttle when that shows the pace was far off (a token bucket's burst inflates the
//!    first estimate). `benches/ratelimit.rs` measures the `429`s this costs.
//! 4. A `Retry-After` pauses every request of the client for that long, and stops the upward
//!    probing: a server that says when to come back is not to be probed.
//!
//! An explicit [`RateLimit`](crate::RateLimit) fixes the pace instead, and is never changed.

use std::{
    sync::Mutex,
    time::{Duration, Instant},
};

use crate::RateLimit;

/// Retry budget, as in AWS's retry quota: a retry of a failure costs [`RETRY_COST`] (a
/// timeout [`TIMEOUT_COST`]), a success gives one back, and no retry is made without enough.
pub(crate) const RETRY_BUDGET: u32 = 500;
pub(crate) const RETRY_COST: u32 = 5;
pub(crate) const TIMEOUT_COST: u32 = 10;

/// Share of a measured rate kept, and the steps of the adaptive pace: slow near the rate of
/// the last throttle, fast when far below it.
const MARGIN: f64 = 0.97;
const GROWTH: f64 = 1.0006;
const FAST_GROWTH: f64 = 1.01;

/// The longest gap between two probes of a throttle (a window is a minute at most).
const MAX_PROBE_GAP: Duration = Duration::from_secs(15);
/// An idle gap after which, before any throttle, the allowance is measured anew.
const IDLE_RESET: Duration = Duration::from_secs(60);

/// `at + wait`, or far in the future where that overflows.
fn later(at: Instant, wait: Duration) -> Instant {
    at.checked_add(wait)
        .unwrap_or_else(|| at + Duration::from_secs(365 * 24 * 3600))
}

#[derive(Debug)]
pub(crate) struct Pacer {
    /// Waiters queue here; the holder sleeps with it held, so a cancelled waiter leaves
    /// without having reserved anything.
    queue: tokio::sync::Mutex<()>,
    state: Mutex<State>,
    /// Wakes the waiter at the head of the queue when a throttle lifts or a probe ends.
    wake: tokio::sync::Notify,
    /// An explicit rate: never learnt, never changed.
    fixed: bool,
}

#[derive(Debug)]
struct State {
    interval: Option<Duration>,
    next_slot: Option<Instant>,
    first_request: Option<Instant>,
    ok_before_throttle: u64,
    first_throttle: Option<Instant>,
    ok_since_throttle: u64,
    episode: Option<Episode>,
    /// The last request's start: a long idle gap restarts the measure of the allowance.
    last_request: Option<Instant>,
    /// Lowered already in this run of `429`s.
    lowered: bool,
    /// The rate (requests a second) at the last throttle while paced.
    ceiling: Option<f64>,
    /// Successes since the pace was last lowered.
    ok_since_lowered: u64,
    retry_after_seen: bool,
    budget: u32,
    /// Episodes begun so far: the last one's generation.
    episodes: u64,
}

/// A throttle in progress: requests wait; one probe at a time finds when it lifts.
#[derive(Debug)]
struct Episode {
    /// Tells this episode from a later one: a probe of an episode that a `Retry-After`
    /// replaced says nothing of the new one.
    generation: u64,
    started: Instant,
    next_probe: Instant,
    gap: Duration,
    probe_out: bool,
}

/// What an attempt ended with, as far as pacing is concerned.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Report {
    /// An answer that is neither a `429` nor a failure (`5xx`, `408`).
    Answered,
    /// A `429`, with the server's `Retry-After`, if any.
    Throttled(Option<Duration>),
    /// A failure: no answer (connection failure, timeout), a `5xx` or a `408`.
    Failed,
}

/// A caller's turn to send; report what came of it. Dropped unreported (the request was
/// cancelled), a probe's turn goes to the next waiter.
pub(crate) struct Permit<'a> {
    pacer: &'a Pacer,
    /// The generation of the episode this permit probes, if it is a probe.
    probe: Option<u64>,
    sent: Instant,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if let Some(generation) = self.probe {
            let mut state = self.pacer.lock();
            if let Some(episode) = state
                .episode
                .as_mut()
                .filter(|e| e.generation == generation)
            {
                episode.probe_out = false;
            }
            drop(state);
            self.pacer.wake.notify_one();
        }
    }
}

impl Pacer {
    pub(crate) fn new(limit: Option<RateLimit>) -> Self {
        Self {
            queue: tokio::sync::Mutex::new(()),
            state: Mutex::new(State {
                interval: limit.map(|limit| limit.interval()),
                next_slot: None,
                first_request: None,
                ok_before_throttle: 0,
                first_throttle: None,
                ok_since_throttle: 0,
                episode: None,
                last_request: None,
                lowered: false,
                ceiling: None,
                ok_since_lowered: 0,
                retry_after_seen: false,
                budget: RETRY_BUDGET,
                episodes: 0,
            }),
            wake: tokio::sync::Notify::new(),
            fixed: limit.is_some(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // Every update leaves the state valid: a panic elsewhere does not poison the pace.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether requests are waiting for a throttle to lift.
    pub(crate) fn throttled(&self) -> bool {
        self.lock().episode.is_some()
    }

    /// The pace kept now: `None` while unpaced.
    pub(crate) fn pace(&self) -> Option<RateLimit> {
        self.lock().interval.map(RateLimit::from_interval)
    }

    /// Waits for this caller's turn, or until `give_up` (then goes anyway: its answer will
    /// tell the caller what it needs to know).
    pub(crate) async fn acquire(&self, give_up: Option<Instant>) -> Permit<'_> {
        let _turn = self.queue.lock().await;
        loop {
            let now = Instant::now();
            if give_up.is_some_and(|at| now >= at) {
                return self.permit(None);
            }
            let wait = {
                let mut state = self.lock();
                // Before any throttle, an idle minute starts the measure of the allowance
                // anew: what a long-lived client did hours ago says nothing of the window.
                let idle = state
                    .last_request
                    .is_some_and(|last| now.saturating_duration_since(last) > IDLE_RESET);
                if state.first_request.is_none() || idle && state.first_throttle.is_none() {
                    state.first_request = Some(now);
                    state.ok_before_throttle = 0;
                }
                state.last_request = Some(now);
                if let Some(episode) = &mut state.episode {
                    if episode.probe_out {
                        None
                    } else if episode.next_probe > now {
                        Some(episode.next_probe - now)
                    } else {
                        episode.probe_out = true;
                        episode.next_probe = later(now, episode.gap);
                        episode.gap = episode.gap.saturating_mul(2).min(MAX_PROBE_GAP);
                        return self.permit(Some(episode.generation));
                    }
                } else if let Some(interval) = state.interval {
                    let slot = state.next_slot.map_or(now, |slot| slot.max(now));
                    if slot > now {
                        Some(slot - now)
                    } else {
                        state.next_slot = Some(later(now, interval));
                        return self.permit(None);
                    }
                } else {
                    return self.permit(None);
                }
            };
            let wait = match (wait, give_up) {
                (Some(wait), Some(at)) => Some(wait.min(at.saturating_duration_since(now))),
                (None, Some(at)) => Some(at.saturating_duration_since(now)),
                (wait, None) => wait,
            };
            match wait {
                Some(wait) => {
                    // Woken early when a throttle lifts or a probe ends.
                    let _ = tokio::time::timeout(wait, self.wake.notified()).await;
                }
                None => self.wake.notified().await,
            }
        }
    }

    fn permit(&self, probe: Option<u64>) -> Permit<'_> {
        Permit {
            pacer: self,
            probe,
            sent: Instant::now(),
        }
    }

    /// Takes what an attempt ended with into the pace.
    pub(crate) fn report(&self, mut permit: Permit<'_>, report: Report) {
        let probe = permit.probe.take();
        let sent = permit.sent;
        drop(permit);
        let now = Instant::now();
        let mut state = self.lock();
        // A probe of the episode in progress, not of one it replaced.
        let was_probe = probe.is_some_and(|generation| {
            state
                .episode
                .as_ref()
                .is_some_and(|e| e.generation == generation)
        });
        match report {
            Report::Answered => {
                if state.first_throttle.is_some() {
                    state.ok_since_throttle += 1;
                } else {
                    state.ok_before_throttle += 1;
                }
                state.budget = (state.budget + 1).min(RETRY_BUDGET);
                state.lowered = false;
                state.ok_since_lowered += 1;
                // Only a probe's success says the throttle lifted: an answer to a request sent
                // before it began says nothing.
                let lifted = state
                    .episode
                    .as_ref()
                    .is_some_and(|episode| was_probe || sent > episode.started);
                if lifted {
                    state.episode = None;
                    self.lifted(&mut state, now);
                    drop(state);
                    self.wake.notify_one();
                } else if let Some(interval) = state.interval
                    && !self.fixed
                    && !state.retry_after_seen
                {
                    let rate = 1.0 / interval.as_secs_f64();
                    let far_below = state.ceiling.is_some_and(|ceiling| rate < 0.95 * ceiling);
                    let growth = if far_below { FAST_GROWTH } else { GROWTH };
                    state.interval = Some(interval.div_f64(growth));
                }
            }
            Report::Throttled(retry_after) => {
                state.first_throttle.get_or_insert(now);
                // `Retry-After: 0` (or a date already past) says nothing of when: probe.
                if let Some(wait) = retry_after.filter(|wait| !wait.is_zero()) {
                    state.retry_after_seen = true;
                    // Every request of the client waits for it: one probe when it is over.
                    state.episodes += 1;
                    state.episode = Some(Episode {
                        generation: state.episodes,
                        started: now,
                        next_probe: later(now, wait),
                        gap: wait.min(MAX_PROBE_GAP),
                        probe_out: false,
                    });
                    tracing::info!(
                        wait_ms = wait.as_millis() as u64,
                        "livedesk throttled: pausing every request as the server asked"
                    );
                } else if state.interval.is_none() {
                    if state.episode.is_none() {
                        // The gaps start at a quarter of the time the client has run, so
                        // that they scale with whatever the window is.
                        let ran = now.saturating_duration_since(state.first_request.unwrap_or(now));
                        let gap = (ran / 4).clamp(Duration::from_millis(1), MAX_PROBE_GAP);
                        state.episodes += 1;
                        state.episode = Some(Episode {
                            generation: state.episodes,
                            started: now,
                            next_probe: later(now, gap),
                            gap,
                            probe_out: false,
                        });
                        tracing::info!(
                            first_probe_ms = gap.as_millis() as u64,
                            "livedesk throttled: waiting for the limit to lift"
                        );
                    }
                } else if !state.lowered && !self.fixed {
                    state.lowered = true;
                    let current = 1.0 / state.interval.unwrap_or(Duration::MAX).as_secs_f64();
                    let since = state
                        .first_throttle
                        .map_or(Duration::ZERO, |t| now.saturating_duration_since(t));
                    let sustained = state.ok_since_throttle as f64 / since.as_secs_f64();
                    state.ceiling = Some(current);
                    // The current rate, unless what got through since the first throttle
                    // shows it is far off (a token bucket's burst inflated the first guess).
                    // Throttled again within a few requests: still well above the limit.
                    let margin = if state.ok_since_lowered < 8 {
                        0.85
                    } else {
                        MARGIN
                    };
                    state.ok_since_lowered = 0;
                    let rate = margin
                        * if sustained < current / 2.0 {
                            sustained
                        } else {
                            current
                        };
                    state.interval = Some(Duration::from_secs_f64(1.0 / rate));
                    tracing::info!(
                        requests_per_minute = rate * 60.0,
                        "livedesk throttled: slowing down"
                    );
                }
                if was_probe && let Some(episode) = &mut state.episode {
                    episode.probe_out = false;
                }
                drop(state);
                self.wake.notify_one();
            }
            Report::Failed => {
                if was_probe && let Some(episode) = &mut state.episode {
                    episode.probe_out = false;
                    drop(state);
                    self.wake.notify_one();
                }
            }
        }
    }

    /// A throttle lifted: a first one sets the pace from what the account allowed.
    fn lifted(&self, state: &mut State, now: Instant) {
        if self.fixed || state.interval.is_some() {
            return;
        }
        let ran = now.saturating_duration_since(state.first_request.unwrap_or(now));
        let allowed = state.ok_before_throttle.max(1) as f64;
        let rate = MARGIN * allowed / ran.as_secs_f64().max(1e-3);
        state.interval = Some(Duration::from_secs_f64(1.0 / rate));
        tracing::info!(
            requests_per_minute = rate * 60.0,
            after_ms = ran.as_millis() as u64,
            "livedesk settled on a pace"
        );
    }

    /// Takes `cost` from the retry budget; false when there is not enough.
    pub(crate) fn spend(&self, cost: u32) -> bool {
        let mut state = self.lock();
        match state.budget.checked_sub(cost) {
            Some(left) => {
                state.budget = left;
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A probe of a throttle that a `Retry-After` has since replaced: its success must not
    /// lift the pause the server asked for, nor free the new episode's probe.
    #[tokio::test]
    async fn a_stale_probe_does_not_end_a_newer_pause() {
        let pacer = Pacer::new(None);
        let (first, second) = (pacer.acquire(None).await, pacer.acquire(None).await);
        pacer.report(first, Report::Throttled(None));
        let probe = pacer.acquire(None).await;
        assert!(probe.probe.is_some(), "the first throttle's probe");
        pacer.report(second, Report::Throttled(Some(Duration::from_secs(3600))));
        pacer.report(probe, Report::Answered);
        assert!(
            pacer.throttled(),
            "the server's hour-long pause still holds"
        );
        let waiting = tokio::time::timeout(Duration::from_millis(50), pacer.acquire(None)).await;
        assert!(waiting.is_err(), "and no request goes out during it");
    }
}
