//! What a window's spread leaves unsent at slow round trips, sent ahead of the next
//! boundary and counted in both windows it may land in.

use super::*;

/// Window 1 of 20 a 10 s period, half sent, round trips up to 2 s, so that its spread ends
/// at 27.8 (the next boundary, in (29.8, 30.1], less a longest round trip); and the
/// requests it sends at 28.5, after its spread.
fn window_1_sending_ahead() -> (Model, Vec<Ticket>) {
    window_1_sending_ahead_at((1.0, 0.25), 28.5)
}

/// The same with round trips `rtt` (mean and deviation), the requests sent at `at`.
fn window_1_sending_ahead_at(rtt: (f64, f64), at: f64) -> (Model, Vec<Ticket>) {
    let mut model = window_1_half_sent(rtt);
    let ahead = sent_at(&mut model, at);
    (model, ahead)
}

/// Window 1 of [`window_1_sending_ahead`], nothing out, before it sends ahead.
fn window_1_half_sent(rtt: (f64, f64)) -> Model {
    let mut model = window_with(vec![bound(0, 9.9, 10.0), bound(1, 19.9, 20.0)]);
    model.rtt = Some(rtt);
    if let State::Window(w) = &mut model.state {
        w.out = 0;
    }
    model
}

/// What window 1 sends at `at` (at most the ten of its allowance it has not sent).
fn sent_at(model: &mut Model, at: f64) -> Vec<Ticket> {
    let mut sent = Vec::new();
    while let Ok(ticket) = model.try_send(d(at)) {
        assert_eq!(ticket.slot, 1);
        sent.push(ticket);
        assert!(sent.len() <= 10, "past the allowance");
    }
    sent
}
/// What window 2 sends of its own, none answered, from 30.0 to its end.
fn window_2_sends(model: &mut Model) -> Vec<f64> {
    let (mut t, mut sent) = (30.0, Vec::new());
    while t < 40.0 {
        match model.try_send(d(t)) {
            Ok(ticket) => {
                assert_eq!(ticket.slot, 2);
                sent.push(t);
            }
            Err(Wait::Until(at)) => t = secs(at),
            Err(Wait::Answer) => panic!("waits for an answer at {t}"),
        }
    }
    sent
}

/// [`window_1_sending_ahead`], each request it sent ahead answered, passed, at 30.0, inside
/// the next boundary's interval (29.8, 30.1].
fn window_1_ahead_passed() -> Model {
    let (mut model, ahead) = window_1_sending_ahead();
    for ticket in ahead {
        model.answered(ticket, d(30.0), Answer::Passed);
    }
    model
}

/// The next request the model lets go from `t` on, `t` moved to its sending (the callers
/// answer each before asking for the next: a wait for an answer panics).
fn send_when_due(model: &mut Model, t: &mut f64) -> Ticket {
    loop {
        match model.try_send(d(*t)) {
            Ok(ticket) => return ticket,
            Err(Wait::Until(at)) => *t = secs(at),
            Err(Wait::Answer) => panic!("waits for an answer at {t}"),
        }
    }
}

/// Answers the requests sent ahead of window 2 (passed, at `answered`), then sends window
/// 2's own from `t`, each answered `rtt` later: five pass, the sixth is refused. The
/// allowance after.
fn five_pass_then_one_is_refused(
    model: &mut Model,
    ahead: Vec<Ticket>,
    answered: f64,
    mut t: f64,
    rtt: f64,
) -> u64 {
    for ticket in ahead {
        model.answered(ticket, d(answered), Answer::Passed);
    }
    for i in 0..6 {
        let ticket = send_when_due(model, &mut t);
        assert_eq!(ticket.slot, 2);
        let answer = if i < 5 {
            Answer::Passed
        } else {
            Answer::Throttled(None)
        };
        t += rtt;
        model.answered(ticket, d(t), answer);
    }
    window_of(model).0
}

/// What a window's spread left unsent (more than the requests out could carry at slow
/// round trips) goes between the spread's end and the next boundary's upper bound, counted
/// in both windows it may land in: the next window sends only the rest of its allowance.
#[test]
fn a_window_s_unsent_requests_go_before_the_boundary_counted_in_both_windows() {
    let (mut model, ahead) = window_1_sending_ahead();
    assert_eq!(ahead.len(), 10, "window 1's unsent half");
    for ticket in ahead {
        model.answered(ticket, d(30.0), Answer::Passed);
    }
    // Window 2 counts them: its spread sends the other 10, and nothing more before its end.
    let sent = window_2_sends(&mut model);
    assert_eq!(sent.len(), 10, "{sent:?}");
}

/// A request sent ahead and answered before the next boundary's lower bound landed in its
/// own window: the next window does not count it. One that failed may have landed in
/// either, and still counts in both.
#[test]
fn a_request_sent_ahead_and_answered_before_the_boundary_counts_in_its_own_window_only() {
    let (mut model, ahead) = window_1_sending_ahead();
    // Three passed and one failed at 29.5, before B(2)'s lower bound 29.8; six passed at
    // 30.0, inside its interval.
    for (i, ticket) in ahead.into_iter().enumerate() {
        let (at, answer) = match i {
            0..3 => (29.5, Answer::Passed),
            3 => (29.5, Answer::Failed),
            _ => (30.0, Answer::Passed),
        };
        model.answered(ticket, d(at), answer);
    }
    let sent = window_2_sends(&mut model);
    assert_eq!(sent.len(), 13, "{sent:?}");
}

