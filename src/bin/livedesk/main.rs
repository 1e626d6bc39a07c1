//! `livedesk`: search and export LiveDesk contacts from a terminal, or serve a sandbox.

mod args;
mod exit;
mod export;
mod notice;
mod output;
mod progress;
mod sandbox_data;
mod signals;

use std::{
    collections::HashSet,
    io::{self, BufWriter, IsTerminal, Write},
    path::{Path, PathBuf},
    process::ExitCode,
    time::Duration,
};

use clap::{
    CommandFactory, Parser,
    error::{ContextKind, ContextValue, ErrorKind},
};
use futures::StreamExt;
use livedesk::{Client, ClientBuilder, ConfigError, Credentials, Error, RetryPolicy, Sandbox};

use args::{Cli, Command, Contacts, Direction, Format, Network, SandboxArgs, SearchArgs, Sort};
use output::Writer;
use progress::Progress;
use signals::interruption;

/// The sandbox's key pair, printed for the user of `livedesk sandbox`.
const SANDBOX_KEY: &str = "sandbox-key";
const SANDBOX_SECRET: &str = "sandbox-secret";

/// Follows the library's own in the `User-Agent`.
const USER_AGENT_SUFFIX: &str = concat!("livedesk-cli/", env!("CARGO_PKG_VERSION"));

#[tokio::main]
async fn main() -> ExitCode {
    let cli = parse();
    let result = match cli.command {
        // Interrupted, the search is dropped, and with it the temporary file of an export.
        Command::Contacts(Contacts::Search(mut args)) => {
            // Read before Ctrl-C is listened for, so that it still stops a wait for input.
            match query_from_stdin(&mut args) {
                Ok(()) => {
                    let interrupted = interruption();
                    tokio::select! {
                        result = search(*args) => result,
                        () = interrupted => Err(Failure::Interrupted),
                    }
                }
                Err(failure) => Err(failure),
            }
        }
        Command::Sandbox(args) => sandbox(args).await,
        Command::Spec => print(include_str!("../../../openapi/livedesk.yaml").as_bytes()),
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "livedesk", &mut script);
            print(&script)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // `livedesk ... | head`: the reader has all it wanted.
        Err(Failure::Io(e)) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("livedesk: error: {}", chain(&failure));
            // A progress bar says nothing of --max-wait: the error says what would get further
            // (review 110).
            if let Failure::Api(error) = &failure
                && error.kind() == livedesk::ErrorKind::RateLimited
            {
                eprintln!(
                    "livedesk: still rate limited after --max-wait; a longer --max-wait waits \
                     longer (a little over an hour, 3700, for a limiter whose windows last an \
                     hour: it may ask for a whole window)"
                );
            }
            if let Failure::Interrupted = failure {
                // At once: the runtime's shutdown would wait for a DNS lookup in flight.
                std::process::exit(exit::INTERRUPTED.into());
            }
            failure.code()
        }
    }
}

/// The error and each of its causes, as anyhow's `{:#}` shows them: every error of the
/// library shows its cause or returns it as `source()`, never both, so none repeats.
fn chain(error: &dyn std::error::Error) -> String {
    let mut shown = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        shown.push_str(": ");
        shown.push_str(&cause.to_string());
        source = cause.source();
    }
    shown
}

