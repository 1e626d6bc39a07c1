//! Client-side rate limiting, shared by every clone of a client.

use std::{num::NonZeroU32, time::Duration};

/// At most `requests` requests every `per`, spaced evenly, across all clones of a client.
///
/// Without one, a client learns the limit from the server's throttling (see
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
    /// `requests` requests every `per`. A `per` shorter than `requests` nanoseconds leaves no
    /// time between requests: no limit (and an infinite [`per_minute_rate`](Self::per_minute_rate)).
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

/// What a client has found out about the rate limit it meets, shared by its clones: from
/// [`Client::pacing`](crate::Client::pacing), for logs and progress displays.
///
/// ```
/// use livedesk::{Client, Credentials, LimitShape};
///
/// let client = Client::builder(Credentials::new("key", "secret")?).build()?;
/// let pacing = client.pacing();
/// // Nothing sent yet: nothing known.
/// assert_eq!(pacing.shape(), LimitShape::Unknown);
/// assert_eq!(pacing.requests_per_minute(), None);
/// assert_eq!(pacing.requests(), 0);
/// # Ok::<(), livedesk::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct Pacing {
    shape: LimitShape,
    per_minute: Option<f64>,
    throttled: bool,
    requests: u64,
    throttled_requests: u64,
}

/// The shape of a rate limit, as a client has learnt it.
///
/// ```
/// use livedesk::LimitShape;
///
/// fn describe(shape: LimitShape) -> String {
///     match shape {
///         LimitShape::FixedWindow { allowance, period, .. } => {
///             format!("{allowance} requests every {period:?}")
///         }
///         LimitShape::Rate { per_minute, .. } => format!("{per_minute:.0} requests a minute"),
///         LimitShape::Set(limit) => format!("set: {:.0} a minute", limit.per_minute_rate()),
///         _ => "not known yet".to_owned(),
///     }
/// }
/// assert_eq!(describe(LimitShape::Unknown), "not known yet");
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum LimitShape {
    /// Not known yet: no `429`, or too few to tell.
    Unknown,
    /// A fixed window, as the upstream server's is known to be: `allowance` requests in each
    /// `period`, capacity returning at once at each boundary.
    #[non_exhaustive]
    FixedWindow {
        /// Requests a window lets this client through.
        allowance: u64,
        /// The window's length, as measured.
        period: Duration,
    },
    /// A sliding window: at most `allowance` requests in any `period`, capacity returning a
    /// period after each request.
    #[non_exhaustive]
    SlidingWindow {
        /// Requests any period lets this client through.
        allowance: u64,
        /// The window's length, as measured.
        period: Duration,
    },
    /// Capacity returning gradually (a token bucket, or a sliding window not yet told from
    /// one), or a fixed window whose round trips last too long against its period for its
    /// boundaries to be kept to (an eighth of it or more): a sustained rate.
    #[non_exhaustive]
    Rate {
        /// Requests a minute, as measured.
        per_minute: f64,
    },
    /// The [`RateLimit`] set on the builder, kept as it is.
    Set(RateLimit),
}

impl Pacing {
    pub(crate) fn new(snapshot: crate::limiter::Snapshot, set: Option<RateLimit>) -> Self {
        use crate::limiter::Shape;
        let shape = match (set, snapshot.shape) {
            (Some(limit), _) => LimitShape::Set(limit),
            (None, Shape::Window { allowance, period }) => {
                LimitShape::FixedWindow { allowance, period }
            }
            (None, Shape::Log { limit, period }) => LimitShape::SlidingWindow {
                allowance: limit,
                period,
            },
            (None, Shape::Rate { per_second } | Shape::Fixed { per_second }) => LimitShape::Rate {
                per_minute: per_second * 60.0,
            },
            (None, Shape::Unknown) => LimitShape::Unknown,
        };
        Self {
            shape,
            per_minute: snapshot.pace.map(|per_second| per_second * 60.0),
            throttled: snapshot.throttled,
            requests: snapshot.requests,
            throttled_requests: snapshot.throttles,
        }
    }

    /// The limit's shape and numbers.
    ///
    /// ```
    /// # let client = livedesk::Client::builder(livedesk::Credentials::new("k", "s")?).build()?;
    /// println!("{:?}", client.pacing().shape());
    /// # Ok::<(), livedesk::Error>(())
    /// ```
    pub fn shape(&self) -> LimitShape {
        self.shape
    }

