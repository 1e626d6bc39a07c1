//! The command line's exports against a second account and after a quiet day (review 41's
//! findings): a `--resume` against another account is refused, a `--since` file that holds
//! no contact is refused rather than read as "from the start", a `--since` file that is not
//! UTF-8 is a usage error naming the file and the line, and an export a tie cut short does
//! not say to resume; and `--since` with `--limit` writes the limit (review 87); daily
//! `--since` syncs look again at the hour before the file's last contact, no earlier than
//! its first, and are not resumed as `--created-after` exports (reviews 98 and 100).

use crate::common;

use std::{
    path::Path,
    process::Output,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use livedesk::Sandbox;
use serde_json::{Value, json};

use common::{
    livedesk,
    server::{Reply, TestServer},
};

fn run(command: &mut std::process::Command) -> Output {
    command.output().expect("the binary runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn csv_ids(path: &Path) -> Vec<i64> {
    csv::Reader::from_path(path)
        .unwrap()
        .records()
        .map(|row| row.unwrap()[0].parse().unwrap())
        .collect()
}

async fn unlimited(contacts: usize, seed: u64) -> Sandbox {
    Sandbox::builder()
        .contacts(contacts)
        .seed(seed)
        .no_rate_limit()
        .start()
        .await
        .unwrap()
}

/// An export interrupted at a known point: the sandbox allows 3 searches a minute, so the
/// fourth is throttled past `--max-wait 1` and the command exits 4 with its progress kept.
async fn interrupted_export(path: &Path, seed: u64) -> Sandbox {
    let throttled = Sandbox::builder()
        .contacts(300)
        .seed(seed)
        .rate_limit(3, Duration::from_secs(60))
        .start()
        .await
        .unwrap();
    let output = run(livedesk(&throttled)
        .args([
            "contacts",
            "list",
            "--all",
            "--concurrency",
            "1",
            "--max-wait",
            "1",
        ])
        .arg("--output")
        .arg(path));
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    throttled
}

/// A `--resume` against another server (another account, or the sandbox instead of the real
/// one) is refused with exit code 2: it continued the kept export silently, the finished file
/// holding the first pages of one account and the rest of another's.
#[tokio::test(flavor = "multi_thread")]
async fn a_resume_against_another_account_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("everyone.csv");
    let first = interrupted_export(&path, 1).await;
    drop(first);

    // Another account: another server, with other contacts.
    let other = unlimited(300, 2).await;
    let resumed = run(livedesk(&other)
        .args(["contacts", "list", "--all", "--resume", "--output"])
        .arg(&path));
    let stderr = stderr(&resumed);
    if resumed.status.success() {
        // What it wrote: the other account's full export would be this.
        let reference = dir.path().join("reference.csv");
        assert!(
            run(livedesk(&other)
                .args(["contacts", "list", "--all", "--output"])
                .arg(&reference))
            .status
            .success()
        );
        let written = std::fs::read_to_string(&path).unwrap();
        let theirs = std::fs::read_to_string(&reference).unwrap();
        let foreign = written.lines().filter(|row| !theirs.contains(*row)).count();
        panic!(
            "the resume against another account succeeded: {} contacts written, {foreign} of \
             them not the other account's; its own export holds {}",
            csv_ids(&path).len(),
            csv_ids(&reference).len()
        );
    }
    assert_eq!(resumed.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("account"), "{stderr}");
    assert!(!path.exists());
}

/// A daily sync chained from yesterday's sync: a day with nothing new writes an export of no
/// contacts, which says nothing of where it ended, and the next day's `--since` that file
/// repeats none of the first day's contacts: refused with exit code 2, naming the file, or
/// an export of none of them (it exported the whole account again, with exit 0).
#[tokio::test(flavor = "multi_thread")]
async fn a_sync_since_an_empty_sync_does_not_export_everything_again() {
    let sandbox = unlimited(100, 1).await;
    let dir = tempfile::tempdir().unwrap();
    let day1 = dir.path().join("day1.csv");
    let day2 = dir.path().join("day2.csv");
    let day3 = dir.path().join("day3.csv");

    let full = run(livedesk(&sandbox)
        .args(["contacts", "list", "--all", "--output"])
        .arg(&day1));
    assert!(full.status.success(), "{}", stderr(&full));
    let exported = csv_ids(&day1);
    assert!(!exported.is_empty());

    let sync = |since: &Path, output: &Path| {
        run(livedesk(&sandbox)
            .args(["contacts", "list", "--all", "--since"])
            .arg(since)
            .arg("--output")
            .arg(output))
    };
    // Nothing new on day 2.
    let quiet = sync(&day1, &day2);
    assert!(quiet.status.success(), "{}", stderr(&quiet));
    assert!(csv_ids(&day2).is_empty());

    // Nothing new on day 3 either; the chain goes on from day 2's file.
    let next = sync(&day2, &day3);
    if next.status.success() {
        let again = csv_ids(&day3);
        let repeated = again.iter().filter(|id| exported.contains(id)).count();
        assert_eq!(
            repeated,
            0,
            "day 3's incremental export repeated {repeated} contacts of day 1's ({} in all)",
            again.len()
        );
    } else {
        // Refused: a usage error naming the file, nothing written.
        let stderr = stderr(&next);
        assert_eq!(next.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("day2.csv"), "{stderr}");
        assert!(!day3.exists());
    }
}

/// A `--since` JSON lines file with bytes that are not UTF-8 on its second line is a usage
/// error (exit code 2) naming the file and the line, as every other bad `--since` file (it
/// exited 1, naming neither).
#[tokio::test(flavor = "multi_thread")]
async fn a_since_file_that_is_not_utf8_is_a_usage_error_naming_file_and_line() {
    let sandbox = unlimited(30, 1).await;
    let dir = tempfile::tempdir().unwrap();
    let since = dir.path().join("yesterday.jsonl");
    std::fs::write(
        &since,
        b"{\"id\":1,\"created_at\":1600000000}\n{\"id\":2,\"name\":\"Ad\xe9le\",\"created_at\":1600000001}\n",
    )
    .unwrap();
    let output = run(livedesk(&sandbox)
        .args(["contacts", "list", "--all", "--since"])
        .arg(&since));
    let stderr = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("yesterday.jsonl"), "{stderr}");
    assert!(stderr.contains("line 2"), "{stderr}");
}

