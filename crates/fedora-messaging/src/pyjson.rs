//! JSON text exactly as Python's `json.dumps` writes it.
//!
//! Python fedora-messaging encodes message bodies with `json.dumps(body)` (separators `", "` and
//! `": "`, non-ASCII escaped as `\uXXXX`, keys in insertion order) and serialized messages with
//! `json.dumps(..., ensure_ascii=False, sort_keys=True)`. serde_json's compact and pretty writers
//! differ from both (no spaces after separators, `1e16` for `1e+16`), so the wire bytes are written here.

use std::fmt::Write as _;

use serde_json::Value;

/// How to write: the two `json.dumps` switches fedora-messaging uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    /// Escape every character outside printable ASCII as `\uXXXX` (Python's default `ensure_ascii=True`).
    pub ensure_ascii: bool,
    /// Sort object keys at every depth (`sort_keys=True`); otherwise keep their order.
    pub sort_keys: bool,
    /// Pretty-print with this many spaces per level (`indent=N`, separators `","` and `": "`).
    pub indent: Option<usize>,
    /// No space after the separators (`separators=(",", ":")`), as fedmsg's canonical encoding.
    /// Ignored when `indent` is set.
    pub compact: bool,
}

impl Style {
    /// `json.dumps(body)`: the encoding of a message body on the wire.
    pub const BODY: Style = Style {
        ensure_ascii: true,
        sort_keys: false,
        indent: None,
        compact: false,
    };
    /// `json.dumps(msg, ensure_ascii=False, sort_keys=True)`: one line of a `record` file.
    pub const LINE: Style = Style {
        ensure_ascii: false,
        sort_keys: true,
        indent: None,
        compact: false,
    };
    /// `json.dumps(x, sort_keys=True, indent=4, separators=(",", ": "))`: the headers and body in
    /// Python's `str(message)`.
    pub const PRETTY: Style = Style {
        ensure_ascii: true,
        sort_keys: true,
        indent: Some(4),
        compact: false,
    };
    /// `json.dumps(msg, sort_keys=True, separators=(",", ":"))`: fedmsg's canonical form
    /// (`fedmsg.encoding.dumps`), the bytes fedmsg signs and publishes.
    pub const CANONICAL: Style = Style {
        ensure_ascii: true,
        sort_keys: true,
        indent: None,
        compact: true,
    };
}

/// Writes `value` as Python's `json.dumps` would with `style`.
///
/// ```
/// use fedora_messaging::pyjson::{to_string, Style};
/// use serde_json::json;
///
/// let body = json!({"name": "Zoë", "n": 1, "ok": true, "list": [1, 2.5, null]});
/// assert_eq!(
///     to_string(&body, Style::BODY),
///     r#"{"name": "Zo\u00eb", "n": 1, "ok": true, "list": [1, 2.5, null]}"#
/// );
/// ```
pub fn to_string(value: &Value, style: Style) -> String {
    let mut out = String::with_capacity(128);
    write_value(&mut out, value, style);
    out
}

/// Appends `value` to `out`; see [`to_string`].
pub fn write_value(out: &mut String, value: &Value, style: Style) {
    write_at(out, value, style, 0);
}

fn newline(out: &mut String, style: Style, depth: usize) {
    if let Some(n) = style.indent {
        out.push('\n');
        out.extend(std::iter::repeat_n(' ', n * depth));
    }
}

fn write_at(out: &mut String, value: &Value, style: Style, depth: usize) {
    // Python's separators: ", " inline, "," before a newline when indenting.
    let (sep, colon) = match (style.indent, style.compact) {
        (Some(_), _) => (",", ": "),
        (None, true) => (",", ":"),
        (None, false) => (", ", ": "),
    };
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                let _ = write!(out, "{i}");
            } else if let Some(u) = n.as_u64() {
                let _ = write!(out, "{u}");
            } else if let Some(f) = n.as_f64() {
                write_float(out, f);
            }
        }
        Value::String(s) => write_str(out, s, style.ensure_ascii),
        Value::Array(items) if items.is_empty() => out.push_str("[]"),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(sep);
                }
                newline(out, style, depth + 1);
                write_at(out, item, style, depth + 1);
            }
            newline(out, style, depth);
            out.push(']');
        }
        Value::Object(map) if map.is_empty() => out.push_str("{}"),
        Value::Object(map) => {
            out.push('{');
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            if style.sort_keys {
                // Python sorts by code point; Rust's str order is byte order, which for UTF-8 is the same.
                entries.sort_by(|a, b| a.0.cmp(b.0));
            }
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(sep);
                }
                newline(out, style, depth + 1);
                write_str(out, k, style.ensure_ascii);
                out.push_str(colon);
                write_at(out, v, style, depth + 1);
            }
            newline(out, style, depth);
            out.push('}');
        }
    }
}

