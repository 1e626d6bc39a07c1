//! Throttles and paces at the deadlines, over loopback sockets on tokio's paused clock (review
//! 40's hostile servers): a set pace holds past the throttle deadline, a client without
//! retries is never held by a throttle, a `Retry-After` too large to count ends the request at
//! once, and one attempt for failures still waits out `429`s.

use crate::common;

use std::{
    num::NonZeroU32,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};

use common::{
    limits::{Limit, Limited},
    server::{Reply, TestServer, contacts_api},
};
use livedesk::{Client, Credentials, RateLimit, RetryPolicy};
use tokio::time::Instant;

fn default_client(base_url: &str) -> livedesk::ClientBuilder {
    Client::builder(Credentials::new(common::KEY, common::SECRET).unwrap()).base_url(base_url)
}

/// A server answering every request with `reply`, logging arrival times (tokio's clock).
async fn logging(
    reply: impl Fn(&common::server::Request) -> Reply + Send + Sync + 'static,
) -> (TestServer, Arc<Mutex<Vec<Duration>>>) {
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    let started = Instant::now();
    let server = TestServer::start({
        let arrivals = arrivals.clone();
        move |request| {
            arrivals.lock().unwrap().push(started.elapsed());
            reply(request)
        }
    })
    .await;
    (server, arrivals)
}

/// A limit set with `RateLimit` is kept as it is, by a backlog longer than the throttle
/// deadline (180 s) too: past it, a throttle is cut short, never the pace (each request past
/// its deadline was sent at once: 12 of these 30 at 180 s).
#[tokio::test(start_paused = true)]
async fn a_set_rate_limit_holds_for_a_backlog_longer_than_the_throttle_deadline() {
    let (server, arrivals) = logging(contacts_api(3)).await;
    // 6 a minute: one every 10 s. 30 requests queued at once need 290 s.
    let client = default_client(&server.base_url)
        .rate_limit(RateLimit::per_minute(NonZeroU32::new(6).unwrap()))
        .build()
        .unwrap();
    let tasks: Vec<_> = (0..30)
        .map(|_| tokio::spawn(client.clone().search("x").send()))
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let arrivals = arrivals.lock().unwrap().clone();
    assert_eq!(arrivals.len(), 30);
    // In any 60 s, at most 6 (one more for rounding at the window's edges).
    let worst = arrivals
        .iter()
        .map(|&from| {
            arrivals
                .iter()
                .filter(|&&at| at >= from && at < from + Duration::from_secs(60))
                .count()
        })
        .max()
        .unwrap();
    assert!(
        worst <= 7,
        "{worst} requests within 60 s under a limit of 6 a minute: {arrivals:?}"
    );
}

/// `RetryPolicy::disabled()`: every attempt's result is final, a `429`'s too, and no throttle
/// holds a request back (its throttle deadline is zero). Before, the probes for a throttle's
/// lift held each next request, with no deadline: 1 s, 3 s, 5 s … 900 s.
#[tokio::test(start_paused = true)]
async fn a_client_without_retries_answers_each_request_at_once_during_a_429_storm() {
    let (server, _arrivals) = logging(|_| Reply::status(429, "text/plain", "Retry later")).await;
    let client = default_client(&server.base_url)
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    let mut took = Vec::new();
    for _ in 0..16 {
        let start = Instant::now();
        let error = client.search("x").send().await.unwrap_err();
        assert_eq!(error.status().map(|s| s.as_u16()), Some(429));
        took.push(start.elapsed());
    }
    let longest = took.iter().max().unwrap();
    assert!(
        *longest < Duration::from_secs(5),
        "a request of a client that never retries waited {longest:?} before it was sent: {took:?}"
    );
    assert_eq!(server.stats.count(), 16);
}

