//! The progress bar of a walk: on standard error, and only when it is a terminal.

use std::{
    cell::Cell,
    io::IsTerminal,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use livedesk::{Client, ContactList, LimitShape, PAGE_SIZE, Pacing};

/// The limit the client found and the time the rest of the walk takes at it, as the model
/// predicts: `  limit 100 / 60 s, about 1 h 7 min left`; while it learns the limit, once
/// throttled, its first guess (the most a run got, each minute or each longer wait seen).
fn limit_found(pacing: &Pacing, pages_left: Option<u64>) -> String {
    let left = pages_left.and_then(|pages| pacing.time_for(pages));
    describe(pacing.shape(), pacing.requests_per_minute(), left)
}

/// [`limit_found`] from the limit's shape, the pace and the time left at it.
fn describe(shape: LimitShape, per_minute: Option<f64>, left: Option<Duration>) -> String {
    let limit = match (shape, per_minute) {
        (
            LimitShape::FixedWindow {
                allowance, period, ..
            }
            | LimitShape::SlidingWindow {
                allowance, period, ..
            },
            _,
        ) => format!("limit {allowance} / {:.0} s", period.as_secs_f64()),
        (LimitShape::Rate { per_minute, .. }, _) => format!("limit {per_minute:.0}/min"),
        (LimitShape::Set(limit), _) => format!("limit {:.0}/min", limit.per_minute_rate()),
        (LimitShape::Unknown, Some(per_minute)) => {
            format!("limit {per_minute:.0}/min at a first guess")
        }
        _ => return String::new(),
    };
    let left = left
        .map(|left| {
            let minutes = left.as_secs().div_ceil(60);
            if left < Duration::from_secs(60) {
                // Not "about 0 min" in the last second.
                ", under a minute left".to_owned()
            } else if minutes >= 60 {
                format!(", about {} h {} min left", minutes / 60, minutes % 60)
            } else {
                format!(", about {minutes} min left")
            }
        })
        .unwrap_or_default();
    format!("  {limit}{left}")
}

/// The bar's length once `written` pages are: the pages the server's `total` counts (or
/// `--limit` ends at, if fewer), grown with the total as contacts arrive during the walk, and
/// never short of the pages written (the end read again, a total that lagged); `None` when
/// nothing says.
fn length(
    current: Option<u64>,
    written: u64,
    total: Option<u64>,
    limit: Option<u64>,
) -> Option<u64> {
    let pages = match (total, limit) {
        (Some(total), Some(limit)) => total.min(limit),
        (total, limit) => total.or(limit)?,
    };
    Some(pages.max(current.unwrap_or(0)).max(written))
}

pub(crate) struct Progress {
    bar: ProgressBar,
    contacts: Arc<AtomicU64>,
    /// The pages `--limit` needs, when it has one.
    limit_pages: Option<u64>,
    /// The number of the walk's first page, once written.
    first: Cell<Option<u64>>,
    ticker: tokio::task::AbortHandle,
}

impl Drop for Progress {
    /// A walk that failed leaves no bar behind its one-line error.
    fn drop(&mut self) {
        self.ticker.abort();
        if !self.bar.is_finished() {
            self.bar.finish_and_clear();
        }
    }
}

impl Progress {
    /// A bar for a walk with `client` of at most `limit` contacts; `None` when standard error
    /// is not a terminal.
    pub(crate) fn start(client: &Client, limit: Option<usize>) -> Option<Progress> {
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
                    let pacing = client.pacing();
                    let pages_left = bar
                        .length()
                        .map(|length| length.saturating_sub(bar.position()));
                    bar.set_message(format!(
                        "{done} contacts  {}{}",
                        if pacing.is_throttled() {
                            "rate limited, waiting…".to_owned()
                        } else {
                            format!("{rate:.0}/s")
                        },
                        limit_found(&pacing, pages_left)
                    ));
                    bar.tick();
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        })
        .abort_handle();
        let limit_pages = limit.map(|n| (n as u64).div_ceil(u64::from(PAGE_SIZE)).max(1));
        Some(Progress {
            bar,
            contacts,
            limit_pages,
            first: Cell::new(None),
            ticker,
        })
    }

    /// One more page written.
    pub(crate) fn page(&self, page: &ContactList) {
        // The documented shape counts every match; `has_more` servers do not say.
        let total = page
            .meta
            .count
            .filter(|_| page.meta.has_more.is_none())
            .map(|count| (count.max(0) as u64).div_ceil(u64::from(PAGE_SIZE)).max(1));
        // The page's number, not a count of pages: a resumed export or one since a time
        // starts past page 1 (review 93: a resume at 80 of 158 pages showed 1/158).
        let reached = page
            .meta
            .page()
            .map_or(self.bar.position() + 1, u64::from)
            .max(self.bar.position());
        let first = self.first.get().unwrap_or(reached);
        self.first.set(Some(first));
        let limit = self.limit_pages.map(|pages| first + pages - 1);
        if let Some(pages) = length(self.bar.length(), reached, total, limit) {
            self.bar.set_length(pages);
        }
        self.contacts
            .fetch_add(page.payload.len() as u64, Ordering::Relaxed);
        self.bar.set_position(reached);
    }

    /// The walk completed: the bar stays, with the final counts.
    pub(crate) fn finish(self) {
        self.ticker.abort();
        let done = self.contacts.load(Ordering::Relaxed);
        self.bar.set_length(self.bar.position());
        self.bar.finish_with_message(format!("{done} contacts"));
    }
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroU32;

    use livedesk::{Credentials, RateLimit};

    use super::*;

    #[test]
    fn the_bar_shows_the_limit_and_the_time_its_pace_leaves() {
        let client = |limit: Option<RateLimit>| {
            let builder = Client::builder(Credentials::new("k", "s").unwrap());
            match limit {
                Some(limit) => builder.rate_limit(limit),
                None => builder,
            }
            .build()
            .unwrap()
        };
        let per_minute = RateLimit::per_minute(NonZeroU32::new(100).unwrap());
        let pacing = client(Some(per_minute)).pacing();
        // 100,000 contacts at 100 searches a minute: 6,667 pages, 67 minutes.
        assert_eq!(
            limit_found(&pacing, Some(6_667)),
            "  limit 100/min, about 1 h 7 min left"
        );
        assert_eq!(
            limit_found(&pacing, Some(150)),
            "  limit 100/min, about 2 min left"
        );
        // Not "about 0 min" in the last seconds (review 110).
        assert_eq!(
            limit_found(&pacing, Some(20)),
            "  limit 100/min, under a minute left"
        );
        assert_eq!(limit_found(&pacing, None), "  limit 100/min");
        // Nothing learnt yet: nothing to say.
        assert_eq!(limit_found(&client(None).pacing(), Some(6_667)), "");
        // Throttled while learning: the first guess, and the time left at it.
        assert_eq!(
            describe(
                LimitShape::Unknown,
                Some(100.0),
                Some(Duration::from_secs(4_000))
            ),
            "  limit 100/min at a first guess, about 1 h 7 min left"
        );
        assert_eq!(describe(LimitShape::Unknown, None, None), "");
    }

    #[test]
    fn the_bar_grows_with_the_total_and_never_falls_behind_the_pages_written() {
        // The first page's total, or `--limit`'s pages if fewer; nothing when neither says.
        assert_eq!(length(None, 1, Some(10), None), Some(10));
        assert_eq!(length(None, 1, Some(10), Some(3)), Some(3));
        assert_eq!(length(None, 1, None, None), None);
        // Contacts arriving during the walk move its end (the bar showed 12/10 pages).
        assert_eq!(length(Some(10), 5, Some(12), None), Some(12));
        assert_eq!(length(Some(12), 13, Some(12), None), Some(13));
        // A walk from page 80 with a limit of two pages (review 94: 80/80 at once).
        assert_eq!(length(None, 80, Some(158), Some(81)), Some(81));
        // A total that falls does not shrink the bar below what it showed.
        assert_eq!(length(Some(12), 6, Some(11), None), Some(12));
    }
}