/// Appends `s` as a JSON string (quoted and escaped as Python does; every non-ASCII character as
/// `\uXXXX` when `ensure_ascii`), for writers that lay out an object's keys themselves.
pub fn write_string(out: &mut String, s: &str, ensure_ascii: bool) {
    write_str(out, s, ensure_ascii);
}

/// Python's `float.__repr__`: the shortest digits that round-trip, in fixed notation when the
/// decimal exponent is in `-4..16`, else scientific with a signed exponent of at least two digits.
pub(crate) fn write_float(out: &mut String, f: f64) {
    if !f.is_finite() {
        // Python writes NaN/Infinity, which is not JSON; serde_json cannot hold them, so never reached.
        out.push_str("null");
        return;
    }
    // `{:e}` gives the shortest round-trip digits, e.g. "2.5e0", "-1e-5", "1.2345e20".
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    out.push_str(sign);
    if (-4..16).contains(&exp) {
        let n = digits.len() as i32;
        if exp < 0 {
            out.push_str("0.");
            for _ in 0..(-exp - 1) {
                out.push('0');
            }
            out.push_str(&digits);
        } else if exp + 1 >= n {
            out.push_str(&digits);
            for _ in 0..(exp + 1 - n) {
                out.push('0');
            }
            out.push_str(".0");
        } else {
            let split = (exp + 1) as usize;
            out.push_str(&digits[..split]);
            out.push('.');
            out.push_str(&digits[split..]);
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let _ = write!(out, "e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
    }
}

fn write_str(out: &mut String, s: &str, ensure_ascii: bool) {
    // Runs of characters written as they are are copied whole; only the others go one by one.
    // A run always ends on a character boundary: at an ASCII byte, or (with ensure_ascii) at the
    // first byte of a non-ASCII character.
    let as_is = if ensure_ascii {
        &AS_IS_ASCII
    } else {
        &AS_IS_UTF8
    };
    out.reserve(s.len() + 2);
    out.push('"');
    let bytes = s.as_bytes();
    let mut start = 0;
    while start < bytes.len() {
        let end = bytes[start..]
            .iter()
            .position(|&b| !as_is[usize::from(b)])
            .map_or(bytes.len(), |n| start + n);
        out.push_str(&s[start..end]);
        let Some(c) = s[end..].chars().next() else {
            break;
        };
        write_escaped(out, c);
        start = end + c.len_utf8();
    }
    out.push('"');
}

/// Bytes written as they are, by index: printable ASCII but `"` and `\\`; without ensure_ascii,
/// DEL and every byte of a non-ASCII character too. (A table: strings are most of a body's bytes.)
static AS_IS_ASCII: [bool; 256] = as_is_table(true);
static AS_IS_UTF8: [bool; 256] = as_is_table(false);

const fn as_is_table(ensure_ascii: bool) -> [bool; 256] {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = match b as u8 {
            b'"' | b'\\' => false,
            0x20..=0x7e => true,
            _ => b >= 0x7f && !ensure_ascii,
        };
        b += 1;
    }
    table
}

/// One character as Python's `json.dumps` escapes it.
fn write_escaped(out: &mut String, c: char) {
    match c {
        '"' => out.push_str("\\\""),
        '\\' => out.push_str("\\\\"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{08}' => out.push_str("\\b"),
        '\u{0c}' => out.push_str("\\f"),
        // Other control characters; and, with ensure_ascii, everything outside ' '..='~' (DEL
        // included), as UTF-16 code units.
        c => {
            let mut buf = [0u16; 2];
            for unit in c.encode_utf16(&mut buf) {
                let _ = write!(out, "\\u{unit:04x}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn float(f: f64) -> String {
        let mut s = String::new();
        write_float(&mut s, f);
        s
    }

    /// Python's rules, one character at a time: what `write_str` must equal, run copying aside.
    fn escaped_one_by_one(s: &str, ensure_ascii: bool) -> String {
        let mut out = String::from('"');
        for c in s.chars() {
            let plain = c != '"' && c != '\\' && (' '..='~').contains(&c)
                || (!ensure_ascii && c as u32 >= 0x7f);
            if plain {
                out.push(c);
            } else {
                write_escaped(&mut out, c);
            }
        }
        out.push('"');
        out
    }

    #[test]
    fn strings_escape_as_python_whatever_the_runs() {
        let mut every: String = (0u32..0x300).filter_map(char::from_u32).collect();
        every.push_str("\u{2028}\u{fffd}\u{1f680}\u{10ffff}end");
        for s in [
            every.as_str(),
            "",
            "plain ascii only",
            "\"",
            "a\"b\\c\nd\u{7f}e\u{80}f",
            "Zürich → 東京 🚀",
            "🚀",
            "ends with é",
        ] {
            for ensure_ascii in [true, false] {
                let mut got = String::new();
                write_str(&mut got, s, ensure_ascii);
                assert_eq!(
                    got,
                    escaped_one_by_one(s, ensure_ascii),
                    "{s:?} {ensure_ascii}"
                );
            }
        }
        let mut got = String::new();
        write_str(&mut got, "ü\u{7f}\u{1f680}", true);
        assert_eq!(got, r#""\u00fc\u007f\ud83d\ude80""#);
        got.clear();
        write_str(&mut got, "ü\u{7f}\u{1}", false);
        assert_eq!(got, "\"ü\u{7f}\\u0001\"");
    }

    #[test]
    fn floats_match_python_repr() {
        // Expected values are Python 3's repr() of the same floats.
        let cases = [
            (2.5, "2.5"),
            (1.0, "1.0"),
            (-0.0, "-0.0"),
            (0.1, "0.1"),
            (100.0, "100.0"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.25e-7, "1.25e-07"),
            (1e100, "1e+100"),
            (123.456, "123.456"),
            (-3.75e-300, "-3.75e-300"),
            (f64::MAX, "1.7976931348623157e+308"),
        ];
        for (f, want) in cases {
            assert_eq!(float(f), want, "{f:e}");
        }
    }

    #[test]
    fn strings_escape_like_python() {
        let v = json!("a\"b\\c\nd\u{1}\u{7f}é😀");
        assert_eq!(
            to_string(&v, Style::BODY),
            r#""a\"b\\c\nd\u0001\u007f\u00e9\ud83d\ude00""#
        );
        assert_eq!(
            to_string(&v, Style::LINE),
            "\"a\\\"b\\\\c\\nd\\u0001\u{7f}é😀\""
        );
    }

    #[test]
    fn keys_sorted_at_every_depth_only_when_asked() {
        let v = json!({"b": {"z": 1, "a": 2}, "a": []});
        assert_eq!(
            to_string(&v, Style::LINE),
            r#"{"a": [], "b": {"a": 2, "z": 1}}"#
        );
        assert_eq!(
            to_string(&v, Style::BODY),
            r#"{"b": {"z": 1, "a": 2}, "a": []}"#
        );
    }

    #[test]
    fn indented_like_python() {
        // json.dumps({"b": [1, {}], "a": {"x": []}}, sort_keys=True, indent=4, separators=(",", ": "))
        let v = json!({"b": [1, {}], "a": {"x": []}});
        assert_eq!(
            to_string(&v, Style::PRETTY),
            "{\n    \"a\": {\n        \"x\": []\n    },\n    \"b\": [\n        1,\n        {}\n    ]\n}"
        );
    }

    #[test]
    fn canonical_is_sorted_and_compact() {
        let v = json!({"b": [1, 2.0, "\u{2713}"], "a": {"y": null, "x": true}});
        assert_eq!(
            to_string(&v, Style::CANONICAL),
            r#"{"a":{"x":true,"y":null},"b":[1,2.0,"\u2713"]}"#
        );
    }

    #[test]
    fn big_integers_are_exact() {
        assert_eq!(
            to_string(&json!(u64::MAX), Style::BODY),
            "18446744073709551615"
        );
        assert_eq!(
            to_string(&json!(i64::MIN), Style::BODY),
            "-9223372036854775808"
        );
    }
}
