//! A fixed window: its allowance, its boundaries as intervals, and when the next request
//! may go.
//!
//! Every boundary observed is kept as an interval `lo < B(k) ≤ hi` (a request sent at `lo`
//! was refused, one answered at `hi` passed); the period's bounds are what every pair of
//! those intervals allows, and each boundary is predicted as an interval from them; where
//! they allow exactly one period of `CLOCK_PERIODS` (or, where they allow none of them,
//! exactly one whole number of seconds: 6 s is not on the list) and, the clock known, every
//! interval holds a boundary on the clock of a window of that period (consecutive multiples
//! for consecutive windows), the period is that one exactly (a limiter's window is taken to
//! be a round number of seconds; one that is not, whose bounds are still wide, can be taken
//! for a wrong one and kept: a window of 4.5 s, at 16 at once with slow round trips, as 11
//! s at one start), until evidence rules it out: a boundary's interval then keeps what the
//! probes found however many windows on, instead of widening by the period's uncertainty
//! each window. A period a little shorter than the round one would never be ruled out (its
//! boundaries come earlier each window, and the requests at a window's end count in the
//! next: a lowering, no bound), so a lowering under a round period also probes the next
//! boundary, at most once in `LOW_SPACING` requests. `BOUNDS_KEPT` are kept: the first (the
//! longest baseline), the newest, the last from above and the last from below, and the most
//! recent others. In a window known to have begun (its boundary's upper bound is past) the
//! allowance, times the headroom setting, is **spread evenly** from that bound to the next
//! boundary's lower bound less a round trip, so that no request can land in the next
//! window. (A window whose round trips last `BOUNDARY_SLACK` of its period or more when it
//! is learnt is paced as a rate instead: `learning.rs`.) What the spread leaves unsent
//! (round trips grown since, or requests out too few to carry it) goes from there to the
//! next boundary's upper bound, each request counted in both windows it may land in
//! (until an answer, passed or refused, before that boundary's lower bound shows it landed
//! in its own window, which alone counts it), so that neither can be sent past its
//! allowance. The next window then spaces only the rest of its allowance (an
//! upward probe, its own budget above them), sends its first request with the others (but
//! the burst's, below), takes what it let through to include them (up to the allowance; the
//! burst, its own only), and tests neither a boundary (unless a `429` spent it) nor a lower
//! bound (it may not be spent), nor does the window that sent them. Such a request's
//! refusal bounds no boundary from below, its success excuses no shortfall as a spill, and
//! none goes before the window's first success, beyond the allowance, or under headroom
//! (whose debt counts each request once); a boundary's probe due holds none back (it needs
//! the window spent by its own requests, which one short at its spread's end is not: a
//! round period's test, due after a lowering, left every window of a start at slow round
//! trips a third short; the next window, which counts them, probes nothing either, so there
//! the test never goes, as before, and once the allowance is back, each window due for it
//! defers its upward probe). When the next boundary's interval is wider than an eighth of
//! the period (and than two longest round trips, or than both half the period and one
//! longest round trip), one probe at its middle halves it (under a round period on the
//! clock, a longest round trip before the clock's boundary in it and at least half a
//! `BOUNDARY_SLACK` of a period before its upper bound, no sooner than the middle: a window
//! keyed on the epoch refuses it, which bounds the boundary at least as well as halving,
//! and to the tolerance after a lift at the clock's probe, where halving took three or four
//! refusals; at most one probe, so one `429`, a window; a window due for one postpones its
//! upward probe, below, to the next). A window a `429` already spent probes only after a
//! lowering (the windows of a shared limit all end spent, and a boundary never probed again
//! drifts until whole windows go unused), only for a boundary known to worse than a quarter
//! of the period, never after a `Retry-After`, which bounds it already, and not where a
//! lower bound's overdue test (below) goes instead. Under headroom no window is spent to
//! its allowance, and a probe that passes in a window with room left says nothing: a window
//! whose boundary must be probed sends its whole allowance (without it the phase drifts,
//! and `429`s at the mispredicted boundaries wore the allowance down to a quarter), and
//! what such windows, the learning's and upward probes take above the share is a debt the
//! next windows repay, each leaving at most its own headroom more unsent (and at most half
//! its share), so that the share holds over the export.
//!
//! A `429` in a window that had let some requests through, fewer than the allowance, is a
//! lower allowance (the limit was lowered, or someone else shares it; in a window probing
//! upward too): the allowance becomes what passed, and nothing more is sent until the next
//! boundary (and, with a `Retry-After`, whose pause ends past that boundary and so blurs
//! its lift, the refused request's sending bounds the next boundary from below); a `429`
//! before any success is a boundary predicted too early, kept as such. But where at least
//! as many successes of the window before as this one is short of the allowance were
//! answered past this window's boundary's lower bound (a burst that the client's round
//! trips stretched over a boundary known poorly), they may have counted in this window: the
//! allowance is kept, and the boundary came before the answer of the shortfall's latest of
//! them, a hypothesis, the first bound to go when the bounds fit no period; not where round
//! trips last `BOUNDARY_SLACK` of the period or more (every burst spills there, and a
//! shortfall is as often a lowering; a window reaches them only where its round trips
//! grew after it was learnt).
//!
//! A lowering to under `BURST_LATE` of the allowance of a window probing upward right after
//! a window whose upward probe got the old allowance back whole, the `SWINGS`th time within
//! `SWING_GAP` windows of the one before, is not a window's (a smaller one is others'
//! searches, or, at slow round trips, a window's last requests counted in the next: a
//! window of 30 per 6 s at 16 at once and 0.5-2 s round trips, learnt as a window then,
//! ended as a log at 5 of 20 starts): a sliding log lets a window through as fast as the
//! one a period before it and refuses one sent faster; the model becomes a **sliding
//! log** (below). So does a `429` before `BURST_LATE` of the allowance has passed in the
//! *burst* window: once, in the
//! first window learnt, the window after one that was spread (its allowance never sent at
//! once) and passed whole is sent at once (its first request alone, a round trip past the
//! boundary's upper bound, so that against a log it does not race the one it replaces;
//! then, where round trips are short against the window, one more in flight for each
//! success of its own, doubling each round trip, so that the log's refusal finds few out),
//! which a fixed window lets through and a log refuses once the spread window's requests
//! not yet aged fill it. A burst refused at its first request showed a boundary predicted
//! early, and one refused later than that share a lowering (a limit lowered in that window,
//! or others' searches early in it): the next such pair tries again, as it does after a
//! burst whose window ended before its allowance went. Only the first window learnt: a
//! limit that changes is learnt again and again, and followed worse as a log than as a
//! window. In a window, a `Retry-After` also bounds the boundary it waits for from above:
//! by its end, plus `RETRY_AFTER_SKEW` and a round trip. Evidence that contradicts a bound
//! kept for the same boundary replaces it.
//!
//! Upward probes find a raised limit: a window allows a quarter more than the allowance
//! (the step doubling while probes find more), or, after a lowering, the allowance it had
//! before (a limit lowered for a while, or a share someone else took, comes back whole);
//! they run in each window while below that or while they find more, and otherwise once in
//! `UP_SPACING` requests. A lower bound is a refusal, and a refusal can be the client's own
//! doing (a sliding log counting what it sent a period before, a window's requests spilled
//! into the next), which nothing sent later refutes: in the first window after the learning
//! and then once in `LOW_SPACING` requests, a window spent to its allowance without a
//! `429`, whose next boundary needs no probe, sends one an eighth of a period
//! (`BOUNDARY_SLACK`), and at least two round trips, before that boundary's lower bound
//! (none once it could arrive past the bound, where a pass says nothing). A window refuses
//! it (the window's one `429`). A probe refused, sent with nothing else out, counts as a
//! test (the test, sent earlier with nothing between, would have been refused too): a
//! boundary's probe in a window no `429` spent, once its answers were in (not one testing a
//! round period, whose shortfall shows only in the windows after it), and the learning's
//! pre-tick followed by its lift (`learning.rs`: the first window learnt then tests
//! nothing). Upward probes after a lowering can leave no such window (each is spent by a
//! `429`, or finds more): a bound untested for `OVERDUE_LOW` requests is tested in a window
//! probing upward after a lowering that a `429` spent (its second), instead of its
//! boundary's probe (at 16 at once and 0.5-2 s round trips, a learning that took three
//! windows of 100 per 10 s for one was kept as 119 per 27 s, and probed upward every window
//! for good). If it passes where the learning left successes it could not place (its
//! *unsure*: each may have passed in the window whose run became the allowance, short by
//! it), answered before the boundary it tests, in a window no `429` spent, it is read as
//! one of them first: the allowance one more, the test counted in its window, due again at
//! once (before this, at 8 at once and 0.5-2 s round trips, a minute's window learnt 2
//! short was learnt again, 11 and 15 `429`s in two windows). A refused test (or a
//! boundary's probe standing for one), or a window's count that sets the allowance, leaves
//! none unplaced. Otherwise, if it passes, the bounds were wrong: after an upward probe got
//! back an allowance a lowering took, the model becomes a sliding log (or a rate, where its
//! successes bound the log's hold to under two round trips and a second); otherwise
//! learning starts over, and if it finds capacity returning gradually (a log's relearning
//! mostly does), a sliding log of the refuted window's highest allowance (before any
//! lowering). Evidence that contradicts the boundaries (no period fits them all) drops the
//! oldest; when fewer than two remain, learning starts over.

