//! Large exports against rate limits, with default settings: how close to each limit's
//! sustained rate a walk of 300 pages runs, and how many of its requests are refused.
//!
//! Limiters (scaled: the real window is a minute; nothing in the client knows either scale):
//! (a) Rack::Attack's fixed window, 20 requests a second, every request counted, `429 Retry
//! later` as text, no `Retry-After`; (b) a token bucket of 20 refilled at 20 a second; (c) a
//! fixed window of 20 requests per 2 seconds that sends `Retry-After`; (d) a fixed window of
//! 100 requests per 5 seconds (the account's 100 a window, at (a)'s rate). Plus a `has_more`
//! server with 20 ms latency and no limit, against the paging bench's latency bound.
//!
//! `cargo bench --bench ratelimit` prints machine-readable lines and writes
//! `benches/ratelimit.svg` (requests a second and `429`s over time, fixed window).

#[path = "../tests/common/mod.rs"]
mod common;

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use common::{
    limits::{Limit, Limited},
    server::{Reply, TestServer, contacts_api},
};
use livedesk::{Client, Credentials};
use serde_json::json;

const PAGES: u64 = 300;

fn default_client(base_url: &str) -> Client {
    Client::builder(Credentials::new(common::KEY, common::SECRET).unwrap())
        .base_url(base_url)
        .build()
        .unwrap()
}

struct Run {
    wall: Duration,
    share_429: f64,
    log: Vec<(Duration, bool)>,
    pace: Option<f64>,
}

async fn export(limit: Limit) -> Run {
    let limited = Arc::new(Limited::new(limit, contacts_api(PAGES * 15)));
    let server = TestServer::start({
        let limited = limited.clone();
        move |request| limited.answer(request)
    })
    .await;
    server
        .stats
        .forget_requests
        .store(true, std::sync::atomic::Ordering::Relaxed);
    let client = default_client(&server.base_url);
    let started = Instant::now();
    let contacts = client.search("x").paginate().collect().await.unwrap();
    let wall = started.elapsed();
    let mut ids: Vec<i64> = contacts.iter().map(|c| c.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len() as u64, PAGES * 15, "every contact exactly once");
    assert_eq!(
        contacts.len() as u64,
        PAGES * 15,
        "every contact exactly once"
    );
    Run {
        wall,
        share_429: limited.share_refused(),
        log: limited.log.lock().unwrap().clone(),
        pace: client.pacing().map(|p| p.per_minute_rate()),
    }
}

/// 20 ms a page, `has_more`, no limit: a walk at concurrency 8 against the latency bound.
async fn has_more_walk() -> (Duration, Duration) {
    const LATENCY: Duration = Duration::from_millis(20);
    const HAS_MORE_PAGES: u32 = 200;
    const CONCURRENCY: usize = 8;
    let server = TestServer::start(|request| {
        let p = request.page();
        let first = i64::from(p - 1) * 15 + 1;
        let ids = if p <= HAS_MORE_PAGES {
            first..first + 15
        } else {
            0..0
        };
        Reply::json(&json!({
            "meta": {"count": 15, "current_page": p, "has_more": p < HAS_MORE_PAGES},
            "payload": ids.map(common::contact).collect::<Vec<_>>(),
        }))
        .delay(LATENCY)
    })
    .await;
    let client = default_client(&server.base_url);
    let started = Instant::now();
    let contacts = client
        .search("x")
        .paginate()
        .concurrency(CONCURRENCY)
        .collect()
        .await
        .unwrap();
    let wall = started.elapsed();
    assert_eq!(contacts.len(), HAS_MORE_PAGES as usize * 15);
    let rounds = (HAS_MORE_PAGES as usize - 1).div_ceil(CONCURRENCY) as u32 + 1;
    (wall, LATENCY * rounds)
}

