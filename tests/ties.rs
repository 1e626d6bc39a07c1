//! Ties as the real database may order them: the sandbox's `unstable_ties` orders contacts
//! of one creation second differently for each page, and walks over bulk imports either
//! complete or fail naming the tie, never succeed short.

use std::collections::{BTreeMap, HashSet};

use futures::TryStreamExt;
use livedesk::{Client, Error, Sandbox, SortField, WalkError};
use proptest::prelude::*;

async fn sandbox(seed: u64, contacts: usize, unstable: bool) -> Sandbox {
    Sandbox::builder()
        .contacts(contacts)
        .seed(seed)
        .bulk_imports(true)
        .unstable_ties(unstable)
        .no_rate_limit()
        .start()
        .await
        .unwrap()
}

/// Page `number` sorted oldest first: (id, created_at) of each contact.
async fn page(client: &Client, number: u32) -> Vec<(i64, i64)> {
    let page = client
        .contacts()
        .sort(SortField::CreatedAt)
        .page(number)
        .send()
        .await
        .unwrap();
    page.payload
        .iter()
        .map(|c| (c.id, c.created_at.unwrap()))
        .collect()
}

#[tokio::test]
async fn unstable_ties_change_the_order_between_pages_and_not_within_one() {
    let unstable = sandbox(1, 1_000, true).await;
    let stable = sandbox(1, 1_000, false).await;
    let pages = stable.contacts().div_ceil(15) as u32;
    // One client each: building one loads the platform's certificates, which took most of
    // this test's time in a debug build when done for each page.
    let (unstable_client, stable_client) = (
        unstable.client().build().unwrap(),
        stable.client().build().unwrap(),
    );
    // The pages of each second, and the contacts each showed of it.
    let mut seconds: BTreeMap<i64, (usize, HashSet<i64>)> = BTreeMap::new();
    for number in 1..=pages {
        let contacts = page(&unstable_client, number).await;
        assert_eq!(
            contacts,
            page(&unstable_client, number).await,
            "the same page is the same"
        );
        assert!(
            contacts.windows(2).all(|pair| pair[0].1 <= pair[1].1),
            "the order by creation holds on every page"
        );
        let stable_page = page(&stable_client, number).await;
        let times = |page: &[(i64, i64)]| page.iter().map(|c| c.1).collect::<Vec<_>>();
        assert_eq!(times(&contacts), times(&stable_page), "only ties move");
        for (id, at) in contacts {
            let entry = seconds.entry(at).or_default();
            entry.0 += 1;
            entry.1.insert(id);
        }
    }
    // The bulk import of 100 to 400 contacts spans pages, and its contacts come out in
    // another order on each: some twice, some never.
    let (positions, shown) = seconds.values().max_by_key(|(n, _)| *n).unwrap();
    assert!(*positions >= 100);
    assert!(shown.len() < *positions, "{} of {positions}", shown.len());
    // With ties in id order, each page shows the next ones.
    let mut ids = HashSet::new();
    for number in 1..=pages {
        ids.extend(page(&stable_client, number).await.into_iter().map(|c| c.0));
    }
    assert_eq!(
        ids.len(),
        stable.contacts() - missing_unlisted(&stable).await
    );
}

/// Contacts the sandbox never lists (no email, phone number or identifier).
async fn missing_unlisted(sandbox: &Sandbox) -> usize {
    let client = sandbox.client().build().unwrap();
    let page = client.contacts().send().await.unwrap();
    sandbox.contacts() - page.meta.count.unwrap() as usize
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// Over any seed and concurrency, a walk oldest first over bulk imports with unstable
    /// ties yields every listed contact exactly once, or fails naming a tie: never success
    /// with a contact missing.
    #[test]
    fn walks_over_unstable_ties_complete_or_fail_loudly(seed in 1_u64..1_000, concurrency in 1_usize..6, contacts in 300_usize..1_200) {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            let unstable = sandbox(seed, contacts, true).await;
            let client = unstable.client().build().unwrap();
            let listed = client.contacts().send().await.unwrap().meta.count.unwrap() as usize;
            let walk = client
                .contacts()
                .sort(SortField::CreatedAt)
                .paginate()
                .concurrency(concurrency)
                .contacts();
            let result: livedesk::Result<Vec<_>> = walk.try_collect().await;
            match result {
                Ok(all) => {
                    let ids: HashSet<i64> = all.iter().map(|c| c.id).collect();
                    prop_assert_eq!(ids.len(), all.len(), "none twice");
                    prop_assert_eq!(all.len(), listed, "none missing");
                }
                Err(Error::Walk(WalkError::Tie { size, missing, first_page, last_page, .. })) => {
                    prop_assert!(missing > 0 && missing < size);
                    prop_assert!(first_page < last_page, "a tie across pages");
                }
                Err(other) => prop_assert!(false, "{other}"),
            }
            Ok(())
        })?;
    }
}
