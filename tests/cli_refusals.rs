//! What the command line refuses before any request, with exit code 2 and the file or flag
//! named (review 87): a `--since` file whose last contact is dated in the future, one with
//! more after its array, or with a field of the wrong type (named, its value left out), a
//! missing one; a state that disagrees with the partial file it counts; an output in a
//! folder that does not exist, or that is no regular file; and a query typed where clap
//! expects something else, which is never echoed.

use crate::common;

#[cfg(unix)]
use std::os::unix::fs::FileTypeExt;
use std::{
    path::Path,
    process::{Command, Output, Stdio},
    time::Duration,
};

use livedesk::{Sandbox, SandboxData, SortField};
use serde_json::{Value, json};

use common::livedesk;

const BIN: &str = env!("CARGO_BIN_EXE_livedesk");

fn run(command: &mut Command) -> Output {
    command.output().expect("the binary runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Whether `text` holds `word` as a word of its own (`id`, not the `id` of `invalid`).
fn has_word(text: &str, word: &str) -> bool {
    text.split(|c: char| !c.is_alphanumeric() && c != '_')
        .any(|w| w == word)
}

fn contact(id: i64, name: &str, created_at: i64) -> Value {
    json!({
        "id": id, "name": name, "email": format!("{}@example.com", name.to_lowercase()),
        "phone_number": null, "identifier": null, "blocked": false, "thumbnail": "",
        "availability_status": "offline", "additional_attributes": {},
        "custom_attributes": {}, "created_at": created_at,
    })
}

async fn serving(contacts: Vec<Value>) -> Sandbox {
    Sandbox::builder()
        .data(SandboxData::from_values(contacts).unwrap())
        .no_rate_limit()
        .start()
        .await
        .unwrap()
}

/// `contacts list --all --resume --output path` against `sandbox`.
fn resume(sandbox: &Sandbox, path: impl AsRef<Path>) -> Output {
    run(livedesk(sandbox)
        .args(["contacts", "list", "--all", "--resume", "--output"])
        .arg(path.as_ref()))
}

fn jsonl_ids(path: &Path) -> Vec<i64> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| {
            serde_json::from_str::<Value>(line).unwrap()["id"]
                .as_i64()
                .unwrap()
        })
        .collect()
}

/// A daily sync after an export whose last contact is dated days ahead (an importer's clock,
/// a time zone taken for UTC): `--since` would start after that date, and the contacts
/// created today, before it, would be in no export of the chain (it exported nothing, with
/// exit code 0 and "no new contacts"): refused, naming the file and the contact.
#[tokio::test(flavor = "multi_thread")]
async fn a_since_file_dated_in_the_future_does_not_hide_what_is_new() {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let dir = tempfile::tempdir().unwrap();
    let day1 = dir.path().join("day1.jsonl");
    let day2 = dir.path().join("day2.jsonl");
    let skewed = contact(2, "Bob", now + 3 * 86_400);

    let yesterday = serving(vec![contact(1, "Ada", now - 86_400), skewed.clone()]).await;
    let first = run(livedesk(&yesterday)
        .args(["contacts", "list", "--all", "--output"])
        .arg(&day1));
    assert!(first.status.success(), "{}", stderr(&first));
    assert_eq!(jsonl_ids(&day1), [1, 2]);

    // Today: Cy is new, created now.
    let today = serving(vec![
        contact(1, "Ada", now - 86_400),
        skewed,
        contact(3, "Cy", now),
    ])
    .await;
    let sync = run(livedesk(&today)
        .args(["contacts", "list", "--all", "--since"])
        .arg(&day1)
        .arg("--output")
        .arg(&day2));
    // Refused, naming the file and the contact: it exported nothing and said "no new
    // contacts", Cy in no export of the chain.
    assert_eq!(sync.status.code(), Some(2), "{}", stderr(&sync));
    assert!(stderr(&sync).contains("day1.jsonl"), "{}", stderr(&sync));
    assert!(stderr(&sync).contains("(id 2)"), "{}", stderr(&sync));
    assert!(!day2.exists());
    assert_eq!(today.requests(), 0);
}

