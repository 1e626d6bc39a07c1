//! The sandbox's HTTP side: Basic auth, the fixed-window rate limit, injected faults, and
//! the response bodies the real server sends.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use axum::{
    Router,
    body::{Body, Bytes},
    extract::{RawQuery, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};

use super::{
    Settings,
    query::{Index, Key, Order, Params, order},
};
use crate::PAGE_SIZE;

pub(crate) const PATH: &str = "/api/v2/accounts/contacts";

/// What every request handler shares.
pub(crate) struct Shared {
    pub(crate) index: Index,
    pub(crate) settings: Settings,
    /// `Basic base64(key:secret)` of the account.
    pub(crate) authorization: HeaderValue,
    pub(crate) window: Mutex<Window>,
    pub(crate) faults: Mutex<fastrand::Rng>,
    pub(crate) served: AtomicU64,
}

/// What the rate limit says of a request.
enum Throttle {
    Pass,
    /// A `429`, with the seconds left in the window when `Retry-After` is on.
    Refuse {
        retry_after: Option<u64>,
    },
}

/// The current window of the rate limit and the requests counted in it.
#[derive(Default)]
pub(crate) struct Window {
    number: u128,
    count: u64,
}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(PATH, get(search))
        .fallback(|| async {
            json(
                StatusCode::NOT_FOUND,
                r#"{"error":"Resource could not be found"}"#,
            )
        })
        .with_state(shared)
}

async fn search(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    shared.served.fetch_add(1, Ordering::Relaxed);
    let settings = &shared.settings;
    if !settings.latency.is_zero() {
        tokio::time::sleep(settings.latency).await;
    }
    let (gateway_error, cut) = {
        let mut rng = shared.faults.lock().unwrap_or_else(|e| e.into_inner());
        (
            rng.f64() < settings.gateway_errors,
            rng.f64() < settings.cut_bodies,
        )
    };
    if gateway_error {
        // A gateway in front answered: the request never reached the server.
        return (
            StatusCode::BAD_GATEWAY,
            [(header::CONTENT_TYPE, "text/html")],
            "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>\n",
        )
            .into_response();
    }

    // config/initializers/rack_attack.rb: Rack::Attack is middleware, so the throttle
    // counts (and refuses) a request before the controller checks its credentials.
    if let Throttle::Refuse { retry_after } = shared.throttle() {
        let mut response = (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::CONTENT_TYPE, "text/plain")],
            "Retry later\n",
        )
            .into_response();
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        return response;
    }

    match headers.get(header::AUTHORIZATION) {
        None => {
            return json(
                StatusCode::UNAUTHORIZED,
                r#"{"errors":["You need to sign in or sign up before continuing."]}"#,
            );
        }
        Some(value) if !same_credentials(value, &shared.authorization) => {
            return json(
                StatusCode::UNAUTHORIZED,
                r#"{"error":"Invalid Access Token"}"#,
            );
        }
        Some(_) => {}
    }
    let params = Params::parse(query.as_deref().unwrap_or(""));
    // Upstream, no `q` is the index action (every contact); a `q` is the search action,
    // which answers a blank one with an empty page and a null count, before searching, and
    // strips the others (Ruby's `strip`: ASCII whitespace and NUL) (contacts_controller.rb,
    // `search`).
    let q = match params.q.as_deref() {
        None if settings.require_query => {
            return json(
                StatusCode::UNPROCESSABLE_ENTITY,
                r#"{"error":"Specify search string with parameter q"}"#,
            );
        }
        None => None,
        // `params[:q].blank?` is ActiveSupport's, on the `q` sent: Unicode whitespace, no
        // NUL, though `strip` is Ruby's (ASCII and NUL): an ideographic space alone is
        // blank, beside text it stays; a NUL is not blank, and stripped it searches for ""
        // (`ILIKE '%%'`: everyone) (review 101).
        Some(q) if q.chars().all(char::is_whitespace) => {
            return json(StatusCode::OK, Shared::blank_page(&params));
        }
        Some(_) => params.stripped_q(),
    };
    let order = order(
        params.sort.as_deref(),
        params.direction.as_deref(),
        settings.ignore_direction,
    );
    let key = Key::new(q, params.labels.as_deref(), order, settings.has_more);
    let order = key.order().to_vec();
    let matches = match shared.index.cached(&key) {
        Some(matches) => matches,
        None => {
            let searching = shared.clone();
            match tokio::task::spawn_blocking(move || searching.index.search(key)).await {
                Ok(matches) => matches,
                Err(_) => {
                    return json(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        r#"{"error":"Internal error"}"#,
                    );
                }
            }
        }
    };
    let body = shared.page(&matches, &params, &order);
    if cut {
        return cut_short(body);
    }
    json(StatusCode::OK, body)
}