/// An export that ends with a tie cut short (contacts sharing a creation second straddle
/// pages the server ordered differently) says what to do instead, and not to resume: a
/// resume reads the same tie again (it said "the same command with --resume" after every
/// walk error).
#[tokio::test(flavor = "multi_thread")]
async fn an_export_cut_short_by_a_tie_does_not_say_to_resume() {
    let tied = Sandbox::builder()
        .contacts(300)
        .seed(1)
        .bulk_imports(true)
        .unstable_ties(true)
        .no_rate_limit()
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let output = run(livedesk(&tied)
        .args([
            "contacts",
            "list",
            "--all",
            "--concurrency",
            "1",
            "--output",
        ])
        .arg(dir.path().join("everyone.csv")));
    let stderr = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("no tie-breaker"), "{stderr}");
    assert!(!stderr.contains("--resume"), "{stderr}");
}

/// An export of a file another export of it is writing is refused with exit code 2, before
/// it touches anything (both would write into one partial file); once that one is done, it
/// runs, and leaves no lock file.
#[tokio::test(flavor = "multi_thread")]
async fn a_second_export_of_one_file_at_once_is_refused() {
    let sandbox = unlimited(40, 3).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("everyone.csv");
    // The lock the other export holds (the system's, as a second process would meet it).
    let held = std::fs::File::create(dir.path().join(".everyone.csv.livedesk-lock")).unwrap();
    held.lock().unwrap();
    let export = || {
        run(livedesk(&sandbox)
            .args(["contacts", "list", "--all", "--output"])
            .arg(&path))
    };
    let refused = export();
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("another export of"),
        "{}",
        stderr(&refused)
    );
    // Nor is the file written whole beside it (review 106: `--limit`, or another sort,
    // replaced the output, and the running export renamed over that).
    for other in [["--limit", "3"], ["--sort", "name"]] {
        let refused = run(livedesk(&sandbox)
            .args(["contacts", "list", "--all", "--output"])
            .arg(&path)
            .args(other));
        assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    }
    let names = || {
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    assert_eq!(names(), [".everyone.csv.livedesk-lock"]);
    drop(held);
    let done = export();
    assert_eq!(done.status.code(), Some(0), "{}", stderr(&done));
    assert!(!csv_ids(&path).is_empty());
    assert_eq!(names(), ["everyone.csv"]);
}

