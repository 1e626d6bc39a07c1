//! A loopback TLS server whose certificate a private certificate authority signed (as a
//! TLS-inspecting corporate proxy's is), and a loopback HTTP proxy that records what it is
//! asked. Included with `#[path]` by the tests that need them only, so that the other test
//! binaries do not compile them.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use rcgen::{
    BasicConstraints, CertificateParams, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use tokio::{
    io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    task::JoinHandle,
};
use tokio_rustls::{
    TlsAcceptor,
    rustls::{
        self,
        pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer},
    },
};

/// A private certificate authority, made for one test.
pub struct Authority {
    /// Its certificate, PEM: what a client adds to its roots.
    pub pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl Authority {
    pub fn new(name: &str) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        // Short validities, which every platform's verifier accepts (some refuse a server
        // certificate valid for more than 398 days).
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now - time::Duration::days(1);
        params.not_after = now + time::Duration::days(30);
        let key = KeyPair::generate().unwrap();
        let pem = params.self_signed(&key).unwrap().pem();
        Self {
            pem,
            issuer: Issuer::new(params, key),
        }
    }

    /// A server certificate for these names (DNS names or IP addresses), and its key.
    fn leaf(&self, names: &[&str]) -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
        let mut params =
            CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
                .unwrap();
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now - time::Duration::days(1);
        params.not_after = now + time::Duration::days(30);
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        (
            cert.der().clone(),
            PrivatePkcs8KeyDer::from(key.serialize_der()).into(),
        )
    }
}

/// What a server saw: each request's head (request line and headers), as received.
pub type Heads = Arc<Mutex<Vec<String>>>;

/// An https server on 127.0.0.1 answering every request with `body` (JSON, 200).
pub struct TlsServer {
    pub addr: SocketAddr,
    pub heads: Heads,
    task: JoinHandle<()>,
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TlsServer {
    /// Serves with a certificate `authority` signed for `names`.
    pub async fn start(authority: &Authority, names: &[&str], body: String) -> Self {
        let (cert, key) = authority.leaf(names);
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert], key)
            .unwrap();
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let heads = Heads::default();
        let task = tokio::spawn({
            let heads = heads.clone();
            async move {
                while let Ok((stream, _)) = listener.accept().await {
                    let (acceptor, heads, body) = (acceptor.clone(), heads.clone(), body.clone());
                    tokio::spawn(async move {
                        // A client that does not trust the certificate ends the handshake.
                        if let Ok(mut tls) = acceptor.accept(stream).await
                            && let Some(head) = read_head(&mut tls).await
                        {
                            heads.lock().unwrap().push(head);
                            let _ = tls.write_all(&json_response(&body)).await;
                            let _ = tls.shutdown().await;
                        }
                    });
                }
            }
        });
        Self { addr, heads, task }
    }

    pub fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }
}

/// An HTTP proxy on 127.0.0.1. It answers a request in absolute form (`GET http://...`)
/// itself with `body`, and tunnels a `CONNECT` to `tunnel_to` whatever host it names (as if
/// that host were there).
pub struct Proxy {
    pub addr: SocketAddr,
    pub heads: Heads,
    task: JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Proxy {
    pub async fn start(body: String, tunnel_to: Option<SocketAddr>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let heads = Heads::default();
        let task = tokio::spawn({
            let heads = heads.clone();
            async move {
                while let Ok((mut stream, _)) = listener.accept().await {
                    let (heads, body) = (heads.clone(), body.clone());
                    tokio::spawn(async move {
                        let Some(head) = read_head(&mut stream).await else {
                            return;
                        };
                        let connect = head.starts_with("CONNECT ");
                        heads.lock().unwrap().push(head);
                        match (connect, tunnel_to) {
                            (true, Some(to)) => {
                                let Ok(mut upstream) = TcpStream::connect(to).await else {
                                    return;
                                };
                                let _ = stream
                                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                                    .await;
                                let _ =
                                    tokio::io::copy_bidirectional(&mut stream, &mut upstream).await;
                            }
                            (true, None) => {
                                let _ = stream
                                    .write_all(
                                        b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n",
                                    )
                                    .await;
                            }
                            (false, _) => {
                                let _ = stream.write_all(&json_response(&body)).await;
                            }
                        }
                    });
                }
            }
        });
        Self { addr, heads, task }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }
}

fn json_response(body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// The head of one request, up to its blank line; `None` if the connection ends first.
async fn read_head(stream: &mut (impl AsyncRead + AsyncWrite + Unpin)) -> Option<String> {
    let mut buffer = Vec::new();
    let mut byte = [0u8; 1];
    // A byte at a time, so that nothing past the head (a tunnel's TLS) is read here.
    while !buffer.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).await.ok()? == 0 {
            return None;
        }
        buffer.push(byte[0]);
    }
    Some(String::from_utf8_lossy(&buffer).into_owned())
}
