//! The progress bar of a walk: on standard error, and only when it is a terminal.

use std::{
    io::IsTerminal,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use livedesk::{Client, ContactList, PAGE_SIZE};

pub(crate) struct Progress {
    bar: ProgressBar,
    contacts: Arc<AtomicU64>,
    ticker: tokio::task::JoinHandle<()>,
}

impl Progress {
    /// A bar for a walk with `client`; `None` when standard error is not a terminal.
    pub(crate) fn start(client: &Client) -> Option<Progress> {
        if !std::io::stderr().is_terminal() {
            return None;
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {pos}/{len} pages  {msg}")
                .expect("the template is valid"),
        );
        let contacts = Arc::new(AtomicU64::new(0));
        // A throttle can hold the walk for a minute: the bar says so instead of freezing.
        let ticker = tokio::spawn({
            let (bar, contacts, client) = (bar.clone(), contacts.clone(), client.clone());
            let started = Instant::now();
            async move {
                loop {
                    let done = contacts.load(Ordering::Relaxed);
                    let rate = done as f64 / started.elapsed().as_secs_f64().max(0.001);
                    bar.set_message(if client.throttled() {
                        format!("{done} contacts  rate limited, waiting…")
                    } else {
                        format!("{done} contacts  {rate:.0}/s")
                    });
                    bar.tick();
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        });
        Some(Progress {
            bar,
            contacts,
            ticker,
        })
    }

    /// One more page done, with `written` of its contacts written.
    pub(crate) fn page(&self, page: &ContactList, written: usize) {
        if page.meta.has_more.is_none() && self.bar.length().is_none() {
            let pages = (page.meta.count.max(0) as u64).div_ceil(u64::from(PAGE_SIZE));
            self.bar.set_length(pages.max(1));
        }
        self.contacts.fetch_add(written as u64, Ordering::Relaxed);
        self.bar.inc(1);
    }

    pub(crate) fn finish(self) {
        self.ticker.abort();
        let done = self.contacts.load(Ordering::Relaxed);
        if self.bar.length().is_none() {
            self.bar.set_length(self.bar.position());
        }
        self.bar.finish_with_message(format!("{done} contacts"));
    }
}
