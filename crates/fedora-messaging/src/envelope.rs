//! [`Envelope`]: any message on the bus, untyped — how one is built from a typed [`Message`], read
//! from a delivery, and decoded back into a typed message.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::headers::{self, FilterKind, HeaderError, Headers, Stamp};
use crate::message::Message;
use crate::pyjson::{self, Style};
use crate::schema::{self, Part, SchemaError, ValidationError};
use crate::severity::Severity;
use crate::topic::{self, TopicError};

/// `application/json`, the content type of every message.
pub const CONTENT_TYPE: &str = "application/json";
/// `utf-8`, the content encoding of every message.
pub const CONTENT_ENCODING: &str = "utf-8";
/// 2: persistent, the delivery mode of every message.
pub const DELIVERY_MODE_PERSISTENT: u8 = 2;

/// Any Fedora message: topic, headers, JSON body and the AMQP properties that matter.
///
/// It holds everything Python's `Message` carries on the wire, so a message read from the bus and
/// published again (or written to a `record` file and read back) loses nothing. Build one from a
/// typed message with [`Envelope::from_message`] or [`Envelope::builder`]; turn it back into one
/// with [`Envelope::decode`] or a [`Registry`](crate::Registry).
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    /// The topic: for a received message, the full routing key (any prefix included, as in Python).
    pub topic: String,
    /// The body.
    pub body: Value,
    /// The headers, in the order they were set or received.
    pub headers: Headers,
    /// The AMQP `message_id`: a uuid4 for messages built here; whatever came for received ones.
    pub id: Option<String>,
    /// The AMQP `priority` property.
    pub priority: Option<u8>,
    /// The queue a received message came from.
    pub queue: Option<String>,
    /// The AMQP `content_type` (`application/json`).
    pub content_type: Option<String>,
    /// The AMQP `content_encoding` (`utf-8`).
    pub content_encoding: Option<String>,
    /// The AMQP `delivery_mode` (2, persistent).
    pub delivery_mode: Option<u8>,
}

