//! An AMQP delivery → an [`Envelope`]: Python's `get_message`. The body is decoded in its content
//! encoding and parsed as JSON; [`receive`] then validates and types it with a [`Registry`].
//! Every [`ReceiveError`] means "reject without requeue": the handler must not see the message.

use std::borrow::Cow;

use serde_json::Value;

use crate::envelope::{DecodeError, Envelope, CONTENT_ENCODING};
use crate::headers::Headers;
use crate::registry::{Decoded, Registry};
use crate::schema::ValidationError;

/// A delivery whose body cannot be read. Python raises `ValidationError` for all of these; the
/// consumer rejects such a message without requeueing it, and the handler never sees it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReceiveError {
    /// The body is not valid in its content encoding.
    #[error("the body is not valid {encoding}: invalid byte at offset {offset}")]
    BadEncoding {
        /// The encoding.
        encoding: String,
        /// Offset of the first invalid byte.
        offset: usize,
    },
    /// A content encoding this library cannot decode.
    #[error("unsupported content encoding {encoding:?}: expected utf-8, ascii or latin-1")]
    UnsupportedEncoding {
        /// The encoding.
        encoding: String,
    },
    /// The body is not JSON.
    #[error("the body is not JSON: {source}")]
    NotJson {
        /// The parser's error.
        source: serde_json::Error,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// The headers or body do not match the schema.
    #[error(transparent)]
    Validation(#[from] ValidationError),
    /// The body matches its schema but not its registered Rust type, or that type's schema is broken.
    #[error(transparent)]
    Decode(Box<DecodeError>),
}

impl From<DecodeError> for ReceiveError {
    /// A validation failure stays [`ReceiveError::Validation`]; anything else is
    /// [`ReceiveError::Decode`].
    fn from(e: DecodeError) -> Self {
        match e {
            DecodeError::Validation(v) => Self::Validation(v),
            other => Self::Decode(Box::new(other)),
        }
    }
}

/// The AMQP properties of a delivery, as the transport hands them over (every one may be missing).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Properties {
    /// The headers table; `None` when the delivery had none.
    pub headers: Option<Headers>,
    /// `content_type`.
    pub content_type: Option<String>,
    /// `content_encoding`.
    pub content_encoding: Option<String>,
    /// `message_id`.
    pub message_id: Option<String>,
    /// `priority`.
    pub priority: Option<u8>,
    /// `delivery_mode`.
    pub delivery_mode: Option<u8>,
}

/// Reads a delivery as Python's `get_message` does: missing headers become `{}`, a missing
/// content encoding means UTF-8, the body must decode and parse as JSON. Nothing is validated
/// against a schema here; [`receive`] does that too.
pub fn envelope(
    routing_key: &str,
    properties: Properties,
    body: &[u8],
) -> Result<Envelope, ReceiveError> {
    let Properties {
        headers,
        content_type,
        content_encoding,
        message_id,
        priority,
        delivery_mode,
    } = properties;
    let headers = headers.unwrap_or_else(|| {
        tracing::error!(
            topic = routing_key,
            "message has no headers; a publisher is misbehaving"
        );
        Headers::new()
    });
    let encoding = content_encoding.as_deref().unwrap_or_else(|| {
        tracing::error!(
            topic = routing_key,
            "message has no content encoding; assuming utf-8"
        );
        CONTENT_ENCODING
    });
    let text = decode_text(body, encoding)?;
    let body: Value = serde_json::from_str(&text).map_err(|source| ReceiveError::NotJson {
        line: source.line(),
        column: source.column(),
        source,
    })?;
    Ok(Envelope {
        topic: routing_key.to_owned(),
        body: body.into(),
        headers,
        id: message_id,
        priority,
        queue: None,
        content_type,
        content_encoding,
        delivery_mode,
    })
}

/// The AMQP properties to publish `envelope` with.
pub fn properties(envelope: &Envelope) -> Properties {
    Properties {
        headers: Some(envelope.headers.clone()),
        content_type: envelope.content_type.clone(),
        content_encoding: envelope.content_encoding.clone(),
        message_id: envelope.id.clone(),
        priority: envelope.priority,
        delivery_mode: envelope.delivery_mode,
    }
}

/// The whole receive path of Python's `get_message`: read the delivery, validate, decode.
///
/// ```
/// use fedora_messaging::amqp::delivery::{self, Properties, ReceiveError};
/// use fedora_messaging::Registry;
///
/// let registry = Registry::new();
/// let decoded = delivery::receive(&registry, "a.b", Properties::default(), br#"{"x": 1}"#).unwrap();
/// assert_eq!(decoded.envelope().body["x"], 1);
/// let err = delivery::receive(&registry, "a.b", Properties::default(), b"[1]").unwrap_err();
/// assert!(matches!(err, ReceiveError::Validation(_)));
/// ```
pub fn receive(
    registry: &Registry,
    routing_key: &str,
    properties: Properties,
    body: &[u8],
) -> Result<Decoded, ReceiveError> {
    let envelope = envelope(routing_key, properties, body)?;
    Ok(registry.decode(envelope)?)
}

fn decode_text<'a>(body: &'a [u8], encoding: &str) -> Result<Cow<'a, str>, ReceiveError> {
    let is = |names: &[&str]| names.iter().any(|n| n.eq_ignore_ascii_case(encoding));
    let bad = |offset| ReceiveError::BadEncoding {
        encoding: encoding.into(),
        offset,
    };
    if is(&["utf-8", "utf8", "utf_8"]) {
        std::str::from_utf8(body)
            .map(Cow::Borrowed)
            .map_err(|e| bad(e.valid_up_to()))
    } else if is(&["ascii", "us-ascii", "us_ascii"]) {
        match body.iter().position(|b| !b.is_ascii()) {
            Some(offset) => Err(bad(offset)),
            // ASCII is valid UTF-8.
            None => Ok(String::from_utf8_lossy(body)),
        }
    } else if is(&[
        "latin-1",
        "latin1",
        "latin_1",
        "iso-8859-1",
        "iso8859-1",
        "iso_8859_1",
    ]) {
        Ok(Cow::Owned(body.iter().map(|&b| char::from(b)).collect()))
    } else {
        Err(ReceiveError::UnsupportedEncoding {
            encoding: encoding.into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings() {
        assert_eq!(decode_text("é".as_bytes(), "UTF-8").unwrap(), "é");
        assert_eq!(decode_text(&[0xe9], "latin-1").unwrap(), "é");
        assert!(matches!(
            decode_text(&[b'{', 0xff], "utf-8"),
            Err(ReceiveError::BadEncoding { offset: 1, .. })
        ));
        assert!(matches!(
            decode_text(b"{}", "utf-16"),
            Err(ReceiveError::UnsupportedEncoding { .. })
        ));
    }

    #[test]
    fn not_json_names_the_place() {
        let err = envelope("a.b", Properties::default(), b"{\"x\":\n nope}").unwrap_err();
        assert!(
            matches!(err, ReceiveError::NotJson { line: 2, .. }),
            "{err}"
        );
    }
}