/// A request the spread sends after requests went ahead (a longest round trip shortened
/// since, and the spread ends later) counts in the next window too, as they do: taken for
/// one sent ahead, it was uncounted from there when answered early, and the next window
/// could send one more than its allowance for each.
#[test]
fn a_request_the_spread_sends_after_requests_went_ahead_counts_in_both_windows() {
    let mut model = window_1_half_sent((1.0, 0.25));
    assert!(model.try_send(d(28.5)).is_ok());
    // A longest round trip of 0.9 s: the spread now ends at 28.9.
    model.rtt = Some((0.5, 0.1));
    let rest = sent_at(&mut model, 28.6);
    assert_eq!(rest.len(), 9);
    let State::Window(w) = &model.state else {
        unreachable!()
    };
    assert_eq!(w.ahead.1, 10, "{w:?}");
}

/// A round period's test (a boundary probe due) does not hold back what a window's spread
/// left unsent: the probe needs the window spent by its own requests, which it is not, and
/// at slow round trips every window after a lowering was left a third short, for good.
#[test]
fn a_due_round_period_test_does_not_hold_back_the_requests_sent_ahead() {
    let mut model = window_1_half_sent((1.0, 0.25));
    let rtt_hi = model.rtt_hi();
    let State::Window(w) = &mut model.state else {
        unreachable!()
    };
    w.round_test = true;
    assert!(w.boundary_due(1, rtt_hi, window::BOUNDARY_SLACK));
    assert_eq!(sent_at(&mut model, 28.5).len(), 10);
}

/// The burst (the once-only test of a log) sends its first request alone even after
/// requests sent ahead of it: refused, it shows a boundary predicted early.
#[test]
fn the_burst_s_first_request_goes_alone_after_requests_sent_ahead() {
    let mut model = window_1_ahead_passed();
    if let State::Window(w) = &mut model.state {
        w.burst_due = true;
    }
    let mut t = 30.0;
    let first = send_when_due(&mut model, &mut t);
    assert_eq!(first.slot, 2);
    let State::Window(w) = &model.state else {
        unreachable!()
    };
    assert!(w.burst && w.preceded == 10, "{w:?}");
    assert!(matches!(model.try_send(d(t)), Err(Wait::Answer)));
}

/// The burst's requests in flight grow by one a success (doubling each round trip), not all
/// at once: against a log, which refuses it a request or two past the first, each request
/// in flight then is a `429`. Not where round trips are long against the window (2 s of
/// 10): grown so, it would not get its allowance out before the boundary.
#[test]
fn the_burst_s_requests_in_flight_grow_by_one_a_success_where_round_trips_are_short() {
    for (rtt, grows) in [((0.1, 0.02), true), ((1.0, 0.25), false)] {
        let mut model = window_1_ahead_passed();
        model.rtt = Some(rtt);
        if let State::Window(w) = &mut model.state {
            w.burst_due = true;
        }
        let mut t = 30.0;
        let mut out = vec![send_when_due(&mut model, &mut t)];
        assert!(matches!(&model.state, State::Window(w) if w.burst));
        let mut counts = Vec::new();
        for _ in 1..=3 {
            model.answered(out.remove(0), d(t), Answer::Passed);
            loop {
                match model.try_send(d(t)) {
                    Ok(ticket) => out.push(ticket),
                    Err(Wait::Until(at)) => t = secs(at),
                    Err(Wait::Answer) => break,
                }
            }
            counts.push(out.len());
        }
        if grows {
            assert_eq!(counts, [2, 3, 4], "{rtt:?}");
            // The window ends with its allowance not all sent and no `429`: no verdict, so
            // the test is due again.
            let _ = model.try_send(d(40.5));
            let State::Window(w) = &model.state else {
                panic!("{model:?}")
            };
            assert!(w.index == 3 && w.burst_due && !w.burst, "{w:?}");
        } else {
            // The rest of the window's budget at once, then nothing more.
            assert!(counts[0] >= 9, "{rtt:?}: {counts:?}");
            assert_eq!(counts[1..], [counts[0] - 1, counts[0] - 2], "{rtt:?}");
        }
    }
}

/// A boundary probe's success counted in the burst's window is not one of the burst's own:
/// the burst's first request still goes alone.
#[test]
fn a_carried_boundary_probe_does_not_grow_the_burst() {
    let mut model = window_1_ahead_passed();
    model.rtt = Some((0.1, 0.02));
    if let State::Window(w) = &mut model.state {
        w.burst_due = true;
        w.carry = (2, 1);
    }
    let mut t = 30.0;
    send_when_due(&mut model, &mut t);
    assert!(matches!(&model.state, State::Window(w) if w.burst && w.ok == 1));
    assert!(matches!(model.try_send(d(t)), Err(Wait::Answer)));
}