#[tokio::main]
async fn main() {
    let window = Limit::FixedWindow {
        limit: 20,
        window: Duration::from_secs(1),
        retry_after: false,
    };
    let bucket = Limit::TokenBucket {
        burst: 20,
        per_second: 20.0,
    };
    let retry_after = Limit::FixedWindow {
        limit: 20,
        window: Duration::from_secs(2),
        retry_after: true,
    };
    // The account's own shape, 100 a window, at the same rate: the steps scale with it.
    let window_100 = Limit::FixedWindow {
        limit: 100,
        window: Duration::from_secs(5),
        retry_after: false,
    };
    // The requests that count: the pages and the one confirming the end.
    let requests = PAGES as f64 + 1.0;
    let ideal = |limit: Limit| match limit {
        Limit::FixedWindow { limit, window, .. } => {
            window.as_secs_f64() * requests / f64::from(limit)
        }
        Limit::TokenBucket { burst, per_second } => (requests - f64::from(burst)) / per_second,
    };
    let mut window_log = Vec::new();
    for (name, limit) in [
        ("window", window),
        ("bucket", bucket),
        ("retry_after", retry_after),
        ("window_100", window_100),
    ] {
        let run = export(limit).await;
        let efficiency = ideal(limit) / run.wall.as_secs_f64();
        println!(
            "# {name}: {PAGES} pages in {:.2} s (ideal {:.2} s), learnt pace {}",
            run.wall.as_secs_f64(),
            ideal(limit),
            run.pace.map_or("none".into(), |p| format!("{p:.0}/min"))
        );
        println!("ratelimit_efficiency_{name}: {efficiency:.3}");
        println!("share_429_{name}: {:.3}", run.share_429);
        if name == "window" {
            window_log = run.log;
        }
    }
    let (wall, bound) = has_more_walk().await;
    println!(
        "# has_more: 200 pages in {:.0} ms, latency bound {:.0} ms",
        wall.as_secs_f64() * 1e3,
        bound.as_secs_f64() * 1e3
    );
    println!(
        "has_more_ratio_to_ideal: {:.3}",
        wall.as_secs_f64() / bound.as_secs_f64()
    );
    if let Err(e) = draw_chart("benches/ratelimit.svg", &window_log) {
        eprintln!("could not draw the chart: {e}");
    }
}

/// Requests a second (passed and refused) in 250 ms bins, during the fixed-window export.
fn draw_chart(path: &str, log: &[(Duration, bool)]) -> Result<(), Box<dyn std::error::Error>> {
    use plotters::prelude::*;

    const BIN: f64 = 0.25;
    let end = log.last().map_or(1.0, |(at, _)| at.as_secs_f64());
    let bins = (end / BIN).ceil() as usize + 1;
    let (mut passed, mut refused) = (vec![0.0; bins], vec![0.0; bins]);
    for (at, was_refused) in log {
        let bin = (at.as_secs_f64() / BIN) as usize;
        if *was_refused {
            refused[bin] += 1.0 / BIN;
        } else {
            passed[bin] += 1.0 / BIN;
        }
    }
    let top = passed
        .iter()
        .chain(&refused)
        .fold(40.0f64, |a, &b| a.max(b))
        * 1.1;
    let root = SVGBackend::new(path, (720, 420)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Exporting 300 pages through a fixed window of 20 requests a second",
            ("sans-serif", 18),
        )
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(56)
        .build_cartesian_2d(0f64..end.max(1.0), 0f64..top)?;
    chart
        .configure_mesh()
        .x_desc("seconds since the export started")
        .y_desc("requests a second (250 ms bins)")
        .draw()?;
    let series = |counts: &[f64]| -> Vec<(f64, f64)> {
        counts
            .iter()
            .enumerate()
            .map(|(i, &n)| (i as f64 * BIN, n))
            .collect()
    };
    chart
        .draw_series(LineSeries::new(series(&passed), BLUE.stroke_width(2)))?
        .label("answered")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE.stroke_width(2)));
    chart
        .draw_series(
            series(&refused)
                .into_iter()
                .filter(|&(_, n)| n > 0.0)
                .map(|p| Circle::new(p, 4, RED.filled())),
        )?
        .label("429 Retry later")
        .legend(|(x, y)| Circle::new((x + 10, y), 4, RED.filled()));
    chart
        .draw_series(LineSeries::new(
            vec![(0.0, 20.0), (end.max(1.0), 20.0)],
            BLACK.mix(0.5).stroke_width(1),
        ))?
        .label("the limit: 20 a second")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.mix(0.5)));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}