/// The arguments, or clap's error; for the commands people guess at the top level
/// (`livedesk search ada`), the hint names the one under `contacts`, where clap's own
/// suggestion would be the nearest spelling (`spec`).
fn parse() -> Cli {
    Cli::try_parse().unwrap_or_else(|mut error| {
        if error.kind() == ErrorKind::InvalidSubcommand
            && let Some(ContextValue::String(name)) = error.get(ContextKind::InvalidSubcommand)
            && let Some(meant) = guessed(name)
        {
            error.insert(
                ContextKind::SuggestedSubcommand,
                ContextValue::String(meant.to_owned()),
            );
        } else if matches!(
            error.kind(),
            ErrorKind::InvalidSubcommand | ErrorKind::UnknownArgument
        ) && let Some(kind) = [ContextKind::InvalidSubcommand, ContextKind::InvalidArg]
            .into_iter()
            .find(|&kind| {
                matches!(error.get(kind), Some(ContextValue::String(word)) if !word.starts_with('-'))
            })
        {
            // A word clap did not expect (not a flag) is often a query typed in the wrong
            // place (`contacts EMAIL`, a name of two words unquoted): personal data, never
            // echoed, even where clap finds it near a command's name (`sarah`, `search`). Its
            // suggestion and usage stay.
            let mut hidden = clap::Error::new(error.kind()).with_cmd(&Cli::command());
            hidden.insert(kind, ContextValue::String(HIDDEN.to_owned()));
            for kept in [
                ContextKind::Usage,
                ContextKind::SuggestedSubcommand,
                ContextKind::SuggestedArg,
            ] {
                if let Some(value) = error.get(kept) {
                    hidden.insert(kept, value.clone());
                }
            }
            hidden.exit()
        } else if matches!(
            error.kind(),
            ErrorKind::InvalidValue | ErrorKind::ValueValidation | ErrorKind::TooManyValues
        ) && let Some(ContextValue::String(value)) = error.get(ContextKind::InvalidValue)
            && !value.is_empty()
            // A short number (`--headroom 100`) is no one's phone number (review 110).
            && !(value.len() <= 6 && value.bytes().all(|b| b.is_ascii_digit()))
        {
            // A value given to the wrong option (an email to `--sort`, a phone number to
            // `--page`: review 106) is personal data too; what the option takes stays.
            hidden_value(&error, value).exit()
        }
        error.exit()
    })
}

/// `error`, an option's value refused, with the value left out (also from why it was).
fn hidden_value(error: &clap::Error, value: &str) -> clap::Error {
    let mut hidden = clap::Error::new(error.kind()).with_cmd(&Cli::command());
    hidden.insert(
        ContextKind::InvalidValue,
        ContextValue::String(VALUE_HIDDEN.to_owned()),
    );
    for kept in [
        ContextKind::InvalidArg,
        ContextKind::ValidValue,
        ContextKind::SuggestedValue,
        ContextKind::Usage,
    ] {
        if let Some(kept_value) = error.get(kept) {
            hidden.insert(kept, kept_value.clone());
        }
    }
    let Some(ContextValue::String(arg)) = error.get(ContextKind::InvalidArg) else {
        return hidden;
    };
    let Some(why) = std::error::Error::source(error) else {
        return hidden;
    };
    // A parser's reason may quote the value, as given or as it read it (`+86…` as `86…`):
    // such words are left out, not a range's bounds (`-1 is not in 1..=16`).
    let read = value.trim().trim_start_matches('+');
    let number = read.parse::<i128>().ok();
    let why = why
        .to_string()
        .split(' ')
        .map(|word| {
            // The value as the parser read it, a number (`0086…` as `86…`: review 108), not
            // every number (the 3339 of "RFC 3339": review 109); a range's bounds hold `..`.
            let bare = word.trim_matches(['\'', '"']);
            if word == value
                || word == read
                || bare == read
                || number.is_some() && bare.parse::<i128>().ok() == number
            {
                VALUE_HIDDEN
            } else {
                word
            }
        })
        .collect::<Vec<_>>()
        .join(" ");
    clap::Error::raw(
        ErrorKind::ValueValidation,
        format!("invalid value {VALUE_HIDDEN} for '{arg}': {why}\n\nFor more information, try '--help'.\n"),
    )
    .with_cmd(&Cli::command())
}

/// Shown for an argument clap did not expect (quote a query of several words).
const HIDDEN: &str = "(not shown: it may be personal data; quote a query of several words)";

/// Shown for an option's value refused.
const VALUE_HIDDEN: &str = "(not shown: it may be personal data)";

/// The command a guessed top-level one stands for.
fn guessed(name: &str) -> Option<&'static str> {
    match name {
        "search" | "find" | "lookup" => Some("contacts search"),
        "list" | "ls" | "export" | "contact" => Some("contacts list"),
        _ => None,
    }
}

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error(transparent)]
    Api(#[from] Error),
    /// A request that did not complete through the proxy given: the error names the host,
    /// this the proxy (never its credentials, nor the query).
    #[error("through the proxy {proxy}")]
    Network {
        proxy: String,
        #[source]
        error: Error,
    },
    #[error(transparent)]
    Io(#[from] io::Error),
    #[error("{0}")]
    Usage(String),
    #[error("interrupted")]
    Interrupted,
}

impl Failure {
    fn code(&self) -> ExitCode {
        match self {
            Failure::Api(error) | Failure::Network { error, .. } => exit::code(error),
            Failure::Io(_) => ExitCode::from(exit::OTHER),
            Failure::Usage(_) => ExitCode::from(exit::USAGE),
            Failure::Interrupted => ExitCode::from(exit::INTERRUPTED),
        }
    }
}

fn print(bytes: &[u8]) -> Result<(), Failure> {
    let mut stdout = io::stdout().lock();
    stdout.write_all(bytes)?;
    Ok(stdout.flush()?)
}

/// The proxy given with --proxy (its host and port, without credentials), if requests go
/// through one.
fn proxy(args: &SearchArgs) -> Option<String> {
    let network = &args.target.network;
    if args.target.sandbox || network.no_proxy {
        return None;
    }
    let url = url::Url::parse(network.proxy.as_deref()?).ok()?;
    let host = url.host_str()?;
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    })
}

