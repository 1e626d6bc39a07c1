//! The learning: a throttle's probes for its lift, and the shape two lifts show.
//!
//! Until the first `429` every request goes at once. A `429` starts a *throttle* (a success
//! of a request still in flight ends it, and the next refusal starts it again; but after
//! the first learning's first throttle so ended, where its first refusal was sent after the
//! run's first success was answered, one request goes at a time until a success of one sent
//! since the ending (and one more alone where those still out that were sent after the
//! ending's success were refused more than they passed: the limiter let it through and
//! closed again, as a bucket spends a token, where past a window's boundary all sent after
//! it pass), and a refusal of one sent before the ending, with no `Retry-After`, starts
//! nothing; `UNLIFTED_MAX` throttles in a row so ended, each refused by a request sent
//! since the last such ending and followed by a success of one sent after its own, are
//! capacity returning while many requests are out, a bucket: a **rate**, what passed from
//! the first of them on (where one at a time followed it, from that phase's end, its one
//! more alone included); but in the first learning, with no lift at a `Retry-After` pause's
//! end, those that began within the last lift's throttle's length after it make no rate
//! faster than a token over that length, and are dropped): nothing is sent but one probe at
//! a time, the first one a smoothed round trip later (capacity that returns gradually shows
//! in it); when the model knows the clock ([`Model::aligned_to`]), each next one at the
//! next boundary on the clock of a window of the next period in `CLOCK_PERIODS` (1 s, 2 s,
//! 3 s, 5 s, … an hour: a window keyed on `epoch_seconds / period` lifts on a multiple of
//! its period, and each refused probe refutes one period; a refused probe at a minute's
//! boundary, the window the upstream server is known to key on, is tried once more
//! `MINUTE_RETRY` later, for a client clock ahead of the server's), or, if sooner, a period
//! of `CLOCK_PERIODS` (longer than `LOG_ROUND_TRIPS` round trips) after the run's first
//! success (a sliding log lifts a period after the arrival of the success it counts first:
//! one probe a longest round trip before that success's sending a period on, which a log
//! refuses, then one at its answer a period on, so that a log's lift is bounded to a few
//! round trips however far back the clock's refused probes were, the first left out for a
//! period shorter than the last lift's throttle allows (after a `Retry-After` pause, none),
//! which it would bound for nothing; not when a window on the clock is learnt again: a
//! window again, most likely); and otherwise twice as late as the one before (the lift is
//! found in as many probes as the doubling needs to reach it, whatever the window's
//! length); after a `Retry-After`, exactly when the server said. The clock's periods
//! shorter than the last lift's throttle allows are not tried (`periods_under`): that
//! throttle's refusals, from the first's arrival (`Learning::period_lo`) to its last
//! probe's sending, all fell in one window, or before a log's first success aged (after a
//! `Retry-After` pause, every period is tried; where others keep a limiter spent past a
//! boundary, the period that lifts may be skipped, and a longer one's boundary finds the
//! lift). In the first learning, after a lift whose run since got at least as many as the
//! run before it (`MIN_ALLOWANCE` or more), no probe goes before that lift's lower bound
//! plus the shortest period its throttle allows, but at a `Retry-After` pause's end: a
//! window's next boundary comes no sooner, nor a log's next aging once all the run before
//! took has come back (after a shape learnt before, the limiter may hold what that one
//! sent). Where, besides, that lift came at the clock's probe of a period and no
//! `Retry-After` began the throttle, the probe a round trip on is left out (the first
//! throttle's was refused) for one a longest round trip before that period's next boundary
//! on the clock (the *pre-tick*; where it falls after the quiet and later than that round
//! trip), among the clock's and a log's probes, which go first where sooner: a window on
//! the clock refuses it, and the boundary is probed next (tried from the pre-tick's
//! sending, as after a log's probe), so that the window learnt knows it to a round trip or
//! two. Sent with nothing else out and before the boundary, and followed by the lift with
//! no other refusal and no pause, its refusal shows what a lower bound's test would: the
//! first window learnt sends none (`window.rs`).
//!
//! The first probe that passes is a *lift*: it bounds a capacity boundary between the last
//! request refused and that probe's answer. The successes of requests sent between two
//! throttles form a *run* (during a `Retry-After` pause, a request in flight sent after the
//! refused one that passes counts in the next run: it passed in the next window; one sent
//! before it counts in the refused one's run, until the lift). A success of the run before
//! the last lift answered after that lift, slow on its way, may have passed at that run's
//! end or in the lift's window: counted in neither, it is *unsure*, and the window learnt
//! reads its lower bound's passed test as one such first (`window.rs`; those of the last
//! run answered after the learning's end are not counted). After the first lift the client
//! sends freely again (as many at once as its callers ask) until it has sent as
//! many as the first run got (those in flight counted), then one at a time up to twice that
//! (past it, the first run was short of a window: others had spent most of it), so that the
//! second throttle refuses one request, not every one in flight, unless a request sent
//! after the run's first `429` was answered was refused too (the limiter closed: that end
//! came before the count, and what passes since passed a boundary), and for no longer than
//! the run took to reach the count (a round trip at least: one at a time, a boundary passes
//! without a `429`, and the run goes on at a round trip a request); its lift ends the
//! learning, unless lifts at the ends of `Retry-After` pauses (whole seconds: up to one
//! past the boundary) bound the period no better than `PERIOD_SLACK` of it, when a third
//! lift is taken.
//!
//! A second lift sooner after the first than the first came after its throttle's first
//! refusal (its sending and a longest round trip, or its answer if later), after a run of
//! `MIN_ALLOWANCE` or more, is a **sliding log**'s (`log.rs`), whatever the second run: a
//! bucket's next token comes no sooner than its first after it was drained, nor a window's
//! (that refusal arrived in the window the first lift ended, less than a period before its
//! answer, and the second lift comes a period after the first), and a log frees the first
//! run's successes as fast as they came (raced at loopback round trips, it gives most of
//! them back before the next refusal: a run the size of a window's). Its limit is the
//! larger run; its hold at most the first lift less the first run's first sending. (A
//! window others spent whole after the first refusal's, so that the throttle spanned two,
//! can pass for one: no test shows what follows.)
//!
//! Otherwise, if the run between the last two lifts got at least half of what the run
//! before got, capacity comes back in a lump at each lift: a **fixed window**
//! (`window.rs`), whose allowance is that run (a full window: the first may have started
//! late in one) and whose boundaries are `B(k) = B(0) + k·W`. A run of exactly twice the
//! one before (of at least `MIN_ALLOWANCE`) crossed a boundary the probes missed: it holds
//! two windows, so the allowance is half of it and its lift bounds the boundary two windows
//! after the last; a run of `m` times the one before holds `m` windows where it *reopened*
//! (a success of a request sent after one of its refusals was answered) at least `m - 2`
//! times (a first window others had spent a third of gives the same runs with two windows,
//! taken for three: a window of 30 per 6 s learnt as 20 per 4 s, and kept). A fixed window
//! refuses everything after its first refusal until its boundary, so a window's run holds
//! at least one window more than it reopened. Only a refusal of a request sent after the
//! last reopening's answer closes the run again (one sent before may have arrived before
//! that boundary), and the `k`th reopening counts only where it was answered later than the
//! lift's lower bound (its last refused probe's sending) plus `k` times the shortest period
//! that lift's throttle allows (its refusals are all in one window: from its first
//! refusal's arrival, placed a longest round trip after its sending or at its answer if
//! later, to that probe's sending; often none at slow round trips), so that a log's run at
//! loopback speed, racing its own slots coming free, is not counted (the first run's, with
//! no lift before it, count without that bound). Nor does a run hold more windows than it
//! has room for at the allowance the run before showed (that run over its windows, the
//! count rounded up): a window's allowance is taken not to shrink within a learning, and a
//! lift bounded from below only by its throttle's first refusals bounds no period for the
//! reopenings. Where the longest round trip lasts `BOUNDARY_SLACK` of the window's period
//! or more, the window is paced as a **rate**, its allowance a period (`Rate::of_window`,
//! measured only where the period is exact): its boundaries cannot be known to that slack
//! (a pass bounds one only at its answer), nor a request's arrival placed in its window.
//! Otherwise, if the second run got less than half of the first, capacity returns gradually
//! (a **token bucket** or a sliding window): a **rate** (`rate.rs`). Two runs of one or two
//! tell no shape apart (a relearning that began in a spent window): the learning takes a
//! third. A **`Retry-After`** pauses every request until the time it names; while learning
//! it adds nothing else, no boundary and no allowance. A pause longer than the client waits
//! is not kept.

