//! Client-side rate limiting, shared by every clone of a client.

use std::{num::NonZeroU32, time::Duration};

use tokio::time::Instant;

/// At most `requests` requests every `per`, spaced evenly, across all clones of a client.
///
/// LiveDesk allows about 100 searches a minute per account; a bulk export that stays under
/// that never meets a `429`. Every attempt counts, retries included.
///
/// ```
/// use std::num::NonZeroU32;
/// use livedesk::RateLimit;
///
/// let limit = RateLimit::per_minute(NonZeroU32::new(90).unwrap());
/// assert_eq!(limit.interval(), std::time::Duration::from_secs(60) / 90);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    interval: Duration,
}

impl RateLimit {
    /// `requests` requests every `per`.
    ///
    /// ```
    /// # use std::{num::NonZeroU32, time::Duration};
    /// let limit = livedesk::RateLimit::new(NonZeroU32::new(5).unwrap(), Duration::from_secs(1));
    /// assert_eq!(limit.interval(), Duration::from_millis(200));
    /// ```
    pub fn new(requests: NonZeroU32, per: Duration) -> Self {
        Self {
            interval: per / requests.get(),
        }
    }

    /// `requests` requests a minute.
    ///
    /// ```
    /// # use std::num::NonZeroU32;
    /// let limit = livedesk::RateLimit::per_minute(NonZeroU32::new(100).unwrap());
    /// # let _ = limit;
    /// ```
    pub fn per_minute(requests: NonZeroU32) -> Self {
        Self::new(requests, Duration::from_secs(60))
    }

    /// The time between two requests.
    ///
    /// ```
    /// # use std::{num::NonZeroU32, time::Duration};
    /// let limit = livedesk::RateLimit::per_minute(NonZeroU32::new(60).unwrap());
    /// assert_eq!(limit.interval(), Duration::from_secs(1));
    /// ```
    pub fn interval(&self) -> Duration {
        self.interval
    }
}

/// Hands out evenly spaced start times.
///
/// Waiters queue on an async lock (tokio's is fair) and the holder sleeps until its start
/// time with the lock held, so a request cancelled while it waits leaves the queue without
/// having reserved anything: the next waiter takes the time it would have had.
#[derive(Debug)]
pub(crate) struct Limiter {
    interval: Duration,
    next_start: tokio::sync::Mutex<Option<Instant>>,
}

impl Limiter {
    pub(crate) fn new(limit: RateLimit) -> Self {
        Self {
            interval: limit.interval,
            next_start: tokio::sync::Mutex::new(None),
        }
    }

    /// Waits for this caller's turn.
    pub(crate) async fn acquire(&self) {
        let mut next = self.next_start.lock().await;
        let start = next.map_or_else(Instant::now, |start| start.max(Instant::now()));
        tokio::time::sleep_until(start).await;
        *next = Some(start + self.interval);
    }
}
