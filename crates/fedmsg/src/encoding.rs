//! fedmsg's JSON encodings (`fedmsg.encoding`), byte for byte.

use fedora_messaging::pyjson::{self, Style};
use serde_json::Value;

/// `fedmsg.encoding.dumps`: keys sorted by code point at every depth, no spaces, everything outside
/// printable ASCII as lowercase `\uXXXX` (surrogate pairs above U+FFFF), floats as Python's
/// `repr`. The canonical form: what fedmsg publishes and what its signatures cover.
///
/// ```
/// use serde_json::json;
///
/// let v = json!({"b": 1.5e-7, "a": "caf\u{e9} \u{1f600}"});
/// assert_eq!(fedmsg::encoding::dumps(&v), r#"{"a":"caf\u00e9 \ud83d\ude00","b":1.5e-07}"#);
/// ```
pub fn dumps(value: &Value) -> String {
    pyjson::to_string(value, Style::CANONICAL)
}

/// `fedmsg.encoding.pretty_dumps`: sorted keys, four-space indent (what `fedmsg-tail
/// --really-pretty` prints, uncoloured).
pub fn pretty_dumps(value: &Value) -> String {
    pyjson::to_string(value, Style::PRETTY)
}
