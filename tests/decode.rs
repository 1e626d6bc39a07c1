//! Every response shape the server sends decodes into the generated types.

use crate::common;

use common::{PATH, client};
use httpmock::prelude::*;
use livedesk::types::{AvailabilityStatus, ChannelType, ContactList, Provider};
use serde_json::{Value, json};

/// Serves `body` as the answer to a search and returns what the client decoded.
async fn decode(body: Value) -> ContactList {
    try_decode(body).await.unwrap()
}

async fn try_decode(body: Value) -> livedesk::Result<ContactList> {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(PATH);
            then.status(200)
                .header("content-type", "application/json")
                .json_body(body);
        })
        .await;
    client(&server.base_url()).search("x").send().await
}

/// The 200 examples of the spec, so the decoding tests follow the spec's own examples.
fn spec_examples() -> Vec<(String, Value)> {
    let spec: Value =
        yaml_serde::from_str(include_str!("../openapi/livedesk.yaml")).expect("spec parses");
    let examples =
        &spec["paths"][PATH]["get"]["responses"]["200"]["content"]["application/json"]["examples"];
    examples
        .as_object()
        .expect("the 200 response has examples")
        .iter()
        .map(|(name, example)| (name.clone(), example["value"].clone()))
        .collect()
}

#[tokio::test]
async fn the_documentations_example_decodes_field_by_field() {
    let (_, documented) = spec_examples()
        .into_iter()
        .find(|(name, _)| name == "documented")
        .unwrap();
    let list = decode(documented).await;

    assert_eq!(list.meta.count, Some(1));
    assert_eq!(list.meta.current_page.unwrap().number(), Some(1));
    assert_eq!(list.meta.has_more, None);
    let contact = &list.payload[0];
    assert_eq!(contact.id, 64464046);
    assert_eq!(contact.name.as_deref(), Some("support"));
    assert_eq!(contact.email.as_deref(), Some("support@engagelab.com"));
    assert_eq!(contact.phone_number, None);
    assert_eq!(contact.identifier, None);
    assert!(!contact.blocked);
    assert_eq!(contact.thumbnail, "");
    assert_eq!(contact.availability_status, AvailabilityStatus::Offline);
    assert!(contact.custom_attributes.is_empty());
    assert_eq!(
        contact.additional_attributes["source_id"],
        "email:ed5c8362-425c-4589-8adb-61a033d8c5fb.support@engagelab.com"
    );
    assert_eq!(contact.created_at, Some(1778570103));
    assert_eq!(contact.last_activity_at, Some(1778572024));
    let inbox = &contact.contact_inboxes[0];
    assert_eq!(inbox.source_id, "support@engagelab.com");
    assert_eq!(inbox.inbox.id, Some(985));
    assert_eq!(inbox.inbox.channel_id, Some(107));
    assert_eq!(inbox.inbox.name, "邮箱");
    assert_eq!(inbox.inbox.channel_type, Some(ChannelType::Email));
    assert_eq!(inbox.inbox.provider, None);
}

#[tokio::test]
async fn every_example_in_the_spec_decodes() {
    let examples = spec_examples();
    assert!(examples.len() >= 3);
    for (name, example) in examples {
        let expected_len = example["payload"].as_array().unwrap().len();
        assert_eq!(
            decode(example).await.payload.len(),
            expected_len,
            "example {name}"
        );
    }
}

#[tokio::test]
async fn newer_servers_string_pages_and_has_more() {
    let list = decode(
        json!({"meta": {"count": 15, "current_page": "2", "has_more": true}, "payload": []}),
    )
    .await;
    assert_eq!(list.meta.current_page.unwrap().number(), Some(2));
    assert_eq!(list.meta.has_more, Some(true));

    for odd in [json!("0"), json!("abc"), json!(0), json!(-1)] {
        let list = decode(json!({"meta": {"count": 0, "current_page": odd}, "payload": []})).await;
        assert_eq!(list.meta.current_page.unwrap().number(), None, "{odd}");
    }
}

