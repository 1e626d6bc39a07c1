#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod auth;
mod client;
mod contact;
mod deadline;
mod decoded;
mod enums;
mod error;
mod generated;
pub mod guide;
mod limiter;
mod lookup;
#[cfg(feature = "mock")]
#[cfg_attr(docsrs, doc(cfg(feature = "mock")))]
pub mod mock;
mod network;
mod order;
mod pacer;
mod paginate;
mod position;
mod rate_limit;
mod redact;
mod response;
mod retry;
#[cfg(feature = "sandbox")]
#[cfg_attr(docsrs, doc(cfg(feature = "sandbox")))]
mod sandbox;
mod search;
mod transport;
mod walk;

pub use auth::Credentials;
pub use client::{Client, ClientBuilder, DEFAULT_BASE_URL};
pub use error::{ConfigError, Error, ErrorKind, Result, TransportError};
pub use http::StatusCode;
pub use paginate::{DEFAULT_CONCURRENCY, Paginator};
pub use position::Position;
pub use rate_limit::{LimitShape, Pacing, RateLimit};
pub use retry::RetryPolicy;
#[cfg(feature = "sandbox")]
pub use sandbox::{Sandbox, SandboxBuilder, SandboxData};
pub use search::Search;
pub use walk::{MAX_REPEATED_PAGES, PAGE_SIZE, WalkError};

/// The API's data types, generated from the spec's schemas, plus the hand-written open enums
/// that stand in for its open string sets.
///
/// Every struct and enum here is `#[non_exhaustive]`, so that a property or a value added to
/// the spec is not a breaking change: read their fields freely, and build values for your own
/// tests with [`Contact::new`] and [`ContactList::new`] (then set the fields you need), or by
/// decoding JSON.
///
/// ```
/// use livedesk::types::{AvailabilityStatus, Contact, ContactList};
///
/// let page: ContactList = serde_json::from_str(
///     r#"{"meta":{"count":0,"current_page":"1"},"payload":[]}"#,
/// )?;
/// assert_eq!(page.meta.page(), Some(1));
/// assert_eq!(AvailabilityStatus::from("busy").as_str(), "busy");
///
/// // Only the id is required; every other field takes the documentation's default (or none).
/// let mut contact = Contact::new(7);
/// contact.name = Some("Ada".to_owned());
/// assert_eq!((contact.id, contact.blocked), (7, false));
/// assert_eq!(contact.availability_status, AvailabilityStatus::Offline);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub mod types {
    pub use crate::enums::{
        AvailabilityStatus, ChannelType, Provider, SortDirection, SortField, UnknownValue,
    };
    pub use crate::generated::types::{
        Contact, ContactInbox, ContactList, ContactListMeta, CurrentPage, Inbox,
    };
}
pub use types::{Contact, ContactList, SortDirection, SortField};
