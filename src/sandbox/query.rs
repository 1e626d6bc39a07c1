//! A search as the real server reads and answers it: Rails' parameter parsing, substring
//! matching with its case rules, any-match labels, the upstream sort orders, pages of 15.

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
    /// `None`: no filter. `Some` of an empty list: a filter that nothing passes (`labels[]=`).
    pub(crate) labels: Option<Vec<String>>,
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
        let mut labels_array: Option<Vec<String>> = None;
        let mut labels_scalar = None;
        for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
            let value = value.into_owned();
            // Rails: a repeated scalar keeps its last value; `key[]` collects an array.
            match &*key {
                "q" => params.q = Some(value),
                "page" => params.page = Some(value),
                "labels[]" => labels_array.get_or_insert_default().push(value),
                "labels" => labels_scalar = Some(value),
                // Chatwoot's contacts_controller.rb `set_include_contact_inboxes`: a blank
                // value counts as absent (true); otherwise only the literal `true` is true.
                "include_contact_inboxes" => {
                    params.include_contact_inboxes = is_blank(&value) || value == "true";
                }
                "sort" => params.sort = Some(value),
                "direction" => params.direction = Some(value),
                _ => {}
            }
        }
        // Chatwoot's contacts_controller.rb filters only when `params[:labels].present?`:
        // `labels=` (a blank string) is no filter, while `labels[]=` (an array holding a
        // blank) is one. acts-as-taggable-on's `tagged_with` then parses the list (splitting
        // on commas, stripping each name, dropping blanks) and matches nothing when it is
        // left empty.
        params.labels = match (labels_array, labels_scalar) {
            (Some(array), _) => Some(tag_list(&array)),
            (None, Some(scalar)) if !is_blank(&scalar) => Some(tag_list(&[scalar])),
            (None, _) => None,
        };
        params
    }

    /// `q` as Chatwoot's contacts_controller.rb uses it: `params[:q].strip`, which strips
    /// Ruby's whitespace only (ASCII; an ideographic space stays).
    pub(crate) fn stripped_q(&self) -> Option<&str> {
        self.q.as_deref().map(ruby_strip)
    }

    /// The 1-based page. Chatwoot passes `params[:page]` to Kaminari, which reads it with
    /// Ruby's `String#to_i` and takes page 1 for anything below 1.
    pub(crate) fn page_number(&self) -> usize {
        match self.page.as_deref().map(ruby_to_i) {
            Some(Some(page)) if page >= 1 => usize::try_from(page).unwrap_or(usize::MAX),
            Some(None) => usize::MAX,
            _ => 1,
        }
    }
}

/// Ruby's `String#strip`: leading and trailing NUL, tab, line feed, vertical tab, form feed,
/// carriage return and space.
fn ruby_strip(value: &str) -> &str {
    value.trim_matches(|c: char| matches!(c, '\0' | '\t' | '\n' | '\x0b' | '\x0c' | '\r' | ' '))
}

/// ActiveSupport's `blank?` for a string: only whitespace (Unicode's), or nothing.
fn is_blank(value: &str) -> bool {
    value.chars().all(char::is_whitespace)
}

/// acts-as-taggable-on's tag list: comma-separated names, each stripped, blanks dropped,
/// compared ignoring case.
fn tag_list(values: &[String]) -> Vec<String> {
    values
        .iter()
        .flat_map(|value| value.split(','))
        .map(|name| name.trim().to_lowercase())
        .filter(|name| !name.is_empty())
        .collect()
}

/// Ruby's `String#to_i`: leading whitespace, an optional sign, then digits with single
/// underscores between them; the rest is ignored, and no digits read as 0. `None` is a
/// number beyond `i64` (a page past any data).
fn ruby_to_i(value: &str) -> Option<i64> {
    let rest = value.trim_start_matches(|c: char| c.is_ascii_whitespace() || c == '\x0b');
    let (negative, rest) = match rest.as_bytes().first() {
        Some(b'-') => (true, &rest[1..]),
        Some(b'+') => (false, &rest[1..]),
        _ => (false, rest),
    };
    let mut number: i64 = 0;
    let mut previous_underscore = false;
    let mut any = false;
    for byte in rest.bytes() {
        match byte {
            b'0'..=b'9' => {
                number = match number
                    .checked_mul(10)
                    .and_then(|n| n.checked_add(i64::from(byte - b'0')))
                {
                    Some(n) => n,
                    None if negative => return Some(i64::MIN),
                    None => return None,
                };
                previous_underscore = false;
                any = true;
            }
            b'_' if any && !previous_underscore => previous_underscore = true,
            _ => break,
        }
    }
    Some(if negative { -number } else { number })
}

