//! [`Tape`]: a JSON document as one flat list of tokens over one string arena.
//!
//! A message body held as a `serde_json::Value` costs an allocation per key and per string and
//! a SipHash per key (serde_json's ordered map), and as much again to free it: building the
//! `Value` of the benchmark message is about 9,000 instructions, seven times what serializing it
//! into a tape costs (issue #22). A tape is built straight from the typed message by its
//! `Serialize` ([`Tape::from_serialize`]), validated where it lies (it is a JSON representation
//! `jsonschema` accepts, see [`TapeJson`]) and written as Python's `json.dumps` bytes
//! ([`Tape::write_body`]) — serialized once, validated and encoded from the same tokens.
//!
//! An envelope's [`Body`](crate::Body) holds the tape of a message built here, and makes the
//! `Value` only when something reads it as one.

mod json;
mod serialize;

use std::fmt::Write as _;

use serde::Serialize;
use serde_json::{Map, Value};

pub use json::{Elements, Members, TapeJson, TapeNode, TapeNumber};

/// One token. Containers record how many children they have and where their tokens end, so
/// that a reader steps over a whole child in one move.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Tok {
    Null,
    Bool(bool),
    /// A negative integer.
    Int(i64),
    /// A non-negative integer.
    UInt(u64),
    /// A finite float.
    Float(f64),
    /// The text's bytes `start..end`.
    Str(u32, u32),
    /// `len` elements; the array's tokens end before index `end`.
    Arr {
        len: u32,
        end: u32,
    },
    /// `len` members, each a `Str` key token followed by its value; they end before index `end`.
    Obj {
        len: u32,
        end: u32,
    },
}

/// A JSON document: tokens in document order (a container before its children) and the text of
/// every string and key, one after the other.
///
/// ```
/// use fedora_messaging::__private::tape::Tape;
/// use serde_json::json;
///
/// let body = json!({"name": "Zoë", "tags": ["a", "b"], "n": -1, "ok": true});
/// let tape = Tape::from_serialize(&body).unwrap();
/// assert_eq!(tape.to_value(), body);
/// assert_eq!(tape.body_bytes(), br#"{"name": "Zo\u00eb", "tags": ["a", "b"], "n": -1, "ok": true}"#);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tape {
    toks: Vec<Tok>,
    text: String,
    /// Containers open while serializing, and the most ever open at once: the nesting depth.
    open: u32,
    deepest: u32,
    /// Whether an object got the same key twice (a `#[serde(flatten)]` map holding a field's
    /// name, say), which a `Value` keeps once and these tokens would keep twice.
    repeated_key: bool,
}

/// What [`Tape::from_serialize`] refuses: the same things `serde_json::to_value` does (a map key
/// that is not a string, a number or a bool; a non-finite float key; an integer out of `u64`
/// and `i64`; whatever the type's own `Serialize` fails with).
pub type Error = serde_json::Error;

impl Tape {
    /// The tape of `value`, as `serde_json::to_value(value)` would make it: the same tokens in
    /// the same order, non-finite floats as `null`, unit and `None` as `null`, enums tagged
    /// externally.
    pub fn from_serialize<T: Serialize + ?Sized>(value: &T) -> Result<Tape, Error> {
        // Room for a typical message body; a larger one grows the two buffers a few times.
        let mut tape = Tape {
            toks: Vec::with_capacity(32),
            text: String::with_capacity(256),
            open: 0,
            deepest: 0,
            repeated_key: false,
        };
        value.serialize(&mut tape)?;
        Ok(tape)
    }

