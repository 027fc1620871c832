//! An example body for a schema: the schema's own (`examples`, `example`, `default`), else one
//! made from it; shown only when it validates.

use fedora_messaging::schema::CompiledSchema;
use serde_json::{json, Map, Value};

use crate::schema_walk::resolve;

/// Where an example came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Source {
    /// The schema's `examples` (or `example`) keyword.
    Schema,
    /// Made from the schema's types and constraints.
    Generated,
}

/// A valid example body of `schema`, and where it came from; `None` when neither the schema's
/// own examples nor a generated one validate (or the schema does not compile).
pub fn example(schema: &Value) -> Option<(Value, Source)> {
    let compiled = CompiledSchema::compile(schema).ok()?;
    let own = schema
        .get("examples")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .chain(schema.get("example"));
    for candidate in own {
        if compiled.is_valid(candidate) {
            return Some((candidate.clone(), Source::Schema));
        }
    }
    // Every property first (shows the whole shape), then the required ones only.
    for all in [true, false] {
        let made = make(schema, schema, all, 0);
        if compiled.is_valid(&made) {
            return Some((made, Source::Generated));
        }
    }
    None
}

fn make(root: &Value, schema: &Value, all: bool, depth: usize) -> Value {
    let (schema, _) = resolve(root, schema);
    if depth > 12 {
        return Value::Null;
    }
    for key in ["examples", "enum"] {
        // The first that fits `type` (an enum may list null for a string field).
        let fits = |v: &&Value| type_allows(schema, v);
        if let Some(first) = schema
            .get(key)
            .and_then(Value::as_array)
            .and_then(|a| a.iter().find(fits))
        {
            return first.clone();
        }
    }
    for key in ["const", "example", "default"] {
        if let Some(v) = schema.get(key) {
            return v.clone();
        }
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(options) = schema.get(key).and_then(Value::as_array) {
            // The first option that is not just null.
            let pick = options
                .iter()
                .find(|o| resolve(root, o).0.get("type").and_then(Value::as_str) != Some("null"))
                .or(options.first());
            if let Some(o) = pick {
                let mut base = object_part(root, schema, all, depth);
                let chosen = make(root, o, all, depth + 1);
                if let (Some(b), Value::Object(c)) = (base.as_mut(), &chosen) {
                    b.extend(c.clone());
                    return Value::Object(b.clone());
                }
                return chosen;
            }
        }
    }
    let type_name = match schema.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null"),
        _ if schema.get("properties").is_some() || schema.get("allOf").is_some() => "object",
        _ => "object",
    };
    match type_name {
        "object" => Value::Object(object_part(root, schema, all, depth).unwrap_or_default()),
        "array" => {
            let n = schema
                .get("minItems")
                .and_then(Value::as_u64)
                .unwrap_or(1)
                .clamp(1, 3);
            let item = schema
                .get("items")
                .map_or(json!("item"), |i| make(root, i, all, depth + 1));
            let unique = schema.get("uniqueItems").and_then(Value::as_bool) == Some(true);
            Value::Array(vec![
                item;
                if unique {
                    1
                } else {
                    usize::try_from(n).unwrap_or(1)
                }
            ])
        }
        "string" => string(schema),
        "integer" => number(schema, true),
        "number" => number(schema, false),
        "boolean" => Value::Bool(true),
        _ => Value::Null,
    }
}

/// Whether the schema's `type` (if any) admits `v`.
fn type_allows(schema: &Value, v: &Value) -> bool {
    let kind = match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    let ok = |t: &str| t == kind || (t == "number" && kind == "integer");
    match schema.get("type") {
        Some(Value::String(t)) => ok(t),
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).any(ok),
        _ => true,
    }
}