    /// The rate the client runs at from now on, in requests a minute (the learnt limit less
    /// the headroom; a rate not yet measured well is paced whole, a step above it), once
    /// known; while the limit is still being learnt, once a `429` came, a first guess: the
    /// most that passed before a `429`, each minute (the upstream server's window), or each
    /// longer time a run and its throttle lasted.
    ///
    /// ```
    /// # use std::num::NonZeroU32;
    /// let client = livedesk::Client::builder(livedesk::Credentials::new("k", "s")?)
    ///     .rate_limit(livedesk::RateLimit::per_minute(NonZeroU32::new(90).unwrap()))
    ///     .build()?;
    /// assert_eq!(client.pacing().requests_per_minute().map(f64::round), Some(90.0));
    /// # Ok::<(), livedesk::Error>(())
    /// ```
    pub fn requests_per_minute(&self) -> Option<f64> {
        self.per_minute
    }

    /// How long `requests` more requests take at that rate, once known: an export's time
    /// left, from its pages left.
    ///
    /// ```
    /// # use std::{num::NonZeroU32, time::Duration};
    /// let client = livedesk::Client::builder(livedesk::Credentials::new("k", "s")?)
    ///     .rate_limit(livedesk::RateLimit::per_minute(NonZeroU32::new(100).unwrap()))
    ///     .build()?;
    /// let left = client.pacing().time_for(6_667).unwrap();
    /// assert_eq!(left.as_secs() / 60, 66);
    /// # Ok::<(), livedesk::Error>(())
    /// ```
    pub fn time_for(&self, requests: u64) -> Option<Duration> {
        let per_minute = self.per_minute.filter(|rate| *rate > 0.0)?;
        Duration::try_from_secs_f64(requests as f64 * 60.0 / per_minute).ok()
    }

    /// Whether the client is waiting for a throttle to lift or a `Retry-After` to end.
    ///
    /// ```
    /// # let client = livedesk::Client::builder(livedesk::Credentials::new("k", "s")?).build()?;
    /// assert!(!client.pacing().is_throttled());
    /// # Ok::<(), livedesk::Error>(())
    /// ```
    pub fn is_throttled(&self) -> bool {
        self.throttled
    }

    /// Requests sent so far by the client and its clones, retries included.
    ///
    /// ```
    /// # let client = livedesk::Client::builder(livedesk::Credentials::new("k", "s")?).build()?;
    /// assert_eq!(client.pacing().requests(), 0);
    /// # Ok::<(), livedesk::Error>(())
    /// ```
    pub fn requests(&self) -> u64 {
        self.requests
    }

    /// Of those, how many were answered `429`.
    ///
    /// ```
    /// # let client = livedesk::Client::builder(livedesk::Credentials::new("k", "s")?).build()?;
    /// assert_eq!(client.pacing().throttled_requests(), 0);
    /// # Ok::<(), livedesk::Error>(())
    /// ```
    pub fn throttled_requests(&self) -> u64 {
        self.throttled_requests
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limiter::{Shape, Snapshot};

    fn pacing(shape: Shape, set: Option<RateLimit>) -> Pacing {
        let snapshot = Snapshot {
            shape,
            pace: Some(2.0),
            throttled: true,
            requests: 40,
            throttles: 3,
        };
        Pacing::new(snapshot, set)
    }

    /// Each shape the model learns is reported in the public terms, rates a minute; a limit
    /// set on the builder is reported as set, whatever the model's shape.
    #[test]
    fn each_shape_the_model_learns_is_reported_in_public_terms() {
        let period = Duration::from_secs(60);
        let reported = [
            (Shape::Unknown, LimitShape::Unknown),
            (
                Shape::Window {
                    allowance: 100,
                    period,
                },
                LimitShape::FixedWindow {
                    allowance: 100,
                    period,
                },
            ),
            (
                Shape::Log { limit: 30, period },
                LimitShape::SlidingWindow {
                    allowance: 30,
                    period,
                },
            ),
            (
                Shape::Rate { per_second: 15.0 },
                LimitShape::Rate { per_minute: 900.0 },
            ),
        ];
        for (shape, public) in reported {
            let p = pacing(shape, None);
            assert_eq!(p.shape(), public, "{shape:?}");
            assert_eq!(p.requests_per_minute(), Some(120.0));
            assert!(p.is_throttled());
            assert_eq!((p.requests(), p.throttled_requests()), (40, 3));
        }
        // A model paced at a set limit is `Fixed`, and only then.
        let set = RateLimit::per_minute(NonZeroU32::new(50).unwrap());
        let p = pacing(
            Shape::Fixed {
                per_second: 50.0 / 60.0,
            },
            Some(set),
        );
        assert_eq!(p.shape(), LimitShape::Set(set));
    }
}
