//! Reading a body schema as a person would: `$ref`s followed, and the fields of nested objects
//! and arrays flattened into rows with dotted names.

use serde_json::Value;

/// The deepest nesting expanded (deeper objects are shown as `object`).
const MAX_DEPTH: usize = 8;

/// Follows a local `$ref` (`#/definitions/x`, `#/$defs/x`, any JSON pointer into the same
/// document), repeatedly; returns the schema and the last reference followed.
pub(crate) fn resolve<'a>(root: &'a Value, mut schema: &'a Value) -> (&'a Value, Option<&'a str>) {
    let mut via = None;
    for _ in 0..32 {
        let Some(r) = schema.get("$ref").and_then(Value::as_str) else {
            break;
        };
        let Some(pointer) = r.strip_prefix('#') else {
            break;
        };
        let target = if pointer.is_empty() || pointer.starts_with('/') {
            root.pointer(pointer)
        } else {
            find_anchor(root, pointer)
        };
        match target {
            Some(target) => {
                via = Some(r);
                schema = target;
            }
            None => break,
        }
    }
    (schema, via)
}

/// The subschema declaring `"$anchor": name` (JSON Schema 2019-09 and later).
pub(crate) fn find_anchor<'a>(schema: &'a Value, name: &str) -> Option<&'a Value> {
    match schema {
        Value::Object(o) => {
            if o.get("$anchor").and_then(Value::as_str) == Some(name) {
                return Some(schema);
            }
            o.values().find_map(|v| find_anchor(v, name))
        }
        Value::Array(items) => items.iter().find_map(|v| find_anchor(v, name)),
        _ => None,
    }
}

/// One row of a field table.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Field {
    /// Dotted path from the body: `build.owner`, `builds[].nvr`.
    pub path: String,
    /// The type, readable: `string`, `integer or null`, `array of object`, `one of 2 shapes`.
    pub type_name: String,
    /// Whether the enclosing object requires it.
    pub required: bool,
    /// Whether `null` is allowed.
    pub nullable: bool,
    /// Its description, if the schema has one.
    pub description: Option<String>,
    /// The values an `enum` (or `const`) allows, as JSON.
    pub allowed: Vec<String>,
    /// The `$ref` followed to find it, if any.
    pub reference: Option<String>,
    /// Whether rows for its own fields follow (a nested object, or an array of objects).
    pub has_children: bool,
}

/// The rows of `schema`'s fields, in schema order, nested ones after their parent.
pub(crate) fn fields(root: &Value) -> Vec<Field> {
    let mut out = Vec::new();
    let (body, _) = resolve(root, root);
    walk_object(root, body, "", 0, &mut Vec::new(), &mut out);
    out
}

fn walk_object(
    root: &Value,
    schema: &Value,
    prefix: &str,
    depth: usize,
    refs: &mut Vec<String>,
    out: &mut Vec<Field>,
) {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut props: Vec<(&String, &Value)> = Vec::new();
    if let Some(p) = schema.get("properties").and_then(Value::as_object) {
        props.extend(p);
    }
    // Properties an allOf brings (a common way to extend a base).
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        for part in all {
            let (part, _) = resolve(root, part);
            if let Some(p) = part.get("properties").and_then(Value::as_object) {
                props.extend(p);
            }
        }
    }
    for (name, prop) in props {
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        field(
            root,
            prop,
            path,
            required.contains(&name.as_str()),
            depth,
            refs,
            out,
        );
    }
}

fn field(
    root: &Value,
    raw: &Value,
    path: String,
    required: bool,
    depth: usize,
    refs: &mut Vec<String>,
    out: &mut Vec<Field>,
) {
    let (schema, via) = resolve(root, raw);
    let (type_name, nullable) = describe_type(root, schema);
    let allowed = match (schema.get("enum"), schema.get("const")) {
        (Some(Value::Array(values)), _) => values.iter().map(Value::to_string).collect(),
        (_, Some(c)) => vec![c.to_string()],
        _ => Vec::new(),
    };
    let description = raw
        .get("description")
        .or_else(|| schema.get("description"))
        .and_then(Value::as_str)
        .map(|d| d.trim().to_owned());
    // A recursive reference is listed once, not expanded again.
    let cycle = via.is_some_and(|r| refs.iter().any(|seen| seen == r));
    let child = if cycle || depth >= MAX_DEPTH {
        None
    } else {
        children_of(root, schema)
    };
    let index = out.len();
    out.push(Field {
        path: path.clone(),
        type_name,
        required,
        nullable,
        description,
        allowed,
        reference: via.map(str::to_owned),
        has_children: false,
    });
    if let Some((object, suffix)) = child {
        if let Some(r) = via {
            refs.push(r.to_owned());
        }
        let before = out.len();
        walk_object(
            root,
            object,
            &format!("{path}{suffix}"),
            depth + 1,
            refs,
            out,
        );
        out[index].has_children = out.len() > before;
        if via.is_some() {
            refs.pop();
        }
    }
}

