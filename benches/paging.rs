//! Pagination speed and memory: `cargo bench --bench paging`.
//!
//! The sandbox (3,000 contacts, no rate limit) answers every page after 20 ms; the search
//! `e` matches most of them. Measured in the same run: a plain sequential loop over its
//! pages, the `paginate()` helper at concurrency 8, and the ideal bound `latency × (1 +
//! ceil((pages - 1) / 8))` (the first page alone, then the others eight at a time). Then a
//! sweep over concurrency (written as an SVG chart to `benches/paging.svg`) and the peak
//! memory of streaming 3,000 and 30,000 contacts, each in a fresh process; that part uses a
//! server generating contacts on the fly (`tests/common/server.rs`), since the sandbox's data
//! set would live in the measured process.

#[path = "../tests/common/mod.rs"]
mod common;

use std::{process::Command, time::Duration};

use common::server::{TestServer, contacts_api};
use futures::TryStreamExt;
use livedesk::{Client, Credentials, Sandbox};

const LATENCY: Duration = Duration::from_millis(20);
const CONTACTS: u64 = 3_000;
const CONCURRENCY: usize = 8;
const SWEEP: [usize; 5] = [1, 2, 4, 8, 16];
const RUNS: usize = 3;
const CHILD_VAR: &str = "LIVEDESK_BENCH_MEMORY_CHILD";

fn main() {
    if let Ok(total) = std::env::var(CHILD_VAR) {
        return memory_child(total.parse().expect("contact count"));
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let report = runtime.block_on(measure_speed());
    let memory_3k = memory_in_child(CONTACTS);
    let memory_30k = memory_in_child(CONTACTS * 10);

    let ideal = bound(CONCURRENCY, report.pages);
    let ratio_to_ideal = report.helper.as_secs_f64() / ideal.as_secs_f64();
    let speedup = report.sequential.as_secs_f64() / report.helper.as_secs_f64();
    let memory_ratio = memory_30k as f64 / memory_3k as f64;

    println!(
        "pagination over {} matches ({} pages) of the sandbox's {CONTACTS} contacts, {LATENCY:?} latency per page, median of {RUNS} runs",
        report.matches, report.pages
    );
    println!("{:<34} {:>10} {:>10}", "walk", "wall", "vs ideal");
    let row = |name: &str, time: Duration| {
        println!(
            "{name:<34} {:>8.0}ms {:>9.2}x",
            ms(time),
            time.as_secs_f64() / ideal.as_secs_f64()
        );
    };
    row("sequential loop over send()", report.sequential);
    row(
        &format!("paginate(), concurrency {CONCURRENCY}"),
        report.helper,
    );
    row(&format!("ideal bound, concurrency {CONCURRENCY}"), ideal);
    println!();
    println!(
        "{:<12} {:>10} {:>10} {:>8}",
        "concurrency", "wall", "bound", "ratio"
    );
    for (concurrency, time) in &report.sweep {
        let bound = bound(*concurrency, report.pages);
        println!(
            "{concurrency:<12} {:>8.0}ms {:>8.0}ms {:>7.2}x",
            ms(*time),
            ms(bound),
            time.as_secs_f64() / bound.as_secs_f64()
        );
    }
    println!();
    println!("peak resident memory streaming {CONTACTS} contacts: {memory_3k} KiB");
    println!(
        "peak resident memory streaming {} contacts: {memory_30k} KiB",
        CONTACTS * 10
    );
    let chart = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/paging.svg");
    match draw_chart(chart, &report.sweep, report.pages) {
        Ok(()) => println!("chart: {chart}"),
        Err(e) => println!("chart not written: {e}"),
    }
    println!();
    println!("ratio_to_ideal: {ratio_to_ideal:.3}");
    println!("speedup_vs_sequential: {speedup:.2}");
    println!("memory_ratio_30k_vs_3k: {memory_ratio:.3}");
}

struct Report {
    matches: usize,
    pages: usize,
    sequential: Duration,
    helper: Duration,
    sweep: Vec<(usize, Duration)>,
}

async fn measure_speed() -> Report {
    let sandbox = Sandbox::builder()
        .contacts(CONTACTS as usize)
        .no_rate_limit()
        .latency(LATENCY)
        .start()
        .await
        .unwrap();
    let client = sandbox.client().build().unwrap();
    // Warm-up: open the connections once, and count the matches.
    let matches = helper_walk(&client, "e", CONCURRENCY).await;
    let pages = matches.div_ceil(15);

    let sequential = median(RUNS, matches, || sequential_walk(&client, pages)).await;
    let helper = median(RUNS, matches, || helper_walk(&client, "e", CONCURRENCY)).await;
    let mut sweep = Vec::new();
    for concurrency in SWEEP {
        sweep.push((
            concurrency,
            median(RUNS, matches, || helper_walk(&client, "e", concurrency)).await,
        ));
    }
    Report {
        matches,
        pages,
        sequential,
        helper,
        sweep,
    }
}

/// `total` contacts behind the injected latency; it keeps no request log, which would grow.
async fn paging_server(total: u64) -> TestServer {
    let server = TestServer::start(move |r| contacts_api(total)(r).delay(LATENCY)).await;
    server
        .stats
        .forget_requests
        .store(true, std::sync::atomic::Ordering::Relaxed);
    server
}

fn client(base_url: &str) -> Client {
    Client::builder(Credentials::new("bench-key", "bench-secret").unwrap())
        .base_url(base_url)
        .build()
        .unwrap()
}

/// What a user writes without the helper: one page after another.
async fn sequential_walk(client: &Client, pages: usize) -> usize {
    let mut seen = 0;
    for page in 1..=pages as u32 {
        seen += client
            .search("e")
            .page(page)
            .send()
            .await
            .unwrap()
            .payload
            .len();
    }
    seen
}

async fn helper_walk(client: &Client, q: &str, concurrency: usize) -> usize {
    let contacts = client
        .search(q)
        .paginate()
        .concurrency(concurrency)
        .contacts();
    contacts
        .try_fold(0, |n, _| async move { Ok(n + 1) })
        .await
        .unwrap()
}

/// Median wall time of `runs` runs, each checked to see every contact.
async fn median<F, Fut>(runs: usize, expected: usize, mut walk: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future<Output = usize>,
{
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = std::time::Instant::now();
        assert_eq!(walk().await, expected);
        times.push(start.elapsed());
    }
    times.sort();
    times[runs / 2]
}

/// The first page alone, then the other pages `concurrency` at a time.
fn bound(concurrency: usize, pages: usize) -> Duration {
    LATENCY * (1 + (pages - 1).div_ceil(concurrency)) as u32
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Streams `total` contacts in this process and prints its peak resident memory.
fn memory_child(total: u64) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let seen = runtime.block_on(async {
        let server = paging_server(total).await;
        helper_walk(&client(&server.base_url), "x", CONCURRENCY).await
    });
    assert_eq!(seen as u64, total);
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let peak = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .expect("VmHWM in /proc/self/status");
    println!("peak_kib {}", peak.trim().trim_end_matches(" kB"));
}

fn memory_in_child(total: u64) -> u64 {
    let output = Command::new(std::env::current_exe().unwrap())
        .env(CHILD_VAR, total.to_string())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("peak_kib "))
        .and_then(|n| n.parse().ok())
        .expect("the child prints its peak")
}

