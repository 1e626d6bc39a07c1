//! A table test for each rule of a walk, fed pages by a pure in-memory server: what it asks
//! for, what it yields and how it ends.

use std::collections::VecDeque;

use serde_json::{Value, json};

use super::*;
use crate::types::Contact;

/// A server: the answer to page `number`, as JSON, given how many requests it answered
/// before (for servers that change under the walk).
type Server = Box<dyn FnMut(u32, usize) -> Value>;

/// The order a test server answers the requests in flight.
#[derive(Clone, Copy)]
enum Answers {
    /// As they were sent.
    InOrder,
    /// The latest one first.
    Reversed,
}

/// What a walk did.
#[derive(Debug, PartialEq)]
struct Run {
    /// The pages asked for, in order.
    sent: Vec<u32>,
    /// The contacts yielded, in order.
    ids: Vec<i64>,
    /// How it ended: `Ok` complete, or the error's Debug.
    end: Result<(), String>,
    /// The most requests in flight or held at once.
    most_pending: usize,
}

fn settings() -> Settings {
    Settings {
        first_page: 1,
        concurrency: 1,
        limit: None,
        max_pages: None,
        after: None,
        before: None,
        is_oldest_first: false,
        refused: None,
    }
}

fn contact(id: i64, created_at: Option<i64>) -> Value {
    json!({"id": id, "created_at": created_at})
}

/// Page `number` of `ids`, 15 a page, each contact created at its id (unless `times` says).
fn slice(ids: &[i64], number: u32) -> Vec<Value> {
    ids.iter()
        .skip((number as usize - 1) * PAGE_SIZE as usize)
        .take(PAGE_SIZE as usize)
        .map(|&id| contact(id, Some(id)))
        .collect()
}

/// The documented shape: `meta.count` the total.
fn counted(ids: Vec<i64>, count: u64) -> Server {
    Box::new(
        move |number, _| json!({"meta": {"count": count, "current_page": number}, "payload": slice(&ids, number)}),
    )
}

/// `n` contacts, ids 1 to `n`, with their total.
fn plain(n: i64) -> Server {
    counted((1..=n).collect(), n as u64)
}

/// The newer shape: `meta.has_more`, no total.
fn has_more(n: i64) -> Server {
    let ids: Vec<i64> = (1..=n).collect();
    Box::new(move |number, _| {
        let payload = slice(&ids, number);
        let more = (number as usize) * (PAGE_SIZE as usize) < ids.len();
        json!({"meta": {"count": payload.len(), "current_page": number, "has_more": more}, "payload": payload})
    })
}

fn drive(settings: Settings, mut server: Server, answers: Answers, start: Option<u32>) -> Run {
    let mut walk = Walk::new(settings);
    let mut queue: VecDeque<(u32, Value)> = VecDeque::new();
    let mut run = Run {
        sent: Vec::new(),
        ids: Vec::new(),
        end: Ok(()),
        most_pending: 0,
    };
    let mut answered = 0;
    for _ in 0..10_000 {
        match walk.poll() {
            Action::FindStart(_) => walk.start_found(Ok((start.expect("a start"), None))),
            Action::Send(number) => {
                run.sent.push(number);
                queue.push_back((number, server(number, answered)));
                answered += 1;
                run.most_pending = run.most_pending.max(walk.in_flight + walk.arrived.len());
            }
            Action::CancelInFlight => queue.clear(),
            Action::Wait => {
                let (number, body) = match answers {
                    Answers::InOrder => queue.pop_front(),
                    Answers::Reversed => queue.pop_back(),
                }
                .expect("an answer in flight");
                let page = serde_json::from_value(body).expect("a page");
                walk.answered(number, Ok(page));
            }
            Action::Yield(page) => run.ids.extend(page.payload.iter().map(|c| c.id)),
            Action::End(error) => {
                run.end = error.map_or(Ok(()), |e| Err(format!("{e:?}")));
                assert!(matches!(walk.poll(), Action::End(None)), "ended for good");
                return run;
            }
        }
    }
    panic!("the walk never ended: {run:?}");
}

fn walk_error(error: WalkError) -> Result<(), String> {
    Err(format!("{:?}", Error::from(error)))
}

