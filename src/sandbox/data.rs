//! The sandbox's contacts: a deterministic data set with the awkward cases real accounts have.
//!
//! Each contact is drawn from its own generator seeded by `(seed, index)`, so a larger data
//! set with the same seed starts with the same contacts. The first few are fixed showcases of
//! what breaks naive clients: CJK and emoji names, names with commas, quotes and newlines, `+`
//! phones, null emails, a missing `last_activity_at`, many channels, a contact with no
//! email, phone number or identifier, which the server never lists; and the documentation's
//! own example contact (id 64464046, `support@engagelab.com`).

use fastrand::Rng;
use serde_json::{Map, Value, json};

/// A contact as the sandbox searches, sorts and serves it.
pub(crate) struct Record {
    pub(crate) id: i64,
    /// Lowercased name, email, phone number and company name: matched ignoring case.
    pub(crate) folded: [String; 4],
    /// Matched case-sensitively, as the real server does.
    pub(crate) identifier: Option<String>,
    /// Lowercased: labels match ignoring case.
    pub(crate) labels: Box<[Box<str>]>,
    /// Whether it has a non-empty email, phone number or identifier: upstream lists no other.
    pub(crate) resolved: bool,
    pub(crate) sort_keys: SortKeys,
    /// The contact's JSON without its closing brace, and the `contact_inboxes` member that
    /// goes before it unless `include_contact_inboxes=false`.
    pub(crate) json_head: Box<str>,
    pub(crate) json_inboxes: Box<str>,
}

/// Values a search can be sorted by, as the server compares them: name, email and phone
/// number lowercased, the rest as they are; `None` is a null.
pub(crate) struct SortKeys {
    pub(crate) name: Option<String>,
    pub(crate) email: Option<String>,
    pub(crate) phone_number: Option<String>,
    pub(crate) last_activity_at: Option<i64>,
    pub(crate) created_at: i64,
    pub(crate) company: Option<String>,
    pub(crate) city: Option<String>,
    pub(crate) country: Option<String>,
}

/// The labels the data set uses, for `labels[]` searches.
pub(crate) const LABELS: &[&str] = &["vip", "lead", "customer", "support", "churned", "beta"];

const FIRST: &[&str] = &[
    "Ada",
    "Adam",
    "Adaeze",
    "Alan",
    "Grace",
    "Linus",
    "Margaret",
    "Katherine",
    "Dennis",
    "Barbara",
    "Edsger",
    "Frances",
    "Hedy",
    "Joan",
    "Ken",
    "Radia",
    "Sophie",
    "José",
    "Zoë",
    "Ngozi",
    "Priya",
    "Mateo",
    "Yuki",
    "Wei",
    "Olga",
    "Fatima",
    "Søren",
    "Chloé",
    "Ahmed",
    "Madalena",
];
const LAST: &[&str] = &[
    "Lovelace",
    "Hopper",
    "Turing",
    "Hamilton",
    "Johnson",
    "Ritchie",
    "Liskov",
    "Dijkstra",
    "Allen",
    "Lamarr",
    "Clarke",
    "Thompson",
    "Perlman",
    "Berners-Lee",
    "García",
    "Müller",
    "O'Neil",
    "Okafor",
    "Sharma",
    "Tanaka",
    "Nguyen",
    "Ivanova",
    "Haddad",
    "Adair",
];
const CJK: &[&str] = &[
    "王芳",
    "张伟",
    "佐藤 花子",
    "김민준",
    "陈静",
    "山田 太郎",
    "李娜",
];
const COMPANIES: &[(&str, &str, &str, &str)] = &[
    ("EngageLab", "Singapore", "Singapore", "SG"),
    ("Acme, Inc.", "Springfield", "United States", "US"),
    ("Globex", "Cypress Creek", "United States", "US"),
    ("株式会社テスト", "東京", "Japan", "JP"),
    ("Müller & Söhne", "München", "Germany", "DE"),
    ("\"Quoted\" Ltd", "London", "United Kingdom", "GB"),
    ("深圳科技有限公司", "深圳", "China", "CN"),
    ("Lagos Ventures", "Lagos", "Nigeria", "NG"),
];
const DOMAINS: &[&str] = &["example.com", "example.org", "mail.example.net"];
const CALLING_CODES: &[&str] = &["1", "44", "49", "81", "86", "33", "91", "234"];
const CHANNELS: &[(&str, Option<&str>)] = &[
    ("Channel::WebWidget", None),
    ("Channel::Api", None),
    ("Channel::Email", Some("google")),
    ("Channel::Email", Some("microsoft")),
    ("Channel::FacebookPage", None),
    ("Channel::Instagram", None),
    ("Channel::Telegram", None),
    ("Channel::Line", None),
    ("Channel::Whatsapp", Some("whatsapp_cloud")),
    ("Channel::Whatsapp", Some("engagelab_whatsapp")),
    ("Channel::Sms", Some("default")),
    ("Channel::TwilioSms", Some("twilio")),
    ("Channel::TwitterProfile", None),
    ("Channel::Voice", Some("twilio")),
];

