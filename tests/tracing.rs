//! Every attempt is traced, and the most verbose log output never holds the secret.

mod common;

use std::{
    io::Write,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
};

use common::{
    AUTHORIZATION, SECRET, client,
    server::{Reply, TestServer, contacts_api},
};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn trace_level_output_names_each_attempt_and_never_the_credentials() {
    let captured = Captured::default();
    let writer = captured.clone();
    // Also captures the `log` records of reqwest and hyper, through tracing-log.
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .try_init()
        .unwrap();

    let calls = AtomicUsize::new(0);
    let server = TestServer::start(move |request| match calls.fetch_add(1, Ordering::SeqCst) {
        0 => Reply::status(429, "text/plain", "Retry later"),
        1 => contacts_api(3)(request),
        _ => Reply::status(
            401,
            "application/json",
            r#"{"error":"Invalid Access Token"}"#,
        ),
    })
    .await;
    let client = client(&server.base_url);
    // The query holds personal data: it must not reach the log either.
    let query = "grace.hopper@example.com";
    client.search(query).send().await.unwrap();
    let error = client.search(query).send().await.unwrap_err();
    tracing::error!(%error, ?error, "what an application would log");
    // A transport error, whose HTTP library error knows the URL.
    let refused = common::client("http://127.0.0.1:9")
        .search(query)
        .send()
        .await
        .unwrap_err();
    tracing::error!(%refused, ?refused, "a connection error as an application would log it");

    let output = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    for expected in [
        "livedesk request attempt",
        "livedesk retrying",
        "status=429",
        "status=200",
        "status=401",
        "attempt=2",
        "path=\"/api/v2/accounts/contacts\"",
        "Invalid Access Token",
    ] {
        assert!(
            output.contains(expected),
            "{expected:?} missing from:\n{output}"
        );
    }
    assert!(
        !output.contains("grace.hopper"),
        "the query leaked:\n{output}"
    );
    assert!(output.contains("refused"), "{output}");
    let token = AUTHORIZATION.trim_start_matches("Basic ");
    assert!(!output.contains(SECRET), "the secret leaked:\n{output}");
    assert!(
        !output.contains(token),
        "the Authorization header leaked:\n{output}"
    );
}
