//! A rate (a token bucket, or capacity returning gradually): guessed, measured between
//! throttles, paced, and learnt again.

use super::*;

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

/// A bucket of 10 a second, full at first, that refuses everything from `from` to `to`
/// (spent, it stays so); the refill it withheld comes back at `to`, up to the burst.
fn paused_bucket(from: f64, to: f64) -> impl FnMut(f64) -> bool {
    let mut refill = bucket(10.0, 10.0, 10.0, 0.0);
    move |at| {
        if (from..to).contains(&at) {
            refill(from);
            return false;
        }
        refill(at)
    }
}

/// Paced at a rate measured under throttling (`rate.rs`), successes sent one every 0.1 s.
fn throttled_rate(n: usize, rtt_hi: f64, share: f64) -> Rate {
    let mut rate = Rate::new(10.0, false);
    for i in 1..=n {
        let sent = 0.1 * i as f64;
        rate.passed(sent, sent + rtt_hi / 2.0, rtt_hi, false, share);
        if i == 1 {
            rate.throttled(0.15);
        }
    }
    rate
}

#[test]
fn a_rate_learnt_at_a_lift_waits_an_interval_for_the_token_the_lift_took() {
    let mut model = Model::new(0.0, MAX_PAUSE);
    let mut limiter = bucket(5.0, 10.0, 10.0, 0.0);
    // The lift that ended the learning was sent a round trip before `t`, and drained the bucket.
    let t = learn(&mut model, 0.0, 60.0, &mut limiter);
    let Shape::Rate { per_second } = model.snapshot(d(t)).shape else {
        panic!("not a rate: {model:?}");
    };
    let Err(Wait::Until(at)) = model.try_send(d(t)) else {
        panic!("sent at once into a drained bucket: {model:?}");
    };
    assert!(
        secs(at) >= t - RTT + 1.0 / (per_second * 1.1),
        "{at:?} at {t}"
    );
    // And the request then sent passes.
    let (_, refused) = drive(&mut model, t, 1, &mut limiter);
    assert!(refused.is_empty(), "{refused:?}");
}

#[test]
fn a_rate_entered_a_slow_round_trip_after_the_success_sends_one_at_once_not_two() {
    // 10 a second; the success that drained the bucket was sent at 0 and answered at 5.
    let mut rate = Rate::new(10.0, false);
    rate.drained_at(0.0, 5.0, 1.0);
    let mut model = paced_at(rate);
    assert!(model.try_send(d(5.0)).is_ok());
    assert!(
        matches!(model.try_send(d(5.0)), Err(Wait::Until(at)) if secs(at) > 5.09),
        "{model:?}"
    );
}

#[test]
fn a_guess_refused_after_a_rise_goes_back_to_the_pace_before_it() {
    let mut rate = Rate::new(1.0, false);
    rate.guessed = true;
    let mut model = paced_at(rate);
    // Four successes at the guess's pace: it rises a tenth.
    let (t, _) = drive(&mut model, 0.0, 4, |_| true);
    let risen = rate_of(&model).per_second;
    assert!((risen - 1.1).abs() < 1e-9, "{risen}");
    // The next request, sent at the risen pace, is refused: the rise crossed the limit.
    drive(&mut model, t, 1, |_| false);
    let back = rate_of(&model).per_second;
    assert!((back - 1.0).abs() < 1e-9, "{back}");
    assert!(!rate_of(&model).guessed);
}