/// Requests sent before a window began may have landed in it: a refusal of one of them,
/// which may have landed past the boundary, bounds no boundary from below (one answered
/// before the boundary's lower bound landed in its own window, spent, and does), and a
/// `429` in the next window counts them in what it let through (up to the allowance).
#[test]
fn requests_sent_ahead_bound_nothing_and_count_in_what_the_next_window_let_through() {
    for (answered, bounds) in [(30.0, false), (29.5, true)] {
        let (mut model, ahead) = window_1_sending_ahead();
        model.answered(ahead[0], d(answered), Answer::Throttled(Some(d(1.0))));
        let State::Window(w) = &model.state else {
            panic!("not a window: {model:?}");
        };
        let bound = w.bounds.iter().any(|b| b.k == 2 && b.lo == 28.5);
        assert_eq!(bound, bounds, "{answered}: {:?}", w.bounds);
    }

    // With the ten sent before it, window 2 let 15 through: a lowering to 15, not to 5.
    let (mut model, ahead) = window_1_sending_ahead();
    assert_eq!(
        five_pass_then_one_is_refused(&mut model, ahead, 30.0, 30.0, 1.0),
        15
    );
}

/// A success of a request sent ahead, answered past the next boundary's lower bound, is
/// counted in what the next window let through already: it excuses none of that window's
/// shortfall as a spill from the window before.
#[test]
fn requests_sent_ahead_excuse_no_shortfall_as_a_spill() {
    // Round trips up to 0.9 s, an eighth of the period or less (where spills are excused):
    // the spread ends at 28.9, and the ten go at 29.2, answered past 29.8.
    let (mut model, ahead) = window_1_sending_ahead_at((0.5, 0.1), 29.2);
    assert_eq!(ahead.len(), 10);
    // Window 2 short of 5: a lowering to 15, not an excuse keeping 20.
    assert_eq!(
        five_pass_then_one_is_refused(&mut model, ahead, 29.9, 30.1, 0.5),
        15
    );
}

/// A late success of a request sent ahead, after a `429` lowered the window that sent it,
/// may have landed in the next window: it raises that allowance no more (a late success of
/// the window's own requests would, and so does one answered before the next boundary's
/// lower bound: it landed in its own window).
#[test]
fn a_late_success_sent_ahead_raises_no_lowered_allowance() {
    for (answered, allowance) in [(30.0, 10), (29.5, 19)] {
        let (mut model, ahead) = window_1_sending_ahead();
        // One of the ten refused: window 1 let 10 through, its allowance lowered to 10.
        model.answered(ahead[0], d(29.0), Answer::Throttled(None));
        assert_eq!(window_of(&model).0, 10);
        for &ticket in &ahead[1..] {
            model.answered(ticket, d(answered), Answer::Passed);
        }
        assert_eq!(window_of(&model).0, allowance, "{answered}");
    }
}

/// A window probing upward after requests sent ahead of it sends its own up to its budget
/// above them: what passes of its own must exceed the allowance to show a raised limit.
#[test]
fn an_upward_probe_sends_its_own_budget_above_the_requests_sent_ahead() {
    let mut model = window_1_ahead_passed();
    if let State::Window(w) = &mut model.state {
        w.eager = true;
    }
    // Window 2 tries a quarter above its 20, each request answered (passed) at once.
    let (mut t, mut own) = (30.0, 0);
    while t < 40.0 {
        let ticket = send_when_due(&mut model, &mut t);
        if t >= 40.0 {
            break;
        }
        assert_eq!(ticket.slot, 2);
        own += 1;
        t += 0.01;
        model.answered(ticket, d(t), Answer::Passed);
    }
    assert_eq!(own, 25);
}

/// A window that sent requests ahead is not spent by its own alone: it probes no boundary,
/// whose pass would say nothing, even once round trips shrink enough to call for one. (Its
/// requests sent ahead are answered inside the next boundary's interval: they may have
/// landed past it.)
#[test]
fn a_window_that_sent_requests_ahead_probes_no_boundary() {
    // The next boundary in (28, 31]: 3 s, not worth a probe at round trips up to 2 s.
    let mut model = window_with(vec![bound(0, 9.0, 10.0), bound(1, 19.0, 20.0)]);
    model.rtt = Some((1.0, 0.25));
    if let State::Window(w) = &mut model.state {
        w.out = 0;
    }
    let mut t = 27.0;
    for _ in 0..10 {
        let ticket = send_when_due(&mut model, &mut t);
        model.answered(ticket, d(28.5), Answer::Passed);
    }
    assert_eq!(t, 27.0, "sent ahead, past the spread's end (26)");
    // Round trips now up to 0.14 s: the boundary is worth a probe, but not from this window.
    model.rtt = Some((0.1, 0.01));
    let State::Window(w) = &model.state else {
        unreachable!()
    };
    assert!(w.boundary_due(1, 0.14, window::BOUNDARY_SLACK));
    match model.try_send(d(29.5)) {
        Err(Wait::Until(at)) => assert!(secs(at) >= 31.0 - 1e-9, "{at:?}"),
        other => panic!("{other:?}"),
    }
}
