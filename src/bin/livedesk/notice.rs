//! One line on standard error when a throttle holds the command for long and no progress bar
//! says so: a minute of silence reads as a hang, in a terminal as in a job's log.

use std::time::Duration;

use livedesk::Client;
use tokio::time::Instant;

/// A throttle held this long is said; shorter ones, as a walk meets at every window, are not.
pub(crate) const LONG_WAIT: Duration = Duration::from_secs(5);

/// How often the client is asked whether it is throttled.
const POLL: Duration = Duration::from_millis(250);

/// When to say that the client is waiting, from whether it is throttled at each moment it is
/// asked: once, when a throttle has lasted [`LONG_WAIT`].
#[derive(Debug, Default)]
pub(crate) struct Watch {
    since: Option<Instant>,
    said: bool,
}

impl Watch {
    /// Whether to say it now.
    pub(crate) fn observe(&mut self, throttled: bool, now: Instant) -> bool {
        if self.said || !throttled {
            self.since = None;
            return false;
        }
        let since = *self.since.get_or_insert(now);
        self.said = now.saturating_duration_since(since) >= LONG_WAIT;
        self.said
    }
}

/// Watches `client` until dropped.
pub(crate) struct Notice(tokio::task::AbortHandle);

impl Drop for Notice {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Notice {
    /// Says, once, when `client` has been throttled for [`LONG_WAIT`]; `max_wait` is
    /// `--max-wait`, how long it may go on.
    pub(crate) fn start(client: &Client, max_wait: u64) -> Notice {
        let client = client.clone();
        let task = tokio::spawn(async move {
            let mut watch = Watch::default();
            loop {
                if watch.observe(client.pacing().is_throttled(), Instant::now()) {
                    eprintln!(
                        "livedesk: rate limited (429): waiting for the server's limit to lift, \
                         up to {max_wait} s (--max-wait)"
                    );
                    return;
                }
                tokio::time::sleep(POLL).await;
            }
        });
        Notice(task.abort_handle())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_throttle_is_said_once_and_short_ones_never() {
        let start = Instant::now();
        let at = |ms: u64| start + Duration::from_millis(ms);
        let mut watch = Watch::default();
        // Throttled for 4.9 s, then through: nothing.
        assert!(!watch.observe(true, at(0)));
        assert!(!watch.observe(true, at(4_900)));
        assert!(!watch.observe(false, at(5_100)));
        // A new throttle counts from its own start.
        assert!(!watch.observe(true, at(6_000)));
        assert!(!watch.observe(true, at(10_900)));
        assert!(watch.observe(true, at(11_000)));
        // Said once, however long it lasts or however often it comes back.
        assert!(!watch.observe(true, at(30_000)));
        assert!(!watch.observe(false, at(31_000)));
        assert!(!watch.observe(true, at(32_000)));
        assert!(!watch.observe(true, at(90_000)));
    }
}
