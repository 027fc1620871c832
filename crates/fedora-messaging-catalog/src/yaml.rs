//! JSON values written as block-style YAML.
//!
//! Every string (keys included) is written as a JSON string, which is a valid YAML double-quoted
//! scalar with the same escapes, so nothing can be misread (`no`, `1e3`, `null`, `:`); numbers,
//! booleans and null are written as JSON writes them. A few lines here instead of a YAML crate:
//! serde_yaml is archived, and only writing is needed.

use serde_json::Value;

/// `value` as a YAML document.
///
/// ```
/// use serde_json::json;
///
/// let yaml = fedora_messaging_catalog::to_yaml(&json!({"a": [1, {"b": "no"}], "c": {}}));
/// assert_eq!(yaml, "\"a\":\n  - 1\n  - \"b\": \"no\"\n\"c\": {}\n");
/// ```
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(m) if !m.is_empty() => block(value, 0, &mut out),
        Value::Array(a) if !a.is_empty() => block(value, 0, &mut out),
        _ => {
            out.push_str(&scalar(value));
            out.push('\n');
        }
    }
    out
}

fn is_block(v: &Value) -> bool {
    match v {
        Value::Object(m) => !m.is_empty(),
        Value::Array(a) => !a.is_empty(),
        _ => false,
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Object(_) => "{}".into(),
        Value::Array(_) => "[]".into(),
        other => other.to_string(),
    }
}

/// Writes a non-empty object or array whose lines start at `indent`.
fn block(v: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match v {
        Value::Object(m) => {
            for (k, val) in m {
                out.push_str(&pad);
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                if is_block(val) {
                    out.push('\n');
                    block(val, indent + 2, out);
                } else {
                    out.push(' ');
                    out.push_str(&scalar(val));
                    out.push('\n');
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                out.push_str(&pad);
                out.push('-');
                if is_block(item) {
                    // The item's first line goes after the dash, the rest under it.
                    let mut inner = String::new();
                    block(item, indent + 2, &mut inner);
                    out.push(' ');
                    out.push_str(&inner[indent + 2..]);
                } else {
                    out.push(' ');
                    out.push_str(&scalar(item));
                    out.push('\n');
                }
            }
        }
        _ => unreachable!("only blocks"),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::to_yaml;

    #[test]
    fn nested_blocks_and_awkward_strings() {
        let v = json!({
            "s": "yes: no\n\"quoted\"",
            "n": [1.5, null, true, [], [[1]]],
            "o": {"deep": [{"x": 1, "y": {"z": "é"}}]}
        });
        assert_eq!(
            to_yaml(&v),
            "\"s\": \"yes: no\\n\\\"quoted\\\"\"\n\"n\":\n  - 1.5\n  - null\n  - true\n  - []\n  - - - 1\n\
             \"o\":\n  \"deep\":\n    - \"x\": 1\n      \"y\":\n        \"z\": \"é\"\n"
        );
        assert_eq!(to_yaml(&json!("x")), "\"x\"\n");
    }
}
