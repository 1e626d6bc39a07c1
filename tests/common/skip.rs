//! Tests that need something outside Rust (a Linux `/proc`, a program on `PATH`) check for it
//! and, without it, say so and return: a skip is seen, never a silent pass.

use std::io::Write;

/// Whether `program` is an executable on `PATH`.
pub fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|dir| {
            let path = dir.join(program);
            path.is_file() || path.with_extension("exe").is_file()
        })
    })
}

/// Prints `skipped: reason` for `test` where a plain `cargo test` shows it. libtest captures
/// `println!` and `eprintln!` of a passing test, not writes to the standard error handle
/// itself, so this line is not swallowed.
pub fn skipped(test: &str, reason: &str) {
    let _ = writeln!(std::io::stderr(), "test {test} ... skipped: {reason}");
}

/// `true` when every program is on `PATH`; otherwise reports `test` skipped, naming the
/// missing ones, and returns `false`.
pub fn programs_present(test: &str, programs: &[&str]) -> bool {
    let missing: Vec<&str> = programs.iter().copied().filter(|p| !on_path(p)).collect();
    if missing.is_empty() {
        return true;
    }
    skipped(test, &format!("needs {} on PATH", missing.join(", ")));
    false
}
