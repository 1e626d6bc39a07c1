//! An export to a file that survives interruptions: the contacts go to a partial file beside
//! the output, and after each page a state file records how far the partial file is
//! complete and where the walk stands. `--resume` continues from there; success renames the
//! partial file into place and removes the state.
//!
//! The state is never ahead of the data: a page is written and synced before the state that
//! counts it, and the state is replaced atomically (written beside, synced, renamed). After a
//! crash the partial file may hold more than the state counts; a resume cuts it back.

use std::{
    fs::{self, File, OpenOptions},
    io::{self, BufWriter, Write},
    path::{Path, PathBuf},
};

use livedesk::{Contact, Position};
use serde::{Deserialize, Serialize};

use crate::{Failure, args::Format, output::Writer};

/// The state file's format version.
const VERSION: u32 = 1;

/// What makes two exports the same export: a `--resume` must match all of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Settings {
    /// A fingerprint of the query (never the query: it is personal data).
    pub(crate) query: String,
    pub(crate) labels: Vec<String>,
    pub(crate) literal: bool,
    pub(crate) format: String,
    pub(crate) inboxes: bool,
    /// The walk's start bound: `--created-after`, or where the `--since` file ends.
    pub(crate) created_after: Option<i64>,
    pub(crate) created_before: Option<i64>,
    /// A fingerprint of the account asked: the base URL and the API key (or the sandbox and
    /// its data file). Absent from the states of earlier versions, which match any.
    #[serde(default)]
    pub(crate) account: Option<String>,
    /// How many contacts the `--since` file held from where the walk starts, left out of
    /// the export (none for `--created-after`). Absent from earlier states, which match any.
    #[serde(default)]
    pub(crate) skipped: Option<usize>,
}

impl Settings {
    /// The first setting that differs from `other`'s, in words, for the refusal.
    fn differs(&self, other: &Settings) -> Option<&'static str> {
        [
            (self.query != other.query, "the query"),
            (self.literal != other.literal, "--literal"),
            (self.labels != other.labels, "--label"),
            (self.format != other.format, "the format"),
            (self.inboxes != other.inboxes, "--no-inboxes"),
            (
                self.created_after != other.created_after,
                "--created-after (or where the --since file ends)",
            ),
            (
                self.created_before != other.created_before,
                "--created-before",
            ),
            (
                self.account.is_some() && other.account.is_some() && self.account != other.account,
                "the account (--base-url, LIVEDESK_API_KEY or --sandbox)",
            ),
            (
                self.skipped.is_some() && other.skipped.is_some() && self.skipped != other.skipped,
                "--since (or --created-after in its place)",
            ),
        ]
        .into_iter()
        .find_map(|(differs, what)| differs.then_some(what))
    }
}

