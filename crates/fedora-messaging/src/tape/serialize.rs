//! `Serialize` into a [`Tape`]: the tokens `serde_json::to_value` would make a `Value` of.

use serde::ser::{self, Error as _, Serialize};

use super::{offset, Error, Tape, Tok};

impl Tape {
    /// Pushes a container token to be completed by [`Compound::close`].
    fn open(&mut self, object: bool, outer: Option<usize>) -> Compound<'_> {
        self.enter();
        let start = self.toks.len();
        self.toks.push(if object {
            Tok::Obj { len: 0, end: 0 }
        } else {
            Tok::Arr { len: 0, end: 0 }
        });
        Compound {
            tape: self,
            start,
            len: 0,
            outer,
            seen: 0,
            maybe_repeated: false,
        }
    }

    /// `{"variant": …}` as serde_json writes an enum's non-unit variant: opens the outer object
    /// and pushes its one key; the caller writes the value.
    fn open_variant(&mut self, variant: &str) -> Result<usize, Error> {
        self.enter();
        let outer = self.toks.len();
        self.toks.push(Tok::Obj { len: 1, end: 0 });
        self.push_str(variant)?;
        Ok(outer)
    }

    /// Completes the outer object of a variant once its value is written.
    fn close_variant(&mut self, outer: usize) -> Result<(), Error> {
        self.open -= 1;
        let end = offset(self.toks.len())?;
        if let Tok::Obj { end: e, .. } = &mut self.toks[outer] {
            *e = end;
        }
        Ok(())
    }
}

impl Tape {
    /// One more container open: the depth [`Tape::depth`] reports.
    fn enter(&mut self) {
        self.open += 1;
        self.deepest = self.deepest.max(self.open);
    }
}

/// An array or object being written; `outer` is the variant object around it, if any.
#[doc(hidden)]
pub struct Compound<'t> {
    tape: &'t mut Tape,
    start: usize,
    len: u32,
    outer: Option<usize>,
    /// One bit per key written so far, chosen by its length and first and last byte: a key
    /// whose bit is already set may repeat an earlier one, and only then are the keys compared.
    seen: u128,
    maybe_repeated: bool,
}

impl Compound<'_> {
    fn close(self) -> Result<(), Error> {
        self.tape.open -= 1;
        let end = offset(self.tape.toks.len())?;
        let object = match &mut self.tape.toks[self.start] {
            Tok::Arr { len, end: e } => {
                (*len, *e) = (self.len, end);
                false
            }
            Tok::Obj { len, end: e } => {
                (*len, *e) = (self.len, end);
                true
            }
            _ => false,
        };
        if object && self.maybe_repeated && !self.tape.repeated_key {
            self.tape.repeated_key = self.tape.repeats_a_key(offset(self.start)?);
        }
        match self.outer {
            Some(outer) => self.tape.close_variant(outer),
            None => Ok(()),
        }
    }

    /// Counts the member whose key is the last token, and marks the key's fingerprint bit.
    fn key_written(&mut self) {
        if let Some(&Tok::Str(start, end)) = self.tape.toks.last() {
            let key = &self.tape.text.as_bytes()[start as usize..end as usize];
            let mix = key.len() as u32
                ^ u32::from(key.first().copied().unwrap_or(0)) << 7
                ^ u32::from(key.last().copied().unwrap_or(0)) << 14;
            let bit = 1u128 << (mix.wrapping_mul(0x9E37_79B9) >> 25);
            self.maybe_repeated |= self.seen & bit != 0;
            self.seen |= bit;
        }
        self.len += 1;
    }

    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.len += 1;
        value.serialize(&mut *self.tape)
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), Error> {
        self.tape.push_str(key)?;
        self.key_written();
        value.serialize(&mut *self.tape)
    }
}

