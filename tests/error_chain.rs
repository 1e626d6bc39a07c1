//! Every error's whole chain, as a chain printer (anyhow's `{:#}`, the command line) shows
//! it: each variant either shows its cause or returns it as `source()`, never both, so no
//! line of a chain repeats another; and no line holds the query.

use crate::common;

use std::time::Duration;

use common::server::{Reply, TestServer};
use common::{builder, client_with, page};
use futures::TryStreamExt;
use livedesk::{Credentials, Error, ErrorKind, RetryPolicy, Sandbox};

const QUERY: &str = "someone@example.com";

/// The error's message, then each `source()`'s, as anyhow prints them.
fn chain(error: &Error) -> Vec<String> {
    let mut lines = vec![error.to_string()];
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        lines.push(cause.to_string());
        source = cause.source();
    }
    lines
}

/// Checks the chain and returns it.
fn checked(error: &Error) -> Vec<String> {
    let lines = chain(error);
    for (i, line) in lines.iter().enumerate() {
        assert!(!line.contains("someone"), "the query leaked: {lines:#?}");
        for later in &lines[i + 1..] {
            // A cause repeated whole inside an earlier line is the fault this test is for.
            assert!(
                !line.contains(later.as_str()),
                "repeated down the chain: {lines:#?}"
            );
        }
    }
    lines
}

async fn answered(reply: impl Fn() -> Reply + Send + Sync + 'static) -> Error {
    let server = TestServer::start(move |_| reply()).await;
    client_with(&server.base_url, RetryPolicy::disabled())
        .search(QUERY)
        .send()
        .await
        .unwrap_err()
}

#[tokio::test]
async fn errors_before_any_request_say_it_once() {
    let config = Credentials::new("", "secret").unwrap_err();
    assert_eq!(
        checked(&config),
        ["invalid configuration: the API key is empty"]
    );
    assert_eq!(config.kind(), ErrorKind::Auth);

    let client = client_with("http://127.0.0.1:9", RetryPolicy::disabled());
    let refused = client.search(QUERY).page(0).send().await.unwrap_err();
    assert_eq!(checked(&refused).len(), 1);
    assert_eq!(refused.kind(), ErrorKind::Usage);
}

#[tokio::test]
async fn server_answers_say_it_once() {
    let api = answered(|| {
        Reply::status(
            401,
            "application/json",
            r#"{"error":"Invalid Access Token"}"#,
        )
    })
    .await;
    assert_eq!(
        checked(&api),
        ["the server answered 401 Unauthorized: Invalid Access Token"]
    );
    assert_eq!(api.kind(), ErrorKind::Auth);

    let decode = answered(|| Reply::json(&serde_json::json!({"payload": [{"id": "x"}]}))).await;
    assert!(matches!(decode, Error::Decode { .. }), "{decode:?}");
    assert_eq!(checked(&decode).len(), 1);
    assert_eq!(decode.kind(), ErrorKind::Server);

    let redirect = answered(|| {
        Reply::status(302, "text/plain", "").header("location", "https://elsewhere.example/x")
    })
    .await;
    assert_eq!(
        checked(&redirect),
        ["the server answered 302 Found, a redirect to elsewhere.example, which is not followed"]
    );

    let server =
        TestServer::start(|_| Reply::status(200, "application/json", "x".repeat(4096))).await;
    let capped = builder(&server.base_url)
        .max_body_size(1024)
        .build()
        .unwrap()
        .search(QUERY)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(capped, Error::BodyTooLarge { .. }), "{capped:?}");
    assert_eq!(checked(&capped).len(), 1);

    let server = TestServer::start(|_| {
        Reply::status(422, "application/json", r#"{"error":"q is required"}"#)
    })
    .await;
    let listing = client_with(&server.base_url, RetryPolicy::disabled())
        .contacts()
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        checked(&listing),
        [
            "the server requires a query: it answered a listing without `q` with 422 Unprocessable Entity (q is required)"
        ]
    );
    assert_eq!(listing.kind(), ErrorKind::Usage);
}

#[tokio::test]
async fn a_refused_connection_names_the_host_and_its_cause_once() {
    let (_closed, addr) = common::closed_port();
    let port = addr.port();
    let client = client_with(&format!("http://127.0.0.1:{port}"), RetryPolicy::disabled());
    let error = client.search(QUERY).send().await.unwrap_err();
    let lines = checked(&error);
    assert_eq!(
        lines[0],
        format!("the request to 127.0.0.1:{port} could not connect")
    );
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.contains("Connection refused"))
            .count(),
        1,
        "{lines:#?}"
    );
    assert_eq!(error.kind(), ErrorKind::Network);
    let Error::Transport(transport) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(transport.host(), Some(format!("127.0.0.1:{port}").as_str()));
}

#[tokio::test]
async fn a_timeout_and_a_cut_body_say_it_once() {
    let server = TestServer::start(|_| Reply::Hang).await;
    let error = builder(&server.base_url)
        .timeout(Duration::from_millis(50))
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap()
        .search(QUERY)
        .send()
        .await
        .unwrap_err();
    let lines = checked(&error);
    assert!(
        error.is_timeout() && lines[0].ends_with("timed out"),
        "{lines:#?}"
    );

    let cut = answered(|| Reply::CloseMidBody {
        declared_len: 1000,
        sent: br#"{"meta":{"count":1,"#.to_vec(),
    })
    .await;
    assert!(matches!(cut, Error::Transport(_)), "{cut:?}");
    assert!(checked(&cut).len() > 1, "the cause is in the chain");
}

#[tokio::test]
async fn a_walk_and_a_sandbox_say_it_once() {
    // The total says 40 but the pages stop after 15: contacts are missing.
    let server = TestServer::start(|request| {
        let ids = if request.page() == 1 { 1..16 } else { 1..1 };
        Reply::json(&page(ids, 40, request.page()))
    })
    .await;
    let walk = client_with(&server.base_url, RetryPolicy::disabled())
        .search(QUERY)
        .paginate()
        .contacts()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(matches!(walk, Error::Walk(_)), "{walk:?}");
    assert_eq!(checked(&walk).len(), 1);
    assert_eq!(walk.kind(), ErrorKind::Incomplete);

    let taken = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = taken.local_addr().unwrap().port();
    let error = Sandbox::builder().port(port).start().await.err().unwrap();
    let lines = checked(&error);
    assert_eq!(lines[0], "the sandbox could not start");
    assert!(
        lines[1].contains(&format!("127.0.0.1:{port}")),
        "{lines:#?}"
    );
}
