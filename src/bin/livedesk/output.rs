//! Writing contacts in each format, one at a time, so that an export streams.

use std::io::{self, Write};

use livedesk::Contact;
use serde_json::Value;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

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

/// The table's columns and their widths in terminal cells.
const TABLE: &[(&str, usize)] = &[
    ("ID", 9),
    ("NAME", 26),
    ("EMAIL", 32),
    ("PHONE", 16),
    ("IDENTIFIER", 16),
];

pub(crate) struct Writer<W: Write> {
    format: Format,
    out: Out<W>,
    written: usize,
}

enum Out<W: Write> {
    Plain(W),
    Csv(Box<csv::Writer<W>>),
}

impl<W: Write> Writer<W> {
    pub(crate) fn new(format: Format, mut out: W) -> io::Result<Self> {
        let out = match format {
            Format::Table => {
                let header: Vec<String> = TABLE
                    .iter()
                    .map(|(name, width)| fit(name, *width))
                    .collect();
                writeln!(out, "{}", header.join("  ").trim_end())?;
                Out::Plain(out)
            }
            Format::Json => {
                out.write_all(b"[")?;
                Out::Plain(out)
            }
            Format::Jsonl => Out::Plain(out),
            Format::Csv => {
                let mut csv = csv::Writer::from_writer(out);
                csv.write_record(CSV_COLUMNS)?;
                Out::Csv(Box::new(csv))
            }
        };
        Ok(Writer {
            format,
            out,
            written: 0,
        })
    }

    pub(crate) fn contact(&mut self, contact: &Contact) -> io::Result<()> {
        match &mut self.out {
            Out::Csv(csv) => csv.write_record(csv_row(contact))?,
            Out::Plain(out) => match self.format {
                Format::Table => {
                    let id = contact.id.to_string();
                    let cells = [
                        Some(id.as_str()),
                        contact.name.as_deref(),
                        contact.email.as_deref(),
                        contact.phone_number.as_deref(),
                        contact.identifier.as_deref(),
                    ];
                    let row: Vec<String> = cells
                        .iter()
                        .zip(TABLE)
                        .map(|(cell, (_, width))| fit(cell.unwrap_or(""), *width))
                        .collect();
                    writeln!(out, "{}", row.join("  ").trim_end())?;
                }
                Format::Json => {
                    out.write_all(if self.written == 0 { b"\n" } else { b",\n" })?;
                    serde_json::to_writer(&mut *out, contact)?;
                }
                _ => {
                    serde_json::to_writer(&mut *out, contact)?;
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
    pub(crate) fn finish(self) -> io::Result<(W, usize)> {
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

fn csv_row(contact: &Contact) -> Vec<String> {
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
        iso8601(contact.created_at),
        contact.last_activity_at.map(iso8601).unwrap_or_default(),
        attribute("company_name"),
        attribute("city"),
        attribute("country"),
        contact.thumbnail.clone(),
        json(&contact.contact_inboxes),
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

/// A cell of exactly `width` terminal cells: control characters escaped (a name's newline
/// or terminal escape must not break the table), cut with `…`.
fn fit(text: &str, width: usize) -> String {
    let escaped: String = text
        .chars()
        .map(|ch| {
            if ch.is_control() {
                ch.escape_debug().to_string()
            } else {
                ch.to_string()
            }
        })
        .collect();
    let fits = escaped.width() <= width;
    let room = if fits { width } else { width - 1 };
    let mut cell = String::new();
    let mut used = 0;
    for ch in escaped.chars() {
        let w = ch.width().unwrap_or(0);
        if used + w > room {
            break;
        }
        cell.push(ch);
        used += w;
    }
    if !fits {
        cell.push('…');
        used += 1;
    }
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
    }

    #[test]
    fn times_are_iso_8601_in_utc() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(iso8601(i64::MAX), i64::MAX.to_string());
    }
}
