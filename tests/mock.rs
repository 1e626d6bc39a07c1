//! The generated typed mocks (feature `mock`) in use: each `when` method requires its query
//! parameter as the spec describes it, so these tests also pin what the client sends.

use std::num::NonZeroU32;

use httpmock::MockServer;
use livedesk::mock::MockServerExt;
use livedesk::types::SearchContactsQ;
use livedesk::{Client, ContactList, Credentials, RetryPolicy, SortDirection, SortField};

fn page(count: i64) -> ContactList {
    serde_json::from_value(
        serde_json::json!({"meta": {"count": count, "current_page": "2"}, "payload": []}),
    )
    .unwrap()
}

fn client(server: &MockServer) -> Client {
    Client::builder(Credentials::new("key", "secret").unwrap())
        .base_url(server.base_url())
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap()
}

#[tokio::test]
async fn every_parameter_reaches_the_mock_as_the_spec_names_it() {
    let server = MockServer::start_async().await;
    let expected = page(31);
    let mock = server.search_contacts(|when, then| {
        when.q(&"+86 138&张".parse::<SearchContactsQ>().unwrap())
            .page(NonZeroU32::new(2))
            .labels(&vec!["vip".to_owned(), "new customer".to_owned()])
            .include_contact_inboxes(false)
            .sort(SortField::LastActivityAt)
            .direction(SortDirection::Desc);
        then.ok(&expected);
    });
    let found = client(&server)
        .search("+86 138&张")
        .page(2)
        .label("vip")
        .label("new customer")
        .include_contact_inboxes(false)
        .sort(SortField::LastActivityAt)
        .direction(SortDirection::Desc)
        .send()
        .await
        .unwrap();
    assert_eq!(found, expected);
    mock.assert_async().await;
}

#[tokio::test]
async fn parameters_left_unset_are_not_sent() {
    let server = MockServer::start_async().await;
    let mock = server.search_contacts(|when, then| {
        when.q(&"ada".parse::<SearchContactsQ>().unwrap())
            .page(None)
            .labels(None)
            .include_contact_inboxes(None)
            .sort(None)
            .direction(None);
        then.ok(&page(0));
    });
    client(&server).search("ada").send().await.unwrap();
    mock.assert_async().await;

    // A parameter the mock requires absent makes the request miss it.
    let sorted = client(&server)
        .search("ada")
        .sort(SortField::Name)
        .send()
        .await;
    assert!(matches!(sorted, Err(livedesk::Error::Api { status, .. }) if status == 404));
    assert_eq!(mock.calls_async().await, 1);
}

#[tokio::test]
async fn a_mock_pins_the_exact_list_of_labels() {
    let server = MockServer::start_async().await;
    let mock = server.search_contacts(|when, then| {
        when.q(&"ada".parse::<SearchContactsQ>().unwrap())
            .labels(&vec!["vip".to_owned()]);
        then.ok(&page(0));
    });
    let more = client(&server)
        .search("ada")
        .label("vip")
        .label("lead")
        .send()
        .await;
    assert!(matches!(more, Err(livedesk::Error::Api { status, .. }) if status == 404));
    let fewer = client(&server).search("ada").send().await;
    assert!(matches!(fewer, Err(livedesk::Error::Api { status, .. }) if status == 404));
    client(&server)
        .search("ada")
        .label("vip")
        .send()
        .await
        .unwrap();
    assert_eq!(mock.calls_async().await, 1);
}

#[tokio::test]
async fn a_listing_sends_no_query_and_a_mock_can_require_that() {
    let server = MockServer::start_async().await;
    let expected = page(31);
    let mock = server.search_contacts(|when, then| {
        when.q(None).labels(&vec!["vip".to_owned()]);
        then.ok(&expected);
    });
    let listed = client(&server)
        .contacts()
        .label("vip")
        .send()
        .await
        .unwrap();
    assert_eq!(listed, expected);
    // A search is not a listing: the mock requires `q` absent.
    let searched = client(&server).search("ada").label("vip").send().await;
    assert!(matches!(searched, Err(livedesk::Error::Api { status, .. }) if status == 404));
    assert_eq!(mock.calls_async().await, 1);
}
