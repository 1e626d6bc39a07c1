//! A model of the server's rate limiter: a pure state machine, fed what happened (a request
//! sent, answered, throttled with or without `Retry-After`) and the time, that says when the
//! next request may go. No I/O and no clock of its own: the client's async shell
//! (`pacer.rs`) drives it with tokio's clock, and `benches/ratelimit.rs` includes this very
//! module (`#[path]`) to drive it in virtual time against simulated limiters. It depends on
//! nothing but `std`, so that it can be included there. This file holds the model and its
//! events; `learning.rs` the throttle's probes and the shape two lifts show, `window.rs` a
//! fixed window, `rate.rs` a measured rate, `log.rs` the client's copy of a sliding log.
//!
//! **The algorithm**, in outline (each step's detail is in the file that does it; why each
//! constant has its value, and what was measured at others, in `docs/rate-limits.md`, "The
//! model's constants"):
//! 1. *Learning* (`learning.rs`). Until the first `429` every request goes at once. A `429`
//!    starts a *throttle*: one probe at a time, the first a round trip later (but the
//!    *pre-tick*, in a second throttle after a lift on the clock), then at the next
//!    boundary on the clock of a window of each period of `CLOCK_PERIODS` in turn, or a
//!    period after the run's first success (a sliding log's lift) if sooner, else each
//!    twice as late as the one before; after a `Retry-After`, exactly when the server said.
//!    The first probe that passes is a *lift*, and the successes between two throttles a
//!    *run*. Two lifts tell the shape: a second lift sooner after the first than the first
//!    came after its throttle's first refusal is a sliding log; else a second run of at
//!    least half the first is a fixed window (paced as a rate, its allowance a period,
//!    where round trips last an eighth of the period or more); otherwise a rate.
//!    The first learning's first throttle ended by a request in flight, after a run of a
//!    round trip or more, is followed by one request at a time until a success of one
//!    sent since, or of two where those still out that were sent after the ending's
//!    success were refused more than they passed (a refusal of one still out begins no
//!    throttle).
//!    `UNLIFTED_MAX` throttles in a row ended by requests in flight, not a probe, are a
//!    rate too (in the first learning, with no lift at a `Retry-After` pause's end, those
//!    just after a lift make no rate faster than the lift's throttle allows a bucket, and
//!    are dropped).
//! 2. *A fixed window* (`window.rs`). Every boundary seen is an interval; the period is
//!    what they all allow (the round one of `CLOCK_PERIODS`, or a whole number of seconds,
//!    where they fit it). The allowance, times the headroom's share, is spread evenly
//!    between the boundaries the model is sure of, and what that leaves unsent goes up to
//!    the next boundary counted in both windows; one probe a window narrows a boundary
//!    known poorly. A `429` in a window that let some through lowers the allowance; upward
//!    probes find a raise; a request just before a boundary's lower bound tests it, and a
//!    window sent at once tells a sliding log from a window.
//! 3. *A sliding log* (`log.rs`). The client keeps the answers of its last `limit`
//!    successes and sends while fewer than `limit` were answered less than a *hold* ago;
//!    the hold is learnt from the answers at the copy's edge, a lower limit from a refusal
//!    with room left (and the old one probed for after it). A window taken for a log whose
//!    successes bound the hold to under two round trips (and a second) is taken for a
//!    bucket's burst instead: a rate.
//! 4. *A rate* (`rate.rs`). Measured between two throttles far apart (a bucket is empty
//!    at each; at first, where a burst is taken for one, since the first throttle) or
//!    over the last successes, paced `RATE_PROBE` above it so that it stays measured.
//! 5. Evidence the shape cannot explain (no period fitting the boundaries, a rate
//!    refused throughout or measured under a sixteenth of its highest, a log refused
//!    `LOG_REFUSALS` times in a row with a quarter of its copy free, lowered twice with
//!    no success between to under half, or its hold grown past `HOLD_MAX` times where it
//!    settled) starts the learning over. A `Retry-After` pauses every request
//!    until the time it names, whatever the shape.
//!    Under headroom, each shape takes at most its share: of a window's allowance, of a
//!    log's limit, of a rate once measured well (a window's rate of an exact period, at
//!    once).
//!
//! **Why spread, not burst.** In a fixed window the allowance can be sent at once or spread:
//! the window lets the same number through either way. Spreading is chosen for the account's
//! other users: the count reaches the limit only at the window's end, so their searches
//! during the window pass, and it is this client's last request that meets the `429` (and
//! lowers its allowance for the next windows), not theirs. Bursting would spend the window in
//! its first seconds and refuse them for the rest of it.

