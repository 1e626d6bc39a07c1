//! Servers that lie, shift, redirect, flood and stall: a walk returns every contact once or
//! fails loudly, memory stays bounded, and the query never leaks.

use crate::common;

use std::{
    collections::HashSet,
    error::Error as _,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use common::{
    builder, client, contact, page,
    server::{Reply, TestServer, contacts_api},
};
use futures::StreamExt;
use livedesk::{Error, RetryPolicy, SortDirection, SortField, WalkError};
use serde_json::json;
// Tests that check waits run on tokio's paused clock (`start_paused`): the loopback server
// answers at once in virtual time, and a loaded machine cannot stretch or shrink a wait.
use tokio::time::Instant;

/// A query holding personal data, which must appear nowhere but on the wire.
const PRIVATE: &str = "ada.lovelace@example.com";

fn ids(contacts: &[livedesk::Contact]) -> Vec<i64> {
    contacts.iter().map(|c| c.id).collect()
}

/// Walks with `concurrency`, returning what came out and the error it ended with, if any.
pub(crate) async fn walk(
    search: livedesk::Search,
    concurrency: usize,
) -> (Vec<livedesk::Contact>, Option<Error>) {
    let items: Vec<_> = search
        .paginate()
        .concurrency(concurrency)
        .contacts()
        .collect()
        .await;
    let mut contacts = Vec::new();
    let mut error = None;
    for item in items {
        match item {
            Ok(contact) => contacts.push(contact),
            Err(e) => error = Some(e),
        }
    }
    (contacts, error)
}

/// 75 contacts sorted by id; once page 1 has been served, 15 newer ones (76 to 90) appear,
/// first in descending order and last in ascending order.
fn growing_server(descending: bool) -> impl Fn(&common::server::Request) -> Reply + Send + Sync {
    let grown = AtomicBool::new(false);
    move |request| {
        let total = if grown.load(Ordering::SeqCst) { 90 } else { 75 };
        let mut all: Vec<i64> = (1..=total).collect();
        if descending {
            all.reverse();
        }
        let p = request.page() as usize;
        let ids: Vec<i64> = all.iter().skip((p - 1) * 15).take(15).copied().collect();
        if p == 1 {
            grown.store(true, Ordering::SeqCst);
        }
        Reply::json(&page(ids, total as u64, p as u32))
    }
}

/// A walk by `created_at` in `direction` over [`growing_server`].
async fn walk_growing(
    direction: SortDirection,
    concurrency: usize,
) -> (Vec<livedesk::Contact>, Option<Error>) {
    let server = TestServer::start(growing_server(direction == SortDirection::Desc)).await;
    let search = client(&server.base_url)
        .search("x")
        .sort(SortField::CreatedAt)
        .direction(direction);
    walk(search, concurrency).await
}

#[tokio::test]
async fn contacts_added_at_the_front_during_a_walk_fail_it_instead_of_going_missing() {
    for concurrency in [1, 4] {
        let (contacts, error) = walk_growing(SortDirection::Desc, concurrency).await;
        // Every contact that existed all along came out once; the walk then says it missed
        // the ones added meanwhile rather than end with success.
        let mut got = ids(&contacts);
        got.sort();
        assert_eq!(
            got,
            (1..=75).collect::<Vec<_>>(),
            "concurrency {concurrency}"
        );
        assert!(
            matches!(
                error,
                Some(Error::Walk(WalkError::CountMismatch {
                    count: 90,
                    yielded: 75,
                    ..
                }))
            ),
            "{error:?}"
        );
    }
}

#[tokio::test]
async fn oldest_first_exports_take_in_contacts_added_during_the_walk() {
    for concurrency in [1, 4] {
        let (contacts, error) = walk_growing(SortDirection::Asc, concurrency).await;
        assert!(error.is_none(), "{error:?}");
        assert_eq!(ids(&contacts), (1..=90).collect::<Vec<_>>());
    }
}

/// Oldest first, 40 contacts: once page 1 is served, contact 2 is deleted (16 slides onto
/// page 1, already fetched), and once page 2 is, contact 41 is added. The final total is 40
/// again and 40 distinct contacts come out, but 16 is not among them: only the total that
/// fell in between (39, on page 2) shows it.
#[tokio::test]
async fn a_deletion_hidden_by_a_later_addition_fails_the_walk() {
    let server = TestServer::start(|request| {
        let p = request.page();
        let data: Vec<i64> = match p {
            1 => (1..=40).collect(),
            2 => (1..=40).filter(|&id| id != 2).collect(),
            _ => (1..=41).filter(|&id| id != 2).collect(),
        };
        let start = (p as usize - 1) * 15;
        let ids = data.iter().skip(start).take(15).copied();
        Reply::json(&json!({
            "meta": {"count": data.len(), "current_page": p},
            "payload": ids.map(contact).collect::<Vec<_>>(),
        }))
    })
    .await;
    let (contacts, error) = walk(client(&server.base_url).search("x"), 1).await;
    assert!(
        matches!(
            error,
            Some(Error::Walk(WalkError::CountFell {
                page: 2,
                from: 40,
                to: 39,
                ..
            }))
        ),
        "{error:?}"
    );
    assert_eq!(
        ids(&contacts),
        (1..=15).collect::<Vec<_>>(),
        "page 1, then the error"
    );
}

/// Contacts only added, oldest first, four pages in flight: page 2 is counted before page 3
/// but its answer arrives after it, with the lower total. That is no deletion.
#[tokio::test]
async fn totals_that_arrive_out_of_order_do_not_fail_an_honest_walk() {
    let server = TestServer::start(move |request| {
        // Each page counted after the one before it, a contact added in between.
        let p = request.page();
        let total = 40 + i64::from(p);
        let start = i64::from(p - 1) * 15 + 1;
        let reply = Reply::json(&json!({
            "meta": {"count": total, "current_page": p},
            "payload": (start..=(start + 14).min(total)).map(contact).collect::<Vec<_>>(),
        }));
        if p == 2 {
            reply.delay(Duration::from_millis(300))
        } else {
            reply
        }
    })
    .await;
    let (contacts, error) = walk(client(&server.base_url).search("x"), 4).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(ids(&contacts), (1..=43).collect::<Vec<_>>());
}

#[tokio::test]
async fn lying_counts_do_not_cut_a_walk() {
    // (count on page 1, count later, contacts really there)
    for (first, later, total) in [(-1, -1, 45), (30, 30, 45), (30, 60, 60), (0, 0, 20)] {
        let server = TestServer::start(move |request| {
            let p = request.page();
            let count = if p == 1 { first } else { later };
            let start = i64::from(p - 1) * 15 + 1;
            let ids = start..=(start + 14).min(total);
            Reply::json(&json!({
                "meta": {"count": count, "current_page": p},
                "payload": ids.map(contact).collect::<Vec<_>>(),
            }))
        })
        .await;
        for concurrency in [1, 4] {
            let (contacts, error) = walk(client(&server.base_url).search("x"), concurrency).await;
            assert!(error.is_none(), "{first}/{later}: {error:?}");
            assert_eq!(
                ids(&contacts),
                (1..=total).collect::<Vec<_>>(),
                "{first}/{later}"
            );
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_slow_consumer_does_not_break_a_healthy_walk() {
    // Each page takes the consumer longer than the per-attempt timeout.
    let server = TestServer::start(contacts_api(75)).await;
    for retry in [common::fast_retries(), RetryPolicy::disabled()] {
        let before = server.stats.count();
        let client = builder(&server.base_url)
            .retry(retry)
            .timeout(Duration::from_millis(300))
            .build()
            .unwrap();
        let mut pages = client.search("x").paginate().concurrency(3).pages();
        let mut seen = 0;
        while let Some(page) = pages.next().await {
            seen += page.unwrap().payload.len();
            tokio::time::sleep(Duration::from_millis(450)).await;
        }
        assert_eq!(seen, 75);
        // Pages 1 to 5, page 6 confirming the end, and page 6 again for a total counted
        // after the pages read together: nothing else asked twice.
        assert_eq!(server.stats.count() - before, 7);
    }
}

/// The same slow consumer, with the stream made before the runtime that polls it (a stream
/// built in `main` before the runtime starts, or by sync code that then `block_on`s it): its
/// requests still run while the consumer works. They ran only while it polled, and the
/// per-attempt timeout ended them.
#[test]
fn a_walk_made_outside_the_runtime_survives_a_slow_consumer() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    let (server, client) = runtime.block_on(async {
        let server = TestServer::start(contacts_api(75)).await;
        let client = builder(&server.base_url)
            .retry(RetryPolicy::disabled())
            .timeout(Duration::from_millis(300))
            .build()
            .unwrap();
        (server, client)
    });
    let mut pages = client.search("x").paginate().concurrency(3).pages();
    let seen = runtime.block_on(async {
        let mut seen = 0;
        while let Some(page) = pages.next().await {
            seen += page.unwrap().payload.len();
            tokio::time::sleep(Duration::from_millis(450)).await;
        }
        seen
    });
    assert_eq!(seen, 75);
    assert_eq!(server.stats.count(), 7);
}

/// Requests in flight lost without an answer (each item read on a runtime of its own, as a
/// sync wrapper might, which drops the requests it spawned) end the walk in error, on a
/// server that sends no total as on one that does: never with success and pages unread.
#[test]
fn requests_lost_in_flight_end_the_walk_in_error() {
    // The server on a runtime of its own, which lives throughout.
    let server_runtime = tokio::runtime::Runtime::new().unwrap();
    for total in [false, true] {
        let server = server_runtime.block_on(TestServer::start(move |request| {
            let p = i64::from(request.page());
            let ids: Vec<i64> = ((p - 1) * 15 + 1..=(p * 15).min(75)).collect();
            let count = if total { json!(75) } else { json!(ids.len()) };
            let reply = Reply::json(&json!({
                "meta": {"count": count, "current_page": p, "has_more": p * 15 < 75},
                "payload": ids.into_iter().map(contact).collect::<Vec<_>>(),
            }));
            // Still out when the first page is read (dropped with the runtime long before).
            if p >= 3 {
                reply.delay(Duration::from_secs(30))
            } else {
                reply
            }
        }));
        let client = builder(&server.base_url).build().unwrap();
        let mut pages = client.search("x").paginate().concurrency(4).pages();
        let mut read = 0;
        let outcome = loop {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            match runtime.block_on(pages.next()) {
                Some(Ok(page)) => read += page.payload.len(),
                Some(Err(error)) => break Err(error),
                None => break Ok(()),
            }
        };
        assert!(
            matches!(
                outcome,
                Err(Error::Walk(WalkError::Interrupted { page: 3, .. }))
            ),
            "total {total}: {outcome:?} after {read} of 75 contacts"
        );
    }
}

#[tokio::test]
async fn redirects_are_errors_that_name_the_host_and_carry_nothing_away() {
    let elsewhere = TestServer::start(contacts_api(15)).await;
    let target = format!("{}/api/v2/accounts/contacts?q=stolen", elsewhere.base_url);
    let server = TestServer::start(move |_| {
        Reply::status(302, "text/html", "moved").header("location", &target)
    })
    .await;
    let error = client(&server.base_url)
        .search(PRIVATE)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Redirect { status, host: Some(host), .. } if status.as_u16() == 302 && host == "127.0.0.1"),
        "{error:?}"
    );
    assert_eq!(
        elsewhere.stats.count(),
        0,
        "the other origin got the request"
    );
    assert_eq!(server.stats.count(), 1, "a redirect is not retried");
    assert!(error.to_string().contains("302"), "{error}");

    // A redirect loop costs one request, not dozens.
    let looping = TestServer::start(|request| {
        Reply::status(307, "text/plain", "").header("location", &request.target)
    })
    .await;
    let error = error_of(&looping).await;
    assert!(
        matches!(error, Error::Redirect { host: None, .. }),
        "{error:?}"
    );
    assert_eq!(looping.stats.count(), 1);

    // A `304` answers a conditional request, which the client never sends: no redirect
    // (review 107), a status the spec does not document, with its message.
    let unmodified = TestServer::start(|_| Reply::status(304, "text/plain", "")).await;
    let error = error_of(&unmodified).await;
    assert!(
        matches!(&error, Error::Api { status, .. } if status.as_u16() == 304),
        "{error:?}"
    );
}

/// A map's key the server wrote may hold the query: the path a decode error names leaves it
/// out, as the excerpt does (review 107).
#[tokio::test]
async fn a_map_key_holding_the_query_is_left_out_of_a_decode_errors_path() {
    let body = format!(
        r#"{{"meta":{{"count":1,"current_page":1}},"payload":[{{"id":1,"custom_attributes":{{"{PRIVATE}":[1,]}}}}]}}"#
    );
    let server =
        TestServer::start(move |_| Reply::status(200, "application/json", body.clone())).await;
    let error = client(&server.base_url)
        .search(PRIVATE)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Decode { path, .. } if path == "payload[0].custom_attributes.<query>"),
        "{error:?}"
    );
    for shown in renderings(&error) {
        assert!(!shown.contains(PRIVATE), "{shown}");
    }
}

