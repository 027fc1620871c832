//! The line format of Python's `fedora-messaging record` and `publish` (`dumps` / `loads`): one JSON
//! object per line with the keys `body`, `headers`, `id`, `priority`, `queue` and `topic`, sorted,
//! raw UTF-8. Only `topic` and `body` are required when reading.

use std::io::BufRead;

use serde_json::{Map, Value};

use crate::envelope::{new_id, Envelope, CONTENT_ENCODING, CONTENT_TYPE, DELIVERY_MODE_PERSISTENT};
use crate::headers::{self, Headers, Reserved};
use crate::pyjson::{self, Style};
use crate::schema::{self, Part, ValidationError};

/// A line that is not a serialized message.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The line is not JSON.
    #[error("line {line}: not JSON: {message}")]
    NotJson {
        /// 1-based line number.
        line: usize,
        /// The parser's message.
        message: String,
    },
    /// The JSON does not match the serialized-message schema.
    #[error("line {line}: {source}")]
    Invalid {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        source: ValidationError,
    },
    /// The priority does not fit AMQP's 0–255.
    #[error("line {line}: priority {priority} is out of range 0-255")]
    Priority {
        /// 1-based line number.
        line: usize,
        /// The priority given.
        priority: i64,
    },
    /// Reading failed.
    #[error("line {line}: {message}")]
    Io {
        /// 1-based line number.
        line: usize,
        /// The I/O error.
        message: String,
    },
}

impl LoadError {
    /// The 1-based line number the error is on.
    pub fn line(&self) -> usize {
        match self {
            Self::NotJson { line, .. }
            | Self::Invalid { line, .. }
            | Self::Priority { line, .. }
            | Self::Io { line, .. } => *line,
        }
    }
}

/// One line for `envelope`, ending in `\n`, as Python's `dumps` writes it.
///
/// ```
/// use fedora_messaging::{lines, BaseMessage, Envelope};
/// use serde_json::json;
///
/// let env = Envelope::builder(&BaseMessage::new("t.x", json!({"b": 1, "a": "ü"})))
///     .id("0d1e3e1f-0000-4000-8000-000000000000")
///     .sent_at_text("2024-05-01T12:34:56+00:00")
///     .build()
///     .unwrap();
/// let line = lines::dumps(&env);
/// assert!(line.starts_with(r#"{"body": {"a": "ü", "b": 1}, "headers": {"#));
/// assert!(line.ends_with("\"queue\": null, \"topic\": \"t.x\"}\n"));
/// let back = lines::loads(&line).unwrap();
/// assert!(back[0].same_message(&env));
/// assert_eq!((back[0].id.as_deref(), back[0].sent_at()), (env.id.as_deref(), env.sent_at()));
/// ```
pub fn dumps(envelope: &Envelope) -> String {
    let mut obj = Map::new();
    obj.insert("body".into(), envelope.body.value().clone());
    obj.insert("headers".into(), Value::Object(envelope.headers.clone()));
    obj.insert(
        "id".into(),
        envelope.id.clone().map_or(Value::Null, Value::String),
    );
    // Python writes `msg.priority`, which reads 0 when the property is unset.
    obj.insert("priority".into(), envelope.priority.unwrap_or(0).into());
    obj.insert(
        "queue".into(),
        envelope.queue.clone().map_or(Value::Null, Value::String),
    );
    obj.insert("topic".into(), envelope.topic.clone().into());
    let mut line = pyjson::to_string(&Value::Object(obj), Style::LINE);
    line.push('\n');
    line
}

/// [`dumps`] for many envelopes: their lines, concatenated.
pub fn dumps_all<'a>(envelopes: impl IntoIterator<Item = &'a Envelope>) -> String {
    envelopes.into_iter().map(dumps).collect()
}

/// Every message in `text`, one per line; the first bad line stops it. Blank lines are skipped.
pub fn loads(text: &str) -> Result<Vec<Envelope>, LoadError> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| parse_line(l, i + 1))
        .collect()
}

/// Reads messages from `reader` lazily, one per line, each with its line number.
pub fn read(reader: impl BufRead) -> impl Iterator<Item = Result<Envelope, LoadError>> {
    reader
        .lines()
        .enumerate()
        .filter_map(|(i, line)| match line {
            Ok(l) if l.trim().is_empty() => None,
            Ok(l) => Some(parse_line(&l, i + 1)),
            Err(e) => Some(Err(LoadError::Io {
                line: i + 1,
                message: e.to_string(),
            })),
        })
}

/// One line, numbered `line_no` for errors.
pub fn parse_line(line: &str, line_no: usize) -> Result<Envelope, LoadError> {
    let value: Value = serde_json::from_str(line).map_err(|e| LoadError::NotJson {
        line: line_no,
        message: e.to_string(),
    })?;
    load_message(value).map_err(|e| match e {
        LoadError::Invalid { source, .. } => LoadError::Invalid {
            line: line_no,
            source,
        },
        LoadError::Priority { priority, .. } => LoadError::Priority {
            line: line_no,
            priority,
        },
        other => other,
    })
}

