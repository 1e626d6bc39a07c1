//! The network settings of `ClientBuilder`, each against a loopback server: extra root
//! certificates for a private certificate authority, an explicit proxy (plain and
//! `CONNECT`), and the User-Agent suffix arriving.

use crate::common;
use crate::net;

use common::{
    KEY, SECRET, builder,
    server::{TestServer, contacts_api},
};
use livedesk::{Client, ConfigError, Credentials, Error, RetryPolicy};
use net::{Authority, Proxy, TlsServer};

fn body() -> String {
    common::page(1..=3, 3, 1).to_string()
}

/// A client of `base_url` that gives up at the first failure.
fn once(base_url: &str) -> livedesk::ClientBuilder {
    builder(base_url).retry(RetryPolicy::disabled())
}

#[tokio::test]
async fn a_private_certificate_authority_is_trusted_once_added() {
    let authority = Authority::new("Corporate Inspection CA");
    let server = TlsServer::start(&authority, &["127.0.0.1"], body()).await;
    let base_url = format!("https://{}", server.addr);

    // Unknown to the system, it is refused (by the build, on a machine with no roots at all).
    let refused = match once(&base_url).build() {
        Ok(client) => client.search("x").send().await.map(|_| ()),
        Err(error) => Err(error),
    };
    assert!(
        matches!(
            refused,
            Err(Error::Transport(_) | Error::Config(ConfigError::HttpClient(_)))
        ),
        "{refused:?}"
    );
    if let Err(Error::Transport(error)) = &refused {
        // The cause is down the error's chain, as a chain printer shows it.
        let mut chain = error.to_string();
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            chain = format!("{chain}: {cause}");
            source = cause.source();
        }
        // rustls's name for it, or OpenSSL's (the `native-tls` feature).
        assert!(
            chain.contains("UnknownIssuer")
                || chain.contains("unable to get local issuer certificate"),
            "{chain}"
        );
    }
    assert!(
        server.heads().is_empty(),
        "no request crossed the handshake"
    );

    // In a bundle beside another authority, it is trusted, and the system's roots stay.
    let bundle = format!("{}{}", Authority::new("Another CA").pem, authority.pem);
    let client = once(&base_url)
        .add_root_certificates(bundle)
        .build()
        .unwrap();
    let page = client.search("x").send().await.unwrap();
    assert_eq!(page.payload.len(), 3);
    let heads = server.heads();
    assert_eq!(heads.len(), 1);
    assert!(
        heads[0].starts_with("GET /api/v2/accounts/contacts?"),
        "{heads:?}"
    );
}

#[test]
fn a_bundle_without_a_certificate_is_refused_by_the_build() {
    for pem in [
        &b""[..],
        b"not a certificate",
        b"-----BEGIN CERTIFICATE-----\nbm90IERFUg==\n-----END CERTIFICATE-----\n",
    ] {
        let refused = once("https://example.com")
            .add_root_certificates(pem)
            .build()
            .unwrap_err();
        assert!(
            matches!(
                refused,
                Error::Config(ConfigError::InvalidRootCertificate(_))
            ),
            "{:?}: {refused:?}",
            String::from_utf8_lossy(pem)
        );
    }
}