fn draw_chart(
    path: &str,
    sweep: &[(usize, Duration)],
    pages: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    let bound = |concurrency| bound(concurrency, pages);
    use plotters::prelude::*;

    std::fs::create_dir_all(std::path::Path::new(path).parent().unwrap())?;
    let root = SVGBackend::new(path, (720, 420)).into_drawing_area();
    root.fill(&WHITE)?;
    let top = sweep
        .iter()
        .map(|(_, t)| ms(*t))
        .fold(ms(bound(1)), f64::max)
        * 1.1;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!(
                "Walking {pages} pages at {} ms latency: wall time against concurrency",
                LATENCY.as_millis()
            ),
            ("sans-serif", 18),
        )
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(64)
        // Labelled ticks: a log axis otherwise labels only powers of ten.
        .build_cartesian_2d(
            -0.2f64..4.2f64,
            (ms(bound(16)) * 0.7..top)
                .log_scale()
                .with_key_points(vec![250.0, 500.0, 1000.0, 2000.0, 4000.0]),
        )?;
    chart
        .configure_mesh()
        .x_desc("concurrency (log scale)")
        .y_desc("wall time (ms, log scale)")
        .x_labels(5)
        .x_label_formatter(&|x| format!("{:.0}", 2f64.powf(*x)))
        .y_label_formatter(&|y| format!("{y:.0}"))
        .draw()?;
    // x is log2(concurrency), so that 1, 2, 4, 8, 16 are evenly spaced.
    let x = |c: usize| (c as f64).log2();
    let measured: Vec<(f64, f64)> = sweep.iter().map(|(c, t)| (x(*c), ms(*t))).collect();
    let ideal: Vec<(f64, f64)> = sweep.iter().map(|(c, _)| (x(*c), ms(bound(*c)))).collect();
    chart
        .draw_series(LineSeries::new(measured.clone(), BLUE.stroke_width(2)))?
        .label("paginate() measured")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE.stroke_width(2)));
    chart.draw_series(measured.iter().map(|&p| Circle::new(p, 4, BLUE.filled())))?;
    chart
        .draw_series(LineSeries::new(ideal, RED.stroke_width(1)))?
        .label(format!(
            "latency bound: latency × (1 + ceil({} / c))",
            pages - 1
        ))
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}
