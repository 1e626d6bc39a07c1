//! What the generated client costs over hand-written code: `cargo bench --bench overhead`.
//!
//! Measured in one run, as ratios (these machines are shared and noisy; ratios hold where
//! absolute times drift):
//!
//! - Per request: `livedesk` against a baseline written directly with `reqwest` and
//!   `serde_json` (same HTTP settings, same 15-contact page from a loopback server with no
//!   added latency), in interleaved rounds of many requests.
//! - Decoding: a 15-contact page into the generated types against `serde_json::Value`.
//! - Build cost: cold build and rebuild after a one-line spec edit, for each TLS option, in
//!   a copy of the crate with its own target directory (skipped when
//!   `LIVEDESK_BENCH_SKIP_BUILD` is set: it takes a few minutes).

#[path = "../tests/common/mod.rs"]
mod common;

use std::{
    hint::black_box,
    path::Path,
    process::Command,
    time::{Duration, Instant},
};

use common::server::{Reply, TestServer};
use livedesk::{Client, ContactList, Credentials, RetryPolicy};
use reqwest::header::{self, HeaderMap, HeaderValue};

const ROUNDS: usize = 101;
const REQUESTS_PER_ROUND: usize = 200;
const DECODES_PER_ROUND: usize = 2_000;

fn main() {
    let body = common::page(1..=15, 15, 1).to_string();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let per = runtime.block_on(per_request(body.clone()));
    let (typed, value, decode) = decoding(body.as_bytes());
    let overhead = per.ours.ratio;

    // Ratios are the median of each round's own ratio; times are the median rounds.
    println!("per request ({ROUNDS} interleaved rounds of {REQUESTS_PER_ROUND} requests)");
    for (name, side) in [
        ("reqwest + serde_json baseline", &per.baseline),
        ("livedesk client", &per.ours),
        ("livedesk client, retries off", &per.no_retries),
    ] {
        println!(
            "  {name:<30} {:>8.1} µs   {:.3}x",
            micros(side.time),
            side.ratio
        );
    }
    println!(
        "decoding a 15-contact page ({} bytes; {ROUNDS} rounds of {DECODES_PER_ROUND})",
        body.len()
    );
    println!("  serde_json::Value              {:>8.2} µs", micros(value));
    println!(
        "  generated types                {:>8.2} µs   {decode:.3}x",
        micros(typed)
    );

    if std::env::var_os("LIVEDESK_BENCH_SKIP_BUILD").is_none() {
        build_cost();
    }
    println!();
    println!("overhead_ratio: {overhead:.3}");
    println!("decode_ratio_typed_vs_value: {decode:.3}");
}

async fn per_request(body: String) -> PerRequest {
    let server =
        TestServer::start(move |_| Reply::status(200, "application/json", body.clone())).await;
    server
        .stats
        .forget_requests
        .store(true, std::sync::atomic::Ordering::Relaxed);
    let url = format!("{}/api/v2/accounts/contacts", server.base_url);

    // The same settings `ClientBuilder` gives reqwest.
    let mut headers = HeaderMap::new();
    let mut auth = HeaderValue::from_static("Basic YmVuY2gta2V5OmJlbmNoLXNlY3JldA==");
    auth.set_sensitive(true);
    headers.insert(header::AUTHORIZATION, auth);
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let http = reqwest::Client::builder()
        .user_agent("livedesk-bench")
        .default_headers(headers)
        .timeout(Duration::from_secs(30))
        .connect_timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let client = Client::builder(Credentials::new("bench-key", "bench-secret").unwrap())
        .base_url(&server.base_url)
        .retry(RetryPolicy::default())
        .build()
        .unwrap();

    // `LIVEDESK_BENCH_PROFILE=ours|baseline` runs one side alone, for
    // `valgrind --tool=callgrind`, which counts instructions repeatably.
    if let Ok(side) = std::env::var("LIVEDESK_BENCH_PROFILE") {
        let n: usize =
            std::env::var("LIVEDESK_BENCH_PROFILE_N").map_or(2_000, |n| n.parse().unwrap());
        for _ in 0..n {
            let n = if side == "ours" {
                ours(&client).await
            } else {
                baseline(&http, &url).await
            };
            assert_eq!(n, 15);
        }
        std::process::exit(0);
    }

    // The same client without retries, which skips keeping a copy of each request.
    let no_retries = Client::builder(Credentials::new("bench-key", "bench-secret").unwrap())
        .base_url(&server.base_url)
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    let run = |side: usize| {
        let (client, http, url, no_retries) = (&client, &http, &url, &no_retries);
        async move {
            match side {
                0 => baseline(http, url).await,
                1 => ours(client).await,
                _ => ours(no_retries).await,
            }
        }
    };

    // Warm-up: connections open, allocator and caches settled.
    for _ in 0..REQUESTS_PER_ROUND {
        for side in 0..3 {
            assert_eq!(run(side).await, 15);
        }
    }
    let mut rounds = vec![Vec::new(); 3];
    let mut ratios = vec![Vec::new(); 3];
    for round in 0..ROUNDS {
        // Rotate which side goes first, and compare each round's sides with each other:
        // drift in the machine hits all sides of a round alike.
        let mut times = [Duration::ZERO; 3];
        for offset in 0..3 {
            let side = (round + offset) % 3;
            let start = Instant::now();
            for _ in 0..REQUESTS_PER_ROUND {
                assert_eq!(run(side).await, 15);
            }
            times[side] = start.elapsed() / REQUESTS_PER_ROUND as u32;
        }
        for side in 0..3 {
            rounds[side].push(times[side]);
            ratios[side].push(times[side].as_secs_f64() / times[0].as_secs_f64());
        }
    }
    let [baseline, ours, no_retries] = [0, 1, 2].map(|side| Side {
        time: median(rounds[side].clone()),
        ratio: median_f64(ratios[side].clone()),
    });
    PerRequest {
        baseline,
        ours,
        no_retries,
    }
}

