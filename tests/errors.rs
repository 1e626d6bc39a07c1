//! Every error the server can send becomes a typed error with its status and message; bad
//! arguments and bad settings never reach the server; nothing leaks the secret.

use crate::common;

use std::time::Duration;

use common::{AUTHORIZATION, KEY, PATH, SECRET, client, client_with, page};
use httpmock::prelude::*;
use livedesk::{Client, Credentials, Error, RetryPolicy};

/// Serves one response to every search and returns the client's error (retries off, so the
/// retryable statuses come back as they are).
async fn error_for(
    status: u16,
    content_type: &str,
    body: &str,
    retry_after: Option<&str>,
) -> Error {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(PATH);
            let then = then
                .status(status)
                .header("content-type", content_type)
                .body(body);
            if let Some(value) = retry_after {
                then.header("retry-after", value);
            }
        })
        .await;
    client_with(&server.base_url(), RetryPolicy::disabled())
        .search("x")
        .send()
        .await
        .unwrap_err()
}

fn api(error: &Error) -> (u16, &str, Option<Duration>) {
    match error {
        Error::Api {
            status,
            message,
            retry_after,
            ..
        } => (status.as_u16(), message.as_str(), *retry_after),
        other => panic!("expected Error::Api, got {other:?}"),
    }
}

const JSON: &str = "application/json";

#[tokio::test]
async fn every_documented_error_body_gives_status_and_message() {
    let cases = [
        (
            401,
            JSON,
            r#"{"error":"Invalid Access Token"}"#,
            "Invalid Access Token",
        ),
        (
            401,
            JSON,
            r#"{"error":"Account is suspended"}"#,
            "Account is suspended",
        ),
        (
            401,
            JSON,
            r#"{"error":"You are not authorized to do this action"}"#,
            "You are not authorized to do this action",
        ),
        (
            401,
            JSON,
            r#"{"errors":["You need to sign in or sign up before continuing."]}"#,
            "You need to sign in or sign up before continuing.",
        ),
        (
            404,
            JSON,
            r#"{"error":"Resource could not be found"}"#,
            "Resource could not be found",
        ),
        (
            422,
            JSON,
            r#"{"error":"Specify search string with parameter q"}"#,
            "Specify search string with parameter q",
        ),
        (
            422,
            JSON,
            r#"{"message":"Invalid sort parameter","attributes":["sort"]}"#,
            "Invalid sort parameter (sort)",
        ),
        (429, "text/plain", "Retry later", "Retry later"),
        (
            502,
            "text/html",
            "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
            "502 Bad Gateway",
        ),
        (
            503,
            "text/html",
            "<!DOCTYPE html><html><body><h1>Maintenance</h1><p>Back soon</p></body></html>",
            "Maintenance Back soon",
        ),
        (500, JSON, "", "Internal Server Error"),
        (
            500,
            JSON,
            r#"{"error": {"code": 1}}"#,
            r#"{"error": {"code": 1}}"#,
        ),
        (
            418,
            "application/octet-stream",
            "\u{0}\u{1}binary",
            // Control characters escaped: a message is one line a terminal shows as it is.
            r"\u{0}\u{1}binary",
        ),
    ];
    for (status, content_type, body, message) in cases {
        let error = error_for(status, content_type, body, None).await;
        assert_eq!(api(&error), (status, message, None), "{status} {body}");
        assert_eq!(error.status().map(|s| s.as_u16()), Some(status));
        assert!(error.to_string().contains(message), "{error}");
    }
}

#[tokio::test]
async fn retry_after_is_kept_in_seconds_or_as_a_date() {
    let error = error_for(429, "text/plain", "Retry later", Some("30")).await;
    assert_eq!(
        api(&error),
        (429, "Retry later", Some(Duration::from_secs(30)))
    );
    assert_eq!(error.retry_after(), Some(Duration::from_secs(30)));

    let error = error_for(503, "text/plain", "", Some("Wed, 21 Oct 2015 07:28:00 GMT")).await;
    assert_eq!(
        api(&error),
        (503, "Service Unavailable", Some(Duration::ZERO))
    );
}