async fn search(args: SearchArgs) -> Result<(), Failure> {
    let proxy = proxy(&args);
    search_with(args)
        .await
        .map_err(|failure| match (failure, proxy) {
            (Failure::Api(error), Some(proxy)) if error.kind() == livedesk::ErrorKind::Network => {
                Failure::Network { proxy, error }
            }
            (other, _) => other,
        })
}

/// The network settings of the command line, applied to a client's builder.
fn network_settings(
    mut builder: ClientBuilder,
    network: &Network,
) -> Result<ClientBuilder, Failure> {
    if let Some(path) = &network.ca_cert {
        let pem = std::fs::read(path)
            .map_err(|e| Failure::Usage(format!("--ca-cert {}: {e}", path.display())))?;
        builder = builder.add_root_certificates(pem);
    }
    Ok(match (&network.proxy, network.no_proxy) {
        (_, true) => builder.no_proxy(),
        (Some(url), false) => builder.proxy(url),
        (None, false) => builder,
    })
}

/// A settings error names the option it came from.
fn built(builder: ClientBuilder, network: &Network) -> Result<Client, Failure> {
    builder.build().map_err(|error| match error {
        Error::Config(ConfigError::InvalidRootCertificate(_)) => Failure::Usage(format!(
            "--ca-cert {}: {error}",
            network
                .ca_cert
                .as_deref()
                .unwrap_or(Path::new(""))
                .display()
        )),
        Error::Config(ConfigError::InvalidProxy(_)) => {
            Failure::Usage(format!("--proxy (or LIVEDESK_PROXY): {error}"))
        }
        other => other.into(),
    })
}

