//! The async shell around the limiter model ([`crate::limiter`]): it keeps one model for a
//! client and its clones, asks it when each request may go, sleeps on tokio's clock until
//! then (so that tests can pause time), and hands it every answer. It decides nothing itself.

use std::{
    pin::pin,
    sync::{
        Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use tokio::time::Instant;

use crate::{
    Pacing, RateLimit,
    deadline::{Account, Passes},
    limiter::{Answer, Model, Ticket, Wait},
};

#[derive(Debug)]
pub(crate) struct Pacer {
    model: Mutex<Model>,
    /// The model's times are durations since this.
    origin: Instant,
    /// Wakes the waiters when an answer (or a cancellation) may have changed the decision.
    wake: tokio::sync::Notify,
    set: Option<RateLimit>,
    /// The last answer was a `429`: a wait in the pace now is a throttle, not a queue,
    /// whoever's turns fill it (review 112: a request never refused itself waited 101
    /// minutes behind 31 others' refusals at a set pace).
    refusing: AtomicBool,
    /// When the last pass came back, and when the last-sent of those that passed was sent,
    /// in nanoseconds since `origin`, plus one (zero: none yet); and how many passed and how
    /// many were refused: what requests' deadlines read ([`Passes`]).
    last_pass: AtomicU64,
    last_pass_sent: AtomicU64,
    passed: AtomicU64,
    refused: AtomicU64,
}

/// A caller's turn to send; report what came of it. Dropped unreported (the request was
/// cancelled), it counts as sent and unanswered.
pub(crate) struct Permit<'a> {
    pacer: &'a Pacer,
    ticket: Option<Ticket>,
    /// When it was given (the request goes at once).
    sent: Instant,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if let Some(ticket) = self.ticket.take() {
            self.pacer.lock().cancelled(ticket);
            self.pacer.wake.notify_waiters();
        }
    }
}