/// Ids start here, as in an account that has existed for a while.
const FIRST_ID: i64 = 100_001;
const EPOCH: i64 = 1_600_000_000;

/// The data set of `count` contacts for `seed`.
pub(crate) fn generate(seed: u64, count: usize, bulk_imports: bool) -> Vec<Record> {
    (0..count)
        .map(|index| {
            let bulk = bulk_imports.then(|| bulk_import(seed, index)).flatten();
            contact(seed, index, bulk)
        })
        .collect()
}

/// The creation second contact `index` shares with the bulk import it belongs to, if any:
/// in every block of a thousand contacts, one import of 2 to 14 contacts (from its 100th)
/// and one of 100 to 400 (from its 500th), each stamped with the second its first contact
/// would have had, so the order by creation stays the order of the indexes.
fn bulk_import(seed: u64, index: usize) -> Option<i64> {
    let block = index / 1000;
    let mut rng =
        Rng::with_seed(seed ^ 0xB01C ^ (block as u64).wrapping_mul(0x2545_F491_4F6C_DD1D));
    let small = (block * 1000 + 100 + rng.usize(0..300), rng.usize(2..=14));
    let large = (block * 1000 + 500 + rng.usize(0..100), rng.usize(100..=400));
    [small, large]
        .into_iter()
        .find(|&(start, len)| (start..start + len).contains(&index))
        .map(|(start, _)| EPOCH + start as i64 * 300)
}

/// What a contact holds before it becomes JSON.
#[derive(Default)]
struct Draft {
    /// `None` is a null name, which the notes say to expect.
    name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    identifier: Option<String>,
    company: Option<(&'static str, &'static str, &'static str, &'static str)>,
    blocked: bool,
    online: bool,
    last_activity: bool,
    inboxes: usize,
    labels: Vec<&'static str>,
}

/// Where the documentation's example contact sits in every data set that reaches it.
const DOC_EXAMPLE_INDEX: usize = 9;

/// The example answer's contact in LiveDesk's documentation (the seeds), exactly as shown,
/// so that the documentation's `curl ...?q=support@engagelab.com` answers what it shows.
pub(crate) const DOC_EXAMPLE: &str = r#"{"additional_attributes":{"source_id":"email:ed5c8362-425c-4589-8adb-61a033d8c5fb.support@engagelab.com"},"availability_status":"offline","email":"support@engagelab.com","id":64464046,"name":"support","phone_number":null,"blocked":false,"identifier":null,"thumbnail":"","custom_attributes":{},"last_activity_at":1778572024,"created_at":1778570103,"contact_inboxes":[{"source_id":"support@engagelab.com","inbox":{"id":985,"channel_id":107,"name":"邮箱","channel_type":"Channel::Email","provider":null}}]}"#;