/// JSON exports appended to one file day after day (`--format json >> all.json`): a
/// `--since` of that file read its first array only, and the third day exported the second
/// day's contacts again, with exit code 0: refused, naming the file.
#[tokio::test(flavor = "multi_thread")]
async fn a_since_json_file_with_more_after_its_array_is_refused() {
    let sandbox = common::sandbox(90).await;
    let client = sandbox.client().build().unwrap();
    let all = client
        .contacts()
        .sort(SortField::CreatedAt)
        .paginate()
        .collect()
        .await
        .unwrap();
    assert!(all.len() > 40);
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("all.json");

    let day1 = run(livedesk(&sandbox)
        .args(["contacts", "list", "--all", "--format", "json"])
        .arg("--created-before")
        .arg(all[30].created_at.unwrap().to_string()));
    assert!(day1.status.success(), "{}", stderr(&day1));
    std::fs::write(&log, &day1.stdout).unwrap();
    let day2 = run(livedesk(&sandbox)
        .args(["contacts", "list", "--all", "--format", "json", "--since"])
        .arg(&log));
    assert!(day2.status.success(), "{}", stderr(&day2));
    let mut appended = std::fs::read(&log).unwrap();
    appended.extend_from_slice(&day2.stdout);
    std::fs::write(&log, appended).unwrap();

    // Nothing new on day 3.
    let day3 = run(livedesk(&sandbox)
        .args(["contacts", "list", "--all", "--format", "jsonl", "--since"])
        .arg(&log));
    // Refused: it read the first array only, and exported the second day's contacts again.
    assert_eq!(day3.status.code(), Some(2), "{}", stderr(&day3));
    assert!(stderr(&day3).contains("all.json"), "{}", stderr(&day3));
    assert!(day3.stdout.is_empty());
}

/// A sandbox slow enough (400 ms a page, 14 pages) for an export to be interrupted part-way,
/// however slowly a loaded machine runs the test.
async fn slow_sandbox() -> Sandbox {
    Sandbox::builder()
        .contacts(200)
        .latency(Duration::from_millis(400))
        .no_rate_limit()
        .start()
        .await
        .unwrap()
}