/// FNV-1a of the query: tells queries apart without keeping one. It is no secret: a short
/// query (a phone number) can be found again from it by trying them all. It sits beside the
/// partial export, with the same owner-only mode, and that file holds the contacts that match
/// the query, the query's own data among them.
pub(crate) fn query_fingerprint(query: Option<&str>) -> String {
    let Some(query) = query else {
        return "none".to_owned();
    };
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in query.bytes() {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

#[derive(Debug, Serialize, Deserialize)]
struct State {
    version: u32,
    settings: Settings,
    position: Position,
    /// Bytes of the partial file that are complete.
    bytes: u64,
    /// Contacts those bytes hold.
    written: usize,
}

/// An export under way.
pub(crate) struct Export {
    path: PathBuf,
    partial: PathBuf,
    state_path: PathBuf,
    /// The partial file, for syncing (the writer holds another handle to it).
    file: File,
    state: State,
    /// Held while the export runs, so that a second one of the same file is refused.
    _lock: Lock,
}

/// The partial, state and lock files beside `path`: hidden, named after it.
fn companions(path: &Path) -> (PathBuf, PathBuf, PathBuf) {
    (
        beside(path, "partial"),
        beside(path, "state"),
        beside(path, "lock"),
    )
}

/// The companion `suffix` beside `path`: hidden, named after it.
fn beside(path: &Path, suffix: &str) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.livedesk-{suffix}"))
}

/// The lock of an export of a file, taken before its files are read or written: two exports
/// of one file at once would write into one partial file, or one replace the other's output.
/// The system lets it go however the process ends; its file goes when it is dropped, unless
/// `keep` (one a killed export left, kept where this run is refused before it begins, so
/// that a refusal changes nothing).
struct Lock {
    _file: File,
    path: PathBuf,
    keep: bool,
}

/// The lock of a file written whole, not resumably (`--limit`, other sorts), so that it is
/// not written beside a resumable export of it (review 106: one replaced the other's).
pub(crate) fn lock_output(path: &Path) -> Result<impl Drop, Failure> {
    let mut lock = Lock::take(path, beside(path, "lock"))?;
    lock.keep = false;
    Ok(lock)
}

impl Lock {
    fn take(output: &Path, path: PathBuf) -> Result<Lock, Failure> {
        loop {
            let keep = path.exists();
            // A folder that is missing or not writable is a bad argument, refused before any
            // request.
            let file = create_private(&path, false).map_err(|e| match e.kind() {
                io::ErrorKind::NotFound | io::ErrorKind::PermissionDenied => {
                    Failure::Usage(format!("--output {}: {e}", output.display()))
                }
                _ => e.into(),
            })?;
            // Else the export that held it removed it between our open and our lock: the
            // lock taken is on a file no name leads to, which the next export would not see.
            // Open the name again.
            if Self::lock(output, &path, &file)? {
                return Ok(Lock {
                    _file: file,
                    path,
                    keep,
                });
            }
        }
    }

    /// Locks `file`, opened at `path`: whether `path` still names it.
    fn lock(output: &Path, path: &Path, file: &File) -> Result<bool, Failure> {
        match file.try_lock() {
            Ok(()) => Ok(is_named(path, file)),
            Err(fs::TryLockError::WouldBlock) => Err(Failure::Usage(format!(
                "another export of {} is running (it holds {}); wait for it to end",
                output.display(),
                path.display()
            ))),
            Err(fs::TryLockError::Error(e)) => {
                Err(io::Error::new(e.kind(), format!("cannot lock {}: {e}", path.display())).into())
            }
        }
    }
}

/// Whether `path` names `file` (the same file on the same device).
#[cfg(unix)]
fn is_named(path: &Path, file: &File) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (fs::metadata(path), file.metadata()) {
        (Ok(named), Ok(open)) => named.dev() == open.dev() && named.ino() == open.ino(),
        _ => false,
    }
}

