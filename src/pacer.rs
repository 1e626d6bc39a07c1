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
//! 2. At that lift it paces: the requests sent before the throttle that succeeded, over the
//!    time from the first request to the probe that found the lift, is what the account
//!    allowed; it keeps 97% of it. The lift is seen late (by up to a probe's gap), so this
//!    first pace is low.
//! 3. Paced, each success of a request the pace held back raises the rate (a caller slower
//!    than the pace says nothing of the limit), in steps that add up, over the requests a
//!    window allows (as the first lift measured them), to 5% until the first throttle while
//!    paced, then to 0.4% near the rate of the last throttle and to 20% when far below it
//!    (CUBIC's idea: careful where the limit was, quick where it was not). A `429` lowers it
//!    once per run of `429`s: to 90% the first time (the quick growth may have overshot by a
//!    few steps), then to 97% (85% when it comes right after the last cut); it starts from
//!    the rate sustained since the first throttle when that shows the pace was far off (a
//!    token bucket's burst inflates the first estimate). A request held for its slot takes
//!    the next slot from that slot, so that timers firing late do not slow the pace kept
//!    below the pace set. `benches/ratelimit.rs` measures the `429`s this costs.
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

/// Share of a measured rate kept.
const MARGIN: f64 = 0.97;
/// How much the pace grows over a window's worth of successes (the allowance the first lift
/// measured, so that the steps are the same at 20 a second as at 100 a minute): slowly near
/// the rate of the last throttle, fast when far below it.
const GROWTH: f64 = 0.004;
const FAST_GROWTH: f64 = 0.2;
/// Before any throttle while paced, the first pace is low by however late the lift was seen:
/// quicker steps, and a deeper first cut for the steps taken past the limit.
const FIRST_GROWTH: f64 = 0.05;
const FIRST_CUT: f64 = 0.9;
/// The smallest allowance the steps are divided by: a first lift that let few requests
/// through (the client started near a window's end) would make each step too large.
const MIN_ALLOWANCE: u64 = 20;

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
    /// Whether the pace held it back (else the caller, not the pace, set the rate).
    held: bool,
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
        // Whether the pace held this request back: only then does its success say the pace
        // could be higher.
        let mut held = false;
        loop {
            let now = Instant::now();
            if give_up.is_some_and(|at| now >= at) {
                return self.permit(None, held);
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
                        return self.permit(Some(episode.generation), false);
                    }
                } else if let Some(interval) = state.interval {
                    let slot = state.next_slot.map_or(now, |slot| slot.max(now));
                    if slot > now {
                        held = true;
                        Some(slot - now)
                    } else {
                        // Held for its slot, a request takes the next one from that slot, not
                        // from when its timer fired (late by the scheduler): else every wait
                        // would slow the pace kept below the pace set.
                        let base = match state.next_slot {
                            Some(scheduled) if held => scheduled.min(now),
                            _ => now,
                        };
                        state.next_slot = Some(later(base, interval));
                        return self.permit(None, held);
                    }
                } else {
                    return self.permit(None, false);
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

    fn permit(&self, probe: Option<u64>, held: bool) -> Permit<'_> {
        Permit {
            pacer: self,
            probe,
            held,
            sent: Instant::now(),
        }
    }

    /// Takes what an attempt ended with into the pace.
    pub(crate) fn report(&self, mut permit: Permit<'_>, report: Report) {
        let probe = permit.probe.take();
        let (sent, held) = (permit.sent, permit.held);
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
                // By when it was sent: an answer to a request sent before the first throttle
                // is part of what the account allowed then, however late it comes back.
                if state.first_throttle.is_some_and(|throttle| sent > throttle) {
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
                    // The lift came before this request was sent.
                    self.lifted(&mut state, sent);
                    drop(state);
                    self.wake.notify_one();
                } else if let Some(interval) = state.interval
                    && held
                    && !self.fixed
                    && !state.retry_after_seen
                {
                    let rate = 1.0 / interval.as_secs_f64();
                    let per_window = match state.ceiling {
                        Some(ceiling) if rate < 0.95 * ceiling => FAST_GROWTH,
                        Some(_) => GROWTH,
                        None => FIRST_GROWTH,
                    };
                    // A window's worth of requests, as the first lift measured them.
                    let allowance = state.ok_before_throttle.max(MIN_ALLOWANCE);
                    let growth = 1.0 + per_window / allowance as f64;
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
                    // The current rate, unless what got through since the first throttle
                    // shows it is far off (a token bucket's burst inflated the first guess).
                    // Throttled again within a few requests: still well above the limit. The
                    // first throttle while paced comes after growing at `FIRST_GROWTH`, which
                    // may have overshot by a few steps before the window showed it.
                    let far_off = sustained < current / 2.0;
                    let first = state.ceiling.is_none();
                    let margin = if state.ok_since_lowered < 8 {
                        0.85
                    } else if first {
                        FIRST_CUT
                    } else {
                        MARGIN
                    };
                    state.ok_since_lowered = 0;
                    let rate = margin * if far_off { sustained } else { current };
                    // Far off, the limit is somewhere above the sustained rate: regrow fast.
                    // After the first cut, the limit was just below where it struck: regrow
                    // slowly from there, as after any other cut.
                    state.ceiling = Some(if first && !far_off {
                        rate / MARGIN
                    } else {
                        current
                    });
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

    /// Two requests sent before the first `429` and answered after it, then a lift 200 ms
    /// on: the pace is what the account allowed (2 in about 200 ms, less 3%).
    async fn paced_after_a_lift() -> Pacer {
        let pacer = Pacer::new(None);
        let (first, second, third) = (
            pacer.acquire(None).await,
            pacer.acquire(None).await,
            pacer.acquire(None).await,
        );
        pacer.report(first, Report::Throttled(None));
        pacer.report(second, Report::Answered);
        pacer.report(third, Report::Answered);
        tokio::time::sleep(Duration::from_millis(200)).await;
        let probe = pacer.acquire(None).await;
        assert!(probe.probe.is_some());
        pacer.report(probe, Report::Answered);
        pacer
    }

    #[tokio::test]
    async fn answers_count_toward_the_allowance_by_when_they_were_sent() {
        let per_second = paced_after_a_lift().await.pace().unwrap().per_minute_rate() / 60.0;
        // 0.97 × 2 / 0.2 s is 9.7 a second; counted by arrival, one answer, 4.85.
        assert!((6.5..=9.7).contains(&per_second), "{per_second}");
    }

    /// Successes raise the pace only when the pace held their requests back: a caller slower
    /// than the pace says nothing of the limit.
    #[tokio::test]
    async fn only_requests_the_pace_held_back_raise_it() {
        let pacer = paced_after_a_lift().await;
        let pace = pacer.pace().unwrap();
        tokio::time::sleep(pace.interval()).await;
        for _ in 0..5 {
            let permit = pacer.acquire(None).await;
            assert!(!permit.held);
            pacer.report(permit, Report::Answered);
            tokio::time::sleep(pace.interval() * 2).await;
        }
        assert_eq!(pacer.pace(), Some(pace));
        for _ in 0..5 {
            let permit = pacer.acquire(None).await;
            pacer.report(permit, Report::Answered);
        }
        assert!(pacer.pace().unwrap().per_minute_rate() > pace.per_minute_rate());
    }
}
