//! The sandbox reads and answers a search as the upstream server (Chatwoot) does, checked
//! over HTTP on a small data set built here, whose expected orders are written out by hand:
//! `sort=-field`, nulls and case in every sort, ties, unknown sort keys, labels in every
//! form, pages in every form, `include_contact_inboxes=`, the strip of `q`, and the throttle
//! before authentication. Each rule's source is cited where the sandbox implements it
//! (src/sandbox/query.rs, src/sandbox/server.rs).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use livedesk::{ContactList, Sandbox, SandboxData};
use serde_json::{Value, json};

const PATH: &str = "/api/v2/accounts/contacts";

/// A contact that decodes as the crate's `Contact`, with `fields` over the defaults. Every
/// one has the identifier `id-N`, so `q=id-` finds them all, and each is resolved.
fn contact(id: i64, fields: Value) -> Value {
    let mut contact = json!({
        "id": id,
        "name": null,
        "email": null,
        "phone_number": null,
        "identifier": format!("id-{id}"),
        "blocked": false,
        "thumbnail": "",
        "availability_status": "offline",
        "additional_attributes": {},
        "custom_attributes": {},
        "created_at": 0,
    });
    for (key, value) in fields.as_object().unwrap() {
        contact[key] = value.clone();
    }
    contact
}

/// Five contacts whose every sort has nulls, ties and case to get right.
fn five() -> Vec<Value> {
    vec![
        contact(
            1,
            json!({"name": "bob", "email": "B@x.io", "phone_number": "+2", "created_at": 100,
                "last_activity_at": 500, "labels": ["VIP"],
                "additional_attributes": {"company_name": "acme", "city": "Zurich"}}),
        ),
        contact(
            2,
            json!({"name": "Alice", "phone_number": "+1", "created_at": 200, "labels": ["beta"],
                "additional_attributes": {"company_name": "Beta", "country": "Chile"}}),
        ),
        contact(
            3,
            json!({"email": "a@x.io", "created_at": 300, "last_activity_at": 700, "labels": [],
                "additional_attributes": {"city": "aachen", "country": "chile"}}),
        ),
        contact(
            4,
            json!({"name": "alice", "email": "c@x.io", "phone_number": "+3", "created_at": 100,
                "last_activity_at": 600, "labels": ["vip", "lead"],
                "additional_attributes": {"company_name": "acme", "city": "Zurich", "country": "Chile"}}),
        ),
        contact(
            5,
            json!({"name": "", "created_at": 400, "last_activity_at": null,
                "additional_attributes": {"company_name": "Acme"}}),
        ),
    ]
}

async fn start(data: Vec<Value>, ignore_direction: bool) -> Sandbox {
    Sandbox::builder()
        .data(SandboxData::from_values(data).unwrap())
        .ignore_direction(ignore_direction)
        .no_rate_limit()
        .start()
        .await
        .unwrap()
}

fn http() -> reqwest::Client {
    thread_local!(static CLIENT: reqwest::Client = reqwest::Client::new());
    CLIENT.with(Clone::clone)
}

