//! Capacity returning gradually: a rate measured from successes and throttles.
//!
//! The client paces at the rate that passed between the first and the last throttle (a
//! bucket is empty at each; where a window taken for a log showed a bucket's burst, from
//! the first throttle to then: `burst_rate` in `mod.rs`), from an interval after the
//! success that ended the learning (it took the bucket's token: sent at once, the next
//! request was refused), then at the rate of the last `RATE_SAMPLES` successes, or as many
//! more (up to `RATE_BASELINE`) as span `RATE_SPAN` round trips (a request's sending tells
//! its arrival only to a round trip), leaving out those answered later than `STALL` times
//! the longest round trip expected (held up on their way); of `RATE_FIRST_SAMPLES`, under
//! throttling, the first time, and again at each throttled success after it until those are
//! a full sample (the first estimate is rough, and so is one from a few successes; a rate a
//! window turned into was counted over whole windows and is not). They are measured, when
//! throttled, at their sendings (the pace spaces them evenly; the round trip's jitter
//! scatters their answers), and once the last `RATE_BASELINE` successes hold two `429`s at
//! least twice `RATE_SAMPLES` successes apart, at the rate between the first and the last
//! of those (a bucket is empty at each; over a few successes, a refused request's lost slot
//! set the pace a few percent under the limit after each throttle; until those last
//! successes, throttled `LOWERED_REFUSALS` times per `RATE_SAMPLES`, go a tenth slower: a
//! lowered limit, measured again from them). The client paces `RATE_PROBE` above it (so
//! that it stays measured, and a raise shows), a step that doubles each `RATE_SAMPLES`
//! successes without a `429` until a throttle has measured it, and each `RATE_BASELINE`
//! after (a limit raised), up to `RATE_PROBE_MAX` (a first estimate far too low rises in
//! minutes, not hours). Under headroom the rate is paced at its share only once measured
//! between throttles, or under throttling over twice `RATE_SAMPLES` successes spanning
//! `RATE_SPAN` round trips, and then kept from further measures under throttling (paced at
//! its share of an estimate, the client would measure that share and never rise); the
//! latter only until `SPANNED_QUIET` successes without a `429`, when it is paced whole
//! again until one (a sample that held a drain set it low). A first rate from fewer than
//! `RATE_FIRST_SAMPLES` successes (a relearning whose throttles held all but its probes) is
//! a guess: until a `429`, it rises by `RATE_PROBE_MAX` each `RATE_FIRST_SAMPLES` successes
//! sent at the pace (a slower caller says nothing of the limit), and a `429` of a request
//! sent after a rise takes that rise back: the pace before it passed. A rate refused
//! throughout for `BLACKOUT` of its intervals, nothing passing, is no rate (a window or a
//! log closed): learning starts over, so that probes, not the pace, find when capacity
//! returns. So does a rate measured under `COLLAPSE` of the highest it was measured at (a
//! first estimate or a guess is not measured): a cut that deep is rare, but a window others
//! spend whole now and then, taken for a rate, is measured lower each time. Refused
//! throughout for half a `BLACKOUT`, after `RATE_BASELINE` successes since it was learnt or
//! last so, or closed (from its first refusal's sending to the sending of the success that
//! ends it) for at most `PAUSE_SHARE` of the time it was open before (from the sending of
//! its first success since learnt or last so), a rate was paused, not lowered: its measures
//! start again from the success that ends it. (A limit the client paces up to an eighth
//! above, a log taken for a rate and lowered by a tenth, closes as briefly: taken for
//! paused, it costs its closings' refusals, up to a ninth of its requests, not its pace.)

use super::*;

/// Successes over which a gradual limiter's rate is measured (at least).
pub(super) const RATE_SAMPLES: usize = 32;
/// Round trips a rate's sample spans (up to `RATE_BASELINE`): a sending tells its arrival to one.
pub(super) const RATE_SPAN: f64 = 8.0;
/// Times the longest round trip past which a success was stalled: out of the short measure.
pub(super) const STALL: f64 = 2.0;
/// Successes a rate is measured over between its first and last throttle, at most.
pub(super) const RATE_BASELINE: usize = 512;
/// Refusals per `RATE_SAMPLES` successes that, with those a tenth slower, show a lowering.
pub(super) const LOWERED_REFUSALS: usize = 3;
/// Successes under throttling that replace a bucket's first, rough rate.
pub(super) const RATE_FIRST_SAMPLES: usize = 4;
/// Intervals of the pace refused throughout that end a rate (paced at it, a bucket never is).
pub(super) const BLACKOUT: u32 = 64;
/// Successes without a `429` after which a rate measured in a throttled sample is paced whole.
pub(super) const SPANNED_QUIET: u32 = 4 * RATE_BASELINE as u32;
/// A rate measured under this share of its highest is learnt again.
pub(super) const COLLAPSE: f64 = 1.0 / 16.0;
/// A closed stretch at most this share of the open one before it is a pause, not a cycle.
pub(super) const PAUSE_SHARE: f64 = 0.125;
/// A gradual limiter is paced this much above its measured rate, so that it stays measured.
pub(super) const RATE_PROBE: f64 = 0.005;
/// The most a gradual limiter is paced above its rate (the step doubles while none is refused).
pub(super) const RATE_PROBE_MAX: f64 = 0.1;

