//! Exports on a living account: a walk's position saved and resumed across deletions and
//! arrivals, and walks bounded by creation time that find their start by binary search.

use crate::common;

use std::{
    collections::BTreeSet,
    sync::{Arc, Mutex},
};

use common::{
    client, contact,
    server::{Reply, TestServer},
};
use futures::{StreamExt, TryStreamExt};
use livedesk::{Contact, Error, Position, Sandbox, SortDirection, SortField, WalkError};
use proptest::prelude::*;
use serde_json::json;

/// An account whose contacts (id, created_at) can change between requests, served sorted by
/// creation (ties by id), 15 a page, with the total.
#[derive(Clone, Default)]
struct Account(Arc<Mutex<Vec<(i64, i64)>>>);

impl Account {
    fn new(contacts: impl IntoIterator<Item = (i64, i64)>) -> Self {
        let account = Account::default();
        account.0.lock().unwrap().extend(contacts);
        account
    }

    fn handler(&self) -> impl Fn(&common::server::Request) -> Reply + Send + Sync + 'static {
        let data = self.0.clone();
        move |request| {
            let mut contacts = data.lock().unwrap().clone();
            contacts.sort_by_key(|&(id, at)| (at, id));
            let p = request.page() as usize;
            let payload: Vec<_> = contacts
                .iter()
                .skip((p - 1) * 15)
                .take(15)
                .map(|&(id, at)| {
                    let mut c = contact(id);
                    c["created_at"] = at.into();
                    c
                })
                .collect();
            Reply::json(&json!({
                "meta": {"count": contacts.len(), "current_page": p},
                "payload": payload,
            }))
        }
    }

    fn ids(&self) -> BTreeSet<i64> {
        self.0.lock().unwrap().iter().map(|&(id, _)| id).collect()
    }
}

fn walk_of(client: &livedesk::Client) -> livedesk::Paginator {
    client
        .contacts()
        .sort(SortField::CreatedAt)
        .direction(SortDirection::Asc)
        .paginate()
}

/// Takes `n` contacts from a walk, advancing and saving the position after each, as an
/// export does; the walk is then dropped (the process dies).
async fn take(walk: livedesk::Paginator, mut position: Position, n: usize) -> (Vec<i64>, String) {
    let mut got = Vec::new();
    let mut saved = serde_json::to_string(&position).unwrap();
    let mut contacts = Box::pin(walk.contacts());
    while got.len() < n {
        let Some(contact) = contacts.try_next().await.unwrap() else {
            break;
        };
        got.push(contact.id);
        position.advance(&contact);
        saved = serde_json::to_string(&position).unwrap();
    }
    (got, saved)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..Default::default() })]

    /// A walk interrupted at a random contact and resumed in "another process" from its
    /// saved position, with contacts deleted and added in between (ties in creation time
    /// included): across both runs, every contact that existed throughout comes out exactly
    /// once, and nothing deleted before it was reached.
    #[test]
    fn a_resumed_walk_yields_every_surviving_contact_once(
        initial in 1_usize..120,
        stop_after in 0_usize..120,
        deleted in proptest::collection::vec(0_usize..120, 0..10),
        added in 0_usize..20,
        tie_every in 1_i64..4,
    ) {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            // Creation times with ties: `tie_every` contacts share each second.
            let account = Account::new((0..initial as i64).map(|i| (1_000 + i, 1_000 + i / tie_every)));
            let server = TestServer::start(account.handler()).await;
            let client = client(&server.base_url);

            let walk = walk_of(&client);
            let start = walk.position();
            let (first, saved) = take(walk, start, stop_after).await;

            // Between the runs: deletions anywhere, arrivals at the end.
            let before: BTreeSet<i64> = account.ids();
            {
                let mut data = account.0.lock().unwrap();
                // Arrivals are created after every contact that ever existed: the clock does
                // not go back to a deleted contact's second.
                let last = data.iter().map(|&(_, at)| at).max().unwrap_or(1_000);
                for index in &deleted {
                    if *index < data.len() {
                        data.remove(*index);
                    }
                }
                data.extend((0..added as i64).map(|i| (5_000 + i, last + 1 + i)));
            }
            let survivors: BTreeSet<i64> = before.intersection(&account.ids()).copied().collect();

            let position: Position = serde_json::from_str(&saved).unwrap();
            let rest: Vec<i64> = walk_of(&client)
                .resume(position)
                .unwrap()
                .collect()
                .await
                .unwrap()
                .iter()
                .map(|c| c.id)
                .collect();

            let all: Vec<i64> = first.iter().chain(&rest).copied().collect();
            let unique: BTreeSet<i64> = all.iter().copied().collect();
            prop_assert_eq!(unique.len(), all.len(), "a contact came out twice: {:?} then {:?}", first, rest);
            for id in &survivors {
                prop_assert!(unique.contains(id), "contact {} missing: {:?} then {:?}", id, first, rest);
            }
            for id in 5_000..5_000 + added as i64 {
                prop_assert!(unique.contains(&id), "arrival {} missing", id);
            }
            Ok(())
        })?;
    }
}