/// An export to `name` in `dir` (JSON), interrupted with SIGINT once its state counts
/// contacts: its partial and state files are kept.
#[cfg(unix)]
fn interrupted(sandbox: &Sandbox, dir: &Path, name: &str) {
    use std::os::unix::process::CommandExt;

    let path = dir.join(name);
    let mut command = livedesk(sandbox);
    // SAFETY: between fork and exec only `signal(2)`, which is async-signal-safe.
    unsafe {
        command.pre_exec(|| {
            libc::signal(libc::SIGINT, libc::SIG_DFL);
            Ok(())
        });
    }
    let mut child = command
        .args([
            "contacts",
            "list",
            "--all",
            "--concurrency",
            "1",
            "--output",
        ])
        .arg(&path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let state = dir.join(format!(".{name}.livedesk-state"));
    let mut counted = false;
    for _ in 0..3_000 {
        if let Ok(bytes) = std::fs::read(&state)
            && let Ok(value) = serde_json::from_slice::<Value>(&bytes)
            && value["written"].as_u64().unwrap_or(0) > 0
        {
            counted = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(counted, "the export is under way");
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: `kill` only sends a signal to our own child, not yet waited for.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    assert_eq!(child.wait().unwrap().code(), Some(130));
    assert!(state.exists());
}

/// The state beside an interrupted export, hand-edited so that it no longer agrees with the
/// partial file (how many contacts it holds, or where its last one ends): a resume trusted it
/// and put a file in place that was not valid JSON, with exit code 0. So did one counting no
/// contact in the bytes of the opening bracket (review 98: it was written again), and one
/// counting contacts but no creation time to go on from (the walk started over, and wrote
/// them twice). So is a position of another search. Refused, naming the state; the state
/// as it was resumes to the whole export.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn a_resume_does_not_trust_a_state_that_disagrees_with_the_partial_file() {
    let sandbox = slow_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let reference = dir.path().join("reference.json");
    let whole = run(livedesk(&sandbox)
        .args(["contacts", "list", "--all", "--output"])
        .arg(&reference));
    assert!(whole.status.success(), "{}", stderr(&whole));
    let expected = std::fs::read(&reference).unwrap();

    let kept = tempfile::tempdir().unwrap();
    interrupted(&sandbox, kept.path(), "e.json");
    let state: Value =
        serde_json::from_slice(&std::fs::read(kept.path().join(".e.json.livedesk-state")).unwrap())
            .unwrap();
    let bytes = state["bytes"].as_u64().unwrap();
    type Edit<'a> = (&'a str, &'a dyn Fn(&mut Value));
    let edits: [Edit; 5] = [
        ("no contacts counted", &|s| s["written"] = json!(0)),
        ("the bytes cut mid-contact", &|s| {
            s["bytes"] = json!(bytes - 7)
        }),
        ("the bracket's byte counted as no contact", &|s| {
            s["written"] = json!(0);
            s["bytes"] = json!(1);
        }),
        ("no creation time to go on from", &|s| {
            s["position"]["created_at"] = Value::Null;
        }),
        // Named as the state's other fields are (review 98: the library's message alone).
        ("a position of another search", &|s| {
            s["position"]["search"] = json!("0000000000000000");
        }),
    ];
    for (what, edit) in edits {
        let case = tempfile::tempdir().unwrap();
        for name in [".e.json.livedesk-partial", ".e.json.livedesk-state"] {
            std::fs::copy(kept.path().join(name), case.path().join(name)).unwrap();
        }
        let mut edited = state.clone();
        edit(&mut edited);
        std::fs::write(
            case.path().join(".e.json.livedesk-state"),
            edited.to_string(),
        )
        .unwrap();
        let path = case.path().join("e.json");
        let resumed = resume(&sandbox, &path);
        // Refused, naming the state: it finished with exit 0, and the file put in place was
        // not valid JSON.
        let stderr = stderr(&resumed);
        assert_eq!(resumed.status.code(), Some(2), "{what}: {stderr}");
        assert!(stderr.contains("livedesk-state"), "{what}: {stderr}");
        assert!(!path.exists(), "{what}");
    }
    // One that counts nothing written starts again from the start, whatever its position
    // (review 106: it went on from there, exit 0 without the contacts before it).
    let case = tempfile::tempdir().unwrap();
    let mut edited = state.clone();
    (edited["written"], edited["bytes"]) = (json!(0), json!(0));
    std::fs::write(
        case.path().join(".e.json.livedesk-state"),
        edited.to_string(),
    )
    .unwrap();
    std::fs::write(case.path().join(".e.json.livedesk-partial"), "").unwrap();
    let path = case.path().join("e.json");
    let resumed = resume(&sandbox, &path);
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    assert_eq!(std::fs::read(&path).unwrap(), expected);

    // JSON lines whose bytes were overwritten inside (review 106: counted by their
    // newlines alone, and resumed into a file with a line that is no JSON).
    interrupted(&sandbox, case.path(), "e.jsonl");
    let partial = case.path().join(".e.jsonl.livedesk-partial");
    let mut text = std::fs::read(&partial).unwrap();
    text[..2].copy_from_slice(b"##");
    std::fs::write(&partial, text).unwrap();
    let resumed = resume(&sandbox, case.path().join("e.jsonl"));
    assert_eq!(resumed.status.code(), Some(2), "{}", stderr(&resumed));

    // The state as it was resumes to the whole export.
    let path = kept.path().join("e.json");
    let resumed = resume(&sandbox, &path);
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    assert_eq!(std::fs::read(&path).unwrap(), expected);
}

/// A field of the wrong type in a `--since` file or a state file: the error names the field
/// (as the CSV reader's "record N: field id is not a number" does) and leaves its value out,
/// which may be an email. It showed serde's "invalid type: string \"ada@example.com\",
/// expected i64 at line 1 column 23", naming neither field.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn a_bad_field_of_a_since_or_state_file_is_named_and_its_value_left_out() {
    let sandbox = slow_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    for (name, text, field, value) in [
        (
            "keyed.jsonl",
            "{\"id\":1,\"created_at\":1600000000}\n{\"id\":\"ada@example.com\",\"created_at\":1600000001}\n",
            "id",
            "ada@example.com",
        ),
        (
            "times.json",
            "[{\"id\":1,\"created_at\":\"2024-01-01T00:00:00+01:00 ada@example.com\"}]",
            "created_at",
            "ada@example.com",
        ),
    ] {
        let since = dir.path().join(name);
        std::fs::write(&since, text).unwrap();
        let output = run(livedesk(&sandbox)
            .args(["contacts", "list", "--all", "--since"])
            .arg(&since));
        let stderr = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{name}: {stderr}");
        assert!(
            !stderr.contains(value),
            "{name}: the value is shown: {stderr}"
        );
        assert!(
            has_word(&stderr, field),
            "{name}: the field is not named: {stderr}"
        );
    }

    interrupted(&sandbox, dir.path(), "e.json");
    let state_path = dir.path().join(".e.json.livedesk-state");
    let mut state: Value = serde_json::from_slice(&std::fs::read(&state_path).unwrap()).unwrap();
    state["bytes"] = json!(state["bytes"].to_string());
    std::fs::write(&state_path, state.to_string()).unwrap();
    let output = resume(&sandbox, dir.path().join("e.json"));
    let stderr = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        has_word(&stderr, "bytes"),
        "the field is not named: {stderr}"
    );
}