use std::{collections::VecDeque, time::Duration};

mod learning;
mod log;
mod rate;
#[cfg(test)]
mod tests;
mod window;

use learning::{CLOCK_PERIODS, LOG_ROUND_TRIPS, Learning, MINUTE, PreTick};
use log::{HISTORY, Log};
use rate::{RATE_FIRST_SAMPLES, Rate, STALL};
use window::{Bound, MIN_ALLOWANCE, Window, period};

/// Weight of a new round trip in the smoothed one (RFC 6298's α, as TCP uses it).
const RTT_GAIN: f64 = 0.125;
/// Weight of a new deviation in the smoothed deviation (RFC 6298's β).
const RTT_DEV_GAIN: f64 = 0.25;
/// A round trip is taken to last at most the smoothed one and this many deviations (RFC 6298's K).
const RTT_DEVS: f64 = 4.0;
/// Seconds a `Retry-After` date may be early, read with a client's clock that is off.
const RETRY_AFTER_SKEW: f64 = 0.25;

/// What an answer says about the limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// The request counted and passed (any answer but a `429` or a failure).
    Passed,
    /// A `429`, with the server's `Retry-After` as a wait from the answer (a date converted).
    Throttled(Option<Duration>),
    /// No answer, a `5xx` or a `408`: nothing about the limit.
    Failed,
}

/// Why a request may not go yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wait {
    /// Not before this time.
    Until(Duration),
    /// Not before an answer in flight has come back (a probe is out).
    Answer,
}

/// The shape the model has found.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Shape {
    /// Nothing learnt yet (no throttle, or the lifts so far tell no shape).
    Unknown,
    /// A fixed window: `allowance` requests each `period`.
    Window {
        /// Requests a window lets through.
        allowance: u64,
        /// The window's length.
        period: Duration,
    },
    /// A sliding log: at most `limit` requests in any `period`.
    Log {
        /// Requests any period lets through.
        limit: u64,
        /// The log's length.
        period: Duration,
    },
    /// Capacity returning gradually, at `per_second`.
    Rate {
        /// Requests a second.
        per_second: f64,
    },
    /// A rate set by the user, kept as it is.
    Fixed {
        /// Requests a second.
        per_second: f64,
    },
}

/// What the model knows, for reports and progress displays.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Snapshot {
    /// The limiter's shape and numbers.
    pub shape: Shape,
    /// Requests a second the client runs at from now on, once known (a rate not yet
    /// measured well is paced whole, a step above it, whatever the headroom); while
    /// learning, once throttled, a guess: the most a run got before a `429`, each minute or
    /// each time a run and its throttle lasted if longer.
    pub pace: Option<f64>,
    /// Waiting for a throttle to lift or a `Retry-After` to end.
    pub throttled: bool,
    /// Requests sent so far.
    pub requests: u64,
    /// `429`s answered so far.
    pub throttles: u64,
}

/// A request the model let go: hand it back with its answer, or to [`Model::cancelled`].
#[derive(Clone, Copy, Debug)]
pub struct Ticket {
    sent: f64,
    /// The learning run or the window the request was counted in.
    slot: i64,
    kind: Kind,
    /// The model's state when it was sent: answers to an earlier state's requests only
    /// update what does not depend on it.
    epoch: u64,
    /// Sent to a sliding log: the hold then, and how long since the copy's last aged slot
    /// came free (infinite if none had: the copy was not yet full).
    edge: Option<(f64, f64)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// Paced or free.
    Normal,
    /// Finding when a throttle lifts.
    Lift,
    /// Halving the uncertainty of a window boundary.
    Boundary,
    /// Testing a boundary's lower bound: refused, it holds; passed, it was wrong.
    Low,
    /// Testing whether a sliding log lets one more through.
    Up,
    /// Sent because the caller would wait no longer.
    Forced,
}