/// A message that could not be made into an [`Envelope`].
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The topic or routing key is malformed.
    #[error(transparent)]
    Topic(#[from] TopicError),
    /// A header is reserved or too long.
    #[error(transparent)]
    Header(#[from] HeaderError),
    /// The typed body did not serialize to JSON.
    #[error("the body of a {schema_name:?} message does not serialize to JSON: {source}")]
    Serialize {
        /// The schema name.
        schema_name: &'static str,
        /// Why.
        source: serde_json::Error,
    },
}

/// An envelope that could not become the typed message asked for.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The `fedora_messaging_schema` header names another schema (or none).
    #[error("expected a {expected:?} message, got {}", found.as_deref().map(|f| format!("{f:?}")).unwrap_or_else(|| "one with no schema header".into()))]
    WrongSchema {
        /// The schema asked for.
        expected: &'static str,
        /// The schema the header names.
        found: Option<String>,
    },
    /// The headers or body do not match the schema.
    #[error(transparent)]
    Validation(#[from] ValidationError),
    /// The message type's own schema does not compile.
    #[error(transparent)]
    Schema(#[from] SchemaError),
    /// The body matches the schema but not the Rust type (the type and its schema disagree).
    #[error("the body of a {schema_name:?} message does not fit its Rust type: {source}")]
    Deserialize {
        /// The schema name.
        schema_name: &'static str,
        /// Why.
        source: serde_json::Error,
    },
}

/// A delivery whose body cannot be read. Python raises `ValidationError` for all of these; the
/// consumer rejects such a message without requeueing it, and the handler never sees it.
#[derive(Debug, thiserror::Error)]
pub enum ReceiveError {
    /// The body is not valid in its content encoding.
    #[error("the body is not valid {encoding}: invalid byte at offset {offset}")]
    BadEncoding {
        /// The encoding.
        encoding: String,
        /// Offset of the first invalid byte.
        offset: usize,
    },
    /// A content encoding this library cannot decode.
    #[error("unsupported content encoding {encoding:?}: expected utf-8, ascii or latin-1")]
    UnsupportedEncoding {
        /// The encoding.
        encoding: String,
    },
    /// The body is not JSON.
    #[error("the body is not JSON: {message} (line {line}, column {column})")]
    NotJson {
        /// The parser's message.
        message: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// The headers or body do not match the schema.
    #[error(transparent)]
    Validation(#[from] ValidationError),
    /// The body matches its schema but not its registered Rust type, or that type's schema is broken.
    #[error(transparent)]
    Decode(Box<DecodeError>),
}

/// The AMQP properties of a delivery, as the transport hands them over (every one may be missing).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Properties {
    /// The headers table; `None` when the delivery had none.
    pub headers: Option<Headers>,
    /// `content_type`.
    pub content_type: Option<String>,
    /// `content_encoding`.
    pub content_encoding: Option<String>,
    /// `message_id`.
    pub message_id: Option<String>,
    /// `priority`.
    pub priority: Option<u8>,
    /// `delivery_mode`.
    pub delivery_mode: Option<u8>,
}

impl Envelope {
    /// The envelope of a typed message, with a fresh id and `sent-at`; see [`Envelope::builder`] to
    /// set those, a priority, or headers of your own. The body is not validated here.
    ///
    /// ```
    /// use fedora_messaging::{BaseMessage, Envelope};
    /// use serde_json::json;
    ///
    /// let env = Envelope::from_message(&BaseMessage::new("hello.world", json!({"n": 1}))).unwrap();
    /// assert_eq!(env.schema_name(), Some("base.message"));
    /// assert_eq!(env.headers["fedora_messaging_severity"], 20);
    /// assert_eq!(env.body_bytes(), br#"{"n": 1}"#);
    /// ```
    pub fn from_message<M: Message>(message: &M) -> Result<Self, BuildError> {
        Self::builder(message).build()
    }

    /// A builder for the envelope of `message`.
    pub fn builder<M: Message>(message: &M) -> EnvelopeBuilder<'_, M> {
        EnvelopeBuilder {
            message,
            headers: Headers::new(),
            priority: None,
            sent_at: None,
            id: None,
        }
    }

    /// Reads a delivery as Python's `get_message` does: missing headers become `{}`, a missing
    /// content encoding means UTF-8, the body must decode and parse as JSON. Nothing is validated
    /// against a schema here; see [`Registry::decode`](crate::Registry::decode).
    pub fn from_delivery(
        routing_key: &str,
        properties: Properties,
        body: &[u8],
    ) -> Result<Self, ReceiveError> {
        let Properties {
            headers,
            content_type,
            content_encoding,
            message_id,
            priority,
            delivery_mode,
        } = properties;
        let headers = headers.unwrap_or_else(|| {
            tracing::error!(
                topic = routing_key,
                "message has no headers; a publisher is misbehaving"
            );
            Headers::new()
        });
        let encoding = content_encoding.as_deref().unwrap_or_else(|| {
            tracing::error!(
                topic = routing_key,
                "message has no content encoding; assuming utf-8"
            );
            CONTENT_ENCODING
        });
        let text = decode_text(body, encoding)?;
        let body: Value = serde_json::from_str(&text).map_err(|e| ReceiveError::NotJson {
            message: e.to_string(),
            line: e.line(),
            column: e.column(),
        })?;
        Ok(Self {
            topic: routing_key.to_owned(),
            body,
            headers,
            id: message_id,
            priority,
            queue: None,
            content_type,
            content_encoding,
            delivery_mode,
        })
    }

    /// The AMQP properties to publish this envelope with.
    pub fn properties(&self) -> Properties {
        Properties {
            headers: Some(self.headers.clone()),
            content_type: self.content_type.clone(),
            content_encoding: self.content_encoding.clone(),
            message_id: self.id.clone(),
            priority: self.priority,
            delivery_mode: self.delivery_mode,
        }
    }

    /// The `fedora_messaging_schema` header, if it is a string.
    pub fn schema_name(&self) -> Option<&str> {
        self.headers.get(headers::SCHEMA).and_then(Value::as_str)
    }

    /// The `fedora_messaging_schema_package` header, if it is a string.
    pub fn schema_package(&self) -> Option<&str> {
        self.headers
            .get(headers::SCHEMA_PACKAGE)
            .and_then(Value::as_str)
    }

    /// The `sent-at` header, if it is a string.
    pub fn sent_at(&self) -> Option<&str> {
        self.headers.get(headers::SENT_AT).and_then(Value::as_str)
    }

    /// The `fedora_messaging_severity` header; INFO when it is missing, as in Python. A value that is
    /// not a severity also reads as INFO here; validation rejects such a message.
    pub fn severity(&self) -> Severity {
        self.headers
            .get(headers::SEVERITY)
            .and_then(|v| Severity::from_json(v).ok())
            .unwrap_or_default()
    }

    /// The body bytes as Python publishes them: `json.dumps(body)`, ASCII with `\uXXXX` escapes.
    pub fn body_bytes(&self) -> Vec<u8> {
        pyjson::to_string(&self.body, Style::BODY).into_bytes()
    }

    /// Python's `str(message)`: `Id:`, `Topic:`, then headers and body as indented, sorted JSON.
    ///
    /// ```
    /// use fedora_messaging::{BaseMessage, Envelope};
    /// let env = Envelope::builder(&BaseMessage::new("a.b", serde_json::json!({"k": "é"})))
    ///     .id("x").sent_at_text("2024-05-01T12:34:56+00:00").build().unwrap();
    /// assert!(env.long_form().starts_with("Id: x\nTopic: a.b\nHeaders: {\n"));
    /// assert!(env.long_form().ends_with("Body: {\n    \"k\": \"\\u00e9\"\n}"));
    /// ```
    pub fn long_form(&self) -> String {
        format!(
            "Id: {}\nTopic: {}\nHeaders: {}\nBody: {}",
            self.id.as_deref().unwrap_or("None"),
            self.topic,
            pyjson::to_string(&Value::Object(self.headers.clone()), Style::PRETTY),
            pyjson::to_string(&self.body, Style::PRETTY)
        )
    }

    /// The routing key under `prefix` (the configured `topic_prefix`).
    pub fn routing_key(&self, prefix: &str) -> Result<String, TopicError> {
        topic::routing_key(prefix, &self.topic)
    }

    /// Python's `Message.__eq__`: same topic, body and headers, `sent-at` aside. The id and the
    /// AMQP properties are not compared.
    pub fn same_message(&self, other: &Envelope) -> bool {
        let without_sent_at = |h: &Headers| {
            h.iter()
                .filter(|(k, _)| k.as_str() != headers::SENT_AT)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect::<std::collections::BTreeMap<_, _>>()
        };
        self.topic == other.topic
            && self.body == other.body
            && without_sent_at(&self.headers) == without_sent_at(&other.headers)
    }

    /// Checks the headers against the base headers schema and the body against the base body
    /// schema: what every message must pass, whatever its schema.
    pub fn validate_base(&self) -> Result<(), ValidationError> {
        let name = self.schema_name().unwrap_or(headers::BASE_SCHEMA_NAME);
        // The base header schema constrains four keys; checking them directly spares copying the
        // headers into a JSON value for every message. Anything off goes to the real schema,
        // which gives the error its exact wording.
        if !headers::base_headers_valid(&self.headers) {
            schema::base_headers().check(
                &Value::Object(self.headers.clone()),
                name,
                Part::Headers,
            )?;
        }
        schema::base_body().check(&self.body, name, Part::Body)
    }

    /// Checks the envelope against `M`'s schema (and the base schemas), as Python's `validate()`.
    pub fn validate_as<M: Message>(&self) -> Result<(), DecodeError> {
        self.validate_base()?;
        let validator = schema::body_validator::<M>()?;
        validator.check(&self.body, M::SCHEMA_NAME, Part::Body)?;
        Ok(())
    }

    /// The typed message, if the schema header names `M`'s schema and the envelope validates.
    ///
    /// ```
    /// use fedora_messaging::{BaseMessage, Envelope};
    /// use serde_json::json;
    ///
    /// let env = Envelope::from_message(&BaseMessage::new("a.b", json!({"x": 1}))).unwrap();
    /// let back: BaseMessage = env.decode().unwrap();
    /// assert_eq!(back.body, json!({"x": 1}));
    /// ```
    pub fn decode<M: Message>(&self) -> Result<M, DecodeError> {
        if self.schema_name() != Some(M::SCHEMA_NAME) {
            return Err(DecodeError::WrongSchema {
                expected: M::SCHEMA_NAME,
                found: self.schema_name().map(str::to_owned),
            });
        }
        self.decode_unchecked()
    }

    /// Like [`Envelope::decode`] without checking the schema header (validation still runs).
    pub fn decode_unchecked<M: Message>(&self) -> Result<M, DecodeError> {
        self.validate_as::<M>()?;
        M::from_body(self.body.clone(), &self.topic, self.severity()).map_err(|source| {
            DecodeError::Deserialize {
                schema_name: M::SCHEMA_NAME,
                source,
            }
        })
    }
}

fn decode_text<'a>(body: &'a [u8], encoding: &str) -> Result<Cow<'a, str>, ReceiveError> {
    let is = |names: &[&str]| names.iter().any(|n| n.eq_ignore_ascii_case(encoding));
    let bad = |offset| ReceiveError::BadEncoding {
        encoding: encoding.into(),
        offset,
    };
    if is(&["utf-8", "utf8", "utf_8"]) {
        std::str::from_utf8(body)
            .map(Cow::Borrowed)
            .map_err(|e| bad(e.valid_up_to()))
    } else if is(&["ascii", "us-ascii", "us_ascii"]) {
        match body.iter().position(|b| !b.is_ascii()) {
            Some(offset) => Err(bad(offset)),
            // ASCII is valid UTF-8.
            None => Ok(String::from_utf8_lossy(body)),
        }
    } else if is(&[
        "latin-1",
        "latin1",
        "latin_1",
        "iso-8859-1",
        "iso8859-1",
        "iso_8859_1",
    ]) {
        Ok(Cow::Owned(body.iter().map(|&b| char::from(b)).collect()))
    } else {
        Err(ReceiveError::UnsupportedEncoding {
            encoding: encoding.into(),
        })
    }
}

