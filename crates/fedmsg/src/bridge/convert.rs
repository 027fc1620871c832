//! The two conversions, as pure functions: a fedmsg envelope → an AMQP message (or why it is
//! dropped), and an AMQP message → a fedmsg envelope. Facts from fedmsg-migration-tools' current
//! code: what each side keeps and loses, the loop guard, the year prefix of ids.

use chrono::{DateTime, Datelike, Utc};
use fedora_messaging::envelope::{CONTENT_ENCODING, CONTENT_TYPE, DELIVERY_MODE_PERSISTENT};
use fedora_messaging::headers::{self, Headers, Stamp, BASE_SCHEMA_NAME, BASE_SCHEMA_PACKAGE};
use fedora_messaging::Severity;
use serde_json::Value;

use super::typing::{Typed, Typing};
use crate::{topic, Envelope, Timestamp};

/// The `username` the AMQP → ZeroMQ bridge sends as; the other bridge drops messages that have it,
/// so no message goes round.
pub const BRIDGE_USERNAME: &str = "amqp-bridge";

/// Why the ZeroMQ → AMQP bridge does not carry a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Skip {
    /// It came from the AMQP → ZeroMQ bridge (`username` is `amqp-bridge`): it is on AMQP already.
    #[error("it came from the AMQP bridge (username {BRIDGE_USERNAME:?}); it is on AMQP already")]
    FromBridge,
    /// It has neither `username` nor `msg_id`: not a message a fedmsg library sent.
    #[error("it has neither username nor msg_id")]
    NoIdentity,
}

/// How the ZeroMQ → AMQP side types messages: a [`Typing`] and fedmsg's `topic_prefix`, so that
/// `org.fedoraproject.prod.bodhi.update.comment` also finds the type of `bodhi.update.comment`.
#[derive(Debug, Clone, Copy)]
pub struct TypeLookup<'a> {
    /// The types.
    pub typing: &'a dyn Typing,
    /// fedmsg's `topic_prefix` (`org.fedoraproject`).
    pub topic_prefix: &'a str,
}

/// What [`to_amqp`] made.
#[derive(Debug, Clone, PartialEq)]
pub struct Converted {
    /// The AMQP message: routing key = the fedmsg topic, body = `msg`, id = `msg_id`.
    pub message: fedora_messaging::Envelope,
    /// Why the message is `base.message` although types were given for its topic: the body did
    /// not fit any of them.
    pub untyped_because: Option<String>,
}