/// A `Retry-After` ending past the throttle deadline ends the request at once, with the wait
/// asked (errors.md), a number of seconds too large for a `u64` too: it was read as none, and
/// the client probed for the whole deadline.
#[tokio::test(start_paused = true)]
async fn an_enormous_retry_after_ends_the_request_at_once() {
    let (server, _arrivals) = logging(|_| {
        Reply::status(429, "text/plain", "Retry later")
            .header("retry-after", "99999999999999999999999")
    })
    .await;
    let client = default_client(&server.base_url).build().unwrap();
    let start = Instant::now();
    let error = client.search("x").send().await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(429));
    assert_eq!(server.stats.count(), 1, "after {:?}", start.elapsed());
    assert!(error.retry_after().is_some(), "{error:?}");
}

/// A walk dropped while its probe is held by a stalling server, then the client reused: the
/// cancelled probe must not leave the model waiting for an answer that never comes.
#[tokio::test(start_paused = true)]
async fn a_walk_dropped_mid_throttle_leaves_the_client_usable() {
    let seen = Arc::new(AtomicUsize::new(0));
    let (server, _arrivals) = logging({
        let seen = seen.clone();
        move |request| match seen.fetch_add(1, Ordering::SeqCst) {
            0..4 => Reply::status(429, "text/plain", "Retry later"),
            // The first probe: held for a long while, then refused.
            4 => Reply::status(429, "text/plain", "Retry later").delay(Duration::from_secs(25)),
            _ => contacts_api(100)(request),
        }
    })
    .await;
    let client = default_client(&server.base_url).build().unwrap();
    let walk = tokio::spawn(client.search("x").paginate().concurrency(4).collect());
    while seen.load(Ordering::SeqCst) < 5 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    walk.abort();
    let _ = walk.await;
    let start = Instant::now();
    let contacts = tokio::time::timeout(
        Duration::from_secs(20),
        client.clone().search("x").paginate().collect(),
    )
    .await
    .expect("the client is usable again")
    .unwrap();
    assert_eq!(contacts.len(), 100, "after {:?}", start.elapsed());
}

/// A server that refuses everything and stalls some answers: a request ends within the
/// throttle deadline and one attempt's timeout, and says it was throttled or timed out.
#[tokio::test(start_paused = true)]
async fn a_stalling_429_storm_ends_within_the_deadline_and_one_timeout() {
    let seen = Arc::new(AtomicUsize::new(0));
    let (server, _arrivals) = logging({
        let seen = seen.clone();
        move |_| {
            if seen.fetch_add(1, Ordering::SeqCst) % 3 == 2 {
                Reply::Hang
            } else {
                Reply::status(429, "text/plain", "Retry later")
            }
        }
    })
    .await;
    let client = default_client(&server.base_url).build().unwrap();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                let start = Instant::now();
                let result = client.search("x").send().await;
                (start.elapsed(), result)
            })
        })
        .collect();
    for task in tasks {
        let (took, result) = task.await.unwrap();
        let error = result.unwrap_err();
        assert!(
            error.is_timeout() || error.status().map(|s| s.as_u16()) == Some(429),
            "{error:?}"
        );
        assert!(
            took <= Duration::from_secs(180 + 30 + 1),
            "took {took:?}: {error}"
        );
    }
}

/// Alternating `429` and `200` under a walk with concurrency: every contact exactly once.
#[tokio::test(start_paused = true)]
async fn alternating_429s_and_pages_lose_and_repeat_nothing() {
    let seen = Arc::new(AtomicUsize::new(0));
    let (server, _arrivals) = logging({
        let seen = seen.clone();
        move |request| {
            if seen.fetch_add(1, Ordering::SeqCst).is_multiple_of(2) {
                Reply::status(429, "application/json", "x".repeat(70_000)).header(
                    "retry-after",
                    ["0", "-1", "1.5", "soon", "Wed, 21 Oct 2015 07:28:00 GMT"]
                        [request.page() as usize % 5],
                )
            } else {
                contacts_api(300)(request)
            }
        }
    })
    .await;
    let client = default_client(&server.base_url).build().unwrap();
    let other = client.clone();
    let (a, b) = tokio::join!(
        client.search("x").paginate().concurrency(8).collect(),
        other.search("x").paginate().concurrency(3).collect(),
    );
    for contacts in [a.unwrap(), b.unwrap()] {
        let mut ids: Vec<i64> = contacts.iter().map(|c| c.id).collect();
        ids.sort_unstable();
        assert_eq!(ids, (1..=300).collect::<Vec<_>>());
    }
}

