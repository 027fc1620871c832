//! [`Envelope`]: the JSON object every fedmsg message is, and its two ZeroMQ frames.

use chrono::Datelike;
use serde_json::{Map, Number, Value};

use fedora_messaging::pyjson;

/// The `timestamp` of an envelope: fedmsg 1.x sends whole seconds; older senders and datagrepper
/// send floats. Kept as it came, so a re-encoded envelope is byte-identical.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Timestamp {
    /// Whole seconds since the epoch (`int(time.time())`).
    Seconds(i64),
    /// Fractional seconds since the epoch.
    Float(f64),
}

impl Timestamp {
    /// Now, as fedmsg 1.x sends it.
    pub fn now() -> Self {
        Self::Seconds(chrono::Utc::now().timestamp())
    }

    /// Seconds since the epoch, as a float.
    pub fn as_f64(self) -> f64 {
        match self {
            // Whole seconds since 1970 fit a float's 53 bits for the next 285 million years.
            #[allow(clippy::cast_precision_loss)]
            Self::Seconds(s) => s as f64,
            Self::Float(f) => f,
        }
    }

    fn to_value(self) -> Value {
        match self {
            Self::Seconds(s) => Value::from(s),
            Self::Float(f) => Number::from_f64(f).map_or(Value::Null, Value::Number),
        }
    }
}

/// The keys [`Envelope`] holds in fields; `extra` never has them.
const KNOWN: &[&str] = &["topic", "msg", "timestamp", "msg_id", "i", "username"];

/// One fedmsg message: `topic`, `msg` and the fields fedmsg adds, plus every other key it came with
/// (`headers`, `crypto`, `signature`, `certificate`, `seq_id`, `source_name`, …), kept for a round
/// trip.
///
/// ```
/// use fedmsg::Envelope;
/// use serde_json::json;
///
/// let frame = br#"{"i":1,"msg":{"log":"hi"},"msg_id":"2026-0b5c6a4e-1f2d-4d5e-9a51-7c2f3e8d9a10","timestamp":1795299630,"topic":"org.fedoraproject.prod.logger.log","username":"alice"}"#;
/// let env = Envelope::from_json(frame).unwrap();
/// assert_eq!(env.msg, json!({"log": "hi"}));
/// assert_eq!(env.username.as_deref(), Some("alice"));
/// // Re-encoded, the bytes are the ones fedmsg sent (and signs).
/// assert_eq!(env.to_canonical_json().as_bytes(), frame);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    /// The full topic, e.g. `org.fedoraproject.prod.bodhi.update.comment`.
    pub topic: String,
    /// The payload (normally an object).
    pub msg: Value,
    /// When it was sent.
    pub timestamp: Option<Timestamp>,
    /// `<year>-<uuid4>`.
    pub msg_id: Option<String>,
    /// The sender's counter: 1, 2, 3… per publisher.
    pub i: Option<u64>,
    /// The OS user of the sending process.
    pub username: Option<String>,
    /// Every other key, as received.
    pub extra: Map<String, Value>,
}

