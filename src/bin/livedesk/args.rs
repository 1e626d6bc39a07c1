//! The command line, as clap reads it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::exit;

/// Search and export LiveDesk contacts, or serve a local sandbox of them.
///
/// Credentials come from the environment only (a secret in the arguments would show in
/// `ps`): LIVEDESK_API_KEY and LIVEDESK_API_SECRET. `--sandbox` needs none.
#[derive(Debug, Parser)]
#[command(name = "livedesk", version, after_help = exit::HELP)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Contacts of the account.
    #[command(subcommand)]
    Contacts(Contacts),
    /// Serve a sandbox: a local LiveDesk API with a seeded data set, until interrupted.
    Sandbox(SandboxArgs),
    /// Print the OpenAPI document this binary was built from.
    Spec,
    /// Print a shell completion script.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum Contacts {
    /// List every contact (no query), or search them by name, email, phone number, company
    /// name or identifier.
    ///
    /// Without a query, every contact of the account: `livedesk contacts list --label vip
    /// --all -o vips.csv` exports every `vip` contact. No request returns a contact that has
    /// no email, phone number or identifier: the server never lists those.
    #[command(visible_alias = "list", after_help = exit::HELP)]
    Search(Box<SearchArgs>),
}

#[derive(Debug, Args)]
pub(crate) struct SearchArgs {
    /// What to look for: a part of a name, email, phone number (`+` included), company name
    /// or identifier; leave it out to list every contact. The server reads `%` and `_` as
    /// wildcards (see --literal). `-` reads it from the first line of standard input, out
    /// of `ps` and the shell's history (an email or a phone number is personal data).
    pub(crate) query: Option<String>,

    /// Match the query's `%`, `_` and `\` as themselves, not as wildcards.
    #[arg(long, requires = "query")]
    pub(crate) literal: bool,

    /// Only contacts with this label (repeat for any of several).
    #[arg(long = "label", value_name = "LABEL")]
    pub(crate) labels: Vec<String>,

    /// Sort by this field [default with --all: created_at, ascending, the one order that
    /// holds still while contacts are added; without --all, the server's order].
    #[arg(long, value_enum)]
    pub(crate) sort: Option<Sort>,

    /// The sort direction.
    #[arg(long, value_enum, requires = "sort")]
    pub(crate) direction: Option<Direction>,

    /// Fetch this page (15 contacts a page) [default: 1].
    #[arg(long, value_name = "N", conflicts_with = "all", value_parser = clap::value_parser!(u32).range(1..=i32::MAX as i64))]
    pub(crate) page: Option<u32>,

    /// Fetch every page, streaming the contacts as they come.
    #[arg(long)]
    pub(crate) all: bool,

    /// Only contacts created after TIME (RFC 3339, `2024-05-01T00:00:00Z`, or unix seconds),
    /// found by binary search over the pages rather than a walk from the first.
    // `--page` conflicts with `--all`, which clap then takes as present: without its own
    // conflict, `--page` made every walk option pass unread (review 116).
    #[arg(long, value_name = "TIME", requires = "all", conflicts_with = "page", value_parser = unix_time)]
    pub(crate) created_after: Option<i64>,

    /// Only contacts created before TIME; the walk stops at the first one created at TIME or
    /// later. Both bounds leave their own second out: for windows that follow each other,
    /// give the next --created-after one second before this TIME.
    #[arg(long, value_name = "TIME", requires = "all", conflicts_with = "page", value_parser = unix_time)]
    pub(crate) created_before: Option<i64>,

