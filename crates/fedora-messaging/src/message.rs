//! The [`Message`] trait for typed messages, the object-safe [`DynMessage`], and [`BaseMessage`],
//! Python's base `Message` class.

use std::any::Any;
use std::borrow::Cow;
use std::collections::{BTreeSet, VecDeque};
use std::fmt::{self, Write as _};

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::body::Body;
use crate::headers::{BASE_SCHEMA_NAME, BASE_SCHEMA_PACKAGE};
use crate::schema::base_body_schema;
use crate::severity::Severity;

/// A typed message: a body type that knows its schema name, topic, severity and JSON Schema, and the
/// user-facing accessors Python schema classes provide.
///
/// Implement it with `#[derive(Message)]` (see the [crate docs](crate)), or by hand. Only the items
/// without a default must be written; every accessor has Python's default.
///
/// ```
/// use std::borrow::Cow;
/// use fedora_messaging::{Message, Severity};
/// use serde_json::{json, Value};
///
/// #[derive(Debug)]
/// struct Ping(u32);
///
/// impl Message for Ping {
///     const SCHEMA_NAME: &'static str = "ping.pingV1";
///     const TOPIC: Option<&'static str> = Some("ping.v1");
///     fn body_schema() -> Value {
///         json!({"type": "object", "required": ["n"], "properties": {"n": {"type": "integer"}}})
///     }
///     fn to_body(&self) -> Result<Value, serde_json::Error> {
///         Ok(json!({"n": self.0}))
///     }
///     fn from_body(body: Value, _topic: &str, _severity: Severity) -> Result<Self, serde_json::Error> {
///         #[derive(serde::Deserialize)]
///         struct B { n: u32 }
///         serde_json::from_value::<B>(body).map(|b| Ping(b.n))
///     }
/// }
///
/// let p = Ping(3);
/// assert_eq!(p.topic(), "ping.v1");
/// assert_eq!(p.summary(), "ping.v1"); // Python's default summary is the topic
/// assert_eq!(p.severity(), Severity::Info);
/// ```
pub trait Message: fmt::Debug + Send + Sync + Sized + 'static {
    /// The `fedora_messaging_schema` header value: the name the schema is registered under
    /// (Python's entry-point name, e.g. `bodhi.update.comment`).
    const SCHEMA_NAME: &'static str;
    /// The `fedora_messaging_schema_package` header value: the normalized name of the distribution
    /// that provides the schema (e.g. `bodhi_messages`), when there is one.
    const SCHEMA_PACKAGE: Option<&'static str> = None;
    /// The topic every message of this type is published on; `None` when each message has its own
    /// (then [`Message::topic`] must be implemented).
    const TOPIC: Option<&'static str> = None;
    /// The severity of messages of this type, unless [`Message::severity`] says otherwise.
    const SEVERITY: Severity = Severity::Info;
    /// Whether this schema is deprecated: receiving one logs a warning telling consumers to upgrade.
    const DEPRECATED: bool = false;

    /// The JSON Schema of the body. Its `$schema` decides the draft it is validated with.
    fn body_schema() -> Value;

    /// The body as JSON.
    fn to_body(&self) -> Result<Value, serde_json::Error>;

    /// The body as an envelope holds it: what building an envelope calls. The default wraps
    /// [`Message::to_body`]; `#[derive(Message)]` and generated types serialize straight into a
    /// [`Body`] ([`Body::serialize`]), which is validated and written to the wire without ever
    /// becoming a `serde_json::Value` (issue #22: a third of the cost of building a message).
    fn serialize_body(&self) -> Result<Body, serde_json::Error> {
        self.to_body().map(Body::from)
    }

    /// Builds the message from a received body; `topic` is the full routing key it arrived with and
    /// `severity` its header, for types that keep them.
    fn from_body(body: Value, topic: &str, severity: Severity) -> Result<Self, serde_json::Error>;

    /// [`Message::from_body`] from a borrowed body: what decoding a received envelope calls, since
    /// the envelope keeps its body. The default clones `body` for `from_body`; derived and
    /// generated types deserialize from the reference, copying only what the type keeps.
    fn from_body_ref(
        body: &Value,
        topic: &str,
        severity: Severity,
    ) -> Result<Self, serde_json::Error> {
        Self::from_body(body.clone(), topic, severity)
    }

    /// The topic, without any prefix.
    fn topic(&self) -> Cow<'_, str> {
        Cow::Borrowed(Self::TOPIC.unwrap_or(""))
    }

    /// The severity (`fedora_messaging_severity`).
    fn severity(&self) -> Severity {
        Self::SEVERITY
    }

    /// A one-line summary (e-mail subject, chat notice). Python's default: the topic.
    fn summary(&self) -> String {
        self.topic().into_owned()
    }

    /// A link to what the message is about.
    fn url(&self) -> Option<String> {
        None
    }

    /// The name of the application that sent the message.
    fn app_name(&self) -> Option<String> {
        None
    }

    /// A URL to the application's icon.
    fn app_icon(&self) -> Option<String> {
        None
    }

    /// The username of whoever caused the message.
    fn agent_name(&self) -> Option<String> {
        None
    }

    /// The agent's avatar: Python's default is the libravatar URL of [`Message::agent_name`].
    fn agent_avatar(&self) -> Option<String> {
        self.agent_name().map(|name| user_avatar_url(&name))
    }

    /// Users the message concerns; each becomes a `fedora_messaging_user_<name>` header.
    fn usernames(&self) -> Vec<String> {
        Vec::new()
    }

    /// Groups the message concerns (`fedora_messaging_group_<name>`).
    fn groups(&self) -> Vec<String> {
        Vec::new()
    }

    /// RPM packages the message concerns (`fedora_messaging_rpm_<name>`).
    fn packages(&self) -> Vec<String> {
        Vec::new()
    }

    /// Containers the message concerns (`fedora_messaging_container_<name>`).
    fn containers(&self) -> Vec<String> {
        Vec::new()
    }

    /// Modules the message concerns (`fedora_messaging_module_<name>`).
    fn modules(&self) -> Vec<String> {
        Vec::new()
    }

    /// Flatpaks the message concerns (`fedora_messaging_flatpak_<name>`).
    fn flatpaks(&self) -> Vec<String> {
        Vec::new()
    }

    /// The six filter lists at once, in [`FilterKind::ALL`](crate::headers::FilterKind::ALL)
    /// order ([`usernames`](Message::usernames), [`groups`](Message::groups),
    /// [`packages`](Message::packages), [`containers`](Message::containers),
    /// [`modules`](Message::modules), [`flatpaks`](Message::flatpaks)), given the message's body
    /// as JSON: the one [`Message::to_body`] made, or the one the message was decoded from.
    ///
    /// Building an envelope calls this once, with the body it has just serialized. The default
    /// calls the six accessors and ignores `body`. A type whose accessors read the body as JSON
    /// (generated types find theirs with `messages.toml` pointers) overrides it to read `body`,
    /// so that a message is serialized once, not once more per list.
    fn filter_lists(&self, body: &Body) -> [Vec<String>; 6] {
        let _ = body;
        [
            self.usernames(),
            self.groups(),
            self.packages(),
            self.containers(),
            self.modules(),
            self.flatpaks(),
        ]
    }
}

