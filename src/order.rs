//! The sort order the server really applied.
//!
//! LiveDesk documents `direction=asc|desc`, but the server it is built on (Chatwoot's
//! app/controllers/api/v1/accounts/contacts_controller.rb, sorting with procore-sift's
//! `sort_on`) never reads `direction`: it descends only for `sort=-field`. A gateway in front
//! may translate `direction`, or may pass it through to be ignored, and then a descending
//! search silently comes back ascending. So the client asks as documented, checks the first
//! answers where the order can be seen, and when the server sorted the other way it asks
//! with `sort=-field` from then on (every clone of the client shares what it learnt), reads
//! the page again, and says so once. If neither form gives the order asked, the search fails
//! with [`Error::SortNotApplied`]: never a silently reversed order.
//!
//! The order can be seen on `created_at` and `last_activity_at` exactly, and on `name`,
//! `email` and `phone_number` (which the server sorts by their lower case, NULLs last
//! ascending and first descending, PostgreSQL's default): only pairs whose first difference
//! is between two ASCII letters or digits, ignoring the case of ASCII letters alone, count,
//! as the server's database collation is not known, nor its ctype (under `C`, `LOWER`
//! leaves `É` as it is: `É` sorts after `z` there, `é` before it elsewhere). Byte order, and the C, root and English collations (glibc's and
//! ICU's), order those alike, but not every language's: Danish sorts `aa` after `z`,
//! Estonian `z` before `t`, so a server in such a collation whose page holds no other pair
//! can be read as sorted the other way and refused. A page whose pairs disagree is taken
//! for a collation's order, not refused. `company`, `city` and `country` (sorted as raw
//! text, whose order between cases depends on that collation) are not checked.

use std::{
    cmp::Ordering,
    sync::atomic::{AtomicU8, Ordering as Atomic},
};

use crate::{
    Error, Result, Search,
    types::{Contact, ContactList, SortDirection, SortField},
};

/// How the client asks for a descending order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Form {
    /// `sort=field&direction=desc`, as LiveDesk documents it.
    Direction,
    /// `sort=-field`, as the upstream server reads it.
    Minus,
}

/// What a client learnt of the server's `direction`, shared by its clones.
#[derive(Debug, Default)]
pub(crate) struct Learned(AtomicU8);

const UNKNOWN: u8 = 0;
const HONOURED: u8 = 1;
const IGNORED: u8 = 2;

impl Learned {
    fn get(&self) -> u8 {
        self.0.load(Atomic::Relaxed)
    }

    /// Whether the server was seen to ignore `direction`.
    pub(crate) fn is_ignored(&self) -> bool {
        self.get() == IGNORED
    }

    fn form(&self) -> Form {
        if self.is_ignored() {
            Form::Minus
        } else {
            Form::Direction
        }
    }

    /// Records that `direction` was seen honoured, unless already decided.
    fn honoured(&self) {
        let _ = self
            .0
            .compare_exchange(UNKNOWN, HONOURED, Atomic::Relaxed, Atomic::Relaxed);
    }

    /// Records that `direction` was seen ignored; the first to learn it says so, once.
    fn ignore(&self, field: SortField) {
        if self.0.swap(IGNORED, Atomic::Relaxed) != IGNORED {
            tracing::info!(
                sort = %field,
                "the server ignores `direction` and sorted ascending: descending searches are \
                 asked as `sort=-field` from now on"
            );
        }
    }
}

tokio::task_local! {
    /// Set around a request to be sent in the `sort=-field` form.
    static MINUS: bool;
}

/// Rewrites a request sent in the `sort=-field` form: `sort=f&direction=desc` becomes
/// `sort=-f`. Called by the engine's `pre` hook for every request.
pub(crate) fn rewrite(request: &mut reqwest::Request) {
    if !MINUS.try_with(|minus| *minus).unwrap_or(false) {
        return;
    }
    let url = request.url_mut();
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    if !pairs.iter().any(|(k, v)| k == "direction" && v == "desc") {
        return;
    }
    let rewritten = pairs.into_iter().filter_map(|(key, value)| match &*key {
        "direction" => None,
        "sort" => Some((key, format!("-{value}"))),
        _ => Some((key, value)),
    });
    url.query_pairs_mut().clear().extend_pairs(rewritten);
}

/// What a page shows of its order by a field.
#[derive(Debug, PartialEq, Eq)]
enum Seen {
    /// Nothing: too few comparable keys.
    Nothing,
    Ascending,
    Descending,
    /// Both ways: not sorted by this field.
    Unordered,
}

/// A contact's key for `field`, when the client can check that field's order: numbers
/// exactly, text as it is (see `surely`); `None` is a null.
enum Key {
    Number(Option<i64>),
    Text(Option<String>),
}