/// A rate learnt (or set): the pace, and the successes and refusals it is measured from.
#[derive(Clone, Debug)]
pub(super) struct Rate {
    pub(super) per_second: f64,
    pub(super) fixed: bool,
    pub(super) next: f64,
    /// The last successes' sendings and answers.
    pub(super) passed: VecDeque<(f64, f64)>,
    pub(super) last_throttle: f64,
    /// The rate was measured over a full sample, between throttles, or over whole windows:
    /// not a first estimate, nor a measure of a few throttled successes (rough, measured
    /// again at each throttled success until a full sample).
    pub(super) measured: bool,
    /// Successes since the last `429`.
    pub(super) quiet: u32,
    /// A throttle has measured the rate (or windows counted it).
    pub(super) confirmed: bool,
    /// Sendings of the last `RATE_BASELINE` successes, and of the refusals since the oldest
    /// (at most as many: a server refusing everything grows nothing).
    pub(super) baseline: VecDeque<f64>,
    pub(super) refusals: VecDeque<f64>,
    /// The first rate came from too few successes to be an estimate: until a `429`, it
    /// rises by `RATE_PROBE_MAX` each `RATE_FIRST_SAMPLES` successes.
    pub(super) guessed: bool,
    /// The sending of the first of the `RATE_FIRST_SAMPLES` successes a guess rises after.
    pub(super) guess_from: f64,
    /// The answer that last raised a guess: a `429` of a request sent after it is the rise's.
    pub(super) risen_at: f64,
    /// The rate was measured between throttles: a short sample holding one is no better.
    pub(super) baselined: bool,
    /// The last measure under throttling was over at least twice `RATE_SAMPLES` successes,
    /// a sample (`sampled`) spanning `RATE_SPAN` round trips or holding `RATE_BASELINE`:
    /// exact enough to pace a headroom's share at (until `SPANNED_QUIET`).
    pub(super) spanned: bool,
    /// The sending of the first refusal since the last success, and the refusals since.
    pub(super) refused_since: Option<(f64, u32)>,
    /// The highest rate measured (a first estimate or a guess is not).
    pub(super) peak: f64,
    /// Successes since the rate was learnt, or last closed a while (`closed`).
    pub(super) open: u32,
    /// The sending of the first of those.
    pub(super) open_since: f64,
}

impl Rate {
    /// A window's rate, `allowance` each `period`: counted over whole windows, not a few
    /// successes, so not a rough estimate for a handful of throttled successes to replace
    /// (`confirmed`, which a caller whose period is in doubt clears).
    pub(super) fn of_window(allowance: u64, period: f64) -> Self {
        let mut rate = Self::new(allowance as f64 / period.max(1e-3), false);
        rate.measured = true;
        rate.confirmed = true;
        rate
    }