/// `max_attempts` counts failures: `429`s are bounded by the throttle deadline, not attempts,
/// so one attempt for failures still waits a throttle out (it returned the first `429`).
#[tokio::test(start_paused = true)]
async fn one_attempt_for_failures_still_waits_out_a_throttle() {
    let seen = Arc::new(AtomicUsize::new(0));
    let (server, _arrivals) = logging({
        let seen = seen.clone();
        move |request| {
            if seen.fetch_add(1, Ordering::SeqCst) == 0 {
                Reply::status(429, "text/plain", "Retry later").header("retry-after", "2")
            } else {
                contacts_api(3)(request)
            }
        }
    })
    .await;
    let client = default_client(&server.base_url)
        .retry(RetryPolicy::default().max_attempts(1))
        .build()
        .unwrap();
    let page = client.search("x").send().await;
    assert!(page.is_ok(), "{page:?}");
}

/// The window the tests of a long queue meet: 10 a minute, on the clock.
const WINDOW: Duration = Duration::from_secs(60);

/// `total` contacts behind a window of 10 a minute on the clock (saying `Retry-After`, or
/// not).
fn ten_a_minute(
    total: u64,
    retry_after: bool,
) -> Arc<Limited<impl Fn(&common::server::Request) -> Reply + Send + Sync + 'static>> {
    Arc::new(Limited::new(
        Limit::FixedWindow {
            limit: 10,
            window: WINDOW,
            retry_after,
        },
        contacts_api(total),
    ))
}

/// Review 111: a set pace and a server that refuses everything, without `Retry-After`: a set pace never
/// shows as throttled, so every wait between refusals was counted as a turn in the pace and
/// the deadline never came. The request must end within the throttle deadline (180 s) and
/// a turn or two of the pace.
#[tokio::test(start_paused = true)]
async fn a_set_pace_in_a_429_storm_ends_at_the_throttle_deadline() {
    let server = TestServer::start(|_| Reply::status(429, "text/plain", "Retry later")).await;
    let client = default_client(&server.base_url)
        .rate_limit(RateLimit::per_minute(NonZeroU32::new(6).unwrap()))
        .build()
        .unwrap();
    let start = Instant::now();
    let result = tokio::time::timeout(Duration::from_secs(3_600), client.search("x").send()).await;
    let took = start.elapsed();
    let error = result
        .unwrap_or_else(|_| {
            panic!(
                "still waiting after {took:?}, {} requests refused",
                server.stats.count()
            )
        })
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(429));
    assert!(took <= Duration::from_secs(180 + 20), "took {took:?}");
}

/// Review 111: a window of 10 a minute, learnt, then closed for good (the account's other
/// users took it all, or the limit went to zero): no `Retry-After`. A walk gives up within the throttle
/// deadline of the close (it took 260 to 292 s at 180 while every refusal's wait counted as
/// a turn in the pace).
#[tokio::test(start_paused = true)]
async fn a_learnt_window_closed_for_good_ends_near_the_throttle_deadline() {
    for (open, concurrency) in [(40, 4), (80, 4), (200, 4), (200, 16), (400, 64), (400, 1)] {
        closed_for_good(open, concurrency).await;
    }
}