    /// The root node, for validation.
    pub fn root(&self) -> TapeNode<'_> {
        TapeNode::new(self, 0)
    }

    /// Whether some object of the document has a key twice. `serde_json::to_value` keeps such a
    /// key once (in its first place, with its last value), so such a document is not held as
    /// tokens ([`crate::Body::serialize`] makes the `Value` instead).
    pub fn has_repeated_key(&self) -> bool {
        self.repeated_key
    }

    /// Whether the object at `at` has a key twice (its keys sorted): asked only when one key's
    /// fingerprint matched an earlier one's while it was written.
    fn repeats_a_key(&self, at: u32) -> bool {
        let len = match self.tok(at) {
            Tok::Obj { len, .. } => len,
            _ => 0,
        };
        let mut keys: Vec<&str> = Vec::with_capacity(len as usize);
        let mut i = at + 1;
        for _ in 0..len {
            if let Tok::Str(start, end) = self.tok(i) {
                keys.push(self.str(start, end));
            }
            i = self.after(i + 1);
        }
        keys.sort_unstable();
        keys.windows(2).any(|pair| pair[0] == pair[1])
    }

    /// How many arrays or objects deep the document nests (0 for a scalar).
    pub fn depth(&self) -> usize {
        self.deepest as usize
    }

    /// Whether the document is an object.
    pub fn is_object(&self) -> bool {
        matches!(self.toks.first(), Some(Tok::Obj { .. }))
    }

    /// The document as a `serde_json::Value`.
    pub fn to_value(&self) -> Value {
        self.value_at(0)
    }

    /// The body bytes as Python publishes them: `json.dumps(body)`, ASCII with `\uXXXX` escapes,
    /// members in their order; the same bytes as [`crate::Envelope::body_bytes`] of its value.
    pub fn body_bytes(&self) -> Vec<u8> {
        let mut out = String::with_capacity(self.text.len() + 8 * self.toks.len());
        self.write_body(&mut out);
        out.into_bytes()
    }

    /// Appends [`Tape::body_bytes`] to `out`.
    pub fn write_body(&self, out: &mut String) {
        if !self.toks.is_empty() {
            self.write_at(out, 0);
        }
    }

    fn write_at(&self, out: &mut String, at: u32) -> u32 {
        match self.tok(at) {
            Tok::Null => out.push_str("null"),
            Tok::Bool(true) => out.push_str("true"),
            Tok::Bool(false) => out.push_str("false"),
            Tok::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Tok::UInt(u) => {
                let _ = write!(out, "{u}");
            }
            Tok::Float(f) => crate::pyjson::write_float(out, f),
            Tok::Str(start, end) => crate::pyjson::write_string(out, self.str(start, end), true),
            Tok::Arr { len, end } => {
                out.push('[');
                let mut i = at + 1;
                for n in 0..len {
                    if n > 0 {
                        out.push_str(", ");
                    }
                    i = self.write_at(out, i);
                }
                out.push(']');
                return end;
            }
            Tok::Obj { len, end } => {
                out.push('{');
                let mut i = at + 1;
                for n in 0..len {
                    if n > 0 {
                        out.push_str(", ");
                    }
                    i = self.write_at(out, i);
                    out.push_str(": ");
                    i = self.write_at(out, i);
                }
                out.push('}');
                return end;
            }
        }
        at + 1
    }

    fn tok(&self, at: u32) -> Tok {
        self.toks[at as usize]
    }

    fn str(&self, start: u32, end: u32) -> &str {
        &self.text[start as usize..end as usize]
    }

    /// The index just after the value at `at`, its children included.
    fn after(&self, at: u32) -> u32 {
        match self.tok(at) {
            Tok::Arr { end, .. } | Tok::Obj { end, .. } => end,
            _ => at + 1,
        }
    }

    fn value_at(&self, at: u32) -> Value {
        match self.tok(at) {
            Tok::Null => Value::Null,
            Tok::Bool(b) => Value::Bool(b),
            Tok::Int(i) => Value::from(i),
            Tok::UInt(u) => Value::from(u),
            Tok::Float(f) => Value::from(f),
            Tok::Str(start, end) => Value::String(self.str(start, end).to_owned()),
            Tok::Arr { len, .. } => {
                let mut items = Vec::with_capacity(len as usize);
                let mut i = at + 1;
                for _ in 0..len {
                    items.push(self.value_at(i));
                    i = self.after(i);
                }
                Value::Array(items)
            }
            Tok::Obj { len, .. } => {
                let mut map = Map::with_capacity(len as usize);
                let mut i = at + 1;
                for _ in 0..len {
                    let Tok::Str(start, end) = self.tok(i) else {
                        unreachable!("an object member starts with its key")
                    };
                    map.insert(self.str(start, end).to_owned(), self.value_at(i + 1));
                    i = self.after(i + 1);
                }
                Value::Object(map)
            }
        }
    }

    fn push_str(&mut self, s: &str) -> Result<(), Error> {
        let start = offset(self.text.len())?;
        self.text.push_str(s);
        self.toks.push(Tok::Str(start, offset(self.text.len())?));
        Ok(())
    }
}

/// A text offset or token index as a token stores it. Bodies that large are far beyond what any
/// broker takes (RabbitMQ's limit is 512 MiB); refused rather than wrapped.
fn offset(n: usize) -> Result<u32, Error> {
    u32::try_from(n).map_err(|_| serde::ser::Error::custom("a message body over 4 GiB"))
}

#[cfg(test)]
mod tests;
