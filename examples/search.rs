//! Searches contacts and prints one line per matching contact (all pages, oldest first): id,
//! name, email, phone, tab-separated. Control characters in the data are escaped (`\n`,
//! `\u{1b}`), so that one contact is always one line and nothing drives the terminal.
//!
//! ```sh
//! LIVEDESK_API_KEY=... LIVEDESK_API_SECRET=... cargo run --example search -- support@engagelab.com
//! ```
//!
//! `LIVEDESK_BASE_URL` points it at another server (https, or plain http on loopback).

use std::{io::Write, process::ExitCode};

use futures::TryStreamExt;
use livedesk::{Client, Contact, Error, SortDirection, SortField};

#[tokio::main]
async fn main() -> ExitCode {
    let query = std::env::args().skip(1).collect::<Vec<_>>().join(" ");
    if query.trim().is_empty() {
        eprintln!("usage: cargo run --example search -- QUERY");
        return ExitCode::from(2);
    }
    let client = match Client::from_env() {
        Ok(client) => client,
        Err(Error::Config(problem)) => {
            eprintln!("error: {problem}");
            eprintln!(
                "set LIVEDESK_API_KEY and LIVEDESK_API_SECRET to your key pair (API key page of \
                 LiveDesk); LIVEDESK_BASE_URL is optional"
            );
            return ExitCode::from(2);
        }
        Err(other) => {
            eprintln!("error: {other}");
            return ExitCode::FAILURE;
        }
    };
    // Oldest first: contacts added while the export runs join its end instead of shifting
    // the pages still to come.
    // A boxed stream: `try_next()` works on it as it is, with no `pin!`.
    let mut contacts = client
        .search(query)
        .sort(SortField::CreatedAt)
        .direction(SortDirection::Asc)
        .paginate()
        .contacts();
    let mut out = std::io::stdout().lock();
    loop {
        match contacts.try_next().await {
            Ok(Some(contact)) => {
                match print(&mut out, &contact) {
                    Ok(()) => {}
                    // A closed pipe (`| head`) means the reader has what it wants.
                    Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                        return ExitCode::SUCCESS;
                    }
                    // Any other (a full disk) lost contacts.
                    Err(e) => {
                        eprintln!("error: {e}");
                        return ExitCode::FAILURE;
                    }
                }
            }
            Ok(None) => return ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("error: {error}");
                return ExitCode::FAILURE;
            }
        }
    }
}

fn print(out: &mut impl Write, contact: &Contact) -> std::io::Result<()> {
    writeln!(
        out,
        "{}\t{}\t{}\t{}",
        contact.id,
        escaped(contact.name.as_deref().unwrap_or("")),
        escaped(contact.email.as_deref().unwrap_or("-")),
        escaped(contact.phone_number.as_deref().unwrap_or("-")),
    )
}

/// The text with control characters escaped as Rust would write them; the rest, CJK and emoji
/// included, as it is.
fn escaped(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::print;

    #[test]
    fn one_contact_is_one_line_whatever_its_name_holds() {
        let mut out = Vec::new();
        for (id, name) in [
            (1, "Mallory\nforged\tline\r"),
            (2, "\u{1b}[31mred\u{1b}[0m\u{0}"),
            (3, "張三 🚀"),
        ] {
            let contact: livedesk::Contact = serde_json::from_value(serde_json::json!({
                "id": id, "name": name, "email": null, "phone_number": "+8613800000000",
                "identifier": null, "blocked": false, "thumbnail": "",
                "availability_status": "online", "additional_attributes": {},
                "custom_attributes": {}, "created_at": 0
            }))
            .unwrap();
            print(&mut out, &contact).unwrap();
        }
        let out = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 3, "{out}");
        assert!(!out.contains('\u{1b}') && !out.contains('\0') && !out.contains('\r'));
        assert_eq!(lines[0], "1\tMallory\\nforged\\tline\\r\t-\t+8613800000000");
        assert_eq!(
            lines[1],
            "2\t\\u{1b}[31mred\\u{1b}[0m\\u{0}\t-\t+8613800000000"
        );
        assert_eq!(lines[2], "3\t張三 🚀\t-\t+8613800000000");
    }
}