/// The model. Times are durations since any origin the caller keeps fixed.
#[derive(Clone, Debug)]
pub struct Model {
    /// The share of the learnt limit used (1 − headroom).
    share: f64,
    /// Longest `Retry-After` kept as a pause, in seconds.
    max_pause: f64,
    /// Smoothed round trip and its deviation.
    rtt: Option<(f64, f64)>,
    pause_until: f64,
    /// The last request's sending.
    last_sent: f64,
    requests: u64,
    throttles: u64,
    epoch: u64,
    /// Seconds since the UNIX epoch at this model's time zero, when known: the clock that
    /// windows are aligned to.
    clock: Option<f64>,
    /// The first `429`'s request's sending, and the successes of requests sent after it.
    first_throttle: Option<f64>,
    ok_since_first: u64,
    /// Sendings and answers of the last successes, in the order answered (at most
    /// `HISTORY`): what a sliding log still holds.
    passes: VecDeque<(f64, f64)>,
    /// Requests sent and not yet answered, of any state: a sliding log may count each.
    in_flight: u64,
    /// Requests cancelled after they were let go, which a sliding log may hold: until when
    /// (sending, a longest round trip and the hold then).
    cancelled_until: VecDeque<f64>,
    /// The allowance of a window the evidence refuted, until the learning after it ends.
    refuted: Option<u64>,
    /// The first window learnt was given its burst test (`Window::burst_due`); later ones
    /// are not: a limit that changes is learnt again and again, and as a log it is followed
    /// worse than as a window (a log's limit is probed upward only after a lowering).
    log_tested: bool,
    state: State,
}

#[derive(Clone, Debug)]
enum State {
    Learning(Learning),
    Window(Window),
    Log(Log),
    Rate(Rate),
}

fn secs(t: Duration) -> f64 {
    t.as_secs_f64()
}

/// A length of time to report, to the nearest nanosecond (a round period shows as round).
fn length(t: f64) -> Duration {
    Duration::try_from_secs_f64(t.max(0.0)).unwrap_or(Duration::MAX)
}

/// The `n`th (from 0) of two ascending sequences merged.
fn nth_merged(a: impl Iterator<Item = f64>, b: impl Iterator<Item = f64>, n: usize) -> Option<f64> {
    let (mut a, mut b) = (a.peekable(), b.peekable());
    for _ in 0..n {
        match (a.peek(), b.peek()) {
            (Some(x), Some(y)) if y < x => b.next(),
            (Some(_), _) => a.next(),
            (None, _) => b.next(),
        }?;
    }
    match (a.peek(), b.peek()) {
        (Some(&x), Some(&y)) => Some(x.min(y)),
        (x, y) => x.or(y).copied(),
    }
}

/// A time to wait for, a nanosecond past its rounding up: woken at it, the caller finds it
/// past, whatever the floating point made of it.
fn at(t: f64) -> Duration {
    // Far futures saturate, pasts are now, instead of panicking. A few ulps up: read back as
    // seconds, the instant is not before `t` (at months of uptime a nanosecond is under one).
    let nanos = (t.max(0.0) * 1e9 * (1.0 + 4.0 * f64::EPSILON)).ceil() + 1.0;
    if nanos >= u64::MAX as f64 {
        Duration::MAX
    } else {
        Duration::from_nanos(nanos as u64)
    }
}

impl Model {
    /// A model with nothing learnt. `headroom` is the share of the learnt limit left unused
    /// (0 to 0.9); `max_pause` the longest `Retry-After` honoured as a pause.
    pub fn new(headroom: f64, max_pause: Duration) -> Self {
        Self {
            share: 1.0 - headroom.clamp(0.0, 0.9),
            max_pause: secs(max_pause),
            rtt: None,
            pause_until: f64::NEG_INFINITY,
            last_sent: f64::NEG_INFINITY,
            requests: 0,
            throttles: 0,
            epoch: 0,
            clock: None,
            first_throttle: None,
            ok_since_first: 0,
            passes: VecDeque::new(),
            in_flight: 0,
            cancelled_until: VecDeque::new(),
            refuted: None,
            log_tested: false,
            state: State::Learning(Learning::default()),
        }
    }