/// The error a search of `server` ends with.
async fn error_of(server: &TestServer) -> Error {
    client(&server.base_url)
        .search("x")
        .send()
        .await
        .unwrap_err()
}

/// Every way an error can be shown, down its `source()` chain.
fn renderings(error: &Error) -> Vec<String> {
    let mut shown = vec![error.to_string(), format!("{error:?}")];
    let mut source = error.source();
    while let Some(e) = source {
        shown.push(e.to_string());
        shown.push(format!("{e:?}"));
        source = e.source();
    }
    shown
}

#[tokio::test]
async fn the_query_never_shows_in_errors_builders_or_traces() {
    // Refused, timed out, cut mid-body, undecodable: the query is nowhere.
    let (_closed_socket, addr) = common::closed_port();
    let closed = format!("http://{addr}");
    let hanging = TestServer::start(|_| Reply::Hang).await;
    let cut = TestServer::start(|_| Reply::CloseMidBody {
        declared_len: 100,
        sent: b"{".to_vec(),
    })
    .await;
    let garbled = TestServer::start(|_| {
        let mut body = page([1, 2], 2, 1);
        body["payload"][1]["created_at"] = "yesterday".into();
        Reply::json(&body)
    })
    .await;
    // The contact holding the query fails to decode next to it (a search for an email
    // finds the contact with that email), and one whose own data is beside the failure.
    let holder = TestServer::start(|_| {
        let mut body = page([1, 2], 2, 1);
        body["payload"][0]["email"] = PRIVATE.into();
        body["payload"][0]["id"] = PRIVATE.into();
        Reply::json(&body)
    })
    .await;
    let neighbour = TestServer::start(|_| {
        let mut body = page([1, 2], 2, 1);
        body["payload"][0]["email"] = "zoe.private@secret.example".into();
        body["payload"][0]["phone_number"] = 8_613_800_000_000_u64.into();
        Reply::json(&body)
    })
    .await;
    // A server that echoes the query in its message, as typed and URL-encoded.
    let echo = TestServer::start(|_| {
        Reply::status(
            422,
            "application/json",
            json!({"error": "nothing matches 'Ada.Lovelace@example.com' (ada.lovelace%40example.com)"})
                .to_string(),
        )
    })
    .await;
    let fast = RetryPolicy::disabled();
    for base_url in [
        closed.as_str(),
        &hanging.base_url,
        &cut.base_url,
        &garbled.base_url,
        &holder.base_url,
        &neighbour.base_url,
        &echo.base_url,
    ] {
        let client = builder(base_url)
            .retry(fast.clone())
            .timeout(Duration::from_millis(200))
            .build()
            .unwrap();
        let search = client.search(PRIVATE).label("vip");
        let debug = format!("{search:?}");
        assert!(!debug.contains(PRIVATE), "{debug}");
        assert!(debug.contains("vip"), "{debug}");
        let error = search.send().await.unwrap_err();
        for shown in renderings(&error) {
            assert!(!shown.contains("ada.lovelace"), "{shown}");
            assert!(!shown.contains("q="), "{shown}");
            // Nor the data of the contact beside a failure (it may be what was searched).
            assert!(!shown.contains("secret.example"), "{shown}");
            assert!(!shown.contains("86138"), "{shown}");
        }
    }
}

