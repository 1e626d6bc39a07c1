//! Retries, rate limits and timeouts, driven through real loopback servers.

use crate::common;

use std::{
    num::NonZeroU32,
    sync::atomic::{AtomicUsize, Ordering},
    time::Duration,
};

use common::{
    builder, client, client_with, fast_retries,
    server::{Reply, TestServer, contacts_api},
};
use livedesk::{Client, Error, RateLimit, RetryPolicy};
// Tests that check waits run on tokio's paused clock (`start_paused`): the loopback server
// answers at once in virtual time, and a loaded machine cannot stretch or shrink a wait.
use tokio::time::Instant;

/// A server that answers the first `failures` requests with `failure()`, then with a page.
async fn failing_then_ok(
    failures: usize,
    failure: impl Fn() -> Reply + Send + Sync + 'static,
) -> TestServer {
    let calls = AtomicUsize::new(0);
    TestServer::start(move |request| {
        if calls.fetch_add(1, Ordering::SeqCst) < failures {
            failure()
        } else {
            contacts_api(3)(request)
        }
    })
    .await
}

async fn search(client: &Client) -> livedesk::Result<usize> {
    Ok(client.search("x").send().await?.payload.len())
}

#[tokio::test]
async fn a_plain_text_429_without_retry_after_is_retried() {
    let server = failing_then_ok(1, || Reply::status(429, "text/plain", "Retry later")).await;
    assert_eq!(search(&client(&server.base_url)).await.unwrap(), 3);
    assert_eq!(server.stats.count(), 2);
}

#[tokio::test(start_paused = true)]
async fn retry_after_is_honoured() {
    let server = failing_then_ok(1, || {
        Reply::status(429, "text/plain", "Retry later").header("retry-after", "1")
    })
    .await;
    let client = client_with(
        &server.base_url,
        fast_retries().max_backoff(Duration::from_secs(5)),
    );
    let start = Instant::now();
    assert_eq!(search(&client).await.unwrap(), 3);
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "waited only {:?}",
        start.elapsed()
    );
    assert_eq!(server.stats.count(), 2);
}

/// A throttle's `Retry-After` is bounded by the throttle deadline, not the backoff's cap (a
/// gateway in front of a one-minute window asks for up to a minute); a failure's by the cap.
#[tokio::test(start_paused = true)]
async fn a_429s_retry_after_beyond_the_backoff_cap_is_waited_out_a_503s_is_not() {
    let policy = fast_retries()
        .max_backoff(Duration::from_millis(100))
        .throttle_deadline(Duration::from_secs(10));
    let throttled = failing_then_ok(1, || {
        Reply::status(429, "text/plain", "Retry later").header("retry-after", "1")
    })
    .await;
    let start = Instant::now();
    let found = search(&client_with(&throttled.base_url, policy.clone())).await;
    assert_eq!(found.unwrap(), 3);
    assert!(start.elapsed() >= Duration::from_secs(1));
    assert_eq!(throttled.stats.count(), 2);

    let unavailable = failing_then_ok(1, || {
        Reply::status(503, "text/plain", "Service Unavailable").header("retry-after", "1")
    })
    .await;
    let error = search(&client_with(&unavailable.base_url, policy))
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(http::StatusCode::SERVICE_UNAVAILABLE));
    assert_eq!(error.retry_after(), Some(Duration::from_secs(1)));
    assert_eq!(unavailable.stats.count(), 1);
}

/// A client that never retries wants every answer at once: a `Retry-After` does not hold
/// its next request back.
#[tokio::test]
async fn a_client_without_retries_is_not_paused_by_a_retry_after() {
    let server = TestServer::start(|_| {
        Reply::status(429, "text/plain", "Retry later").header("retry-after", "60")
    })
    .await;
    let client = client_with(&server.base_url, RetryPolicy::disabled());
    for _ in 0..2 {
        let answer = tokio::time::timeout(Duration::from_secs(5), search(&client)).await;
        let error = answer
            .expect("answered at once, not after the minute asked")
            .unwrap_err();
        assert_eq!(error.retry_after(), Some(Duration::from_secs(60)));
    }
    assert_eq!(server.stats.count(), 2);
}

