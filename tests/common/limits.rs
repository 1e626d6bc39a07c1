//! Rate limiters as servers apply them, in front of any handler: Rack::Attack's fixed window
//! (every request counted, `429 Retry later` as text, `Retry-After` optional) and a token
//! bucket. Their clock is the system's read once, then tokio's (so that tests can pause it),
//! as the client's model reads it: windows are aligned to the UNIX epoch the client sees (or
//! one a fixed offset off it), as Rack::Attack aligns them to the real one, and a test waits
//! (in virtual time) for the point of a window it starts an export at.

use std::{
    sync::{
        Mutex, OnceLock,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use tokio::time::Instant;

use super::server::{Reply, Request};

/// How a limiter decides.
#[derive(Clone, Copy, Debug)]
pub enum Limit {
    /// `limit` requests per `window`, windows aligned to the limiter's clock; `Retry-After`
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
    /// When the limiter read the system's clock, on tokio's, and the system's time since the
    /// UNIX epoch then: the limiter's clock is that plus tokio's time since (paused, it moves
    /// with the client's waits, not with the system's) and `ahead`.
    read: OnceLock<(Instant, Duration)>,
    /// How far the limiter's clock is ahead of the client's (a server's clock off it).
    ahead: Duration,
    state: Mutex<(u64, u32, f64, Instant)>,
    pub passed: AtomicUsize,
    pub refused: AtomicUsize,
    /// When each request arrived (on the limiter's clock) and whether it was refused.
    pub log: Mutex<Vec<(Duration, bool)>>,
}

impl<H: Fn(&Request) -> Reply> Limited<H> {
    /// A limiter on the clock the client's model aligns to: the system's, read by
    /// `until_phase`, then tokio's.
    pub fn new(limit: Limit, handler: H) -> Self {
        let burst = match limit {
            Limit::TokenBucket { burst, .. } => f64::from(burst),
            Limit::FixedWindow { .. } => 0.0,
        };
        let now = Instant::now();
        Self {
            limit,
            handler,
            read: OnceLock::new(),
            ahead: Duration::ZERO,
            state: Mutex::new((0, 0, burst, now)),
            passed: AtomicUsize::new(0),
            refused: AtomicUsize::new(0),
            log: Mutex::new(Vec::new()),
        }
    }

    /// The same limiter with its clock `by` ahead of the client's.
    pub fn ahead(self, by: Duration) -> Self {
        Self { ahead: by, ..self }
    }

    /// The limiter's clock: time since the UNIX epoch.
    fn clock(&self, now: Instant) -> Duration {
        let (read_at, since_epoch) = self
            .read
            .get()
            .expect("a test reads the limiter's clock (`until_phase`) before a request");
        now - *read_at + *since_epoch + self.ahead
    }

    /// How long (on tokio's clock) until the limiter's clock is `phase` into a window of
    /// `window`: a test sleeps that long to start an export there. The first call reads the
    /// system's clock: made right after the client is built, with nothing awaited between
    /// (on the paused clock, tokio's time between the readings would set the limiter's
    /// behind the client's), it reads it after the client did, and the two clocks agree to
    /// within the real time between the readings, the limiter's ahead.
    pub fn until_phase(&self, window: Duration, phase: Duration) -> Duration {
        self.read.get_or_init(|| {
            let since_epoch = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .expect("the system clock is past the epoch");
            (Instant::now(), since_epoch)
        });
        let into = self.clock(Instant::now()).as_nanos() % window.as_nanos();
        let wait = (phase.as_nanos() + window.as_nanos() - into) % window.as_nanos();
        Duration::from_nanos(wait as u64)
    }

    pub fn answer(&self, request: &Request) -> Reply {
        let now = Instant::now();
        // Read before the lock: a test that never read the clock fails here, with the lock
        // unpoisoned.
        let at = self.clock(now);
        let refusal = {
            let mut state = self.state.lock().unwrap();
            let (window_index, count, tokens, refilled) = &mut *state;
            match self.limit {
                Limit::FixedWindow {
                    limit,
                    window,
                    retry_after,
                } => {
                    let elapsed = at;
                    let index = (elapsed.as_nanos() / window.as_nanos()) as u64;
                    if index != *window_index {
                        *window_index = index;
                        *count = 0;
                    }
                    *count += 1; // every request counts, refused ones too
                    (*count > limit).then(|| {
                        let ends = Duration::from_nanos(
                            ((u128::from(index) + 1) * window.as_nanos()) as u64,
                        );
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
        self.log.lock().unwrap().push((at, refusal.is_some()));
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
