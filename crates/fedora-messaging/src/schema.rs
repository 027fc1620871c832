//! JSON Schema validation: compiled validators, the base schemas Python applies to every message, and
//! the typed errors they produce.
//!
//! Parity with Python fedora-messaging 3.9.1: each schema is validated with the draft its `$schema`
//! declares (draft-04 and 2019-09 both occur in real schema packages); a schema without `$schema`, or
//! with one this library does not know, gets draft 2020-12, as Python's `validator_for` does; and
//! `format` is never asserted, because Python passes no format checker. Validators are compiled once
//! per message type and kept for the life of the process.

use std::any::TypeId;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, OnceLock, RwLock};

use jsonschema::Draft;
use serde_json::{json, Value};

use crate::__private::tape::TapeJson;
use crate::body::Body;
use crate::message::Message;

/// The draft-04 meta-schema URI, used by every base schema.
pub const DRAFT4: &str = "http://json-schema.org/draft-04/schema#";

/// A schema that could not be compiled: it is not valid JSON Schema for its draft, or it has a
/// `$ref` that cannot be resolved from the document itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid JSON Schema{}: {message}", for_what.as_ref().map(|w| format!(" for {w}")).unwrap_or_default())]
pub struct SchemaError {
    /// What the schema belongs to (a schema name or file), when known.
    pub for_what: Option<String>,
    /// What is wrong, as the validator reports it.
    pub message: String,
}

/// Which part of a message failed validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Part {
    /// The AMQP headers.
    Headers,
    /// The JSON body.
    Body,
    /// A serialized message (one line of a `record` file).
    Line,
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Headers => "headers",
            Self::Body => "body",
            Self::Line => "serialized message",
        })
    }
}

/// One place where an instance breaks its schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// JSON pointer to the failing value inside the validated part (`""` for the part itself).
    pub instance_path: String,
    /// JSON pointer to the keyword in the schema that failed.
    pub schema_path: String,
    /// What is wrong, e.g. `25 is not one of [10,20,30,40]`.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.instance_path.is_empty() {
            "/"
        } else {
            &self.instance_path
        };
        write!(f, "at {at}: {}", self.message)
    }
}

/// How deeply a body may nest. It is serde_json's own limit when parsing, so anything read from
/// the wire fits, and nothing deeper is ever walked recursively (by validation or decoding), where
/// it could exhaust the stack and abort the process.
pub const MAX_DEPTH: usize = 128;

/// Whether `v` nests more than `max` arrays or objects deep, found without recursion.
pub(crate) fn deeper_than(v: &Value, max: usize) -> bool {
    // Only containers go on the stack: scalars cannot be deeper than their parent.
    let mut stack: Vec<(&Value, usize)> = Vec::with_capacity(16);
    if matches!(v, Value::Array(_) | Value::Object(_)) {
        stack.push((v, 1));
    }
    while let Some((v, depth)) = stack.pop() {
        if depth > max {
            return true;
        }
        match v {
            Value::Array(a) => {
                for c in a {
                    if matches!(c, Value::Array(_) | Value::Object(_)) {
                        stack.push((c, depth + 1));
                    }
                }
            }
            Value::Object(o) => {
                for c in o.values() {
                    if matches!(c, Value::Array(_) | Value::Object(_)) {
                        stack.push((c, depth + 1));
                    }
                }
            }
            _ => {}
        }
    }
    false
}

/// A message that does not match its schema (Python's `fedora_messaging.exceptions.ValidationError`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ValidationError {
    /// The schema name the message was checked against (e.g. `base.message`).
    pub schema_name: String,
    /// Which part failed.
    pub part: Part,
    /// Every violation found; never empty.
    pub violations: Vec<Violation>,
}

impl ValidationError {
    /// The first violation's message (Python's `ValidationError.summary`).
    pub fn summary(&self) -> &str {
        self.violations
            .first()
            .map(|v| v.message.as_str())
            .unwrap_or("invalid")
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = if self.part == Part::Headers {
            "do"
        } else {
            "does"
        };
        write!(
            f,
            "{} {verb} not match schema {:?}",
            self.part, self.schema_name
        )?;
        if let Some(first) = self.violations.first() {
            write!(f, " {first}")?;
        }
        if self.violations.len() > 1 {
            write!(f, " (and {} more)", self.violations.len() - 1)?;
        }
        Ok(())
    }
}

