//! The spec and the Rust types cannot drift apart: every example in `openapi/livedesk.yaml`
//! validates against the JSON Schema that `schemars` derives from the Rust type standing for
//! it, hand-written replacements included. (`openapi/check_examples.py` checks the same
//! examples against the spec's own schemas.)

use std::num::NonZeroU32;

use livedesk::types::{
    AvailabilityStatus, ChannelType, Contact, ContactInbox, ContactList, ContactListMeta,
    CurrentPage, Inbox, Provider, SortDirection, SortField,
};
use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{Map, Value};

fn spec() -> Value {
    yaml_serde::from_str(include_str!("../openapi/livedesk.yaml")).expect("the spec parses")
}

fn rust_schema<T: JsonSchema>() -> Value {
    serde_json::to_value(SchemaGenerator::default().into_root_schema_for::<T>()).unwrap()
}

/// The schemas with no public Rust type: error bodies are read by the client into
/// `Error::Api`'s message, whatever their shape (tests/errors.rs sends each documented one).
const NOT_PUBLIC: &[&str] = &["ErrorBody", "SortKey", "SortFieldDescending"];

/// The `sort` parameter's upstream form, `-field`, has no Rust value: the client sends the
/// field with `direction` and writes the `-` form only for a server that reads no `direction`
/// (`src/order.rs`, tested in `tests/order.rs`). `SortKey` and `SortFieldDescending` above are
/// that form's schemas.
fn rewritten_by_the_client(parameter: &str, example: &Value) -> bool {
    parameter == "sort" && example.as_str().is_some_and(|v| v.starts_with('-'))
}

/// The Rust type's schema for each named component schema of the spec.
fn component(name: &str) -> Value {
    match name {
        "ContactList" => rust_schema::<ContactList>(),
        "ContactListMeta" => rust_schema::<ContactListMeta>(),
        "Contact" => rust_schema::<Contact>(),
        "ContactInbox" => rust_schema::<ContactInbox>(),
        "Inbox" => rust_schema::<Inbox>(),
        "CurrentPage" => rust_schema::<CurrentPage>(),
        "AvailabilityStatus" => rust_schema::<AvailabilityStatus>(),
        "ChannelType" => rust_schema::<ChannelType>(),
        "Provider" => rust_schema::<Provider>(),
        "SortField" => rust_schema::<SortField>(),
        "SortDirection" => rust_schema::<SortDirection>(),
        other => panic!("no Rust type is mapped to the spec's schema {other}: add it here"),
    }
}

/// The Rust type's schema for a query parameter.
fn parameter(name: &str) -> Value {
    match name {
        "q" => rust_schema::<String>(),
        "page" => rust_schema::<NonZeroU32>(),
        "labels[]" => rust_schema::<Vec<String>>(),
        "include_contact_inboxes" => rust_schema::<bool>(),
        "sort" => rust_schema::<SortField>(),
        "direction" => rust_schema::<SortDirection>(),
        other => panic!("no Rust type is mapped to the parameter {other}: add it here"),
    }
}

/// A property's schema within its type's root schema, keeping the root's `$defs` so that
/// references still resolve.
fn property(root: &Value, name: &str) -> Value {
    let mut schema = root["properties"]
        .get(name)
        .unwrap_or_else(|| panic!("the Rust type has no property {name}"))
        .clone();
    if let (Some(object), Some(defs)) = (schema.as_object_mut(), root.get("$defs")) {
        object.insert("$defs".into(), defs.clone());
    } else if let Some(defs) = root.get("$defs") {
        schema = Value::Object(Map::from_iter([
            ("allOf".to_owned(), Value::Array(vec![schema])),
            ("$defs".to_owned(), defs.clone()),
        ]));
    }
    schema
}

fn examples(node: &Value) -> Vec<(String, Value)> {
    let mut found = Vec::new();
    if let Some(example) = node.get("example") {
        found.push(("example".to_owned(), example.clone()));
    }
    if let Some(examples) = node.get("examples").and_then(Value::as_object) {
        for (name, example) in examples {
            found.push((format!("examples.{name}"), example["value"].clone()));
        }
    }
    found
}

/// (where, Rust schema, example) for every example in the spec.
fn cases() -> Vec<(String, Value, Value)> {
    let spec = spec();
    let mut cases = Vec::new();
    let operation = &spec["paths"]["/api/v2/accounts/contacts"]["get"];
    for param in operation["parameters"].as_array().unwrap() {
        let name = param["name"].as_str().unwrap();
        for (which, example) in examples(param) {
            if rewritten_by_the_client(name, &example) {
                continue;
            }
            cases.push((
                format!("parameter {name} {which}"),
                parameter(name),
                example,
            ));
        }
    }
    for (status, response) in operation["responses"].as_object().unwrap() {
        let Some(json) = response.pointer("/content/application~1json") else {
            continue;
        };
        let target = json["schema"]["$ref"]
            .as_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap();
        if NOT_PUBLIC.contains(&target) {
            continue;
        }
        for (which, example) in examples(json) {
            cases.push((
                format!("response {status} {which}"),
                component(target),
                example,
            ));
        }
    }
    for (name, schema) in spec["components"]["schemas"].as_object().unwrap() {
        if NOT_PUBLIC.contains(&name.as_str()) {
            continue;
        }
        let root = component(name);
        for (which, example) in examples(schema) {
            cases.push((format!("{name} {which}"), root.clone(), example));
        }
        for (prop, sub) in schema
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            for (which, example) in examples(sub) {
                cases.push((
                    format!("{name}.{prop} {which}"),
                    property(&root, prop),
                    example,
                ));
            }
        }
    }
    cases
}

#[test]
fn every_example_in_the_spec_validates_against_the_rust_types_schema() {
    let cases = cases();
    assert!(cases.len() > 30, "only {} examples found", cases.len());
    let mut failures = Vec::new();
    for (place, schema, example) in &cases {
        let validator = jsonschema::validator_for(schema)
            .unwrap_or_else(|e| panic!("{place}: the Rust schema does not compile: {e}"));
        for error in validator.iter_errors(example) {
            failures.push(format!("{place}: {error} at {}", error.instance_path()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} examples fail:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn the_rust_schemas_reject_what_the_spec_rejects() {
    // The check above would pass against schemas that accept anything; these must fail.
    let list = jsonschema::validator_for(&component("ContactList")).unwrap();
    // Every member is optional (the documentation's table), but not of any type.
    assert!(list.is_valid(&serde_json::json!({"meta": {"count": 1}})));
    assert!(!list.is_valid(&serde_json::json!({"meta": {"count": 1}, "payload": [{"name": "x"}]})));
    assert!(!list.is_valid(&serde_json::json!({"payload": [{"id": 1, "blocked": "no"}]})));
    assert!(
        !list.is_valid(
            &serde_json::json!({"meta": {"count": "1", "current_page": 1}, "payload": []})
        )
    );
    let sort = jsonschema::validator_for(&component("SortField")).unwrap();
    assert!(!sort.is_valid(&serde_json::json!("favourite_colour")));
}

#[test]
fn the_spec_version_moves_with_the_crate_version() {
    assert_eq!(spec()["info"]["version"], env!("CARGO_PKG_VERSION"));
}
