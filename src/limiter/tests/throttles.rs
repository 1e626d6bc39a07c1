//! The learning: throttles, their probes and lifts, the runs between them, and the shape
//! two lifts show.

use super::*;
use crate::limiter::learning::Throttle;

/// Two requests sent just before `boundary` of `server`, a window whose count is spent,
/// cross it: the first is refused, the second passes, answered after the refusal. The
/// run's next success, of a request sent after that answer, reopens it.
fn race_across(model: &mut Model, server: &mut impl FnMut(f64) -> bool, boundary: f64) {
    let a = model.try_send(d(boundary - 0.01)).unwrap();
    let b = model.try_send(d(boundary - 0.004)).unwrap();
    assert!(!server(boundary - 0.005) && server(boundary + 0.001));
    model.answered(a, d(boundary), Answer::Throttled(None));
    model.answered(b, d(boundary + 0.006), Answer::Passed);
}

/// [`race_across`] the boundary of 3 s of `server`, 3 per 1 s, that window's 3, and the
/// learning to its end: a window of 3 whose period holds 1 s (its bounds' indices).
fn race_at_three_then_learn(model: &mut Model, server: &mut impl FnMut(f64) -> bool) -> Vec<i64> {
    race_across(model, server, 3.0);
    let t = drive(model, 3.01, 2, &mut *server).0;
    learn_all(model, t, server);
    let State::Window(w) = &model.state else {
        panic!("not a window: {:?}", model.state);
    };
    assert_eq!(w.allowance, 3);
    let (lo, hi) = w.period();
    assert!(lo <= 1.0 && 1.0 <= hi, "{lo}..{hi}");
    w.bounds.iter().map(|b| b.k).collect()
}

/// `drive`s from `t`, a request at a time, until the learning has ended; returns the time.
fn learn_all(model: &mut Model, mut t: f64, server: &mut impl FnMut(f64) -> bool) -> f64 {
    while matches!(model.state, State::Learning(_)) {
        t = drive(model, t, 1, &mut *server).0;
    }
    t
}

/// A throttle's probes from `t`, refused before `lift` and passing from it on; returns the
/// time the one that passed was answered.
fn lift_at(model: &mut Model, mut t: f64, lift: f64) -> f64 {
    loop {
        let probe;
        (t, probe) = probe_from(model, t);
        t += RTT;
        if t > lift {
            model.answered(probe, d(t), Answer::Passed);
            return t;
        }
        model.answered(probe, d(t), Answer::Throttled(None));
    }
}

/// A first run of 3, a throttle, and its probe sent (the time it went, and its ticket).
fn first_run_of_three_then_the_probe(model: &mut Model) -> (f64, Ticket) {
    let (t, _) = drive(model, 0.0, 4, |at| at < 0.03);
    probe_from(model, t)
}

/// A throttle's next probe, sent when the model lets it go from `t` (the time, and its
/// ticket).
fn probe_from(model: &mut Model, mut t: f64) -> (f64, Ticket) {
    loop {
        match model.try_send(d(t)) {
            Ok(probe) => return (t, probe),
            Err(Wait::Until(at)) => t = secs(at),
            Err(Wait::Answer) => panic!("nothing in flight"),
        }
    }
}

