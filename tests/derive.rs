//! `#[derive(Message)]`: what the attributes produce, and that the derived schema agrees with serde.

#![allow(clippy::unwrap_used)] // test helpers: a panic is the failure report

use std::collections::BTreeSet;

use fedora_messaging::{Envelope, Message, Registry, Severity};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// A comment on an update.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Message)]
#[message(
    schema = "bodhi.update.comment",
    topic = "bodhi.update.comment",
    package = "Bodhi.Messages",
    severity = "WARNING",
    summary = "{user} commented on {alias}",
    url = "https://bodhi.fedoraproject.org/updates/{alias}",
    app_name = "bodhi",
    app_icon = "https://apps.fedoraproject.org/img/icons/bodhi.png"
)]
struct UpdateComment {
    alias: String,
    #[message(agent, usernames)]
    user: String,
    #[message(usernames)]
    #[serde(default)]
    watchers: Vec<String>,
    #[message(packages)]
    builds: BTreeSet<String>,
    #[message(groups)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    group: Option<String>,
    /// Fields the schema does not name are kept, so re-publishing loses nothing.
    #[serde(flatten)]
    extra: Map<String, Value>,
}

/// The smallest derived message: every accessor keeps Python's default.
#[derive(Debug, Serialize, Deserialize, JsonSchema, Message)]
#[message(schema = "demo.pingV1", topic = "demo.ping.v1", deprecated)]
struct Ping {
    n: u32,
}

fn comment() -> UpdateComment {
    UpdateComment {
        alias: "FEDORA-2024-abc".into(),
        user: "alice".into(),
        watchers: vec!["bob".into()],
        builds: ["kernel-6.9".to_string(), "glibc-2.39".to_string()].into(),
        group: Some("packager".into()),
        extra: Map::new(),
    }
}

#[test]
fn consts_come_from_the_attributes() {
    assert_eq!(UpdateComment::SCHEMA_NAME, "bodhi.update.comment");
    assert_eq!(UpdateComment::TOPIC, Some("bodhi.update.comment"));
    // Normalized as Python reports distribution names.
    assert_eq!(UpdateComment::SCHEMA_PACKAGE, Some("bodhi_messages"));
    assert_eq!(UpdateComment::SEVERITY, Severity::Warning);
    const { assert!(!UpdateComment::DEPRECATED) };
    const { assert!(Ping::DEPRECATED) };
    assert_eq!(Ping::SCHEMA_PACKAGE, None);
}

#[test]
fn accessors_come_from_fields_and_templates() {
    let m = comment();
    assert_eq!(m.summary(), "alice commented on FEDORA-2024-abc");
    assert_eq!(
        m.url().as_deref(),
        Some("https://bodhi.fedoraproject.org/updates/FEDORA-2024-abc")
    );
    assert_eq!(m.app_name().as_deref(), Some("bodhi"));
    assert!(m.app_icon().unwrap().ends_with("bodhi.png"));
    assert_eq!(m.agent_name().as_deref(), Some("alice"));
    assert!(m
        .agent_avatar()
        .unwrap()
        .starts_with("https://seccdn.libravatar.org/avatar/"));
    assert_eq!(m.usernames(), ["alice", "bob"]);
    assert_eq!(m.packages(), ["glibc-2.39", "kernel-6.9"]);
    assert_eq!(m.groups(), ["packager"]);
    assert!(m.containers().is_empty());
}

#[test]
fn defaults_are_pythons() {
    let p = Ping { n: 1 };
    assert_eq!(p.summary(), "demo.ping.v1");
    assert_eq!(p.url(), None);
    assert_eq!(p.agent_name(), None);
    assert_eq!(p.agent_avatar(), None);
    assert!(p.usernames().is_empty());
    assert_eq!(p.severity(), Severity::Info);
}

