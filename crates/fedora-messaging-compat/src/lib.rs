//! Compatibility checks between versions of a fedora-messaging schema repo.
//!
//! A message schema is a contract with consumers nobody lists and with archives that keep every
//! message. This crate compares two versions of a schema repo (the layout of
//! `fedora-messaging-build`) and reports each change with a stable rule id, the schema name, the
//! JSON pointer, a one-line explanation and its effect on three readers:
//!
//! - **old consumers**, still on the old schema, reading an upgraded producer's messages (a
//!   registry's FORWARD);
//! - **new consumers**, upgraded, reading messages written with the old schema: producers not yet
//!   upgraded, datagrepper, `record` files (BACKWARD);
//! - **Rust code** using the generated types.
//!
//! A [`Policy`] (backward, forward or full; strict or not; Rust API or not) decides which findings
//! fail. Transitive checks compare the new version with every older one, one [`Comparison`] each.
//!
//! ```
//! use fedora_messaging_compat::{compare_messages, MessageVersion};
//! use serde_json::json;
//!
//! let v1 = MessageVersion {
//!     schema_name: "app.thing.v1".into(), topic: "app.thing".into(),
//!     schema: json!({"type": "object", "properties": {"id": {"type": "integer"}}}),
//!     severity: "info".into(), deprecated: false, type_name: "ThingV1".into(),
//!     package: None, file: "app/thing.json".into(),
//! };
//! let mut v2 = v1.clone();
//! v2.schema = json!({"type": "object", "required": ["name"],
//!                    "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}});
//! let findings = compare_messages(&v1, &v2);
//! assert_eq!(findings[0].rule, "PROPERTY_ADDED_REQUIRED");
//! assert_eq!(findings[0].pointer, "/properties/name");
//! ```

mod finding;
mod message_diff;
mod report;
mod schema_diff;

use fedora_messaging_build::Repo;

pub use finding::{Effect, Effects, Finding};
pub use message_diff::{compare_messages, compare_versions, MessageVersion};
pub use report::{Comparison, Mode, Policy, Report};

/// Compares `new` with each of `olds` (oldest first). `transitive: false` compares with the last
/// one only, as a registry's non-transitive modes do.
pub fn check(
    olds: &[(String, Repo)],
    new: &(String, Repo),
    policy: Policy,
    transitive: bool,
) -> Report {
    let against: &[(String, Repo)] = if transitive {
        olds
    } else {
        olds.split_last()
            .map_or(&[], |(last, _)| std::slice::from_ref(last))
    };
    let new_messages = MessageVersion::all(&new.1);
    let comparisons = against
        .iter()
        .map(|(label, repo)| Comparison {
            old: label.clone(),
            new: new.0.clone(),
            findings: compare_versions(&MessageVersion::all(repo), &new_messages),
        })
        .collect();
    Report {
        policy,
        comparisons,
    }
}
