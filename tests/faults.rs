//! Broken and odd responses: each gives a clear typed error, or a correct decode.

use crate::common;

use common::{
    builder, client_with, fast_retries, page,
    server::{Reply, TestServer},
};
use livedesk::{Error, RetryPolicy};
use serde_json::json;

async fn result_of(
    reply: fn() -> Reply,
    retry: RetryPolicy,
) -> livedesk::Result<livedesk::ContactList> {
    let server = TestServer::start(move |_| reply()).await;
    client_with(&server.base_url, retry)
        .search("x")
        .send()
        .await
}

#[tokio::test]
async fn a_connection_closed_mid_body_is_a_transport_error_after_the_retries() {
    let cut = || Reply::CloseMidBody {
        declared_len: 1000,
        sent: br#"{"meta":{"count":1,"#.to_vec(),
    };
    let error = result_of(cut, fast_retries().max_attempts(2))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Transport(_)), "{error:?}");
    assert!(
        error.to_string().starts_with("the request to 127.0.0.1:"),
        "{error}"
    );
}

/// An error's status and headers say what it is whatever happens to its body after them
/// (review 90: a `401` whose body stalled was retried as a timeout, 4 attempts, and ended a
/// network error with no status; a `429`'s `Retry-After` was lost).
#[tokio::test]
async fn an_error_whose_body_is_cut_or_stalls_keeps_its_status_and_is_not_retried() {
    for (status, stall) in [(401, true), (404, false), (429, true)] {
        let server = TestServer::start(move |_| Reply::CutShort {
            status,
            headers: vec![("retry-after".into(), "1".into())],
            sent: br#"{"error":"Invalid"#.to_vec(),
            stall,
        })
        .await;
        // A `429` would be waited out and asked again: the first answer is enough here.
        let retry = match status {
            429 => RetryPolicy::disabled(),
            _ => fast_retries().max_attempts(3),
        };
        let client = builder(&server.base_url)
            .retry(retry)
            .timeout(std::time::Duration::from_millis(300))
            .build()
            .unwrap();
        let error = client.search("x").send().await.unwrap_err();
        let Error::Api {
            status: got,
            message,
            retry_after,
            ..
        } = &error
        else {
            panic!("{status}: {error:?}")
        };
        assert_eq!(got.as_u16(), status);
        // What came of the body is the message; a JSON body cut short is shown as text.
        assert!(message.contains("Invalid"), "{message}");
        assert_eq!(*retry_after, Some(std::time::Duration::from_secs(1)));
        assert_eq!(server.stats.count(), 1, "{status} was retried");
    }
}

#[tokio::test]
async fn a_connection_closed_before_any_answer_is_a_transport_error() {
    let error = result_of(|| Reply::Close, RetryPolicy::disabled())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Transport(_)), "{error:?}");
}

#[tokio::test]
async fn truncated_json_is_a_decode_error() {
    let truncated = || {
        let full = page([1, 2], 2, 1).to_string();
        Reply::status(200, "application/json", &full[..full.len() / 2])
    };
    match result_of(truncated, RetryPolicy::disabled()).await {
        Err(Error::Decode {
            status,
            message,
            excerpt,
            ..
        }) => {
            assert_eq!(status.as_u16(), 200);
            assert!(message.contains("EOF"), "{message}");
            // The end of the body, where decoding stopped, and not the contacts before it.
            assert!(excerpt.starts_with('…'), "{excerpt}");
            assert!(!excerpt.contains("user1@"), "{excerpt}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_200_with_html_or_nothing_is_a_decode_error() {
    let html = || {
        Reply::status(
            200,
            "text/html",
            "<html><body>Welcome to nginx!</body></html>",
        )
    };
    match result_of(html, RetryPolicy::disabled()).await {
        Err(Error::Decode {
            status, excerpt, ..
        }) => {
            assert_eq!(status.as_u16(), 200);
            assert!(excerpt.starts_with("<html><body>Welcome"), "{excerpt}");
        }
        other => panic!("{other:?}"),
    }
    let empty = || Reply::status(200, "application/json", "");
    assert!(matches!(
        result_of(empty, RetryPolicy::disabled()).await,
        Err(Error::Decode { .. })
    ));
}

#[tokio::test]
async fn a_5_mb_page_decodes() {
    let huge = || {
        let mut body = page(1..=15, 15, 1);
        for contact in body["payload"].as_array_mut().unwrap() {
            contact["custom_attributes"] =
                json!({"notes": "x".repeat(350_000), "list": vec![1; 1000]});
        }
        Reply::json(&body)
    };
    let list = result_of(huge, RetryPolicy::disabled()).await.unwrap();
    assert_eq!(list.payload.len(), 15);
    assert_eq!(
        list.payload[14].custom_attributes["notes"]
            .as_str()
            .unwrap()
            .len(),
        350_000
    );
}

#[tokio::test]
async fn a_huge_error_page_is_cut_to_an_excerpt() {
    let huge = || Reply::status(500, "text/plain", "e".repeat(5_000_000));
    match result_of(huge, RetryPolicy::disabled()).await {
        Err(Error::Api {
            status, message, ..
        }) => {
            assert_eq!(status.as_u16(), 500);
            assert!(message.len() < 1000, "{} bytes", message.len());
        }
        other => panic!("{other:?}"),
    }
}

/// The error a search for someone's email ends with, and how it is shown: the whole chain,
/// as a chain printer shows it.
async fn search_someone(client: livedesk::Client) -> (Error, String) {
    let error = client
        .search("someone@example.com")
        .send()
        .await
        .unwrap_err();
    let mut shown = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        shown = format!("{shown}: {cause}");
        source = cause.source();
    }
    assert!(!shown.contains("someone"), "the query leaked: {shown}");
    (error, shown)
}

#[tokio::test]
async fn transport_errors_say_what_happened_without_the_query() {
    // A loopback port nobody listens on any more.
    let (_closed, addr) = common::closed_port();
    let port = addr.port();
    let refused = client_with(&format!("http://127.0.0.1:{port}"), RetryPolicy::disabled());
    let (_, shown) = search_someone(refused).await;
    assert!(shown.contains("Connection refused"), "{shown}");

    let server = TestServer::start(|_| Reply::Hang).await;
    let timing_out = builder(&server.base_url)
        .timeout(std::time::Duration::from_millis(100))
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    let (error, shown) = search_someone(timing_out).await;
    assert!(error.is_timeout() && shown.contains("timed out"), "{shown}");
}
