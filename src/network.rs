//! The network settings of a [`ClientBuilder`](crate::ClientBuilder) that reach past the
//! API: extra root certificates, the proxy, the User-Agent. Kept as plain data until
//! `build`, so that no type of the HTTP library shows in the public API, and checked there
//! by the small functions below.

use std::{fmt, net::IpAddr};

use url::Url;

use crate::ConfigError;

/// The crate's own User-Agent, which an application's suffix follows.
pub(crate) const USER_AGENT: &str = concat!("livedesk-rust/", env!("CARGO_PKG_VERSION"));

/// What the builder was told about the network.
#[derive(Clone, Debug, Default)]
pub(crate) struct Settings {
    pub(crate) roots: RootCertificates,
    pub(crate) proxy: Proxy,
    pub(crate) user_agent_suffix: Option<String>,
}

/// PEM bundles to trust besides the system's roots, parsed at `build`.
#[derive(Clone, Default)]
pub(crate) struct RootCertificates(pub(crate) Vec<Vec<u8>>);

impl fmt::Debug for RootCertificates {
    /// How many bundles, not their bytes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} PEM bundle(s)", self.0.len())
    }
}

/// Which proxy requests go through.
#[derive(Clone, Default)]
pub(crate) enum Proxy {
    /// `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY`, as curl reads them, except
    /// for a loopback base URL.
    #[default]
    Environment,
    /// This proxy, for every request.
    Url(String),
    /// None, whatever the environment says.
    Off,
}

impl fmt::Debug for Proxy {
    /// The proxy's scheme, host and port; never its user name or password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Proxy::Environment => f.write_str("Environment"),
            Proxy::Off => f.write_str("Off"),
            Proxy::Url(url) => f
                .debug_tuple("Url")
                .field(&format_args!("{}", shown(url)))
                .finish(),
        }
    }
}

/// A proxy URL as it may be shown: `scheme://host:port`, anything else left out.
pub(crate) fn shown(url: &str) -> String {
    match Url::parse(url) {
        Ok(url) => {
            let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
            format!("{}://{}{port}", url.scheme(), url.host_str().unwrap_or(""))
        }
        Err(_) => "(not a URL)".to_owned(),
    }
}

/// What `build` does about proxies, decided from the setting and the base URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Plan {
    /// Leave the HTTP library to read the environment.
    Environment,
    /// No proxy at all.
    Direct,
    /// Every request through this proxy (which may carry credentials: never shown).
    Through(Url),
}

/// The proxy plan for a base URL that is plain `http` (`plain`) and whose host is loopback.
///
/// A loopback base URL never goes through a proxy from the environment: plain http is
/// allowed there only because it never leaves the machine. An explicit proxy is honoured,
/// except that plain http may go through a loopback proxy only, for the same reason.
pub(crate) fn plan(proxy: &Proxy, plain: bool, loopback: bool) -> Result<Plan, ConfigError> {
    let refused = |reason: &str| ConfigError::InvalidProxy(reason.to_owned());
    match proxy {
        Proxy::Environment if loopback => Ok(Plan::Direct),
        Proxy::Environment => Ok(Plan::Environment),
        Proxy::Off => Ok(Plan::Direct),
        Proxy::Url(text) => {
            // The parser's messages never quote the input, which may hold a password.
            let url = Url::parse(text).map_err(|e| refused(&format!("not a URL ({e})")))?;
            if !matches!(url.scheme(), "http" | "https") {
                return Err(refused("its scheme must be http or https"));
            }
            let Some(host) = url.host() else {
                return Err(refused("it has no host"));
            };
            if plain && !is_loopback(&host) {
                return Err(refused(
                    "a plain-http base URL may go through a loopback proxy only: credentials \
                     must not travel in clear text",
                ));
            }
            Ok(Plan::Through(url))
        }
    }
}

/// Whether a URL's host is this machine's loopback interface.
pub(crate) fn is_loopback(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(domain) => domain.eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(ip) => IpAddr::V4(*ip).is_loopback(),
        url::Host::Ipv6(ip) => IpAddr::V6(*ip).is_loopback(),
    }
}

/// The User-Agent: the crate's, then the application's suffix if any.
pub(crate) fn user_agent(suffix: Option<&str>) -> Result<String, ConfigError> {
    match suffix.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(USER_AGENT.to_owned()),
        // Visible ASCII only: a header cannot carry control characters, and other bytes
        // read differently in every server's logs.
        Some(suffix) if suffix.chars().all(|c| c == ' ' || c.is_ascii_graphic()) => {
            Ok(format!("{USER_AGENT} {suffix}"))
        }
        Some(_) => Err(ConfigError::InvalidUserAgent),
    }
}

