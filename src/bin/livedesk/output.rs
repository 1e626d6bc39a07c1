//! Writing contacts in each format, one at a time, so that an export streams.

use std::io::{self, Write};

use livedesk::Contact;
use serde_json::Value;
use unicode_width::UnicodeWidthStr;

use crate::args::Format;

/// The CSV columns, in order; the README documents them. Stable: new columns go at the end.
pub(crate) const CSV_COLUMNS: &[&str] = &[
    "id",
    "name",
    "email",
    "phone_number",
    "identifier",
    "blocked",
    "availability_status",
    "created_at",
    "last_activity_at",
    "company_name",
    "city",
    "country",
    "thumbnail",
    "contact_inboxes",
    "additional_attributes",
    "custom_attributes",
];

/// The table's columns and their widths in terminal cells. An ID is never cut: a longer one
/// widens its row.
const TABLE: &[(&str, usize)] = &[
    ("ID", 10),
    ("NAME", 26),
    ("EMAIL", 32),
    ("PHONE", 16),
    ("IDENTIFIER", 16),
];

pub(crate) struct Writer<W: Write> {
    format: Format,
    /// Whether contacts carry their channels: without, the CSV cell is empty, not `[]`.
    inboxes: bool,
    out: Out<W>,
    written: usize,
    begun: bool,
}

enum Out<W: Write> {
    Plain(W),
    Csv(Box<csv::Writer<W>>),
}

impl<W: Write> Writer<W> {
    pub(crate) fn new(format: Format, inboxes: bool, out: W) -> Self {
        let out = match format {
            Format::Csv => Out::Csv(Box::new(csv::Writer::from_writer(out))),
            _ => Out::Plain(out),
        };
        Writer {
            format,
            inboxes,
            out,
            written: 0,
            begun: false,
        }
    }

    /// A writer that continues a document already holding `written` contacts (the header or
    /// bracket among them, if any).
    pub(crate) fn resumed(format: Format, inboxes: bool, out: W, written: usize) -> Self {
        let mut writer = Writer::new(format, inboxes, out);
        writer.written = written;
        // The header or bracket came with the first contact, and is in the document.
        writer.begun = written > 0;
        writer
    }

    /// Contacts written so far.
    pub(crate) fn written(&self) -> usize {
        self.written
    }

    /// The header or opening bracket, written with the first contact (or at the end), so
    /// that a search that fails at once writes nothing.
    fn begin(&mut self) -> io::Result<()> {
        if std::mem::replace(&mut self.begun, true) {
            return Ok(());
        }
        match (&mut self.out, self.format) {
            (Out::Csv(csv), _) => csv.write_record(CSV_COLUMNS).map_err(io_error),
            (Out::Plain(out), Format::Table) => {
                let header: Vec<String> = TABLE
                    .iter()
                    .map(|(name, width)| fit(name, *width))
                    .collect();
                writeln!(out, "{}", header.join("  ").trim_end())
            }
            (Out::Plain(out), Format::Json) => out.write_all(b"["),
            (Out::Plain(_), _) => Ok(()),
        }
    }

    pub(crate) fn contact(&mut self, contact: &Contact) -> io::Result<()> {
        self.begin()?;
        match &mut self.out {
            Out::Csv(csv) => csv
                .write_record(csv_row(contact, self.inboxes))
                .map_err(io_error)?,
            Out::Plain(out) => match self.format {
                Format::Table => {
                    let cells = [
                        contact.name.as_deref(),
                        contact.email.as_deref(),
                        contact.phone_number.as_deref(),
                        contact.identifier.as_deref(),
                    ];
                    let mut row = vec![format!("{:<width$}", contact.id, width = TABLE[0].1)];
                    row.extend(
                        cells
                            .iter()
                            .zip(&TABLE[1..])
                            .map(|(cell, (_, width))| fit(cell.unwrap_or(""), *width)),
                    );
                    writeln!(out, "{}", row.join("  ").trim_end())?;
                }
                Format::Json => {
                    out.write_all(if self.written == 0 { b"\n" } else { b",\n" })?;
                    serde_json::to_writer(&mut *out, &wire(contact, self.inboxes))?;
                }
                _ => {
                    serde_json::to_writer(&mut *out, &wire(contact, self.inboxes))?;
                    out.write_all(b"\n")?;
                }
            },
        }
        self.written += 1;
        Ok(())
    }

    pub(crate) fn flush(&mut self) -> io::Result<()> {
        match &mut self.out {
            Out::Csv(csv) => csv.flush(),
            Out::Plain(out) => out.flush(),
        }
    }

    /// Ends the document and flushes; returns the output and how many contacts it holds.
    pub(crate) fn finish(mut self) -> io::Result<(W, usize)> {
        // An empty table is nothing at all; the other formats stay documents of no contact.
        if self.format != Format::Table || self.written > 0 {
            self.begin()?;
        }
        let mut out = match self.out {
            Out::Csv(csv) => csv.into_inner().map_err(|e| e.into_error())?,
            Out::Plain(out) => out,
        };
        if self.format == Format::Json {
            out.write_all(if self.written == 0 { b"]\n" } else { b"\n]\n" })?;
        }
        out.flush()?;
        Ok((out, self.written))
    }
}

