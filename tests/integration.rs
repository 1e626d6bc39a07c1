//! The integration tests, as one binary: each module is one file beside this one.
//!
//! One binary links once where 25 linked one each, which is most of what `cargo test`'s build
//! spent on them. The tests that change process-wide state (environment variables, the global
//! tracing subscriber, peak memory read from `/proc/self`) and the contract test that `.ci/spec`
//! runs on its own stay separate binaries (`Cargo.toml`'s `[[test]]` list).

mod common;
#[path = "common/net.rs"]
mod net;

mod cli;
mod cli_data;
mod cli_messages;
mod cli_network;
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
mod order_trace;
mod paginate;
mod proptest;
mod ratelimit;
mod request;
mod retry;
mod sandbox;
mod sandbox_data;
mod schema;
mod ties;
mod upstream;