/// A pace the caller fixed (`RateLimit::per_minute`) is kept whatever the server answers, and
/// reported as fixed, not learnt.
#[test]
fn a_fixed_rate_is_kept() {
    let mut model = Model::fixed(10.0, MAX_PAUSE);
    let (t, _) = drive(&mut model, 0.0, 11, |_| true);
    assert!((t - 1.01).abs() < 1e-6, "{t}");
    // Refused for 7 s, longer than the blackout that ends a learnt rate: still on pace.
    let (t, refused) = drive(&mut model, t, 80, |at| at > 8.2);
    assert_eq!(refused.len(), 71, "{refused:?}");
    assert!((t - 9.01).abs() < 1e-6, "{t}");
    let snapshot = model.snapshot(d(t));
    assert_eq!(snapshot.shape, Shape::Fixed { per_second: 10.0 });
    assert_eq!(snapshot.pace, Some(10.0));
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
fn a_rate_estimated_low_rises_fast_until_a_throttle_measures_it() {
    // Paced at a tenth of a bucket's 5 a second, never throttled: the step above the
    // rate doubles each `RATE_SAMPLES` successes (at most `RATE_PROBE_MAX`) until the
    // bucket refuses one; measured then, the rate is probed at `rate::RATE_PROBE` again. At
    // `rate::RATE_PROBE` alone, it takes about 7,000 successes.
    let rate = measured_against_a_bucket(Rate::new(0.5, false), 1_000);
    assert_eq!(rate.pace(1.0), rate.per_second * (1.0 + rate::RATE_PROBE));
}

/// Under headroom a rate is paced at its share only once two throttles far apart have
/// measured it. Paced at its share of an estimate, the client measured only that share:
/// estimated at a tenth of a bucket's 5 a second, it stayed there for good (0.45 a
/// second); learnt from scratch, at 0.60 of the limit under 10% headroom; measured at a
/// single throttle, a step off (0.95), with no throttle after to correct it. From a tenth
/// and from nothing, at 10% and 30%: the share within 1%, and no `429` once measured.
#[test]
fn under_headroom_a_rate_is_measured_whole_then_paced_at_its_share() {
    for share in [0.9, 0.7] {
        for start in [Some(0.5), None] {
            let mut model = Model::new(1.0 - share, MAX_PAUSE);
            if let Some(estimate) = start {
                model.state = State::Rate(Rate::new(estimate, false));
            }
            let mut bucket = bucket(5.0, 5.0, 5.0, 0.0);
            let (t, _) = drive(&mut model, 0.0, 2_000, &mut bucket);
            assert!(rate_of(&model).baselined, "{share} {start:?}: not measured");
            let (end, refused) = drive(&mut model, t, 2_000, &mut bucket);
            let rate = 2_000.0 / (end - t);
            assert!(
                (rate / 5.0 - share).abs() < 0.01 && refused.is_empty(),
                "{share} {start:?}: {rate} a second, {} refused",
                refused.len()
            );
        }
    }
}

/// Against a bucket the rate is measured between its first and last throttle over up to
/// `rate::RATE_BASELINE` successes (the bucket is empty at each): measured over the last
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
/// rate between throttles are bounded like its successes (a rate set by the caller is
/// kept whatever the server says; a learnt one would be learnt again).
#[test]
fn a_rate_keeps_a_bounded_memory_of_refusals() {
    let mut model = paced_at(Rate::new(5.0, true));
    let (_, refused) = drive(&mut model, 0.0, 10_000, |_| false);
    assert_eq!(refused.len(), 10_000);
    let rate = rate_of(&model);
    assert_eq!(rate.refusals.len(), rate::RATE_BASELINE);
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
/// would hold the old rate for up to `rate::RATE_BASELINE` successes; the last `RATE_SAMPLES`,
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
        rate.passed(
            sent,
            sent + if i % 2 == 0 { 0.08 } else { 0.0 },
            0.1,
            false,
            1.0,
        );
        if i == 1 {
            rate.last_throttle = 0.15;
        }
    }
    assert!((rate.per_second - 10.0).abs() < 1e-6, "{rate:?}");
}

/// A rough first measure is measured again at each throttled success after it, over all
/// its samples, until they are a full sample (`RATE_SAMPLES` spanning `RATE_SPAN` round
/// trips). Kept until then, a bucket of 2 a second with a burst of 60, measured at 2.43
/// from four successes, was paced there for 16 s, and 7 of its requests were refused there
/// (at the worst start of the simulator's draw 4).
#[test]
fn a_rough_rate_is_measured_again_at_each_throttled_success_until_a_full_sample() {
    let mut rate = Rate::new(30.0, false);
    let mut sent = 0.0;
    for i in 1..=rate::RATE_SAMPLES {
        sent += if i <= RATE_FIRST_SAMPLES { 0.1 } else { 0.2 };
        // Each one throttled just before it was sent.
        rate.last_throttle = sent - 0.05;
        rate.passed(sent, sent + 0.05, 0.1, false, 1.0);
        if i >= RATE_FIRST_SAMPLES {
            let measured = (i - 1) as f64 / (sent - 0.1);
            assert!((rate.per_second - measured).abs() < 1e-9, "{i}: {rate:?}");
        }
        let rough = (RATE_FIRST_SAMPLES..rate::RATE_SAMPLES).contains(&i);
        assert_eq!(rate.measured, !rough && i >= RATE_FIRST_SAMPLES, "{i}");
    }
}

