//! Helpers shared by the integration tests: clients pointed at loopback servers.
#![allow(dead_code)] // each test binary uses a different subset

pub mod limits;
pub mod server;
pub mod skip;

use std::{net::SocketAddr, time::Duration};

use livedesk::{Client, ClientBuilder, Credentials, RetryPolicy};

/// RFC 7617's example pair and its header, computed by the RFC's authors, not by this crate.
pub const KEY: &str = "Aladdin";
pub const SECRET: &str = "open sesame";
pub const AUTHORIZATION: &str = "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==";
pub const PATH: &str = "/api/v2/accounts/contacts";

/// Checks that a search's body was refused before decoding, as dense with values past what
/// a body under `cap` may decode to. (Matched, not unwrapped: a page decoded instead holds
/// millions of values, too many to print.)
pub fn assert_refused_as_dense(result: livedesk::Result<livedesk::ContactList>, cap: usize) {
    let error = match result {
        Ok(page) => panic!("decoded {} contacts", page.payload.len()),
        Err(error) => error,
    };
    assert!(
        matches!(&error, livedesk::Error::Decode { path, .. } if path == "."),
        "{error:?}"
    );
    let said = format!("would decode to more than 4 times the {cap}-byte cap");
    assert!(error.to_string().contains(&said), "{error}");
}

/// Retries as in production but with millisecond waits, so tests stay fast.
/// Throttles are waited out for 2 s rather than 3 minutes.
pub fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .initial_backoff(Duration::from_millis(5))
        .max_backoff(Duration::from_millis(20))
        .throttle_deadline(Duration::from_secs(2))
}

pub fn client(base_url: &str) -> Client {
    client_with(base_url, fast_retries())
}

pub fn client_with(base_url: &str, retry: RetryPolicy) -> Client {
    builder(base_url).retry(retry).build().unwrap()
}

/// A client builder for `base_url` with the test key pair and fast retries.
pub fn builder(base_url: &str) -> ClientBuilder {
    Client::builder(Credentials::new(KEY, SECRET).unwrap())
        .base_url(base_url)
        .retry(fast_retries())
}

/// A contact as the server sends it, with the given id.
pub fn contact(id: i64) -> serde_json::Value {
    serde_json::json!({
        "additional_attributes": {},
        "availability_status": "offline",
        "email": format!("user{id}@example.com"),
        "id": id,
        "name": format!("User {id}"),
        "phone_number": null,
        "blocked": false,
        "identifier": null,
        "thumbnail": "",
        "custom_attributes": {},
        "created_at": 1_700_000_000 + id,
        "contact_inboxes": []
    })
}

/// A page of contacts `ids` with `count` as the total.
pub fn page(
    ids: impl IntoIterator<Item = i64>,
    count: u64,
    current_page: u32,
) -> serde_json::Value {
    serde_json::json!({
        "meta": {"count": count, "current_page": current_page},
        "payload": ids.into_iter().map(contact).collect::<Vec<_>>(),
    })
}

/// A sandbox of `contacts` contacts with no rate limit.
pub async fn sandbox(contacts: usize) -> livedesk::Sandbox {
    livedesk::Sandbox::builder()
        .contacts(contacts)
        .no_rate_limit()
        .start()
        .await
        .unwrap()
}

/// A client of `sandbox` that never retries, so that every answer shows as it came.
pub fn sandbox_client(sandbox: &livedesk::Sandbox) -> Client {
    sandbox
        .client()
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap()
}

/// The command line's binary with the environment pointing at `sandbox` (and nothing else
/// of ours).
pub fn livedesk(sandbox: &livedesk::Sandbox) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_livedesk"));
    command
        .env("LIVEDESK_BASE_URL", sandbox.base_url())
        .env("LIVEDESK_API_KEY", "sandbox-key")
        .env("LIVEDESK_API_SECRET", "sandbox-secret")
        .stdin(std::process::Stdio::null());
    command
}

/// A loopback address nobody listens on, for as long as the returned socket lives: bound but
/// never listening, so a connection to it is refused, and no other test can take the port
/// meanwhile (one bound, dropped, then connected to could be taken by a server another test
/// started in between, and answer).
pub fn closed_port() -> (tokio::net::TcpSocket, SocketAddr) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(([127, 0, 0, 1], 0).into()).unwrap();
    let addr = socket.local_addr().unwrap();
    (socket, addr)
}