async fn search_with(mut args: SearchArgs) -> Result<(), Failure> {
    let format = match (args.format, &args.output) {
        (Some(format), _) => format,
        (None, Some(path)) => format_of(path),
        (None, None) if io::stdout().is_terminal() => Format::Table,
        (None, None) => Format::Jsonl,
    };
    args.output = args.output.as_deref().map(output_path).transpose()?;
    refuse_output_read(&args)?;
    // The sandbox lives as long as the search.
    let (builder, _sandbox) = if args.target.sandbox {
        let builder = Sandbox::builder()
            .credentials(Credentials::new(SANDBOX_KEY, SANDBOX_SECRET)?)
            .ignore_direction(args.target.sandbox_ignore_direction);
        let sandbox = sandbox_data::with_data(
            builder,
            "--sandbox-data",
            args.target.sandbox_data.as_deref(),
        )
        .map_err(Failure::Usage)?
        .start()
        .await?;
        (sandbox.client(), Some(sandbox))
    } else {
        let builder = Client::builder(Credentials::from_env()?).base_url(&args.target.base_url);
        (network_settings(builder, &args.target.network)?, None)
    };
    let retry = RetryPolicy::default().throttle_deadline(Duration::from_secs(args.max_wait));
    let builder = builder
        .retry(retry)
        .timeout(Duration::from_secs(args.timeout))
        .headroom(f64::from(args.headroom) / 100.0)
        .user_agent_suffix(USER_AGENT_SUFFIX);
    let client = built(builder, &args.target.network)?;
    // Where no progress bar shows a throttle (it shows with --all, on a terminal, when the
    // contacts are not printed there), one line says a long one.
    let bar = args.all
        && io::stderr().is_terminal()
        && (args.output.is_some() || !io::stdout().is_terminal());
    let _notice = (!bar).then(|| notice::Notice::start(&client, args.max_wait));

    let mut search = search_for(&client, &args);
    // An export with a limit is short, and its limit does not carry over a resume.
    if let (true, Some(path)) = (
        args.all && oldest_first(&args) && args.limit.is_none(),
        &args.output,
    ) {
        return export_to_file(&client, &args, search, format, path).await;
    }
    if args.resume {
        return Err(Failure::Usage(
            "--resume continues an export sorted by created_at, oldest first (the default with \
             --all)"
                .into(),
        ));
    }
    let _lock = args
        .output
        .as_deref()
        .map(export::lock_output)
        .transpose()?;
    let (out, temp) = output(args.output.as_deref())?;
    let mut writer = Writer::new(format, !args.no_inboxes, out);
    // When a single page shows only some of the matches: how many match, if the server says.
    let mut more: Option<Option<i64>> = None;

    if args.all {
        let Walk { walk, seen, .. } = walk_for(search, &args)?;
        // On a terminal showing the contacts themselves, the rows are the progress.
        let progress = (!io::stdout().is_terminal() || args.output.is_some())
            .then(|| Progress::start(&client, args.limit))
            .flatten();
        let pages = walk.pages();
        futures::pin_mut!(pages);
        let mut said = false;
        while let Some(page) = pages.next().await {
            let mut page = page?;
            say_sort_form(&client, &mut said);
            page.payload.retain(|contact| !seen.contains(&contact.id));
            for contact in limited(&page.payload, writer.written(), args.limit) {
                writer.contact(contact)?;
            }
            // Each page reaches the reader as it comes.
            writer.flush()?;
            if let Some(progress) = &progress {
                progress.page(&page);
            }
        }
        if let Some(progress) = progress {
            progress.finish();
        }
    } else {
        if let Some(page) = args.page {
            search = search.page(page);
        }
        let page = search.send().await?;
        say_sort_form(&client, &mut false);
        for contact in limited(&page.payload, 0, args.limit) {
            writer.contact(contact)?;
        }
        more = match page.meta.has_more {
            Some(true) => Some(None),
            Some(false) => None,
            None => page
                .meta
                .count
                .filter(|&count| count > page.payload.len() as i64)
                .map(Some),
        };
    }

    let (out, written) = writer.finish()?;
    drop(out);
    if let Some(temp) = &temp {
        // On disk before the rename, so that a crash cannot leave a short file under the name.
        temp.as_file().sync_all()?;
    }
    // Said wherever the output goes: an export of one page must not pass for a whole one.
    match more {
        _ if written == 0 => say_none_found(&args),
        // Cut by `--limit`, which `--all` would not lift (review 106).
        Some(_) if args.limit.is_some_and(|limit| written >= limit) => {}
        Some(Some(count)) => {
            eprintln!("livedesk: {written} of {count} contacts; --all for every page")
        }
        Some(None) => {
            eprintln!("livedesk: {written} contacts, and more on later pages; --all for every page")
        }
        None => {}
    }
    if let (Some(temp), Some(path)) = (temp, &args.output) {
        export::forget_holds(path)?;
        temp.persist(path).map_err(|e| {
            io::Error::new(
                e.error.kind(),
                format!("cannot write {}: {}", path.display(), e.error),
            )
        })?;
        if io::stderr().is_terminal() {
            eprintln!("{written} contacts written to {}", path.display());
        }
    }
    Ok(())
}

/// Says that nothing was found, on standard error, which carries every message about the
/// contacts: the output stays a valid document of none (`[]`, a CSV header, no lines), and
/// a table, which has no such use, is left out rather than printed as a bare header.
fn say_none_found(args: &SearchArgs) {
    let what = match (args.page, args.since.is_empty()) {
        _ if args.limit == Some(0) => return,
        (Some(page), _) if page > 1 => format!("no contacts on page {page}"),
        (_, false) => "no new contacts since that export".to_owned(),
        _ => "no contacts matched".to_owned(),
    };
    eprintln!("livedesk: {what}");
}

/// Says once, on standard error, that the server was seen to ignore `direction` and that
/// descending sorts are asked as `sort=-FIELD` instead (the library's `INFO` trace, for a
/// command line that installs no tracing subscriber).
fn say_sort_form(client: &Client, said: &mut bool) {
    if !*said && client.sorts_descending_with_minus() {
        *said = true;
        eprintln!(
            "livedesk: the server ignores `direction`; descending sorts are asked as `sort=-FIELD`"
        );
    }
}

