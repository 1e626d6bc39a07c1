//! Every contact, no query needed: the listing (`Client::contacts`) against the sandbox,
//! checked against an oracle built from searches; a server that requires a query; literal
//! searches and exact lookups.

use std::collections::BTreeSet;

use httpmock::prelude::*;
use livedesk::{Client, Contact, Error, Sandbox, SortDirection, SortField, types::ContactList};

use crate::common;
use common::{sandbox, sandbox_client as client};

fn ids(contacts: &[Contact]) -> Vec<i64> {
    contacts.iter().map(|contact| contact.id).collect()
}

/// Every contact with an email, a phone number or an identifier, found by searches: `@` is
/// in every email, `+` in every phone number, and the data set's identifiers start with
/// `UID-` or `cus_` (or are the showcase's, whose contacts also have an email or a phone).
async fn oracle(client: &Client, label: Option<&str>) -> BTreeSet<i64> {
    let mut found = BTreeSet::new();
    for q in ["@", "+", "UID-", "cus_"] {
        let mut search = client.search_literal(q).sort(SortField::CreatedAt);
        if let Some(label) = label {
            search = search.label(label);
        }
        found.extend(ids(&search.paginate().collect().await.unwrap()));
    }
    found
}

fn resolved(contact: &Contact) -> bool {
    [&contact.email, &contact.phone_number, &contact.identifier]
        .iter()
        .any(|value| value.as_deref().is_some_and(|v| !v.is_empty()))
}

#[tokio::test]
async fn the_listing_holds_every_contact_the_server_lists_exactly_once() {
    let sandbox = sandbox(400).await;
    let client = client(&sandbox);
    let expected = oracle(&client, None).await;

    let first = client.contacts().send().await.unwrap();
    assert_eq!(first.meta.count, Some(expected.len() as i64));
    assert_eq!(first.payload.len(), 15);

    let listed = client
        .contacts()
        .sort(SortField::CreatedAt)
        .paginate()
        .collect()
        .await
        .unwrap();
    let listed_ids = ids(&listed);
    assert_eq!(
        listed_ids.iter().copied().collect::<BTreeSet<_>>(),
        expected
    );
    assert_eq!(listed_ids.len(), expected.len(), "none twice");
    // More than `@` alone finds: the export of "everything" the old advice lost.
    let with_email = client.search("@").paginate().collect().await.unwrap();
    assert!(with_email.len() < listed.len());
    // None of the contacts without an email, a phone number or an identifier.
    assert!(listed.iter().all(resolved));
    assert!(
        !listed_ids.contains(&100_009),
        "the showcase's name-only contact is never listed"
    );
}

#[tokio::test]
async fn labels_filter_the_listing_with_any_match() {
    let sandbox = sandbox(300).await;
    let client = client(&sandbox);
    for labels in [
        vec!["vip"],
        vec!["vip", "beta"],
        vec!["churned", "lead", "support"],
    ] {
        let mut expected = BTreeSet::new();
        for label in &labels {
            expected.extend(oracle(&client, Some(label)).await);
        }
        let mut listing = client.contacts().sort(SortField::CreatedAt);
        for label in &labels {
            listing = listing.label(*label);
        }
        let listed = listing.paginate().collect().await.unwrap();
        assert_eq!(listed.len(), expected.len(), "{labels:?}: none twice");
        assert_eq!(
            ids(&listed).into_iter().collect::<BTreeSet<_>>(),
            expected,
            "{labels:?}"
        );
    }
    // The name-only `vip` contact is not among them.
    let vips = client
        .contacts()
        .label("vip")
        .paginate()
        .collect()
        .await
        .unwrap();
    assert!(!ids(&vips).contains(&100_009));
}