/// Builds the [`Envelope`] of a typed message; see [`Envelope::builder`].
///
/// ```
/// use fedora_messaging::{BaseMessage, Envelope};
/// use serde_json::json;
///
/// let msg = BaseMessage::new("bodhi.update.request", json!({}));
/// let env = Envelope::builder(&msg)
///     .header("x-custom", "yes")
///     .priority(Some(5))
///     .build()
///     .unwrap();
/// assert_eq!(env.priority, Some(5));
/// assert_eq!(env.headers["priority"], 5);
/// assert_eq!(env.routing_key("org.fedoraproject.prod.").unwrap(),
///            "org.fedoraproject.prod.bodhi.update.request");
/// ```
#[derive(Debug)]
#[must_use]
pub struct EnvelopeBuilder<'a, M> {
    message: &'a M,
    headers: Headers,
    priority: Option<u8>,
    sent_at: Option<String>,
    id: Option<String>,
}

impl<M: Message> EnvelopeBuilder<'_, M> {
    /// Adds a header of your own. Names the library sets (`fedora_messaging*`, `sent-at`,
    /// `priority`) are refused when building.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.headers.insert(name.into(), value.into());
        self
    }

    /// Adds headers of your own; see [`EnvelopeBuilder::header`].
    pub fn headers(mut self, headers: Headers) -> Self {
        self.headers.extend(headers);
        self
    }

    /// The AMQP priority (Python's `publish_priority`); the `priority` header mirrors it, 0 when `None`.
    pub fn priority(mut self, priority: Option<u8>) -> Self {
        self.priority = priority;
        self
    }

    /// `sent-at`, instead of now.
    pub fn sent_at(mut self, time: DateTime<Utc>) -> Self {
        self.sent_at = Some(headers::format_sent_at(time));
        self
    }

    /// `sent-at` as text, kept as it is (e.g. from a message being re-published).
    pub fn sent_at_text(mut self, text: impl Into<String>) -> Self {
        self.sent_at = Some(text.into());
        self
    }

    /// The message id, instead of a fresh uuid4.
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// The envelope. Fails on a malformed topic, a reserved or over-long header name, or a body that
    /// does not serialize. The body is not validated against the schema here.
    pub fn build(self) -> Result<Envelope, BuildError> {
        let m = self.message;
        let topic = m.topic().into_owned();
        topic::validate(&topic)?;
        let body = m.to_body().map_err(|source| BuildError::Serialize {
            schema_name: M::SCHEMA_NAME,
            source,
        })?;
        let stamp = Stamp {
            schema_name: M::SCHEMA_NAME,
            schema_package: M::SCHEMA_PACKAGE,
            sent_at: self.sent_at.unwrap_or_else(headers::sent_at_now),
            severity: m.severity(),
            priority: self.priority,
            filters: FilterKind::ALL.map(|kind| match kind {
                FilterKind::User => m.usernames(),
                FilterKind::Group => m.groups(),
                FilterKind::Rpm => m.packages(),
                FilterKind::Container => m.containers(),
                FilterKind::Module => m.modules(),
                FilterKind::Flatpak => m.flatpaks(),
            }),
        };
        let headers = stamp.apply(self.headers)?;
        Ok(Envelope {
            topic,
            body,
            headers,
            id: Some(self.id.unwrap_or_else(new_id)),
            priority: self.priority,
            queue: None,
            content_type: Some(CONTENT_TYPE.into()),
            content_encoding: Some(CONTENT_ENCODING.into()),
            delivery_mode: Some(DELIVERY_MODE_PERSISTENT),
        })
    }
}

