//! What the command line says, through the real binary against sandboxes: a hint for
//! `livedesk search`, the CSV columns in `--help`, a search that found nothing, and a long
//! throttle said once on standard error when no progress bar shows it.

use std::{
    process::{Command, Output},
    time::Duration,
};

use livedesk::Sandbox;

use crate::common;
use common::livedesk;

const BIN: &str = env!("CARGO_BIN_EXE_livedesk");

fn run(command: &mut Command) -> (Option<i32>, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().expect("the binary runs");
    (
        status.code(),
        String::from_utf8(stdout).unwrap(),
        String::from_utf8(stderr).unwrap(),
    )
}

async fn unlimited() -> Sandbox {
    Sandbox::builder()
        .contacts(30)
        .no_rate_limit()
        .start()
        .await
        .unwrap()
}

#[test]
fn a_top_level_search_points_to_contacts_search() {
    for (typed, meant) in [("search", "contacts search"), ("list", "contacts list")] {
        let (code, _, stderr) = run(Command::new(BIN).args([typed, "ada"]));
        assert_eq!(code, Some(2), "{stderr}");
        assert!(
            stderr.contains(&format!("tip: a similar subcommand exists: '{meant}'")),
            "{stderr}"
        );
        assert!(!stderr.contains("'spec'"), "{stderr}");
    }
    // Other mistakes keep clap's own suggestion.
    let (_, _, stderr) = run(Command::new(BIN).arg("spce"));
    assert!(stderr.contains("'spec'"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_csv_help_lists_the_columns_a_csv_export_has() {
    let sandbox = unlimited().await;
    let (code, csv, stderr) =
        run(livedesk(&sandbox).args(["contacts", "search", "e", "--format", "csv"]));
    assert_eq!(code, Some(0), "{stderr}");
    let header = csv.lines().next().unwrap().replace(',', ", ");

    let (_, help, _) = run(Command::new(BIN).args(["contacts", "search", "--help"]));
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(help.contains(&header), "{header} is not in {help}");
    assert!(!help.contains("README"), "{help}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_search_that_found_nothing_says_so_on_standard_error() {
    let sandbox = unlimited().await;
    let nothing = |format: &str, extra: &[&str]| {
        run(livedesk(&sandbox)
            .args(["contacts", "search", "no such contact", "--format", format])
            .args(extra))
    };

    // No bare header: a table of nothing is nothing.
    let (code, table, stderr) = nothing("table", &[]);
    assert_eq!((code, table.as_str()), (Some(0), ""), "{stderr}");
    assert_eq!(stderr, "livedesk: no contacts matched\n");
    // The machine formats stay documents of no contact.
    assert_eq!(nothing("json", &[]).1, "[]\n");
    assert!(nothing("csv", &[]).1.starts_with("id,name,email,"));
    assert_eq!(nothing("csv", &[]).1.lines().count(), 1);
    let (_, jsonl, stderr) = nothing("jsonl", &["--all"]);
    assert_eq!(jsonl, "");
    assert_eq!(stderr, "livedesk: no contacts matched\n");
    // A page past the end says which.
    let (_, _, stderr) = run(livedesk(&sandbox).args(["contacts", "list", "--page", "9"]));
    assert_eq!(stderr, "livedesk: no contacts on page 9\n");
    // Something found: no message.
    let (_, _, stderr) = run(livedesk(&sandbox).args(["contacts", "search", "e", "--limit", "1"]));
    assert!(!stderr.contains("no contacts"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_long_throttle_is_said_once_when_no_progress_bar_shows_it() {
    // Every search refused: the command waits out the throttle for --max-wait, then exits 4.
    let throttled = Sandbox::builder()
        .rate_limit(0, Duration::from_secs(60))
        .start()
        .await
        .unwrap();
    let (code, _, stderr) =
        run(livedesk(&throttled).args(["contacts", "search", "ada", "--max-wait", "8"]));
    assert_eq!(code, Some(4), "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 3, "{stderr}");
    assert_eq!(
        lines[0],
        "livedesk: rate limited (429): waiting for the server's limit to lift, up to 8 s \
         (--max-wait)"
    );
    assert!(lines[1].starts_with("livedesk: error: "), "{stderr}");
    assert!(lines[2].contains("--max-wait"), "{stderr}");
    // Short throttles, met at every window of a walk, say nothing: see
    // `the_progress_bar_shows_on_a_terminal_only` in tests/cli.rs.
}
