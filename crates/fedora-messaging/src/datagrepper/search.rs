//! A search of the archive (`/v2/search`): its filters, and the query string of one page.

use chrono::{DateTime, SecondsFormat, Utc};

use super::Error;
use crate::Envelope;

/// The most messages datagrepper returns per page (more is a 400).
pub const MAX_ROWS_PER_PAGE: u32 = 100;

/// A search of the archive: a time window and filters, oldest message first.
///
/// Filters of one kind are alternatives (`topic` A or B); kinds combine (topic and user); the
/// `not_` forms exclude. `since` and `until` are both inclusive. Without `since`, datagrepper
/// searches from the beginning of the archive when `until` is given, or the last
/// `DEFAULT_QUERY_DELTA` (a server setting) otherwise.
///
/// ```
/// use fedora_messaging::datagrepper::Search;
///
/// let search = Search::new()
///     .since("2026-12-01T00:00:00Z".parse().unwrap())
///     .topic("org.fedoraproject.prod.bodhi.update.comment")
///     .user("alice");
/// let query = search.query(2);
/// assert!(query.contains(&("start", "2026-12-01T00:00:00.000000Z".to_string())));
/// assert!(query.contains(&("order", "asc".to_string())));
/// assert!(query.contains(&("page", "2".to_string())));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct Search {
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
    filters: Vec<(&'static str, String)>,
    rows_per_page: u32,
}

impl Default for Search {
    fn default() -> Self {
        Self::new()
    }
}

macro_rules! filter {
    ($($(#[$doc:meta])* $name:ident => $key:literal;)*) => {
        $(
            $(#[$doc])*
            pub fn $name(mut self, value: impl Into<String>) -> Self {
                self.filters.push(($key, value.into()));
                self
            }
        )*
    };
}

impl Search {
    /// Every message (within the server's default window), 100 per page.
    pub fn new() -> Self {
        Self {
            since: None,
            until: None,
            filters: Vec::new(),
            rows_per_page: MAX_ROWS_PER_PAGE,
        }
    }

    /// Messages sent at or after `time`.
    pub fn since(mut self, time: DateTime<Utc>) -> Self {
        self.since = Some(time);
        self
    }

    /// Messages sent at or before `time`.
    pub fn until(mut self, time: DateTime<Utc>) -> Self {
        self.until = Some(time);
        self
    }

    /// The start of the window, if set.
    pub fn start(&self) -> Option<DateTime<Utc>> {
        self.since
    }

    /// The end of the window, if set.
    pub fn end(&self) -> Option<DateTime<Utc>> {
        self.until
    }

    /// Messages per page, 1 to [`MAX_ROWS_PER_PAGE`] (values outside are brought into range).
    pub fn rows_per_page(mut self, rows: u32) -> Self {
        self.rows_per_page = rows.clamp(1, MAX_ROWS_PER_PAGE);
        self
    }

    filter! {
        /// Messages on this topic (repeat for several).
        topic => "topic";
        /// Messages not on this topic.
        not_topic => "not_topic";
        /// Messages of this category (the application part of the topic, e.g. `bodhi`).
        category => "category";
        /// Messages not of this category.
        not_category => "not_category";
        /// Messages about this user (as the message's schema names its users).
        user => "user";
        /// Messages not about this user.
        not_user => "not_user";
        /// Messages about this package (as the message's schema names its packages).
        package => "package";
        /// Messages not about this package.
        not_package => "not_package";
        /// Messages whose body contains this text (datagrepper wants a topic or category with it,
        /// and a start at most eight months back).
        contains => "contains";
    }

    /// The filters, in the order given, as datagrepper's parameter names and values.
    pub fn filters(&self) -> &[(&'static str, String)] {
        &self.filters
    }

    /// The query parameters of page `page` (1-based): the filters, the window as ISO-8601 UTC
    /// with microseconds, `order=asc`, the page and its size.
    pub fn query(&self, page: u32) -> Vec<(&'static str, String)> {
        let mut q = self.filters.clone();
        let iso = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Micros, true);
        if let Some(t) = self.since {
            q.push(("start", iso(t)));
        }
        if let Some(t) = self.until {
            q.push(("end", iso(t)));
        }
        q.push(("order", "asc".into()));
        q.push(("page", page.max(1).to_string()));
        q.push(("rows_per_page", self.rows_per_page.to_string()));
        q
    }
}

/// One page of search results.
#[derive(Debug)]
#[non_exhaustive]
pub struct Page {
    /// The page's messages, oldest first; one that does not load as a message is an error in its
    /// place, and the others are still there.
    pub messages: Vec<Result<Envelope, Error>>,
    /// This page's number (1-based).
    pub page: u32,
    /// How many pages the search has.
    pub pages: u32,
    /// How many messages the search matches.
    pub total: u64,
}

#[cfg(test)]
mod tests {
    use super::Search;

    #[test]
    fn every_filter_becomes_its_parameter_in_order() {
        let s = Search::new()
            .topic("a.b")
            .topic("c.d")
            .not_topic("e")
            .category("bodhi")
            .not_category("koji")
            .user("alice")
            .not_user("bob")
            .package("kernel")
            .not_package("glibc")
            .contains("text")
            .since("2026-01-02T03:04:05.5Z".parse().unwrap())
            .until("2026-01-03T00:00:00+01:00".parse().unwrap())
            .rows_per_page(250);
        let q: Vec<String> = s
            .query(0)
            .into_iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        assert_eq!(
            q,
            [
                "topic=a.b",
                "topic=c.d",
                "not_topic=e",
                "category=bodhi",
                "not_category=koji",
                "user=alice",
                "not_user=bob",
                "package=kernel",
                "not_package=glibc",
                "contains=text",
                "start=2026-01-02T03:04:05.500000Z",
                "end=2026-01-02T23:00:00.000000Z",
                "order=asc",
                "page=1",
                "rows_per_page=100",
            ]
        );
        assert_eq!(Search::new().rows_per_page(0).query(3)[2].1, "1");
    }
}
