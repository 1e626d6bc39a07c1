//! Rate limiters as servers apply them, in front of any handler: Rack::Attack's fixed window
//! (every request counted, `429 Retry later` as text, `Retry-After` optional) and a token
//! bucket. Times are scaled: the tests and benchmarks use windows of a second or so. Time is
//! tokio's clock, so that tests can pause it; windows are aligned to a virtual epoch, as
//! Rack::Attack aligns them to the real one, and an export can start at any phase of one.

use std::{
    sync::{
        Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use tokio::time::Instant;

use super::server::{Reply, Request};

/// How a limiter decides.
#[derive(Clone, Copy, Debug)]
pub enum Limit {
    /// `limit` requests per `window`, windows aligned to the limiter's epoch; `Retry-After`
    /// (whole seconds, rounded up) when `retry_after`.
    FixedWindow {
        limit: u32,
        window: Duration,
        retry_after: bool,
    },
    /// A bucket of `burst` tokens refilled at `per_second`.
    TokenBucket { burst: u32, per_second: f64 },
}

/// A limiter in front of a handler, counting what it let through and what it refused.
pub struct Limited<H> {
    limit: Limit,
    handler: H,
    start: Instant,
    /// How far into a window the server starts.
    phase: Duration,
    state: Mutex<(u64, u32, f64, Instant)>,
    pub passed: AtomicUsize,
    pub refused: AtomicUsize,
    /// When each request arrived (since the start) and whether it was refused.
    pub log: Mutex<Vec<(Duration, bool)>>,
}

impl<H: Fn(&Request) -> Reply> Limited<H> {
    pub fn new(limit: Limit, handler: H) -> Self {
        Self::at_phase(limit, handler, Duration::ZERO)
    }

    /// A limiter whose clock starts `phase` into a window.
    pub fn at_phase(limit: Limit, handler: H, phase: Duration) -> Self {
        let burst = match limit {
            Limit::TokenBucket { burst, .. } => f64::from(burst),
            Limit::FixedWindow { .. } => 0.0,
        };
        let now = Instant::now();
        Self {
            limit,
            handler,
            start: now,
            phase,
            state: Mutex::new((0, 0, burst, now)),
            passed: AtomicUsize::new(0),
            refused: AtomicUsize::new(0),
            log: Mutex::new(Vec::new()),
        }
    }

    pub fn answer(&self, request: &Request) -> Reply {
        let now = Instant::now();
        let refusal = {
            let mut state = self.state.lock().unwrap();
            let (window_index, count, tokens, refilled) = &mut *state;
            match self.limit {
                Limit::FixedWindow {
                    limit,
                    window,
                    retry_after,
                } => {
                    let elapsed = now - self.start + self.phase;
                    let index = (elapsed.as_nanos() / window.as_nanos()) as u64;
                    if index != *window_index {
                        *window_index = index;
                        *count = 0;
                    }
                    *count += 1; // every request counts, refused ones too
                    (*count > limit).then(|| {
                        let ends = window * (index as u32 + 1);
                        retry_after.then(|| (ends - elapsed).as_secs_f64().ceil() as u64)
                    })
                }
                Limit::TokenBucket { burst, per_second } => {
                    *tokens = (*tokens + (now - *refilled).as_secs_f64() * per_second)
                        .min(f64::from(burst));
                    *refilled = now;
                    if *tokens >= 1.0 {
                        *tokens -= 1.0;
                        None
                    } else {
                        Some(None)
                    }
                }
            }
        };
        self.log
            .lock()
            .unwrap()
            .push((now - self.start + self.phase, refusal.is_some()));
        match refusal {
            None => {
                self.passed.fetch_add(1, Ordering::SeqCst);
                (self.handler)(request)
            }
            Some(retry_after) => {
                self.refused.fetch_add(1, Ordering::SeqCst);
                let reply = Reply::status(429, "text/plain", "Retry later\n");
                match retry_after {
                    Some(seconds) => reply.header("retry-after", &seconds.to_string()),
                    None => reply,
                }
            }
        }
    }

    /// Refused requests over all requests.
    pub fn share_refused(&self) -> f64 {
        let refused = self.refused.load(Ordering::SeqCst) as f64;
        refused / (refused + self.passed.load(Ordering::SeqCst) as f64)
    }
}