    /// The model's time zero is `since_epoch` after the UNIX epoch: a throttle's probes try
    /// the boundaries of windows aligned to the clock first (see `CLOCK_PERIODS`).
    pub fn aligned_to(mut self, since_epoch: Duration) -> Self {
        self.clock = Some(secs(since_epoch));
        self
    }

    /// A model that paces at `per_second` and learns nothing (`Retry-After` still pauses it).
    pub fn fixed(per_second: f64, max_pause: Duration) -> Self {
        let mut model = Self::new(0.0, max_pause);
        model.state = State::Rate(Rate::new(per_second, true));
        model
    }

    /// A request may go now (its ticket), or when.
    pub fn try_send(&mut self, now: Duration) -> Result<Ticket, Wait> {
        let now = secs(now);
        if now < self.pause_until {
            return Err(Wait::Until(at(self.pause_until)));
        }
        if let State::Window(w) = &self.state
            && now - self.last_sent > 2.0 * w.period().1
            && w.phase_lost(now)
        {
            // Idle for long (or a clock that jumped): the period's small error, times the
            // windows since, leaves the boundaries unknown. Learn them again.
            self.relearn();
        }
        let rtt_hi = self.rtt_hi();
        let share = self.share;
        let in_flight = self.in_flight;
        let mut edge = None;
        let (slot, kind) = match &mut self.state {
            State::Learning(l) => {
                if let Some(t) = &mut l.throttle {
                    if t.out {
                        return Err(Wait::Answer);
                    }
                    if now < t.next {
                        return Err(Wait::Until(at(t.next)));
                    }
                    t.out = true;
                    if let Some(PreTick::Due { at, boundary }) = t.pre_tick
                        && t.next == at
                    {
                        // Its refusal shows what a lower bound's test would only if sent
                        // alone, before the boundary.
                        t.pre_tick =
                            (in_flight == 0 && now < boundary).then_some(PreTick::Out(now));
                    }
                    (l.runs.len() as i64, Kind::Lift)
                } else {
                    // Past as many as the run before got (a window's worth, unless it was
                    // too few to be one), the run's end is near: one at a time, so that it
                    // is one `429`, not one for each request in flight. Past twice as many,
                    // the run before was short (a window others had spent, or begun late):
                    // free again, or a window without a `429` would keep it serial. Not
                    // once the limiter was seen closed: that end came before the count (at
                    // 16 at once with round trips of 0.5-2 s, a window of 100 per 10 s
                    // went on one at a time for fifteen windows after its boundary). Nor
                    // for longer than the run took to get there (a round trip at least):
                    // one at a time crosses a boundary without a `429`.
                    if l.run_out > 0
                        && !l.closed
                        && l.serial_since.is_none_or(|since| {
                            l.run_from
                                .is_none_or(|(_, from)| now - since <= (since - from).max(rtt_hi))
                        })
                        && l.runs.last().is_some_and(|&before| {
                            before >= MIN_ALLOWANCE
                                && (before..2 * before).contains(&(l.run_ok + l.run_out))
                        })
                    {
                        l.serial_since.get_or_insert(now);
                        return Err(Wait::Answer);
                    }
                    // After the first learning's first throttle ended by a request in
                    // flight, its run a round trip or more: one at a time, so that a
                    // limiter still closed refuses one, not each
                    // (`Learning::serial_ending`, `Learning::serial_more`).
                    if in_flight > 0 && (l.serial_ending || l.serial_more) {
                        return Err(Wait::Answer);
                    }
                    l.run_out += 1;
                    (l.runs.len() as i64, Kind::Normal)
                }
            }
            State::Window(w) => match w.next_send(now, rtt_hi, share) {
                Ok((slot, kind)) => (slot, kind),
                Err(wait) => return Err(wait),
            },
            State::Log(log) => {
                if now < log.resume {
                    return Err(Wait::Until(at(log.resume)));
                }
                // Only the last `limit` successes can hold a slot.
                while self.passes.len() > log.limit as usize {
                    self.passes.pop_front();
                }
                // Held: the requests in flight, and the successes answered less than a hold ago.
                // (The copy is in the order answered: a search, not a count of 16,384.)
                let kept = self
                    .passes
                    .partition_point(|&(_, answer)| answer + log.hold <= now);
                let recent = (self.passes.len() - kept) as u64;
                while self
                    .cancelled_until
                    .front()
                    .is_some_and(|&until| until <= now)
                {
                    self.cancelled_until.pop_front();
                }
                let held = recent + self.in_flight + self.cancelled_until.len() as u64;
                // Under headroom, a share of the limit is held at most.
                let room = ((log.limit as f64 * share).floor() as u64).max(1);
                if log.probe_due(held, room) {
                    log.probe_out = true;
                    (held as i64, Kind::Up)
                } else if held >= room {
                    // The slot that comes back first: the oldest success still held, once as
                    // many as are over the limit have aged. Past the copy (as many requests
                    // in flight as the limit), only an answer frees one.
                    let aging = (held - room) as usize;
                    // The successes still held and the cancelled requests, by when each ages
                    // (both already in that order: merged, not sorted, on every wait).
                    let successes = self
                        .passes
                        .iter()
                        .skip(kept)
                        .map(|&(_, answer)| answer + log.hold);
                    let cancelled = self.cancelled_until.iter().copied();
                    return Err(match nth_merged(successes, cancelled, aging) {
                        Some(free) => Wait::Until(at(free)),
                        None => Wait::Answer,
                    });
                } else {
                    // The slot holds what the log held: at the edge (one slot left), an
                    // answer tells the hold something, if that slot came free just now.
                    let freed = kept
                        .checked_sub(1)
                        .and_then(|i| self.passes.get(i))
                        .map_or(f64::INFINITY, |&(_, answer)| now - (answer + log.hold));
                    edge = Some((log.hold, freed));
                    (held as i64, Kind::Normal)
                }
            }
            State::Rate(r) => {
                let interval = 1.0 / r.pace(share);
                if now < r.next {
                    return Err(Wait::Until(at(r.next)));
                }
                // A slot taken late by a timer keeps the schedule, but a caller slower than the
                // pace does not earn a burst for the slots it left: one slot of slack at most.
                let slot = if r.next.is_finite() {
                    r.next.max(now - interval)
                } else {
                    now
                };
                r.next = slot + interval;
                (0, Kind::Normal)
            }
        };
        let mut ticket = self.ticket(now, slot, kind);
        ticket.edge = edge;
        Ok(ticket)
    }