async fn closed_for_good(open: usize, concurrency: usize) {
    let limited = ten_a_minute(15 * 1_000, false);
    let served = Arc::new(AtomicUsize::new(0));
    let closed_at = Arc::new(std::sync::Mutex::new(None::<Instant>));
    let server = TestServer::start({
        let (limited, served, closed_at) = (limited.clone(), served.clone(), closed_at.clone());
        move |request| {
            if served.fetch_add(1, Ordering::SeqCst) >= open {
                closed_at.lock().unwrap().get_or_insert_with(Instant::now);
                Reply::status(429, "text/plain", "Retry later\n")
            } else {
                limited.answer(request)
            }
        }
    })
    .await;
    let client = default_client(&server.base_url).build().unwrap();
    tokio::time::sleep(limited.until_phase(WINDOW, Duration::from_secs(5))).await;
    let result = tokio::time::timeout(
        Duration::from_secs(6 * 3_600),
        client
            .search("x")
            .paginate()
            .concurrency(concurrency)
            .collect(),
    )
    .await;
    let closed_at = closed_at.lock().unwrap().expect("closed");
    let took = closed_at.elapsed();
    let refused = served.load(Ordering::SeqCst) - open;
    let error = result
        .unwrap_or_else(|_| panic!("still waiting {took:?} after the close, {refused} refused"))
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(429));
    // The deadline, and a turn of the pace (6 s) for the last request refused.
    assert!(
        took <= Duration::from_secs(180 + 6),
        "open {open}, {concurrency} at once: gave up {took:?} after the close, {refused} refused"
    );
}

/// Review 110's queue (64 at once, a window of 10 a minute) with one `503` on a page late in
/// it: a request now waits in the pace far past the throttle deadline, and
/// `RetryPolicy::failure_cutoff` (the later of the two deadlines, counting the pace) then
/// refused the failure its retries: one `503` failed the export.
#[tokio::test(start_paused = true)]
async fn a_failure_after_a_long_queue_is_still_retried() {
    let limited = ten_a_minute(2_250, false);
    let failed = Arc::new(AtomicBool::new(false));
    let server = TestServer::start({
        let (limited, failed) = (limited.clone(), failed.clone());
        move |request| {
            if request.page() == 120 && !failed.swap(true, Ordering::SeqCst) {
                Reply::status(503, "text/plain", "Service Unavailable")
            } else {
                limited.answer(request)
            }
        }
    })
    .await;
    let client = default_client(&server.base_url).build().unwrap();
    tokio::time::sleep(limited.until_phase(WINDOW, Duration::from_secs(5))).await;
    let contacts = client
        .search("x")
        .paginate()
        .concurrency(64)
        .collect()
        .await
        .unwrap();
    assert_eq!(contacts.len(), 2_250);
}

/// Review 112: a set pace, 32 requests at once, a server refusing everything. A request
/// never refused itself counted its waits behind the others' refusals as turns in the pace,
/// and the last ended after 101 minutes: while the client's requests are refused, every wait
/// counts, and each ends by the deadline and about a turn for each of the others.
#[tokio::test(start_paused = true)]
async fn a_queue_behind_others_refusals_ends_near_the_throttle_deadline() {
    let server = TestServer::start(|_| Reply::status(429, "text/plain", "Retry later")).await;
    let client = default_client(&server.base_url)
        .rate_limit(RateLimit::per_minute(NonZeroU32::new(6).unwrap()))
        .build()
        .unwrap();
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                let start = Instant::now();
                let result = client.search("x").send().await;
                (start.elapsed(), result.is_err())
            })
        })
        .collect();
    for task in tasks {
        let (took, failed) = task.await.unwrap();
        assert!(failed);
        // The deadline, and a turn of the pace (10 s) for each of the others.
        assert!(
            took <= Duration::from_secs(180 + 32 * 10 + 10),
            "took {took:?}"
        );
    }
}

