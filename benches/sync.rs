//! What an incremental export saves: `cargo bench --bench sync`.
//!
//! A sandbox of 100,000 contacts (no rate limit, no latency), walked oldest first as every
//! contact, then from a time by `Paginator::created_after`, which finds its start by binary
//! search over the pages. Printed: the requests to find the start (target: at most 20), and
//! the requests and wall time of a daily export of the newest 1% against those of a full
//! export, measured in the same run, with what each would take at 100 searches a minute
//! (the upstream server's known limit), where requests, not wall time, decide.

use std::time::Instant;

use livedesk::{Sandbox, SortField};

const CONTACTS: usize = 100_000;
const NEW_SHARE: f64 = 0.01;
const PER_MINUTE: f64 = 100.0;
const TARGET: u64 = 20;

fn main() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let sandbox = Sandbox::builder().contacts(CONTACTS).no_rate_limit().start().await.unwrap();
        let client = sandbox.client().build().unwrap();

        let started = Instant::now();
        let before = sandbox.requests();
        let all = client
            .contacts()
            .sort(SortField::CreatedAt)
            .paginate()
            .concurrency(8)
            .collect()
            .await
            .unwrap();
        let (full_requests, full_time) = (sandbox.requests() - before, started.elapsed());

        let new = (all.len() as f64 * NEW_SHARE) as usize;
        let since = all[all.len() - new - 1].created_at.unwrap();

        let before = sandbox.requests();
        let mut walk = Box::pin(
            client
                .contacts()
                .paginate()
                .created_after(since)
                .concurrency(1)
                .pages(),
        );
        // The start is found before the first page comes out; that page is its last read.
        futures::TryStreamExt::try_next(&mut walk).await.unwrap();
        let to_start = sandbox.requests() - before - 1;
        drop(walk);

        let started = Instant::now();
        let before = sandbox.requests();
        let daily = client
            .contacts()
            .paginate()
            .created_after(since)
            .concurrency(8)
            .collect()
            .await
            .unwrap();
        let (daily_requests, daily_time) = (sandbox.requests() - before, started.elapsed());
        assert_eq!(daily.len(), new, "the daily export holds exactly what is new");

        let minutes = |requests: u64| requests as f64 / PER_MINUTE;
        println!(
            "sync: {} contacts listed, the newest {new} ({:.0}%) created after the last export",
            all.len(),
            NEW_SHARE * 100.0
        );
        println!(
            "requests to find the start: {to_start} (log2 of {} pages = {:.1}; target <= {TARGET}: {})",
            all.len().div_ceil(15),
            (all.len().div_ceil(15) as f64).log2(),
            if to_start <= TARGET { "met" } else { "MISSED" }
        );
        println!("{:<22} {:>9} {:>10} {:>22}", "export", "requests", "wall ms", "at 100 a minute");
        for (name, requests, time) in [
            ("full", full_requests, full_time),
            ("daily (1% new)", daily_requests, daily_time),
        ] {
            println!(
                "{name:<22} {requests:>9} {:>10.0} {:>18.1} min",
                time.as_secs_f64() * 1e3,
                minutes(requests)
            );
        }
        println!(
            "daily / full: {:.4}x the requests, {:.4}x the wall time",
            daily_requests as f64 / full_requests as f64,
            daily_time.as_secs_f64() / full_time.as_secs_f64()
        );
    });
}