/// A compiled JSON Schema, ready to validate many instances.
pub struct CompiledSchema {
    validator: jsonschema::Validator,
    draft: Draft,
    /// The schema as compiled, for the validator of bodies held as tokens, compiled on first use.
    schema: Value,
    by_tape: OnceLock<Option<jsonschema::Validator<TapeJson>>>,
}

impl fmt::Debug for CompiledSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CompiledSchema")
            .field("draft", &self.draft)
            .finish_non_exhaustive()
    }
}

impl CompiledSchema {
    /// Compiles `schema` with the draft its `$schema` declares (2020-12 when absent or unknown),
    /// formats not asserted, references resolved only inside the document.
    ///
    /// ```
    /// use fedora_messaging::schema::CompiledSchema;
    /// use serde_json::json;
    ///
    /// let s = CompiledSchema::compile(&json!({
    ///     "$schema": "http://json-schema.org/draft-04/schema#",
    ///     "type": "object",
    ///     "properties": {"email": {"type": "string", "format": "email"}}
    /// })).unwrap();
    /// // Python does not assert formats, so neither do we.
    /// assert!(s.is_valid(&json!({"email": "not an address"})));
    /// assert!(!s.is_valid(&json!({"email": 5})));
    /// ```
    pub fn compile(schema: &Value) -> Result<Self, SchemaError> {
        let (draft, known) = declared_draft(schema);
        let stripped;
        let schema = if known {
            schema
        } else {
            // An unknown `$schema` would make the validator look for that meta-schema; Python just
            // falls back to its newest draft, so drop the key and do the same.
            let mut s = schema.clone();
            if let Some(o) = s.as_object_mut() {
                o.remove("$schema");
            }
            stripped = s;
            &stripped
        };
        let validator = jsonschema::options()
            .with_draft(draft)
            .should_validate_formats(false)
            .build(schema)
            .map_err(|e| SchemaError {
                for_what: None,
                message: e.to_string(),
            })?;
        Ok(Self {
            validator,
            draft,
            schema: schema.clone(),
            by_tape: OnceLock::new(),
        })
    }

    /// The draft the schema is validated with.
    pub fn draft(&self) -> Draft {
        self.draft
    }

    /// Whether `instance` matches.
    pub fn is_valid(&self, instance: &Value) -> bool {
        self.validator.is_valid(instance)
    }

    /// Every violation in `instance`, in the validator's order (empty when valid).
    pub fn violations(&self, instance: &Value) -> Vec<Violation> {
        self.validator
            .iter_errors(instance)
            .map(|e| Violation {
                instance_path: e.instance_path().as_str().to_owned(),
                schema_path: e.schema_path().as_str().to_owned(),
                message: e.to_string(),
            })
            .collect()
    }

    /// `Ok(())` when `instance` matches, else a [`ValidationError`] naming `schema_name` and `part`.
    pub fn check(
        &self,
        instance: &Value,
        schema_name: &str,
        part: Part,
    ) -> Result<(), ValidationError> {
        // The fast path: most messages are valid, and is_valid does not build error values.
        if self.is_valid(instance) {
            return Ok(());
        }
        Err(ValidationError {
            schema_name: schema_name.to_owned(),
            part,
            violations: self.violations(instance),
        })
    }
}

impl CompiledSchema {
    /// [`CompiledSchema::check`] of a body: a body serialized here is validated on its tokens,
    /// without making its `Value`; a violation is reported from the `Value`, word for word as
    /// `check` reports it (the two validators agree: `tape` tests).
    pub(crate) fn check_body(
        &self,
        body: &Body,
        schema_name: &str,
        part: Part,
    ) -> Result<(), ValidationError> {
        if let (Some(tape), Some(by_tape)) = (body.tape(), self.by_tape()) {
            if by_tape.is_valid(tape.root()) {
                return Ok(());
            }
        }
        self.check(body.value(), schema_name, part)
    }

