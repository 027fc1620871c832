//! [`Registry`]: schema name → message type, so that a received envelope becomes the right typed
//! message (Python's `fedora.messages` entry points).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::envelope::{DecodeError, Envelope};
use crate::message::{BaseMessage, DynMessage, Message};
use crate::schema::{self, CompiledSchema, Part, SchemaError, ValidationError};
use crate::severity::Severity;

/// A message type that cannot be registered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// Another type is registered under the same schema name.
    #[error("schema name {name:?} is registered twice ({first} and {second})")]
    Duplicate {
        /// The schema name.
        name: &'static str,
        /// The type registered first.
        first: &'static str,
        /// The type that tried to register second.
        second: &'static str,
    },
    /// The type's body schema does not compile.
    #[error(transparent)]
    Schema(#[from] SchemaError),
}

type DecodeFn = fn(&Envelope) -> Result<Box<dyn DynMessage>, serde_json::Error>;
type TypeFn = fn(&Envelope) -> Result<(Severity, [Vec<String>; 6]), serde_json::Error>;

struct Entry {
    type_name: &'static str,
    topic: Option<&'static str>,
    package: Option<&'static str>,
    deprecated: bool,
    validator: Arc<CompiledSchema>,
    decode: DecodeFn,
    type_of: TypeFn,
}

/// What is known about a registered schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaInfo {
    /// The schema name.
    pub name: String,
    /// The Rust type.
    pub type_name: &'static str,
    /// The schema package, if any.
    pub package: Option<&'static str>,
    /// Whether the schema is deprecated.
    pub deprecated: bool,
}

/// A received message after validation: typed when its schema is registered.
#[derive(Debug)]
pub enum Decoded {
    /// The schema is registered: the message was validated against it and decoded.
    Known {
        /// The message, as its registered type.
        message: Box<dyn DynMessage>,
        /// The envelope it came in.
        envelope: Envelope,
    },
    /// The schema header is missing or names a schema this registry does not know. The message
    /// passed the base schemas only (Python falls back to its base `Message` class).
    Unknown {
        /// The envelope.
        envelope: Envelope,
    },
}

impl Decoded {
    /// The envelope, known or not.
    pub fn envelope(&self) -> &Envelope {
        match self {
            Self::Known { envelope, .. } | Self::Unknown { envelope } => envelope,
        }
    }

    /// The typed message, if it is an `M`.
    pub fn downcast_ref<M: Message>(&self) -> Option<&M> {
        match self {
            Self::Known { message, .. } => message.downcast_ref(),
            Self::Unknown { .. } => None,
        }
    }
}

/// The headers a registered type gives its messages, found for a body by its topic
/// ([`Registry::type_by_topic`]): what a bridge from fedmsg, which has no schema header, stamps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicType {
    /// `fedora_messaging_schema`.
    pub schema_name: &'static str,
    /// `fedora_messaging_schema_package`, when the type has one.
    pub schema_package: Option<&'static str>,
    /// The message's severity.
    pub severity: Severity,
    /// The filter header items (usernames, groups, packages, …) per kind, in
    /// [`FilterKind::ALL`](crate::headers::FilterKind::ALL) order.
    pub filters: [Vec<String>; 6],
}

/// Maps schema names to message types.
///
/// A new registry knows `base.message` ([`BaseMessage`]). A message whose schema is missing or
/// unknown is not an error: it is checked against the base schemas and handed over as an envelope,
/// with a warning naming the package to install when the publisher said which one it was.
///
/// ```
/// use fedora_messaging::{BaseMessage, Decoded, Envelope, Registry};
/// use serde_json::json;
///
/// let registry = Registry::new();
/// let env = Envelope::from_message(&BaseMessage::new("a.b", json!({"k": 1}))).unwrap();
/// match registry.decode(env).unwrap() {
///     Decoded::Known { message, .. } => assert_eq!(message.dyn_schema_name(), "base.message"),
///     Decoded::Unknown { .. } => unreachable!(),
/// }
/// ```
pub struct Registry {
    entries: BTreeMap<&'static str, Entry>,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.entries.keys()).finish()
    }
}

impl Default for Registry {
    fn default() -> Self {
        Self::new()
    }
}

impl Registry {
    /// A registry that knows `base.message`.
    pub fn new() -> Self {
        let mut r = Self {
            entries: BTreeMap::new(),
        };
        r.register::<BaseMessage>()
            .unwrap_or_else(|e| unreachable!("the base schema always compiles: {e}"));
        r
    }

