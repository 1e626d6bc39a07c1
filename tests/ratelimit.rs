//! Throttling is waited out and the pace learnt; outages are not amplified. Windows are
//! scaled to fractions of a second; the defaults are the production ones.

mod common;

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use common::{
    builder,
    limits::{Limit, Limited},
    server::{Reply, TestServer, contacts_api},
};
use livedesk::{Client, Credentials, Error, RetryPolicy};

/// A client with every default setting, pointed at `base_url`.
fn default_client(base_url: &str) -> Client {
    Client::builder(Credentials::new(common::KEY, common::SECRET).unwrap())
        .base_url(base_url)
        .build()
        .unwrap()
}

async fn limited_contacts(
    total: u64,
    limit: Limit,
) -> (
    TestServer,
    Arc<Limited<impl Fn(&common::server::Request) -> Reply>>,
) {
    let limited = Arc::new(Limited::new(limit, contacts_api(total)));
    let server = TestServer::start({
        let limited = limited.clone();
        move |request| limited.answer(request)
    })
    .await;
    (server, limited)
}

#[tokio::test]
async fn a_long_walk_rides_out_a_fixed_window_with_default_settings() {
    // 60 pages through windows of 12 requests each 400 ms: a dozen throttles.
    let window = Limit::FixedWindow {
        limit: 12,
        window: Duration::from_millis(400),
        retry_after: false,
    };
    let (server, limited) = limited_contacts(900, window).await;
    let client = default_client(&server.base_url);
    let started = Instant::now();
    let contacts = client.search("x").paginate().collect().await.unwrap();
    let took = started.elapsed();

    let ids: Vec<i64> = contacts.iter().map(|c| c.id).collect();
    assert_eq!(
        ids,
        (1..=900).collect::<Vec<_>>(),
        "every contact, once, in order"
    );
    let pace = client.pacing().expect("a pace was learnt");
    // 12 per 400 ms is 1,800 a minute; the pace is learnt near it, never far above. The
    // bounds are wide: on a loaded machine the lift is seen late, and the pace with it.
    let per_minute = pace.per_minute_rate();
    assert!((600.0..2400.0).contains(&per_minute), "{per_minute}");
    println!(
        "61 pages in {took:?}, {:.1}% of requests throttled, pace {per_minute:.0}/min",
        100.0 * limited.share_refused()
    );
    assert!(
        limited.share_refused() < 0.25,
        "{}",
        limited.share_refused()
    );
}

#[tokio::test]
async fn clones_walking_at_once_share_one_pace() {
    let window = Limit::FixedWindow {
        limit: 10,
        window: Duration::from_millis(300),
        retry_after: false,
    };
    let (server, limited) = limited_contacts(450, window).await;
    let client = default_client(&server.base_url);
    let (a, b) = tokio::join!(
        tokio::spawn(client.clone().search("x").paginate().collect()),
        tokio::spawn(client.clone().search("x").paginate().collect()),
    );
    assert_eq!(a.unwrap().unwrap().len(), 450);
    assert_eq!(b.unwrap().unwrap().len(), 450);
    // One pace for both: after the first throttle, together they keep under the limit most
    // of the time; two independent paces would each take the whole allowance.
    let log = limited.log.lock().unwrap().clone();
    let late = log
        .iter()
        .filter(|(at, _)| *at > Duration::from_millis(900));
    let (requests, refused) = late.fold((0, 0), |(n, r), (_, refused)| {
        (n + 1, r + usize::from(*refused))
    });
    assert!(requests > 30, "{requests}");
    assert!(
        (refused as f64) / (requests as f64) < 0.2,
        "{refused} of {requests} refused once the pace was learnt"
    );
}

#[tokio::test]
async fn a_retry_after_pauses_every_request_of_the_client() {
    let arrivals = Arc::new(std::sync::Mutex::new(Vec::new()));
    let first = AtomicUsize::new(0);
    let started = Instant::now();
    let server = TestServer::start({
        let arrivals = arrivals.clone();
        move |request| {
            arrivals.lock().unwrap().push(started.elapsed());
            if first.fetch_add(1, Ordering::SeqCst) == 0 {
                Reply::status(429, "text/plain", "Retry later\n").header("retry-after", "1")
            } else {
                contacts_api(15)(request)
            }
        }
    })
    .await;
    let client = default_client(&server.base_url);
    let throttled = tokio::spawn(client.search("x").send());
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Sent after the throttle: they wait for it too.
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
        assert!(
            *at >= Duration::from_millis(950),
            "a request went at {at:?}"
        );
    }
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
        match client.search("x").send().await.unwrap_err() {
            Error::RetryBudgetSpent(inner) => {
                spent += 1;
                assert_eq!(inner.status().map(|s| s.as_u16()), Some(503));
            }
            Error::Api { status, .. } => assert_eq!(status.as_u16(), 503),
            other => panic!("{other:?}"),
        }
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