/// Elsewhere a file open cannot be removed: the name still leads to it.
#[cfg(not(unix))]
fn is_named(_path: &Path, _file: &File) -> bool {
    true
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Removed while still held: the file handle goes after this.
        if !self.keep {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Owner-only, as the output holds personal data.
fn create_private(path: &Path, truncate: bool) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options
        .read(true)
        .write(true)
        .create(true)
        .truncate(truncate);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .map_err(|e| io::Error::new(e.kind(), format!("cannot write {}: {e}", path.display())))
}

impl Export {
    /// The file that keeps this export's progress.
    pub(crate) fn state_path(&self) -> &Path {
        &self.state_path
    }

    /// Starts the export to `path`, or with `resume` continues the one interrupted there.
    /// Returns the writer positioned at the end of what is complete.
    pub(crate) fn open(
        path: &Path,
        settings: Settings,
        start: Position,
        resume: bool,
        format: Format,
        inboxes: bool,
    ) -> Result<(Export, Writer<BufWriter<File>>), Failure> {
        let (partial, state_path, lock_path) = companions(path);
        let mut lock = Lock::take(path, lock_path)?;
        let saved = match fs::read(&state_path) {
            Ok(bytes) => {
                let mut de = serde_json::Deserializer::from_slice(&bytes);
                Some(
                    serde_path_to_error::deserialize::<_, State>(&mut de).map_err(|e| {
                        // The field, not its value (serde's message quotes it).
                        let field = e.path().to_string();
                        let what = match (e.inner().is_data(), field.as_str()) {
                            (true, "." | "?") => "fields missing".to_owned(),
                            (true, _) => format!("field {field} is not what livedesk writes"),
                            (false, _) => "not JSON".to_owned(),
                        };
                        Failure::Usage(format!(
                            "{}: not a livedesk export state ({what}); delete it to start over",
                            state_path.display()
                        ))
                    })?,
                )
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(e.into()),
        };
        // One that failed before it wrote anything (refused credentials, no network: review
        // 106) kept nothing to continue: the same command starts it again from its start,
        // without --resume too (a position past the start with nothing written before it is
        // no export's: an edit's, which lost what lies between).
        let holds_nothing = |saved: &State| saved.written == 0 && saved.bytes == 0;
        let fresh = |settings| State {
            version: VERSION,
            settings,
            position: start.clone(),
            bytes: 0,
            written: 0,
        };
        let state = match (saved, resume) {
            (Some(saved), false) if holds_nothing(&saved) => fresh(settings),
            (Some(_), false) => {
                return Err(Failure::Usage(format!(
                    "an interrupted export of {} is kept in {}: add --resume to continue it, \
                     or delete it to start over",
                    path.display(),
                    state_path.display()
                )));
            }
            (None, true) => {
                return Err(Failure::Usage(format!(
                    "--resume: no interrupted export of {} to continue ({} does not exist)",
                    path.display(),
                    state_path.display()
                )));
            }
            (Some(saved), true) => {
                if saved.version != VERSION {
                    return Err(Failure::Usage(format!(
                        "--resume: {} is of version {} of the state format, not {VERSION}",
                        state_path.display(),
                        saved.version
                    )));
                }
                if let Some(what) = saved.settings.differs(&settings) {
                    return Err(Failure::Usage(format!(
                        "--resume: {what} differs from the interrupted export's; run it as it \
                         was, or delete {} to start over",
                        state_path.display()
                    )));
                }
                if holds_nothing(&saved) {
                    fresh(settings)
                } else {
                    saved
                }
            }
            (None, false) => fresh(settings),
        };
        let file = if resume {
            // The partial file must hold at least what the state counts; never made up.
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .open(&partial)
                .ok()
                .filter(|file| file.metadata().is_ok_and(|m| m.len() >= state.bytes));
            let file = file.ok_or_else(|| {
                Failure::Usage(format!(
                    "--resume: {} is missing or shorter than {} says; delete both to start over",
                    partial.display(),
                    state_path.display()
                ))
            })?;
            // Nor a state that disagrees with its data (edited, or beside another file): the
            // bytes it counts must hold as many whole contacts as it says.
            // Bytes without a contact (a header alone) would be written again after them.
            let held = whole_records(&file, state.bytes, format)?
                .filter(|&held| (held == 0) == (state.bytes == 0));
            if held != Some(state.written) {
                return Err(Failure::Usage(format!(
                    "--resume: {} says {} contacts in {} bytes of {}, which hold {}; delete \
                     both to start over",
                    state_path.display(),
                    state.written,
                    state.bytes,
                    partial.display(),
                    held.map_or("no whole number of contacts".to_owned(), |n| n.to_string())
                )));
            }
            // Contacts written with no position to go on from (they had no creation time):
            // the walk would start over, and write them again.
            if state.written > 0 && state.position.created_at().is_none() {
                return Err(Failure::Usage(format!(
                    "--resume: {} counts {} contacts written but no creation time to go on \
                     from (the server sent them without one); delete it and {} to start over",
                    state_path.display(),
                    state.written,
                    partial.display()
                )));
            }
            file
        } else {
            create_private(&partial, true)?
        };
        // What a crash left past the last state is cut off: it is written again.
        file.set_len(state.bytes)?;
        let mut append = file.try_clone()?;
        io::Seek::seek(&mut append, io::SeekFrom::End(0))?;
        let writer = Writer::resumed(format, inboxes, BufWriter::new(append), state.written);
        // Begun: an export that ends, finished or not, leaves no lock file beside its output
        // (one killed does, and the next takes it over).
        lock.keep = false;
        let export = Export {
            path: path.to_owned(),
            partial,
            state_path,
            file,
            state,
            _lock: lock,
        };
        if !resume {
            export.save()?;
        }
        Ok((export, writer))
    }

    /// Whether it has written nothing yet: nothing a `--resume` would keep.
    pub(crate) fn is_empty(&self) -> bool {
        self.state.written == 0 && self.state.bytes == 0
    }

    /// Where the walk stands: what to resume it from.
    pub(crate) fn position(&self) -> &Position {
        &self.state.position
    }

    /// After `contacts` (a page) went to `writer`: the data is flushed and synced, then the
    /// state that counts it is saved.
    pub(crate) fn page(
        &mut self,
        writer: &mut Writer<BufWriter<File>>,
        contacts: &[Contact],
    ) -> io::Result<()> {
        writer.flush()?;
        self.file.sync_data()?;
        for contact in contacts {
            self.state.position.advance(contact);
        }
        self.state.bytes = self.file.metadata()?.len();
        self.state.written = writer.written();
        self.save()
    }

    /// Writes the state beside its file, syncs it, and renames it into place.
    fn save(&self) -> io::Result<()> {
        let next = self.state_path.with_extension("next");
        let mut file = create_private(&next, true)?;
        file.write_all(&serde_json::to_vec(&self.state).map_err(io::Error::other)?)?;
        file.sync_all()?;
        fs::rename(&next, &self.state_path)?;
        // The state's new name, and at the first save the partial file's, survive a power cut.
        sync_dir(&self.state_path)
    }

    /// The export completed: the state goes, then the partial file (synced) becomes the
    /// output. In that order, a crash between the two leaves a partial file and no state,
    /// which the next export simply overwrites; never a state whose partial file is gone.
    pub(crate) fn complete(self, holds_after: Option<i64>) -> io::Result<()> {
        self.file.sync_all()?;
        // The old output's companion goes before the output changes; a crash before the new
        // one is written leaves none, and the next sync reads the file alone.
        forget_holds(&self.path)?;
        fs::remove_file(&self.state_path)?;
        fs::rename(&self.partial, &self.path).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot write {}: {e}", self.path.display()),
            )
        })?;
        sync_dir(&self.path)?;
        // What the output holds, for the next `--since` (a full export needs none: it holds
        // everything up to its last contact), with what tells this file from another.
        let of = read_last(&self.path, 0)
            .ok()
            .and_then(|last| last.summary());
        if let Some((after, of)) = holds_after.zip(of) {
            let companion = holds_path(&self.path);
            let next = companion.with_extension("next");
            let mut file = create_private(&next, true)?;
            let holds = Holds { after, of };
            file.write_all(&serde_json::to_vec(&holds).map_err(io::Error::other)?)?;
            file.sync_all()?;
            fs::rename(&next, &companion)?;
            sync_dir(&companion)?;
        }
        Ok(())
    }
}