/// Whether the export is sorted by creation, oldest first (`--all`'s default): the order in
/// which it can be resumed and bounded by time.
fn oldest_first(args: &SearchArgs) -> bool {
    matches!(args.sort, None | Some(Sort::CreatedAt))
        && !matches!(args.direction, Some(Direction::Desc))
}

/// The walk `--all` makes: its settings, and its bounds by creation time. With `--since`,
/// the contacts of the overlap before the previous exports' last, which they already hold.
fn walk_for(search: livedesk::Search, args: &SearchArgs) -> Result<Walk, Failure> {
    let mut walk = search.paginate().concurrency(args.concurrency);
    let mut seen = HashSet::new();
    // What the export will hold: every contact after the `--since` files' last, or after
    // `--created-after` (for the `--since` of the next).
    let mut holds = args.created_after;
    let after = match since(&args.since, args.since_overlap)? {
        None => args.created_after,
        // From `--since-overlap` seconds before the previous exports' last contact: the
        // contacts they hold from then are skipped, those they lack are not missed (created
        // then, they became visible after they ran: an import stamped before it committed,
        // a server's clock behind, a visitor who gave an email).
        Some((path, ended)) => {
            let export::Ended {
                at: last,
                id,
                holds_after,
                recent,
            } = ended;
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            if last > now.saturating_add(SINCE_AHEAD) {
                return Err(Failure::Usage(format!(
                    "--since {}: its last contact (id {id}) was created at {last} (unix \
                     seconds), more than an hour past this machine's clock: a walk from \
                     there would skip every contact created until then; give \
                     --created-after TIME instead",
                    path.display(),
                )));
            }
            // No earlier than what the files hold together: before it lie contacts of files
            // not given, which would be written again.
            let from = last
                .checked_sub(i64::from(args.since_overlap))
                .map(|from| from.max(holds_after.saturating_add(1)));
            // Every contact after the files' last, or after what they hold if later (a file
            // of late contacts alone ends before what it holds from).
            holds = Some(last.max(holds_after));
            seen = recent
                .into_iter()
                .filter(|&(at, _)| from.is_none_or(|from| at >= from))
                .map(|(_, id)| id)
                .collect();
            Some(from.and_then(|from| from.checked_sub(1)).ok_or_else(|| {
                Failure::Usage(format!(
                    "--since {}: its last contact's creation time is out of range",
                    path.display()
                ))
            })?)
        }
    };
    if let Some(after) = after {
        walk = walk.created_after(after);
    }
    if let Some(before) = args.created_before {
        walk = walk.created_before(before);
    }
    // The contacts of the `--since` file's last second come again and are dropped: the walk
    // goes as many further, and the writing stops at the limit (`limited`; an export to a
    // file has no limit).
    if let Some(limit) = args.limit {
        walk = walk.limit(limit.saturating_add(seen.len()));
    }
    Ok(Walk {
        walk,
        seen,
        after,
        holds,
    })
}

/// A walk as the command line's arguments ask it.
struct Walk {
    walk: livedesk::Paginator,
    /// Contacts the `--since` files hold, skipped.
    seen: HashSet<i64>,
    /// The walk's start bound.
    after: Option<i64>,
    /// From when the export holds every contact (see `export::Ended::holds_after`).
    holds: Option<i64>,
}

/// Where the `--since` files' exports ended, together (the latest last contact, with the
/// file that holds it; the earliest first; the contacts of the overlap before the latest
/// in any of them), or `None` without `--since`.
fn since(paths: &[PathBuf], overlap: u32) -> Result<Option<(&PathBuf, export::Ended)>, Failure> {
    let mut files = Vec::new();
    for path in paths {
        if let Some(ended) = export::last_of(path, overlap)? {
            files.push((path, ended));
        }
    }
    // Latest first: each file holds every contact from its `holds_after` to its last, and
    // the files hold every contact together from the earliest such bound that the later
    // ones reach without a gap.
    files.sort_by_key(|(_, ended)| std::cmp::Reverse(ended.at));
    let mut files = files.into_iter();
    let together = files.next().map(|(latest, mut merged)| {
        for (_, ended) in files {
            if ended.at >= merged.holds_after {
                merged.holds_after = merged.holds_after.min(ended.holds_after);
            }
            merged.recent.extend(ended.recent);
        }
        (latest, merged)
    });
    match (together, paths.first()) {
        // Exports of no contacts (syncs on days with nothing new) say nothing of where they
        // ended: starting from the first contact would export everything again.
        (None, Some(path)) => Err(Failure::Usage(format!(
            "--since {}: it holds no contact with a creation time, so it says nothing of \
             where that export ended; give --created-after TIME (or the last export that \
             holds contacts)",
            path.display()
        ))),
        (together, _) => Ok(together),
    }
}