use super::*;
use window::BOUNDARY_SLACK;

/// Each gap between a throttle's probes is this many times the last: an exponential search.
pub(super) const PROBE_GROWTH: f64 = 2.0;
/// A run under this share of the one before got capacity back gradually (a bucket), not at once.
pub(super) const GRADUAL: f64 = 0.5;
/// A period the lifts bound no better than this share of it takes one more lift.
pub(super) const PERIOD_SLACK: f64 = 0.5;
/// Lifts the learning takes at most: two tell the shape, a third narrows a blurred period.
pub(super) const LIFTS_MAX: usize = 3;
/// Throttles in a row ended by a request in flight, not a probe, that show a bucket (many out).
pub(super) const UNLIFTED_MAX: u32 = 3;
/// Round trips a log's period (or hold) must exceed: shorter, a bucket's refill looks alike.
pub(super) const LOG_ROUND_TRIPS: f64 = 2.0;
/// Periods (seconds) the probes try on the clock in turn: an epoch-keyed window lifts on them.
pub(super) const CLOCK_PERIODS: [f64; 15] = [
    1.0, 2.0, 3.0, 5.0, 10.0, 15.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0,
];
/// The window the upstream server (Chatwoot's Rack::Attack) is known to key searches on.
pub(super) const MINUTE: f64 = 60.0;
/// Seconds after a refused probe at a minute's boundary it goes again: a client clock ahead.
pub(super) const MINUTE_RETRY: f64 = 1.0;

