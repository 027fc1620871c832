//! A message type's contract as one stable text, for snapshot tests.
//!
//! A message type is a public contract: consumers depend on its schema, its headers and its body
//! the moment it is on the bus. [`contract`] writes all of it for one sample message — the
//! constants, the accessors, the body schema and the `record` line with a fixed id and time — so
//! that a snapshot test (with [insta](https://insta.rs)) turns an accidental change to a struct, a
//! derive attribute or a schema file into a readable diff in review.
//!
//! The recommended test for every message type of an application:
//!
//! ```no_run
//! # use fedora_messaging::Message;
//! # #[derive(Debug, serde::Serialize, serde::Deserialize, schemars::JsonSchema, Message)]
//! # #[message(schema = "demo.build.completeV1", topic = "demo.build.complete.v1")]
//! # struct BuildComplete { owner: String }
//! #[test]
//! fn build_complete_contract() {
//!     // Needs `insta` as a dev-dependency; the snapshot is named after the schema.
//!     fedora_messaging::assert_contract_snapshot!(BuildComplete { owner: "alice".into() });
//! }
//! ```
//!
//! or, with any snapshot tool, `contract(&sample)` as the value to compare:
//!
//! ```
//! use fedora_messaging::{snapshot::contract, BaseMessage};
//! use serde_json::json;
//!
//! let text = contract(&BaseMessage::new("app.thing.created", json!({"id": 1})));
//! assert!(text.starts_with("schema: base.message\n"));
//! assert!(text.contains(r#""id": "00000000-0000-4000-8000-000000000000""#));
//! ```

use std::fmt::Write as _;

use crate::envelope::Envelope;
use crate::message::Message;
use crate::{lines, pyjson};

/// The id and `sent-at` of every snapshot's `record` line, so the line is stable.
pub const FIXED_ID: &str = "00000000-0000-4000-8000-000000000000";
/// See [`FIXED_ID`].
pub const FIXED_SENT_AT: &str = "2000-01-01T00:00:00+00:00";

/// The snapshot name for `M`: `contract__` and its schema name.
pub fn name_of<M: Message>(_sample: &M) -> String {
    format!("contract__{}", M::SCHEMA_NAME)
}

/// `M`'s contract, shown on `sample`: schema name, package, topic, severity, deprecation, what each
/// accessor gives, the body schema, and the `record` line (headers and body as they go on the
/// wire). An envelope that cannot be built is written as the error, which a snapshot shows too.
pub fn contract<M: Message>(sample: &M) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "schema: {}", M::SCHEMA_NAME);
    let _ = writeln!(out, "package: {}", M::SCHEMA_PACKAGE.unwrap_or("-"));
    let _ = writeln!(out, "topic: {}", sample.topic());
    let _ = writeln!(out, "severity: {}", sample.severity());
    let _ = writeln!(out, "deprecated: {}", M::DEPRECATED);
    out.push_str("\naccessors:\n");
    let _ = writeln!(out, "  summary: {}", sample.summary());
    let _ = writeln!(out, "  url: {:?}", sample.url());
    let _ = writeln!(out, "  app_name: {:?}", sample.app_name());
    let _ = writeln!(out, "  agent_name: {:?}", sample.agent_name());
    for (name, values) in [
        ("usernames", sample.usernames()),
        ("groups", sample.groups()),
        ("packages", sample.packages()),
        ("containers", sample.containers()),
        ("modules", sample.modules()),
        ("flatpaks", sample.flatpaks()),
    ] {
        let _ = writeln!(out, "  {name}: {values:?}");
    }
    out.push_str("\nbody schema:\n");
    // Sorted keys, so that only a real change to the schema shows.
    let style = pyjson::Style {
        ensure_ascii: false,
        sort_keys: true,
        indent: Some(2),
        compact: false,
    };
    out.push_str(&pyjson::to_string(&M::body_schema(), style));
    out.push_str("\n\nrecord line (id and sent-at fixed):\n");
    match Envelope::builder(sample)
        .id(FIXED_ID)
        .sent_at_text(FIXED_SENT_AT)
        .build()
    {
        Ok(env) => out.push_str(&lines::dumps(&env)),
        Err(e) => {
            let _ = writeln!(out, "cannot be built: {e}");
        }
    }
    out
}

/// Snapshots the [`contract`] of a sample message with insta, named after its schema
/// (`contract__<schema name>`). The calling crate needs `insta` as a dev-dependency.
#[macro_export]
macro_rules! assert_contract_snapshot {
    ($sample:expr) => {{
        let sample = &$sample;
        ::insta::with_settings!({ omit_expression => true }, {
            ::insta::assert_snapshot!(
                $crate::snapshot::name_of(sample),
                $crate::snapshot::contract(sample)
            );
        });
    }};
}