    /// Registers `M` under [`Message::SCHEMA_NAME`], compiling its schema now so a broken schema
    /// fails here and not on the first message.
    pub fn register<M: Message>(&mut self) -> Result<&mut Self, RegistryError> {
        if let Some(existing) = self.entries.get(M::SCHEMA_NAME) {
            if existing.type_name == std::any::type_name::<M>() {
                return Ok(self);
            }
            return Err(RegistryError::Duplicate {
                name: M::SCHEMA_NAME,
                first: existing.type_name,
                second: std::any::type_name::<M>(),
            });
        }
        let validator = schema::body_validator::<M>()?;
        self.entries.insert(
            M::SCHEMA_NAME,
            Entry {
                type_name: std::any::type_name::<M>(),
                topic: M::TOPIC,
                package: M::SCHEMA_PACKAGE,
                deprecated: M::DEPRECATED,
                validator,
                decode: |env| {
                    M::from_body_ref(&env.body, &env.topic, env.severity())
                        .map(|m| Box::new(m) as Box<dyn DynMessage>)
                },
                type_of: |env| {
                    let m = M::from_body_ref(&env.body, &env.topic, env.severity())?;
                    Ok((m.severity(), m.filter_lists(&env.body)))
                },
            },
        );
        Ok(self)
    }

    /// [`Registry::register`], by value, for chaining.
    pub fn with<M: Message>(mut self) -> Result<Self, RegistryError> {
        self.register::<M>()?;
        Ok(self)
    }

    /// What is known about `name`.
    pub fn get(&self, name: &str) -> Option<SchemaInfo> {
        self.entries.get_key_value(name).map(|(n, e)| SchemaInfo {
            name: (*n).to_owned(),
            type_name: e.type_name,
            package: e.package,
            deprecated: e.deprecated,
        })
    }