/// A long queue is no throttle: at 64 at once against a window of 10 a minute, a request
/// waits its turn in the pace far longer than the throttle deadline (180 s). Those past it
/// went all at once at the next throttle, were refused, and the export failed with a `429`
/// while the model held the limit (review 110); behind a limiter that says `Retry-After`,
/// the requests refused in the first burst counted every later turn, and the export failed
/// after 3 minutes from every phase (review 112). While the client's requests pass, a turn
/// in the pace is no throttle.
#[tokio::test(start_paused = true)]
async fn a_queue_longer_than_the_throttle_deadline_keeps_the_pace() {
    for retry_after in [false, true] {
        for phase in [5, 40] {
            let limited = ten_a_minute(2_250, retry_after);
            let server = TestServer::start({
                let limited = limited.clone();
                move |request| limited.answer(request)
            })
            .await;
            let client = default_client(&server.base_url).build().unwrap();
            tokio::time::sleep(limited.until_phase(WINDOW, Duration::from_secs(phase))).await;
            let contacts = client
                .search("x")
                .paginate()
                .concurrency(64)
                .collect()
                .await
                .unwrap();
            assert_eq!(
                contacts.len(),
                2_250,
                "phase {phase}, Retry-After {retry_after}"
            );
        }
    }
}

/// 64 searches at once (not a walk), fed to `Limited` behind `ten_a_minute(.., true)`.
async fn sixty_four_at_once(client: &Client, q: &str) -> Vec<(Duration, Option<String>)> {
    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let search = client.clone().search(q).send();
            tokio::spawn(async move {
                let start = Instant::now();
                let result = search.await;
                let error = result
                    .err()
                    .map(|e| e.to_string().chars().take(60).collect());
                (start.elapsed(), error)
            })
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }
    results
}

/// Fails the test with the first of `searches` that failed, if any did.
fn assert_none_failed(searches: Vec<(Duration, Option<String>)>) {
    let failed: Vec<_> = searches
        .into_iter()
        .filter_map(|(took, error)| error.map(|e| (took.as_secs(), e)))
        .collect();
    assert!(
        failed.is_empty(),
        "{} of 64 failed: {:?}",
        failed.len(),
        failed.first()
    );
}

/// A server behind `limited` that refuses every search for `y` (`429`, no `Retry-After`).
async fn refusing_y<H>(limited: &Arc<Limited<H>>) -> TestServer
where
    H: Fn(&common::server::Request) -> Reply + Send + Sync + 'static,
{
    refusing(limited, &["y"]).await
}

/// Searches one at a time for `length`: how many failed.
async fn steady_stream(client: &Client, length: Duration) -> usize {
    let start = Instant::now();
    let mut failed = 0;
    while start.elapsed() < length {
        failed += usize::from(client.search("x").send().await.is_err());
    }
    failed
}

/// A server behind `limited` that refuses every search for one of `queries`.
async fn refusing<H>(limited: &Arc<Limited<H>>, queries: &'static [&'static str]) -> TestServer
where
    H: Fn(&common::server::Request) -> Reply + Send + Sync + 'static,
{
    TestServer::start({
        let limited = limited.clone();
        move |request| {
            if request
                .query("q")
                .first()
                .is_some_and(|q| queries.contains(&q.as_str()))
            {
                Reply::status(429, "text/plain", "Retry later")
            } else {
                limited.answer(request)
            }
        }
    })
    .await
}

