//! The command line's sandbox with your own contacts: `livedesk sandbox --data FILE` and
//! `contacts search --sandbox --sandbox-data FILE`, a bad file refused with exit code 2 and
//! one line naming the file, the contact and the field; and the upstream switch.

use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Child, Command, Stdio},
};

use livedesk::{Client, Credentials, RetryPolicy, SortDirection, SortField};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_livedesk");

fn contact(id: i64, name: &str, created_at: i64, labels: &[&str]) -> Value {
    json!({
        "id": id, "name": name, "email": format!("{}@example.com", name.to_lowercase()),
        "phone_number": null, "identifier": null, "blocked": false, "thumbnail": "",
        "availability_status": "offline", "additional_attributes": {},
        "custom_attributes": {}, "created_at": created_at, "labels": labels,
    })
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

/// A child process killed when dropped.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `livedesk sandbox --port 0 ARGS`: the child, its banner and its base URL.
fn standalone(args: &[&str]) -> (Killed, String, String) {
    let mut child = Killed(
        Command::new(BIN)
            .args(["sandbox", "--port", "0", "--rate-limit", "0"])
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    let banner = lines.next().unwrap().unwrap();
    let url = lines
        .next()
        .unwrap()
        .unwrap()
        .split_whitespace()
        .find_map(|w| w.strip_prefix("LIVEDESK_BASE_URL="))
        .unwrap()
        .to_owned();
    (child, banner, url)
}

fn client(url: &str) -> Client {
    Client::builder(Credentials::new("sandbox-key", "sandbox-secret").unwrap())
        .base_url(url)
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_standalone_sandbox_serves_a_file_and_can_ignore_direction() {
    let dir = tempfile::tempdir().unwrap();
    let data = json!([
        contact(1, "Ada", 100, &["vip"]),
        contact(2, "Grace", 300, &[]),
        contact(3, "Alan", 200, &["VIP"]),
    ]);
    let file = write(dir.path(), "contacts.json", &data.to_string());

    let (_child, banner, url) = standalone(&["--data", &file]);
    assert!(banner.contains("3 contacts"), "{banner}");
    let ids = |page: livedesk::ContactList| page.payload.iter().map(|c| c.id).collect::<Vec<_>>();
    let search = client(&url)
        .search("example.com")
        .sort(SortField::CreatedAt);
    let page = search
        .clone()
        .direction(SortDirection::Desc)
        .send()
        .await
        .unwrap();
    assert_eq!(ids(page), [2, 3, 1]);
    let page = search.label("vip").send().await.unwrap();
    assert_eq!(ids(page), [1, 3]);

    // Upstream, `direction` is not read: the raw request comes back oldest first.
    let (_child, _, url) = standalone(&["--data", &file, "--ignore-direction"]);
    let raw: Value = reqwest::Client::new()
        .get(format!(
            "{url}/api/v2/accounts/contacts?q=example&sort=created_at&direction=desc"
        ))
        .basic_auth("sandbox-key", Some("sandbox-secret"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let raw_ids: Vec<i64> = raw["payload"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(raw_ids, [1, 3, 2]);
}

#[test]
fn a_search_of_the_in_process_sandbox_serves_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = json!([contact(10, "Zoë", 5, &[]), contact(11, "Ada", 6, &["vip"])]);
    let file = write(dir.path(), "mine.json", &data.to_string());
    let output = Command::new(BIN)
        .args([
            "contacts",
            "search",
            "example",
            "--sandbox",
            "--sandbox-data",
            &file,
        ])
        .args(["--all", "--format", "jsonl", "--label", "vip"])
        .env_remove("LIVEDESK_API_KEY")
        .env_remove("LIVEDESK_API_SECRET")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["id"], 11);
    assert!(lines[0].get("labels").is_none(), "labels are not served");
}

#[test]
fn a_bad_file_is_a_usage_error_naming_the_contact_and_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let mut duplicate = vec![contact(1, "Ada", 1, &[]), contact(1, "Alan", 2, &[])];
    let mut wrong_type = contact(7, "Grace", 1, &[]);
    wrong_type["email"] = json!(42);
    let missing = dir.path().join("missing.json");
    let cases = [
        ("not-json.json", "[{".to_owned(), "not JSON"),
        ("object.json", "{}".to_owned(), "not an array"),
        (
            "duplicate.json",
            Value::from(std::mem::take(&mut duplicate)).to_string(),
            "contact 1 (id 1): duplicate `id`",
        ),
        (
            "no-id.json",
            r#"[{"name": "x", "created_at": 1}]"#.to_owned(),
            "contact 0: missing `id`",
        ),
        (
            "no-created-at.json",
            r#"[{"id": 3}]"#.to_owned(),
            "contact 0 (id 3): missing `created_at`",
        ),
        (
            "wrong-type.json",
            json!([wrong_type]).to_string(),
            "contact 0 (id 7): `email`: invalid type: integer `42`",
        ),
    ];
    for (name, text, expected) in cases {
        let file = write(dir.path(), name, &text);
        for args in [
            vec!["sandbox", "--port", "0", "--data", &file],
            vec![
                "contacts",
                "search",
                "x",
                "--sandbox",
                "--sandbox-data",
                &file,
            ],
        ] {
            let output = Command::new(BIN)
                .args(&args)
                .stdin(Stdio::null())
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
            assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
            assert!(
                stderr.contains(&file) && stderr.contains(expected),
                "{args:?}: {stderr}"
            );
            assert!(output.stdout.is_empty(), "nothing served: {args:?}");
        }
    }
    let output = Command::new(BIN)
        .args(["sandbox", "--port", "0", "--data"])
        .arg(&missing)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("missing.json: cannot read it"), "{stderr}");
}

#[test]
fn a_server_that_ignores_direction_is_said_once_and_the_export_still_descends() {
    let output = Command::new(BIN)
        .args([
            "contacts",
            "search",
            "e",
            "--sandbox",
            "--sandbox-ignore-direction",
        ])
        .args([
            "--sort",
            "created_at",
            "--direction",
            "desc",
            "--all",
            "--format",
            "jsonl",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let said = "the server ignores `direction`; descending sorts are asked as `sort=-FIELD`";
    assert_eq!(stderr.matches(said).count(), 1, "{stderr}");
    let created: Vec<i64> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            serde_json::from_str::<Value>(line).unwrap()["created_at"]
                .as_i64()
                .unwrap()
        })
        .collect();
    assert!(created.len() > 100);
    assert!(created.windows(2).all(|p| p[0] >= p[1]), "newest first");

    // Honoured, nothing is said.
    let output = Command::new(BIN)
        .args([
            "contacts",
            "search",
            "e",
            "--sandbox",
            "--sort",
            "created_at",
        ])
        .args(["--direction", "desc", "--format", "jsonl"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&output.stderr).contains(said));
}
