//! Typed messages from fedmsg envelopes, chosen by topic: fedmsg has no schema header, but a
//! schema repo's manifests give each message type its topic.

use fedora_messaging::{DecodeError, DynMessage, Registry};

use crate::{topic, Envelope};

/// Decodes `envelope.msg` into the registered type whose topic is the envelope's: first the full
/// topic, then the topic without `topic_prefix.<environment>.` (the fedmsg-era
/// `org.fedoraproject.prod.bodhi.update.comment` is bodhi's `bodhi.update.comment`). `Ok(None)`:
/// no registered type has that topic. The body is validated against the type's schema first.
///
/// ```
/// use fedora_messaging::{BaseMessage, Registry};
/// use serde_json::json;
///
/// let registry = Registry::new();
/// let env = fedmsg::Envelope::new("org.fedoraproject.prod.nothing.known", json!({}));
/// assert!(fedmsg::decode::by_topic(&registry, "org.fedoraproject", &env).unwrap().is_none());
/// ```
pub fn by_topic(
    registry: &Registry,
    topic_prefix: &str,
    envelope: &Envelope,
) -> Result<Option<Box<dyn DynMessage>>, DecodeError> {
    if let Some(m) = registry.decode_by_topic(&envelope.topic, envelope.msg.clone())? {
        return Ok(Some(m));
    }
    match topic::strip_prefix(&envelope.topic, topic_prefix) {
        Some(short) => registry.decode_by_topic(short, envelope.msg.clone()),
        None => Ok(None),
    }
}
