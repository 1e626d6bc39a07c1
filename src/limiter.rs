//! A model of the server's rate limiter: a pure state machine, fed what happened (a request
//! sent, answered, throttled with or without `Retry-After`) and the time, that says when the
//! next request may go. No I/O and no clock of its own: the client's async shell
//! (`pacer.rs`) drives it with tokio's clock, and `benches/ratelimit.rs` includes this very
//! file (`#[path]`) to drive it in virtual time against simulated limiters. It depends on
//! nothing but `std`, so that it can be included there.
//!
//! **The algorithm.** Until the first `429` every request goes at once. A `429` starts a
//! *throttle* (a success of a request still in flight ends it, and the next refusal starts it
//! again): nothing is sent but one probe at a time, the first one a smoothed round trip
//! later (capacity that returns gradually shows in it); when the model knows the clock
//! ([`Model::aligned_to`]), each next one at the next boundary on the clock of a window of
//! the next period in `CLOCK_PERIODS` (1 s, 2 s, 3 s, 5 s, … an hour: a window keyed on
//! `epoch_seconds / period` lifts on a multiple of its period, and each refused probe refutes
//! one period; a refused probe at a minute's boundary, the window the upstream server is
//! known to key on, is tried once more `MINUTE_RETRY` later, for a client clock ahead of the
//! server's), and otherwise twice
//! as late as the one before (the lift is found in as many probes as the doubling needs to
//! reach it, whatever the window's length); after a
//! `Retry-After`, exactly when the server said. The first probe that passes is a *lift*: it bounds a capacity boundary
//! between the last request refused and that probe's answer. The successes of requests sent
//! between two throttles form a *run* (during a `Retry-After` pause, a request in flight sent
//! after the refused one that passes counts in the next run: it passed in the next window;
//! one sent before it counts in the refused one's run, even after the pause). After the
//! first lift the client sends freely again (as many at once as its callers ask) until it
//! has sent as many as the first run got (those in flight counted), then one at a time up to
//! twice that (past it, the first run was short of a window: others had spent most of it),
//! so that the second throttle refuses one request, not every one in flight; its lift
//! ends the learning, unless lifts at the ends of `Retry-After` pauses (whole seconds: up to
//! one past the boundary) bound the period no better than `PERIOD_SLACK` of it, when a third
//! lift is taken. If the run between the last two lifts got at least half of
//! what the run before got, capacity comes back in a lump at each lift: a **fixed window**, whose
//! allowance is that run (a full window: the first may have started late in one) and whose
//! boundaries are `B(k) = B(0) + k·W`. A run of exactly twice the one before (of at least
//! `MIN_ALLOWANCE`) crossed a boundary the probes missed: it holds two windows, so the
//! allowance is half of it and its lift bounds the boundary two windows after the last.
//! Every boundary observed is kept as an interval `lo < B(k) ≤ hi` (a request sent at `lo`
//! was refused, one answered at `hi` passed); the period's bounds are what every pair of
//! those intervals allows, and each boundary is predicted as an interval from them. `BOUNDS_KEPT` are kept: the first (the longest
//! baseline), the newest, the last from above and the last from below, and the most recent
//! others. In a window known to have begun (its boundary's upper
//! bound is past) the allowance, times the headroom setting, is **spread evenly** from that
//! bound to the next boundary's lower bound less a round trip, so that no request can land
//! in the next window. When the next boundary's interval is wider than an eighth of the
//! period, one probe at its middle halves it (at most one probe, so one `429`, a window; a
//! window due for one postpones its upward probe, below, to the next). A window a `429`
//! already spent probes only after a lowering (the windows of a shared limit all end spent,
//! and a boundary never probed again drifts until whole windows go unused), only for a
//! boundary known to worse than a quarter of the period, and never after a `Retry-After`,
//! which bounds it already. Under headroom no window is spent to its allowance, and a probe
//! that passes in a window with room left says nothing: a window whose boundary must be
//! probed sends its whole allowance (without it the phase drifts, and `429`s at the
//! mispredicted boundaries wore the allowance down to a quarter), and what such windows, the
//! learning's and upward probes take above the share is a debt the next windows repay, each
//! leaving at most its own headroom more unsent (and at most half its share), so that the
//! share holds over the export.
//! A `429` in a window that had let some requests through, fewer than the allowance, is a
//! lower allowance (the limit was lowered, or someone else shares it; in a window probing
//! upward too): the allowance becomes what passed, and nothing
//! more is sent until the next boundary (and, with a `Retry-After`, whose pause ends past that
//! boundary and so blurs its lift, the refused request's sending bounds the next boundary from
//! below); a `429` before any success is a boundary predicted too early, kept as such. A
//! lowering of a window probing upward right after a window whose upward probe got the old
//! allowance back whole, the `SWINGS`th time within `SWING_GAP` windows of the one before, is
//! not a window's: a sliding log lets a window through as fast as the one a period before it
//! and refuses one sent faster; learning starts over. In a
//! window, a `Retry-After` also bounds the boundary it waits for from above: by its end, plus
//! `RETRY_AFTER_SKEW` and a round trip. Evidence that contradicts a bound kept for the same
//! boundary replaces it. Upward probes find a raised limit: a window allows a quarter more
//! than the allowance (the step doubling while probes find more), or, after a lowering, the
//! allowance it had before (a limit lowered for a while, or a share someone else took, comes
//! back whole); they run in each window while below that or while they find more, and
//! otherwise once in [`PROBE_SPACING`] requests. A lower bound is a refusal, and a refusal
//! can be the client's own doing (a sliding log counting what it sent a period before, a
//! window's requests spilled into the next), which nothing sent later refutes: in the first
//! window after the learning and then once in [`PROBE_SPACING`] requests, a window spent
//! to its allowance without a `429`, whose next boundary needs no probe, sends one an eighth
//! of a period (`BOUNDARY_SLACK`), and at least two round trips, before that boundary's
//! lower bound (none once it could arrive past the bound, where a pass says nothing). A
//! window refuses it (the window's one `429`); if it passes, the bounds were wrong, and
//! learning starts over (a log's relearning mostly finds capacity returning gradually: a
//! rate; every simulated start did, not every run over loopback). If
//! instead the second run got less than half of the first, capacity returns gradually (a
//! **token bucket** or a sliding window): the client paces at the rate that passed between the
//! first and the last throttle (a bucket is empty at each), then at the rate of the last
//! [`RATE_SAMPLES`] successes (of `RATE_FIRST_SAMPLES`, under throttling, the first time:
//! the first estimate is rough; a rate a window turned into was counted over whole windows
//! and is not), measured, when throttled, at their sendings (the pace spaces them evenly;
//! the round trip's jitter scatters their answers), and once the last `RATE_BASELINE`
//! successes hold two `429`s at least twice [`RATE_SAMPLES`] successes apart, at the rate
//! between the first and the last of those (a bucket is empty at each; over a few successes,
//! a refused request's lost slot set the pace a few percent under the limit after each
//! throttle; until the last [`RATE_SAMPLES`], throttled `LOWERED_REFUSALS` times, go a
//! tenth slower: a lowered limit, measured again from them), [`RATE_PROBE`] above it (so that it stays measured, and a
//! raise shows); until a throttle has measured it, that step doubles each [`RATE_SAMPLES`]
//! successes without a `429`, up to `RATE_PROBE_MAX` (a first estimate far too low rises in
//! minutes, not hours). A first rate from fewer than `RATE_FIRST_SAMPLES` successes (a
//! relearning whose throttles held all but its probes) is a guess: until a `429`, it rises by
//! `RATE_PROBE_MAX` each `RATE_FIRST_SAMPLES` successes sent at the pace (a slower caller
//! says nothing of the limit). Two runs of one or two tell no shape apart (a relearning that began
//! in a spent window): the learning takes a third. A **`Retry-After`** pauses every request
//! until the time it names; while learning it adds nothing else, no boundary and no
//! allowance. A pause longer than the client waits is not kept. Evidence that contradicts the
//! boundaries (no period fits them all) drops the oldest; when fewer than two remain,
//! learning starts over.
//!
//! **Why spread, not burst.** In a fixed window the allowance can be sent at once or spread:
//! the window lets the same number through either way. Spreading is chosen for the account's
//! other users: the count reaches the limit only at the window's end, so their searches
//! during the window pass, and it is this client's last request that meets the `429` (and
//! lowers its allowance for the next windows), not theirs. Bursting would spend the window in
//! its first seconds and refuse them for the rest of it.

use std::{collections::VecDeque, time::Duration};

/// Weight of a new round trip in the smoothed one (RFC 6298's α, as TCP uses it).
const RTT_GAIN: f64 = 0.125;
/// Weight of a new deviation in the smoothed deviation (RFC 6298's β).
const RTT_DEV_GAIN: f64 = 0.25;
/// A round trip is taken to last at most the smoothed one and this many deviations (RFC 6298's K).
const RTT_DEVS: f64 = 4.0;
/// Each gap between two probes of a throttle is this many times the last: an exponential search.
const PROBE_GROWTH: f64 = 2.0;
/// A run after a lift that got less than this share of the run before: capacity returns
/// gradually (a bucket), not in a window's lump.
const GRADUAL: f64 = 0.5;
/// A period the learning's lifts bound no better than this share of it takes one more lift.
const PERIOD_SLACK: f64 = 0.5;
/// Lifts the learning takes at most.
const LIFTS_MAX: usize = 3;
/// Uncertainty of the next boundary tolerated, as a share of the period, before a probe halves it.
const BOUNDARY_SLACK: f64 = 0.125;
/// The same, after a window a `429` spent, where a probe refused is the window's second
/// `429`: worth it only where waiting for the boundary's upper bound wastes more. At an
/// eighth, a limit lowered for good took two `429`s a window for as long as it lasted.
const SPENT_BOUNDARY_SLACK: f64 = 0.25;
/// In a steady window, one window every this many requests tries above the allowance.
pub const PROBE_SPACING: u64 = 500;
/// The first step above the allowance an upward probe tries; doubled after each that finds more.
const FIRST_PROBE_STEP: f64 = 0.25;
/// Seconds a `Retry-After` date may be early, read with a client's clock that is off.
const RETRY_AFTER_SKEW: f64 = 0.25;
/// Periods (seconds) of the windows on the clock a throttle's probes try first, in order: a
/// limiter keyed on `epoch_seconds / period` (Rack::Attack) lifts on a multiple of its period.
const CLOCK_PERIODS: [f64; 15] = [
    1.0, 2.0, 3.0, 5.0, 10.0, 15.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0,
];
/// The window the upstream server (Chatwoot's Rack::Attack) is known to key searches on, one
/// of `CLOCK_PERIODS`; LiveDesk's documentation says nothing of rate limits.
const MINUTE: f64 = 60.0;
/// Seconds after the minute's boundary a refused probe there is tried again: a client clock
/// ahead of the server's by as little as 0.1 s probes before the server's minute. A second
/// covers clocks kept by NTP many times over and costs one refused probe a throttle at most;
/// a clock further ahead is not found by it (measured: 1.5 s ahead runs at 0.24).
const MINUTE_RETRY: f64 = 1.0;
/// Successes over which a gradual limiter's rate is measured.
pub const RATE_SAMPLES: usize = 32;
/// Successes over which a gradual limiter's rate is measured between its first and last
/// throttle, when they hold at least twice `RATE_SAMPLES`: paced `RATE_PROBE` above the rate,
/// a throttle comes every 200 successes (at 256, the buckets and logs gained less).
const RATE_BASELINE: usize = 512;
/// Refusals among the last `RATE_SAMPLES` successes that, with those a tenth
/// (`RATE_PROBE_MAX`) slower than the rate measured between throttles, show a lowered limit
/// (paced `RATE_PROBE` above its rate, one falls among them at most).
const LOWERED_REFUSALS: usize = 3;
/// Successes under throttling enough to replace the first, rough estimate of a bucket's rate
/// (measured at their paced sendings, a few are exact enough; each one more costs `429`s
/// while the estimate is too high).
const RATE_FIRST_SAMPLES: usize = 4;
/// A gradual limiter is paced this much above its measured rate, so that it stays measured.
pub const RATE_PROBE: f64 = 0.005;
/// The most a gradual limiter is paced above its rate before a throttle has measured it: the
/// step doubles each `RATE_SAMPLES` successes without a `429` (a first estimate far too low,
/// from a relearning's few successes, would take hours to rise at `RATE_PROBE`). Each `429`
/// after a burst runs out costs as much overshoot: at 25%, a bucket of 2 a second with a
/// burst of 60 refused more than 2% of the export's requests.
const RATE_PROBE_MAX: f64 = 0.1;

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
    /// Requests a second the client runs at from now on (headroom applied), once known.
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
    state: State,
}