/// A fresh message id: a lower-case, hyphenated uuid4, as Python's `str(uuid.uuid4())`.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().hyphenated().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn encodings() {
        assert_eq!(decode_text("é".as_bytes(), "UTF-8").unwrap(), "é");
        assert_eq!(decode_text(&[0xe9], "latin-1").unwrap(), "é");
        assert!(matches!(
            decode_text(&[b'{', 0xff], "utf-8"),
            Err(ReceiveError::BadEncoding { offset: 1, .. })
        ));
        assert!(matches!(
            decode_text(b"{}", "utf-16"),
            Err(ReceiveError::UnsupportedEncoding { .. })
        ));
    }

    #[test]
    fn not_json_names_the_place() {
        let err =
            Envelope::from_delivery("a.b", Properties::default(), b"{\"x\":\n nope}").unwrap_err();
        assert!(
            matches!(err, ReceiveError::NotJson { line: 2, .. }),
            "{err}"
        );
    }

    #[test]
    fn same_message_ignores_sent_at_and_id() {
        let m = crate::BaseMessage::new("a.b", json!({"k": 1}));
        let a = Envelope::from_message(&m).unwrap();
        let mut b = Envelope::builder(&m)
            .sent_at_text("2000-01-01T00:00:00+00:00")
            .build()
            .unwrap();
        assert_ne!(a.id, b.id);
        assert!(a.same_message(&b));
        b.body = json!({"k": 2});
        assert!(!a.same_message(&b));
    }

    #[test]
    fn ids_are_uuid4() {
        let id = new_id();
        let u = uuid::Uuid::parse_str(&id).unwrap();
        assert_eq!(u.get_version_num(), 4);
        assert_eq!(id, id.to_lowercase());
        assert_eq!(id.len(), 36);
    }
}