#[tokio::test]
async fn an_explicit_proxy_carries_every_request_and_keeps_its_password() {
    let api = TestServer::start(contacts_api(15)).await;
    let proxy = Proxy::start(body(), None).await;
    let with_password = format!("http://ops:pa55word@{}", proxy.addr);

    let builder = once(&api.base_url).proxy(&with_password);
    assert!(!format!("{builder:?}").contains("pa55word"), "{builder:?}");
    let page = builder.build().unwrap().search("x").send().await.unwrap();

    assert_eq!(page.payload.len(), 3, "the proxy's answer, not the API's");
    assert_eq!(api.stats.count(), 0);
    let heads = proxy.heads();
    assert_eq!(heads.len(), 1);
    let expected = format!("GET {}/api/v2/accounts/contacts?", api.base_url);
    assert!(heads[0].starts_with(&expected), "{heads:?}");
    // Basic base64("ops:pa55word"), and the API's own credentials.
    let head = heads[0].to_ascii_lowercase();
    assert!(
        head.contains("proxy-authorization: basic b3bzonbhntv3b3jk"),
        "{head}"
    );
    assert!(head.contains("authorization: basic qwxhzgrpbjpvcgvuihnlc2ftzq=="));

    // A proxy that is not there: the error says what happened, without the password.
    let (_closed, addr) = common::closed_port();
    let gone = format!("http://ops:pa55word@{addr}");
    let error = once(&api.base_url)
        .proxy(gone)
        .build()
        .unwrap()
        .search("x")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Transport(_)), "{error:?}");
    let mut chain = format!("{error} {error:?}");
    let mut source = std::error::Error::source(&error);
    while let Some(e) = source {
        chain.push_str(&format!(" {e} {e:?}"));
        source = e.source();
    }
    assert!(!chain.contains("pa55word"), "{chain}");
    assert_eq!(api.stats.count(), 0);
}

#[tokio::test]
async fn https_goes_through_a_proxy_tunnel_to_a_private_authoritys_server() {
    // The corporate network: a proxy, and TLS inspected with the company's authority.
    let authority = Authority::new("Corporate Inspection CA");
    let server = TlsServer::start(&authority, &["127.0.0.1"], body()).await;
    let proxy = Proxy::start(String::new(), Some(server.addr)).await;
    let client = once(&format!("https://{}", server.addr))
        .proxy(proxy.url())
        .add_root_certificates(authority.pem.clone())
        .build()
        .unwrap();

    let page = client.search("ada@example.com").send().await.unwrap();

    assert_eq!(page.payload.len(), 3);
    let heads = proxy.heads();
    assert_eq!(heads.len(), 1);
    assert!(
        heads[0].starts_with(&format!("CONNECT {} ", server.addr)),
        "{heads:?}"
    );
    assert!(
        !heads[0].contains("ada") && !heads[0].to_ascii_lowercase().contains("authorization"),
        "the proxy sees where the request goes, not what it carries: {heads:?}"
    );
    assert_eq!(server.heads().len(), 1);
}

#[test]
fn proxies_that_would_expose_credentials_or_cannot_work_are_refused() {
    for (base_url, proxy) in [
        // Plain http would leave the machine in clear text.
        ("http://127.0.0.1:8025", "http://proxy.example.com:3128"),
        ("https://example.com", "socks5://127.0.0.1:1080"),
        ("https://example.com", "proxy.example.com:3128"),
    ] {
        let refused = once(base_url).proxy(proxy).build().unwrap_err();
        assert!(
            matches!(refused, Error::Config(ConfigError::InvalidProxy(_))),
            "{base_url} through {proxy}: {refused:?}"
        );
    }
}

#[tokio::test]
async fn the_user_agent_names_the_application_after_the_crate() {
    let api = TestServer::start(contacts_api(15)).await;
    let crate_agent = concat!("livedesk-rust/", env!("CARGO_PKG_VERSION"));

    once(&api.base_url)
        .build()
        .unwrap()
        .search("x")
        .send()
        .await
        .unwrap();
    once(&api.base_url)
        .user_agent_suffix("nightly-export/2.1 (ops@example.com)")
        .build()
        .unwrap()
        .search("x")
        .send()
        .await
        .unwrap();

    let agents: Vec<String> = api
        .stats
        .requests()
        .iter()
        .map(|r| {
            r.headers
                .iter()
                .find(|(name, _)| name == "user-agent")
                .map(|(_, value)| value.clone())
                .unwrap()
        })
        .collect();
    assert_eq!(
        agents,
        [
            crate_agent.to_owned(),
            format!("{crate_agent} nightly-export/2.1 (ops@example.com)")
        ]
    );

    let refused = Client::builder(Credentials::new(KEY, SECRET).unwrap())
        .user_agent_suffix("export\r\nX-Injected: 1")
        .build()
        .unwrap_err();
    assert!(
        matches!(refused, Error::Config(ConfigError::InvalidUserAgent)),
        "{refused:?}"
    );
}