fn ids(range: std::ops::RangeInclusive<i64>) -> Vec<i64> {
    range.collect()
}

struct Row {
    rule: &'static str,
    settings: Settings,
    server: Server,
    answers: Answers,
    sent: Vec<u32>,
    ids: Vec<i64>,
    end: Result<(), String>,
}

fn row(
    rule: &'static str,
    server: Server,
    sent: &[u32],
    ids: Vec<i64>,
    end: Result<(), String>,
) -> Row {
    Row {
        rule,
        settings: settings(),
        server,
        answers: Answers::InOrder,
        sent: sent.to_vec(),
        ids,
        end,
    }
}

impl Row {
    fn with(mut self, change: impl FnOnce(&mut Settings)) -> Self {
        change(&mut self.settings);
        self
    }

    fn answered(mut self, answers: Answers) -> Self {
        self.answers = answers;
        self
    }
}

fn check(rows: Vec<Row>) {
    for row in rows {
        let run = drive(row.settings, row.server, row.answers, None);
        assert_eq!(
            (&run.sent, &run.ids, &run.end),
            (&row.sent, &row.ids, &row.end),
            "{}",
            row.rule
        );
    }
}

/// It ends only when the data says so; the total only plans how far ahead to ask.
#[test]
fn it_ends_only_when_the_data_says_so() {
    check(vec![
        row(
            "a short page ends it",
            plain(20),
            &[1, 2],
            ids(1..=20),
            Ok(()),
        ),
        row(
            "an empty page ends it: the total plans the page after 30 as the end",
            plain(30),
            &[1, 2, 3],
            ids(1..=30),
            Ok(()),
        ),
        row("no contacts: one request", plain(0), &[1], vec![], Ok(())),
        row(
            "answers in any order come out in page order; pages read together are followed by \
             the end asked again, for a total counted after them all",
            plain(50),
            &[1, 2, 3, 4, 4],
            ids(1..=50),
            Ok(()),
        )
        .with(|s| s.concurrency = 4)
        .answered(Answers::Reversed),
        row(
            "has_more: false ends it",
            has_more(30),
            &[1, 2],
            ids(1..=30),
            Ok(()),
        ),
        row(
            "an empty page that says more follow fails",
            Box::new(
                |number, _| json!({"meta": {"current_page": number, "has_more": true}, "payload": []}),
            ),
            &[1],
            vec![],
            walk_error(WalkError::ShortPage {
                page: 1,
                received: 0,
            }),
        ),
        row(
            "a page short of 15 that says more follow fails (review 107: the walk ended Ok \
             without the five it lost)",
            Box::new(|number, _| {
                let ids: Vec<i64> = match number {
                    2 => (16..=25).collect(),
                    _ => (1..=45).collect(),
                };
                let payload = if number == 2 {
                    slice(&ids, 1)
                } else {
                    slice(&ids, number)
                };
                json!({"meta": {"count": payload.len(), "current_page": number, "has_more": number < 3}, "payload": payload})
            }),
            &[1, 2],
            ids(1..=15),
            walk_error(WalkError::ShortPage {
                page: 2,
                received: 10,
            }),
        ),
        row(
            "a page that says it ends, short of its own count on a has_more server, fails",
            Box::new(
                |number, _| json!({"meta": {"count": 45, "current_page": number, "has_more": false}, "payload": slice(&(1..=45).collect::<Vec<_>>(), number)}),
            ),
            &[1],
            vec![],
            walk_error(WalkError::ShortPage {
                page: 1,
                received: 15,
            }),
        ),
        row(
            "a last page of contacts already yielded fails where no total checks the walk \
             (review 107: it ended Ok with 15 of 30)",
            Box::new(
                |number, _| json!({"meta": {"count": 15, "current_page": number, "has_more": number < 2}, "payload": slice(&(1..=15).collect::<Vec<_>>(), 1)}),
            ),
            &[1, 2],
            ids(1..=15),
            walk_error(WalkError::RepeatedPages { pages: 1 }),
        ),
        row(
            "a total too low: the full page where it expected the end is followed, and the end \
             that holds more than the total is asked again for its total",
            counted(ids(1..=40), 20),
            &[1, 2, 3, 3],
            ids(1..=40),
            Ok(()),
        ),
        row(
            "an end that holds more than any total counted is asked again for a total",
            Box::new({
                let mut recounted = false;
                move |number, _| {
                    let all = ids(1..=32);
                    let count = if number == 3 && std::mem::replace(&mut recounted, true) {
                        32
                    } else {
                        31
                    };
                    json!({"meta": {"count": count, "current_page": number}, "payload": slice(&all, number)})
                }
            }),
            &[1, 2, 3, 3],
            ids(1..=32),
            Ok(()),
        ),
        row(
            "... and its total then says whether a contact counted late stood in for one missed",
            Box::new({
                let mut recounted = false;
                move |number, _| {
                    // 16 never listed, 15 listed twice, 32 on the end page and not counted.
                    let page: Vec<i64> = match number {
                        1 => ids(1..=15),
                        2 => [15].into_iter().chain(17..=30).collect(),
                        _ => vec![31, 32],
                    };
                    let count = if number == 3 && std::mem::replace(&mut recounted, true) {
                        32
                    } else {
                        31
                    };
                    json!({"meta": {"count": count, "current_page": number}, "payload": slice(&page, 1)})
                }
            }),
            &[1, 2, 3, 3],
            ids(1..=15).into_iter().chain(17..=32).collect(),
            walk_error(WalkError::CountMismatch {
                count: 32,
                yielded: 31,
            }),
        ),
        row(
            "a total that grows widens the plan",
            Box::new(|number, _| {
                let all = ids(1..=50);
                let count = if number == 1 { 16 } else { 50 };
                json!({"meta": {"count": count, "current_page": number}, "payload": slice(&all, number)})
            }),
            &[1, 2, 3, 4],
            ids(1..=50),
            Ok(()),
        ),
    ]);
}