/// A `--since` file that does not exist is a bad argument refused before any request: exit
/// code 2 naming the flag, as `--sandbox-data` and `--ca-cert` do (it exited 1 with
/// "cannot read FILE").
#[tokio::test(flavor = "multi_thread")]
async fn a_missing_since_file_is_a_usage_error_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    refused_naming("--since", &dir.path().join("yesterday.csv")).await;
}

/// A `--since` that is no regular file is refused (review 106: a folder exited 1, "cannot
/// read"; a named pipe nobody writes to was waited on for ever).
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn a_since_that_is_no_file_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("yesterday.jsonl");
    std::fs::create_dir(&folder).unwrap();
    refused_naming("--since", &folder).await;
    let pipe = dir.path().join("pipe.jsonl");
    assert!(
        Command::new("mkfifo")
            .arg(&pipe)
            .status()
            .unwrap()
            .success()
    );
    refused_naming("--since", &pipe).await;
}

/// An output that is a file the command reads (`--since`, `--sandbox-data`), by its name or
/// a link, is refused before any request (review 106: `--since full.csv -o full.csv`
/// replaced a full export with the new contacts alone, exit code 0).
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn an_output_that_the_command_reads_is_refused() {
    let sandbox = serving(vec![contact(1, "Ada", 1_600_000_000)]).await;
    let dir = tempfile::tempdir().unwrap();
    let full = dir.path().join("full.jsonl");
    let done = run(livedesk(&sandbox)
        .args(["contacts", "list", "--all", "--output"])
        .arg(&full));
    assert!(done.status.success(), "{}", stderr(&done));
    let link = dir.path().join("link.jsonl");
    std::os::unix::fs::symlink(&full, &link).unwrap();
    for output in [&full, &link] {
        for all in [true, false] {
            let mut command = livedesk(&sandbox);
            command.args(["contacts", "list", "--since"]).arg(&full);
            command.arg("--output").arg(output);
            if all {
                command.arg("--all");
            }
            let refused = run(&mut command);
            let stderr = stderr(&refused);
            assert_eq!(refused.status.code(), Some(2), "{stderr}");
            assert!(stderr.contains("--since"), "{stderr}");
        }
    }
    assert_eq!(jsonl_ids(&full), [1]);
    assert_eq!(sandbox.requests(), 1);

    let data = dir.path().join("mine.json");
    std::fs::write(&data, json!([contact(2, "Zoe", 1_600_000_000)]).to_string()).unwrap();
    let refused = run(Command::new(BIN)
        .args(["contacts", "search", "zz", "--sandbox", "--sandbox-data"])
        .arg(&data)
        .arg("--output")
        .arg(&data));
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(std::fs::read_to_string(&data).unwrap().contains("Zoe"));
}

/// An export whose first request failed (credentials refused) wrote nothing: it does not say
/// to resume, and the same command runs it again (review 106: refused, "add --resume").
#[tokio::test(flavor = "multi_thread")]
async fn an_export_that_failed_before_writing_runs_again() {
    let sandbox = serving(vec![contact(1, "Ada", 1_600_000_000)]).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("everyone.jsonl");
    let export = |secret: &str| {
        run(livedesk(&sandbox)
            .env("LIVEDESK_API_SECRET", secret)
            .args(["contacts", "list", "--all", "--output"])
            .arg(&path))
    };
    let refused = export("a-typo");
    assert_eq!(refused.status.code(), Some(3), "{}", stderr(&refused));
    assert!(
        !stderr(&refused).contains("--resume"),
        "{}",
        stderr(&refused)
    );
    let done = export("sandbox-secret");
    assert_eq!(done.status.code(), Some(0), "{}", stderr(&done));
    assert_eq!(jsonl_ids(&path), [1]);
}

