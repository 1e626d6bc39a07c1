//! Rate limits through the whole client, over loopback sockets, on tokio's paused clock: the
//! limiter's windows and the client's waits run in virtual time, so a 60-second window costs
//! no real minute, and what is checked held in every run, idle or beside busy loops (load
//! can move a request's virtual arrival a little, where tokio's clock advances while a
//! socket's answer is on its way). Outages are not amplified.

use crate::common;

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, SystemTime},
};

use common::{
    builder,
    limits::{Limit, Limited},
    server::{Reply, TestServer, contacts_api},
};
use livedesk::{Client, Credentials, Error, LimitShape, RetryPolicy};
use tokio::time::Instant;

/// A client with every default setting, pointed at `base_url`.
fn default_client(base_url: &str) -> Client {
    Client::builder(Credentials::new(common::KEY, common::SECRET).unwrap())
        .base_url(base_url)
        .build()
        .unwrap()
}

type Handler = Box<dyn Fn(&common::server::Request) -> Reply + Send + Sync>;

/// A server of `total` contacts behind `limit`, on the clock the client's model aligns to,
/// or one `ahead` of it.
async fn limited_contacts(
    total: u64,
    limit: Limit,
    ahead: Duration,
) -> (TestServer, Arc<Limited<Handler>>) {
    let handler: Handler = Box::new(contacts_api(total));
    let limited = Arc::new(Limited::new(limit, handler).ahead(ahead));
    let server = TestServer::start({
        let limited = limited.clone();
        move |request| limited.answer(request)
    })
    .await;
    (server, limited)
}

/// `429`s in each window of `window`, numbered from the first a request arrived in.
fn refused_per_window(log: &[(Duration, bool)], window: Duration) -> Vec<(u128, usize)> {
    let first = log
        .first()
        .map_or(0, |(at, _)| at.as_nanos() / window.as_nanos());
    let mut counts = std::collections::BTreeMap::new();
    for (at, refused) in log {
        let counted = counts
            .entry(at.as_nanos() / window.as_nanos() - first)
            .or_insert(0);
        *counted += usize::from(*refused);
    }
    counts.into_iter().collect()
}

/// The account's own limit, 100 searches in each minute on the clock, met by an export of
/// 12,000 contacts (800 pages, 8 windows' worth) started at three points of a minute of the
/// clock the client sees: the minute is learnt exactly, the export loses no window to the
/// learning, at most 5% of its requests are refused, and after the first two whole windows
/// at most one `429` a window.
#[tokio::test(start_paused = true)]
async fn an_export_through_a_minute_window_from_any_phase_costs_at_most_one_429_a_window() {
    const WINDOW: Duration = Duration::from_secs(60);
    for phase_tenths in [0_u32, 3, 8] {
        // Clear of the boundary by a few milliseconds: tokio's paused timer rounds a sleep
        // up to a whole one, and the client's clock is behind the limiter's by the real time
        // between their readings, so at the boundary itself the client could see the
        // export start on either side of it.
        let phase = WINDOW * phase_tenths / 10 + Duration::from_millis(10);
        let limit = Limit::FixedWindow {
            limit: 100,
            window: WINDOW,
            retry_after: false,
        };
        let (server, limited) = limited_contacts(12_000, limit, Duration::ZERO).await;
        server.stats.forget_requests.store(true, Ordering::Relaxed);
        let before = SystemTime::now();
        let client = default_client(&server.base_url);
        let wait = limited.until_phase(WINDOW, phase);
        // The client read the system's clock between `before` and the limiter's reading, so
        // its clock is behind the limiter's by up to the real time between the two: however
        // long a loaded machine took (a thread preempted there for 11 ms failed phase 0),
        // starting that much later keeps the start past the phase on the client's clock too.
        let behind = SystemTime::now().duration_since(before).unwrap_or_default();
        tokio::time::sleep(wait + behind).await;
        let started = Instant::now();
        let contacts = client.search("x").paginate().collect().await.unwrap();
        let took = started.elapsed();
        let ids: Vec<i64> = contacts.iter().map(|c| c.id).collect();
        assert_eq!(ids, (1..=12_000).collect::<Vec<_>>(), "every contact, once");

        let log = limited.log.lock().unwrap().clone();
        let windows = refused_per_window(&log, WINDOW);
        // The window the export started in (unless within milliseconds of its start) and the
        // first two whole ones.
        let learning = if phase_tenths == 0 { 2 } else { 3 };
        for (window, refused) in windows.iter().skip(learning) {
            assert!(
                *refused <= 1,
                "phase {phase_tenths}/10: {refused} refused in window {window}: {windows:?}"
            );
        }
        let pacing = client.pacing();
        assert!(
            matches!(
                pacing.shape(),
                LimitShape::FixedWindow {
                    allowance: 100,
                    period: WINDOW,
                    ..
                }
            ),
            "{pacing:?}"
        );
        // The learning's refusals, and the upward probes' and boundary tests' after it: no
        // more than the 5% the issue allows an export over real sockets.
        assert!(
            pacing.throttled_requests() * 20 <= pacing.requests(),
            "phase {phase_tenths}/10: {pacing:?}"
        );
        // 802 requests at 100 a window end in the ninth window the export meets: learning
        // the minute costs no window.
        let ninth_begins = WINDOW * 8 - phase;
        assert!(
            took < ninth_begins + WINDOW,
            "phase {phase_tenths}/10: {took:?}"
        );
        println!(
            "phase {phase_tenths}/10: {took:?}, {} of {} requests refused, {:?}",
            pacing.throttled_requests(),
            pacing.requests(),
            pacing.shape()
        );
    }
}

