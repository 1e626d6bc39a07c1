//! Hand-written additions to the generated search builder.

use crate::builder::SearchContacts;

impl SearchContacts<'_> {
    /// Adds one label to the filter; contacts carrying any of the labels match. Easier than
    /// building the `Vec<String>` that [`labels`](Self::labels) takes.
    ///
    /// ```no_run
    /// # async fn run(client: livedesk::Client) -> livedesk::Result<()> {
    /// let page = client.search_contacts().q("@").label("vip").label("beta").send().await?;
    /// # Ok(()) }
    /// ```
    pub fn label(mut self, label: impl Into<String>) -> Self {
        // An earlier invalid `labels(..)` keeps its error, reported by `send`.
        if let Ok(labels) = &mut self.labels {
            labels.get_or_insert_with(Vec::new).push(label.into());
        }
        self
    }
}