/// What the learning has seen: the runs between throttles, and the lifts that ended them.
#[derive(Clone, Debug, Default)]
pub(super) struct Learning {
    /// Successes of each finished run.
    pub(super) runs: Vec<u64>,
    /// For each finished run, its `reopened`.
    pub(super) reopenings: Vec<u64>,
    /// Times the current run reopened: a success of a request sent after the answer of a
    /// refusal that closed it (`closed_at`), counted as the module's doc says.
    pub(super) reopened: u64,
    /// The answer of the current run's first refusal of a request sent after its last
    /// reopening was answered (or since it began): the limiter closed.
    pub(super) closed_at: Option<f64>,
    /// The answer of the success that last reopened the current run: a refusal of a request
    /// sent before it may have arrived before the boundary that success passed, and closes
    /// nothing.
    pub(super) reopened_at: Option<f64>,
    /// Each lift's bounds.
    pub(super) lifts: Vec<(f64, f64)>,
    /// For each lift, its throttle's first refusal's sending and answer, and the earlier
    /// end of the `run_from` of the run it ended.
    pub(super) waits: Vec<(f64, f64, Option<f64>)>,
    pub(super) run_ok: u64,
    pub(super) run_out: u64,
    /// Successes, since the last lift, of requests of the run before it: each passed at
    /// that run's end or, late, in the lift's window. The learning counts them in neither
    /// run; a window learnt reads its lower bound's passed tests as such first.
    pub(super) unsure: u64,
    /// Successes, during a `Retry-After` pause, of requests sent after the refused one: the
    /// window they passed in is the next run's.
    pub(super) next_run: u64,
    /// A lift came at the end of a `Retry-After` pause, up to a second past its boundary.
    pub(super) blurred: bool,
    pub(super) throttle: Option<Throttle>,
    /// The answer of this run's first refusal.
    pub(super) refused_at: Option<f64>,
    /// The last lift came at the clock's probe of a period: the clock's next boundary of
    /// that period.
    pub(super) clock_next: Option<f64>,
    /// When this run first waited to go one at a time.
    pub(super) serial_since: Option<f64>,
    /// This run had a refusal of a request sent after that answer.
    pub(super) closed: bool,
    /// Throttles ended without a lift that count towards `UNLIFTED_MAX`.
    pub(super) unlifted: u32,
    /// The current run's first success: its sending less the longest round trip expected,
    /// and its answer. A sliding log lifts a period after its arrival, between the two.
    pub(super) run_from: Option<(f64, f64)>,
    /// Learnt again from a window on the clock: no probe tries a sliding log's lift.
    pub(super) from_clock_window: bool,
    /// When the last throttle ended without a lift, until a success sent after it.
    pub(super) unlifted_at: Option<f64>,
    /// That throttle was the first learning's first, and its first refusal was sent after
    /// the run's first success came back (a run of a round trip or more, not a burst
    /// refused at once): until `unlifted_at` clears, one request at a time, and a refusal
    /// of one sent before the ending, with no `Retry-After`, begins no throttle.
    pub(super) serial_ending: bool,
    /// From that ending on, until one at a time ends: the sending of the success that
    /// ended the throttle, and, of the requests still out then that were sent strictly
    /// after it, those refused since less those passed.
    pub(super) serial_closed: Option<(f64, i64)>,
    /// Those were refused more than they passed (the limiter let the ending's request
    /// through and closed again, as a bucket spends a token; past a window's boundary,
    /// what was sent after it passes): after one at a time, one more request goes alone,
    /// and the next success (its own: nothing else is out) makes sending free.
    pub(super) serial_more: bool,
    /// When the last throttle ended without a lift.
    pub(super) unlifted_last: f64,
    /// When the first throttle ended without a lift (or, where one at a time followed it,
    /// when that ended: `serial_ending`, `serial_more`), and the successes since the first
    /// throttle by then: from there on the client kept the limiter spent.
    pub(super) unlifted_from: Option<(f64, u64)>,
    /// The most successes a run of this learning had when a throttle began: the pace
    /// reported until the shape is known is that many a minute (or a longer period seen).
    pub(super) guess: Option<u64>,
}

/// A second throttle's probe a longest round trip before the boundary on the clock a period
/// after the first lift, at the clock's probe of that period. One whose request failed
/// stays `Out`: sent again as a plain probe, its refusal stands for no test, and the first
/// window learnt tests its lower bound.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum PreTick {
    /// Still to go at `at`, before the `boundary`.
    Due { at: f64, boundary: f64 },
    /// Sent at this time, with nothing else out, before the boundary.
    Out(f64),
    /// Refused: its sending.
    Refused(f64),
}

/// A throttle under way: its last refusal and its next probe.
#[derive(Clone, Debug)]
pub(super) struct Throttle {
    /// The sending of the throttle's first refusal.
    pub(super) began: f64,
    /// That refusal's answer.
    pub(super) answered: f64,
    pub(super) last_fail: f64,
    pub(super) next: f64,
    pub(super) gap: f64,
    pub(super) out: bool,
    /// The next of `CLOCK_PERIODS` whose boundary on the clock a probe tries.
    pub(super) clock_tried: usize,
    /// The minute's boundary was tried a second time.
    pub(super) minute_retried: bool,
    /// The learning's `run_from` when the throttle began.
    pub(super) log_from: Option<(f64, f64)>,
    /// The next probe a period after it: period `CLOCK_PERIODS[log_tried / 2]`, from its
    /// earlier end if even (a log refuses it), its later if odd (a log's lift passes it).
    pub(super) log_tried: usize,
    /// The last probe was such a one, or the pre-tick: what follows it is tried from its
    /// sending, not its answer.
    pub(super) log_probe: bool,
    /// The next probe is the clock's: its boundary on the clock, and the period.
    pub(super) clock_at: Option<(f64, f64)>,
    /// The probe just before the clock's next boundary after a lift at the clock's probe.
    pub(super) pre_tick: Option<PreTick>,
    /// The shortest period the learning's last lift's throttle allows (none after a lift
    /// at a `Retry-After` pause's end): a log's early probe for a period under it bounds
    /// nothing, and the clock's probes skip such periods (`periods_under`).
    pub(super) period_lo: f64,
    /// No probe goes before this but at a `Retry-After` pause's end: the last lift's lower
    /// bound plus `period_lo`, where the module's doc says (0 elsewhere).
    pub(super) quiet: f64,
}