/// The contacts that still go out under `--limit`, past the `written` ones.
fn limited<'a>(
    contacts: impl IntoIterator<Item = &'a livedesk::Contact>,
    written: usize,
    limit: Option<usize>,
) -> impl Iterator<Item = &'a livedesk::Contact> {
    let left = limit.map_or(usize::MAX, |limit| limit.saturating_sub(written));
    contacts.into_iter().take(left)
}

/// How far past this machine's clock a `--since` file's last contact may be dated. Clocks
/// kept by NTP differ by far less; a contact dated later (an importer's clock, a local time
/// read as UTC) would start the walk past every contact created until then, silently.
const SINCE_AHEAD: i64 = 3600;

/// The file `--output` names, where an export can be put in its place (it is written beside
/// it and renamed over it): a link is followed, so that the file it points to is replaced and
/// the link stays; a directory, a named pipe, a device or a socket is refused before any
/// request (review 93: a pipe was replaced by a file, and its reader waited for ever).
fn output_path(path: &Path) -> Result<PathBuf, Failure> {
    refuse_directory(path)?;
    let usage = |what: &str| Failure::Usage(format!("--output {}: {what}", path.display()));
    let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    let path = if is_link {
        std::fs::canonicalize(path).map_err(|_| usage("is a link to no file; name a file"))?
    } else {
        path.to_path_buf()
    };
    match std::fs::metadata(&path) {
        Ok(metadata) if !metadata.is_file() => Err(usage(
            "is not a regular file (a pipe, a device or a socket): write to standard output \
             instead, and redirect it there",
        )),
        _ => Ok(path),
    }
}

/// An `--output` that is a file the command reads (`--since`, `--sandbox-data`) would be
/// replaced by what was read from it (review 106: a full export by the new contacts alone,
/// with exit 0): refused before any request, links and other spellings of it too.
fn refuse_output_read(args: &SearchArgs) -> Result<(), Failure> {
    let Some(output) = &args.output else {
        return Ok(());
    };
    let read = (args.since.iter().map(|path| ("--since", path))).chain(
        args.target
            .sandbox_data
            .iter()
            .map(|path| ("--sandbox-data", path)),
    );
    for (flag, path) in read {
        if same_file(output, path) {
            return Err(Failure::Usage(format!(
                "--output {}: it is the file {flag} {} reads; write the export to another file",
                output.display(),
                path.display()
            )));
        }
    }
    Ok(())
}

/// Whether two paths lead to one existing file.
fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (std::fs::metadata(a), std::fs::metadata(b)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        matches!((std::fs::canonicalize(a), std::fs::canonicalize(b)), (Ok(a), Ok(b)) if a == b)
    }
}

/// Refused before any request, not after a whole export that could not be put there.
fn refuse_directory(path: &Path) -> Result<(), Failure> {
    if path.is_dir()
        || path
            .as_os_str()
            .to_string_lossy()
            .ends_with(['/', std::path::MAIN_SEPARATOR])
    {
        return Err(Failure::Usage(format!(
            "--output {}: is a directory; name a file",
            path.display()
        )));
    }
    Ok(())
}

/// Which account an export asks: the sandbox (and its data file), or the base URL and the
/// API key (not secret: it names the key pair). Kept only as a fingerprint in the state.
fn account(args: &SearchArgs) -> String {
    if args.target.sandbox {
        let data = args.target.sandbox_data.as_deref().unwrap_or(Path::new(""));
        return format!("sandbox\u{0}{}", data.display());
    }
    let key = std::env::var("LIVEDESK_API_KEY").unwrap_or_default();
    format!("{}\u{0}{key}", args.target.base_url.trim_end_matches('/'))
}