/// `--since` with `--limit N` writes N contacts, to standard output and to a file: the
/// contacts of the `--since` file's last second come again and are dropped, and the walk's
/// limit counted them (it wrote N − 1).
#[tokio::test(flavor = "multi_thread")]
async fn a_since_export_with_a_limit_writes_the_limit() {
    let sandbox = unlimited(100, 1).await;
    let dir = tempfile::tempdir().unwrap();
    let day1 = dir.path().join("day1.csv");
    let all = run(livedesk(&sandbox)
        .args(["contacts", "list", "--all", "--limit", "30", "--output"])
        .arg(&day1));
    assert!(all.status.success(), "{}", stderr(&all));
    assert_eq!(csv_ids(&day1).len(), 30);

    let stdout = run(livedesk(&sandbox)
        .args([
            "contacts", "list", "--all", "--limit", "5", "--format", "csv", "--since",
        ])
        .arg(&day1));
    assert!(stdout.status.success(), "{}", stderr(&stdout));
    let rows = csv::Reader::from_reader(&stdout.stdout[..])
        .records()
        .count();
    assert_eq!(rows, 5);

    let day2 = dir.path().join("day2.csv");
    let file = run(livedesk(&sandbox)
        .args(["contacts", "list", "--all", "--limit", "5", "--since"])
        .arg(&day1)
        .arg("--output")
        .arg(&day2));
    assert!(file.status.success(), "{}", stderr(&file));
    let ids = csv_ids(&day2);
    assert_eq!(ids.len(), 5);
    assert!(ids.iter().all(|id| !csv_ids(&day1).contains(id)), "{ids:?}");
}

/// A contact created at `at` (unix seconds).
fn dated(id: i64, at: i64) -> Value {
    let mut contact = common::contact(id);
    contact["created_at"] = json!(at);
    contact
}

/// An account that answers oldest first, 15 a page with the total, over contacts the test
/// changes between runs; with `throttled` set, every request is refused (`429`).
struct Living {
    contacts: Arc<Mutex<Vec<Value>>>,
    throttled: Arc<AtomicBool>,
    server: TestServer,
}

impl Living {
    async fn start(contacts: Vec<Value>) -> Self {
        let contacts = Arc::new(Mutex::new(contacts));
        let throttled = Arc::new(AtomicBool::new(false));
        let server = TestServer::start({
            let (contacts, throttled) = (contacts.clone(), throttled.clone());
            move |request| {
                if throttled.load(Ordering::SeqCst) {
                    return Reply::status(429, "text/plain", "Retry later");
                }
                let mut contacts = contacts.lock().unwrap().clone();
                contacts.sort_by_key(|c| (c["created_at"].as_i64(), c["id"].as_i64()));
                let page = request.page();
                let payload: Vec<Value> = contacts
                    .iter()
                    .skip((page as usize - 1) * 15)
                    .take(15)
                    .cloned()
                    .collect();
                Reply::json(&json!({
                    "meta": {"count": contacts.len(), "current_page": page},
                    "payload": payload,
                }))
            }
        })
        .await;
        Living {
            contacts,
            throttled,
            server,
        }
    }

    fn add(&self, more: impl IntoIterator<Item = Value>) {
        self.contacts.lock().unwrap().extend(more);
    }