/// A query echoed inside a JSON body of a shape the client does not read as a message, as
/// JSON writes it (review 90): escaped (a lookup sends `_` as `\_`, which JSON doubles) and
/// with non-ASCII letters as `\u` escapes (Python's default).
#[tokio::test]
async fn a_query_echoed_in_json_escapes_is_left_out() {
    let answer = |body: &'static str| {
        TestServer::start(move |_| Reply::status(500, "application/json", body))
    };
    let lookup = answer(
        r#"{"error":{"code":500,"message":"search failed for ada\\_lovelace@example.com"}}"#,
    )
    .await;
    let error = builder(&lookup.base_url)
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap()
        .find_by_email("ada_lovelace@example.com")
        .await
        .unwrap_err();
    let named = answer(r#"{"detail":"no contact named Zo\u00eb M\u00fcller"}"#).await;
    let search = builder(&named.base_url)
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap()
        .search("Zoë Müller")
        .send()
        .await
        .unwrap_err();
    for (error, private) in [(error, "lovelace"), (search, "Zo\\u00eb")] {
        assert!(error.to_string().contains("<query>"), "{error}");
        for shown in renderings(&error) {
            assert!(!shown.contains(private), "{shown}");
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_beyond_the_policy_ends_the_request_at_once_with_the_wait() {
    let server = TestServer::start(|_| {
        Reply::status(429, "text/plain", "Retry later\n").header("retry-after", "86400")
    })
    .await;
    let same = client(&server.base_url);
    let started = Instant::now();
    let error = same.search("x").send().await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(server.stats.count(), 1);
    assert_eq!(error.retry_after(), Some(Duration::from_secs(86_400)));
    assert!(error.to_string().contains("retry after 86400 s"), "{error}");
    // The client is not paused for a day: the next request goes, and gets its own answer.
    let started = Instant::now();
    assert!(same.search("x").send().await.is_err());
    assert_eq!(server.stats.count(), 2);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn cancelled_requests_leave_nothing_reserved_in_the_rate_limit() {
    let server = TestServer::start(contacts_api(15)).await;
    let client = builder(&server.base_url)
        .rate_limit(livedesk::RateLimit::new(
            10.try_into().unwrap(),
            Duration::from_secs(1),
        ))
        .build()
        .unwrap();
    client.search("x").send().await.unwrap();
    // Ten requests queue for the limit, and are all given up on.
    let queued: Vec<_> = (0..10)
        .map(|_| tokio::spawn(client.search("x").send()))
        .collect();
    tokio::time::sleep(Duration::from_millis(20)).await;
    for request in &queued {
        request.abort();
    }
    tokio::time::sleep(Duration::from_millis(150)).await;
    // The next request waits for one interval at most, not for ten cancelled ones.
    let started = Instant::now();
    client.search("x").send().await.unwrap();
    assert!(
        started.elapsed() < Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn repeated_contacts_and_duplicate_ids_come_out_once() {
    let server = TestServer::start(move |request| {
        let ids: Vec<i64> = match request.page() {
            1 => (1..=15).collect(),
            2 => (1..=15).collect(), // a full page of repeats, answering for page 2
            3 => (16..=30).collect(),
            _ => vec![31, 31, 32],
        };
        Reply::json(&page(ids, 32, request.page()))
    })
    .await;
    let (contacts, error) = walk(client(&server.base_url).search("x"), 1).await;
    assert!(error.is_none(), "{error:?}");
    let got = ids(&contacts);
    assert_eq!(got, (1..=32).collect::<Vec<_>>());
    assert_eq!(got.iter().collect::<HashSet<_>>().len(), got.len());
}

/// A server's misbehaviour, drawn at random.
#[derive(Clone, Debug)]
struct Behaviour {
    /// Contacts that exist from start to end.
    total: usize,
    /// Newer servers: `has_more`, and `count` the page's size.
    has_more: bool,
    /// Added to the true total in `meta.count` (count servers): too low, too high.
    count_error: i64,
    /// `meta.count` only from page 2 on (page 1 says -1).
    count_late: bool,
    /// Every answer is page 1.
    ignores_page: bool,
    /// This page answers with the page before it.
    repeats: Option<usize>,
    /// This many contacts appear at the front once page 1 has been served (count servers:
    /// without a total nothing can notice).
    added_at_front: usize,
    concurrency: usize,
}

fn behaviours() -> impl proptest::strategy::Strategy<Value = Behaviour> {
    use proptest::prelude::*;
    (
        0usize..80,
        any::<bool>(),
        prop_oneof![Just(0i64), -40i64..40],
        any::<bool>(),
        proptest::bool::weighted(0.1),
        proptest::option::weighted(0.3, 2usize..7),
        prop_oneof![Just(0usize), 1usize..35],
        1usize..6,
    )
        .prop_map(
            |(
                total,
                has_more,
                count_error,
                count_late,
                ignores_page,
                repeats,
                added,
                concurrency,
            )| {
                Behaviour {
                    total,
                    has_more,
                    count_error,
                    count_late,
                    ignores_page,
                    repeats,
                    added_at_front: if has_more { 0 } else { added },
                    concurrency,
                }
            },
        )
}

fn serve(behaviour: &Behaviour, served_first: &AtomicBool, page_asked: usize) -> Reply {
    let grown = served_first.load(Ordering::SeqCst);
    let added = if grown { behaviour.added_at_front } else { 0 };
    // Newest first: the added contacts (ids from 1,000) come before the others.
    let data: Vec<i64> = (0..added as i64)
        .map(|i| 1_000 + i)
        .chain((1..=behaviour.total as i64).rev())
        .collect();
    let mut p = if behaviour.ignores_page {
        1
    } else {
        page_asked
    };
    if behaviour.repeats == Some(p) {
        p -= 1;
    }
    let ids: Vec<i64> = data.iter().skip((p - 1) * 15).take(15).copied().collect();
    if page_asked == 1 {
        served_first.store(true, Ordering::SeqCst);
    }
    let meta = if behaviour.has_more {
        json!({"count": ids.len(), "current_page": p, "has_more": data.len() > p * 15})
    } else {
        let count = if behaviour.count_late && page_asked == 1 {
            -1
        } else {
            data.len() as i64 + behaviour.count_error
        };
        json!({"count": count, "current_page": p})
    };
    Reply::json(&json!({"meta": meta, "payload": ids.into_iter().map(contact).collect::<Vec<_>>()}))
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 96, ..Default::default() })]

    /// Whatever the server does from that list, a walk that ends with success returned every
    /// contact that existed throughout, each once.
    #[test]
    fn a_walk_is_complete_or_fails(behaviour in behaviours()) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let (result, requests) = runtime.block_on(async {
            let served_first = Arc::new(AtomicBool::new(false));
            let server = TestServer::start({
                let behaviour = behaviour.clone();
                move |request| serve(&behaviour, &served_first, request.page() as usize)
            })
            .await;
            let result = client(&server.base_url)
                .search("x")
                .paginate()
                .concurrency(behaviour.concurrency)
                .collect()
                .await;
            (result, server.stats.count())
        });
        // Bounded: no walk here needs more than its pages, the repeats and a window ahead.
        proptest::prop_assert!(requests <= 8 + MAX_WALK_PAGES, "{requests} requests");
        let honest = behaviour.count_error == 0
            && !behaviour.ignores_page
            && behaviour.repeats.is_none()
            && behaviour.added_at_front == 0;
        proptest::prop_assert!(
            !honest || result.is_ok(),
            "an honest server failed: {:?}",
            result.as_ref().err()
        );
        if let Ok(contacts) = result {
            let got = ids(&contacts);
            let unique: HashSet<i64> = got.iter().copied().collect();
            proptest::prop_assert_eq!(unique.len(), got.len(), "a contact came out twice");
            for id in 1..=behaviour.total as i64 {
                proptest::prop_assert!(unique.contains(&id), "contact {} missing, with success", id);
            }
        }
    }
}

/// Pages of the largest data set above (80 + 35 contacts) plus the repeats allowed.
const MAX_WALK_PAGES: usize = 8 + livedesk::MAX_REPEATED_PAGES as usize + 1;

/// A living account, oldest first: before answering each request, the server takes in the
/// contacts the schedule says arrive then (at the end: they are the newest), and answers
/// from that moment's data after its own delay, so that answers arrive in any order and
/// carry totals counted at different moments.
fn arriving_server(
    initial: i64,
    arrivals: Vec<u8>,
    delays: Vec<u8>,
) -> impl Fn(&common::server::Request) -> Reply + Send + Sync {
    let served = std::sync::Mutex::new((initial, 0_usize));
    move |request| {
        let mut state = served.lock().unwrap();
        let (total, n) = &mut *state;
        *total += i64::from(arrivals[*n % arrivals.len()]);
        let delay = Duration::from_millis(u64::from(delays[*n % delays.len()]));
        *n += 1;
        let p = i64::from(request.page());
        let ids = ((p - 1) * 15 + 1..=(p * 15).min(*total)).collect::<Vec<_>>();
        let Reply::Respond {
            status,
            headers,
            body,
            ..
        } = Reply::json(&page(ids, *total as u64, p as u32))
        else {
            unreachable!("json answers respond")
        };
        Reply::Respond {
            status,
            headers,
            body,
            delay,
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 32, ..Default::default() })]

    /// Contacts arriving never fail a sound walk: every contact that existed when it started
    /// comes out, none twice, at any concurrency and in any order of answers.
    #[test]
    fn arrivals_never_fail_an_oldest_first_walk(
        initial in 0_i64..100,
        arrivals in proptest::collection::vec(0_u8..3, 1..12),
        delays in proptest::collection::vec(0_u8..8, 1..12),
        concurrency in 1_usize..=8,
    ) {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let (contacts, error) = runtime.block_on(async {
            let server = TestServer::start(arriving_server(initial, arrivals, delays)).await;
            let search = client(&server.base_url)
                .contacts()
                .sort(SortField::CreatedAt)
                .direction(SortDirection::Asc);
            walk(search, concurrency).await
        });
        proptest::prop_assert!(error.is_none(), "{:?}", error);
        let got = ids(&contacts);
        let unique: HashSet<i64> = got.iter().copied().collect();
        proptest::prop_assert_eq!(unique.len(), got.len(), "a contact came out twice");
        for id in 1..=initial {
            proptest::prop_assert!(unique.contains(&id), "contact {} missing", id);
        }
    }
}

/// Review 99: a consumer that polls the stream in a `select!` and works in its other branch
/// (a progress tick) left the start search of a walk bounded by creation time (or resumed)
/// unpolled: it ran in the stream's `next`, not on a task as the pages do, so its request's
/// answer waited in the socket and the per-attempt timeout (30 s) ended it; it was asked
/// again.
#[tokio::test(start_paused = true)]
async fn a_busy_consumer_does_not_time_out_the_walks_start_search() {
    let server =
        TestServer::start(|request| contacts_api(300)(request).delay(Duration::from_secs(2))).await;
    let client = builder(&server.base_url)
        .retry(RetryPolicy::default())
        .build()
        .unwrap();
    let mut contacts = client
        .search("x")
        .paginate()
        .created_after(1_700_000_000 + 200)
        .contacts();
    // The consumer's other branch wins first and works for a minute.
    let mut ticks = 0;
    let first = loop {
        tokio::select! {
            item = contacts.next() => break item,
            () = tokio::time::sleep(Duration::from_millis(500)), if ticks == 0 => {
                ticks += 1;
                tokio::time::sleep(Duration::from_secs(60)).await;
            }
        }
    };
    assert_eq!(first.unwrap().unwrap().id, 201);
    let pages: Vec<u32> = server.stats.requests().iter().map(|r| r.page()).collect();
    // The search reads page 1 first, once.
    let page_1 = pages.iter().filter(|&&p| p == 1).count();
    assert_eq!(page_1, 1, "page 1 asked {page_1} times: {pages:?}");
}
