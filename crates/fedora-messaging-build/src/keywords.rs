//! Facts about JSON Schema keywords that the generator and `fedora-messaging-compat` both rely on.

use serde_json::{Map, Value};

/// Keywords whose values are data (instances), not subschemas: nothing inside them is a `$ref`,
/// an anchor or a schema to walk.
pub const DATA: &[&str] = &["enum", "const", "examples", "default"];

/// Whether the value of `keyword` is data rather than a schema (see [`DATA`]).
pub fn holds_data(keyword: &str) -> bool {
    DATA.contains(&keyword)
}

/// The `type` keyword of `schema` as a list of type names; `None` when absent or malformed (any
/// type).
///
/// ```
/// use fedora_messaging_build::keywords::type_list;
/// let s = serde_json::json!({"type": ["object", "null"]});
/// assert_eq!(type_list(s.as_object().unwrap()), Some(vec!["object".into(), "null".into()]));
/// ```
pub fn type_list(schema: &Map<String, Value>) -> Option<Vec<String>> {
    match schema.get("type")? {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(a) => Some(
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
        ),
        _ => None,
    }
}
