//! AMQP field tables and basic properties ↔ this crate's JSON [`Headers`] and [`Properties`].
//!
//! Outgoing values use pika's encodings, so Python reads exactly what it would have sent: strings
//! as long strings (`S`), integers as signed 32-bit (`I`) or 64-bit (`l`) when they do not fit,
//! booleans `t`, floats `d`, null `V`, lists `A`, objects `F`. Incoming, every AMQP type is
//! accepted: any integer width, byte arrays and short strings as strings, decimals and timestamps
//! as numbers. Header names longer than 255 bytes cannot be encoded.

use lapin::protocol::BasicProperties;
use lapin::types::{AMQPValue, FieldArray, FieldTable, LongString, ShortString};
use serde_json::{Map, Number, Value};

use super::delivery::Properties;
use crate::headers::{HeaderError, Headers};
use crate::Envelope;

/// `headers` as an AMQP field table.
pub fn to_field_table(headers: &Headers) -> Result<FieldTable, HeaderError> {
    let mut table = FieldTable::default();
    for (k, v) in headers {
        let key = ShortString::try_new(k.as_str()).map_err(|_| HeaderError::NameTooLong {
            name: k.clone(),
            len: k.len(),
        })?;
        table.insert(key, to_amqp(v)?);
    }
    Ok(table)
}

fn to_amqp(v: &Value) -> Result<AMQPValue, HeaderError> {
    Ok(match v {
        Value::Null => AMQPValue::Void,
        Value::Bool(b) => AMQPValue::Boolean(*b),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => match i32::try_from(i) {
                Ok(small) => AMQPValue::LongInt(small),
                Err(_) => AMQPValue::LongLongInt(i),
            },
            (None, Some(f)) => AMQPValue::Double(f),
            (None, None) => AMQPValue::Void,
        },
        Value::String(s) => AMQPValue::LongString(LongString::from(s.as_str())),
        Value::Array(items) => AMQPValue::FieldArray(FieldArray::from(
            items.iter().map(to_amqp).collect::<Result<Vec<_>, _>>()?,
        )),
        Value::Object(map) => AMQPValue::FieldTable(to_field_table(map)?),
    })
}

/// An AMQP field table as JSON headers.
pub fn from_field_table(table: &FieldTable) -> Headers {
    table
        .inner()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), from_amqp(v)))
        .collect()
}

fn from_amqp(v: &AMQPValue) -> Value {
    match v {
        AMQPValue::Boolean(b) => Value::Bool(*b),
        AMQPValue::ShortShortInt(i) => (*i).into(),
        AMQPValue::ShortShortUInt(i) => (*i).into(),
        AMQPValue::ShortInt(i) => (*i).into(),
        AMQPValue::ShortUInt(i) => (*i).into(),
        AMQPValue::LongInt(i) => (*i).into(),
        AMQPValue::LongUInt(i) => (*i).into(),
        AMQPValue::LongLongInt(i) => (*i).into(),
        AMQPValue::Timestamp(t) => (*t).into(),
        AMQPValue::Float(f) => float(f64::from(*f)),
        AMQPValue::Double(f) => float(*f),
        AMQPValue::DecimalValue(d) => float(f64::from(d.value) / 10f64.powi(i32::from(d.scale))),
        AMQPValue::ShortString(s) => Value::String(s.as_str().to_owned()),
        AMQPValue::LongString(s) => {
            Value::String(String::from_utf8_lossy(s.as_bytes()).into_owned())
        }
        AMQPValue::ByteArray(b) => {
            Value::String(String::from_utf8_lossy(b.as_slice()).into_owned())
        }
        AMQPValue::FieldArray(a) => Value::Array(a.as_slice().iter().map(from_amqp).collect()),
        AMQPValue::FieldTable(t) => {
            Value::Object(from_field_table(t).into_iter().collect::<Map<_, _>>())
        }
        AMQPValue::Void => Value::Null,
    }
}

fn float(f: f64) -> Value {
    Number::from_f64(f).map_or(Value::Null, Value::Number)
}

/// A queue or binding argument (from `config.toml`) that has no AMQP form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
#[error("argument {key} cannot be sent to the broker: {reason}")]
pub struct ArgumentError {
    /// The argument's key, dotted for a nested table (`x-args.when`).
    pub key: String,
    /// Why.
    pub reason: &'static str,
}