    /// Only contacts created after the last contact of FILE, a previous export of the same
    /// search (CSV, JSON or JSON lines): a daily sync fetches only what is new. Give it again
    /// for the files before it in a chain of syncs: together they say what was exported.
    #[arg(
        long,
        value_name = "FILE",
        requires = "all",
        conflicts_with_all = ["created_after", "page"]
    )]
    pub(crate) since: Vec<PathBuf>,

    /// With --since: look again at the contacts created up to SECONDS before the files' last
    /// one (no earlier than they hold every contact from), and add those they lack (created
    /// then, they became visible after those exports ran: an import stamped before it
    /// committed, a server's clock behind, a visitor who gave an email). Each such second
    /// costs pages read again.
    #[arg(long, value_name = "SECONDS", default_value_t = 3600)]
    pub(crate) since_overlap: u32,

    /// Continue the interrupted export to --output from where it stopped (its progress is
    /// kept beside the file); the result is the file an uninterrupted export would have
    /// written.
    #[arg(long, requires = "output", conflicts_with_all = ["limit", "page"])]
    pub(crate) resume: bool,

    /// Stop after this many contacts (fetching only the pages they need).
    #[arg(long, value_name = "N")]
    pub(crate) limit: Option<usize>,

    /// Leave out each contact's channels (`contact_inboxes`).
    #[arg(long)]
    pub(crate) no_inboxes: bool,

    /// Pages fetched at once with --all.
    #[arg(long, value_name = "N", default_value_t = livedesk::DEFAULT_CONCURRENCY, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=64))]
    pub(crate) concurrency: usize,

    /// The output format [default: table on a terminal, else jsonl; with --output, from the
    /// file's extension].
    #[arg(long, value_enum)]
    pub(crate) format: Option<Format>,

    /// Write to this file instead of standard output; it appears only once the export has
    /// completed (an existing file is replaced only then).
    #[arg(long, short, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,

    /// How long to wait out rate limiting (429) while no request passes, before giving up
    /// (a turn in the learnt pace is no wait).
    #[arg(long, value_name = "SECONDS", default_value_t = 180)]
    pub(crate) max_wait: u64,

    /// Leave this share of the learnt rate limit, in percent (0 to 90), to the account's other
    /// users.
    #[arg(long, value_name = "PERCENT", default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=90))]
    pub(crate) headroom: u8,

    /// How long one request may take before it is given up (and retried).
    #[arg(long, value_name = "SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) timeout: u64,

    #[command(flatten)]
    pub(crate) target: Target,
}

/// Which server to ask.
#[derive(Debug, Args)]
pub(crate) struct Target {
    /// The API's base URL.
    #[arg(long, env = "LIVEDESK_BASE_URL", value_name = "URL", default_value = livedesk::DEFAULT_BASE_URL)]
    pub(crate) base_url: String,

    /// Ask an in-process sandbox (a seeded data set of 250 contacts) instead of the API;
    /// no credentials needed, and the base URL is ignored.
    #[arg(long)]
    pub(crate) sandbox: bool,

    /// Serve these contacts in the sandbox: a JSON array of contacts as the API sends them,
    /// each with an optional "labels" array.
    #[arg(long, value_name = "FILE", requires = "sandbox")]
    pub(crate) sandbox_data: Option<std::path::PathBuf>,

    /// Make the sandbox ignore `direction`, as the upstream server does (only `sort=-field`
    /// descends).
    #[arg(long, requires = "sandbox")]
    pub(crate) sandbox_ignore_direction: bool,

    #[command(flatten)]
    pub(crate) network: Network,
}

/// How to reach the server through a company network.
#[derive(Debug, Args)]
#[command(next_help_heading = "Network (not used with --sandbox)")]
pub(crate) struct Network {
    /// Trust the certificate authorities in FILE (PEM) besides the system's: for a network
    /// whose proxy inspects TLS with its own authority.
    #[arg(long, value_name = "FILE", env = "LIVEDESK_CA_CERT")]
    pub(crate) ca_cert: Option<PathBuf>,

    /// Send every request through this HTTP proxy (`http://host:port`) rather than the one
    /// HTTPS_PROXY or ALL_PROXY names. A password in it (`http://user:password@host:port`)
    /// would show in `ps`: set LIVEDESK_PROXY instead.
    #[arg(
        long,
        value_name = "URL",
        env = "LIVEDESK_PROXY",
        hide_env_values = true
    )]
    pub(crate) proxy: Option<String>,

    /// Use no proxy, whatever --proxy, LIVEDESK_PROXY, HTTPS_PROXY, HTTP_PROXY or ALL_PROXY
    /// say.
    #[arg(long)]
    pub(crate) no_proxy: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// Aligned columns for reading: id, name, email, phone, identifier.
    Table,
    /// One JSON array of contacts, as the API sends them.
    Json,
    /// One JSON contact a line.
    Jsonl,
    /// One contact a row, with a header of these columns: id, name, email, phone_number,
    /// identifier, blocked, availability_status, created_at, last_activity_at,
    /// company_name, city, country, thumbnail, contact_inboxes, additional_attributes,
    /// custom_attributes (times in ISO 8601, UTC; the last three as JSON).
    Csv,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
