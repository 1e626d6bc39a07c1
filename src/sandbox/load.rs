//! Your own contacts for the sandbox: a data set checked whole before anything is served,
//! each contact kept as the JSON it came as.

use std::{collections::HashMap, fmt, io};

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::{Value, value::RawValue};

use super::data::{Record, SortKeys};
use crate::Contact;

/// A data set of your own contacts for [`SandboxBuilder::data`](crate::SandboxBuilder::data):
/// contacts in the API's wire shape, each with the labels it carries.
///
/// It is checked whole when made, so a sandbox never serves half of one: each contact must
/// be a JSON object that decodes as a [`Contact`] (an `id` and a `created_at` at least, each
/// field of its wire type), with a unique `id`, and an optional `"labels"` array of strings
/// (the labels `labels[]` filters on; they are not served). A contact is served exactly as
/// given: its members and their values as they came (`contact_inboxes` moved last, left out
/// when absent or when the request says `include_contact_inboxes=false`;
/// `last_activity_at` absent when absent). A refused data set is an
/// [`io::ErrorKind::InvalidData`] error naming the contact (its index from 0, and its `id`
/// when it has one) and the field.
///
/// `Debug` shows how many contacts it holds, not what they hold.
///
/// ```
/// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use livedesk::{Sandbox, SandboxData};
///
/// let data = SandboxData::from_json(r#"[
///   {"id": 1, "name": "Ada", "email": "ada@example.com", "phone_number": null,
///    "identifier": null, "blocked": false, "thumbnail": "", "availability_status": "offline",
///    "additional_attributes": {}, "custom_attributes": {}, "created_at": 1700000000,
///    "labels": ["vip"]}
/// ]"#)?;
/// let sandbox = Sandbox::builder().data(data).start().await?;
/// let page = sandbox.client().build()?.search("ada").label("VIP").send().await?;
/// assert_eq!(page.payload[0].id, 1);
///
/// let refused = SandboxData::from_json(r#"[{"id": 1, "created_at": "yesterday"}]"#).unwrap_err();
/// assert!(refused.to_string().contains("contact 0 (id 1)"), "{refused}");
/// assert!(refused.to_string().contains("created_at"), "{refused}");
/// # Ok(()) }
/// ```
pub struct SandboxData {
    pub(crate) records: Vec<Record>,
}

impl fmt::Debug for SandboxData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxData")
            .field("contacts", &self.records.len())
            .finish()
    }
}

