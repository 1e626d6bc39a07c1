//! Client-side rate limiting, shared by every clone of a client.

use std::{num::NonZeroU32, sync::Mutex, time::Duration};

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

/// Hands out evenly spaced start times; the lock is held only to take a slot, never across
/// an await.
#[derive(Debug)]
pub(crate) struct Limiter {
    interval: Duration,
    next_slot: Mutex<Option<Instant>>,
}

impl Limiter {
    pub(crate) fn new(limit: RateLimit) -> Self {
        Self {
            interval: limit.interval,
            next_slot: Mutex::new(None),
        }
    }

    /// Waits for this caller's slot.
    pub(crate) async fn acquire(&self) {
        let now = Instant::now();
        let slot = {
            // A poisoned lock still holds a valid instant: keep going rather than panic.
            let mut next = self.next_slot.lock().unwrap_or_else(|p| p.into_inner());
            let slot = next.map_or(now, |next| next.max(now));
            *next = Some(slot + self.interval);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}