struct Side {
    /// Median time per request.
    time: Duration,
    /// Median over rounds of this side's time over the baseline's.
    ratio: f64,
}

struct PerRequest {
    baseline: Side,
    ours: Side,
    no_retries: Side,
}

/// Twenty lines of hand-written `reqwest`: what users would write instead of this crate.
async fn baseline(http: &reqwest::Client, url: &str) -> usize {
    let response = http
        .get(url)
        .query(&[("q", "x")])
        .header(header::ACCEPT, "application/json")
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    let page: ContactList = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    page.payload.len()
}

async fn ours(client: &Client) -> usize {
    client.search("x").send().await.unwrap().payload.len()
}

fn decoding(body: &[u8]) -> (Duration, Duration, f64) {
    let mut ratios = Vec::new();
    let (mut typed_rounds, mut value_rounds) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let mut pair = [Duration::ZERO; 2];
        for side in [round % 2, 1 - round % 2] {
            let start = Instant::now();
            for _ in 0..DECODES_PER_ROUND {
                if side == 0 {
                    black_box(serde_json::from_slice::<ContactList>(black_box(body)).unwrap());
                } else {
                    black_box(
                        serde_json::from_slice::<serde_json::Value>(black_box(body)).unwrap(),
                    );
                }
            }
            pair[side] = start.elapsed() / DECODES_PER_ROUND as u32;
        }
        typed_rounds.push(pair[0]);
        value_rounds.push(pair[1]);
        ratios.push(pair[0].as_secs_f64() / pair[1].as_secs_f64());
    }
    (
        median(typed_rounds),
        median(value_rounds),
        median_f64(ratios),
    )
}

fn median_f64(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Cold build and rebuild after a spec edit, per TLS option, in a copy of the crate.
fn build_cost() {
    let source = Path::new(env!("CARGO_MANIFEST_DIR"));
    let work = std::env::temp_dir().join(format!("livedesk-build-cost-{}", std::process::id()));
    println!(
        "build cost (dev profile, fresh target directory, {} cores)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    for (name, features) in [
        ("rustls (default)", &[][..]),
        (
            "native-tls",
            &["--no-default-features", "--features", "native-tls"][..],
        ),
    ] {
        let _ = std::fs::remove_dir_all(&work);
        copy_crate(source, &work);
        let cold = cargo_build(&work, features);
        let spec = work.join("openapi/livedesk.yaml");
        let text = std::fs::read_to_string(&spec).unwrap();
        let edited = text.replacen(
            "description: 1-based page number",
            "description: The 1-based page number",
            1,
        );
        assert_ne!(
            text, edited,
            "the spec line the benchmark edits has changed"
        );
        std::fs::write(&spec, edited).unwrap();
        let rebuild = cargo_build(&work, features);
        match (cold, rebuild) {
            (Some(cold), Some(rebuild)) => println!(
                "  {name:<17} cold build {:>6.1} s   rebuild after a spec edit {:>5.1} s",
                cold.as_secs_f64(),
                rebuild.as_secs_f64()
            ),
            _ => println!("  {name:<17} did not build here (see the cargo output above)"),
        }
    }
    let _ = std::fs::remove_dir_all(&work);
}

fn copy_crate(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in [
        "Cargo.toml",
        "Cargo.lock",
        "build.rs",
        "README.md",
        "LICENSE",
        "src",
        "openapi",
        "benches",
        "tests",
        "examples",
    ] {
        let status = Command::new("cp")
            .arg("-r")
            .arg(from.join(entry))
            .arg(to)
            .status()
            .unwrap();
        assert!(status.success(), "copying {entry}");
    }
}

fn cargo_build(dir: &Path, features: &[&str]) -> Option<Duration> {
    let start = Instant::now();
    let status = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "--lib", "--locked"])
        .args(features)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .status()
        .ok()?;
    status.success().then(|| start.elapsed())
}