use super::*;

/// A boundary known to worse than this share of the period is probed; round trips as long: a rate.
pub(super) const BOUNDARY_SLACK: f64 = 0.125;
/// The same in a window a `429` spent, where a refused probe is the window's second `429`.
pub(super) const SPENT_BOUNDARY_SLACK: f64 = 0.25;
/// Requests between a steady window's upward probes: 100 a minute raised is found in 3 windows.
pub(super) const UP_SPACING: u64 = 200;
/// Requests between tests of a boundary's lower bound, which the client's own requests may set.
pub(super) const LOW_SPACING: u64 = 500;
/// Requests after which an untested lower bound is tested in a window probing up a `429` spent.
pub(super) const OVERDUE_LOW: u64 = 2 * LOW_SPACING;
/// The first step above the allowance an upward probe tries; doubled after each that finds more.
pub(super) const FIRST_PROBE_STEP: f64 = 0.25;
/// A smaller allowance is a pace, not a window.
pub(super) const MIN_ALLOWANCE: u64 = 3;
/// Lowerings right after the allowance came back whole that show a log, not others' searches.
pub(super) const SWINGS: u32 = 2;
/// Windows within which a swing must follow the one before to count with it.
pub(super) const SWING_GAP: i64 = 4;
/// A burst refused after this share of the allowance passed shows a lowering, not a log.
pub(super) const BURST_LATE: f64 = 0.75;
/// Bounds kept: the oldest gives the period its long baseline, the newest the phase.
pub(super) const BOUNDS_KEPT: usize = 8;