#[test]
fn filter_headers_follow_the_accessors() {
    let env = Envelope::from_message(&comment()).unwrap();
    let filters: Vec<&str> = env
        .headers
        .keys()
        .filter(|k| k.starts_with("fedora_messaging_") && env.headers[*k] == true)
        .map(String::as_str)
        .collect();
    assert_eq!(
        filters,
        [
            "fedora_messaging_user_alice",
            "fedora_messaging_user_bob",
            "fedora_messaging_group_packager",
            "fedora_messaging_rpm_glibc-2.39",
            "fedora_messaging_rpm_kernel-6.9",
        ]
    );
    assert_eq!(env.headers["fedora_messaging_severity"], 30);
}

#[test]
fn derived_schema_is_draft07_and_matches_serde() {
    let schema = UpdateComment::body_schema();
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
    // What serde writes, the schema accepts; the envelope validates and decodes back equal.
    let m = comment();
    let env = Envelope::from_message(&m).unwrap();
    env.validate_as::<UpdateComment>().unwrap();
    assert_eq!(env.decode::<UpdateComment>().unwrap(), m);
    // A body the schema rejects is a typed validation error naming the place.
    let mut bad = env.clone();
    bad.body["alias"] = json!(12);
    let err = bad.decode::<UpdateComment>().unwrap_err().to_string();
    assert!(err.contains("/alias"), "{err}");
    assert!(err.contains("bodhi.update.comment"), "{err}");
}

#[test]
fn unknown_fields_survive_a_round_trip() {
    let mut env = Envelope::from_message(&comment()).unwrap();
    env.body["added_in_v2"] = json!({"nested": [1, 2]});
    let typed: UpdateComment = env.decode().unwrap();
    // `decode` borrows the body (`from_body_ref`); taking it by value decodes the same message.
    let owned =
        UpdateComment::from_body(env.body.value().clone(), &env.topic, env.severity()).unwrap();
    assert_eq!(typed, owned);
    let again = Envelope::builder(&typed)
        .id(env.id.clone().unwrap())
        .sent_at_text(env.sent_at().unwrap())
        .build()
        .unwrap();
    assert_eq!(again.body, env.body);
    assert_eq!(again.headers, env.headers);
    assert_eq!(again.body_bytes(), env.body_bytes());
}

#[test]
fn registry_decodes_derived_types() {
    let reg = Registry::new()
        .with::<UpdateComment>()
        .unwrap()
        .with::<Ping>()
        .unwrap();
    assert_eq!(
        reg.names().collect::<Vec<_>>(),
        ["base.message", "bodhi.update.comment", "demo.pingV1"]
    );
    let env = Envelope::from_message(&comment()).unwrap();
    let decoded = reg.decode(env).unwrap();
    assert_eq!(decoded.downcast_ref::<UpdateComment>(), Some(&comment()));
    assert!(decoded.downcast_ref::<Ping>().is_none());
    // Registering a second type under a taken name is refused.
    #[derive(Debug, Serialize, Deserialize, JsonSchema, Message)]
    #[message(schema = "demo.pingV1", topic = "demo.ping.v1")]
    struct Impostor {}
    let err = Registry::new()
        .with::<Ping>()
        .unwrap()
        .with::<Impostor>()
        .unwrap_err();
    assert!(err.to_string().contains("registered twice"), "{err}");
}

#[test]
fn derived_schema_snapshot() {
    insta::assert_json_snapshot!("update_comment_schema", UpdateComment::body_schema());
}

#[test]
fn derived_wire_form_snapshot() {
    let env = Envelope::builder(&comment())
        .id("00000000-0000-4000-8000-000000000000")
        .sent_at_text("2024-05-01T12:34:56+00:00")
        .build()
        .unwrap();
    insta::assert_snapshot!("update_comment_line", fedora_messaging::lines::dumps(&env));
}

// ANCHOR: contract
/// The recommended contract test for a message type (`fedora_messaging::snapshot`).
#[test]
fn derived_contract_snapshot() {
    fedora_messaging::assert_contract_snapshot!(comment());
}
// ANCHOR_END: contract
