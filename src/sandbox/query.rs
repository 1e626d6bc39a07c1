//! A search as the real server reads and answers it: Rails' parameter parsing, substring
//! matching with its case rules, any-match labels, sorting with nulls last, pages of 15.

use std::{
    cmp::Ordering,
    collections::VecDeque,
    sync::{Arc, Mutex, OnceLock},
};

use super::{data::Record, like::Like};

/// A request's query string, read as Rails reads it.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Params {
    pub(crate) q: Option<String>,
    /// As sent: the server echoes it in `current_page`, odd values included.
    pub(crate) page: Option<String>,
    pub(crate) labels: Vec<String>,
    pub(crate) include_contact_inboxes: bool,
    pub(crate) sort: Option<String>,
    pub(crate) direction: Option<String>,
}

impl Params {
    pub(crate) fn parse(query: &str) -> Self {
        let mut params = Params {
            include_contact_inboxes: true,
            ..Params::default()
        };
        let mut labels_scalar = None;
        for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
            let value = value.into_owned();
            // Rails: a repeated scalar keeps its last value; `key[]` collects an array.
            match &*key {
                "q" => params.q = Some(value),
                "page" => params.page = Some(value),
                "labels[]" => params.labels.push(value),
                "labels" => labels_scalar = Some(value),
                // Only the literal `true` is true.
                "include_contact_inboxes" => params.include_contact_inboxes = value == "true",
                "sort" => params.sort = Some(value),
                "direction" => params.direction = Some(value),
                _ => {}
            }
        }
        if params.labels.is_empty() {
            params.labels.extend(labels_scalar);
        }
        params
    }

    /// The 1-based page: Kaminari reads what it can and takes page 1 for the rest.
    pub(crate) fn page_number(&self) -> usize {
        let digits: String = match &self.page {
            Some(page) => page
                .trim()
                .chars()
                .take_while(char::is_ascii_digit)
                .collect(),
            None => String::new(),
        };
        match digits.parse::<usize>() {
            Ok(0) => 1,
            Ok(page) => page,
            // Beyond any page there is: empty, with the full count.
            Err(_) if !digits.is_empty() => usize::MAX,
            Err(_) => 1,
        }
    }
}

/// What a search can be sorted by; the spec's `SortField`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Field {
    Email,
    Name,
    PhoneNumber,
    LastActivityAt,
    CreatedAt,
    Company,
    City,
    Country,
}

impl Field {
    const ALL: [Field; 8] = [
        Field::Email,
        Field::Name,
        Field::PhoneNumber,
        Field::LastActivityAt,
        Field::CreatedAt,
        Field::Company,
        Field::City,
        Field::Country,
    ];

    pub(crate) fn parse(value: &str) -> Option<Field> {
        Some(match value {
            "email" => Field::Email,
            "name" => Field::Name,
            "phone_number" => Field::PhoneNumber,
            "last_activity_at" => Field::LastActivityAt,
            "created_at" => Field::CreatedAt,
            "company" => Field::Company,
            "city" => Field::City,
            "country" => Field::Country,
            _ => return None,
        })
    }

    /// Compares two contacts by this field, ascending, with `None` greater than any value.
    fn compare(self, a: &Record, b: &Record) -> Ordering {
        fn nulls_last<T: Ord>(a: &Option<T>, b: &Option<T>) -> Ordering {
            match (a, b) {
                (Some(a), Some(b)) => a.cmp(b),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            }
        }
        let (a, b) = (&a.sort_keys, &b.sort_keys);
        match self {
            Field::Email => nulls_last(&a.email, &b.email),
            Field::Name => nulls_last(&a.name, &b.name),
            Field::PhoneNumber => nulls_last(&a.phone_number, &b.phone_number),
            Field::LastActivityAt => nulls_last(&a.last_activity_at, &b.last_activity_at),
            Field::CreatedAt => a.created_at.cmp(&b.created_at),
            Field::Company => nulls_last(&a.company, &b.company),
            Field::City => nulls_last(&a.city, &b.city),
            Field::Country => nulls_last(&a.country, &b.country),
        }
    }

    fn is_null(self, record: &Record) -> bool {
        let keys = &record.sort_keys;
        match self {
            Field::Email => keys.email.is_none(),
            Field::PhoneNumber => keys.phone_number.is_none(),
            Field::LastActivityAt => keys.last_activity_at.is_none(),
            Field::Company => keys.company.is_none(),
            Field::City => keys.city.is_none(),
            Field::Country => keys.country.is_none(),
            Field::Name => keys.name.is_none(),
            Field::CreatedAt => false,
        }
    }
}

/// An order of the contacts: a field and whether it descends.
type Order = (Field, bool);

/// Without `sort`, the sandbox lists the most recently active first (the real server's order
/// is then not even stable between pages).
const DEFAULT_ORDER: Order = (Field::LastActivityAt, true);