/// Queue or binding `arguments` from `config.toml` as an AMQP field table, with pika's encodings
/// (as [`to_field_table`]). TOML date-times have no AMQP form here and keys are at most 255 bytes:
/// either is an error naming the key, never a silently empty table.
pub fn arguments_table(arguments: &toml::Table) -> Result<FieldTable, ArgumentError> {
    arguments_at(arguments, "")
}

fn arguments_at(arguments: &toml::Table, prefix: &str) -> Result<FieldTable, ArgumentError> {
    let mut table = FieldTable::default();
    for (k, v) in arguments {
        let key = format!("{prefix}{k}");
        let name = ShortString::try_new(k.as_str()).map_err(|_| ArgumentError {
            key: key.clone(),
            reason: "a key is at most 255 bytes long",
        })?;
        table.insert(name, toml_to_amqp(v, &key)?);
    }
    Ok(table)
}

fn toml_to_amqp(v: &toml::Value, key: &str) -> Result<AMQPValue, ArgumentError> {
    Ok(match v {
        toml::Value::String(s) => AMQPValue::LongString(LongString::from(s.as_str())),
        toml::Value::Integer(i) => match i32::try_from(*i) {
            Ok(small) => AMQPValue::LongInt(small),
            Err(_) => AMQPValue::LongLongInt(*i),
        },
        toml::Value::Float(f) => AMQPValue::Double(*f),
        toml::Value::Boolean(b) => AMQPValue::Boolean(*b),
        toml::Value::Datetime(_) => {
            return Err(ArgumentError {
                key: key.to_owned(),
                reason: "a TOML date-time has no AMQP form; write it as a number or a string",
            })
        }
        toml::Value::Array(items) => AMQPValue::FieldArray(FieldArray::from(
            items
                .iter()
                .map(|i| toml_to_amqp(i, key))
                .collect::<Result<Vec<_>, _>>()?,
        )),
        toml::Value::Table(t) => AMQPValue::FieldTable(arguments_at(t, &format!("{key}."))?),
    })
}

/// The lapin properties for `p`.
pub fn to_basic_properties(p: &Properties) -> Result<BasicProperties, HeaderError> {
    build(Borrowed {
        headers: p.headers.as_ref(),
        content_type: p.content_type.as_deref(),
        content_encoding: p.content_encoding.as_deref(),
        message_id: p.message_id.as_deref(),
        priority: p.priority,
        delivery_mode: p.delivery_mode,
    })
}

/// The lapin properties of `envelope`, as [`to_basic_properties`] of
/// [`delivery::properties`](super::delivery::properties) gives them, read from the envelope in
/// place (publishing builds them once per message; copying the headers first would double that).
pub fn envelope_properties(envelope: &Envelope) -> Result<BasicProperties, HeaderError> {
    build(Borrowed {
        headers: Some(&envelope.headers),
        content_type: envelope.content_type.as_deref(),
        content_encoding: envelope.content_encoding.as_deref(),
        message_id: envelope.id.as_deref(),
        priority: envelope.priority,
        delivery_mode: envelope.delivery_mode,
    })
}

/// The properties this crate sets, borrowed from a [`Properties`] or an [`Envelope`].
struct Borrowed<'a> {
    headers: Option<&'a Headers>,
    content_type: Option<&'a str>,
    content_encoding: Option<&'a str>,
    message_id: Option<&'a str>,
    priority: Option<u8>,
    delivery_mode: Option<u8>,
}

fn build(p: Borrowed<'_>) -> Result<BasicProperties, HeaderError> {
    let mut out = BasicProperties::default();
    if let Some(h) = p.headers {
        out = out.with_headers(to_field_table(h)?);
    }
    if let Some(v) = p.content_type {
        out = out.with_content_type(v.into());
    }
    if let Some(v) = p.content_encoding {
        out = out.with_content_encoding(v.into());
    }
    if let Some(v) = p.message_id {
        out = out.with_message_id(v.into());
    }
    if let Some(v) = p.priority {
        out = out.with_priority(v);
    }
    if let Some(v) = p.delivery_mode {
        out = out.with_delivery_mode(v);
    }
    Ok(out)
}