/// SplitMix64's finaliser: a well-spread hash of one number.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
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

    /// Its place in [`Field::ALL`].
    fn slot(self) -> usize {
        Field::ALL
            .iter()
            .position(|&f| f == self)
            .expect("every field is listed")
    }

    /// Compares two contacts by this field in the given direction, nulls placed as the
    /// upstream server places them. Ties are left equal (the caller breaks them by id).
    fn compare(self, a: &Record, b: &Record, descending: bool) -> Ordering {
        /// `name`, `email`, `phone_number`: PostgreSQL's default for a plain `ORDER BY x
        /// ASC|DESC` puts NULLs last ascending and first descending, so NULL is simply the
        /// greatest value (app/models/contact.rb `order_on_name`; procore-sift's `:string`
        /// sort, `LOWER(x)`, for the other two). `order_on_name`'s `CASE` sorts two kinds of
        /// name as `'z'`, but its patterns are `ILIKE` ones written as regexes (`'^+\d*'`,
        /// `'^\b*'`, which Ruby's string turns into `^+d*` and `^`, backspace, `*`): they
        /// match only those literal names, so the sandbox leaves them out.
        fn null_greatest<T: Ord>(a: &Option<T>, b: &Option<T>, descending: bool) -> Ordering {
            let ascending = match (a, b) {
                (Some(a), Some(b)) => a.cmp(b),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            };
            if descending {
                ascending.reverse()
            } else {
                ascending
            }
        }
        /// The other fields: app/models/contact.rb's `order_on_*` scopes say `NULLS LAST`
        /// whatever the direction.
        fn nulls_last<T: Ord>(a: &Option<T>, b: &Option<T>, descending: bool) -> Ordering {
            match (a, b) {
                (Some(a), Some(b)) if descending => b.cmp(a),
                (Some(a), Some(b)) => a.cmp(b),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            }
        }
        let (a, b) = (&a.sort_keys, &b.sort_keys);
        match self {
            Field::Email => null_greatest(&a.email, &b.email, descending),
            Field::Name => null_greatest(&a.name, &b.name, descending),
            Field::PhoneNumber => null_greatest(&a.phone_number, &b.phone_number, descending),
            Field::LastActivityAt => {
                nulls_last(&a.last_activity_at, &b.last_activity_at, descending)
            }
            Field::CreatedAt => nulls_last(&Some(a.created_at), &Some(b.created_at), descending),
            Field::Company => nulls_last(&a.company, &b.company, descending),
            Field::City => nulls_last(&a.city, &b.city, descending),
            Field::Country => nulls_last(&a.country, &b.country, descending),
        }
    }
}

/// Reads `sort` and `direction` into the keys to sort by, in the order they apply.
///
/// Chatwoot's contacts_controller.rb sorts with procore-sift (`sort_on ...`), whose
/// Filtrator splits `sort` on commas; `field` ascends, `-field` descends, a later mention of
/// a field overrides an earlier one, and a key it does not list (a typo, a key in another
/// case, one with spaces around it) is ignored: no order, no error. The keys apply in the
/// order the controller declares its `sort_on`s (procore-sift applies each declared sort in
/// turn), not in the order of the list. Upstream never reads `direction`; LiveDesk
/// documents it, so the sandbox honours it (for the keys without `-`) unless
/// `ignore_direction`.
pub(crate) fn order(
    sort: Option<&str>,
    direction: Option<&str>,
    ignore_direction: bool,
) -> Vec<Order> {
    let desc = !ignore_direction && direction == Some("desc");
    let mut wanted: [Option<bool>; Field::ALL.len()] = Default::default();
    for key in sort.unwrap_or_default().split(',') {
        let (name, minus) = match key.strip_prefix('-') {
            Some(name) => (name, true),
            None => (key, false),
        };
        if let Some(field) = Field::parse(name) {
            wanted[field.slot()] = Some(minus || desc);
        }
    }
    Field::ALL
        .iter()
        .zip(wanted)
        .filter_map(|(&field, descending)| Some((field, descending?)))
        .collect()
}

/// An order of the contacts: a field and whether it descends.
pub(crate) type Order = (Field, bool);

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
    /// Lowercased: tags match ignoring case. `None`: no filter.
    labels: Option<Vec<String>>,
    /// The keys, in the order they apply (never empty).
    order: Vec<Order>,
    /// A search as the newest upstream versions run it (those that send `has_more`).
    newer: bool,
}

