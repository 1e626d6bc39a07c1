//! Walking all pages: filters on every page, every stop rule, limits, concurrency, cancel.

use crate::common;

use std::{sync::atomic::Ordering, time::Duration};

use common::{
    client, page,
    server::{Reply, TestServer, contacts_api},
};
use futures::{StreamExt, TryStreamExt};
use livedesk::{Error, SortDirection, SortField, WalkError};
use serde_json::json;

fn ids(contacts: &[livedesk::Contact]) -> Vec<i64> {
    contacts.iter().map(|c| c.id).collect()
}

/// Every contact of a plain search, walked at `concurrency`.
async fn walk(server: &TestServer, concurrency: usize) -> Vec<livedesk::Contact> {
    client(&server.base_url)
        .search("x")
        .paginate()
        .concurrency(concurrency)
        .collect()
        .await
        .unwrap()
}

/// Every item of a plain search's page stream, errors included.
async fn walk_pages(server: &TestServer) -> Vec<livedesk::Result<livedesk::ContactList>> {
    client(&server.base_url)
        .search("x")
        .paginate()
        .pages()
        .collect()
        .await
}

fn pages_requested(server: &TestServer) -> Vec<u32> {
    let mut pages: Vec<u32> = server.stats.requests().iter().map(|r| r.page()).collect();
    pages.sort();
    pages
}

#[tokio::test]
async fn every_filter_goes_out_on_every_page() {
    let server = TestServer::start(contacts_api(40)).await;
    let contacts = client(&server.base_url)
        .search("+1 a&b")
        .label("vip")
        .label("new customer")
        .sort(SortField::Name)
        .direction(SortDirection::Asc)
        .include_contact_inboxes(false)
        .paginate()
        .collect()
        .await
        .unwrap();

    assert_eq!(ids(&contacts), (1..=40).collect::<Vec<_>>());
    let mut queries: Vec<String> = server
        .stats
        .requests()
        .iter()
        .map(|r| r.raw_query().to_owned())
        .collect();
    queries.sort();
    // Page 3, the end, twice: the second for a total counted after the pages read together.
    let expected: Vec<String> = [1, 2, 3, 3]
        .into_iter()
        .map(|page| {
            format!(
                "direction=asc&include_contact_inboxes=false&labels%5B%5D=vip&labels%5B%5D=new+customer\
                 &page={page}&q=%2B1+a%26b&sort=name"
            )
        })
        .collect();
    assert_eq!(queries, expected);
}

#[tokio::test]
async fn the_walk_starts_at_the_page_the_search_names() {
    let server = TestServer::start(contacts_api(40)).await;
    let contacts = client(&server.base_url)
        .search("x")
        .page(2)
        .paginate()
        .collect()
        .await
        .unwrap();
    assert_eq!(ids(&contacts), (16..=40).collect::<Vec<_>>());
    assert_eq!(pages_requested(&server), [2, 3]);
}

