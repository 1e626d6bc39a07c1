//! A sliding log: the client's copy of it, and the hold its successes keep a slot for.
//!
//! A **sliding log** lets at most `limit` requests through in any trailing period: the
//! client keeps the answers of its last `limit` successes and sends while fewer than
//! `limit` (those in flight counted) were answered less than a *hold* ago. The hold starts
//! at the shortest time a success of the past was sent after `limit` others' answers (or,
//! where none was, at the window's period or the learnt rate's; where a window became the
//! log, one so found under two round trips and a second is taken for a bucket's burst,
//! paced as a rate: `burst_rate` in `mod.rs`) and is learnt from the answers at its edge
//! (`HOLD_FAST` for a pass that tested the hold in force, sent under it on a slot it had
//! let age within a step or a longest round trip, until the first refusal; after it
//! `HOLD_DOWN` for each pass and `HOLD_UP`, but under headroom, for the first refusal of a
//! run; the `HOLD_DOWN` step doubling each `HOLD_QUIET` successes at the edge without a
//! refusal, twice at most, so that a hold settled too long comes back): the server counted
//! each success at its arrival, before its answer, so the best hold is a little under the
//! period (under headroom the client never fills the log, and its edge says nothing:
//! successes keep the hold). After a refusal with the copy three quarters full or more,
//! nothing goes until one of the copy's successes ages, and after each further refusal in a
//! row until twice as many have as the time before (`STREAK_BACKOFF`). Refused with more of
//! the copy free than the round trip's jitter and the hold's sawtooth explain (but at least
//! half of it held), the limit is lowered to what the copy held (and a hold lengthened more
//! than two `HOLD_UP` steps past where it settled goes back there: its lengthening is taken
//! as the lowering's); upward probes (one request past the copy's limit, and one more each
//! time one passes) then try for the old limit, a limit's worth of requests later, then
//! twice as many after each refused probe up to `UP_SPACING`. Refused `LOG_REFUSALS` times
//! in a row with a quarter of the copy free, lowered twice with no success between to under
//! half the old limit, or the hold lengthened past `HOLD_MAX` times where it settled, the
//! log is learnt again (a window taken for a log, a limit collapsed). Without a lowering, a
//! log's limit is not probed upward.

use super::*;
use window::UP_SPACING;

/// Successes the client's copy of a log keeps (256 KiB): memory bounded whatever the limit.
pub(super) const HISTORY: usize = 16_384;
/// Share the hold shortens by a success at its edge that tested it, until the first refusal.
pub(super) const HOLD_FAST: f64 = 0.02;
/// Share the hold shortens by a success at its edge once settled.
pub(super) const HOLD_DOWN: f64 = 0.0001;
/// Successes at a settled edge without a refusal after which `HOLD_DOWN` doubles (twice at most).
pub(super) const HOLD_QUIET: u64 = 800;
/// Share the hold lengthens by a refusal once settled: one request in 100 at the edge is refused.
pub(super) const HOLD_UP: f64 = 0.01;
/// Refusals in a row, each with a quarter of the copy free, that end the log.
pub(super) const LOG_REFUSALS: u32 = 3;
/// Refusals in a row double the slots awaited before the next request, up to 2^this.
pub(super) const STREAK_BACKOFF: u32 = 6;
/// The most a settled hold lengthens, as a multiple of where it settled, before a relearning.
pub(super) const HOLD_MAX: f64 = 1.5;

