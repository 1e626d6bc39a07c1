//! The engine progenitor generates from `openapi/livedesk.yaml` at build time (see `build.rs`).
//! Private: users reach its data types through [`crate::types`] and everything else through
//! the hand-written [`crate::Client`].

// Documentation comes from the spec's descriptions, but OpenAPI 3.0 cannot describe a `$ref`'d
// property, and the generator adds undocumented struct builders; the spec documents them.
// Parts of the generated client (`Client::new`, the prelude) are not used by the wrapper.
#![allow(missing_docs, dead_code, unused_imports)]

include!(concat!(env!("OUT_DIR"), "/livedesk.rs"));
