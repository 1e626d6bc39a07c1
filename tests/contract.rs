//! The client against the sandbox, and against Prism serving `openapi/livedesk.yaml`
//! (started by `.ci/spec`):
//! Prism checks every request against the spec, and its example and generated responses
//! must decode.
//!
//! `LIVEDESK_PRISM_URL` is a Prism in its default mode (answers with the spec's examples),
//! `LIVEDESK_PRISM_DYNAMIC_URL` one started with `--dynamic` (answers with data it generates
//! from the schemas). Run: `cargo test --test contract -- --ignored`.

use livedesk::{Client, ContactList, Credentials, RetryPolicy, Sandbox, SortDirection, SortField};

fn prism(var: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| panic!("{var} is not set: start Prism with .ci/spec"))
}

fn client(base_url: &str) -> Client {
    Client::builder(Credentials::new("prism-key", "prism-secret").unwrap())
        .base_url(base_url)
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap()
}

/// A search with every parameter set, including characters that need encoding.
async fn every_parameter(client: &Client) -> ContactList {
    client
        .search("+86 138&张")
        .page(3)
        .label("vip")
        .label("new customer")
        .include_contact_inboxes(false)
        .sort(SortField::LastActivityAt)
        .direction(SortDirection::Desc)
        .send()
        .await
        .unwrap()
}

/// Prism answers 422 with the violations when a request does not match the spec, so a
/// success here means the request passed its validation.
#[tokio::test]
#[ignore = "needs the Prism mock: .ci/spec starts it"]
async fn requests_with_every_parameter_pass_prisms_validation() {
    let client = client(&prism("LIVEDESK_PRISM_URL"));
    let page = every_parameter(&client).await;
    assert!(page.payload.len() <= livedesk::PAGE_SIZE as usize);
    client.search("x").send().await.unwrap();
    // The list mode: no `q`, with every other parameter.
    client
        .contacts()
        .label("vip")
        .page(2)
        .sort(SortField::Name)
        .direction(SortDirection::Desc)
        .include_contact_inboxes(false)
        .send()
        .await
        .unwrap();
}

/// The same requests against the sandbox, which answers as the real server does (its every
/// answer is checked against the spec's schemas in `tests/sandbox.rs`, and by schemathesis
/// in `.ci/spec`).
#[tokio::test]
async fn requests_with_every_parameter_are_answered_by_the_sandbox() {
    let sandbox = Sandbox::builder()
        .contacts(2_000)
        .no_rate_limit()
        .start()
        .await
        .unwrap();
    let client = sandbox
        .client()
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    let page = every_parameter(&client).await;
    assert!(page.payload.len() <= livedesk::PAGE_SIZE as usize);
    assert!(client.search("x").send().await.unwrap().payload.len() <= 15);
    let listing = client.contacts().label("vip").send().await.unwrap();
    assert_eq!(listing.payload.len(), 15);
    // Every sort, both ways, with and without inboxes: every page decodes.
    for sort in [
        SortField::Email,
        SortField::Name,
        SortField::PhoneNumber,
        SortField::LastActivityAt,
        SortField::CreatedAt,
        SortField::Company,
        SortField::City,
        SortField::Country,
    ] {
        for direction in [SortDirection::Asc, SortDirection::Desc] {
            for inboxes in [true, false] {
                let walk = client
                    .search("a")
                    .sort(sort)
                    .direction(direction)
                    .include_contact_inboxes(inboxes);
                let contacts = walk
                    .paginate()
                    .max_pages(20)
                    .limit(300)
                    .collect()
                    .await
                    .unwrap();
                assert_eq!(contacts.len(), 300);
                assert!(
                    contacts
                        .iter()
                        .all(|c| c.contact_inboxes.is_empty() || inboxes)
                );
            }
        }
    }
}

#[tokio::test]
#[ignore = "needs the Prism mock: .ci/spec starts it"]
async fn every_example_response_decodes() {
    let base = prism("LIVEDESK_PRISM_URL");
    let http = reqwest::Client::new();
    for example in ["documented", "newerServer", "pastTheLastPage"] {
        // Prism picks an example by name from the `Prefer` header, which this crate has no
        // reason to send; the body is then decoded into the same types the client uses.
        let body = http
            .get(format!("{base}/api/v2/accounts/contacts?q=x"))
            .basic_auth("prism-key", Some("prism-secret"))
            .header("prefer", format!("example={example}"))
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let page: ContactList =
            serde_json::from_slice(&body).unwrap_or_else(|e| panic!("example {example}: {e}"));
        assert!(page.payload.len() <= 15);
    }
}

#[tokio::test]
#[ignore = "needs the Prism mock: .ci/spec starts it"]
async fn generated_responses_decode() {
    let client = client(&prism("LIVEDESK_PRISM_DYNAMIC_URL"));
    let mut contacts = 0;
    for page in 1..=60 {
        let list = client
            .search("x")
            .page(page)
            .send()
            .await
            .unwrap_or_else(|e| panic!("generated response {page}: {e}"));
        contacts += list.payload.len();
    }
    assert!(contacts > 0, "Prism generated no contacts at all");
}
