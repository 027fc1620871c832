//! `$ref` resolution inside one schema document, shared by the generator and by
//! `fedora-messaging-compat` so that both follow a reference to the same place.
//!
//! A reference is local: `#` (the root), `#/json/pointer` (percent-decoded, then `~1` / `~0`
//! unescaped per segment), `#name` (an `$anchor`, or a draft-04 `id` / later `$id` of the form
//! `#name`), or any of those behind the document's own `$id` / `id`
//! (`https://example.org/s.json#/definitions/x`). References to other documents are refused:
//! schemas are resolved from memory, never from the network.
//!
//! ```
//! use fedora_messaging_build::refs::Refs;
//! use serde_json::json;
//!
//! let doc = json!({
//!     "$id": "https://example.org/build.json",
//!     "definitions": {"a b%": {"type": "integer"}, "n": {"$anchor": "num", "type": "number"}},
//! });
//! let refs = Refs::new(&doc);
//! assert_eq!(refs.pointer("#/definitions/a%20b%25").unwrap(), "/definitions/a b%");
//! assert_eq!(refs.pointer("#num").unwrap(), "/definitions/n");
//! assert_eq!(refs.target("https://example.org/build.json#/definitions/n").unwrap()["type"], "number");
//! assert!(refs.pointer("other.json#/x").is_err());
//! ```

use std::collections::HashMap;

use serde_json::Value;

use crate::keywords;

/// A JSON pointer segment for `key` (`~` → `~0`, `/` → `~1`).
pub fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// The key a JSON pointer segment names (`~1` → `/`, `~0` → `~`).
pub fn unescape(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

/// Why a reference does not resolve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RefError {
    /// The `$ref` is not a string.
    NotAString,
    /// It names another document.
    OtherDocument,
    /// `#name` names no anchor of the document.
    NoSuchAnchor,
    /// Nothing is at the pointer.
    NothingThere,
}

impl std::fmt::Display for RefError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::NotAString => "a $ref must be a string",
            Self::OtherDocument => "only references inside the same file are supported",
            Self::NoSuchAnchor => "no such anchor",
            Self::NothingThere => "nothing at that pointer",
        })
    }
}

impl std::error::Error for RefError {}

/// The references of one document: its base URI and anchors, collected once.
#[derive(Debug, Clone)]
pub struct Refs<'a> {
    doc: &'a Value,
    base: Option<String>,
    anchors: HashMap<String, String>,
}

impl<'a> Refs<'a> {
    /// Reads `doc`'s base URI (`$id` or `id` at the root) and every anchor in it.
    pub fn new(doc: &'a Value) -> Self {
        let base = ["$id", "id"]
            .iter()
            .find_map(|k| doc.get(*k).and_then(Value::as_str))
            .map(|s| s.trim_end_matches('#').to_owned());
        let mut anchors = HashMap::new();
        collect_anchors(doc, "", &mut anchors);
        Self { doc, base, anchors }
    }

    /// The JSON pointer `reference` names, checked to exist.
    pub fn pointer(&self, reference: &str) -> Result<String, RefError> {
        let local = match reference.split_once('#') {
            Some(("", frag)) => frag,
            Some((doc, frag)) if self.base.as_deref() == Some(doc) => frag,
            None if self.base.as_deref() == Some(reference) => "",
            _ => return Err(RefError::OtherDocument),
        };
        let local = percent_encoding::percent_decode_str(local)
            .decode_utf8_lossy()
            .into_owned();
        let ptr = if local.is_empty() || local.starts_with('/') {
            local
        } else {
            self.anchors
                .get(&local)
                .cloned()
                .ok_or(RefError::NoSuchAnchor)?
        };
        if self.doc.pointer(&ptr).is_none() {
            return Err(RefError::NothingThere);
        }
        Ok(ptr)
    }

    /// The schema `reference` names.
    pub fn target(&self, reference: &str) -> Result<&'a Value, RefError> {
        let ptr = self.pointer(reference)?;
        self.doc.pointer(&ptr).ok_or(RefError::NothingThere)
    }
}

/// Anchor name → pointer, for `$anchor` and `#name`-style `id` / `$id`. Data keywords (`enum`,
/// `const`, …) hold values, not schemas, and are not searched.
fn collect_anchors(v: &Value, ptr: &str, out: &mut HashMap<String, String>) {
    match v {
        Value::Object(m) => {
            if let Some(a) = m.get("$anchor").and_then(Value::as_str) {
                out.insert(a.to_owned(), ptr.to_owned());
            }
            for key in ["$id", "id"] {
                if let Some(a) = m
                    .get(key)
                    .and_then(Value::as_str)
                    .and_then(|s| s.strip_prefix('#'))
                {
                    if !a.is_empty() && !a.starts_with('/') {
                        out.insert(a.to_owned(), ptr.to_owned());
                    }
                }
            }
            for (k, sub) in m {
                if !keywords::holds_data(k) {
                    collect_anchors(sub, &format!("{ptr}/{}", escape(k)), out);
                }
            }
        }
        Value::Array(a) => {
            for (i, sub) in a.iter().enumerate() {
                collect_anchors(sub, &format!("{ptr}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// Whether a `$ref` appears anywhere in the schema `v` (data keywords aside).
pub fn has_ref(v: &Value) -> bool {
    match v {
        Value::Object(m) => {
            m.contains_key("$ref")
                || m.iter()
                    .any(|(k, sub)| !keywords::holds_data(k) && has_ref(sub))
        }
        Value::Array(a) => a.iter().any(has_ref),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pointers_anchors_and_bases() {
        let doc = json!({
            "id": "http://x/s.json#",
            "definitions": {
                "a/b": {"id": "#old", "type": "string"},
                "~t": {"type": "null"},
                "e": {"enum": [{"$anchor": "data-not-schema"}]},
            },
        });
        let r = Refs::new(&doc);
        assert_eq!(r.pointer("#").unwrap(), "");
        assert_eq!(r.pointer("http://x/s.json").unwrap(), "");
        assert_eq!(
            r.pointer("#/definitions/a~1b").unwrap(),
            "/definitions/a~1b"
        );
        assert_eq!(r.pointer("#/definitions/~0t").unwrap(), "/definitions/~0t");
        assert_eq!(r.pointer("#old").unwrap(), "/definitions/a~1b");
        assert_eq!(r.pointer("#/nope"), Err(RefError::NothingThere));
        assert_eq!(r.pointer("#data-not-schema"), Err(RefError::NoSuchAnchor));
        assert_eq!(
            r.pointer("http://y/s.json#/x"),
            Err(RefError::OtherDocument)
        );
        // Any percent-escape decodes, not only %25.
        assert_eq!(r.pointer("#/definitions/%7Et").unwrap(), "/definitions/~t");
    }

    #[test]
    fn has_ref_skips_data() {
        assert!(has_ref(&json!({"items": {"$ref": "#"}})));
        assert!(!has_ref(
            &json!({"enum": [{"$ref": "#"}], "default": {"$ref": "#"}})
        ));
    }
}
