//! Huge, endless and oversized bodies are read within their caps, and memory stays bounded.
//! Its own test binary with one test, so that the peak memory it measures is its own.

mod common;

use common::{
    builder, client,
    server::{Reply, TestServer, contacts_api},
};
use futures::StreamExt;
use livedesk::Error;

/// Peak resident memory of this process so far, in MiB, from Linux's `/proc` (the test is
/// ignored elsewhere, with that reason).
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kib: f64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib / 1024.0
}

/// Each body is refused at its cap, never read whole.
#[tokio::test]
#[cfg_attr(
    not(target_os = "linux"),
    ignore = "peak memory is read from /proc/self/status, which only Linux has"
)]
async fn bodies_are_read_within_their_caps_and_memory_stays_bounded() {
    let mib = |n: usize| n * 1024 * 1024;
    let start_peak = peak_rss_mib();

    // A 200 MiB success page and an endless one, against a 1 MiB cap.
    for repeat in [Some(200), None] {
        let server = TestServer::start(move |_| Reply::Stream {
            status: 200,
            content_type: "application/json".into(),
            chunk: vec![b' '; mib(1)],
            repeat,
        })
        .await;
        let client = builder(&server.base_url)
            .max_body_size(mib(1))
            .build()
            .unwrap();
        let error = client.search("x").send().await.unwrap_err();
        assert!(
            matches!(error, Error::BodyTooLarge { limit, .. } if limit == mib(1)),
            "{error:?}"
        );
        assert_eq!(server.stats.count(), 1, "an over-cap body is not retried");
        assert!(error.to_string().contains("1048576-byte cap"), "{error}");
    }

    // A 100 MiB `429` body and a 256 MiB HTML `500`: only the start is kept for the message.
    for (status, content_type, chunk) in [
        (429, "text/plain", b"Retry later ".repeat(mib(1) / 12)),
        (500, "text/html", b"<html><title>Boom</title>".to_vec()),
    ] {
        let server = TestServer::start(move |_| Reply::Stream {
            status,
            content_type: content_type.into(),
            chunk: chunk.clone(),
            repeat: Some(if status == 429 { 100 } else { mib(256) / 25 }),
        })
        .await;
        let error = client(&server.base_url)
            .search("x")
            .send()
            .await
            .unwrap_err();
        let Error::Api { message, .. } = &error else {
            panic!("{error:?}")
        };
        assert!(message.chars().count() <= 301, "{}", message.len());
    }

    // Four oversized pages in flight at once, at the default cap of 16 MiB.
    let server = TestServer::start(|request| {
        if request.page() == 1 {
            contacts_api(300)(request)
        } else {
            Reply::Stream {
                status: 200,
                content_type: "application/json".into(),
                chunk: vec![b' '; 1024 * 1024],
                repeat: Some(200),
            }
        }
    })
    .await;
    let items: Vec<_> = client(&server.base_url)
        .search("x")
        .paginate()
        .concurrency(4)
        .contacts()
        .collect()
        .await;
    assert_eq!(items.len(), 16);
    assert!(items[..15].iter().all(Result::is_ok));
    assert!(
        matches!(items[15], Err(Error::BodyTooLarge { .. })),
        "{:?}",
        items[15]
    );

    // Bodies within the cap but dense with values, which decoded to 16 to 89 times their
    // size: 1.7 million contacts of `{"id":1}`, one contact whose custom attributes hold 7.8
    // million zeros, 1.7 million short keys (review 90: estimated at 3.6 times its bytes,
    // decoded at 18 when unique; here one key, which the estimate cannot tell), 6 MiB of
    // one-letter strings (estimated at 8 times, decoded at 16), 3.9 MiB of arrays of one zero
    // (review 92: estimated at 16 times, decoded at 44.5: 158 MiB held) or 1 MiB of maps of
    // one key (estimated at 59 times, decoded at 89). All are refused before decoding.
    let attributes = r#"{"meta":{"current_page":1},"payload":[{"id":1,"custom_attributes":{"#;
    for (head, chunk, tail, repeat) in [
        (
            r#"{"meta":{"current_page":1},"payload":[{"id":1}"#.to_owned(),
            r#",{"id":1}"#,
            "]}",
            15,
        ),
        (format!(r#"{attributes}"a":[0"#), ",0", "]}}]}", 15),
        (format!(r#"{attributes}"a":0"#), r#","abcd":0"#, "}}]}", 15),
        (format!(r#"{attributes}"a":["x""#), r#","x""#, "]}}]}", 6),
        (format!(r#"{attributes}"a":[[0]"#), ",[0]", "]}}]}", 4),
        (
            format!(r#"{attributes}"a":[{{"a":0}}"#),
            r#",{"a":0}"#,
            "]}}]}",
            1,
        ),
    ] {
        // `repeat` MiB, some 15.5 of them under the default cap of 16 MiB.
        let chunk = chunk.repeat(mib(1) / chunk.len());
        let server = TestServer::start(move |_| Reply::Repeated {
            head: head.clone().into(),
            chunk: chunk.clone().into_bytes(),
            repeat,
            tail: tail.into(),
        })
        .await;
        common::assert_refused_as_dense(client(&server.base_url).search("x").send().await, mib(16));
    }

    let grown = peak_rss_mib() - start_peak;
    println!("peak resident memory grew by {grown:.0} MiB");
    // Four pages at a 16 MiB cap, with the reading buffer's growth: well under 4 × 3 × 16.
    assert!(grown < 192.0, "peak memory grew by {grown:.0} MiB");
}