/// Pages of the sandbox's contacts, inboxes and attributes included (9 to 10 KiB each), at a
/// cap of 32 KiB: none is refused as dense, though each holds some 500 JSON values (estimated
/// at about 7 times their bytes).
#[tokio::test]
async fn honest_pages_pass_at_a_cap_a_few_times_their_size() {
    let sandbox = common::sandbox(300).await;
    let client = sandbox
        .client()
        .retry(RetryPolicy::disabled())
        .max_body_size(32 * 1024)
        .build()
        .unwrap();
    let contacts = client.contacts().paginate().collect().await.unwrap();
    assert!(contacts.len() > 250, "{}", contacts.len());

    // A body a third of the cap, dense with values (zeros in a contact's attributes, 16
    // times their bytes decoded), is refused before decoding, and not retried.
    let dense = format!(
        r#"{{"meta":{{"current_page":1}},"payload":[{{"id":1,"custom_attributes":{{"a":[0{}]}}}}]}}"#,
        ",0".repeat(5_500)
    );
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200)
                .header("content-type", "application/json")
                .body(&dense);
        })
        .await;
    let client = common::builder(&server.base_url())
        .max_body_size(32 * 1024)
        .build()
        .unwrap();
    common::assert_refused_as_dense(client.search("x").send().await, 32 * 1024);
    assert_eq!(mock.calls_async().await, 1);
}

#[tokio::test]
async fn a_success_body_that_does_not_decode_says_where() {
    let mut bad = page([1, 2], 2, 1);
    bad["payload"][1]["blocked"] = "no".into();
    let error = error_for(200, JSON, &bad.to_string(), None).await;
    let Error::Decode {
        status,
        path,
        message,
        excerpt,
        ..
    } = &error
    else {
        panic!("{error:?}")
    };
    assert_eq!(status.as_u16(), 200);
    assert_eq!(path, "payload[1].blocked");
    // The type expected and the one found, not the value (it may be personal data).
    assert_eq!(
        message, r#"invalid type: string "…", expected a boolean"#,
        "{message}"
    );
    // Around the failing value only, and without the values (the contact failing may be
    // the one holding the query): not the other contacts of the page.
    assert!(excerpt.contains(r#""blocked":"…""#), "{excerpt}");
    assert!(!excerpt.contains("user1@example.com"), "{excerpt}");
    assert!(excerpt.chars().count() <= 50, "{excerpt}");

    // `{}` and `[]` decode (every member is optional), but an empty page with no count
    // answers no search.
    for body in ["", "<html>oops</html>", "{\"meta\":", "null", "[]", "{}"] {
        let error = error_for(200, JSON, body, None).await;
        assert!(
            matches!(&error, Error::Decode { status, .. } if status.as_u16() == 200),
            "{body:?}: {error:?}"
        );
    }

    let error = error_for(204, JSON, "", None).await;
    assert!(
        matches!(&error, Error::Decode { status, .. } if status.as_u16() == 204),
        "{error:?}"
    );

    // A key in the path, as the server wrote it, is one line a terminal shows as it is
    // (review 94: an escape sequence in an attribute's key reached the terminal raw).
    let body = r#"{"payload":[{"id":1,"custom_attributes":{"x\u001b[2K\rdone":tru}}]}"#;
    let error = error_for(200, JSON, body, None).await;
    let shown = error.to_string();
    assert!(!shown.contains(['\u{1b}', '\r']), "{shown:?}");
    assert!(shown.contains("\\u{1b}"), "{shown:?}");
}

#[tokio::test]
async fn bad_arguments_are_refused_before_any_request() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200).json_body(page([], 0, 1));
        })
        .await;
    let client = client(&server.base_url());

    let attempts = [
        client.search("x").page(0),
        client.search("x").page(u32::MAX),
        client.search(""),
        client.search(" \t\n"),
        // Blank to the server, which strips NUL too.
        client.search(" \0\t"),
        client.search("x").sort("favourite_colour"),
        client.search("x").direction("sideways"),
        // A direction needs a field to order by (review 91: it was sent and ignored).
        client.search("x").direction(livedesk::SortDirection::Desc),
        client.contacts().page(0),
        client.contacts().sort("favourite_colour"),
        // Blank labels alone match no contact upstream (review 106: an unset variable
        // exported nothing, with success).
        client.contacts().label(""),
        client.contacts().labels(["vip", " "]),
        // Past the longest URL there is (review 106: a network error, to be retried).
        client.search("a".repeat(70_000)),
    ];
    let mut arguments = Vec::new();
    for builder in attempts {
        match builder.send().await.unwrap_err() {
            Error::InvalidArgument { argument, .. } => arguments.push(argument),
            other => panic!("expected an argument error, got {other:?}"),
        }
    }
    assert_eq!(
        arguments,
        [
            "page",
            "page",
            "q",
            "q",
            "q",
            "sort",
            "direction",
            "direction",
            "page",
            "sort",
            "labels",
            "labels",
            "request"
        ]
    );
    assert_eq!(any.calls_async().await, 0);

    // The messages say which argument was wrong and what it accepts, from the spec.
    assert_eq!(
        refusal(client.search("x").sort("favourite_colour")).await,
        "invalid argument: `sort` was refused: it must be one of `email`, `name`, `phone_number`, \
         `last_activity_at`, `created_at`, `company`, `city`, `country`"
    );
    assert_eq!(
        refusal(client.search(" ")).await,
        "invalid argument: `q` was refused: it must be text that is not blank"
    );
    assert_eq!(
        refusal(client.search("x").page(0)).await,
        "invalid argument: `page` was refused: it must be an integer from 1 to 2147483647"
    );
}