/// This crate's view of lapin's properties.
pub fn from_basic_properties(p: &BasicProperties) -> Properties {
    Properties {
        headers: p.headers().as_ref().map(from_field_table),
        content_type: p.content_type().as_ref().map(|s| s.as_str().to_owned()),
        content_encoding: p.content_encoding().as_ref().map(|s| s.as_str().to_owned()),
        message_id: p.message_id().as_ref().map(|s| s.as_str().to_owned()),
        priority: *p.priority(),
        delivery_mode: *p.delivery_mode(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn envelope_properties_are_those_of_the_delivery_properties() {
        let mut env = Envelope::builder(&crate::BaseMessage::new("a.b", json!({"k": 1})))
            .priority(Some(3))
            .build()
            .unwrap();
        env.headers.insert("x-big".into(), json!(1_u64 << 40));
        env.headers
            .insert("x-list".into(), json!(["a", {"b": null}]));
        assert_eq!(
            envelope_properties(&env).unwrap(),
            to_basic_properties(&super::super::delivery::properties(&env)).unwrap()
        );
    }

    #[test]
    fn arguments_convert_or_name_the_bad_key() {
        let t: toml::Table = toml::from_str(
            "x-max-priority = 10\nx-big = 5000000000\nx-dlx = \"dead\"\nx-ratio = 0.5\nx-on = true\nx-list = [1, \"a\"]\nx-nested = { k = \"v\" }\n",
        )
        .unwrap();
        let f = arguments_table(&t).unwrap();
        let get = |k: &str| f.inner().get(k).unwrap().clone();
        assert_eq!(get("x-max-priority"), AMQPValue::LongInt(10));
        assert_eq!(get("x-big"), AMQPValue::LongLongInt(5_000_000_000));
        assert!(matches!(get("x-dlx"), AMQPValue::LongString(_)));
        assert_eq!(get("x-ratio"), AMQPValue::Double(0.5));
        assert!(matches!(get("x-nested"), AMQPValue::FieldTable(_)));

        let t: toml::Table = toml::from_str("x-outer = { when = 1979-05-27T07:32:00Z }").unwrap();
        let e = arguments_table(&t).unwrap_err();
        assert_eq!(e.key, "x-outer.when");
        assert!(e.to_string().contains("date-time"), "{e}");

        let mut t = toml::Table::new();
        t.insert("k".repeat(256), toml::Value::Integer(1));
        let e = arguments_table(&t).unwrap_err();
        assert!(e.to_string().contains("255 bytes"), "{e}");
    }

    #[test]
    fn pika_encodings_out() {
        let h = json!({"s": "x", "i": 20, "big": 5_000_000_000i64, "t": true, "f": 2.5, "n": null, "a": [1], "o": {"k": "v"}});
        let t = to_field_table(h.as_object().unwrap()).unwrap();
        let get = |k: &str| t.inner().get(k).unwrap().clone();
        assert!(matches!(get("s"), AMQPValue::LongString(_)));
        assert_eq!(get("i"), AMQPValue::LongInt(20));
        assert_eq!(get("big"), AMQPValue::LongLongInt(5_000_000_000));
        assert_eq!(get("t"), AMQPValue::Boolean(true));
        assert_eq!(get("f"), AMQPValue::Double(2.5));
        assert_eq!(get("n"), AMQPValue::Void);
        assert!(matches!(get("a"), AMQPValue::FieldArray(_)));
        assert!(matches!(get("o"), AMQPValue::FieldTable(_)));
        assert_eq!(Value::Object(from_field_table(&t)), h);
    }

    #[test]
    fn every_amqp_type_in() {
        let mut t = FieldTable::default();
        t.insert("a".into(), AMQPValue::ShortInt(20));
        t.insert("b".into(), AMQPValue::ShortString("s".into()));
        t.insert("c".into(), AMQPValue::ByteArray(b"bytes".to_vec().into()));
        t.insert(
            "d".into(),
            AMQPValue::DecimalValue(lapin::types::DecimalValue {
                scale: 2,
                value: 250,
            }),
        );
        t.insert("e".into(), AMQPValue::Timestamp(1_700_000_000));
        t.insert(
            "f".into(),
            AMQPValue::LongString(LongString::from(&b"\xffok"[..])),
        );
        let h = from_field_table(&t);
        assert_eq!(
            Value::Object(h),
            json!({"a": 20, "b": "s", "c": "bytes", "d": 2.5, "e": 1_700_000_000u64, "f": "\u{fffd}ok"})
        );
    }

    #[test]
    fn long_header_names_are_refused() {
        let mut h = Headers::new();
        h.insert("x".repeat(256), json!(true));
        assert!(matches!(
            to_field_table(&h),
            Err(HeaderError::NameTooLong { len: 256, .. })
        ));
    }
}
