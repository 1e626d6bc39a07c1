//! The sort the server really applied: the client asks with `direction`, as LiveDesk
//! documents it; against a server that ignores it (the sandbox's upstream switch), it sees
//! the ascending answer, asks with `sort=-field` from then on (clones too), reads the page
//! again and returns the order asked for; when neither form gives it, the search fails.
//! Checked for `send()` and for walks, against the sandbox in both modes.

use livedesk::{
    Client, Error, RetryPolicy, Sandbox, SandboxData, SortDirection, SortField, types::Contact,
};
use serde_json::{Value, json};

use crate::common;
use common::server::{Reply, TestServer};

async fn sandbox(ignore_direction: bool) -> Sandbox {
    Sandbox::builder()
        .contacts(300)
        .ignore_direction(ignore_direction)
        .no_rate_limit()
        .start()
        .await
        .unwrap()
}

fn client(sandbox: &Sandbox) -> Client {
    sandbox
        .client()
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap()
}

fn ids(contacts: &[Contact]) -> Vec<i64> {
    contacts.iter().map(|c| c.id).collect()
}

#[tokio::test]
async fn a_server_that_honours_direction_is_asked_with_it() {
    let sandbox = sandbox(false).await;
    let client = client(&sandbox);
    let search = client
        .search("e")
        .sort(SortField::CreatedAt)
        .direction(SortDirection::Desc);
    let page = search.send().await.unwrap();
    assert!(
        page.payload
            .windows(2)
            .all(|p| p[0].created_at >= p[1].created_at)
    );
    assert!(!client.sorts_descending_with_minus());
    assert_eq!(sandbox.requests(), 1, "no second read");

    // One contact shows no order, and there is none to compare it with: one request, on a
    // server of either kind.
    for ignore_direction in [false, true] {
        let sandbox = self::sandbox(ignore_direction).await;
        let client = self::client(&sandbox);
        let page = client
            .search("support@engagelab.com")
            .sort(SortField::Name)
            .direction(SortDirection::Desc)
            .send()
            .await
            .unwrap();
        assert_eq!(ids(&page.payload), [64464046]);
        assert_eq!(sandbox.requests(), 1);
        assert!(!client.sorts_descending_with_minus());
    }
}

#[tokio::test]
async fn send_learns_that_direction_is_ignored_and_asks_with_minus() {
    let (honest, upstream) = (sandbox(false).await, sandbox(true).await);
    for field in [
        SortField::CreatedAt,
        SortField::LastActivityAt,
        SortField::Name,
        SortField::Email,
        SortField::PhoneNumber,
    ] {
        // A new client each time: each learns it again, from the field it sorts by.
        let client = client(&upstream);
        let before = upstream.requests();
        let search = |client: &Client| {
            client
                .search("e")
                .sort(field)
                .direction(SortDirection::Desc)
        };
        let expected = search(&self::client(&honest)).send().await.unwrap();
        let got = search(&client).send().await.unwrap();
        assert_eq!(ids(&got.payload), ids(&expected.payload), "{field:?}");
        assert!(client.sorts_descending_with_minus(), "{field:?}");
        assert_eq!(
            upstream.requests() - before,
            2,
            "{field:?}: read again once"
        );

        // A clone knows: one request, already in the `sort=-field` form.
        let clone = client.clone();
        let got = search(&clone).page(2_u32).send().await.unwrap();
        let expected = search(&self::client(&honest))
            .page(2_u32)
            .send()
            .await
            .unwrap();
        assert_eq!(
            ids(&got.payload),
            ids(&expected.payload),
            "{field:?} page 2"
        );
        assert_eq!(upstream.requests() - before, 3, "{field:?}");
    }
}