/// The documentation marks every response field optional: a contact lacking any one of them
/// costs that field (its documented default, or an empty value), never the page.
#[tokio::test]
async fn contacts_each_lacking_a_different_optional_field_all_decode() {
    let optional = [
        "name",
        "email",
        "phone_number",
        "identifier",
        "blocked",
        "thumbnail",
        "availability_status",
        "additional_attributes",
        "custom_attributes",
        "created_at",
        "last_activity_at",
        "contact_inboxes",
    ];
    let mut payload: Vec<Value> = optional
        .iter()
        .enumerate()
        .map(|(n, field)| {
            let mut contact = common::contact(n as i64 + 1);
            contact["blocked"] = json!(true);
            contact["availability_status"] = json!("online");
            contact["last_activity_at"] = json!(1_700_000_100);
            contact["contact_inboxes"] = json!([{"source_id": "s", "inbox": {"id": 1, "channel_id": 2,
                "name": "WA", "channel_type": "Channel::Whatsapp", "provider": null}}]);
            contact.as_object_mut().unwrap().remove(*field);
            contact
        })
        .collect();
    // A channel lacking its members, and one lacking its inbox.
    payload.push(json!({"id": 100, "contact_inboxes": [{"inbox": {}}, {"source_id": "x"}]}));

    let list = decode(json!({"payload": payload})).await;
    assert_eq!(list.payload.len(), optional.len() + 1);
    assert_eq!(list.meta.count, None, "meta may be absent");
    assert_eq!(list.meta.current_page, None);
    for (contact, field) in list.payload.iter().zip(optional) {
        let lacking = |name: &str| field == name;
        assert_eq!(
            contact.blocked,
            !lacking("blocked"),
            "{field}: the default is false"
        );
        assert_eq!(
            contact.availability_status,
            if lacking("availability_status") {
                AvailabilityStatus::Offline
            } else {
                AvailabilityStatus::Online
            },
            "{field}: the documented default is offline"
        );
        assert_eq!(contact.name.is_none(), lacking("name"), "{field}");
        assert_eq!(contact.email.is_none(), lacking("email"), "{field}");
        assert_eq!(
            contact.created_at.is_none(),
            lacking("created_at"),
            "{field}"
        );
        assert_eq!(
            contact.last_activity_at.is_none(),
            lacking("last_activity_at")
        );
        assert_eq!(
            contact.contact_inboxes.is_empty(),
            lacking("contact_inboxes")
        );
        if lacking("thumbnail") {
            assert_eq!(contact.thumbnail, "");
        }
        if lacking("additional_attributes") {
            assert!(contact.additional_attributes.is_empty());
        }
    }
    let bare = &list.payload[optional.len()];
    assert_eq!(bare.contact_inboxes.len(), 2);
    assert_eq!(bare.contact_inboxes[0].source_id, "");
    assert_eq!(bare.contact_inboxes[0].inbox.id, None);
    assert_eq!(bare.contact_inboxes[1].inbox.channel_type, None);

    // Only the id is required: without it a contact cannot be told apart.
    let error = try_decode(json!({"payload": [{"name": "x"}]}))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, livedesk::Error::Decode { path, message, .. }
            if path == "payload[0]" && message.contains("`id`")),
        "{error}"
    );
}

#[tokio::test]
async fn optional_and_null_fields_and_open_sets() {
    let mut contact = common::contact(9_007_199_254_740_993); // 2^53 + 1: not a safe f64
    let fields = contact.as_object_mut().unwrap();
    fields.remove("contact_inboxes");
    fields.insert("name".into(), Value::Null);
    fields.insert("availability_status".into(), json!("busy"));
    fields.insert("blocked".into(), json!(true));
    fields.insert(
        "custom_attributes".into(),
        json!({"plan": "pro", "seats": 12, "ratio": 0.5, "trial": false, "gone": null,
               "tags": ["a", 1, null], "billing": {"vat": {"id": "DE1", "valid": true}}}),
    );
    fields.insert(
        "additional_attributes".into(),
        json!({"company_name": "EngageLab", "social_profiles": {"github": "x"}, "followers": 42, "verified": true}),
    );
    let mut with_inboxes = common::contact(2);
    with_inboxes["last_activity_at"] = json!(1_700_000_100);
    with_inboxes["contact_inboxes"] = json!([
        {"source_id": "+8613800000000", "inbox": {"id": 1, "channel_id": 2, "name": "WA",
          "channel_type": "Channel::Whatsapp", "provider": "whatsapp_cloud"}},
        {"source_id": "x", "inbox": {"id": 3, "channel_id": 4, "name": "New",
          "channel_type": "Channel::Carrier", "provider": "pigeon_post",
          "avatar_url": "https://example.com/a.png"}},
    ]);

    let list = decode(
        json!({"meta": {"count": 2, "current_page": 1}, "payload": [contact, with_inboxes]}),
    )
    .await;

    let first = &list.payload[0];
    assert_eq!(first.id, 9_007_199_254_740_993);
    assert_eq!(first.name, None);
    assert_eq!(first.last_activity_at, None);
    assert!(first.contact_inboxes.is_empty());
    assert!(first.blocked);
    assert_eq!(first.availability_status, AvailabilityStatus::from("busy"));
    assert!(matches!(
        &first.availability_status,
        AvailabilityStatus::Other(value) if value.as_str() == "busy"
    ));
    assert_eq!(first.custom_attributes["billing"]["vat"]["valid"], true);
    assert_eq!(first.custom_attributes["tags"], json!(["a", 1, null]));
    assert_eq!(first.custom_attributes["gone"], Value::Null);
    assert_eq!(first.custom_attributes["ratio"], 0.5);
    assert_eq!(first.additional_attributes["followers"], 42);

    let second = &list.payload[1];
    assert_eq!(second.last_activity_at, Some(1_700_000_100));
    let inboxes: Vec<_> = second.contact_inboxes.iter().map(|ci| &ci.inbox).collect();
    assert_eq!(inboxes[0].channel_type, Some(ChannelType::Whatsapp));
    assert_eq!(inboxes[0].provider, Some(Provider::WhatsappCloud));
    assert_eq!(
        inboxes[1].channel_type,
        Some(ChannelType::from("Channel::Carrier"))
    );
    assert_eq!(inboxes[1].provider, Some(Provider::from("pigeon_post")));
    assert_eq!(
        inboxes[1].avatar_url.as_deref(),
        Some("https://example.com/a.png")
    );
}

#[tokio::test]
async fn unknown_fields_are_ignored() {
    let mut contact = common::contact(1);
    contact["brand_new_field"] = json!({"anything": [1, 2]});
    let list =
        decode(json!({"meta": {"count": 1, "current_page": 1, "next": "?"}, "payload": [contact]}))
            .await;
    assert_eq!(list.payload[0].id, 1);
}

#[test]
fn decoded_pages_survive_a_round_trip_through_json() {
    for (name, example) in spec_examples() {
        let list: ContactList = serde_json::from_value(example).unwrap();
        let again: ContactList =
            serde_json::from_str(&serde_json::to_string(&list).unwrap()).unwrap();
        assert_eq!(again, list, "example {name}");
    }
}
