//! `Client::from_env` and `ClientBuilder::from_env`: their own test binary with one test,
//! because it changes the process environment, which no other thread may read meanwhile.

mod common;

use common::{AUTHORIZATION, KEY, PATH, SECRET, page};
use httpmock::prelude::*;
use livedesk::{Client, ClientBuilder, ConfigError, Error};

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
    mock.delete_async().await;

    // The builder reads the same, and takes other settings on top.
    let suffixed = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(PATH)
                .header("authorization", AUTHORIZATION)
                .header_matches("user-agent", " env-test/1$");
            then.status(200).json_body(page([8], 1, 1));
        })
        .await;
    let client = ClientBuilder::from_env()
        .unwrap()
        .user_agent_suffix("env-test/1")
        .build()
        .unwrap();
    assert_eq!(client.search("x").send().await.unwrap().payload[0].id, 8);
    suffixed.assert_async().await;
    set("LIVEDESK_BASE_URL", Some("http://example.com"));
    assert!(
        ClientBuilder::from_env().is_ok(),
        "the base URL is checked by build"
    );
    assert!(matches!(
        ClientBuilder::from_env().unwrap().build(),
        Err(Error::Config(ConfigError::InsecureBaseUrl))
    ));
    set("LIVEDESK_BASE_URL", None);
    set("LIVEDESK_API_KEY", None);
    assert!(matches!(
        ClientBuilder::from_env(),
        Err(Error::Config(ConfigError::MissingVariable(
            "LIVEDESK_API_KEY"
        )))
    ));
}