#[tokio::test]
async fn walks_learn_it_too_and_return_every_contact_in_the_order_asked() {
    let (honest, upstream) = (sandbox(false).await, sandbox(true).await);
    for field in [
        SortField::Name,
        SortField::LastActivityAt,
        SortField::CreatedAt,
    ] {
        let walk = |client: Client| {
            client
                .search("e")
                .sort(field)
                .direction(SortDirection::Desc)
                .paginate()
                .concurrency(4)
                .collect()
        };
        let expected = walk(client(&honest)).await.unwrap();
        let client = client(&upstream);
        let got = walk(client.clone()).await.unwrap();
        assert!(got.len() > 200);
        assert_eq!(ids(&got), ids(&expected), "{field:?}");
        assert!(client.sorts_descending_with_minus());
    }
    // The listing of every contact (no `q`) too.
    let newest = |client: Client| {
        client
            .contacts()
            .sort(SortField::LastActivityAt)
            .direction(SortDirection::Desc)
            .paginate()
            .collect()
    };
    let client = client(&upstream);
    let expected = newest(self::client(&honest)).await.unwrap();
    assert_eq!(ids(&newest(client.clone()).await.unwrap()), ids(&expected));
    assert!(client.sorts_descending_with_minus());

    // Ascending needs nothing learnt: both servers agree.
    let ascending = |client: Client| {
        client
            .search("e")
            .sort(SortField::Name)
            .paginate()
            .collect()
    };
    let client = self::client(&upstream);
    let expected = ascending(self::client(&honest)).await.unwrap();
    assert_eq!(
        ids(&ascending(client.clone()).await.unwrap()),
        ids(&expected)
    );
    assert!(!client.sorts_descending_with_minus());
}

/// A contact of the test's own data set: every one matches `q=id-`.
fn contact(id: i64, last_activity_at: i64) -> Value {
    json!({
        "id": id, "name": null, "email": null, "phone_number": null,
        "identifier": format!("id-{id}"), "blocked": false, "thumbnail": "",
        "availability_status": "offline", "additional_attributes": {},
        "custom_attributes": {}, "created_at": id, "last_activity_at": last_activity_at,
    })
}

#[tokio::test]
async fn a_first_page_that_shows_no_order_is_read_both_ways() {
    // Ascending, the first page holds 15 equal keys: nothing to see in it. Read again as
    // `sort=-last_activity_at`, it differs and descends: that form is the true one.
    let data: Vec<Value> = (1..=15)
        .map(|id| contact(id, 100))
        .chain((16..=40).map(|id| contact(id, 100 + id)))
        .collect();
    let upstream = Sandbox::builder()
        .data(SandboxData::from_values(data).unwrap())
        .ignore_direction(true)
        .no_rate_limit()
        .start()
        .await
        .unwrap();
    let client = client(&upstream);
    let all = client
        .search("id-")
        .sort(SortField::LastActivityAt)
        .direction(SortDirection::Desc)
        .paginate()
        .concurrency(1)
        .collect()
        .await
        .unwrap();
    assert!(client.sorts_descending_with_minus());
    let last: Vec<i64> = all.iter().map(|c| c.last_activity_at.unwrap()).collect();
    assert_eq!(all.len(), 40);
    assert!(last.windows(2).all(|p| p[0] >= p[1]), "{last:?}");
}

/// A page of contacts created at `created`, as page `number` of 30.
fn page_of(created: impl IntoIterator<Item = i64>, number: u32) -> Reply {
    let payload: Vec<Value> = created
        .into_iter()
        .map(|at| {
            let mut contact = common::contact(at);
            contact["created_at"] = at.into();
            contact
        })
        .collect();
    Reply::json(&json!({"meta": {"count": 30, "current_page": number}, "payload": payload}))
}

#[tokio::test]
async fn a_walk_that_learns_it_after_pages_it_took_fails_and_the_next_succeeds() {
    // Page 1 is the same in both forms and shows nothing (equal keys, ids 1 to 15, all
    // created at 100 in this server's view); page 2 ascends unless asked `sort=-created_at`.
    let server = TestServer::start(|request| {
        let minus = request.query("sort") == ["-created_at"];
        match request.page() {
            1 => {
                let payload: Vec<Value> = (1..=15)
                    .map(|id| {
                        let mut contact = common::contact(id);
                        contact["created_at"] = 100.into();
                        contact
                    })
                    .collect();
                Reply::json(&json!({"meta": {"count": 30, "current_page": 1}, "payload": payload}))
            }
            2 if minus => page_of((16..=30).rev(), 2),
            2 => page_of(16..=30, 2),
            number => page_of([], number),
        }
    })
    .await;
    let client = common::client(&server.base_url);
    let walk = || {
        client
            .search("x")
            .sort(SortField::CreatedAt)
            .direction(SortDirection::Desc)
            .paginate()
            .concurrency(1)
            .collect()
    };
    match walk().await {
        Err(Error::SortNotApplied {
            field, direction, ..
        }) => assert_eq!(
            (field, direction),
            (SortField::CreatedAt, SortDirection::Desc)
        ),
        other => panic!("a walk read in both forms must fail: {other:?}"),
    }
    assert!(client.sorts_descending_with_minus());
    let again = walk().await.unwrap();
    assert_eq!(
        again.len(),
        30,
        "the next walk asks as `sort=-field` throughout"
    );
    let requests = server.stats.requests();
    let last_walk = requests.iter().rev().take_while(|r| r.page() != 1);
    assert!(last_walk.clone().count() >= 1);
    assert!(
        last_walk
            .clone()
            .all(|r| r.query("sort") == ["-created_at"])
    );
}

