//! Walks over bulk imports whose ties the server orders differently for each page:
//! `cargo bench --bench ties`.
//!
//! For each of 20 seeds, a sandbox of 5,000 contacts with bulk imports (in every thousand,
//! one of 100 to 400 contacts and one of 2 to 14 sharing a creation second) and
//! `unstable_ties`, walked oldest first at concurrency 4; and the same data with ties in id
//! order, walked the same way, as the plain walk to compare requests with. Printed: each
//! seed's outcome and requests, then how many walks completed, how many failed naming a tie,
//! how many succeeded short (must be none), and the requests spent against the plain walks'.

use std::collections::HashSet;

use livedesk::{Error, Sandbox, SortField, WalkError};

const SEEDS: u64 = 20;
const CONTACTS: usize = 5_000;

async fn walk(seed: u64, unstable: bool) -> (livedesk::Result<Vec<livedesk::Contact>>, u64, usize) {
    let sandbox = Sandbox::builder()
        .contacts(CONTACTS)
        .seed(seed)
        .bulk_imports(true)
        .unstable_ties(unstable)
        .no_rate_limit()
        .start()
        .await
        .unwrap();
    let client = sandbox.client().build().unwrap();
    let listed = client.contacts().send().await.unwrap().meta.count.unwrap() as usize;
    let before = sandbox.requests();
    let result = client
        .contacts()
        .sort(SortField::CreatedAt)
        .paginate()
        .concurrency(4)
        .collect()
        .await;
    (result, sandbox.requests() - before, listed)
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let (mut complete, mut loud, mut short) = (0, 0, 0);
        let (mut spent, mut plain_spent) = (0, 0);
        println!("| seed | outcome | requests | plain walk |");
        println!("|---|---|---|---|");
        for seed in 1..=SEEDS {
            let (plain, plain_requests, listed) = walk(seed, false).await;
            assert_eq!(plain.unwrap().len(), listed, "ties in id order: complete");
            let (result, requests, _) = walk(seed, true).await;
            let outcome = match result {
                Ok(all) => {
                    let ids: HashSet<i64> = all.iter().map(|c| c.id).collect();
                    if ids.len() == listed && all.len() == listed {
                        complete += 1;
                        "complete".to_owned()
                    } else {
                        short += 1;
                        format!("SHORT: {} of {listed}", ids.len())
                    }
                }
                Err(Error::Walk(WalkError::Tie {
                    created_at,
                    first_page,
                    last_page,
                    size,
                    missing,
                })) => {
                    loud += 1;
                    format!(
                        "tie at {created_at}: {missing} of {size} missing, pages {first_page}-{last_page}"
                    )
                }
                Err(other) => {
                    loud += 1;
                    format!("failed: {other}")
                }
            };
            spent += requests;
            plain_spent += plain_requests;
            println!("| {seed} | {outcome} | {requests} | {plain_requests} |");
        }
        println!();
        println!(
            "{SEEDS} seeds, {CONTACTS} contacts each: {complete} complete, {loud} failed naming \
             the tie, {short} succeeded short; requests {spent} against {plain_spent} for the \
             plain walks ({:.2}x)",
            spent as f64 / plain_spent as f64
        );
    });
}
