//! One fixture per kind of change (`tests/fixtures/*.json`: the old and new message, and the
//! verdicts expected for it). Each is checked against its expectations and its findings are
//! snapshotted, so a change in any explanation or pointer shows up in review.

#![allow(clippy::unwrap_used)]

use fedora_messaging_compat::{compare_messages, Effect, MessageVersion};
use serde_json::Value;

fn version(v: &Value) -> MessageVersion {
    let text = |key: &str, default: &str| {
        v.get(key)
            .and_then(Value::as_str)
            .unwrap_or(default)
            .to_owned()
    };
    MessageVersion {
        schema_name: text("name", "app.thing.v1"),
        topic: text("topic", "app.thing"),
        schema: v["schema"].clone(),
        severity: text("severity", "info"),
        deprecated: v
            .get("deprecated")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        type_name: text("type", "ThingV1"),
        package: None,
        file: "app/thing.json".into(),
    }
}

/// The worst effect on one reader over all findings (`ok` when there are none).
fn worst(
    findings: &[fedora_messaging_compat::Finding],
    reader: impl Fn(&fedora_messaging_compat::Finding) -> Effect,
) -> String {
    findings
        .iter()
        .map(reader)
        .max()
        .unwrap_or(Effect::Ok)
        .to_string()
}

#[test]
fn every_change_kind_gets_its_verdict() {
    let mut count = 0;
    insta::glob!("fixtures/*.json", |path| {
        count += 1;
        let fixture: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let findings = compare_messages(&version(&fixture["old"]), &version(&fixture["new"]));
        let expect = &fixture["expect"];
        let rules: Vec<&str> = findings.iter().map(|f| f.rule).collect();
        let want: Vec<&str> = expect["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap())
            .collect();
        let name = path.file_name().unwrap().to_string_lossy();
        assert_eq!(rules, want, "{name}: rules");
        assert_eq!(
            worst(&findings, |f| f.effects.old_consumers),
            expect["old_consumers"],
            "{name}: old consumers"
        );
        assert_eq!(
            worst(&findings, |f| f.effects.new_consumers),
            expect["new_consumers"],
            "{name}: new consumers"
        );
        assert_eq!(
            worst(&findings, |f| f.effects.rust_api),
            expect["rust_api"],
            "{name}: Rust API"
        );
        insta::with_settings!({info => &fixture["description"], omit_expression => true}, {
            insta::assert_json_snapshot!(findings);
        });
    });
    assert!(count >= 25, "only {count} fixtures");
}
