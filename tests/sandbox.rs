//! The sandbox behaves as `openapi/livedesk.yaml` and `shared/API-NOTES.md` describe: every
//! parameter, every error, the rate limit and the injected faults, checked over HTTP, and
//! every body it sends valid against the spec's schema for its status.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use livedesk::{
    Client, Contact, Credentials, Error, RetryPolicy, Sandbox, SortDirection, SortField,
};
use serde_json::Value;

const PATH: &str = "/api/v2/accounts/contacts";

use crate::common;
use common::{sandbox, sandbox_client as client};

/// A raw GET with the sandbox's credentials (or none): status, headers, body.
async fn get(
    sandbox: &Sandbox,
    query: &str,
    auth: Option<(&str, &str)>,
) -> (u16, reqwest::header::HeaderMap, String) {
    let mut request = http().get(format!("{}{PATH}?{query}", sandbox.base_url()));
    if let Some((key, secret)) = auth {
        request = request.basic_auth(key, Some(secret));
    }
    let response = request.send().await.unwrap();
    let (status, headers) = (response.status().as_u16(), response.headers().clone());
    let body = response.text().await.unwrap();
    validate(status, &headers, &body);
    (status, headers, body)
}

/// One HTTP client per test thread (each test has its own runtime, and a client's
/// connections belong to the runtime they were opened on).
fn http() -> reqwest::Client {
    thread_local!(static CLIENT: reqwest::Client = reqwest::Client::new());
    CLIENT.with(Clone::clone)
}