#[derive(Clone, Debug)]
enum State {
    Learning(Learning),
    Window(Window),
    Rate(Rate),
}

#[derive(Clone, Debug, Default)]
struct Learning {
    /// Successes of each finished run.
    runs: Vec<u64>,
    /// Each lift's bounds.
    lifts: Vec<(f64, f64)>,
    run_ok: u64,
    run_out: u64,
    /// Successes, during a `Retry-After` pause, of requests sent after the refused one: the
    /// window they passed in is the next run's.
    next_run: u64,
    /// A lift came at the end of a `Retry-After` pause, up to a second past its boundary.
    blurred: bool,
    throttle: Option<Throttle>,
}

#[derive(Clone, Debug)]
struct Throttle {
    last_fail: f64,
    next: f64,
    gap: f64,
    out: bool,
    /// The next of `CLOCK_PERIODS` whose boundary on the clock a probe tries.
    clock_tried: usize,
    /// The minute's boundary was tried a second time.
    minute_retried: bool,
}

/// `lo < B(k) ≤ hi`.
#[derive(Clone, Copy, Debug)]
struct Bound {
    k: i64,
    lo: f64,
    hi: f64,
}

/// A smaller allowance is a pace, not a window.
const MIN_ALLOWANCE: u64 = 3;

/// Lowerings right after a window that got the allowance back whole that show a log, not
/// a window: one can be the account's other users.
const SWINGS: u32 = 2;
/// Windows within which a swing must follow the one before to count with it: a log swings
/// every other window, and a shared window's swings, from its others' varying share, came
/// 59 windows apart.
const SWING_GAP: i64 = 4;

/// Bounds kept: the oldest gives the period its long baseline, the newest the phase.
const BOUNDS_KEPT: usize = 8;

#[derive(Clone, Debug)]
struct Window {
    allowance: u64,
    /// The allowance was counted up to a `429` (or over a whole window sent at once): after
    /// it, the window is spent, so that a request that passes shows a new window.
    exact: bool,
    bounds: Vec<Bound>,
    /// The window counted in `sent`, `ok`, `hit`.
    index: i64,
    sent: u64,
    ok: u64,
    /// Requests of this window in flight.
    out: u64,
    /// The sending of this window's first `429`: the window is spent.
    hit: Option<f64>,
    /// That `429` came with a `Retry-After`, which bounds the next boundary already.
    hit_said: bool,
    /// Successes of a boundary probe that passed, counted in the window it opened.
    carry: (i64, u64),
    probed_boundary: i64,
    probe_out: bool,
    /// This window tries `step` above the allowance.
    probing_up: bool,
    step: f64,
    /// Probe upward every window (after a lowering).
    eager: bool,
    /// The allowance before the last lowering: while below it, each window tries it again
    /// (a limit lowered for a while, or a share taken by someone else, comes back whole).
    ceiling: u64,
    since_probe: u64,
    /// Requests since the last lower bound tested (`PROBE_SPACING` at the learning's end: one
    /// is due at once).
    since_low: u64,
    /// The window in which an upward probe got back the allowance a lowering took.
    restored: Option<i64>,
    /// Lowerings, in windows probing upward, right after such a window; and the last one.
    swings: u32,
    last_swing: i64,
    /// Under headroom, requests sent above the share in windows that had to be sent whole
    /// (the learning's, boundary and upward probes), which the next windows leave unsent.
    debt: f64,
}

#[derive(Clone, Debug)]
struct Rate {
    per_second: f64,
    fixed: bool,
    next: f64,
    /// The last successes' sendings and answers.
    passed: VecDeque<(f64, f64)>,
    last_throttle: f64,
    /// The rate was measured (not the first estimate).
    measured: bool,
    /// Successes since the last `429`.
    quiet: u32,
    /// A throttle has measured the rate (or windows counted it).
    confirmed: bool,
    /// Sendings of the last `RATE_BASELINE` successes, and of the refusals since the oldest
    /// (at most as many: a server refusing everything grows nothing).
    baseline: VecDeque<f64>,
    refusals: VecDeque<f64>,
    /// The first rate came from too few successes to be an estimate: until a `429`, it
    /// rises by `RATE_PROBE_MAX` each `RATE_FIRST_SAMPLES` successes.
    guessed: bool,
    /// The sending of the first of the `RATE_FIRST_SAMPLES` successes a guess rises after.
    guess_from: f64,
    /// The rate was measured between throttles: a short sample holding one is no better.
    baselined: bool,
}

/// When a throttle's next probe goes after one refused at `now`: at the next boundary on the
/// clock of the next period of `CLOCK_PERIODS` not yet tried (the one before was refuted),
/// or, with no clock or none left, `gap` later; but once a throttle, a probe refused at a
/// minute's boundary goes again `MINUTE_RETRY` after it.
fn next_probe(clock: Option<f64>, now: f64, throttle: &mut Throttle) -> f64 {
    let tried = &mut throttle.clock_tried;
    // A probe at a minute's boundary was just refused: the upstream server's known window,
    // the first hypothesis, is tried once more a little later, in case this machine's clock is ahead
    // of the server's (the minute's next boundary would find two windows as one).
    if let Some(clock) = clock
        && *tried > 0
        && !throttle.minute_retried
    {
        let period = CLOCK_PERIODS[*tried - 1];
        let probed = ((now + clock) / period).floor() * period;
        // Whole seconds times whole seconds: exact, and so is the remainder.
        if probed.rem_euclid(MINUTE) == 0.0 {
            throttle.minute_retried = true;
            return (probed - clock + MINUTE_RETRY).max(now);
        }
    }
    let gap = throttle.gap;
    match (clock, CLOCK_PERIODS.get(*tried)) {
        (Some(clock), Some(period)) => {
            *tried += 1;
            ((now + clock) / period).floor() * period + period - clock
        }
        _ => now + gap,
    }
}

fn secs(t: Duration) -> f64 {
    t.as_secs_f64()
}