/// How many distinct searches keep their matches, so that the pages of a walk do not search
/// the whole data set again.
const CACHED_SEARCHES: usize = 32;

/// The data set with its sorted orders and recent searches.
pub(crate) struct Index {
    records: Vec<Record>,
    orders: [[OnceLock<Box<[u32]>>; 2]; Field::ALL.len()],
    recent: Mutex<VecDeque<(Key, Arc<[u32]>)>>,
}

/// A search: what decides its matches and their order.
#[derive(PartialEq, Eq)]
pub(crate) struct Key {
    /// `None` lists every contact (upstream's index action).
    q: Option<String>,
    /// Lowercased: tags match ignoring case.
    labels: Vec<String>,
    order: Order,
}

impl Key {
    /// `q` stripped and non-blank, or `None` to list every contact.
    pub(crate) fn new(q: Option<&str>, labels: &[String], order: Option<Order>) -> Key {
        Key {
            q: q.map(str::to_owned),
            labels: labels.iter().map(|l| l.to_lowercase()).collect(),
            order: order.unwrap_or(DEFAULT_ORDER),
        }
    }
}

impl Index {
    pub(crate) fn new(records: Vec<Record>) -> Self {
        Index {
            records,
            orders: Default::default(),
            recent: Mutex::default(),
        }
    }

    pub(crate) fn record(&self, index: u32) -> &Record {
        &self.records[index as usize]
    }

    /// The matches of a recent search, in its order.
    pub(crate) fn cached(&self, key: &Key) -> Option<Arc<[u32]>> {
        let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        let position = recent.iter().position(|(k, _)| k == key)?;
        let entry = recent.remove(position).expect("the position is in range");
        let matches = entry.1.clone();
        recent.push_front(entry);
        Some(matches)
    }

    /// The indexes of the contacts matching the search, in its order: a pass over the whole
    /// data set (and a sort, the first time an order is used), so callers run it off the
    /// async workers.
    pub(crate) fn search(&self, key: Key) -> Arc<[u32]> {
        // Upstream: `ILIKE '%q%'` on name, email, phone number and company name, `LIKE` on the
        // identifier, with `q` unescaped (contacts_controller.rb, `search`).
        let patterns = key
            .q
            .as_deref()
            .map(|q| (Like::new(&q.to_lowercase()), Like::new(q)));
        let matches: Arc<[u32]> = self
            .sorted(key.order)
            .iter()
            .copied()
            .filter(|&i| {
                let record = &self.records[i as usize];
                let text = patterns.as_ref().is_none_or(|(folded, exact)| {
                    record.folded.iter().any(|field| folded.finds(field))
                        || record
                            .identifier
                            .as_deref()
                            .is_some_and(|id| exact.finds(id))
                });
                // Only resolved contacts are ever listed or found upstream (`resolved_contacts`
                // in contact.rb).
                record.resolved
                    && text
                    && (key.labels.is_empty()
                        || key
                            .labels
                            .iter()
                            .any(|l| record.labels.contains(&l.as_str())))
            })
            .collect();
        let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        recent.push_front((key, matches.clone()));
        recent.truncate(CACHED_SEARCHES);
        matches
    }

    fn sorted(&self, (field, descending): Order) -> &[u32] {
        let slot = Field::ALL
            .iter()
            .position(|&f| f == field)
            .expect("every field is listed");
        self.orders[slot][usize::from(descending)].get_or_init(|| {
            let mut order: Vec<u32> = (0..self.records.len() as u32).collect();
            order.sort_by(|&a, &b| {
                let (a, b) = (&self.records[a as usize], &self.records[b as usize]);
                let by_field = match (field.is_null(a), field.is_null(b), descending) {
                    (false, false, true) => field.compare(b, a),
                    _ => field.compare(a, b),
                };
                by_field.then(a.id.cmp(&b.id))
            });
            order.into()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_read_as_rails_reads_them() {
        let params = Params::parse(
            "q=%2B86+138&page=abc&labels%5B%5D=vip&labels[]=new+customer&include_contact_inboxes=1&q=x",
        );
        assert_eq!(
            params.q.as_deref(),
            Some("x"),
            "the last of a repeated scalar wins"
        );
        assert_eq!(params.labels, ["vip", "new customer"]);
        assert!(!params.include_contact_inboxes, "only `true` is true");
        assert_eq!(params.page_number(), 1);
        assert_eq!(Params::parse("q=%2B86+138").q.as_deref(), Some("+86 138"));
        assert_eq!(Params::parse("labels=vip").labels, ["vip"]);
        assert!(Params::parse("").include_contact_inboxes);
        assert_eq!(Params::parse("page=3").page_number(), 3);
        assert_eq!(Params::parse("page=0").page_number(), 1);
        assert_eq!(
            Params::parse("page=99999999999999999999999").page_number(),
            usize::MAX
        );
    }
}
