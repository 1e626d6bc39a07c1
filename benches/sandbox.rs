//! How fast the sandbox serves pages: `cargo bench --bench sandbox`.
//!
//! 16 connections ask for the pages of a search over 3,000 contacts (auth checked, the
//! search's matches cached, each page rendered from pre-serialized contacts), 30,000
//! requests in all. The baseline, measured in the same run with the same load: an axum
//! server on loopback that answers every request with the same page body, prepared once and
//! doing nothing else. The target: at least 5,000 pages a second, so that the sandbox is
//! never the bottleneck of the paging benchmarks. A third row asks 64 different searches in
//! turn, more than the sandbox keeps (32), so that every request searches the whole data set.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use livedesk::Sandbox;

const CONTACTS: usize = 3_000;
const REQUESTS: usize = 30_000;
const CONNECTIONS: usize = 16;
const RUNS: usize = 3;
const TARGET: f64 = 5_000.0;
/// 64 searches, twice what the sandbox keeps: each request searches anew.
const QUERIES: [&str; 64] = [
    "aa", "ab", "ac", "ad", "ae", "ai", "al", "am", "an", "ar", "as", "at", "ba", "be", "ca", "ce",
    "da", "de", "ea", "ed", "el", "em", "en", "er", "es", "et", "ga", "ha", "he", "ia", "ic", "id",
    "ie", "il", "in", "io", "is", "it", "ka", "la", "le", "li", "lo", "ma", "me", "mi", "na", "ne",
    "ni", "no", "oa", "ol", "on", "or", "ra", "re", "ri", "ro", "sa", "se", "ta", "te", "to", "us",
];

fn main() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let sandbox = Sandbox::builder().contacts(CONTACTS).no_rate_limit().start().await.unwrap();
        let url = format!("{}/api/v2/accounts/contacts?q=e", sandbox.base_url());
        let first = fetch(&reqwest::Client::new(), &format!("{url}&page=1")).await;
        let count = serde_json::from_slice::<serde_json::Value>(&first).unwrap()["meta"]["count"]
            .as_u64()
            .unwrap() as usize;
        let pages = count.div_ceil(15);

        let baseline = fixed_body_server(first.clone()).await;
        let base = format!("{}/api/v2/accounts/contacts", sandbox.base_url());
        let (mut sandbox_rates, mut baseline_rates, mut uncached_rates) = (vec![], vec![], vec![]);
        for _ in 0..RUNS {
            let url = url.clone();
            sandbox_rates.push(pages_per_second(move |n| format!("{url}&page={}", n % pages + 1)).await);
            let baseline = baseline.clone();
            baseline_rates.push(pages_per_second(move |_| baseline.clone()).await);
            let base = base.clone();
            uncached_rates.push(
                pages_per_second(move |n| format!("{base}?q={}&page=1", QUERIES[n % QUERIES.len()])).await,
            );
        }
        let (sandbox_rate, baseline_rate) = (median(sandbox_rates), median(baseline_rates));
        let uncached_rate = median(uncached_rates);
        println!(
            "sandbox: {REQUESTS} page requests over {CONNECTIONS} connections, {count} matches ({pages} pages of {CONTACTS} contacts), median of {RUNS} runs"
        );
        println!("{:<40} {:>12}", "server", "pages/s");
        println!("{:<40} {:>12.0}", "sandbox (auth, search, paging)", sandbox_rate);
        println!("{:<40} {:>12.0}", "baseline (axum, one fixed body)", baseline_rate);
        println!("{:<40} {:>12.0}", "sandbox, every request a new search", uncached_rate);
        println!("sandbox_vs_baseline {:.2}", sandbox_rate / baseline_rate);
        println!(
            "pages_per_second {sandbox_rate:.0} (target >= {TARGET:.0}: {})",
            if sandbox_rate >= TARGET { "met" } else { "missed" }
        );
    });
}

async fn fetch(client: &reqwest::Client, url: &str) -> bytes::Bytes {
    let response = client
        .get(url)
        .basic_auth("sandbox-key", Some("sandbox-secret"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.bytes().await.unwrap()
}

/// Pages a second over `CONNECTIONS` connections, request `n` going to `url(n)`.
async fn pages_per_second(url: impl Fn(usize) -> String + Send + Sync + 'static) -> f64 {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONNECTIONS)
        .build()
        .unwrap();
    let url = Arc::new(url);
    let started = Instant::now();
    let tasks: Vec<_> = (0..CONNECTIONS)
        .map(|task| {
            let (client, url) = (client.clone(), url.clone());
            tokio::spawn(async move {
                for n in (task..REQUESTS).step_by(CONNECTIONS) {
                    let body = fetch(&client, &url(n)).await;
                    assert!(body.len() > 40);
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    REQUESTS as f64 / started.elapsed().as_secs_f64()
}

/// An axum server that answers everything with `body`: the HTTP floor.
async fn fixed_body_server(body: bytes::Bytes) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/api/v2/accounts/contacts?q=e",
        listener.local_addr().unwrap()
    );
    let app = axum::Router::new().fallback(move || {
        let body = body.clone();
        async move {
            (
                [(axum::http::header::CONTENT_TYPE, "application/json")],
                body,
            )
        }
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    tokio::time::sleep(Duration::from_millis(10)).await;
    url
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