async fn get(sandbox: &Sandbox, query: &str, secret: &str) -> (u16, String) {
    let response = http()
        .get(format!("{}{PATH}?{query}", sandbox.base_url()))
        .basic_auth("sandbox-key", Some(secret))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// The page's body, decoded as the crate's own type (every answer must decode) and as JSON.
async fn ok(sandbox: &Sandbox, query: &str) -> Value {
    let (status, body) = get(sandbox, query, "sandbox-secret").await;
    assert_eq!(status, 200, "{query}: {body}");
    serde_json::from_str::<ContactList>(&body).unwrap_or_else(|e| panic!("{query}: {e}"));
    serde_json::from_str(&body).unwrap()
}

async fn ids(sandbox: &Sandbox, query: &str) -> Vec<i64> {
    ok(sandbox, query).await["payload"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect()
}

/// Each field's order both ways, written out: name, email and phone number by their lower
/// case with nulls last ascending and first descending; the timestamps and the raw text of
/// company, city and country with nulls last both ways; ties in id order. Text compares by
/// code point, as the sandbox does (upstream's database sorts by its collation, which may
/// order case and accents otherwise: docs/sandbox.md).
const ORDERS: &[(&str, [i64; 5], [i64; 5])] = &[
    ("name", [5, 2, 4, 1, 3], [3, 1, 2, 4, 5]),
    ("email", [3, 1, 4, 2, 5], [2, 5, 4, 1, 3]),
    ("phone_number", [2, 1, 4, 3, 5], [3, 5, 4, 1, 2]),
    ("created_at", [1, 4, 2, 3, 5], [5, 3, 2, 1, 4]),
    ("last_activity_at", [1, 4, 3, 2, 5], [3, 4, 1, 2, 5]),
    ("company", [5, 2, 1, 4, 3], [1, 4, 2, 5, 3]),
    ("city", [1, 4, 3, 2, 5], [3, 1, 4, 2, 5]),
    ("country", [2, 4, 3, 1, 5], [3, 2, 4, 1, 5]),
];

#[tokio::test]
async fn every_sort_both_ways_with_nulls_case_and_ties_as_upstream() {
    let sandbox = start(five(), false).await;
    for &(field, asc, desc) in ORDERS {
        assert_eq!(
            ids(&sandbox, &format!("q=id-&sort={field}")).await,
            asc,
            "{field}"
        );
        for query in [
            format!("q=id-&sort={field}&direction=asc"),
            format!("q=id-&sort={field}&direction=ASC"),
        ] {
            assert_eq!(ids(&sandbox, &query).await, asc, "{query}");
        }
        for query in [
            format!("q=id-&sort={field}&direction=desc"),
            format!("q=id-&sort=-{field}"),
            format!("q=id-&sort=-{field}&direction=desc"),
        ] {
            assert_eq!(ids(&sandbox, &query).await, desc, "{query}");
        }
    }
}

#[tokio::test]
async fn the_upstream_switch_ignores_direction() {
    let sandbox = start(five(), true).await;
    for &(field, asc, desc) in ORDERS {
        assert_eq!(
            ids(&sandbox, &format!("q=id-&sort={field}&direction=desc")).await,
            asc,
            "{field}: direction is never read upstream"
        );
        assert_eq!(
            ids(&sandbox, &format!("q=id-&sort=-{field}")).await,
            desc,
            "{field}"
        );
    }
}

#[tokio::test]
async fn unknown_sort_keys_are_ignored_not_refused() {
    let sandbox = start(five(), false).await;
    let unsorted = ids(&sandbox, "q=id-").await;
    assert_eq!(unsorted.len(), 5);
    for sort in ["shoe_size", "Name", "CREATED_AT", "-", "--name", ""] {
        let query = format!("q=id-&sort={sort}&direction=desc");
        assert_eq!(ids(&sandbox, &query).await, unsorted, "{query}");
    }
}

#[tokio::test]
async fn labels_are_split_stripped_and_matched_ignoring_case() {
    let sandbox = start(five(), false).await;
    for (labels, expected) in [
        ("labels=vip", &[1, 4][..]),
        ("labels=VIP,beta", &[1, 4, 2]),
        ("labels=%20lead%20", &[4]),
        ("labels[]=Vip,%20LEAD&labels[]=beta", &[1, 4, 2]),
        ("labels[]=lead", &[4]),
        ("labels[]=nobody", &[]),
        // A blank `labels` is no filter; an array holding blanks filters out everyone.
        ("labels=", &[1, 4, 2, 3, 5]),
        ("labels=%20", &[1, 4, 2, 3, 5]),
        ("labels[]=", &[]),
        ("labels[]=,%20", &[]),
        ("labels=%20,%20", &[]),
    ] {
        let query = format!("q=id-&sort=created_at&{labels}");
        assert_eq!(ids(&sandbox, &query).await, expected, "{query}");
    }
}

#[tokio::test]
async fn pages_are_read_as_ruby_reads_them_and_echoed_raw() {
    // 40 contacts: three pages, in created order.
    let data: Vec<Value> = (1..=40)
        .map(|id| contact(id, json!({"created_at": id})))
        .collect();
    let sandbox = start(data, false).await;
    for (page, first_id, echoed) in [
        ("%2B2", Some(16), json!("+2")),
        ("1_0", None, json!("1_0")),
        ("2.9", Some(16), json!("2.9")),
        ("3abc", Some(31), json!("3abc")),
        ("%203", Some(31), json!(" 3")),
        ("abc", Some(1), json!("abc")),
        ("0", Some(1), json!("0")),
        ("-1", Some(1), json!("-1")),
        ("", Some(1), json!("")),
    ] {
        let body = ok(&sandbox, &format!("q=id-&sort=created_at&page={page}")).await;
        assert_eq!(body["meta"]["current_page"], echoed, "page={page}");
        assert_eq!(body["meta"]["count"], 40, "page={page}");
        assert_eq!(
            body["payload"][0]["id"].as_i64(),
            first_id,
            "page={page}: page {}",
            first_id.map_or(10, |id| (id - 1) / 15 + 1)
        );
    }
}

#[tokio::test]
async fn a_blank_include_contact_inboxes_is_true() {
    let data = vec![contact(1, json!({"contact_inboxes": []}))];
    let sandbox = start(data, false).await;
    for (query, present) in [
        ("q=id-", true),
        ("q=id-&include_contact_inboxes=", true),
        ("q=id-&include_contact_inboxes=%20", true),
        ("q=id-&include_contact_inboxes=true", true),
        ("q=id-&include_contact_inboxes=false", false),
        ("q=id-&include_contact_inboxes=1", false),
    ] {
        let body = ok(&sandbox, query).await;
        assert_eq!(
            body["payload"][0].get("contact_inboxes").is_some(),
            present,
            "{query}"
        );
    }
}

#[tokio::test]
async fn q_is_stripped_of_ascii_whitespace_only() {
    let data = vec![
        contact(1, json!({"name": "山田\u{3000}太郎"})),
        contact(2, json!({"name": "山田 太郎"})),
    ];
    let sandbox = start(data, false).await;
    // Tab, line feed and spaces go; an ideographic space stays and must match.
    assert_eq!(ids(&sandbox, "q=%09%0A%20id-1%20%0D").await, [1]);
    assert_eq!(ids(&sandbox, "q=%E3%80%80%E5%A4%AA%E9%83%8E").await, [1]);
    assert_eq!(ids(&sandbox, "q=%20%E5%A4%AA%E9%83%8E").await.len(), 2);
}

/// Waits out the rest of an hour-long window when it ends within a few seconds.
async fn away_from_a_window_end(window: Duration) {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let left = window.as_nanos() - now.as_nanos() % window.as_nanos();
    if left < Duration::from_secs(10).as_nanos() {
        tokio::time::sleep(Duration::from_nanos(left as u64 + 1_000_000)).await;
    }
}

#[tokio::test]
async fn the_throttle_counts_bad_credentials_before_checking_them() {
    let window = Duration::from_secs(3600);
    away_from_a_window_end(window).await;
    let sandbox = Sandbox::builder()
        .data(SandboxData::from_values(five()).unwrap())
        .rate_limit(3, window)
        .start()
        .await
        .unwrap();
    for _ in 0..3 {
        let (status, body) = get(&sandbox, "q=id-", "wrong").await;
        assert_eq!(
            (status, &*body),
            (401, r#"{"error":"Invalid Access Token"}"#)
        );
    }
    // The window is spent by requests that were refused: the right key pair waits too,
    // and so does a wrong one (throttled before its credentials are read).
    let (status, body) = get(&sandbox, "q=id-", "sandbox-secret").await;
    assert_eq!((status, &*body), (429, "Retry later\n"));
    let (status, _) = get(&sandbox, "q=id-", "wrong").await;
    assert_eq!(status, 429);
    assert_eq!(sandbox.requests(), 5);
}

#[tokio::test]
async fn a_sort_list_applies_in_the_controllers_order_of_keys() {
    let sandbox = start(five(), true).await;
    // procore-sift splits `sort` on commas and applies the controller's `sort_on`s in their
    // declared order (name before created_at): alice (2) and alice (4) tie on the name, and
    // the creation order breaks the tie, whichever key the list names first.
    for sort in [
        "created_at,-name",
        "-name,created_at",
        "name,created_at,-name",
    ] {
        let query = format!("q=id-&sort={sort}");
        assert_eq!(ids(&sandbox, &query).await, [3, 1, 4, 2, 5], "{query}");
    }
    // Without the second key, the tie is the sandbox's own (by id).
    assert_eq!(ids(&sandbox, "q=id-&sort=-name").await, [3, 1, 2, 4, 5]);
    // Keys with spaces around them are not keys.
    assert_eq!(
        ids(&sandbox, "q=id-&sort=-name,%20created_at").await,
        [3, 1, 2, 4, 5]
    );
}