/// A time to wait for, a nanosecond past its rounding up: woken at it, the caller finds it
/// past, whatever the floating point made of it.
fn at(t: f64) -> Duration {
    // Far futures saturate, pasts are now, instead of panicking.
    let nanos = (t.max(0.0) * 1e9).ceil() + 1.0;
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
                    (l.runs.len() as i64, Kind::Lift)
                } else {
                    // Past as many as the run before got (a window's worth, unless it was
                    // too few to be one), the run's end is near: one at a time, so that it
                    // is one `429`, not one for each request in flight. Past twice as many,
                    // the run before was short (a window others had spent, or begun late):
                    // free again, or a window without a `429` would keep it serial.
                    if l.run_out > 0
                        && l.runs.last().is_some_and(|&before| {
                            before >= MIN_ALLOWANCE
                                && (before..2 * before).contains(&(l.run_ok + l.run_out))
                        })
                    {
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
        Ok(self.ticket(now, slot, kind))
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
        self.last_sent = now;
        if let State::Window(w) = &mut self.state {
            if kind == Kind::Normal && slot == w.index {
                w.sent += 1;
                w.out += 1;
            }
            w.since_probe += 1;
            w.since_low += 1;
        }
        Ticket {
            sent: now,
            slot,
            kind,
            epoch: self.epoch,
        }
    }

    /// A request let go was cancelled before its answer: it may still have counted.
    pub fn cancelled(&mut self, ticket: Ticket) {
        self.answered(ticket, Duration::from_secs_f64(ticket.sent), Answer::Failed);
    }

    /// Takes an answer into the model.
    pub fn answered(&mut self, ticket: Ticket, now: Duration, answer: Answer) {
        let now = secs(now).max(ticket.sent);
        if answer != Answer::Failed {
            self.observe_rtt(now - ticket.sent);
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
        let rtt = self.rtt_mean().unwrap_or(now - ticket.sent);
        let rtt_hi = self.rtt_hi();
        let pause_until = self.pause_until;
        match &mut self.state {
            State::Learning(l) => {
                if !current {
                    return;
                }
                if ticket.slot == l.runs.len() as i64 && ticket.kind == Kind::Normal {
                    l.run_out = l.run_out.saturating_sub(1);
                }
                match answer {
                    Answer::Passed => {
                        // Only a probe shows a lift: a request in flight when the throttle
                        // began may pass though sent after the refused one (answers overtake
                        // each other), and say nothing of a lift.
                        let lifted = ticket.kind == Kind::Lift && l.throttle.is_some();
                        // Any success ends a throttle: a probe's is the lift; one of a request
                        // in flight when the throttle began only sends the client on, and the
                        // next request's `429` begins the throttle again from a later refusal.
                        // (Measured: keeping the throttle instead made late starts in a
                        // window fare worse, 0.92 efficiency at 100 a minute; not understood.)
                        // Not during a `Retry-After` pause, though: nothing goes before it
                        // ends, and the first request after it, the probe, is the lift (sent
                        // freely instead, it carried the run over the boundary, and the
                        // learning took two windows for one). Nor after it: only a probe's
                        // success is the lift, and a success sent before the refused one
                        // belongs to the run before it (a probe that failed is sent again).
                        // A throttle that has waited for a pause since its last refusal.
                        let paused = |t: &Throttle| pause_until > t.last_fail;
                        let ended = if lifted || l.throttle.as_ref().is_some_and(|t| !paused(t)) {
                            l.throttle.take()
                        } else {
                            None
                        };
                        if let (true, Some(t)) = (lifted, ended) {
                            l.lifts.push((t.last_fail, now));
                            l.blurred |= paused(&t);
                            l.runs.push(l.run_ok);
                            // The lift's request opens the next run.
                            l.run_ok = 1 + std::mem::take(&mut l.next_run);
                            l.run_out = 0;
                            if l.lifts.len() >= 2 {
                                self.learnt(now);
                            }
                        } else if let Some(t) = &l.throttle
                            && ticket.sent > t.last_fail
                        {
                            l.next_run += 1;
                        } else if ticket.slot == l.runs.len() as i64 {
                            l.run_ok += 1;
                        }
                    }
                    Answer::Throttled(wait) => {
                        let next = if wait.is_some() { pause_until } else { now };
                        let clock = self.clock;
                        match &mut l.throttle {
                            Some(t) => {
                                t.last_fail = t.last_fail.max(ticket.sent);
                                if ticket.kind == Kind::Lift {
                                    t.out = false;
                                    t.next = if wait.is_some() {
                                        next
                                    } else {
                                        next_probe(clock, now, t)
                                    };
                                    t.gap *= PROBE_GROWTH;
                                } else if wait.is_some() {
                                    t.next = t.next.max(next);
                                }
                            }
                            None if ticket.slot == l.runs.len() as i64 => {
                                // The first probe goes a round trip later, whatever the
                                // clock: capacity that returns gradually shows in it.
                                let gap = rtt.max(1e-3);
                                l.throttle = Some(Throttle {
                                    last_fail: ticket.sent,
                                    next: if wait.is_some() { next } else { now + gap },
                                    gap: gap * PROBE_GROWTH,
                                    out: false,
                                    clock_tried: 0,
                                    minute_retried: false,
                                });
                            }
                            None => {}
                        }
                    }
                    Answer::Failed => {
                        if let (Kind::Lift, Some(t)) = (ticket.kind, &mut l.throttle) {
                            t.out = false;
                        }
                    }
                }
            }
            State::Window(w) => {
                let before = w.allowance;
                // A `Retry-After` says the boundary it waits for is past by then: a request
                // sent at the pause's end would be answered, passed, a round trip later.
                let said = match answer {
                    Answer::Throttled(Some(wait)) => now + secs(wait) + RETRY_AFTER_SKEW + rtt_hi,
                    _ => f64::INFINITY,
                };
                let relearn = w.answered(ticket, current, now, answer, said);
                if relearn {
                    self.relearn();
                } else if w.allowance < MIN_ALLOWANCE {
                    // A window of one or two is a pace, and one the boundaries can no longer
                    // be told from: pace at the rate of the window it was.
                    let (w_lo, w_hi) = w.period();
                    let per_second = before as f64 / ((w_lo + w_hi) / 2.0).max(1e-3);
                    self.epoch += 1;
                    let mut rate = Rate::new(per_second, false);
                    // Counted over whole windows, not a few successes: not a rough estimate
                    // for a handful of throttled successes to replace.
                    rate.measured = true;
                    rate.confirmed = true;
                    self.state = State::Rate(rate);
                }
            }
            State::Rate(r) => match answer {
                Answer::Passed => r.passed(ticket.sent, now),
                Answer::Throttled(_) => r.throttled(ticket.sent),
                Answer::Failed => {}
            },
        }
    }

    /// Two lifts: the shape, from the second run against the first.
    fn learnt(&mut self, now: f64) {
        let State::Learning(l) = &self.state else {
            return;
        };
        // A run of exactly twice the one before passed the serial phase whole and was refused
        // at its end: it crossed a boundary unseen, and holds two windows (a short run before
        // it, from a late start or a window others had spent, is exactly half only by chance).
        let crossed =
            |j: usize| j > 0 && l.runs[j - 1] >= MIN_ALLOWANCE && l.runs[j] == 2 * l.runs[j - 1];
        let (first, mut second) = (l.runs[l.runs.len() - 2], l.runs[l.runs.len() - 1]);
        if crossed(l.runs.len() - 1) {
            second /= 2;
        }
        let b = l.lifts[l.lifts.len() - 1];
        let window = second >= 2 && second as f64 >= GRADUAL * first as f64;
        // Each lift bounds a boundary, one window after the one before (two, after a run that
        // crossed one).
        let mut k = -1;
        let bounds: Vec<Bound> = l
            .lifts
            .iter()
            .enumerate()
            .map(|(j, &(lo, hi))| {
                k += if crossed(j) { 2 } else { 1 };
                Bound { k, lo, hi }
            })
            .collect();
        let (w_lo, w_hi) = period(&bounds);
        if window
            && l.blurred
            && l.lifts.len() < LIFTS_MAX
            && w_hi - w_lo > PERIOD_SLACK * (w_lo + w_hi) / 2.0
        {
            // Lifts blurred (a `Retry-After` in whole seconds waits up to a second past the
            // boundary) leave the period unknown: one more throttle bounds it again.
            return;
        }
        if first.max(second) < MIN_ALLOWANCE && l.lifts.len() < LIFTS_MAX {
            // Runs of one or two tell no shape apart (a relearning started in a spent
            // window): one more throttle.
            return;
        }
        if window && w_lo > w_hi {
            // Lifts that no period fits: not a window's.
            self.relearn();
            return;
        }
        let last = bounds[bounds.len() - 1].k;
        self.epoch += 1;
        if window {
            self.state = State::Window(Window {
                allowance: second,
                exact: true,
                bounds,
                index: last,
                sent: 1,
                ok: 1,
                out: 0,
                hit: None,
                hit_said: false,
                carry: (0, 0),
                probed_boundary: last,
                probe_out: false,
                probing_up: false,
                step: FIRST_PROBE_STEP,
                eager: false,
                ceiling: 0,
                since_probe: 0,
                since_low: PROBE_SPACING,
                restored: None,
                swings: 0,
                last_swing: i64::MIN,
                // Under headroom, the runs after the first were whole windows.
                debt: (l.runs.len() - 1) as f64 * second as f64 * (1.0 - self.share),
            });
        } else {
            // A bucket is empty at each throttle: what passed between the first and the last
            // is its rate times the time between them (not until the lift: the wait for it,
            // long when probes wait for the clock's boundaries, sent nothing but the probe).
            let since = self.first_throttle.unwrap_or(now);
            let passed = self.ok_since_first.saturating_sub(1).max(1);
            let per_second = passed as f64 / (b.0 - since).max(1e-3);
            let mut rate = Rate::new(per_second, false);
            rate.guessed = passed < RATE_FIRST_SAMPLES as u64;
            self.state = State::Rate(rate);
        }
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
            State::Learning(_) => (Shape::Unknown, None),
            State::Window(w) => {
                let (lo, hi) = period(&w.bounds);
                let period = (lo + hi) / 2.0;
                (
                    Shape::Window {
                        allowance: w.allowance,
                        period: at(period),
                    },
                    Some((w.allowance as f64 * self.share).floor().max(1.0) / period),
                )
            }
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
                Some(r.per_second * self.share.min(1.0)),
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

impl Rate {
    fn new(per_second: f64, fixed: bool) -> Self {
        Self {
            per_second,
            fixed,
            next: f64::NEG_INFINITY,
            passed: VecDeque::with_capacity(RATE_SAMPLES),
            last_throttle: f64::NEG_INFINITY,
            measured: false,
            quiet: 0,
            confirmed: false,
            baseline: VecDeque::new(),
            refusals: VecDeque::new(),
            guessed: false,
            guess_from: f64::NEG_INFINITY,
            baselined: false,
        }
    }

    /// A `429` of a request sent at `sent`.
    fn throttled(&mut self, sent: f64) {
        self.last_throttle = self.last_throttle.max(sent);
        self.quiet = 0;
        self.guessed = false;
        if self.refusals.back().is_none_or(|&last| sent > last) {
            if self.refusals.len() == RATE_BASELINE {
                self.refusals.pop_front();
            }
            self.refusals.push_back(sent);
        }
    }

    fn pace(&self, share: f64) -> f64 {
        if self.fixed {
            self.per_second
        } else if share < 1.0 {
            self.per_second * share
        } else if self.confirmed {
            self.per_second * (1.0 + RATE_PROBE)
        } else {
            let doublings = (self.quiet / RATE_SAMPLES as u32).min(16);
            let step = (RATE_PROBE * f64::from(1u32 << doublings)).min(RATE_PROBE_MAX);
            self.per_second * (1.0 + step)
        }
    }

    /// A success of a request sent at `sent`, answered at `now`.
    fn passed(&mut self, sent: f64, now: f64) {
        if self.fixed {
            return;
        }
        if sent > self.last_throttle {
            self.quiet = self.quiet.saturating_add(1);
            // A guess says nothing of the limit: rise until a `429` says it (the samples at
            // the slower pace would measure that pace), but only while the pace held the
            // caller back: a caller slower than it says nothing either, and a guess rising
            // past it ran away (1.4e4 a second after 400 slow successes).
            let group = self.quiet % RATE_FIRST_SAMPLES as u32;
            if group == 1 {
                self.guess_from = sent;
            }
            let paced = sent - self.guess_from <= RATE_FIRST_SAMPLES as f64 / self.per_second;
            if self.guessed && group == 0 && paced {
                self.per_second *= 1.0 + RATE_PROBE_MAX;
                self.passed.clear();
                return;
            }
        }
        if self.passed.len() == RATE_SAMPLES {
            self.passed.pop_front();
        }
        self.passed.push_back((sent, now));
        if self.baseline.len() == RATE_BASELINE {
            self.baseline.pop_front();
        }
        self.baseline.push_back(sent);
        let oldest = self.baseline.iter().copied().fold(f64::INFINITY, f64::min);
        while self.refusals.front().is_some_and(|&r| r < oldest) {
            self.refusals.pop_front();
        }
        // A lowered limit: the last successes, throttled `LOWERED_REFUSALS` times, went a
        // tenth slower than the rate between throttles, which the old limit's throttles
        // would hold for up to `RATE_BASELINE` successes. Measure from these on.
        let first_sent = self
            .passed
            .iter()
            .map(|p| p.0)
            .fold(f64::INFINITY, f64::min);
        if self.baselined && self.passed.len() == RATE_SAMPLES {
            let recent = (RATE_SAMPLES - 1) as f64 / self.span(|p| p.0);
            let refused = self.refusals.iter().filter(|&&r| r >= first_sent).count();
            if refused >= LOWERED_REFUSALS && recent < self.per_second * (1.0 - RATE_PROBE_MAX) {
                self.refusals.retain(|&r| r >= first_sent);
                self.baselined = false;
            }
        }
        // Between two throttles far enough apart, what passed is the rate exactly (to a
        // request), and every short sample after a throttle holds its lost slot.
        if let (Some(&a), Some(&b)) = (self.refusals.front(), self.refusals.back()) {
            let between = self.baseline.iter().filter(|&&s| a < s && s <= b).count();
            if between >= 2 * RATE_SAMPLES {
                self.measured = true;
                self.confirmed = true;
                self.baselined = true;
                self.per_second = between as f64 / (b - a);
                return;
            }
        }
        let n = self.passed.len();
        // Throttled during the samples: the limiter set the rate (measured from as few as
        // `RATE_FIRST_SAMPLES` while the first estimate stands: it is rough). Else the pace
        // did, and the limit is at least that.
        let throttled = self.last_throttle >= first_sent;
        if n < RATE_SAMPLES && !(throttled && n >= RATE_FIRST_SAMPLES && !self.measured)
            || throttled && self.baselined
        {
            return;
        }
        // Throttled, the rate is measured at the sendings, which the pace spaces evenly (the
        // answers, scattered by the round trip's jitter, would set it a few percent off, and
        // each percent above is as many `429`s); answers overtake each other, so the
        // sendings are not in order. Unthrottled, at the answers: the limit is at least what
        // came back.
        self.measured = true;
        self.confirmed |= throttled;
        self.per_second = if throttled {
            (n - 1) as f64 / self.span(|p| p.0)
        } else {
            self.per_second.max((n - 1) as f64 / self.span(|p| p.1))
        };
    }

    /// The time the last successes' sendings (or answers) span.
    fn span(&self, at: fn(&(f64, f64)) -> f64) -> f64 {
        let first = self.passed.iter().map(at).fold(f64::INFINITY, f64::min);
        let last = self.passed.iter().map(at).fold(f64::NEG_INFINITY, f64::max);
        (last - first).max(1e-6)
    }
}

/// The period's bounds that every pair of boundaries allows.
fn period(bounds: &[Bound]) -> (f64, f64) {
    let (mut lo, mut hi) = (0.0_f64, f64::INFINITY);
    for (i, a) in bounds.iter().enumerate() {
        for b in &bounds[i + 1..] {
            let (a, b) = if a.k < b.k { (a, b) } else { (b, a) };
            let dk = (b.k - a.k) as f64;
            if dk > 0.0 {
                lo = lo.max((b.lo - a.hi) / dk);
                hi = hi.min((b.hi - a.lo) / dk);
            }
        }
    }
    (lo, hi)
}

impl Window {
    fn period(&self) -> (f64, f64) {
        period(&self.bounds)
    }

    /// `lo < B(n) ≤ hi`, from every bound kept.
    fn boundary(&self, n: i64) -> (f64, f64) {
        self.boundary_in(n, self.period())
    }

    /// [`Self::boundary`] with the period's bounds already computed (a search asks for many).
    fn boundary_in(&self, n: i64, (w_lo, w_hi): (f64, f64)) -> (f64, f64) {
        let (mut lo, mut hi) = (f64::NEG_INFINITY, f64::INFINITY);
        for b in &self.bounds {
            let dk = (n - b.k) as f64;
            // `0 × ∞` would be NaN: the bound itself is the boundary's.
            let (to_lo, to_hi) = if dk == 0.0 {
                (0.0, 0.0)
            } else if dk > 0.0 {
                (dk * w_lo, dk * w_hi)
            } else {
                (dk * w_hi, dk * w_lo)
            };
            lo = lo.max(b.lo + to_lo);
            hi = hi.min(b.hi + to_hi);
        }
        (lo, hi)
    }

    /// The window known to have begun at `now`: the last whose boundary's upper bound is past
    /// (upper bounds grow with the index: a search, however far the clock jumped).
    fn index_at(&self, now: f64) -> i64 {
        let period = self.period();
        let begun = |n: i64| self.boundary_in(n, period).1 <= now;
        // Mostly the window counted, or the next: no search.
        for n in [self.index, self.index + 1] {
            if begun(n) && !begun(n + 1) {
                return n;
            }
        }
        let mut low = self.bounds[0].k;
        let mut step = 1_i64;
        // Below: a window begun (or the earliest there is to know of).
        while begun(low) && step < 1 << 40 {
            if !begun(low.saturating_add(step)) {
                break;
            }
            low = low.saturating_add(step);
            step = step.saturating_mul(2);
        }
        while !begun(low) && step < 1 << 40 {
            low = low.saturating_sub(step);
            step = step.saturating_mul(2);
        }
        let mut high = low.saturating_add(step);
        // `begun(low)` and `!begun(high)`: halve.
        while high - low > 1 {
            let mid = low + (high - low) / 2;
            if begun(mid) {
                low = mid;
            } else {
                high = mid;
            }
        }
        low
    }

    fn add_bound(&mut self, k: i64, lo: f64, hi: f64) -> bool {
        match self.bounds.iter_mut().find(|b| b.k == k) {
            // New evidence that contradicts the kept (a `Retry-After` date read with a
            // skewed clock said too early) replaces it.
            Some(b) if lo >= b.hi || hi <= b.lo => (b.lo, b.hi) = (lo, hi),
            Some(b) => {
                b.lo = b.lo.max(lo);
                b.hi = b.hi.min(hi);
            }
            None => {
                self.bounds.push(Bound { k, lo, hi });
                self.bounds.sort_by_key(|b| b.k);
            }
        }
        if self.bounds.len() > BOUNDS_KEPT {
            // The oldest stays for its long baseline, and so do the one just added and the
            // last bound from above and from below (boundary probes that pass bound only from
            // above: pushing out the last bound from below leaves the period free to halve).
            // The next oldest goes.
            let last_hi = self.bounds.iter().rposition(|b| b.hi.is_finite());
            let last_lo = self.bounds.iter().rposition(|b| b.lo.is_finite());
            let drop = (1..self.bounds.len())
                .find(|&i| self.bounds[i].k != k && Some(i) != last_hi && Some(i) != last_lo)
                .unwrap_or(1);
            self.bounds.remove(drop);
        }
        // Evidence that no period fits: the oldest goes, until one does. Without a period
        // bounded above, nothing can be predicted: learn again.
        loop {
            let (lo, hi) = self.period();
            let consistent = lo <= hi && self.bounds.iter().all(|b| b.lo < b.hi);
            if consistent {
                return !hi.is_finite();
            }
            if self.bounds.len() <= 2 {
                return true;
            }
            self.bounds.remove(0);
        }
    }

    /// Whether the next boundary is known to no better than two periods.
    fn phase_lost(&self, now: f64) -> bool {
        let (w_lo, w_hi) = self.period();
        let (lo, hi) = self.boundary(self.index_at(now) + 1);
        hi - lo > w_lo + w_hi
    }

    /// Starts counting window `n`.
    fn roll(&mut self, n: i64, share: f64) {
        if n == self.index {
            return;
        }
        if n > self.index {
            if share < 1.0 {
                let fair = self.allowance as f64 * share;
                self.debt = (self.debt + self.sent as f64 - fair).max(0.0);
            }
            // An upward probe that was never refused: the allowance is at least what passed.
            if self.probing_up && self.hit.is_none() {
                if self.ok > self.allowance {
                    self.allowance = self.ok;
                    self.exact = false;
                    self.step *= 2.0;
                    self.eager = true;
                    if self.allowance >= self.ceiling {
                        if self.ceiling > 0 {
                            self.restored = Some(self.index);
                        }
                        self.ceiling = 0;
                    }
                } else if self.ceiling <= self.allowance {
                    self.eager = false;
                    self.step = FIRST_PROBE_STEP;
                }
            }
            self.hit = None;
        } else {
            // Back in a window a `429` showed to be spent.
            self.hit = Some(f64::NEG_INFINITY);
        }
        self.hit_said = false;
        self.index = n;
        let carried = if self.carry.0 == n { self.carry.1 } else { 0 };
        self.sent = carried;
        self.ok = carried;
        self.out = 0;
        self.probing_up = n > 0 && (self.eager || self.since_probe >= PROBE_SPACING);
        if self.probing_up {
            self.since_probe = 0;
        }
    }

    fn next_send(&mut self, now: f64, rtt_hi: f64, share: f64) -> Result<(i64, Kind), Wait> {
        let n = self.index_at(now);
        let rolled = n > self.index;
        self.roll(n, share);
        let (_, start) = self.boundary(n);
        let (next_lo, next_hi) = self.boundary(n + 1);
        if rolled
            && self.probing_up
            && !self.eager
            && self.exact
            && self.boundary_due(n, rtt_hi, BOUNDARY_SLACK)
        {
            // A window spent by an upward probe cannot probe its boundary without a second
            // `429`: the boundary goes first, the upward probe in the next window.
            self.probing_up = false;
            self.since_probe = PROBE_SPACING;
        }
        if self.hit.is_none() {
            let budget = if self.probing_up {
                (self.allowance as f64 * (1.0 + self.step))
                    .ceil()
                    .max(self.ceiling as f64)
            } else if share < 1.0 && self.exact && self.boundary_due(n, rtt_hi, BOUNDARY_SLACK) {
                // A boundary probe needs the window spent to its allowance (one that passes in
                // a window with room left says nothing): under headroom, a window whose
                // boundary must be probed is spent whole, or the boundaries drift.
                self.allowance as f64
            } else {
                // A window repays at most its own headroom, and half its share under a
                // headroom of half or more: one left with few requests has room when its
                // boundary is predicted early, and a `429` after its first successes reads as
                // a lowering. (A cap on the debt itself broke finding a raised limit.)
                let fair = self.allowance as f64 * share;
                let repaid = self.debt.min(self.allowance as f64 - fair).min(fair / 2.0);
                (fair - repaid).floor().max(1.0)
            } as u64;
            let (w_lo, w_hi) = self.period();
            // While the boundaries are known to less than half a window, there is no interior
            // to spread over: the allowance goes at once, in whichever window this is.
            let end = if next_lo - rtt_hi - start < (w_lo + w_hi) / 4.0 {
                start
            } else {
                next_lo - rtt_hi
            };
            // A window's first request goes alone: refused, it shows the boundary was
            // predicted early, and nothing else was sent into the spent window. Beyond the
            // allowance (an upward probe), one at a time: the first `429` ends it.
            let careful = (self.ok == 0 || self.sent >= self.allowance) && self.out > 0;
            if self.sent < budget && (now < end || end == start) && careful {
                return Err(Wait::Answer);
            }
            if self.sent < budget && (now < end || end == start) {
                let spacing = (end - start).max(0.0) / budget as f64;
                let slot = start + spacing * self.sent as f64;
                return if now >= slot {
                    Ok((n, Kind::Normal))
                } else {
                    Err(Wait::Until(at(slot)))
                };
            }
        }
        if self.probe_out {
            return Err(Wait::Answer);
        }
        // In a window a `429` spent, a refused probe is the window's second `429`: worth it
        // only after a lowering (someone else shares the limit, so each window is spent and
        // its boundaries would otherwise never be probed again), for a boundary known so
        // poorly that waiting for its upper bound wastes much of a window.
        let slack = match self.hit {
            None => Some(BOUNDARY_SLACK),
            Some(_) if self.eager && !self.hit_said => Some(SPENT_BOUNDARY_SLACK),
            Some(_) => None,
        };
        if let Some(slack) = slack
            && self.exact
            && self.sent >= self.allowance
            && self.boundary_due(n, rtt_hi, slack)
        {
            // Not while a request of the window is out: the probe could overtake it and pass
            // as the window's last, read as the boundary.
            if self.out > 0 {
                return Err(Wait::Answer);
            }
            let probe_at = (next_lo + next_hi - rtt_hi) / 2.0;
            if now >= probe_at {
                self.probed_boundary = n + 1;
                self.probe_out = true;
                return Ok((n + 1, Kind::Boundary));
            }
            return Err(Wait::Until(at(probe_at)));
        }
        // A lower bound the client's own requests caused (a log, a spill) is refuted by
        // nothing it sends later: now and then, test it.
        if self.hit.is_none()
            && self.exact
            && self.sent >= self.allowance
            && self.probed_boundary < n + 1
            && self.since_low >= PROBE_SPACING
            && next_hi.is_finite()
            // Only while it can arrive before the lower bound: sent later, inside the
            // boundary's interval, a pass says nothing.
            && now + rtt_hi < next_lo
        {
            if self.out > 0 {
                return Err(Wait::Answer);
            }
            let (w_lo, w_hi) = self.period();
            // Two round trips: one for its way out, one for the window's last answers to be
            // late by before the test can no longer go.
            let probe_at =
                (next_lo - BOUNDARY_SLACK * (w_lo + w_hi) / 2.0).min(next_lo - 2.0 * rtt_hi);
            if now >= probe_at {
                self.probed_boundary = n + 1;
                self.probe_out = true;
                self.since_low = 0;
                return Ok((n + 1, Kind::Low));
            }
            return Err(Wait::Until(at(probe_at)));
        }
        Err(Wait::Until(at(next_hi)))
    }

    /// Whether the boundary after window `n` is known to no better than `slack` periods, so
    /// that a probe should halve it (and none has yet).
    fn boundary_due(&self, n: i64, rtt_hi: f64, slack: f64) -> bool {
        let (w_lo, w_hi) = self.period();
        let (next_lo, next_hi) = self.boundary(n + 1);
        let uncertain = next_hi - next_lo;
        self.probed_boundary < n + 1
            && next_hi.is_finite()
            && uncertain > slack * (w_lo + w_hi) / 2.0
            && uncertain > 2.0 * rtt_hi
    }

    /// Takes an answer in; true when the evidence no longer fits a window.
    fn answered(
        &mut self,
        ticket: Ticket,
        current: bool,
        now: f64,
        answer: Answer,
        said: f64,
    ) -> bool {
        if !current {
            return false;
        }
        if ticket.kind == Kind::Low {
            self.probe_out = false;
            // Passed, capacity came back before a boundary the window's bounds allow: they
            // are not a fixed window's (or no longer), so learn again.
            return answer == Answer::Passed;
        }
        if ticket.kind == Kind::Boundary {
            self.probe_out = false;
            return match answer {
                Answer::Passed => {
                    self.carry = (ticket.slot, 1);
                    self.add_bound(ticket.slot, f64::NEG_INFINITY, now)
                }
                Answer::Throttled(_) => self.add_bound(ticket.slot, ticket.sent, said),
                Answer::Failed => false,
            };
        }
        if ticket.slot != self.index {
            return false;
        }
        if ticket.kind == Kind::Normal {
            self.out = self.out.saturating_sub(1);
        }
        match answer {
            Answer::Passed => {
                self.ok += 1;
                // A late answer to a request in flight at the window's first `429` (none is
                // sent after it): part of what the window allowed.
                if self.hit.is_some_and(f64::is_finite) && self.ok > self.allowance {
                    self.allowance = self.ok;
                    self.exact = true;
                }
            }
            Answer::Throttled(wait) if self.hit.is_none() => {
                self.hit = Some(ticket.sent);
                self.hit_said = wait.is_some();
                if self.ok == 0 {
                    // Refused before anything passed: the window had not begun.
                    return self.add_bound(ticket.slot, ticket.sent, said);
                }
                // Spent, and the client is paused past the next boundary: its request's
                // sending bounds that boundary from below (the lift after the pause cannot).
                if wait.is_some() && self.add_bound(ticket.slot + 1, ticket.sent, said) {
                    return true;
                }
                let found = self.ok;
                if found < self.allowance
                    && self.probing_up
                    && self.restored == Some(self.index - 1)
                {
                    // The window before got the old allowance back whole, and this one is
                    // refused early again: a log's limit, counted over the client's own
                    // sendings (a window sent faster than the one before it is refused), not
                    // a window's. Once could be someone else's searches.
                    if self.index.saturating_sub(self.last_swing) > SWING_GAP {
                        self.swings = 0;
                    }
                    self.last_swing = self.index;
                    self.swings += 1;
                    if self.swings >= SWINGS {
                        return true;
                    }
                }
                if found < self.allowance {
                    // Lowered, or shared (in a window that probed upward too: it found less
                    // than the allowance, not the top above it): look for the rest again in
                    // the next windows.
                    self.eager = true;
                    self.ceiling = self.ceiling.max(self.allowance);
                    self.step = FIRST_PROBE_STEP;
                } else if self.probing_up {
                    if found > self.allowance {
                        self.step *= 2.0;
                    } else {
                        self.step = FIRST_PROBE_STEP;
                    }
                    if found >= self.ceiling {
                        if self.ceiling > 0 {
                            self.restored = Some(self.index);
                        }
                        self.ceiling = 0;
                    }
                    self.eager = self.ceiling > found;
                }
                self.allowance = found;
                self.exact = true;
            }
            _ => {}
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RTT: f64 = 0.01;
    const MAX_PAUSE: Duration = Duration::from_secs(180);

    fn d(t: f64) -> Duration {
        Duration::from_secs_f64(t)
    }

    /// A sequential client (one request in flight, 10 ms round trips) sending `n` requests
    /// from `t` against `passes(arrival)`; returns the time it ended and the refused arrivals.
    fn drive(
        model: &mut Model,
        mut t: f64,
        n: usize,
        mut passes: impl FnMut(f64) -> bool,
    ) -> (f64, Vec<f64>) {
        let mut refused = Vec::new();
        for _ in 0..n {
            loop {
                match model.try_send(d(t)) {
                    Ok(ticket) => {
                        let arrival = t + RTT / 2.0;
                        let passed = passes(arrival);
                        if !passed {
                            refused.push(arrival);
                        }
                        t += RTT;
                        let answer = if passed {
                            Answer::Passed
                        } else {
                            Answer::Throttled(None)
                        };
                        model.answered(ticket, d(t), answer);
                        break;
                    }
                    Err(Wait::Until(at)) => {
                        assert!(secs(at) > t, "told to wait for the past at {t}");
                        t = secs(at);
                    }
                    Err(Wait::Answer) => panic!("nothing is in flight at {t}"),
                }
            }
        }
        (t, refused)
    }

    /// A model paced at `rate`.
    fn paced_at(rate: Rate) -> Model {
        let mut model = Model::new(0.0, MAX_PAUSE);
        model.state = State::Rate(rate);
        model
    }

    fn rate_of(model: &Model) -> &Rate {
        match &model.state {
            State::Rate(rate) => rate,
            other => panic!("not a rate: {other:?}"),
        }
    }

    /// A fixed window of `limit` per `period`, aligned to time 0, every request counted.
    fn window(limit: u64, period: f64) -> impl FnMut(f64) -> bool {
        windows(period, move |_| limit)
    }

    /// Fixed windows of `period` whose `k`th lets `limit(k)` through.
    fn windows(period: f64, limit: impl Fn(i64) -> u64) -> impl FnMut(f64) -> bool {
        let mut current = (i64::MIN, 0);
        move |at| {
            let k = (at / period).floor() as i64;
            if current.0 != k {
                current = (k, 0);
            }
            current.1 += 1;
            current.1 <= limit(k)
        }
    }

    /// A token bucket of `burst`, refilled at `per_second` from `from` on, holding `tokens`
    /// at first.
    fn bucket(per_second: f64, burst: f64, mut tokens: f64, from: f64) -> impl FnMut(f64) -> bool {
        let mut last = from;
        move |at| {
            tokens = (tokens + (at - last).max(0.0) * per_second).min(burst);
            last = last.max(at);
            tokens >= 1.0 && {
                tokens -= 1.0;
                true
            }
        }
    }

    fn window_of(model: &Model) -> (u64, f64) {
        match model.snapshot(Duration::ZERO).shape {
            Shape::Window { allowance, period } => (allowance, period.as_secs_f64()),
            other => panic!("not a window: {other:?}"),
        }
    }

    #[test]
    fn a_first_throttle_holds_every_request_until_a_probe_a_round_trip_later() {
        let mut model = Model::new(0.0, MAX_PAUSE);
        let (t, refused) = drive(&mut model, 0.0, 6, |at| at < 0.05);
        assert_eq!(refused.len(), 1);
        assert!(model.snapshot(d(t)).throttled);
        match model.try_send(d(t)) {
            Err(Wait::Until(at)) => assert!(secs(at) - t <= 2.0 * RTT, "{at:?} at {t}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_lift_ends_the_throttle_and_sending_is_free_again() {
        let mut model = Model::new(0.0, MAX_PAUSE);
        // Refused from 0.05 s to 0.5 s.
        let (t, refused) = drive(&mut model, 0.0, 20, |at| !(0.05..0.5).contains(&at));
        assert!(!refused.is_empty());
        assert!(t > 0.5, "{t}");
        assert!(!model.snapshot(d(t)).throttled);
        assert_eq!(model.snapshot(d(t)).shape, Shape::Unknown);
        assert!(model.try_send(d(t)).is_ok());
    }

    #[test]
    fn two_lifts_give_the_allowance_and_the_period_at_any_scale() {
        for (limit, period) in [(20, 2.0), (30, 6.0), (100, 60.0)] {
            let mut model = Model::new(0.0, MAX_PAUSE);
            drive(&mut model, 0.0, 10 * limit as usize, window(limit, period));
            let (allowance, learnt) = window_of(&model);
            assert_eq!(allowance, limit);
            assert!(
                (learnt - period).abs() < 0.1 * period,
                "{learnt} for {period}"
            );
        }
    }

    #[test]
    fn a_late_start_in_a_window_does_not_set_the_allowance() {
        let mut model = Model::new(0.0, MAX_PAUSE);
        // 95% into the first window: its rest lets all 20 through, but the model takes the
        // allowance from a whole window.
        let (_, refused) = drive(&mut model, 1.9, 200, window(20, 2.0));
        assert_eq!(window_of(&model).0, 20);
        // Once learnt, no more than one refusal a window.
        let late: Vec<_> = refused.iter().filter(|at| **at > 10.0).collect();
        assert!(
            late.len() <= (200.0 * 2.0 / 20.0 / 2.0) as usize,
            "{late:?}"
        );
    }

    /// A sliding-window log of `limit` per `period`: a request passes when fewer than
    /// `limit` passed in the period before it.
    fn log(limit: usize, period: f64) -> impl FnMut(f64) -> bool {
        let mut passed = VecDeque::new();
        move |at| {
            while passed.front().is_some_and(|&p| p <= at - period) {
                passed.pop_front();
            }
            passed.len() < limit && {
                passed.push_back(at);
                true
            }
        }
    }

    #[test]
    fn a_sliding_log_taken_for_a_window_is_found_by_testing_a_lower_bound() {
        // A log of 20 per 2 s looks like a window to the learning (its bursts come back in a
        // lump), and the refusals its own requests cause set the period's lower bound long.
        // Started at each of five moments, the last 1,000 of 4,000 requests run within a
        // tenth of the log's 10 a second.
        for start in [0.0, 0.4, 0.8, 1.2, 1.6] {
            let mut model = Model::new(0.0, MAX_PAUSE);
            let mut server = log(20, 2.0);
            let (t, _) = drive(&mut model, start, 3_000, &mut server);
            let (end, refused) = drive(&mut model, t, 1_000, &mut server);
            let rate = 1_000.0 / (end - t);
            assert!(rate > 9.0, "from {start}: {rate} a second, {model:?}");
            assert!(
                refused.len() <= 20,
                "from {start}: {} refused",
                refused.len()
            );
        }
    }

    #[test]
    fn a_fixed_windows_lower_bound_holds_when_tested() {
        // The lower-bound test is refused by a window: once in `PROBE_SPACING` requests, the
        // window's only `429`, and the window is kept.
        for start in [0.0, 0.7, 1.3] {
            let mut model = Model::new(0.0, MAX_PAUSE);
            let mut server = window(20, 2.0);
            let (t, _) = drive(&mut model, start, 500, &mut server);
            let (_, refused) = drive(&mut model, t, 5_000, &mut server);
            let mut per_window = std::collections::BTreeMap::new();
            for at in &refused {
                *per_window.entry((at / 2.0).floor() as i64).or_insert(0) += 1;
            }
            assert!(per_window.values().all(|&n| n == 1), "{per_window:?}");
            // Upward probes and lower-bound tests, one of each in `PROBE_SPACING` requests.
            assert!(
                refused.len() as u64 <= 2 * 5_000 / PROBE_SPACING + 4,
                "{refused:?}"
            );
            assert_eq!(window_of(&model).0, 20);
        }
    }

    #[test]
    fn a_second_run_of_twice_the_first_crossed_a_boundary_unseen() {
        let mut model = Model::new(0.0, MAX_PAUSE);
        // 20 per 2 s, boundaries at 1.6 s, 3.6 s, 5.6 s…, and the throttle's probes miss the
        // lift until 5.4 s: the second run gets that window's 20, then, one at a time past
        // the first run's count, the next window's 20.
        let mut server = window(20, 2.0);
        let mut passes = move |at: f64| !(0.2..3.8).contains(&at) && server(at + 0.4);
        let mut t = 0.0;
        while matches!(model.state, State::Learning(_)) {
            t = drive(&mut model, t, 1, &mut passes).0;
        }
        // The allowance of one window, and the second lift two boundaries after the first.
        let State::Window(w) = &model.state else {
            panic!("not a window: {:?}", model.state);
        };
        assert_eq!(w.allowance, 20);
        assert_eq!(w.bounds.iter().map(|b| b.k).collect::<Vec<_>>(), [0, 2]);
        let (lo, hi) = w.period();
        assert!(lo < 2.0 && 2.0 <= hi, "{lo}..{hi}");
    }

    /// [`window`] of which someone else takes `others` a window, at even moments of it:
    /// counted whether they pass or not, as Rack::Attack counts every request.
    fn shared_window(limit: u64, period: f64, others: u64) -> impl FnMut(f64) -> bool {
        // The window, its count, and the others counted in it.
        let mut current = (i64::MIN, 0, 0);
        move |at| {
            let k = (at / period).floor() as i64;
            if current.0 != k {
                current = (k, 0, 0);
            }
            let into = at / period - k as f64;
            let due = ((into * others as f64 + 0.5).floor() as u64).min(others);
            current.1 += due - current.2 + 1;
            current.2 = due;
            current.1 <= limit
        }
    }

    #[test]
    fn a_window_someone_else_shares_keeps_its_boundaries_and_what_is_left() {
        // 20 per 2 s of which 6 are taken by others: every window ends spent, and its
        // boundaries must still be probed, or the phase drifts and whole windows go unused.
        let mut model = Model::new(0.0, MAX_PAUSE);
        let (t, _) = drive(&mut model, 0.0, 600, shared_window(20, 2.0, 6));
        let (end, _) = drive(&mut model, t, 700, shared_window(20, 2.0, 6));
        // What is left is 14 a window; 700 of them take 100 s at that pace.
        let windows = (end - t) / 2.0;
        assert!(
            windows < 700.0 / 14.0 / 0.9,
            "{windows} windows for 700 requests"
        );
        let (_, period) = window_of(&model);
        assert!((period - 2.0).abs() < 0.02, "period {period}");
    }

    #[test]
    fn less_than_the_allowance_in_a_window_that_probed_upward_is_a_lowering() {
        // Period 2 s, the boundary at 2 s; window 1 probes upward and is refused after 10.
        let mut model = window_with(vec![bound(0, -0.001, 0.0), bound(1, 1.999, 2.0)]);
        let State::Window(w) = &mut model.state else {
            unreachable!()
        };
        w.probing_up = true;
        let ticket = Ticket {
            sent: 2.5,
            slot: 1,
            epoch: model.epoch,
            kind: Kind::Normal,
        };
        model.answered(ticket, d(2.51), Answer::Throttled(None));
        let State::Window(w) = &model.state else {
            unreachable!()
        };
        // Not the top found above 20: the limit fell to 10, and each window tries 20 again.
        assert_eq!((w.allowance, w.eager, w.ceiling), (10, true, 20));
    }

    #[test]
    fn under_headroom_a_raised_limit_is_found() {
        // Under headroom a window is spent whole only to probe its boundary; without that
        // the boundaries drift, `429`s at them wear the allowance down (to 5 of 20), and
        // upward probes postponed for a boundary probe wait for one that never comes.
        let mut model = Model::new(0.1, MAX_PAUSE);
        let (t, _) = drive(&mut model, 0.0, 600, window(20, 2.0));
        assert_eq!(window_of(&model).0, 20);
        drive(&mut model, t, 6_000, window(40, 2.0));
        assert_eq!(window_of(&model).0, 40);
    }

    #[test]
    fn an_upward_probe_that_finds_more_probes_again_the_next_window() {
        // A limit raised from 20 to 40 per 2 s: the first upward probe finds 25 without a
        // `429`, and the next windows probe on, the step doubling, until they find the top:
        // sooner than one more probe spaced `PROBE_SPACING` requests apart would come, even
        // at the raised limit (without it, 33 windows). From several moments of a window.
        for off in [0.0, 0.7, 1.3] {
            let mut model = Model::new(0.0, MAX_PAUSE);
            let mut first = window(20, 2.0);
            let (mut t, _) = drive(&mut model, 0.0, 600, |at| first(at + off));
            let mut raised = window(40, 2.0);
            let mut first_more = None;
            // 0 while it learns again, as it does for a moment from some moments of a window.
            let allowance = |m: &Model| match m.snapshot(Duration::ZERO).shape {
                Shape::Window { allowance, .. } => allowance,
                _ => 0,
            };
            while allowance(&model) != 40 {
                t = drive(&mut model, t, 1, |at| raised(at + off)).0;
                if allowance(&model) > 20 {
                    first_more.get_or_insert(t);
                }
                assert!(t < 600.0, "{off}: the raise is not found");
            }
            let windows = (t - first_more.unwrap()) / 2.0;
            let spaced = PROBE_SPACING as f64 / 40.0;
            assert!(windows < spaced, "{off}: {windows} windows");
        }
    }

    #[test]
    fn a_debt_never_starves_a_window() {
        // Under a headroom of half, however large the debt, a window repays at most half its
        // share: it sends a quarter of the allowance, not one request.
        for off in [0.0, 0.7, 1.3] {
            let mut model = Model::new(0.5, MAX_PAUSE);
            let mut server = window(20, 2.0);
            let mut limiter = move |at: f64| server(at + off);
            let (t, _) = drive(&mut model, 0.0, 600, &mut limiter);
            let State::Window(w) = &mut model.state else {
                panic!("not a window: {model:?}")
            };
            w.debt = 10_000.0;
            let mut passed = Vec::new();
            drive(&mut model, t, 100, |at| {
                let ok = limiter(at);
                if ok {
                    passed.push(at);
                }
                ok
            });
            // Every whole window from the next on: 5 of its 20.
            let index = |at: f64| ((at + off) / 2.0).floor() as i64;
            let first = index(t) + 1;
            let last = index(*passed.last().unwrap());
            for k in first..last {
                let n = passed.iter().filter(|at| index(**at) == k).count();
                assert!(n >= 5, "{off}: window {k}: {n}");
            }
            assert!(last - first >= 10, "{off}: {first}..{last}");
        }
    }

    #[test]
    fn headroom_is_kept_over_the_windows_that_probe() {
        // Windows probing a boundary or upward are sent whole; the next ones leave that
        // much unsent, so that over the export the client takes 90% of the limit.
        let mut model = Model::new(0.1, MAX_PAUSE);
        let mut passed = Vec::new();
        let mut limiter = window(20, 2.0);
        drive(&mut model, 0.0, 3_000, |at| {
            let ok = limiter(at);
            if ok {
                passed.push(at);
            }
            ok
        });
        // Over the whole windows of the export, the learning's included: at most the share
        // (0.905 when the learning's windows were not repaid and the debt was capped).
        let to = (passed.last().unwrap() / 2.0).floor() * 2.0;
        let taken = passed.iter().filter(|at| **at < to).count() as f64;
        let share = taken / (to / 2.0 * 20.0);
        assert!((0.85..=0.90).contains(&share), "{share}");
    }

    /// A first run of 3, a throttle, and its probe sent (the time it went, and its ticket).
    fn first_run_of_three_then_the_probe(model: &mut Model) -> (f64, Ticket) {
        let (mut t, _) = drive(model, 0.0, 4, |at| at < 0.03);
        loop {
            match model.try_send(d(t)) {
                Ok(probe) => return (t, probe),
                Err(Wait::Until(at)) => t = secs(at),
                Err(Wait::Answer) => panic!("nothing in flight"),
            }
        }
    }

    #[test]
    fn past_the_first_run_s_count_the_second_run_goes_one_request_at_a_time() {
        let mut model = Model::new(0.0, MAX_PAUSE);
        // Its probe lifts it: the second run, the probe's success first.
        let (mut t, probe) = first_run_of_three_then_the_probe(&mut model);
        t += RTT;
        model.answered(probe, d(t), Answer::Passed);
        // Two at once while below the first run's 3, counting those in flight.
        let a = model.try_send(d(t)).unwrap();
        let b = model.try_send(d(t)).unwrap();
        assert_eq!(model.try_send(d(t)).unwrap_err(), Wait::Answer);
        model.answered(a, d(t + RTT), Answer::Passed);
        assert_eq!(model.try_send(d(t + RTT)).unwrap_err(), Wait::Answer);
        model.answered(b, d(t + RTT), Answer::Passed);
        // Then one at a time: the `429` that ends the run is one request's.
        let c = model.try_send(d(t + RTT)).unwrap();
        assert_eq!(model.try_send(d(t + RTT)).unwrap_err(), Wait::Answer);
        model.answered(c, d(t + 2.0 * RTT), Answer::Passed);
        assert!(model.try_send(d(t + 2.0 * RTT)).is_ok());
    }

    #[test]
    fn a_second_run_twice_the_first_goes_freely_again() {
        // A first run of 3 in a window others had nearly spent: the next window passes 20,
        // and one at a time must not last until its `429`.
        let mut model = Model::new(0.0, MAX_PAUSE);
        let (mut t, mut in_flight) = first_run_of_three_then_the_probe(&mut model);
        // The probe's success, then one at a time from the first run's 3 to twice that.
        for sent in 1..5 {
            t += RTT;
            model.answered(in_flight, d(t), Answer::Passed);
            in_flight = model.try_send(d(t)).unwrap();
            if sent >= 3 {
                assert_eq!(model.try_send(d(t)).unwrap_err(), Wait::Answer, "{sent}");
            }
        }
        t += RTT;
        model.answered(in_flight, d(t), Answer::Passed);
        // Five passed: the sixth, and as many more at once as the callers ask.
        for _ in 0..4 {
            model.try_send(d(t)).unwrap();
        }
    }

    #[test]
    fn a_lowered_limit_lowers_the_allowance_within_the_window() {
        let mut model = Model::new(0.0, MAX_PAUSE);
        let (t, _) = drive(&mut model, 0.0, 200, window(20, 2.0));
        let (end, refused) = drive(&mut model, t, 300, window(10, 2.0));
        assert_eq!(window_of(&model).0, 10);
        // Once found, each window keeps to it: one refusal a window at most over the last 10.
        let mut per_window = std::collections::BTreeMap::new();
        for at in refused.iter().filter(|at| **at > end - 20.0) {
            *per_window.entry((at / 2.0).floor() as i64).or_insert(0) += 1;
        }
        assert!(per_window.values().all(|n| *n <= 1), "{refused:?}");
    }

    /// A window lowered right after one whose upward probe got the old allowance back whole,
    /// twice: the allowance swings with the client's own pace (a sliding log, which refuses
    /// a window sent faster than the one before it), not a window's limit. A limiter letting
    /// 20 and 5 through in turn shows the same evidence, and is learnt again; a limit lowered
    /// for good is not.
    #[test]
    fn an_allowance_that_swings_back_and_forth_is_learnt_again() {
        let relearnt = |limit: fn(i64) -> u64| {
            let mut model = Model::new(0.0, MAX_PAUSE);
            let (mut t, _) = drive(&mut model, 0.0, 200, window(20, 2.0));
            assert_eq!(window_of(&model).0, 20);
            let mut server = windows(2.0, limit);
            for _ in 0..200 {
                t = drive(&mut model, t, 1, &mut server).0;
                if matches!(model.state, State::Learning(_)) {
                    return true;
                }
            }
            false
        };
        assert!(relearnt(|k| if k % 2 == 0 { 20 } else { 5 }));
        assert!(!relearnt(|_| 5));
    }

    #[test]
    fn a_retry_after_pauses_for_exactly_that_and_teaches_nothing() {
        let mut model = Model::new(0.0, MAX_PAUSE);
        let ticket = model.try_send(d(1.0)).unwrap();
        model.answered(ticket, d(1.01), Answer::Throttled(Some(d(5.0))));
        assert_eq!(model.try_send(d(1.02)).unwrap_err(), Wait::Until(at(6.01)));
        assert!(model.snapshot(d(2.0)).throttled);
        assert!(model.try_send(d(6.02)).is_ok());
        assert_eq!(model.snapshot(d(6.02)).shape, Shape::Unknown);
    }

    /// Two requests in flight (round trips of `RTT`) from `t` against a fixed window of
    /// `limit` per `period` that answers `429` with `Retry-After` in whole seconds, rounded up
    /// to its end; `n` successes. Returns the refused arrivals.
    fn drive_two_with_retry_after(
        model: &mut Model,
        mut t: f64,
        n: usize,
        limit: u64,
        period: f64,
    ) -> Vec<f64> {
        let mut passes = window(limit, period);
        let (mut ok, mut refused) = (0, Vec::new());
        // (answered at, ticket, Retry-After when refused)
        let mut flight: VecDeque<(f64, Ticket, Option<f64>)> = VecDeque::new();
        while ok < n {
            let mut next = f64::INFINITY;
            if flight.len() < 2 {
                match model.try_send(d(t)) {
                    Ok(ticket) => {
                        let arrival = t + RTT / 2.0;
                        let end = ((arrival / period).floor() + 1.0) * period;
                        let verdict = (!passes(arrival)).then(|| (end - arrival).ceil());
                        if verdict.is_some() {
                            refused.push(arrival);
                        }
                        flight.push_back((t + RTT, ticket, verdict));
                        continue;
                    }
                    Err(Wait::Until(at)) => next = secs(at),
                    Err(Wait::Answer) => {}
                }
            }
            let answered = flight.front().map_or(f64::INFINITY, |f| f.0);
            let wake = answered.min(next);
            assert!(
                wake.is_finite() && wake > t - 1e-9,
                "a wait for nothing at {t}"
            );
            if answered <= next {
                let (_, ticket, verdict) = flight.pop_front().unwrap();
                t = answered;
                let answer = match verdict {
                    None => {
                        ok += 1;
                        Answer::Passed
                    }
                    Some(wait) => Answer::Throttled(Some(d(wait))),
                };
                model.answered(ticket, d(t), answer);
            } else {
                t = next;
            }
        }
        refused
    }

    /// A guard over starts across the window rather than a test of one mechanism: the
    /// learning held this before the handling of successes during a pause changed, too.
    #[test]
    fn retry_after_pauses_teach_the_window_from_any_start() {
        for start in (0..40).map(|i| f64::from(i) * 0.05) {
            let mut model = Model::new(0.0, MAX_PAUSE);
            let refused = drive_two_with_retry_after(&mut model, start, 300, 20, 2.0);
            let (allowance, period) = window_of(&model);
            assert_eq!(allowance, 20, "start {start}");
            assert!((period - 2.0).abs() < 0.2, "start {start}: {period}");
            // Learnt in the first windows; then no more than one refusal a window.
            let late = refused.iter().filter(|at| **at > start + 12.0).count();
            assert!(late <= 300 / 20, "start {start}: {refused:?}");
        }
    }

    #[test]
    fn during_a_retry_after_pause_successes_count_where_they_were_sent_and_the_probe_lifts() {
        for slow in [false, true] {
            let mut model = Model::new(0.0, MAX_PAUSE);
            // A window of 20 spent by 1.99 s: one request refused just before its end, one
            // sent after it passing just after (the next window); with `slow`, one sent
            // before the refused one passing (this window) but answered after the pause.
            drive(&mut model, 0.0, 20, |_| true);
            let slow = slow.then(|| model.try_send(d(1.90)).unwrap());
            let refused = model.try_send(d(1.99)).unwrap();
            let in_flight = model.try_send(d(1.995)).unwrap();
            model.answered(refused, d(2.0), Answer::Throttled(Some(d(1.0))));
            model.answered(in_flight, d(2.005), Answer::Passed);
            // Still paused: the request after the pause is the throttle's probe, its lift.
            assert_eq!(model.try_send(d(2.5)).unwrap_err(), Wait::Until(at(3.0)));
            let probe = model.try_send(d(3.0)).unwrap();
            assert_eq!(probe.kind, Kind::Lift);
            if let Some(slow) = slow {
                model.answered(slow, d(3.2), Answer::Passed);
            }
            model.answered(probe, d(3.3), Answer::Passed);
            let State::Learning(l) = &model.state else {
                panic!("learnt from one lift");
            };
            // The run before the lift is the refused one's window; the success in flight
            // opened the next with the probe.
            let before = 20 + u64::from(slow.is_some());
            assert_eq!(l.lifts.len(), 1);
            assert_eq!((l.runs.as_slice(), l.run_ok), (&[before][..], 2));
        }
    }

    #[test]
    fn after_a_pause_a_failed_probe_leaves_the_lift_to_the_next_probe() {
        let mut model = Model::new(0.0, MAX_PAUSE);
        drive(&mut model, 0.0, 20, |_| true);
        let slow = model.try_send(d(1.90)).unwrap();
        let refused = model.try_send(d(1.99)).unwrap();
        model.answered(refused, d(2.0), Answer::Throttled(Some(d(1.0))));
        let probe = model.try_send(d(3.0)).unwrap();
        model.answered(probe, d(3.1), Answer::Failed);
        // A success sent before the refused one, answered after the pause, is no lift.
        model.answered(slow, d(3.2), Answer::Passed);
        let probe = model.try_send(d(3.2)).unwrap();
        assert_eq!(probe.kind, Kind::Lift);
        model.answered(probe, d(3.3), Answer::Passed);
        let State::Learning(l) = &model.state else {
            panic!("learnt from one lift");
        };
        assert_eq!((l.lifts.len(), l.runs.as_slice()), (1, &[21][..]));
    }

    #[test]
    fn a_retry_after_date_in_the_past_or_years_ahead_is_a_throttle_without_a_pause() {
        for wait in [Duration::ZERO, Duration::from_secs(10 * 365 * 24 * 3600)] {
            let mut model = Model::new(0.0, MAX_PAUSE);
            let ticket = model.try_send(d(1.0)).unwrap();
            model.answered(ticket, d(1.01), Answer::Throttled(Some(wait)));
            match model.try_send(d(1.01)) {
                // Probed a round trip later, not paused for years nor sent into the throttle.
                Err(Wait::Until(next)) => assert!(secs(next) < 1.1, "{wait:?}: {next:?}"),
                other => panic!("{wait:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_clock_that_jumps_hours_ahead_finds_a_window_begun() {
        let mut model = Model::new(0.0, MAX_PAUSE);
        let (t, _) = drive(&mut model, 0.0, 200, window(20, 2.0));
        let later = t + 3.0 * 3600.0 + 0.7;
        let first = model.try_send(d(later));
        assert!(first.is_ok(), "{first:?} at {later}: {model:?}");
        model.answered(first.unwrap(), d(later + RTT), Answer::Passed);
        // The phase is lost: the model learns it again, as at the start.
        let (_, refused) = drive(&mut model, later + RTT, 200, window(20, 2.0));
        assert!(refused.len() <= 40, "{refused:?}");
        // A window again. (A lift seen late in its window lets the run after it span two
        // windows: the allowance may be learnt high, then corrected by a `429`.)
        assert!(window_of(&model).0 >= 20);
    }

    #[test]
    fn capacity_returning_gradually_is_a_rate() {
        let mut model = Model::new(0.0, MAX_PAUSE);
        // A bucket of 10, refilled at 5 a second.
        drive(&mut model, 0.0, 200, bucket(5.0, 10.0, 10.0, 0.0));
        match model.snapshot(Duration::ZERO).shape {
            Shape::Rate { per_second } => {
                assert!((4.0..=6.0).contains(&per_second), "{per_second}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_fixed_rate_is_kept() {
        let mut model = Model::fixed(10.0, MAX_PAUSE);
        let (t, _) = drive(&mut model, 0.0, 11, |_| true);
        assert!((t - 1.01).abs() < 1e-6, "{t}");
    }

    /// A window's `429` after successes: with a `Retry-After` (the pause ends past the next
    /// boundary), the refused request's sending bounds that boundary from below; without one,
    /// the throttle's lift will bound it, and nothing is added.
    #[test]
    fn retry_after_in_a_spent_window_bounds_the_next_boundary() {
        for (wait, next_lo) in [(None, 3.85), (Some(d(1.0)), 3.9)] {
            let mut model = window_with(vec![bound(0, -0.05, 0.05), bound(1, 1.95, 2.05)]);
            let ticket = Ticket {
                sent: 3.9,
                slot: 1,
                kind: Kind::Normal,
                epoch: model.epoch,
            };
            model.answered(ticket, d(3.91), Answer::Throttled(wait));
            let State::Window(w) = &model.state else {
                panic!("not a window");
            };
            let (lo, _) = w.boundary(2);
            assert!((lo - next_lo).abs() < 1e-9, "{wait:?}: {lo}");
        }
    }

    /// A learnt window of 20 with these bounds, counting window 1 (10 sent, one in flight).
    fn window_with(bounds: Vec<Bound>) -> Model {
        let mut model = Model::new(0.0, MAX_PAUSE);
        model.state = State::Window(Window {
            allowance: 20,
            exact: true,
            bounds,
            index: 1,
            sent: 10,
            ok: 10,
            out: 1,
            hit: None,
            hit_said: false,
            carry: (0, 0),
            probed_boundary: 1,
            probe_out: false,
            probing_up: false,
            step: FIRST_PROBE_STEP,
            eager: false,
            ceiling: 0,
            since_probe: 0,
            since_low: 0,
            restored: None,
            swings: 0,
            last_swing: i64::MIN,
            debt: 0.0,
        });
        model
    }

    #[test]
    fn a_lower_bound_test_goes_only_where_it_arrives_before_the_bound() {
        // Window 1 spent (20 of 20 answered), the next boundary in (29.8, 30.1], round trips
        // up to 0.9 s: the test goes two round trips before 29.8 (more than an eighth of the
        // period before it), and not at all once it could arrive past 29.8, where a pass
        // would say nothing.
        let spent = || {
            let mut model = window_with(vec![bound(0, 9.9, 10.0), bound(1, 19.9, 20.0)]);
            model.rtt = Some((0.5, 0.1));
            if let State::Window(w) = &mut model.state {
                (w.sent, w.ok, w.out, w.since_low) = (20, 20, 0, PROBE_SPACING);
            }
            model
        };
        let mut model = spent();
        match model.try_send(d(27.0)) {
            Err(Wait::Until(at)) => assert!((secs(at) - 28.0).abs() < 1e-6, "{at:?}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(model.try_send(d(28.0)).unwrap().kind, Kind::Low);
        let mut late = spent();
        match late.try_send(d(29.0)) {
            Err(Wait::Until(at)) => assert!((secs(at) - 30.1).abs() < 1e-6, "{at:?}"),
            other => panic!("{other:?}"),
        }
    }

    fn bound(k: i64, lo: f64, hi: f64) -> Bound {
        Bound { k, lo, hi }
    }

    fn next_boundary(model: &Model, n: i64) -> (f64, f64) {
        let State::Window(w) = &model.state else {
            panic!("not a window: {model:?}");
        };
        w.boundary(n)
    }

    /// The server says when the spent window ends: its `Retry-After` bounds the next boundary
    /// from above too (its end, plus the skew a date may carry and a round trip), tighter
    /// than the period alone, which knows it only to within 5.5 s here.
    #[test]
    fn retry_after_bounds_the_next_boundary_from_above() {
        for (wait, next_hi) in [
            (None, 5.5),
            (Some(d(1.0)), 3.91 + 1.0 + RETRY_AFTER_SKEW + 0.03),
        ] {
            let mut model = window_with(vec![bound(0, -0.5, 0.5), bound(1, 1.5, 2.5)]);
            let ticket = Ticket {
                sent: 3.9,
                slot: 1,
                kind: Kind::Normal,
                epoch: model.epoch,
            };
            model.answered(ticket, d(3.91), Answer::Throttled(wait));
            let (_, hi) = next_boundary(&model, 2);
            assert!((hi - next_hi).abs() < 1e-9, "{wait:?}: {hi}");
        }
    }

    /// A window spent but for an answer still out probes its boundary only after that answer:
    /// sent before it, the probe could pass as the window's last and be read as the boundary.
    #[test]
    fn a_boundary_probe_waits_for_the_window_s_last_answer() {
        let mut model = window_with(vec![bound(0, -0.5, 0.5), bound(1, 1.5, 2.5)]);
        if let State::Window(w) = &mut model.state {
            (w.sent, w.ok, w.out) = (20, 19, 1);
        }
        let (_, hi) = next_boundary(&model, 2);
        let t = hi - 0.05;
        assert_eq!(model.try_send(d(t)).unwrap_err(), Wait::Answer);
        let last = Ticket {
            sent: t - 0.05,
            slot: 1,
            kind: Kind::Normal,
            epoch: model.epoch,
        };
        model.answered(last, d(t), Answer::Passed);
        assert_eq!(model.try_send(d(t)).unwrap().kind, Kind::Boundary);
    }

    /// Evidence that contradicts a bound kept for the same boundary (a request refused after
    /// the time a skewed `Retry-After` date said) replaces it instead of unlearning the window.
    #[test]
    fn a_contradicted_bound_is_replaced_by_the_newer() {
        let mut model = window_with(vec![
            bound(0, -0.1, 0.1),
            bound(1, 1.9, 2.1),
            bound(2, 3.9, 4.0),
        ]);
        let State::Window(w) = &mut model.state else {
            unreachable!()
        };
        // Refused when sent at 4.05: the boundary was later than 4.0 said.
        assert!(!w.add_bound(2, 4.05, f64::INFINITY));
        let kept = w.bounds.iter().find(|b| b.k == 2).unwrap();
        assert_eq!((kept.lo, kept.hi), (4.05, f64::INFINITY));
        assert_eq!(w.bounds.len(), 3);
    }

    /// The wait a refused probe leads to, from `now`.
    fn probe_refused(model: &mut Model, now: f64) -> f64 {
        let probe = model.try_send(d(now)).expect("a probe may go");
        model.answered(probe, d(now + RTT), Answer::Throttled(None));
        match model.try_send(d(now + RTT)) {
            Err(Wait::Until(at)) => secs(at),
            other => panic!("{other:?}"),
        }
    }

    /// With the clock known (time zero is 1000.3 s after the epoch), a throttle's probes go a
    /// round trip after it, then at the next whole second, the next multiple of 2 s, of 3 s:
    /// each refusal refutes one period of a window aligned to the clock. Without it, each
    /// probe goes twice as late as the one before.
    #[test]
    fn a_throttle_probes_the_boundaries_of_windows_on_the_clock() {
        for (clock, expected) in [
            (
                Some(1000.3),
                [1001.0 - 1000.3, 1002.0 - 1000.3, 1005.0 - 1000.3],
            ),
            (
                None,
                [0.02 + RTT + 0.02, 0.05 + RTT + 0.04, 0.1 + RTT + 0.08],
            ),
        ] {
            let mut model = Model::new(0.0, MAX_PAUSE);
            if let Some(clock) = clock {
                model = model.aligned_to(d(clock));
            }
            let first = model.try_send(d(0.0)).unwrap();
            model.answered(first, d(RTT), Answer::Throttled(None));
            // The first probe, a round trip later, whatever the clock.
            let mut next = match model.try_send(d(RTT)) {
                Err(Wait::Until(at)) => secs(at),
                other => panic!("{other:?}"),
            };
            assert!((next - 2.0 * RTT).abs() < 1e-6, "{clock:?}: {next}");
            for want in expected {
                next = probe_refused(&mut model, next);
                assert!((next - want).abs() < 1e-6, "{clock:?}: {next} for {want}");
            }
        }
    }

    /// A client clock ahead of the server's probes a minute's boundary just before the
    /// server's: refused, that boundary is tried once more a second later, where it lifts,
    /// instead of at the next minute, which would learn two windows as one. A clock more than
    /// a second ahead still lifts only at the next minute.
    #[test]
    fn a_refused_probe_at_a_minute_is_tried_again_a_second_later() {
        for (ahead, lifts_at) in [(0.0, 60.0), (0.3, 60.7), (1.5, 118.5)] {
            // The server's minutes begin at model times 0, 60, 120, …
            let mut model = Model::new(0.0, MAX_PAUSE).aligned_to(d(6_000.0 + ahead));
            let mut server = window(100, 60.0);
            let (mut t, _) = drive(&mut model, 0.0, 100, &mut server);
            let lift = (0..50)
                .find_map(|_| {
                    let (next, refused) = drive(&mut model, t, 1, &mut server);
                    let sent = next - RTT;
                    t = next;
                    (refused.is_empty() && model.throttles > 0).then_some(sent)
                })
                .expect("a lift");
            assert!(
                (lift - lifts_at).abs() < 1e-6,
                "{ahead} s ahead: lifted at {lift}"
            );
        }
    }

    /// A bucket is empty at each throttle: its first rate is what passed from the first to the
    /// last, whether the probes waited for the clock's boundaries (long waits that send
    /// nothing) or a round trip.
    #[test]
    fn a_bucket_s_first_rate_is_measured_from_throttle_to_throttle() {
        for clock in [None, Some(1000.3)] {
            let mut model = Model::new(0.0, MAX_PAUSE);
            if let Some(clock) = clock {
                model = model.aligned_to(d(clock));
            }
            // A bucket of 10, refilled at 5 a second; stopped as soon as the rate is learnt.
            let mut limiter = bucket(5.0, 10.0, 10.0, 0.0);
            let mut t = 0.0;
            while !matches!(model.snapshot(d(t)).shape, Shape::Rate { .. }) {
                assert!(t < 60.0, "{clock:?}: not learnt: {model:?}");
                (t, _) = drive(&mut model, t, 1, &mut limiter);
            }
            match model.snapshot(d(t)).shape {
                Shape::Rate { per_second } => {
                    assert!((4.0..=6.5).contains(&per_second), "{clock:?}: {per_second}")
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn runs_of_one_or_two_take_a_third_throttle() {
        // A learning that starts in a spent window (its first run nothing) against a limiter
        // whose capacity returns one request at a time: two runs of one or two tell no shape
        // apart, so the learning takes one more throttle before it decides.
        let mut model = Model::new(0.0, MAX_PAUSE);
        // Spent until 1 s, then one request each 0.2 s.
        let mut limiter = bucket(5.0, 1.0, 0.0, 1.0);
        let mut t = 0.0;
        let mut lifts = 0;
        while !matches!(model.snapshot(d(t)).shape, Shape::Rate { .. }) {
            assert!(t < 60.0, "not learnt: {model:?}");
            if let State::Learning(l) = &model.state {
                lifts = l.lifts.len();
            }
            (t, _) = drive(&mut model, t, 1, &mut limiter);
        }
        // Seen learning after its second lift: the third decided.
        assert_eq!(lifts, 2);
    }

    /// Paces `rate` against a bucket of 5 a second until a throttle measures it (within
    /// `most` requests), then 500 more; returns the rate then.
    fn measured_against_a_bucket(rate: Rate, most: usize) -> Rate {
        let mut model = paced_at(rate);
        let mut bucket = bucket(5.0, 5.0, 5.0, 0.0);
        let (mut t, mut sent) = (0.0, 0);
        while !matches!(&model.state, State::Rate(r) if r.confirmed) {
            t = drive(&mut model, t, 1, &mut bucket).0;
            sent += 1;
            assert!(sent < most, "no throttle: {model:?}");
        }
        drive(&mut model, t, 500, &mut bucket);
        let State::Rate(rate) = model.state else {
            unreachable!()
        };
        assert!((4.5..=5.5).contains(&rate.per_second), "{rate:?}");
        rate
    }

    #[test]
    fn a_rate_estimated_low_rises_fast_until_a_throttle_measures_it() {
        // Paced at a tenth of a bucket's 5 a second, never throttled: the step above the
        // rate doubles each `RATE_SAMPLES` successes (at most `RATE_PROBE_MAX`) until the
        // bucket refuses one; measured then, the rate is probed at `RATE_PROBE` again. At
        // `RATE_PROBE` alone, it takes about 7,000 successes.
        let rate = measured_against_a_bucket(Rate::new(0.5, false), 1_000);
        assert_eq!(rate.pace(1.0), rate.per_second * (1.0 + RATE_PROBE));
    }

    /// Against a bucket the rate is measured between its first and last throttle over up to
    /// `RATE_BASELINE` successes (the bucket is empty at each): measured over the last
    /// `RATE_SAMPLES`, a refused request's lost slot set the pace 4% under the limit after
    /// each throttle (4.80 a second here).
    #[test]
    fn a_throttled_rate_is_measured_between_throttles_over_many_successes() {
        let mut model = paced_at(Rate::new(5.0, false));
        let mut bucket = bucket(5.0, 5.0, 1.0, 0.0);
        let mut t = drive(&mut model, 0.0, 2_000, &mut bucket).0;
        let (from, mut refused, mut lowest) = (t, 0, f64::INFINITY);
        for _ in 0..5_000 {
            let (end, r) = drive(&mut model, t, 1, &mut bucket);
            (t, refused) = (end, refused + r.len());
            if let State::Rate(rate) = &model.state {
                lowest = lowest.min(rate.per_second);
            }
        }
        assert!(lowest > 4.95, "paced at {lowest} for 5 a second");
        let passed = (5_000 - refused) as f64;
        assert!(passed / (t - from) > 4.95, "{passed} in {} s", t - from);
        assert!(refused < 50, "{refused} refused");
    }

    /// A server that refuses everything grows nothing: the refusals kept for measuring a
    /// rate between throttles are bounded like its successes.
    #[test]
    fn a_rate_keeps_a_bounded_memory_of_refusals() {
        let mut model = paced_at(Rate::new(5.0, false));
        let (_, refused) = drive(&mut model, 0.0, 10_000, |_| false);
        assert_eq!(refused.len(), 10_000);
        let rate = rate_of(&model);
        assert_eq!(rate.refusals.len(), RATE_BASELINE);
    }

    /// A rate from fewer than `RATE_FIRST_SAMPLES` successes (a relearning whose throttles
    /// held everything but probes) is a guess: it rises a tenth each `RATE_FIRST_SAMPLES`
    /// successes until a `429` measures it, not a tenth each `RATE_SAMPLES`.
    #[test]
    fn a_guessed_rate_rises_a_tenth_every_few_successes() {
        let mut rate = Rate::new(0.5, false);
        rate.guessed = true;
        // 25 steps of a tenth: 100 successes, where the unguessed rate took 300.
        measured_against_a_bucket(rate, 150);
    }

    /// A limit halved under a rate measured between throttles: the throttles before it
    /// would hold the old rate for up to `RATE_BASELINE` successes; the last `RATE_SAMPLES`,
    /// throttled and a tenth slower, start the measure again.
    #[test]
    fn a_rate_measured_between_throttles_follows_a_lowered_limit() {
        let mut model = paced_at(Rate::new(10.0, false));
        let mut limit = 10.0;
        let (mut tokens, mut last) = (10.0_f64, 0.0_f64);
        let mut bucket = |at: f64, per_second: f64| {
            tokens = (tokens + (at - last) * per_second).min(10.0);
            last = at;
            let passed = tokens >= 1.0;
            if passed {
                tokens -= 1.0;
            }
            passed
        };
        let mut t = drive(&mut model, 0.0, 3_000, |at| bucket(at, limit)).0;
        assert!(matches!(&model.state, State::Rate(r) if r.baselined));
        limit = 5.0;
        let mut successes = 0;
        while successes < 150 {
            let (end, refused) = drive(&mut model, t, 1, |at| bucket(at, limit));
            t = end;
            successes += usize::from(refused.is_empty());
        }
        // Without: 7.3 a second, the old limit's throttles still in the span.
        let rate = rate_of(&model);
        assert!(rate.per_second < 5.3, "{rate:?}");
    }

    /// A guess rises only while the pace holds the caller back: a caller far slower than it
    /// (one request every 2 s, a bucket allowing 5 a second) says nothing of the limit, and
    /// rising each few successes regardless took the guess to 1.4e4 a second.
    #[test]
    fn a_guess_does_not_rise_past_a_slower_caller() {
        let mut rate = Rate::new(1.0, false);
        rate.guessed = true;
        let mut model = paced_at(rate);
        let mut t = 0.0;
        for _ in 0..400 {
            let ticket = model.try_send(d(t)).unwrap();
            t += 2.0;
            model.answered(ticket, d(t), Answer::Passed);
        }
        let rate = rate_of(&model);
        assert!(rate.per_second < 2.0, "{rate:?}");
    }

    /// A first rate estimate that is too high is replaced by the rate measured under
    /// throttling as soon as `RATE_FIRST_SAMPLES` successes show it, measured at their
    /// sendings: answers that a round trip's jitter scatters (every other one 80 ms late
    /// here, which would read 9 a second) do not move it.
    #[test]
    fn a_rough_first_rate_is_replaced_after_a_few_throttled_successes() {
        let mut rate = Rate::new(30.0, false);
        for i in 1..=RATE_FIRST_SAMPLES {
            assert_eq!(rate.per_second, 30.0);
            let sent = 0.1 * i as f64;
            rate.passed(sent, sent + if i % 2 == 0 { 0.08 } else { 0.0 });
            if i == 1 {
                rate.last_throttle = 0.15;
            }
        }
        assert!((rate.per_second - 10.0).abs() < 1e-6, "{rate:?}");
    }

    /// Beyond the bounds kept, the oldest goes but for the first, the newest, and the last
    /// from above and from below: boundary probes that pass (bounds from above only) do not
    /// push out the last bound from below, which would let the period halve.
    #[test]
    fn bounds_from_above_do_not_push_out_the_last_bound_from_below() {
        let mut bounds = vec![bound(0, -0.05, 0.05), bound(1, 1.95, f64::INFINITY)];
        for k in 2..BOUNDS_KEPT as i64 {
            bounds.push(bound(k, f64::NEG_INFINITY, 2.0 * k as f64 + 0.05));
        }
        let mut model = window_with(bounds);
        let State::Window(w) = &mut model.state else {
            unreachable!()
        };
        for k in BOUNDS_KEPT as i64..3 * BOUNDS_KEPT as i64 {
            assert!(!w.add_bound(k, f64::NEG_INFINITY, 2.0 * k as f64 + 0.05));
        }
        assert_eq!(w.bounds.len(), BOUNDS_KEPT);
        assert!(w.bounds.iter().any(|b| b.k == 1), "{:?}", w.bounds);
        let (lo, hi) = w.period();
        assert!((1.9 - 1e-9..=2.0).contains(&lo) && 2.0 <= hi, "{lo}..{hi}");
    }
}