/// A sliding log: at most `limit` requests in any trailing `period`. The client keeps its
/// own copy (the model's `passes`): a success's capacity comes back `hold` after its answer.
/// `hold` is learnt, not bounded: the server counted the success at its arrival, up to a
/// round trip before the answer, and the next request arrives after its own outward leg, so
/// the hold that loses the fewest slots is a little under the period, found by how often it
/// is refused.
#[derive(Clone, Debug)]
pub(super) struct Log {
    pub(super) limit: u64,
    pub(super) hold: f64,
    /// A request sent at the hold's edge was refused: the hold is near the least that
    /// passes, and moves by small steps from now on.
    pub(super) settled: bool,
    /// Refusals with a quarter of the copy free, since the last success.
    pub(super) refused: u32,
    /// Refusals of any kind since the last success: only the first lengthens the hold (those
    /// after it were sent under the same hold, or show a lowered limit, which a longer hold
    /// would hide by holding the copy's aging successes again).
    pub(super) streak: u32,
    /// The limit was lowered since the last success: lowered again before one to under half
    /// the limit before the lowerings, it is no log (a window refuses everything until its
    /// boundary).
    pub(super) lowered: bool,
    /// The hold when it settled (`HOLD_MAX`).
    pub(super) base: f64,
    /// Successes at the hold's edge since the last refusal (`HOLD_QUIET`).
    pub(super) edge_quiet: u64,
    /// After a refusal, nothing goes until the next success of the copy has aged: the
    /// server's log is full until one of its own ages.
    pub(super) resume: f64,
    /// The limit before the last lowering: upward probes try for it until they get it back.
    pub(super) before: Option<u64>,
    /// Requests since the last upward probe was refused.
    pub(super) since_up: u64,
    /// Requests from a refused upward probe to the next: the limit after a lowering, doubled
    /// by each refused probe up to `UP_SPACING` (a limit lowered for good costs a few `429`s,
    /// not one a period).
    pub(super) up_gap: u64,
    /// An upward probe passed: the next request the copy's limit holds back is one too.
    pub(super) probing: bool,
    /// An upward probe is in flight (one at a time: each refused one is a `429`).
    pub(super) probe_out: bool,
    /// The limit when the current upward probes began.
    pub(super) probe_from: u64,
}

impl Log {
    /// A log of `limit` whose hold, `hold` for now, is still to be learnt.
    pub(super) fn new(limit: u64, hold: f64) -> Self {
        Self {
            limit,
            hold,
            settled: false,
            refused: 0,
            streak: 0,
            lowered: false,
            base: hold,
            edge_quiet: 0,
            resume: 0.0,
            before: None,
            since_up: 0,
            up_gap: UP_SPACING,
            probing: false,
            probe_out: false,
            probe_from: limit,
        }
    }

    /// An upward probe may go: `held` fills the copy, which holds the whole limit (under
    /// headroom the client never fills the server's log, so a pass would say nothing).
    pub(super) fn probe_due(&self, held: u64, room: u64) -> bool {
        self.before.is_some_and(|before| before > self.limit)
            && room >= self.limit
            && held == room
            && !self.probe_out
            && (self.probing || self.since_up >= self.up_gap)
    }

    /// Refused at `slot` with more of the copy free than the round trip's jitter explains
    /// (the successes the server still counts that the copy has let age), but at least half
    /// of it held: the limit is lower. (Refused with less held, the copy had let go more
    /// than a lowering explains: `LOG_REFUSALS` judges those.)
    pub(super) fn lowered_at(&self, slot: u64, room: u64, rtt_hi: f64) -> bool {
        // Two slots past the jitter: the edge's own, and one that two successes aging
        // together free at once.
        self.settled
            && room >= self.limit
            && slot.saturating_add(2).saturating_add(self.jitter(rtt_hi)) < room
            && slot * 2 >= room
    }

    /// Successes the server may still count when the copy has let them age, or has aged
    /// when the copy still holds them: those answered within a round trip's spread or the
    /// hold's own sawtooth (`HOLD_UP`).
    pub(super) fn jitter(&self, rtt_hi: f64) -> u64 {
        (self.limit as f64 * (rtt_hi / self.hold + HOLD_UP)).ceil() as u64
    }
}

impl Model {
    /// From now on a sliding log of `limit`, held for `guess` (or less: `log_hold`).
    pub(super) fn enter_log(&mut self, limit: u64, guess: f64) {
        let hold = self.log_hold(limit, guess);
        self.state = State::Log(Log::new(limit, hold));
    }