/// Review 113: 64 searches at once against a window of 10 a minute on the clock that says
/// `Retry-After`, started 0 to 4 s into a window. The learning's first throttles ended in
/// `Retry-After` pauses of 59-60 s (10 passed at each boundary, the 11th was refused), and
/// each pause counted against every waiter's deadline: 179 s of 180 at the third window,
/// then a boundary probe's `429` (`Retry-After: 4`) held them past it, and 24 were sent at
/// once into the full window and failed with the `429` (at 120 s from phase 0, 235 s from 1).
#[tokio::test(start_paused = true)]
async fn a_queue_behind_a_window_saying_retry_after_passes_from_every_phase() {
    let mut bad = Vec::new();
    for phase in [0, 1, 2, 4, 5, 20, 40, 59] {
        let limited = ten_a_minute(3, true);
        let server = TestServer::start({
            let limited = limited.clone();
            move |request| limited.answer(request)
        })
        .await;
        let client = default_client(&server.base_url).build().unwrap();
        tokio::time::sleep(limited.until_phase(WINDOW, Duration::from_secs(phase))).await;
        let failed: Vec<_> = sixty_four_at_once(&client, "x")
            .await
            .into_iter()
            .filter_map(|(took, error)| error.map(|e| (took.as_secs(), e)))
            .collect();
        if !failed.is_empty() {
            bad.push(format!(
                "phase {phase}: {} of 64 failed, {:?}",
                failed.len(),
                failed[0]
            ));
        }
    }
    assert!(bad.is_empty(), "{bad:#?}");
}

/// Review 113: the same queue (phase 1) with one `503` on the first request of the fourth
/// window: the failures' cutoff counted the same pauses, and refused its retry.
#[tokio::test(start_paused = true)]
async fn a_failure_late_in_a_queue_behind_retry_after_is_retried() {
    let limited = ten_a_minute(3, true);
    let failures = Arc::new(AtomicUsize::new(0));
    let server = TestServer::start({
        let (limited, failures) = (limited.clone(), failures.clone());
        move |request| {
            if limited.passed.load(Ordering::SeqCst) == 30
                && failures.fetch_add(1, Ordering::SeqCst) == 0
            {
                Reply::status(503, "text/plain", "Service Unavailable")
            } else {
                limited.answer(request)
            }
        }
    })
    .await;
    let client = default_client(&server.base_url).build().unwrap();
    tokio::time::sleep(limited.until_phase(WINDOW, Duration::from_secs(1))).await;
    let searches = sixty_four_at_once(&client, "x").await;
    assert!(failures.load(Ordering::SeqCst) > 0, "no 503 was sent");
    assert_none_failed(searches);
}

/// Review 113: a set pace a little faster than the server allows (it refuses one request in
/// four, no `Retry-After`): 64 at once at 6 a minute queue for about 14 minutes, and every
/// wait after one of the others' `429`s counted against each waiter's deadline, a quarter of
/// the queue: 2 failed after 750 and 790 s while three requests in four passed.
#[tokio::test(start_paused = true)]
async fn a_set_pace_refused_one_request_in_four_loses_none() {
    let seen = Arc::new(AtomicUsize::new(0));
    let server = TestServer::start({
        let seen = seen.clone();
        move |request| {
            if seen.fetch_add(1, Ordering::SeqCst) % 4 == 3 {
                Reply::status(429, "text/plain", "Retry later")
            } else {
                contacts_api(3)(request)
            }
        }
    })
    .await;
    let client = default_client(&server.base_url)
        .rate_limit(RateLimit::per_minute(NonZeroU32::new(6).unwrap()))
        .build()
        .unwrap();
    assert_none_failed(sixty_four_at_once(&client, "x").await);
}

/// Review 113: one query refused for good (a `429` on it alone, no `Retry-After`) beside 64
/// others at once, the window of 10 a minute learnt: its refusals set the client's
/// `refusing`, every other waiter's turns counted as throttle, and 44 of the 64 sound ones
/// failed at 185 s. It alone fails.
#[tokio::test(start_paused = true)]
async fn one_query_refused_for_good_fails_alone() {
    let limited = ten_a_minute(3, false);
    let server = refusing_y(&limited).await;
    let client = default_client(&server.base_url).build().unwrap();
    tokio::time::sleep(limited.until_phase(WINDOW, Duration::from_secs(5))).await;
    // Learn the window.
    sixty_four_at_once(&client, "x").await;
    let (y, x) = tokio::join!(
        tokio::time::timeout(Duration::from_secs(3_600), client.search("y").send()),
        sixty_four_at_once(&client, "x")
    );
    let error = y.expect("the refused query ends").unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(429));
    assert_none_failed(x);
}

