//! What the checker reports: one finding per change, with a stable rule id and its effect on each
//! kind of reader.

use std::fmt;

use serde::Serialize;

/// How a change affects one kind of reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Effect {
    /// Nothing changes for this reader.
    Ok,
    /// Nothing changes for this reader's validation; worth knowing (a deprecation, a format that
    /// fedora-messaging does not assert).
    Info,
    /// Breaking in the strict sense only: e.g. a property added to an open object, which old data
    /// may already use with another meaning. Fails with `--strict`.
    Warning,
    /// Some message this reader handles today is rejected or misread after the change.
    Breaking,
}

impl fmt::Display for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Ok => "ok",
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Breaking => "breaking",
        })
    }
}

/// The three readers of a schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Effects {
    /// Consumers still on the old schema, reading messages from an upgraded producer (FORWARD).
    pub old_consumers: Effect,
    /// Upgraded consumers reading messages written with the old schema: other producers not yet
    /// upgraded, archives, `record` files (BACKWARD).
    pub new_consumers: Effect,
    /// Rust code using the generated types: does it still compile?
    pub rust_api: Effect,
}

impl Effects {
    pub(crate) const fn new(
        old_consumers: Effect,
        new_consumers: Effect,
        rust_api: Effect,
    ) -> Self {
        Self {
            old_consumers,
            new_consumers,
            rust_api,
        }
    }
}

/// One change between two versions of a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// A stable identifier of the kind of change, e.g. `PROPERTY_ADDED_REQUIRED`.
    pub rule: &'static str,
    /// The schema name (`fedora_messaging_schema`) of the message in the new version.
    pub schema: String,
    /// The schema file in the new version (the old one when the message was removed), relative to
    /// the repo.
    pub file: String,
    /// Where in the schema, as a JSON pointer (empty for the whole message).
    pub pointer: String,
    /// What changed, in one line.
    pub explanation: String,
    /// Who it breaks.
    pub effects: Effects,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}#{}: {} [old consumers: {}, new consumers: {}, Rust API: {}]: {}",
            self.schema,
            self.file,
            self.pointer,
            self.rule,
            self.effects.old_consumers,
            self.effects.new_consumers,
            self.effects.rust_api,
            self.explanation
        )
    }
}
