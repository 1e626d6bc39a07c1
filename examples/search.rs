//! Searches contacts and prints one line per contact: id, name, email, phone.
//!
//! ```sh
//! LIVEDESK_API_KEY=... LIVEDESK_API_SECRET=... cargo run --example search -- support@engagelab.com
//! ```
//!
//! `LIVEDESK_BASE_URL` points it at another server (https, or plain http on loopback).

use std::process::ExitCode;

use livedesk::{Client, Error};

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
    match client.search_contacts().q(query).send().await {
        Ok(page) => {
            for contact in &page.payload {
                println!(
                    "{}\t{}\t{}\t{}",
                    contact.id,
                    contact.name.as_deref().unwrap_or(""),
                    contact.email.as_deref().unwrap_or("-"),
                    contact.phone_number.as_deref().unwrap_or("-"),
                );
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