/// How many of `CLOCK_PERIODS` are shorter than `period_lo`: periods the last lift's
/// throttle ruled out (the module's doc says how).
fn periods_under(period_lo: f64) -> usize {
    CLOCK_PERIODS.iter().take_while(|&&p| p < period_lo).count()
}

/// When a throttle's next probe goes after one refused, answered at `now`: at the next
/// boundary on the clock (after the answer, or after the sending of a log's probe or the
/// pre-tick) of the next period of `CLOCK_PERIODS` not yet tried, none shorter than
/// `period_lo` (the one before was refuted), or a period of them after the run's first
/// success (a sliding log's lift), whichever comes first, at once if that is past; with no
/// clock or no period left, `gap` later (no later than twice as long after the throttle
/// began); but once a throttle, a probe refused at a minute's boundary goes again
/// `MINUTE_RETRY` after it.
pub(super) fn next_probe(clock: Option<f64>, now: f64, throttle: &mut Throttle) -> f64 {
    // Twice as late as the last after the throttle began, at most: the gap doubles with
    // every probe, and the clock's and a log's, many and close together, would leave it
    // far past that once their periods ran out (a log of 6,000 an hour, not on the clock,
    // probed again nine hours on). A millisecond at least, as the throttle's first gap: a
    // refusal answered at once, on a paused clock, would send the next probe at once.
    let doubled = now + throttle.gap.min((now - throttle.began).max(1e-3));
    let Some(clock) = clock else {
        return doubled;
    };
    let tried = throttle.clock_tried;
    // A probe at a minute's boundary was just refused: the upstream server's known window,
    // the first hypothesis, is tried once more a little later, in case this machine's clock
    // is ahead of the server's (the minute's next boundary would find two windows as one).
    if tried > periods_under(throttle.period_lo) && !throttle.log_probe && !throttle.minute_retried
    {
        let period = CLOCK_PERIODS[tried - 1];
        let probed = ((now + clock) / period).floor() * period;
        // Whole seconds times whole seconds: exact, and so is the remainder.
        if probed.rem_euclid(MINUTE) == 0.0 {
            throttle.minute_retried = true;
            throttle.clock_at = None;
            return (probed - clock + MINUTE_RETRY).max(now);
        }
    }
    // Whatever comes after the refused probe's sending (`last_fail`) is yet to be tried.
    let sent = throttle.last_fail;
    // The clock's next boundary after the answer (from the sending, the boundaries passed
    // while slow answers came were probed at once, one after another: a bucket drained
    // under headroom refused 2.2% → 10.2%); after a log's probe, after its sending: refused
    // just before a boundary, it is answered past it, and that boundary is yet to be tried.
    let after = if throttle.log_probe { sent } else { now };
    let on_clock = CLOCK_PERIODS
        .get(tried)
        // (A probe sent at a boundary refuted it: a rounding error must not find it again.)
        .map(|p| ((after + clock + 1e-6) / p).floor() * p + p - clock);
    let log_at = |j: usize, (early, late): (f64, f64)| {
        CLOCK_PERIODS.get(j / 2).map(|p| {
            if j.is_multiple_of(2) {
                early + p
            } else {
                late + p
            }
        })
    };
    let log = throttle.log_from.and_then(|from| {
        let j = &mut throttle.log_tried;
        // Past, or an early one with the clock's probe between it and its late one: that
        // probe, refused, bounds a log's lift as well (a window started on the clock's
        // boundary would pay the early one for nothing).
        while log_at(*j, from).is_some_and(|t| {
            t <= sent
                || (j.is_multiple_of(2)
                    && (CLOCK_PERIODS[*j / 2] < throttle.period_lo
                        || on_clock.is_some_and(|c| {
                            t <= c && log_at(*j + 1, from).is_some_and(|late| c < late)
                        })))
        }) {
            *j += 1;
        }
        log_at(*j, from)
    });
    let at = match (on_clock, log) {
        (Some(c), g) if g.is_none_or(|g| c <= g) => {
            throttle.clock_at = Some((c, CLOCK_PERIODS[tried]));
            throttle.clock_tried += 1;
            throttle.log_probe = false;
            c
        }
        (_, Some(g)) => {
            throttle.clock_at = None;
            throttle.log_tried += 1;
            throttle.log_probe = true;
            g
        }
        _ => {
            throttle.clock_at = None;
            doubled
        }
    };
    at.max(now)
}

