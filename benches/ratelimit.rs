//! Large exports against rate limits: the client's limiter model (`src/limiter/`, the same
//! files, included below) run against simulated limiters in virtual time, then the whole
//! client against the sandbox's limiter over real loopback sockets.
//!
//! **Simulation.** Deterministic from `SEED`; a run takes milliseconds. Each scenario exports
//! its pages through `concurrency` workers (a page refused is asked again), with round trips
//! drawn uniformly in a range (the request's way out a random 30-70% of it), starting at 20
//! evenly spaced points of the limiter's window (windows are aligned to the virtual clock, as
//! Rack::Attack aligns them to the epoch; some scenarios put the client's clock off it).
//! Each line gives the worst over the starting points:
//! `efficiency` (the pages at the limiter's sustained rate, over the wall time;
//! `efficiency_max` is the best start's, the most of the limit taken under headroom), `share_429`
//! (refused over sent), `max_429_per_window` after the first two windows, and for the limit
//! that changes, the windows taken to get back within 3% of the new limit. `efficiency_mean`
//! and `share_429_mean` are the means over the starting points: a change can cost most
//! starts and leave the worst where it was. The **baseline** exports the same pages from the
//! same starts with a pacer told the limiter's sustained rate (less the headroom), sending
//! evenly at it and learning nothing (`Model::fixed`, as `RateLimit` fixes a client's pace):
//! `baseline_efficiency` and `baseline_share_429` are its worst over the starts, and
//! `vs_baseline` the model's worst efficiency over the baseline's (each the worst of its own
//! starts). Against a limit that holds still, a target the baseline misses too is lost to
//! arrivals scattered by the round trips, which cost even a pacer that knows the limit (a
//! limit that changes, or others' share, it is told only as a mean); where the baseline
//! meets the targets and the model does not, the miss is the learning's.
//!
//! **Real sockets.** The sandbox's fixed window (aligned to the epoch) at two small scales,
//! each export started at three points of a window, with default client settings: efficiency,
//! `429` share, and every contact exactly once.
//!
//! `cargo bench --bench ratelimit` prints one `key=value` line per scenario and writes
//! `benches/ratelimit.svg` (requests and `429`s a minute over the full-scale simulated
//! export). `cargo bench --bench ratelimit -- --sim` skips the real sockets. For debugging:
//! `SIM_ONLY=name` runs the scenarios whose name contains it, `SIM_DEBUG=1` prints the
//! windows with more than one `429`, `SIM_STARTS=1` each start's figures and learnt shape,
//! and `SIM_TRACE=n` every answer of the run whose seed's low byte is `n` (start `i`'s is
//! that of `SEED ^ i * 241`), with `SIM_DUMP=a-b` the model's whole state after each answer
//! from `a` to `b` seconds into it. `SIM_SEED=n` draws every start's random numbers (round
//! trips, when others' requests arrive, a date's skew) from seed `n` instead of `SEED`, to
//! check the table's worst starts at other draws (start `i`'s seed then has the low byte of
//! `n ^ i * 241`, for `SIM_TRACE`; the chart's export keeps `SEED`). `SIM_EXTRA=1` adds a
//! review's hostile scenarios (`x_…`: sliding logs whose limit changes or that others
//! share, windows that could be taken for logs, and windows halved for good under round
//! trips long against the window, periods a little shorter than a round one, a period that
//! changes mid-export, and minute windows that others on the account search in, or whose
//! limit is lowered where the burst test falls, and token buckets paused, drained, cut to a
//! tenth, answering slowly to many at once, or whose tokens others take at random, and a
//! window others spend whole now and then; a review's windows whose first run was short and
//! buckets refilled in lumps or lagging; another's windows, logs and buckets at 8 to 16 at
//! once, windows partly spent or raised between the learning's runs; a third's sliding logs
//! raised, shared, under headroom, with callers that stall, and short logs at long round
//! trips; and later reviews' windows counted by reopenings, periods of whole seconds, and
//! buckets paused now and then or holding large bursts under headroom).

#[allow(dead_code)]
#[path = "../src/limiter/mod.rs"]
mod limiter;

use std::{
    cmp::Reverse,
    collections::{BTreeMap, BinaryHeap, VecDeque},
    time::{Duration, Instant},
};

use limiter::{Answer, Model, Wait};

const SEED: u64 = 0x5EED_2026;
/// Starting points across a window.
const STARTS: usize = 20;
/// The longest `Retry-After` the default client honours (its throttle deadline).
const MAX_PAUSE: Duration = Duration::from_secs(180);

/// SplitMix64: small, fast, deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[derive(Clone, Copy, Debug)]
enum RetryAfter {
    No,
    /// Whole seconds to the window's end, rounded up.
    Seconds,
    /// The window's end as an HTTP date (whole seconds, rounded up), read with a client
    /// clock off by up to this many seconds either way.
    Date(f64),
}

#[derive(Clone, Debug)]
enum Shape {
    /// Windows `[k·period, (k+1)·period)` of `limits(k)`; every request counts.
    Window {
        period: f64,
        limits: fn(i64, u64) -> u64,
        limit: u64,
        retry_after: RetryAfter,
        /// Another consumer's share of each window, arriving at random times in it.
        other: f64,
    },
    Bucket {
        burst: f64,
        per_second: f64,
    },
    /// A bucket whose rate is `per_second · factor(s)`, s seconds since the export's first
    /// window (1000 periods of `burst / per_second`); with `retry`, a refusal says
    /// `Retry-After` in whole seconds until the next token (none while the rate is 0).
    BucketX {
        burst: f64,
        per_second: f64,
        factor: fn(f64) -> f64,
        retry: bool,
    },
    /// A bucket whose tokens others take too: their requests arrive at random (Poisson, at
    /// `share` of the rate), each taking a token if one is there.
    BucketShared {
        burst: f64,
        per_second: f64,
        share: f64,
    },
    /// Windows of `limit` a `period` on the clock, from window `at` on (its numbering
    /// continued) windows of `then.0` a `then.1`: a period changed mid-export.
    Switch {
        limit: u64,
        period: f64,
        then: (u64, f64),
        at: i64,
    },
    /// Windows of `limits(k)` shared with others taking `other(k)` of each, all within the
    /// window's first `front` share (bursty others; 1.0: spread over the window).
    Front {
        period: f64,
        limit: u64,
        limits: fn(i64, u64) -> u64,
        other: fn(i64) -> f64,
        front: f64,
    },
    /// At most `limit` accepted requests in any `period`.
    Log {
        limit: usize,
        period: f64,
    },
    /// A log whose limit changes (`limits(k, limit)`, k the period's index), shared with
    /// another consumer taking `other(k)` of it at random times (refused too when full).
    LogX {
        limit: u64,
        period: f64,
        limits: fn(i64, u64) -> u64,
        other: fn(i64) -> f64,
    },
}