/// `contacts list --all FLAG PATH` against a sandbox of one contact: exit code 2 naming the
/// flag, before any request.
async fn refused_naming(flag: &str, path: &Path) {
    let sandbox = serving(vec![contact(1, "Ada", 1_600_000_000)]).await;
    let output = run(livedesk(&sandbox)
        .args(["contacts", "list", "--all", flag])
        .arg(path));
    let stderr = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(flag), "{stderr}");
    assert_eq!(sandbox.requests(), 0);
}

/// A query typed where clap expects something else (`contacts EMAIL`, forgetting `search`;
/// a name of two words unquoted) was echoed in clap's error: an email or a name on standard
/// error, in a job's log.
#[test]
fn a_mistyped_query_is_not_echoed_in_the_usage_error() {
    for (args, personal) in [
        (
            vec!["contacts", "ada.lovelace@example.com"],
            "ada.lovelace@example.com",
        ),
        (
            vec!["contacts", "search", "ada", "lovelace", "--sandbox"],
            "lovelace",
        ),
        // Near a command's name (clap suggests `search`): hidden all the same.
        (vec!["contacts", "sarah"], "sarah"),
        // A value given to the wrong option (review 106), also where its parser quotes it.
        (
            vec!["contacts", "search", "x", "--sort", "ada@example.com"],
            "ada@example.com",
        ),
        (
            vec!["contacts", "search", "x", "--page", "+8613800138000"],
            "8613800138000",
        ),
        (
            vec![
                "contacts",
                "list",
                "--all",
                "--created-after",
                "ada@example.com",
            ],
            "ada@example.com",
        ),
        // Review 108: a phone number with its `00` prefix, which the parser reads as a
        // number without it; a value given to a flag that takes none.
        (
            vec!["contacts", "search", "x", "--page", "008613800138000"],
            "8613800138000",
        ),
        (
            vec!["contacts", "search", "--literal=ada@example.com"],
            "ada@example.com",
        ),
    ] {
        let output = run(Command::new(BIN).args(&args).stdin(Stdio::null()));
        let stderr = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(!stderr.contains(personal), "{args:?}: {stderr}");
    }
}

/// An output in a folder that does not exist is a bad argument refused before any request:
/// exit code 2 naming `--output` (it exited 1).
#[tokio::test(flavor = "multi_thread")]
async fn an_output_in_a_missing_folder_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    refused_naming("--output", &dir.path().join("missing").join("everyone.csv")).await;
}

/// An output that is a named pipe is refused before any request (review 93: it was replaced
/// by a regular file, and the pipe's reader waited for ever); one that is a link is followed,
/// the file it points to replaced and the link kept.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn an_output_that_is_a_pipe_is_refused_and_a_link_is_followed() {
    let dir = tempfile::tempdir().unwrap();
    let pipe = dir.path().join("contacts.csv");
    let made = Command::new("mkfifo").arg(&pipe).status().unwrap();
    assert!(made.success());
    refused_naming("--output", &pipe).await;
    assert!(
        std::fs::symlink_metadata(&pipe)
            .unwrap()
            .file_type()
            .is_fifo()
    );

    let target = dir.path().join("target.jsonl");
    std::fs::write(&target, "old").unwrap();
    let link = dir.path().join("link.jsonl");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let sandbox = serving(vec![contact(1, "Ada", 1_600_000_000)]).await;
    for all in [false, true] {
        let mut command = livedesk(&sandbox);
        command.args(["contacts", "list", "--output"]).arg(&link);
        if all {
            command.arg("--all");
        }
        let output = run(&mut command);
        assert!(output.status.success(), "{}", stderr(&output));
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(jsonl_ids(&target), [1]);
    }
}

/// An export that cannot write (here a file size limit; a full disk alike) said only the
/// system's error ("File too large"), naming no file and not that its progress was kept.
/// It names the output and says to resume; resumed with room, the file is whole.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn an_export_that_cannot_write_names_its_file_and_resumes() {
    use std::os::unix::process::CommandExt;

    let sandbox = Sandbox::builder()
        .contacts(300)
        .no_rate_limit()
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let reference = dir.path().join("reference.jsonl");
    let whole = run(livedesk(&sandbox)
        .args(["contacts", "list", "--all", "--output"])
        .arg(&reference));
    assert!(whole.status.success(), "{}", stderr(&whole));
    let size = std::fs::metadata(&reference).unwrap().len();

    let path = dir.path().join("everyone.jsonl");
    let mut command = livedesk(&sandbox);
    let limit = size / 3;
    // SAFETY: between fork and exec only `setrlimit(2)` and `signal(2)`, async-signal-safe.
    unsafe {
        command.pre_exec(move || {
            let rlimit = libc::rlimit {
                rlim_cur: limit,
                rlim_max: limit,
            };
            libc::setrlimit(libc::RLIMIT_FSIZE, &rlimit);
            // A write past the limit then fails (EFBIG) instead of killing the process.
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            Ok(())
        });
    }
    let failed = run(command
        .args(["contacts", "list", "--all", "--output"])
        .arg(&path));
    let message = stderr(&failed);
    assert!(!failed.status.success(), "{message}");
    assert!(message.contains("everyone.jsonl"), "{message}");
    assert!(message.contains("--resume"), "{message}");
    assert!(!path.exists());

    let resumed = resume(&sandbox, &path);
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    assert_eq!(
        std::fs::read(&path).unwrap(),
        std::fs::read(&reference).unwrap()
    );
}