impl SandboxData {
    /// A data set from a JSON array of contacts, as a file holds it (what `livedesk sandbox
    /// --data FILE` reads).
    ///
    /// ```
    /// let data = livedesk::SandboxData::from_json("[]")?;
    /// assert!(data.is_empty());
    /// assert!(livedesk::SandboxData::from_json("{}").is_err(), "not an array");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn from_json(text: &str) -> io::Result<SandboxData> {
        let whole: Box<RawValue> =
            serde_json::from_str(text).map_err(|e| invalid(format!("not JSON: {e}")))?;
        let contacts: Vec<Box<RawValue>> = serde_json::from_str(whole.get()).map_err(|_| {
            invalid(format!(
                "not an array: a data set is a JSON array of contacts, and this is {}",
                kind(whole.get())
            ))
        })?;
        Self::from_raw(contacts.iter().map(|raw| raw.get()))
    }

    /// A data set from JSON values, one contact each (with an optional `"labels"` array).
    ///
    /// ```
    /// use serde_json::json;
    ///
    /// let data = livedesk::SandboxData::from_values([json!({
    ///     "id": 7, "name": null, "email": null, "phone_number": "+8613800138000",
    ///     "identifier": null, "blocked": false, "thumbnail": "",
    ///     "availability_status": "online", "additional_attributes": {},
    ///     "custom_attributes": {}, "created_at": 1700000000, "contact_inboxes": [],
    /// })])?;
    /// assert_eq!(data.len(), 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn from_values(contacts: impl IntoIterator<Item = Value>) -> io::Result<SandboxData> {
        let texts: Vec<String> = contacts.into_iter().map(|v| v.to_string()).collect();
        Self::from_raw(texts.iter().map(String::as_str))
    }

    /// A data set from typed contacts, each with its labels.
    ///
    /// ```
    /// use livedesk::{SandboxData, types::{AvailabilityStatus, Contact}};
    ///
    /// let mut ada = Contact::new(7);
    /// ada.name = Some("Ada".to_owned());
    /// ada.identifier = Some("ADA-1".to_owned());
    /// ada.availability_status = AvailabilityStatus::Online;
    /// ada.created_at = Some(1_700_000_000);
    /// let data = SandboxData::from_contacts([(ada, vec!["vip"])])?;
    /// assert_eq!(data.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_contacts<L, S>(
        contacts: impl IntoIterator<Item = (Contact, L)>,
    ) -> io::Result<SandboxData>
    where
        L: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut values = Vec::new();
        for (n, (contact, labels)) in contacts.into_iter().enumerate() {
            let mut value = serde_json::to_value(&contact)
                .map_err(|e| invalid(format!("contact {n} (id {}): {e}", contact.id)))?;
            let labels: Vec<String> = labels.into_iter().map(Into::into).collect();
            if let Value::Object(members) = &mut value {
                members.insert("labels".into(), labels.into());
            }
            values.push(value);
        }
        Self::from_values(values)
    }

    /// How many contacts it holds.
    ///
    /// ```
    /// assert_eq!(livedesk::SandboxData::from_json("[]")?.len(), 0);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether it holds no contact.
    ///
    /// ```
    /// assert!(livedesk::SandboxData::from_json("[]")?.is_empty());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    fn from_raw<'a>(contacts: impl Iterator<Item = &'a str>) -> io::Result<SandboxData> {
        let mut records = Vec::new();
        let mut seen: HashMap<i64, usize> = HashMap::new();
        for (index, text) in contacts.enumerate() {
            let record = record(text).map_err(|(id, message)| match id {
                Some(id) => invalid(format!("contact {index} (id {id}): {message}")),
                None => invalid(format!("contact {index}: {message}")),
            })?;
            if let Some(first) = seen.insert(record.id, index) {
                return Err(invalid(format!(
                    "contact {index} (id {}): duplicate `id`: contact {first} has it too",
                    record.id
                )));
            }
            records.push(record);
        }
        Ok(SandboxData { records })
    }
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

/// What a JSON text is, for a message: "an object", "a string"… (not the value itself,
/// which may be a contact's personal data).
fn kind(text: &str) -> &'static str {
    match text.trim_start().as_bytes().first() {
        Some(b'{') => "an object",
        Some(b'[') => "an array",
        Some(b'"') => "a string",
        Some(b't' | b'f') => "a boolean",
        Some(b'n') => "null",
        _ => "a number",
    }
}

/// A value for a message: a number as it is, anything else by its kind only.
fn describe(value: &Value) -> String {
    match value {
        Value::Number(n) => n.to_string(),
        other => kind(&other.to_string()).to_owned(),
    }
}

/// An object's members in their order, each value as its JSON text.
struct Members(Vec<(String, Box<RawValue>)>);

impl<'de> Deserialize<'de> for Members {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MembersVisitor;
        impl<'de> Visitor<'de> for MembersVisitor {
            type Value = Members;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
                let mut members = Vec::new();
                while let Some(entry) = map.next_entry::<String, Box<RawValue>>()? {
                    members.push(entry);
                }
                Ok(Members(members))
            }
        }
        deserializer.deserialize_map(MembersVisitor)
    }
}