    /// The caller sends without waiting any longer (its own deadline passed): counted, never
    /// a probe.
    pub fn force_send(&mut self, now: Duration) -> Ticket {
        let slot = match &self.state {
            State::Window(w) => w.index,
            _ => -1,
        };
        self.ticket(secs(now), slot, Kind::Forced)
    }

    fn ticket(&mut self, now: f64, slot: i64, kind: Kind) -> Ticket {
        self.requests += 1;
        self.in_flight += 1;
        self.last_sent = now;
        if let State::Window(w) = &mut self.state {
            if kind == Kind::Normal && slot == w.index {
                w.sent += 1;
                w.out += 1;
            }
            w.since_probe += 1;
            w.since_low += 1;
            w.since_round_test += 1;
        }
        if let State::Log(log) = &mut self.state {
            log.since_up += 1;
        }
        Ticket {
            sent: now,
            slot,
            kind,
            epoch: self.epoch,
            edge: None,
        }
    }

    /// A request let go was cancelled before its answer: it may still have counted.
    pub fn cancelled(&mut self, ticket: Ticket) {
        if let State::Log(log) = &self.state
            && ticket.epoch == self.epoch
        {
            // It may have reached the server, which holds it for the period.
            let until = ticket.sent + self.rtt_hi() + log.hold;
            let at = self.cancelled_until.partition_point(|&u| u <= until);
            self.cancelled_until.insert(at, until);
        }
        self.answered(ticket, length(ticket.sent), Answer::Failed);
    }