    pub(super) fn new(per_second: f64, fixed: bool) -> Self {
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
            risen_at: f64::INFINITY,
            baselined: false,
            spanned: false,
            refused_since: None,
            peak: 0.0,
            open: 0,
            open_since: f64::NEG_INFINITY,
        }
    }

    /// A request sent at `sent`, answered at `now`, found the bucket empty (a success took
    /// its last token, or a refusal found none): the next request goes an interval (at the
    /// pace, under a headroom leaving `1 − share`) after it, and one request at most at once
    /// (a slot past is no burst).
    pub(super) fn drained_at(&mut self, sent: f64, now: f64, share: f64) {
        self.next = (sent + 1.0 / self.pace(share)).max(now);
    }

    /// A `429` of a request sent at `sent`.
    pub(super) fn throttled(&mut self, sent: f64) {
        self.last_throttle = self.last_throttle.max(sent);
        self.refused_since.get_or_insert((sent, 0)).1 += 1;
        self.quiet = 0;
        if self.guessed && sent > self.risen_at {
            // The guess's last rise crossed the limit: back to the pace before it, which
            // passed, measured again from here. (Measured from the samples since the rise, a
            // bucket of one at one request at a time refused every other one, and its rate
            // was half the limit.)
            self.per_second /= 1.0 + RATE_PROBE_MAX;
            self.passed.clear();
        }
        self.guessed = false;
        if self.refusals.back().is_none_or(|&last| sent > last) {
            if self.refusals.len() == RATE_BASELINE {
                self.refusals.pop_front();
            }
            self.refusals.push_back(sent);
        }
    }

    /// Requests a second to send at, under a headroom leaving `1 − share`: the share only
    /// once two throttles far apart, or a throttled sample (`spanned`, for `SPANNED_QUIET`
    /// successes without a `429`), have measured the rate (paced at its share of an
    /// estimate, the client measures that
    /// share: a rate estimated low never rose, and one measured over a few successes after a
    /// single throttle was a step off, with nothing after to correct it).
    pub(super) fn pace(&self, share: f64) -> f64 {
        if self.fixed {
            self.per_second
        } else if self.baselined && share < 1.0 || self.spanned_share(share) {
            self.per_second * share
        } else {
            // Quiet for long, the first estimate was low or the limit was raised: the step
            // doubles each `RATE_SAMPLES` successes without a `429` until a throttle has
            // measured the rate, and each `RATE_BASELINE` after.
            let every = if self.confirmed {
                RATE_BASELINE
            } else {
                RATE_SAMPLES
            } as u32;
            let doublings = (self.quiet / every).min(16);
            let step = (RATE_PROBE * f64::from(1u32 << doublings)).min(RATE_PROBE_MAX);
            self.per_second * (1.0 + step)
        }
    }

    /// Nothing passed for `BLACKOUT` intervals of the pace (under a headroom leaving
    /// `share`), refused throughout: capacity is not returning at any rate (a window or a
    /// log closed, a limit collapsed), and paced on, the client would send only refusals
    /// until it opens (a log of 6,000 an hour drew 9,800 of them in 2,200 s).
    pub(super) fn blacked_out(&self, share: f64) -> bool {
        !self.fixed
            && self.refused_since.is_some_and(|(from, refused)| {
                refused >= BLACKOUT / 2
                    && self.last_throttle - from >= f64::from(BLACKOUT) / self.pace(share)
            })
    }

    /// Refused throughout, nothing passing, for half of `BLACKOUT` intervals: closed a while.
    fn closed(&self, share: f64) -> bool {
        self.refused_since.is_some_and(|(from, refused)| {
            refused >= BLACKOUT / 4
                && self.last_throttle - from >= f64::from(BLACKOUT / 2) / self.pace(share)
        })
    }

    /// Measured under `COLLAPSE` of the highest it was measured at.
    pub(super) fn collapsed(&self) -> bool {
        !self.fixed && self.per_second < COLLAPSE * self.peak
    }

    /// Under headroom, paced at the share of a rate a throttled sample measured, not yet
    /// lapsed (`SPANNED_QUIET`).
    fn spanned_share(&self, share: f64) -> bool {
        share < 1.0 && self.spanned && self.quiet < SPANNED_QUIET
    }

    /// The successes kept are enough to measure the rate from.
    fn sampled(&self, rtt_hi: f64) -> bool {
        self.passed.len() >= RATE_SAMPLES
            && (self.span(|p| p.0) >= RATE_SPAN * rtt_hi || self.passed.len() == RATE_BASELINE)
    }

    /// A success of a request sent at `sent`, answered at `now`, round trips lasting up to
    /// `rtt_hi`; `stalled` on its way (see `STALL`); `share` is the share of the limit the
    /// client uses.
    pub(super) fn passed(&mut self, sent: f64, now: f64, rtt_hi: f64, stalled: bool, share: f64) {
        let closed = self.closed(share);
        // The closed stretch's first refusal (`closed` implies one).
        let closed_from = self.refused_since.take().map(|(from, _)| from);
        if self.fixed {
            return;
        }
        // Refused throughout for half a blackout, after holding for `RATE_BASELINE`
        // successes or eight times as long as it was closed: paused, not lowered (a bucket
        // whose refill stopped a while). The closed stretch is no measure of the rate, so
        // measures start again from here: over it, a bucket of 10 a second paused 5 s in 300
        // was measured at 3 a second, each time. Closed again sooner, it is measured with
        // its closings (a log halved, paced as a rate, closes as long as it opened, and more
        // often).
        if closed {
            // (A success sent before the closed stretch, answered late, or one ending a
            // stretch closed before any success, says nothing of how long it was open.)
            let paused = self.open >= RATE_BASELINE as u32
                || closed_from.is_some_and(|from| {
                    self.open > 0
                        && sent > from
                        && sent - from <= PAUSE_SHARE * (from - self.open_since)
                });
            if paused {
                self.passed.clear();
                self.refusals.clear();
                self.baseline.clear();
            }
            self.open = 0;
        }
        if self.open == 0 {
            self.open_since = sent;
        }
        self.open = self.open.saturating_add(1);
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
                self.risen_at = now;
                self.passed.clear();
                return;
            }
        }
        if !stalled {
            self.passed.push_back((sent, now));
        }
        // The first answered goes while the rest, from the next one's sending to the latest,
        // still span enough.
        let latest = self
            .passed
            .iter()
            .map(|p| p.0)
            .fold(f64::NEG_INFINITY, f64::max);
        while self.passed.len() > RATE_BASELINE
            || self.passed.len() > RATE_SAMPLES && latest - self.passed[1].0 >= RATE_SPAN * rtt_hi
        {
            self.passed.pop_front();
        }
        if self.baseline.len() == RATE_BASELINE {
            self.baseline.pop_front();
        }
        self.baseline.push_back(sent);
        let oldest = self.baseline.iter().copied().fold(f64::INFINITY, f64::min);
        while self.refusals.front().is_some_and(|&r| r < oldest) {
            self.refusals.pop_front();
        }
        // A lowered limit: the last successes, throttled `LOWERED_REFUSALS` times per
        // `RATE_SAMPLES` of them, went a tenth slower than the rate between throttles, which
        // the old limit's throttles would hold for up to `RATE_BASELINE` successes. Measure
        // from these on.
        let first_sent = self
            .passed
            .iter()
            .map(|p| p.0)
            .fold(f64::INFINITY, f64::min);
        if self.baselined && self.sampled(rtt_hi) {
            let n = self.passed.len();
            let recent = (n - 1) as f64 / self.span(|p| p.0);
            let refused = self.refusals.iter().filter(|&&r| r >= first_sent).count();
            if refused * RATE_SAMPLES >= LOWERED_REFUSALS * n
                && recent < self.per_second * (1.0 - RATE_PROBE_MAX)
            {
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
                self.peak = self.peak.max(self.per_second);
                return;
            }
        }
        let n = self.passed.len();
        // Throttled during the samples: the limiter set the rate (measured from as few as
        // `RATE_FIRST_SAMPLES` while the first estimate stands, it is rough; and so is that
        // measure, taken again at each throttled success until a full sample: from four, a
        // bucket of 2 a second was paced at 2.43 for 16 s). Else the pace did, and the
        // limit is at least that.
        let throttled = self.last_throttle >= first_sent;
        let rough = throttled && n >= RATE_FIRST_SAMPLES && !self.measured;
        // Under headroom, paced at the share of a rate measured well, a sample measures the
        // pace: it is kept.
        let kept = self.baselined || self.spanned_share(share);
        if !(self.sampled(rtt_hi) || rough) || throttled && kept {
            return;
        }
        // Throttled, the rate is measured at the sendings, which the pace spaces evenly (the
        // answers, scattered by the round trip's jitter, would set it a few percent off, and
        // each percent above is as many `429`s); answers overtake each other, so the
        // sendings are not in order. Unthrottled, at the answers: the limit is at least what
        // came back.
        self.measured = !rough || self.sampled(rtt_hi);
        self.confirmed |= throttled;
        let measured = if throttled {
            (n - 1) as f64 / self.span(|p| p.0)
        } else {
            self.per_second.max((n - 1) as f64 / self.span(|p| p.1))
        };
        if throttled {
            self.spanned = n >= 2 * RATE_SAMPLES && self.sampled(rtt_hi);
        }
        self.per_second = measured;
        self.peak = self.peak.max(measured);
    }
    /// The time the last successes' sendings (or answers) span.
    pub(super) fn span(&self, at: fn(&(f64, f64)) -> f64) -> f64 {
        let first = self.passed.iter().map(at).fold(f64::INFINITY, f64::min);
        let last = self.passed.iter().map(at).fold(f64::NEG_INFINITY, f64::max);
        (last - first).max(1e-6)
    }
}