fn contact(seed: u64, index: usize, bulk_import: Option<i64>) -> Record {
    if index == DOC_EXAMPLE_INDEX {
        return super::load::record(DOC_EXAMPLE).expect("the documentation's example loads");
    }
    let mut rng = Rng::with_seed(seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let id = FIRST_ID + index as i64;
    let draft = showcase(index, id).unwrap_or_else(|| random_draft(&mut rng, id));
    // Five minutes apart: 100,000 contacts span a year, all in the past.
    let created_at = EPOCH + index as i64 * 300 + rng.i64(0..300);
    let created_at = bulk_import.unwrap_or(created_at);
    let last_activity_at = draft
        .last_activity
        .then(|| created_at + rng.i64(60..2_000_000));

    let mut additional = Map::new();
    if let Some((company, city, country, code)) = draft.company {
        additional.insert("company_name".into(), company.into());
        additional.insert("city".into(), city.into());
        additional.insert("country".into(), country.into());
        additional.insert("country_code".into(), code.into());
    }
    if rng.u8(0..4) == 0 {
        additional.insert(
            "social_profiles".into(),
            json!({"twitter": format!("user{id}"), "github": "", "linkedin": null}),
        );
        additional.insert("source_id".into(), rng.u32(..).into());
    }
    let custom = match rng.u8(0..4) {
        0 => Map::new(),
        1 => json_object(json!({"plan": "pro", "seats": rng.u8(1..50), "trial": false})),
        2 => json_object(json!({"tags": ["a", "b, c"], "notes": null, "score": 4.5})),
        _ => json_object(json!({"nested": {"k": "v", "list": [1, 2, 3]}, "signup": "2024-01-02"})),
    };

    let mut contact = json_object(json!({
        "id": id,
        "name": draft.name,
        "email": draft.email,
        "phone_number": draft.phone,
        "identifier": draft.identifier,
        "blocked": draft.blocked,
        "thumbnail": if rng.bool() { String::new() } else { format!("https://example.com/avatars/{id}.png") },
        "availability_status": if draft.online { "online" } else { "offline" },
        "additional_attributes": additional,
        "custom_attributes": custom,
        "created_at": created_at,
    }));
    if let Some(at) = last_activity_at {
        contact.insert("last_activity_at".into(), at.into());
    }
    let inboxes: Vec<Value> = (0..draft.inboxes)
        .map(|n| {
            let (channel_type, provider) = CHANNELS[(index + n * 5) % CHANNELS.len()];
            let inbox_id = 1 + ((index + n * 5) % CHANNELS.len()) as i64;
            let mut inbox = json_object(json!({
                "id": inbox_id,
                "channel_id": inbox_id * 10,
                "name": channel_type.trim_start_matches("Channel::").to_owned() + " inbox",
                "channel_type": channel_type,
                "provider": provider,
            }));
            if n % 2 == 0 {
                inbox.insert("avatar_url".into(), "".into());
            }
            json!({"source_id": format!("{:08x}-{:04x}", rng.u32(..), rng.u16(..)), "inbox": inbox})
        })
        .collect();

    let full = serde_json::to_string(&contact).expect("a JSON object serializes");
    let json_head = full[..full.len() - 1].into();
    let json_inboxes = format!(
        ",\"contact_inboxes\":{}",
        serde_json::to_string(&inboxes).expect("JSON serializes")
    )
    .into();
    let resolved = [&draft.email, &draft.phone, &draft.identifier]
        .iter()
        .any(|value| value.as_deref().is_some_and(|v| !v.is_empty()));
    Record {
        resolved,
        id,
        folded: [
            draft.name.as_deref().unwrap_or_default().to_lowercase(),
            draft.email.clone().unwrap_or_default(),
            draft.phone.clone().unwrap_or_default().to_lowercase(),
            draft
                .company
                .map(|c| c.0.to_lowercase())
                .unwrap_or_default(),
        ],
        identifier: draft.identifier,
        labels: draft.labels.iter().map(|&label| label.into()).collect(),
        sort_keys: SortKeys {
            name: draft.name.as_deref().map(str::to_lowercase),
            email: draft.email.as_deref().map(str::to_lowercase),
            phone_number: draft.phone.as_deref().map(str::to_lowercase),
            last_activity_at,
            created_at,
            // Raw text: the server sorts `additional_attributes->>'company_name'` as it is.
            company: draft.company.map(|c| c.0.to_owned()),
            city: draft.company.map(|c| c.1.to_owned()),
            country: draft.company.map(|c| c.2.to_owned()),
        },
        json_head,
        json_inboxes,
    }
}

/// The first contacts of every data set: one of each awkward case, whatever the seed.
fn showcase(index: usize, id: i64) -> Option<Draft> {
    let draft = match index {
        0 => Draft {
            name: Some("Ada Lovelace".into()),
            email: Some("ada@example.com".into()),
            phone: Some("+442071234567".into()),
            identifier: Some("ADA-1815".into()),
            company: Some(COMPANIES[5]),
            online: true,
            last_activity: true,
            inboxes: 2,
            labels: vec!["vip", "customer"],
            ..Draft::default()
        },
        1 => Draft {
            name: Some("李小龙 🐉".into()),
            phone: Some("+8613800138000".into()),
            company: Some(COMPANIES[6]),
            last_activity: true,
            inboxes: 1,
            labels: vec!["lead"],
            ..Draft::default()
        },
        2 => Draft {
            name: Some("O'Brien, \"Ada\"\nsecond line".into()),
            email: Some("obrien+ada@example.org".into()),
            company: Some(COMPANIES[1]),
            last_activity: true,
            inboxes: 1,
            ..Draft::default()
        },
        3 => Draft {
            name: Some(String::new()),
            email: Some(format!("no-name-{id}@example.net")),
            identifier: Some("ada-lowercase".into()),
            ..Draft::default()
        },
        4 => Draft {
            name: Some("山田 太郎".into()),
            email: Some("yamada@example.jp".into()),
            phone: Some("+81312345678".into()),
            company: Some(COMPANIES[3]),
            last_activity: true,
            labels: vec!["support"],
            ..Draft::default()
        },
        5 => Draft {
            name: Some("🚀 Rocket Team 🎉".into()),
            email: Some("rocket@example.com".into()),
            inboxes: CHANNELS.len(),
            last_activity: true,
            labels: vec!["beta", "vip", "lead"],
            ..Draft::default()
        },
        7 => Draft {
            name: None,
            phone: Some("+33142685300".into()),
            identifier: Some("null-name".into()),
            last_activity: true,
            ..Draft::default()
        },
        // A name and labels only: never listed nor found upstream, whatever the query.
        8 => Draft {
            name: Some("Ada Nameonly".into()),
            company: Some(COMPANIES[0]),
            last_activity: true,
            labels: vec!["vip"],
            ..Draft::default()
        },
        6 => Draft {
            name: Some("Adaeze Okafor".into()),
            email: Some("adaeze.okafor@example.com".into()),
            phone: Some("+2348031234567".into()),
            company: Some(COMPANIES[7]),
            blocked: true,
            labels: vec!["churned"],
            ..Draft::default()
        },
        _ => return None,
    };
    Some(draft)
}

fn random_draft(rng: &mut Rng, id: i64) -> Draft {
    let first = FIRST[rng.usize(..FIRST.len())];
    let last = LAST[rng.usize(..LAST.len())];
    let (name, ascii) = match rng.u8(0..20) {
        0 | 1 => (CJK[rng.usize(..CJK.len())].to_owned(), false),
        2 => (format!("{last}, {first}"), true),
        3 => (
            format!(
                "{first} \"{}\" {last}",
                first.chars().take(3).collect::<String>()
            ),
            true,
        ),
        4 => (format!("{first} {last} 🎉"), true),
        5 => (String::new(), false),
        _ => (format!("{first} {last}"), true),
    };
    // Unique, as upstream's index keeps emails in an account (the whole id: `id % 1000` let
    // two contacts share one address).
    let email = (rng.u8(0..5) != 0).then(|| {
        let user = if ascii && first.is_ascii() && last.is_ascii() {
            format!("{}.{}{}", first, last.replace('\'', ""), id).to_lowercase()
        } else {
            format!("user{id}")
        };
        format!("{user}@{}", DOMAINS[rng.usize(..DOMAINS.len())])
    });
    let phone = (rng.u8(0..4) != 0).then(|| {
        let digits: String = (0..rng.usize(8..11)).map(|_| rng.digit(10)).collect();
        format!(
            "+{}{}",
            CALLING_CODES[rng.usize(..CALLING_CODES.len())],
            digits
        )
    });
    let identifier = (rng.u8(0..5) < 3).then(|| match rng.bool() {
        true => format!("UID-{id}"),
        false => format!("cus_{}", fastrand_alphanumeric(rng, 10)),
    });
    let mut labels: Vec<&'static str> = LABELS
        .iter()
        .copied()
        .filter(|_| rng.u8(0..6) == 0)
        .collect();
    labels.truncate(3);
    Draft {
        name: Some(name),
        email,
        phone,
        identifier,
        company: (rng.u8(0..5) < 3).then(|| COMPANIES[rng.usize(..COMPANIES.len())]),
        blocked: rng.u8(0..25) == 0,
        online: rng.u8(0..5) == 0,
        last_activity: rng.u8(0..10) >= 3,
        inboxes: [0, 1, 1, 1, 2, 3][rng.usize(..6)],
        labels,
    }
}

fn fastrand_alphanumeric(rng: &mut Rng, len: usize) -> String {
    (0..len).map(|_| rng.alphanumeric()).collect()
}

fn json_object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => unreachable!("called with object literals only"),
    }
}

impl Record {
    /// Whether the contact carries one of `labels` (lowercased); `None` is no filter.
    pub(crate) fn has_any_label(&self, labels: Option<&[String]>) -> bool {
        labels.is_none_or(|labels| {
            labels
                .iter()
                .any(|wanted| self.labels.iter().any(|label| **label == **wanted))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::generate;

    #[test]
    fn generated_emails_are_unique_as_upstream_keeps_them() {
        let records = generate(7, 20_000, false);
        let mut emails: Vec<&str> = records
            .iter()
            .map(|record| record.folded[1].as_str())
            .filter(|email| !email.is_empty())
            .collect();
        let with_email = emails.len();
        emails.sort_unstable();
        emails.dedup();
        assert!(with_email > 10_000, "{with_email}");
        assert_eq!(emails.len(), with_email);
    }
}
