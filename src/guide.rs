//! Guides: the rules behind the API, each next to the tests and benchmarks that back it.
//! They are the `docs/` folder of the repository, shown here so that they travel with the
//! API documentation; the crate's front page is the README.
//!
//! | guide | what it holds |
//! |---|---|
//! | [`search`] | the setters, what the server matches, the sort it really applies |
//! | [`walks`] | the rules of `paginate()`, concurrency, memory, speed |
//! | [`exports`] | resume, incremental exports, living accounts, ties |
//! | [`errors`] | every variant, `Error::kind()`, every failure a test provokes |
//! | [`rate_limits`] | retry policy and budget, the limiter model, its measured figures |
//! | [`cli`] | formats, CSV columns, files, progress, exit codes |
//! | [`sandbox`] | what it does as the server does; your own contacts |
//! | [`network`] | TLS, proxies and the User-Agent |
//! | [`spec`] | regeneration, the public API snapshot, other languages |
//! | [`benchmarks`] | overhead against hand-written code, the sandbox's speed, build cost |
//! | [`layout`] | what each file of the repository holds |

#[doc = include_str!("../docs/search.md")]
pub mod search {}
#[doc = include_str!("../docs/walks.md")]
pub mod walks {}
#[doc = include_str!("../docs/exports.md")]
pub mod exports {}
#[doc = include_str!("../docs/errors.md")]
pub mod errors {}
#[doc = include_str!("../docs/rate-limits.md")]
pub mod rate_limits {}
#[doc = include_str!("../docs/cli.md")]
pub mod cli {}
#[doc = include_str!("../docs/sandbox.md")]
pub mod sandbox {}
#[doc = include_str!("../docs/network.md")]
pub mod network {}
#[doc = include_str!("../docs/spec.md")]
pub mod spec {}
#[doc = include_str!("../docs/benchmarks.md")]
pub mod benchmarks {}
#[doc = include_str!("../docs/layout.md")]
pub mod layout {}
