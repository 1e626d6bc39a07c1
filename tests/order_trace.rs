//! Learning that the server ignores `direction` is said once, at `INFO`, without the query
//! (a binary of its own: its subscriber is global).

use livedesk::{RetryPolicy, Sandbox, SortDirection, SortField};

async fn sandbox(ignore_direction: bool) -> Sandbox {
    Sandbox::builder()
        .contacts(300)
        .ignore_direction(ignore_direction)
        .no_rate_limit()
        .start()
        .await
        .unwrap()
}

fn client(sandbox: &Sandbox) -> livedesk::Client {
    sandbox
        .client()
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap()
}

#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn learning_it_is_said_once_at_info_without_the_query() {
    let captured = Captured::default();
    let writer = captured.clone();
    // The only test of this binary: the subscriber is global, and no other test's events
    // (or callsite caching) can reach or hide it.
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();

    let upstream = sandbox(true).await;
    let client = client(&upstream);
    for page in 1..=3_u32 {
        let search = client
            .clone()
            .search("e")
            .sort(SortField::CreatedAt)
            .direction(SortDirection::Desc)
            .page(page);
        search.send().await.unwrap();
    }
    let query = "ada@example.com";
    client
        .search(query)
        .sort(SortField::Name)
        .direction(SortDirection::Desc)
        .send()
        .await
        .unwrap();
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let said: Vec<&str> = log
        .lines()
        .filter(|line| line.contains("ignores `direction`"))
        .collect();
    assert_eq!(said.len(), 1, "{log}");
    assert!(
        said[0].contains("INFO") && said[0].contains("created_at"),
        "{log}"
    );
    assert!(!log.contains(query), "{log}");
}