/// Why bytes are not an [`Envelope`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EnvelopeError {
    /// A ZeroMQ message with other than two frames.
    #[error("expected 2 frames (topic, JSON), got {0}")]
    FrameCount(usize),
    /// The topic frame is not UTF-8.
    #[error("the topic frame is not UTF-8")]
    TopicNotUtf8,
    /// The JSON frame is not UTF-8.
    #[error("the JSON frame is not UTF-8: {0}")]
    NotUtf8(#[source] std::str::Utf8Error),
    /// Not JSON.
    #[error("the JSON frame is not JSON: {0}")]
    NotJson(#[source] serde_json::Error),
    /// JSON, but not an object.
    #[error("the envelope is a JSON {0}, not an object")]
    NotObject(&'static str),
    /// `topic` or `msg` is missing.
    #[error("the envelope has no {0:?} key")]
    Missing(&'static str),
    /// A key fedmsg defines has a value of the wrong type.
    #[error("the envelope's {key:?} is {found}, expected {expected}")]
    WrongType {
        /// The key.
        key: &'static str,
        /// What it should be.
        expected: &'static str,
        /// What it is.
        found: &'static str,
    },
    /// The topic frame and the JSON `topic` differ.
    #[error("the frame topic {frame:?} differs from the envelope's topic {json:?}")]
    TopicMismatch {
        /// Frame 0.
        frame: String,
        /// The JSON `topic`.
        json: String,
    },
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl Envelope {
    /// A new envelope as `fedmsg.publish` builds it, without the publisher's `i` and `username`:
    /// `timestamp` now (whole seconds), `msg_id` = this year (local time) + a uuid4.
    pub fn new(topic: impl Into<String>, msg: Value) -> Self {
        Self {
            topic: topic.into(),
            msg,
            timestamp: Some(Timestamp::now()),
            msg_id: Some(new_msg_id()),
            i: None,
            username: None,
            extra: Map::new(),
        }
    }

    /// Parses the JSON frame (or a datagrepper/archive record) into an envelope.
    pub fn from_json(bytes: &[u8]) -> Result<Self, EnvelopeError> {
        let text = std::str::from_utf8(bytes).map_err(EnvelopeError::NotUtf8)?;
        let value: Value = serde_json::from_str(text).map_err(EnvelopeError::NotJson)?;
        Self::from_value(value)
    }

    /// Reads the two frames of a ZeroMQ message: the topic, then the JSON envelope, whose
    /// `topic` must be the frame's.
    pub fn from_frames<F: AsRef<[u8]>>(frames: &[F]) -> Result<Self, EnvelopeError> {
        let [topic, json] = frames else {
            return Err(EnvelopeError::FrameCount(frames.len()));
        };
        let topic = std::str::from_utf8(topic.as_ref()).map_err(|_| EnvelopeError::TopicNotUtf8)?;
        let env = Self::from_json(json.as_ref())?;
        if env.topic != topic {
            return Err(EnvelopeError::TopicMismatch {
                frame: topic.to_owned(),
                json: env.topic,
            });
        }
        Ok(env)
    }

    /// An envelope from a JSON value.
    pub fn from_value(value: Value) -> Result<Self, EnvelopeError> {
        let mut map = match value {
            Value::Object(map) => map,
            other => return Err(EnvelopeError::NotObject(kind(&other))),
        };
        let wrong = |key, expected, v: &Value| EnvelopeError::WrongType {
            key,
            expected,
            found: kind(v),
        };
        let topic = match map.remove("topic") {
            Some(Value::String(t)) => t,
            Some(v) => return Err(wrong("topic", "a string", &v)),
            None => return Err(EnvelopeError::Missing("topic")),
        };
        let msg = map.remove("msg").ok_or(EnvelopeError::Missing("msg"))?;
        let timestamp = match map.remove("timestamp") {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) => Some(match n.as_i64() {
                Some(s) => Timestamp::Seconds(s),
                None => Timestamp::Float(n.as_f64().unwrap_or_default()),
            }),
            Some(v) => return Err(wrong("timestamp", "a number", &v)),
        };
        let msg_id = match map.remove("msg_id") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s),
            Some(v) => return Err(wrong("msg_id", "a string", &v)),
        };
        let i = match map.remove("i") {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) if n.as_u64().is_some() => n.as_u64(),
            Some(v) => return Err(wrong("i", "a non-negative integer", &v)),
        };
        let username = match map.remove("username") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s),
            Some(v) => return Err(wrong("username", "a string", &v)),
        };
        Ok(Self {
            topic,
            msg,
            timestamp,
            msg_id,
            i,
            username,
            extra: map,
        })
    }

    /// The envelope as one JSON object, every key it has.
    pub fn to_value(&self) -> Value {
        let mut map = self.extra.clone();
        map.insert("topic".into(), Value::String(self.topic.clone()));
        map.insert("msg".into(), self.msg.clone());
        if let Some(t) = self.timestamp {
            map.insert("timestamp".into(), t.to_value());
        }
        if let Some(id) = &self.msg_id {
            map.insert("msg_id".into(), Value::String(id.clone()));
        }
        if let Some(i) = self.i {
            map.insert("i".into(), Value::from(i));
        }
        if let Some(u) = &self.username {
            map.insert("username".into(), Value::String(u.clone()));
        }
        map.into()
    }

    /// `fedmsg.encoding.dumps` of the envelope: the bytes fedmsg publishes and signs.
    pub fn to_canonical_json(&self) -> String {
        // Written field by field rather than through `to_value`, which would copy `msg`.
        enum Field<'a> {
            Value(&'a Value),
            Text(&'a str),
            Timestamp(Timestamp),
            Int(u64),
        }
        let mut fields: Vec<(&str, Field<'_>)> = self
            .extra
            .iter()
            .filter(|(k, _)| !KNOWN.contains(&k.as_str()))
            .map(|(k, v)| (k.as_str(), Field::Value(v)))
            .collect();
        fields.push(("topic", Field::Text(&self.topic)));
        fields.push(("msg", Field::Value(&self.msg)));
        if let Some(t) = self.timestamp {
            fields.push(("timestamp", Field::Timestamp(t)));
        }
        if let Some(id) = &self.msg_id {
            fields.push(("msg_id", Field::Text(id)));
        }
        if let Some(i) = self.i {
            fields.push(("i", Field::Int(i)));
        }
        if let Some(u) = &self.username {
            fields.push(("username", Field::Text(u)));
        }
        fields.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let mut out = String::with_capacity(256);
        out.push('{');
        for (n, (key, field)) in fields.iter().enumerate() {
            if n > 0 {
                out.push(',');
            }
            pyjson::write_string(&mut out, key, true);
            out.push(':');
            match field {
                Field::Value(v) => pyjson::write_value(&mut out, v, pyjson::Style::CANONICAL),
                Field::Text(t) => pyjson::write_string(&mut out, t, true),
                Field::Timestamp(t) => {
                    pyjson::write_value(&mut out, &t.to_value(), pyjson::Style::CANONICAL)
                }
                Field::Int(i) => out.push_str(&i.to_string()),
            }
        }
        out.push('}');
        out
    }

    /// The two frames of the ZeroMQ message: the topic and the canonical JSON.
    pub fn to_frames(&self) -> [Vec<u8>; 2] {
        [
            self.topic.clone().into_bytes(),
            self.to_canonical_json().into_bytes(),
        ]
    }

    /// The `msg_id` without its `<year>-` prefix: the AMQP `message_id` of the same message when a
    /// bridge carried it (the verify-missing monitor keys messages so).
    pub fn bare_msg_id(&self) -> Option<&str> {
        let id = self.msg_id.as_deref()?;
        match id.split_once('-') {
            Some((year, rest)) if year.len() == 4 && year.bytes().all(|b| b.is_ascii_digit()) => {
                Some(rest)
            }
            _ => Some(id),
        }
    }
}

/// A fresh `msg_id`: the current local-time year, a dash, a uuid4 (as fedmsg makes them).
pub fn new_msg_id() -> String {
    format!("{}-{}", chrono::Local::now().year(), uuid::Uuid::new_v4())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_keys_and_float_timestamps_survive_a_round_trip() {
        let v = json!({"topic": "t", "msg": [1], "timestamp": 1560000000.25, "headers": {"a": "b"},
                       "signature": "c2ln\n", "crypto": "x509", "seq_id": 4, "source_name": "datanommer"});
        let env = Envelope::from_value(v.clone()).unwrap();
        assert_eq!(env.timestamp, Some(Timestamp::Float(1_560_000_000.25)));
        assert_eq!(env.extra["crypto"], "x509");
        assert_eq!(env.to_value(), v);
    }

    #[test]
    fn bad_envelopes_say_what_is_wrong() {
        let err = |b: &[u8]| Envelope::from_json(b).unwrap_err().to_string();
        assert_eq!(
            err(b"[1]"),
            "the envelope is a JSON an array, not an object"
        );
        assert_eq!(err(br#"{"msg":{}}"#), "the envelope has no \"topic\" key");
        assert_eq!(err(br#"{"topic":"t"}"#), "the envelope has no \"msg\" key");
        assert_eq!(
            err(br#"{"topic":"t","msg":{},"i":"1"}"#),
            "the envelope's \"i\" is a string, expected a non-negative integer"
        );
        assert!(err(b"\xff").starts_with("the JSON frame is not UTF-8"));
        assert!(err(b"{").starts_with("the JSON frame is not JSON"));
        let frames = Envelope::from_frames(&[b"a".as_slice()]).unwrap_err();
        assert_eq!(frames.to_string(), "expected 2 frames (topic, JSON), got 1");
        let mismatch =
            Envelope::from_frames(&[b"a".as_slice(), br#"{"topic":"b","msg":1}"#]).unwrap_err();
        assert!(matches!(mismatch, EnvelopeError::TopicMismatch { .. }));
    }

    #[test]
    fn canonical_json_is_dumps_of_the_value() {
        let v = json!({"topic": "t\u{e9}", "msg": {"z": 1, "a": [1.5, null]}, "timestamp": 1.25, "i": 3,
                       "username": "u", "msg_id": "2026-x", "a_first": true, "zz_last": {"y": 1, "b": 2}});
        let env = Envelope::from_value(v.clone()).unwrap();
        assert_eq!(env.to_canonical_json(), crate::encoding::dumps(&v));
    }

    #[test]
    fn msg_ids_are_year_dash_uuid4() {
        let id = new_msg_id();
        let (year, uuid) = id.split_once('-').unwrap();
        assert_eq!(year.len(), 4);
        assert_eq!(uuid::Uuid::parse_str(uuid).unwrap().get_version_num(), 4);
        let mut env = Envelope::new("t", json!({}));
        env.msg_id = Some(id.clone());
        assert_eq!(env.bare_msg_id(), Some(uuid));
        env.msg_id = Some("68976593-de87".into());
        assert_eq!(env.bare_msg_id(), Some("68976593-de87"));
    }
}