    /// `contacts list --all ARGS --output OUTPUT` against this account.
    fn export(&self, args: &[&str], output: &Path) -> Output {
        run(std::process::Command::new(env!("CARGO_BIN_EXE_livedesk"))
            .env("LIVEDESK_BASE_URL", &self.server.base_url)
            .env("LIVEDESK_API_KEY", common::KEY)
            .env("LIVEDESK_API_SECRET", common::SECRET)
            .stdin(std::process::Stdio::null())
            .args(["contacts", "list", "--all"])
            .args(args)
            .arg("--output")
            .arg(output))
    }

    /// `contacts list --all --format csv ARGS` against this account, its standard output
    /// sent to `output` (as a shell's `> output` does).
    fn redirected(&self, args: &[&str], output: &Path) -> Output {
        let file = std::fs::File::create(output).unwrap();
        run(std::process::Command::new(env!("CARGO_BIN_EXE_livedesk"))
            .env("LIVEDESK_BASE_URL", &self.server.base_url)
            .env("LIVEDESK_API_KEY", common::KEY)
            .env("LIVEDESK_API_SECRET", common::SECRET)
            .stdin(std::process::Stdio::null())
            .stdout(file)
            .args(["contacts", "list", "--all", "--format", "csv"])
            .args(args))
    }

    /// The same, which must succeed: the ids it wrote.
    fn exported(&self, args: &[&str], output: &Path) -> Vec<i64> {
        let run = self.export(args, output);
        assert!(run.status.success(), "{}", stderr(&run));
        csv_ids(output)
    }
}

const BASE: i64 = 1_700_000_000;

/// The account of `forty`, and its full export, `day1.csv` in a folder of its own.
async fn day_one() -> (Living, tempfile::TempDir, std::path::PathBuf) {
    let account = Living::start(forty()).await;
    let dir = tempfile::tempdir().unwrap();
    let day1 = dir.path().join("day1.csv");
    assert_eq!(account.exported(&[], &day1), (1..=40).collect::<Vec<_>>());
    (account, dir, day1)
}

/// Contacts 1 to 40, ten seconds apart from `BASE`.
fn forty() -> Vec<Value> {
    (1..=40).map(|id| dated(id, BASE + 10 * id)).collect()
}

/// Review 98: contacts that become visible after an export ran, dated before its last
/// contact (an import stamped before it committed, a server's clock a few seconds behind),
/// were in neither day's file: `--since` started at the file's last second, and every later
/// sync starts past them. It looks again at the hour before (`--since-overlap`, 3,600 s by
/// default), writing only what the file lacks; with no overlap they are missed, as before.
#[tokio::test(flavor = "multi_thread")]
async fn a_daily_sync_looks_again_at_the_hour_before_the_last_contact() {
    let account = Living::start(forty()).await;
    let dir = tempfile::tempdir().unwrap();
    let day1 = dir.path().join("day1.csv");
    assert_eq!(account.exported(&[], &day1), (1..=40).collect::<Vec<_>>());

    // After day 1's export: an import stamped 5 s before contact 40 commits (41 to 45), and a
    // contact is created (46).
    account.add(
        (41..=45)
            .map(|id| dated(id, BASE + 395))
            .chain([dated(46, BASE + 500)]),
    );
    let since = day1.to_str().unwrap();
    let day2 = dir.path().join("day2.csv");
    assert_eq!(
        account.exported(&["--since", since], &day2),
        [41, 42, 43, 44, 45, 46]
    );

    let without = dir.path().join("without.csv");
    let args = ["--since", since, "--since-overlap", "0"];
    assert_eq!(account.exported(&args, &without), [46]);
}

