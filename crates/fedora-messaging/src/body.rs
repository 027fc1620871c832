//! [`Body`]: the JSON body of an [`Envelope`](crate::Envelope).
//!
//! A received body is the `serde_json::Value` it was parsed into. A body built here from a typed
//! message is the flat token list its `Serialize` wrote (see `__private::tape`): validated and
//! written to the wire from those tokens, without the allocation and hash per key a `Value` costs;
//! the `Value` is made the first time something reads the body as one, and kept.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::OnceLock;

use serde::Serialize;
use serde_json::Value;

use crate::__private::tape::{Tape, TapeJson};
use crate::pyjson::{self, Style};

/// The JSON body of an envelope. It reads as a [`serde_json::Value`] (it dereferences to one), and
/// is made from one with `.into()`.
///
/// ```
/// use fedora_messaging::Body;
/// use serde_json::json;
///
/// let body = Body::serialize(&json!({"n": 1, "name": "Zoë"})).unwrap();
/// assert_eq!(body["n"], 1);                        // read as a Value
/// assert_eq!(body.to_bytes(), br#"{"n": 1, "name": "Zo\u00eb"}"#);
/// let same: Body = json!({"n": 1, "name": "Zoë"}).into();
/// assert_eq!(body, same);
/// ```
#[derive(Default)]
pub struct Body {
    /// The tokens of a body serialized here; `None` once the body was changed as a `Value`.
    tape: Option<Tape>,
    /// The body as a `Value`: given, or made from the tape on first read.
    value: OnceLock<Value>,
}

impl Body {
    /// The body `value` serializes to: the same JSON as `serde_json::to_value(value)`, kept as
    /// tokens until it is read as a `Value`.
    pub fn serialize<T: Serialize + ?Sized>(value: &T) -> Result<Body, serde_json::Error> {
        let tape = Tape::from_serialize(value)?;
        if tape.has_repeated_key() {
            // Rare (a flattened map holding a field's name): the `Value` decides which one stays.
            return serde_json::to_value(value).map(Body::from);
        }
        Ok(Body {
            tape: Some(tape),
            value: OnceLock::new(),
        })
    }

    /// The body as a `serde_json::Value` (what dereferencing gives).
    pub fn value(&self) -> &Value {
        self.value.get_or_init(|| match &self.tape {
            Some(tape) => tape.to_value(),
            None => Value::Null,
        })
    }

    /// The body as an owned `serde_json::Value`.
    pub fn into_value(mut self) -> Value {
        match (self.value.take(), self.tape.take()) {
            (Some(value), _) => value,
            (None, Some(tape)) => tape.to_value(),
            (None, None) => Value::Null,
        }
    }

    /// The bytes Python publishes: `json.dumps(body)`, ASCII with `\uXXXX` escapes.
    pub fn to_bytes(&self) -> Vec<u8> {
        match &self.tape {
            Some(tape) => tape.body_bytes(),
            None => pyjson::to_string(self.value(), Style::BODY).into_bytes(),
        }
    }

    /// The tokens, for a body serialized here and not changed since.
    pub(crate) fn tape(&self) -> Option<&Tape> {
        self.tape.as_ref()
    }

    /// [`crate::accessor::collect`] of the body: read from the tokens when it has them, so that a
    /// message's filter lists never make its `Value`.
    pub(crate) fn collect(&self, accessors: &[&str]) -> Vec<String> {
        match &self.tape {
            Some(tape) => crate::accessor::collect_in::<TapeJson>(tape.root(), accessors),
            None => crate::accessor::collect(self.value(), accessors),
        }
    }

    /// Whether the body is a JSON object, read without making a `Value`.
    pub(crate) fn is_object(&self) -> bool {
        match &self.tape {
            Some(tape) => tape.is_object(),
            None => self.value().is_object(),
        }
    }

    /// Whether the body nests more than `max` arrays or objects deep, read without making a `Value`.
    pub(crate) fn deeper_than(&self, max: usize) -> bool {
        match &self.tape {
            Some(tape) => tape.depth() > max,
            None => crate::schema::deeper_than(self.value(), max),
        }
    }
}

impl From<Value> for Body {
    fn from(value: Value) -> Self {
        Body {
            tape: None,
            value: OnceLock::from(value),
        }
    }
}

impl From<Body> for Value {
    fn from(body: Body) -> Self {
        body.into_value()
    }
}

impl Deref for Body {
    type Target = Value;