/// Builds the HTTP client `http` makes, with the settings applied, for a base URL that is
/// plain `http` (`plain`) and whose host is loopback.
pub(crate) fn build(
    http: impl Fn() -> reqwest::ClientBuilder,
    settings: &Settings,
    plain: bool,
    loopback: bool,
) -> Result<reqwest::Client, ConfigError> {
    let user_agent = user_agent(settings.user_agent_suffix.as_deref())?;
    let plan = plan(&settings.proxy, plain, loopback)?;
    let without_roots = || -> Result<reqwest::ClientBuilder, ConfigError> {
        let http = http().user_agent(user_agent.as_str());
        Ok(match &plan {
            Plan::Environment => http,
            Plan::Direct => http.no_proxy(),
            Plan::Through(url) => http.proxy(reqwest::Proxy::all(url.clone()).map_err(|_| {
                ConfigError::InvalidProxy("the HTTP library refused it".to_owned())
            })?),
        })
    };
    let built = add_roots(without_roots()?, &settings.roots)?.build();
    built.map_err(|e| {
        let cause = crate::error::cause(&e);
        // A PEM block whose content is not a certificate is found out only here; the same
        // client without the roots tells whether they were the trouble.
        if !settings.roots.0.is_empty() && without_roots().is_ok_and(|h| h.build().is_ok()) {
            ConfigError::InvalidRootCertificate(cause)
        } else {
            ConfigError::HttpClient(cause)
        }
    })
}

#[cfg(any(feature = "rustls", feature = "native-tls"))]
fn add_roots(
    http: reqwest::ClientBuilder,
    roots: &RootCertificates,
) -> Result<reqwest::ClientBuilder, ConfigError> {
    let mut certificates = Vec::new();
    for pem in &roots.0 {
        let bundle = reqwest::Certificate::from_pem_bundle(pem)
            .map_err(|e| ConfigError::InvalidRootCertificate(crate::error::cause(&e)))?;
        if bundle.is_empty() {
            return Err(ConfigError::InvalidRootCertificate(
                "no PEM certificate (`-----BEGIN CERTIFICATE-----`) found".to_owned(),
            ));
        }
        certificates.extend(bundle);
    }
    Ok(if certificates.is_empty() {
        http
    } else {
        // Besides the system's roots, not instead: the API's own certificate still verifies.
        http.tls_certs_merge(certificates)
    })
}

#[cfg(not(any(feature = "rustls", feature = "native-tls")))]
fn add_roots(
    http: reqwest::ClientBuilder,
    roots: &RootCertificates,
) -> Result<reqwest::ClientBuilder, ConfigError> {
    if roots.0.is_empty() {
        Ok(http)
    } else {
        Err(ConfigError::NoTls)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_plans() {
        let url = |s: &str| Proxy::Url(s.to_owned());
        let through = |s: &str| Ok(Plan::Through(Url::parse(s).unwrap()));
        // (setting, plain http, loopback base) => plan
        assert_eq!(
            plan(&Proxy::Environment, false, false),
            Ok(Plan::Environment)
        );
        assert_eq!(plan(&Proxy::Environment, true, true), Ok(Plan::Direct));
        assert_eq!(plan(&Proxy::Environment, false, true), Ok(Plan::Direct));
        assert_eq!(plan(&Proxy::Off, false, false), Ok(Plan::Direct));
        assert_eq!(
            plan(&url("http://proxy.corp:3128"), false, false),
            through("http://proxy.corp:3128")
        );
        assert_eq!(
            plan(&url("https://u:p@proxy.corp"), false, true),
            through("https://u:p@proxy.corp")
        );
        assert_eq!(
            plan(&url("http://127.0.0.1:3128"), true, true),
            through("http://127.0.0.1:3128")
        );
        for (bad, plain) in [
            ("http://proxy.corp:3128", true),
            ("socks5://127.0.0.1:1080", false),
            ("proxy.corp:3128", false),
            ("http://", false),
            ("", false),
        ] {
            let refused = plan(&url(bad), plain, plain).unwrap_err();
            assert!(
                matches!(refused, ConfigError::InvalidProxy(_)),
                "{bad}: {refused:?}"
            );
        }
    }

    #[test]
    fn a_proxy_password_is_never_shown() {
        let proxy = Proxy::Url("http://user:pa55word@proxy.corp:3128/x?y".to_owned());
        assert_eq!(format!("{proxy:?}"), r#"Url(http://proxy.corp:3128)"#);
        let unparsable = Proxy::Url("http://user:pa55word@proxy corp".to_owned());
        assert_eq!(format!("{unparsable:?}"), "Url((not a URL))");
        let refused = plan(&unparsable, false, false).unwrap_err().to_string();
        assert!(!refused.contains("pa55word"), "{refused}");
    }

    #[test]
    fn user_agents() {
        assert_eq!(user_agent(None).unwrap(), USER_AGENT);
        assert_eq!(user_agent(Some("  ")).unwrap(), USER_AGENT);
        assert_eq!(
            user_agent(Some("nightly-export/2.1 (ops@example.com)")).unwrap(),
            format!("{USER_AGENT} nightly-export/2.1 (ops@example.com)")
        );
        for bad in ["a\nb", "café/1", "tab\there"] {
            assert_eq!(user_agent(Some(bad)), Err(ConfigError::InvalidUserAgent));
        }
    }
}
