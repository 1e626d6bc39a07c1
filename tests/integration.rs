//! The integration tests, as one binary: each module is one file beside this one.
//!
//! One binary links once where 24 linked one each: in a fresh clone the tests' build went
//! from 2 min 46 s to 1 min 51 s. Separate binaries (`Cargo.toml`'s `[[test]]` list) remain
//! for the tests that change process-wide state: environment variables (`env`, `proxy`), the
//! global tracing subscriber (`tracing`, `order_trace`) and peak memory read from
//! `/proc/self` (`memory`); and for `contract`, which `.ci/spec` runs on its own.

mod common;
#[path = "common/net.rs"]
mod net;

mod cli;
mod cli_data;
mod cli_exports;
mod cli_messages;
mod cli_network;
mod cli_refusals;
mod deadlines;
mod decode;
mod error_chain;
mod errors;
mod faults;
mod hostile;
mod listing;
mod living;
mod mock;
mod network;
mod order;
mod paginate;
mod proptest;
mod ratelimit;
mod recount;
mod request;
mod retry;
mod sandbox;
mod sandbox_data;
mod schema;
mod ties;
mod upstream;