/// Review 115: one query refused for good (a `429` on it alone) while a steady stream of
/// others passes, one at a time, for half an hour (a long-lived client, or an export on a
/// clone): each of their passes moved the refused one's deadline on, and it was retried for
/// as long as they went on (2,108 s). It ends within the deadline, a timeout and a window's
/// wait, whatever the others do.
#[tokio::test(start_paused = true)]
async fn one_query_refused_for_good_beside_a_steady_stream_ends_near_the_deadline() {
    let mut bad = Vec::new();
    for (set, retry_after) in [(false, false), (false, true), (true, false)] {
        let limited = ten_a_minute(3, retry_after);
        let server = refusing_y(&limited).await;
        let mut builder = default_client(&server.base_url);
        if set {
            builder = builder.rate_limit(RateLimit::per_minute(NonZeroU32::new(10).unwrap()));
        }
        let client = builder.build().unwrap();
        tokio::time::sleep(limited.until_phase(WINDOW, Duration::from_secs(5))).await;
        // Learn the window first.
        for _ in 0..25 {
            client.search("x").send().await.unwrap();
        }
        let stream = steady_stream(&client, Duration::from_secs(30 * 60));
        let y = async {
            let start = Instant::now();
            let result =
                tokio::time::timeout(Duration::from_secs(3 * 3_600), client.search("y").send())
                    .await;
            (start.elapsed(), result)
        };
        let ((took, y), failed) = tokio::join!(y, stream);
        let status = y.ok().and_then(|y| y.err()).and_then(|e| e.status());
        if status.map(|s| s.as_u16()) != Some(429)
            || failed > 0
            || took > Duration::from_secs(180 + 30 + 60)
        {
            bad.push(format!(
                "set {set}, Retry-After {retry_after}: the refused query ended after {took:?} \
                 ({status:?}), {failed} of the others failed"
            ));
        }
    }
    assert!(bad.is_empty(), "{bad:#?}");
}

/// Review 118: three queries refused for good beside the steady stream of the test above.
/// The pace gives its turns to one of them at a time (the others wait, their deadlines moved
/// on by the stream's passes), so they end one after another, about two minutes apart (194,
/// 308 and 422 s), not near the deadline together: they all end, and none of the others
/// fails. Sixteen at once are not all bounded (review 120: five still retried at 7,000 s).
#[tokio::test(start_paused = true)]
async fn several_queries_refused_for_good_beside_a_steady_stream_end_one_after_another() {
    let limited = ten_a_minute(3, false);
    let server = refusing(&limited, &["y", "z", "w"]).await;
    let client = default_client(&server.base_url).build().unwrap();
    tokio::time::sleep(limited.until_phase(WINDOW, Duration::from_secs(5))).await;
    for _ in 0..25 {
        client.search("x").send().await.unwrap();
    }
    let stream = steady_stream(&client, Duration::from_secs(60 * 60));
    let refused = futures::future::join_all(["y", "z", "w"].map(|q| {
        let search = client.search(q).send();
        async move {
            let start = Instant::now();
            let result = tokio::time::timeout(Duration::from_secs(3_000), search).await;
            let status = result.ok().and_then(|r| r.err()).and_then(|e| e.status());
            (start.elapsed(), status.map(|s| s.as_u16()))
        }
    }));
    let (mut refused, failed) = tokio::join!(refused, stream);
    assert_eq!(failed, 0);
    refused.sort();
    let ends: Vec<_> = refused.iter().map(|(took, _)| took.as_secs()).collect();
    assert!(
        refused.iter().all(|&(_, status)| status == Some(429))
            && ends[0] <= 180 + 30 + 60
            && ends.windows(2).all(|w| w[1] - w[0] <= 150),
        "{refused:?}"
    );
}