/// A rate refused throughout for `BLACKOUT` of its intervals is no rate: the learning's
/// probes find when capacity returns, where the pace went on sending only refusals (a log
/// of 6,000 an hour, full, drew 9,800 of them in 2,200 s).
#[test]
fn a_rate_refused_throughout_is_learnt_again() {
    let mut model = paced_at(Rate::new(5.0, false));
    let t = drive(&mut model, 0.0, 100, |_| true).0;
    assert!(matches!(model.state, State::Rate(_)));
    // Closed for 60 s: paced on, 300 refusals.
    let reopens = t + 60.0;
    let (end, refused) = drive(&mut model, t, 120, |at| at >= reopens);
    let closed = refused.iter().filter(|&&at| at < reopens).count();
    assert!(closed <= 90, "{closed} refused while closed");
    assert!(end >= reopens, "done at {end} before the limiter reopened");
}

/// A blackout is a run of refusals, not a few far apart: a caller idle between two
/// refusals, or a pause, does not end a rate (eight refusals a second apart at 10 a second
/// did, as 64 of its intervals).
#[test]
fn a_few_refusals_far_apart_are_no_blackout() {
    let mut model = paced_at(Rate::new(10.0, false));
    model.share = 0.9;
    let mut t = drive(&mut model, 0.0, 100, |_| true).0;
    for _ in 0..8 {
        t = drive(&mut model, t + 1.0, 1, |_| false).0;
    }
    assert!(matches!(model.state, State::Rate(_)), "{:?}", model.state);
}

/// A bucket of 10 a second whose refill stops for 5 s, after a minute at its rate (600
/// successes, over `RATE_BASELINE`) or 45 s (about 455, under it, but the pause is under
/// `PAUSE_SHARE` of that): the stretch it was closed (50 refusals at the pace, short of a
/// blackout) is no measure of its rate, which comes back as it was. Measured over it, the
/// rate fell to 3 a second and rose back 10% each 512 successes, only to fall at the next
/// pause (0.48 of the limit).
#[test]
fn a_rate_closed_a_while_after_holding_long_is_measured_again_from_its_reopening() {
    for pause_from in [60.0, 45.0] {
        let mut model = paced_at(Rate::new(10.0, false));
        let pause_to = pause_from + 5.0;
        let mut paused = paused_bucket(pause_from, pause_to);
        let (t, _) = drive(&mut model, 0.0, 700, &mut paused);
        assert!(t > pause_to, "the pause is behind at {t}");
        let (end, refused) = drive(&mut model, t, 600, &mut paused);
        assert!(
            refused.len() <= 12,
            "from {pause_from}: {} refused after the pause",
            refused.len()
        );
        let per_second = 600.0 / (end - t);
        assert!(
            per_second > 9.5,
            "from {pause_from}: {per_second:.2} a second after the pause"
        );
    }
}

/// A rate closed a while before `RATE_BASELINE` successes passed since it last was (or
/// since it was learnt), for longer than `PAUSE_SHARE` of the time it was open, is
/// measured with its closing: a log halved, paced as a rate, is closed as long as it was
/// open, and more often.
#[test]
fn a_rate_closed_soon_after_it_opened_is_measured_with_its_closing() {
    // Closed 5 s after 20 s open (a quarter) and after 36 s (just over `PAUSE_SHARE`).
    for pause_from in [20.0, 36.0] {
        let mut model = paced_at(Rate::new(10.0, false));
        let pause_to = pause_from + 5.0;
        let mut paused = paused_bucket(pause_from, pause_to);
        let mut t = 0.0;
        while t < pause_to {
            t = drive(&mut model, t, 1, &mut paused).0;
        }
        let (end, _) = drive(&mut model, t, 40, &mut paused);
        let per_second = rate_of(&model).per_second;
        assert!(
            per_second < 9.0,
            "from {pause_from}: paced at {per_second:.2} a second at {end:.1} s"
        );
    }
}

/// Round trips of 0.5-2 s make a request's sending a poor clock for its arrival: a rate
/// measured over 32 successes (3 s, under two round trips) swung from 6 to 12 a second,
/// and paced at it the client ran at 9.7 a second with 106 of these requests refused. Over
/// `RATE_SPAN` round trips it stays at the bucket's rate (10.1, 65 refused).
#[test]
fn a_rate_answered_slowly_is_measured_over_many_round_trips() {
    let mut model = Model::new(0.0, MAX_PAUSE);
    let server = bucket(10.0, 10.0, 10.0, 0.0);
    let (end, refused) = drive_many(&mut model, 0.0, 6_000, 16, (0.5, 2.0), server);
    assert!(6_000.0 / end > 9.8, "{} a second", 6_000.0 / end);
    assert!(refused.len() < 80, "{} of 6,000 refused", refused.len());
}

