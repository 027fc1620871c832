//! The AMQP headers every Fedora message carries, and how they are built.
//!
//! Python fedora-messaging builds them in this order, after copying the user's own headers:
//! `fedora_messaging_schema`, `fedora_messaging_schema_package` (when known), `sent-at`,
//! `fedora_messaging_severity`, `priority`, then one `fedora_messaging_<kind>_<item>: true` filter
//! header per user, group, package, container, module and flatpak the message concerns.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value};

use crate::severity::Severity;
use crate::topic::MAX_SHORT_STRING;

/// Message headers: header name → JSON value. Insertion order is kept.
///
/// On the wire strings are AMQP long strings (`S`), integers signed 32-bit ints (`I`, or 64-bit `l`
/// when they do not fit) and booleans `t`, as pika writes them.
pub type Headers = Map<String, Value>;

/// `fedora_messaging_schema`: the registry name of the schema the body follows.
pub const SCHEMA: &str = "fedora_messaging_schema";
/// `fedora_messaging_schema_package`: the normalized distribution that provides the schema.
pub const SCHEMA_PACKAGE: &str = "fedora_messaging_schema_package";
/// `sent-at`: when the message was created, ISO 8601 to the second, `+00:00`.
pub const SENT_AT: &str = "sent-at";
/// `fedora_messaging_severity`: 10, 20, 30 or 40.
pub const SEVERITY: &str = "fedora_messaging_severity";
/// `priority`: mirrors the AMQP priority property (0 when unset), for debugging.
pub const PRIORITY: &str = "priority";
/// Headers starting with this are the library's; users may not set them.
pub const RESERVED_PREFIX: &str = "fedora_messaging";

/// The schema name of Python's base `Message` class.
pub const BASE_SCHEMA_NAME: &str = "base.message";
/// The schema package of Python's base `Message` class.
pub const BASE_SCHEMA_PACKAGE: &str = "fedora_messaging";

/// The kinds of filter header, in the order Python adds them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FilterKind {
    /// `fedora_messaging_user_<name>`, from `usernames`.
    User,
    /// `fedora_messaging_group_<name>`, from `groups`.
    Group,
    /// `fedora_messaging_rpm_<name>`, from `packages`.
    Rpm,
    /// `fedora_messaging_container_<name>`, from `containers`.
    Container,
    /// `fedora_messaging_module_<name>`, from `modules`.
    Module,
    /// `fedora_messaging_flatpak_<name>`, from `flatpaks`.
    Flatpak,
}

impl FilterKind {
    /// All kinds, in Python's order.
    pub const ALL: [FilterKind; 6] = [
        Self::User,
        Self::Group,
        Self::Rpm,
        Self::Container,
        Self::Module,
        Self::Flatpak,
    ];

    /// The word in the header name (`user`, `group`, `rpm`, …).
    pub const fn word(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Group => "group",
            Self::Rpm => "rpm",
            Self::Container => "container",
            Self::Module => "module",
            Self::Flatpak => "flatpak",
        }
    }

    /// The header for `item`: `fedora_messaging_<word>_<item>`, the item unescaped, as Python writes it.
    pub fn header_name(self, item: &str) -> String {
        // Built by hand: `format!` costs several times more, once per filter header of every
        // message built.
        let word = self.word();
        let mut name = String::with_capacity(RESERVED_PREFIX.len() + word.len() + item.len() + 2);
        name.push_str(RESERVED_PREFIX);
        name.push('_');
        name.push_str(word);
        name.push('_');
        name.push_str(item);
        name
    }
}

/// A header that cannot be set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HeaderError {
    /// A user header uses a name the library sets itself.
    #[error("header {name:?} is reserved: names starting with \"fedora_messaging\", \"sent-at\" and \"priority\" are set by the library")]
    Reserved {
        /// The header name.
        name: String,
    },
    /// A header name longer than an AMQP short string allows.
    #[error("header name {name:?} is {len} bytes long; AMQP allows at most 255")]
    NameTooLong {
        /// The header name.
        name: String,
        /// Its length in bytes.
        len: usize,
    },
}