    fn deref(&self) -> &Value {
        self.value()
    }
}

impl DerefMut for Body {
    /// The `Value`, to change: the tokens are dropped, since they would no longer match.
    fn deref_mut(&mut self) -> &mut Value {
        if let Some(tape) = self.tape.take() {
            if self.value.get().is_none() {
                self.value = OnceLock::from(tape.to_value());
            }
        }
        if self.value.get().is_none() {
            self.value = OnceLock::from(Value::Null);
        }
        match self.value.get_mut() {
            Some(value) => value,
            None => unreachable!("set just above"),
        }
    }
}

impl Clone for Body {
    fn clone(&self) -> Self {
        Body {
            tape: self.tape.clone(),
            value: self.value.clone(),
        }
    }
}

impl PartialEq for Body {
    fn eq(&self, other: &Body) -> bool {
        match (&self.tape, &other.tape) {
            (Some(a), Some(b)) if a == b => true,
            _ => self.value() == other.value(),
        }
    }
}

impl PartialEq<Value> for Body {
    fn eq(&self, other: &Value) -> bool {
        self.value() == other
    }
}

impl PartialEq<Body> for Value {
    fn eq(&self, other: &Body) -> bool {
        self == other.value()
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.value(), f)
    }
}

impl fmt::Display for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.value(), f)
    }
}

impl Serialize for Body {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value().serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_serialized_body_reads_changes_and_writes_as_its_value() {
        let v = json!({"a": [1, {"b": null}], "é": 2.5});
        let mut body = Body::serialize(&v).unwrap();
        assert!(body.tape().is_some());
        assert_eq!(*body, v);
        assert_eq!(
            body.to_bytes(),
            pyjson::to_string(&v, Style::BODY).into_bytes()
        );
        assert!(body.is_object());
        assert!(body.deeper_than(2) && !body.deeper_than(3));
        body["a"] = json!("changed");
        // Changed as a Value: the tokens are gone, and the bytes are the new value's.
        assert!(body.tape().is_none());
        assert_eq!(body.to_bytes(), br#"{"a": "changed", "\u00e9": 2.5}"#);
        assert_eq!(body.clone().into_value(), json!({"a": "changed", "é": 2.5}));
    }

    /// A key twice in one object (a flattened map holding a field's name) ends as `to_value` ends
    /// it: once, in its first place, with its last value; the bytes say the same.
    #[test]
    fn a_repeated_key_is_kept_once_as_to_value_keeps_it() {
        #[derive(Serialize)]
        struct Note {
            text: String,
            #[serde(flatten)]
            extra: serde_json::Map<String, Value>,
        }
        for n in [1, 12] {
            let mut extra = serde_json::Map::new();
            for i in 0..n {
                extra.insert(format!("k{i}"), json!(i));
            }
            extra.insert("text".into(), json!("from extra"));
            let note = Note {
                text: "from the field".into(),
                extra,
            };
            let expected = serde_json::to_value(&note).unwrap();
            let body = Body::serialize(&note).unwrap();
            assert!(body.tape().is_none());
            assert_eq!(*body, expected);
            assert_eq!(
                body.to_bytes(),
                pyjson::to_string(&expected, Style::BODY).into_bytes()
            );
            assert!(Tape::from_serialize(&note).unwrap().has_repeated_key());
        }
        let distinct =
            Body::serialize(&json!({"a": {"b": 1, "c": 2}, "b": [{"a": 1, "b": 2}]})).unwrap();
        assert!(distinct.tape().is_some());
        // Past 128 keys some fingerprints must collide: the keys are compared, and none repeats.
        let many: serde_json::Map<String, Value> =
            (0..300).map(|i| (format!("key{i}"), json!(i))).collect();
        let many = Value::Object(many);
        let body = Body::serialize(&many).unwrap();
        assert!(body.tape().is_some());
        assert_eq!(
            body.to_bytes(),
            pyjson::to_string(&many, Style::BODY).into_bytes()
        );
    }

    #[test]
    fn depth_counts_containers_as_the_value_check_does() {
        for v in [
            json!(1),
            json!([]),
            json!([[1]]),
            json!({"a": {"b": [[]]}}),
            json!([{}, [[[]]]]),
        ] {
            let body = Body::serialize(&v).unwrap();
            for max in 0..6 {
                assert_eq!(
                    body.deeper_than(max),
                    crate::schema::deeper_than(&v, max),
                    "{v} against {max}"
                );
            }
        }
    }
}
