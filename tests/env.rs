//! `Client::from_env`: its own test binary with one test, because it changes the process
//! environment, which no other thread may read meanwhile.

mod common;

use common::{AUTHORIZATION, KEY, PATH, SECRET, page};
use httpmock::prelude::*;
use livedesk::{Client, ConfigError, Error};

fn set(name: &str, value: Option<&str>) {
    // SAFETY: this binary's only test runs on one thread, before any other reads the
    // environment.
    unsafe {
        match value {
            Some(value) => std::env::set_var(name, value),
            None => std::env::remove_var(name),
        }
    }
}

fn config_error() -> ConfigError {
    match Client::from_env() {
        Err(Error::Config(problem)) => problem,
        other => panic!("expected a configuration error, got {other:?}"),
    }
}

#[tokio::test(flavor = "current_thread")]
async fn from_env_reads_the_key_pair_and_base_url_and_says_what_is_missing() {
    set("LIVEDESK_API_KEY", None);
    set("LIVEDESK_API_SECRET", None);
    set("LIVEDESK_BASE_URL", None);
    assert_eq!(
        config_error(),
        ConfigError::MissingVariable("LIVEDESK_API_KEY")
    );
    assert_eq!(config_error().to_string(), "LIVEDESK_API_KEY is not set");
    set("LIVEDESK_API_KEY", Some(KEY));
    assert_eq!(config_error().to_string(), "LIVEDESK_API_SECRET is not set");
    set("LIVEDESK_API_SECRET", Some(""));
    assert_eq!(
        config_error(),
        ConfigError::EmptyVariable("LIVEDESK_API_SECRET")
    );
    assert_eq!(
        config_error().to_string(),
        "LIVEDESK_API_SECRET is set but empty"
    );
    set("LIVEDESK_API_SECRET", Some(SECRET));
    set("LIVEDESK_BASE_URL", Some("http://example.com"));
    assert_eq!(config_error(), ConfigError::InsecureBaseUrl);
    assert!(config_error().to_string().contains("not https"));

    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(PATH)
                .header("authorization", AUTHORIZATION);
            then.status(200).json_body(page([7], 1, 1));
        })
        .await;
    set("LIVEDESK_BASE_URL", Some(&server.base_url()));
    let client = Client::from_env().unwrap();
    let found = client.search("x").send().await.unwrap();
    assert_eq!(found.payload[0].id, 7);
    mock.assert_async().await;
}
