//! What goes on the wire: path, query encoding, headers.

use crate::common;

use common::{AUTHORIZATION, PATH, client, page};
use httpmock::prelude::*;
use livedesk::{SortDirection, SortField};

#[tokio::test]
async fn every_parameter_is_encoded_as_rails_expects() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(PATH).is_true(|req| {
                req.uri().query()
                    == Some(
                        "direction=desc&include_contact_inboxes=false\
                         &labels%5B%5D=vip&labels%5B%5D=new+customer&page=2\
                         &q=%2B86+138%260%3D1&sort=created_at",
                    )
            });
            then.status(200).json_body(page([1], 16, 2));
        })
        .await;

    let response = client(&server.base_url())
        .search("+86 138&0=1")
        .page(2)
        .labels(vec!["vip".to_owned(), "new customer".to_owned()])
        .include_contact_inboxes(false)
        .sort(SortField::CreatedAt)
        .direction(SortDirection::Desc)
        .send()
        .await
        .unwrap();

    mock.assert_async().await;
    assert_eq!(response.payload[0].id, 1);
}

#[tokio::test]
async fn headers_carry_basic_auth_the_documented_content_type_and_nothing_stray() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(PATH)
                .header("authorization", AUTHORIZATION)
                .header(
                    "user-agent",
                    concat!("livedesk-rust/", env!("CARGO_PKG_VERSION")),
                )
                .header("accept", "application/json")
                // The documentation's header table and examples send it, body or not.
                .header("content-type", "application/json")
                .header_missing("api-version")
                .header_missing("referer");
            then.status(200).json_body(page([], 0, 1));
        })
        .await;

    client(&server.base_url()).search("x").send().await.unwrap();

    mock.assert_async().await;
}

#[tokio::test]
async fn unicode_and_reserved_characters_in_q_arrive_intact() {
    let server = MockServer::start_async().await;
    for q in [
        "张三 🚀",
        "a&b=c#d",
        "100% + 50%",
        "name with  spaces",
        "ñandú@example.com",
    ] {
        let mock = server
            .mock_async(|when, then| {
                when.method(GET).path(PATH).query_param("q", q);
                then.status(200).json_body(page([], 0, 1));
            })
            .await;
        client(&server.base_url()).search(q).send().await.unwrap();
        mock.assert_async().await;
        mock.delete_async().await;
    }
}

#[tokio::test]
async fn a_base_url_with_a_path_stem_and_trailing_slash_is_joined_once() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(format!("/proxy{PATH}"));
            then.status(200).json_body(page([], 0, 1));
        })
        .await;
    let base = format!("{}/proxy/", server.base_url());
    client(&base).search("x").send().await.unwrap();
    mock.assert_async().await;
}

#[tokio::test]
async fn label_helpers_accept_plain_strings() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(PATH)
                .is_true(|req| req.uri().query() == Some("labels%5B%5D=vip&labels%5B%5D=beta&q=x"));
            then.status(200).json_body(page([], 0, 1));
        })
        .await;
    client(&server.base_url())
        .search("x")
        .label("vip")
        .label("beta")
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
}