/// Python's `schema_utils.user_avatar_url(username)` with its defaults (size 64, `retro`).
///
/// ```
/// let url = fedora_messaging::message::user_avatar_url("alice");
/// assert!(url.starts_with("https://seccdn.libravatar.org/avatar/"));
/// assert!(url.ends_with("?s=64&d=retro"));
/// ```
pub fn user_avatar_url(username: &str) -> String {
    user_avatar_url_with(username, 64, "retro")
}

/// `user_avatar_url` with a size and a default image style.
pub fn user_avatar_url_with(username: &str, size: u32, default: &str) -> String {
    let openid = format!("http://{username}.id.fedoraproject.org/");
    let digest = Sha256::digest(openid.as_bytes());
    let mut hex = String::with_capacity(64);
    for b in digest {
        let _ = write!(hex, "{b:02x}");
    }
    format!("https://seccdn.libravatar.org/avatar/{hex}?s={size}&d={default}")
}

/// The accessors of a [`Message`], callable on `dyn DynMessage` (a message whose type is only known
/// at run time, as the [`Registry`](crate::Registry) gives them).
///
/// Every `Message` is a `DynMessage`. The methods have a `dyn_` prefix so that they never clash with
/// [`Message`]'s when both traits are in scope.
pub trait DynMessage: fmt::Debug + Send + Sync + 'static {
    /// [`Message::SCHEMA_NAME`].
    fn dyn_schema_name(&self) -> &'static str;
    /// [`Message::SCHEMA_PACKAGE`].
    fn dyn_schema_package(&self) -> Option<&'static str>;
    /// [`Message::topic`].
    fn dyn_topic(&self) -> Cow<'_, str>;
    /// [`Message::severity`].
    fn dyn_severity(&self) -> Severity;
    /// [`Message::summary`].
    fn dyn_summary(&self) -> String;
    /// [`Message::url`].
    fn dyn_url(&self) -> Option<String>;
    /// [`Message::agent_name`].
    fn dyn_agent_name(&self) -> Option<String>;
    /// [`Message::usernames`].
    fn dyn_usernames(&self) -> Vec<String>;
    /// [`Message::packages`].
    fn dyn_packages(&self) -> Vec<String>;
    /// [`Message::to_body`].
    fn dyn_to_body(&self) -> Result<Value, serde_json::Error>;
    /// The message as [`Any`], to downcast to its type.
    fn as_any(&self) -> &dyn Any;
    /// The boxed message as [`Any`], to downcast to its type by value.
    fn into_any(self: Box<Self>) -> Box<dyn Any>;
}

