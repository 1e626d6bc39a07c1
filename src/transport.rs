//! What happens to every request the generated engine sends: rate limiting, retries, bodies
//! read within a size cap, and tracing, through progenitor's `ClientHooks`.

use std::{
    cell::Cell,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};

use tokio::time::Instant;

use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::ResponseBuilderExt;

use crate::{
    deadline::Account,
    decoded::{DECODED_PER_CAP, exceeds},
    generated::Client,
    limiter::Answer,
    pacer::Pacer,
    retry::{Decision, Outcome, RETRY_COST, RetryBudget, RetryPolicy, TIMEOUT_COST},
};

/// Longest error body kept: enough for any message a server or gateway puts in one.
pub(crate) const ERROR_BODY_CAP: usize = 64 * 1024;

/// The hand-written state the generated client carries (its `inner`).
#[derive(Clone, Debug)]
pub(crate) struct Transport {
    pub(crate) retry: RetryPolicy,
    /// Shared, so that all clones of a client keep one model of the limit.
    pub(crate) pacer: Arc<Pacer>,
    /// Shared by clones too.
    pub(crate) budget: Arc<RetryBudget>,
    /// Largest success body read, in bytes.
    pub(crate) max_body: usize,
}

/// A success body refused before decoding. It travels to `src/error.rs` as the source of the
/// body error the generated code sees, and is never retried.
#[derive(Clone, Copy, Debug, thiserror::Error)]
pub(crate) enum BodyRefused {
    /// Over the cap.
    #[error("the body is larger than the {limit}-byte cap")]
    TooLarge { limit: usize },
    /// Within the cap, but estimated to take more than `DECODED_PER_CAP` times it decoded.
    #[error(
        "the body would decode to more than {} times the {cap}-byte cap",
        DECODED_PER_CAP
    )]
    TooDense { cap: usize },
}

impl ClientHooks<Transport> for Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        _: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        // A descending sort asked as `sort=-field` (src/order.rs).
        crate::order::rewrite(request);
        Ok(())
    }

    async fn exec(
        &self,
        mut request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        // progenitor sends the spec's version with every request; the server has no use for it.
        request.headers_mut().remove("api-version");
        let transport = self.inner();
        // Its time against the deadlines (a throttle holds it at once no longer for a policy
        // that waits none out: it keeps the pace, and is never held by a throttle).
        let mut account = Account::new(Instant::now(), transport.retry.longest_pause());
        let method = request.method().clone();
        let (mut attempt, mut failures) = (0_u32, 0_u32);
        loop {
            attempt = attempt.saturating_add(1);
            // Cloning costs a little on every request; only a policy that retries needs it.
            let spare = if transport.retry.retries() {
                request.try_clone()
            } else {
                None
            };
            let permit = transport.pacer.acquire(&mut account).await;
            let start = Instant::now();
            let result = match self.client().execute(request).await {
                Ok(response) => buffered(response, transport.max_body).await,
                Err(e) => Err(e),
            };
            let (result, outcome) = match result {
                Ok(Read::Whole(response)) => {
                    let outcome = outcome(&Ok(&response));
                    (Ok(response), outcome)
                }
                // Over the cap: the same body would be refused again.
                Ok(Read::Refused(response)) => (Ok(response), None),
                Err(e) => {
                    let outcome = outcome(&Err(&e));
                    (Err(e), outcome)
                }
            };
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
            let throttled = match outcome {
                Some(Outcome::Response {
                    status: http::StatusCode::TOO_MANY_REQUESTS,
                    retry_after,
                }) => Some(retry_after),
                _ => None,
            };
            let answered =
                matches!(&result, Ok(r) if !r.status().is_server_error() && r.status() != 408);
            transport.pacer.report(
                permit,
                match throttled {
                    // The model keeps no pause longer than the policy waits (none when it
                    // never retries): the client goes on probing rather than stop that long.
                    Some(retry_after) => Answer::Throttled(retry_after),
                    None if answered => Answer::Passed,
                    None => Answer::Failed,
                },
            );
            if throttled.is_none() && answered {
                transport.budget.refill();
            }
            if throttled.is_none() && !matches!(&result, Ok(r) if r.status().is_success()) {
                failures = failures.saturating_add(1);
            }
            // Others' passes while this one was out make its wait up to them queue too.
            let (now, passes) = (Instant::now(), transport.pacer.passes());
            account.credit(&passes);
            if throttled.is_some() {
                account.throttled(now, &passes);
            }
            let decision = outcome.map(|outcome| {
                // A throttle is bounded by the time since the first attempt but its queue; a
                // failure's retries by the time not spent waiting for the pacer.
                let elapsed = if throttled.is_some() {
                    account.throttled_for(now)
                } else {
                    account.unpaced(now)
                };
                let decision = transport
                    .retry
                    .decide(failures, outcome, elapsed, fastrand::f64());
                (outcome, decision)
            });
            let (Some(spare), Some((outcome, Decision::Retry(wait)))) = (spare, decision) else {
                return result;
            };
            // Throttles are waited out in the pace (which knows when they lift); failures
            // spend from the budget that keeps an outage from being multiplied.
            let wait = if throttled.is_some() {
                Duration::ZERO
            } else {
                let cost = if outcome == Outcome::Timeout {
                    TIMEOUT_COST
                } else {
                    RETRY_COST
                };
                if transport.retry.failure_cutoff().is_some_and(|cutoff| {
                    // Not the turns in the pace either (review 111: a `503` after a queue
                    // past the throttle deadline was never retried).
                    account.held(now).saturating_add(wait) >= cutoff
                }) {
                    return result;
                }
                if !transport.budget.spend(cost) {
                    note(Note::RetryBudgetSpent);
                    return result;
                }
                wait
            };
            tracing::info!(
                operation = info.operation_id,
                attempt,
                wait_ms = wait.as_millis() as u64,
                ?outcome,
                "livedesk retrying"
            );
            drop(result);
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
            request = spare;
        }
    }
}