impl Pacer {
    /// A pacer learning the limit, leaving `headroom` of it unused, or keeping `set` as it
    /// is; `Retry-After`s up to `max_pause` pause it.
    pub(crate) fn new(set: Option<RateLimit>, headroom: f64, max_pause: Duration) -> Self {
        let model = match set {
            Some(limit) => Model::fixed(1.0 / limit.interval().as_secs_f64(), max_pause),
            None => Model::new(headroom, max_pause),
        };
        let origin = Instant::now();
        // Windows on the server are aligned to the epoch: the model's probes try their
        // boundaries, on this machine's clock (a clock before the epoch: no alignment).
        let model = match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(since_epoch) => model.aligned_to(since_epoch),
            Err(_) => model,
        };
        Self {
            model: Mutex::new(model),
            origin,
            wake: tokio::sync::Notify::new(),
            set,
            refusing: AtomicBool::new(false),
            last_pass: AtomicU64::new(0),
            last_pass_sent: AtomicU64::new(0),
            passed: AtomicU64::new(0),
            refused: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Model> {
        // Every update leaves the model valid: a panic elsewhere does not poison the pace.
        self.model.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn since(&self, at: Instant) -> Duration {
        at.saturating_duration_since(self.origin)
    }

    /// A time as a mark: its nanoseconds since `origin`, plus one (zero: none).
    fn mark(&self, at: Instant) -> u64 {
        u64::try_from(self.since(at).as_nanos())
            .unwrap_or(u64::MAX - 1)
            .saturating_add(1)
    }

    fn instant(&self, mark: &AtomicU64) -> Option<Instant> {
        let nanos = mark.load(Ordering::Relaxed).checked_sub(1)?;
        self.origin.checked_add(Duration::from_nanos(nanos))
    }

    /// What the client's requests did so far.
    pub(crate) fn passes(&self) -> Passes {
        Passes {
            answered: self.instant(&self.last_pass),
            sent: self.instant(&self.last_pass_sent),
            passed: self.passed.load(Ordering::Relaxed),
            refused: self.refused.load(Ordering::Relaxed),
        }
    }

    /// What the model knows now.
    pub(crate) fn pacing(&self) -> Pacing {
        Pacing::new(self.lock().snapshot(self.since(Instant::now())), self.set)
    }

    /// Waits for this caller's turn, or until the request's throttle deadline (then goes
    /// anyway: its answer will tell the caller what it needs to know) where a throttle holds
    /// it (a `Retry-After` pause, or probes for a lift). The pace is always kept; while the
    /// client's requests pass, the time spent waiting for a turn in it is its queue, which
    /// moves the deadline on ([`Account::queue`], [`Account::credit`]).
    pub(crate) async fn acquire(&self, account: &mut Account) -> Permit<'_> {
        let asked = Instant::now();
        let permit = loop {
            account.credit(&self.passes());
            // Registered before asking, so that an answer in between is not missed.
            let mut notified = pin!(self.wake.notified());
            notified.as_mut().enable();
            let now = Instant::now();
            let give_up = account.give_up();
            let past = give_up.is_some_and(|at| now >= at);
            let (decision, throttled) = {
                let mut model = self.lock();
                let since = self.since(now);
                let throttled = model.snapshot(since).throttled;
                if throttled && past {
                    (Ok(model.force_send(since)), throttled)
                } else {
                    (model.try_send(since), throttled)
                }
            };
            // Throttled (or waiting for a probe's answer), no longer than `give_up`.
            let throttled = throttled || matches!(decision, Err(Wait::Answer));
            let give_up = give_up.filter(|_| throttled && !past);
            let until = match decision {
                Ok(ticket) => {
                    break Permit {
                        pacer: self,
                        ticket: Some(ticket),
                        sent: now,
                    };
                }
                Err(Wait::Until(at)) => Some(
                    self.origin
                        .checked_add(at)
                        .unwrap_or_else(|| now + Duration::from_secs(365 * 24 * 3600)),
                ),
                Err(Wait::Answer) => None,
            };
            let until = match (until, give_up) {
                (Some(at), Some(give_up)) => Some(at.min(give_up)),
                (until, give_up) => until.or(give_up),
            };
            match until {
                Some(at) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(at) => {}
                        () = &mut notified => {}
                    }
                }
                None => notified.await,
            }
            if !throttled && !self.refusing.load(Ordering::Relaxed) {
                account.queue(now.elapsed());
            }
        };
        account.pace(asked.elapsed());
        permit
    }

    /// Takes what an attempt ended with into the model.
    pub(crate) fn report(&self, mut permit: Permit<'_>, answer: Answer) {
        if let Some(ticket) = permit.ticket.take() {
            let at = Instant::now();
            let now = self.since(at);
            let (before, after) = {
                let mut model = self.lock();
                let before = model.snapshot(now);
                model.answered(ticket, now, answer);
                // A failure says nothing of the limit: the flag stays as it was.
                match answer {
                    Answer::Throttled(_) => {
                        self.refusing.store(true, Ordering::Relaxed);
                        self.refused.fetch_add(1, Ordering::Relaxed);
                    }
                    Answer::Passed => {
                        self.refusing.store(false, Ordering::Relaxed);
                        self.passed.fetch_add(1, Ordering::Relaxed);
                        let (answered, sent) = (self.mark(at), self.mark(permit.sent));
                        self.last_pass.fetch_max(answered, Ordering::Relaxed);
                        self.last_pass_sent.fetch_max(sent, Ordering::Relaxed);
                    }
                    Answer::Failed => {}
                }
                (before, model.snapshot(now))
            };
            self.wake.notify_waiters();
            if let Answer::Throttled(wait) = answer {
                tracing::info!(
                    retry_after_ms = wait.map(|w| w.as_millis() as u64),
                    "livedesk throttled"
                );
            }
            if before.shape != after.shape {
                tracing::info!(limit = ?after.shape, requests_per_minute = after.pace.map(|p| p * 60.0), "livedesk rate limit learnt");
            }
        }
    }
}