impl Key {
    /// `q` stripped and non-blank, or `None` to list every contact; `newer`: search as the
    /// newest upstream versions do, which ignore `labels` in a search.
    pub(crate) fn new(
        q: Option<&str>,
        labels: Option<&[String]>,
        order: Vec<Order>,
        newer: bool,
    ) -> Key {
        let newer = newer && q.is_some();
        Key {
            q: q.map(str::to_owned),
            labels: labels
                .filter(|_| !newer)
                .map(|labels| labels.iter().map(|l| l.to_lowercase()).collect()),
            newer,
            order: if order.is_empty() {
                vec![DEFAULT_ORDER]
            } else {
                order
            },
        }
    }
}

impl Key {
    /// The keys it sorts by, in the order they apply.
    pub(crate) fn order(&self) -> &[Order] {
        &self.order
    }
}

impl Index {
    /// The contacts of `matches` (sorted by `order`) at positions `range`, with every tie
    /// the range touches ordered as for this page only: by a hash of the range's start, the
    /// `seed` and the id, as a bounded heap sort for this `OFFSET` may order them. The same
    /// page asked again is the same; another page cutting the same tie may show some of its
    /// contacts again and hide others.
    pub(crate) fn page_with_unstable_ties(
        &self,
        matches: &[u32],
        range: std::ops::Range<usize>,
        order: &[Order],
        seed: u64,
    ) -> Vec<u32> {
        if range.is_empty() {
            return Vec::new();
        }
        let keys = |a: u32, b: u32| {
            let (a, b) = (&self.records[a as usize], &self.records[b as usize]);
            order
                .iter()
                .fold(Ordering::Equal, |so_far, &(field, descending)| {
                    so_far.then_with(|| field.compare(a, b, descending))
                })
        };
        let tied = |a: usize, b: usize| keys(matches[a], matches[b]) == Ordering::Equal;
        // Widen the range to the whole ties at its ends.
        let mut low = range.start;
        while low > 0 && tied(low - 1, range.start) {
            low -= 1;
        }
        let mut high = range.end;
        while high < matches.len() && tied(high, range.end - 1) {
            high += 1;
        }
        let offset = range.start as u64;
        let shuffle = |index: u32| {
            let id = self.records[index as usize].id as u64;
            mix(mix(offset ^ seed.rotate_left(17)) ^ id)
        };
        let mut slice = matches[low..high].to_vec();
        slice.sort_by(|&a, &b| keys(a, b).then_with(|| shuffle(a).cmp(&shuffle(b))));
        slice[range.start - low..range.end - low].to_vec()
    }

