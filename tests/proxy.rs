//! Proxies from the environment (`HTTPS_PROXY` and friends): ignored for loopback base URLs,
//! where plain http is allowed only because it never leaves the machine; used for the
//! others; and `ClientBuilder::no_proxy` wins over an explicit proxy. Its own test binary with one test,
//! because it changes the process environment, which no other thread may read meanwhile.

mod common;
#[path = "common/net.rs"]
mod net;

use common::{
    builder, client,
    server::{TestServer, contacts_api},
};
use livedesk::RetryPolicy;
use net::{Authority, Proxy, TlsServer};

fn set(names: &[&str], value: Option<&str>) {
    for name in names {
        // SAFETY: this binary's only test runs on one thread, and sets the environment
        // before building the clients that read it.
        unsafe {
            match value {
                Some(value) => std::env::set_var(name, value),
                None => std::env::remove_var(name),
            }
        }
    }
}

#[tokio::test(flavor = "current_thread")]
async fn proxies_from_the_environment() {
    set(&["NO_PROXY", "no_proxy"], None);

    // A loopback base URL: the proxy never sees the request, nor its credentials.
    let proxy = TestServer::start(contacts_api(15)).await;
    let api = TestServer::start(contacts_api(15)).await;
    set(
        &["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"],
        Some(&proxy.base_url),
    );
    let page = client(&api.base_url).search("x").send().await.unwrap();
    assert_eq!(page.payload.len(), 15);
    assert_eq!(api.stats.count(), 1);
    assert_eq!(
        proxy.stats.count(),
        0,
        "the proxy saw the request and its credentials"
    );

    // Any other host goes through `HTTPS_PROXY`, tunnelled here to a loopback server that
    // stands for it (192.0.2.1 is reserved for documentation: nothing answers there).
    let authority = Authority::new("Corporate Inspection CA");
    let server = TlsServer::start(
        &authority,
        &["192.0.2.1"],
        common::page(1..=3, 3, 1).to_string(),
    )
    .await;
    let tunnel = Proxy::start(String::new(), Some(server.addr)).await;
    set(&["HTTPS_PROXY", "https_proxy"], Some(&tunnel.url()));
    set(
        &["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"],
        None,
    );
    let remote = || {
        builder("https://192.0.2.1")
            .add_root_certificates(authority.pem.clone())
            .retry(RetryPolicy::disabled())
    };
    let page = remote().build().unwrap().search("x").send().await.unwrap();
    assert_eq!(page.payload.len(), 3);
    let heads = tunnel.heads();
    assert_eq!(heads.len(), 1);
    assert!(heads[0].starts_with("CONNECT 192.0.2.1:443 "), "{heads:?}");

    // `no_proxy` wins over an explicit proxy. (That it ignores the environment's for other
    // hosts is not tested: a direct request to one would leave the machine.)
    let proxy = TestServer::start(contacts_api(15)).await;
    let direct = builder(&api.base_url)
        .proxy(&proxy.base_url)
        .no_proxy()
        .build()
        .unwrap();
    assert_eq!(direct.search("x").send().await.unwrap().payload.len(), 15);
    assert_eq!(proxy.stats.count(), 0, "the proxy saw the request");
    assert_eq!(tunnel.heads().len(), 1, "the tunnel saw no second request");
    assert_eq!(server.heads().len(), 1);
}
