//! Mutated payloads and random bodies, served over loopback: the client always returns `Ok`
//! or a typed error, never panics, never loses the status.

use crate::common;

use std::sync::{Arc, LazyLock, Mutex};

use common::{
    client_with,
    server::{Reply, TestServer},
};
use livedesk::{Client, Error, RetryPolicy};
use proptest::prelude::*;
use serde_json::{Value, json};

/// What the shared server answers next: status, content type, body.
type Next = Arc<Mutex<(u16, String, Vec<u8>)>>;

struct Harness {
    runtime: tokio::runtime::Runtime,
    next: Next,
    client: Client,
    _server: TestServer,
}

static HARNESS: LazyLock<Harness> = LazyLock::new(|| {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let next: Next = Arc::new(Mutex::new((200, String::new(), Vec::new())));
    let server = runtime.block_on(TestServer::start({
        let next = next.clone();
        move |_| {
            let (status, content_type, body) = next.lock().unwrap().clone();
            Reply::status(status, &content_type, body)
        }
    }));
    let client = client_with(&server.base_url, RetryPolicy::disabled());
    Harness {
        runtime,
        next,
        client,
        _server: server,
    }
});

/// Serves one answer and returns what the client made of it. Cases run one at a time.
fn fetch(
    status: u16,
    content_type: &str,
    body: Vec<u8>,
) -> livedesk::Result<livedesk::ContactList> {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let harness = &*HARNESS;
    *harness.next.lock().unwrap() = (status, content_type.to_owned(), body);
    harness.runtime.block_on(harness.client.search("x").send())
}

fn valid_page() -> Value {
    json!({
        "meta": {"count": 2, "current_page": 1},
        "payload": [
            {"additional_attributes": {"source_id": "email:x", "social_profiles": {"github": "x"}},
             "availability_status": "offline", "email": "support@engagelab.com", "id": 64464046,
             "name": "support", "phone_number": null, "blocked": false, "identifier": null,
             "thumbnail": "", "custom_attributes": {"plan": "pro", "n": [1, {"a": null}]},
             "last_activity_at": 1778572024, "created_at": 1778570103,
             "contact_inboxes": [{"source_id": "support@engagelab.com",
                "inbox": {"id": 985, "channel_id": 107, "name": "邮箱",
                          "channel_type": "Channel::Email", "provider": null}}]},
            {"additional_attributes": {}, "availability_status": "online", "email": null,
             "id": 2, "name": "李雷 🚀", "phone_number": "+8613800000000", "blocked": true,
             "identifier": "u-2", "thumbnail": "https://x/y.png", "custom_attributes": {},
             "created_at": 1700000000}
        ]
    })
}

#[derive(Clone, Debug)]
enum Mutation {
    Remove,
    Null,
    Replace(Value),
    /// A number no 64-bit type holds, written as raw JSON text.
    Huge(&'static str),
    Nest(usize),
}

/// A stand-in that `serialize` swaps for the raw text of a [`Mutation::Huge`].
const HUGE: &str = "__huge_number__";

fn mutation() -> impl Strategy<Value = Mutation> {
    let scalar = prop_oneof![
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,40}".prop_map(Value::from),
        Just(json!([])),
        Just(json!({})),
        Just(json!({"error": 1})),
    ];
    prop_oneof![
        Just(Mutation::Remove),
        Just(Mutation::Null),
        scalar.prop_map(Mutation::Replace),
        prop_oneof![
            Just("1e400"),
            Just("18446744073709551616"),
            Just("-9223372036854775809"),
            Just("1.5"),
            Just("-0")
        ]
        .prop_map(Mutation::Huge),
        (1usize..300).prop_map(Mutation::Nest),
    ]
}

/// Walks down `path` (each step picks a child by index modulo the number of children) and
/// applies `mutation` where it stops.
fn apply(target: &mut Value, path: &[usize], mutation: &Mutation) {
    let Some((step, rest)) = path.split_first() else {
        *target = match mutation {
            Mutation::Remove | Mutation::Null => Value::Null,
            Mutation::Replace(v) => v.clone(),
            Mutation::Huge(_) => Value::from(HUGE),
            Mutation::Nest(depth) => (0..*depth).fold(json!(1), |inner, _| json!([inner])),
        };
        return;
    };
    let remove = rest.is_empty() && matches!(mutation, Mutation::Remove);
    match target {
        Value::Object(map) if !map.is_empty() => {
            let key = map.keys().nth(step % map.len()).unwrap().clone();
            if remove {
                map.remove(&key);
            } else {
                apply(map.get_mut(&key).unwrap(), rest, mutation);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            let index = step % items.len();
            if remove {
                items.remove(index);
            } else {
                apply(&mut items[index], rest, mutation);
            }
        }
        leaf => apply(leaf, &[], mutation),
    }
}

fn serialize(value: &Value, mutations: &[(Vec<usize>, Mutation)]) -> String {
    let mut text = value.to_string();
    for (_, mutation) in mutations {
        if let Mutation::Huge(raw) = mutation {
            text = text.replacen(&format!("\"{HUGE}\""), raw, 1);
        }
    }
    text
}

fn assert_typed(result: &livedesk::Result<livedesk::ContactList>, status: u16) {
    match result {
        Ok(_) => assert_eq!(status, 200),
        Err(Error::Decode { status: s, .. }) | Err(Error::Api { status: s, .. }) => {
            assert_eq!(s.as_u16(), status)
        }
        Err(other) => panic!("expected Ok, Decode or Api for status {status}, got {other:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn mutated_pages_decode_or_fail_typed(
        mutations in prop::collection::vec((prop::collection::vec(any::<usize>(), 1..6), mutation()), 1..4)
    ) {
        let mut page = valid_page();
        for (path, mutation) in &mutations {
            apply(&mut page, path, mutation);
        }
        let result = fetch(200, "application/json", serialize(&page, &mutations).into_bytes());
        assert_typed(&result, 200);
    }

    #[test]
    fn random_bodies_under_any_status_fail_typed(
        status in prop_oneof![Just(200u16), 201u16..=299, 400u16..=599],
        content_type in prop_oneof![Just("application/json"), Just("text/plain"), Just("text/html")],
        body in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..2000),
            ".{0,500}".prop_map(String::into_bytes),
            "<html><title>.{0,80}</title>.{0,200}".prop_map(String::into_bytes),
            r#"\{"error(s)?":.{0,80}\}"#.prop_map(String::into_bytes),
        ],
    ) {
        let result = fetch(status, content_type, body);
        assert_typed(&result, status);
        if let Err(Error::Api { message, .. }) = &result {
            prop_assert!(!message.is_empty());
            prop_assert!(message.chars().count() <= 301);
        }
    }
}

#[test]
fn the_unmutated_page_decodes() {
    let result = fetch(
        200,
        "application/json",
        valid_page().to_string().into_bytes(),
    );
    assert_eq!(result.unwrap().payload.len(), 2);
}