/// A share of the window in 0 to 0.4 that varies from window to window, as a hash of it.
fn other_random(k: i64) -> f64 {
    let h = (k as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
    (h % 41) as f64 / 100.0
}
/// A second export on the account: half of one window in three.
fn other_export(k: i64) -> f64 {
    if k.rem_euclid(3) == 0 { 0.5 } else { 0.0 }
}
/// Lowered by a fifth for good from the export's third window (the burst test's, often).
fn lowered_at_3(k: i64, limit: u64) -> u64 {
    if k >= 1003 { limit * 4 / 5 } else { limit }
}
/// Lowered by a fifth in the export's third window only.
fn dipped_at_3(k: i64, limit: u64) -> u64 {
    if k == 1003 { limit * 4 / 5 } else { limit }
}
fn no_other(_: i64) -> f64 {
    0.0
}
fn other30(_: i64) -> f64 {
    0.3
}
fn other20(_: i64) -> f64 {
    0.2
}
fn other10(_: i64) -> f64 {
    0.1
}
/// Others take 30% for the first 10 periods of the export, then leave.
fn other30_leave(k: i64) -> f64 {
    if k < 1010 { 0.3 } else { 0.0 }
}
fn other20_leave(k: i64) -> f64 {
    if k < 1010 { 0.2 } else { 0.0 }
}
/// Others take a whole window in ten, and 70% of the next.
fn other_all_then_70_every10(k: i64) -> f64 {
    match k.rem_euclid(10) {
        1 => 1.0,
        2 => 0.7,
        _ => 0.0,
    }
}
/// Others' share varying period to period between 0 and 40%.
fn other_varying(k: i64) -> f64 {
    [0.0, 0.4, 0.1, 0.3, 0.0, 0.2][k.rem_euclid(6) as usize]
}
/// Lowered to half from period 10 to 20 of the export, then back.
fn log_halved(k: i64, limit: u64) -> u64 {
    if (1010..1020).contains(&k) {
        limit / 2
    } else {
        limit
    }
}
/// Lowered by a fifth from period 10 on, for the rest.
fn log_lowered_fifth(k: i64, limit: u64) -> u64 {
    if k >= 1010 { limit * 4 / 5 } else { limit }
}
/// Lowered by a fifth from period 10 to 20, then back.
fn log_fifth_back(k: i64, limit: u64) -> u64 {
    if (1010..1020).contains(&k) {
        limit * 4 / 5
    } else {
        limit
    }
}
/// Lowered by a fifth for period 10 only.
fn log_dip_one(k: i64, limit: u64) -> u64 {
    if k == 1010 { limit * 4 / 5 } else { limit }
}
/// Lowered by a tenth from period 10 on.
fn log_lowered_tenth(k: i64, limit: u64) -> u64 {
    if k >= 1010 { limit * 9 / 10 } else { limit }
}
/// Lowered by a fifth every other 5 periods.
fn log_oscillating(k: i64, limit: u64) -> u64 {
    if (k / 5) % 2 == 1 {
        limit * 4 / 5
    } else {
        limit
    }
}
/// Raised by half from period 10 on.
fn log_raised(k: i64, limit: u64) -> u64 {
    if k >= 1010 { limit * 3 / 2 } else { limit }
}
/// A window's limit halved 10 windows into the export (which starts in window 1000), for the
/// rest of it (as `raised`: the 60-window cycle of the efficiency's mean holds the same mix).
fn halved(k: i64, limit: u64) -> u64 {
    if (40..50).contains(&k.rem_euclid(60)) {
        limit
    } else {
        limit / 2
    }
}
/// Doubled from period 10 on.
fn log_doubled(k: i64, limit: u64) -> u64 {
    if k >= 1010 { limit * 2 } else { limit }
}
/// Refuses everything for periods 10 and 11, then as before.
fn log_blackout(k: i64, limit: u64) -> u64 {
    if (1010..1012).contains(&k) { 0 } else { limit }
}
/// Windows alternating 100 and 60.
fn alternating(k: i64, limit: u64) -> u64 {
    if k.rem_euclid(2) == 0 {
        limit
    } else {
        limit * 3 / 5
    }
}

fn f_one(_: f64) -> f64 {
    1.0
}
/// Cut to a tenth from 300 s on.
fn f_tenth(s: f64) -> f64 {
    if s >= 300.0 { 0.1 } else { 1.0 }
}
/// A bucket's factor: no refill while `paused`, its rate otherwise.
fn unless_paused(paused: bool) -> f64 {
    if paused { 0.0 } else { 1.0 }
}
/// Paused (no refill) from 300 s to 360 s, then as before.
fn f_pause60(s: f64) -> f64 {
    unless_paused((300.0..360.0).contains(&s))
}
/// Paused from 300 s to 1200 s (15 minutes), then as before.
fn f_pause900(s: f64) -> f64 {
    unless_paused((300.0..1200.0).contains(&s))
}
/// Paused for 30 s every 300 s.
fn f_pause_often(s: f64) -> f64 {
    unless_paused(s.rem_euclid(300.0) >= 270.0)
}
/// Drained (no refill) for 8 s every 120 s: others' bursts.
fn f_drained8(s: f64) -> f64 {
    unless_paused(s.rem_euclid(120.0) >= 112.0)
}
/// No refill from 0.2 s to 3 s of the export: the first throttle's wait is the pause.
fn f_pause_first3(s: f64) -> f64 {
    unless_paused((0.2..3.0).contains(&s))
}
/// Paused for 5 s every 300 s (under `BLACKOUT` at 10 a second).
fn f_pause5(s: f64) -> f64 {
    unless_paused(s.rem_euclid(300.0) >= 295.0)
}

/// Raised by half from 300 s on.
fn f_raise_half(s: f64) -> f64 {
    if s >= 300.0 { 1.5 } else { 1.0 }
}
/// Doubled from 300 s on.
fn f_double(s: f64) -> f64 {
    if s >= 300.0 { 2.0 } else { 1.0 }
}
/// Halved from 300 s on.
fn f_half(s: f64) -> f64 {
    if s >= 300.0 { 0.5 } else { 1.0 }
}
/// Lowered by a fifth from 300 s on.
fn f_fifth(s: f64) -> f64 {
    if s >= 300.0 { 0.8 } else { 1.0 }
}
/// Lowered by 15% from 300 s on.
fn f_15pct(s: f64) -> f64 {
    if s >= 300.0 { 0.85 } else { 1.0 }
}
/// Halved from 300 s to 400 s, then back.
fn f_half_back(s: f64) -> f64 {
    if (300.0..400.0).contains(&s) {
        0.5
    } else {
        1.0
    }
}
/// Halved from 330 s on (the slow stretch of `r_slow_300`).
fn f_half_330(s: f64) -> f64 {
    if s >= 330.0 { 0.5 } else { 1.0 }
}
/// Raised by half from 330 s on.
fn f_raise_330(s: f64) -> f64 {
    if s >= 330.0 { 1.5 } else { 1.0 }
}
/// Round trips five times as long from 300 s to 400 s.
fn r_slow_300(s: f64, rtt: f64, _: f64) -> f64 {
    if (300.0..400.0).contains(&s) {
        rtt * 5.0
    } else {
        rtt
    }
}
/// One request in a hundred stalled 20 s more.
fn r_stall(_: f64, rtt: f64, u: f64) -> f64 {
    if u < 0.01 { rtt + 20.0 } else { rtt }
}
/// One request in twenty stalled 5-10 s more.
fn r_stall_often(_: f64, rtt: f64, u: f64) -> f64 {
    if u < 0.05 { rtt + 5.0 + 100.0 * u } else { rtt }
}
/// Stalls (one in a hundred, 20 s) from 250 s to 450 s only.
fn r_stall_300(s: f64, rtt: f64, u: f64) -> f64 {
    if (250.0..450.0).contains(&s) && u < 0.01 {
        rtt + 20.0
    } else {
        rtt
    }
}

/// r30: drained (no refill) from 20 s to 28 s only.
fn f_drain_20(s: f64) -> f64 {
    unless_paused((20.0..28.0).contains(&s))
}
/// r30: drained from 40 s to 48 s only.
fn f_drain_40(s: f64) -> f64 {
    unless_paused((40.0..48.0).contains(&s))
}
/// r30: drained from 60 s to 66 s only.
fn f_drain_60(s: f64) -> f64 {
    unless_paused((60.0..66.0).contains(&s))
}
/// r30: halved from 30 s to 90 s, then back.
fn f_half_early(s: f64) -> f64 {
    if (30.0..90.0).contains(&s) { 0.5 } else { 1.0 }
}
/// r30: at 0.7 from 20 s to 40 s, then back.
fn f_dip_early(s: f64) -> f64 {
    if (20.0..40.0).contains(&s) { 0.7 } else { 1.0 }
}

/// Refilled in lumps: ten times the rate for the first tenth of each second, none after.
fn f_pulse1(s: f64) -> f64 {
    if s.rem_euclid(1.0) < 0.1 { 10.0 } else { 0.0 }
}
/// Refilled in lumps: twenty times the rate for the first 0.25 s of each 5 s.
fn f_pulse5(s: f64) -> f64 {
    if s.rem_euclid(5.0) < 0.25 { 20.0 } else { 0.0 }
}
/// Refill lagging: none for 2 s of every 6 s, 1.5 times the rate otherwise.
fn f_lag(s: f64) -> f64 {
    if s.rem_euclid(6.0) < 2.0 { 0.0 } else { 1.5 }
}
/// r43: paused 4 s every 55 s (about 510 successes apart at 10 a second).
fn f43_p4_every55(s: f64) -> f64 {
    unless_paused(s.rem_euclid(55.0) >= 51.0)
}
/// r43: paused 3.5 s every 53 s.
fn f43_p35_every53(s: f64) -> f64 {
    unless_paused(s.rem_euclid(53.0) >= 49.5)
}
/// r43: paused 4 s every 50 s (under 512 successes apart).
fn f43_p4_every50(s: f64) -> f64 {
    unless_paused(s.rem_euclid(50.0) >= 46.0)
}
/// r43: paused 5 s every 60 s.
fn f43_p5_every60(s: f64) -> f64 {
    unless_paused(s.rem_euclid(60.0) >= 55.0)
}
/// r43: paused 6 s every 60 s (60 intervals at 10 a second: near a blackout).
fn f43_p6_every60(s: f64) -> f64 {
    unless_paused(s.rem_euclid(60.0) >= 54.0)
}
/// r43: paused 5 s every 120 s.
fn f43_p5_every120(s: f64) -> f64 {
    unless_paused(s.rem_euclid(120.0) >= 115.0)
}
/// r43: paused 4 s at 300 s, then halved for good (a lowering that shows as a closure).
fn f43_pause_then_half(s: f64) -> f64 {
    paused_then(s, 4.0, 0.5)
}
/// r43: paused 4 s at 300 s, then at 0.7 for good.
fn f43_pause_then_07(s: f64) -> f64 {
    paused_then(s, 4.0, 0.7)
}
/// r43: paused 5 s at 300 s, then at a fifth for good.
fn f43_pause_then_fifth(s: f64) -> f64 {
    paused_then(s, 5.0, 0.2)
}
/// Whole until 300 s, paused for `pause` seconds, then at `after` for good.
fn paused_then(s: f64, pause: f64, after: f64) -> f64 {
    if s < 300.0 {
        1.0
    } else if s < 300.0 + pause {
        0.0
    } else {
        after
    }
}
/// r43: halved at 300 s, paused 5 s at 310 s, halved after.
fn f43_half_then_pause(s: f64) -> f64 {
    if s < 300.0 {
        1.0
    } else if (310.0..315.0).contains(&s) {
        0.0
    } else {
        0.5
    }
}
/// r43: from 300 s on, paused 4 s in every 12 s (a lowering as short closures).
fn f43_duty(s: f64) -> f64 {
    if s < 300.0 {
        1.0
    } else {
        unless_paused(s.rem_euclid(12.0) >= 8.0)
    }
}
/// r43: refilled in a lump of 55 s' worth in the first 11/12 s of each minute.
fn f43_lump60(s: f64) -> f64 {
    if s.rem_euclid(60.0) < 55.0 / 60.0 {
        60.0
    } else {
        0.0
    }
}
/// Raised by half from the export's second window on (between the learning's runs).
fn raised_at_1(k: i64, limit: u64) -> u64 {
    if k >= 1001 { limit * 3 / 2 } else { limit }
}
/// Lowered by a fifth from the export's second window on (during the learning).
fn lowered_at_1(k: i64, limit: u64) -> u64 {
    if k >= 1001 { limit * 4 / 5 } else { limit }
}
/// Others took 60% of the export's first period only.
fn other_first60(k: i64) -> f64 {
    if k == 1000 { 0.6 } else { 0.0 }
}
/// Others take 40% of one period in two.
fn other40_every2(k: i64) -> f64 {
    if k.rem_euclid(2) == 0 { 0.4 } else { 0.0 }
}

/// r37: a log's limit raised by half from the export's fourth period on (around the log's
/// entry, after the learning's runs).
fn r37_raised_at_3(k: i64, limit: u64) -> u64 {
    if k >= 1003 { limit * 3 / 2 } else { limit }
}
/// r37: at two thirds for the export's first two periods, then whole (raised just before the
/// second run).
fn r37_low_first2(k: i64, limit: u64) -> u64 {
    if k < 1002 { limit * 2 / 3 } else { limit }
}
/// r37: round trips five times as long for the export's first 120 s (slow callers while the
/// log is learnt), as drawn after.
fn r37_slow_first(s: f64, rtt: f64, _: f64) -> f64 {
    if s < 120.0 { rtt * 5.0 } else { rtt }
}
/// r37: round trips five times as long from 15 s to 120 s.
fn r37_slow_15_120(s: f64, rtt: f64, _: f64) -> f64 {
    if (15.0..120.0).contains(&s) {
        rtt * 5.0
    } else {
        rtt
    }
}
/// r37: every request sent from 20 s to 40 s stalls 30 s more (the client idle a while).
fn r37_idle_20(s: f64, rtt: f64, _: f64) -> f64 {
    if (20.0..40.0).contains(&s) {
        rtt + 30.0
    } else {
        rtt
    }
}
/// r38: the export's first window a third spent by others before it began: a first run of
/// two thirds of a window, and a second of two windows three times it.
fn r38_prespent33(k: i64, limit: u64) -> u64 {
    if k == 1000 { limit * 2 / 3 } else { limit }
}
/// r38: the export's first window a quarter spent: a second run of three windows four times it.
fn r38_prespent25(k: i64, limit: u64) -> u64 {
    if k == 1000 { limit * 3 / 4 } else { limit }
}
/// r38: a window's limit raised by half from the export's third window on.
fn r38_raised_at_2(k: i64, limit: u64) -> u64 {
    if k >= 1002 { limit * 3 / 2 } else { limit }
}
/// r38: others take 30% of the export's first window, then leave.
fn r38_other_first30(k: i64) -> f64 {
    if k == 1000 { 0.3 } else { 0.0 }
}

/// r36: the export's first window 40% spent by others before it began: a first run of six
/// tenths of a window, the second run up to the count and one at a time on.
fn prespent40(k: i64, limit: u64) -> u64 {
    if k == 1000 { limit * 6 / 10 } else { limit }
}
/// r36: the export's first window 20% spent by others before it began.
fn prespent20(k: i64, limit: u64) -> u64 {
    if k == 1000 { limit * 8 / 10 } else { limit }
}
/// r36: raised by a quarter from the export's second window on (between the learning's runs).
fn raised_quarter_at_1(k: i64, limit: u64) -> u64 {
    if k >= 1001 { limit * 5 / 4 } else { limit }
}

fn steady(_: i64, limit: u64) -> u64 {
    limit
}

/// 100 a minute, then 50, then 100 again, each for 20 windows.
fn changing(k: i64, limit: u64) -> u64 {
    if k.rem_euclid(60) >= 20 && k.rem_euclid(60) < 40 {
        limit / 2
    } else {
        limit
    }
}

/// The export's first window (the 1000th: where every export starts) nine tenths spent by
/// the account's other users before it began: a first run too short to be a window.
fn prespent(k: i64, limit: u64) -> u64 {
    if k == 1000 { limit / 10 } else { limit }
}

/// The limit raised by half 15 windows into the export (which starts in window 1000), for
/// the rest of it: the 60-window cycle that the efficiency's mean is taken over holds the
/// same mix.
fn raised(k: i64, limit: u64) -> u64 {
    if (40..55).contains(&k.rem_euclid(60)) {
        limit
    } else {
        limit * 3 / 2
    }
}

/// A switching window's index at `t` and its limit (none for other shapes).
fn switch_window(shape: &Shape, t: f64) -> Option<(i64, u64)> {
    let Shape::Switch {
        limit,
        period,
        then,
        at,
    } = *shape
    else {
        return None;
    };
    let switch = at as f64 * period;
    Some(if t < switch {
        ((t / period).floor() as i64, limit)
    } else {
        (at + ((t - switch) / then.1).floor() as i64, then.0)
    })
}

struct Limiter {
    shape: Shape,
    window: i64,
    count: u64,
    others: VecDeque<f64>,
    tokens: f64,
    refilled: f64,
    log: VecDeque<f64>,
    next_other: f64,
}

enum Verdict {
    Pass,
    /// Refused; `Retry-After` as an absolute time (server clock), if sent.
    Refuse(Option<f64>),
}

impl Limiter {
    fn new(shape: Shape) -> Self {
        let tokens = match shape {
            Shape::Bucket { burst, .. }
            | Shape::BucketX { burst, .. }
            | Shape::BucketShared { burst, .. } => burst,
            _ => 0.0,
        };
        Self {
            shape,
            window: i64::MIN,
            count: 0,
            others: VecDeque::new(),
            tokens,
            refilled: 0.0,
            log: VecDeque::new(),
            next_other: f64::NAN,
        }
    }

    /// Counts a request arriving at `t` in fixed window `k` of `cap` requests a `period`,
    /// others taking `share` of it at random moments in its first `front`: whether it passes.
    fn counted(
        &mut self,
        t: f64,
        (k, cap, period): (i64, u64, f64),
        (share, front): (f64, f64),
        rng: &mut Rng,
    ) -> bool {
        if k != self.window {
            self.window = k;
            self.count = 0;
            let n = (share * cap as f64).round() as usize;
            let mut times: Vec<f64> = (0..n)
                .map(|_| (k as f64 + front * rng.unit()) * period)
                .collect();
            times.sort_by(f64::total_cmp);
            self.others = times.into();
        }
        while self.others.front().is_some_and(|&o| o < t) {
            self.others.pop_front();
            self.count += 1;
        }
        self.count += 1;
        self.count <= cap
    }

    fn arrive(&mut self, t: f64, rng: &mut Rng) -> Verdict {
        match self.shape.clone() {
            Shape::Window {
                period,
                limits,
                limit,
                retry_after,
                other,
            } => {
                let k = (t / period).floor() as i64;
                let cap = limits(k, limit);
                let other = if other < 0.0 { other_varying(k) } else { other };
                if self.counted(t, (k, cap, period), (other, 1.0), rng) {
                    return Verdict::Pass;
                }
                let end = (k + 1) as f64 * period;
                Verdict::Refuse(match retry_after {
                    RetryAfter::No => None,
                    RetryAfter::Seconds => Some(t + (end - t).ceil()),
                    RetryAfter::Date(_) => Some(end.ceil()),
                })
            }
            Shape::Front {
                period,
                limit,
                limits,
                other,
                front,
            } => {
                let k = (t / period).floor() as i64;
                let cap = limits(k, limit);
                if self.counted(t, (k, cap, period), (other(k), front), rng) {
                    Verdict::Pass
                } else {
                    Verdict::Refuse(None)
                }
            }
            Shape::Switch { .. } => {
                let (k, cap) = switch_window(&self.shape, t).unwrap_or_default();
                if k != self.window {
                    self.window = k;
                    self.count = 0;
                }
                self.count += 1;
                if self.count <= cap {
                    Verdict::Pass
                } else {
                    Verdict::Refuse(None)
                }
            }
            Shape::Bucket { burst, per_second } => {
                self.tokens = (self.tokens + (t - self.refilled) * per_second).min(burst);
                self.refilled = t;
                if self.tokens >= 1.0 {
                    self.tokens -= 1.0;
                    Verdict::Pass
                } else {
                    Verdict::Refuse(None)
                }
            }
            Shape::BucketShared {
                burst,
                per_second,
                share,
            } => {
                let gap = |rng: &mut Rng| -(1.0 - rng.unit()).ln() / (share * per_second);
                if self.next_other.is_nan() {
                    self.next_other = t + gap(rng);
                }
                let refill = |tokens: &mut f64, refilled: &mut f64, at: f64| {
                    *tokens = (*tokens + (at - *refilled) * per_second).min(burst);
                    *refilled = at;
                };
                while self.next_other <= t {
                    let at = self.next_other;
                    refill(&mut self.tokens, &mut self.refilled, at);
                    if self.tokens >= 1.0 {
                        self.tokens -= 1.0;
                    }
                    self.next_other = at + gap(rng);
                }
                refill(&mut self.tokens, &mut self.refilled, t);
                if self.tokens >= 1.0 {
                    self.tokens -= 1.0;
                    Verdict::Pass
                } else {
                    Verdict::Refuse(None)
                }
            }
            Shape::BucketX {
                burst,
                per_second,
                factor,
                retry,
            } => {
                let origin = 1000.0 * burst / per_second;
                // Refill in small steps: the rate changes with time.
                let mut at = if self.refilled == 0.0 {
                    t
                } else {
                    self.refilled
                };
                while at < t {
                    let step = (t - at).min(0.05);
                    self.tokens =
                        (self.tokens + step * per_second * factor(at - origin)).min(burst);
                    at += step;
                }
                self.refilled = t;
                if self.tokens >= 1.0 {
                    self.tokens -= 1.0;
                    Verdict::Pass
                } else {
                    let rate = per_second * factor(t - origin);
                    Verdict::Refuse(if retry && rate > 0.0 {
                        Some(t + ((1.0 - self.tokens) / rate).ceil().max(1.0))
                    } else if retry {
                        // Closed: a constant `Retry-After: 10`.
                        Some(t + 10.0)
                    } else {
                        None
                    })
                }
            }
            Shape::LogX {
                limit,
                period,
                limits,
                other,
            } => {
                if self.next_other.is_nan() {
                    self.next_other = t;
                }
                let admit = |log: &mut VecDeque<f64>, at: f64| {
                    while log.front().is_some_and(|&a| a <= at - period) {
                        log.pop_front();
                    }
                    let cap = limits((at / period).floor() as i64, limit) as usize;
                    if log.len() < cap {
                        log.push_back(at);
                        true
                    } else {
                        false
                    }
                };
                while self.next_other < t {
                    let at = self.next_other;
                    let k = (at / period).floor() as i64;
                    let share = other(k);
                    let cap = limits(k, limit) as f64;
                    if share > 0.0 && cap > 0.0 {
                        admit(&mut self.log, at);
                        let rate = share * limit as f64 / period;
                        self.next_other = at - (1.0 - rng.unit()).ln() / rate;
                    } else {
                        self.next_other = at + period / 10.0;
                    }
                }
                if admit(&mut self.log, t) {
                    Verdict::Pass
                } else {
                    Verdict::Refuse(None)
                }
            }
            Shape::Log { limit, period } => {
                while self.log.front().is_some_and(|&a| a <= t - period) {
                    self.log.pop_front();
                }
                if self.log.len() < limit {
                    self.log.push_back(t);
                    Verdict::Pass
                } else {
                    Verdict::Refuse(None)
                }
            }
        }
    }
}

#[derive(Clone)]
struct Scenario {
    name: &'static str,
    shape: Shape,
    pages: u64,
    concurrency: usize,
    /// Round trips, seconds.
    rtt: (f64, f64),
    /// Round trips that change over the export: (seconds since its start, the round trip
    /// drawn from `rtt`, a random unit) to the round trip.
    rtt_at: Option<fn(f64, f64, f64) -> f64>,
    headroom: f64,
    /// Seconds the client's clock is ahead of the limiter's windows (behind, if negative):
    /// a skewed clock, or a gateway whose windows do not begin on the clock's multiples.
    clock_off: f64,
}

impl Scenario {
    /// The limiter's window (or the time its burst takes to refill).
    fn period(&self) -> f64 {
        match self.shape {
            Shape::Window { period, .. }
            | Shape::Log { period, .. }
            | Shape::LogX { period, .. }
            | Shape::Front { period, .. } => period,
            Shape::Bucket { burst, per_second }
            | Shape::BucketX {
                burst, per_second, ..
            }
            | Shape::BucketShared {
                burst, per_second, ..
            } => burst / per_second,
            Shape::Switch { period, .. } => period,
        }
    }

    /// Requests a second the limiter sustains for this client.
    fn sustained(&self) -> f64 {
        match self.shape {
            Shape::Window {
                period,
                limit,
                other,
                limits,
                ..
            } => {
                // The mean over a cycle of the limits (one value unless it changes) from the
                // export's second window: its first is partly before the start, and a limit
                // changed at its second is the one the export meets.
                let mean = (1001..1061).map(|k| limits(k, limit) as f64).sum::<f64>() / 60.0;
                let other = if other < 0.0 { 0.2 } else { other };
                mean * (1.0 - other) / period
            }
            Shape::Bucket { per_second, .. } => per_second,
            // What others leave, were they never refused.
            Shape::BucketShared {
                per_second, share, ..
            } => per_second * (1.0 - share),
            Shape::BucketX {
                burst,
                per_second,
                factor,
                ..
            } => {
                // The pages over the least time the varying rate lets them through in.
                let (mut got, mut t) = (burst, 0.0);
                while got < self.pages as f64 {
                    got += 0.01 * per_second * factor(t);
                    t += 0.01;
                }
                self.pages as f64 / t.max(1e-9)
            }
            Shape::Switch { then, .. } => then.0 as f64 / then.1,
            Shape::Log { limit, period } => limit as f64 / period,
            Shape::LogX {
                limit,
                period,
                limits,
                other,
            }
            | Shape::Front {
                period,
                limit,
                limits,
                other,
                ..
            } => {
                // Over the export's first 60 periods.
                let mean = (1000..1060)
                    .map(|k| limits(k, limit) as f64 * (1.0 - other(k)))
                    .sum::<f64>()
                    / 60.0;
                mean / period
            }
        }
    }
}

#[derive(Default)]
struct Outcome {
    wall: f64,
    sent: u64,
    refused: u64,
    /// Per window of the limiter (from the export's first): passed and refused.
    windows: BTreeMap<i64, (u64, u64)>,
    /// (time since start, refused) of every request, for the chart.
    log: Vec<(f64, bool)>,
    /// What the model knew at the end.
    model: Option<limiter::Snapshot>,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    Wake(usize, u64),
    Arrive(usize),
    Answer(usize),
}

struct Request {
    page: u64,
    worker: usize,
    ticket: limiter::Ticket,
    rtt: f64,
    verdict: Option<Verdict>,
}

/// The client's model for an export from `start`: it knows the clock the limiter's windows
/// are aligned to, as a client knows the epoch.
fn learning(s: &Scenario, start: f64) -> Model {
    Model::new(s.headroom, MAX_PAUSE).aligned_to(Duration::from_secs_f64(start + s.clock_off))
}

/// The baseline: a pacer told the limiter's sustained rate (less the headroom), sending
/// evenly at it and learning nothing, as `RateLimit` fixes a client's pace.
fn baseline(s: &Scenario) -> Model {
    Model::fixed(s.sustained() * (1.0 - s.headroom), MAX_PAUSE)
}

/// One export from `start` (virtual seconds) paced by `model`: every page asked until it
/// passes.
fn export(s: &Scenario, start: f64, seed: u64, mut model: Model, keep_log: bool) -> Outcome {
    let mut rng = Rng(seed);
    let mut limiter = Limiter::new(s.shape.clone());
    let period = s.period();
    let first_window = (start / period).floor() as i64;
    let ns = |t: f64| (t * 1e9).round() as u64;
    let mut queue: BinaryHeap<Reverse<(u64, u64, Event)>> = BinaryHeap::new();
    let mut seq = 0u64;
    let mut push = |queue: &mut BinaryHeap<_>, t: f64, e: Event| {
        seq += 1;
        queue.push(Reverse((ns(t), seq, e)));
    };
    let mut todo: VecDeque<u64> = (0..s.pages).collect();
    let mut done = 0u64;
    let mut requests: Vec<Request> = Vec::new();
    let mut wake_gen = vec![0u64; s.concurrency];
    let mut busy = vec![false; s.concurrency];
    let mut waiting_answer: Vec<usize> = Vec::new();
    let mut out = Outcome::default();
    let mut stalls = 0u32;
    let trace = std::env::var("SIM_TRACE").is_ok_and(|v| v.parse::<u64>() == Ok(seed & 0xff));
    // `SIM_DUMP=a-b`: the seconds of the traced run whose answers print the model's state.
    let dump = std::env::var("SIM_DUMP").ok().and_then(|v| {
        let (from, to) = v.split_once('-')?;
        Some(from.parse::<f64>().ok()?..to.parse::<f64>().ok()?)
    });
    let start_ns = ns(start);
    for w in 0..s.concurrency {
        push(&mut queue, start, Event::Wake(w, 0));
    }
    while let Some(Reverse((t_ns, _, event))) = queue.pop() {
        let t = t_ns as f64 / 1e9;
        let clock = Duration::from_nanos(t_ns - start_ns);
        match event {
            Event::Wake(w, generation) => {
                if busy[w] || generation != wake_gen[w] || todo.is_empty() {
                    continue;
                }
                match model.try_send(clock) {
                    Ok(ticket) => {
                        let page = todo.pop_front().unwrap();
                        busy[w] = true;
                        let mut rtt = s.rtt.0 + (s.rtt.1 - s.rtt.0) * rng.unit();
                        if let Some(f) = s.rtt_at {
                            rtt = f(t - start, rtt, rng.unit());
                        }
                        let out_leg = rtt * (0.3 + 0.4 * rng.unit());
                        requests.push(Request {
                            page,
                            worker: w,
                            ticket,
                            rtt,
                            verdict: None,
                        });
                        push(&mut queue, t + out_leg, Event::Arrive(requests.len() - 1));
                    }
                    Err(Wait::Until(at)) => {
                        wake_gen[w] += 1;
                        let at = (start_ns + at.as_nanos() as u64) as f64 / 1e9;
                        stalls = if at <= t { stalls + 1 } else { 0 };
                        if stalls == 9_999 {
                            let mut m = model.clone();
                            eprintln!(
                                "now {clock:?}: {:?} / +1ms {:?}",
                                m.try_send(clock),
                                m.try_send(clock + Duration::from_millis(1))
                            );
                        }
                        assert!(
                            stalls < 10_000,
                            "{}: the model keeps saying now at {t} ({at}): {model:#?}",
                            s.name
                        );
                        push(&mut queue, at.max(t), Event::Wake(w, wake_gen[w]));
                    }
                    Err(Wait::Answer) => waiting_answer.push(w),
                }
            }
            Event::Arrive(r) => {
                let verdict = limiter.arrive(t, &mut rng);
                let k = switch_window(&s.shape, t).map_or((t / period).floor() as i64, |w| w.0)
                    - first_window;
                let entry = out.windows.entry(k).or_default();
                out.sent += 1;
                match verdict {
                    Verdict::Pass => entry.0 += 1,
                    Verdict::Refuse(_) => {
                        entry.1 += 1;
                        out.refused += 1;
                    }
                }
                if keep_log {
                    out.log
                        .push((t - start, matches!(verdict, Verdict::Refuse(_))));
                }
                let request = &mut requests[r];
                request.verdict = Some(verdict);
                let back = t + request.rtt * 0.5;
                push(&mut queue, back, Event::Answer(r));
            }
            Event::Answer(r) => {
                let request = &mut requests[r];
                let answer = match request.verdict.take() {
                    Some(Verdict::Pass) => {
                        done += 1;
                        Answer::Passed
                    }
                    Some(Verdict::Refuse(at)) => {
                        todo.push_front(request.page);
                        Answer::Throttled(at.map(|at| {
                            let skew = match &s.shape {
                                Shape::Window {
                                    retry_after: RetryAfter::Date(skew),
                                    ..
                                } => skew * (2.0 * rng.unit() - 1.0),
                                _ => 0.0,
                            };
                            Duration::from_secs_f64((at - t - skew).max(0.0))
                        }))
                    }
                    None => unreachable!("answered before it arrived"),
                };
                model.answered(request.ticket, clock, answer);
                if trace {
                    eprintln!(
                        "{:9.3} w{} {:?} {:?}",
                        t - start,
                        (t / period).floor() as i64 - first_window,
                        answer,
                        model.snapshot(clock).shape
                    );
                    if dump
                        .as_ref()
                        .is_some_and(|span| span.contains(&(t - start)))
                    {
                        eprintln!("{model:?}");
                    }
                }
                let w = request.worker;
                busy[w] = false;
                if done == s.pages {
                    out.wall = t - start;
                    out.model = Some(model.snapshot(clock));
                    break;
                }
                wake_gen[w] += 1;
                push(&mut queue, t, Event::Wake(w, wake_gen[w]));
                for w in waiting_answer.drain(..) {
                    wake_gen[w] += 1;
                    push(&mut queue, t, Event::Wake(w, wake_gen[w]));
                }
            }
        }
    }
    out
}

struct Summary {
    efficiency: f64,
    /// The best start's: under headroom, the most of the limit taken.
    efficiency_max: f64,
    share_429: f64,
    /// Means over the starts.
    efficiency_mean: f64,
    share_429_mean: f64,
    max_per_window: u64,
    recover: Option<u64>,
    worst_start: f64,
    /// The baseline's worst efficiency and most `429`s over the same starts.
    baseline: f64,
    baseline_429: f64,
}

fn run(s: &Scenario) -> Summary {
    let period = s.period();
    let mut summary = Summary {
        efficiency: f64::INFINITY,
        efficiency_max: 0.0,
        share_429: 0.0,
        efficiency_mean: 0.0,
        share_429_mean: 0.0,
        max_per_window: 0,
        recover: None,
        worst_start: 0.0,
        baseline: f64::INFINITY,
        baseline_429: 0.0,
    };
    let seed_base = std::env::var("SIM_SEED").map_or(SEED, |v| {
        v.parse()
            .expect("SIM_SEED is a whole number (the simulator's seed)")
    });
    for i in 0..STARTS {
        // Far from the virtual epoch, at an even share of a window.
        let start = 1000.0 * period + period * i as f64 / STARTS as f64;
        let seed = seed_base ^ (i as u64).wrapping_mul(0x1234_5678_9ABC_DEF1);
        let out = export(s, start, seed, learning(s, start), false);
        let base = export(s, start, seed, baseline(s), false);
        summary.baseline = summary
            .baseline
            .min(s.pages as f64 / s.sustained() / base.wall);
        summary.baseline_429 = summary
            .baseline_429
            .max(base.refused as f64 / base.sent as f64);
        let efficiency = s.pages as f64 / s.sustained() / out.wall;
        if std::env::var("SIM_STARTS").is_ok() {
            eprintln!(
                "  start {i}: efficiency {efficiency:.3} 429s {}/{} model {:?}",
                out.refused,
                out.sent,
                out.model.map(|m| m.shape)
            );
        }
        summary.efficiency_max = summary.efficiency_max.max(efficiency);
        if efficiency < summary.efficiency {
            summary.efficiency = efficiency;
            summary.worst_start = i as f64 / STARTS as f64;
        }
        summary.share_429 = summary.share_429.max(out.refused as f64 / out.sent as f64);
        summary.efficiency_mean += efficiency / STARTS as f64;
        summary.share_429_mean += out.refused as f64 / out.sent as f64 / STARTS as f64;
        // The first two whole windows: a start inside a window leaves its rest before them.
        let skip = if i == 0 { 2 } else { 3 };
        let per_window = out
            .windows
            .iter()
            .filter(|(k, _)| **k >= skip)
            .map(|(_, (_, refused))| *refused)
            .max()
            .unwrap_or(0);
        summary.max_per_window = summary.max_per_window.max(per_window);
        if std::env::var("SIM_DEBUG").is_ok() && per_window > 1 {
            let bad: Vec<_> = out
                .windows
                .iter()
                .filter(|(k, (_, r))| **k >= skip && *r > 1)
                .map(|(k, v)| (*k, *v))
                .take(8)
                .collect();
            eprintln!("start {i}: {bad:?}");
        }
        if let Shape::Window { limits, limit, .. } = s.shape
            && s.name.starts_with("changing")
        {
            let first = (start / period).floor() as i64;
            let mut worst = 0;
            let mut changed_at = None;
            for (&k, &(passed, _)) in &out.windows {
                let absolute = first + k;
                if k > 0 && limits(absolute, limit) != limits(absolute - 1, limit) {
                    changed_at = Some(k);
                }
                if let Some(c) = changed_at
                    && passed as f64 >= 0.97 * limits(absolute, limit) as f64
                    && passed as f64 <= limits(absolute, limit) as f64
                {
                    worst = worst.max(k - c + 1);
                    changed_at = None;
                }
            }
            summary.recover = Some(summary.recover.unwrap_or(0).max(worst as u64));
        }
    }
    summary
}

fn window(limit: u64, period: f64) -> Shape {
    Shape::Window {
        period,
        limits: steady,
        limit,
        retry_after: RetryAfter::No,
        other: 0.0,
    }
}

fn scenarios() -> Vec<Scenario> {
    let fast = (0.02, 0.1);
    let base = |name, shape, pages, concurrency, rtt| Scenario {
        name,
        shape,
        pages,
        concurrency,
        rtt,
        rtt_at: None,
        headroom: 0.0,
        clock_off: 0.0,
    };
    let full = 6_667;
    let logx = |limit, period, limits: fn(i64, u64) -> u64, other: fn(i64) -> f64| Shape::LogX {
        limit,
        period,
        limits,
        other,
    };
    // A window whose limit `limits` changes over the export.
    let limited = |limits: fn(i64, u64) -> u64, limit, period| Shape::Window {
        period,
        limits,
        limit,
        retry_after: RetryAfter::No,
        other: 0.0,
    };
    // Others on the account searching in the first `front` of each window (bursty), or a
    // limit lowered in the window where the burst test often falls.
    let front = |other: fn(i64) -> f64, front: f64| Shape::Front {
        period: 60.0,
        limit: 100,
        limits: steady,
        other,
        front,
    };
    let lowered = |limits: fn(i64, u64) -> u64| Shape::Front {
        period: 60.0,
        limit: 100,
        limits,
        other: no_other,
        front: 1.0,
    };
    let bx = |burst, per_second, factor: fn(f64) -> f64, retry| Shape::BucketX {
        burst,
        per_second,
        factor,
        retry,
    };
    let extra = vec![
        // A review's (helper-28): many out and slow round trips against a short window, a
        // log, and a bucket with a large burst.
        base(
            "x_window_20_2_c16_slow",
            window(20, 2.0),
            full,
            16,
            (0.5, 2.0),
        ),
        base(
            "x_log_700_60_c16_slow",
            logx(700, 60.0, steady, no_other),
            full,
            16,
            (0.5, 2.0),
        ),
        base(
            "x_bucket_2_burst_60_c16_slow",
            bx(60.0, 2.0, f_one, false),
            2_000,
            16,
            (0.5, 2.0),
        ),
        // A review's (helper-27): buckets paused, drained, cut, or slow to answer.
        base(
            "x_bucket_2_c8_slow",
            bx(2.0, 2.0, f_one, false),
            full,
            8,
            (0.5, 2.0),
        ),
        base(
            "x_bucket_10_c24_slow",
            bx(10.0, 10.0, f_one, false),
            full,
            24,
            (0.5, 2.0),
        ),
        base(
            "x_bucket_10_tenth",
            bx(10.0, 10.0, f_tenth, false),
            full,
            8,
            (0.1, 0.4),
        ),
        base(
            "x_bucket_10_pause60",
            bx(10.0, 10.0, f_pause60, false),
            full,
            8,
            (0.1, 0.4),
        ),
        base(
            "x_bucket_10_pause_often",
            bx(10.0, 10.0, f_pause_often, false),
            full,
            8,
            (0.1, 0.4),
        ),
        base(
            "x_bucket_10_pause900_ra10",
            bx(10.0, 10.0, f_pause900, true),
            full,
            8,
            (0.1, 0.4),
        ),
        base(
            "x_bucket_10_pause5_c1",
            bx(10.0, 10.0, f_pause5, false),
            full,
            1,
            (0.02, 0.05),
        ),
        Scenario {
            headroom: 0.5,
            ..base(
                "x_bucket_10_drained8_headroom50",
                bx(10.0, 10.0, f_drained8, false),
                6000,
                8,
                (0.1, 0.4),
            )
        },
        base(
            "x_log_100_60_halved_back",
            logx(100, 60.0, log_halved, no_other),
            full,
            8,
            (0.1, 0.4),
        ),
        base(
            "x_log_100_60_lowered_fifth",
            logx(100, 60.0, log_lowered_fifth, no_other),
            full,
            8,
            (0.1, 0.4),
        ),
        base(
            "x_log_100_60_fifth_back",
            logx(100, 60.0, log_fifth_back, no_other),
            full,
            8,
            (0.1, 0.4),
        ),
        base(
            "x_log_100_60_raised_half",
            logx(100, 60.0, log_raised, no_other),
            full,
            8,
            (0.1, 0.4),
        ),
        base(
            "x_log_100_60_doubled",
            logx(100, 60.0, log_doubled, no_other),
            full,
            8,
            (0.1, 0.4),
        ),
        base(
            "x_log_100_60_shared30",
            logx(100, 60.0, steady, other30),
            full,
            8,
            (0.1, 0.4),
        ),
        base(
            "x_log_100_60_shared20",
            logx(100, 60.0, steady, other20),
            full,
            8,
            (0.1, 0.4),
        ),
        base(
            "x_log_100_60_shared10",
            logx(100, 60.0, steady, other10),
            full,
            8,
            (0.1, 0.4),
        ),
        base(
            "x_log_100_60_shared30_leave",
            logx(100, 60.0, steady, other30_leave),
            full,
            8,
            (0.1, 0.4),
        ),
        base(
            "x_log_100_60_shared20_leave",
            logx(100, 60.0, steady, other20_leave),
            full,
            8,
            (0.1, 0.4),
        ),
        base(
            "x_log_100_60_shared_varying",
            logx(100, 60.0, steady, other_varying),
            full,
            8,
            (0.1, 0.4),
        ),
        base(
            "x_log_100_60_c1",
            logx(100, 60.0, steady, no_other),
            full,
            1,
            (0.1, 0.4),
        ),
        base(
            "x_log_100_60_c16",
            logx(100, 60.0, steady, no_other),
            full,
            16,
            (0.1, 0.4),
        ),
        base(
            "x_log_100_60_slow",
            logx(100, 60.0, steady, no_other),
            full,
            8,
            (0.5, 2.0),
        ),
        Scenario {
            headroom: 0.1,
            ..base(
                "x_log_100_60_headroom10",
                logx(100, 60.0, steady, no_other),
                full,
                8,
                (0.1, 0.4),
            )
        },
        Scenario {
            headroom: 0.1,
            ..base(
                "x_log_20_2_headroom10",
                logx(20, 2.0, steady, no_other),
                full,
                4,
                fast,
            )
        },
        base(
            "x_log_5_per_10s",
            logx(5, 10.0, steady, no_other),
            1000,
            4,
            fast,
        ),
        base(
            "x_log_3_per_5s",
            logx(3, 5.0, steady, no_other),
            1000,
            4,
            fast,
        ),
        // A review's (helper-26): limits lowered for one period, by a tenth, every other
        // five periods; lowered logs at 1 and 16 at once, and under headroom.
        base(
            "x_log_100_60_dip_one",
            logx(100, 60.0, log_dip_one, no_other),
            full,
            8,
            (0.1, 0.4),
        ),
        base(
            "x_log_100_60_lowered_tenth",
            logx(100, 60.0, log_lowered_tenth, no_other),
            full,
            8,
            (0.1, 0.4),
        ),
        // Review 53's: a log whose closings, once lowered by a tenth and paced at the old
        // limit as a rate, last a ninth of its open stretches (a pause's share).
        base(
            "x_log_400_40_lowered_tenth",
            logx(400, 40.0, log_lowered_tenth, no_other),
            full,
            8,
            (0.1, 0.4),
        ),
        base(
            "x_log_400_40_lowered_tenth_c1",
            logx(400, 40.0, log_lowered_tenth, no_other),
            full,
            1,
            (0.02, 0.05),
        ),
        base(
            "x_log_100_60_oscillating",
            logx(100, 60.0, log_oscillating, no_other),
            full,
            8,
            (0.1, 0.4),
        ),
        base(
            "x_log_100_60_fifth_back_c16",
            logx(100, 60.0, log_fifth_back, no_other),
            full,
            16,
            (0.1, 0.4),
        ),
        base(
            "x_log_100_60_halved_back_c1",
            logx(100, 60.0, log_halved, no_other),
            full,
            1,
            (0.1, 0.4),
        ),
        Scenario {
            headroom: 0.1,
            ..base(
                "x_log_100_60_headroom10_lowered_fifth",
                logx(100, 60.0, log_lowered_fifth, no_other),
                full,
                8,
                (0.1, 0.4),
            )
        },
        Scenario {
            headroom: 0.1,
            ..base(
                "x_log_100_60_headroom10_fifth_back",
                logx(100, 60.0, log_fifth_back, no_other),
                full,
                8,
                (0.1, 0.4),
            )
        },
        base(
            "x_log_100_60_blackout",
            logx(100, 60.0, log_blackout, no_other),
            full,
            8,
            (0.1, 0.4),
        ),
        base(
            "x_log_20_2_lowered_fifth",
            logx(20, 2.0, log_lowered_fifth, no_other),
            full,
            4,
            fast,
        ),
        base(
            "x_log_20_2_shared20",
            logx(20, 2.0, steady, other20),
            full,
            4,
            fast,
        ),
        base(
            "x_log_6000_per_hour",
            logx(6000, 3600.0, steady, no_other),
            30_000,
            16,
            (0.1, 0.4),
        ),
        base(
            "x_window_shared_varying",
            Shape::Window {
                period: 60.0,
                limits: steady,
                limit: 100,
                retry_after: RetryAfter::No,
                other: -1.0,
            },
            full,
            4,
            (0.1, 0.4),
        ),
        base(
            "x_window_alternating",
            Shape::Window {
                period: 60.0,
                limits: alternating,
                limit: 100,
                retry_after: RetryAfter::No,
                other: 0.0,
            },
            full,
            4,
            (0.1, 0.4),
        ),
        base(
            "x_window_shared_20pct_20_2",
            Shape::Window {
                period: 2.0,
                limits: steady,
                limit: 20,
                retry_after: RetryAfter::No,
                other: 0.2,
            },
            full,
            4,
            fast,
        ),
        base(
            "x_window_shared_30pct_slow",
            Shape::Window {
                period: 60.0,
                limits: steady,
                limit: 100,
                retry_after: RetryAfter::No,
                other: 0.3,
            },
            full,
            8,
            (0.5, 2.0),
        ),
        Scenario {
            headroom: 0.1,
            ..base(
                "x_window_changing_headroom",
                limited(changing, 100, 60.0),
                full,
                4,
                (0.1, 0.4),
            )
        },
        base(
            "x_window_changing_c16",
            limited(changing, 100, 60.0),
            full,
            16,
            fast,
        ),
        base(
            "x_window_20_2_halved_c24_slow",
            limited(halved, 20, 2.0),
            2000,
            24,
            (0.3, 1.0),
        ),
        base(
            "x_window_100_10_halved",
            limited(halved, 100, 10.0),
            6667,
            4,
            (0.1, 0.4),
        ),
        base(
            "x_window_20_2_halved_c8",
            limited(halved, 20, 2.0),
            2000,
            8,
            (0.2, 0.6),
        ),
        // Periods a little shorter than a round one, and a period that changes 10 windows in
        // (a review's: the model took the round period for good).
        base(
            "x_window_100_per_9.5s_c16",
            window(100, 9.5),
            full,
            16,
            (0.1, 0.4),
        ),
        base(
            "x_window_100_per_9.8s",
            window(100, 9.8),
            full,
            4,
            (0.1, 0.4),
        ),
        base(
            "x_switch_100_60s_to_50_30s",
            Shape::Switch {
                limit: 100,
                period: 60.0,
                then: (50, 30.0),
                at: 1010,
            },
            full,
            4,
            (0.1, 0.4),
        ),
        base(
            "x_switch_100_10s_to_120_12s",
            Shape::Switch {
                limit: 100,
                period: 10.0,
                then: (120, 12.0),
                at: 1010,
            },
            full,
            4,
            (0.1, 0.4),
        ),
        base(
            "x_window_raised_slow",
            limited(raised, 100, 60.0),
            full,
            8,
            (0.5, 2.0),
        ),
        base(
            "x_window_others_front_varying",
            front(other_varying, 0.05),
            full,
            4,
            (0.1, 0.4),
        ),
        base(
            "x_window_others_front_random",
            front(other_random, 0.05),
            full,
            4,
            (0.1, 0.4),
        ),
        base(
            "x_window_others_front_random_c16",
            front(other_random, 0.05),
            full,
            16,
            (0.1, 0.4),
        ),
        base(
            "x_window_others_front_random_slow",
            front(other_random, 0.05),
            full,
            8,
            (0.5, 2.0),
        ),
        base(
            "x_window_others_random",
            front(other_random, 1.0),
            full,
            4,
            (0.1, 0.4),
        ),
        base(
            "x_window_others_export",
            front(other_export, 0.05),
            full,
            4,
            (0.1, 0.4),
        ),
        base(
            "x_window_lowered_at_3",
            lowered(lowered_at_3),
            full,
            4,
            (0.1, 0.4),
        ),
        base(
            "x_window_lowered_at_3_c16",
            lowered(lowered_at_3),
            full,
            16,
            (0.1, 0.4),
        ),
        base(
            "x_window_dipped_at_3",
            lowered(dipped_at_3),
            full,
            4,
            (0.1, 0.4),
        ),
    ];
    let _ = &extra;
    // Review 29's: buckets changed mid-export at slow round trips, round trips that change
    // mid-export, stalls, headroom, very slow and very fast buckets, logs answered slowly.
    let slow = (0.5, 2.0);
    let mid = (0.1, 0.4);
    let loopback = (0.0005, 0.003);
    let rt = |s: Scenario, f: fn(f64, f64, f64) -> f64| Scenario {
        rtt_at: Some(f),
        ..s
    };
    let hr = |s: Scenario, h: f64| Scenario { headroom: h, ..s };
    let r29 = vec![
        // A token bucket answered at loopback speed, a token every 67 ms against round trips
        // of a few: the probes wait for the clock's boundaries, and the tokens piled up
        // meanwhile come back in a lump, as a window's allowance does. A 300-page export and
        // a full one.
        base(
            "x_bucket_15_c4_loopback",
            Shape::Bucket {
                burst: 15.0,
                per_second: 15.0,
            },
            300,
            4,
            loopback,
        ),
        base(
            "x_bucket_15_c4_loopback_full",
            Shape::Bucket {
                burst: 15.0,
                per_second: 15.0,
            },
            full,
            4,
            loopback,
        ),
        base(
            "x_bucket_10_c24_slow_raised_half",
            bx(10.0, 10.0, f_raise_half, false),
            full,
            24,
            slow,
        ),
        base(
            "x_bucket_10_c32_slow_doubled",
            bx(10.0, 10.0, f_double, false),
            full,
            32,
            slow,
        ),
        base(
            "x_bucket_10_c16_slow_halved",
            bx(10.0, 10.0, f_half, false),
            full,
            16,
            slow,
        ),
        base(
            "x_bucket_10_c16_slow_fifth",
            bx(10.0, 10.0, f_fifth, false),
            full,
            16,
            slow,
        ),
        base(
            "x_bucket_10_c16_slow_15pct",
            bx(10.0, 10.0, f_15pct, false),
            full,
            16,
            slow,
        ),
        base(
            "x_bucket_10_c24_slow_half_back",
            bx(10.0, 10.0, f_half_back, false),
            full,
            24,
            slow,
        ),
        base(
            "x_bucket_10_c24_slow_tenth",
            bx(10.0, 10.0, f_tenth, false),
            full,
            24,
            slow,
        ),
        base(
            "x_bucket_10_c8_mid_raised_half",
            bx(10.0, 10.0, f_raise_half, false),
            full,
            8,
            mid,
        ),
        base(
            "x_bucket_10_c8_mid_halved",
            bx(10.0, 10.0, f_half, false),
            full,
            8,
            mid,
        ),
        base(
            "x_bucket_10_c1_mid_fifth",
            bx(10.0, 10.0, f_fifth, false),
            4000,
            1,
            (0.02, 0.08),
        ),
        base(
            "x_bucket_2_c4_slow_halved",
            bx(2.0, 2.0, f_half, false),
            2000,
            4,
            slow,
        ),
        base(
            "x_bucket_2_c4_slow_raised_half",
            bx(2.0, 2.0, f_raise_half, false),
            2000,
            4,
            slow,
        ),
        base(
            "x_bucket_0.5_c1_slow",
            bx(1.0, 0.5, f_one, false),
            600,
            1,
            slow,
        ),
        base(
            "x_bucket_0.5_c4_slow_halved",
            bx(1.0, 0.5, f_half, false),
            400,
            4,
            slow,
        ),
        base(
            "x_bucket_100_c4_loopback",
            bx(100.0, 100.0, f_one, false),
            20_000,
            4,
            loopback,
        ),
        base(
            "x_bucket_100_c16_fast_halved",
            bx(100.0, 100.0, f_half, false),
            40_000,
            16,
            (0.02, 0.1),
        ),
        rt(
            base(
                "x_bucket_10_c24_rttx5",
                bx(10.0, 10.0, f_one, false),
                full,
                24,
                mid,
            ),
            r_slow_300,
        ),
        rt(
            base(
                "x_bucket_10_c24_rttx5_halved",
                bx(10.0, 10.0, f_half_330, false),
                full,
                24,
                mid,
            ),
            r_slow_300,
        ),
        rt(
            base(
                "x_bucket_10_c24_rttx5_raised",
                bx(10.0, 10.0, f_raise_330, false),
                full,
                24,
                mid,
            ),
            r_slow_300,
        ),
        rt(
            base(
                "x_bucket_10_c16_stall",
                bx(10.0, 10.0, f_one, false),
                full,
                16,
                mid,
            ),
            r_stall,
        ),
        rt(
            base(
                "x_bucket_10_c16_stall_halved",
                bx(10.0, 10.0, f_half, false),
                full,
                16,
                mid,
            ),
            r_stall,
        ),
        rt(
            base(
                "x_bucket_10_c16_stall_raised",
                bx(10.0, 10.0, f_raise_half, false),
                full,
                16,
                mid,
            ),
            r_stall,
        ),
        rt(
            base(
                "x_bucket_10_c16_stall_often",
                bx(10.0, 10.0, f_one, false),
                full,
                16,
                mid,
            ),
            r_stall_often,
        ),
        rt(
            base(
                "x_bucket_10_c16_stall300_halved",
                bx(10.0, 10.0, f_half, false),
                full,
                16,
                mid,
            ),
            r_stall_300,
        ),
        rt(
            base(
                "x_bucket_10_c16_slow_stall",
                bx(10.0, 10.0, f_one, false),
                full,
                16,
                slow,
            ),
            r_stall,
        ),
        hr(
            base(
                "x_bucket_10_c16_slow_headroom10",
                bx(10.0, 10.0, f_one, false),
                full,
                16,
                slow,
            ),
            0.1,
        ),
        hr(
            base(
                "x_bucket_10_c16_slow_headroom50",
                bx(10.0, 10.0, f_one, false),
                full,
                16,
                slow,
            ),
            0.5,
        ),
        hr(
            base(
                "x_bucket_10_c16_slow_headroom10_halved",
                bx(10.0, 10.0, f_half, false),
                full,
                16,
                slow,
            ),
            0.1,
        ),
        hr(
            base(
                "x_bucket_10_c24_slow_headroom10_raised",
                bx(10.0, 10.0, f_raise_half, false),
                full,
                24,
                slow,
            ),
            0.1,
        ),
        hr(
            base(
                "x_bucket_10_c8_mid_headroom10",
                bx(10.0, 10.0, f_one, false),
                full,
                8,
                mid,
            ),
            0.1,
        ),
        hr(
            base(
                "x_bucket_15_c4_fast_headroom10",
                bx(15.0, 15.0, f_one, false),
                full,
                4,
                (0.02, 0.1),
            ),
            0.1,
        ),
        hr(
            base(
                "x_bucket_10_c24_slow_headroom10",
                bx(10.0, 10.0, f_one, false),
                full,
                24,
                slow,
            ),
            0.1,
        ),
        hr(
            base(
                "x_bucket_2_c8_slow_headroom10",
                bx(2.0, 2.0, f_one, false),
                2000,
                8,
                slow,
            ),
            0.1,
        ),
        base(
            "x_log_100_10_c16_slow",
            logx(100, 10.0, steady, no_other),
            full,
            16,
            slow,
        ),
        base(
            "x_log_20_2_c24_slow",
            logx(20, 2.0, steady, no_other),
            full,
            24,
            slow,
        ),
        base(
            "x_log_700_60_c16_slow_lowered_fifth",
            logx(700, 60.0, log_lowered_fifth, no_other),
            10_000,
            16,
            slow,
        ),
        base(
            "x_window_100_10_c16_slow",
            window(100, 10.0),
            full,
            16,
            slow,
        ),
    ];
    let r30 = {
        let h = |name, f: fn(f64) -> f64, c, rtt, hd: f64| Scenario {
            headroom: hd,
            ..base(name, bx(10.0, 10.0, f, false), full, c, rtt)
        };
        vec![
            h(
                "x_headroom10_bucket_10_slow_c16_half_back",
                f_half_back,
                16,
                slow,
                0.1,
            ),
            h(
                "x_headroom10_bucket_10_mid_c8_half_back",
                f_half_back,
                8,
                mid,
                0.1,
            ),
            h(
                "x_headroom10_bucket_10_slow_c16_fifth",
                f_fifth,
                16,
                slow,
                0.1,
            ),
            h("x_headroom10_bucket_10_mid_c8_fifth", f_fifth, 8, mid, 0.1),
            h("x_headroom10_bucket_10_mid_c8_15pct", f_15pct, 8, mid, 0.1),
            h(
                "x_headroom10_bucket_10_slow_c16_drain20",
                f_drain_20,
                16,
                slow,
                0.1,
            ),
            h(
                "x_headroom10_bucket_10_slow_c16_drain40",
                f_drain_40,
                16,
                slow,
                0.1,
            ),
            h(
                "x_headroom10_bucket_10_slow_c16_drain60",
                f_drain_60,
                16,
                slow,
                0.1,
            ),
            h(
                "x_headroom10_bucket_10_slow_c16_drained8",
                f_drained8,
                16,
                slow,
                0.1,
            ),
            h(
                "x_headroom10_bucket_10_slow_c24_half_early",
                f_half_early,
                24,
                slow,
                0.1,
            ),
            h(
                "x_headroom10_bucket_10_slow_c16_dip_early",
                f_dip_early,
                16,
                slow,
                0.1,
            ),
            h(
                "x_headroom10_bucket_10_mid_c8_drain20",
                f_drain_20,
                8,
                mid,
                0.1,
            ),
            h(
                "x_headroom30_bucket_10_slow_c16_drain20",
                f_drain_20,
                16,
                slow,
                0.3,
            ),
            Scenario {
                pages: 60_000,
                ..base(
                    "x_long_bucket_10_c16_slow",
                    bx(10.0, 10.0, f_one, false),
                    full,
                    16,
                    slow,
                )
            },
            Scenario {
                pages: 60_000,
                ..base(
                    "x_long_bucket_15_c4_fast",
                    bx(15.0, 15.0, f_one, false),
                    full,
                    4,
                    (0.02, 0.1),
                )
            },
            Scenario {
                pages: 60_000,
                ..base(
                    "x_long_bucket_10_c8_mid",
                    bx(10.0, 10.0, f_one, false),
                    full,
                    8,
                    mid,
                )
            },
            Scenario {
                pages: 60_000,
                ..base(
                    "x_long_bucket_2_c8_fast",
                    bx(60.0, 2.0, f_one, false),
                    full,
                    8,
                    (0.02, 0.1),
                )
            },
        ]
    };
    let mut v = vec![
        base("window_20_per_2s", window(20, 2.0), full, 4, fast),
        base("window_30_per_6s", window(30, 6.0), full, 4, (0.05, 0.3)),
        base("window_100_per_60s", window(100, 60.0), full, 4, (0.1, 0.4)),
        // Spent at about two thirds of its period at this concurrency and round trip.
        base("window_100_per_10s", window(100, 10.0), full, 4, (0.1, 0.4)),
        base(
            "window_1000_per_hour",
            window(1000, 3600.0),
            60_000,
            16,
            (0.02, 2.0),
        ),
        base(
            "window_100_per_60s_slow",
            window(100, 60.0),
            full,
            8,
            (0.5, 2.0),
        ),
        base(
            "window_100_per_60s_prespent_slow",
            Shape::Window {
                period: 60.0,
                limits: prespent,
                limit: 100,
                retry_after: RetryAfter::No,
                other: 0.0,
            },
            full,
            8,
            (0.5, 2.0),
        ),
        base(
            "window_20_per_2s_prespent",
            Shape::Window {
                period: 2.0,
                limits: prespent,
                limit: 20,
                retry_after: RetryAfter::No,
                other: 0.0,
            },
            full,
            4,
            fast,
        ),
        base("window_100_per_60s_c1", window(100, 60.0), full, 1, fast),
        base("window_100_per_60s_c16", window(100, 60.0), full, 16, fast),
        base(
            "bucket_15_per_s_burst_15",
            Shape::Bucket {
                burst: 15.0,
                per_second: 15.0,
            },
            full,
            4,
            fast,
        ),
        base(
            "bucket_2_per_s_burst_60",
            Shape::Bucket {
                burst: 60.0,
                per_second: 2.0,
            },
            2_000,
            8,
            fast,
        ),
        base(
            "bucket_10_per_s_burst_10_c16_slow",
            Shape::Bucket {
                burst: 10.0,
                per_second: 10.0,
            },
            full,
            16,
            (0.5, 2.0),
        ),
        base(
            "sliding_log_20_per_2s",
            Shape::Log {
                limit: 20,
                period: 2.0,
            },
            full,
            4,
            fast,
        ),
        base(
            "window_20_per_1s_404_loopback",
            window(20, 1.0),
            404,
            4,
            (0.0005, 0.003),
        ),
        base(
            "window_30_per_3s_404_loopback",
            window(30, 3.0),
            404,
            4,
            (0.0005, 0.003),
        ),
        base(
            "sliding_log_20_per_1s_404_loopback",
            Shape::Log {
                limit: 20,
                period: 1.0,
            },
            404,
            4,
            (0.0005, 0.003),
        ),
        base(
            "sliding_log_30_per_3s_404_loopback",
            Shape::Log {
                limit: 30,
                period: 3.0,
            },
            404,
            4,
            (0.0005, 0.003),
        ),
        base(
            "sliding_log_100_per_60s",
            Shape::Log {
                limit: 100,
                period: 60.0,
            },
            full,
            8,
            (0.1, 0.4),
        ),
        base(
            "retry_after_seconds_20_per_2s",
            Shape::Window {
                period: 2.0,
                limits: steady,
                limit: 20,
                retry_after: RetryAfter::Seconds,
                other: 0.0,
            },
            full,
            4,
            fast,
        ),
        base(
            "retry_after_seconds_100_per_60s_slow",
            Shape::Window {
                period: 60.0,
                limits: steady,
                limit: 100,
                retry_after: RetryAfter::Seconds,
                other: 0.0,
            },
            full,
            8,
            (0.5, 2.0),
        ),
        base(
            "retry_after_date_30_per_6s",
            Shape::Window {
                period: 6.0,
                limits: steady,
                limit: 30,
                retry_after: RetryAfter::Date(0.2),
                other: 0.0,
            },
            full,
            4,
            fast,
        ),
        base(
            "shared_30pct_100_per_60s",
            Shape::Window {
                period: 60.0,
                limits: steady,
                limit: 100,
                retry_after: RetryAfter::No,
                other: 0.3,
            },
            full,
            4,
            (0.1, 0.4),
        ),
        // Windows off the client's clock: its clock ahead or behind, or a gateway's windows.
        Scenario {
            clock_off: 1.0,
            ..base(
                "window_100_per_60s_clock_1s_ahead",
                window(100, 60.0),
                full,
                4,
                (0.1, 0.4),
            )
        },
        Scenario {
            clock_off: -1.0,
            ..base(
                "window_100_per_60s_clock_1s_behind",
                window(100, 60.0),
                full,
                4,
                (0.1, 0.4),
            )
        },
        Scenario {
            clock_off: 17.3,
            ..base(
                "window_100_per_60s_off_clock_17.3s",
                window(100, 60.0),
                full,
                4,
                (0.1, 0.4),
            )
        },
        Scenario {
            clock_off: 0.37,
            ..base(
                "window_20_per_2s_off_clock_0.37s",
                window(20, 2.0),
                full,
                4,
                (0.02, 0.1),
            )
        },
        // A tenth left to the account's other users: 0.90 is the exact share.
        Scenario {
            headroom: 0.1,
            ..base(
                "window_100_per_60s_headroom_10pct",
                window(100, 60.0),
                full,
                4,
                (0.1, 0.4),
            )
        },
        base(
            "changing_100_150_per_60s",
            limited(raised, 100, 60.0),
            full,
            4,
            (0.1, 0.4),
        ),
        base(
            "changing_100_50_100_per_60s",
            limited(changing, 100, 60.0),
            full,
            4,
            (0.1, 0.4),
        ),
    ];
    // Buckets whose tokens others take at random: a first lift that others' takings made
    // long, and a second they left quick, must not pass for a sliding log's.
    let sb = |burst, per_second, share| Shape::BucketShared {
        burst,
        per_second,
        share,
    };
    let shared_buckets = vec![
        base(
            "x_bucket_shared30_15_c4",
            sb(15.0, 15.0, 0.3),
            full,
            4,
            fast,
        ),
        base(
            "x_bucket_shared30_10_c16_slow",
            sb(10.0, 10.0, 0.3),
            full,
            16,
            slow,
        ),
        base(
            "x_bucket_shared30_2_burst_60_c8",
            sb(60.0, 2.0, 0.3),
            2_000,
            8,
            fast,
        ),
        base("x_bucket_shared50_2_c1", sb(2.0, 2.0, 0.5), 2_000, 1, mid),
        base(
            "x_bucket_shared30_15_c1",
            sb(15.0, 15.0, 0.3),
            2_000,
            1,
            fast,
        ),
        base("x_bucket_shared10_2_c1", sb(2.0, 2.0, 0.1), 2_000, 1, mid),
        base(
            "x_bucket_shared30_1_burst_100_c1",
            sb(100.0, 1.0, 0.3),
            2_000,
            1,
            mid,
        ),
    ];
    // Review 32's: a window others spend whole now and then, whose rate (it is taken for
    // one) collapsed to 1e-8 a second before `COLLAPSE`; a bucket whose refill stops as the
    // first throttle begins, taken for a sliding log by its second lift (a known misfire).
    let r32 = vec![
        base(
            "x_window_others_all_then_70_every10_c4",
            front(other_all_then_70_every10, 0.05),
            full,
            4,
            mid,
        ),
        base(
            "x_bucket_15_c1_pause_first3",
            bx(15.0, 15.0, f_pause_first3, false),
            full,
            1,
            (0.02, 0.05),
        ),
        base(
            "x_bucket_15_c4_pause_first3",
            bx(15.0, 15.0, f_pause_first3, false),
            full,
            4,
            fast,
        ),
    ];
    // Review 34's (helper-34): windows whose first run was short (others, a late start, a
    // raised limit), many at once and slow; buckets whose rate is entered at a success,
    // bursty or lagged, after `Retry-After`, shared, under headroom, slow and fast.
    let r34 = {
        let wr = |limits: fn(i64, u64) -> u64, limit, period, retry_after| Shape::Window {
            period,
            limits,
            limit,
            retry_after,
            other: 0.0,
        };
        let fr = |other: fn(i64) -> f64, front: f64| Shape::Front {
            period: 60.0,
            limit: 100,
            limits: steady,
            other,
            front,
        };
        vec![
            base(
                "x_r34_window_prespent_c16_mid",
                limited(prespent, 100, 60.0),
                full,
                16,
                mid,
            ),
            base(
                "x_r34_window_prespent_c16_slow",
                limited(prespent, 100, 60.0),
                full,
                16,
                slow,
            ),
            base(
                "x_r34_window_prespent_c4_slow",
                limited(prespent, 100, 60.0),
                full,
                4,
                slow,
            ),
            base(
                "x_r34_window_100_10_prespent_c16_slow",
                limited(prespent, 100, 10.0),
                full,
                16,
                slow,
            ),
            base(
                "x_r34_window_100_10_c16_slow",
                window(100, 10.0),
                full,
                16,
                (1.0, 2.0),
            ),
            base(
                "x_r34_window_20_2_prespent_c16_slow",
                limited(prespent, 20, 2.0),
                2000,
                16,
                (0.3, 1.0),
            ),
            base(
                "x_r34_window_raised_at_1_c16",
                limited(raised_at_1, 100, 60.0),
                full,
                16,
                mid,
            ),
            base(
                "x_r34_window_lowered_at_1_c16",
                limited(lowered_at_1, 100, 60.0),
                full,
                16,
                mid,
            ),
            base(
                "x_r34_window_first60_c16_mid",
                fr(other_first60, 1.0),
                full,
                16,
                mid,
            ),
            base(
                "x_r34_window_first60_front_c16_slow",
                fr(other_first60, 0.05),
                full,
                16,
                slow,
            ),
            base(
                "x_r34_window_other40_every2_c16",
                fr(other40_every2, 0.05),
                full,
                16,
                mid,
            ),
            base(
                "x_r34_window_others_random_c16_slow",
                fr(other_random, 0.05),
                full,
                16,
                slow,
            ),
            base(
                "x_r34_window_ra_prespent_c16",
                wr(prespent, 100, 60.0, RetryAfter::Seconds),
                full,
                16,
                mid,
            ),
            base(
                "x_r34_window_ra_prespent_c16_slow",
                wr(prespent, 100, 60.0, RetryAfter::Seconds),
                full,
                16,
                slow,
            ),
            base(
                "x_r34_log_first60_c16",
                logx(100, 60.0, steady, other_first60),
                full,
                16,
                mid,
            ),
            base(
                "x_r34_log_lowered_at_1_c16",
                logx(100, 60.0, lowered_at_1, no_other),
                full,
                16,
                mid,
            ),
            base(
                "x_r34_bucket_20_c16_slow",
                bx(20.0, 20.0, f_one, false),
                full,
                16,
                slow,
            ),
            base(
                "x_r34_bucket_10_c2_2s",
                bx(10.0, 10.0, f_one, false),
                2000,
                2,
                (1.5, 2.0),
            ),
            base(
                "x_r34_bucket_0.2_burst10_c4",
                bx(10.0, 0.2, f_one, false),
                300,
                4,
                mid,
            ),
            base(
                "x_r34_bucket_1_c1_fast",
                bx(1.0, 1.0, f_one, false),
                1000,
                1,
                fast,
            ),
            base(
                "x_r34_bucket_pulse1_c8",
                bx(10.0, 10.0, f_pulse1, false),
                full,
                8,
                mid,
            ),
            base(
                "x_r34_bucket_pulse1_c16_slow",
                bx(10.0, 10.0, f_pulse1, false),
                full,
                16,
                slow,
            ),
            base(
                "x_r34_bucket_pulse5_c8",
                bx(50.0, 10.0, f_pulse5, false),
                full,
                8,
                mid,
            ),
            base(
                "x_r34_bucket_lag_c8",
                bx(10.0, 10.0, f_lag, false),
                full,
                8,
                mid,
            ),
            base(
                "x_r34_bucket_lag_c16_slow",
                bx(10.0, 10.0, f_lag, false),
                full,
                16,
                slow,
            ),
            base(
                "x_r34_bucket_10_ra_c8",
                bx(10.0, 10.0, f_one, true),
                full,
                8,
                mid,
            ),
            base(
                "x_r34_bucket_2_burst60_ra_c16_slow",
                bx(60.0, 2.0, f_one, true),
                2000,
                16,
                slow,
            ),
            base(
                "x_r34_bucket_pulse5_ra_c8",
                bx(50.0, 10.0, f_pulse5, true),
                full,
                8,
                mid,
            ),
            base(
                "x_r34_bucket_shared30_20_c16_slow",
                Shape::BucketShared {
                    burst: 20.0,
                    per_second: 20.0,
                    share: 0.3,
                },
                full,
                16,
                slow,
            ),
            hr(
                base(
                    "x_r34_bucket_2_burst60_c4_headroom30",
                    bx(60.0, 2.0, f_one, false),
                    2000,
                    4,
                    mid,
                ),
                0.3,
            ),
        ]
    };
    // Review 36's (helper-36): the learning's serial phase skipped once the limiter was seen
    // closed, and no longer than the run took to reach the count: windows at short and long
    // scales, partly spent or raised between the runs, logs racing their aging, buckets with
    // large bursts, a clock off the windows, `Retry-After`.
    let r36 = {
        let wo = |limit, period, other, retry_after| Shape::Window {
            period,
            limits: steady,
            limit,
            retry_after,
            other,
        };
        vec![
            base(
                "x_r36_window_20_2_c16_fast",
                window(20, 2.0),
                2000,
                16,
                fast,
            ),
            base("x_r36_window_20_2_c4_slow", window(20, 2.0), 2000, 4, slow),
            base(
                "x_r36_window_30_6_c16_slow",
                window(30, 6.0),
                2000,
                16,
                slow,
            ),
            base("x_r36_window_30_6_c8_mid", window(30, 6.0), 2000, 8, mid),
            base(
                "x_r36_window_100_60_c16_slow",
                window(100, 60.0),
                2000,
                16,
                slow,
            ),
            base(
                "x_r36_window_1000_3600_c16_mid",
                window(1000, 3600.0),
                5000,
                16,
                mid,
            ),
            base(
                "x_r36_window_100_60_other30_c16_slow",
                wo(100, 60.0, 0.3, RetryAfter::No),
                2000,
                16,
                slow,
            ),
            base(
                "x_r36_window_100_60_varying_c16_mid",
                wo(100, 60.0, -1.0, RetryAfter::No),
                2000,
                16,
                mid,
            ),
            base(
                "x_r36_window_30_6_other30_c16_mid",
                wo(30, 6.0, 0.3, RetryAfter::No),
                2000,
                16,
                mid,
            ),
            base(
                "x_r36_window_30_6_ra_c16_slow",
                wo(30, 6.0, 0.0, RetryAfter::Seconds),
                2000,
                16,
                slow,
            ),
            base(
                "x_r36_window_20_2_raised_c16_mid",
                limited(raised_quarter_at_1, 20, 2.0),
                2000,
                16,
                mid,
            ),
            base(
                "x_r36_window_100_60_raised_c16_slow",
                limited(raised_quarter_at_1, 100, 60.0),
                2000,
                16,
                slow,
            ),
            base(
                "x_r36_window_prespent40_c16_mid",
                limited(prespent40, 100, 60.0),
                2000,
                16,
                mid,
            ),
            base(
                "x_r36_window_prespent40_c16_slow",
                limited(prespent40, 100, 60.0),
                2000,
                16,
                slow,
            ),
            base(
                "x_r36_window_prespent20_c8_mid",
                limited(prespent20, 100, 60.0),
                2000,
                8,
                mid,
            ),
            base(
                "x_r36_window_30_6_prespent40_c16_mid",
                limited(prespent40, 30, 6.0),
                2000,
                16,
                mid,
            ),
            base(
                "x_r36_window_1000_3600_prespent40_c16_mid",
                limited(prespent40, 1000, 3600.0),
                5000,
                16,
                mid,
            ),
            Scenario {
                clock_off: 2.5,
                ..base(
                    "x_r36_window_30_6_off2.5_c16_slow",
                    window(30, 6.0),
                    2000,
                    16,
                    slow,
                )
            },
            base(
                "x_r36_log_100_60_c16_slow",
                logx(100, 60.0, steady, no_other),
                2000,
                16,
                slow,
            ),
            base(
                "x_r36_log_30_6_c8_mid",
                logx(30, 6.0, steady, no_other),
                2000,
                8,
                mid,
            ),
            base(
                "x_r36_log_20_2_c16_slow",
                logx(20, 2.0, steady, no_other),
                2000,
                16,
                slow,
            ),
            base(
                "x_r36_log_100_60_other30_c16_mid",
                logx(100, 60.0, steady, other30),
                2000,
                16,
                mid,
            ),
            base(
                "x_r36_bucket_100_1_c16_slow",
                bx(100.0, 1.0, f_one, false),
                1000,
                16,
                slow,
            ),
            base(
                "x_r36_bucket_30_3_c8_mid",
                bx(30.0, 3.0, f_one, false),
                2000,
                8,
                mid,
            ),
            base(
                "x_r36_bucket_100_1_ra_c16_mid",
                bx(100.0, 1.0, f_one, true),
                1000,
                16,
                mid,
            ),
            base(
                "x_r36_window_20_2_prespent40_c16_fast",
                limited(prespent40, 20, 2.0),
                2000,
                16,
                fast,
            ),
            base("x_r36_window_10_1_c16_mid", window(10, 1.0), 2000, 16, mid),
            base(
                "x_r36_window_other40_every2_c16_slow",
                Shape::Front {
                    period: 60.0,
                    limit: 100,
                    limits: steady,
                    other: other40_every2,
                    front: 0.05,
                },
                2000,
                16,
                slow,
            ),
        ]
    };
    // Review 37's (helper-37): a log's first hold from the successes' shortest spacing, not
    // the guess: logs raised around their entry, under headroom (the hold never shortens
    // there), with slow or stalled callers while learnt, shared, relearnt after a lowering
    // or a blackout, and short logs at long round trips.
    let r37 = vec![
        base(
            "x_r37_log_30_6_raised_at_1_c8_mid",
            logx(30, 6.0, raised_at_1, no_other),
            2000,
            8,
            mid,
        ),
        base(
            "x_r37_log_30_6_raised_at_3_c16_slow",
            logx(30, 6.0, r37_raised_at_3, no_other),
            2000,
            16,
            slow,
        ),
        base(
            "x_r37_log_100_60_raised_at_1_c16_slow",
            logx(100, 60.0, raised_at_1, no_other),
            2000,
            16,
            slow,
        ),
        base(
            "x_r37_log_30_6_low_first2_c8_mid",
            logx(30, 6.0, r37_low_first2, no_other),
            2000,
            8,
            mid,
        ),
        hr(
            base(
                "x_r37_log_30_6_headroom20_c8_mid",
                logx(30, 6.0, steady, no_other),
                2000,
                8,
                mid,
            ),
            0.2,
        ),
        hr(
            base(
                "x_r37_log_100_60_headroom10_c16_slow",
                logx(100, 60.0, steady, no_other),
                2000,
                16,
                slow,
            ),
            0.1,
        ),
        hr(
            base(
                "x_r37_log_20_2_headroom10_c16_slow",
                logx(20, 2.0, steady, no_other),
                2000,
                16,
                slow,
            ),
            0.1,
        ),
        base(
            "x_r37_log_4_5_c1_slow",
            logx(4, 5.0, steady, no_other),
            400,
            1,
            slow,
        ),
        base(
            "x_r37_log_10_6_c2_slow",
            logx(10, 6.0, steady, no_other),
            600,
            2,
            slow,
        ),
        rt(
            base(
                "x_r37_log_20_2_slow_first_c8",
                logx(20, 2.0, steady, no_other),
                2000,
                8,
                mid,
            ),
            r37_slow_first,
        ),
        rt(
            base(
                "x_r37_log_30_6_slow_15_120_c8",
                logx(30, 6.0, steady, no_other),
                2000,
                8,
                mid,
            ),
            r37_slow_15_120,
        ),
        rt(
            base(
                "x_r37_log_30_6_idle_20_c4",
                logx(30, 6.0, steady, no_other),
                2000,
                4,
                mid,
            ),
            r37_idle_20,
        ),
        rt(
            base(
                "x_r37_log_30_6_stalls_c4",
                logx(30, 6.0, steady, no_other),
                2000,
                4,
                mid,
            ),
            r_stall_often,
        ),
        base(
            "x_r37_log_30_6_shared_varying_c16_slow",
            logx(30, 6.0, steady, other_varying),
            2000,
            16,
            slow,
        ),
        base(
            "x_r37_log_30_6_shared30_leave_c4_mid",
            logx(30, 6.0, steady, other30_leave),
            2000,
            4,
            mid,
        ),
        base(
            "x_r37_log_100_60_halved_back_c16_slow",
            logx(100, 60.0, log_halved, no_other),
            full,
            16,
            slow,
        ),
        base(
            "x_r37_log_20_2_blackout_c16_slow",
            logx(20, 2.0, log_blackout, no_other),
            2000,
            16,
            slow,
        ),
        base(
            "x_r37_log_30_6_doubled_c8_mid",
            logx(30, 6.0, log_doubled, no_other),
            2000,
            8,
            mid,
        ),
        base(
            "x_r37_log_10_1_c16_slow",
            logx(10, 1.0, steady, no_other),
            2000,
            16,
            slow,
        ),
        base(
            "x_r37_log_5_10_c1_fast",
            logx(5, 10.0, steady, no_other),
            300,
            1,
            fast,
        ),
        // Shared logs entered from a refuted window (short exports: the first hold weighs).
        base(
            "x_r37_log_100_60_shared20_c16_slow",
            logx(100, 60.0, steady, other20),
            1000,
            16,
            slow,
        ),
        base(
            "x_r37_log_100_60_shared20_c8_slow",
            logx(100, 60.0, steady, other20),
            1000,
            8,
            slow,
        ),
        base(
            "x_r37_log_100_60_shared30_c16_slow",
            logx(100, 60.0, steady, other30),
            1000,
            16,
            slow,
        ),
        base(
            "x_r37_log_100_60_other40_every2_c8_slow",
            logx(100, 60.0, steady, other40_every2),
            1000,
            8,
            slow,
        ),
        base(
            "x_r37_log_100_60_varying_c8_slow",
            logx(100, 60.0, steady, other_varying),
            1000,
            8,
            slow,
        ),
        base(
            "x_r37_log_30_6_varying_c16_mid",
            logx(30, 6.0, steady, other_varying),
            1000,
            16,
            mid,
        ),
        base(
            "x_r37_log_30_6_other40_every2_c8_mid",
            logx(30, 6.0, steady, other40_every2),
            1000,
            8,
            mid,
        ),
        base(
            "x_r37_log_20_2_other40_every2_c16_slow",
            logx(20, 2.0, steady, other40_every2),
            1000,
            16,
            slow,
        ),
        hr(
            base(
                "x_r37_log_30_6_halved_c8_mid_headroom10",
                logx(30, 6.0, log_halved, no_other),
                1000,
                8,
                mid,
            ),
            0.1,
        ),
        base(
            "x_r37_log_100_60_shared20_c16_slow_2000",
            logx(100, 60.0, steady, other20),
            2000,
            16,
            slow,
        ),
        base(
            "x_r37_log_30_6_varying_c16_mid_2000",
            logx(30, 6.0, steady, other_varying),
            2000,
            16,
            mid,
        ),
    ];
    // Review 38's (helper-38): a learning run's windows counted by its reopenings: windows
    // raised or partly spent so that a run of two windows is a whole multiple of the first,
    // windows shared, alternating, with `Retry-After`, at 24 at once, logs and buckets at
    // loopback speed or taken for windows.
    let r38 = {
        let wo = |limit, period, other, retry_after| Shape::Window {
            period,
            limits: steady,
            limit,
            retry_after,
            other,
        };
        let lb = (0.0005, 0.003);
        let raised = |limit, period, limits| Shape::Front {
            period,
            limit,
            limits,
            other: no_other,
            front: 1.0,
        };
        vec![
            // (`Front`, spread over the window and no others: a window whose efficiency is
            // taken at the limits of the export's windows, not of the virtual epoch's.)
            base(
                "x_r38_window_30_6_raised_half_at_1_c16_slow",
                raised(30, 6.0, raised_at_1),
                2000,
                16,
                slow,
            ),
            base(
                "x_r38_window_20_2_raised_half_at_1_c24_slow",
                raised(20, 2.0, raised_at_1),
                2000,
                24,
                slow,
            ),
            base(
                "x_r38_window_30_6_raised_half_at_2_c16_slow",
                raised(30, 6.0, r38_raised_at_2),
                2000,
                16,
                slow,
            ),
            base(
                "x_r38_window_30_6_prespent33_c16_slow",
                limited(r38_prespent33, 30, 6.0),
                2000,
                16,
                slow,
            ),
            base(
                "x_r38_window_40_6_prespent25_c16_slow",
                limited(r38_prespent25, 40, 6.0),
                2000,
                16,
                slow,
            ),
            base(
                "x_r38_window_30_6_prespent33_c24_slow",
                limited(r38_prespent33, 30, 6.0),
                2000,
                24,
                slow,
            ),
            base(
                "x_r38_window_30_6_alternating_c16_slow",
                limited(alternating, 30, 6.0),
                2000,
                16,
                slow,
            ),
            base(
                "x_r38_window_30_6_varying_c16_slow",
                wo(30, 6.0, -1.0, RetryAfter::No),
                2000,
                16,
                slow,
            ),
            base(
                "x_r38_window_30_6_ra_date_c24_slow",
                wo(30, 6.0, 0.0, RetryAfter::Date(0.5)),
                2000,
                24,
                slow,
            ),
            base(
                "x_r38_window_10_1_c24_slow",
                window(10, 1.0),
                2000,
                24,
                slow,
            ),
            base(
                "x_r38_window_30_6_c24_slow",
                window(30, 6.0),
                2000,
                24,
                slow,
            ),
            base("x_r38_window_30_6_c1_loopback", window(30, 6.0), 600, 1, lb),
            base(
                "x_r38_window_30_6_c16_loopback",
                window(30, 6.0),
                2000,
                16,
                lb,
            ),
            hr(
                base(
                    "x_r38_window_30_6_headroom20_c16_slow",
                    window(30, 6.0),
                    2000,
                    16,
                    slow,
                ),
                0.2,
            ),
            Scenario {
                clock_off: 0.7,
                ..base(
                    "x_r38_window_20_2_off0.7_c24_slow",
                    window(20, 2.0),
                    2000,
                    24,
                    slow,
                )
            },
            base(
                "x_r38_window_30_6_front_first30_c16_slow",
                Shape::Front {
                    period: 6.0,
                    limit: 30,
                    limits: steady,
                    other: r38_other_first30,
                    front: 0.2,
                },
                2000,
                16,
                slow,
            ),
            base(
                "x_r38_switch_100_60_to_30_6_c16_slow",
                Shape::Switch {
                    limit: 100,
                    period: 60.0,
                    then: (30, 6.0),
                    at: 1003,
                },
                2000,
                16,
                slow,
            ),
            base(
                "x_r38_log_30_6_c16_loopback",
                logx(30, 6.0, steady, no_other),
                2000,
                16,
                lb,
            ),
            base(
                "x_r38_log_30_6_c24_loopback",
                logx(30, 6.0, steady, no_other),
                2000,
                24,
                lb,
            ),
            base(
                "x_r38_log_30_6_raised_at_1_c16_loopback",
                logx(30, 6.0, raised_at_1, no_other),
                2000,
                16,
                lb,
            ),
            base(
                "x_r38_log_30_6_raised_at_1_c16_slow",
                logx(30, 6.0, raised_at_1, no_other),
                2000,
                16,
                slow,
            ),
            base(
                "x_r38_log_30_6_shared30_leave_c16_slow",
                logx(30, 6.0, steady, other30_leave),
                2000,
                16,
                slow,
            ),
            base(
                "x_r38_log_100_60_shared30_leave_c16_mid",
                logx(100, 60.0, steady, other30_leave),
                full,
                16,
                mid,
            ),
            base(
                "x_r38_log_20_2_c24_slow",
                logx(20, 2.0, steady, no_other),
                2000,
                24,
                slow,
            ),
            base(
                "x_r38_log_30_6_other_first30_c16_slow",
                logx(30, 6.0, steady, r38_other_first30),
                2000,
                16,
                slow,
            ),
            // Logs barely slower than the client: the first throttle lifts within a round trip.
            base(
                "x_r38_log_30_6_c3_barely",
                logx(30, 6.0, steady, no_other),
                1000,
                3,
                (0.3, 0.5),
            ),
            base(
                "x_r38_log_100_60_c2_barely",
                logx(100, 60.0, steady, no_other),
                1000,
                2,
                (0.5, 1.5),
            ),
            base(
                "x_r38_log_20_2_c16_barely",
                logx(20, 2.0, steady, no_other),
                2000,
                16,
                (0.8, 2.5),
            ),
            base(
                "x_r38_bucket_30_5_c16_loopback",
                bx(30.0, 5.0, f_one, false),
                2000,
                16,
                lb,
            ),
            base(
                "x_r38_bucket_60_2_c24_slow",
                bx(60.0, 2.0, f_one, false),
                2000,
                24,
                slow,
            ),
        ]
    };
    // Review 39's (helper-39): windows whose period is near a whole number of seconds or
    // not one, off the clock, under a second, or switching between such periods, against
    // a period taken exactly where its bounds allow one whole number of seconds.
    let r39 = {
        let sw = |limit, period, then, at| Shape::Switch {
            limit,
            period,
            then,
            at,
        };
        let off = |s: Scenario, clock_off| Scenario { clock_off, ..s };
        vec![
            base(
                "x_r39_window_30_6.5_c16_slow",
                window(30, 6.5),
                2000,
                16,
                slow,
            ),
            base("x_r39_window_30_6.5_c1_mid", window(30, 6.5), 600, 1, mid),
            base(
                "x_r39_window_30_5.9_c16_slow",
                window(30, 5.9),
                2000,
                16,
                slow,
            ),
            base(
                "x_r39_window_30_6.9_c16_slow",
                window(30, 6.9),
                2000,
                16,
                slow,
            ),
            base("x_r39_window_30_6.9_c4_mid", window(30, 6.9), 2000, 4, mid),
            base(
                "x_r39_window_30_4.5_c16_slow",
                window(30, 4.5),
                2000,
                16,
                slow,
            ),
            base(
                "x_r39_window_30_7_c16_slow",
                window(30, 7.0),
                2000,
                16,
                slow,
            ),
            base(
                "x_r39_window_30_13_c16_slow",
                window(30, 13.0),
                2000,
                16,
                slow,
            ),
            off(
                base(
                    "x_r39_window_30_7_off2.5_c16_slow",
                    window(30, 7.0),
                    2000,
                    16,
                    slow,
                ),
                2.5,
            ),
            off(
                base(
                    "x_r39_window_30_6_off0.5_c4_mid",
                    window(30, 6.0),
                    2000,
                    4,
                    mid,
                ),
                0.5,
            ),
            base("x_r39_window_10_0.8_c4_mid", window(10, 0.8), 2000, 4, mid),
            base(
                "x_r39_switch_30_6_to_30_7_c16_slow",
                sw(30, 6.0, (30, 7.0), 1030),
                2000,
                16,
                slow,
            ),
            base(
                "x_r39_switch_30_7_to_30_6.5_c16_slow",
                sw(30, 7.0, (30, 6.5), 1030),
                2000,
                16,
                slow,
            ),
            base(
                "x_r39_switch_30_6.5_to_30_6_c16_slow",
                sw(30, 6.5, (30, 6.0), 1030),
                2000,
                16,
                slow,
            ),
        ]
    };
    // Review 43's (helper-43): buckets paused a while about 512 successes apart or lowered
    // through a closure (a rate closed a while is measured again from its reopening), and
    // buckets under headroom, long, bursty or shared (a rate measured between throttles
    // lapses to the whole rate).
    let r43 = {
        let fast1 = (0.02, 0.05);
        let p = |name, f: fn(f64) -> f64, pages, c, rtt| {
            base(name, bx(10.0, 10.0, f, false), pages, c, rtt)
        };
        let hd = |headroom, s: Scenario| Scenario { headroom, ..s };
        let sb43 = |burst, per_second, share| Shape::BucketShared {
            burst,
            per_second,
            share,
        };
        vec![
            p(
                "x_r43_bucket_10_p4_every55_c1",
                f43_p4_every55,
                full,
                1,
                fast1,
            ),
            p(
                "x_r43_bucket_10_p4_every55_c8",
                f43_p4_every55,
                full,
                8,
                mid,
            ),
            p(
                "x_r43_bucket_10_p35_every53_c1",
                f43_p35_every53,
                full,
                1,
                fast1,
            ),
            p(
                "x_r43_bucket_10_p4_every50_c1",
                f43_p4_every50,
                full,
                1,
                fast1,
            ),
            p(
                "x_r43_bucket_10_p5_every60_c1",
                f43_p5_every60,
                full,
                1,
                fast1,
            ),
            p(
                "x_r43_bucket_10_p5_every60_c16_slow",
                f43_p5_every60,
                full,
                16,
                slow,
            ),
            p(
                "x_r43_bucket_10_p6_every60_c1",
                f43_p6_every60,
                full,
                1,
                fast1,
            ),
            p(
                "x_r43_bucket_10_p6_every60_c8",
                f43_p6_every60,
                full,
                8,
                mid,
            ),
            p(
                "x_r43_bucket_10_p5_every120_c4",
                f43_p5_every120,
                full,
                4,
                mid,
            ),
            p(
                "x_r43_bucket_10_pause_then_half_c1",
                f43_pause_then_half,
                full,
                1,
                fast1,
            ),
            p(
                "x_r43_bucket_10_pause_then_half_c8",
                f43_pause_then_half,
                full,
                8,
                mid,
            ),
            p(
                "x_r43_bucket_10_pause_then_07_c1",
                f43_pause_then_07,
                full,
                1,
                fast1,
            ),
            p(
                "x_r43_bucket_10_pause_then_07_c16_slow",
                f43_pause_then_07,
                full,
                16,
                slow,
            ),
            p(
                "x_r43_bucket_10_pause_then_fifth_c1",
                f43_pause_then_fifth,
                full,
                1,
                fast1,
            ),
            p(
                "x_r43_bucket_10_pause_then_fifth_c8",
                f43_pause_then_fifth,
                full,
                8,
                mid,
            ),
            p(
                "x_r43_bucket_10_half_then_pause_c1",
                f43_half_then_pause,
                full,
                1,
                fast1,
            ),
            p("x_r43_bucket_10_duty_c1", f43_duty, full, 1, fast1),
            p("x_r43_bucket_10_duty_c8", f43_duty, full, 8, mid),
            base(
                "x_r43_lump_550_60_c1",
                bx(550.0, 10.0, f43_lump60, false),
                full,
                1,
                fast1,
            ),
            base(
                "x_r43_lump_550_60_c8",
                bx(550.0, 10.0, f43_lump60, false),
                full,
                8,
                mid,
            ),
            hd(
                0.1,
                p(
                    "x_r43_headroom10_bucket_10_p5_every60_c1",
                    f43_p5_every60,
                    full,
                    1,
                    fast1,
                ),
            ),
            hd(
                0.1,
                p(
                    "x_r43_headroom10_bucket_10_pause5_c8",
                    f_pause5,
                    full,
                    8,
                    mid,
                ),
            ),
            hd(
                0.1,
                p(
                    "x_r43_headroom10_bucket_10_long_c1",
                    f_one,
                    60_000,
                    1,
                    fast1,
                ),
            ),
            hd(
                0.1,
                p("x_r43_headroom10_bucket_10_long_c8", f_one, 60_000, 8, mid),
            ),
            hd(
                0.1,
                p(
                    "x_r43_headroom10_bucket_10_long_c16_slow",
                    f_one,
                    60_000,
                    16,
                    slow,
                ),
            ),
            hd(
                0.1,
                base(
                    "x_r43_headroom10_bucket_2_burst60_c1",
                    bx(60.0, 2.0, f_one, false),
                    10_000,
                    1,
                    mid,
                ),
            ),
            hd(
                0.1,
                base(
                    "x_r43_headroom10_bucket_2_burst60_c8",
                    bx(60.0, 2.0, f_one, false),
                    10_000,
                    8,
                    mid,
                ),
            ),
            hd(
                0.5,
                base(
                    "x_r43_headroom50_bucket_2_burst60_c8",
                    bx(60.0, 2.0, f_one, false),
                    10_000,
                    8,
                    mid,
                ),
            ),
            hd(
                0.5,
                base(
                    "x_r43_headroom50_bucket_10_burst100_c4",
                    bx(100.0, 10.0, f_one, false),
                    30_000,
                    4,
                    mid,
                ),
            ),
            hd(
                0.1,
                base(
                    "x_r43_headroom10_bucket_10_burst200_c8",
                    bx(200.0, 10.0, f_one, false),
                    30_000,
                    8,
                    mid,
                ),
            ),
            hd(
                0.1,
                base(
                    "x_r43_headroom10_shared10_10_c8",
                    sb43(10.0, 10.0, 0.1),
                    30_000,
                    8,
                    mid,
                ),
            ),
            hd(
                0.1,
                base(
                    "x_r43_headroom10_shared10_10_burst100_c4",
                    sb43(100.0, 10.0, 0.1),
                    30_000,
                    4,
                    mid,
                ),
            ),
            hd(
                0.3,
                base(
                    "x_r43_headroom30_shared20_10_burst50_c8",
                    sb43(50.0, 10.0, 0.2),
                    30_000,
                    8,
                    mid,
                ),
            ),
        ]
    };
    // Review 119's: a bucket of 5 refilled at 10 a minute and a window of 10 a minute behind
    // a loaded server (round trips of 2 to 25 s, far longer than the bucket's refill
    // interval of 6 s), at 16 and 64 at once: each throttle's lift and run tell no shape
    // while so many are out.
    let r119 = {
        let loaded = (2.0, 25.0);
        let b119 = Shape::Bucket {
            burst: 5.0,
            per_second: 10.0 / 60.0,
        };
        vec![
            base(
                "x_r119_bucket_5_10min_c64_loaded",
                b119.clone(),
                200,
                64,
                loaded,
            ),
            base("x_r119_bucket_5_10min_c16_loaded", b119, 200, 16, loaded),
            base(
                "x_r119_window_10_60_c64_loaded",
                window(10, 60.0),
                200,
                64,
                loaded,
            ),
            base(
                "x_r119_window_10_60_c16_loaded",
                window(10, 60.0),
                200,
                16,
                loaded,
            ),
        ]
    };
    if std::env::var("SIM_EXTRA").is_ok() {
        v.extend(extra);
        v.extend(r29);
        v.extend(r30);
        v.extend(shared_buckets);
        v.extend(r32);
        v.extend(r34);
        v.extend(r36);
        v.extend(r37);
        v.extend(r38);
        v.extend(r39);
        v.extend(r43);
        v.extend(r119);
    }
    v
}

fn full_scale() -> Scenario {
    Scenario {
        name: "full_scale_100000_contacts_100_per_60s",
        shape: window(100, 60.0),
        pages: 6_667,
        concurrency: 4,
        rtt: (0.1, 0.4),
        rtt_at: None,
        headroom: 0.0,
        clock_off: 0.0,
    }
}

fn simulate() {
    let started = Instant::now();
    let only = std::env::var("SIM_ONLY").ok();
    for s in scenarios().iter().chain([full_scale()].iter()) {
        if only.as_ref().is_some_and(|o| !s.name.contains(o.as_str())) {
            continue;
        }
        let summary = run(s);
        println!(
            "sim scenario={} pages={} concurrency={} rtt_ms={:.0}-{:.0} starts={STARTS} efficiency={:.3} efficiency_max={:.3} share_429={:.4} max_429_per_window={} recover_windows={} worst_start={:.2} efficiency_mean={:.3} share_429_mean={:.4} baseline_efficiency={:.3} baseline_share_429={:.4} vs_baseline={:.3}",
            s.name,
            s.pages,
            s.concurrency,
            s.rtt.0 * 1e3,
            s.rtt.1 * 1e3,
            summary.efficiency,
            summary.efficiency_max,
            summary.share_429,
            summary.max_per_window,
            summary.recover.map_or("-".to_owned(), |r| r.to_string()),
            summary.worst_start,
            summary.efficiency_mean,
            summary.share_429_mean,
            summary.baseline,
            summary.baseline_429,
            summary.efficiency / summary.baseline,
        );
    }
    println!(
        "# simulated in {:.0} ms of real time",
        started.elapsed().as_secs_f64() * 1e3
    );
    let s = full_scale();
    let start = 1000.0 * 60.0 + 30.0;
    let out = export(&s, start, SEED, learning(&s, start), true);
    if let Err(e) = draw_chart("benches/ratelimit.svg", &out.log) {
        eprintln!("could not draw the chart: {e}");
    }
}

/// Over real sockets: the sandbox's epoch-aligned window, started at three points of it.
async fn real_sockets() {
    use livedesk::Sandbox;
    const CONTACTS: usize = 6_400;
    for (limit, window) in [
        (20u32, Duration::from_secs(1)),
        (30, Duration::from_secs(3)),
    ] {
        for third in 0..3 {
            let sandbox = Sandbox::builder()
                .contacts(CONTACTS)
                .rate_limit(limit, window)
                .start()
                .await
                .unwrap();
            let client = sandbox.client().build().unwrap();
            // Start at 0, 1/3 or 2/3 of a window of the epoch-aligned limiter (plus a little,
            // so that a late timer does not start it in the window before).
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap();
            let w = window.as_secs_f64();
            let phase = now.as_secs_f64() % w;
            let target = (w * f64::from(third) / 3.0 + 0.01 + w - phase) % w;
            tokio::time::sleep(Duration::from_secs_f64(target)).await;
            let started = Instant::now();
            let contacts = client.search("e").paginate().collect().await.unwrap();
            let wall = started.elapsed().as_secs_f64();
            let mut ids: Vec<i64> = contacts.iter().map(|c| c.id).collect();
            let n = ids.len();
            ids.sort_unstable();
            ids.dedup();
            assert_eq!(ids.len(), n, "every contact exactly once");
            let pacing = client.pacing();
            let pages = n.div_ceil(15) as f64;
            let ideal = pages * w / f64::from(limit);
            println!(
                "socket limit={limit}_per_{}s start={third}/3 contacts={n} requests={} efficiency={:.3} share_429={:.4} shape={:?}",
                window.as_secs(),
                pacing.requests(),
                ideal / wall,
                pacing.throttled_requests() as f64 / pacing.requests() as f64,
                pacing.shape(),
            );
        }
    }
}

/// Requests a minute (passed and refused), in one-minute bins, over the full-scale export.
fn draw_chart(path: &str, log: &[(f64, bool)]) -> Result<(), Box<dyn std::error::Error>> {
    use plotters::prelude::*;

    const BIN: f64 = 60.0;
    let end = log.last().map_or(1.0, |(at, _)| *at);
    let bins = (end / BIN).ceil() as usize + 1;
    let (mut passed, mut refused) = (vec![0.0; bins], vec![0.0; bins]);
    for &(at, was_refused) in log {
        let bin = (at / BIN) as usize;
        if was_refused {
            refused[bin] += 1.0;
        } else {
            passed[bin] += 1.0;
        }
    }
    let minutes = end / 60.0;
    let root = SVGBackend::new(path, (720, 420)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "100,000 contacts (6,667 pages) through 100 searches a minute, simulated",
            ("sans-serif", 18),
        )
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(56)
        .build_cartesian_2d(0f64..minutes.max(1.0), 0f64..130f64)?;
    chart
        .configure_mesh()
        .x_desc("minutes since the export started")
        .y_desc("requests in each minute")
        .draw()?;
    let series = |counts: &[f64]| -> Vec<(f64, f64)> {
        counts
            .iter()
            .enumerate()
            .map(|(i, &n)| (i as f64 * BIN / 60.0, n))
            .collect()
    };
    chart
        .draw_series(LineSeries::new(series(&passed), BLUE.stroke_width(2)))?
        .label("answered")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE.stroke_width(2)));
    chart
        .draw_series(
            series(&refused)
                .into_iter()
                .filter(|&(_, n)| n > 0.0)
                .map(|p| Circle::new(p, 4, RED.filled())),
        )?
        .label("429 Retry later")
        .legend(|(x, y)| Circle::new((x + 10, y), 4, RED.filled()));
    chart
        .draw_series(LineSeries::new(
            vec![(0.0, 100.0), (minutes.max(1.0), 100.0)],
            BLACK.mix(0.5).stroke_width(1),
        ))?
        .label("the limit: 100 a minute")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.mix(0.5)));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}

#[tokio::main]
async fn main() {
    simulate();
    if !std::env::args().any(|a| a == "--sim") {
        real_sockets().await;
    }
}