/// At concurrency 4, the first page goes alone; then as many as the plan allows, never past
/// the page the total names as the last, which is asked again for its total where pages
/// went out together (not where one did alone).
#[test]
fn pages_go_out_concurrency_at_a_time_within_the_plan() {
    for (n, concurrency, sent, most) in [
        (100_i64, 4, vec![1, 2, 3, 4, 5, 6, 7, 7], 4),
        (100, 8, vec![1, 2, 3, 4, 5, 6, 7, 7], 6),
        (20, 4, vec![1, 2], 1),
    ] {
        let mut settings = settings();
        settings.concurrency = concurrency;
        let run = drive(settings, plain(n), Answers::Reversed, None);
        assert_eq!(run.sent, sent, "{n} at {concurrency}");
        assert_eq!(
            run.ids,
            ids(1..=n),
            "in page order whatever the answers' order"
        );
        assert_eq!(run.most_pending, most, "{n} at {concurrency}");
        assert_eq!(run.end, Ok(()));
    }
    // Without a total, `concurrency` pages ahead: past the end costs a request a slot.
    let mut settings = settings();
    settings.concurrency = 4;
    let run = drive(settings, has_more(20), Answers::InOrder, None);
    assert_eq!(run.sent, [1, 2, 3, 4, 5]);
    assert_eq!(run.ids, ids(1..=20));
}

/// The total is checked at the end; a lower one than an earlier answer's is a deletion.
#[test]
fn the_total_is_checked() {
    check(vec![
        row(
            "fewer contacts than the total",
            counted(ids(1..=20), 25),
            &[1, 2],
            ids(1..=20),
            walk_error(WalkError::CountMismatch {
                count: 25,
                yielded: 20,
            }),
        ),
        row(
            "oldest first, the end is read again, 8 times at most",
            counted(ids(1..=20), 25),
            &[1, 2, 2, 2, 2, 2, 2, 2, 2, 2],
            ids(1..=20),
            walk_error(WalkError::CountMismatch {
                count: 25,
                yielded: 20,
            }),
        )
        .with(|s| s.is_oldest_first = true),
        row(
            "oldest first, a contact added after the end was read is read with it again",
            Box::new(|number, answered| {
                // Contact 31 arrives after page 2 was answered, and counts from then on.
                let n = if answered >= 2 { 31 } else { 30 };
                let all = ids(1..=n);
                let count = if answered >= 1 { 31 } else { 30 };
                json!({"meta": {"count": count, "current_page": number}, "payload": slice(&all, number)})
            }),
            &[1, 2, 3],
            ids(1..=31),
            Ok(()),
        )
        .with(|s| s.is_oldest_first = true),
        row(
            "a total that falls is a deletion",
            Box::new(|number, _| {
                let all = ids(1..=45);
                let count = if number == 1 { 45 } else { 44 };
                json!({"meta": {"count": count, "current_page": number}, "payload": slice(&all, number)})
            }),
            &[1, 2],
            ids(1..=15),
            walk_error(WalkError::CountFell {
                page: 2,
                from: 45,
                to: 44,
            }),
        ),
    ]);
}

