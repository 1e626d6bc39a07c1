//! The client progenitor generates from `openapi/livedesk.yaml` at build time (see `build.rs`).

// Documentation comes from the spec's descriptions, but OpenAPI 3.0 cannot describe a `$ref`'d
// property, and the generator adds undocumented struct builders; the spec documents them.
#![allow(missing_docs)]

include!(concat!(env!("OUT_DIR"), "/livedesk.rs"));
