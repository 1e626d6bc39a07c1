//! A small HTTP/1.1 server on 127.0.0.1 for the tests and benchmarks that need what httpmock
//! cannot do: answers computed from the request, latency, cancelled requests seen as such,
//! and broken connections.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    task::JoinHandle,
};

/// A request as received.
#[derive(Clone, Debug)]
pub struct Request {
    /// Path and query, as sent (still percent-encoded).
    pub target: String,
    /// Header lines, names lower-cased.
    pub headers: Vec<(String, String)>,
}

impl Request {
    /// Decoded values of a query parameter, in order.
    pub fn query(&self, name: &str) -> Vec<String> {
        let query = self.target.split_once('?').map_or("", |(_, q)| q);
        url::form_urlencoded::parse(query.as_bytes())
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .collect()
    }

    /// The raw query string.
    pub fn raw_query(&self) -> &str {
        self.target.split_once('?').map_or("", |(_, q)| q)
    }

    /// The `page` parameter (1 when absent).
    pub fn page(&self) -> u32 {
        self.query("page").first().map_or(1, |p| p.parse().unwrap())
    }
}

/// What the server does with a request.
pub enum Reply {
    /// Answer after `delay`.
    Respond {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
        delay: Duration,
    },
    /// Send the head and part of the body, then close the connection.
    CloseMidBody { declared_len: usize, sent: Vec<u8> },
    /// An answer with `status` and `headers` whose body, declared 100 bytes longer, stops
    /// after `sent`: the connection is closed, or (`stall`) kept open without another byte.
    CutShort {
        status: u16,
        headers: Vec<(String, String)>,
        sent: Vec<u8>,
        stall: bool,
    },
    /// A body of `chunk` repeated `repeat` times (forever if `None`), sent chunked, without
    /// ever holding more than one chunk: for bodies far larger than memory should allow.
    Stream {
        status: u16,
        content_type: String,
        chunk: Vec<u8>,
        repeat: Option<usize>,
    },
    /// A `200` JSON body of `head`, `chunk` repeated `repeat` times and `tail`, sent chunked
    /// without ever holding more than one chunk: for bodies dense with values.
    Repeated {
        head: Vec<u8>,
        chunk: Vec<u8>,
        repeat: usize,
        tail: Vec<u8>,
    },
    /// Close the connection without answering.
    Close,
    /// Keep the connection open and never answer.
    Hang,
}

impl Reply {
    pub fn json(body: &serde_json::Value) -> Self {
        Self::status(200, "application/json", body.to_string())
    }

    pub fn status(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Self::Respond {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.into(),
            delay: Duration::ZERO,
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        if let Self::Respond { headers, .. } = &mut self {
            headers.push((name.into(), value.into()));
        }
        self
    }

    pub fn delay(mut self, by: Duration) -> Self {
        if let Self::Respond { delay, .. } = &mut self {
            *delay = by;
        }
        self
    }
}

type Handler = dyn Fn(&Request) -> Reply + Send + Sync;

/// Counters the tests read.
#[derive(Default)]
pub struct Stats {
    /// Every request received, in arrival order (unless `forget_requests` is set).
    pub requests: Mutex<Vec<Request>>,
    /// Keeps `requests` empty, so that a long benchmark's server does not grow.
    pub forget_requests: AtomicBool,
    /// Requests received.
    pub received: AtomicUsize,
    /// Requests received and not yet answered or abandoned by the client.
    pub in_flight: AtomicUsize,
    /// The most requests ever in flight at once.
    pub max_in_flight: AtomicUsize,
    /// Requests whose client went away before the answer was sent.
    pub abandoned: AtomicUsize,
}

impl Stats {
    pub fn count(&self) -> usize {
        self.received.load(Ordering::SeqCst)
    }

    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }
}