/// Each contact once; full pages of repeats skipped where a total checks the walk.
#[test]
fn repeats_are_dropped() {
    // Page 2 repeats page 1's contacts, page 3 holds the rest: a server that shifts.
    let shifted = |pages_of_repeats: u32, count: Option<u64>| -> Server {
        Box::new(move |number, _| {
            let first = ids(1..=15);
            let payload = if number == 1 || number <= 1 + pages_of_repeats {
                slice(&first, 1)
            } else {
                slice(&ids(16..=20), 1)
            };
            let meta = match count {
                Some(count) => json!({"count": count, "current_page": number}),
                None => {
                    json!({"count": payload.len(), "current_page": number, "has_more": payload.len() == 15})
                }
            };
            json!({"meta": meta, "payload": payload})
        })
    };
    check(vec![
        row(
            "a full page of repeats is skipped, and the total checks what it hid",
            shifted(1, Some(35)),
            &[1, 2, 3],
            ids(1..=20),
            walk_error(WalkError::CountMismatch {
                count: 35,
                yielded: 20,
            }),
        ),
        row(
            "four in a row are skipped (and the end, past the total, asked again for it)",
            shifted(4, Some(20)),
            &[1, 2, 3, 4, 5, 6, 6],
            ids(1..=20),
            Ok(()),
        ),
        row(
            "the fifth in a row ends the walk",
            shifted(5, Some(20)),
            &[1, 2, 3, 4, 5, 6],
            ids(1..=15),
            walk_error(WalkError::RepeatedPages { pages: 5 }),
        ),
        row(
            "without a total, one page of repeats ends the walk",
            shifted(1, None),
            &[1, 2],
            ids(1..=15),
            walk_error(WalkError::RepeatedPages { pages: 1 }),
        ),
        row(
            "a repeat among new contacts is dropped (17 positions for a total of 16: the end \
             is asked again for its total)",
            Box::new(|number, _| {
                let payload: Vec<Value> = match number {
                    1 => ids(1..=15)
                        .into_iter()
                        .map(|id| contact(id, Some(id)))
                        .collect(),
                    _ => [15, 16]
                        .into_iter()
                        .map(|id| contact(id, Some(id)))
                        .collect(),
                };
                json!({"meta": {"count": 16, "current_page": number}, "payload": payload})
            }),
            &[1, 2, 2],
            ids(1..=16),
            Ok(()),
        ),
    ]);
}

/// A page that names another page than the one asked: the server ignores `page`.
#[test]
fn an_ignored_page_fails() {
    check(vec![row(
        "page 2 answered as page 1",
        Box::new(
            |_, _| json!({"meta": {"count": 30, "current_page": "1"}, "payload": slice(&ids(1..=30), 1)}),
        ),
        &[1, 2],
        ids(1..=15),
        walk_error(WalkError::PageIgnored {
            requested: 2,
            answered: 1,
        }),
    )]);
}

