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
    pub(crate) format: String,
    pub(crate) inboxes: bool,
    pub(crate) created_after: Option<i64>,
    pub(crate) created_before: Option<i64>,
}

impl Settings {
    /// The first setting that differs from `other`'s, in words, for the refusal.
    fn differs(&self, other: &Settings) -> Option<&'static str> {
        [
            (self.query != other.query, "the query"),
            (self.labels != other.labels, "the labels"),
            (self.format != other.format, "the format"),
            (self.inboxes != other.inboxes, "--no-inboxes"),
            (self.created_after != other.created_after, "--created-after"),
            (
                self.created_before != other.created_before,
                "--created-before",
            ),
        ]
        .into_iter()
        .find_map(|(differs, what)| differs.then_some(what))
    }
}

/// FNV-1a of the query: tells queries apart without keeping one.
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
}

/// The partial and state files beside `path`: hidden, named after it.
fn companions(path: &Path) -> (PathBuf, PathBuf) {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let beside = |suffix: &str| path.with_file_name(format!(".{name}.livedesk-{suffix}"));
    (beside("partial"), beside("state"))
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
        let (partial, state_path) = companions(path);
        let saved = match fs::read(&state_path) {
            Ok(bytes) => Some(serde_json::from_slice::<State>(&bytes).map_err(|e| {
                Failure::Usage(format!(
                    "{}: not a livedesk export state ({e}); delete it to start over",
                    state_path.display()
                ))
            })?),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(e.into()),
        };
        let state = match (saved, resume) {
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
                saved
            }
            (None, false) => State {
                version: VERSION,
                settings,
                position: start,
                bytes: 0,
                written: 0,
            },
        };
        let file = create_private(&partial, !resume)?;
        // What a crash left past the last state is cut off: it is written again.
        file.set_len(state.bytes)?;
        let mut append = file.try_clone()?;
        io::Seek::seek(&mut append, io::SeekFrom::End(0))?;
        let writer = Writer::resumed(format, inboxes, BufWriter::new(append), state.written);
        let export = Export {
            path: path.to_owned(),
            partial,
            state_path,
            file,
            state,
        };
        if !resume {
            export.save()?;
        }
        Ok((export, writer))
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
        fs::rename(&next, &self.state_path)
    }

    /// The export completed: the partial file (ended and synced by the caller) becomes the
    /// output, and the state goes.
    pub(crate) fn complete(self) -> io::Result<()> {
        self.file.sync_all()?;
        fs::rename(&self.partial, &self.path).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot write {}: {e}", self.path.display()),
            )
        })?;
        fs::remove_file(&self.state_path)
    }
}

/// Where a previous export ended: the latest creation time it holds and the ids of its
/// contacts created then, read from the file (CSV, JSON or JSON lines, by its extension).
pub(crate) fn last_of(path: &Path) -> Result<Option<(i64, Vec<i64>)>, Failure> {
    let text = fs::read_to_string(path)
        .map_err(|e| io::Error::new(e.kind(), format!("cannot read {}: {e}", path.display())))?;
    let bad = |what: String| Failure::Usage(format!("--since {}: {what}", path.display()));
    let mut contacts: Vec<(i64, i64)> = Vec::new();
    match crate::format_of(path) {
        Format::Csv => {
            let mut reader = csv::Reader::from_reader(text.as_bytes());
            for (n, row) in reader.records().enumerate() {
                let row = row.map_err(|e| bad(format!("record {}: {e}", n + 1)))?;
                let id = row[0]
                    .parse()
                    .map_err(|_| bad(format!("record {}: field id is not a number", n + 1)))?;
                let created_at = &row[7];
                if created_at.is_empty() {
                    continue;
                }
                let at = time::OffsetDateTime::parse(
                    created_at,
                    &time::format_description::well_known::Rfc3339,
                )
                .map_err(|_| bad(format!("record {}: field created_at is not a time", n + 1)))?;
                contacts.push((id, at.unix_timestamp()));
            }
        }
        Format::Json | Format::Jsonl => {
            let values: Vec<serde_json::Value> = if crate::format_of(path) == Format::Json {
                serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?
            } else {
                text.lines()
                    .enumerate()
                    .map(|(n, line)| {
                        serde_json::from_str(line).map_err(|e| bad(format!("line {}: {e}", n + 1)))
                    })
                    .collect::<Result<_, _>>()?
            };
            for (n, value) in values.iter().enumerate() {
                let id = value["id"]
                    .as_i64()
                    .ok_or_else(|| bad(format!("contact {}: field id is not a number", n + 1)))?;
                if let Some(at) = value["created_at"].as_i64() {
                    contacts.push((id, at));
                }
            }
        }
        Format::Table => return Err(bad("a table is no export to start from".to_owned())),
    }
    let Some(last) = contacts.iter().map(|&(_, at)| at).max() else {
        return Ok(None);
    };
    let ids = contacts
        .iter()
        .filter(|&&(_, at)| at == last)
        .map(|&(id, _)| id)
        .collect();
    Ok(Some((last, ids)))
}