async fn get_ok(sandbox: &Sandbox, query: &str) -> Value {
    let (status, _, body) = get(sandbox, query, Some(("sandbox-key", "sandbox-secret"))).await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

async fn everyone(client: &Client, q: &str) -> Vec<Contact> {
    client.search(q).paginate().collect().await.unwrap()
}

#[tokio::test]
async fn credentials_are_checked_with_the_real_401_bodies() {
    let sandbox = sandbox(20).await;
    let (status, _, body) = get(&sandbox, "q=ada", None).await;
    assert_eq!(
        (status, &*body),
        (
            401,
            r#"{"errors":["You need to sign in or sign up before continuing."]}"#
        )
    );
    let (status, _, body) = get(&sandbox, "q=ada", Some(("sandbox-key", "wrong"))).await;
    assert_eq!(
        (status, &*body),
        (401, r#"{"error":"Invalid Access Token"}"#)
    );

    let wrong = Client::builder(Credentials::new("sandbox-key", "wrong").unwrap())
        .base_url(sandbox.base_url())
        .build()
        .unwrap();
    match wrong.search("ada").send().await {
        Err(Error::Api {
            status, message, ..
        }) => {
            assert_eq!((status.as_u16(), &*message), (401, "Invalid Access Token"));
        }
        other => panic!("expected a 401, got {other:?}"),
    }
    let custom = Sandbox::builder()
        .credentials(Credentials::new("k2", "s2").unwrap())
        .start()
        .await
        .unwrap();
    assert_eq!(get(&custom, "q=ada", Some(("k2", "s2"))).await.0, 200);
    assert_eq!(
        get(&custom, "q=ada", Some(("sandbox-key", "sandbox-secret")))
            .await
            .0,
        401
    );
}

#[tokio::test]
async fn the_auth_scheme_is_read_in_any_case_and_a_dropped_sandbox_stops() {
    let sandbox = sandbox(20).await;
    let url = format!("{}{PATH}?q=ada", sandbox.base_url());
    let token = "c2FuZGJveC1rZXk6c2FuZGJveC1zZWNyZXQ="; // sandbox-key:sandbox-secret
    for scheme in ["Basic", "basic", "BASIC"] {
        let response = http()
            .get(&url)
            .header("authorization", format!("{scheme} {token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{scheme}");
    }
    let client = client(&sandbox);
    client.search("ada").send().await.unwrap();
    drop(sandbox);
    // The client's open connection is closed too, not only the listener.
    assert!(matches!(
        client.search("ada").send().await,
        Err(Error::Transport(_))
    ));
}

#[tokio::test]
async fn a_blank_q_is_an_empty_page_with_a_null_count_and_no_q_lists_everyone() {
    let sandbox = sandbox(20).await;
    let auth = Some(("sandbox-key", "sandbox-secret"));
    // Upstream's search action returns before searching when `q` is blank.
    for query in ["q=", "q=+++", "q=%20%09%0B", "q=&page=2"] {
        let (status, _, body) = get(&sandbox, query, auth).await;
        let page = if query.contains("page=2") {
            "\"2\""
        } else {
            "1"
        };
        assert_eq!(
            (status, body),
            (
                200,
                format!(r#"{{"meta":{{"count":null,"current_page":{page}}},"payload":[]}}"#)
            ),
            "{query}"
        );
    }
    // `params[:q].blank?` is ActiveSupport's, which counts Unicode whitespace: an
    // ideographic space alone is blank too (beside text, `strip` keeps it: tests/upstream.rs).
    let body = get_ok(&sandbox, "q=%E3%80%80").await;
    assert_eq!(body["meta"]["count"], Value::Null);
    // A NUL is not blank to ActiveSupport, and Ruby's `strip` takes it off: the search is
    // for "", which `ILIKE '%%'` finds in every contact listed (review 101).
    for query in ["q=%00", "q=%20%09%0B%00"] {
        let body = get_ok(&sandbox, query).await;
        assert_eq!(body["meta"]["count"], 20 - 1, "{query}: {}", body["meta"]);
    }
    // No `q` at all is the index: every contact the server lists.
    let listed = get_ok(&sandbox, "").await;
    assert_eq!(
        listed["meta"]["count"],
        20 - 1,
        "all but the one unresolved contact"
    );

    let strict = livedesk::Sandbox::builder()
        .contacts(20)
        .require_query(true)
        .start()
        .await
        .unwrap();
    for query in ["", "page=2", "labels[]=vip"] {
        let (status, _, body) = get(&strict, query, auth).await;
        assert_eq!(
            (status, &*body),
            (422, r#"{"error":"Specify search string with parameter q"}"#),
            "{query}"
        );
    }
    assert_eq!(
        get_ok(&strict, "q=ADA-1815").await["payload"][0]["id"],
        100_001
    );
}

#[tokio::test]
async fn q_is_a_substring_of_name_email_phone_company_or_identifier() {
    let sandbox = sandbox(200).await;
    let client = client(&sandbox);
    let ids = |contacts: Vec<Contact>| contacts.iter().map(|c| c.id).collect::<Vec<_>>();
    let ada = 100_001; // The first contact: Ada Lovelace, ada@example.com, +442071234567, ADA-1815.

    // Name, email and phone ignore case; the identifier does not.
    for q in [
        "ADA LOVE",
        "ada@EXAMPLE",
        "+4420712",
        "ADA-1815",
        "\"QUOTED\" ltd",
    ] {
        assert!(ids(everyone(&client, q).await).contains(&ada), "{q}");
    }
    assert!(!ids(everyone(&client, "ada-1815").await).contains(&ada));

    // A `+` phone is found only when the `+` arrives as %2B (the library sends it so).
    let body = get_ok(&sandbox, "q=%2B8613800138000").await;
    assert_eq!(body["payload"][0]["id"], 100_002);
    let plus = get_ok(&sandbox, "q=%2B").await["meta"]["count"]
        .as_u64()
        .unwrap();
    assert!(plus > 0 && plus < 200, "{plus} contacts have a + phone");
    let body = get_ok(&sandbox, "q=+").await;
    assert_eq!(
        body["meta"]["count"],
        Value::Null,
        "an unencoded + is a space, and a blank q"
    );
    let body = get_ok(&sandbox, "q=ada+lovelace").await;
    assert_eq!(body["payload"][0]["id"], ada);

    // Every result holds the query somewhere, and no contact that holds it is missing.
    let all = everyone(&client, "e").await;
    let haystack = |c: &Contact| {
        let company = c
            .additional_attributes
            .get("company_name")
            .and_then(Value::as_str);
        [
            c.name.as_deref(),
            c.email.as_deref(),
            c.phone_number.as_deref(),
            company,
        ]
        .iter()
        .flatten()
        .map(|s| s.to_lowercase())
        .collect::<Vec<_>>()
    };
    for q in ["ada", "ö", "张", "🎉", ", ", "\""] {
        let found = everyone(&client, q).await;
        assert!(!found.is_empty(), "the data set has a contact for {q:?}");
        for contact in &found {
            let text = haystack(contact);
            assert!(
                text.iter().any(|s| s.contains(&q.to_lowercase()))
                    || contact.identifier.as_deref().is_some_and(|i| i.contains(q)),
                "{q:?} is not in {contact:?}"
            );
        }
        let expected = all
            .iter()
            .filter(|c| haystack(c).iter().any(|s| s.contains(q)))
            .count();
        assert!(
            found.len() >= expected,
            "{q:?}: {} found, {expected} in the walk of \"e\"",
            found.len()
        );
    }
}

#[tokio::test]
async fn labels_match_any_of_those_given() {
    let sandbox = sandbox(300).await;
    let client = client(&sandbox);
    let with = |labels: &'static [&'static str]| {
        let client = client.clone();
        async move {
            let mut search = client.search("e");
            for label in labels {
                search = search.label(*label);
            }
            let mut ids: Vec<i64> = search
                .paginate()
                .collect()
                .await
                .unwrap()
                .iter()
                .map(|c| c.id)
                .collect();
            ids.sort();
            ids
        }
    };
    let (vip, churned, either) = (
        with(&["vip"]).await,
        with(&["churned"]).await,
        with(&["vip", "churned"]).await,
    );
    let all = with(&[]).await;
    assert!(!vip.is_empty() && !churned.is_empty() && vip.len() < all.len());
    let mut union: Vec<i64> = vip.iter().chain(&churned).copied().collect();
    union.sort();
    union.dedup();
    assert_eq!(either, union);
    assert!(with(&["no-such-label"]).await.is_empty());
    // Tags match ignoring case, as acts_as_taggable_on's do.
    assert_eq!(
        get_ok(&sandbox, "q=e&labels[]=VIP").await["meta"]["count"],
        vip.len()
    );
    // `labels=vip` (not the array form) is read as one label, as Rails reads it.
    assert_eq!(
        get_ok(&sandbox, "q=e&labels=vip").await["meta"]["count"],
        vip.len()
    );
}

#[tokio::test]
async fn every_sort_field_sorts_both_ways_with_nulls_where_upstream_puts_them() {
    let sandbox = sandbox(120).await;
    let client = client(&sandbox);
    let attribute = |c: &Contact, key: &str| {
        c.additional_attributes
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    type Key = Option<(Option<String>, Option<i64>)>;
    let key = |field: SortField, c: &Contact| -> Key {
        let text = |s: Option<String>| s.map(|s| (Some(s), None));
        match field {
            SortField::Email => text(c.email.as_ref().map(|n| n.to_lowercase())),
            SortField::Name => text(c.name.as_ref().map(|n| n.to_lowercase())),
            SortField::PhoneNumber => text(c.phone_number.as_ref().map(|n| n.to_lowercase())),
            SortField::LastActivityAt => c.last_activity_at.map(|t| (None, Some(t))),
            SortField::CreatedAt => Some((None, c.created_at)),
            SortField::Company => text(attribute(c, "company_name")),
            SortField::City => text(attribute(c, "city")),
            SortField::Country => text(attribute(c, "country")),
            _ => unreachable!("a new sort field needs its key here"),
        }
    };
    let fields = [
        SortField::Email,
        SortField::Name,
        SortField::PhoneNumber,
        SortField::LastActivityAt,
        SortField::CreatedAt,
        SortField::Company,
        SortField::City,
        SortField::Country,
    ];
    for field in fields {
        for direction in [SortDirection::Asc, SortDirection::Desc] {
            let contacts = client
                .search("e")
                .sort(field)
                .direction(direction)
                .paginate()
                .collect()
                .await
                .unwrap();
            let mut keys: Vec<Key> = contacts.iter().map(|c| key(field, c)).collect();
            // Upstream (app/models/contact.rb, procore-sift): name, email and phone number
            // put nulls first descending; every other field puts them last both ways.
            let nulls_first = direction == SortDirection::Desc
                && matches!(
                    field,
                    SortField::Name | SortField::Email | SortField::PhoneNumber
                );
            if nulls_first {
                keys.reverse();
            }
            let nulls = keys.iter().position(Option::is_none).unwrap_or(keys.len());
            assert!(
                keys[nulls..].iter().all(Option::is_none),
                "{field:?} {direction:?}: nulls where upstream puts them"
            );
            if nulls_first {
                keys[..nulls].reverse();
            }
            for pair in keys[..nulls].windows(2) {
                let ordered = match direction {
                    SortDirection::Asc => pair[0] <= pair[1],
                    _ => pair[0] >= pair[1],
                };
                assert!(
                    ordered,
                    "{field:?} {direction:?}: {:?} then {:?}",
                    pair[0], pair[1]
                );
            }
            assert!(nulls > 0);
        }
    }
}

#[tokio::test]
async fn pages_hold_15_with_the_count_and_the_page_echoed() {
    let sandbox = sandbox(100).await;
    let first = get_ok(&sandbox, "q=e").await;
    let count = first["meta"]["count"].as_u64().unwrap() as usize;
    assert!(count > 30, "{count}");
    assert_eq!(
        first["meta"]["current_page"], 1,
        "no page sent: the integer 1"
    );
    assert_eq!(first["payload"].as_array().unwrap().len(), 15);

    let mut seen = Vec::new();
    for page in 1..=count.div_ceil(15) {
        let body = get_ok(&sandbox, &format!("q=e&page={page}")).await;
        assert_eq!(
            body["meta"]["current_page"],
            page.to_string(),
            "a page sent is echoed as a string"
        );
        assert_eq!(body["meta"]["count"], count);
        seen.extend(
            body["payload"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].as_i64().unwrap()),
        );
    }
    let unique: std::collections::BTreeSet<_> = seen.iter().collect();
    assert_eq!((seen.len(), unique.len()), (count, count));

    let past = get_ok(&sandbox, &format!("q=e&page={}", count.div_ceil(15) + 1)).await;
    assert_eq!(
        (
            past["payload"].as_array().unwrap().len(),
            &past["meta"]["count"]
        ),
        (0, &Value::from(count))
    );
    for odd in ["0", "abc"] {
        let body = get_ok(&sandbox, &format!("q=e&page={odd}")).await;
        assert_eq!(body["meta"]["current_page"], odd, "odd input is echoed");
        assert_eq!(body["payload"], first["payload"], "and read as page 1");
    }
}

#[tokio::test]
async fn include_contact_inboxes_false_drops_the_key() {
    let sandbox = sandbox(20).await;
    let with = get_ok(&sandbox, "q=e").await;
    assert!(
        with["payload"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["contact_inboxes"].is_array())
    );
    for off in ["false", "0", "TRUE"] {
        let without = get_ok(&sandbox, &format!("q=e&include_contact_inboxes={off}")).await;
        let payload = without["payload"].as_array().unwrap();
        assert!(
            !payload.is_empty() && payload.iter().all(|c| c.get("contact_inboxes").is_none()),
            "{off}"
        );
    }
    let on = get_ok(&sandbox, "q=e&include_contact_inboxes=true").await;
    assert_eq!(on, with);
}

#[tokio::test]
async fn the_newer_shape_has_more_with_the_page_count() {
    let sandbox = Sandbox::builder()
        .contacts(60)
        .has_more(true)
        .no_rate_limit()
        .start()
        .await
        .unwrap();
    let first = get_ok(&sandbox, "q=e&page=1").await;
    assert_eq!(
        (&first["meta"]["count"], &first["meta"]["has_more"]),
        (&Value::from(15), &Value::Bool(true))
    );
    let walked = everyone(&client(&sandbox), "e").await;
    let last_page = walked.len().div_ceil(15);
    let last = get_ok(&sandbox, &format!("q=e&page={last_page}")).await;
    assert_eq!(last["meta"]["has_more"], false);
    assert_eq!(last["meta"]["count"], walked.len() - (last_page - 1) * 15);
    // A listing (no `q`) in the documented shape, as the newest upstream's `index` answers
    // (review 101: it was in the search's).
    let listing = get_ok(&sandbox, "page=1").await;
    let listed = client(&sandbox)
        .contacts()
        .paginate()
        .collect()
        .await
        .unwrap();
    assert!(listed.len() > 15);
    assert_eq!(
        listing["meta"]["count"],
        listed.len(),
        "{}",
        listing["meta"]
    );
    assert!(
        listing["meta"].get("has_more").is_none(),
        "{}",
        listing["meta"]
    );
}

/// The newest upstream versions (those that send `has_more`) search differently: labels
/// ignored, contacts with a name only found, the id of a `q` of digits matched, the company
/// name not; their listing is the documented one.
#[tokio::test]
async fn the_newer_shape_searches_as_the_newest_upstream() {
    let contact = |id: i64, name: &str, email: Option<&str>, company: &str, labels: &[&str]| {
        serde_json::json!({
            "id": id, "name": name, "email": email, "created_at": 1_700_000_000 + id,
            "additional_attributes": {"company_name": company}, "labels": labels,
        })
    };
    let data = vec![
        contact(
            101,
            "Ada Lovelace",
            Some("ada@example.com"),
            "Engines",
            &["vip"],
        ),
        contact(102, "Ada Byron", Some("byron@example.com"), "", &[]),
        contact(103, "Ada Nameonly", None, "", &["vip"]),
        contact(
            104,
            "Grace",
            Some("grace@example.com"),
            "Ada Corp",
            &["vip"],
        ),
    ];
    let ids = |page: Value| -> Vec<i64> {
        let mut ids: Vec<i64> = page["payload"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_i64().unwrap())
            .collect();
        ids.sort_unstable();
        ids
    };
    for (newer, searched, labelled, by_id) in [
        (false, vec![101, 102, 104], vec![101, 104], vec![]),
        (true, vec![101, 102, 103], vec![101, 102, 103], vec![102]),
    ] {
        let sandbox = Sandbox::builder()
            .data(livedesk::SandboxData::from_values(data.clone()).unwrap())
            .has_more(newer)
            .no_rate_limit()
            .start()
            .await
            .unwrap();
        assert_eq!(ids(get_ok(&sandbox, "q=ada").await), searched, "{newer}");
        assert_eq!(
            ids(get_ok(&sandbox, "q=ada&labels[]=vip").await),
            labelled,
            "{newer}"
        );
        assert_eq!(ids(get_ok(&sandbox, "q=102").await), by_id, "{newer}");
        // The listing applies labels, and lists resolved contacts only, in both.
        assert_eq!(
            ids(get_ok(&sandbox, "labels[]=vip").await),
            [101, 104],
            "{newer}"
        );
    }
}

/// Waits for the start of a fixed window of `length` counted from the epoch.
async fn window_start(length: Duration) {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let into = Duration::from_nanos((now.as_nanos() % length.as_nanos()) as u64);
    tokio::time::sleep(length - into + Duration::from_millis(5)).await;
}

fn window_number(length: Duration) -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos()
        / length.as_nanos()
}

/// Sends `count` searches at once after a window starts; `None` when they did not all fall
/// in that one window (a loaded machine), to be tried again.
async fn burst(
    sandbox: &Sandbox,
    window: Duration,
    count: usize,
) -> Option<Vec<(u16, reqwest::header::HeaderMap, String)>> {
    window_start(window).await;
    let number = window_number(window);
    let mut answers = Vec::new();
    for _ in 0..count {
        answers.push(get(sandbox, "q=e", Some(("sandbox-key", "sandbox-secret"))).await);
    }
    (window_number(window) == number).then_some(answers)
}

#[tokio::test]
async fn the_default_limit_is_100_searches_a_minute() {
    let minute = Duration::from_secs(60);
    for _ in 0..3 {
        // A fresh sandbox each try: a try that crossed a minute left counts behind.
        let sandbox = Sandbox::builder().contacts(20).start().await.unwrap();
        let number = window_number(minute);
        let mut statuses = Vec::new();
        for _ in 0..101 {
            statuses.push(
                get(&sandbox, "q=e", Some(("sandbox-key", "sandbox-secret")))
                    .await
                    .0,
            );
        }
        if window_number(minute) == number {
            assert!(statuses[..100].iter().all(|&s| s == 200), "{statuses:?}");
            assert_eq!(statuses[100], 429);
            return;
        }
    }
    panic!("no 101 requests fit in one minute");
}

#[tokio::test]
async fn the_rate_limit_is_a_fixed_window_per_account() {
    let window = Duration::from_secs(1);
    let sandbox = Sandbox::builder()
        .contacts(20)
        .rate_limit(5, window)
        .start()
        .await
        .unwrap();
    let mut checked = 0;
    for _ in 0..5 {
        let Some(answers) = burst(&sandbox, window, 8).await else {
            continue;
        };
        let statuses: Vec<u16> = answers.iter().map(|a| a.0).collect();
        assert_eq!(statuses, [200, 200, 200, 200, 200, 429, 429, 429]);
        for (_, headers, body) in &answers[5..] {
            assert_eq!(body, "Retry later\n");
            assert_eq!(headers["content-type"], "text/plain");
            assert!(headers.get("retry-after").is_none(), "off by default");
        }
        checked += 1;
        if checked == 2 {
            break; // two windows in a row: each starts anew
        }
    }
    assert_eq!(
        checked, 2,
        "no two bursts of 8 requests fit in a 1 s window"
    );

    let window = Duration::from_secs(2);
    let with_header = Sandbox::builder()
        .rate_limit(1, window)
        .retry_after(true)
        .start()
        .await
        .unwrap();
    let mut answers = None;
    for _ in 0..5 {
        answers = burst(&with_header, window, 2).await;
        if answers.is_some() {
            break;
        }
    }
    let answers = answers.expect("two requests fit in a 2 s window");
    assert_eq!((answers[0].0, answers[1].0), (200, 429));
    let seconds: u64 = answers[1].1["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (1..=2).contains(&seconds),
        "{seconds} s left in a 2 s window"
    );
}

#[tokio::test]
async fn the_client_rides_out_the_sandbox_window() {
    let sandbox = Sandbox::builder()
        .contacts(150)
        .rate_limit(4, Duration::from_millis(500))
        .start()
        .await
        .unwrap();
    let client = sandbox.client().build().unwrap();
    let contacts = everyone(&client, "e").await;
    assert_eq!(
        contacts,
        unthrottled_walk(150).await,
        "every contact, once, in order, through the throttles"
    );
    assert!(
        sandbox.requests() > contacts.len().div_ceil(15) as u64,
        "some requests were throttled"
    );
}

/// The walk of `q=e` over a sandbox of that size with no limit and no faults.
async fn unthrottled_walk(contacts: usize) -> Vec<Contact> {
    everyone(&client(&sandbox(contacts).await), "e").await
}

#[tokio::test]
async fn faults_are_injected_on_demand() {
    let gateway = Sandbox::builder()
        .gateway_errors(1.0)
        .start()
        .await
        .unwrap();
    let (status, headers, body) =
        get(&gateway, "q=e", Some(("sandbox-key", "sandbox-secret"))).await;
    assert_eq!(status, 502);
    assert!(body.contains("502 Bad Gateway") && headers["content-type"] == "text/html");
    match client(&gateway).search("e").send().await {
        Err(Error::Api { status, .. }) => assert_eq!(status.as_u16(), 502),
        other => panic!("expected a 502, got {other:?}"),
    }

    let cut = Sandbox::builder().cut_bodies(1.0).start().await.unwrap();
    match client(&cut).search("e").send().await {
        Err(Error::Transport(_)) => {}
        other => panic!("expected a cut body, got {other:?}"),
    }

    let slow = Sandbox::builder()
        .latency(Duration::from_millis(150))
        .start()
        .await
        .unwrap();
    let started = Instant::now();
    client(&slow).search("e").send().await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(150));

    // Two requests in five fail, and the client's retries still deliver every contact.
    let flaky = Sandbox::builder()
        .contacts(200)
        .gateway_errors(0.3)
        .cut_bodies(0.2)
        .no_rate_limit()
        .start()
        .await
        .unwrap();
    let retrying = flaky
        .client()
        .retry(
            RetryPolicy::default()
                .max_attempts(20)
                .initial_backoff(Duration::from_millis(1))
                .max_backoff(Duration::from_millis(5)),
        )
        .build()
        .unwrap();
    let contacts = everyone(&retrying, "e").await;
    assert_eq!(contacts, unthrottled_walk(200).await);

    for share in [-0.1, 1.5, f64::NAN] {
        let error = Sandbox::builder()
            .gateway_errors(share)
            .start()
            .await
            .unwrap_err();
        assert!(
            matches!(
                error,
                livedesk::Error::InvalidArgument {
                    argument: "gateway_errors",
                    ..
                }
            ),
            "{error:?}"
        );
    }
    assert!(
        Sandbox::builder()
            .rate_limit(1, Duration::ZERO)
            .start()
            .await
            .is_err()
    );
}

#[tokio::test]
async fn other_paths_and_methods_are_refused() {
    let sandbox = sandbox(5).await;
    let http = reqwest::Client::new();
    let response = http
        .get(format!("{}/api/v2/accounts/nothing", sandbox.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(
        response.text().await.unwrap(),
        r#"{"error":"Resource could not be found"}"#
    );
    let response = http
        .post(format!("{}{PATH}?q=a", sandbox.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    assert!(response.headers().contains_key("allow"));
}

#[tokio::test]
async fn the_data_set_is_seeded_and_has_the_awkward_cases() {
    let walk = |seed: u64| async move {
        let sandbox = Sandbox::builder()
            .contacts(90)
            .seed(seed)
            .no_rate_limit()
            .start()
            .await
            .unwrap();
        everyone(&client(&sandbox), "e").await
    };
    let (a, b, c) = (walk(1).await, walk(1).await, walk(2).await);
    assert_eq!(a, b);
    assert_ne!(a, c);

    let sandbox = sandbox(300).await;
    let client = client(&sandbox);
    let all: Vec<Contact> = everyone(&client, "a")
        .await
        .into_iter()
        .chain(everyone(&client, "e").await)
        .collect();
    let any = |f: &dyn Fn(&Contact) -> bool| all.iter().any(f);
    let name = |c: &Contact| c.name.clone().unwrap_or_default();
    assert!(any(&|c| name(c).contains(',')
        && name(c).contains('"')
        && name(c).contains('\n')));
    assert!(any(&|c| name(c)
        .chars()
        .any(|ch| ('\u{4e00}'..='\u{9fff}').contains(&ch))));
    assert!(any(&|c| name(c).chars().any(|ch| ch as u32 >= 0x1F300)));
    assert!(any(&|c| c.name.as_deref() == Some("")) && any(&|c| c.name.is_none()));
    assert!(
        any(&|c| c.email.is_none())
            && any(&|c| c
                .phone_number
                .as_deref()
                .is_some_and(|p| p.starts_with('+')))
    );
    assert!(any(&|c| c.last_activity_at.is_none()) && any(&|c| c.contact_inboxes.len() > 10));
    assert!(any(&|c| c.blocked) && any(&|c| !c.custom_attributes.is_empty()));
}

// The spec's schemas, as JSON Schema: OpenAPI 3.0's `nullable` becomes a null type.

fn spec() -> Value {
    yaml_serde::from_str(include_str!("../openapi/livedesk.yaml")).unwrap()
}

fn to_json_schema(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.remove("nullable") == Some(Value::Bool(true)) {
                let inner = Value::Object(std::mem::take(map));
                map.insert("anyOf".into(), serde_json::json!([inner, {"type": "null"}]));
            }
            for (key, child) in map.iter_mut() {
                if key != "example" && key != "examples" {
                    to_json_schema(child);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(to_json_schema),
        _ => {}
    }
}

/// Checks a body against the spec's schema for its status and media type.
fn validate(status: u16, headers: &reqwest::header::HeaderMap, body: &str) {
    static SPEC: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    let spec = SPEC.get_or_init(|| {
        let mut spec = spec();
        to_json_schema(&mut spec);
        spec
    });
    let responses = &spec["paths"][PATH]["get"]["responses"];
    let response = match responses.get(status.to_string()) {
        Some(response) => response,
        None if status >= 500 => &responses["5XX"],
        None => panic!("the spec declares no {status} response"),
    };
    let media = headers["content-type"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let Some(schema) = response["content"].get(&media).map(|c| c["schema"].clone()) else {
        panic!("the spec declares no {media} body for {status}");
    };
    if media != "application/json" {
        return;
    }
    let document = serde_json::json!({"$ref": "#/$defs/root", "$defs": {"root": schema}, "components": spec["components"]});
    let validator = jsonschema::draft202012::new(&document).unwrap();
    let instance: Value = serde_json::from_str(body).unwrap();
    if let Err(error) = validator.validate(&instance) {
        panic!("a {status} body does not match the spec: {error}: {body}");
    }
}
