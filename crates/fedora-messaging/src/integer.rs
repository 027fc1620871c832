//! [`Integer`]: a JSON Schema `integer`, kept exactly as it was written.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Number;

/// A JSON Schema `integer`: any number with no fractional part, kept as written.
///
/// From draft-06 on, `1.0` is an integer; Python and the validator accept it, so a typed message
/// must too, and must write it back as `1.0`, not `1`. Integers beyond `i64` (up to `u64`) are
/// integers as well. Generated message types use this for every `integer` in a schema.
///
/// ```
/// use fedora_messaging::Integer;
///
/// let n: Integer = serde_json::from_str("1.0").unwrap();
/// assert_eq!(n.as_i64(), Some(1));
/// assert_eq!(n, 1);
/// assert_eq!(serde_json::to_string(&n).unwrap(), "1.0");
/// assert!(serde_json::from_str::<Integer>("1.5").is_err());
/// assert_eq!(Integer::from(7).to_string(), "7");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Integer(Number);

impl Integer {
    /// The value as an `i64`, if it fits (`1.0` gives `Some(1)`).
    pub fn as_i64(&self) -> Option<i64> {
        self.0.as_i64().or_else(|| {
            let f = self.0.as_f64()?;
            // Exactly representable and in range: the fractional part is zero by construction.
            (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0)
                .contains(&f)
                .then_some(f as i64)
        })
    }

    /// The value as a `u64`, if it fits.
    pub fn as_u64(&self) -> Option<u64> {
        self.0.as_u64().or_else(|| {
            let f = self.0.as_f64()?;
            (0.0..18_446_744_073_709_551_616.0)
                .contains(&f)
                .then_some(f as u64)
        })
    }

    /// The number as written.
    pub fn as_number(&self) -> &Number {
        &self.0
    }

    /// `n` if it has no fractional part.
    pub fn from_number(n: Number) -> Option<Self> {
        let integral = n.is_i64()
            || n.is_u64()
            || n.as_f64()
                .is_some_and(|f| f.is_finite() && f.fract() == 0.0);
        integral.then_some(Self(n))
    }
}

impl fmt::Display for Integer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

macro_rules! from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Integer {
            fn from(n: $t) -> Self {
                Self(Number::from(n))
            }
        }
    )*};
}
from_int!(i8, i16, i32, i64, u8, u16, u32, u64, isize, usize);

impl PartialEq<i64> for Integer {
    fn eq(&self, other: &i64) -> bool {
        self.as_i64() == Some(*other)
    }
}

impl Serialize for Integer {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Integer {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = Number::deserialize(d)?;
        let shown = n.to_string();
        Self::from_number(n).ok_or_else(|| {
            serde::de::Error::custom(format_args!("expected an integer, found {shown}"))
        })
    }
}

impl schemars::JsonSchema for Integer {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Integer".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": "integer"})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integral_numbers_as_written() {
        for (text, i) in [
            ("0", Some(0)),
            ("-3", Some(-3)),
            ("1.0", Some(1)),
            ("-2.0", Some(-2)),
            ("1e3", Some(1000)),
        ] {
            let n: Integer = serde_json::from_str(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(n.as_i64(), i, "{text}");
            assert_eq!(
                serde_json::to_value(&n).ok(),
                serde_json::from_str(text).ok(),
                "{text}"
            );
        }
        let big: Integer =
            serde_json::from_str("18446744073709551615").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(big.as_u64(), Some(u64::MAX));
        assert_eq!(big.as_i64(), None);
        for bad in ["1.5", "\"1\"", "null", "true"] {
            assert!(serde_json::from_str::<Integer>(bad).is_err(), "{bad}");
        }
    }
}
