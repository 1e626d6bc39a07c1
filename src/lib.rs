#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod auth;
mod client;
mod enums;
mod error;
mod generated;
mod paginate;
mod rate_limit;
mod response;
mod retry;
mod search;
mod transport;

pub use auth::Credentials;
pub use client::{ClientBuilder, DEFAULT_BASE_URL};
pub use error::{Error, Result};
pub use generated::{Client, ResponseValue, builder};
pub use paginate::{DEFAULT_CONCURRENCY, PAGE_SIZE, Paginate};
pub use rate_limit::RateLimit;
pub use retry::{Decision, Outcome, RetryPolicy};

/// The API's data types, generated from the spec's schemas, plus the hand-written open enums
/// that stand in for its open string sets.
///
/// ```
/// use livedesk::types::{AvailabilityStatus, ContactList};
///
/// let page: ContactList = serde_json::from_str(
///     r#"{"meta":{"count":0,"current_page":"1"},"payload":[]}"#,
/// )?;
/// assert_eq!(page.meta.current_page.number(), Some(1));
/// assert_eq!(AvailabilityStatus::from("busy").as_str(), "busy");
/// # Ok::<(), serde_json::Error>(())
/// ```
pub mod types {
    pub use crate::enums::{AvailabilityStatus, ChannelType, Provider};
    pub use crate::generated::types::*;
}
pub use types::{Contact, ContactList, SortDirection, SortField};
