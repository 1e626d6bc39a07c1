//! The typed mocks (feature `mock`) in use: each `when` method requires its query parameter
//! as the spec describes it, so these tests also pin what the client sends; each `then`
//! answer becomes the error (or page) a real server's would.

use httpmock::MockServer;
use livedesk::mock::MockServerExt;
use livedesk::{
    Client, Contact, ContactList, Credentials, Error, ErrorKind, RetryPolicy, SortDirection,
    SortField, StatusCode,
};

fn page(count: u64) -> ContactList {
    ContactList::new(2, count, Vec::new())
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
        when.q("+86 138&张")
            .page(2)
            .labels(["vip", "new customer"])
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
        when.q("ada")
            .page(None)
            .labels(Vec::<String>::new())
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
    assert!(matches!(&sorted, Err(livedesk::Error::Api { status, .. }) if *status == 404));
    // A request no mock matches says so, not that LiveDesk refused it.
    let shown = sorted.unwrap_err().to_string();
    assert!(
        shown.starts_with("the server answered 404 Not Found: ") && shown.contains("did not match"),
        "{shown}"
    );
    assert_eq!(mock.calls_async().await, 1);
}

#[tokio::test]
async fn a_mock_pins_the_exact_list_of_labels() {
    let server = MockServer::start_async().await;
    let mock = server.search_contacts(|when, then| {
        when.q("ada").labels(vec!["vip".to_owned()]);
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
        when.q(None).labels(["vip"]);
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

#[tokio::test]
async fn error_answers_become_the_errors_a_server_would_give() {
    let server = MockServer::start_async().await;
    server.search_contacts(|when, then| {
        when.q("refused");
        then.error(401, "Invalid Access Token");
    });
    server.search_contacts(|when, then| {
        when.q("busy");
        then.rate_limited();
    });
    server.search_contacts(|when, then| {
        when.q("found");
        then.ok(&ContactList::new(1, 1, vec![Contact::new(7)]));
    });
    let client = client(&server);

    let refused = client.search("refused").send().await.unwrap_err();
    assert!(
        matches!(&refused, Error::Api { status, message, .. }
            if *status == StatusCode::UNAUTHORIZED && message == "Invalid Access Token"),
        "{refused:?}"
    );
    assert_eq!(refused.kind(), ErrorKind::Auth);

    let busy = client.search("busy").send().await.unwrap_err();
    assert_eq!(busy.status(), Some(StatusCode::TOO_MANY_REQUESTS));
    assert_eq!(
        (busy.kind(), busy.retry_after()),
        (ErrorKind::RateLimited, None)
    );

    let found = client.search("found").send().await.unwrap();
    assert_eq!(found.payload.iter().map(|c| c.id).collect::<Vec<_>>(), [7]);
    assert_eq!(found.meta.page(), Some(1));
}