    /// The same schema compiled for tokens; `None` would mean it did not compile so, which a
    /// schema that compiled for `Value`s does (same options, same keywords).
    fn by_tape(&self) -> Option<&jsonschema::Validator<TapeJson>> {
        self.by_tape
            .get_or_init(|| {
                jsonschema::options_for::<TapeJson>()
                    .with_draft(self.draft)
                    .should_validate_formats(false)
                    .build(&self.schema)
                    .ok()
            })
            .as_ref()
    }
}

/// The draft `$schema` names, and whether it was recognised.
fn declared_draft(schema: &Value) -> (Draft, bool) {
    let Some(uri) = schema.get("$schema").and_then(Value::as_str) else {
        return (Draft::Draft202012, true);
    };
    let uri = uri.trim_end_matches('#');
    let uri = uri
        .strip_prefix("https://")
        .or_else(|| uri.strip_prefix("http://"))
        .unwrap_or(uri);
    match uri {
        "json-schema.org/draft-04/schema" => (Draft::Draft4, true),
        "json-schema.org/draft-06/schema" => (Draft::Draft6, true),
        "json-schema.org/draft-07/schema" => (Draft::Draft7, true),
        "json-schema.org/draft/2019-09/schema" => (Draft::Draft201909, true),
        "json-schema.org/draft/2020-12/schema" => (Draft::Draft202012, true),
        _ => (Draft::Draft202012, false),
    }
}

/// Python's `Message.headers_schema`: the four reserved headers, nothing required.
pub fn base_headers_schema() -> Value {
    json!({
        "$schema": DRAFT4,
        "description": "Schema for message headers",
        "type": "object",
        "properties": {
            "fedora_messaging_severity": {"type": "number", "enum": [10, 20, 30, 40]},
            "fedora_messaging_schema": {"type": "string"},
            "fedora_messaging_schema_package": {"type": "string"},
            "sent-at": {"type": "string"}
        }
    })
}

/// Python's `Message.body_schema`: any JSON object.
pub fn base_body_schema() -> Value {
    json!({
        "$schema": DRAFT4,
        "description": "Schema for message body",
        "type": "object"
    })
}

/// Python's `SERIALIZED_MESSAGE_SCHEMA`: one line of a `record` file; only `topic` and `body` are required.
pub fn serialized_message_schema() -> Value {
    json!({
        "$schema": DRAFT4,
        "description": "Schema for the JSON object used to represent messages in a file",
        "type": "object",
        "properties": {
            "topic": {"type": "string", "description": "The message topic"},
            "headers": {
                "type": "object",
                "properties": base_headers_schema()["properties"].clone(),
                "description": "The message headers"
            },
            "id": {"type": "string", "description": "The message's UUID."},
            "body": {"type": "object", "description": "The message body."},
            "queue": {"type": ["string", "null"], "description": "The queue the message arrived on, if any."},
            "priority": {"type": ["integer", "null"], "description": "The priority that the message has been sent with."}
        },
        "required": ["topic", "body"]
    })
}

fn compiled_static(
    cell: &'static OnceLock<CompiledSchema>,
    make: fn() -> Value,
) -> &'static CompiledSchema {
    cell.get_or_init(|| match CompiledSchema::compile(&make()) {
        Ok(s) => s,
        // The base schemas are constants of this crate; a failure here is a bug caught by its tests.
        Err(e) => panic!("built-in schema does not compile: {e}"),
    })
}

/// The compiled [`base_headers_schema`].
pub fn base_headers() -> &'static CompiledSchema {
    static CELL: OnceLock<CompiledSchema> = OnceLock::new();
    compiled_static(&CELL, base_headers_schema)
}

/// The compiled [`base_body_schema`].
pub fn base_body() -> &'static CompiledSchema {
    static CELL: OnceLock<CompiledSchema> = OnceLock::new();
    compiled_static(&CELL, base_body_schema)
}

/// The compiled [`serialized_message_schema`].
pub fn serialized_message() -> &'static CompiledSchema {
    static CELL: OnceLock<CompiledSchema> = OnceLock::new();
    compiled_static(&CELL, serialized_message_schema)
}

type Cache = RwLock<HashMap<TypeId, Arc<CompiledSchema>>>;