impl<M: Message> DynMessage for M {
    fn dyn_schema_name(&self) -> &'static str {
        M::SCHEMA_NAME
    }
    fn dyn_schema_package(&self) -> Option<&'static str> {
        M::SCHEMA_PACKAGE
    }
    fn dyn_topic(&self) -> Cow<'_, str> {
        self.topic()
    }
    fn dyn_severity(&self) -> Severity {
        self.severity()
    }
    fn dyn_summary(&self) -> String {
        self.summary()
    }
    fn dyn_url(&self) -> Option<String> {
        self.url()
    }
    fn dyn_agent_name(&self) -> Option<String> {
        self.agent_name()
    }
    fn dyn_usernames(&self) -> Vec<String> {
        self.usernames()
    }
    fn dyn_packages(&self) -> Vec<String> {
        self.packages()
    }
    fn dyn_to_body(&self) -> Result<Value, serde_json::Error> {
        self.to_body()
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

impl dyn DynMessage {
    /// The message as `M`, if that is its type.
    pub fn downcast_ref<M: Message>(&self) -> Option<&M> {
        self.as_any().downcast_ref()
    }

    /// The boxed message as `M`, or itself back if that is not its type.
    pub fn downcast<M: Message>(self: Box<Self>) -> Result<Box<M>, Box<Self>> {
        if self.as_any().is::<M>() {
            Ok(self
                .into_any()
                .downcast()
                .unwrap_or_else(|_| unreachable!("type checked just above")))
        } else {
            Err(self)
        }
    }
}

/// Python's base `Message` class (`base.message`): any JSON object body, on any topic, at any severity.
///
/// It is what Python sends when no schema class is used, and what a receiver falls back to for a
/// message whose schema it does not know.
///
/// ```
/// use fedora_messaging::{BaseMessage, Message, Severity};
/// use serde_json::json;
///
/// let m = BaseMessage::new("hello.world", json!({"name": "Zoë"}));
/// assert_eq!(BaseMessage::SCHEMA_NAME, "base.message");
/// assert_eq!(m.topic(), "hello.world");
/// assert_eq!(m.severity(), Severity::Info);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct BaseMessage {
    /// The topic.
    pub topic: String,
    /// The body (the base schema requires an object).
    pub body: Value,
    /// The severity.
    pub severity: Severity,
}

impl BaseMessage {
    /// A message on `topic` with `body`, at severity INFO.
    pub fn new(topic: impl Into<String>, body: Value) -> Self {
        Self {
            topic: topic.into(),
            body,
            severity: Severity::Info,
        }
    }

    /// The same message at `severity`.
    #[must_use]
    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }
}

impl Message for BaseMessage {
    const SCHEMA_NAME: &'static str = BASE_SCHEMA_NAME;
    const SCHEMA_PACKAGE: Option<&'static str> = Some(BASE_SCHEMA_PACKAGE);