    pub(crate) fn new(records: Vec<Record>) -> Self {
        Index {
            records,
            orders: Default::default(),
            recent: Mutex::default(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.records.len()
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
        // identifier, with `q` unescaped (contacts_controller.rb, `search`). The newest
        // versions match neither the company name nor only resolved contacts, but the id of a
        // `q` of digits (`account.contacts`, `search_conditions`).
        let patterns = key
            .q
            .as_deref()
            .map(|q| (Like::new(&q.to_lowercase()), Like::new(q)));
        // Name, email and phone number; the company name (`folded`'s last) but by the newest.
        let fields = if key.newer { 3 } else { 4 };
        let id = key
            .q
            .as_deref()
            .filter(|q| key.newer && q.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|q| q.parse::<i64>().ok());
        let mut matches: Vec<u32> = self
            .sorted(key.order[0])
            .iter()
            .copied()
            .filter(|&i| {
                let record = &self.records[i as usize];
                let text = patterns.as_ref().is_none_or(|(folded, exact)| {
                    record.folded[..fields]
                        .iter()
                        .any(|field| folded.finds(field))
                        || record
                            .identifier
                            .as_deref()
                            .is_some_and(|id| exact.finds(id))
                        || id == Some(record.id)
                });
                // Only resolved contacts are ever listed or found upstream (`resolved_contacts`
                // in contact.rb), but by the newest versions' search.
                (record.resolved || key.newer)
                    && text
                    && record.has_any_label(key.labels.as_deref())
            })
            .collect();
        if key.order.len() > 1 {
            // Sorted by the first key already; the others break its ties, then the id.
            matches.sort_by(|&a, &b| {
                let (a, b) = (&self.records[a as usize], &self.records[b as usize]);
                key.order
                    .iter()
                    .fold(Ordering::Equal, |order, &(field, descending)| {
                        order.then_with(|| field.compare(a, b, descending))
                    })
                    .then(a.id.cmp(&b.id))
            });
        }
        let matches: Arc<[u32]> = matches.into();
        let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        recent.push_front((key, matches.clone()));
        recent.truncate(CACHED_SEARCHES);
        matches
    }

    fn sorted(&self, (field, descending): Order) -> &[u32] {
        let slot = field.slot();
        self.orders[slot][usize::from(descending)].get_or_init(|| {
            let mut order: Vec<u32> = (0..self.records.len() as u32).collect();
            order.sort_by(|&a, &b| {
                let (a, b) = (&self.records[a as usize], &self.records[b as usize]);
                // Equal keys are kept in id order, so the sandbox's pages are stable. The
                // real server has no tie-breaker: among equal keys (and without `sort`) its
                // order is unspecified and may differ between pages.
                field.compare(a, b, descending).then(a.id.cmp(&b.id))
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
        assert_eq!(
            params.labels.as_deref(),
            Some(&["vip".to_owned(), "new customer".to_owned()][..])
        );
        assert!(!params.include_contact_inboxes, "only `true` is true");
        assert_eq!(params.page_number(), 1);
        assert_eq!(Params::parse("q=%2B86+138").q.as_deref(), Some("+86 138"));
        assert_eq!(Params::parse("labels=vip").labels.unwrap(), ["vip"]);
        assert!(Params::parse("").include_contact_inboxes);
        assert!(Params::parse("include_contact_inboxes=").include_contact_inboxes);
        assert_eq!(Params::parse("page=3").page_number(), 3);
        assert_eq!(Params::parse("page=0").page_number(), 1);
        assert_eq!(
            Params::parse("page=99999999999999999999999").page_number(),
            usize::MAX
        );
    }

    #[test]
    fn page_is_read_as_ruby_to_i() {
        for (page, number) in [
            ("+2", 2),
            ("1_0", 10),
            ("1__0", 1),
            ("1_", 1),
            ("_1", 1),
            ("2.9", 2),
            (" 3", 3),
            ("4abc", 4),
            ("abc", 1),
            ("0", 1),
            ("-1", 1),
            ("-99999999999999999999999", 1),
            ("", 1),
            ("+-2", 1),
        ] {
            let query = format!(
                "page={}",
                url::form_urlencoded::byte_serialize(page.as_bytes()).collect::<String>()
            );
            assert_eq!(Params::parse(&query).page_number(), number, "page={page:?}");
        }
    }

    #[test]
    fn labels_are_split_stripped_and_lowercased() {
        assert_eq!(
            Params::parse("labels=VIP,%20beta%20").labels.unwrap(),
            ["vip", "beta"]
        );
        assert_eq!(
            Params::parse("labels[]=a,b&labels[]=c").labels.unwrap(),
            ["a", "b", "c"]
        );
        assert_eq!(
            Params::parse("labels=").labels,
            None,
            "a blank scalar is no filter"
        );
        assert_eq!(Params::parse("labels=%20").labels, None);
        assert_eq!(
            Params::parse("labels[]=").labels,
            Some(vec![]),
            "an array is a filter"
        );
        assert_eq!(Params::parse("labels[]=,%20").labels, Some(vec![]));
    }

    #[test]
    fn q_is_stripped_of_ascii_whitespace_only() {
        assert_eq!(Params::parse("q=%20%09ada%0A").stripped_q(), Some("ada"));
        assert_eq!(
            Params::parse("q=%E3%80%80ada").stripped_q(),
            Some("\u{3000}ada")
        );
    }

    #[test]
    fn sort_reads_minus_and_ignores_unknown_keys() {
        use Field::*;
        assert_eq!(order(Some("name"), None, false), [(Name, false)]);
        assert_eq!(order(Some("-name"), None, false), [(Name, true)]);
        assert_eq!(order(Some("-name"), Some("asc"), false), [(Name, true)]);
        assert_eq!(order(Some("name"), Some("desc"), false), [(Name, true)]);
        assert_eq!(order(Some("name"), Some("desc"), true), [(Name, false)]);
        assert_eq!(order(Some("Name"), None, false), []);
        assert_eq!(order(Some("nom"), Some("desc"), false), []);
        assert_eq!(order(Some("--name"), None, false), []);
        assert_eq!(order(None, Some("desc"), false), []);
        // A list applies in the controller's order of `sort_on`s; a later mention wins.
        assert_eq!(
            order(Some("created_at,-name,bogus, email"), None, true),
            [(Name, true), (CreatedAt, false)]
        );
        assert_eq!(order(Some("name,-name"), None, false), [(Name, true)]);
        assert_eq!(order(Some(",city,"), None, false), [(City, false)]);
    }
}