/// Whether `name` is one the library sets (and so a user may not).
pub fn is_reserved(name: &str) -> bool {
    name.starts_with(RESERVED_PREFIX) || name == SENT_AT || name == PRIORITY
}

/// Checks a header name's length.
pub fn check_name(name: &str) -> Result<(), HeaderError> {
    if name.len() > MAX_SHORT_STRING {
        return Err(HeaderError::NameTooLong {
            name: name.into(),
            len: name.len(),
        });
    }
    Ok(())
}

/// Checks the headers a user wants to add: none reserved, none too long.
pub fn check_user_headers(headers: &Headers) -> Result<(), HeaderError> {
    for name in headers.keys() {
        if is_reserved(name) {
            return Err(HeaderError::Reserved { name: name.clone() });
        }
        check_name(name)?;
    }
    Ok(())
}

/// Whether `headers` pass Python's base header schema ([`crate::schema::base_headers_schema`]):
/// the schema name, package and `sent-at`, when present, are strings; the severity, when present,
/// is a number equal to 10, 20, 30 or 40. Kept in step with that schema by a test.
pub fn base_headers_valid(headers: &Headers) -> bool {
    // One pass comparing names: cheaper than four hashed lookups for the handful of headers a
    // message has.
    headers.iter().all(|(k, v)| match k.as_str() {
        SCHEMA | SCHEMA_PACKAGE | SENT_AT => v.is_string(),
        SEVERITY => v.is_number() && Severity::from_json(v).is_ok(),
        _ => true,
    })
}

/// `sent-at` for `time`: to the second, with `+00:00` (Python's `isoformat()` of an aware UTC time).
///
/// ```
/// use chrono::TimeZone;
/// let t = chrono::Utc.with_ymd_and_hms(2024, 5, 1, 12, 34, 56).unwrap();
/// assert_eq!(fedora_messaging::headers::format_sent_at(t), "2024-05-01T12:34:56+00:00");
/// ```
pub fn format_sent_at(time: DateTime<Utc>) -> String {
    // `use_z = false` gives "+00:00"; seconds precision drops the fraction, as Python's replace(microsecond=0).
    time.to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// `sent-at` for now.
pub fn sent_at_now() -> String {
    // The text changes once a second: each thread keeps the last one it wrote.
    thread_local! {
        static LAST: std::cell::RefCell<(i64, String)> = const { std::cell::RefCell::new((i64::MIN, String::new())) };
    }
    let now = Utc::now();
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        if last.0 != now.timestamp() {
            *last = (now.timestamp(), format_sent_at(now));
        }
        last.1.clone()
    })
}

/// What the library writes into the headers of a new message.
#[derive(Debug, Clone)]
pub struct Stamp<'a> {
    /// `fedora_messaging_schema`.
    pub schema_name: &'a str,
    /// `fedora_messaging_schema_package`, written only when known.
    pub schema_package: Option<&'a str>,
    /// `sent-at`.
    pub sent_at: String,
    /// `fedora_messaging_severity`.
    pub severity: Severity,
    /// `priority` (the header is 0 when there is no AMQP priority).
    pub priority: Option<u8>,
    /// Filter items per kind, in [`FilterKind::ALL`] order.
    pub filters: [Vec<String>; 6],
}