/// A page in the order given, whatever the request asks.
fn fixed(created: Vec<i64>) -> impl Fn(&common::server::Request) -> Reply {
    move |_| {
        let payload: Vec<Value> = created
            .iter()
            .enumerate()
            .map(|(n, &at)| {
                let mut contact = common::contact(n as i64 + 1);
                contact["created_at"] = at.into();
                contact
            })
            .collect();
        Reply::json(
            &json!({"meta": {"count": created.len(), "current_page": 1}, "payload": payload}),
        )
    }
}

#[tokio::test]
async fn a_server_that_gives_neither_order_fails_the_search() {
    for (created, direction, what) in [
        (
            &[1, 2, 3][..],
            SortDirection::Desc,
            "with `sort=-created_at`",
        ),
        (&[3, 2, 1][..], SortDirection::Asc, "it sorted descending"),
        (&[1, 3, 2][..], SortDirection::Desc, "neither order"),
    ] {
        let server = TestServer::start(fixed(created.to_vec())).await;
        let client = common::client(&server.base_url);
        let result = client
            .search("x")
            .sort(SortField::CreatedAt)
            .direction(direction)
            .send()
            .await;
        match result {
            Err(error @ Error::SortNotApplied { .. }) => {
                assert!(error.to_string().contains(what), "{error}");
                assert!(!error.to_string().contains("x&"), "no query in the error");
            }
            other => panic!("{created:?} {direction:?}: {other:?}"),
        }
        let requests = server.stats.requests();
        if what.contains("sort=-") {
            // Nothing learnt from a server that ignores both: the next search checks again.
            assert!(!client.sorts_descending_with_minus());
            // Asked both ways: as documented, then as upstream reads it.
            assert_eq!(requests.len(), 2);
            assert_eq!(requests[0].query("direction"), ["desc"]);
            assert_eq!(requests[1].query("sort"), ["-created_at"]);
            assert!(requests[1].query("direction").is_empty());
            assert_eq!(requests[1].query("q"), ["x"]);
        }
    }
}

/// Review 101: a database whose ctype is `C` lowers ASCII alone (`LOWER('Élise')` is
/// `Élise`), so upstream's ascending order by name puts `Zoe` before `Élise` before
/// `élise`. The client lowered every letter, read `élise martin` before `élise dupont` as a
/// descending pair, and refused the page with `SortNotApplied`.
#[tokio::test]
async fn a_name_order_under_a_c_ctype_is_not_refused() {
    use common::server::{Reply, TestServer};
    use serde_json::json;

    let server = TestServer::start(|request| {
        let payload: Vec<_> = [(3, "Zoe Lise"), (2, "Élise Martin"), (1, "élise dupont")]
            .into_iter()
            .map(|(id, name)| {
                let mut contact = common::contact(id);
                contact["name"] = json!(name);
                contact
            })
            .collect();
        Reply::json(
            &json!({"meta": {"count": 3, "current_page": request.page()}, "payload": payload}),
        )
    })
    .await;
    let page = common::client(&server.base_url)
        .search("lise")
        .sort(livedesk::SortField::Name)
        .send()
        .await
        .unwrap();
    let ids: Vec<i64> = page.payload.iter().map(|c| c.id).collect();
    assert_eq!(ids, [3, 2, 1]);
}