/// How many whole contacts the first `bytes` of an export's partial file hold, read as the
/// export writes `format`, one at a time; `None` where they do not end on a contact's end.
fn whole_records(file: &File, bytes: u64, format: Format) -> io::Result<Option<usize>> {
    // The header or bracket comes with the first contact: no bytes, no contact.
    if bytes == 0 {
        return Ok(Some(0));
    }
    let prefix = || -> io::Result<_> {
        let mut file = file.try_clone()?;
        io::Seek::seek(&mut file, io::SeekFrom::Start(0))?;
        Ok(io::BufReader::new(io::Read::take(file, bytes)))
    };
    // Every format but JSON ends each contact with a newline.
    let (mut newlines, mut last) = (0, 0);
    if format != Format::Json {
        let mut reader = prefix()?;
        loop {
            let chunk = io::BufRead::fill_buf(&mut reader)?;
            let Some(&end) = chunk.last() else { break };
            newlines += chunk.iter().filter(|&&b| b == b'\n').count();
            last = end;
            let n = chunk.len();
            io::BufRead::consume(&mut reader, n);
        }
        if last != b'\n' {
            return Ok(None);
        }
    }
    Ok(match format {
        // A line a contact, each one JSON (review 106: one overwritten inside was kept).
        Format::Jsonl => {
            for line in io::BufRead::split(prefix()?, b'\n') {
                if serde_json::from_slice::<serde::de::IgnoredAny>(&line?).is_err() {
                    return Ok(None);
                }
            }
            Some(newlines)
        }
        // Its header line, then a line a contact.
        Format::Table => newlines.checked_sub(1),
        Format::Csv => {
            // A row may hold newlines in quotes: counted as CSV, where a row cut short (as
            // wide as no other) is an error.
            let mut csv = csv::Reader::from_reader(prefix()?);
            let mut record = csv::ByteRecord::new();
            let mut rows = 0;
            loop {
                match csv.read_byte_record(&mut record) {
                    Ok(true) => rows += 1,
                    Ok(false) => break Some(rows),
                    Err(e) if e.is_io_error() => return Err(io::Error::other(e)),
                    Err(_) => break None,
                }
            }
        }
        Format::Json => {
            // `[` and the contacts so far, `,`-separated: closed, an array of that many.
            let closed = io::Read::chain(prefix()?, &b"\n]"[..]);
            let mut de = serde_json::Deserializer::from_reader(closed);
            serde::de::Deserializer::deserialize_seq(&mut de, Count)
                .ok()
                .filter(|_| de.end().is_ok())
        }
    })
}

