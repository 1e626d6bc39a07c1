//! Walking the pages of a search.

use crate::types::CurrentPage;

impl CurrentPage {
    /// The page number, whether the server sent it as an integer or as a string; `None` for
    /// values that are not a page number (`"abc"`, `0`, negative numbers).
    ///
    /// ```
    /// use livedesk::types::CurrentPage;
    ///
    /// assert_eq!(CurrentPage::Int64(3).number(), Some(3));
    /// assert_eq!(CurrentPage::String("2".into()).number(), Some(2));
    /// assert_eq!(CurrentPage::String("abc".into()).number(), None);
    /// ```
    pub fn number(&self) -> Option<u32> {
        match self {
            Self::Int64(n) => u32::try_from(*n).ok(),
            Self::String(s) => s.trim().parse().ok(),
        }
        .filter(|&n| n > 0)
    }
}