    /// When the next request may go after the `streak`-th refusal in a row: once one, then
    /// two, four … (`STREAK_BACKOFF`) of the successes the copy holds at `now` have aged (past
    /// its last, each one more a hold over the limit later). A limit lowered by many, or a
    /// window closed until its boundary, costs a few `429`s, not one for each slot.
    pub(super) fn next_aging(&self, hold: f64, limit: u64, now: f64, streak: u32) -> f64 {
        let kept = self.passes.partition_point(|p| p.1 + hold <= now);
        let n = 1usize << streak.saturating_sub(1).min(STREAK_BACKOFF);
        match self.passes.get(kept + n - 1) {
            Some(p) => p.1 + hold,
            None => {
                let last = self.passes.back().map_or(now, |p| (p.1 + hold).max(now));
                let beyond = (kept + n).saturating_sub(self.passes.len().max(kept + 1));
                last + beyond as f64 * hold / limit as f64
            }
        }
    }

    /// A sliding log's first hold: the shortest time a success was sent after `limit`
    /// others' answers (a log that let it through holds no longer than that, and the copy
    /// ages by answers), or `guess` where no success shows one. A guess from a rate
    /// measured over a few successes was too short (4.2 s for a log of 6 s at 8 at once),
    /// and a hold too short grows a percent a cycle. One too long shortens by `HOLD_FAST`
    /// only until the first refusal, which in a log others share comes at once (their
    /// slots are not in the copy, so its spacings are long): there the first hold is about
    /// where the hold stays, and under headroom it never shortens.
    pub(super) fn log_hold(&self, limit: u64, guess: f64) -> f64 {
        let limit = limit as usize;
        let mut hold = f64::INFINITY;
        for &(sent, _) in &self.passes {
            let before = self.passes.partition_point(|p| p.1 < sent);
            if before >= limit {
                hold = hold.min(sent - self.passes[before - limit].1);
            }
        }
        if hold.is_finite() { hold } else { guess }.max(1e-3)
    }