/// `lo < B(k) ≤ hi`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Bound {
    pub(super) k: i64,
    pub(super) lo: f64,
    pub(super) hi: f64,
}

/// A fixed window learnt: its allowance, its boundaries, and the window being counted.
#[derive(Clone, Debug)]
pub(super) struct Window {
    pub(super) allowance: u64,
    /// The allowance was counted up to a `429` (or over a whole window sent at once): after
    /// it, the window is spent, so that a request that passes shows a new window.
    pub(super) exact: bool,
    pub(super) bounds: Vec<Bound>,
    /// The window counted in `sent`, `ok`, `hit`.
    pub(super) index: i64,
    pub(super) sent: u64,
    pub(super) ok: u64,
    /// Requests of this window in flight.
    pub(super) out: u64,
    /// The sending of this window's first `429`: the window is spent.
    pub(super) hit: Option<f64>,
    /// That `429` came with a `Retry-After`, which bounds the next boundary already.
    pub(super) hit_said: bool,
    /// Successes of a boundary probe that passed, counted in the window it opened.
    pub(super) carry: (i64, u64),
    /// Requests sent between a window's spread and the next boundary's upper bound, in the
    /// window whose boundary they wait for: each may land on either side of it, so it is
    /// counted in both windows (in `sent` of the one sending it, and here for the next,
    /// with the sending of the first), until an answer by that boundary's lower bound shows
    /// it landed in its own.
    pub(super) ahead: (i64, u64, f64),
    /// Requests counted in this window's `sent` before it began (its `ahead`): the spread
    /// spaces the rest.
    pub(super) preceded: u64,
    /// Answers of window `k − 1`'s successes that came past `B(k)`'s lower bound: each may
    /// have counted in window `k` (a burst the client's round trips stretched over a
    /// boundary known poorly).
    pub(super) spilled: (i64, Vec<f64>),
    /// The bound an excuse added (its window, and what was kept for it before): a
    /// hypothesis, the first to go where the bounds no longer fit a period.
    pub(super) soft: Option<(i64, Option<Bound>)>,
    pub(super) probed_boundary: i64,
    pub(super) probe_out: bool,
    /// What the allowance may be short by: the successes the learning could not place (its
    /// `unsure`, over the windows the run held, rounded up), until a window's count settles
    /// the allowance. A lower bound's test that passes is read as one of them first, the
    /// allowance one more.
    pub(super) unsure: u64,
    /// The boundary's probe out, refused, stands for a lower bound's test.
    pub(super) probe_tests_low: bool,
    /// This window tries `step` above the allowance.
    pub(super) probing_up: bool,
    pub(super) step: f64,
    /// Probe upward every window (after a lowering).
    pub(super) eager: bool,
    /// The allowance before the last lowering: while below it, each window tries it again
    /// (a limit lowered for a while, or a share taken by someone else, comes back whole).
    pub(super) ceiling: u64,
    pub(super) since_probe: u64,
    /// Requests since the last lower bound tested, or a probe refused that stood for a test
    /// (`LOW_SPACING` at the learning's end, one due at once, unless the learning's last
    /// lift came right after such a probe).
    pub(super) since_low: u64,
    /// The window in which an upward probe got back the allowance a lowering took.
    pub(super) restored: Option<i64>,
    /// Lowerings, in windows probing upward, right after such a window; and the last one.
    pub(super) swings: u32,
    pub(super) last_swing: i64,
    /// Under headroom, requests sent above the share in windows that had to be sent whole
    /// (the learning's, boundary and upward probes), which the next windows leave unsent.
    pub(super) debt: f64,
    /// Seconds since the UNIX epoch at the model's time zero, when known.
    pub(super) clock: Option<f64>,
    /// A window was found short while the period is taken as a round one: a period a
    /// little shorter shows so (the requests at a window's end count in the next), never as
    /// a bound, so the next boundary is probed however well the round period says it is
    /// known.
    pub(super) round_test: bool,
    /// Requests since the last such test (at most one in `LOW_SPACING`).
    pub(super) since_round_test: u64,
    /// A window sent at once right after one spread and passed whole is still to come: a
    /// fixed window lets it through, a sliding log only as fast as the spread one aged.
    /// (Under headroom only a window sent whole, one probing its boundary, is passed whole.)
    pub(super) burst_due: bool,
    /// This window is that burst.
    pub(super) burst: bool,
    /// This window's allowance is spread over it (not sent at once).
    pub(super) spread: bool,
    /// The burst was refused early: a sliding log.
    pub(super) log_shown: bool,
}