/// The compiled body schema of `M`, compiled on first use and shared after that.
pub fn body_validator<M: Message>() -> Result<Arc<CompiledSchema>, SchemaError> {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Cache::default);
    let id = TypeId::of::<M>();
    if let Some(found) = cache.read().unwrap_or_else(|e| e.into_inner()).get(&id) {
        return Ok(Arc::clone(found));
    }
    let compiled = CompiledSchema::compile(&M::body_schema()).map_err(|mut e| {
        e.for_what = Some(format!("schema {:?}", M::SCHEMA_NAME));
        e
    })?;
    let compiled = Arc::new(compiled);
    let mut map = cache.write().unwrap_or_else(|e| e.into_inner());
    Ok(Arc::clone(map.entry(id).or_insert(compiled)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_is_measured_without_recursion() {
        let mut v = json!(1);
        for _ in 0..5 {
            v = json!([v]);
        }
        assert!(!deeper_than(&v, 5));
        assert!(deeper_than(&v, 4));
        assert!(!deeper_than(&json!({"a": [1, {"b": 2}]}), 3));
        assert!(deeper_than(&json!({"a": [1, {"b": []}]}), 3));
    }

    #[test]
    fn severity_25_is_rejected_with_pythons_reason() {
        let err = base_headers()
            .check(
                &json!({"fedora_messaging_severity": 25}),
                "base.message",
                Part::Headers,
            )
            .unwrap_err();
        assert_eq!(err.violations.len(), 1);
        assert_eq!(
            err.violations[0].instance_path,
            "/fedora_messaging_severity"
        );
        assert!(
            err.summary().contains("25 is not one of"),
            "{}",
            err.summary()
        );
        assert!(err.to_string().starts_with(
            "headers do not match schema \"base.message\" at /fedora_messaging_severity:"
        ));
    }

    #[test]
    fn body_must_be_an_object() {
        let err = base_body()
            .check(&json!([1, 2]), "base.message", Part::Body)
            .unwrap_err();
        assert!(
            err.summary().contains("is not of type \"object\""),
            "{}",
            err.summary()
        );
    }

    #[test]
    fn declared_draft_is_honoured() {
        // Draft-04 rejects 1.0 as an integer; 2019-09 accepts it.
        let d4 = CompiledSchema::compile(&json!({"$schema": DRAFT4, "type": "integer"})).unwrap();
        let d2019 = CompiledSchema::compile(
            &json!({"$schema": "https://json-schema.org/draft/2019-09/schema", "type": "integer"}),
        )
        .unwrap();
        assert_eq!(d4.draft(), Draft::Draft4);
        assert_eq!(d2019.draft(), Draft::Draft201909);
        assert!(!d4.is_valid(&json!(1.0)));
        assert!(d2019.is_valid(&json!(1.0)));
        // Draft-04 exclusiveMaximum is a boolean.
        let excl = CompiledSchema::compile(
            &json!({"$schema": DRAFT4, "maximum": 5, "exclusiveMaximum": true}),
        )
        .unwrap();
        assert!(!excl.is_valid(&json!(5)));
        assert!(excl.is_valid(&json!(4)));
    }

    #[test]
    fn unknown_or_missing_schema_uri_means_2020_12() {
        let none = CompiledSchema::compile(&json!({"type": "object"})).unwrap();
        assert_eq!(none.draft(), Draft::Draft202012);
        let odd =
            CompiledSchema::compile(&json!({"$schema": "urn:example:custom", "type": "object"}))
                .unwrap();
        assert_eq!(odd.draft(), Draft::Draft202012);
        assert!(!odd.is_valid(&json!(1)));
    }

    #[test]
    fn invalid_schema_and_unresolvable_ref_are_errors() {
        assert!(CompiledSchema::compile(&json!({"type": 12})).is_err());
        let err = CompiledSchema::compile(&json!({"$ref": "#/definitions/missing"})).unwrap_err();
        assert!(!err.message.is_empty());
    }

    #[test]
    fn serialized_message_requires_topic_and_body() {
        let s = serialized_message();
        assert!(s.is_valid(&json!({"topic": "t.x", "body": {"a": 1}})));
        let v = s.violations(&json!({"body": {}}));
        assert_eq!(v.len(), 1);
        assert!(v[0].message.contains("topic"), "{}", v[0].message);
    }
}