    /// An answer while following a sliding log (`State::Log`): its copy, its hold and its
    /// limit moved by what passes and what is refused.
    pub(super) fn log_answered(&mut self, ticket: Ticket, now: f64, answer: Answer) {
        let current = ticket.epoch == self.epoch;
        let rtt_hi = self.rtt_hi();
        let State::Log(log) = &mut self.state else {
            return;
        };
        if !current {
            return;
        }
        if ticket.kind == Kind::Up {
            // Passed, the limit is one more, and the next probe goes at once.
            // Refused, the probes end: a few passes can be the hold's slack
            // (successes the server let age while the copy held them), so the limit
            // found is the top less those.
            log.probe_out = false;
            match answer {
                // Sent before a lowering (at a slot past the limit now): it passed
                // under the old limit, and says nothing of the new one.
                Answer::Passed if ticket.slot as u64 != log.limit => {}
                Answer::Passed => {
                    if !log.probing {
                        log.probe_from = log.limit;
                    }
                    log.limit += 1;
                    log.probing = true;
                }
                Answer::Throttled(_) => {
                    if log.probing {
                        let found = log.limit.saturating_sub(log.jitter(rtt_hi));
                        log.limit = found.max(log.probe_from);
                        if log.before.is_some_and(|b| log.limit >= b) {
                            log.before = None;
                        }
                    }
                    log.probing = false;
                    log.since_up = 0;
                    log.up_gap = (2 * log.up_gap).min(UP_SPACING.max(log.limit));
                }
                Answer::Failed => {}
            }
            return;
        }
        if ticket.kind != Kind::Normal {
            return;
        }
        let room = ((log.limit as f64 * self.share).floor() as u64).max(1);
        let edge = ticket.slot as u64 + 1 >= room;
        let deep = (ticket.slot as u64) * 4 < room * 3;
        match answer {
            Answer::Passed => {
                log.refused = 0;
                log.streak = 0;
                log.lowered = false;
            }
            Answer::Throttled(_) => {
                log.streak += 1;
                log.edge_quiet = 0;
                // Refused with a quarter of the copy free: the server's log is
                // fuller than the hold's error explains.
                log.refused += u32::from(deep);
            }
            Answer::Failed => {}
        }
        if log.refused >= LOG_REFUSALS {
            // Again and again: a limit lowered or shared, or no log at all. Learn it
            // again.
            self.relearn();
            return;
        }
        if let Answer::Throttled(_) = answer
            && log.lowered_at(ticket.slot as u64, room, rtt_hi)
        {
            // A lowered limit (or a share someone else took): what the copy held is
            // what the log holds now. Upward probes try for the old limit, the
            // first a limit's worth of requests on. Lowered again before a success
            // to under half the old limit, or to a few, it is no log: the evidence
            // is learnt again.
            let lowered = ticket.slot as u64;
            if lowered < MIN_ALLOWANCE || log.lowered && log.before.is_some_and(|b| lowered * 2 < b)
            {
                self.relearn();
                return;
            }
            // The refusals that lengthened the hold past the sawtooth's two steps are taken as
            // the lowering's (the copy cannot tell; a hold settled short in a shared log loses
            // a needed lengthening, the history's cost): kept, the long hold let upward probes
            // pass on slots the server had freed, raised the limit past the new one, and
            // lengthened again at each refusal that followed (a log of 90 a minute followed as
            // 91 per 80 s). Two steps: a settled hold moves a step a refusal, so one or two
            // are its own sawtooth, and a short hold in a shared log keeps that much of what
            // it needed (taken back whatever its lengthening, a log others take a fifth of and
            // leave fell 0.899 → 0.769 at its worst start).
            if log.hold > log.base * (1.0 + HOLD_UP).powi(2) {
                log.hold = log.base;
            }
            log.before = Some(log.before.unwrap_or(log.limit).max(log.limit));
            log.limit = lowered;
            log.lowered = true;
            log.probing = false;
            log.since_up = 0;
            log.up_gap = lowered;
            let (hold, limit, streak) = (log.hold, log.limit, log.streak);
            let next = self.next_aging(hold, limit, now, streak);
            if let State::Log(log) = &mut self.state {
                log.resume = log.resume.max(next);
            }
            return;
        }
        match answer {
            // Under headroom the client never fills the server's log: a success at
            // its own edge says nothing of the hold, and shortening it would take the
            // headroom back.
            Answer::Passed if edge && room >= log.limit => {
                let step = if log.settled {
                    let doublings = (log.edge_quiet / HOLD_QUIET).min(2) as i32;
                    HOLD_DOWN * 2f64.powi(doublings)
                } else {
                    HOLD_FAST
                };
                // Before the first refusal, a step for each test of the hold in force: a
                // pass of a request sent under it, on a slot that came free within a step
                // (one the hold before would have kept) or a longest round trip (a timer
                // late). Requests sent under one hold are one test, and one on a slot long
                // free tests nothing: at loopback round trips a log's reopening passed
                // three at once, each a step, and the hold went 8% short, the next window
                // refused whole. Once settled, every pass steps, by a step too small for
                // that to matter.
                if log.settled
                    || ticket.edge.is_some_and(|(hold, freed)| {
                        hold == log.hold && freed <= (step * hold).max(rtt_hi)
                    })
                {
                    log.hold *= 1.0 - step;
                }
                log.edge_quiet += 1;
            }
            Answer::Throttled(_) if !log.settled => {
                // The fast steps overshot by the last two at most.
                log.settled = true;
                log.hold *= (1.0 + HOLD_FAST) * (1.0 + HOLD_FAST);
                log.base = log.hold;
            }
            // Under headroom no lowering is seen (the copy is never full), and a
            // lowered or shared log is found by the hold's growth alone: every
            // refusal lengthens it.
            Answer::Throttled(_) if log.streak == 1 || room < log.limit => {
                log.hold *= 1.0 + HOLD_UP;
            }
            _ => {}
        }
        if let Answer::Throttled(_) = answer {
            if log.hold > HOLD_MAX * log.base {
                // Lengthened far past where it settled: not a log this client's
                // copy can follow. Learn it again.
                self.relearn();
                return;
            }
            if deep {
                // Sent again at once: `LOG_REFUSALS` in a row end the log.
                return;
            }
            let (hold, limit, streak) = (log.hold, log.limit, log.streak);
            let next = self.next_aging(hold, limit, now, streak);
            if let State::Log(log) = &mut self.state {
                log.resume = log.resume.max(next);
            }
        }
    }
}
