//! Client-side rate limiting, shared by every clone of a client.

use std::{num::NonZeroU32, time::Duration};

/// At most `requests` requests every `per`, spaced evenly, across all clones of a client.
///
/// Without one, a client learns the account's pace from its first throttle (see
/// [`Client::pacing`](crate::Client::pacing)); set one when you know the limit, and it is kept
/// as it is. Every attempt counts, retries included.
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

    pub(crate) fn from_interval(interval: Duration) -> Self {
        Self { interval }
    }

    /// Requests a minute at this pace.
    ///
    /// ```
    /// # use std::{num::NonZeroU32, time::Duration};
    /// let limit = livedesk::RateLimit::new(NonZeroU32::new(5).unwrap(), Duration::from_secs(1));
    /// assert_eq!(limit.per_minute_rate(), 300.0);
    /// ```
    pub fn per_minute_rate(&self) -> f64 {
        60.0 / self.interval.as_secs_f64()
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
