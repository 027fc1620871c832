//! [`WithTopic`]: a message whose type has no fixed topic, with the topic it travels on.

use std::borrow::Cow;

use serde_json::Value;

use crate::body::Body;
use crate::message::Message;
use crate::severity::Severity;

/// A message of a type without a fixed topic ([`Message::TOPIC`] is `None`), with its topic.
///
/// Many Python message classes set the topic per message. A generated type for one of those has
/// no topic of its own; publish it wrapped, and receive it wrapped: on receive the topic is the
/// routing key it arrived with, and any topic is accepted.
///
/// ```
/// use fedora_messaging::{BaseMessage, Envelope, Message, WithTopic};
/// use serde_json::json;
///
/// let msg = WithTopic::new("copr.build.end", BaseMessage::new("", json!({"build": 1})));
/// let env = Envelope::from_message(&msg).unwrap();
/// assert_eq!(env.topic, "copr.build.end");
/// let back: WithTopic<BaseMessage> = env.decode().unwrap();
/// assert_eq!(back.topic(), "copr.build.end");
/// assert_eq!(back.message.body, json!({"build": 1}));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct WithTopic<M> {
    /// The topic, without any prefix (for a received message: the routing key).
    pub topic: String,
    /// The message.
    pub message: M,
}

impl<M> WithTopic<M> {
    /// `message` on `topic`.
    pub fn new(topic: impl Into<String>, message: M) -> Self {
        Self {
            topic: topic.into(),
            message,
        }
    }
}

impl<M: Message> Message for WithTopic<M> {
    const SCHEMA_NAME: &'static str = M::SCHEMA_NAME;
    const SCHEMA_PACKAGE: Option<&'static str> = M::SCHEMA_PACKAGE;
    const TOPIC: Option<&'static str> = None;
    const SEVERITY: Severity = M::SEVERITY;
    const DEPRECATED: bool = M::DEPRECATED;

    fn body_schema() -> Value {
        M::body_schema()
    }

    fn to_body(&self) -> Result<Value, serde_json::Error> {
        self.message.to_body()
    }

    fn serialize_body(&self) -> Result<Body, serde_json::Error> {
        self.message.serialize_body()
    }

    fn from_body(body: Value, topic: &str, severity: Severity) -> Result<Self, serde_json::Error> {
        Ok(Self {
            topic: topic.to_owned(),
            message: M::from_body(body, topic, severity)?,
        })
    }

    fn from_body_ref(
        body: &Value,
        topic: &str,
        severity: Severity,
    ) -> Result<Self, serde_json::Error> {
        Ok(Self {
            topic: topic.to_owned(),
            message: M::from_body_ref(body, topic, severity)?,
        })
    }

    fn topic(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.topic)
    }

    fn severity(&self) -> Severity {
        self.message.severity()
    }

    /// The message's summary; Python's default (the topic) when it has none of its own.
    fn summary(&self) -> String {
        let own = self.message.summary();
        if own.is_empty() || own == self.message.topic() {
            self.topic.clone()
        } else {
            own
        }
    }

    fn url(&self) -> Option<String> {
        self.message.url()
    }

    fn app_name(&self) -> Option<String> {
        self.message.app_name()
    }

    fn app_icon(&self) -> Option<String> {
        self.message.app_icon()
    }

    fn agent_name(&self) -> Option<String> {
        self.message.agent_name()
    }

    fn agent_avatar(&self) -> Option<String> {
        self.message.agent_avatar()
    }

    fn usernames(&self) -> Vec<String> {
        self.message.usernames()
    }

    fn groups(&self) -> Vec<String> {
        self.message.groups()
    }

    fn packages(&self) -> Vec<String> {
        self.message.packages()
    }

    fn containers(&self) -> Vec<String> {
        self.message.containers()
    }

    fn modules(&self) -> Vec<String> {
        self.message.modules()
    }

    fn flatpaks(&self) -> Vec<String> {
        self.message.flatpaks()
    }

    fn filter_lists(&self, body: &Body) -> [Vec<String>; 6] {
        self.message.filter_lists(body)
    }
}