/// A cap ends a walk that has not ended by itself; the limit ends one with success.
#[test]
fn caps_and_limits() {
    check(vec![
        row(
            "max_pages ends an endless walk",
            Box::new(|number, _| {
                let payload: Vec<Value> = (0..15)
                    .map(|i| contact(i64::from(number) * 100 + i, None))
                    .collect();
                json!({"meta": {"current_page": number, "has_more": true}, "payload": payload})
            }),
            &[1, 2, 3],
            (1..=3)
                .flat_map(|p| (0..15).map(move |i| p * 100 + i))
                .collect(),
            walk_error(WalkError::PageCap { pages: 3 }),
        )
        .with(|s| s.max_pages = Some(3)),
        row(
            "a walk that ends by itself within its cap is complete",
            plain(30),
            &[1, 2, 3],
            ids(1..=30),
            Ok(()),
        )
        .with(|s| s.max_pages = Some(3)),
        row(
            "the limit stops it, asking no page it does not need",
            plain(100),
            &[1, 2],
            ids(1..=20),
            Ok(()),
        )
        .with(|s| {
            s.limit = Some(20);
            s.concurrency = 8;
        }),
        row("a limit of 0 asks nothing", plain(100), &[], vec![], Ok(()))
            .with(|s| s.limit = Some(0)),
        row(
            "the largest page the API accepts is the last one asked",
            Box::new(|number, _| {
                let payload: Vec<Value> = (0..15)
                    .map(|i| contact(i64::from(number) * 100 + i, None))
                    .collect();
                json!({"meta": {"current_page": number, "has_more": true}, "payload": payload})
            }),
            &[LAST_POSSIBLE_PAGE],
            (0..15)
                .map(|i| i64::from(LAST_POSSIBLE_PAGE) * 100 + i)
                .collect(),
            walk_error(WalkError::PageCap {
                pages: LAST_POSSIBLE_PAGE,
            }),
        )
        .with(|s| s.first_page = LAST_POSSIBLE_PAGE),
    ]);
}

/// Errors end it, after every page before them; a refused setting ends it before it asks.
#[test]
fn errors_end_it() {
    let mut walk = Walk::new(settings());
    assert!(matches!(walk.poll(), Action::Send(1)));
    let page = serde_json::from_value(
        json!({"meta": {"count": 45, "current_page": 1}, "payload": slice(&ids(1..=45), 1)}),
    )
    .unwrap();
    walk.answered(1, Ok(page));
    // The first page tells the server's shape before more are asked.
    assert!(matches!(walk.poll(), Action::Yield(page) if page.payload.len() == 15));
    assert!(matches!(walk.poll(), Action::Send(2)));
    assert!(matches!(walk.poll(), Action::Wait));
    walk.answered(
        2,
        Err(Error::InvalidArgument {
            argument: "page",
            reason: "test".to_owned(),
        }),
    );
    assert!(matches!(
        walk.poll(),
        Action::End(Some(Error::InvalidArgument { .. }))
    ));
    assert!(matches!(walk.poll(), Action::End(None)));

    let mut refused = settings();
    refused.refused = Some(Error::InvalidArgument {
        argument: "created_after",
        reason: "test".to_owned(),
    });
    let run = drive(refused, plain(10), Answers::InOrder, None);
    assert!(run.sent.is_empty());
    assert!(run.end.unwrap_err().contains("created_after"));
}

/// Requests lost without an answer end the walk in error, naming the first page not read,
/// whether or not the server sent a total that the pages read would have matched.
#[test]
fn requests_lost_in_flight_end_it_in_error() {
    for meta in [
        json!({"current_page": 1, "has_more": true}),
        json!({"count": 45, "current_page": 1}),
    ] {
        let mut walk = Walk::new(settings());
        assert!(matches!(walk.poll(), Action::Send(1)));
        let mut body = json!({"payload": slice(&ids(1..=45), 1)});
        body["meta"] = meta.clone();
        walk.answered(1, Ok(serde_json::from_value(body).unwrap()));
        assert!(matches!(walk.poll(), Action::Yield(_)));
        assert!(matches!(walk.poll(), Action::Send(2)));
        walk.lost_in_flight();
        let end = walk.poll();
        assert!(
            matches!(
                end,
                Action::End(Some(Error::Walk(WalkError::Interrupted { page: 2 })))
            ),
            "{meta}: {end:?}"
        );
        assert!(matches!(walk.poll(), Action::End(None)));
    }
}