#[tokio::test]
async fn gateway_pages_are_retried_until_the_answer_comes() {
    let server = failing_then_ok(3, || {
        Reply::status(
            503,
            "text/html",
            "<html><head><title>503 Service Unavailable</title></head></html>",
        )
    })
    .await;
    assert_eq!(search(&client(&server.base_url)).await.unwrap(), 3);
    assert_eq!(server.stats.count(), 4);
}

#[tokio::test]
async fn exhausted_attempts_give_the_last_error() {
    let server = failing_then_ok(usize::MAX, || {
        Reply::status(
            502,
            "text/html",
            "<html><head><title>502 Bad Gateway</title></head></html>",
        )
    })
    .await;
    let client = client_with(&server.base_url, fast_retries().max_attempts(3));
    match search(&client).await {
        Err(Error::Api {
            status, message, ..
        }) => {
            assert_eq!(status.as_u16(), 502);
            assert_eq!(message, "502 Bad Gateway");
        }
        other => panic!("expected the 502, got {other:?}"),
    }
    assert_eq!(server.stats.count(), 3);
}

#[tokio::test]
async fn errors_that_would_fail_again_are_not_retried() {
    for status in [400, 401, 403, 404, 422, 500] {
        let server = failing_then_ok(usize::MAX, move || {
            Reply::status(status, "application/json", r#"{"error":"no"}"#)
        })
        .await;
        let error = search(&client(&server.base_url)).await.unwrap_err();
        assert_eq!(error.status().map(|s| s.as_u16()), Some(status));
        assert_eq!(server.stats.count(), 1, "status {status}");
    }
}

#[tokio::test]
async fn retries_can_be_turned_off() {
    let server = failing_then_ok(1, || Reply::status(503, "text/plain", "busy")).await;
    let client = client_with(&server.base_url, RetryPolicy::disabled());
    assert_eq!(
        search(&client)
            .await
            .unwrap_err()
            .status()
            .map(|s| s.as_u16()),
        Some(503)
    );
    assert_eq!(server.stats.count(), 1);
}

#[tokio::test]
async fn dropped_connections_are_retried() {
    let server = failing_then_ok(2, || Reply::Close).await;
    assert_eq!(search(&client(&server.base_url)).await.unwrap(), 3);
    assert_eq!(server.stats.count(), 3);

    let server = failing_then_ok(1, || Reply::CloseMidBody {
        declared_len: 500,
        sent: b"{\"meta\":".to_vec(),
    })
    .await;
    assert_eq!(search(&client(&server.base_url)).await.unwrap(), 3);
    assert_eq!(server.stats.count(), 2);
}

#[tokio::test]
async fn a_429_in_the_middle_of_a_walk_costs_a_wait_not_the_walk() {
    let limited = AtomicUsize::new(0);
    let server = TestServer::start(move |request| {
        if request.page() == 7 && limited.fetch_add(1, Ordering::SeqCst) == 0 {
            Reply::status(429, "text/plain", "Retry later")
        } else {
            contacts_api(300)(request)
        }
    })
    .await;
    let contacts = client(&server.base_url)
        .search("x")
        .paginate()
        .collect()
        .await
        .unwrap();
    assert_eq!(contacts.len(), 300);
    // 20 full pages, page 21 confirming the end and its total counted again, and the retry.
    assert_eq!(server.stats.count(), 23);
}

#[tokio::test(start_paused = true)]
async fn a_server_that_never_answers_times_out_within_the_configured_time() {
    let server = TestServer::start(|_| Reply::Hang).await;
    let client = builder(&server.base_url)
        .timeout(Duration::from_millis(200))
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    let start = Instant::now();
    let error = search(&client).await.unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "took {:?}",
        start.elapsed()
    );

    // With retries, each attempt times out and the last error is the timeout.
    let client = builder(&server.base_url)
        .timeout(Duration::from_millis(100))
        .retry(fast_retries().max_attempts(3))
        .build()
        .unwrap();
    assert!(search(&client).await.unwrap_err().is_timeout());
    assert_eq!(server.stats.count(), 4);
}