/// Review 98: a `--since` sync interrupted, then resumed with `--created-after` at the time
/// the `--since` file gives (which leaves nothing of that file out): the resume was taken,
/// and wrote the file's contacts again. Refused, naming `--since`.
#[tokio::test(flavor = "multi_thread")]
async fn a_since_sync_is_not_resumed_as_a_created_after_export() {
    let (account, dir, day1) = day_one().await;

    account.throttled.store(true, Ordering::SeqCst);
    let day2 = dir.path().join("day2.csv");
    let since = day1.to_str().unwrap();
    let sync = account.export(&["--since", since, "--max-wait", "1"], &day2);
    assert_eq!(sync.status.code(), Some(4), "{}", stderr(&sync));
    account.throttled.store(false, Ordering::SeqCst);

    // Where `--since` starts: the file's first contact (within the hour before its last),
    // less a second.
    let after = (BASE + 10 - 1).to_string();
    let resumed = account.export(&["--resume", "--created-after", &after], &day2);
    assert_eq!(resumed.status.code(), Some(2), "{}", stderr(&resumed));
    assert!(stderr(&resumed).contains("--since"), "{}", stderr(&resumed));
    // Resumed as it ran, it ends with none of day 1's contacts (nothing is new).
    assert!(
        account
            .exported(&["--resume", "--since", since], &day2)
            .is_empty()
    );
}

/// Review 100: yesterday's file of a daily chain is itself a `--since` sync, holding only
/// that day's new contacts. Looking again at the hour before its last contact went back
/// into the day before's contacts, which it does not hold, and wrote them all again. The
/// hour looked at again starts no earlier than the file's first contact.
#[tokio::test(flavor = "multi_thread")]
async fn a_chained_daily_sync_does_not_write_the_day_before_yesterdays_contacts_again() {
    let (account, dir, day1) = day_one().await;
    // Day 2: one contact, ten minutes after day 1's last.
    account.add([dated(41, BASE + 400 + 600)]);
    let day2 = dir.path().join("day2.csv");
    assert_eq!(
        account.exported(&["--since", day1.to_str().unwrap()], &day2),
        [41]
    );
    // Day 3: one more. Only it is new.
    account.add([dated(42, BASE + 400 + 1200)]);
    let day3 = dir.path().join("day3.csv");
    assert_eq!(
        account.exported(&["--since", day2.to_str().unwrap()], &day3),
        [42]
    );
}

/// Review 102: in the same chain, a contact dated between day 1's last contact and day 2's
/// first, visible only after day 2's sync ran (an import stamped before it committed), is
/// in neither file; bounded at day 2's first contact, the sync started past it. Day 2's
/// sync says beside its file (`.day2.csv.livedesk-holds`) that it holds every contact after
/// day 1's last: the hour is looked at again from there, alone or with day 1's file too.
#[tokio::test(flavor = "multi_thread")]
async fn a_chained_daily_sync_given_the_files_before_finds_a_late_contact() {
    let (account, dir, day1) = day_one().await;
    account.add([dated(41, BASE + 1000)]);
    let day2 = dir.path().join("day2.csv");
    assert_eq!(
        account.exported(&["--since", day1.to_str().unwrap()], &day2),
        [41]
    );
    // After day 2's sync: 43, stamped 100 s before 41, and 42.
    account.add([dated(43, BASE + 900), dated(42, BASE + 1600)]);
    let (day1, day2) = (day1.to_str().unwrap(), day2.to_str().unwrap());
    let alone = dir.path().join("alone.csv");
    assert_eq!(account.exported(&["--since", day2], &alone), [43, 42]);
    let day3 = dir.path().join("day3.csv");
    let args = ["--since", day2, "--since", day1];
    assert_eq!(account.exported(&args, &day3), [43, 42]);
}