#[tokio::test]
async fn a_position_round_trips_and_is_refused_by_another_search_or_version() {
    let account = Account::new((1..=40).map(|id| (id, 100 + id)));
    let server = TestServer::start(account.handler()).await;
    let client = client(&server.base_url);
    let walk = walk_of(&client);
    let mut position = walk.position();
    let mut contact: Contact = serde_json::from_value(common::contact(5)).unwrap();
    contact.created_at = Some(105);
    position.advance(&contact);
    let json = serde_json::to_string(&position).unwrap();
    assert!(json.contains(r#""version":1"#), "{json}");
    let back: Position = serde_json::from_str(&json).unwrap();
    assert_eq!(back, position);
    assert_eq!(back.created_at(), Some(105));

    let rest = walk.clone().resume(back).unwrap().collect().await.unwrap();
    assert_eq!(
        rest.iter().map(|c| c.id).collect::<Vec<_>>(),
        (6..=40).collect::<Vec<_>>()
    );
    // A walk bounded by `created_after` starts past its bound (review 91: its position was
    // the search's start, so a day with no new contacts saved one that exported them all).
    let bounded = walk.clone().created_after(120).position();
    assert_eq!(bounded.created_at(), Some(121));
    let rest = walk
        .clone()
        .resume(bounded)
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert_eq!(
        rest.iter().map(|c| c.id).collect::<Vec<_>>(),
        (21..=40).collect::<Vec<_>>()
    );

    let refused = |result: livedesk::Result<livedesk::Paginator>| match result {
        Err(Error::InvalidArgument {
            argument, reason, ..
        }) => {
            assert_eq!(argument, "position");
            reason
        }
        other => panic!("{other:?}"),
    };
    let other_search = client
        .contacts()
        .label("vip")
        .sort(SortField::CreatedAt)
        .paginate()
        .resume(position.clone());
    assert!(refused(other_search).contains("another search"));
    let newer: Position =
        serde_json::from_str(&json.replace(r#""version":1"#, r#""version":2"#)).unwrap();
    assert!(refused(walk.clone().resume(newer)).contains("version 2"));
    let newest_first = client
        .contacts()
        .sort(SortField::CreatedAt)
        .direction(SortDirection::Desc)
        .paginate();
    let position = newest_first.position();
    assert!(refused(newest_first.resume(position)).contains("oldest first"));
    // The query is not in the saved position: it is personal data.
    let search = client
        .search("ada@example.com")
        .sort(SortField::CreatedAt)
        .paginate();
    let saved = serde_json::to_string(&search.position()).unwrap();
    assert!(!saved.contains("ada"), "{saved}");
    assert!(!format!("{:?}", search.position()).contains("ada"));
}

/// The sandbox's pages, read one by one: the first page a full walk reaches holding a
/// contact created after `time`.
async fn first_page_after(sandbox: &Sandbox, time: i64) -> Option<u32> {
    let client = sandbox.client().build().unwrap();
    let mut page = 1;
    loop {
        let list = client
            .contacts()
            .sort(SortField::CreatedAt)
            .page(page)
            .send()
            .await
            .unwrap();
        if list.payload.is_empty() {
            return None;
        }
        if list.payload.iter().any(|c| c.created_at.unwrap() > time) {
            return Some(page);
        }
        page += 1;
    }
}

#[tokio::test]
async fn created_after_finds_its_start_by_binary_search() {
    let sandbox = Sandbox::builder()
        .contacts(3_000)
        .no_rate_limit()
        .start()
        .await
        .unwrap();
    let client = sandbox.client().build().unwrap();
    let all = client
        .contacts()
        .sort(SortField::CreatedAt)
        .paginate()
        .concurrency(8)
        .collect()
        .await
        .unwrap();
    let times: Vec<i64> = all.iter().map(|c| c.created_at.unwrap()).collect();
    let pages = all.len().div_ceil(15) as f64;
    let first = times[0];
    let last = *times.last().unwrap();
    // Before the first contact, after the last, on a contact's second, between two pages.
    for time in [
        first - 1,
        last,
        last + 100,
        times[700],
        times[1_500 - 1],
        times[1_500] - 1,
    ] {
        let expected: Vec<i64> = all
            .iter()
            .filter(|c| c.created_at.unwrap() > time)
            .map(|c| c.id)
            .collect();
        let before = sandbox.requests();
        let mut pages_seen = Vec::new();
        let mut walk = Box::pin(
            client
                .contacts()
                .paginate()
                .created_after(time)
                .concurrency(1)
                .pages(),
        );
        let mut got = Vec::new();
        while let Some(page) = walk.try_next().await.unwrap() {
            pages_seen.push(page.meta.page().unwrap());
            got.extend(page.payload.iter().map(|c| c.id));
        }
        assert_eq!(got, expected, "after {time}");
        let requests = sandbox.requests() - before;
        let walked = expected.len().div_ceil(15) as u64;
        let search = pages.log2().ceil() as u64 + 1;
        assert!(
            requests <= search + walked + 2,
            "after {time}: {requests} requests for {walked} pages of results"
        );
        // The walk starts at most one page before the one a full walk reaches.
        if let (Some(reached), Some(&started)) =
            (first_page_after(&sandbox, time).await, pages_seen.first())
        {
            assert!(
                started == reached || started + 1 == reached,
                "after {time}: started at {started}, a full walk reaches {reached}"
            );
        }
    }

    // Between two times: only what was created in between, and the walk stops there.
    let (from, to) = (times[100], times[400]);
    let before = sandbox.requests();
    let between = client
        .contacts()
        .paginate()
        .created_after(from)
        .created_before(to)
        .concurrency(1)
        .collect()
        .await
        .unwrap();
    assert_eq!(
        between.iter().map(|c| c.id).collect::<Vec<_>>(),
        all[101..400].iter().map(|c| c.id).collect::<Vec<_>>()
    );
    assert!(sandbox.requests() - before <= 14 + 21 + 2);

    // Another sort is refused by the walk's first item.
    let error = client
        .contacts()
        .sort(SortField::Name)
        .paginate()
        .created_after(from)
        .collect()
        .await
        .unwrap_err();
    assert!(
        matches!(
            &error,
            Error::InvalidArgument {
                argument: "created_after",
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_start_that_moved_before_the_walk_read_it_fails_the_walk() {
    // 60 contacts; the binary search reads pages 1, 3 and 2 and picks page 1 (the one before
    // the first to reach the bound) as a margin; but before the walk reads page 2 again...
    // the server deletes 20 contacts from the front, so page 2 now begins past the bound.
    let account = Account::new((1..=90).map(|id| (id, 100 + id)));
    let served = Arc::new(Mutex::new(0_u32));
    let handler = account.handler();
    let shrinking = account.clone();
    let counter = served.clone();
    let server = TestServer::start(move |request| {
        let mut n = counter.lock().unwrap();
        *n += 1;
        if *n == 4 {
            shrinking.0.lock().unwrap().drain(..30);
        }
        handler(request)
    })
    .await;
    let result = walk_of(&client(&server.base_url))
        .created_after(160)
        .concurrency(1)
        .collect()
        .await;
    assert!(
        matches!(
            result,
            Err(Error::Walk(
                WalkError::StartMoved { .. } | WalkError::CountFell { .. }
            ))
        ),
        "{result:?}"
    );
}

fn timed(id: i64, created_at: Option<i64>) -> serde_json::Value {
    let mut value = contact(id);
    value["created_at"] = created_at.map_or(serde_json::Value::Null, Into::into);
    value
}

/// Contacts of one second (ids 14 to 17) straddle pages 1 and 2, and the server orders
/// them differently on each page (no tie-breaker upstream): a walk that ends at a time bound
/// fails rather than end short, naming the tie.
#[tokio::test]
async fn a_walk_ended_by_a_time_bound_fails_when_a_reordered_tie_hid_a_contact() {
    let at = |id: i64| {
        if (14..=17).contains(&id) {
            1014
        } else {
            1000 + id
        }
    };
    let server = TestServer::start(move |request| {
        let page = request.page() as usize;
        let mut order: Vec<i64> = (1..=30).collect();
        if page >= 2 {
            order[13..17].reverse();
        }
        let payload: Vec<_> = order
            .iter()
            .skip((page - 1) * 15)
            .take(15)
            .map(|&id| timed(id, Some(at(id))))
            .collect();
        Reply::json(&json!({"meta": {"count": 30, "current_page": page}, "payload": payload}))
    })
    .await;
    let result = client(&server.base_url)
        .contacts()
        .paginate()
        .created_before(1025)
        .concurrency(1)
        .collect()
        .await;
    let error = result.unwrap_err();
    assert!(
        matches!(
            error,
            Error::Walk(WalkError::Tie {
                created_at: 1014,
                first_page: 1,
                last_page: 2,
                size: 4,
                missing: 2,
                ..
            })
        ),
        "{error:?}"
    );
}

/// Contacts without a creation time (sorted last, as PostgreSQL sorts NULLs) cannot be placed
/// by a walk bounded by time: it fails on them, after what precedes them, never skipping.
#[tokio::test]
async fn a_walk_by_time_fails_on_a_contact_without_one_and_skips_nothing_before() {
    let all: Vec<serde_json::Value> = (1..=100)
        .map(|id| timed(id, (id <= 40).then_some(1000 + id)))
        .collect();
    let server = TestServer::start(move |request| {
        let page = request.page() as usize;
        let payload: Vec<_> = all.iter().skip((page - 1) * 15).take(15).cloned().collect();
        Reply::json(&json!({"meta": {"count": 100, "current_page": page}, "payload": payload}))
    })
    .await;
    let items: Vec<_> = walk_of(&client(&server.base_url))
        .created_after(1020)
        .concurrency(1)
        .contacts()
        .collect::<Vec<_>>()
        .await;
    let ids: Vec<i64> = items
        .iter()
        .filter_map(|c| c.as_ref().ok())
        .map(|c| c.id)
        .collect();
    assert_eq!(
        ids,
        (21..=30).collect::<Vec<_>>(),
        "what precedes the first untimed page"
    );
    assert!(
        matches!(items.last(), Some(Err(Error::Decode { path, .. })) if path.ends_with("created_at")),
        "{:?}",
        items.last()
    );
}

/// A walk bounded by `created_after`, or resumed from a position past its start, finds its
/// first page by creation time: a `page` set on its search was dropped (`page(3)` with
/// `created_after(0)` yielded pages 1 and 2 as well), where a walk without a bound starts at
/// it. It is refused, before any request.
#[tokio::test]
async fn a_page_is_refused_on_a_walk_whose_start_is_found_by_creation_time() {
    let sandbox = common::sandbox(60).await;
    let client = common::sandbox_client(&sandbox);
    let sorted = || client.contacts().sort(SortField::CreatedAt);
    let all = sorted().paginate().collect().await.unwrap();
    let from_page_3 = sorted().page(3).paginate().collect().await.unwrap();
    assert_eq!(from_page_3.len(), all.len() - 30);

    let refused = |result: livedesk::Result<Vec<Contact>>| match result {
        Err(Error::InvalidArgument { argument, .. }) => assert_eq!(argument, "page"),
        other => panic!("{:?}", other.map(|contacts| contacts.len())),
    };
    let before = sandbox.requests();
    refused(sorted().page(3).paginate().created_after(0).collect().await);
    let mut position = sorted().paginate().position();
    position.advance(&all[5]);
    let resumed = sorted()
        .page(3)
        .paginate()
        .resume(position.clone())
        .unwrap();
    refused(resumed.collect().await);
    assert_eq!(sandbox.requests(), before, "no request for a refused walk");

    // Without a page, both run; a position at the walk's start keeps the page.
    let after = sorted()
        .paginate()
        .resume(position)
        .unwrap()
        .collect()
        .await;
    assert_eq!(after.unwrap().len(), all.len() - 6);
    let start = sorted().paginate().position();
    let resumed = sorted().page(3).paginate().resume(start).unwrap();
    assert_eq!(resumed.collect().await.unwrap().len(), from_page_3.len());
}

/// Review 116: page 1 is where a walk starts anyway, and drops nothing of one whose start is
/// found by creation time: `page(1)` (a page option that defaults to 1) is not refused.
#[tokio::test]
async fn page_1_is_kept_on_a_walk_whose_start_is_found_by_creation_time() {
    let sandbox = common::sandbox(60).await;
    let client = common::sandbox_client(&sandbox);
    let sorted = || client.contacts().sort(SortField::CreatedAt);
    let all = sorted().paginate().collect().await.unwrap();
    let after = all[20].created_at.unwrap();
    let bounded = sorted()
        .page(1)
        .paginate()
        .created_after(after)
        .collect()
        .await;
    let expected = all.iter().filter(|c| c.created_at.unwrap() > after).count();
    assert_eq!(bounded.unwrap().len(), expected);
    let mut position = sorted().paginate().position();
    position.advance(&all[5]);
    let resumed = sorted().page(1).paginate().resume(position).unwrap();
    assert_eq!(resumed.collect().await.unwrap().len(), all.len() - 6);
    // Page 0 is still refused, not replaced by the start, and as an invalid page (it was
    // told to leave the page unset, as if page 0 were past the start), before any request
    // (the search for the start sent its own pages first: review 120).
    let before = sandbox.requests();
    let zero = sorted()
        .page(0)
        .paginate()
        .created_after(after)
        .collect()
        .await;
    let mut position = sorted().paginate().position();
    position.advance(&all[20]);
    let zero_resumed = sorted()
        .page(0)
        .paginate()
        .resume(position)
        .unwrap()
        .collect()
        .await;
    assert_eq!(sandbox.requests(), before, "no request for a refused walk");
    let plain = sorted().page(0).send().await;
    for zero in [zero, zero_resumed] {
        match (zero, &plain) {
            (
                Err(Error::InvalidArgument {
                    argument: "page",
                    reason,
                    ..
                }),
                Err(Error::InvalidArgument {
                    reason: plain_reason,
                    ..
                }),
            ) => assert_eq!(&reason, plain_reason),
            other => panic!("{other:?}"),
        }
    }
}
