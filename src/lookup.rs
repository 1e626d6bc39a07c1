//! Exact lookups (the contact with this email, phone number or identifier) on top of the
//! substring search the API offers, and the escaping that makes a search literal.

use futures::TryStreamExt;

use crate::{Client, Error, Result, SortField, types::Contact};

/// `text` with the `LIKE` wildcards `%` and `_`, and the escape character `\`, escaped by a
/// backslash: PostgreSQL's default escape, which the upstream server's unescaped
/// `ILIKE '%q%'` honours.
pub(crate) fn escape_wildcards(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// `value` without the whitespace around it that the server strips from `q` (Ruby's `strip`):
/// a value that keeps it could never match what the server searched for.
pub(crate) fn stripped(value: &str) -> &str {
    value.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\x0B' | '\x0C' | '\r' | '\0'))
}

impl Client {
    /// The contact whose email is `email`, ignoring case (the server stores emails in lower
    /// case), or `None`.
    ///
    /// It walks every page of a literal search for `email` (`a@example.com` also matches
    /// `xa@example.com`) and keeps the exact match; several exact matches are
    /// [`Error::SeveralMatches`], with their ids. Whitespace around the value is ignored, as
    /// the server strips it from a query (so do the other lookups).
    ///
    /// ```no_run
    /// # async fn run(client: livedesk::Client) -> livedesk::Result<()> {
    /// if let Some(contact) = client.find_by_email("support@engagelab.com").await? {
    ///     println!("contact {}", contact.id);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn find_by_email(&self, email: &str) -> Result<Option<Contact>> {
        let email = stripped(email);
        // Each character on its own, as Ruby's `downcase` (no Final_Sigma rule).
        let lower = |text: &str| -> String { text.chars().flat_map(char::to_lowercase).collect() };
        let wanted = lower(email);
        // Sent lowercased, as upstream stores it: a database whose ctype folds ASCII alone
        // (`C`) matches `ÉLODIE@` to no stored `élodie@` (review 101).
        self.find("email", &wanted, |contact| {
            contact
                .email
                .as_deref()
                .is_some_and(|found| lower(found) == wanted)
        })
        .await
    }

    /// The contact whose phone number is `phone_number` exactly, in E.164 form with its `+`
    /// (`+8613800000000`), or `None`. Several exact matches are [`Error::SeveralMatches`].
    ///
    /// ```no_run
    /// # async fn run(client: livedesk::Client) -> livedesk::Result<()> {
    /// let contact = client.find_by_phone_number("+8613800000000").await?;
    /// # Ok(()) }
    /// ```
    pub async fn find_by_phone_number(&self, phone_number: &str) -> Result<Option<Contact>> {
        let phone_number = stripped(phone_number);
        self.find("phone number", phone_number, |contact| {
            contact.phone_number.as_deref() == Some(phone_number)
        })
        .await
    }

    /// The contact whose identifier (the "UserID" in LiveDesk) is `identifier` exactly, case
    /// included, or `None`. Several exact matches are [`Error::SeveralMatches`].
    ///
    /// ```no_run
    /// # async fn run(client: livedesk::Client) -> livedesk::Result<()> {
    /// let contact = client.find_by_identifier("crm-7731").await?;
    /// # Ok(()) }
    /// ```
    pub async fn find_by_identifier(&self, identifier: &str) -> Result<Option<Contact>> {
        let identifier = stripped(identifier);
        self.find("identifier", identifier, |contact| {
            contact.identifier.as_deref() == Some(identifier)
        })
        .await
    }

    /// Walks the literal search for `value` and keeps the contacts `exact` accepts. Sorted,
    /// so that the walk's pages do not overlap; streamed, so that a short value matching much
    /// of the account costs requests, not memory.
    async fn find(
        &self,
        field: &'static str,
        value: &str,
        exact: impl Fn(&Contact) -> bool,
    ) -> Result<Option<Contact>> {
        let mut contacts = Box::pin(
            self.search_literal(value)
                .sort(SortField::CreatedAt)
                .paginate()
                .contacts(),
        );
        // The first match, and the ids of all: a server that lists the value on page after
        // page costs eight bytes a match, not a contact.
        let (mut first, mut ids) = (None, Vec::new());
        while let Some(contact) = contacts.try_next().await? {
            if exact(&contact) {
                ids.push(contact.id);
                first.get_or_insert(contact);
            }
        }
        if ids.len() > 1 {
            return Err(Error::SeveralMatches { field, ids });
        }
        Ok(first)
    }
}

#[cfg(test)]
mod tests {
    use super::escape_wildcards;

    #[test]
    fn wildcards_and_the_escape_character_are_escaped() {
        assert_eq!(escape_wildcards("user_42"), r"user\_42");
        assert_eq!(escape_wildcards("50%"), r"50\%");
        assert_eq!(escape_wildcards(r"a\b"), r"a\\b");
        assert_eq!(escape_wildcards("张 ada@example.com"), "张 ada@example.com");
    }
}