#[tokio::test]
async fn every_sort_both_ways_lists_every_contact_once() {
    let sandbox = sandbox(100).await;
    let client = client(&sandbox);
    let expected = oracle(&client, None).await;
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
            let listed = client
                .contacts()
                .sort(field)
                .direction(direction)
                .paginate()
                .collect()
                .await
                .unwrap();
            assert_eq!(listed.len(), expected.len(), "{field:?} {direction:?}");
            assert_eq!(
                ids(&listed).into_iter().collect::<BTreeSet<_>>(),
                expected,
                "{field:?} {direction:?}"
            );
        }
    }
    // Oldest first and newest first are each other's reverse (creation times are distinct).
    let walk = |direction| {
        client
            .contacts()
            .sort(SortField::CreatedAt)
            .direction(direction)
            .paginate()
            .collect()
    };
    let mut newest_first = ids(&walk(SortDirection::Desc).await.unwrap());
    newest_first.reverse();
    assert_eq!(newest_first, ids(&walk(SortDirection::Asc).await.unwrap()));
}

#[tokio::test]
async fn a_server_that_requires_a_query_gives_query_required_never_an_empty_success() {
    let strict = Sandbox::builder()
        .contacts(40)
        .no_rate_limit()
        .require_query(true)
        .start()
        .await
        .unwrap();
    let client = client(&strict);
    for result in [
        client.contacts().send().await.map(|_| ()),
        client.contacts().paginate().collect().await.map(|_| ()),
    ] {
        let error = result.unwrap_err();
        assert!(
            matches!(&error, Error::QueryRequired { status, message: Some(message), .. }
                if status.as_u16() == 422 && message == "Specify search string with parameter q"),
            "{error:?}"
        );
        assert_eq!(
            error.to_string(),
            "the server requires a query: it answered a listing without `q` with 422 \
             Unprocessable Entity (Specify search string with parameter q)"
        );
    }
    // Searches still work there.
    assert!(!client.search("@").send().await.unwrap().payload.is_empty());

    // A gateway that passes a missing `q` on as a blank one gets upstream's answer to a blank
    // search: an empty page with a null count. That is no listing either.
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(common::PATH);
            then.status(200)
                .header("content-type", "application/json")
                .body(r#"{"meta":{"count":null,"current_page":1},"payload":[]}"#);
        })
        .await;
    let gateway = common::client(&server.base_url());
    let error = gateway.contacts().paginate().collect().await.unwrap_err();
    assert!(
        matches!(&error, Error::QueryRequired { status, .. } if status.as_u16() == 200),
        "{error:?}"
    );
    // A search answered so is no answer either, and says where it went wrong.
    let error = gateway.search("ada").send().await.unwrap_err();
    assert!(
        matches!(&error, Error::Decode { path, .. } if path == "meta.count"),
        "{error:?}"
    );
}

#[tokio::test]
async fn wildcards_match_as_the_server_reads_them_and_literal_searches_do_not() {
    let sandbox = sandbox(300).await;
    let client = client(&sandbox);
    // `cus_` identifiers: `_` is any one character, so `cus_` also finds `cusX...`, while the
    // literal search finds only the underscore.
    let wild = client.search("s_").paginate().collect().await.unwrap();
    let literal = client
        .search_literal("s_")
        .paginate()
        .collect()
        .await
        .unwrap();
    assert!(
        literal.len() < wild.len(),
        "{} < {}",
        literal.len(),
        wild.len()
    );
    let holds = |contact: &Contact, text: &str| {
        [
            &contact.name,
            &contact.email,
            &contact.phone_number,
            &contact.identifier,
        ]
        .iter()
        .filter_map(|value| value.as_deref())
        .any(|value| value.to_lowercase().contains(text))
    };
    assert!(literal.iter().all(|contact| holds(contact, "s_")));
    // `%` matches every contact the server lists.
    let page: ContactList = client.search("%").send().await.unwrap();
    let listing = client.contacts().send().await.unwrap();
    assert_eq!(page.meta.count, listing.meta.count);
    assert_eq!(
        client.search_literal("%").send().await.unwrap().meta.count,
        Some(0)
    );
}

