//! Message severity, the `fedora_messaging_severity` header.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// How important a message is to the people it concerns.
///
/// The numeric values are the wire values of the `fedora_messaging_severity` header and match Python's
/// `fedora_messaging.message.DEBUG` … `ERROR`. [`Severity::Info`] is the default, as in Python.
///
/// ```
/// use fedora_messaging::Severity;
///
/// assert_eq!(Severity::default(), Severity::Info);
/// assert_eq!(Severity::Warning.value(), 30);
/// assert_eq!(Severity::try_from(40).unwrap(), Severity::Error);
/// assert!(Severity::try_from(25).is_err());
/// assert_eq!("warning".parse::<Severity>().unwrap(), Severity::Warning);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Severity {
    /// Debugging or very low priority; users are notified only if they opted in (10).
    Debug,
    /// Informational; the default (20).
    #[default]
    Info,
    /// A problem; users associated with the object are notified by default (30).
    Warning,
    /// Critical; users should act soon (40).
    Error,
}

/// A number or name that is not one of the four severities.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "{given} is not a severity: expected one of 10 (DEBUG), 20 (INFO), 30 (WARNING), 40 (ERROR)"
)]
pub struct InvalidSeverity {
    /// What was given, as text.
    pub given: String,
}

impl Severity {
    /// Every severity, lowest first (Python's `SEVERITIES`).
    pub const ALL: [Severity; 4] = [Self::Debug, Self::Info, Self::Warning, Self::Error];

    /// The wire value: 10, 20, 30 or 40.
    pub const fn value(self) -> i32 {
        match self {
            Self::Debug => 10,
            Self::Info => 20,
            Self::Warning => 30,
            Self::Error => 40,
        }
    }

    /// The upper-case name Python uses: `DEBUG`, `INFO`, `WARNING` or `ERROR`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Debug => "DEBUG",
            Self::Info => "INFO",
            Self::Warning => "WARNING",
            Self::Error => "ERROR",
        }
    }

    /// Reads a header value: an integer, or a float with no fraction (JSON Schema's `enum` treats
    /// `20.0` as equal to `20`, and so does Python).
    pub fn from_json(value: &serde_json::Value) -> Result<Self, InvalidSeverity> {
        let invalid = || InvalidSeverity {
            given: value.to_string(),
        };
        let n = match value {
            serde_json::Value::Number(n) => match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => i,
                (None, Some(f)) if f.fract() == 0.0 && f.abs() < 1e6 => f as i64,
                _ => return Err(invalid()),
            },
            _ => return Err(invalid()),
        };
        Self::try_from(n).map_err(|_| invalid())
    }
}

impl TryFrom<i64> for Severity {
    type Error = InvalidSeverity;

    fn try_from(value: i64) -> Result<Self, InvalidSeverity> {
        match value {
            10 => Ok(Self::Debug),
            20 => Ok(Self::Info),
            30 => Ok(Self::Warning),
            40 => Ok(Self::Error),
            other => Err(InvalidSeverity {
                given: other.to_string(),
            }),
        }
    }
}

impl From<Severity> for i32 {
    fn from(s: Severity) -> i32 {
        s.value()
    }
}

impl FromStr for Severity {
    type Err = InvalidSeverity;

    /// Accepts the names in any case (`warning`, `WARNING`) or the numbers (`30`).
    fn from_str(s: &str) -> Result<Self, InvalidSeverity> {
        let t = s.trim();
        if let Ok(n) = t.parse::<i64>() {
            return Self::try_from(n).map_err(|_| InvalidSeverity { given: s.into() });
        }
        Self::ALL
            .into_iter()
            .find(|sev| sev.name().eq_ignore_ascii_case(t))
            .ok_or_else(|| InvalidSeverity { given: s.into() })
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Severity {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i32(self.value())
    }
}

impl<'de> Deserialize<'de> for Severity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        Self::from_json(&v).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip() {
        for s in Severity::ALL {
            assert_eq!(Severity::try_from(i64::from(s.value())).unwrap(), s);
            assert_eq!(s.name().parse::<Severity>().unwrap(), s);
        }
    }

    #[test]
    fn json_accepts_integral_floats_only() {
        assert_eq!(
            Severity::from_json(&serde_json::json!(30.0)).unwrap(),
            Severity::Warning
        );
        assert!(Severity::from_json(&serde_json::json!(30.5)).is_err());
        assert!(Severity::from_json(&serde_json::json!("30")).is_err());
        let err = Severity::from_json(&serde_json::json!(25)).unwrap_err();
        assert_eq!(err.given, "25");
    }
}
