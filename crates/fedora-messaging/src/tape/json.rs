//! A [`Tape`] as a JSON representation `jsonschema` validates in place ([`TapeJson`]): no
//! `serde_json::Value` is built unless a violation has to be reported.

use std::borrow::Cow;

use jsonschema::json::{Array, Json, JsonNumber, Node, NodeIdentity, Object};
use jsonschema::JsonType;
use serde_json::{Number, Value};

use super::{Tape, Tok};

/// The tape representation, for `jsonschema::options_for::<TapeJson>()`.
#[derive(Debug)]
pub struct TapeJson;

impl Json for TapeJson {
    type Node<'a> = TapeNode<'a>;
    type PreparedKey = String;
    type StringBuffer = Tape;

    // A lookup is a walk over the members, so a pass over them all beats a lookup per property
    // unless the object is far larger than the schema's list of names.
    const KEYS_PER_LOOKUP: usize = 64;

    fn prepare_key(key: &str) -> String {
        key.to_owned()
    }

    fn with_string_node<T>(
        buffer: &mut Tape,
        string: &str,
        f: impl FnOnce(TapeNode<'_>) -> T,
    ) -> T {
        buffer.toks.clear();
        buffer.text.clear();
        // Only a property name comes here, and it was a key of a tape already.
        if buffer.push_str(string).is_err() {
            buffer.toks.push(Tok::Null);
        }
        f(buffer.root())
    }
}

/// One value of a tape: the tape and the index of its token.
#[derive(Debug, Clone, Copy)]
pub struct TapeNode<'a> {
    tape: &'a Tape,
    at: u32,
}

impl<'a> TapeNode<'a> {
    pub(super) fn new(tape: &'a Tape, at: u32) -> Self {
        TapeNode { tape, at }
    }

    fn tok(&self) -> Tok {
        self.tape.tok(self.at)
    }

    /// Elements of an array, members of an object.
    fn count(&self) -> u32 {
        match self.tok() {
            Tok::Arr { len, .. } | Tok::Obj { len, .. } => len,
            _ => 0,
        }
    }
}

/// A number of a tape.
#[derive(Debug, Clone, Copy)]
pub enum TapeNumber {
    /// A negative integer.
    Int(i64),
    /// A non-negative integer.
    UInt(u64),
    /// A float.
    Float(f64),
}

impl TapeNumber {
    fn number(self) -> Number {
        match self {
            TapeNumber::Int(i) => Number::from(i),
            TapeNumber::UInt(u) => Number::from(u),
            // A tape holds finite floats only; 0 would never be reached.
            TapeNumber::Float(f) => Number::from_f64(f).unwrap_or_else(|| Number::from(0)),
        }
    }
}

impl JsonNumber for TapeNumber {
    fn as_u64(&self) -> Option<u64> {
        match *self {
            TapeNumber::UInt(u) => Some(u),
            TapeNumber::Int(_) | TapeNumber::Float(_) => None,
        }
    }
    fn as_i64(&self) -> Option<i64> {
        match *self {
            TapeNumber::UInt(u) => i64::try_from(u).ok(),
            TapeNumber::Int(i) => Some(i),
            TapeNumber::Float(_) => None,
        }
    }
    #[allow(clippy::cast_precision_loss)] // as serde_json's `Number::as_f64`
    fn as_f64(&self) -> Option<f64> {
        Some(match *self {
            TapeNumber::UInt(u) => u as f64,
            TapeNumber::Int(i) => i as f64,
            TapeNumber::Float(f) => f,
        })
    }
    fn as_str(&self) -> Cow<'_, str> {
        Cow::Owned(self.number().to_string())
    }
    fn to_number(&self) -> Cow<'_, Number> {
        Cow::Owned(self.number())
    }
    // A float is judged as serde_json's float `Number` is, by the text it is written as
    // (`2.0`, `1e+174`); integers need no text.
    fn is_integer(&self) -> bool {
        match self {
            TapeNumber::Float(_) => JsonNumber::is_integer(&self.number()),
            TapeNumber::Int(_) | TapeNumber::UInt(_) => true,
        }
    }
    fn is_written_as_integer(&self) -> bool {
        match self {
            TapeNumber::Float(_) => JsonNumber::is_written_as_integer(&self.number()),
            TapeNumber::Int(_) | TapeNumber::UInt(_) => true,
        }
    }
}