/// The next probe after one refused at `now`: `next_probe`'s, no sooner than the quiet, or
/// the throttle's `PreTick` if due first (`next_probe`'s is then still to go). The pre-tick
/// is off the clock, as a log's probe is: what follows its refusal is tried from its
/// sending, so that the boundary just after it is (answered a hair before the boundary, the
/// clock's next boundary after the answer was the one after, a period late).
pub(super) fn next_or_pre_tick(clock: Option<f64>, now: f64, throttle: &mut Throttle) -> f64 {
    let mut trial = throttle.clone();
    let next = next_probe(clock, now, &mut trial).max(trial.quiet);
    match throttle.pre_tick {
        Some(PreTick::Due { at, .. }) if now <= at && at < next => {
            throttle.clock_at = None;
            throttle.log_probe = true;
            at
        }
        pre => {
            *throttle = Throttle {
                pre_tick: pre.filter(|p| !matches!(p, PreTick::Due { at, .. } if *at < now)),
                ..trial
            };
            next
        }
    }
}

impl Learning {
    /// Counts in `serial_closed` an answer of a request still out at the ending that began
    /// one at a time, sent after that ending's success.
    fn count_serial(&mut self, sent: f64, refused: bool) {
        if self.unlifted_at.is_some_and(|at| sent < at)
            && let Some((from, closed)) = &mut self.serial_closed
            && sent > *from
        {
            *closed += if refused { 1 } else { -1 };
        }
    }

    /// The shortest period the last lift's throttle allows: its refusals, from the first's
    /// arrival (its sending and a longest round trip, or its answer if later: one held up
    /// on its way) to its last probe's sending, were all in one window (or before a log's
    /// first success aged); none before the first lift.
    pub(super) fn period_lo(&self, rtt_hi: f64) -> f64 {
        self.lifts
            .last()
            .zip(self.waits.last())
            .map_or(0.0, |(&(lo, _), &(began, answered, _))| {
                (lo - answered.max(began + rtt_hi)).max(0.0)
            })
    }
}

