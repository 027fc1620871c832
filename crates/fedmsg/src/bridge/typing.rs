//! [`Typing`]: which message type a fedmsg message is, by its topic — what lets the ZeroMQ → AMQP
//! bridge send typed messages (`fedora_messaging_schema` and filter headers) instead of
//! `base.message`. A [`Registry`] of generated types is one; a schema repo read at run time (the
//! command line's `--schemas`) is another.

use fedora_messaging::{Registry, Severity};
use serde_json::Value;

/// The headers a message type gives a message (see [`fedora_messaging::headers::Stamp`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Typed {
    /// `fedora_messaging_schema`.
    pub schema_name: String,
    /// `fedora_messaging_schema_package`, when known.
    pub schema_package: Option<String>,
    /// `fedora_messaging_severity`.
    pub severity: Severity,
    /// The filter header items per kind, in
    /// [`FilterKind::ALL`](fedora_messaging::headers::FilterKind::ALL) order.
    pub filters: [Vec<String>; 6],
}

/// Finds the message type of a body by its topic.
pub trait Typing: Send + Sync + std::fmt::Debug {
    /// The type whose topic is `topic` (the fedmsg topic, or the same without
    /// `<topic_prefix>.<environment>.`) and whose schema accepts `body`. `Ok(None)`: no type has
    /// this topic. `Err`: types have it, but none accepts the body (the text says why).
    fn type_of(&self, topic: &str, body: &Value) -> Result<Option<Typed>, String>;
}

impl Typing for Registry {
    fn type_of(&self, topic: &str, body: &Value) -> Result<Option<Typed>, String> {
        match self.type_by_topic(topic, body) {
            Ok(None) => Ok(None),
            Ok(Some(t)) => Ok(Some(Typed {
                schema_name: t.schema_name.to_owned(),
                schema_package: t.schema_package.map(str::to_owned),
                severity: t.severity,
                filters: t.filters,
            })),
            Err(e) => Err(e.to_string()),
        }
    }
}