/// A success held up on its way (one in a hundred answered 20 s late) was sent long before
/// it arrived: in the rate's short measure its sending stretched the sample's span, and the
/// rate collapsed (4.8 successes a second against a bucket of 10). Left out, 7.7.
#[test]
fn a_stalled_success_is_left_out_of_the_rate() {
    let mut model = Model::new(0.0, MAX_PAUSE);
    let mut i = 0;
    let rtt = |unit: f64, split: f64| {
        i += 1;
        let rtt = 0.1 + 0.3 * unit;
        let stall = if i % 100 == 37 && i > 1_000 {
            20.0
        } else {
            0.0
        };
        (rtt * (0.3 + 0.4 * split), rtt + stall)
    };
    let server = bucket(10.0, 10.0, 10.0, 0.0);
    let (end, refused) = drive_many_with(&mut model, 0.0, 2_000, 16, rtt, server);
    let passed = (6_000 - refused.len()) as f64 / end;
    assert!(passed > 7.0, "{passed} a second");
}

/// Under headroom a rate is paced at its share once measured well: between two throttles,
/// or under throttling over twice `RATE_SAMPLES` successes spanning `RATE_SPAN` round
/// trips. With round trips of 1 s, throttles came 600 to 800 successes apart, never two
/// in the last `RATE_BASELINE`, and a bucket asked to be left half ran at 0.985 of it.
#[test]
fn under_headroom_a_rate_measured_over_many_round_trips_is_paced_at_its_share() {
    let rate = throttled_rate(100, 1.0, 0.5);
    assert!(!rate.baselined);
    assert!((rate.pace(0.5) - 5.0).abs() < 0.1, "{rate:?}");
    // Fewer than twice `RATE_SAMPLES`: a rough measure, paced whole (and measured again).
    let rate = throttled_rate(rate::RATE_SAMPLES + 8, 0.1, 0.5);
    assert!(rate.pace(0.5) > 10.0, "{rate:?}");
}

/// A rate a throttled sample measured, paced at a headroom's share, is paced whole again
/// after `SPANNED_QUIET` successes without a `429`, until one: a sample that held a drain
/// set it low, and at its share the client would never see the rate again (a bucket of 10
/// a second, drained 8 s early in the export, under 10% headroom: 0.381 of it at the worst
/// start, now 0.617).
#[test]
fn under_headroom_a_rate_from_one_sample_is_measured_again_when_quiet() {
    let mut rate = throttled_rate(100, 1.0, 0.5);
    // Successes at the share's pace, one fewer than make it quiet for long.
    let left = rate::SPANNED_QUIET - rate.quiet;
    let sent_at = |i: u32| 10.0 + f64::from(i) / 5.0;
    for i in 1..left {
        rate.passed(sent_at(i), sent_at(i) + 0.5, 1.0, false, 0.5);
    }
    assert!((rate.pace(0.5) - 5.0).abs() < 0.1, "{rate:?}");
    let sent = sent_at(left);
    rate.passed(sent, sent + 0.5, 1.0, false, 0.5);
    assert!(rate.pace(0.5) > 10.0, "{rate:?}");
    rate.throttled(sent + 0.1);
    assert!((rate.pace(0.5) - 5.0).abs() < 0.1, "{rate:?}");
}

/// A rate quiet for long may have been raised: the step above it doubles each
/// `RATE_BASELINE` successes without a `429` (up to `RATE_PROBE_MAX`), where it stayed at
/// `RATE_PROBE` and a limit doubled at 16 at once was followed at 0.80 of it.
#[test]
fn a_quiet_rate_probes_further_above() {
    let mut rate = throttled_rate(2 * rate::RATE_SAMPLES, 0.1, 1.0);
    let measured = rate.per_second;
    assert!((rate.pace(1.0) / measured - 1.0 - rate::RATE_PROBE).abs() < 1e-9);
    // Successes at the measured rate, none refused: nothing measured higher.
    let from = 0.1 * (2 * rate::RATE_SAMPLES) as f64;
    for i in 1..=2 * rate::RATE_BASELINE {
        let sent = from + i as f64 / measured;
        rate.passed(sent, sent + 0.05, 0.1, false, 1.0);
    }
    assert!((rate.per_second - measured).abs() < 1e-6, "{rate:?}");
    assert!(
        (rate.pace(1.0) / measured - 1.0 - 4.0 * rate::RATE_PROBE).abs() < 1e-9,
        "{rate:?}"
    );
}