fn key(field: SortField, contact: &Contact) -> Option<Key> {
    Some(match field {
        SortField::CreatedAt => Key::Number(contact.created_at),
        SortField::LastActivityAt => Key::Number(contact.last_activity_at),
        SortField::Name => Key::Text(contact.name.clone()),
        SortField::Email => Key::Text(contact.email.clone()),
        SortField::PhoneNumber => Key::Text(contact.phone_number.clone()),
        _ => return None,
    })
}

/// Whether the field's order is seen exactly (numbers), not through a collation.
fn is_exact(field: SortField) -> bool {
    matches!(field, SortField::CreatedAt | SortField::LastActivityAt)
}

/// How two texts compare by their lower case, where the collations and ctypes the client
/// assumes agree: up to their first difference they are the same but for the case of ASCII
/// letters (which every ctype's `LOWER` folds; other characters, the same, lower the same
/// under any), and that difference is between two ASCII letters or digits (byte order and
/// the C, root and English collations of glibc and ICU; a language's own may not, as the
/// module says). Under a `C` ctype `LOWER` folds ASCII alone (review 101: `Élise` and
/// `élise` lowered alike by the client read a right order as reversed).
fn surely(a: &str, b: &str) -> Option<Ordering> {
    let (x, y) = a
        .bytes()
        .zip(b.bytes())
        .map(|(x, y)| (x.to_ascii_lowercase(), y.to_ascii_lowercase()))
        .find(|(x, y)| x != y)?;
    let plain = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    (plain(x) && plain(y)).then(|| x.cmp(&y))
}

/// What `page` shows of its order by `field` (`None`: a field the client does not check).
fn seen(field: SortField, page: &[Contact]) -> Option<Seen> {
    let keys: Vec<Key> = page
        .iter()
        .map(|contact| key(field, contact))
        .collect::<Option<_>>()?;
    let (mut ascending, mut descending) = (false, false);
    // Text sorts put NULL as the greatest value (last ascending, first descending); numbers
    // put it last both ways (app/models/contact.rb's `NULLS LAST`).
    for pair in keys.windows(2) {
        let order = match (&pair[0], &pair[1]) {
            (Key::Number(Some(a)), Key::Number(Some(b))) => Some(a.cmp(b)),
            (Key::Number(None), Key::Number(Some(_))) => {
                // A null before a value: neither way.
                ascending = true;
                descending = true;
                None
            }
            (Key::Text(Some(a)), Key::Text(Some(b))) => surely(a, b),
            (Key::Text(Some(_)), Key::Text(None)) => Some(Ordering::Less),
            (Key::Text(None), Key::Text(Some(_))) => Some(Ordering::Greater),
            _ => None,
        };
        match order {
            Some(Ordering::Less) => ascending = true,
            Some(Ordering::Greater) => descending = true,
            _ => {}
        }
    }
    // Text pairs that are not neighbours still count (nulls or unclear pairs between them).
    if let Some(Key::Text(_)) = keys.first() {
        let texts: Vec<&str> = keys
            .iter()
            .filter_map(|key| match key {
                Key::Text(Some(text)) => Some(text.as_str()),
                _ => None,
            })
            .collect();
        for (i, a) in texts.iter().enumerate() {
            for b in &texts[i + 1..] {
                match surely(a, b) {
                    Some(Ordering::Less) => ascending = true,
                    Some(Ordering::Greater) => descending = true,
                    _ => {}
                }
            }
        }
    }
    Some(match (ascending, descending) {
        (false, false) => Seen::Nothing,
        (true, false) => Seen::Ascending,
        (false, true) => Seen::Descending,
        (true, true) => Seen::Unordered,
    })
}

/// Whether page `a` starts with a greater key than page `b` (which a descending first page
/// does), when that can be told: a text's NULL is the greatest, a number's the least (NULLS
/// LAST both ways).
fn first_greater(field: SortField, a: &[Contact], b: &[Contact]) -> Option<bool> {
    let order = match (key(field, a.first()?)?, key(field, b.first()?)?) {
        (Key::Number(a), Key::Number(b)) => a.cmp(&b),
        (Key::Text(None), Key::Text(Some(_))) => Ordering::Greater,
        (Key::Text(Some(_)), Key::Text(None)) => Ordering::Less,
        (Key::Text(Some(a)), Key::Text(Some(b))) => surely(&a, &b)?,
        _ => return None,
    };
    match order {
        Ordering::Equal => None,
        order => Some(order == Ordering::Greater),
    }
}

/// Whether two pages hold the same contacts in the same order.
fn is_same_page(a: &ContactList, b: &ContactList) -> bool {
    a.payload
        .iter()
        .map(|c| c.id)
        .eq(b.payload.iter().map(|c| c.id))
}