/// `--all --output FILE`, oldest first: an export that survives interruptions (see
/// `export.rs`), continued with `--resume`.
async fn export_to_file(
    client: &Client,
    args: &SearchArgs,
    search: livedesk::Search,
    format: Format,
    path: &Path,
) -> Result<(), Failure> {
    refuse_directory(path)?;
    let Walk {
        walk,
        seen,
        after,
        holds,
    } = walk_for(search, args)?;
    let mut labels: Vec<String> = args
        .labels
        .iter()
        .map(|l| l.trim().to_lowercase())
        .collect();
    labels.sort();
    let settings = export::Settings {
        query: export::query_fingerprint(args.query.as_deref()),
        literal: args.literal,
        labels,
        format: format!("{format:?}"),
        inboxes: !args.no_inboxes,
        created_after: after,
        created_before: args.created_before,
        account: Some(export::query_fingerprint(Some(&account(args)))),
        skipped: Some(seen.len()),
    };
    let (mut export, mut writer) = export::Export::open(
        path,
        settings,
        walk.position(),
        args.resume,
        format,
        !args.no_inboxes,
    )?;
    // A position of another search or version: the state file and its field named.
    let walk = walk
        .resume(export.position().clone())
        .map_err(|error| match error {
            Error::InvalidArgument {
                argument: "position",
                reason,
                ..
            } => Failure::Usage(format!(
                "--resume: {}: its field position is refused: {reason}; delete it to start over",
                export.state_path().display()
            )),
            other => other.into(),
        })?;
    let progress = Progress::start(client, args.limit);
    let pages = walk.pages();
    futures::pin_mut!(pages);
    while let Some(page) = pages.next().await {
        let page = page.inspect_err(|error| {
            // A tie cut short is read the same way again: its message says what to do. Nor
            // is there anything to continue before a contact was written, nor the same command
            // to run again where the call must change (a search whose labels the server
            // ignores: review 116).
            if !export.is_empty()
                && !matches!(error, livedesk::Error::Walk(livedesk::WalkError::Tie { .. }))
                && error.kind() != livedesk::ErrorKind::Usage
            {
                eprintln!(
                    "livedesk: the export can continue where it stopped: the same command with --resume"
                );
            }
        })?;
        for contact in page.payload.iter().filter(|c| !seen.contains(&c.id)) {
            writer.contact(contact).map_err(|e| write_failed(path, e))?;
        }
        export
            .page(&mut writer, &page.payload)
            .map_err(|e| write_failed(path, e))?;
        if let Some(progress) = &progress {
            progress.page(&page);
        }
    }
    if let Some(progress) = progress {
        progress.finish();
    }
    let (out, written) = writer.finish()?;
    drop(out);
    export.complete(holds)?;
    if written == 0 {
        say_none_found(args);
    }
    if io::stderr().is_terminal() {
        eprintln!("{written} contacts written to {}", path.display());
    }
    Ok(())
}

/// An export that could not be written (a full disk, a file size limit): its progress up to
/// the last page written whole is kept, so the error names the file and says how to go on.
fn write_failed(path: &Path, error: io::Error) -> Failure {
    eprintln!("livedesk: the export can continue where it stopped: the same command with --resume");
    io::Error::new(
        error.kind(),
        format!("cannot write the export to {}: {error}", path.display()),
    )
    .into()
}

/// A query of `-` becomes the first line of standard input (prompted for on a terminal).
fn query_from_stdin(args: &mut SearchArgs) -> Result<(), Failure> {
    use std::io::{BufRead, Read};
    if args.query.as_deref() != Some("-") {
        return Ok(());
    }
    let stdin = io::stdin();
    if stdin.is_terminal() {
        eprint!("query: ");
    }
    let mut line = String::new();
    // The API takes 255 characters; a line with no end is not read without bound, nor
    // searched for by its first 64 KiB (review 106).
    const MOST: usize = 64 * 1024;
    stdin
        .lock()
        .take(MOST as u64)
        .read_line(&mut line)
        .map_err(|e| match e.kind() {
            io::ErrorKind::InvalidData => {
                Failure::Usage("the query on standard input is not UTF-8".into())
            }
            _ => Failure::Io(e),
        })?;
    if line.len() >= MOST && !line.ends_with('\n') {
        return Err(Failure::Usage(
            "the query on standard input is longer than 64 KiB".into(),
        ));
    }
    args.query = Some(line.trim_end_matches(['\r', '\n']).to_owned());
    Ok(())
}

