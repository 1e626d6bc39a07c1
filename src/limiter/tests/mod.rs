//! The model driven event by event against limiters written as closures, without a clock:
//! the drivers and limiters the tests share here, the tests in a file per part of the model.

use super::*;

mod fixed_windows;
mod pauses;
mod rates;
mod sent_ahead;
mod sliding_logs;
mod throttles;

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

/// `drive`s from `t`, a request at a time, until the model knows a shape (by `by` at the
/// latest); returns the time.
fn learn(model: &mut Model, mut t: f64, by: f64, mut passes: impl FnMut(f64) -> bool) -> f64 {
    while model.snapshot(d(t)).shape == Shape::Unknown {
        assert!(t < by, "not learnt by {t}: {model:?}");
        (t, _) = drive(model, t, 1, &mut passes);
    }
    t
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

/// A sliding-window log of `limit` per `period`: a request passes when fewer than
/// `limit` passed in the period before it.
fn log(limit: usize, period: f64) -> impl FnMut(f64) -> bool {
    changing_log(period, move |_| limit)
}

/// A sliding log of `limit(arrival)` per `period`.
fn changing_log(period: f64, limit: impl Fn(f64) -> usize) -> impl FnMut(f64) -> bool {
    let mut passed = VecDeque::new();
    move |at| {
        while passed.front().is_some_and(|&p| p <= at - period) {
            passed.pop_front();
        }
        passed.len() < limit(at) && {
            passed.push_back(at);
            true
        }
    }
}

/// A learnt window of 20 with these bounds, counting window 1 (10 sent, one in flight).
fn window_with(bounds: Vec<Bound>) -> Model {
    let mut model = Model::new(0.0, MAX_PAUSE);
    model.state = State::Window(Window {
        index: 1,
        sent: 10,
        ok: 10,
        out: 1,
        probed_boundary: 1,
        since_low: 0,
        ..Window::new(20, bounds, 0.0, None, false)
    });
    model
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

/// A model that keeps a copy of a sliding log of `limit`, each success holding a slot `hold`.
fn logged(limit: u64, hold: f64, settled: bool) -> Model {
    let mut model = Model::new(0.0, MAX_PAUSE);
    model.state = State::Log(Log {
        settled,
        ..Log::new(limit, hold)
    });
    model
}

/// The model's copy of a log, or a panic naming the shape it took instead.
fn log_of(model: &Model) -> &Log {
    match &model.state {
        State::Log(log) => log,
        other => panic!("not a log: {other:?}"),
    }
}

fn log_limit(model: &Model) -> u64 {
    log_of(model).limit
}

/// A client with `at_once` requests out, round trips spread over `rtt` (a fixed,
/// reproducible sequence), sending `n` requests from `t` against `passes(arrival)`;
/// returns the time it ended and the refused arrivals.
fn drive_many(
    model: &mut Model,
    t: f64,
    n: usize,
    at_once: usize,
    rtt: (f64, f64),
    passes: impl FnMut(f64) -> bool,
) -> (f64, Vec<f64>) {
    drive_many_with(
        model,
        t,
        n,
        at_once,
        |unit, split| {
            let rtt = rtt.0 + (rtt.1 - rtt.0) * unit;
            (rtt * (0.3 + 0.4 * split), rtt)
        },
        passes,
    )
}

/// [`drive_many`] with each request's way out and round trip `rtt(unit, unit)`, from two
/// reproducible units.
fn drive_many_with(
    model: &mut Model,
    mut t: f64,
    n: usize,
    at_once: usize,
    mut rtt: impl FnMut(f64, f64) -> (f64, f64),
    mut passes: impl FnMut(f64) -> bool,
) -> (f64, Vec<f64>) {
    let (mut sent, mut refused, mut seed) = (0, Vec::new(), 0x2545_f491_u64);
    // The server decides in the order requests arrive, which the ways out's spread makes
    // another than the sendings'.
    struct Out {
        arrival: f64,
        answered: f64,
        ticket: Ticket,
        passed: Option<bool>,
    }
    let mut flight: Vec<Out> = Vec::new();
    while sent < n || !flight.is_empty() {
        let mut next = f64::INFINITY;
        if sent < n && flight.len() < at_once {
            match model.try_send(d(t)) {
                Ok(ticket) => {
                    let mut unit = || {
                        seed ^= seed << 13;
                        seed ^= seed >> 7;
                        seed ^= seed << 17;
                        (seed % 1000) as f64 / 1000.0
                    };
                    let (out, rtt) = rtt(unit(), unit());
                    flight.push(Out {
                        arrival: t + out,
                        answered: t + rtt.max(out),
                        ticket,
                        passed: None,
                    });
                    sent += 1;
                    continue;
                }
                Err(Wait::Until(at)) => next = secs(at),
                Err(Wait::Answer) => {}
            }
        }
        let soonest = |key: fn(&Out) -> f64| {
            (0..flight.len())
                .min_by(|&a, &b| key(&flight[a]).total_cmp(&key(&flight[b])))
                .filter(|&i| key(&flight[i]).is_finite())
        };
        let arriving = soonest(|o| {
            if o.passed.is_none() {
                o.arrival
            } else {
                f64::INFINITY
            }
        });
        let answering = soonest(|o| o.answered);
        let arrival = arriving.map_or(f64::INFINITY, |i| flight[i].arrival);
        let answered = answering.map_or(f64::INFINITY, |i| flight[i].answered);
        assert!(answered.min(next).is_finite(), "a wait for nothing at {t}");
        if arrival <= answered && arrival <= next {
            let passed = passes(arrival);
            if !passed {
                refused.push(arrival);
            }
            flight[arriving.unwrap()].passed = Some(passed);
        } else if answered <= next {
            let out = flight.swap_remove(answering.unwrap());
            t = out.answered;
            let answer = if out.passed == Some(true) {
                Answer::Passed
            } else {
                Answer::Throttled(None)
            };
            model.answered(out.ticket, d(t), answer);
        } else {
            t = next;
        }
    }
    (t, refused)
}