#[tokio::test]
async fn pages_keep_their_meta_and_arrive_in_order_even_when_later_pages_answer_first() {
    let server = TestServer::start(|request| {
        let fast_later =
            Duration::from_millis(u64::from(10_u32.saturating_sub(request.page())) * 15);
        contacts_api(150)(request).delay(fast_later)
    })
    .await;
    let pages: Vec<_> = client(&server.base_url)
        .search("x")
        .paginate()
        .concurrency(4)
        .pages()
        .try_collect()
        .await
        .unwrap();
    let numbers: Vec<_> = pages
        .iter()
        .map(|p| p.meta.current_page.as_ref().unwrap().number().unwrap())
        .collect();
    assert_eq!(numbers, (1..=10).collect::<Vec<_>>());
    assert!(
        pages
            .iter()
            .all(|p| p.meta.count == Some(150) && p.payload.len() == 15)
    );
    assert_eq!(server.stats.max_in_flight.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn concurrency_one_is_strictly_sequential() {
    let server = TestServer::start(|r| contacts_api(150)(r).delay(Duration::from_millis(5))).await;
    let contacts = walk(&server, 1).await;
    assert_eq!(contacts.len(), 150);
    assert_eq!(server.stats.max_in_flight.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_count_is_a_plan_and_a_full_last_page_is_confirmed() {
    // 30 contacts: page 2 is the last by count, and full, so page 3 confirms the end. The
    // two went out together, so the end is asked once more, for a total counted after both.
    let server = TestServer::start(contacts_api(30)).await;
    assert_eq!(walk(&server, 8).await.len(), 30);
    assert_eq!(pages_requested(&server), [1, 2, 3, 3]);

    // 31: page 3 holds the last one, short, so nothing past it is asked (but its total).
    let server = TestServer::start(contacts_api(31)).await;
    assert_eq!(walk(&server, 8).await.len(), 31);
    assert_eq!(pages_requested(&server), [1, 2, 3, 3]);

    // Alone, nothing is asked twice.
    let server = TestServer::start(contacts_api(30)).await;
    assert_eq!(walk(&server, 1).await.len(), 30);
    assert_eq!(pages_requested(&server), [1, 2, 3]);
}

#[tokio::test]
async fn a_count_too_low_does_not_cut_the_walk() {
    // count says 30, the data holds 50: the walk goes on until a short page.
    let server = TestServer::start(|request| {
        let p = request.page();
        let first = i64::from(p - 1) * 15 + 1;
        Reply::json(&page(first..=(first + 14).min(50), 30, p))
    })
    .await;
    for concurrency in [1, 4] {
        let contacts = client(&server.base_url)
            .search("x")
            .paginate()
            .concurrency(concurrency)
            .collect()
            .await
            .unwrap();
        assert_eq!(ids(&contacts), (1..=50).collect::<Vec<_>>());
    }
}

#[tokio::test]
async fn a_count_the_pages_do_not_deliver_is_an_error() {
    // count claims 100, but the data ends after page 2.
    let server = TestServer::start(|request| {
        let p = request.page();
        let first = (i64::from(p) - 1) * 15 + 1;
        let ids: Vec<i64> = if p <= 2 {
            (first..first + 15).collect()
        } else {
            vec![]
        };
        Reply::json(&page(ids, 100, p))
    })
    .await;
    let items: Vec<_> = client(&server.base_url)
        .search("x")
        .paginate()
        .contacts()
        .collect()
        .await;
    assert_eq!(items.len(), 31);
    assert!(items[..30].iter().all(Result::is_ok));
    assert!(
        matches!(
            items[30],
            Err(Error::Walk(WalkError::CountMismatch {
                count: 100,
                yielded: 30,
                ..
            }))
        ),
        "{:?}",
        items[30]
    );
}

#[tokio::test]
async fn a_server_that_never_ends_is_stopped_by_max_pages() {
    // `has_more: true` and new contacts on every page, forever.
    let server = TestServer::start(|request| {
        let p = request.page();
        let first = i64::from(p - 1) * 15 + 1;
        Reply::json(&json!({
            "meta": {"count": 15, "current_page": p, "has_more": true},
            "payload": page(first..first + 15, 15, p)["payload"],
        }))
    })
    .await;
    let items: Vec<_> = client(&server.base_url)
        .search("x")
        .paginate()
        .max_pages(20)
        .pages()
        .collect()
        .await;
    assert_eq!(items.len(), 21);
    assert!(
        matches!(
            items[20],
            Err(Error::Walk(WalkError::PageCap { pages: 20, .. }))
        ),
        "{:?}",
        items[20]
    );
    assert!(pages_requested(&server).iter().all(|&p| p <= 20));
}

#[tokio::test]
async fn newer_servers_are_followed_by_has_more() {
    // `count` is the page's own size here; `has_more` turns false on page 3.
    let server = TestServer::start(|request| {
        let p = request.page();
        let first = i64::from(p - 1) * 15 + 1;
        Reply::json(&json!({
            "meta": {"count": 15, "current_page": p.to_string(), "has_more": p < 3},
            "payload": page(first..first + 15, 15, p)["payload"],
        }))
    })
    .await;
    let contacts = walk(&server, 8).await;
    assert_eq!(ids(&contacts), (1..=45).collect::<Vec<_>>());
    // Pages are fetched ahead speculatively: at most one wasted request per slot.
    let requested = pages_requested(&server);
    assert!(requested.starts_with(&[1, 2, 3]), "{requested:?}");
    assert!(requested.iter().all(|&p| p <= 1 + 8), "{requested:?}");
}

#[tokio::test]
async fn an_empty_page_that_says_more_follow_ends_the_walk_with_an_error() {
    // Two full pages, then an empty one that still says `has_more: true`.
    let server = TestServer::start(|request| {
        let p = request.page();
        let first = i64::from(p - 1) * 15 + 1;
        let payload = if p <= 2 { page(first..first + 15, 15, p)["payload"].clone() } else { json!([]) };
        Reply::json(&json!({
            "meta": {"count": payload.as_array().unwrap().len(), "current_page": p, "has_more": true},
            "payload": payload,
        }))
    })
    .await;
    let items = walk_pages(&server).await;
    assert_eq!(items.len(), 3);
    assert!(
        matches!(
            items[2],
            Err(Error::Walk(WalkError::ShortPage {
                page: 3,
                received: 0,
                ..
            }))
        ),
        "{:?}",
        items[2]
    );
}

#[tokio::test]
async fn a_server_that_ignores_page_ends_the_walk_with_an_error() {
    // Page 1 whatever is asked, saying so in `current_page`.
    let server = TestServer::start(|request| {
        Reply::json(&json!({
            "meta": {"count": 15, "current_page": 1, "has_more": true},
            "payload": page(1..=15, 15, request.page())["payload"],
        }))
    })
    .await;
    let items = walk_pages(&server).await;
    assert_eq!(items.len(), 2);
    assert_eq!(
        ids(&items[0].as_ref().unwrap().payload),
        (1..=15).collect::<Vec<_>>()
    );
    assert!(
        matches!(
            items[1],
            Err(Error::Walk(WalkError::PageIgnored {
                requested: 2,
                answered: 1,
                ..
            }))
        ),
        "{:?}",
        items[1]
    );

    // The same, echoing the page asked for: caught by the repeats.
    let server = TestServer::start(|request| {
        Reply::json(&json!({
            "meta": {"count": 15, "current_page": request.page(), "has_more": true},
            "payload": page(1..=15, 15, request.page())["payload"],
        }))
    })
    .await;
    let items = walk_pages(&server).await;
    assert_eq!(items.len(), 2);
    assert!(
        matches!(
            items[1],
            Err(Error::Walk(WalkError::RepeatedPages { pages: 1, .. }))
        ),
        "without a total, one page of repeats ends the walk: {:?}",
        items[1]
    );

    // With a total to check against, a few pages of repeats are skipped, then it gives up.
    let server = TestServer::start(|request| Reply::json(&page(1..=15, 100, request.page()))).await;
    let items = walk_pages(&server).await;
    assert_eq!(items.len(), 2);
    assert!(
        matches!(
            items[1],
            Err(Error::Walk(WalkError::RepeatedPages { pages, .. })) if pages == livedesk::MAX_REPEATED_PAGES + 1
        ),
        "{:?}",
        items[1]
    );
    let bound = 1 + livedesk::MAX_REPEATED_PAGES + livedesk::DEFAULT_CONCURRENCY as u32;
    assert!(server.stats.count() as u32 <= bound);
}

#[tokio::test]
async fn each_contact_id_is_yielded_once() {
    // Contacts moved between requests: page 2 repeats five contacts from page 1.
    let server = TestServer::start(|request| {
        let ids: Vec<i64> = match request.page() {
            1 => (1..=15).collect(),
            2 => (11..=25).collect(),
            _ => (26..=30).collect(),
        };
        Reply::json(&page(ids, 30, request.page()))
    })
    .await;
    let contacts = walk(&server, livedesk::DEFAULT_CONCURRENCY).await;
    assert_eq!(ids(&contacts), (1..=30).collect::<Vec<_>>());
}

#[tokio::test]
async fn empty_results_and_pages_past_the_last() {
    let server = TestServer::start(contacts_api(0)).await;
    let contacts = walk(&server, livedesk::DEFAULT_CONCURRENCY).await;
    assert!(contacts.is_empty());
    assert_eq!(pages_requested(&server), [1]);

    let server = TestServer::start(contacts_api(31)).await;
    let contacts = client(&server.base_url)
        .search("x")
        .page(10)
        .paginate()
        .collect()
        .await
        .unwrap();
    assert!(contacts.is_empty());
    assert_eq!(pages_requested(&server), [10]);
}

#[tokio::test]
async fn an_error_on_page_three_of_five_ends_the_walk_after_two_pages() {
    for concurrency in [1, 4] {
        let server = TestServer::start(|request| match request.page() {
            3 => Reply::status(
                500,
                "text/html",
                "<html><title>Internal Server Error</title></html>",
            ),
            _ => contacts_api(75)(request),
        })
        .await;
        let items: Vec<_> = client(&server.base_url)
            .search("x")
            .paginate()
            .concurrency(concurrency)
            .pages()
            .collect()
            .await;
        assert_eq!(items.len(), 3, "concurrency {concurrency}");
        assert_eq!(
            items[0]
                .as_ref()
                .unwrap()
                .meta
                .current_page
                .as_ref()
                .unwrap()
                .number(),
            Some(1)
        );
        assert_eq!(
            items[1]
                .as_ref()
                .unwrap()
                .meta
                .current_page
                .as_ref()
                .unwrap()
                .number(),
            Some(2)
        );
        match &items[2] {
            Err(Error::Api {
                status, message, ..
            }) => {
                assert_eq!(status.as_u16(), 500);
                assert_eq!(message, "Internal Server Error");
            }
            other => panic!("expected the page 3 error, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_limit_fetches_only_the_pages_it_needs() {
    let server = TestServer::start(contacts_api(3000)).await;
    let client = client(&server.base_url);
    for (limit, pages) in [
        (0, vec![]),
        (1, vec![1]),
        (15, vec![1]),
        (20, vec![1, 2]),
        (45, vec![1, 2, 3]),
    ] {
        server.stats.requests.lock().unwrap().clear();
        let contacts = client
            .search("x")
            .paginate()
            .concurrency(8)
            .limit(limit)
            .collect()
            .await
            .unwrap();
        assert_eq!(ids(&contacts), (1..=limit as i64).collect::<Vec<_>>());
        assert_eq!(pages_requested(&server), pages, "limit {limit}");
    }
}

#[tokio::test]
async fn dropping_the_stream_cancels_every_request_in_flight() {
    let server = TestServer::start(|request| match request.page() {
        1 => contacts_api(3000)(request),
        _ => contacts_api(3000)(request).delay(Duration::from_secs(30)),
    })
    .await;
    let client = client(&server.base_url);
    let mut contacts = Box::pin(client.search("x").paginate().concurrency(4).contacts());
    for id in 1..=15 {
        assert_eq!(contacts.next().await.unwrap().unwrap().id, id);
    }
    // Streams are lazy: asking for contact 16 sends pages 2 to 5, which never answer.
    let waiting = tokio::time::timeout(Duration::from_millis(500), contacts.next()).await;
    assert!(waiting.is_err(), "page 2 cannot have arrived");
    assert_eq!(server.stats.in_flight.load(Ordering::SeqCst), 4);

    drop(contacts);

    assert_eq!(
        server.settle(Duration::from_secs(5)).await,
        0,
        "requests still in flight"
    );
    assert_eq!(server.stats.abandoned.load(Ordering::SeqCst), 4);
    assert_eq!(server.stats.count(), 5);
}

#[tokio::test]
async fn invalid_arguments_end_the_walk_before_any_request() {
    let server = TestServer::start(contacts_api(40)).await;
    let client = client(&server.base_url);
    for (search, refused) in [
        (client.search("x").page(0), "page"),
        (client.search(" "), "q"),
    ] {
        let items: Vec<_> = search.paginate().contacts().collect().await;
        assert!(
            matches!(items.as_slice(), [Err(Error::InvalidArgument { argument, .. })] if *argument == refused),
            "{items:?}"
        );
    }
    assert_eq!(server.stats.count(), 0);
}

/// A function that owns its client can hand out a stream of it.
fn every_contact(
    client: livedesk::Client,
) -> impl futures::Stream<Item = livedesk::Result<livedesk::Contact>> + Send + 'static {
    client.search("x").paginate().contacts()
}

#[tokio::test]
async fn futures_and_streams_can_be_spawned_and_returned() {
    let server = TestServer::start(contacts_api(40)).await;
    let client = client(&server.base_url);

    let first_page = tokio::spawn(client.search("x").send()).await.unwrap();
    assert_eq!(first_page.unwrap().payload.len(), 15);

    let all = tokio::spawn(client.search("x").paginate().collect())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(all.len(), 40);

    let stream = every_contact(client);
    let streamed: Vec<_> = tokio::spawn(stream.try_collect::<Vec<_>>())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ids(&streamed), (1..=40).collect::<Vec<i64>>());
}

/// The streams are `Unpin`: `try_next()` works on them as they are, with no `pin!`.
#[tokio::test]
async fn the_streams_are_polled_without_pin() {
    fn unpin<T: Unpin>(stream: T) -> T {
        stream
    }
    let server = TestServer::start(contacts_api(40)).await;
    let mut contacts = unpin(client(&server.base_url).search("x").paginate().contacts());
    let mut ids = Vec::new();
    while let Some(contact) = contacts.try_next().await.unwrap() {
        ids.push(contact.id);
    }
    assert_eq!(ids.len(), 40);
    let mut pages = unpin(client(&server.base_url).search("x").paginate().pages());
    assert_eq!(pages.try_next().await.unwrap().unwrap().payload.len(), 15);
}
