//! The command line's network options through the real binary, against loopback servers:
//! `--ca-cert` for a private certificate authority, `--proxy` (and `LIVEDESK_PROXY`),
//! `--no-proxy` over `--proxy`, the User-Agent, and network errors that name the host
//! but never the query nor a proxy's password.

use crate::common;
use crate::net;

use std::process::{Command, Output, Stdio};

use common::server::{TestServer, contacts_api};
use net::{Authority, Proxy, TlsServer};

const BIN: &str = env!("CARGO_BIN_EXE_livedesk");

/// `livedesk contacts search QUERY --format jsonl` against `base_url`, with no proxy from
/// this process's environment.
fn search(base_url: &str, query: &str) -> Command {
    let mut command = Command::new(BIN);
    command
        .args(["contacts", "search", query, "--format", "jsonl"])
        .env("LIVEDESK_BASE_URL", base_url)
        .env("LIVEDESK_API_KEY", "key")
        .env("LIVEDESK_API_SECRET", "secret")
        .stdin(Stdio::null());
    for name in [
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
        "LIVEDESK_PROXY",
        "LIVEDESK_CA_CERT",
    ] {
        command.env_remove(name);
    }
    command
}

fn run(command: &mut Command) -> (Option<i32>, usize, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().expect("the binary runs");
    let lines = String::from_utf8(stdout).unwrap().lines().count();
    (status.code(), lines, String::from_utf8(stderr).unwrap())
}

fn body() -> String {
    common::page(1..=3, 3, 1).to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn ca_cert_and_proxy_reach_a_server_behind_a_corporate_proxy() {
    let authority = Authority::new("Corporate Inspection CA");
    let server = TlsServer::start(&authority, &["127.0.0.1"], body()).await;
    let proxy = Proxy::start(String::new(), Some(server.addr)).await;
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("corporate-ca.pem");
    std::fs::write(&ca, &authority.pem).unwrap();
    let base_url = format!("https://{}", server.addr);

    let (code, lines, stderr) = run(search(&base_url, "ada")
        .arg("--ca-cert")
        .arg(&ca)
        .args(["--proxy", &proxy.url()]));
    assert_eq!((code, lines), (Some(0), 3), "{stderr}");
    assert!(proxy.heads()[0].starts_with(&format!("CONNECT {} ", server.addr)));

    // The same from the environment.
    let (code, lines, stderr) = run(search(&base_url, "ada")
        .env("LIVEDESK_CA_CERT", &ca)
        .env("LIVEDESK_PROXY", proxy.url()));
    assert_eq!((code, lines), (Some(0), 3), "{stderr}");
    assert_eq!(proxy.heads().len(), 2);

    // Without the authority the certificate is refused, and nothing is written.
    let (code, lines, stderr) = run(search(&base_url, "ada").args(["--proxy", &proxy.url()]));
    assert_ne!(code, Some(0), "{stderr}");
    assert_eq!(lines, 0);
    assert!(stderr.contains("certificate"), "{stderr}");

    // A file that is no certificate is a usage error naming the option.
    let (code, _, stderr) = run(search(&base_url, "ada").args(["--ca-cert", "Cargo.toml"]));
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("--ca-cert Cargo.toml"), "{stderr}");
    assert_eq!(server.heads().len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn no_proxy_wins_over_a_given_proxy() {
    // Only loopback: the proxy would answer itself, the API counts what reaches it.
    let api = TestServer::start(contacts_api(15)).await;
    let proxy = Proxy::start(body(), None).await;
    let (code, lines, stderr) =
        run(search(&api.base_url, "ada").args(["--proxy", &proxy.url(), "--no-proxy"]));
    assert_eq!((code, lines), (Some(0), 15), "{stderr}");
    assert_eq!(api.stats.count(), 1);
    assert!(proxy.heads().is_empty(), "the proxy saw a request");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_network_error_names_the_host_and_proxy_never_the_query_or_password() {
    let (_closed, addr) = common::closed_port();
    let private = "ada.private+1@example.com";

    let (code, _, stderr) = run(&mut search(&format!("http://{addr}"), private));
    assert_eq!(code, Some(5), "{stderr}");
    assert!(
        stderr.starts_with(&format!(
            "livedesk: error: the request to {addr} could not connect: "
        )),
        "{stderr}"
    );
    assert!(
        !stderr.contains("ada.private") && !stderr.contains("/api/"),
        "{stderr}"
    );

    let api = TestServer::start(contacts_api(15)).await;
    let (code, _, stderr) =
        run(search(&api.base_url, private)
            .env("LIVEDESK_PROXY", format!("http://ops:pa55word@{addr}")));
    assert_eq!(code, Some(5), "{stderr}");
    let host = api.base_url.trim_start_matches("http://");
    assert!(
        stderr.starts_with(&format!(
            "livedesk: error: through the proxy {addr}: the request to {host} "
        )),
        "{stderr}"
    );
    assert!(
        !stderr.contains("pa55word") && !stderr.contains("ops:"),
        "{stderr}"
    );
    assert!(!stderr.contains("ada.private"), "{stderr}");
    assert_eq!(api.stats.count(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_go_through_the_given_proxy_with_the_clis_user_agent() {
    let api = TestServer::start(contacts_api(15)).await;
    let proxy = Proxy::start(body(), None).await;

    let (code, lines, stderr) = run(search(&api.base_url, "ada").args(["--proxy", &proxy.url()]));
    assert_eq!((code, lines), (Some(0), 3), "{stderr}");
    assert_eq!(api.stats.count(), 0, "the proxy answered");
    let head = &proxy.heads()[0];
    assert!(
        head.starts_with(&format!("GET {}/api/v2/accounts/contacts?", api.base_url)),
        "{head}"
    );

    let (code, _, stderr) = run(&mut search(&api.base_url, "ada"));
    assert_eq!(code, Some(0), "{stderr}");
    let version = env!("CARGO_PKG_VERSION");
    let agent = api.stats.requests()[0]
        .headers
        .iter()
        .find(|(name, _)| name == "user-agent")
        .map(|(_, value)| value.clone());
    assert_eq!(
        agent,
        Some(format!("livedesk-rust/{version} livedesk-cli/{version}"))
    );
}