/// Review 103: a sync's file holds the late contacts it found in the hour it looked at
/// again, dated inside the file before it, so its first contact is no bound of what it
/// holds: bounded there, the next sync wrote the file before's contacts again (day 1's 40
/// into day 3), alone and given the last two files. Bounded by what each file's sync says
/// it holds, none is written twice. A companion that is not livedesk's is refused, named.
#[tokio::test(flavor = "multi_thread")]
async fn a_late_contact_in_a_sync_file_does_not_bring_back_the_file_before() {
    let account = Living::start(forty()).await;
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    let day1 = path("day1.csv");
    assert_eq!(account.exported(&[], &day1), (1..=40).collect::<Vec<_>>());
    // Day 2: 41 became visible late, stamped 5 s before 40; 42 is new.
    account.add([dated(41, BASE + 395), dated(42, BASE + 1000)]);
    let day1 = day1.to_str().unwrap();
    let day2 = path("day2.csv");
    assert_eq!(account.exported(&["--since", day1], &day2), [41, 42]);
    let day2 = day2.to_str().unwrap();
    // Day 3: 43 is new. From day 2's file alone, and with day 1's.
    account.add([dated(43, BASE + 1600)]);
    assert_eq!(
        account.exported(&["--since", day2], &path("alone.csv")),
        [43]
    );
    let day3 = path("day3.csv");
    let both = ["--since", day2, "--since", day1];
    assert_eq!(account.exported(&both, &day3), [43]);
    // Day 4: 44 is new; given the last two files.
    account.add([dated(44, BASE + 2200)]);
    let two = ["--since", day3.to_str().unwrap(), "--since", day2];
    assert_eq!(account.exported(&two, &path("day4.csv")), [44]);

    std::fs::write(
        path(".day2.csv.livedesk-holds"),
        "{\"after\": \"yesterday\"}",
    )
    .unwrap();
    let refused = account.export(&["--since", day2], &path("day5.csv"));
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains(".day2.csv.livedesk-holds"),
        "{}",
        stderr(&refused)
    );
}

/// Review 104: day 2's sync found only a late contact (41, dated 5 s before day 1's last),
/// so day 3's walk started after day 1's last, not after day 2's: its companion said it
/// held every contact after 41's time, and day 4 wrote day 1's 40 again. It says after the
/// later of the two.
#[tokio::test(flavor = "multi_thread")]
async fn a_sync_after_a_day_of_only_late_contacts_claims_no_more_than_it_holds() {
    let (account, dir, day1) = day_one().await;
    let path = |name: &str| dir.path().join(name);
    account.add([dated(41, BASE + 395)]);
    let day2 = path("day2.csv");
    assert_eq!(
        account.exported(&["--since", day1.to_str().unwrap()], &day2),
        [41]
    );
    account.add([dated(42, BASE + 1000)]);
    let day2 = day2.to_str().unwrap();
    let day3 = path("day3.csv");
    assert_eq!(account.exported(&["--since", day2], &day3), [42]);
    account.add([dated(43, BASE + 1600)]);
    let day3 = day3.to_str().unwrap();
    assert_eq!(
        account.exported(&["--since", day3], &path("alone.csv")),
        [43]
    );
    let both = ["--since", day3, "--since", day2];
    assert_eq!(account.exported(&both, &path("day4.csv")), [43]);
}

/// Review 104: a sync written with `--limit`, or to standard output redirected to a file,
/// leaves no companion; read as a full export, the next sync looked back the whole hour and
/// wrote day 1's contacts again. A file without a companion is read from its first contact.
#[tokio::test(flavor = "multi_thread")]
async fn a_sync_without_a_companion_does_not_bring_back_the_day_before() {
    for how in ["limit", "stdout"] {
        let account = Living::start(forty()).await;
        let dir = tempfile::tempdir().unwrap();
        let day1 = dir.path().join("day1.csv");
        account.exported(&[], &day1);
        account.add([dated(41, BASE + 1000)]);
        let day2 = dir.path().join("day2.csv");
        let since = ["--since", day1.to_str().unwrap()];
        if how == "limit" {
            let args = [&since[..], &["--limit", "1000"]].concat();
            assert_eq!(account.exported(&args, &day2), [41]);
        } else {
            let sync = account.redirected(&since, &day2);
            assert!(sync.status.success(), "{}", stderr(&sync));
            assert_eq!(csv_ids(&day2), [41]);
        }
        account.add([dated(42, BASE + 1600)]);
        let day3 = dir.path().join("day3.csv");
        let args = ["--since", day2.to_str().unwrap()];
        assert_eq!(account.exported(&args, &day3), [42], "{how}");
    }
}