/// The AMQP message the ZeroMQ → AMQP bridge publishes for `envelope`: the routing key is the
/// topic, the body is `msg` alone, `message_id` is `msg_id` (year prefix included), the headers
/// are the envelope's `headers` (if any) plus those fedora-messaging adds — `base.message`, or the
/// type `types` finds for the topic. `i`, `timestamp`, `username` and the signature are not
/// carried (Python does the same). Without a `msg_id` (but with a `username`: Python fails on
/// those) the message gets a fresh id.
///
/// ```
/// use fedmsg::bridge::convert::to_amqp;
/// use serde_json::json;
///
/// let env = fedmsg::Envelope::from_json(br#"{"i":1,"msg":{"agent":"alice"},"msg_id":"2019-36e98252-88da-4f0b-b6d0-f47f36401416","timestamp":1560000000,"topic":"org.fedoraproject.prod.bodhi.update.comment","username":"apache"}"#).unwrap();
/// let amqp = to_amqp(&env, None, "2026-12-04T00:00:00+00:00".into()).unwrap().message;
/// assert_eq!(amqp.topic, "org.fedoraproject.prod.bodhi.update.comment");
/// assert_eq!(amqp.id.as_deref(), Some("2019-36e98252-88da-4f0b-b6d0-f47f36401416"));
/// assert_eq!(amqp.body, json!({"agent": "alice"}));
/// assert_eq!(amqp.headers["fedora_messaging_schema"], "base.message");
/// ```
pub fn to_amqp(
    envelope: &Envelope,
    types: Option<TypeLookup<'_>>,
    sent_at: String,
) -> Result<Converted, Skip> {
    match (&envelope.username, &envelope.msg_id) {
        (Some(u), _) if u == BRIDGE_USERNAME => return Err(Skip::FromBridge),
        (None, None) => return Err(Skip::NoIdentity),
        _ => {}
    }
    let (typed, untyped_because) = match types {
        None => (None, None),
        Some(lookup) => match type_of(lookup, &envelope.topic, &envelope.msg) {
            Ok(t) => (t, None),
            Err(why) => (None, Some(why)),
        },
    };
    let base = Typed {
        schema_name: BASE_SCHEMA_NAME.into(),
        schema_package: Some(BASE_SCHEMA_PACKAGE.into()),
        severity: Severity::Info,
        filters: Default::default(),
    };
    let t = typed.unwrap_or(base);
    let stamp = Stamp {
        schema_name: &t.schema_name,
        schema_package: t.schema_package.as_deref(),
        sent_at,
        severity: t.severity,
        priority: None,
        filters: t.filters.clone(),
    };
    let headers = stamp
        .apply(user_headers(envelope))
        // Reserved names were removed and filter header names are short: a failure here is a
        // filter item too long for a header name, and the message goes without filter headers.
        .or_else(|_| {
            Stamp {
                filters: Default::default(),
                ..stamp.clone()
            }
            .apply(user_headers(envelope))
        })
        .unwrap_or_default();
    let message = fedora_messaging::Envelope {
        topic: envelope.topic.clone(),
        body: envelope.msg.clone().into(),
        headers,
        id: Some(
            envelope
                .msg_id
                .clone()
                .unwrap_or_else(fedora_messaging::envelope::new_id),
        ),
        priority: None,
        queue: None,
        content_type: Some(CONTENT_TYPE.into()),
        content_encoding: Some(CONTENT_ENCODING.into()),
        delivery_mode: Some(DELIVERY_MODE_PERSISTENT),
    };
    Ok(Converted {
        message,
        untyped_because,
    })
}

/// The full topic's type, else the type of the topic without `<topic_prefix>.<environment>.`.
fn type_of(lookup: TypeLookup<'_>, full: &str, body: &Value) -> Result<Option<Typed>, String> {
    let first = lookup.typing.type_of(full, body);
    if let Ok(Some(_)) | Err(_) = first {
        return first;
    }
    match topic::strip_prefix(full, lookup.topic_prefix) {
        Some(short) => lookup.typing.type_of(short, body),
        None => Ok(None),
    }
}