/// The properties of an object schema (and of its `allOf` parts), examples of each.
fn object_part(
    root: &Value,
    schema: &Value,
    all: bool,
    depth: usize,
) -> Option<Map<String, Value>> {
    let mut out = Map::new();
    let mut any = false;
    let mut parts = vec![schema];
    if let Some(all_of) = schema.get("allOf").and_then(Value::as_array) {
        parts.extend(all_of.iter().map(|p| resolve(root, p).0));
    }
    for part in parts {
        let required: Vec<&str> = part
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if let Some(props) = part.get("properties").and_then(Value::as_object) {
            any = true;
            for (name, prop) in props {
                if all || required.contains(&name.as_str()) {
                    out.insert(name.clone(), make(root, prop, all, depth + 1));
                }
            }
        }
        for name in required {
            out.entry(name.to_owned()).or_insert(json!("value"));
        }
    }
    (any || !out.is_empty() || schema.get("type").and_then(Value::as_str) == Some("object"))
        .then_some(out)
}

fn string(schema: &Value) -> Value {
    let text = match schema.get("format").and_then(Value::as_str) {
        Some("date-time") => "2026-12-01T10:00:00+00:00",
        Some("date") => "2026-12-01",
        Some("time") => "10:00:00",
        Some("email") => "packager@fedoraproject.org",
        Some("uri" | "url" | "iri") => "https://fedoraproject.org/",
        Some("uuid") => "6b4f8d6c-6c1f-4c54-8a1f-5e4f9e6b0f2a",
        Some("hostname") => "example.fedoraproject.org",
        Some("ipv4") => "192.0.2.1",
        _ => "text",
    };
    let min = schema.get("minLength").and_then(Value::as_u64).unwrap_or(0);
    let min = usize::try_from(min).unwrap_or(0);
    let mut s = text.to_owned();
    while s.chars().count() < min {
        s.push('x');
    }
    if let Some(max) = schema.get("maxLength").and_then(Value::as_u64) {
        s = s
            .chars()
            .take(usize::try_from(max).unwrap_or(usize::MAX))
            .collect();
    }
    Value::String(s)
}

fn number(schema: &Value, integer: bool) -> Value {
    let get = |k| schema.get(k).and_then(Value::as_f64);
    let mut v = 1.0_f64;
    if let Some(min) = get("minimum") {
        v = v.max(min);
    }
    if let Some(min) = get("exclusiveMinimum") {
        v = v.max(min + 1.0);
    }
    if let Some(max) = get("maximum") {
        v = v.min(max);
    }
    if let Some(max) = get("exclusiveMaximum") {
        v = v.min(max - 1.0);
    }
    if integer {
        #[allow(clippy::cast_possible_truncation)]
        let i = v.ceil() as i64;
        json!(i)
    } else {
        json!(v)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{example, Source};

    #[test]
    fn the_schema_s_own_example_comes_first_when_valid() {
        let schema = json!({"type": "object", "required": ["a"],
            "properties": {"a": {"type": "integer"}},
            "examples": [{"a": "not valid"}, {"a": 7}]});
        assert_eq!(example(&schema), Some((json!({"a": 7}), Source::Schema)));
    }

    #[test]
    fn a_generated_example_follows_types_formats_refs_and_bounds() {
        let schema = json!({
            "$schema": "http://json-schema.org/draft-04/schema#",
            "type": "object",
            "required": ["id", "owner", "when", "tags", "state"],
            "additionalProperties": false,
            "definitions": {"user": {"type": "object", "required": ["name"],
                "properties": {"name": {"type": "string", "minLength": 6}}}},
            "properties": {
                "id": {"type": "integer", "minimum": 10},
                "owner": {"$ref": "#/definitions/user"},
                "when": {"type": "string", "format": "date-time"},
                "tags": {"type": "array", "minItems": 2, "items": {"type": "string"}},
                "state": {"enum": ["open", "closed"]},
                "note": {"type": ["string", "null"]}
            }
        });
        let (body, source) = example(&schema).unwrap();
        assert_eq!(source, Source::Generated);
        assert_eq!(
            body,
            json!({"id": 10, "owner": {"name": "textxx"}, "when": "2026-12-01T10:00:00+00:00",
                   "tags": ["text", "text"], "state": "open", "note": "text"})
        );
    }

    #[test]
    fn no_example_when_nothing_valid_can_be_made() {
        let schema = json!({"type": "object", "required": ["code"],
            "properties": {"code": {"type": "string", "pattern": "^[0-9]{4}$"}}});
        assert_eq!(example(&schema), None);
    }
}