#[tokio::test(start_paused = true)]
async fn the_deadline_stops_retries() {
    let server = failing_then_ok(usize::MAX, || Reply::status(503, "text/plain", "busy")).await;
    let retry = RetryPolicy::default()
        .max_attempts(100)
        .initial_backoff(Duration::from_millis(40))
        .max_backoff(Duration::from_millis(40))
        .deadline(Some(Duration::from_millis(300)));
    let error = search(&client_with(&server.base_url, retry))
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    // Waits of 20 to 40 ms within 300 ms: between 6 and 16 attempts, far from 100.
    let attempts = server.stats.count();
    assert!((6..=16).contains(&attempts), "{attempts} attempts");
}

#[tokio::test(start_paused = true)]
async fn the_rate_limit_is_shared_by_clones() {
    let server = TestServer::start(contacts_api(3)).await;
    let client = builder(&server.base_url)
        .rate_limit(RateLimit::new(
            NonZeroU32::new(20).unwrap(),
            Duration::from_secs(1),
        ))
        .build()
        .unwrap();
    let other = client.clone();
    let start = Instant::now();
    let (a, b) = tokio::join!(
        async {
            for _ in 0..3 {
                search(&client).await.unwrap();
            }
        },
        async {
            for _ in 0..3 {
                search(&other).await.unwrap();
            }
        },
    );
    let _ = (a, b);
    // Six requests 50 ms apart: the last starts 250 ms after the first, at the earliest.
    assert!(
        start.elapsed() >= Duration::from_millis(250),
        "took {:?}",
        start.elapsed()
    );
    assert_eq!(server.stats.count(), 6);
}

/// A server whose `n`th request (from 0) gets `special(n)`, and every other a page.
async fn nth_special(
    special: impl Fn(usize) -> Option<Reply> + Send + Sync + 'static,
) -> TestServer {
    let seen = AtomicUsize::new(0);
    TestServer::start(move |request| {
        special(seen.fetch_add(1, Ordering::SeqCst)).unwrap_or_else(|| contacts_api(3)(request))
    })
    .await
}

/// Review 99: time spent waiting for the pacer is not the failures' to spend. A request
/// that waited out a `Retry-After` of 130 s (inside the default throttle deadline of 180 s)
/// and then met one `502` failed without a retry: the default deadline (120 s) counted the
/// wait.
#[tokio::test(start_paused = true)]
async fn a_failure_after_a_long_throttle_is_still_retried() {
    let server = nth_special(|n| match n {
        0 => Some(Reply::status(429, "text/plain", "Retry later").header("retry-after", "130")),
        1 => Some(Reply::status(502, "text/plain", "Bad Gateway")),
        _ => None,
    })
    .await;
    let client = builder(&server.base_url)
        .retry(RetryPolicy::default())
        .build()
        .unwrap();
    let result = client.search("x").send().await;
    assert!(
        result.is_ok(),
        "{:?}",
        result.map(|page| page.payload.len())
    );
    assert_eq!(server.stats.count(), 3);
}

/// The same for a request queued behind a pace set by hand: three requests at one a minute,
/// the third sent two minutes after it was asked for, keeps its retries.
#[tokio::test(start_paused = true)]
async fn a_request_queued_behind_the_pace_keeps_its_failure_retries() {
    let server =
        nth_special(|n| (n == 2).then(|| Reply::status(502, "text/plain", "Bad Gateway"))).await;
    let client = builder(&server.base_url)
        .retry(RetryPolicy::default())
        .rate_limit(RateLimit::per_minute(NonZeroU32::new(1).unwrap()))
        .build()
        .unwrap();
    let tasks: Vec<_> = (0..3)
        .map(|_| tokio::spawn(client.clone().search("x").send()))
        .collect();
    for task in tasks {
        let result = task.await.unwrap();
        assert!(
            result.is_ok(),
            "{:?}",
            result.map(|page| page.payload.len())
        );
    }
    assert_eq!(server.stats.count(), 4);
}