fn not_applied(field: SortField, direction: SortDirection, what: String) -> Error {
    Error::SortNotApplied {
        field,
        direction,
        what,
    }
}

impl Search {
    /// The sort this search asks for, when it sets one: its field and direction (ascending
    /// unless it says otherwise).
    fn asked_order(&self) -> Option<(SortField, SortDirection)> {
        let field = match &self.parameters.sort {
            Some(Ok(field)) => *field,
            _ => return None,
        };
        let direction = match &self.parameters.direction {
            Some(Ok(direction)) => *direction,
            _ => SortDirection::Asc,
        };
        Some((field, direction))
    }

    /// Sends the search and checks the order of its answer while the client has not yet
    /// learnt how the server reads `direction`; returns the answer and the form it was asked
    /// in.
    pub(crate) async fn fetch_checked(&self) -> (Result<ContactList>, Form) {
        let learned = self.client.learned_order();
        let Some((field, direction)) = self.asked_order() else {
            return (self.fetch_once().await, Form::Direction);
        };
        let form = learned.form();
        let descending = direction == SortDirection::Desc;
        let page = match self.fetch_in(form == Form::Minus && descending).await {
            Ok(page) => page,
            Err(error) => return (Err(error), form),
        };
        if learned.get() != UNKNOWN && form == learned.form() {
            return (Ok(page), form);
        }
        let wanted = if descending {
            Seen::Descending
        } else {
            Seen::Ascending
        };
        match seen(field, &page.payload) {
            None => (Ok(page), form),
            // Text in neither order may still be in the server's collation's order (one the
            // client does not know): only numbers are sure to be unordered.
            Some(Seen::Unordered) if !is_exact(field) => (Ok(page), form),
            // Nothing to compare: no contact, or the only one there is (page 1 of one or
            // none is the same in either order); a rate-limited API spares the request.
            Some(Seen::Nothing) if page.payload.is_empty() || self.is_first_page_of_one(&page) => {
                (Ok(page), form)
            }
            Some(Seen::Nothing) if descending && form == Form::Direction => {
                self.compare_forms(field, page).await
            }
            Some(Seen::Nothing) => (Ok(page), form),
            Some(seen) if seen == wanted => {
                if descending && form == Form::Direction {
                    learned.honoured();
                }
                (Ok(page), form)
            }
            Some(Seen::Ascending) if descending && form == Form::Direction => {
                let again = match self.fetch_in(true).await {
                    Ok(again) => again,
                    Err(error) => return (Err(error), Form::Minus),
                };
                // Learnt only once `sort=-field` is seen to give something else: a server
                // that ignores both must not leave the client asking in a form it no longer
                // checks.
                let descends = match seen(field, &again.payload) {
                    Some(Seen::Descending) => true,
                    Some(Seen::Nothing) | None => !is_same_page(&page, &again),
                    _ => false,
                };
                if !descends {
                    return (
                        Err(not_applied(
                            field,
                            direction,
                            format!(
                                "it sorted ascending both with `direction=desc` and with \
                                 `sort=-{field}`"
                            ),
                        )),
                        Form::Minus,
                    );
                }
                learned.ignore(field);
                (Ok(again), Form::Minus)
            }
            Some(seen) => (
                Err(not_applied(
                    field,
                    direction,
                    match seen {
                        Seen::Unordered => "its answer is in neither order".to_owned(),
                        _ => format!(
                            "it sorted {}",
                            if descending {
                                "ascending"
                            } else {
                                "descending"
                            }
                        ),
                    },
                )),
                form,
            ),
        }
    }

    /// Whether `page` is the first page and holds the only contact that matches.
    fn is_first_page_of_one(&self, page: &ContactList) -> bool {
        let first = match &self.parameters.page {
            Some(Ok(number)) => number.get() == 1,
            None => true,
            Some(Err(_)) => false,
        };
        first && page.payload.len() <= 1
    }

    /// A descending page asked with `direction` that shows no order (equal keys, nulls):
    /// the same page asked as `sort=-field` tells whether `direction` was honoured. Equal
    /// answers are the same either way; different ones mean one form was not, and the one
    /// that descends (its order seen, or its first key the greater) is the true one.
    async fn compare_forms(
        &self,
        field: SortField,
        page: ContactList,
    ) -> (Result<ContactList>, Form) {
        let learned = self.client.learned_order();
        let Ok(other) = self.fetch_in(true).await else {
            // No answer to `sort=-field`: keep the documented form's.
            return (Ok(page), Form::Direction);
        };
        let same = is_same_page(&page, &other);
        let minus_descends = match seen(field, &other.payload) {
            _ if same => None,
            Some(Seen::Descending) => Some(true),
            Some(Seen::Ascending) => Some(false),
            Some(Seen::Unordered) => None,
            _ => first_greater(field, &other.payload, &page.payload),
        };
        match minus_descends {
            Some(true) => {
                learned.ignore(field);
                (Ok(other), Form::Minus)
            }
            Some(false) => {
                learned.honoured();
                (Ok(page), Form::Direction)
            }
            None => (Ok(page), Form::Direction),
        }
    }