impl Model {
    /// An answer while learning (`State::Learning`): a throttle begun, probed, lifted or
    /// ended, a run counted, and the shape two lifts show.
    pub(super) fn learning_answered(&mut self, ticket: Ticket, now: f64, answer: Answer) {
        let current = ticket.epoch == self.epoch;
        // No shape learnt before: the limiter holds nothing this client sent that the
        // learning's runs do not count.
        let first_learning = self.epoch == 0;
        let rtt = self.rtt_mean().unwrap_or(now - ticket.sent);
        let rtt_hi = self.rtt_hi();
        let pause_until = self.pause_until;
        let ok_since_first = self.ok_since_first;
        let State::Learning(l) = &mut self.state else {
            return;
        };
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
                l.count_serial(ticket.sent, false);
                if l.unlifted_at.is_some_and(|at| ticket.sent > at) {
                    l.unlifted += 1;
                    l.unlifted_at = None;
                    // A rate from throttles ended so is measured from the end of one at a
                    // time, which held back what a bucket let through (from the ending, a
                    // bucket answering slowly to 16 at once was measured low: 0.981 ->
                    // 0.934).
                    if std::mem::take(&mut l.serial_ending) {
                        l.unlifted_from = Some((now, ok_since_first));
                        l.serial_more = l.serial_closed.take().is_some_and(|(_, c)| c > 0);
                    }
                } else if std::mem::take(&mut l.serial_more) {
                    // The request after one at a time, alone too, passed: free again.
                    l.unlifted_from = Some((now, ok_since_first));
                }
                let ended = if lifted || l.throttle.as_ref().is_some_and(|t| !paused(t)) {
                    l.throttle.take()
                } else {
                    None
                };
                if let (false, Some(t)) = (lifted, &ended) {
                    // Only a refusal sent since the last such ending: one sent before
                    // was the batch still out then (a boundary passing while many are
                    // out refuses some and passes others).
                    if t.last_fail > l.unlifted_last {
                        // The first learning's first such ending, after a run of a round
                        // trip or more: the requests still out, and any sent now, meet the
                        // limiter that refused the one before (at loopback round trips, a
                        // window of 20 per 1 s refused five more where one would do). One
                        // at a time until a success of one sent since. (Not after a burst
                        // refused within its first round trip: those out were sent with
                        // the refused one. Nor in a relearning: no better, a little worse.)
                        l.serial_ending = first_learning
                            && l.lifts.is_empty()
                            && l.unlifted_from.is_none()
                            && l.run_from.is_some_and(|(_, answered)| t.began > answered);
                        l.serial_closed = l.serial_ending.then_some((ticket.sent, 0));
                        l.unlifted_at = Some(now);
                        l.unlifted_from.get_or_insert((now, ok_since_first));
                    }
                    l.unlifted_last = now;
                }
                if let (true, Some(t)) = (lifted, ended) {
                    // Throttles without a lift count only in a row.
                    (l.unlifted, l.unlifted_at, l.unlifted_from) = (0, None, None);
                    (l.serial_ending, l.serial_closed, l.serial_more) = (false, None, false);
                    // What closed the ended run, and its serial phase, are its own.
                    (l.refused_at, l.closed, l.serial_since) = (None, false, None);
                    (l.closed_at, l.reopened_at) = (None, None);
                    l.lifts.push((t.last_fail, now));
                    l.waits
                        .push((t.began, t.answered, l.run_from.map(|(early, _)| early)));
                    let was_paused = paused(&t);
                    l.blurred |= was_paused;
                    l.clock_next = t
                        .clock_at
                        .filter(|&(tick, _)| !was_paused && ticket.sent - tick <= rtt_hi)
                        .map(|(tick, period)| tick + period);
                    // The lift came right after the pre-tick's refusal: the learnt
                    // window's boundary is bounded from below as a lower bound's test
                    // would have.
                    let tested = !was_paused && t.pre_tick == Some(PreTick::Refused(t.last_fail));
                    let unsure = std::mem::take(&mut l.unsure);
                    l.runs.push(l.run_ok);
                    l.reopenings.push(std::mem::take(&mut l.reopened));
                    // The lift's request opens the next run.
                    l.run_ok = 1 + std::mem::take(&mut l.next_run);
                    l.run_out = 0;
                    l.run_from = Some((ticket.sent - rtt_hi, now));
                    if l.lifts.len() >= 2 {
                        self.learnt(now, ticket.sent, tested, unsure);
                    }
                } else if let Some(t) = &l.throttle
                    && ticket.sent > t.last_fail
                {
                    l.next_run += 1;
                } else if ticket.slot >= 0 && ticket.slot + 1 == l.runs.len() as i64 {
                    // Of the run before the last lift. (One sent after its last refusal, in
                    // flight through a `Retry-After` pause, passed in the next window, as
                    // `next_run` counts; counted in the lift's run, buckets fared worse: one
                    // with stalls, raised, 0.682 -> 0.584.)
                    l.unsure += 1;
                } else if ticket.slot == l.runs.len() as i64 {
                    l.run_ok += 1;
                    l.run_from.get_or_insert((ticket.sent - rtt_hi, now));
                    if l.closed_at.is_some_and(|at| ticket.sent > at) {
                        l.closed_at = None;
                        l.reopened_at = Some(now);
                        // A window reopens only past a boundary: each time no sooner
                        // after the lift that began the run than the shortest period
                        // its throttle's refusals, all in one window, allow.
                        let period_lo = l.period_lo(rtt_hi);
                        let from = l.lifts.last().map_or(f64::NEG_INFINITY, |lift| lift.0);
                        if now > from + (l.reopened + 1) as f64 * period_lo {
                            l.reopened += 1;
                        }
                    }
                }
            }
            Answer::Throttled(wait) => {
                if ticket.slot == l.runs.len() as i64 {
                    // Refused though sent after a refusal of its run was answered:
                    // the limiter is closed, not a request racing the one before.
                    l.closed |= l.refused_at.is_some_and(|at| ticket.sent > at);
                    l.refused_at.get_or_insert(now);
                    if l.reopened_at.is_none_or(|at| ticket.sent > at) {
                        l.closed_at.get_or_insert(now);
                    }
                }
                let next = if wait.is_some() { pause_until } else { now };
                let clock = self.clock;
                // Out when one at a time began: refused, it says only what the ending's
                // throttle said. (Begun again from it, a window's boundary passed just then
                // was taken for that throttle's lift, and the window learnt one short: at
                // one draw of round trips, 20 per 2 s took 6 `429`s in a window.)
                let stale = wait.is_none()
                    && l.serial_ending
                    && l.unlifted_at.is_some_and(|at| ticket.sent < at);
                if stale {
                    l.count_serial(ticket.sent, true);
                }
                match &mut l.throttle {
                    Some(t) => {
                        t.last_fail = t.last_fail.max(ticket.sent);
                        if ticket.kind == Kind::Lift {
                            t.out = false;
                            if t.pre_tick == Some(PreTick::Out(ticket.sent)) {
                                t.pre_tick = Some(PreTick::Refused(ticket.sent));
                            }
                            t.next = if wait.is_some() {
                                next
                            } else {
                                next_or_pre_tick(clock, now, t)
                            };
                            t.gap *= PROBE_GROWTH;
                        } else if wait.is_some() {
                            t.next = t.next.max(next);
                        }
                    }
                    None if ticket.slot == l.runs.len() as i64 && !stale => {
                        l.guess = Some(l.guess.unwrap_or(0).max(l.run_ok));
                        // The first probe goes a round trip later, whatever the
                        // clock: capacity that returns gradually shows in it (but
                        // for the pre-tick's throttle, below).
                        let gap = rtt.max(1e-3);
                        // (None after a `Retry-After` pause, which a success in
                        // flight does not end: its refusals may span two windows.)
                        let period_lo = if l.blurred { 0.0 } else { l.period_lo(rtt_hi) };
                        // After a lift whose run since got as many as the run
                        // before (what that one took has all come back), nothing
                        // comes back sooner than the shortest period after the
                        // lift's lower bound: a window's next boundary, a log's
                        // next aging. A shorter run may have left a log's slots
                        // to age, and so may what a shape learnt before sent.
                        let full_run = first_learning
                            && l.runs
                                .last()
                                .is_some_and(|&r| r >= MIN_ALLOWANCE && l.run_ok >= r);
                        let quiet = l
                            .lifts
                            .last()
                            .filter(|_| full_run && period_lo > 0.0)
                            .map_or(0.0, |&(lo, _)| lo + period_lo);
                        // After such a run and a lift at the clock's probe of a
                        // period, with no `Retry-After`: no probe a round trip on
                        // (the first throttle's was refused), and one a longest round
                        // trip before that period's next boundary on the clock, among
                        // the clock's and a log's: a window on the clock refuses it
                        // and lifts at the boundary.
                        let pre_tick = l
                            .clock_next
                            .filter(|_| full_run && wait.is_none())
                            .map(|boundary| (boundary - rtt_hi, boundary))
                            .filter(|&(at, _)| at > now + gap && at >= quiet)
                            .map(|(at, boundary)| PreTick::Due { at, boundary });
                        let t = l.throttle.insert(Throttle {
                            began: ticket.sent,
                            answered: now,
                            last_fail: ticket.sent,
                            next: if wait.is_some() {
                                next
                            } else {
                                (now + gap).max(quiet)
                            },
                            clock_at: None,
                            pre_tick,
                            quiet,
                            gap: gap * PROBE_GROWTH,
                            out: false,
                            clock_tried: periods_under(period_lo),
                            minute_retried: false,
                            log_from: l.run_from.filter(|_| !l.from_clock_window),
                            log_tried: 2 * CLOCK_PERIODS
                                .iter()
                                .take_while(|&&p| p <= LOG_ROUND_TRIPS * rtt_hi)
                                .count(),
                            log_probe: false,
                            period_lo,
                        });
                        if pre_tick.is_some() {
                            t.next = next_or_pre_tick(clock, now, t);
                        }
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
        if let State::Learning(l) = &mut self.state
            && l.unlifted >= UNLIFTED_MAX
            && let Some((from, ok)) = l.unlifted_from
            && self.ok_since_first > ok
            && now > from
        {
            // Capacity returning gradually: a rate, what passed since the first
            // throttle without a lift, or the one at a time after it (the client,
            // sending freely, kept the limiter spent since).
            let per_second = (self.ok_since_first - ok) as f64 / (now - from);
            // But in the first learning (its lifts not at a `Retry-After` pause's end), not
            // one faster than the last lift's throttle allows, from throttles that began
            // within as long after the lift: a bucket drained when that throttle began gave
            // a token back within an interval, so its refusals, an interval or more of them,
            // refute the rate (a log reopening frees its run in a lump just after its lift:
            // 2,296 a second after 3 s closed). Later throttles are not bounded: a limiter
            // that lets its capacity back gradually after a long first throttle (a sliding
            // window's weighted count) would otherwise never end the learning. The
            // throttles refused are dropped, so that a later answer does not measure them
            // over the time since; `UNLIFTED_MAX` new ones may show a rate. Not in a
            // relearning: one often follows a pause, which a bucket's refill stopped, and
            // there the bound does not hold (paused buckets: 4.4% to 22.9% `429`s).
            let period_lo = l.period_lo(rtt_hi);
            let after_lift = l.lifts.last().is_some_and(|&(_, hi)| from - hi < period_lo);
            if first_learning && !l.blurred && after_lift && per_second * period_lo > 1.0 {
                (l.unlifted, l.unlifted_at, l.unlifted_from) = (0, None, None);
                l.serial_ending = false;
                return;
            }
            let mut rate = Rate::new(per_second, false);
            rate.measured = true;
            if answer == Answer::Passed {
                rate.drained_at(ticket.sent, now, self.share);
            }
            self.epoch += 1;
            self.state = State::Rate(rate);
            // The refuted window's hint is this learning's, spent here.
            self.refuted = None;
        }
    }

    /// Two lifts, the last sent at `sent`: the shape, from the second run against the first.
    pub(super) fn learnt(&mut self, now: f64, sent: f64, tested: bool, unsure: u64) {
        let State::Learning(l) = &self.state else {
            return;
        };
        // The windows each run held. A run of exactly twice the one before passed the serial
        // phase whole and was refused at its end: it crossed a boundary unseen (a short run
        // before it, from a late start or a window others had spent, is exactly half only by
        // chance); one of `m` times the one before held `m` where it reopened at least
        // `m - 2` times (one at a time, a boundary passes with no `429`). And a fixed window
        // refuses everything after its first refusal until its boundary: a run reopened each
        // time it crossed one. At 16 at once with round trips of 0.5-2 s, a window of 30 per
        // 6 s was learnt as 90 per 18 s or 60 per 10.5 s, and its later boundaries never
        // showed the windows between.
        let multiple = |j: usize| {
            let (before, run) = (j.checked_sub(1).map_or(0, |i| l.runs[i]), l.runs[j]);
            let m = if before >= MIN_ALLOWANCE && run.is_multiple_of(before) {
                run / before
            } else {
                1
            };
            if m >= 2 && l.reopenings[j] + 2 >= m {
                m
            } else {
                1
            }
        };
        // But no more windows than the run has room for at the allowance the run before
        // showed (a window's allowance is taken not to shrink within a learning): a log's
        // run at loopback round trips, racing its slots as they come free, reopens without
        // a boundary, and a lift bounded from below only by its throttle's first refusals
        // leaves the reopening's own bound nothing to hold.
        let mut run_windows = Vec::with_capacity(l.runs.len());
        for j in 0..l.runs.len() {
            let mut m = multiple(j).max(1 + l.reopenings[j]);
            let allowance = j.checked_sub(1).map_or(0, |i| l.runs[i] / run_windows[i]);
            if allowance >= MIN_ALLOWANCE {
                m = m.min(l.runs[j].div_ceil(allowance).max(1));
            }
            run_windows.push(m);
        }
        let windows = |j: usize| run_windows[j];
        let n = l.runs.len();
        let (first, last) = (l.runs[n - 2], l.runs[n - 1]);
        let b = l.lifts[l.lifts.len() - 1];
        // The shape from the multiple alone: reopenings count a window's windows, not a log's
        // slots coming free.
        let mut second = last / multiple(n - 1);
        let window = second >= 2 && second as f64 >= GRADUAL * first as f64;
        if window {
            second = last / windows(n - 1);
        }
        // Each lift bounds a boundary, one window after the one before (as many as its run
        // held).
        let mut k = -1;
        let bounds: Vec<Bound> = l
            .lifts
            .iter()
            .enumerate()
            .map(|(j, &(lo, hi))| {
                k += windows(j) as i64;
                Bound { k, lo, hi }
            })
            .collect();
        let (w_lo, w_hi) = period(&bounds);
        let (lo1, hi1) = l.lifts[n - 2];
        let (_, hi2) = l.lifts[n - 1];
        let (began, answered, from) = l.waits[n - 2];
        // A bucket drained at a throttle's first refusal gives a token back within one
        // interval, and the next one an interval later: a second lift sooner after the
        // first than the first came after that refusal is no bucket's, but a sliding log's,
        // freeing the run before it as fast as that run came. Nor a window's, whatever the
        // run: that refusal arrived in the window the first lift ended, less than a period
        // before it, and a window's second lift comes a period after its first (a log at
        // loopback round trips, raced as it freed its first run, gave a second run of 29 of
        // 30 and was paced as a window of 13 ms: 20% `429`s). The refusal is placed at its
        // answer where that is later than its sending and a longest round trip: one held up
        // on its way takes no window for a log. Its limit is the larger run (the second
        // passed whole in less than a period); its hold at most the first lift less the
        // first run's first sending (`log_hold` shortens it to what the successes show).
        let as_log = from
            .filter(|_| first >= MIN_ALLOWANCE)
            .filter(|_| hi2 - lo1 < lo1 - answered.max(began + self.rtt_hi()))
            .map(|early| hi1 - early);
        let window = window && as_log.is_none();
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
        self.epoch += 1;
        if window {
            self.refuted = None;
            // Under headroom, the runs after the first were whole windows, as many as each
            // held.
            let held: u64 = (1..n).map(windows).sum();
            let debt = held as f64 * second as f64 * (1.0 - self.share);
            let mut w = Window::new(second, bounds, debt, self.clock, tested);
            let (p_lo, p_hi) = w.period();
            let period = (p_lo + p_hi) / 2.0;
            if self.rtt_hi() >= BOUNDARY_SLACK * period {
                // Round trips of an eighth of the period or more: a pass bounds a boundary
                // only at its answer, so the boundaries stay known to worse than the slack,
                // and each arrival scatters over much of the window. The window's spread
                // waits on boundaries the model cannot know; an even pace does not. Its rate
                // counts as measured (headroom's share at once, slow upward steps) only where
                // the period is exact: from bounds wide apart, 30 per 6 s was taken for 4.2
                // to 5.6 a second. The learning's windows repay their debt first.
                let mut rate = Rate::of_window(second, period);
                let exact = p_lo == p_hi;
                rate.confirmed = exact;
                rate.baselined = exact;
                rate.next = now + debt / rate.pace(self.share);
                self.state = State::Rate(rate);
                return;
            }
            // They passed in the first of the windows the run held: the allowance, the run
            // over its windows, is short by their share, rounded up.
            w.unsure = unsure.div_ceil(windows(n - 1));
            w.burst_due = !self.log_tested;
            self.log_tested = true;
            self.state = State::Window(w);
        } else {
            // A bucket is empty at each throttle: what passed between the first and the last
            // is its rate times the time between them (not until the lift: the wait for it,
            // long when probes wait for the clock's boundaries, sent nothing but the probe).
            let since = self.first_throttle.unwrap_or(now);
            let passed = self.ok_since_first.saturating_sub(1).max(1);
            let per_second = passed as f64 / (b.0 - since).max(1e-3);
            if let Some(hold) = as_log {
                self.refuted = None;
                self.enter_log(first.max(last), hold);
                return;
            }
            if let Some(limit) = self.refuted.take()
                && limit >= MIN_ALLOWANCE
            {
                // A window refuted, then capacity returning gradually: a sliding log, which
                // a client sending bursts took for a window; its allowance is the log's
                // limit, and the rate says the period far better than the window's lifts.
                self.enter_log(limit, limit as f64 / per_second);
                return;
            }
            let mut rate = Rate::new(per_second, false);
            rate.guessed = passed < RATE_FIRST_SAMPLES as u64;
            rate.drained_at(sent, now, self.share);
            self.state = State::Rate(rate);
        }
    }
}