/// Oldest first, an answer's total below one that had arrived before it was sent is caught
/// whatever the order the answers come in.
#[test]
fn a_total_is_compared_with_those_arrived_before_its_page_was_sent() {
    let mut walk = Walk::new(Settings {
        concurrency: 2,
        ..settings()
    });
    let page = |number: u32, count: u64| -> ContactList {
        serde_json::from_value(json!({"meta": {"count": count, "current_page": number}, "payload": slice(&ids(1..=60), number)})).unwrap()
    };
    assert!(matches!(walk.poll(), Action::Send(1)));
    walk.answered(1, Ok(page(1, 60)));
    assert!(matches!(walk.poll(), Action::Yield(_)));
    assert!(matches!(walk.poll(), Action::Send(2)));
    assert!(matches!(walk.poll(), Action::Send(3)));
    // Page 3's total is lower than page 1's, which had arrived when page 3 was sent: a
    // deletion, whatever page 2 (in flight with it) says.
    walk.answered(3, Ok(page(3, 59)));
    walk.answered(2, Ok(page(2, 60)));
    assert!(matches!(walk.poll(), Action::Yield(_)));
    assert!(matches!(walk.poll(), Action::Send(4)));
    assert!(matches!(
        walk.poll(),
        Action::End(Some(Error::Walk(WalkError::CountFell {
            page: 3,
            from: 60,
            to: 59
        })))
    ));
}

/// Bounds by creation time: after a position, and before a time.
#[test]
fn bounds_by_creation_time() {
    // Contacts 1 to 60, each created at its id.
    let after = |created_at: i64, ids: Vec<i64>| Some(After { created_at, ids });
    // The rule, the settings, the start page found, the pages asked, the ids, the end.
    type Case = (
        &'static str,
        Settings,
        u32,
        Vec<u32>,
        Vec<i64>,
        Result<(), String>,
    );
    let cases: Vec<Case> = vec![
        (
            "after a time: from the start found, only what comes after",
            Settings {
                after: after(21, vec![]),
                ..settings()
            },
            1,
            vec![1, 2, 3, 4, 5],
            ids(21..=60),
            Ok(()),
        ),
        (
            "after a position: the rest of its second too",
            Settings {
                after: after(21, vec![21]),
                ..settings()
            },
            2,
            vec![2, 3, 4, 5],
            ids(22..=60),
            Ok(()),
        ),
        (
            "a start page that no longer begins before the start fails",
            Settings {
                after: after(16, vec![]),
                ..settings()
            },
            2,
            vec![2],
            vec![],
            walk_error(WalkError::StartMoved { page: 2 }),
        ),
        (
            "before a time: ends at the first contact at or past it",
            Settings {
                before: Some(20),
                ..settings()
            },
            1,
            vec![1, 2],
            ids(1..=19),
            Ok(()),
        ),
    ];
    for (rule, settings, start, sent, expected, end) in cases {
        let run = drive(settings, plain(60), Answers::InOrder, Some(start));
        assert_eq!(
            (run.sent, run.ids, run.end),
            (sent, expected, end),
            "{rule}"
        );
    }
    // A tie that hid a contact before the end bound: fewer held than the pages before it.
    let tie: Server = Box::new(|number, _| {
        let mut order = ids(1..=30);
        if number >= 2 {
            order[13..17].reverse();
        }
        let payload: Vec<Value> = order
            .iter()
            .skip((number as usize - 1) * 15)
            .take(15)
            .map(|&id| contact(id, Some(if (14..=17).contains(&id) { 14 } else { id })))
            .collect();
        json!({"meta": {"count": 30, "current_page": number}, "payload": payload})
    });
    let run = drive(
        Settings {
            before: Some(25),
            ..settings()
        },
        tie,
        Answers::InOrder,
        None,
    );
    assert_eq!(
        run.end,
        walk_error(WalkError::CountMismatch {
            count: 24,
            yielded: 22
        })
    );
    // A contact with no creation time cannot be placed by a bounded walk.
    let missing: Server = Box::new(
        |number, _| json!({"meta": {"count": 2, "current_page": number}, "payload": [contact(1, Some(1)), contact(2, None)]}),
    );
    let run = drive(
        Settings {
            before: Some(25),
            ..settings()
        },
        missing,
        Answers::InOrder,
        None,
    );
    assert!(run.end.unwrap_err().contains("payload[1].created_at"));
}