/// Review 115: a window of 1,000 an hour on the clock, a walk of 2,100 pages, waits of most
/// of an hour in the pace and in throttles: it passes with a throttle deadline a little over
/// the hour. At exactly the hour (what the CLI's message asked for), a window saying
/// `Retry-After` failed: its refusal in the first second of a window asks for 3,600 s, which
/// no deadline of 3,600 s waits out (after 2,600 s from phase 300, 4,200 s from 3,000).
#[tokio::test(start_paused = true)]
async fn an_hour_long_window_is_walked_with_a_max_wait_over_the_hour() {
    const HOUR: Duration = Duration::from_secs(3_600);
    let mut bad = Vec::new();
    for (phase, concurrency, retry_after) in [(300, 64, false), (300, 4, true), (3_000, 64, true)] {
        let limited = Arc::new(Limited::new(
            Limit::FixedWindow {
                limit: 1_000,
                window: HOUR,
                retry_after,
            },
            contacts_api(15 * 2_100),
        ));
        let server = TestServer::start({
            let limited = limited.clone();
            move |request| limited.answer(request)
        })
        .await;
        let client = default_client(&server.base_url)
            .retry(RetryPolicy::default().throttle_deadline(Duration::from_secs(3_700)))
            .build()
            .unwrap();
        tokio::time::sleep(limited.until_phase(HOUR, Duration::from_secs(phase))).await;
        let start = Instant::now();
        let result = client
            .search("x")
            .paginate()
            .concurrency(concurrency)
            .collect()
            .await;
        if let Err(e) = result {
            bad.push(format!(
                "phase {phase}, {concurrency} at once, Retry-After {retry_after}: failed after {:?} ({} passed, {} refused): {e}",
                start.elapsed(),
                limited.passed.load(Ordering::SeqCst),
                limited.refused.load(Ordering::SeqCst),
            ));
        }
    }
    assert!(bad.is_empty(), "{bad:#?}");
}

/// Review 117: a token bucket of 5, refilled at 10 a minute, round trips of 2 to 25 s (a
/// loaded server), 64 at once. The client sends faster than the bucket refills while its
/// answers are out, and most of its requests are refused: one refused six times while a few
/// of the others passed (passes answered late, of requests sent before it, or of those that
/// won the bucket's token) was taken for refused for good, bounded from its first `429`, and
/// the export failed with a `429` after 224 s while the bucket let the client through.
#[tokio::test(start_paused = true)]
async fn a_request_unlucky_beside_slow_round_trips_is_not_refused_for_good() {
    let limited = Arc::new(Limited::new(
        Limit::TokenBucket {
            burst: 5,
            per_second: 10.0 / 60.0,
        },
        contacts_api(15 * 100),
    ));
    let seen = Arc::new(AtomicUsize::new(0));
    let server = TestServer::start({
        let (limited, seen) = (limited.clone(), seen.clone());
        move |request| {
            // 2 to 25 s, spread evenly (a multiplicative hash of the arrival's number).
            let n = seen.fetch_add(1, Ordering::SeqCst) as u64;
            let spread = (n.wrapping_mul(2_654_435_761) >> 5) % 23_000;
            limited
                .answer(request)
                .delay(Duration::from_millis(2_000 + spread))
        }
    })
    .await;
    let client = default_client(&server.base_url).build().unwrap();
    tokio::time::sleep(limited.until_phase(WINDOW, Duration::ZERO)).await;
    let result = client
        .search("x")
        .paginate()
        .concurrency(64)
        .collect()
        .await;
    let contacts = result.unwrap_or_else(|e| {
        panic!(
            "{e} ({} passed, {} refused)",
            limited.passed.load(Ordering::SeqCst),
            limited.refused.load(Ordering::SeqCst)
        )
    });
    assert_eq!(contacts.len(), 15 * 100);
}