#[value(rename_all = "snake_case")]
pub(crate) enum Sort {
    Email,
    Name,
    PhoneNumber,
    LastActivityAt,
    CreatedAt,
    Company,
    City,
    Country,
}

impl From<Sort> for livedesk::SortField {
    fn from(sort: Sort) -> Self {
        use livedesk::SortField as F;
        match sort {
            Sort::Email => F::Email,
            Sort::Name => F::Name,
            Sort::PhoneNumber => F::PhoneNumber,
            Sort::LastActivityAt => F::LastActivityAt,
            Sort::CreatedAt => F::CreatedAt,
            Sort::Company => F::Company,
            Sort::City => F::City,
            Sort::Country => F::Country,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum Direction {
    Asc,
    Desc,
}

impl From<Direction> for livedesk::SortDirection {
    fn from(direction: Direction) -> Self {
        match direction {
            Direction::Asc => livedesk::SortDirection::Asc,
            Direction::Desc => livedesk::SortDirection::Desc,
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct SandboxArgs {
    /// The port on 127.0.0.1 (0: any free one).
    #[arg(long, default_value_t = 8025)]
    pub(crate) port: u16,

    /// How many contacts the data set holds.
    #[arg(long, default_value_t = 250, conflicts_with = "data")]
    pub(crate) contacts: usize,

    /// Serve these contacts instead of a generated data set: a JSON array of contacts as
    /// the API sends them, each with an optional "labels" array.
    #[arg(long, value_name = "FILE")]
    pub(crate) data: Option<std::path::PathBuf>,

    /// Ignore `direction`, as the upstream server does (only `sort=-field` descends); by
    /// default it is honoured, as LiveDesk documents it.
    #[arg(long)]
    pub(crate) ignore_direction: bool,

    /// Order contacts of equal sort keys differently for each page, as the upstream
    /// database may (no tie-breaker, a heap sort that is not stable); by default ties are
    /// in id order.
    #[arg(long)]
    pub(crate) unstable_ties: bool,

    /// Add bulk imports to the generated data set: in every thousand contacts, one of 100
    /// to 400 and one of 2 to 14 contacts sharing their creation second.
    #[arg(long, conflicts_with = "data")]
    pub(crate) bulk_imports: bool,

    /// The seed of the data set.
    #[arg(long, default_value_t = 1)]
    pub(crate) seed: u64,

    /// Searches allowed in each window (0: no limit).
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub(crate) rate_limit: u32,

    /// The window's length in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 60.0)]
    pub(crate) window: f64,

    /// Send `Retry-After` with each 429.
    #[arg(long)]
    pub(crate) retry_after: bool,

    /// Answer as the newest upstream versions: their shape (`has_more`, count of the page) and
    /// their search (labels ignored, contacts with a name only found, ids matched, company
    /// names not).
    #[arg(long)]
    pub(crate) has_more: bool,

    /// Refuse a request without a query (422), as a gateway that requires `q` would,
    /// instead of listing every contact.
    #[arg(long)]
    pub(crate) require_query: bool,

    /// Delay every answer by this many milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub(crate) latency_ms: u64,

    /// The share of requests (0 to 1) answered with a gateway's 502 page.
    #[arg(long, value_name = "SHARE", default_value_t = 0.0)]
    pub(crate) gateway_errors: f64,

    /// The share of answers (0 to 1) cut off halfway through the body.
    #[arg(long, value_name = "SHARE", default_value_t = 0.0)]
    pub(crate) cut_bodies: f64,
}

/// A time as RFC 3339 or unix seconds.
fn unix_time(text: &str) -> Result<i64, String> {
    if let Ok(seconds) = text.parse::<i64>() {
        return Ok(seconds);
    }
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map(|at| at.unix_timestamp())
        .map_err(|_| "not an RFC 3339 time (2024-05-01T00:00:00Z) nor unix seconds".to_owned())
}