impl Stamp<'_> {
    /// The headers of a new message: `user` first, then the library's, in Python's order.
    ///
    /// Fails when a user header is reserved or a header name (a filter header included) is longer
    /// than 255 bytes; Python would only fail later, inside pika, when publishing.
    pub fn apply(&self, user: Headers) -> Result<Headers, HeaderError> {
        check_user_headers(&user)?;
        let mut h = if user.is_empty() {
            self.library_headers()
        } else {
            let mut h = user;
            self.reserved().write(&mut h);
            h
        };
        for (kind, items) in FilterKind::ALL.iter().zip(&self.filters) {
            for item in items {
                let name = kind.header_name(item);
                check_name(&name)?;
                h.insert(name, Value::Bool(true));
            }
        }
        Ok(h)
    }

    fn reserved(&self) -> Reserved<'_> {
        Reserved {
            schema: Some((self.schema_name, self.schema_package)),
            sent_at: Some(self.sent_at.clone()),
            severity: Some(self.severity),
            priority: self.priority.unwrap_or(0),
        }
    }

    /// The library's headers of a message with none of its own (most messages): a copy of the
    /// last ones this thread built for the same schema, severity and priority, with this
    /// `sent-at` put in. Copying a map copies its hash table; building it hashes every name
    /// again (SipHash, a sixth of the cost of building a message).
    fn library_headers(&self) -> Headers {
        type Template = (String, Option<String>, Severity, Option<u8>, Headers);
        thread_local! {
            static LAST: std::cell::RefCell<Option<Template>> = const { std::cell::RefCell::new(None) };
        }
        let mut h = LAST.with(|last| {
            let mut last = last.borrow_mut();
            match &*last {
                Some((name, package, severity, priority, h))
                    if name == self.schema_name
                        && package.as_deref() == self.schema_package
                        && *severity == self.severity
                        && *priority == self.priority =>
                {
                    h.clone()
                }
                _ => {
                    let mut h = Headers::with_capacity(5);
                    Reserved {
                        sent_at: Some(String::new()),
                        ..self.reserved()
                    }
                    .write(&mut h);
                    *last = Some((
                        self.schema_name.to_owned(),
                        self.schema_package.map(str::to_owned),
                        self.severity,
                        self.priority,
                        h.clone(),
                    ));
                    h
                }
            }
        });
        if let Some((_, v)) = h.iter_mut().find(|(k, _)| k.as_str() == SENT_AT) {
            *v = Value::String(self.sent_at.clone());
        }
        h
    }
}

/// The library's own headers, written in Python's order by the one function that writes them, for
/// a new message ([`Stamp::apply`]) and for a message read from a `record` line whose headers
/// lack some ([`crate::lines`]). `None` leaves that header as it is.
#[derive(Debug, Clone)]
pub(crate) struct Reserved<'a> {
    /// `fedora_messaging_schema`, and `fedora_messaging_schema_package` when known.
    pub(crate) schema: Option<(&'a str, Option<&'a str>)>,
    /// `sent-at`.
    pub(crate) sent_at: Option<String>,
    /// `fedora_messaging_severity`.
    pub(crate) severity: Option<Severity>,
    /// `priority` (0 when there is no AMQP priority), always written: it mirrors the property.
    pub(crate) priority: u8,
}

