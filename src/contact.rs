//! Hand-written constructors for the generated data types, for callers' own tests: the types
//! are `#[non_exhaustive]` (a field added to the spec is not a breaking change), so they
//! cannot be built with a struct literal outside this crate.

use crate::types::{Contact, ContactList, CurrentPage};

impl Contact {
    /// A contact with this `id` and every other field as the documentation's default gives it
    /// (`availability_status` `offline`, `blocked` `false`) or empty: set the fields a test
    /// needs on it.
    ///
    /// ```
    /// use livedesk::Contact;
    ///
    /// let mut ada = Contact::new(7);
    /// ada.name = Some("Ada".to_owned());
    /// ada.email = Some("ada@example.com".to_owned());
    /// assert!(!ada.blocked);
    /// ```
    pub fn new(id: i64) -> Self {
        Self::try_from(Self::builder().id(id)).expect("every field but `id` has a default")
    }
}

impl ContactList {
    /// Page `page` of a search that matched `count` contacts, holding `contacts`: what a
    /// mock or a test double answers.
    ///
    /// ```
    /// use livedesk::{Contact, ContactList};
    ///
    /// let page = ContactList::new(1, 2, vec![Contact::new(1), Contact::new(2)]);
    /// assert_eq!((page.meta.page(), page.meta.count), (Some(1), Some(2)));
    /// ```
    pub fn new(page: u32, count: u64, contacts: Vec<Contact>) -> Self {
        let mut list = Self::default();
        list.meta.current_page = Some(CurrentPage::Int64(page.into()));
        list.meta.count = Some(i64::try_from(count).unwrap_or(i64::MAX));
        list.payload = contacts;
        list
    }
}
