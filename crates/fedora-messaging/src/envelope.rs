//! [`Envelope`]: any message on the bus, untyped — how one is built from a typed [`Message`] and
//! decoded back into a typed message. Reading one off a transport is that transport's job.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::body::Body;
use crate::headers::{self, HeaderError, Headers, Stamp};
use crate::message::Message;
use crate::pyjson::{self, Style};
use crate::schema::{self, CompiledSchema, Part, SchemaError, ValidationError};
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
/// with [`Envelope::decode`] or a [`Registry`](crate::Registry). A transport reads one from what it
/// received (AMQP: `amqp::delivery`).
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    /// The topic: for a received message, the full routing key (any prefix included, as in Python).
    pub topic: String,
    /// The body: reads as a `serde_json::Value`; set it with `value.into()`.
    pub body: Body,
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
#[non_exhaustive]
pub enum BuildError {
    /// The topic or routing key is malformed.
    #[error(transparent)]
    Topic(#[from] TopicError),
    /// A header is reserved or too long.
    #[error(transparent)]
    Header(#[from] HeaderError),
    /// The message's type has no fixed topic and the message gave none.
    #[error("a {schema_name:?} message needs a topic and has none (a type without a fixed topic is published as WithTopic::new(topic, message))")]
    NoTopic {
        /// The schema name.
        schema_name: &'static str,
    },
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
#[non_exhaustive]
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
        self.body.to_bytes()
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
        if self.body.deeper_than(schema::MAX_DEPTH) {
            return Err(ValidationError {
                schema_name: name.to_owned(),
                part: Part::Body,
                violations: vec![schema::Violation {
                    instance_path: String::new(),
                    schema_path: String::new(),
                    message: format!("the body nests more than {} levels deep", schema::MAX_DEPTH),
                }],
            });
        }
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
        // The base body schema asks for an object and nothing else; only a body that is not one
        // goes to the schema, for the error's wording.
        if self.body.is_object() {
            return Ok(());
        }
        schema::base_body().check(&self.body, name, Part::Body)
    }

    /// Checks the envelope against `M`'s schema (and the base schemas), as Python's `validate()`.
    pub fn validate_as<M: Message>(&self) -> Result<(), DecodeError> {
        let validator = schema::body_validator::<M>()?;
        Ok(self.check_with(&validator, M::SCHEMA_NAME)?)
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
        let validator = schema::body_validator::<M>()?;
        self.check_then_decode(&validator, M::SCHEMA_NAME, |env| {
            M::from_body_ref(&env.body, &env.topic, env.severity())
        })
    }

    /// The base schemas, then the body against `validator` (the schema registered as `name`): the
    /// one validation path of typed reads, whether by type ([`Envelope::decode`]) or by name
    /// ([`Registry`](crate::Registry)).
    pub(crate) fn check_with(
        &self,
        validator: &CompiledSchema,
        name: &str,
    ) -> Result<(), ValidationError> {
        self.validate_base()?;
        validator.check_body(&self.body, name, Part::Body)
    }

    /// [`Envelope::check_with`], then `decode`: validate, then decode, for every typed read.
    pub(crate) fn check_then_decode<T>(
        &self,
        validator: &CompiledSchema,
        name: &'static str,
        decode: impl FnOnce(&Envelope) -> Result<T, serde_json::Error>,
    ) -> Result<T, DecodeError> {
        self.check_with(validator, name)?;
        decode(self).map_err(|source| DecodeError::Deserialize {
            schema_name: name,
            source,
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
        if topic.is_empty() && M::TOPIC.is_none() {
            return Err(BuildError::NoTopic {
                schema_name: M::SCHEMA_NAME,
            });
        }
        topic::validate(&topic)?;
        let body = m.serialize_body().map_err(|source| BuildError::Serialize {
            schema_name: M::SCHEMA_NAME,
            source,
        })?;
        let stamp = Stamp {
            schema_name: M::SCHEMA_NAME,
            schema_package: M::SCHEMA_PACKAGE,
            sent_at: self.sent_at.unwrap_or_else(headers::sent_at_now),
            severity: m.severity(),
            priority: self.priority,
            filters: m.filter_lists(&body),
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
    let mut buf = uuid::Uuid::encode_buffer();
    uuid::Uuid::new_v4()
        .hyphenated()
        .encode_lower(&mut buf)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
        b.body = json!({"k": 2}).into();
        assert!(!a.same_message(&b));
    }

    #[test]
    fn the_base_body_check_is_the_base_body_schema() {
        // validate_base passes any object without running the base body schema: that holds only
        // while the schema asks for an object and nothing more.
        let mut schema = schema::base_body_schema();
        let keywords = schema.as_object_mut().unwrap();
        keywords.remove("$schema");
        keywords.remove("description");
        assert_eq!(schema, json!({"type": "object"}));
        let mut env = Envelope::from_message(&crate::BaseMessage::new("a.b", json!({}))).unwrap();
        assert!(env.validate_base().is_ok());
        for body in [json!([]), json!("text"), json!(1), Value::Null] {
            env.body = body.into();
            let err = env.validate_base().unwrap_err();
            assert_eq!(err.part, Part::Body, "{err}");
        }
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