/// Sorted oldest first, a run of one creation time that showed fewer contacts than the
/// positions it filled ends the walk naming it, as soon as the run ends.
#[test]
fn a_tie_cut_short_fails_naming_it() {
    // Ids 13 to 18 share second 100 across pages 1 and 2; `page_two` is what page 2 shows
    // of them first (the rest of page 2 follows, created at their ids).
    let tie = |page_two: [i64; 3], has_more: bool| -> Server {
        Box::new(move |number, _| {
            let at = |id: i64| {
                if (13..=18).contains(&id) {
                    100
                } else {
                    100 + id
                }
            };
            let ids: Vec<i64> = match number {
                1 => ids(1..=15),
                2 => page_two.into_iter().chain(19..=27).collect(),
                _ => vec![],
            };
            let payload: Vec<Value> = ids.iter().map(|&id| contact(id, Some(at(id)))).collect();
            let meta = if has_more {
                json!({"current_page": number, "has_more": number == 1})
            } else {
                json!({"count": 27, "current_page": number})
            };
            json!({"meta": meta, "payload": payload})
        })
    };
    let failed = |missing| {
        walk_error(WalkError::Tie {
            created_at: 100,
            first_page: 1,
            last_page: 2,
            size: 6,
            missing,
        })
    };
    check(vec![
        row(
            "a tie in the same order on both pages",
            tie([16, 17, 18], false),
            &[1, 2],
            ids(1..=27),
            Ok(()),
        )
        .with(|s| s.is_oldest_first = true),
        row(
            "a tie reordered whole",
            tie([18, 16, 17], false),
            &[1, 2],
            ids(1..=15)
                .into_iter()
                .chain([18, 16, 17])
                .chain(19..=27)
                .collect(),
            Ok(()),
        )
        .with(|s| s.is_oldest_first = true),
        row(
            "a tie that hid one",
            tie([15, 16, 17], false),
            &[1, 2],
            ids(1..=15),
            failed(1),
        )
        .with(|s| s.is_oldest_first = true),
        row(
            "on a server without a total too",
            tie([13, 14, 18], true),
            &[1, 2],
            ids(1..=15),
            failed(2),
        )
        .with(|s| s.is_oldest_first = true),
        row(
            "in another order the total tells instead",
            tie([15, 16, 17], false),
            &[1, 2],
            ids(1..=17).into_iter().chain(19..=27).collect(),
            walk_error(WalkError::CountMismatch {
                count: 27,
                yielded: 26,
            }),
        ),
    ]);
    // A tie that ends the walk: checked at the end.
    let last: Server = Box::new(|number, _| {
        let ids: Vec<i64> = if number == 1 {
            ids(1..=15)
        } else {
            vec![14, 15]
        };
        let payload: Vec<Value> = ids
            .iter()
            .map(|&id| contact(id, Some(if id >= 14 { 100 } else { id })))
            .collect();
        json!({"meta": {"count": 17, "current_page": number}, "payload": payload})
    });
    let run = drive(
        Settings {
            is_oldest_first: true,
            ..settings()
        },
        last,
        Answers::InOrder,
        None,
    );
    assert_eq!(
        run.end,
        walk_error(WalkError::Tie {
            created_at: 100,
            first_page: 1,
            last_page: 2,
            size: 4,
            missing: 2
        })
    );
}

#[test]
fn the_page_expected_short_or_empty() {
    assert_eq!(expected_last_page(1, 0), 1);
    assert_eq!(expected_last_page(1, 1), 1);
    assert_eq!(expected_last_page(1, 14), 1);
    assert_eq!(expected_last_page(1, 15), 2);
    assert_eq!(expected_last_page(1, 16), 2);
    assert_eq!(expected_last_page(1, 3000), 201);
    assert_eq!(expected_last_page(3, 40), 3);
    assert_eq!(expected_last_page(1, u64::MAX), i32::MAX as u32);
}

#[test]
fn a_contact_is_built_from_json() {
    // The servers above describe contacts by id and creation time only.
    let contact: Contact = serde_json::from_value(contact(7, Some(9))).unwrap();
    assert_eq!((contact.id, contact.created_at), (7, Some(9)));
}