/// Review 108: a label of commas alone is blank too (upstream splits it at commas, and drops
/// the blanks): an unset `--label "$A,$B"` exported nothing, with success.
#[tokio::test(flavor = "multi_thread")]
async fn a_label_of_commas_is_refused() {
    let sandbox = serving(vec![contact(1, "Ada", 1_600_000_000)]).await;
    for label in [",", " , ", ""] {
        let refused = run(livedesk(&sandbox).args(["contacts", "list", "--all", "--label", label]));
        assert_eq!(
            refused.status.code(),
            Some(2),
            "{label:?}: {}",
            stderr(&refused)
        );
    }
    assert_eq!(sandbox.requests(), 0);
}

/// Review 109: every whole number in a parser's reason was hidden, the `3339` of "not an RFC
/// 3339 time" too.
#[test]
fn a_refused_time_says_what_a_time_is() {
    let output = run(Command::new(BIN)
        .args([
            "contacts",
            "search",
            "--all",
            "--created-after",
            "yesterday",
        ])
        .stdin(Stdio::null()));
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("RFC 3339"), "{}", stderr(&output));
}

/// Review 108, where nothing was written: a `--resume` whose settings differ is refused
/// (no test reached it once the interrupted exports waited for a contact written).
#[tokio::test(flavor = "multi_thread")]
async fn a_resume_that_differs_is_refused_where_nothing_was_written() {
    let sandbox = serving(vec![contact(1, "Ada", 1_600_000_000)]).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("everyone.jsonl");
    let refused = run(livedesk(&sandbox)
        .env("LIVEDESK_API_SECRET", "a-typo")
        .args(["contacts", "list", "--all", "--output"])
        .arg(&path));
    assert_eq!(refused.status.code(), Some(3), "{}", stderr(&refused));
    let resumed = run(livedesk(&sandbox)
        .args([
            "contacts", "list", "--all", "--label", "vip", "--resume", "--output",
        ])
        .arg(&path));
    assert_eq!(resumed.status.code(), Some(2), "{}", stderr(&resumed));
    assert!(
        stderr(&resumed).contains("--label differs"),
        "{}",
        stderr(&resumed)
    );
}

/// Review 116: `--page` conflicts with `--all`, and clap then took `--all` as present, so
/// `--created-after`, `--created-before` and `--since` (which require `--all`) passed with
/// `--page` and went unread: one page came back, contacts outside the bound among them, with
/// success. Each is refused with exit code 2 before any request, `--page` named; so is
/// `--resume`, whose refusal spoke of the sort.
#[tokio::test(flavor = "multi_thread")]
async fn a_page_with_an_option_of_walks_is_refused_before_any_request() {
    let sandbox = serving(
        (1..=20)
            .map(|i| contact(i, &format!("C{i}"), 1_700_000_000 + i))
            .collect(),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let since = dir.path().join("since.csv");
    let out = dir.path().join("out.csv");
    let cases: [&[&str]; 4] = [
        &["--created-after", "1700000010"],
        &["--created-before", "1700000005"],
        &["--since", since.to_str().unwrap()],
        &["--resume", "--output", out.to_str().unwrap()],
    ];
    for option in cases {
        let output = run(livedesk(&sandbox)
            .args(["contacts", "list", "--page", "1", "--format", "jsonl"])
            .args(option));
        assert_eq!(
            output.status.code(),
            Some(2),
            "{option:?}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains("--page"),
            "{option:?}: {}",
            stderr(&output)
        );
        assert!(output.stdout.is_empty(), "{option:?}");
    }
    assert_eq!(sandbox.requests(), 0);
}