/// The period's bounds that every pair of boundaries allows.
pub(super) fn period(bounds: &[Bound]) -> (f64, f64) {
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
    /// A window just learnt: `allowance` each period, the last of `bounds` the boundary of
    /// the window being counted (its lift's request passed in it), a lower-bound test due
    /// unless `tested` (that boundary's lower bound is the refusal of a probe sent alone
    /// just before it, with nothing refused after it: what the test would show).
    pub(super) fn new(
        allowance: u64,
        bounds: Vec<Bound>,
        debt: f64,
        clock: Option<f64>,
        tested: bool,
    ) -> Self {
        let last = bounds[bounds.len() - 1].k;
        Self {
            allowance,
            exact: true,
            bounds,
            index: last,
            sent: 1,
            ok: 1,
            out: 0,
            hit: None,
            hit_said: false,
            carry: (0, 0),
            ahead: (0, 0, f64::INFINITY),
            preceded: 0,
            spilled: (0, Vec::new()),
            soft: None,
            probed_boundary: last,
            probe_out: false,
            unsure: 0,
            probe_tests_low: false,
            probing_up: false,
            step: FIRST_PROBE_STEP,
            eager: false,
            ceiling: 0,
            since_probe: 0,
            since_low: if tested { 0 } else { LOW_SPACING },
            restored: None,
            swings: 0,
            last_swing: i64::MIN,
            debt,
            clock,
            round_test: false,
            since_round_test: LOW_SPACING,
            burst_due: false,
            burst: false,
            spread: true,
            log_shown: false,
        }
    }

    /// The period's bounds; or, where they allow exactly one of `CLOCK_PERIODS` (or none of
    /// them and exactly one whole number of seconds) and every bound kept holds a boundary
    /// of that window on the clock, that period, exactly, until evidence rules it out: each
    /// boundary's interval then keeps what probes found, however far from them it lies,
    /// instead of widening by the period's uncertainty each window.
    pub(super) fn period(&self) -> (f64, f64) {
        let (lo, hi) = period(&self.bounds);
        match self.on_clock(lo, hi) {
            Some(p) => (p, p),
            None => (lo, hi),
        }
    }

    /// The one period of `CLOCK_PERIODS` within `lo..=hi` (or the one whole number of
    /// seconds, if none of them is) whose windows on the clock have a boundary in every bound
    /// kept, at consecutive multiples for consecutive windows.
    fn on_clock(&self, lo: f64, hi: f64) -> Option<f64> {
        let clock = self.clock?;
        let mut fits = CLOCK_PERIODS
            .iter()
            .copied()
            .filter(|&p| lo <= p && p <= hi);
        let p = match (fits.next(), fits.next()) {
            (Some(p), None) => p,
            (Some(_), Some(_)) => return None,
            // A whole number of seconds not on the list, where it is the only one allowed.
            (None, _) => {
                let p = lo.max(1.0).ceil();
                if p > hi || p + 1.0 <= hi {
                    return None;
                }
                p
            }
        };
        // `B(k) = (m + k)·p` on the clock: each bound allows an interval of `m`.
        let (mut from, mut to) = (f64::NEG_INFINITY, f64::INFINITY);
        for b in &self.bounds {
            from = from.max((b.lo + clock) / p - b.k as f64);
            to = to.min((b.hi + clock) / p - b.k as f64);
        }
        (to.floor() > from).then_some(p)
    }

    /// `lo < B(n) ≤ hi`, from every bound kept.
    pub(super) fn boundary(&self, n: i64) -> (f64, f64) {
        self.boundary_in(n, self.period())
    }

    /// [`Self::boundary`] with the period's bounds already computed (a search asks for many).
    pub(super) fn boundary_in(&self, n: i64, (w_lo, w_hi): (f64, f64)) -> (f64, f64) {
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
    pub(super) fn index_at(&self, now: f64) -> i64 {
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

    pub(super) fn add_bound(&mut self, k: i64, lo: f64, hi: f64) -> bool {
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
        // Evidence that no period fits: an excuse's bound goes first (a hypothesis), then the
        // oldest, until one does. Without a period bounded above, nothing can be predicted:
        // learn again.
        loop {
            let (lo, hi) = self.period();
            let consistent = lo <= hi && self.bounds.iter().all(|b| b.lo < b.hi);
            if consistent {
                return !hi.is_finite();
            }
            if let Some((sk, before)) = self.soft
                && sk != k
                && let Some(i) = self.bounds.iter().position(|b| b.k == sk)
            {
                self.soft = None;
                match before {
                    Some(b) => self.bounds[i] = b,
                    None => {
                        self.bounds.remove(i);
                    }
                }
                continue;
            }
            if self.bounds.len() <= 2 {
                return true;
            }
            self.bounds.remove(0);
        }
    }

    /// Whether the next boundary is known to no better than two periods.
    pub(super) fn phase_lost(&self, now: f64) -> bool {
        let (w_lo, w_hi) = self.period();
        let (lo, hi) = self.boundary(self.index_at(now) + 1);
        hi - lo > w_lo + w_hi
    }

    /// Successes of a boundary probe counted in window `n`.
    fn carried(&self, n: i64) -> u64 {
        if self.carry.0 == n { self.carry.1 } else { 0 }
    }

    /// Starts counting window `n`.
    pub(super) fn roll(&mut self, n: i64, share: f64) {
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
                    self.unsure = 0;
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
            // A burst refused at once (a boundary predicted early) showed nothing: due again;
            // so did one the window ended before its allowance went, with no `429`.
            self.burst_due |=
                self.burst && (self.ok == 0 || self.hit.is_none() && self.sent < self.allowance);
            let spread_whole = n == self.index + 1
                && self.spread
                && !self.burst
                && self.hit.is_none()
                && self.ok >= self.allowance;
            self.burst = self.burst_due && spread_whole;
            self.burst_due &= !self.burst;
            self.hit = None;
        } else {
            // Back in a window a `429` showed to be spent: no burst there.
            self.hit = Some(f64::NEG_INFINITY);
            self.burst = false;
        }
        self.hit_said = false;
        self.spread = true;
        self.index = n;
        let carried = self.carried(n);
        self.preceded = if self.ahead.0 == n { self.ahead.1 } else { 0 };
        self.sent = carried + self.preceded;
        self.ok = carried;
        self.out = 0;
        self.probing_up = n > 0 && (self.eager || self.since_probe >= UP_SPACING);
        if self.probing_up {
            self.since_probe = 0;
        }
    }

    pub(super) fn next_send(
        &mut self,
        now: f64,
        rtt_hi: f64,
        share: f64,
    ) -> Result<(i64, Kind), Wait> {
        let n = self.index_at(now);
        let rolled = n > self.index;
        self.roll(n, share);
        let (_, start) = self.boundary(n);
        // The burst starts a round trip past the boundary's upper bound: against a log whose
        // period was learnt exactly, its first request (sent alone) replaces the spread
        // window's first, sent a period before, and was refused whenever its way out was the
        // shorter (half the time), read as a boundary predicted early.
        let start = if self.burst { start + rtt_hi } else { start };
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
            self.since_probe = UP_SPACING;
        }
        if self.hit.is_none() {
            let budget = if self.probing_up {
                // Above the requests sent before the window began: what passes of its own
                // shows whether it allows more (those may have landed in the window before).
                (self.allowance as f64 * (1.0 + self.step))
                    .ceil()
                    .max(self.ceiling as f64)
                    + self.preceded as f64
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
            let end = if self.burst || next_lo - rtt_hi - start < (w_lo + w_hi) / 4.0 {
                start
            } else {
                next_lo - rtt_hi
            };
            self.spread &= end != start;
            // A window's first request goes alone (unless requests sent before it began
            // went already, but for the burst's): refused, it shows the boundary was
            // predicted early, and nothing else was sent into the spent window. Beyond the
            // allowance (an upward probe), one at a time: the first `429` ends it.
            // The burst's in flight grow by one a success of its own (doubling each round
            // trip): a log refuses it a request or two past the first, and each in flight
            // then is a `429`. Not where round trips are long against the window: grown so,
            // it would not get its allowance out before the boundary.
            let carried = self.carried(n);
            let ramp = self.burst && rtt_hi < BOUNDARY_SLACK * (w_lo + w_hi) / 2.0;
            let careful = (self.ok == 0 && (self.preceded == 0 || self.burst)
                || self.sent >= self.allowance
                || ramp && self.out > self.ok.saturating_sub(carried))
                && self.out > 0;
            if self.sent < budget && (now < end || end == start) && careful {
                return Err(Wait::Answer);
            }
            if self.sent < budget && (now < end || end == start) {
                let spread = budget.saturating_sub(self.preceded).max(1);
                let spacing = (end - start).max(0.0) / spread as f64;
                let slot = start + spacing * self.sent.saturating_sub(self.preceded) as f64;
                return if now >= slot {
                    // After requests went ahead (a longest round trip shortened since, and
                    // the spread ends later): counted in the next window too, as they are.
                    if self.ahead.0 == n + 1 {
                        self.ahead.1 += 1;
                    }
                    Ok((n, Kind::Normal))
                } else {
                    Err(Wait::Until(at(slot)))
                };
            }
            // Past the spread's end (and before the next boundary's upper bound, by
            // `index_at`), what the spread left unsent (more than the requests out could
            // carry) goes, each counted in both windows it may land in: this one's
            // allowance and the next one's. Not beyond the allowance (an upward probe's),
            // not before the window's first success, nor under headroom (whose debt counts
            // each request once). A boundary's probe due does not hold them back: it needs
            // the window spent by its own requests, which this one, short, is not.
            if share >= 1.0 && self.exact && self.ok > 0 && self.sent < self.allowance {
                if self.ahead.0 != n + 1 {
                    self.ahead = (n + 1, 0, now);
                }
                self.ahead.1 += 1;
                return Ok((n, Kind::Normal));
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
        // A lower bound untested for `OVERDUE_LOW` requests, every window probing upward
        // after a lowering (each spent by a `429`, or finding more): tested in a window a
        // `429` spent, instead of its boundary's probe (which, passing, bounds nothing from
        // below), where the test can go.
        let overdue =
            self.eager && self.hit.is_some_and(f64::is_finite) && self.since_low >= OVERDUE_LOW;
        // A lower bound the client's own requests caused (a log, a spill) is refuted by
        // nothing it sends later: now and then, test it.
        let low_due = (self.hit.is_none() || overdue)
            && self.exact
            && self.sent >= self.allowance
            && self.preceded == 0
            && self.ahead.0 != n + 1
            && self.probed_boundary < n + 1
            && self.since_low >= LOW_SPACING
            && next_hi.is_finite()
            // Only while it can arrive before the lower bound: sent later, inside the
            // boundary's interval, a pass says nothing.
            && now + rtt_hi < next_lo;
        if let Some(slack) = slack
            && !(overdue && low_due)
            && self.exact
            && self.sent >= self.allowance
            && (self.preceded == 0 || self.hit.is_some())
            && self.ahead.0 != n + 1
            && self.boundary_due(n, rtt_hi, slack)
        {
            // Not while a request of the window is out: the probe could overtake it and pass
            // as the window's last, read as the boundary.
            if self.out > 0 {
                return Err(Wait::Answer);
            }
            let probe_at = self.boundary_probe_at((next_lo, next_hi), rtt_hi);
            if now >= probe_at {
                self.probed_boundary = n + 1;
                self.probe_out = true;
                // Refused, it shows what a lower bound's test, sent earlier with nothing
                // between, would have: in a window no `429` spent, and not where it tests a
                // round period (a period a little shorter shows only in the windows after).
                self.probe_tests_low = self.hit.is_none() && !self.round_test;
                if self.round_test {
                    self.round_test = false;
                    self.since_round_test = 0;
                }
                return Ok((n + 1, Kind::Boundary));
            }
            return Err(Wait::Until(at(probe_at)));
        }
        if low_due {
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

    /// Whether the boundary after window `n` is known to no better than `slack` periods,
    /// and to worse than two longest round trips (a probe's pass bounds it a round trip
    /// late) or than both half a period and one longest round trip (which a probe's pass
    /// would not beat), so that a probe should halve it (and none has yet). Past half a
    /// period, which window is being counted is in doubt: one begun at its boundary's upper
    /// bound can be the next already, and the bounds that follow fit a longer period (a
    /// window of 30 per 6 s at 16 at once and 0.5-2 s round trips learnt as 8.6 s).
    pub(super) fn boundary_due(&self, n: i64, rtt_hi: f64, slack: f64) -> bool {
        let (w_lo, w_hi) = self.period();
        let (next_lo, next_hi) = self.boundary(n + 1);
        let uncertain = next_hi - next_lo;
        self.probed_boundary < n + 1
            && next_hi.is_finite()
            && (self.round_test
                || uncertain > slack * (w_lo + w_hi) / 2.0
                    && (uncertain > 2.0 * rtt_hi || uncertain > ((w_lo + w_hi) / 4.0).max(rtt_hi)))
    }

    /// When a probe of the boundary known as `lo < B ≤ hi` goes: at the middle (less half a
    /// longest round trip: it arrives there), so that, refused or passed, it halves the
    /// interval; but where
    /// the period is taken as a round one on the clock, a window keyed on the epoch has its
    /// boundary on the clock (the latest such in the interval), and the probe goes a longest
    /// round trip before it, and at least half a `BOUNDARY_SLACK` of a period before `hi`,
    /// no sooner than the middle. Refused, it bounds the boundary at least as well as
    /// halving, and to the tolerance where `hi` lies just past the clock's boundary (a lift
    /// at the clock's probe, where halving took three or four refusals); passed (sent a round
    /// trip before the clock's boundary), the boundary was not on the clock, and came before
    /// the probe's answer.
    fn boundary_probe_at(&self, (lo, hi): (f64, f64), rtt_hi: f64) -> f64 {
        let middle = (lo + hi - rtt_hi) / 2.0;
        let (p, p_hi) = self.period();
        let Some(clock) = self.clock.filter(|_| p == p_hi) else {
            return middle;
        };
        let tick = ((hi + clock) / p).floor() * p - clock;
        if tick <= lo {
            return middle;
        }
        (tick - rtt_hi)
            .min(hi - BOUNDARY_SLACK * p / 2.0)
            .max(middle)
    }

    /// Whether `ticket` was sent after its window's spread, counted in the next window too:
    /// it may have landed in either.
    fn sent_ahead(&self, ticket: Ticket) -> bool {
        ticket.kind == Kind::Normal
            && self.ahead.0 == ticket.slot + 1
            && ticket.sent >= self.ahead.2
    }

    /// Whether `ticket`, answered at `now`, landed in its own window for sure: answered
    /// (passed or refused; a failed one may never have arrived) by the next boundary's lower
    /// bound.
    fn landed_own(&self, ticket: Ticket, now: f64, answer: Answer) -> bool {
        answer != Answer::Failed && now <= self.boundary(ticket.slot + 1).0
    }

    /// Whether `ticket`, sent ahead, may have landed in the next window: true unless it
    /// landed in its own for sure.
    fn may_be_next(&self, ticket: Ticket, now: f64, answer: Answer) -> bool {
        self.sent_ahead(ticket) && !self.landed_own(ticket, now, answer)
    }

    /// Takes an answer in; true when the evidence no longer fits a window.
    pub(super) fn answered(
        &mut self,
        ticket: Ticket,
        current: bool,
        now: f64,
        answer: Answer,
        said: f64,
        rtt_hi: f64,
    ) -> bool {
        if !current {
            return false;
        }
        if ticket.kind == Kind::Low {
            self.probe_out = false;
            // Passed with nothing refused in its window, answered before the boundary it
            // tests: a success the learning could not place may have been the allowance's
            // own, so the allowance may be short, not the bounds wrong. The test counts in
            // the window it was sent in, which it spent; the next window tests again.
            if answer == Answer::Passed
                && self.unsure > 0
                && self.hit.is_none()
                && ticket.slot == self.index + 1
                && now <= self.boundary(ticket.slot).0
            {
                self.unsure -= 1;
                self.allowance += 1;
                self.sent += 1;
                self.ok += 1;
                // `OVERDUE_LOW`, not `LOW_SPACING`: due in the next window even where a
                // lowering's `429` spends it (the count then cleared, a pass relearns).
                self.since_low = OVERDUE_LOW;
                return false;
            }
            // Refused, the allowance is exact (a request that failed shows nothing).
            if matches!(answer, Answer::Throttled(_)) {
                self.unsure = 0;
            }
            // Passed, capacity came back before a boundary the window's bounds allow: they
            // are not a fixed window's (or no longer), so learn again.
            return answer == Answer::Passed;
        }
        if ticket.kind == Kind::Boundary {
            self.probe_out = false;
            let tests_low = std::mem::take(&mut self.probe_tests_low);
            return match answer {
                Answer::Passed => {
                    self.carry = (ticket.slot, 1);
                    self.add_bound(ticket.slot, f64::NEG_INFINITY, now)
                }
                Answer::Throttled(_) => {
                    if tests_low {
                        self.since_low = 0;
                        self.unsure = 0;
                    }
                    self.add_bound(ticket.slot, ticket.sent, said)
                }
                Answer::Failed => false,
            };
        }
        // A success answered past the next boundary's lower bound (or once the next window
        // has begun) may have counted in the next window.
        if answer == Answer::Passed
            && ticket.kind == Kind::Normal
            && !self.sent_ahead(ticket)
            && (self.index.saturating_sub(ticket.slot) == 1
                || ticket.slot == self.index && now > self.boundary(self.index + 1).0)
        {
            let k = ticket.slot.saturating_add(1);
            if self.spilled.0 != k {
                self.spilled = (k, Vec::new());
            }
            self.spilled.1.push(now);
        }
        // A request sent ahead that landed in its own window: the next one need not count
        // it (at 16 at once and 0.5-2 s round trips, a window of 100 per 10 s sends about a
        // quarter of its allowance ahead).
        if self.sent_ahead(ticket) && self.landed_own(ticket, now, answer) {
            self.ahead.1 = self.ahead.1.saturating_sub(1);
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
                if self.hit.is_some_and(f64::is_finite)
                    && self.ok > self.allowance
                    && !self.may_be_next(ticket, now, answer)
                {
                    self.allowance = self.ok;
                    self.unsure = 0;
                    self.exact = true;
                }
            }
            Answer::Throttled(wait) if self.hit.is_none() => {
                self.hit = Some(ticket.sent);
                self.hit_said = wait.is_some();
                // A request sent ahead may have landed past the boundary (but for one answered
                // before its lower bound): its refusal bounds neither boundary from below.
                let ahead = self.may_be_next(ticket, now, answer);
                if self.ok == 0 && !ahead {
                    // Refused before anything passed: the window had not begun.
                    return self.add_bound(ticket.slot, ticket.sent, said);
                }
                // Spent, and the client is paused past the next boundary: its request's
                // sending bounds that boundary from below (the lift after the pause cannot),
                // and the pause's end from above, whichever window it landed in.
                let lo = if ahead {
                    f64::NEG_INFINITY
                } else {
                    ticket.sent
                };
                if wait.is_some() && self.add_bound(ticket.slot + 1, lo, said) {
                    return true;
                }
                // The requests sent before this window began and counted in it may have
                // landed in it: what it let through is taken to include them, up to the
                // allowance (above it, they may as well have landed in the window before).
                let found = self.ok.max((self.ok + self.preceded).min(self.allowance));
                let spilled = if self.spilled.0 == self.index {
                    &self.spilled.1[..]
                } else {
                    &[]
                };
                let short = self.allowance.saturating_sub(found) as usize;
                // Round trips long against the window stretch every burst over its
                // boundaries, and a shortfall they cover is as often a lowering: none is
                // excused there.
                let (w_lo, w_hi) = self.period();
                let slow = rtt_hi >= BOUNDARY_SLACK * (w_lo + w_hi) / 2.0;
                if short > 0
                    && !slow
                    && short <= spilled.len()
                    && spilled[spilled.len() - short] > self.boundary(self.index).0
                {
                    // As many of the window before's late successes as this one is short of
                    // its allowance may have counted in it: not a lowering. At least `short`
                    // of them arrived past the boundary, so it came before the answer of
                    // the `short`th latest.
                    let hi = spilled[spilled.len() - short];
                    let k = self.index;
                    let before = self.bounds.iter().find(|b| b.k == k).copied();
                    let relearn = self.add_bound(k, f64::NEG_INFINITY, hi);
                    self.soft = Some((k, before));
                    return relearn;
                }
                if found < self.allowance && self.burst {
                    // A window sent at once refused early, right after one spread that passed
                    // whole: capacity comes back as the client's own requests age. Refused
                    // late (`BURST_LATE` of the allowance passed), it is more likely a limit
                    // lowered in this window or others' searches early in it (a log frees
                    // that much only if its period was learnt far too long): a lowering, and
                    // the test is due again.
                    // Successes still in flight when the first `429` is answered (16 at once
                    // leave up to 15) may have passed too; at most a quarter of the allowance
                    // is counted, or a log of 5 sent 4 at once would never show.
                    // Its own requests only: a log counts those sent ahead of it too.
                    let passed = self.ok + self.out.min(self.allowance / 4);
                    if (passed as f64)
                        < BURST_LATE * self.allowance.saturating_sub(self.preceded) as f64
                    {
                        self.log_shown = true;
                        return true;
                    }
                    self.burst_due = true;
                }
                if (found as f64) < BURST_LATE * self.allowance as f64
                    && self.probing_up
                    && self.restored == Some(self.index - 1)
                {
                    // The window before got the old allowance back whole, and this one is
                    // refused early again (to under `BURST_LATE` of it): a log's limit,
                    // counted over the client's own sendings (a window sent faster than the
                    // one before it is refused), not a window's. Once could be someone else's
                    // searches.
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
                    // Or, under a round period, a period a little shorter, which nothing else
                    // would show: the next boundary is tested.
                    if self.since_round_test >= LOW_SPACING {
                        let (lo, hi) = period(&self.bounds);
                        self.round_test = self.on_clock(lo, hi).is_some();
                    }
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
                self.unsure = 0;
                self.exact = true;
            }
            _ => {}
        }
        false
    }
}
