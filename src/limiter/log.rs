//! A sliding log: the client's copy of it, and the hold its successes keep a slot for.

use super::*;

/// Successes the model keeps at most (memory bounded whatever the limit: a log of more than
/// about 5,400 lets the copy's oldest go early, so its refusals look deep and learn it again).
pub(super) const HISTORY: usize = 4096;
/// Share the hold shortens by after each success at its edge until the first refusal: a
/// period learnt from a window's lifts was up to 75% long, and a log of 20 a second over
/// loopback is done in 20 periods.
pub(super) const HOLD_FAST: f64 = 0.02;
/// Share the hold shortens by after each success at its edge once settled.
pub(super) const HOLD_DOWN: f64 = 0.0002;
/// Share the hold lengthens by after a refusal once settled: with `HOLD_DOWN`, the hold
/// settles where one request in a hundred at its edge is refused.
pub(super) const HOLD_UP: f64 = 0.02;
/// Refusals in a row, each with a quarter of the copy free, that end the log: a hold a little
/// short is refused at its edge, a limit lowered or shared below it every request sent.
pub(super) const LOG_REFUSALS: u32 = 3;
/// The most a settled hold lengthens to, over the hold it settled at, before the log is
/// learnt again: a log shared with others whose share varies, or a window taken for a log,
/// otherwise lengthens it without end (2% a refusal, 0.02% back a success). At 1.25, a log
/// halved for a while and one lowered by a fifth were learnt again too often.
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
    /// The hold when it settled (`HOLD_MAX`).
    pub(super) base: f64,
    /// After a refusal, nothing goes until the next success of the copy has aged: the
    /// server's log is full until one of its own ages.
    pub(super) resume: f64,
}

impl Log {
    /// A log of `limit` whose hold, `hold` for now, is still to be learnt.
    pub(super) fn new(limit: u64, hold: f64) -> Self {
        Self {
            limit,
            hold,
            settled: false,
            refused: 0,
            base: hold,
            resume: 0.0,
        }
    }
}

impl Model {
    /// From now on a sliding log of `limit`, held for `guess` (or less: `log_hold`).
    pub(super) fn enter_log(&mut self, limit: u64, guess: f64) {
        let hold = self.log_hold(limit, guess);
        self.state = State::Log(Log::new(limit, hold));
    }

    /// The answer time plus hold of the oldest success the copy still holds at `now`.
    pub(super) fn next_aging(&self, hold: f64, now: f64) -> Option<f64> {
        let kept = self.passes.partition_point(|p| p.1 + hold <= now);
        self.passes.get(kept).map(|p| p.1 + hold)
    }

    /// A sliding log's first hold: `guess`, or less if a success was sent sooner after
    /// `limit` others' answers (a log that let it through holds no longer than that).
    fn log_hold(&self, limit: u64, guess: f64) -> f64 {
        let limit = limit as usize;
        let mut hold = guess;
        for &(sent, _) in &self.passes {
            let before = self.passes.partition_point(|p| p.1 < sent);
            if before >= limit {
                hold = hold.min(sent - self.passes[before - limit].1);
            }
        }
        hold.max(1e-3)
    }
}
