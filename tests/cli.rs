//! The `livedesk` binary end to end, against sandboxes this test starts: each format read
//! back and compared with the library's own walk, the exit codes, `--output` on failure, a
//! rate limit ridden out, the progress bar on a terminal only, flat memory on a long export.
//!
//! The sandboxes run on the test's runtime while the binary runs: multi-threaded runtimes,
//! since waiting for the binary blocks a thread.

use std::{
    path::{Path, PathBuf},
    process::{Command, Output, Stdio},
    time::Duration,
};

use livedesk::{Contact, Sandbox, SortField, types::ContactInbox};
use serde_json::{Map, Value};

use crate::common;
use common::livedesk;
use common::server::{Reply, TestServer};

const BIN: &str = env!("CARGO_BIN_EXE_livedesk");

fn run(command: &mut Command) -> Output {
    command.output().expect("the binary runs")
}

fn stdout(output: &Output) -> &str {
    assert!(
        output.status.success(),
        "{:?}: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    std::str::from_utf8(&output.stdout).unwrap()
}

async fn unlimited(contacts: usize) -> Sandbox {
    Sandbox::builder()
        .contacts(contacts)
        .no_rate_limit()
        .start()
        .await
        .unwrap()
}

/// The library's walk of `q` sorted by creation: what every export must equal.
async fn library_walk(sandbox: &Sandbox, q: &str) -> Vec<Contact> {
    let client = sandbox.client().build().unwrap();
    client
        .search(q)
        .sort(SortField::CreatedAt)
        .paginate()
        .collect()
        .await
        .unwrap()
}

fn export(sandbox: &Sandbox, format: &str) -> Output {
    run(livedesk(sandbox).args([
        "contacts",
        "search",
        "e",
        "--all",
        "--sort",
        "created_at",
        "--format",
        format,
    ]))
}

/// The README's first command, as a newcomer runs it: the main job, offline on the sandbox.
#[tokio::test]
async fn the_readme_s_first_command_exports_every_matching_contact_from_the_sandbox() {
    let readme = include_str!("../README.md");
    let block = readme.split("```sh\n").nth(1).expect("a sh block");
    let first = block.lines().next().unwrap();
    let args = first
        .strip_prefix("cargo run --features cli -- ")
        .expect("the first command runs the command line");
    let args: Vec<&str> = args.split_whitespace().collect();
    assert!(args.contains(&"--sandbox"), "{first}");
    let mut command = Command::new(BIN);
    command.args(&args).stdin(Stdio::null());
    for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("LIVEDESK_")) {
        command.env_remove(name);
    }
    let output = run(&mut command);
    let mut printed: Vec<i64> = stdout(&output)
        .lines()
        .map(|line| {
            serde_json::from_str::<Value>(line).unwrap()["id"]
                .as_i64()
                .unwrap()
        })
        .collect();
    // The same data (the sandbox's defaults), walked by the library.
    let sandbox = Sandbox::builder().no_rate_limit().start().await.unwrap();
    let query = args[2];
    let mut expected: Vec<i64> = library_walk(&sandbox, query)
        .await
        .iter()
        .map(|c| c.id)
        .collect();
    printed.sort_unstable();
    expected.sort_unstable();
    assert!(
        expected.len() > livedesk::PAGE_SIZE as usize,
        "more than a page: {expected:?}"
    );
    assert_eq!(printed, expected, "every matching contact, once");
}

#[tokio::test(flavor = "multi_thread")]
async fn json_and_json_lines_read_back_as_the_librarys_contacts() {
    let sandbox = unlimited(100).await;
    let expected = library_walk(&sandbox, "e").await;
    assert!(expected.len() > 30);

    let json: Vec<Contact> = serde_json::from_str(stdout(&export(&sandbox, "json"))).unwrap();
    assert_eq!(json, expected);

    let jsonl = export(&sandbox, "jsonl");
    let lines: Vec<Contact> = stdout(&jsonl)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines, expected);
    // As the API sends them: a contact in no channel has `"contact_inboxes":[]`, which
    // `--no-inboxes` leaves out, and a null or an empty map is there as such (review 91:
    // both were left out).
    assert!(expected.iter().any(|c| c.contact_inboxes.is_empty()));
    assert!(expected.iter().any(|c| c.phone_number.is_none()));
    for line in stdout(&jsonl).lines() {
        let contact: serde_json::Value = serde_json::from_str(line).unwrap();
        for key in [
            "id",
            "name",
            "email",
            "phone_number",
            "identifier",
            "blocked",
            "thumbnail",
            "availability_status",
            "additional_attributes",
            "custom_attributes",
            "contact_inboxes",
        ] {
            assert!(contact.get(key).is_some(), "{key} in {line}");
        }
    }

    // The extension picks the format of an --output file.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("contacts.json");
    let output = run(livedesk(&sandbox)
        .args(["contacts", "search", "e", "--all", "--output"])
        .arg(&path));
    assert!(stdout(&output).is_empty());
    let from_file: Vec<Contact> =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(from_file, expected);

    // Piped, the default is JSON lines; and a walk without --sort is oldest first.
    let default = run(livedesk(&sandbox).args(["contacts", "search", "e", "--all"]));
    assert_eq!(stdout(&default), stdout(&export(&sandbox, "jsonl")));
    let empty: Vec<Contact> = serde_json::from_str(stdout(&run(livedesk(&sandbox).args([
        "contacts",
        "search",
        "no such contact",
        "--format",
        "json",
    ]))))
    .unwrap();
    assert!(empty.is_empty());
}

