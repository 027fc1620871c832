//! Every schema in the project's `schemas/` compiles with the runtime's validator, with the draft it
//! declares, and accepts and rejects what it should.

#![allow(clippy::unwrap_used)] // test helpers: a panic is the failure report

use fedora_messaging::schema::CompiledSchema;
use fedora_messaging_rs::{schema_file, SCHEMA_FILES};
use serde_json::json;

#[test]
fn every_schema_compiles() {
    assert!(
        SCHEMA_FILES.len() >= 2,
        "schemas/ holds {} files",
        SCHEMA_FILES.len()
    );
    for (path, text) in SCHEMA_FILES {
        let value: serde_json::Value = serde_json::from_str(text).unwrap();
        CompiledSchema::compile(&value).unwrap_or_else(|e| panic!("schemas/{path}: {e}"));
    }
}

#[test]
fn demo_build_complete_versions() {
    let v1 = CompiledSchema::compile(&schema_file("demo/build.complete.v1.json").unwrap()).unwrap();
    let v2 = CompiledSchema::compile(&schema_file("demo/build.complete.v2.json").unwrap()).unwrap();
    let old = json!({"owner": "alice", "package": "python-requests", "status": "failed"});
    assert!(v1.is_valid(&old));
    // v2 requires the architecture: a v1 body is not a v2 body.
    let missing = v2.violations(&old);
    assert_eq!(missing.len(), 1);
    assert!(
        missing[0].message.contains("arch"),
        "{}",
        missing[0].message
    );
    // format is not asserted (Python does not either).
    let new = json!({"owner": "a", "package": "p", "status": "canceled", "arch": "x86_64", "log_url": "not a uri"});
    assert!(v2.is_valid(&new));
    assert!(!v1.is_valid(&new), "v1 does not know the canceled status");
}
