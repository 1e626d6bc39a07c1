//! Walks over bulk imports whose ties the server orders differently for each page:
//! `cargo bench --bench ties`.
//!
//! For each of 20 seeds, a sandbox of 5,000 contacts with bulk imports (in every thousand,
//! one of 100 to 400 contacts and one of 2 to 14 sharing a creation second) and
//! `unstable_ties`, walked oldest first at concurrency 4; and the same data with ties in id
//! order, walked the same way, as the plain walk to compare requests with. Printed: each
//! seed's outcome and requests, then how many walks completed, how many failed naming a tie,
//! how many succeeded short (must be none), and the requests spent against the plain walks'.
//!
//! Then what a second pass could recover, measured rather than argued: every page of the
//! unstable data read once oldest first (what any walk sees), the contacts no page listed,
//! and which of them a whole second reading finds: newest first, by `email` (unique, but
//! contacts without one tie again), and by `email` then `phone_number`. A walk can complete
//! after such a pass only if it finds every hidden contact.

use std::collections::HashSet;

use livedesk::{Client, Error, Sandbox, SortDirection, SortField, WalkError};

const SEEDS: u64 = 20;
const CONTACTS: usize = 5_000;

/// `seed`'s data set with bulk imports, its ties ordered per page (`unstable`) or by id.
async fn sandbox(seed: u64, unstable: bool) -> Sandbox {
    Sandbox::builder()
        .contacts(CONTACTS)
        .seed(seed)
        .bulk_imports(true)
        .unstable_ties(unstable)
        .no_rate_limit()
        .start()
        .await
        .unwrap()
}

async fn walk(seed: u64, unstable: bool) -> (livedesk::Result<Vec<livedesk::Contact>>, u64, usize) {
    let sandbox = sandbox(seed, unstable).await;
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

/// The ids every page of a search sorted by `field` lists, read once each.
async fn listed(
    client: &Client,
    field: SortField,
    direction: SortDirection,
    pages: u32,
) -> HashSet<i64> {
    let mut ids = HashSet::new();
    for page in 1..=pages {
        let search = client
            .contacts()
            .sort(field)
            .direction(direction)
            .page(page);
        ids.extend(search.send().await.unwrap().payload.iter().map(|c| c.id));
    }
    ids
}

/// What second passes recover on `seed`'s data: hidden contacts after one reading oldest
/// first, and those left after a reading newest first, by email, and by email and phone.
async fn second_passes(seed: u64) -> [usize; 4] {
    let plain = sandbox(seed, false).await;
    let all = plain
        .client()
        .build()
        .unwrap()
        .contacts()
        .paginate()
        .collect()
        .await
        .unwrap();
    let sandbox = sandbox(seed, true).await;
    let client = sandbox.client().build().unwrap();
    let pages = (all.len() as u32).div_ceil(livedesk::PAGE_SIZE);
    let (asc, desc) = (SortDirection::Asc, SortDirection::Desc);
    let first = listed(&client, SortField::CreatedAt, asc, pages).await;
    let hidden: HashSet<i64> = all
        .iter()
        .map(|c| c.id)
        .filter(|id| !first.contains(id))
        .collect();
    let left = |found: &HashSet<i64>| hidden.iter().filter(|id| !found.contains(id)).count();
    let newest = listed(&client, SortField::CreatedAt, desc, pages).await;
    let by_email = listed(&client, SortField::Email, asc, pages).await;
    let by_phone = listed(&client, SortField::PhoneNumber, asc, pages).await;
    let either: HashSet<i64> = by_email.union(&by_phone).copied().collect();
    [hidden.len(), left(&newest), left(&by_email), left(&either)]
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
                    ..
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

        println!();
        println!(
            "| seed | hidden after one reading | left after newest first | after email | \
             after email and phone |"
        );
        println!("|---|---|---|---|---|");
        let mut completes = [0; 3];
        for seed in 1..=SEEDS {
            let [hidden, newest, email, both] = second_passes(seed).await;
            for (count, left) in completes.iter_mut().zip([newest, email, both]) {
                *count += usize::from(left == 0);
            }
            println!("| {seed} | {hidden} | {newest} | {email} | {both} |");
        }
        println!();
        println!(
            "walks a second pass would complete: newest first {} of {SEEDS}, by email {} (2x \
             the requests), by email and phone {} (3x)",
            completes[0], completes[1], completes[2]
        );
    });
}