/// Counts a JSON array's elements without keeping them.
struct Count;

impl<'de> serde::de::Visitor<'de> for Count {
    type Value = usize;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON array")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<usize, A::Error> {
        let mut n = 0;
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {
            n += 1;
        }
        Ok(n)
    }
}

/// Syncs the directory that holds `path`: a file's own sync does not make its name (a
/// creation, a rename) survive a power cut. Unix only: elsewhere a directory cannot be
/// opened to be synced.
fn sync_dir(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        let dir = path
            .parent()
            .filter(|dir| !dir.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        File::open(dir)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Where a previous export ended, read from the file (CSV, JSON or JSON lines, by its
/// extension) one contact at a time.
pub(crate) struct Ended {
    /// The latest creation time it holds.
    pub(crate) at: i64,
    /// A contact created then.
    pub(crate) id: i64,
    /// The file holds every contact created after this (unix seconds) up to `at`, as its
    /// export saw them: what its `.livedesk-holds` companion says (a `--since` sync or a
    /// `--created-after` export), or, without one that matches the file, the second before
    /// its first contact (a sync's file holds what was new, and late contacts: no further).
    pub(crate) holds_after: i64,
    /// Its contacts created at most `overlap` seconds before `at` (creation time, id).
    pub(crate) recent: Vec<(i64, i64)>,
}

/// Where the export in `path` ended ([`Ended`], keeping the contacts of its last `overlap`
/// seconds), or nothing if it holds no contact with a creation time.
pub(crate) fn last_of(path: &Path, overlap: u32) -> Result<Option<Ended>, Failure> {
    let last = read_last(path, overlap)?;
    let holds = holds(path)?;
    Ok(last.at.map(|at| Ended {
        at,
        id: last.id,
        holds_after: match holds {
            // Left beside an output another export replaced (one to standard output,
            // redirected there), it says nothing of this one.
            Some(holds) if Some(holds.of) == last.summary() => holds.after,
            _ => last.first.unwrap_or(at).saturating_sub(1),
        },
        recent: last.recent,
    }))
}

/// The export in `path` read one contact at a time, keeping its last `overlap` seconds.
fn read_last(path: &Path, overlap: u32) -> Result<Last, Failure> {
    let bad = |what: String| Failure::Usage(format!("--since {}: {what}", path.display()));
    // A file that cannot be read is a bad argument, refused before any request; so is what
    // is no regular file (review 106: a folder; a named pipe, whose opening waited for ever
    // for a writer, and one read before its writer came would pass for an empty export;
    // `<(zcat …)`, which names no format and has no companion beside it: reviews 108, 109).
    let cannot = |e: io::Error| bad(format!("cannot read it: {e}"));
    if !fs::metadata(path).map_err(cannot)?.is_file() {
        return Err(bad(
            "not a file: give the export's own file (decompressed), beside which its \
             companion says what it holds"
                .to_owned(),
        ));
    }
    let file = File::open(path).map_err(cannot)?;
    let reader = io::BufReader::new(file);
    let mut last = Last {
        overlap: i64::from(overlap),
        ..Last::default()
    };
    match crate::format_of(path) {
        Format::Csv => {
            let mut csv = csv::Reader::from_reader(reader);
            let headers = csv.headers().map_err(|e| bad(e.to_string()))?.clone();
            let column = |name: &str| {
                headers
                    .iter()
                    .position(|h| h == name)
                    .ok_or_else(|| bad(format!("no {name} column")))
            };
            let (id, created_at) = (column("id")?, column("created_at")?);
            for (n, row) in csv.records().enumerate() {
                let row = row.map_err(|e| bad(format!("record {}: {e}", n + 1)))?;
                let field = |i: usize, name: &str| {
                    row.get(i)
                        .ok_or_else(|| bad(format!("record {}: no field {name}", n + 1)))
                };
                let id = field(id, "id")?
                    .parse()
                    .map_err(|_| bad(format!("record {}: field id is not a number", n + 1)))?;
                let at = field(created_at, "created_at")?;
                if at.is_empty() {
                    continue;
                }
                let at =
                    time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
                        .map_err(|_| {
                            bad(format!("record {}: field created_at is not a time", n + 1))
                        })?;
                last.see(id, at.unix_timestamp());
            }
        }
        Format::Jsonl => {
            for (n, line) in io::BufRead::lines(reader).enumerate() {
                let line = line.map_err(|e| match e.kind() {
                    io::ErrorKind::InvalidData => bad(format!("line {}: not UTF-8", n + 1)),
                    _ => io::Error::new(
                        e.kind(),
                        format!("cannot read {}: line {}: {e}", path.display(), n + 1),
                    )
                    .into(),
                })?;
                let mut de = serde_json::Deserializer::from_str(&line);
                let contact: Placed = serde_path_to_error::deserialize(&mut de)
                    .map_err(|e| bad(format!("line {}: {}", n + 1, record_error(e))))?;
                last.see_placed(contact);
            }
        }
        Format::Json => {
            let mut de = serde_json::Deserializer::from_reader(reader);
            let mut track = serde_path_to_error::Track::new();
            let tracked = serde_path_to_error::Deserializer::new(&mut de, &mut track);
            serde::de::Deserializer::deserialize_seq(tracked, &mut last).map_err(|e| {
                let e = serde_path_to_error::Error::new(track.path(), e);
                bad(record_error(e))
            })?;
            // One array: what follows it (another appended) would be read as nothing.
            de.end()
                .map_err(|_| bad("more follows its array: one export a file".to_owned()))?;
        }
        Format::Table => return Err(bad("a table is no export to start from".to_owned())),
    }
    Ok(last)
}

/// The companion beside an export's output that says from when it holds every contact.
fn holds_path(path: &Path) -> PathBuf {
    beside(path, "holds")
}

/// Removes the `.livedesk-holds` companion of `path`, whose output an export that does not
/// hold every contact after a time (a page, a limit, another order) replaces.
pub(crate) fn forget_holds(path: &Path) -> io::Result<()> {
    match fs::remove_file(holds_path(path)) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// What an export's `.livedesk-holds` companion says: the export `of` holds every contact
/// created after `after` (unix seconds), up to its last.
#[derive(Serialize, Deserialize)]
struct Holds {
    after: i64,
    of: Summary,
}

/// What tells an export's file from another: its first and last creation times and how
/// many contacts it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Summary {
    first: i64,
    last: i64,
    contacts: u64,
}

/// What the companion of the export in `path` says, if it has one (beside the file a link
/// leads to: where the export wrote it).
fn holds(path: &Path) -> Result<Option<Holds>, Failure> {
    let companion = holds_path(&fs::canonicalize(path).unwrap_or_else(|_| path.to_owned()));
    match fs::read(&companion) {
        Ok(bytes) => serde_json::from_slice::<Holds>(&bytes)
            .map(Some)
            .map_err(|_| {
                Failure::Usage(format!(
                    "--since {}: {} is not what livedesk writes; delete it, and the file is \
                     read alone",
                    path.display(),
                    companion.display()
                ))
            }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io::Error::new(
            e.kind(),
            format!("cannot read {}: {e}", companion.display()),
        )
        .into()),
    }
}

/// Why a record of a JSON export could not be read, naming the record and the field but not
/// the value (serde's message quotes it, and it may be an email).
fn record_error(error: serde_path_to_error::Error<serde_json::Error>) -> String {
    let path = error.path().to_string();
    let inner = error.into_inner();
    // `[3].id`: the fourth record's `id`; `id`: the line's own.
    let (record, field) = match path.strip_prefix('[').and_then(|p| p.split_once(']')) {
        Some((index, field)) => (
            index
                .parse::<usize>()
                .ok()
                .map(|i| format!("record {}: ", i + 1)),
            field.trim_start_matches('.'),
        ),
        None => (None, path.as_str()),
    };
    let record = record.unwrap_or_default();
    if inner.is_io() {
        return format!("{record}cannot be read: {inner}");
    }
    if !inner.is_data() || matches!(field, "" | "." | "?") {
        return format!("{record}not a contact as an export writes one");
    }
    let expected = match field {
        "id" => "a whole number",
        "created_at" => "a time in unix seconds",
        _ => "what an export writes",
    };
    format!("{record}field {field} is not {expected}")
}

/// What `--since` needs of a contact in a JSON export.
#[derive(Deserialize)]
struct Placed {
    id: i64,
    created_at: Option<i64>,
}

/// The latest creation time seen, a contact created then, the earliest, and the contacts
/// created at most `overlap` seconds before the latest (creation time, id).
#[derive(Default)]
struct Last {
    overlap: i64,
    at: Option<i64>,
    id: i64,
    first: Option<i64>,
    contacts: u64,
    recent: Vec<(i64, i64)>,
}

impl Last {
    /// What tells the file read from another, if it holds a contact.
    fn summary(&self) -> Option<Summary> {
        Some(Summary {
            first: self.first?,
            last: self.at?,
            contacts: self.contacts,
        })
    }

    fn see(&mut self, id: i64, at: i64) {
        self.contacts += 1;
        self.first = Some(self.first.map_or(at, |first| first.min(at)));
        if self.at.is_none_or(|last| at > last) {
            self.at = Some(at);
            self.id = id;
            let from = at.saturating_sub(self.overlap);
            self.recent.retain(|&(seen, _)| seen >= from);
        }
        let last = self.at.unwrap_or(at);
        if at >= last.saturating_sub(self.overlap) {
            self.recent.push((at, id));
        }
    }

    fn see_placed(&mut self, contact: Placed) {
        if let Some(at) = contact.created_at {
            self.see(contact.id, at);
        }
    }
}

/// A JSON array of contacts, read element by element.
impl<'de> serde::de::Visitor<'de> for &mut Last {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON array of contacts")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(contact) = seq.next_element::<Placed>()? {
            self.see_placed(contact);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Review 98: an export that ends removes its lock file before its lock goes. Another
    /// that opened the file just before then locks a file no name leads to; a third would
    /// create and lock a new one, and both would write the same output. A lock is taken only
    /// on the file its name still leads to.
    #[test]
    fn a_lock_is_taken_only_on_the_file_its_name_leads_to() {
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("everyone.csv");
        let path = dir.path().join(".everyone.csv.livedesk-lock");
        let file = create_private(&path, false).unwrap();
        fs::remove_file(&path).unwrap();
        assert!(!Lock::lock(&output, &path, &file).unwrap(), "removed");
        drop(file);

        let file = create_private(&path, false).unwrap();
        fs::rename(&path, dir.path().join("elsewhere")).unwrap();
        fs::write(&path, b"").unwrap();
        assert!(!Lock::lock(&output, &path, &file).unwrap(), "replaced");
        drop(file);

        let file = create_private(&path, false).unwrap();
        assert!(Lock::lock(&output, &path, &file).unwrap(), "named");
        let other = create_private(&path, false).unwrap();
        assert!(matches!(
            Lock::lock(&output, &path, &other),
            Err(Failure::Usage(_))
        ));

        // `take` opens the name again and locks the file there, which another sees.
        drop((file, other));
        let lock = Lock::take(&output, path.clone()).unwrap();
        let other = create_private(&path, false).unwrap();
        assert!(matches!(
            Lock::lock(&output, &path, &other),
            Err(Failure::Usage(_))
        ));
        drop(lock);
    }
}