impl<'a> Node<'a, TapeJson> for TapeNode<'a> {
    type Object = TapeNode<'a>;
    type Array = TapeNode<'a>;
    type Number = TapeNumber;

    fn as_object(&self) -> Option<TapeNode<'a>> {
        matches!(self.tok(), Tok::Obj { .. }).then_some(*self)
    }
    fn as_array(&self) -> Option<TapeNode<'a>> {
        matches!(self.tok(), Tok::Arr { .. }).then_some(*self)
    }
    fn as_string(&self) -> Option<Cow<'a, str>> {
        match self.tok() {
            Tok::Str(start, end) => Some(Cow::Borrowed(self.tape.str(start, end))),
            _ => None,
        }
    }
    fn as_number(&self) -> Option<TapeNumber> {
        match self.tok() {
            Tok::Int(i) => Some(TapeNumber::Int(i)),
            Tok::UInt(u) => Some(TapeNumber::UInt(u)),
            Tok::Float(f) => Some(TapeNumber::Float(f)),
            _ => None,
        }
    }
    fn as_boolean(&self) -> Option<bool> {
        match self.tok() {
            Tok::Bool(b) => Some(b),
            _ => None,
        }
    }
    fn is_null(&self) -> bool {
        matches!(self.tok(), Tok::Null)
    }
    fn json_type(&self) -> JsonType {
        match self.tok() {
            Tok::Null => JsonType::Null,
            Tok::Bool(_) => JsonType::Boolean,
            Tok::Int(_) | Tok::UInt(_) | Tok::Float(_) => JsonType::Number,
            Tok::Str(..) => JsonType::String,
            Tok::Arr { .. } => JsonType::Array,
            Tok::Obj { .. } => JsonType::Object,
        }
    }
    fn to_value(&self) -> Cow<'a, Value> {
        Cow::Owned(self.tape.value_at(self.at))
    }
    fn identity(&self) -> Option<NodeIdentity> {
        Some(NodeIdentity::tagged(
            std::ptr::from_ref(self.tape) as usize,
            self.at,
        ))
    }
}

/// The members of an object node, in order.
#[derive(Debug)]
pub struct Members<'a> {
    tape: &'a Tape,
    at: u32,
    left: u32,
}

impl<'a> Iterator for Members<'a> {
    type Item = (&'a str, TapeNode<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        self.left = self.left.checked_sub(1)?;
        let Tok::Str(start, end) = self.tape.tok(self.at) else {
            return None;
        };
        let value = TapeNode::new(self.tape, self.at + 1);
        self.at = self.tape.after(self.at + 1);
        Some((self.tape.str(start, end), value))
    }
}

/// The elements of an array node, in order.
#[derive(Debug)]
pub struct Elements<'a> {
    tape: &'a Tape,
    at: u32,
    left: u32,
}

impl<'a> Iterator for Elements<'a> {
    type Item = TapeNode<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        self.left = self.left.checked_sub(1)?;
        let node = TapeNode::new(self.tape, self.at);
        self.at = self.tape.after(self.at);
        Some(node)
    }
}

impl<'a> Object<'a, TapeJson> for TapeNode<'a> {
    type Node = TapeNode<'a>;
    type MemberName = &'a str;
    type MembersIter = Members<'a>;

    fn len(&self) -> usize {
        self.count() as usize
    }
    fn get(&self, key: &String) -> Option<TapeNode<'a>> {
        self.members().find(|(k, _)| k == key).map(|(_, v)| v)
    }
    fn members(&self) -> Members<'a> {
        Members {
            tape: self.tape,
            at: self.at + 1,
            left: self.count(),
        }
    }
}

impl<'a> Array<'a, TapeJson> for TapeNode<'a> {
    type Node = TapeNode<'a>;
    type ElementsIter = Elements<'a>;

    fn len(&self) -> usize {
        self.count() as usize
    }
    fn elements(&self) -> Elements<'a> {
        Elements {
            tape: self.tape,
            at: self.at + 1,
            left: self.count(),
        }
    }
}
