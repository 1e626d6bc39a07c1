//! What happens to every request the generated client sends: rate limiting, retries and
//! tracing, through progenitor's `ClientHooks`.

use std::{sync::Arc, time::Instant};

use http_body_util::BodyExt;
use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::ResponseBuilderExt;

use crate::{
    generated::Client,
    rate_limit::Limiter,
    retry::{Decision, Outcome, RetryPolicy},
};

/// The hand-written state the generated client carries (its `inner`).
#[derive(Clone, Debug)]
pub(crate) struct Transport {
    pub(crate) retry: RetryPolicy,
    /// Shared, so that all clones of a client count against one limit.
    pub(crate) limiter: Option<Arc<Limiter>>,
}

impl ClientHooks<Transport> for Client {
    async fn exec(
        &self,
        mut request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        // progenitor sends the spec's version with every request; the server has no use for it.
        request.headers_mut().remove("api-version");
        let transport = self.inner();
        let first_start = Instant::now();
        let method = request.method().clone();
        let mut attempt: u32 = 0;
        loop {
            attempt = attempt.saturating_add(1);
            // Cloning costs a little on every request; only a policy that retries needs it.
            let spare = if transport.retry.retries() {
                request.try_clone()
            } else {
                None
            };
            if let Some(limiter) = &transport.limiter {
                limiter.acquire().await;
            }
            let start = Instant::now();
            let result = match self.client().execute(request).await {
                Ok(response) => buffered(response).await,
                Err(e) => Err(e),
            };
            let outcome = outcome(&result);
            tracing::debug!(
                operation = info.operation_id,
                %method,
                // The path only: the query may carry personal data (an email, a phone
                // number). Read back from the result, so nothing is kept when not tracing.
                path = attempted_url(&result).map(reqwest::Url::path),
                attempt,
                status = result.as_ref().ok().map(|r| r.status().as_u16()),
                error = result.as_ref().err().map(crate::error::cause),
                elapsed_ms = start.elapsed().as_millis() as u64,
                "livedesk request attempt"
            );
            let (Some(spare), Decision::Retry(wait)) = (
                spare,
                transport
                    .retry
                    .decide(attempt, outcome, first_start.elapsed(), fastrand::f64()),
            ) else {
                return result;
            };
            tracing::info!(
                operation = info.operation_id,
                attempt,
                wait_ms = wait.as_millis() as u64,
                ?outcome,
                "livedesk retrying"
            );
            drop(result);
            tokio::time::sleep(wait).await;
            request = spare;
        }
    }
}

/// Reads the whole body within the attempt, so that a connection cut mid-body, or a body
/// slower than the timeout, is retried like any other transport failure.
async fn buffered(response: reqwest::Response) -> reqwest::Result<reqwest::Response> {
    let url = response.url().clone();
    let (parts, body) = http::Response::from(response).into_parts();
    let body = body.collect().await?.to_bytes();
    // Carrying the URL over spares reqwest parsing a placeholder one for every response.
    let mut rebuilt = http::Response::builder()
        .url(url)
        .body(body.clone())
        .unwrap_or_else(|_| http::Response::new(body));
    *rebuilt.status_mut() = parts.status;
    *rebuilt.version_mut() = parts.version;
    *rebuilt.headers_mut() = parts.headers;
    Ok(reqwest::Response::from(rebuilt))
}

fn attempted_url(result: &reqwest::Result<reqwest::Response>) -> Option<&reqwest::Url> {
    match result {
        Ok(response) => Some(response.url()),
        Err(e) => e.url(),
    }
}

fn outcome(result: &reqwest::Result<reqwest::Response>) -> Outcome {
    match result {
        Ok(response) => Outcome::Response {
            status: response.status(),
            retry_after: crate::response::retry_after(response.headers()),
        },
        Err(e) if e.is_timeout() => Outcome::Timeout,
        Err(_) => Outcome::Connection,
    }
}