/// The object whose fields are listed under a field: itself, or its array's items (`[]`).
fn children_of<'a>(root: &'a Value, schema: &'a Value) -> Option<(&'a Value, &'static str)> {
    let is_object = |s: &Value| s.get("properties").is_some() || s.get("allOf").is_some();
    if is_object(schema) {
        return Some((schema, ""));
    }
    let items = schema.get("items")?;
    let (items, _) = resolve(root, items);
    is_object(items).then_some((items, "[]"))
}

/// A readable type and whether null is allowed.
pub(crate) fn describe_type(root: &Value, schema: &Value) -> (String, bool) {
    let mut nullable = false;
    let names: Vec<String> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    };
    let mut parts = Vec::new();
    for t in names {
        if t == "null" {
            nullable = true;
        } else if t == "array" {
            parts.push(array_type(root, schema));
        } else {
            parts.push(t);
        }
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(options) = schema.get(key).and_then(Value::as_array) {
            let mut shapes = 0;
            for o in options {
                let (o, _) = resolve(root, o);
                if o.get("type").and_then(Value::as_str) == Some("null") {
                    nullable = true;
                } else {
                    shapes += 1;
                }
            }
            if shapes == 1 {
                let one = options
                    .iter()
                    .map(|o| resolve(root, o).0)
                    .find(|o| o.get("type").and_then(Value::as_str) != Some("null"));
                if let Some(one) = one {
                    parts.push(describe_type(root, one).0);
                }
            } else if shapes > 1 {
                parts.push(format!("one of {shapes} shapes"));
            }
        }
    }
    if parts.is_empty() {
        if schema.get("properties").is_some() {
            parts.push("object".into());
        } else if schema.get("enum").is_some() || schema.get("const").is_some() {
            parts.push("value".into());
        } else {
            parts.push("any".into());
        }
    }
    let mut text = parts.join(" or ");
    if let Some(f) = schema.get("format").and_then(Value::as_str) {
        text.push_str(&format!(" ({f})"));
    }
    (text, nullable)
}

fn array_type(root: &Value, schema: &Value) -> String {
    match schema.get("items") {
        Some(items @ Value::Object(_)) => {
            let (items, _) = resolve(root, items);
            let (inner, nullable) = describe_type(root, items);
            if nullable {
                format!("array of {inner} or null")
            } else {
                format!("array of {inner}")
            }
        }
        _ => "array".into(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::fields;

    #[test]
    fn nested_objects_arrays_refs_and_enums_become_rows() {
        let schema = json!({
            "type": "object",
            "required": ["build"],
            "definitions": {
                "user": {"type": "object", "required": ["name"], "properties": {
                    "name": {"type": "string", "description": "The login."}}}
            },
            "properties": {
                "build": {"type": "object", "properties": {
                    "owner": {"$ref": "#/definitions/user"},
                    "state": {"type": "integer", "enum": [0, 1, 2]}
                }},
                "tags": {"type": "array", "items": {"type": "string"}},
                "comments": {"type": ["array", "null"], "items": {"$ref": "#/definitions/user"}},
                "when": {"type": "string", "format": "date-time"}
            }
        });
        let rows = fields(&schema);
        let summary: Vec<(String, String, bool, bool)> = rows
            .iter()
            .map(|f| (f.path.clone(), f.type_name.clone(), f.required, f.nullable))
            .collect();
        let s = |p: &str, t: &str, r, n| (p.to_string(), t.to_string(), r, n);
        assert_eq!(
            summary,
            [
                s("build", "object", true, false),
                s("build.owner", "object", false, false),
                s("build.owner.name", "string", true, false),
                s("build.state", "integer", false, false),
                s("tags", "array of string", false, false),
                s("comments", "array of object", false, true),
                s("comments[].name", "string", true, false),
                s("when", "string (date-time)", false, false),
            ]
        );
        assert_eq!(rows[1].reference.as_deref(), Some("#/definitions/user"));
        assert!(rows[1].has_children && !rows[3].has_children);
        assert_eq!(rows[3].allowed, ["0", "1", "2"]);
        assert_eq!(rows[2].description.as_deref(), Some("The login."));
    }

    #[test]
    fn a_recursive_reference_is_listed_once() {
        let schema = json!({
            "definitions": {"node": {"type": "object", "properties": {
                "child": {"$ref": "#/definitions/node"}, "v": {"type": "integer"}}}},
            "type": "object",
            "properties": {"root": {"$ref": "#/definitions/node"}}
        });
        let paths: Vec<String> = fields(&schema).into_iter().map(|f| f.path).collect();
        assert_eq!(paths, ["root", "root.child", "root.v"]);
    }
}