#[tokio::test]
async fn exact_lookups_find_the_one_contact_and_nothing_near_it() {
    let sandbox = sandbox(300).await;
    let client = client(&sandbox);
    // Ada Lovelace, the data set's first contact.
    let ada = client
        .find_by_email("ADA@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ada.id, 100_001);
    assert_eq!(
        client
            .find_by_phone_number("+442071234567")
            .await
            .unwrap()
            .unwrap()
            .id,
        100_001
    );
    assert_eq!(
        client
            .find_by_identifier("ADA-1815")
            .await
            .unwrap()
            .unwrap()
            .id,
        100_001
    );
    // The identifier matches case-sensitively, and a part of a value is no match.
    assert!(
        client
            .find_by_identifier("ada-1815")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        client
            .find_by_phone_number("+4420712")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        client
            .find_by_email("da@example.com")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        client
            .find_by_email("nobody@example.com")
            .await
            .unwrap()
            .is_none()
    );

    // Every contact with an email is found by it, and only it.
    let everyone = client.contacts().paginate().collect().await.unwrap();
    let mut looked_up = 0;
    for contact in &everyone {
        let Some(email) = &contact.email else {
            continue;
        };
        let found = client.find_by_email(email).await.unwrap().unwrap();
        assert_eq!(found.id, contact.id, "{email}");
        looked_up += 1;
    }
    assert!(looked_up > 200, "{looked_up}");
}

#[tokio::test]
async fn several_exact_matches_are_an_error_naming_their_ids() {
    let server = MockServer::start_async().await;
    let mut twins = common::page([7, 8, 9], 3, 1);
    twins["payload"][0]["identifier"] = "crm-1".into();
    twins["payload"][1]["identifier"] = "crm-1".into();
    twins["payload"][2]["identifier"] = "crm-10".into();
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(common::PATH)
                .query_param("q", r"crm-1")
                .query_param("sort", "created_at");
            then.status(200).json_body(twins);
        })
        .await;
    let error = common::client(&server.base_url())
        .find_by_identifier("crm-1")
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::SeveralMatches { field: "identifier", ids, .. } if ids == &[7, 8]),
        "{error:?}"
    );
    assert_eq!(error.to_string(), "2 contacts have this identifier: 7, 8");
    mock.assert_async().await;

    // A substring search finds every email that holds the one looked up; only the exact
    // one (ignoring case) is the answer.
    let mut near = common::page([1, 2], 2, 1);
    near["payload"][0]["email"] = "adaeze.lovelace56@example.org".into();
    near["payload"][1]["email"] = "lovelace56@example.org".into();
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path(common::PATH)
                // Sent lowercased, as upstream stores emails.
                .query_param("q", "lovelace56@example.org");
            then.status(200).json_body(near);
        })
        .await;
    let found = common::client(&server.base_url())
        .find_by_email("Lovelace56@example.org")
        .await
        .unwrap();
    assert_eq!(found.map(|contact| contact.id), Some(2));

    // The value is escaped: `_` and `%` reach the server as literals.
    let escaped = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(common::PATH)
                .query_param("q", r"user\_4\%2");
            then.status(200).json_body(common::page([], 0, 1));
        })
        .await;
    let found = common::client(&server.base_url())
        .find_by_identifier("user_4%2")
        .await
        .unwrap();
    assert!(found.is_none());
    escaped.assert_async().await;
}

#[tokio::test]
async fn lookups_ignore_the_whitespace_the_server_strips() {
    let sandbox = sandbox(50).await;
    let client = client(&sandbox);
    for email in [
        " ada@example.com",
        "ada@example.com\t",
        "\nADA@example.com ",
    ] {
        let found = client.find_by_email(email).await.unwrap();
        assert_eq!(found.map(|c| c.id), Some(100_001), "{email:?}");
    }
    let found = client.find_by_identifier(" ADA-1815 ").await.unwrap();
    assert_eq!(found.map(|c| c.id), Some(100_001));
}

/// Review 101: upstream stores emails lowercased and searches them with `ILIKE`, which a
/// database whose ctype is `C` folds for ASCII alone: `ÉLODIE@example.com` sent as typed
/// matched no stored `élodie@example.com`, and the lookup said there was none. The email is
/// sent lowercased.
#[tokio::test]
async fn find_by_email_sends_the_email_lowercased_as_upstream_stores_it() {
    use common::server::{Reply, TestServer};
    use serde_json::json;

    let server = TestServer::start(|request| {
        // `ILIKE` under a `C` ctype: ASCII letters fold, others match as they are.
        let q = request.query("q").first().cloned().unwrap_or_default();
        let hit = "élodie@example.com".contains(&q.to_ascii_lowercase());
        let mut contact = common::contact(7);
        contact["email"] = json!("élodie@example.com");
        let payload = if hit { vec![contact] } else { vec![] };
        Reply::json(
            &json!({"meta": {"count": payload.len(), "current_page": 1}, "payload": payload}),
        )
    })
    .await;
    let client = common::client(&server.base_url);
    let found = client.find_by_email(" ÉLODIE@Example.com ").await.unwrap();
    assert_eq!(found.map(|c| c.id), Some(7));
}