async fn refusal(builder: livedesk::Search) -> String {
    builder.send().await.unwrap_err().to_string()
}

#[test]
fn bad_credentials_and_base_urls_are_refused_when_the_client_is_built() {
    for (key, secret) in [
        ("", "s"),
        ("k", ""),
        ("k:ey", "s"),
        ("k\n", "s"),
        ("k", "s\r\n"),
        ("k", "s\0"),
    ] {
        let error = Credentials::new(key, secret).unwrap_err();
        assert!(matches!(error, Error::Config(_)), "{key:?} {secret:?}");
    }
    let credentials = Credentials::new(KEY, SECRET).unwrap();
    for url in [
        "http://livedesk-api.engagelab.com",
        "http://192.168.1.10:8080",
        "not a url",
        "https://u:p@example.com",
    ] {
        let error = Client::builder(credentials.clone())
            .base_url(url)
            .build()
            .unwrap_err();
        assert!(matches!(error, Error::Config(_)), "{url}");
        assert!(!error.to_string().contains(SECRET));
    }
    // A headroom that is no share from 0 to 0.9 (review 91: it was clamped, silently).
    for share in [-0.1, 0.95, 5.0, f64::NAN] {
        let error = Client::builder(credentials.clone())
            .headroom(share)
            .build()
            .unwrap_err();
        assert!(
            matches!(error, Error::Config(livedesk::ConfigError::Headroom)),
            "{share}: {error:?}"
        );
    }
    assert!(
        Client::builder(credentials.clone())
            .headroom(0.9)
            .build()
            .is_ok()
    );
    // A zero timeout: every attempt failed at once, and was retried for 2.6 s (review 114).
    let zero = Duration::ZERO;
    for (builder, which) in [
        (
            Client::builder(credentials.clone()).timeout(zero),
            "timeout",
        ),
        (
            Client::builder(credentials).connect_timeout(zero),
            "connect_timeout",
        ),
    ] {
        let error = builder.build().unwrap_err();
        assert!(
            matches!(error, Error::Config(livedesk::ConfigError::ZeroTimeout(w)) if w == which),
            "{which}: {error:?}"
        );
    }
}

#[tokio::test]
async fn debug_and_display_never_show_the_secret() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.any_request();
            then.status(401)
                .json_body(serde_json::json!({"error": "Invalid Access Token"}));
        })
        .await;
    let credentials = Credentials::new(KEY, SECRET).unwrap();
    let builder = Client::builder(credentials.clone()).base_url(server.base_url());
    let client = builder.clone().build().unwrap();
    let error = client.search("x").send().await.unwrap_err();
    let search = client.search("x");

    let token = AUTHORIZATION.trim_start_matches("Basic ");
    for shown in [
        format!("{credentials:?}"),
        format!("{builder:?}"),
        format!("{client:?}"),
        format!("{search:?}"),
        format!("{error:?}"),
        error.to_string(),
        format!("{:?}", Credentials::new(KEY, "k\n").unwrap_err()),
    ] {
        assert!(!shown.contains(SECRET), "{shown}");
        assert!(!shown.contains(token), "{shown}");
    }
    assert!(format!("{credentials:?}").contains(KEY));

    // A server or gateway that echoes the header it refused, or the key pair, has the
    // secret taken out of its message (review 90: it was shown as sent).
    for echoed in [
        format!("Invalid Access Token: {AUTHORIZATION}"),
        format!("bad credentials {KEY}:{SECRET}"),
    ] {
        let error = error_for(
            401,
            JSON,
            &serde_json::json!({ "error": echoed }).to_string(),
            None,
        )
        .await;
        let (_, message, _) = api(&error);
        assert!(message.contains("<secret>"), "{message}");
        for shown in [format!("{error:?}"), error.to_string()] {
            assert!(!shown.contains(SECRET) && !shown.contains(token), "{shown}");
        }
    }
    // The builder's `Debug` shows of a base URL not yet checked neither its password nor
    // its query (`build` refuses both).
    let builder = Client::builder(credentials)
        .base_url("https://ops:pa55word@livedesk.example.com/?q=ada.lovelace@example.com");
    let shown = format!("{builder:?}");
    assert!(shown.contains("https://livedesk.example.com"), "{shown}");
    assert!(
        !shown.contains("pa55word") && !shown.contains("ada.lovelace"),
        "{shown}"
    );
}