#[tokio::test(start_paused = true)]
async fn clones_walking_at_once_share_one_model() {
    const WINDOW: Duration = Duration::from_secs(10);
    let limit = Limit::FixedWindow {
        limit: 30,
        window: WINDOW,
        retry_after: false,
    };
    // The server's clock 2.5 s ahead of the client's: its windows are off the client's
    // clock, whose boundaries the model's probes try first.
    let (server, limited) = limited_contacts(3_000, limit, Duration::from_millis(2_500)).await;
    let client = default_client(&server.base_url);
    tokio::time::sleep(limited.until_phase(WINDOW, Duration::from_secs(4))).await;
    let (a, b) = tokio::join!(
        tokio::spawn(client.clone().search("x").paginate().collect()),
        tokio::spawn(client.clone().search("x").paginate().collect()),
    );
    assert_eq!(a.unwrap().unwrap().len(), 3_000);
    assert_eq!(b.unwrap().unwrap().len(), 3_000);
    // One model for both: it counted the requests of both walks, and found the window.
    let pacing = client.clone().pacing();
    assert_eq!(pacing, client.pacing());
    assert_eq!(pacing.requests() as usize, server.stats.count());
    assert!(
        matches!(
            pacing.shape(),
            LimitShape::FixedWindow { allowance: 30, .. }
        ),
        "{pacing:?}"
    );
    // Two models would each take the whole allowance, and be refused half the time.
    let log = limited.log.lock().unwrap().clone();
    let windows = refused_per_window(&log, WINDOW);
    for (window, refused) in windows.iter().skip(3) {
        assert!(
            *refused <= 1,
            "{refused} refused in window {window}: {windows:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_pauses_every_request_of_the_client() {
    let arrivals = Arc::new(std::sync::Mutex::new(Vec::new()));
    let first = AtomicUsize::new(0);
    let started = Instant::now();
    let server = TestServer::start({
        let arrivals = arrivals.clone();
        move |request| {
            arrivals.lock().unwrap().push(started.elapsed());
            if first.fetch_add(1, Ordering::SeqCst) == 0 {
                Reply::status(429, "text/plain", "Retry later\n").header("retry-after", "30")
            } else {
                contacts_api(15)(request)
            }
        }
    })
    .await;
    let client = default_client(&server.base_url);
    let throttled = tokio::spawn(client.search("x").send());
    // Sent after the throttle: they wait for it too, clones included.
    while arrivals.lock().unwrap().is_empty() {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(client.pacing().is_throttled(), "{:?}", client.pacing());
    let others: Vec<_> = (0..3)
        .map(|_| tokio::spawn(client.clone().search("x").send()))
        .collect();
    throttled.await.unwrap().unwrap();
    for other in others {
        other.await.unwrap().unwrap();
    }
    let arrivals = arrivals.lock().unwrap().clone();
    assert_eq!(arrivals.len(), 5);
    for at in &arrivals[1..] {
        assert!(*at >= Duration::from_secs(30), "a request went at {at:?}");
    }
    // The pause teaches nothing about the limit's shape.
    assert_eq!(client.pacing().shape(), LimitShape::Unknown);
}

#[tokio::test]
async fn an_outage_is_not_multiplied_by_retries() {
    let server =
        TestServer::start(|_| Reply::status(503, "text/html", "<title>Down</title>")).await;
    let client = builder(&server.base_url)
        .retry(
            RetryPolicy::default()
                .initial_backoff(Duration::from_millis(1))
                .max_backoff(Duration::from_millis(2)),
        )
        .build()
        .unwrap();
    let mut spent = 0;
    for _ in 0..80 {
        let error = client.search("x").send().await.unwrap_err();
        // The failure keeps its own variant; the budget is a flag on it.
        match &error {
            Error::Api { status, .. } => assert_eq!(status.as_u16(), 503),
            other => panic!("{other:?}"),
        }
        spent += usize::from(error.is_retry_budget_spent());
    }
    // Without the budget: 80 × 4 attempts. With it: 80 first attempts and 500 / 5 retries.
    let sent = server.stats.count();
    assert!(sent <= 80 + 100, "{sent} requests sent");
    assert!(spent >= 40, "{spent}");
    let error = client.search("x").send().await.unwrap_err();
    assert!(
        error.to_string().contains("retry budget is spent"),
        "{error}"
    );
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
}