/// A rate measured under a sixteenth of the highest it was measured at is no limiter's cut
/// (a window others spend whole now and then, taken for a rate, measured lower each time it
/// was spent, down to 1e-8 a second): learnt again. Above it, kept.
#[test]
fn a_rate_measured_under_a_sixteenth_of_its_highest_is_learnt_again() {
    for (peak, learnt_again) in [(20.0, true), (15.0, false)] {
        let mut rate = Rate::new(1.0, false);
        rate.peak = peak;
        let mut model = paced_at(rate);
        let ticket = model.try_send(d(0.0)).unwrap();
        model.answered(ticket, d(RTT), Answer::Passed);
        let shape = model.snapshot(d(RTT)).shape;
        assert_eq!(shape == Shape::Unknown, learnt_again, "{peak}: {shape:?}");
    }
}

/// The pace reported for a rate is the pace the client runs at: learnt from one throttle, a
/// rate is paced whole (a step above, to stay measured), not at a headroom's share.
#[test]
fn the_reported_pace_of_a_rate_is_the_pace_it_runs_at() {
    let mut model = Model::new(0.1, MAX_PAUSE);
    model.state = State::Rate(Rate::new(10.0, false));
    let reported = model.snapshot(d(0.0)).pace.unwrap();
    let first = model.try_send(d(0.0)).unwrap();
    model.answered(first, d(0.001), Answer::Passed);
    let runs_at = match model.try_send(d(0.001)) {
        Err(Wait::Until(at)) => 1.0 / secs(at),
        other => panic!("{other:?}"),
    };
    assert!(
        (reported - runs_at).abs() < 0.01 * runs_at,
        "reported {reported}/s, runs at {runs_at}/s"
    );
}

#[test]
fn a_bucket_s_burst_at_loopback_round_trips_is_no_log() {
    // A bucket of 15 a second with a burst of 15, answered in 0.5-3 ms to 4 at once: the
    // throttle's probes wait for the clock's boundaries while tokens pile up, so the bucket
    // is taken for a window, and at these starts in the clock's second the window, refuted,
    // for a log whose successes passed within two round trips. Paced as a rate instead, it
    // ends within a tenth of the bucket's, refusing at most a fifth of 300 requests (with
    // that log, of this driver's seven starts one ended as a window of 3 and three as
    // rates of 25 to 28 a second, and each refused 42 to 84). At some other starts the
    // window, or a log of a longer hold, is kept ("Not met yet" in docs/rate-limits.md).
    for offset in [0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45] {
        let mut model = Model::new(0.0, MAX_PAUSE).aligned_to(d(6_000.0 + offset));
        let limiter = bucket(15.0, 15.0, 15.0, 0.0);
        let (t, refused) = drive_many(&mut model, 0.0, 300, 4, (0.0005, 0.003), limiter);
        let Shape::Rate { per_second } = model.snapshot(d(t)).shape else {
            panic!("at {offset}: not a rate: {model:?}");
        };
        assert!(
            (13.5..=16.5).contains(&per_second),
            "at {offset}: {per_second} a second"
        );
        assert!(
            refused.len() <= 60,
            "at {offset}: {} refused",
            refused.len()
        );
    }
}

#[test]
fn a_log_s_hold_within_two_round_trips_and_a_second_is_a_burst_s() {
    // 28 successes in the 2 s since the first throttle: 14 a second.
    let mut model = Model::new(0.0, MAX_PAUSE);
    model.first_throttle = Some(1.0);
    model.ok_since_first = 28;
    // A hold of 4 ms under round trips of up to 5 ms: a burst, paced at what passed.
    assert_eq!(model.burst_rate(0.004, 3.0, 0.005), Some(14.0));
    // Longer than two round trips: a log's hold.
    assert_eq!(model.burst_rate(0.011, 3.0, 0.005), None);
    // Under two round trips of 2 s, but a second or longer: a log's too.
    assert_eq!(model.burst_rate(0.99, 3.0, 2.0), Some(14.0));
    assert_eq!(model.burst_rate(1.0, 3.0, 2.0), None);
    // Nothing passed since the first throttle, or none yet: no rate to pace.
    model.ok_since_first = 0;
    assert_eq!(model.burst_rate(0.004, 3.0, 0.005), None);
    model.first_throttle = None;
    assert_eq!(model.burst_rate(0.004, 3.0, 0.005), None);
}