impl<'t> ser::Serializer for &'t mut Tape {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'t>;
    type SerializeTuple = Compound<'t>;
    type SerializeTupleStruct = Compound<'t>;
    type SerializeTupleVariant = Compound<'t>;
    type SerializeMap = Compound<'t>;
    type SerializeStruct = Compound<'t>;
    type SerializeStructVariant = Compound<'t>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.toks.push(Tok::Bool(v));
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), Error> {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<(), Error> {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<(), Error> {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result<(), Error> {
        // As serde_json's `Number`: a non-negative integer is stored unsigned.
        self.toks.push(match u64::try_from(v) {
            Ok(u) => Tok::UInt(u),
            Err(_) => Tok::Int(v),
        });
        Ok(())
    }
    fn serialize_i128(self, v: i128) -> Result<(), Error> {
        match (u64::try_from(v), i64::try_from(v)) {
            (Ok(u), _) => self.serialize_u64(u),
            (_, Ok(i)) => self.serialize_i64(i),
            _ => Err(Error::custom("number out of range")),
        }
    }
    fn serialize_u8(self, v: u8) -> Result<(), Error> {
        self.serialize_u64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<(), Error> {
        self.serialize_u64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<(), Error> {
        self.serialize_u64(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result<(), Error> {
        self.toks.push(Tok::UInt(v));
        Ok(())
    }
    fn serialize_u128(self, v: u128) -> Result<(), Error> {
        let v = u64::try_from(v).map_err(|_| Error::custom("number out of range"))?;
        self.serialize_u64(v)
    }
    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        self.serialize_f64(v.into())
    }
    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        // As `serde_json::to_value`: NaN and the infinities become null.
        self.toks.push(if v.is_finite() {
            Tok::Float(v)
        } else {
            Tok::Null
        });
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.push_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        self.push_str(v)
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        let mut array = self.open(false, None);
        for b in v {
            array.element(b)?;
        }
        array.close()
    }
    fn serialize_none(self) -> Result<(), Error> {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<(), Error> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        self.toks.push(Tok::Null);
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Error> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        let outer = self.open_variant(variant)?;
        v.serialize(&mut *self)?;
        self.close_variant(outer)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Compound<'t>, Error> {
        Ok(self.open(false, None))
    }
    fn serialize_tuple(self, _: usize) -> Result<Compound<'t>, Error> {
        Ok(self.open(false, None))
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Compound<'t>, Error> {
        Ok(self.open(false, None))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound<'t>, Error> {
        let outer = self.open_variant(variant)?;
        Ok(self.open(false, Some(outer)))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Compound<'t>, Error> {
        Ok(self.open(true, None))
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Compound<'t>, Error> {
        Ok(self.open(true, None))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound<'t>, Error> {
        let outer = self.open_variant(variant)?;
        Ok(self.open(true, Some(outer)))
    }
}

// The four sequence kinds and the two struct kinds differ in name only: one body each.
macro_rules! sequence {
    ($($kind:ident :: $method:ident),*) => {$(
        impl ser::$kind for Compound<'_> {
            type Ok = ();
            type Error = Error;
            fn $method<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
                self.element(v)
            }
            fn end(self) -> Result<(), Error> {
                self.close()
            }
        }
    )*};
}

macro_rules! structure {
    ($($kind:ident),*) => {$(
        impl ser::$kind for Compound<'_> {
            type Ok = ();
            type Error = Error;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                v: &T,
            ) -> Result<(), Error> {
                self.field(key, v)
            }
            fn end(self) -> Result<(), Error> {
                self.close()
            }
        }
    )*};
}

sequence!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);
structure!(SerializeStruct, SerializeStructVariant);

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        key.serialize(MapKey(&mut *self.tape))?;
        self.key_written();
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        v.serialize(&mut *self.tape)
    }
    fn end(self) -> Result<(), Error> {
        self.close()
    }
}

/// A map key: a string as it is; a number, bool or char as the text serde_json makes of it;
/// anything else refused, as serde_json refuses it.
struct MapKey<'t>(&'t mut Tape);

impl MapKey<'_> {
    fn text(self, text: &str) -> Result<(), Error> {
        self.0.push_str(text)
    }
}

fn not_a_string() -> Error {
    Error::custom("key must be a string")
}

macro_rules! key_as_text {
    ($($method:ident: $ty:ty),*) => {$(
        fn $method(self, v: $ty) -> Result<(), Error> {
            self.text(&v.to_string())
        }
    )*};
}

impl ser::Serializer for MapKey<'_> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = ser::Impossible<(), Error>;
    type SerializeTuple = ser::Impossible<(), Error>;
    type SerializeTupleStruct = ser::Impossible<(), Error>;
    type SerializeTupleVariant = ser::Impossible<(), Error>;
    type SerializeMap = ser::Impossible<(), Error>;
    type SerializeStruct = ser::Impossible<(), Error>;
    type SerializeStructVariant = ser::Impossible<(), Error>;

    key_as_text!(serialize_bool: bool, serialize_i8: i8, serialize_i16: i16, serialize_i32: i32,
        serialize_i64: i64, serialize_i128: i128, serialize_u8: u8, serialize_u16: u16,
        serialize_u32: u32, serialize_u64: u64, serialize_u128: u128, serialize_char: char);
    fn serialize_bytes(self, _: &[u8]) -> Result<(), Error> {
        Err(not_a_string())
    }
    fn serialize_unit(self) -> Result<(), Error> {
        Err(not_a_string())
    }

    fn serialize_str(self, v: &str) -> Result<(), Error> {
        self.text(v)
    }
    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        self.serialize_f64(v.into())
    }
    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        // serde_json's text of a finite float; it refuses the others.
        match serde_json::Number::from_f64(v) {
            Some(n) => self.text(&n.to_string()),
            None => Err(Error::custom(
                "float key must be finite (got NaN or +/-inf)",
            )),
        }
    }
    fn serialize_none(self) -> Result<(), Error> {
        Err(not_a_string())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<(), Error> {
        Err(not_a_string())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Error> {
        Err(not_a_string())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.text(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Error> {
        Err(not_a_string())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Err(not_a_string())
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Error> {
        Err(not_a_string())
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        Err(not_a_string())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(not_a_string())
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Err(not_a_string())
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Error> {
        Err(not_a_string())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(not_a_string())
    }
}