    /// The registered schema names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.entries.keys().copied()
    }

    /// The schemas whose messages all have the topic `topic` ([`Message::TOPIC`]), newest name
    /// first (`…V3` before `…V2`). Types whose topic is built per message are never listed.
    pub fn schemas_for_topic(&self, topic: &str) -> Vec<SchemaInfo> {
        self.entries
            .iter()
            .rev()
            .filter(|(_, e)| e.topic == Some(topic))
            .filter_map(|(name, _)| self.get(name))
            .collect()
    }

    /// Decodes a body that came without a schema header (a fedmsg message) by its topic: each
    /// schema of [`Registry::schemas_for_topic`] in turn validates it, and the first that accepts
    /// it decodes it. `Ok(None)`: no registered schema has this topic. An error is the first
    /// schema's, when none accepts the body.
    ///
    /// ```
    /// use fedora_messaging::{Message, Registry, Severity};
    /// use serde_json::{json, Value};
    ///
    /// #[derive(Debug, serde::Deserialize)]
    /// struct Ping { n: u32 }
    /// impl Message for Ping {
    ///     const SCHEMA_NAME: &'static str = "ping.v1";
    ///     const TOPIC: Option<&'static str> = Some("ping");
    ///     fn body_schema() -> Value { json!({"type": "object", "required": ["n"]}) }
    ///     fn to_body(&self) -> Result<Value, serde_json::Error> { Ok(json!({"n": self.n})) }
    ///     fn from_body(body: Value, _: &str, _: Severity) -> Result<Self, serde_json::Error> {
    ///         serde_json::from_value(body)
    ///     }
    /// }
    ///
    /// let registry = Registry::new().with::<Ping>().unwrap();
    /// let msg = registry.decode_by_topic("ping", json!({"n": 3})).unwrap().unwrap();
    /// assert_eq!(msg.downcast_ref::<Ping>().unwrap().n, 3);
    /// assert!(registry.decode_by_topic("pong", json!({})).unwrap().is_none());
    /// assert!(registry.decode_by_topic("ping", json!({"x": 1})).is_err());
    /// ```
    pub fn decode_by_topic(
        &self,
        topic: &str,
        body: serde_json::Value,
    ) -> Result<Option<Box<dyn DynMessage>>, DecodeError> {
        let Some((name, entry, envelope)) = self.entry_by_topic(topic, body)? else {
            return Ok(None);
        };
        (entry.decode)(&envelope)
            .map(Some)
            .map_err(|source| DecodeError::Deserialize {
                schema_name: name,
                source,
            })
    }

    /// The schema name, package, severity and filter header items that the registered type whose
    /// topic is `topic` gives `body`, chosen as [`Registry::decode_by_topic`] chooses it:
    /// `Ok(None)` when no registered type has this topic; an error when none accepts the body.
    ///
    /// ```
    /// use fedora_messaging::{BaseMessage, Registry};
    /// use serde_json::json;
    ///
    /// // base.message has no fixed topic, so no topic finds it.
    /// assert!(Registry::new().type_by_topic("a.b", &json!({})).unwrap().is_none());
    /// ```
    pub fn type_by_topic(
        &self,
        topic: &str,
        body: &serde_json::Value,
    ) -> Result<Option<TopicType>, DecodeError> {
        let Some((name, entry, envelope)) = self.entry_by_topic(topic, body.clone())? else {
            return Ok(None);
        };
        let (severity, filters) =
            (entry.type_of)(&envelope).map_err(|source| DecodeError::Deserialize {
                schema_name: name,
                source,
            })?;
        Ok(Some(TopicType {
            schema_name: name,
            schema_package: entry.package,
            severity,
            filters,
        }))
    }

    /// The newest registered type with topic `topic` whose schema accepts `body`, with the body in
    /// an envelope for its decoder.
    fn entry_by_topic(
        &self,
        topic: &str,
        body: serde_json::Value,
    ) -> Result<Option<(&'static str, &Entry, Envelope)>, DecodeError> {
        let mut first_error = None;
        for (name, entry) in self.entries.iter().rev() {
            if entry.topic != Some(topic) {
                continue;
            }
            if let Err(e) = entry.validator.check(&body, name, Part::Body) {
                first_error.get_or_insert(DecodeError::Validation(e));
                continue;
            }
            let envelope = Envelope {
                topic: topic.to_owned(),
                body: body.into(),
                headers: crate::headers::Headers::new(),
                id: None,
                priority: None,
                queue: None,
                content_type: None,
                content_encoding: None,
                delivery_mode: None,
            };
            return Ok(Some((name, entry, envelope)));
        }
        first_error.map_or(Ok(None), Err)
    }

    fn entry_for(&self, envelope: &Envelope) -> Option<(&'static str, &Entry)> {
        match envelope.schema_name() {
            None => {
                tracing::error!(
                    topic = %envelope.topic,
                    id = envelope.id.as_deref().unwrap_or(""),
                    "message has no fedora_messaging_schema header; treating it as base.message"
                );
                None
            }
            Some(name) => {
                let found = self.entries.get_key_value(name).map(|(k, e)| (*k, e));
                if found.is_none() {
                    let hint = match envelope.schema_package() {
                        Some(pkg) => format!("the schema is in package {pkg:?}"),
                        None => "register its message type".to_owned(),
                    };
                    tracing::warn!(
                        schema = name,
                        topic = %envelope.topic,
                        "schema {name:?} is not in the registry ({hint}); validating it as base.message"
                    );
                }
                found
            }
        }
    }

    /// Validates `envelope` as Python's `Message.validate()` does for the class its schema header
    /// names: the base header and body schemas, then the registered body schema if there is one.
    pub fn validate(&self, envelope: &Envelope) -> Result<(), ValidationError> {
        match self.entry_for(envelope) {
            None => envelope.validate_base(),
            Some((name, entry)) => envelope.check_with(&entry.validator, name),
        }
    }

    /// Validates `envelope` and decodes it into its registered type (see [`Decoded`]).
    pub fn decode(&self, envelope: Envelope) -> Result<Decoded, DecodeError> {
        let Some((name, entry)) = self.entry_for(&envelope) else {
            envelope.validate_base()?;
            return Ok(Decoded::Unknown { envelope });
        };
        let message = envelope.check_then_decode(&entry.validator, name, entry.decode)?;
        if entry.deprecated {
            tracing::warn!(
                schema = name,
                topic = %envelope.topic,
                "received a message of a deprecated schema; its consumers should move to the newer version"
            );
        }
        Ok(Decoded::Known { message, envelope })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Severity;
    use serde_json::{json, Value};

    #[derive(Debug)]
    struct Comment {
        user: String,
    }

    impl Message for Comment {
        const SCHEMA_NAME: &'static str = "app.comment.v1";
        const SCHEMA_PACKAGE: Option<&'static str> = Some("app_messages");
        const TOPIC: Option<&'static str> = Some("app.comment");
        fn body_schema() -> Value {
            json!({"type": "object", "required": ["user"], "properties": {"user": {"type": "string"}}})
        }
        fn to_body(&self) -> Result<Value, serde_json::Error> {
            Ok(json!({"user": self.user}))
        }
        fn from_body(body: Value, _: &str, _: Severity) -> Result<Self, serde_json::Error> {
            Ok(Self {
                user: body["user"].as_str().unwrap_or_default().to_owned(),
            })
        }
        fn severity(&self) -> Severity {
            Severity::Warning
        }
        fn usernames(&self) -> Vec<String> {
            vec![self.user.clone()]
        }
        fn packages(&self) -> Vec<String> {
            vec!["pkg".into()]
        }
    }

    #[test]
    fn type_by_topic_gives_what_the_type_stamps_on_its_messages() {
        let registry = Registry::new().with::<Comment>().unwrap();
        let t = registry
            .type_by_topic("app.comment", &json!({"user": "alice"}))
            .unwrap()
            .unwrap();
        assert_eq!(t.schema_name, "app.comment.v1");
        assert_eq!(t.schema_package, Some("app_messages"));
        assert_eq!(t.severity, Severity::Warning);
        // The same items the envelope of a typed message carries as filter headers.
        let env = Envelope::from_message(&Comment {
            user: "alice".into(),
        })
        .unwrap();
        let from_type: Vec<String> = crate::headers::FilterKind::ALL
            .iter()
            .zip(&t.filters)
            .flat_map(|(kind, items)| items.iter().map(|i| kind.header_name(i)))
            .collect();
        for name in &from_type {
            assert_eq!(env.headers[name.as_str()], true, "{name}");
        }
        assert_eq!(from_type.len(), 2);
        assert!(registry
            .type_by_topic("app.comment", &json!({"user": 1}))
            .is_err());
        assert!(registry
            .type_by_topic("app.other", &json!({"user": "a"}))
            .unwrap()
            .is_none());
    }
}