impl Shared {
    /// Counts the request in the current window: `None` when it may pass, else whether to
    /// send a `Retry-After` and with how many seconds.
    fn throttle(&self) -> Throttle {
        let Some((limit, length)) = self.settings.rate_limit else {
            return Throttle::Pass;
        };
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let number = now.as_nanos() / length.as_nanos().max(1);
        let mut window = self.window.lock().unwrap_or_else(|e| e.into_inner());
        if window.number != number {
            *window = Window { number, count: 0 };
        }
        // Every request counts, throttled ones too, as with Rack::Attack.
        window.count += 1;
        if window.count <= u64::from(limit) {
            return Throttle::Pass;
        }
        let ends =
            Duration::from_nanos(((number + 1) * length.as_nanos()).min(u64::MAX as u128) as u64);
        let left = ends.saturating_sub(now);
        Throttle::Refuse {
            retry_after: self
                .settings
                .retry_after
                .then(|| left.as_secs() + u64::from(left.subsec_nanos() > 0)),
        }
    }

    /// The upstream answer to a blank `q`: no search, an empty page and a null count.
    fn blank_page(params: &Params) -> String {
        format!(
            r#"{{"meta":{{"count":null,"current_page":{}}},"payload":[]}}"#,
            current_page(params)
        )
    }

    fn page(&self, matches: &[u32], params: &Params, order: &[Order]) -> String {
        let size = PAGE_SIZE as usize;
        let start = (params.page_number() - 1)
            .saturating_mul(size)
            .min(matches.len());
        let end = (start + size).min(matches.len());
        let reordered;
        let on_page = match self.settings.unstable_ties {
            Some(seed) => {
                reordered = self
                    .index
                    .page_with_unstable_ties(matches, start..end, order, seed);
                &reordered[..]
            }
            None => &matches[start..end],
        };

        let current_page = current_page(params);
        // Only a search: the newest upstream's listing (its `index`) still counts the total
        // (review 101).
        let meta = if self.settings.has_more && params.q.is_some() {
            let more = start + on_page.len() < matches.len();
            format!(
                r#"{{"count":{},"current_page":{current_page},"has_more":{more}}}"#,
                on_page.len()
            )
        } else {
            format!(
                r#"{{"count":{},"current_page":{current_page}}}"#,
                matches.len()
            )
        };
        let mut body = String::with_capacity(64 + on_page.len() * 1024);
        body.push_str(r#"{"meta":"#);
        body.push_str(&meta);
        body.push_str(r#","payload":["#);
        for (n, &i) in on_page.iter().enumerate() {
            let record = self.index.record(i);
            if n > 0 {
                body.push(',');
            }
            body.push_str(&record.json_head);
            if params.include_contact_inboxes {
                body.push_str(&record.json_inboxes);
            }
            body.push('}');
        }
        body.push_str("]}");
        body
    }
}

/// `current_page` as the server echoes it: Rails parameters are strings, echoed as they came.
fn current_page(params: &Params) -> String {
    match &params.page {
        Some(page) => serde_json::to_string(page).expect("a string serializes"),
        None => "1".to_owned(),
    }
}

/// The account's `Basic` credentials, with the scheme's name in any case (RFC 7617).
fn same_credentials(sent: &HeaderValue, expected: &HeaderValue) -> bool {
    let (sent, expected) = (sent.as_bytes(), expected.as_bytes());
    let scheme = "Basic ".len();
    sent.len() == expected.len()
        && sent[..scheme].eq_ignore_ascii_case(&expected[..scheme])
        && sent[scheme..] == expected[scheme..]
}

fn json(status: StatusCode, body: impl Into<Body>) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body.into(),
    )
        .into_response()
}

/// A response that announces its whole length, sends half and drops the connection.
fn cut_short(body: String) -> Response {
    let full = Bytes::from(body);
    let half = full.slice(..full.len() / 2);
    let chunks: [Result<Bytes, std::io::Error>; 2] = [
        Ok(half),
        Err(std::io::Error::other("the sandbox cuts this body short")),
    ];
    let mut response = json(
        StatusCode::OK,
        Body::from_stream(futures::stream::iter(chunks)),
    );
    response
        .headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(full.len()));
    response
}