/// A contact as the API sent it: the generated type leaves out a null, an empty attribute
/// map and an empty `contact_inboxes` (which would read as "not asked for", `--no-inboxes`),
/// where upstream sends each key. The timestamps stay out when unknown, as upstream's do.
fn wire(contact: &Contact, inboxes: bool) -> Value {
    let mut value = serde_json::to_value(contact).expect("a contact serializes");
    if let Some(object) = value.as_object_mut() {
        for key in ["name", "email", "phone_number", "identifier"] {
            object.entry(key).or_insert(Value::Null);
        }
        for key in ["additional_attributes", "custom_attributes"] {
            object
                .entry(key)
                .or_insert_with(|| Value::Object(Default::default()));
        }
        if inboxes {
            object
                .entry("contact_inboxes")
                .or_insert_with(|| Value::Array(Vec::new()));
        }
    }
    value
}

/// A CSV error as the I/O error it may be, so that a closed pipe stays a closed pipe.
fn io_error(error: csv::Error) -> io::Error {
    match error.into_kind() {
        csv::ErrorKind::Io(error) => error,
        other => io::Error::other(format!("{other:?}")),
    }
}

fn csv_row(contact: &Contact, inboxes: bool) -> Vec<String> {
    let attribute = |key: &str| match contact.additional_attributes.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    };
    vec![
        contact.id.to_string(),
        contact.name.clone().unwrap_or_default(),
        contact.email.clone().unwrap_or_default(),
        contact.phone_number.clone().unwrap_or_default(),
        contact.identifier.clone().unwrap_or_default(),
        contact.blocked.to_string(),
        contact.availability_status.as_str().to_owned(),
        contact.created_at.map(iso8601).unwrap_or_default(),
        contact.last_activity_at.map(iso8601).unwrap_or_default(),
        attribute("company_name"),
        attribute("city"),
        attribute("country"),
        contact.thumbnail.clone(),
        if inboxes {
            json(&contact.contact_inboxes)
        } else {
            String::new()
        },
        json(&contact.additional_attributes),
        json(&contact.custom_attributes),
    ]
}

fn json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).expect("a contact's fields serialize")
}

/// Unix seconds as ISO 8601 in UTC (`2024-01-02T03:04:05Z`); the number itself when it is
/// beyond the calendar's range.
pub(crate) fn iso8601(seconds: i64) -> String {
    let format = time::format_description::well_known::Rfc3339;
    time::OffsetDateTime::from_unix_timestamp(seconds)
        .ok()
        .and_then(|at| at.format(&format).ok())
        .unwrap_or_else(|| seconds.to_string())
}

/// A cell of exactly `width` terminal cells: control and bidirectional-override characters
/// escaped (a name's newline, terminal escape or right-to-left override must not break the
/// table), cut with `…`.
fn fit(text: &str, width: usize) -> String {
    let escaped: String = text
        .chars()
        .map(|ch| match ch {
            '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {
                ch.escape_unicode().to_string()
            }
            _ if ch.is_control() => ch.escape_debug().to_string(),
            _ => ch.to_string(),
        })
        .collect();
    let mut cell = if escaped.width() <= width {
        escaped
    } else {
        // Whole strings are measured, not characters: emoji sequences (ZWJ, skin tones,
        // presentation selectors) are narrower than their parts.
        let mut end = 0;
        for (i, ch) in escaped.char_indices() {
            if escaped[..i + ch.len_utf8()].width() >= width {
                break;
            }
            end = i + ch.len_utf8();
        }
        format!("{}…", &escaped[..end])
    };
    let used = cell.width();
    cell.extend(std::iter::repeat_n(' ', width.saturating_sub(used)));
    cell
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_cut_and_padded_to_their_width_in_terminal_cells() {
        assert_eq!(fit("Ada", 5), "Ada  ");
        assert_eq!(fit("Ada Lovelace", 5), "Ada …");
        assert_eq!(
            fit("李小龙", 4),
            "李… ",
            "a wide character does not fit in the last cell"
        );
        assert_eq!(fit("a\nb", 6), "a\\nb  ");
        assert_eq!(fit("\u{1b}[31m", 10).trim_end(), "\\u{1b}[31m");
        assert_eq!(fit("a\u{202e}b", 12).trim_end(), "a\\u{202e}b");
        for name in ["👨‍👩‍👧 family", "❤️ heart", "👍🏽 thumbs", "👨‍👩‍👧👨‍👩‍👧👨‍👩‍👧👨‍👩‍👧"]
        {
            for width in [3, 5, 8, 30] {
                assert_eq!(fit(name, width).width(), width, "{name:?} in {width} cells");
            }
        }
    }

    #[test]
    fn times_are_iso_8601_in_utc() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(iso8601(i64::MAX), i64::MAX.to_string());
    }
}