/// A serialized message as a JSON value → its envelope (Python's `load_message`).
///
/// As in Python: `sent-at` and `id` are kept when present and made fresh otherwise; the content
/// type, encoding and delivery mode are the standard ones; the `priority` header follows the
/// `priority` key. On purpose unlike Python 3.9.1, a schema name this library does not know is kept
/// as it is instead of being rewritten to `base.message`, so re-publishing a recording loses nothing.
pub fn load_message(value: Value) -> Result<Envelope, LoadError> {
    schema::serialized_message()
        .check(&value, "serialized message", Part::Line)
        .map_err(|source| LoadError::Invalid { line: 0, source })?;
    let Value::Object(mut obj) = value else {
        unreachable!("the schema requires an object")
    };
    let priority = match obj.get("priority").and_then(Value::as_i64) {
        None => None,
        Some(p) => Some(u8::try_from(p).map_err(|_| LoadError::Priority {
            line: 0,
            priority: p,
        })?),
    };
    let mut headers: Headers = match obj.remove("headers") {
        Some(Value::Object(h)) => h,
        _ => Headers::new(),
    };
    // What the line's headers lack is filled in as a new message gets it: a base message, sent
    // now, at INFO.
    let missing = |name: &str| !headers.contains_key(name);
    Reserved {
        schema: missing(headers::SCHEMA).then_some((
            headers::BASE_SCHEMA_NAME,
            Some(headers::BASE_SCHEMA_PACKAGE),
        )),
        sent_at: missing(headers::SENT_AT).then(headers::sent_at_now),
        severity: missing(headers::SEVERITY).then_some(crate::Severity::Info),
        priority: priority.unwrap_or(0),
    }
    .write(&mut headers);
    let take_str = |obj: &mut Map<String, Value>, k: &str| match obj.remove(k) {
        Some(Value::String(s)) => Some(s),
        _ => None,
    };
    Ok(Envelope {
        topic: take_str(&mut obj, "topic").unwrap_or_default(),
        body: obj.remove("body").unwrap_or(Value::Null).into(),
        headers,
        id: Some(take_str(&mut obj, "id").unwrap_or_else(new_id)),
        // Python's priority setter turns None into 0 on the property too.
        priority: Some(priority.unwrap_or(0)),
        queue: take_str(&mut obj, "queue"),
        content_type: Some(CONTENT_TYPE.into()),
        content_encoding: Some(CONTENT_ENCODING.into()),
        delivery_mode: Some(DELIVERY_MODE_PERSISTENT),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn minimum_line_gets_pythons_defaults() {
        let env = &loads("{\"topic\": \"t.x\", \"body\": {\"a\": 1}}\n").unwrap()[0];
        assert_eq!(env.topic, "t.x");
        assert_eq!(env.body, json!({"a": 1}));
        assert_eq!(env.schema_name(), Some("base.message"));
        assert_eq!(env.schema_package(), Some("fedora_messaging"));
        assert_eq!(env.headers["fedora_messaging_severity"], 20);
        assert_eq!(env.headers["priority"], 0);
        assert!(env.sent_at().is_some());
        assert_eq!(env.id.as_ref().map(String::len), Some(36));
    }

    #[test]
    fn bad_lines_name_their_line_number() {
        let text = "{\"topic\": \"a.b\", \"body\": {}}\n\nnot json\n";
        assert!(matches!(
            loads(text),
            Err(LoadError::NotJson { line: 3, .. })
        ));
        let text = "{\"topic\": \"a.b\", \"body\": {}}\n{\"topic\": \"a.b\"}\n";
        let err = loads(text).unwrap_err();
        assert_eq!(err.line(), 2);
        assert!(err.to_string().contains("body"), "{err}");
        let err = loads("{\"topic\": \"a\", \"body\": {}, \"priority\": 300}").unwrap_err();
        assert!(matches!(
            err,
            LoadError::Priority {
                line: 1,
                priority: 300
            }
        ));
        let err = loads("{\"topic\": 5, \"body\": {}}").unwrap_err();
        assert!(matches!(err, LoadError::Invalid { line: 1, .. }));
    }

    #[test]
    fn unknown_schema_is_kept() {
        let line = r#"{"topic": "x.y", "body": {}, "headers": {"fedora_messaging_schema": "other.thingV1", "fedora_messaging_user_bob": true}}"#;
        let env = &loads(line).unwrap()[0];
        assert_eq!(env.schema_name(), Some("other.thingV1"));
        assert_eq!(env.headers["fedora_messaging_user_bob"], true);
    }

    #[test]
    fn reader_streams_lines() {
        let text = "{\"topic\": \"a.b\", \"body\": {}}\n{\"topic\": \"c.d\", \"body\": {}}\n";
        let topics: Vec<String> = read(text.as_bytes()).map(|r| r.unwrap().topic).collect();
        assert_eq!(topics, ["a.b", "c.d"]);
    }
}