    /// Takes an answer into the model.
    pub fn answered(&mut self, ticket: Ticket, now: Duration, answer: Answer) {
        let now = secs(now).max(ticket.sent);
        // Answered later than `STALL` times the longest round trip expected before it: held
        // up on its way, so that its sending says nothing of when it reached the server.
        let stalled = self.rtt.is_some() && now - ticket.sent > STALL * self.rtt_hi();
        if answer != Answer::Failed {
            self.observe_rtt(now - ticket.sent);
        }
        self.in_flight = self.in_flight.saturating_sub(1);
        if answer == Answer::Passed {
            if self.passes.len() == HISTORY {
                self.passes.pop_front();
            }
            let last = self.passes.back().map_or(now, |p| p.1);
            self.passes.push_back((ticket.sent, now.max(last)));
        }
        // `Retry-After: 0`, a date already past, or a pause longer than the client waits say
        // nothing of when: a throttle like any other.
        let answer = match answer {
            Answer::Throttled(Some(wait)) if wait.is_zero() || secs(wait) > self.max_pause => {
                Answer::Throttled(None)
            }
            other => other,
        };
        if let Answer::Throttled(wait) = answer {
            self.throttles += 1;
            self.first_throttle.get_or_insert(ticket.sent);
            if let Some(wait) = wait {
                self.pause_until = self.pause_until.max(now + secs(wait));
            }
        }
        if answer == Answer::Passed && self.first_throttle.is_some_and(|f| ticket.sent > f) {
            self.ok_since_first += 1;
        }
        let current = ticket.epoch == self.epoch;
        let rtt_hi = self.rtt_hi();
        match &mut self.state {
            State::Learning(_) => self.learning_answered(ticket, now, answer),
            State::Window(w) => {
                let before = w.allowance;
                // A `Retry-After` says the boundary it waits for is past by then: a request
                // sent at the pause's end would be answered, passed, a round trip later.
                let said = match answer {
                    Answer::Throttled(Some(wait)) => now + secs(wait) + RETRY_AFTER_SKEW + rtt_hi,
                    _ => f64::INFINITY,
                };
                let relearn = w.answered(ticket, current, now, answer, said, rtt_hi);
                if relearn {
                    // Refuted after an upward probe got back the allowance a lowering took (a
                    // log refuses a window sent faster than the one before it, and lets the
                    // next one through whole): a sliding log, of the window's allowance. A
                    // window refuted otherwise (a raised limit, a boundary mispredicted) is
                    // learnt again, its allowance kept: a rate found next is a log's.
                    let (w_lo, w_hi) = w.period();
                    let limit = w.allowance.max(w.ceiling);
                    let hold = (w_lo + w_hi) / 2.0;
                    if (w.restored.is_some() || w.log_shown)
                        && hold.is_finite()
                        && hold > 0.0
                        && limit >= MIN_ALLOWANCE
                    {
                        self.epoch += 1;
                        let hold = self.log_hold(limit, hold);
                        self.state = match self.burst_rate(hold, now, rtt_hi) {
                            Some(per_second) => {
                                let mut rate = Rate::new(per_second, false);
                                rate.drained_at(ticket.sent, now, self.share);
                                State::Rate(rate)
                            }
                            None => State::Log(Log::new(limit, hold)),
                        };
                    } else {
                        self.relearn();
                        self.refuted = Some(limit);
                        if let State::Learning(l) = &mut self.state {
                            // A window on the clock (its period taken as the round one) is
                            // most likely one again, with a limit changed: the clock's
                            // probes find its lifts, and a log's would only be refused.
                            l.from_clock_window = w_lo == w_hi;
                        }
                    }
                } else if w.allowance < MIN_ALLOWANCE {
                    // A window of one or two is a pace, and one the boundaries can no longer
                    // be told from: pace at the rate of the window it was.
                    let (w_lo, w_hi) = w.period();
                    self.epoch += 1;
                    self.state = State::Rate(Rate::of_window(before, (w_lo + w_hi) / 2.0));
                }
            }
            State::Log(_) => self.log_answered(ticket, now, answer),
            State::Rate(r) => match answer {
                Answer::Passed => {
                    r.passed(ticket.sent, now, rtt_hi, stalled, self.share);
                    if r.collapsed() {
                        // Not a rate: what it measured was others' doing, or a shape misread.
                        self.relearn();
                    }
                }
                Answer::Throttled(_) => {
                    r.throttled(ticket.sent);
                    if r.blacked_out(self.share) {
                        // Not a rate: the learning's probes find when capacity returns.
                        self.relearn();
                    }
                }
                Answer::Failed => {}
            },
        }
    }

