//! The compatibility checker on real version pairs: the successive versions of bodhi's messages
//! (bodhi-messages from PyPI, imported with `scripts/import-schema-package`), where bodhi made a
//! new schema name and topic version because the change was breaking. The checker must agree
//! that each step breaks someone, and say who; the findings are snapshotted.

#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;

use common::python::{root, run, venv};
use fedora_messaging_compat::{compare_messages, Effect, MessageVersion};

#[test]
fn bodhi_version_bumps_are_found_breaking() {
    let python = venv();
    let repo_dir = root().join("target/compat-real/repo");
    let _ = std::fs::remove_dir_all(&repo_dir);
    run(Command::new(&python)
        .arg(root().join("scripts/import-schema-package"))
        .arg("--out")
        .arg(&repo_dir)
        .arg("bodhi-messages"));
    let repo = fedora_messaging_build::Repo::load(&repo_dir).unwrap_or_else(|e| panic!("{e}"));
    let messages = MessageVersion::all(&repo);
    let get = |name: &str| {
        messages
            .iter()
            .find(|m| m.schema_name == name)
            .unwrap_or_else(|| panic!("bodhi-messages has no {name}"))
    };
    for (old, new) in [
        ("bodhi.update.edit.v1", "bodhi.update.edit.v2"),
        (
            "bodhi.update.status.testing.v1",
            "bodhi.update.status.testing.v2",
        ),
        (
            "bodhi.update.status.testing.v2",
            "bodhi.update.status.testing.v3",
        ),
    ] {
        let findings = compare_messages(get(old), get(new));
        let breaking = |f: &fedora_messaging_compat::Finding| {
            f.effects.old_consumers == Effect::Breaking
                || f.effects.new_consumers == Effect::Breaking
        };
        println!("{old} -> {new}:");
        for f in &findings {
            println!("  {f}");
        }
        assert!(
            findings.iter().any(breaking),
            "{old} -> {new}: bodhi bumped the version, so some change must break a reader"
        );
        insta::assert_json_snapshot!(format!("{old}__{new}"), findings);
    }
}