/// The envelope's `headers` object, without the names fedora-messaging sets itself (which it
/// would overwrite, as Python's `Message` does).
fn user_headers(envelope: &Envelope) -> Headers {
    match envelope.extra.get("headers") {
        Some(Value::Object(h)) => h
            .iter()
            .filter(|(k, _)| !headers::is_reserved(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        _ => Headers::new(),
    }
}

/// Why the AMQP → ZeroMQ bridge does not carry a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NoEnvelope {
    /// The AMQP message has no `message_id`: fedmsg needs one (Python drops it too).
    #[error("the message has no message_id")]
    NoId,
}

/// The fedmsg envelope the AMQP → ZeroMQ bridge sends for `message`: `topic` = the routing key,
/// `msg` = the body, `timestamp` = `now` in whole seconds, `msg_id` = the AMQP id with `now`'s
/// year in front unless it starts with a year already, `i` = `i`, `username` = `amqp-bridge`.
/// AMQP headers are not carried (Python does the same).
///
/// ```
/// use fedmsg::bridge::convert::to_fedmsg;
/// use fedora_messaging::{BaseMessage, Envelope};
/// use serde_json::json;
///
/// let amqp = Envelope::builder(&BaseMessage::new("org.fedoraproject.prod.fedocal.calendar.new", json!({"agent": "bob"})))
///     .id("68976593-de87-475e-bb4b-f7ba72489d12")
///     .build()
///     .unwrap();
/// let now = "2026-12-04T10:00:00Z".parse().unwrap();
/// let env = to_fedmsg(&amqp, 1, now).unwrap();
/// assert_eq!(env.msg_id.as_deref(), Some("2026-68976593-de87-475e-bb4b-f7ba72489d12"));
/// assert_eq!(env.username.as_deref(), Some("amqp-bridge"));
/// ```
pub fn to_fedmsg(
    message: &fedora_messaging::Envelope,
    i: u64,
    now: DateTime<Utc>,
) -> Result<Envelope, NoEnvelope> {
    let id = message.id.as_deref().ok_or(NoEnvelope::NoId)?;
    let msg_id = if has_year_prefix(id) {
        id.to_owned()
    } else {
        format!("{}-{id}", now.year())
    };
    Ok(Envelope {
        topic: message.topic.clone(),
        msg: message.body.value().clone(),
        timestamp: Some(Timestamp::Seconds(now.timestamp())),
        msg_id: Some(msg_id),
        i: Some(i),
        username: Some(BRIDGE_USERNAME.into()),
        extra: serde_json::Map::new(),
    })
}

/// Whether `id` starts with four digits and a dash (`^[0-9]{4}-`).
pub fn has_year_prefix(id: &str) -> bool {
    let b = id.as_bytes();
    b.len() > 4 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-'
}

/// `id` without a leading `<year>-`: the key both sides of a bridge share (verify-missing
/// matches messages by it).
pub fn bare_id(id: &str) -> &str {
    if has_year_prefix(id) {
        &id[5..]
    } else {
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn envelope(extra: Value) -> Envelope {
        let mut v = json!({"i": 1, "msg": {"agent": "alice", "comment": {"karma": 1, "text": "works"}},
            "msg_id": "2019-36e98252-88da-4f0b-b6d0-f47f36401416", "timestamp": 1_560_000_000,
            "topic": "org.fedoraproject.prod.bodhi.update.comment", "username": "apache"});
        for (k, x) in extra.as_object().unwrap() {
            if x.is_null() {
                v.as_object_mut().unwrap().remove(k);
            } else {
                v[k] = x.clone();
            }
        }
        Envelope::from_value(v).unwrap()
    }

    #[test]
    fn the_spec_example_converts_as_the_python_bridge_does() {
        let sent_at = "2026-12-04T01:02:03+00:00".to_owned();
        let c = to_amqp(&envelope(json!({})), None, sent_at.clone()).unwrap();
        let m = c.message;
        assert_eq!(m.topic, "org.fedoraproject.prod.bodhi.update.comment");
        assert_eq!(
            m.id.as_deref(),
            Some("2019-36e98252-88da-4f0b-b6d0-f47f36401416")
        );
        assert_eq!(
            m.body,
            json!({"agent": "alice", "comment": {"karma": 1, "text": "works"}})
        );
        assert_eq!(
            Value::Object(m.headers.clone()),
            json!({"fedora_messaging_schema": "base.message",
                   "fedora_messaging_schema_package": "fedora_messaging",
                   "sent-at": sent_at, "fedora_messaging_severity": 20, "priority": 0})
        );
        assert_eq!(m.content_type.as_deref(), Some("application/json"));
        assert_eq!(m.content_encoding.as_deref(), Some("utf-8"));
        assert_eq!(m.delivery_mode, Some(2));
        assert!(c.untyped_because.is_none());
    }

    #[test]
    fn envelope_headers_are_kept_but_not_the_reserved_names() {
        let env = envelope(
            json!({"headers": {"x-origin": "hub", "fedora_messaging_schema": "forged", "sent-at": "x"}}),
        );
        let m = to_amqp(&env, None, "now".into()).unwrap().message;
        assert_eq!(m.headers["x-origin"], "hub");
        assert_eq!(m.headers["fedora_messaging_schema"], "base.message");
        assert_eq!(m.headers["sent-at"], "now");
    }

    #[test]
    fn the_loop_guard_and_anonymous_messages_are_skipped() {
        assert_eq!(
            to_amqp(
                &envelope(json!({"username": "amqp-bridge"})),
                None,
                "t".into()
            )
            .unwrap_err(),
            Skip::FromBridge
        );
        assert_eq!(
            to_amqp(
                &envelope(json!({"username": null, "msg_id": null})),
                None,
                "t".into()
            )
            .unwrap_err(),
            Skip::NoIdentity
        );
        // A username without msg_id (Python's KeyError): carried, with a fresh id.
        let m = to_amqp(&envelope(json!({"msg_id": null})), None, "t".into())
            .unwrap()
            .message;
        assert_eq!(m.id.unwrap().len(), 36);
        // A msg_id without username: carried.
        assert!(to_amqp(&envelope(json!({"username": null})), None, "t".into()).is_ok());
    }

    #[derive(Debug)]
    struct OneType;
    impl Typing for OneType {
        fn type_of(&self, topic: &str, body: &Value) -> Result<Option<Typed>, String> {
            if topic != "bodhi.update.comment" {
                return Ok(None);
            }
            if body.get("agent").is_none() {
                return Err("no agent".into());
            }
            Ok(Some(Typed {
                schema_name: "bodhi.update.comment.v1".into(),
                schema_package: Some("bodhi_messages".into()),
                severity: Severity::Info,
                filters: [
                    vec!["alice".into()],
                    vec![],
                    vec!["pkg".into()],
                    vec![],
                    vec![],
                    vec![],
                ],
            }))
        }
    }

    #[test]
    fn a_typed_topic_gets_its_schema_and_filter_headers() {
        let lookup = TypeLookup {
            typing: &OneType,
            topic_prefix: "org.fedoraproject",
        };
        let c = to_amqp(&envelope(json!({})), Some(lookup), "t".into()).unwrap();
        let h = &c.message.headers;
        assert_eq!(h["fedora_messaging_schema"], "bodhi.update.comment.v1");
        assert_eq!(h["fedora_messaging_schema_package"], "bodhi_messages");
        assert_eq!(h["fedora_messaging_user_alice"], true);
        assert_eq!(h["fedora_messaging_rpm_pkg"], true);
        // The body does not fit: base.message, and why.
        let c = to_amqp(
            &envelope(json!({"msg": {"comment": {}}})),
            Some(lookup),
            "t".into(),
        )
        .unwrap();
        assert_eq!(c.message.headers["fedora_messaging_schema"], "base.message");
        assert_eq!(c.untyped_because.as_deref(), Some("no agent"));
        // Another topic: base.message, no reason needed.
        let c = to_amqp(
            &envelope(json!({"topic": "org.fedoraproject.prod.other.thing"})),
            Some(lookup),
            "t".into(),
        )
        .unwrap();
        assert_eq!(c.message.headers["fedora_messaging_schema"], "base.message");
        assert!(c.untyped_because.is_none());
    }

    #[test]
    fn amqp_messages_become_the_spec_envelope() {
        let amqp = fedora_messaging::Envelope::builder(&fedora_messaging::BaseMessage::new(
            "org.fedoraproject.prod.fedocal.calendar.new",
            json!({"calendar": {"name": "infra"}, "agent": "bob"}),
        ))
        .header("x", "y")
        .id("68976593-de87-475e-bb4b-f7ba72489d12")
        .build()
        .unwrap();
        let now: DateTime<Utc> = "2026-11-12T10:20:46Z".parse().unwrap();
        let env = to_fedmsg(&amqp, 1, now).unwrap();
        assert_eq!(
            env.to_value(),
            json!({"topic": "org.fedoraproject.prod.fedocal.calendar.new",
                   "msg": {"calendar": {"name": "infra"}, "agent": "bob"}, "timestamp": now.timestamp(),
                   "msg_id": "2026-68976593-de87-475e-bb4b-f7ba72489d12", "i": 1, "username": "amqp-bridge"})
        );
        // An id with a year already keeps it; no id: nothing to send.
        let mut with_year = amqp.clone();
        with_year.id = Some("2019-abc".into());
        assert_eq!(
            to_fedmsg(&with_year, 2, now).unwrap().msg_id.as_deref(),
            Some("2019-abc")
        );
        let mut no_id = amqp;
        no_id.id = None;
        assert_eq!(to_fedmsg(&no_id, 3, now).unwrap_err(), NoEnvelope::NoId);
    }

    #[test]
    fn bare_ids_lose_only_a_year_prefix() {
        assert_eq!(bare_id("2026-abc"), "abc");
        assert_eq!(bare_id("abc"), "abc");
        assert_eq!(bare_id("20x6-abc"), "20x6-abc");
        assert_eq!(bare_id("2026-"), "");
        assert_eq!(bare_id("12345-a"), "12345-a");
    }
}
