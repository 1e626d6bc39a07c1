//! `HTTP_PROXY` and friends are ignored for loopback base URLs: plain http is allowed there
//! only because it never leaves the machine. Its own test binary with one test, because it
//! changes the process environment, which no other thread may read meanwhile.

mod common;

use common::{
    client,
    server::{TestServer, contacts_api},
};

#[tokio::test(flavor = "current_thread")]
async fn a_proxy_from_the_environment_never_sees_a_loopback_request() {
    let proxy = TestServer::start(contacts_api(15)).await;
    let api = TestServer::start(contacts_api(15)).await;
    for name in ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"] {
        // SAFETY: this binary's only test runs on one thread, before any other reads the
        // environment.
        unsafe { std::env::set_var(name, &proxy.base_url) };
    }
    for name in ["NO_PROXY", "no_proxy"] {
        // SAFETY: as above.
        unsafe { std::env::remove_var(name) };
    }

    let page = client(&api.base_url).search("x").send().await.unwrap();

    assert_eq!(page.payload.len(), 15);
    assert_eq!(api.stats.count(), 1);
    assert_eq!(
        proxy.stats.count(),
        0,
        "the proxy saw the request and its credentials"
    );
}