/// What the engine learnt about a request that its result cannot carry, read back by
/// [`Search`](crate::Search) when the request is over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Note {
    /// A failure was not retried because the client's retry budget was spent.
    RetryBudgetSpent,
}

tokio::task_local! {
    static NOTE: Cell<Option<Note>>;
}

fn note(note: Note) {
    // Outside `noted` (no one to read it) there is nothing to do.
    let _ = NOTE.try_with(|cell| cell.set(Some(note)));
}

/// Runs a request, returning its result and what the engine noted about it.
pub(crate) async fn noted<T>(request: impl Future<Output = T>) -> (T, Option<Note>) {
    NOTE.scope(Cell::new(None), async {
        let result = request.await;
        (result, NOTE.with(Cell::take))
    })
    .await
}

/// A response whose body has been read within its cap.
enum Read {
    Whole(reqwest::Response),
    /// A success body refused: its body now fails with [`BodyRefused`].
    Refused(reqwest::Response),
}

/// Reads the body within the attempt, so that a success whose connection is cut mid-body, or
/// whose body is slower than the timeout, is retried like any other transport failure; an
/// error's body cut the same way keeps what came.
///
/// A success body over `max_body` stops being read at the cap (or at once, when its
/// `Content-Length` says so); an error body is cut at [`ERROR_BODY_CAP`], which keeps more
/// than any message needs. Either way no more than the cap is ever held, whatever the server
/// sends, and the body is never copied.
async fn buffered(response: reqwest::Response, max_body: usize) -> reqwest::Result<Read> {
    let url = response.url().clone();
    let success = response.status().is_success();
    let cap = if success { max_body } else { ERROR_BODY_CAP };
    let declared = response.content_length();
    let (parts, mut body) = http::Response::from(response).into_parts();
    let mut kept = BytesMut::new();
    let mut too_large = declared.is_some_and(|len| success && len > cap as u64);
    while !too_large && let Some(frame) = body.frame().await {
        let frame = match frame {
            Ok(frame) => frame,
            // An error's status and headers have said what it is: a body cut or stalled after
            // them ends its text there (a `401` is not retried as a network failure, and a
            // `429` keeps its `Retry-After`).
            Err(_) if !success => break,
            Err(e) => return Err(e),
        };
        let Ok(data) = frame.into_data() else {
            continue; // trailers
        };
        let room = cap - kept.len();
        if data.len() > room {
            kept.extend_from_slice(&data[..room]);
            too_large = success;
            if !too_large {
                break; // an error body keeps its first part
            }
        } else {
            kept.extend_from_slice(&data);
        }
    }
    let decoded = max_body.saturating_mul(DECODED_PER_CAP);
    let refused = if too_large {
        Some(BodyRefused::TooLarge { limit: max_body })
    } else if success && exceeds(&kept, decoded) {
        Some(BodyRefused::TooDense { cap: max_body })
    } else {
        None
    };
    let body = match refused {
        Some(refused) => reqwest::Body::wrap(Failing(Some(refused))),
        None => reqwest::Body::from(kept.freeze()),
    };
    // Carrying the URL over spares reqwest parsing a placeholder one for every response.
    let mut rebuilt = http::Response::builder()
        .url(url)
        .body(body)
        .unwrap_or_else(|_| unreachable!("an empty builder with a URL extension is valid"));
    *rebuilt.status_mut() = parts.status;
    *rebuilt.version_mut() = parts.version;
    *rebuilt.headers_mut() = parts.headers;
    let response = reqwest::Response::from(rebuilt);
    Ok(if refused.is_some() {
        Read::Refused(response)
    } else {
        Read::Whole(response)
    })
}

/// A body whose first frame is an error.
struct Failing(Option<BodyRefused>);

impl http_body::Body for Failing {
    type Data = Bytes;
    type Error = BodyRefused;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, BodyRefused>>> {
        Poll::Ready(self.0.take().map(Err))
    }
}

fn attempted_url(result: &reqwest::Result<reqwest::Response>) -> Option<&reqwest::Url> {
    match result {
        Ok(response) => Some(response.url()),
        Err(e) => e.url(),
    }
}

/// What an attempt ended with, for the retry decision; `None` when nothing could cure it.
fn outcome(result: &Result<&reqwest::Response, &reqwest::Error>) -> Option<Outcome> {
    Some(match result {
        Ok(response) => Outcome::Response {
            status: response.status(),
            retry_after: crate::response::retry_after(response.headers()),
        },
        Err(e) if e.is_timeout() => Outcome::Timeout,
        // A request reqwest could not even build (a bad URL, a scheme it cannot speak) or a
        // redirect it refused would fail the same way again.
        Err(e) if e.is_builder() || e.is_redirect() => return None,
        Err(_) => Outcome::Connection,
    })
}