    fn body_schema() -> Value {
        base_body_schema()
    }
    fn to_body(&self) -> Result<Value, serde_json::Error> {
        Ok(self.body.clone())
    }
    fn from_body(body: Value, topic: &str, severity: Severity) -> Result<Self, serde_json::Error> {
        Ok(Self {
            topic: topic.into(),
            body,
            severity,
        })
    }
    fn topic(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.topic)
    }
    fn severity(&self) -> Severity {
        self.severity
    }
}

/// Values a field can give an accessor (`usernames`, `packages`, `agent_name`, …) in
/// `#[derive(Message)]`: strings, and options, sequences and sets of them.
///
/// Implement it for your own field types to use them with `#[message(usernames)]` and friends.
pub trait AccessorValues {
    /// Appends this field's values to `out`.
    fn push_values(&self, out: &mut Vec<String>);

    /// The first value, for single-valued accessors such as `agent_name`.
    fn first_value(&self) -> Option<String> {
        let mut v = Vec::new();
        self.push_values(&mut v);
        v.into_iter().next()
    }
}

impl AccessorValues for str {
    fn push_values(&self, out: &mut Vec<String>) {
        out.push(self.to_owned());
    }
}

impl AccessorValues for String {
    fn push_values(&self, out: &mut Vec<String>) {
        out.push(self.clone());
    }
}

impl AccessorValues for Value {
    /// A string gives itself; an array gives its strings; anything else gives nothing.
    fn push_values(&self, out: &mut Vec<String>) {
        match self {
            Value::String(s) => out.push(s.clone()),
            Value::Array(items) => items.iter().for_each(|i| {
                if let Value::String(s) = i {
                    out.push(s.clone());
                }
            }),
            _ => {}
        }
    }
}

impl<T: AccessorValues + ?Sized> AccessorValues for &T {
    fn push_values(&self, out: &mut Vec<String>) {
        (**self).push_values(out);
    }
}

impl<T: AccessorValues + ?Sized> AccessorValues for Box<T> {
    fn push_values(&self, out: &mut Vec<String>) {
        (**self).push_values(out);
    }
}

impl<T: AccessorValues> AccessorValues for Option<T> {
    fn push_values(&self, out: &mut Vec<String>) {
        if let Some(v) = self {
            v.push_values(out);
        }
    }
}

impl<T: AccessorValues> AccessorValues for [T] {
    fn push_values(&self, out: &mut Vec<String>) {
        self.iter().for_each(|v| v.push_values(out));
    }
}

impl<T: AccessorValues> AccessorValues for Vec<T> {
    fn push_values(&self, out: &mut Vec<String>) {
        self.as_slice().push_values(out);
    }
}

impl<T: AccessorValues> AccessorValues for VecDeque<T> {
    fn push_values(&self, out: &mut Vec<String>) {
        self.iter().for_each(|v| v.push_values(out));
    }
}

impl<T: AccessorValues> AccessorValues for BTreeSet<T> {
    fn push_values(&self, out: &mut Vec<String>) {
        self.iter().for_each(|v| v.push_values(out));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn avatar_matches_python() {
        // sha256("http://alice.id.fedoraproject.org/"), as Python's user_avatar_url computes it.
        let digest = Sha256::digest(b"http://alice.id.fedoraproject.org/");
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            user_avatar_url("alice"),
            format!("https://seccdn.libravatar.org/avatar/{hex}?s=64&d=retro")
        );
        assert_eq!(hex.len(), 64);
    }

    #[test]
    fn accessor_values_flatten() {
        let mut out = Vec::new();
        Some(vec!["a".to_string(), "b".to_string()]).push_values(&mut out);
        None::<String>.push_values(&mut out);
        json!(["c", 1, "d"]).push_values(&mut out);
        assert_eq!(out, ["a", "b", "c", "d"]);
        assert_eq!(Some("x".to_string()).first_value().as_deref(), Some("x"));
        assert_eq!(Vec::<String>::new().first_value(), None);
    }

    #[test]
    fn downcast_dyn() {
        let b: Box<dyn DynMessage> = Box::new(BaseMessage::new("a.b", json!({})));
        assert_eq!(b.dyn_schema_name(), "base.message");
        assert!(b.downcast_ref::<BaseMessage>().is_some());
        let back = b.downcast::<BaseMessage>().unwrap();
        assert_eq!(back.topic, "a.b");
    }
}