pub struct TestServer {
    pub base_url: String,
    pub stats: Arc<Stats>,
    task: JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TestServer {
    /// Starts serving on an ephemeral port of 127.0.0.1.
    pub async fn start(handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let stats = Arc::new(Stats::default());
        let handler: Arc<Handler> = Arc::new(handler);
        let task = tokio::spawn({
            let stats = stats.clone();
            async move {
                while let Ok((stream, _)) = listener.accept().await {
                    tokio::spawn(serve(stream, handler.clone(), stats.clone()));
                }
            }
        });
        Self {
            base_url,
            stats,
            task,
        }
    }

    /// Waits up to `within` for the requests in flight to drop to zero.
    pub async fn settle(&self, within: Duration) -> usize {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let n = self.stats.in_flight.load(Ordering::SeqCst);
            if n == 0 || tokio::time::Instant::now() >= deadline {
                return n;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

async fn serve(mut stream: TcpStream, handler: Arc<Handler>, stats: Arc<Stats>) {
    let _ = stream.set_nodelay(true);
    let mut buffer = Vec::with_capacity(4096);
    loop {
        let Some(request) = read_head(&mut stream, &mut buffer).await else {
            return;
        };
        stats.received.fetch_add(1, Ordering::SeqCst);
        if !stats.forget_requests.load(Ordering::Relaxed) {
            stats.requests.lock().unwrap().push(request.clone());
        }
        let now = stats.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        stats.max_in_flight.fetch_max(now, Ordering::SeqCst);
        let reply = handler(&request);
        let kept = answer(&mut stream, reply, &stats).await;
        stats.in_flight.fetch_sub(1, Ordering::SeqCst);
        if !kept {
            return;
        }
    }
}

/// Writes the reply; false when the connection is finished.
async fn answer(stream: &mut TcpStream, reply: Reply, stats: &Stats) -> bool {
    match reply {
        Reply::Respond {
            status,
            headers,
            body,
            delay,
        } => {
            if !delay.is_zero() && client_left_within(stream, delay).await {
                stats.abandoned.fetch_add(1, Ordering::SeqCst);
                return false;
            }
            let mut head = format!("HTTP/1.1 {status} X\r\ncontent-length: {}\r\n", body.len());
            for (name, value) in headers {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
            head.push_str("\r\n");
            let mut bytes = head.into_bytes();
            bytes.extend_from_slice(&body);
            stream.write_all(&bytes).await.is_ok()
        }
        Reply::CloseMidBody { declared_len, sent } => {
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {declared_len}\r\n\r\n"
            );
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.write_all(&sent).await;
            false
        }
        Reply::Stream {
            status,
            content_type,
            chunk,
            repeat,
        } => {
            let head = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ntransfer-encoding: chunked\r\n\r\n"
            );
            if stream.write_all(head.as_bytes()).await.is_err() {
                return false;
            }
            let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
            framed.extend_from_slice(&chunk);
            framed.extend_from_slice(b"\r\n");
            let mut sent = 0;
            while repeat.is_none_or(|repeat| sent < repeat) {
                if stream.write_all(&framed).await.is_err() {
                    // The client stopped reading: what a cap is for.
                    stats.abandoned.fetch_add(1, Ordering::SeqCst);
                    return false;
                }
                sent += 1;
            }
            stream.write_all(b"0\r\n\r\n").await.is_ok()
        }
        Reply::Repeated {
            head,
            chunk,
            repeat,
            tail,
        } => {
            let framed = |part: &[u8]| {
                let mut framed = format!("{:x}\r\n", part.len()).into_bytes();
                framed.extend_from_slice(part);
                framed.extend_from_slice(b"\r\n");
                framed
            };
            let start = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
            if stream.write_all(start.as_bytes()).await.is_err()
                || stream.write_all(&framed(&head)).await.is_err()
            {
                return false;
            }
            let chunk = framed(&chunk);
            for _ in 0..repeat {
                if stream.write_all(&chunk).await.is_err() {
                    stats.abandoned.fetch_add(1, Ordering::SeqCst);
                    return false;
                }
            }
            stream.write_all(&framed(&tail)).await.is_ok()
                && stream.write_all(b"0\r\n\r\n").await.is_ok()
        }
        Reply::Close => false,
        Reply::CutShort {
            status,
            headers,
            sent,
            stall,
        } => {
            let mut head = format!(
                "HTTP/1.1 {status} X\r\ncontent-length: {}\r\n",
                sent.len() + 100
            );
            for (name, value) in headers {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
            head.push_str("\r\n");
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.write_all(&sent).await;
            if stall && client_left_within(stream, Duration::from_secs(3600)).await {
                stats.abandoned.fetch_add(1, Ordering::SeqCst);
            }
            false
        }
        Reply::Hang => {
            if client_left_within(stream, Duration::from_secs(3600)).await {
                stats.abandoned.fetch_add(1, Ordering::SeqCst);
            }
            false
        }
    }
}

/// Waits `delay`, watching for the client closing the connection meanwhile.
async fn client_left_within(stream: &mut TcpStream, delay: Duration) -> bool {
    let mut probe = [0u8; 1];
    // tokio's timer rounds up to whole milliseconds and oversleeps by 1 to 2 ms, which would
    // be counted against the client in the benchmarks; a thread's sleep is accurate to tens
    // of microseconds. Long waits use the timer: a runtime waits for its blocking threads.
    let sleep: std::pin::Pin<Box<dyn Future<Output = ()> + Send>> =
        if delay < Duration::from_secs(1) {
            Box::pin(async move {
                let _ = tokio::task::spawn_blocking(move || std::thread::sleep(delay)).await;
            })
        } else {
            Box::pin(tokio::time::sleep(delay))
        };
    tokio::pin!(sleep);
    tokio::select! {
        _ = &mut sleep => false,
        read = stream.peek(&mut probe) => match read {
            Ok(0) | Err(_) => true,
            // The next request arrived early; the client is still there.
            Ok(_) => {
                sleep.await;
                false
            }
        },
    }
}

async fn read_head(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<Request> {
    loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).into_owned();
            buffer.drain(..end + 4);
            let mut lines = head.split("\r\n");
            let target = lines.next()?.split(' ').nth(1)?.to_owned();
            let headers = lines
                .filter_map(|line| line.split_once(':'))
                .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
                .collect();
            return Some(Request { target, headers });
        }
        let mut chunk = [0u8; 4096];
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    }
}

/// A paged contacts API over `total` contacts (ids 1..=total), 15 a page, as the server does.
pub fn contacts_api(total: u64) -> impl Fn(&Request) -> Reply + Send + Sync + 'static {
    move |request| {
        let page = u64::from(request.page());
        let first = (page - 1) * 15 + 1;
        let ids = (first..=total.min(page * 15)).map(|id| id as i64);
        Reply::json(&super::page(ids, total, page as u32))
    }
}