/// The first run of 3 and its throttle's probe, which passes: the second run begins (the
/// time).
fn second_run_begun(model: &mut Model) -> f64 {
    let (t, probe) = first_run_of_three_then_the_probe(model);
    model.answered(probe, d(t + RTT), Answer::Passed);
    t + RTT
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

/// Sends one request at a time from 0 s until a window is learnt (by `within` seconds);
/// returns when, and the refused arrivals.
fn learn_a_window(
    model: &mut Model,
    server: &mut impl FnMut(f64) -> bool,
    within: f64,
) -> (f64, Vec<f64>) {
    let mut refused = Vec::new();
    let mut t = 0.0;
    while !matches!(model.state, State::Window(_)) {
        assert!(t < within, "not learnt: {model:?}");
        let more;
        (t, more) = drive(model, t, 1, &mut *server);
        refused.extend(more);
    }
    (t, refused)
}

/// A throttle begun at `began`, its last probe refused at `last`, the next `gap` later:
/// no period of the clock's or a log's tried yet, no bound from a lift before it.
fn throttle_since(began: f64, last: f64, gap: f64) -> Throttle {
    Throttle {
        began,
        answered: began + RTT,
        last_fail: last,
        next: last,
        gap,
        out: false,
        clock_tried: 0,
        minute_retried: false,
        log_from: None,
        log_tried: 0,
        log_probe: false,
        clock_at: None,
        pre_tick: None,
        period_lo: 0.0,
        quiet: 0.0,
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

/// The first learning's first throttle, ended by a success of a request in flight, goes on
/// one request at a time until a success of one sent since: a limiter still closed refuses
/// that one, not one for each request in flight (at loopback round trips, a window of 20
/// per 1 s refused five where one would do). A refusal of a request still out from before
/// begins no throttle of its own. Not after a burst refused within its first round trip:
/// the requests out were sent with the refused one, and a bucket answering slowly to many
/// at once gets capacity back while they are out. Nor in a relearning (no better there).
/// Where the requests out that were sent after the ending's success (strictly) were refused
/// more than they passed, one more goes alone: the limiter let that success through and
/// closed again (a bucket of 2 a second refused every request of the batch sent after the
/// first success alone), where past a window's boundary all sent after it pass.
#[test]
fn a_first_throttle_ended_by_a_request_in_flight_goes_on_one_at_a_time() {
    // The requests still out at the ending: each sent that long after the ending's success
    // (before it if negative), and refused or not.
    const AFTER: f64 = 1e-4;
    let refused_after: &[(f64, bool)] = &[(AFTER, true)];
    for (run, relearnt, out, serial, more) in [
        (10, false, refused_after, true, true),
        (10, false, &[(AFTER, false)][..], true, false),
        (10, false, &[(-AFTER, true)][..], true, false),
        (10, false, &[(0.0, true)][..], true, false),
        (
            10,
            false,
            &[(AFTER, true), (2.0 * AFTER, false)][..],
            true,
            false,
        ),
        (0, false, refused_after, false, false),
        (10, true, refused_after, false, false),
    ] {
        let case = format!("{run}, {relearnt}, {out:?}");
        let mut model = Model::new(0.0, MAX_PAUSE);
        if relearnt {
            model.relearn();
        }
        // `run` successes one at a time, a round trip each, then the refused one, the
        // ending's success and those still out, nearly at once, in the order sent.
        let (mut t, refused_before) = drive(&mut model, 1.0, run, |_| true);
        assert!(refused_before.is_empty());
        let a = model.try_send(d(t)).unwrap();
        let ending = t + AFTER;
        let mut sends: Vec<(f64, Option<bool>)> = out
            .iter()
            .map(|&(after, refused)| (ending + after, Some(refused)))
            .collect();
        sends.push((ending, None));
        sends.sort_by(|x, y| x.0.total_cmp(&y.0));
        let tickets: Vec<_> = sends
            .iter()
            .map(|&(at, refused)| (model.try_send(d(at)).unwrap(), refused))
            .collect();
        t += RTT;
        // The first `429`, then a success of a request sent with it: the throttle ends.
        model.answered(a, d(t), Answer::Throttled(None));
        let (b, _) = tickets
            .iter()
            .find(|(_, refused)| refused.is_none())
            .unwrap();
        model.answered(*b, d(t), Answer::Passed);
        assert!(!model.snapshot(d(t)).throttled);
        let next = model.try_send(d(t));
        assert_eq!(next.is_err(), serial, "{case}: {next:?}");
        if !serial {
            continue;
        }
        assert_eq!(next.unwrap_err(), Wait::Answer);
        // Those still out are answered (refused, they begin no throttle); one goes, alone.
        for &(ticket, refused) in &tickets {
            let Some(refused) = refused else { continue };
            t += 0.001;
            let answer = if refused {
                Answer::Throttled(None)
            } else {
                Answer::Passed
            };
            model.answered(ticket, d(t), answer);
        }
        assert!(!model.snapshot(d(t)).throttled);
        let mut alone = model.try_send(d(t)).unwrap();
        assert_eq!(model.try_send(d(t)).unwrap_err(), Wait::Answer);
        if more {
            // Its success: the next goes alone too.
            t += RTT;
            model.answered(alone, d(t), Answer::Passed);
            alone = model.try_send(d(t)).unwrap();
            assert_eq!(model.try_send(d(t)).unwrap_err(), Wait::Answer, "{case}");
        }
        // Its success: as many at once as the callers ask, and a rate from throttles ended
        // by requests in flight is measured from here, not from the ending.
        t += RTT;
        model.answered(alone, d(t), Answer::Passed);
        let State::Learning(l) = &model.state else {
            panic!("{:?}", model.state);
        };
        assert!(
            l.unlifted_from
                .is_some_and(|(from, _)| (from - t).abs() < 1e-9),
            "{case}"
        );
        for _ in 0..3 {
            model.try_send(d(t)).unwrap();
        }
    }
}

/// While one at a time goes on, a refusal of a request out from before that says
/// `Retry-After` still begins a throttle: it names a time of its own, and the request after
/// the pause is the probe whose success is the lift.
#[test]
fn a_refusal_with_retry_after_still_begins_a_throttle_while_one_at_a_time() {
    for retry_after in [None, Some(Duration::from_secs(2))] {
        let mut model = Model::new(0.0, MAX_PAUSE);
        let (mut t, _) = drive(&mut model, 1.0, 10, |_| true);
        let [a, b, c] = [(); 3].map(|_| model.try_send(d(t)).unwrap());
        t += RTT;
        model.answered(a, d(t), Answer::Throttled(None));
        model.answered(b, d(t), Answer::Passed);
        model.answered(c, d(t + 0.001), Answer::Throttled(retry_after));
        let State::Learning(l) = &model.state else {
            panic!("{:?}", model.state);
        };
        assert_eq!(
            l.throttle.is_some(),
            retry_after.is_some(),
            "{retry_after:?}"
        );
    }
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

/// A sliding log lifts a period after the success it counts first, off the clock's
/// boundaries: a throttle's probes try a period of `CLOCK_PERIODS` after the run's first
/// success, a round trip early (refused) and at its answer's time (passes), so its lift is
/// bounded to a few round trips, not from the refused probe at the clock's boundary half a
/// period before; two such lifts give the period to a few percent.
#[test]
fn a_sliding_log_s_lift_is_probed_a_period_after_the_run_s_first_success() {
    for offset in [0.2, 0.45, 0.8] {
        // The clock's seconds begin at model times `1 − offset`, `2 − offset`, …
        let mut model = Model::new(0.0, MAX_PAUSE).aligned_to(d(1_000.0 + offset));
        let mut server = log(20, 1.0);
        learn(&mut model, 0.0, 10.0, &mut server);
        let State::Window(w) = &model.state else {
            panic!("{offset}: {model:?}");
        };
        // The first success arrived at `RTT / 2`: the log lifts at `1 + RTT / 2`.
        let first = w.bounds[0];
        assert!(
            first.lo < 1.0 + RTT / 2.0
                && 1.0 + RTT / 2.0 <= first.hi
                && first.hi - first.lo < 6.0 * RTT,
            "{offset}: {first:?}"
        );
        let (lo, hi) = w.period();
        assert!(0.95 < lo && hi < 1.07, "{offset}: period {lo}..{hi}");
    }
}

/// A caller sending a page each 50 ms, then as fast as it may, against a sliding log of 100
/// a minute: the log frees the first run's successes a minute on, 50 ms apart, the second
/// run gets one, and the next lift comes sooner after the first than the first after its
/// throttle. A bucket's next token comes no sooner than its first after it was drained:
/// a log's, of the first run's 100, not a rate guessed from one success over the whole wait.
#[test]
fn a_second_lift_sooner_than_the_first_is_a_sliding_log_s() {
    for offset in [0.0, 17.0, 42.5] {
        let mut model = Model::new(0.0, MAX_PAUSE).aligned_to(d(6_000.0 + offset));
        let mut server = log(100, 60.0);
        let mut t = 0.0;
        for _ in 0..100 {
            (t, _) = drive(&mut model, t, 1, &mut server);
            t += 0.05 - RTT;
        }
        t = learn(&mut model, t, 300.0, &mut server);
        match model.snapshot(d(t)).shape {
            Shape::Log { limit, period } => {
                assert_eq!(limit, 100, "{offset}");
                let period = period.as_secs_f64();
                assert!((59.0..61.0).contains(&period), "{offset}: {period}");
            }
            other => panic!("{offset}: {other:?}"),
        }
        // Paced as a log, the next 500 pages come at its rate.
        let (end, refused) = drive(&mut model, t, 500, &mut server);
        assert!(
            end - t < 5.0 * 60.0 + 2.0,
            "{offset}: 500 pages took {}",
            end - t
        );
        assert!(refused.len() <= 10, "{offset}: refused at {refused:?}");
    }
}

/// A model whose clock is `clock` seconds past the epoch at its time zero, its round trips
/// `rtt` (mean, deviation), after a learning that saw `learning`'s runs and lifts and just
/// took the second lift (sent at `sent`, answered at `now`).
fn learnt_from(clock: f64, rtt: (f64, f64), learning: Learning, now: f64, sent: f64) -> Model {
    let mut model = Model::new(0.0, MAX_PAUSE).aligned_to(d(clock));
    model.rtt = Some(rtt);
    model.state = State::Learning(learning);
    model.learnt(now, sent, false, 0);
    model
}

/// A sliding log of 30 per 3 s at loopback round trips, 4 at once (as the simulator traced
/// it): the first run took its 30 in 15 ms, was refused from 14 ms to 3.0 s, and lifted at
/// 3.003 s; the log then freed the 30 as fast as they came, the client raced them and got
/// 29 before a refusal and its probe's pass 13 ms after the lift. A window's second lift
/// comes a period after its first, no sooner than the first throttle's refusals, all in one
/// window, lasted: this one is a log's, whatever its run. Taken for a window of 13 ms (too
/// short to spread, paced as a rate of 1,600 a second), it refused 20% of the export. And
/// a refusal held up on its way takes no window for a log.
#[test]
fn a_second_lift_sooner_than_any_window_allows_is_a_log_s_whatever_its_run() {
    // (A second run larger than the first, passed whole in less than a period, is the limit.)
    for runs in [vec![30, 29], vec![28, 30]] {
        let learning = Learning {
            runs,
            reopenings: vec![0, 0],
            lifts: vec![(2.9967, 3.0028), (3.0152, 3.0171)],
            waits: vec![
                (0.0141, 0.0149, Some(-0.0033)),
                (3.0116, 3.0129, Some(2.9968)),
            ],
            ..Learning::default()
        };
        let model = learnt_from(3_000.3, (0.0015, 0.0007), learning, 3.0171, 3.0159);
        match model.snapshot(d(3.0171)).shape {
            Shape::Log { limit, period } => {
                assert_eq!(limit, 30);
                let period = period.as_secs_f64();
                assert!((2.99..3.01).contains(&period), "{period}");
            }
            other => panic!("{other:?}"),
        }
    }
    // A window of 30 per 3 s whose first throttle began with a refusal held up on its way
    // (sent half a second before the window it arrived in): placed at its answer, the
    // second lift, a period after the first, is no sooner than it. A window.
    let learning = Learning {
        runs: vec![30, 30],
        reopenings: vec![0, 0],
        lifts: vec![(2.998, 3.003), (5.998, 6.003)],
        waits: vec![(-0.5, 0.9, Some(-0.6)), (3.2, 3.202, Some(3.0))],
        ..Learning::default()
    };
    let model = learnt_from(3_000.0, (0.002, 0.0005), learning, 6.003, 6.001);
    assert_eq!(window_of(&model), (30, 3.0));
}

/// Three lifts whose runs got a window each, but that no period fits (10 s between the
/// first two, 5 s between the last two): no window's. The model learns again. Lifts 10 s
/// apart each are a window of 10 s.
#[test]
fn lifts_that_no_period_fits_are_learnt_again() {
    for (third, fits) in [(15.0, false), (20.0, true)] {
        let learning = Learning {
            runs: vec![20, 20, 20],
            reopenings: vec![0, 0, 0],
            lifts: vec![(-0.05, 0.05), (9.95, 10.05), (third - 0.05, third + 0.05)],
            waits: vec![
                (-2.0, -1.99, None),
                (8.0, 8.01, None),
                (third - 2.0, third - 1.99, None),
            ],
            ..Learning::default()
        };
        let model = learnt_from(3_000.0, (0.01, 0.001), learning, third + 0.05, third + 0.04);
        if fits {
            assert_eq!(window_of(&model), (20, 10.0));
        } else {
            let State::Learning(l) = &model.state else {
                panic!("{model:?}");
            };
            assert!(l.runs.is_empty() && l.lifts.is_empty(), "{l:?}");
            assert_eq!(model.epoch, 1);
        }
    }
}

/// A sliding log of 20 per 1 s at loopback round trips (as the simulator traced it): the
/// first throttle's probe a round trip on was refused and the clock's at 1 s passed, so the
/// lift's lower bound is 3 ms after the first refusal and bounds no period; the second run,
/// racing the log's slots, reopened 4 ms after the lift. Counted as a boundary crossed, the
/// run of 20 was two windows of 10, of 0.50 to 1.00 s; but the run before got 20 in one
/// window, and a window's allowance is taken not to shrink: one window of 20 per 1 s.
#[test]
fn a_run_holds_no_more_windows_than_the_allowance_before_it_leaves_room_for() {
    let learning = Learning {
        runs: vec![20, 20],
        reopenings: vec![0, 1],
        lifts: vec![(0.0110, 1.0011), (1.9956, 2.0024)],
        waits: vec![
            (0.0081, 0.0095, Some(-0.0019)),
            (1.0111, 1.0122, Some(0.9949)),
        ],
        ..Learning::default()
    };
    let model = learnt_from(1_000.0, (0.0015, 0.0007), learning, 2.0024, 2.0);
    assert_eq!(window_of(&model), (20, 1.0));
}

/// A window the export starts on the clock's boundary: the clock's probe of each period
/// falls between the early and the late probe of a log's lift, and bounds it as well, so
/// the early one is not sent. Until the lift at 2 s: the 21st request, the probe a round
/// trip later, the clock's second and the log's second (late) are refused, no more.
#[test]
fn a_log_s_early_probe_is_left_out_where_the_clock_s_probe_bounds_its_lift() {
    let mut model = Model::new(0.0, MAX_PAUSE).aligned_to(d(1_000.0));
    let mut server = window(20, 2.0);
    let (mut t, mut refused) = drive(&mut model, 0.0, 21, &mut server);
    let lift = loop {
        let (next, no) = drive(&mut model, t, 1, &mut server);
        let sent = next - RTT;
        t = next;
        if no.is_empty() {
            break sent;
        }
        refused.extend(no);
        assert!(t < 10.0, "no lift: {model:?}");
    };
    assert!((lift - 2.0).abs() < 1e-6, "lifted at {lift}");
    assert_eq!(refused.len(), 4, "refused at {refused:?}");
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

#[test]
fn a_run_a_whole_multiple_of_the_first_that_reopened_holds_as_many_windows() {
    // 3 per 1 s: the first run's 3, a throttle, and its lift at the boundary of 1 s.
    let mut model = Model::new(0.0, MAX_PAUSE);
    let mut server = window(3, 1.0);
    let mut t = 0.0;
    while !matches!(&model.state, State::Learning(l) if l.lifts.len() == 1) {
        t = drive(&mut model, t, 1, &mut server).0;
    }
    // The second run: the window's 3; callers slow enough that it crosses the boundary of
    // 2 s one request at a time, with no `429`, and gets that window's 3; it races across
    // the boundary of 3 s and reopens: one more window's 3.
    drive(&mut model, t, 2, &mut server);
    drive(&mut model, 2.0, 3, &mut server);
    // A run of 9 after one of 3 held three windows, not one of 9 per 3 s.
    assert_eq!(race_at_three_then_learn(&mut model, &mut server), [0, 3]);

    // A run of 9 that never reopened, after a first run others had left 3 of: one window.
    let mut model = Model::new(0.0, MAX_PAUSE);
    learn_all(
        &mut model,
        0.0,
        &mut windows(3.0, |k| if k == 0 { 3 } else { 9 }),
    );
    assert_eq!(window_of(&model).0, 9);
}

#[test]
fn a_window_s_run_that_reopened_holds_a_window_more_each_time() {
    // 3 per 1 s, and two runs of 6 that each race across a boundary: a fixed window
    // refuses everything after its first refusal, so a success of a request sent after
    // one was answered passed in the next window. Windows of 3, not of 6 per 2 s.
    let mut model = Model::new(0.0, MAX_PAUSE);
    let mut server = window(3, 1.0);
    drive(&mut model, 0.0, 3, &mut server);
    race_across(&mut model, &mut server, 1.0);
    drive(&mut model, 1.01, 2, &mut server);
    let mut t = 1.03;
    while !matches!(&model.state, State::Learning(l) if l.lifts.len() == 1) {
        t = drive(&mut model, t, 1, &mut server).0;
    }
    drive(&mut model, t, 2, &mut server);
    race_at_three_then_learn(&mut model, &mut server);

    // A log's second run races its own slots coming free: refused, then reopened at once,
    // sooner after its lift than the first throttle's refusals, all in one window, allow a
    // window's period (the clock's probe at 1 s refused: 0.97 s at least). One window, not
    // two.
    let mut model = Model::new(0.0, MAX_PAUSE).aligned_to(d(1_000.0));
    let (t, _) = drive(&mut model, 0.0, 4, |at| at < 0.03);
    let t = lift_at(&mut model, t, 1.015);
    let (a, b) = (model.try_send(d(t)).unwrap(), model.try_send(d(t)).unwrap());
    model.answered(a, d(t + RTT), Answer::Throttled(None));
    model.answered(b, d(t + RTT + 0.002), Answer::Passed);
    let (t, _) = drive(&mut model, t + 0.013, 3, |at| at < t + 0.035);
    lift_at(&mut model, t, 2.015);
    assert_eq!(window_of(&model).0, 4);
}

#[test]
fn each_reopening_of_a_run_counts_a_shortest_period_after_the_one_before() {
    // A first run of 10, its throttle refused until 1 s (the clock's probe there too): its
    // refusals, all in one window, span `p`, the shortest period a window there could have.
    // Then a second run (the lift, its start) and the lift's lower bound.
    let second_run = || {
        let mut model = Model::new(0.0, MAX_PAUSE).aligned_to(d(1_000.0));
        let (t, _) = drive(&mut model, 0.0, 11, |at| at < 0.105);
        lift_at(&mut model, t, 1.015);
        let State::Learning(l) = &model.state else {
            panic!("not learning: {:?}", model.state);
        };
        let (lo, began) = (l.lifts[0].0, l.waits[0].0);
        let p = lo - began - model.rtt_hi();
        assert!(p > 0.5, "{p}");
        (model, lo, p)
    };
    // A race in the second run at `at`: a refusal, a success of a request still out, and
    // a success of one sent after the refusal was answered. The reopenings counted so far.
    let race = |model: &mut Model, at: f64| {
        let (a, b) = (
            model.try_send(d(at)).unwrap(),
            model.try_send(d(at)).unwrap(),
        );
        model.answered(a, d(at + RTT), Answer::Throttled(None));
        model.answered(b, d(at + RTT + 0.001), Answer::Passed);
        let c = model.try_send(d(at + 0.012)).unwrap();
        model.answered(c, d(at + 0.022), Answer::Passed);
        match &model.state {
            State::Learning(l) => l.reopened,
            other => panic!("not learning: {other:?}"),
        }
    };
    // Counted 1.2 periods after the lift; a second not at 1.6, where it would need two, but
    // at 2.2.
    for (second, counted) in [(1.6, 1), (2.2, 2)] {
        let (mut model, lo, p) = second_run();
        assert_eq!(race(&mut model, lo + 1.2 * p), 1);
        assert_eq!(race(&mut model, lo + second * p), counted, "{second}");
    }
}

#[test]
fn past_the_first_run_s_count_the_second_run_goes_one_request_at_a_time() {
    let mut model = Model::new(0.0, MAX_PAUSE);
    // Its probe lifts it: the second run, the probe's success first.
    let t = second_run_begun(&mut model);
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
fn a_second_run_the_limiter_closed_goes_on_freely_past_the_first_run_s_count() {
    // The second run's first `429`; then the request in flight from before it passes (a
    // race, or the boundary), which ends the throttle. `closed`: the throttle's probe, sent
    // after that `429` was answered, was refused first.
    let at_once_past_the_count = |closed: bool| {
        let mut model = Model::new(0.0, MAX_PAUSE);
        let mut t = second_run_begun(&mut model);
        let a = model.try_send(d(t)).unwrap();
        let b = model.try_send(d(t)).unwrap();
        t += RTT;
        model.answered(a, d(t), Answer::Throttled(None));
        if closed {
            let probe;
            (t, probe) = probe_from(&mut model, t);
            t += RTT;
            model.answered(probe, d(t), Answer::Throttled(None));
        }
        model.answered(b, d(t), Answer::Passed);
        // Two passed in this run: the third reaches the first run's count.
        model.try_send(d(t)).unwrap();
        model.try_send(d(t)).is_ok()
    };
    // A `429` racing the requests before it: the run's end may be near, one at a time.
    assert!(!at_once_past_the_count(false));
    // Closed: that end came; whatever passes since is past it (a boundary crossed), and one
    // at a time would only slow it.
    assert!(at_once_past_the_count(true));
}

#[test]
fn the_second_run_goes_one_at_a_time_no_longer_than_its_free_part_took() {
    let mut model = Model::new(0.0, MAX_PAUSE);
    let mut t = second_run_begun(&mut model);
    // The free part, to the first run's 3: callers slow enough that it takes half a second.
    let a = model.try_send(d(t)).unwrap();
    model.answered(a, d(t + RTT), Answer::Passed);
    t += 0.5;
    let b = model.try_send(d(t)).unwrap();
    assert_eq!(model.try_send(d(t)).unwrap_err(), Wait::Answer);
    let serial_from = t;
    model.answered(b, d(t + RTT), Answer::Passed);
    // One at a time for as long as that, no more: a boundary crossed one request a round
    // trip at a time showed no `429` (at 16 at once and 0.5-2 s round trips, a window of
    // 100 per 10 s went on so for a dozen windows).
    t = serial_from + 0.4;
    let c = model.try_send(d(t)).unwrap();
    assert_eq!(model.try_send(d(t)).unwrap_err(), Wait::Answer);
    model.answered(c, d(t + RTT), Answer::Passed);
    t = serial_from + 0.6;
    model.try_send(d(t)).unwrap();
    model.try_send(d(t)).unwrap();
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
/// a second ahead lifts at the probe a minute after the run's first success (the one a
/// sliding log's lift takes), here a round trip past the server's minute.
#[test]
fn a_refused_probe_at_a_minute_is_tried_again_a_second_later() {
    for (ahead, lifts_at) in [(0.0, 60.0), (0.3, 60.7), (1.5, 60.0 + RTT)] {
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

/// A throttle that skips the clock's periods up to a minute (the throttle before outlasted
/// them) retries no minute it did not probe: its first probe, refused just past a minute's
/// boundary, is followed by the boundary of the next period it tries (two minutes), not by
/// that minute a second later.
#[test]
fn a_minute_skipped_is_not_tried_again() {
    let two_minutes = CLOCK_PERIODS.iter().position(|&p| p == 120.0).unwrap();
    let mut throttle = Throttle {
        clock_tried: two_minutes,
        period_lo: 61.0,
        ..throttle_since(0.0, 60.5, 1.0)
    };
    assert_eq!(learning::next_probe(Some(0.0), 60.5, &mut throttle), 120.0);
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

/// Many requests out against a bucket: a success of one sent before a refusal ends each
/// throttle before its probe can lift it, and one sent after shows capacity returning.
/// `UNLIFTED_MAX` such throttles are a rate, measured from there; the learning never ended
/// before (12% of these requests refused, sent freely throughout).
#[test]
fn many_out_against_a_bucket_find_its_rate() {
    let mut model = Model::new(0.0, MAX_PAUSE);
    let server = bucket(10.0, 10.0, 10.0, 0.0);
    let (end, refused) = drive_many(&mut model, 0.0, 3_000, 16, (0.5, 2.0), server);
    // Each refusal known a round trip late, the pace swings around the rate: the export's
    // pace and refusals say how well it is kept.
    assert!(matches!(model.state, State::Rate(_)), "{:?}", model.state);
    assert!(refused.len() < 90, "{} of 3,000 refused", refused.len());
    assert!(3_000.0 / end > 9.0, "{} a second", 3_000.0 / end);
}

/// A log's early probe for a period (refused by that log: it only bounds the lift from
/// below) is left out for a period shorter than the last lift's throttle allows; the late
/// one still goes (a log others share may free a slot there).
#[test]
fn a_log_s_early_probe_is_left_out_for_a_period_an_earlier_throttle_ruled_out() {
    let probes = |period_lo: f64| {
        let mut throttle = Throttle {
            log_from: Some((0.0, 0.002)),
            period_lo,
            ..throttle_since(0.1, 0.1, 0.1)
        };
        let mut now = 0.1;
        let mut at = Vec::new();
        while now < 3.0 {
            let next = learning::next_probe(Some(0.5), now, &mut throttle);
            throttle.last_fail = next;
            now = next + 1e-4;
            at.push((next * 1e3).round() / 1e3);
        }
        at
    };
    assert_eq!(probes(0.0), [0.5, 1.0, 1.002, 1.5, 2.0, 2.002, 2.5, 3.0]);
    assert_eq!(probes(2.5), [0.5, 1.002, 1.5, 2.002, 2.5, 3.0]);
}

/// Each throttle knows the shortest period the last lift's throttle allowed: none in the
/// first; in the second, against a log of 30 per 3 s sent one at a time (refused from
/// 0.3 s on, until its first success ages at 3 s), more than 2 s, so a log's early probe
/// for 1 s or 2 s is left out there. And the run since the lift got as many as the one
/// before (what that one took has all come back): capacity comes back no sooner than that
/// period after the lift's lower bound, and no probe goes before, nor after the capacity
/// comes back (the log's next aging, a window's next boundary). A run since shorter than
/// the one before (a window lowered to 10) may find capacity sooner: probes go as before.
#[test]
fn a_throttle_knows_the_shortest_period_the_last_lift_s_throttle_allows() {
    let second_throttle = |mut server: Box<dyn FnMut(f64) -> bool>| {
        let mut model = Model::new(0.0, MAX_PAUSE).aligned_to(d(1_000.5));
        let mut t = 0.0;
        let mut seen: Vec<(usize, f64, (f64, f64), f64)> = Vec::new();
        while let State::Learning(l) = &model.state {
            if let Some(throttle) = &l.throttle
                && seen
                    .last()
                    .is_none_or(|&(lifts, ..)| lifts != l.lifts.len())
            {
                let lift = l.lifts.last().copied().unwrap_or_default();
                seen.push((l.lifts.len(), throttle.period_lo, lift, throttle.next));
            }
            assert!(t < 30.0, "not learnt: {model:?}");
            t = drive(&mut model, t, 1, &mut server).0;
        }
        assert_eq!(seen.len(), 2, "{seen:?}");
        assert_eq!(seen[0].0, 0);
        assert_eq!(seen[0].1, 0.0);
        seen[1]
    };
    // The log's next aging: a period after the lift's success (answered at `hi`) arrived.
    let (lifts, period_lo, (lo, hi), next) = second_throttle(Box::new(log(30, 3.0)));
    assert!(lifts == 1 && (2.0..3.0).contains(&period_lo), "{period_lo}");
    assert!(next >= lo + period_lo - 1e-9, "{next} < {lo} + {period_lo}");
    assert!(next <= hi + 3.0, "{next} > {hi} + 3");
    // The window's next boundary, at 6 s.
    let (_, period_lo, (lo, _), next) = second_throttle(Box::new(windows(3.0, |_| 30)));
    assert!(next >= lo + period_lo - 1e-9, "{next} < {lo} + {period_lo}");
    assert!(next <= 6.0, "{next}");
    let (_, period_lo, (lo, _), next) =
        second_throttle(Box::new(windows(3.0, |k| if k == 0 { 30 } else { 10 })));
    assert!(next < lo + period_lo, "{next} >= {lo} + {period_lo}");
}

/// After a first lift at the clock's boundary of a period and a run that got as many again,
/// the second throttle sends no probe a round trip on (the first throttle's was refused:
/// capacity does not return that soon) but one a longest round trip before that period's
/// next boundary on the clock: a window on the clock refuses it and lifts at the boundary,
/// so the window is learnt with that boundary known to a round trip or two, and its first
/// windows neither probe it nor test its lower bound (that refusal showed what a test
/// would). A window of 20 a second, one request at a time.
#[test]
fn a_second_throttle_on_the_clock_probes_just_before_the_boundary() {
    let mut model = Model::new(0.0, MAX_PAUSE).aligned_to(d(1_000.0));
    let mut server = window(20, 1.0);
    let (t, refused) = learn_a_window(&mut model, &mut server, 5.0);
    // The first throttle: the run's end and the probe a round trip on; the second: the
    // run's end and the probe just before 2 s.
    assert_eq!(refused.len(), 4, "{refused:?}");
    assert!((1.9..2.0).contains(&refused[3]), "{refused:?}");
    // Lifted by the clock's probe at 2 s: the boundary known to the pre-tick's sending and
    // the lift's answer, two round trips (a log's probe at 2.01 would leave three).
    let (lo, hi) = next_boundary(&model, 2);
    assert!(hi - lo < 0.025, "({lo}, {hi}]");
    let State::Window(w) = &model.state else {
        unreachable!()
    };
    assert_eq!(w.since_low, 0);
    // The next 150 requests (7 windows, under `UP_SPACING`): no `429`.
    let (_, refused) = drive(&mut model, t, 150, &mut server);
    assert!(refused.is_empty(), "{refused:?}");
}

/// A pre-tick refused with a `Retry-After` stands for no lower bound's test, though the
/// lift comes right after it: a refusal that pauses the client may be the server's pause
/// (a gateway's), not the window spent, so the first window learnt tests its lower bound.
/// Without the pause, none (`since_low` 0).
#[test]
fn a_pre_tick_refused_with_a_retry_after_stands_for_no_test() {
    for retry_after in [false, true] {
        let mut model = Model::new(0.0, MAX_PAUSE).aligned_to(d(1_000.0));
        let mut server = window(20, 1.0);
        // Begun half-way through a window, so that the first lift, at the clock's probe at
        // 1 s, bounds the boundary to 0.3 s: the two lifts bound the period well enough,
        // blurred by the pause, for no third lift.
        let (mut t, mut paused) = (0.5, false);
        while !matches!(model.state, State::Window(_)) {
            assert!(t < 2.5, "not learnt: {model:?}");
            match model.try_send(d(t)) {
                Ok(ticket) => {
                    let passed = server(t + RTT / 2.0);
                    let pre_tick = ticket.kind == Kind::Lift && (1.9..2.0).contains(&t);
                    t += RTT;
                    let answer = match passed {
                        true => Answer::Passed,
                        // Until the boundary, to the microsecond: a pause that ends there.
                        false if pre_tick && retry_after => {
                            paused = true;
                            Answer::Throttled(Some(d(2.0 - t)))
                        }
                        false => Answer::Throttled(None),
                    };
                    model.answered(ticket, d(t), answer);
                }
                Err(Wait::Until(at)) => t = secs(at),
                Err(Wait::Answer) => panic!("nothing is in flight at {t}"),
            }
        }
        assert_eq!(paused, retry_after);
        // Learnt at the lift at 2 s either way.
        let (lo, hi) = next_boundary(&model, 1);
        assert!(1.95 < lo && lo < 2.0 && hi < 2.05, "({lo}, {hi}]");
        let State::Window(w) = &model.state else {
            unreachable!()
        };
        let due = if retry_after { window::LOW_SPACING } else { 0 };
        assert_eq!(w.since_low, due, "{retry_after}");
    }
}

/// The pre-tick goes among the clock's probes where it comes first, and once refused, the
/// clock's boundary just after it is probed next, however close to it the refusal was
/// answered (tried from the pre-tick's sending, as after a log's probe: from the answer, a
/// hair before the boundary, the clock's next one was a period later).
#[test]
fn the_boundary_after_a_refused_pre_tick_is_probed_next() {
    let due = || Throttle {
        pre_tick: Some(PreTick::Due {
            at: 1.99,
            boundary: 2.0,
        }),
        ..throttle_since(1.205, 1.205, 0.02)
    };
    let mut throttle = due();
    let clock = Some(1_000.0);
    assert_eq!(
        learning::next_or_pre_tick(clock, 1.215, &mut throttle),
        1.99
    );
    throttle.last_fail = 1.99;
    throttle.pre_tick = Some(PreTick::Refused(1.99));
    assert_eq!(
        learning::next_or_pre_tick(clock, 2.0 - 1e-7, &mut throttle),
        2.0
    );
    // Past its time, a pre-tick still due is dropped.
    let mut late = due();
    assert_eq!(learning::next_or_pre_tick(clock, 1.995, &mut late), 2.0);
    assert_eq!(late.pre_tick, None);
    // Sent with a request out, or past its boundary, its refusal will stand for no test.
    for (in_flight, now, counted) in [(0, 1.99, true), (1, 1.99, false), (0, 2.0, false)] {
        let mut model = Model::new(0.0, MAX_PAUSE);
        model.in_flight = in_flight;
        model.state = State::Learning(Learning {
            throttle: Some(Throttle {
                next: 1.99,
                ..due()
            }),
            ..Learning::default()
        });
        assert_eq!(model.try_send(d(now)).unwrap().kind, Kind::Lift);
        let State::Learning(l) = &model.state else {
            unreachable!()
        };
        let pre_tick = l.throttle.as_ref().unwrap().pre_tick;
        assert_eq!(pre_tick == Some(PreTick::Out(now)), counted, "{pre_tick:?}");
    }
}

/// Past every period of the clock's (a log's untried), the next probe goes twice as late
/// after the throttle began as the last, not the gap the clock's many probes doubled up to
/// (a log of 6,000 an hour, not on the clock, was probed again nine hours on); early in a
/// throttle the gap is the smaller, and kept.
#[test]
fn a_throttle_past_every_period_probes_twice_as_late_not_further() {
    let throttle = |last: f64, gap: f64| Throttle {
        clock_tried: CLOCK_PERIODS.len(),
        minute_retried: true,
        ..throttle_since(0.0, last, gap)
    };
    let mut late = throttle(7_200.0, 0.2 * 2f64.powi(30));
    assert_eq!(
        learning::next_probe(Some(0.0), 7_200.0, &mut late),
        14_400.0
    );
    let mut early = throttle(10.0, 0.5);
    assert_eq!(learning::next_probe(None, 10.0, &mut early), 10.5);
    // Without a clock too, and a millisecond at least when the throttle has just begun.
    let mut far = throttle(10.0, 100.0);
    assert_eq!(learning::next_probe(None, 10.0, &mut far), 20.0);
    assert_eq!(learning::next_probe(None, 0.0, &mut far), 1e-3);
}

/// Answers 0.6 s slow: a log's probe a second after the run's first success (two round
/// trips or less) would find a bucket refilled, a lift like a window's, so the throttle's
/// log probes begin at 2 s; at 20 ms they begin at 1 s.
#[test]
fn no_log_probe_tries_a_period_of_two_round_trips_or_less() {
    for (rtt, first) in [(0.02, 0), (0.6, 2)] {
        let mut model = Model::new(0.0, MAX_PAUSE).aligned_to(d(1_000.5));
        let server = window(5, 10.0);
        // Answered in the order sent: the refusals after the successes.
        let mut i = 0.0;
        let order = |_, _| {
            i += 1e-4;
            (rtt / 2.0 + i, rtt + i)
        };
        drive_many_with(&mut model, 0.0, 8, 8, order, server);
        let State::Learning(l) = &model.state else {
            panic!("{model:?}");
        };
        let t = l
            .throttle
            .as_ref()
            .unwrap_or_else(|| panic!("{rtt}: {l:?}"));
        assert!(t.log_from.is_some(), "{rtt}: {t:?}");
        assert_eq!(t.log_tried, first, "{rtt}: {t:?}");
    }
}

#[test]
fn a_refusal_answered_after_its_run_reopened_closes_nothing_new() {
    // 4 per 1 s. A first run of 8 that ends refused just before the boundary of 2 s: its
    // lift comes a round trip after its throttle began, and the guard's period is nothing.
    let mut model = Model::new(0.0, MAX_PAUSE);
    let mut server = window(4, 1.0);
    drive(&mut model, 0.0, 4, &mut server);
    let a = model.try_send(d(0.99)).unwrap();
    let b = model.try_send(d(0.996)).unwrap();
    assert!(!server(0.995) && server(1.001));
    model.answered(a, d(1.0), Answer::Throttled(None));
    model.answered(b, d(1.006), Answer::Passed);
    drive(&mut model, 1.01, 3, &mut server);
    let (t, refused) = drive(&mut model, 1.98, 1, &mut server);
    assert_eq!(refused.len(), 1);
    let (t, probe) = probe_from(&mut model, t);
    assert!(t >= 2.0 && server(t + RTT / 2.0));
    model.answered(probe, d(t + RTT), Answer::Passed);
    // The second run: the probe and 3 more in the window of 2 s; two refused just before
    // the boundary of 3 s, one of them answered late, after the run reopened past it.
    drive(&mut model, t + RTT, 3, &mut server);
    let x = model.try_send(d(2.990)).unwrap();
    let y = model.try_send(d(2.993)).unwrap();
    let b = model.try_send(d(2.996)).unwrap();
    assert!(!server(2.995) && !server(2.998) && server(3.001));
    model.answered(x, d(3.0), Answer::Throttled(None));
    model.answered(b, d(3.006), Answer::Passed);
    let r = model.try_send(d(3.010)).unwrap();
    assert!(server(3.015));
    model.answered(r, d(3.020), Answer::Passed);
    let w = model.try_send(d(3.021)).unwrap();
    assert!(server(3.026));
    model.answered(y, d(3.025), Answer::Throttled(None));
    model.answered(w, d(3.031), Answer::Passed);
    // A success sent after the late refusal's answer, in the same window: no boundary.
    let t = drive(&mut model, 3.035, 1, &mut server).0;
    learn_all(&mut model, t, &mut server);
    // The run of 8 held two windows, not three.
    assert_eq!(window_of(&model).0, 4);
}

/// The first guess where the first window was nearly spent by others (3 left) takes the
/// next window's run once it is throttled (100 a minute, not 3: 37 h left for an hour's
/// export) until a window is learnt, and where the limiter stays closed for longer than a
/// minute (a window of an hour) it lengthens with the wait, instead of saying 7 minutes
/// for hours. The window learnt at 120 s holds 100 and a period of 30 s to 70 s (its
/// second throttle skips the periods under 20 s the first outlasted, and the probe at 90 s
/// that ruled out 30 s bounds no period), so it is paced at 120 a minute, the middle,
/// until its first boundary probe takes the period to the minute exactly, within the
/// window after.
#[test]
fn the_first_guess_takes_the_largest_run_and_the_longest_wait() {
    let mut model = Model::new(0.0, MAX_PAUSE).aligned_to(d(6_000.0));
    let mut server = windows(60.0, |k| if k == 0 { 3 } else { 100 });
    let mut t = 30.0;
    while matches!(model.state, State::Learning(_)) {
        assert!(t < 200.0, "not learnt: {model:?}");
        (t, _) = drive(&mut model, t, 1, &mut server);
        if t > 75.0 && matches!(model.state, State::Learning(_)) {
            let per_minute = model.snapshot(d(t)).pace.unwrap() * 60.0;
            assert!(
                (90.0..110.0).contains(&per_minute),
                "at {t} s: {per_minute}"
            );
        }
    }
    // Learnt: a window of 100 whose period is known to the minute one window on.
    while t < 180.0 {
        (t, _) = drive(&mut model, t, 1, &mut server);
    }
    let State::Window(w) = &model.state else {
        panic!("{:?}", model.state)
    };
    assert!(w.allowance == 100 && w.period() == (60.0, 60.0), "{w:?}");
    let mut model = Model::new(0.0, MAX_PAUSE);
    let mut server = window(1000, 3600.0);
    let mut t = 100.0;
    while model.snapshot(d(t)).pace.is_none() {
        (t, _) = drive(&mut model, t, 1, &mut server);
    }
    // Half an hour into the throttle, 6,667 pages take at least two hours more.
    let pace = model.snapshot(d(t + 1800.0)).pace.unwrap();
    assert!(6_667.0 / pace > 7_200.0, "{} s", 6_667.0 / pace);
}

/// The shortest period a throttle allows counts from its first refusal's answer where that
/// came later than its sending and a longest round trip: a refusal held up on its way may
/// have arrived as late as its answer. Refused from 0 s, answered at 1 s, the last refused
/// probe sent at 2 s, a longest round trip of 0.1 s: at least 1 s, not 1.9 s (answered
/// within that round trip, 1.9 s as before).
#[test]
fn a_refusal_held_up_on_its_way_shortens_the_period_its_throttle_allows() {
    let learning = |answered: f64| Learning {
        lifts: vec![(2.0, 2.1)],
        waits: vec![(0.0, answered, None)],
        ..Learning::default()
    };
    let (held_up, on_time) = (learning(1.0).period_lo(0.1), learning(0.05).period_lo(0.1));
    assert!((held_up - 1.0).abs() < 1e-9, "{held_up}");
    assert!((on_time - 1.9).abs() < 1e-9, "{on_time}");
}

/// In the first learning, throttles ended by successes of requests in flight just after a
/// lift make no rate faster than the lift's throttle allows: a bucket drained when that
/// throttle began gives a token back within an interval, so capacity closed for 2.6 s and
/// then returning at hundreds a second is no bucket's rate but a log's slots aging in a
/// lump (a rate of 2,296 a second drew 98 `429`s of 502 against a log of 30 per 3 s over
/// loopback). Those throttles are dropped: a success after the client was idle a minute
/// makes no rate of the idle time. The same throttles 5 s apart are a rate, and so are
/// fast ones that begin 10 s after the lift (a limiter letting capacity back gradually
/// after a long first throttle is not held in the learning for ever).
#[test]
fn a_rate_faster_than_the_last_lift_s_throttle_allows_is_no_rate() {
    for (wait, spacing, rate) in [(0.0, 0.003, false), (0.0, 5.0, true), (10.0, 0.003, true)] {
        let mut model = Model::new(0.0, MAX_PAUSE);
        // A first run of 30, then refused for 3 s: the first probe after that passes (at
        // 5.5 s, the probes' gaps doubling), and the lift's throttle lasted over 2 s.
        let (t, refused) = drive(&mut model, 0.0, 31, |at| at < 0.3);
        assert_eq!(refused.len(), 1);
        let lift = lift_at(&mut model, t, t + 3.0);
        let State::Learning(l) = &model.state else {
            panic!("{:?}", model.state);
        };
        assert!(l.period_lo(model.rtt_hi()) > 2.0, "{:?}", l);
        // Throttles ended without a lift, each by a success of a request sent with the
        // refused one (as soon as the model lets it go), `spacing` apart, from `wait`
        // after the lift.
        let mut t = lift + wait;
        for _ in 0..2 * crate::limiter::learning::UNLIFTED_MAX {
            let (at, refused) = probe_from(&mut model, t);
            let (at, passed) = probe_from(&mut model, at + 0.0005);
            model.answered(refused, d(at + 0.0015), Answer::Throttled(None));
            model.answered(passed, d(at + 0.002), Answer::Passed);
            t = at + spacing;
        }
        assert_eq!(
            matches!(model.state, State::Rate(_)),
            rate,
            "{wait} s after the lift, {spacing} s apart: {:?}",
            model.state
        );
        if !rate {
            let (at, idle) = probe_from(&mut model, t + 60.0);
            model.answered(idle, d(at + RTT), Answer::Passed);
            assert!(
                matches!(model.state, State::Learning(_)),
                "after a minute idle: {:?}",
                model.state
            );
        }
    }
}

#[test]
fn a_success_of_the_run_before_the_lift_answered_after_it_makes_a_short_allowance_not_a_relearning()
{
    // A window of 100 a minute on the clock, others' two searches spent in window 0. A
    // hundred requests go at 59.9 s: 98 pass, the 99th is refused, and the 100th, slow on
    // its way, arrives past the boundary and passes in window 1, answered after the lift.
    // The learning cannot tell which window it passed in and counts it in neither: window
    // 1's run is 99.
    let mut server = window(100, 60.0);
    assert!(server(1.0) && server(2.0));
    let mut model = Model::new(0.0, MAX_PAUSE).aligned_to(d(0.0));
    let sent: Vec<Ticket> = (0..100).map(|_| model.try_send(d(59.9)).unwrap()).collect();
    for (i, ticket) in sent[..99].iter().enumerate() {
        let at = 59.9 + i as f64 * 0.0005;
        let answer = if server(at) {
            Answer::Passed
        } else {
            Answer::Throttled(None)
        };
        model.answered(*ticket, d(at + RTT), answer);
    }
    // The throttle's probes until one passes.
    let mut t = 59.96;
    let lift = loop {
        let probe;
        (t, probe) = probe_from(&mut model, t);
        let passed = server(t + RTT / 2.0);
        t += RTT;
        if passed {
            model.answered(probe, d(t), Answer::Passed);
            break t;
        }
        model.answered(probe, d(t), Answer::Throttled(None));
    };
    assert!(lift > 60.0 && lift < 60.1, "lifted at {lift}");
    // The 100th arrives past the boundary.
    assert!(server(60.01));
    model.answered(sent[99], d(lift + 0.001), Answer::Passed);
    let State::Learning(l) = &model.state else {
        panic!("{:?}", model.state);
    };
    assert_eq!((l.runs.clone(), l.unsure), (vec![98], 1));
    let t = learn_all(&mut model, lift + 0.002, &mut server);
    let State::Window(w) = &model.state else {
        panic!("not a window: {:?}", model.state);
    };
    assert_eq!((w.allowance, w.unsure, w.period()), (99, 1, (60.0, 60.0)));
    // The window's lower-bound test passes (its 100th): read as that success, the
    // allowance one more, the test counted in the window it spent, so nothing more goes
    // there (one more sent there would be refused and read as a lowering to 99). Taken for
    // bounds wrong, the learning would start again.
    let learnt_in = (t / 60.0).floor();
    let (mut at, mut refused) = (t, Vec::new());
    while at < (learnt_in + 1.0) * 60.0 {
        let (next, mut r) = drive(&mut model, at, 1, &mut server);
        at = next;
        refused.append(&mut r);
    }
    assert!(refused.is_empty(), "{refused:?}");
    let State::Window(w) = &model.state else {
        panic!("not a window: {:?}", model.state);
    };
    assert_eq!((w.allowance, w.unsure), (100, 0));
    // The next window tests again, refused (its one `429`), and 1,200 requests more keep
    // the window: one `429` a window at most (tests and upward probes), none probing
    // upward for an allowance lost.
    let (_, mut rest) = drive(&mut model, at, 1200, &mut server);
    refused.append(&mut rest);
    assert_eq!(model.epoch, 1, "learnt again: {:?}", model.state);
    let State::Window(w) = &model.state else {
        panic!("not a window: {:?}", model.state);
    };
    assert_eq!((w.allowance, w.eager, w.ceiling), (100, false, 0));
    let mut per_window = std::collections::BTreeMap::new();
    for at in &refused {
        *per_window.entry((at / 60.0).floor() as i64).or_insert(0) += 1;
    }
    assert!(per_window.values().all(|&n| n == 1), "{per_window:?}");
    assert!(
        per_window.contains_key(&(learnt_in as i64 + 1)),
        "{per_window:?}"
    );
}

/// The clock's periods the last lift's throttle outlasted are not probed. A window of 30
/// per 5 s on the clock, one request at a time: its first throttle is refused from 0.3 s
/// to the probes at 3 s, so its second (from 5.3 s) probes the clock's boundary of 3 s at
/// 6 s and none of 1 s or 2 s; the pre-tick goes before 10 s, where it lifts. (Without the
/// rule, 1 s at 6 s, 2 s at 8 s and 3 s at 9 s: a refusal more.)
#[test]
fn a_throttle_probes_no_period_of_the_clock_an_earlier_throttle_outlasted() {
    let mut model = Model::new(0.0, MAX_PAUSE).aligned_to(d(6_000.0));
    let mut server = window(30, 5.0);
    let (_, refused) = learn_a_window(&mut model, &mut server, 20.0);
    // The clock's probes go at a boundary, arriving half a round trip on.
    let at_boundary = |at: f64| ((at - RTT / 2.0) - (at - RTT / 2.0).round()).abs() < 1e-6;
    let on_clock: Vec<f64> = refused
        .iter()
        .copied()
        .filter(|&at| at > 5.5 && at_boundary(at))
        .collect();
    assert_eq!(on_clock.len(), 1, "{refused:?}");
    assert!((on_clock[0] - 6.0 - RTT / 2.0).abs() < 1e-6, "{refused:?}");
    assert_eq!(refused.len(), 15, "{refused:?}");
}

/// A window refuted, then capacity that returns gradually: a sliding log that a client
/// sending bursts took for a window. The model follows a log of the refuted window's
/// allowance (the highest it had, before any lowering).
#[test]
fn a_window_refuted_then_a_rate_is_a_log_of_its_allowance() {
    for refuted in [None, Some(20)] {
        let mut model = Model::new(0.0, MAX_PAUSE);
        model.refuted = refuted;
        let t = learn(&mut model, 0.0, 60.0, bucket(10.0, 20.0, 20.0, 0.0));
        match (&model.state, refuted) {
            (State::Log(log), Some(limit)) => assert_eq!(log.limit, limit, "at {t}"),
            (State::Rate(_), None) => {}
            (other, _) => panic!("refuted {refuted:?}, at {t}: {other:?}"),
        }
        if refuted.is_some() {
            assert_eq!(model.refuted, None, "the hint is spent");
        }
    }
}