    /// Where a window becomes a log whose `hold` its successes bound to under
    /// `LOG_ROUND_TRIPS` round trips and to under the shortest period on the clock (a
    /// second): the rate to pace instead, what passed since the first throttle. Its limit
    /// and more passed about as fast as the client sent them, which tells no hold a client
    /// can pace, and is taken for a token bucket's stored burst (at loopback round trips, a
    /// bucket taken for a window whose boundaries came to stand milliseconds apart became a
    /// log of 9 per 4 ms, refused at once). A lower bound of the bucket's rate (it was
    /// empty at that throttle, full at times since), raised as any rate not yet measured.
    /// (Without the second's bound, at slow round trips, where two last seconds and a
    /// log's successes crowd as well, a log of 100 a minute raised and a window others
    /// spend at its front, both at 16 at once, lost a tenth and a sixth as rates.)
    fn burst_rate(&self, hold: f64, now: f64, rtt_hi: f64) -> Option<f64> {
        let from = self
            .first_throttle
            .filter(|&from| now > from && self.ok_since_first > 0)?;
        (hold < (LOG_ROUND_TRIPS * rtt_hi).min(CLOCK_PERIODS[0]))
            .then(|| self.ok_since_first as f64 / (now - from))
    }

    /// The evidence no longer fits a window: learn again from nothing (the round trip and the
    /// clock are kept).
    fn relearn(&mut self) {
        self.epoch += 1;
        self.first_throttle = None;
        self.ok_since_first = 0;
        self.state = State::Learning(Learning::default());
    }

    fn observe_rtt(&mut self, sample: f64) {
        self.rtt = Some(match self.rtt {
            None => (sample, sample / 2.0),
            Some((mean, dev)) => (
                mean + RTT_GAIN * (sample - mean),
                dev + RTT_DEV_GAIN * ((sample - mean).abs() - dev),
            ),
        });
    }

    fn rtt_mean(&self) -> Option<f64> {
        self.rtt.map(|(mean, _)| mean)
    }

    /// The longest a round trip is expected to take.
    fn rtt_hi(&self) -> f64 {
        self.rtt.map_or(0.0, |(mean, dev)| mean + RTT_DEVS * dev)
    }

    /// What the model knows now.
    pub fn snapshot(&self, now: Duration) -> Snapshot {
        let now = secs(now);
        let (shape, pace) = match &self.state {
            // Once throttled, the first hypothesis until the shape is learnt: the most a run
            // got (before a `429`, or so far), each minute (the upstream server's window), so
            // that an export an hour long says so in its first minute; a run and its throttle
            // that lasted longer before their lift (an hour's window) lengthen the minute.
            State::Learning(l) => {
                let lifted = l.lifts.iter().zip(&l.waits);
                let spans = lifted.filter_map(|(&(_, hi), &(_, _, from))| from.map(|f| hi - f));
                let open = l.run_from.map(|(early, _)| now - early);
                let period = spans.chain(open).fold(MINUTE, f64::max);
                (
                    Shape::Unknown,
                    l.guess
                        .map(|passed| passed.max(l.run_ok))
                        .filter(|&passed| passed > 0)
                        .map(|passed| (passed as f64 * self.share).floor().max(1.0) / period),
                )
            }
            State::Window(w) => {
                let (lo, hi) = w.period();
                let period = (lo + hi) / 2.0;
                (
                    Shape::Window {
                        allowance: w.allowance,
                        period: length(period),
                    },
                    Some((w.allowance as f64 * self.share).floor().max(1.0) / period),
                )
            }
            State::Log(log) => (
                Shape::Log {
                    limit: log.limit,
                    period: length(log.hold),
                },
                Some(((log.limit as f64 * self.share).floor().max(1.0)) / log.hold),
            ),
            State::Rate(r) if r.fixed => (
                Shape::Fixed {
                    per_second: r.per_second,
                },
                Some(r.per_second),
            ),
            State::Rate(r) => (
                Shape::Rate {
                    per_second: r.per_second,
                },
                Some(r.pace(self.share)),
            ),
        };
        let learning = matches!(&self.state, State::Learning(l) if l.throttle.is_some());
        Snapshot {
            shape,
            pace,
            throttled: now < self.pause_until || learning,
            requests: self.requests,
            throttles: self.throttles,
        }
    }
}