/// One contact checked and made ready to serve, or its id (when it has one) and what is
/// wrong with it.
pub(crate) fn record(text: &str) -> Result<Record, (Option<i64>, String)> {
    let members = match serde_json::from_str::<Members>(text) {
        Ok(Members(members)) => members,
        Err(_) => {
            return Err((
                None,
                format!("a contact is a JSON object, not {}", kind(text)),
            ));
        }
    };
    let value = |name: &str| {
        members
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, raw)| serde_json::from_str::<Value>(raw.get()).unwrap_or(Value::Null))
    };
    let id = match value("id") {
        None => return Err((None, "missing `id`".into())),
        Some(Value::Number(n)) if n.as_i64().is_some() => n.as_i64().unwrap_or_default(),
        Some(other) => {
            return Err((
                None,
                format!("`id` must be an integer, not {}", describe(&other)),
            ));
        }
    };
    let fail = |message: String| (Some(id), message);
    for (n, (key, _)) in members.iter().enumerate() {
        if members[..n].iter().any(|(earlier, _)| earlier == key) {
            return Err(fail(format!("`{key}` is given twice")));
        }
    }
    let created_at = match value("created_at") {
        None => return Err(fail("missing `created_at`".into())),
        Some(Value::Number(n)) if n.as_i64().is_some() => n.as_i64().unwrap_or_default(),
        Some(other) => {
            return Err(fail(format!(
                "`created_at` must be an integer (unix seconds), not {}",
                describe(&other)
            )));
        }
    };
    let labels: Box<[Box<str>]> = match value("labels") {
        None => Box::default(),
        Some(Value::Array(labels)) => labels
            .iter()
            .map(|label| match label {
                Value::String(label) => Ok(label.to_lowercase().into_boxed_str()),
                other => Err(fail(format!(
                    "`labels` must be an array of strings, and holds {}",
                    describe(other)
                ))),
            })
            .collect::<Result<_, _>>()?,
        Some(other) => {
            return Err(fail(format!(
                "`labels` must be an array of strings, not {}",
                describe(&other)
            )));
        }
    };

    // What is served: every member but `labels`, `contact_inboxes` apart.
    let mut json_head = String::from("{");
    let mut json_inboxes = String::new();
    let mut served = String::from("{");
    for (key, raw) in &members {
        let member = format!(
            "{}:{}",
            serde_json::to_string(key).expect("a string serializes"),
            raw.get()
        );
        match key.as_str() {
            "labels" => continue,
            "contact_inboxes" => json_inboxes = format!(",{member}"),
            _ => {
                if json_head.len() > 1 {
                    json_head.push(',');
                }
                json_head.push_str(&member);
            }
        }
        if served.len() > 1 {
            served.push(',');
        }
        served.push_str(&member);
    }
    served.push('}');
    // Served, it must read as the crate's own type does: else the sandbox would teach code
    // to handle answers the API never gives.
    let decoder = &mut serde_json::Deserializer::from_str(&served);
    if let Err(e) = serde_path_to_error::deserialize::<_, Contact>(decoder) {
        let path = e.path().to_string();
        return Err(fail(if path == "." {
            format!("not a contact: {}", e.inner())
        } else {
            format!("`{path}`: {}", e.inner())
        }));
    }

    let text_of = |value: Option<Value>| match value {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => Some(text),
        // `->>` gives the JSON text of a value that is not a string.
        Some(other) => Some(other.to_string()),
    };
    let attributes = value("additional_attributes");
    let attribute = |key: &str| text_of(attributes.as_ref().and_then(|a| a.get(key)).cloned());
    let name = text_of(value("name"));
    let email = text_of(value("email"));
    let phone_number = text_of(value("phone_number"));
    let company = attribute("company_name");
    let lower = |text: &Option<String>| text.as_deref().map(str::to_lowercase);
    // contact.rb's `resolved_contacts`: an email, phone number or identifier, not empty.
    let identifier = text_of(value("identifier"));
    let resolved = [&email, &phone_number, &identifier]
        .iter()
        .any(|value| value.as_deref().is_some_and(|v| !v.is_empty()));
    Ok(Record {
        resolved,
        id,
        folded: [
            lower(&name).unwrap_or_default(),
            lower(&email).unwrap_or_default(),
            lower(&phone_number).unwrap_or_default(),
            lower(&company).unwrap_or_default(),
        ],
        identifier,
        labels,
        sort_keys: SortKeys {
            name: lower(&name),
            email: lower(&email),
            phone_number: lower(&phone_number),
            last_activity_at: value("last_activity_at").and_then(|v| v.as_i64()),
            created_at,
            company,
            city: attribute("city"),
            country: attribute("country"),
        },
        json_head: json_head.into(),
        json_inboxes: json_inboxes.into(),
    })
}