impl Reserved<'_> {
    pub(crate) fn write(self, h: &mut Headers) {
        if let Some((name, package)) = self.schema {
            h.insert(SCHEMA.into(), name.into());
            if let Some(pkg) = package {
                h.insert(SCHEMA_PACKAGE.into(), pkg.into());
            }
        }
        if let Some(sent_at) = self.sent_at {
            h.insert(SENT_AT.into(), sent_at.into());
        }
        if let Some(severity) = self.severity {
            h.insert(SEVERITY.into(), severity.value().into());
        }
        h.insert(PRIORITY.into(), self.priority.into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sent_at_now_is_the_current_second() {
        // The text is kept per thread for a second; it must still follow the clock.
        for _ in 0..3 {
            let before = Utc::now().timestamp();
            let text = sent_at_now();
            let after = Utc::now().timestamp();
            let t = DateTime::parse_from_rfc3339(&text).unwrap().timestamp();
            assert!(
                before <= t && t <= after,
                "{text} not within [{before}, {after}]"
            );
            assert!(text.ends_with("+00:00"), "{text}");
            std::thread::sleep(std::time::Duration::from_millis(600));
        }
    }

    /// The thread's copy of the last library headers is used only for the same schema, package,
    /// severity and priority, and always carries this message's `sent-at`.
    #[test]
    fn library_headers_are_built_for_each_message() {
        let stamp = |schema_name, schema_package, severity, priority, sent_at: &str| Stamp {
            schema_name,
            schema_package,
            sent_at: sent_at.to_owned(),
            severity,
            priority,
            filters: Default::default(),
        };
        let cases = [
            stamp(
                "a.v1",
                Some("pkg"),
                Severity::Info,
                None,
                "2024-01-01T00:00:00+00:00",
            ),
            stamp(
                "a.v1",
                Some("pkg"),
                Severity::Info,
                None,
                "2024-01-01T00:00:01+00:00",
            ),
            stamp(
                "a.v1",
                None,
                Severity::Info,
                None,
                "2024-01-01T00:00:02+00:00",
            ),
            stamp(
                "b.v1",
                None,
                Severity::Info,
                None,
                "2024-01-01T00:00:03+00:00",
            ),
            stamp(
                "b.v1",
                None,
                Severity::Error,
                None,
                "2024-01-01T00:00:04+00:00",
            ),
            stamp(
                "b.v1",
                None,
                Severity::Error,
                Some(3),
                "2024-01-01T00:00:05+00:00",
            ),
            stamp(
                "a.v1",
                Some("pkg"),
                Severity::Info,
                None,
                "2024-01-01T00:00:06+00:00",
            ),
        ];
        for case in cases {
            let mut expected = Headers::new();
            case.reserved().write(&mut expected);
            let got = case.apply(Headers::new()).unwrap();
            assert_eq!(
                got.iter().collect::<Vec<_>>(),
                expected.iter().collect::<Vec<_>>(),
                "{case:?}"
            );
        }
    }

    #[test]
    fn reserved_names() {
        assert!(is_reserved("fedora_messaging_schema"));
        assert!(is_reserved("fedora_messaging_user_bob"));
        assert!(is_reserved("fedora_messagingX"));
        assert!(is_reserved("sent-at"));
        assert!(is_reserved("priority"));
        assert!(!is_reserved("x-custom"));
        let mut h = Headers::new();
        h.insert("fedora_messaging_severity".into(), json!(40));
        assert_eq!(
            check_user_headers(&h),
            Err(HeaderError::Reserved {
                name: "fedora_messaging_severity".into()
            })
        );
    }

    #[test]
    fn filter_header_names() {
        assert_eq!(
            FilterKind::User.header_name("alice"),
            "fedora_messaging_user_alice"
        );
        assert_eq!(
            FilterKind::Flatpak.header_name("org.x/y"),
            "fedora_messaging_flatpak_org.x/y"
        );
        assert_eq!(FilterKind::Rpm.header_name(""), "fedora_messaging_rpm_");
    }

    #[test]
    fn filter_header_too_long_is_an_error() {
        let stamp = Stamp {
            schema_name: "x.y",
            schema_package: None,
            sent_at: "2024-05-01T12:34:56+00:00".into(),
            severity: Severity::Info,
            priority: None,
            filters: [
                vec!["u".repeat(250)],
                vec![],
                vec![],
                vec![],
                vec![],
                vec![],
            ],
        };
        let err = stamp.apply(Headers::new()).unwrap_err();
        assert!(
            matches!(err, HeaderError::NameTooLong { len: 272, .. }),
            "{err}"
        );
    }

    #[test]
    fn fast_check_agrees_with_the_base_schema() {
        let cases = [
            json!({}),
            json!({"fedora_messaging_schema": "a", "fedora_messaging_schema_package": "p", "sent-at": "t", "fedora_messaging_severity": 20}),
            json!({"fedora_messaging_severity": 20.0}),
            json!({"fedora_messaging_severity": 25}),
            json!({"fedora_messaging_severity": "20"}),
            json!({"fedora_messaging_severity": 1e300}),
            json!({"fedora_messaging_severity": -10}),
            json!({"fedora_messaging_severity": null}),
            json!({"fedora_messaging_schema": 5}),
            json!({"fedora_messaging_schema_package": null}),
            json!({"sent-at": true}),
            json!({"x-other": [1, {"a": null}], "priority": "high"}),
        ];
        for case in cases {
            let h = case.as_object().unwrap_or_else(|| unreachable!()).clone();
            assert_eq!(
                base_headers_valid(&h),
                crate::schema::base_headers().is_valid(&case),
                "{case}"
            );
        }
    }

    #[test]
    fn sent_at_drops_fractions() {
        let t = DateTime::parse_from_rfc3339("2024-05-01T12:34:56.789+02:00")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(format_sent_at(t), "2024-05-01T10:34:56+00:00");
    }
}