/// Review 102: Ruby's `downcase` lowers each character on its own (no final-sigma rule),
/// Rust's `to_lowercase` does not: `ΟΔΟΣ@` was sent as `οδος@`, which matches no stored
/// `οδοσ@`.
#[tokio::test]
async fn find_by_email_lowercases_as_upstream_does_final_sigma() {
    use common::server::{Reply, TestServer};
    use serde_json::json;

    // Ruby's "ΟΔΟΣ@example.com".downcase: each character on its own.
    let stored: String = "ΟΔΟΣ@example.com"
        .chars()
        .flat_map(char::to_lowercase)
        .collect();
    assert_eq!(stored, "οδοσ@example.com");
    let server = TestServer::start(move |request| {
        // `ILIKE` under a glibc ctype: both sides lowered character by character.
        let lower = |s: &str| -> String { s.chars().flat_map(char::to_lowercase).collect() };
        let q = request.query("q").first().cloned().unwrap_or_default();
        let hit = lower(&stored).contains(&lower(&q));
        let mut contact = common::contact(7);
        contact["email"] = json!(stored);
        let payload = if hit { vec![contact] } else { vec![] };
        Reply::json(
            &json!({"meta": {"count": payload.len(), "current_page": 1}, "payload": payload}),
        )
    })
    .await;
    let client = common::client(&server.base_url);
    let found = client.find_by_email("ΟΔΟΣ@example.com").await.unwrap();
    let sent = server.stats.requests()[0].query("q");
    assert_eq!(found.map(|c| c.id), Some(7), "sent q = {sent:?}");
}

/// The newer upstream versions (those that answer with `has_more`) ignore labels in a
/// search: a search with labels there returned contacts without them, with success (a "vip"
/// export held every contact matching the query).
#[tokio::test]
async fn a_search_with_labels_is_an_error_where_the_server_ignores_labels_in_a_search() {
    let contact = |id: i64, email: &str, labels: &[&str]| {
        serde_json::json!({"id": id, "name": "Ada", "email": email,
            "created_at": 1_700_000_000 + id, "labels": labels})
    };
    let data = vec![contact(1, "a@x.com", &["vip"]), contact(2, "b@x.com", &[])];
    let sandbox = Sandbox::builder()
        .data(livedesk::SandboxData::from_values(data).unwrap())
        .has_more(true)
        .no_rate_limit()
        .start()
        .await
        .unwrap();
    let client = client(&sandbox);
    let refused = |result: livedesk::Result<Vec<i64>>| match result {
        Err(error) => {
            assert_eq!(error.kind(), livedesk::ErrorKind::Usage, "{error}");
            assert!(error.to_string().contains("ignores `labels`"), "{error}");
            assert!(
                matches!(&error, Error::LabelsNotApplied { labels, .. } if labels == &["vip"]),
                "{error:?}"
            );
        }
        Ok(ids) => panic!("the labels were dropped, and {ids:?} came back as a success"),
    };
    refused(
        client
            .search("ada")
            .label("vip")
            .send()
            .await
            .map(|p| ids(&p.payload)),
    );
    refused(
        client
            .search("ada")
            .label("vip")
            .paginate()
            .collect()
            .await
            .map(|c| ids(&c)),
    );
    // The listing applies labels there; a search without labels is answered as it was.
    let listed = client.contacts().label("vip").paginate().collect().await;
    assert_eq!(ids(&listed.unwrap()), [1]);
    let searched = client.search("ada").paginate().collect().await;
    assert_eq!(ids(&searched.unwrap()), [1, 2]);
}
