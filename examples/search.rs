//! Searches contacts and prints one line per matching contact (all pages): id, name, email,
//! phone.
//!
//! ```sh
//! LIVEDESK_API_KEY=... LIVEDESK_API_SECRET=... cargo run --example search -- support@engagelab.com
//! ```
//!
//! `LIVEDESK_BASE_URL` points it at another server (https, or plain http on loopback).

use std::{io::Write, process::ExitCode};

use futures::TryStreamExt;
use livedesk::{Client, Contact, Error, SortField};

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
    let contacts = client
        .search(query)
        .sort(SortField::CreatedAt)
        .paginate()
        .contacts();
    let mut contacts = std::pin::pin!(contacts);
    let mut out = std::io::stdout().lock();
    loop {
        match contacts.try_next().await {
            Ok(Some(contact)) => {
                // A closed pipe (`| head`) means the reader has what it wants.
                if print(&mut out, &contact).is_err() {
                    return ExitCode::SUCCESS;
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
        contact.name.as_deref().unwrap_or(""),
        contact.email.as_deref().unwrap_or("-"),
        contact.phone_number.as_deref().unwrap_or("-"),
    )
}
