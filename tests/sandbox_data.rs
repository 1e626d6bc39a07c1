//! Your own contacts in the sandbox: served exactly as given, refused whole with an error
//! that names the contact and the field, and every answer of every data set decoding as the
//! crate's own types. And the documentation's example answer, as it shows it.

use livedesk::{
    ContactList, Sandbox, SandboxData,
    types::{AvailabilityStatus, Contact},
};
use serde_json::{Value, json};

const PATH: &str = "/api/v2/accounts/contacts";

async fn body(sandbox: &Sandbox, query: &str) -> String {
    let response = reqwest::Client::new()
        .get(format!("{}{PATH}?{query}", sandbox.base_url()))
        .basic_auth("sandbox-key", Some("sandbox-secret"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{query}");
    response.text().await.unwrap()
}

async fn serve(data: SandboxData) -> Sandbox {
    Sandbox::builder()
        .data(data)
        .no_rate_limit()
        .start()
        .await
        .unwrap()
}

/// A contact as a file would hold it: members out of alphabetical order, a decimal with a
/// trailing zero, escapes, a huge integer, `contact_inboxes` in the middle, labels.
const AS_GIVEN: &str = r#"{"name": "\u00c9mile \"E\"", "id": 42, "email": "emile@example.com",
  "contact_inboxes": [{"source_id": "s-1", "inbox": {"id": 3, "channel_id": 30, "name": "Mail", "channel_type": "Channel::Email", "provider": null}}],
  "phone_number": null, "identifier": "EM-1", "blocked": false, "thumbnail": "",
  "availability_status": "busy", "additional_attributes": {"company_name": "Zeta", "n": 1.50},
  "custom_attributes": {"big": 123456789012345678901234567890, "score": 2.50e1},
  "created_at": 1700000000, "labels": ["VIP"]}"#;

#[tokio::test]
async fn contacts_are_served_exactly_as_given() {
    let sandbox = serve(SandboxData::from_json(&format!("[{AS_GIVEN}]")).unwrap()).await;
    assert_eq!(sandbox.contacts(), 1);
    let page = body(&sandbox, "q=emile&labels=vip").await;
    // Every member as its text came, but `labels` (not served) and `contact_inboxes` (last).
    let expected = concat!(
        r#"{"name":"\u00c9mile \"E\"","id":42,"email":"emile@example.com","phone_number":null,"#,
        r#""identifier":"EM-1","blocked":false,"thumbnail":"","availability_status":"busy","#,
        r#""additional_attributes":{"company_name": "Zeta", "n": 1.50},"#,
        r#""custom_attributes":{"big": 123456789012345678901234567890, "score": 2.50e1},"#,
        r#""created_at":1700000000,"contact_inboxes":[{"source_id": "s-1", "inbox": {"id": 3, "channel_id": 30, "name": "Mail", "channel_type": "Channel::Email", "provider": null}}]}"#,
    );
    assert_eq!(
        page,
        format!(r#"{{"meta":{{"count":1,"current_page":1}},"payload":[{expected}]}}"#)
    );
    // Without inboxes, the key goes; `last_activity_at`, absent, stays absent.
    let page = body(&sandbox, "q=EM-1&include_contact_inboxes=false").await;
    assert!(!page.contains("contact_inboxes") && !page.contains("last_activity_at"));
    assert!(page.contains(r#""custom_attributes":{"big": 123456789012345678901234567890"#));
}

#[tokio::test]
async fn typed_contacts_and_values_load_with_their_labels() {
    let mut ada = Contact::new(7);
    ada.name = Some("Ada".to_owned());
    ada.email = Some("ada@example.com".to_owned());
    ada.availability_status = AvailabilityStatus::Online;
    ada.created_at = Some(1_700_000_000);
    ada.last_activity_at = Some(1_700_000_100);
    let sandbox = serve(SandboxData::from_contacts([(ada.clone(), vec!["Beta"])]).unwrap()).await;
    let client = sandbox.client().build().unwrap();
    let page = client.search("ada").label("beta").send().await.unwrap();
    assert_eq!(page.payload, std::slice::from_ref(&ada));
    let page = client.search("ada").label("vip").send().await.unwrap();
    assert!(page.payload.is_empty());

    let value = serde_json::to_value(&ada).unwrap();
    let sandbox = serve(SandboxData::from_values([value]).unwrap()).await;
    let page = sandbox.client().build().unwrap().search("ada").send().await;
    assert_eq!(page.unwrap().payload, [ada]);
}

/// A contact that decodes, with `fields` over it.
fn valid(id: i64, fields: Value) -> Value {
    let mut contact = json!({
        "id": id, "name": "x", "email": null, "phone_number": null, "identifier": "x",
        "blocked": false, "thumbnail": "", "availability_status": "offline",
        "additional_attributes": {}, "custom_attributes": {}, "created_at": 1,
    });
    for (key, value) in fields.as_object().unwrap() {
        contact[key] = value.clone();
    }
    contact
}

#[test]
fn bad_data_is_refused_naming_the_contact_and_the_field() {
    let without = |key: &str| {
        let mut contact = valid(9, json!({}));
        contact.as_object_mut().unwrap().remove(key);
        contact
    };
    let cases: Vec<(String, &str)> = vec![
        ("[{\"id\": 1,".into(), "not JSON: "),
        ("".into(), "not JSON: "),
        (
            r#"{"id": 1}"#.into(),
            "not an array: a data set is a JSON array of contacts, and this is an object",
        ),
        ("\"contacts\"".into(), "not an array"),
        (
            "[1]".into(),
            "contact 0: a contact is a JSON object, not a number",
        ),
        (
            json!([valid(1, json!({})), without("id")]).to_string(),
            "contact 1: missing `id`",
        ),
        (
            json!([valid(1, json!({"id": 1.5}))]).to_string(),
            "contact 0: `id` must be an integer, not 1.5",
        ),
        (
            json!([valid(1, json!({"id": "1"}))]).to_string(),
            "contact 0: `id` must be an integer, not a string",
        ),
        (
            json!([without("created_at")]).to_string(),
            "contact 0 (id 9): missing `created_at`",
        ),
        (
            json!([
                valid(1, json!({})),
                valid(2, json!({"created_at": "2024-01-01"}))
            ])
            .to_string(),
            "contact 1 (id 2): `created_at` must be an integer (unix seconds), not a string",
        ),
        (
            json!([
                valid(5, json!({})),
                valid(6, json!({})),
                valid(5, json!({}))
            ])
            .to_string(),
            "contact 2 (id 5): duplicate `id`: contact 0 has it too",
        ),
        (
            json!([valid(1, json!({"blocked": "false"}))]).to_string(),
            "contact 0 (id 1): `blocked`: invalid type: string \"false\", expected a boolean",
        ),
        (
            json!([valid(1, json!({"contact_inboxes": [{"source_id": 5}]}))]).to_string(),
            "contact 0 (id 1): `contact_inboxes[0].source_id`: invalid type: integer",
        ),
        (
            json!([valid(1, json!({"labels": "vip"}))]).to_string(),
            "contact 0 (id 1): `labels` must be an array of strings, not a string",
        ),
        (
            json!([valid(1, json!({"labels": ["vip", 2]}))]).to_string(),
            "contact 0 (id 1): `labels` must be an array of strings, and holds 2",
        ),
        (
            json!([valid(9, json!({"additional_attributes": []}))]).to_string(),
            "contact 0 (id 9): `additional_attributes`: invalid type: sequence, expected a map",
        ),
        (
            r#"[{"id": 1, "id": 2, "created_at": 1}]"#.into(),
            "contact 0 (id 1): `id` is given twice",
        ),
    ];
    for (text, expected) in cases {
        let error = SandboxData::from_json(&text).unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::InvalidData);
        let message = error.to_string();
        assert!(
            message.starts_with(expected),
            "{text}\n{message}\nnot {expected}"
        );
    }
}

/// The documentation (`seeds/`) shows this exact answer to `q=support@engagelab.com`.
const DOC_ANSWER: &str = r#"{ "meta": { "count": 1, "current_page": 1 }, "payload": [ { "additional_attributes": { "source_id": "email:ed5c8362-425c-4589-8adb-61a033d8c5fb.support@engagelab.com" }, "availability_status": "offline", "email": "support@engagelab.com", "id": 64464046, "name": "support", "phone_number": null, "blocked": false, "identifier": null, "thumbnail": "", "custom_attributes": {}, "last_activity_at": 1778572024, "created_at": 1778570103, "contact_inboxes": [ { "source_id": "support@engagelab.com", "inbox": { "id": 985, "channel_id": 107, "name": "邮箱", "channel_type": "Channel::Email", "provider": null } } ] } ] }"#;

#[tokio::test]
async fn the_documentations_request_answers_what_it_shows() {
    let sandbox = Sandbox::builder().no_rate_limit().start().await.unwrap();
    let page = body(&sandbox, "q=support@engagelab.com").await;
    let expected: Value = serde_json::from_str(DOC_ANSWER).unwrap();
    assert_eq!(serde_json::from_str::<Value>(&page).unwrap(), expected);
    // In the documentation's own member order, too.
    let compact = |text: &str| {
        let mut out = String::new();
        let mut quoted = false;
        let mut escaped = false;
        for c in text.chars() {
            if quoted || !c.is_whitespace() {
                out.push(c);
            }
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => quoted = !quoted,
                _ => {}
            }
        }
        out
    };
    assert_eq!(page, compact(DOC_ANSWER));
}

/// Queries that exercise every part of an answer: sorts both ways, labels, pages, inboxes.
const QUERIES: &[&str] = &[
    "q=e",
    "q=a&sort=name&direction=desc",
    "q=a&sort=-email",
    "q=%2B&sort=phone_number",
    "q=e&sort=last_activity_at&direction=desc&page=2",
    "q=e&sort=created_at&page=abc",
    "q=e&sort=company&labels=vip,beta",
    "q=e&sort=-city&labels[]=lead",
    "q=e&sort=country&include_contact_inboxes=false",
    "q=e&page=999",
    "q=id-",
    "q=emile",
    "q=support@engagelab.com",
];

#[tokio::test]
async fn every_answer_of_every_data_set_decodes_as_the_crates_types() {
    let own = SandboxData::from_json(&format!(
        "[{AS_GIVEN}, {}]",
        valid(43, json!({"identifier": "id-43", "last_activity_at": null}))
    ))
    .unwrap();
    let data_sets = [
        Sandbox::builder().no_rate_limit(),
        Sandbox::builder().no_rate_limit().contacts(1_000).seed(9),
        Sandbox::builder().no_rate_limit().has_more(true),
        Sandbox::builder().no_rate_limit().data(own),
        Sandbox::builder()
            .no_rate_limit()
            .data(SandboxData::from_json("[]").unwrap()),
    ];
    let mut decoded = 0;
    for builder in data_sets {
        let sandbox = builder.start().await.unwrap();
        for query in QUERIES {
            let page = body(&sandbox, query).await;
            let list: ContactList =
                serde_json::from_str(&page).unwrap_or_else(|e| panic!("{query}: {e}: {page}"));
            decoded += list.payload.len();
        }
    }
    assert!(decoded > 100, "{decoded} contacts decoded");
}