    /// Sends the search, descending as `sort=-field` when `minus`.
    async fn fetch_in(&self, minus: bool) -> Result<ContactList> {
        MINUS.scope(minus, self.fetch_once()).await
    }
}

/// The forms the pages of one walk were asked in: a walk whose pages were read in both
/// forms may mix two orders, and fails rather than yield them.
#[derive(Debug, Default)]
pub(crate) struct WalkForms(AtomicU8);

impl WalkForms {
    /// The page's result, or the error a page read in another form than earlier ones gets.
    pub(crate) fn check(
        &self,
        search: &Search,
        result: Result<ContactList>,
        form: Form,
    ) -> Result<ContactList> {
        let code = match form {
            Form::Direction => 1,
            Form::Minus => 2,
        };
        let page = result?;
        let first = match self
            .0
            .compare_exchange(0, code, Atomic::Relaxed, Atomic::Relaxed)
        {
            Ok(_) => code,
            Err(first) => first,
        };
        match (first == code, search.asked_order()) {
            (false, Some((field, direction))) if direction == SortDirection::Desc => {
                Err(not_applied(
                    field,
                    direction,
                    format!(
                        "the server ignores `direction`, which the walk learnt only after \
                         pages it had read with it; run the walk again (the client now asks \
                         with `sort=-{field}`)"
                    ),
                ))
            }
            _ => Ok(page),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contact(name: Option<&str>, last_activity_at: Option<i64>) -> Contact {
        let mut value = serde_json::json!({"id": 1, "name": name});
        if let Some(at) = last_activity_at {
            value["last_activity_at"] = at.into();
        }
        serde_json::from_value(value).expect("a contact")
    }

    #[test]
    fn nulls_count_where_the_server_puts_them() {
        let names = |names: &[Option<&str>]| -> Vec<Contact> {
            names.iter().map(|&name| contact(name, None)).collect()
        };
        // Text: NULL is the greatest, first descending, last ascending.
        let page = names(&[None, Some("zed"), Some("ada")]);
        assert_eq!(seen(SortField::Name, &page), Some(Seen::Descending));
        let page = names(&[Some("ada"), Some("zed"), None]);
        assert_eq!(seen(SortField::Name, &page), Some(Seen::Ascending));
        let page = names(&[None, Some("ada"), Some("zed")]);
        assert_eq!(seen(SortField::Name, &page), Some(Seen::Unordered));
        // Equal keys, or only unclear pairs, show nothing.
        let page = names(&[Some("ada"), Some("ada"), Some("adam")]);
        assert_eq!(seen(SortField::Name, &page), Some(Seen::Nothing));
        // Timestamps: NULLS LAST both ways; a null before a value is neither order.
        let at = |times: &[Option<i64>]| -> Vec<Contact> {
            times.iter().map(|&at| contact(None, at)).collect()
        };
        let page = at(&[Some(3), Some(1), None]);
        assert_eq!(
            seen(SortField::LastActivityAt, &page),
            Some(Seen::Descending)
        );
        let page = at(&[None, Some(1)]);
        assert_eq!(
            seen(SortField::LastActivityAt, &page),
            Some(Seen::Unordered)
        );
        // Raw text sorts are not checked.
        assert_eq!(seen(SortField::Company, &page), None);
    }

    #[test]
    fn only_pairs_of_ascii_lowercase_letters_or_digits_count() {
        assert_eq!(surely("ada", "adb"), Some(Ordering::Less));
        assert_eq!(surely("+86", "+44"), Some(Ordering::Greater));
        assert_eq!(surely("a.b@x", "a.c@x"), Some(Ordering::Less));
        assert_eq!(surely("a_d", "a@c"), None, "punctuation orders differ");
        assert_eq!(surely("ada", "adam"), None, "a prefix");
        assert_eq!(surely("zoë", "zoa"), None, "not ASCII");
        // Review 101: ASCII case folded, other letters as they are (a `C` ctype's `LOWER`).
        assert_eq!(surely("Ada", "adb"), Some(Ordering::Less));
        assert_eq!(surely("Élise Martin", "élise dupont"), None, "É and é");
        assert_eq!(
            surely("élise Martin", "élise dupont"),
            Some(Ordering::Greater)
        );
        assert_eq!(surely("same", "same"), None);
    }
}