/// The search the arguments describe.
fn search_for(client: &Client, args: &SearchArgs) -> livedesk::Search {
    let mut search = match &args.query {
        None => client.contacts(),
        Some(query) if args.literal => client.search_literal(query),
        Some(query) => client.search(query),
    };
    for label in &args.labels {
        search = search.label(label);
    }
    // A walk without a sort meets pages whose order changed in between; oldest first is
    // the order that holds still while contacts are added.
    let sort = match (args.sort, args.all) {
        (None, true) => Some((Sort::CreatedAt, args.direction.or(Some(Direction::Asc)))),
        (sort, _) => sort.map(|sort| (sort, args.direction)),
    };
    if let Some((sort, direction)) = sort {
        search = search.sort(livedesk::SortField::from(sort));
        if let Some(direction) = direction {
            search = search.direction(livedesk::SortDirection::from(direction));
        }
    }
    if args.no_inboxes {
        search = search.include_contact_inboxes(false);
    }
    search
}

/// Standard output, or for `--output` a temporary file beside the target, renamed into
/// place only once the export is complete: a failed export never leaves a file that looks
/// whole. (Dropped unpersisted, the temporary file is removed.)
fn output(
    path: Option<&Path>,
) -> Result<(Box<dyn Write>, Option<tempfile::NamedTempFile>), Failure> {
    let Some(path) = path else {
        return Ok((Box::new(BufWriter::new(io::stdout().lock())), None));
    };
    refuse_directory(path)?;
    let dir = path
        .parent()
        .filter(|dir| !dir.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let temp = tempfile::Builder::new()
        .prefix(".livedesk-")
        .suffix(".partial")
        .tempfile_in(dir)
        .map_err(|e| io::Error::new(e.kind(), format!("cannot write in {}: {e}", dir.display())))?;
    Ok((Box::new(BufWriter::new(temp.reopen()?)), Some(temp)))
}

/// The format a file's extension names, JSON lines otherwise.
fn format_of(path: &Path) -> Format {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("csv") => Format::Csv,
        Some("json") => Format::Json,
        Some("txt") => Format::Table,
        _ => Format::Jsonl,
    }
}

async fn sandbox(args: SandboxArgs) -> Result<(), Failure> {
    let mut builder = Sandbox::builder()
        .port(args.port)
        .contacts(args.contacts)
        .seed(args.seed)
        .credentials(Credentials::new(SANDBOX_KEY, SANDBOX_SECRET)?)
        .retry_after(args.retry_after)
        .has_more(args.has_more)
        .require_query(args.require_query)
        .latency(Duration::from_millis(args.latency_ms))
        .gateway_errors(args.gateway_errors)
        .cut_bodies(args.cut_bodies)
        .ignore_direction(args.ignore_direction)
        .unstable_ties(args.unstable_ties)
        .bulk_imports(args.bulk_imports);
    builder =
        sandbox_data::with_data(builder, "--data", args.data.as_deref()).map_err(Failure::Usage)?;
    builder = match args.rate_limit {
        0 => builder.no_rate_limit(),
        limit => {
            let window = Duration::try_from_secs_f64(args.window).map_err(|_| {
                Failure::Usage(format!("--window {}: not a number of seconds", args.window))
            })?;
            builder.rate_limit(limit, window)
        }
    };
    let sandbox = builder.start().await.map_err(|e| match &e {
        Error::SandboxStart(io) if io.kind() == io::ErrorKind::AddrInUse => {
            Failure::Usage(format!("{} (--port 0 takes a free one)", chain(&e)))
        }
        _ => Failure::Api(e),
    })?;
    let limit = match args.rate_limit {
        0 => "no rate limit".to_owned(),
        limit => format!("{limit} searches every {} s", args.window),
    };
    // It runs until any interruption an export stops at (review 106: SIGTERM killed it,
    // exit code 143), listened for before the banner, which tells a caller it may send one.
    let stopped = interruption();
    print(format!(
        "LiveDesk sandbox: {} contacts on {}, {limit}; Ctrl-C stops it.\n\
         export LIVEDESK_BASE_URL={} LIVEDESK_API_KEY={SANDBOX_KEY} LIVEDESK_API_SECRET={SANDBOX_SECRET}\n",
        sandbox.contacts(),
        sandbox.base_url(),
        sandbox.base_url(),
    ).as_bytes())?;
    stopped.await;
    Ok(())
}