fn time(text: &str) -> Option<i64> {
    (!text.is_empty()).then(|| {
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
            .unwrap()
            .unix_timestamp()
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn csv_reads_back_exactly_whatever_the_names_hold() {
    let sandbox = unlimited(150).await;
    let expected = library_walk(&sandbox, "e").await;
    let output = export(&sandbox, "csv");
    let mut reader = csv::Reader::from_reader(stdout(&output).as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        header,
        [
            "id",
            "name",
            "email",
            "phone_number",
            "identifier",
            "blocked",
            "availability_status",
            "created_at",
            "last_activity_at",
            "company_name",
            "city",
            "country",
            "thumbnail",
            "contact_inboxes",
            "additional_attributes",
            "custom_attributes",
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), expected.len());
    let text = |s: &Option<String>| s.clone().unwrap_or_default();
    let mut awkward = 0;
    for (row, contact) in rows.iter().zip(&expected) {
        let attribute = |key: &str| {
            contact
                .additional_attributes
                .get(key)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned()
        };
        assert_eq!(row[0].parse::<i64>().unwrap(), contact.id);
        assert_eq!(row[1], text(&contact.name));
        assert_eq!(row[2], text(&contact.email));
        assert_eq!(row[3], text(&contact.phone_number));
        assert_eq!(row[4], text(&contact.identifier));
        assert_eq!(row[5].parse::<bool>().unwrap(), contact.blocked);
        assert_eq!(&row[6], contact.availability_status.as_str());
        assert_eq!(time(&row[7]), contact.created_at);
        assert_eq!(time(&row[8]), contact.last_activity_at);
        assert_eq!(
            (&row[9], &row[10], &row[11]),
            (
                &*attribute("company_name"),
                &*attribute("city"),
                &*attribute("country")
            )
        );
        assert_eq!(row[12], contact.thumbnail);
        assert_eq!(
            serde_json::from_str::<Vec<ContactInbox>>(&row[13]).unwrap(),
            contact.contact_inboxes
        );
        assert_eq!(
            serde_json::from_str::<Map<String, Value>>(&row[14]).unwrap(),
            contact.additional_attributes
        );
        assert_eq!(
            serde_json::from_str::<Map<String, Value>>(&row[15]).unwrap(),
            contact.custom_attributes
        );
        awkward += usize::from(row[1].contains([',', '"', '\n']));
    }
    assert!(
        awkward > 0,
        "names with commas, quotes or newlines were part of the check"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_table_has_a_row_a_contact_with_control_characters_escaped() {
    let sandbox = unlimited(60).await;
    let expected = library_walk(&sandbox, "e").await;
    let output = export(&sandbox, "table");
    let lines: Vec<&str> = stdout(&output).lines().collect();
    assert!(lines[0].starts_with("ID") && lines[0].contains("NAME"));
    assert_eq!(lines.len(), expected.len() + 1);
    for (line, contact) in lines[1..].iter().zip(&expected) {
        assert!(line.starts_with(&contact.id.to_string()), "{line}");
    }
    assert!(
        stdout(&output).contains("O'Brien, \"Ada\"\\nsecond"),
        "a newline in a name is shown as \\n"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_page_a_limit_and_every_parameter_reach_the_server() {
    let sandbox = unlimited(200).await;
    let client = sandbox.client().build().unwrap();
    let expected = client
        .search("a")
        .page(2)
        .label("vip")
        .label("lead")
        .sort(SortField::Name)
        .direction(livedesk::SortDirection::Desc)
        .include_contact_inboxes(false)
        .send()
        .await
        .unwrap();
    let output = run(livedesk(&sandbox).args([
        "contacts",
        "search",
        "a",
        "--page",
        "2",
        "--label",
        "vip",
        "--label",
        "lead",
        "--sort",
        "name",
        "--direction",
        "desc",
        "--no-inboxes",
        "--format",
        "json",
    ]));
    let got: Vec<Contact> = serde_json::from_str(stdout(&output)).unwrap();
    assert_eq!(got, expected.payload);
    assert!(!stdout(&output).contains("contact_inboxes"));

    let limited =
        run(livedesk(&sandbox).args(["contacts", "search", "e", "--all", "--limit", "20"]));
    assert_eq!(stdout(&limited).lines().count(), 20);

    // Without inboxes, the CSV's `contact_inboxes` cell is empty, not `[]`.
    let csv = run(livedesk(&sandbox).args([
        "contacts",
        "search",
        "e",
        "--all",
        "--no-inboxes",
        "--format",
        "csv",
    ]));
    let mut reader = csv::Reader::from_reader(stdout(&csv).as_bytes());
    let column = reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "contact_inboxes")
        .unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert!(rows.len() > 15 && rows.iter().all(|row| row[column].is_empty()));
}

#[tokio::test(flavor = "multi_thread")]
async fn all_walks_many_pages_and_writes_the_output_file_only_when_complete() {
    let sandbox = unlimited(1_000).await;
    let expected = library_walk(&sandbox, "e").await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("contacts.csv");
    let output = run(livedesk(&sandbox)
        .args([
            "contacts",
            "search",
            "e",
            "--all",
            "--sort",
            "created_at",
            "--output",
        ])
        .arg(&path));
    assert!(stdout(&output).is_empty());
    let rows = csv::Reader::from_path(&path).unwrap().records().count();
    assert_eq!(rows, expected.len());
    assert!(
        expected.len() > 30 * 15,
        "{} contacts: more than 30 pages",
        expected.len()
    );
    assert_eq!(files(dir.path()), ["contacts.csv"]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "personal data: the owner's only");
    }
}

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_export_leaves_the_output_untouched() {
    // Three searches a minute: the walk gets some pages, then stays throttled.
    let sandbox = Sandbox::builder()
        .contacts(300)
        .rate_limit(3, Duration::from_secs(60))
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("contacts.jsonl");
    std::fs::write(&path, "the previous export\n").unwrap();
    let output = run(livedesk(&sandbox)
        .args([
            "contacts",
            "search",
            "e",
            "--all",
            "--max-wait",
            "1",
            "--output",
        ])
        .arg(&path));
    assert_eq!(
        output.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "the previous export\n"
    );
    assert_eq!(
        files(dir.path()),
        [
            ".contacts.jsonl.livedesk-partial",
            ".contacts.jsonl.livedesk-state",
            "contacts.jsonl"
        ],
        "the progress is kept beside the output, for --resume"
    );
    let stderr = String::from_utf8(output.stderr).unwrap();
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 3, "{stderr}");
    assert!(lines[0].contains("--resume"), "{stderr}");
    assert!(lines[1].contains("429"), "{stderr}");
    assert!(lines[2].contains("--max-wait"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rate_limit_window_mid_export_is_ridden_out() {
    let sandbox = Sandbox::builder()
        .contacts(150)
        .rate_limit(4, Duration::from_millis(500))
        .start()
        .await
        .unwrap();
    let reference = unlimited(150).await;
    let output = export(&sandbox, "jsonl");
    let got: Vec<Contact> = stdout(&output)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(got, library_walk(&reference, "e").await);
    let pages = got.len().div_ceil(15) as u64;
    assert!(
        sandbox.requests() > pages,
        "{} requests for {pages} pages: some were throttled",
        sandbox.requests()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn exit_codes_tell_the_failures_apart() {
    let sandbox = unlimited(20).await;
    let code = |command: &mut Command| run(command).status.code();
    let search = ["contacts", "search", "ada"];

    assert_eq!(code(livedesk(&sandbox).args(search)), Some(0));
    assert_eq!(
        code(livedesk(&sandbox).args(["contacts", "search", "ada", "--page", "0"])),
        Some(2)
    );
    assert_eq!(
        code(livedesk(&sandbox).args(["contacts", "search", "ada", "--bogus"])),
        Some(2)
    );
    assert_eq!(
        code(livedesk(&sandbox).args(["contacts", "search", "ada", "--all", "--page", "2"])),
        Some(2)
    );
    assert_eq!(
        code(livedesk(&sandbox).args(["contacts", "search", "   "])),
        Some(2),
        "a blank query is refused before any request"
    );
    assert_eq!(
        code(
            livedesk(&sandbox)
                .args(search)
                .env("LIVEDESK_BASE_URL", "not a url")
        ),
        Some(2)
    );
    assert_eq!(sandbox.requests(), 1);

    assert_eq!(
        code(
            livedesk(&sandbox)
                .args(search)
                .env("LIVEDESK_API_SECRET", "wrong")
        ),
        Some(3)
    );
    assert_eq!(
        code(
            livedesk(&sandbox)
                .args(search)
                .env_remove("LIVEDESK_API_KEY")
        ),
        Some(3)
    );

    let throttled = Sandbox::builder()
        .rate_limit(0, Duration::from_secs(60))
        .start()
        .await
        .unwrap();
    assert_eq!(
        code(livedesk(&throttled).args(["contacts", "search", "ada", "--max-wait", "1"])),
        Some(4)
    );

    let (_closed, addr) = common::closed_port();
    let url = format!("http://{addr}");
    assert_eq!(
        code(
            livedesk(&sandbox)
                .args(search)
                .env("LIVEDESK_BASE_URL", &url)
        ),
        Some(5)
    );

    let broken = Sandbox::builder()
        .gateway_errors(1.0)
        .start()
        .await
        .unwrap();
    // The query is personal data, like the secret: neither is in the error.
    let private = "ada.private+1@example.com";
    let output = run(livedesk(&broken).args(["contacts", "search", private, "--format", "json"]));
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty(), "a failed search writes no `[`");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.starts_with("livedesk: error: ") && stderr.contains("502"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        !stderr.contains("sandbox-secret") && !stderr.contains("ada.private"),
        "{stderr}"
    );

    let help = stdout(&run(
        Command::new(BIN).args(["contacts", "search", "--help"])
    ))
    .to_owned();
    for line in [
        "2  usage",
        // Review 116: exit 2 for a search whose labels the server ignores, as the README says.
        "search ignores labels",
        "3  authentication",
        "4  rate limited",
        "5  network",
    ] {
        assert!(help.contains(line), "--help lists {line:?}");
    }
}

/// `livedesk contacts search - --format jsonl` with `input` on its standard input.
fn with_stdin(sandbox: &Sandbox, input: &[u8]) -> Output {
    use std::io::Write;
    let mut child = livedesk(sandbox)
        .args(["contacts", "search", "-", "--format", "jsonl"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

/// `-` reads the query from standard input, keeping it out of `ps`.
#[tokio::test(flavor = "multi_thread")]
async fn a_query_of_dash_is_read_from_standard_input() {
    let sandbox = unlimited(250).await;
    let direct =
        run(livedesk(&sandbox).args(["contacts", "search", "Lovelace", "--format", "jsonl"]));
    let piped = with_stdin(&sandbox, b"Lovelace\r\nignored\n");
    assert!(!stdout(&direct).is_empty());
    assert_eq!(stdout(&piped), stdout(&direct));

    // A line with no end within 64 KiB is refused, not searched for by its start (review
    // 106). Exactly that much, all of which the command reads: none left to break the pipe.
    let endless = with_stdin(&sandbox, &[b'a'; 64 * 1024]);
    assert_eq!(endless.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&endless.stderr).contains("64 KiB"));

    let empty = with_stdin(&sandbox, b"");
    assert_eq!(
        empty.status.code(),
        Some(2),
        "an empty line is a blank query"
    );

    let binary = with_stdin(&sandbox, b"\xff\xfe\n");
    let stderr = String::from_utf8_lossy(&binary.stderr);
    assert_eq!(binary.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("not UTF-8"), "{stderr}");
}

/// A single page that is not the whole result says so, wherever the contacts go; an
/// `--output` naming a directory is refused before any request.
#[tokio::test(flavor = "multi_thread")]
async fn one_page_of_many_says_so_and_a_directory_is_no_output() {
    let sandbox = unlimited(250).await;
    let output = run(livedesk(&sandbox).args(["contacts", "search", "e"]));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let shown = stdout(&output).lines().count();
    assert!(
        stderr.contains(&format!("{shown} of ")) && stderr.contains("--all"),
        "{stderr}"
    );
    let everything = run(livedesk(&sandbox).args(["contacts", "search", "e", "--all"]));
    assert!(everything.status.success() && everything.stderr.is_empty());
    // Cut by `--limit`, which `--all` would not lift: not advised (review 106).
    let limited = run(livedesk(&sandbox).args(["contacts", "search", "e", "--limit", "2"]));
    assert!(limited.status.success() && limited.stderr.is_empty());
    assert_eq!(stdout(&limited).lines().count(), 2);

    let newer = Sandbox::builder()
        .has_more(true)
        .no_rate_limit()
        .start()
        .await
        .unwrap();
    let output = run(livedesk(&newer).args(["contacts", "search", "e"]));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("more on later pages"), "{stderr}");

    let dir = tempfile::tempdir().unwrap();
    let before = sandbox.requests();
    let output = run(livedesk(&sandbox)
        .args(["contacts", "search", "e", "--all", "--output"])
        .arg(dir.path()));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("is a directory"), "{stderr}");
    assert_eq!(sandbox.requests(), before, "refused before any request");
}

/// The codes a sandbox cannot provoke: a `403`, a timeout, a server whose count promises
/// contacts its pages never deliver.
#[tokio::test(flavor = "multi_thread")]
async fn a_refusal_a_timeout_and_an_incomplete_walk_have_their_codes() {
    let against = |server: &TestServer, args: &[&str]| {
        let output = run(Command::new(BIN)
            .args(["contacts", "search", "ada"])
            .args(args)
            .env("LIVEDESK_BASE_URL", &server.base_url)
            .env("LIVEDESK_API_KEY", "key")
            .env("LIVEDESK_API_SECRET", "secret")
            .stdin(Stdio::null()));
        let stderr = String::from_utf8(output.stderr).unwrap();
        (output.status.code(), stderr, output.stdout)
    };

    let forbidden = TestServer::start(|_| {
        Reply::status(
            403,
            "application/json",
            r#"{"error":"This account is suspended"}"#,
        )
    })
    .await;
    let (code, stderr, _) = against(&forbidden, &[]);
    assert_eq!(code, Some(3), "{stderr}");
    assert!(
        stderr.contains("403") && stderr.contains("suspended"),
        "{stderr}"
    );

    let slow = Sandbox::builder()
        .latency(Duration::from_secs(5))
        .start()
        .await
        .unwrap();
    let output = run(livedesk(&slow).args(["contacts", "search", "ada", "--timeout", "1"]));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(5), "{stderr}");
    assert!(stderr.contains("timed out"), "{stderr}");

    // Page 1 says 30 contacts; page 2 is empty.
    let short = TestServer::start(|request| {
        let last = if request.page() == 1 { 15 } else { 0 };
        Reply::json(&common::page(1..=last, 30, request.page()))
    })
    .await;
    let (code, stderr, written) = against(&short, &["--all", "--format", "jsonl"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("incomplete"), "{stderr}");
    assert_eq!(
        written
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .count(),
        15,
        "the page written before the failure"
    );
}

// util-linux's `script -qefc` gives the binary a pseudo-terminal; the BSDs' `script` takes
// other arguments.
#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(
    not(target_os = "linux"),
    ignore = "runs the binary on a pseudo-terminal with util-linux's `script`"
)]
async fn the_progress_bar_shows_on_a_terminal_only() {
    if !common::skip::programs_present("the_progress_bar_shows_on_a_terminal_only", &["script"]) {
        return;
    }
    // Throttled now and then, so that the bar has to say so.
    let sandbox = Sandbox::builder()
        .contacts(300)
        .rate_limit(6, Duration::from_millis(1_500))
        .start()
        .await
        .unwrap();
    let matching = library_walk(&unlimited(300).await, "e").await;
    let pages = matching.len().div_ceil(15);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out.jsonl");
    let command = format!("{BIN} contacts search e --all --output {}", file.display());

    // `script` runs a command on a pseudo-terminal: whether it succeeded, and what it showed.
    let on_terminal = |command: &str| {
        let output = Command::new("script")
            .args(["-qefc", command, "/dev/null"])
            .env("LIVEDESK_BASE_URL", sandbox.base_url())
            .env("LIVEDESK_API_KEY", "sandbox-key")
            .env("LIVEDESK_API_SECRET", "sandbox-secret")
            .env("TERM", "xterm")
            .stdin(Stdio::null())
            .output()
            .expect("`script` (bsdutils) runs the binary on a pseudo-terminal");
        let shown = String::from_utf8_lossy(&output.stdout).into_owned();
        (output.status.success(), shown)
    };
    let (succeeded, terminal) = on_terminal(&command);
    assert!(succeeded, "{terminal}");
    for shown in [
        format!("{pages}/{pages} pages"),
        "contacts".to_owned(),
        "rate limited, waiting…".to_owned(),
    ] {
        assert!(terminal.contains(&shown), "{shown:?} is not in {terminal}");
    }

    // A walk that starts past page 1 (created after a time, or resumed) counts its pages by
    // number, ending at the whole search's (review 93: it counted them from 1, and ended
    // at its own count: 10/10).
    let since = matching[matching.len() / 2].created_at.unwrap();
    let (_, later) = on_terminal(&format!(
        "{BIN} contacts search e --all --created-after {since} --output {}",
        dir.path().join("later.jsonl").display()
    ));
    assert!(later.contains(&format!("{pages}/{pages} pages")), "{later}");

    // With the contacts on the terminal: a table by default, and no bar over it.
    let (_, table) = on_terminal(&format!("{BIN} contacts search e --all --limit 20"));
    assert!(table.starts_with("ID") && table.contains("NAME"), "{table}");
    assert!(!table.contains("pages"), "{table}");

    let piped = run(livedesk(&sandbox)
        .args(["contacts", "search", "e", "--all", "--output"])
        .arg(&file));
    assert!(piped.status.success());
    assert!(
        piped.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&piped.stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn all_streams_the_first_page_before_the_walk_ends() {
    // Page 2 is held until the test has read the first contact and seen the binary still
    // running: streaming is shown by order, not by how long pages take.
    let gate = std::sync::Arc::new((std::sync::Mutex::new(false), std::sync::Condvar::new()));
    let server = TestServer::start({
        let gate = gate.clone();
        let pages = common::server::contacts_api(300);
        move |request| {
            if request.page() == 2 {
                // A minute only as a guard: a failed assertion never opens the gate.
                let (open, opened) = &*gate;
                let open = open.lock().unwrap();
                let _ = opened.wait_timeout_while(open, Duration::from_secs(60), |open| !*open);
            }
            pages(request)
        }
    })
    .await;
    let mut child = Command::new(BIN)
        .args(["contacts", "search", "e", "--all", "--concurrency", "1"])
        .env("LIVEDESK_BASE_URL", &server.base_url)
        .env("LIVEDESK_API_KEY", "key")
        .env("LIVEDESK_API_SECRET", "secret")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(child.stdout.take().unwrap()));
    let first: Contact = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert!(
        child.try_wait().unwrap().is_none(),
        "the walk was still running"
    );
    let (open, opened) = &*gate;
    *open.lock().unwrap() = true;
    opened.notify_all();
    let rest = lines.count();
    assert!(child.wait().unwrap().success());
    assert_eq!(1 + rest, 300);
    assert_eq!(first.id, 1);
}

#[test]
fn spec_and_completions_print() {
    let spec = run(Command::new(BIN).arg("spec"));
    assert_eq!(stdout(&spec), include_str!("../openapi/livedesk.yaml"));
    for shell in ["bash", "zsh", "fish"] {
        let script = run(Command::new(BIN).args(["completions", shell]));
        assert!(
            stdout(&script).contains("livedesk") && stdout(&script).contains("format"),
            "{shell}"
        );
    }
}

/// `livedesk sandbox ARGS` on a free port: the running child, its banner, and its base URL.
fn standalone(args: &[&str]) -> (Killed, String, String) {
    use std::io::{BufRead, BufReader};
    let mut child = Killed(
        Command::new(BIN)
            .args(["sandbox", "--port", "0"])
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    let banner = lines.next().unwrap().unwrap();
    let export = lines.next().unwrap().unwrap();
    let url = export
        .split_whitespace()
        .find_map(|w| w.strip_prefix("LIVEDESK_BASE_URL="))
        .unwrap()
        .to_owned();
    (child, banner, url)
}

/// The standalone sandbox runs until it is interrupted, by any of the signals that interrupt
/// an export (review 106: SIGTERM killed it, exit code 143), and then stops with success.
#[cfg(unix)]
#[test]
fn the_standalone_sandbox_stops_at_any_interruption() {
    for signal in [libc::SIGTERM, libc::SIGHUP, libc::SIGINT] {
        let (mut child, _, _) = standalone(&["--contacts", "1"]);
        let pid = libc::pid_t::try_from(child.0.id()).unwrap();
        // SAFETY: `kill` only sends a signal to our own child, not yet waited for.
        assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
        assert_eq!(child.0.wait().unwrap().code(), Some(0), "signal {signal}");
    }
}

fn sandbox_client(url: &str) -> livedesk::Client {
    livedesk::Client::builder(livedesk::Credentials::new("sandbox-key", "sandbox-secret").unwrap())
        .base_url(url)
        .retry(livedesk::RetryPolicy::disabled())
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_standalone_sandbox_prints_how_to_reach_it() {
    let (_child, banner, url) = standalone(&["--contacts", "40", "--rate-limit", "0"]);
    assert!(
        banner.contains("40 contacts") && banner.contains("no rate limit"),
        "{banner}"
    );
    let page = sandbox_client(&url).search("ada").send().await.unwrap();
    assert!(
        page.payload
            .iter()
            .any(|c| c.name.as_deref() == Some("Ada Lovelace"))
    );
}

/// The standalone sandbox's switches reach the server it runs.
#[tokio::test(flavor = "multi_thread")]
async fn the_standalone_sandboxs_switches_take_effect() {
    let (_child, banner, url) = standalone(&[
        "--contacts",
        "100",
        "--rate-limit",
        "2",
        "--window",
        "3600",
        "--retry-after",
        "--has-more",
    ]);
    assert!(banner.contains("2 searches every 3600 s"), "{banner}");
    let client = sandbox_client(&url);
    let page = client.search("e").send().await.unwrap();
    assert_eq!(
        page.meta.has_more,
        Some(true),
        "--has-more: the newer shape"
    );
    assert_eq!(
        page.meta.count,
        Some(15),
        "--has-more: count is the page's size"
    );
    client.search("e").send().await.unwrap();
    match client.search("e").send().await {
        Err(livedesk::Error::Api {
            status,
            retry_after: Some(wait),
            ..
        }) => assert!(status == 429 && wait > Duration::ZERO && wait <= Duration::from_secs(3600)),
        other => panic!("the third search in the window: {other:?}"),
    }

    let (_child, _, url) = standalone(&["--rate-limit", "0", "--gateway-errors", "1"]);
    match sandbox_client(&url).search("e").send().await {
        Err(livedesk::Error::Api { status, .. }) => assert_eq!(status, 502),
        other => panic!("--gateway-errors 1: {other:?}"),
    }

    // Refused by the sandbox's own checks, not by the argument parser.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = format!("--port={}", taken.local_addr().unwrap().port());
    for bad in [
        "--gateway-errors=1.5",
        "--window=-1",
        "--cut-bodies=NaN",
        "--contacts=10000001",
        &port,
    ] {
        let args = if bad.starts_with("--port") {
            vec![bad]
        } else {
            vec!["--port=0", bad]
        };
        let output = run(Command::new(BIN).arg("sandbox").args(args));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{bad:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{bad:?}: {stderr}");
    }
}

/// Peak resident memory of the binary exporting `contacts`, in KiB (VmHWM, read until exit
/// from Linux's `/proc`; the test using it is ignored elsewhere).
fn peak_kib(sandbox: &Sandbox, out: &PathBuf) -> u64 {
    let mut child = livedesk(sandbox)
        .args(["contacts", "search", "e", "--all", "--output"])
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let status = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Ok(text) = std::fs::read_to_string(&status)
            && let Some(line) = text.lines().find(|l| l.starts_with("VmHWM:"))
        {
            peak = peak.max(line.split_whitespace().nth(1).unwrap().parse().unwrap());
        }
        if let Some(exit) = child.try_wait().unwrap() {
            assert!(exit.success());
            return peak;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(target_os = "linux"),
    ignore = "peak memory (VmHWM) is read from /proc, which only Linux has"
)]
async fn memory_stays_flat_on_a_100_000_contact_export() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let small = Sandbox::builder()
        .contacts(10_000)
        .no_rate_limit()
        .start()
        .await
        .unwrap();
    let small_peak = peak_kib(&small, &out);
    drop(small);
    let large = Sandbox::builder()
        .contacts(100_000)
        .no_rate_limit()
        .start()
        .await
        .unwrap();
    let large_peak = peak_kib(&large, &out);
    let lines = std::fs::read_to_string(&out).unwrap().lines().count();
    assert!(lines > 50_000, "{lines} contacts exported");
    let ratio = large_peak as f64 / small_peak as f64;
    eprintln!(
        "peak {small_peak} KiB for 10,000 contacts, {large_peak} KiB for 100,000: ratio {ratio:.2}"
    );
    assert!(
        ratio < 1.5,
        "ten times the contacts took {ratio:.2} times the memory"
    );
}

/// A child process killed when the test ends, passing or failing.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_readmes_first_command_needs_no_account() {
    for base_url in [None, Some("http://127.0.0.1:9")] {
        let mut command = Command::new(BIN);
        command
            .args([
                "contacts",
                "search",
                "ada",
                "--sandbox",
                "--all",
                "--format",
                "json",
            ])
            .env_remove("LIVEDESK_API_KEY")
            .env_remove("LIVEDESK_API_SECRET")
            .env_remove("LIVEDESK_BASE_URL");
        if let Some(url) = base_url {
            command.env("LIVEDESK_BASE_URL", url);
        }
        let contacts: Vec<Contact> = serde_json::from_str(stdout(&run(&mut command))).unwrap();
        assert!(
            contacts
                .iter()
                .any(|c| c.name.as_deref() == Some("Ada Lovelace")),
            "{base_url:?}"
        );
    }
    let table = run(Command::new(BIN).args([
        "contacts",
        "search",
        "ada",
        "--sandbox",
        "--format",
        "table",
    ]));
    let lines: Vec<&str> = stdout(&table).lines().collect();
    assert!(
        lines[0].starts_with("ID") && lines.len() == 16,
        "a header and a page of 15"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_closed_pipe_ends_the_export_quietly() {
    let sandbox = unlimited(1_000).await;
    for format in ["csv", "jsonl", "json", "table"] {
        let mut child = Killed(
            livedesk(&sandbox)
                .args(["contacts", "search", "e", "--all", "--format", format])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap(),
        );
        let mut head = [0; 100];
        std::io::Read::read_exact(child.0.stdout.as_mut().unwrap(), &mut head).unwrap();
        drop(child.0.stdout.take());
        let status = child.0.wait().unwrap();
        let mut stderr = String::new();
        std::io::Read::read_to_string(child.0.stderr.as_mut().unwrap(), &mut stderr).unwrap();
        assert!(
            status.success() && stderr.is_empty(),
            "{format}: {status:?} {stderr}"
        );
    }
}

/// A sandbox slow enough that an export of "e" is still running when a test signals it.
#[cfg(unix)]
async fn slow_sandbox(contacts: usize) -> Sandbox {
    Sandbox::builder()
        .contacts(contacts)
        .latency(Duration::from_millis(150))
        .no_rate_limit()
        .start()
        .await
        .unwrap()
}

/// Starts `livedesk contacts search e --all --output path` (behind `wrapper`, such as
/// `nohup`, if any) and returns once its state file beside `path` counts contacts written
/// (one that counts none is started over, not resumed).
#[cfg(unix)]
fn export_under_way(base_url: &str, path: &Path, wrapper: Option<&str>) -> Killed {
    use std::os::unix::process::CommandExt;

    let mut command = Command::new(wrapper.unwrap_or(BIN));
    if wrapper.is_some() {
        command.arg(BIN);
    }
    // A test run started in the background by a shell (`cargo test &`) has SIGINT and SIGQUIT
    // ignored, and a child inherits that: the binary would keep ignoring them, as it does
    // under `nohup`. It starts here with the default dispositions, as from a terminal.
    // SAFETY: between fork and exec only `signal(2)`, which is async-signal-safe.
    unsafe {
        command.pre_exec(|| {
            for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT] {
                libc::signal(signal, libc::SIG_DFL);
            }
            Ok(())
        });
    }
    let child = Killed(
        command
            .args([
                "contacts",
                "search",
                "e",
                "--all",
                "--concurrency",
                "1",
                "--output",
            ])
            .arg(path)
            .env("LIVEDESK_BASE_URL", base_url)
            .env("LIVEDESK_API_KEY", "sandbox-key")
            .env("LIVEDESK_API_SECRET", "sandbox-secret")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let name = path.file_name().unwrap().to_string_lossy();
    let state = path.with_file_name(format!(".{name}.livedesk-state"));
    // Polled, with a minute only as a guard against a hang: a loaded machine may take
    // seconds to start the binary, and that is no failure.
    let written = || {
        std::fs::read(&state)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
            .and_then(|state| state["written"].as_u64())
            .is_some_and(|written| written > 0)
    };
    for _ in 0..3_000 {
        if written() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        written(),
        "the export is under way (its state counts contacts)"
    );
    child
}

/// Sends `signal` to the child: libc's `kill`, not the `kill` program, which a minimal
/// system may lack.
#[cfg(unix)]
fn kill(child: &Killed, signal: libc::c_int) {
    let pid = libc::pid_t::try_from(child.0.id()).unwrap();
    // SAFETY: `kill` only sends a signal; the pid is our own child's, not yet waited for.
    let sent = unsafe { libc::kill(pid, signal) };
    assert_eq!(sent, 0, "{}", std::io::Error::last_os_error());
}

/// The signal tests need Unix; elsewhere this one test stands for them, ignored with the reason.
#[cfg(not(unix))]
#[test]
#[ignore = "exports interrupted by Unix signals (SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGKILL) and nohup"]
fn exports_interrupted_by_signals() {}

/// Under `nohup`, SIGHUP stays ignored: closing the terminal does not stop the export.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn an_export_under_nohup_outlives_a_hangup() {
    if !common::skip::programs_present("an_export_under_nohup_outlives_a_hangup", &["nohup"]) {
        return;
    }
    let sandbox = slow_sandbox(100).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("contacts.jsonl");
    std::fs::write(&path, "the previous export\n").unwrap();
    let mut child = export_under_way(sandbox.base_url(), &path, Some("nohup"));
    kill(&child, libc::SIGHUP);
    assert_eq!(child.0.wait().unwrap().code(), Some(0));
    let lines = std::fs::read_to_string(&path).unwrap().lines().count();
    assert_eq!(lines, library_walk(&sandbox, "e").await.len());
}

/// A server of 300 contacts that holds every page after the first from `hold` until
/// `release` (and its drop): an export is still under way when the test signals it, however
/// slowly a loaded machine runs the test. A page asked after `release` (a killed export's
/// request read late) goes at once, not after a minute on one of the runtime's workers.
#[cfg(unix)]
struct Held {
    server: TestServer,
    gate: std::sync::Arc<(std::sync::Mutex<bool>, std::sync::Condvar)>,
}

#[cfg(unix)]
impl Held {
    async fn start() -> Held {
        let gate = std::sync::Arc::new((std::sync::Mutex::new(false), std::sync::Condvar::new()));
        let server = TestServer::start({
            let gate = gate.clone();
            let pages = common::server::contacts_api(300);
            move |request| {
                if request.page() > 1 {
                    let (open, changed) = &*gate;
                    // A minute only as a guard: a failed assertion never releases it.
                    let _ = changed.wait_timeout_while(
                        open.lock().unwrap(),
                        Duration::from_secs(60),
                        |open| !*open,
                    );
                }
                pages(request)
            }
        })
        .await;
        Held { server, gate }
    }

    fn set(&self, open: bool) {
        let (gate, changed) = &*self.gate;
        *gate.lock().unwrap() = open;
        changed.notify_all();
    }

    fn hold(&self) {
        self.set(false);
    }

    fn release(&self) {
        self.set(true);
    }
}

#[cfg(unix)]
impl Drop for Held {
    fn drop(&mut self) {
        self.release();
    }
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn an_interrupted_export_leaves_the_output_as_it_was() {
    let held = Held::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("contacts.csv");
    std::fs::write(&path, "the previous export\n").unwrap();
    for (signal, number) in [
        ("INT", libc::SIGINT),
        ("TERM", libc::SIGTERM),
        ("HUP", libc::SIGHUP),
        ("QUIT", libc::SIGQUIT),
    ] {
        // Page 2 is held until the signal has been sent: the export cannot end first.
        held.hold();
        let mut child = export_under_way(&held.server.base_url, &path, None);
        kill(&child, number);
        let status = child.0.wait().unwrap();
        held.release();
        assert_eq!(status.code(), Some(130), "{signal}");
        assert_eq!(
            files(dir.path()),
            [
                ".contacts.csv.livedesk-partial",
                ".contacts.csv.livedesk-state",
                "contacts.csv"
            ],
            "{signal}: the progress is kept for --resume"
        );
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "the previous export\n"
        );
        // Without --resume, the kept progress is neither used nor overwritten.
        let again = run(Command::new(BIN)
            .args(["contacts", "search", "e", "--all", "--output"])
            .arg(&path)
            .env("LIVEDESK_BASE_URL", &held.server.base_url)
            .env("LIVEDESK_API_KEY", "sandbox-key")
            .env("LIVEDESK_API_SECRET", "sandbox-secret"));
        assert_eq!(again.status.code(), Some(2), "{signal}");
        assert!(String::from_utf8_lossy(&again.stderr).contains("--resume"));
        for leftover in [
            ".contacts.csv.livedesk-partial",
            ".contacts.csv.livedesk-state",
        ] {
            std::fs::remove_file(dir.path().join(leftover)).unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_contact_exports_without_a_query_in_csv_and_json_lines() {
    let sandbox = unlimited(120).await;
    let client = sandbox.client().build().unwrap();
    let expected: Vec<i64> = client
        .contacts()
        .label("vip")
        .sort(SortField::CreatedAt)
        .paginate()
        .collect()
        .await
        .unwrap()
        .iter()
        .map(|contact| contact.id)
        .collect();
    assert!(expected.len() > 10);
    // More than the old advice (`@`, every contact with an email) found.
    let with_email = library_walk(&sandbox, "@").await;
    assert!(
        with_email.len() < client.contacts().send().await.unwrap().meta.count.unwrap() as usize
    );

    for command in ["list", "search"] {
        let jsonl = run(livedesk(&sandbox).args(["contacts", command, "--label", "vip", "--all"]));
        let ids: Vec<i64> = stdout(&jsonl)
            .lines()
            .map(|line| serde_json::from_str::<Contact>(line).unwrap().id)
            .collect();
        assert_eq!(ids, expected, "{command}");
    }
    let csv = run(livedesk(&sandbox).args([
        "contacts", "list", "--label", "vip", "--all", "--format", "csv",
    ]));
    let mut reader = csv::Reader::from_reader(stdout(&csv).as_bytes());
    let ids: Vec<i64> = reader
        .records()
        .map(|row| row.unwrap()[0].parse().unwrap())
        .collect();
    assert_eq!(ids, expected);

    // `--literal` searches for `_` as itself.
    let literal =
        run(livedesk(&sandbox).args(["contacts", "search", "cus_", "--literal", "--all"]));
    assert!(stdout(&literal).lines().all(|line| {
        serde_json::from_str::<Contact>(line)
            .unwrap()
            .identifier
            .unwrap()
            .contains("cus_")
    }));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_requires_a_query_exits_2_and_says_so() {
    let strict = Sandbox::builder()
        .contacts(20)
        .no_rate_limit()
        .require_query(true)
        .start()
        .await
        .unwrap();
    let output = run(livedesk(&strict).args(["contacts", "list", "--all"]));
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("the server requires a query"), "{stderr}");
    assert_eq!(
        run(livedesk(&strict).args(["contacts", "search", "ada"]))
            .status
            .code(),
        Some(0)
    );
}

/// The state kept beside an interrupted export: how many bytes of the partial file are
/// complete and how many contacts they hold.
#[cfg(unix)]
fn kept_state(dir: &Path, name: &str) -> (usize, usize) {
    let state: Value = serde_json::from_slice(
        &std::fs::read(dir.join(format!(".{name}.livedesk-state"))).unwrap(),
    )
    .unwrap();
    (
        state["bytes"].as_u64().unwrap() as usize,
        state["written"].as_u64().unwrap() as usize,
    )
}

/// Killed at several points (SIGKILL: no chance to clean up), then resumed: the file is the
/// one an uninterrupted export writes, in CSV and in JSON lines; the state is never ahead of
/// the data; a resume that differs is refused.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn an_export_killed_anywhere_resumes_to_the_same_file() {
    let sandbox = slow_sandbox(200).await;
    for name in ["contacts.csv", "contacts.jsonl", "contacts.json"] {
        let dir = tempfile::tempdir().unwrap();
        let reference = dir.path().join(format!("reference-{name}"));
        let whole = run(livedesk(&sandbox)
            .args(["contacts", "search", "e", "--all", "--output"])
            .arg(&reference));
        assert!(whole.status.success());
        let expected = std::fs::read(&reference).unwrap();

        let path = dir.path().join(name);
        let mut child = export_under_way(sandbox.base_url(), &path, None);
        for round in 0..3 {
            // Let a page or two land, then kill it outright.
            std::thread::sleep(Duration::from_millis(200 + 150 * round));
            kill(&child, libc::SIGKILL);
            child.0.wait().unwrap();
            if !dir.path().join(format!(".{name}.livedesk-state")).exists() {
                // It finished before the kill (a slow machine's sleep): nothing to resume.
                break;
            }
            // Never ahead of the data: what the state counts is in the partial file, whole.
            let (bytes, written) = kept_state(dir.path(), name);
            let partial =
                std::fs::read(dir.path().join(format!(".{name}.livedesk-partial"))).unwrap();
            assert!(
                partial.len() >= bytes,
                "{name}: the state is ahead of the data"
            );
            assert!(
                expected.starts_with(&partial[..bytes]),
                "{name} round {round}"
            );
            let counted = match name {
                "contacts.csv" if bytes > 0 => csv::Reader::from_reader(&partial[..bytes])
                    .records()
                    .count(),
                "contacts.jsonl" => partial[..bytes].iter().filter(|&&b| b == b'\n').count(),
                _ => written,
            };
            assert_eq!(counted, written, "{name} round {round}");
            child = Killed(
                Command::new(BIN)
                    .args(["contacts", "search", "e", "--all", "--concurrency", "1"])
                    .args(["--resume", "--output"])
                    .arg(&path)
                    .env("LIVEDESK_BASE_URL", sandbox.base_url())
                    .env("LIVEDESK_API_KEY", "sandbox-key")
                    .env("LIVEDESK_API_SECRET", "sandbox-secret")
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .unwrap(),
            );
        }
        let _ = child.0.wait();
        assert_eq!(std::fs::read(&path).unwrap(), expected, "{name}");
        assert_eq!(
            files(dir.path()),
            [name.to_owned(), format!("reference-{name}")]
        );
    }

    // A resume whose settings differ says which, and changes nothing.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vips.csv");
    let mut child = export_under_way(sandbox.base_url(), &path, None);
    kill(&child, libc::SIGKILL);
    child.0.wait().unwrap();
    let kept = files(dir.path());
    for (args, what) in [
        (vec!["contacts", "search", "a"], "the query"),
        (vec!["contacts", "search", "e", "--label", "vip"], "--label"),
        (
            vec!["contacts", "search", "e", "--format", "jsonl"],
            "the format",
        ),
        (
            vec!["contacts", "search", "e", "--no-inboxes"],
            "--no-inboxes",
        ),
    ] {
        let output = run(livedesk(&sandbox)
            .args(&args)
            .args(["--all", "--resume", "--output"])
            .arg(&path));
        assert_eq!(output.status.code(), Some(2), "{what}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(&format!("{what} differs")),
            "{what}: {stderr}"
        );
        assert_eq!(files(dir.path()), kept);
    }
    let nothing = run(livedesk(&sandbox)
        .args(["contacts", "search", "e", "--all", "--resume", "--output"])
        .arg(dir.path().join("other.csv")));
    assert_eq!(nothing.status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_daily_sync_fetches_only_what_is_new() {
    let sandbox = unlimited(600).await;
    let all = library_walk(&sandbox, "e").await;
    let time_of = |index: usize| all[index].created_at.unwrap();
    let dir = tempfile::tempdir().unwrap();

    // Yesterday's export held the first 400; today's since it holds the rest.
    let yesterday = dir.path().join("yesterday.jsonl");
    let first = run(livedesk(&sandbox)
        .args(["contacts", "search", "e", "--all", "--created-before"])
        .arg(time_of(400).to_string())
        .arg("--output")
        .arg(&yesterday));
    assert!(first.status.success());
    let today = dir.path().join("today.csv");
    let before = sandbox.requests();
    let sync = run(livedesk(&sandbox)
        .args(["contacts", "search", "e", "--all", "--since"])
        .arg(&yesterday)
        .arg("--output")
        .arg(&today));
    assert!(
        sync.status.success(),
        "{}",
        String::from_utf8_lossy(&sync.stderr)
    );
    let requests = sandbox.requests() - before;
    let ids: Vec<i64> = csv::Reader::from_path(&today)
        .unwrap()
        .records()
        .map(|row| row.unwrap()[0].parse().unwrap())
        .collect();
    assert_eq!(ids, all[400..].iter().map(|c| c.id).collect::<Vec<_>>());
    // About log2(pages) to find the start, then the pages of what is new.
    assert!(
        requests <= 8 + (all.len() - 400).div_ceil(15) as u64 + 2,
        "{requests}"
    );

    // The same as an RFC 3339 time, from the day before.
    let rfc3339 = time::OffsetDateTime::from_unix_timestamp(time_of(399))
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let output = run(livedesk(&sandbox).args([
        "contacts",
        "search",
        "e",
        "--all",
        "--format",
        "jsonl",
        "--created-after",
        &rfc3339,
    ]));
    let ids: Vec<i64> = stdout(&output)
        .lines()
        .map(|line| serde_json::from_str::<Contact>(line).unwrap().id)
        .collect();
    assert_eq!(ids, all[400..].iter().map(|c| c.id).collect::<Vec<_>>());
    let bad = run(livedesk(&sandbox).args(["contacts", "list", "--all", "--created-after", "May"]));
    assert_eq!(bad.status.code(), Some(2));
}

/// An export interrupted by a throttle (exit 4), for the resume edge cases below.
async fn interrupted_export(path: &Path, extra: &[&str]) -> Output {
    let throttled = Sandbox::builder()
        .contacts(300)
        .rate_limit(3, Duration::from_secs(60))
        .start()
        .await
        .unwrap();
    let output = run(livedesk(&throttled)
        .args(["contacts", "list", "--all", "--max-wait", "1"])
        .args(extra)
        .arg("--output")
        .arg(path));
    assert_eq!(output.status.code(), Some(4));
    output
}

#[tokio::test(flavor = "multi_thread")]
async fn resumes_and_syncs_refuse_what_they_cannot_continue_without_a_panic() {
    let sandbox = unlimited(300).await;
    let dir = tempfile::tempdir().unwrap();
    let code = |command: &mut Command| run(command).status.code();

    // The partial file gone (or cut) under its state: refused, never padded or made up.
    let path = dir.path().join("c.json");
    interrupted_export(&path, &[]).await;
    let partial = dir.path().join(".c.json.livedesk-partial");
    std::fs::remove_file(&partial).unwrap();
    let resume = ["contacts", "list", "--all", "--resume", "--output"];
    assert_eq!(code(livedesk(&sandbox).args(resume).arg(&path)), Some(2));
    std::fs::write(&partial, "[").unwrap();
    assert_eq!(code(livedesk(&sandbox).args(resume).arg(&path)), Some(2));
    assert!(!path.exists());

    // A limit does not carry over a resume: refused together, and a limited export is not
    // kept for one.
    let limited = dir.path().join("limited.jsonl");
    assert_eq!(
        code(
            livedesk(&sandbox)
                .args([
                    "contacts", "list", "--all", "--limit", "10", "--resume", "--output"
                ])
                .arg(&limited)
        ),
        Some(2)
    );
    let throttled_limit = dir.path().join("short.jsonl");
    interrupted_export(&throttled_limit, &["--limit", "100"]).await;
    assert!(!dir.path().join(".short.jsonl.livedesk-state").exists());

    // `--since` files that say too little, or something out of range: usage errors.
    for (name, text) in [
        ("narrow.csv", "id,email\n1,a@example.com\n"),
        (
            "extreme.json",
            r#"[{"id":1,"created_at":-9223372036854775808}]"#,
        ),
        ("not-json.jsonl", "{\n"),
    ] {
        let since = dir.path().join(name);
        std::fs::write(&since, text).unwrap();
        let output = run(livedesk(&sandbox)
            .args(["contacts", "list", "--all", "--since"])
            .arg(&since));
        assert_eq!(output.status.code(), Some(2), "{name}: {output:?}");
    }
}