/// Review 104: `--output` follows a link, and its companion is written beside the file the
/// link leads to; `--since` the link looked beside the link, found none, and (day 2 holding
/// a late contact dated before day 1's last) wrote day 1's contacts again.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn a_since_link_to_a_sync_reads_its_companion() {
    let (account, dir, day1) = day_one().await;
    let path = |name: &str| dir.path().join(name);
    account.add([dated(41, BASE + 395), dated(42, BASE + 1000)]);
    let day2 = path("day2.csv");
    assert_eq!(
        account.exported(&["--since", day1.to_str().unwrap()], &day2),
        [41, 42]
    );
    std::os::unix::fs::symlink("day2.csv", path("latest.csv")).unwrap();
    account.add([dated(43, BASE + 1600)]);
    let latest = path("latest.csv");
    let args = ["--since", latest.to_str().unwrap()];
    assert_eq!(account.exported(&args, &path("day3.csv")), [43]);
}

/// Review 104: a companion left beside an output that an export to standard output then
/// replaced (`> out.csv`, which livedesk cannot see) said the new file held only what the
/// sync had, and the next sync missed a late contact in the hour before the full file's
/// last. A companion whose last contact is not the file's is ignored.
#[tokio::test(flavor = "multi_thread")]
async fn a_companion_left_beside_a_replaced_output_is_ignored() {
    let account = Living::start(forty()).await;
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    let day0 = path("day0.csv");
    let before = (BASE + 205).to_string();
    let window = ["--created-before", before.as_str()];
    assert_eq!(
        account.exported(&window, &day0),
        (1..=20).collect::<Vec<_>>()
    );
    let out = path("out.csv");
    let since = ["--since", day0.to_str().unwrap()];
    assert_eq!(
        account.exported(&since, &out),
        (21..=40).collect::<Vec<_>>()
    );
    let full = account.redirected(&[], &out);
    assert!(full.status.success(), "{}", stderr(&full));
    assert_eq!(csv_ids(&out), (1..=40).collect::<Vec<_>>());
    // 41 turns up late, 250 s before out.csv's last contact; 42 is new.
    account.add([dated(41, BASE + 150), dated(42, BASE + 1000)]);
    let args = ["--since", out.to_str().unwrap()];
    assert_eq!(account.exported(&args, &path("next.csv")), [41, 42]);
}

/// Review 116: a search with labels whose second page came in the newer shape (`has_more`,
/// a server upgraded between pages or between an interruption and its `--resume`) fails
/// with `LabelsNotApplied`; the hint to run the same command with `--resume` led to the same
/// failure again, and is not given: the command must change.
#[tokio::test(flavor = "multi_thread")]
async fn an_export_whose_labels_the_server_stopped_applying_gives_no_resume_hint() {
    let server = TestServer::start(|request| {
        let page = request.page();
        let ids = ((page - 1) * 15 + 1..=page * 15).map(i64::from);
        let payload: Vec<Value> = ids.map(common::contact).collect();
        Reply::json(&match page {
            1 => json!({"meta": {"count": 30, "current_page": 1}, "payload": payload}),
            _ => json!({"meta": {"count": 15, "current_page": page, "has_more": false},
                        "payload": payload}),
        })
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("vip.csv");
    let output = run(std::process::Command::new(env!("CARGO_BIN_EXE_livedesk"))
        .args([
            "contacts",
            "search",
            "user",
            "--label",
            "vip",
            "--all",
            "--concurrency",
            "1",
        ])
        .arg("--output")
        .arg(&out)
        .env("LIVEDESK_BASE_URL", &server.base_url)
        .env("LIVEDESK_API_KEY", "key")
        .env("LIVEDESK_API_SECRET", "secret")
        .stdin(std::process::Stdio::null()));
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("ignores `labels`"),
        "{}",
        stderr(&output)
    );
    assert!(!stderr(&output).contains("--resume"), "{}", stderr(&output));
    assert!(!out.exists());
}
