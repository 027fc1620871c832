//! The generated code for `schemas/`, one insta snapshot per application, and proof that the
//! snapshots are the code this crate compiles: generating now gives, byte for byte, the file the
//! root `build.rs` wrote into `OUT_DIR` and `src/lib.rs` includes.

#![allow(clippy::unwrap_used)]

use fedora_messaging_build::{generate, Repo};

fn repo() -> Repo {
    Repo::load(concat!(env!("CARGO_MANIFEST_DIR"), "/schemas")).unwrap()
}

#[test]
fn snapshots_are_the_compiled_code() {
    let compiled = include_str!(concat!(env!("OUT_DIR"), "/fedora_messages.rs"));
    assert_eq!(generate(&repo()).unwrap(), compiled);
}

#[test]
fn generated_code_per_application() {
    let full = repo();
    assert!(
        full.apps.len() >= 4,
        "schemas/ holds {} applications",
        full.apps.len()
    );
    for app in &full.apps {
        let one = Repo {
            apps: vec![app.clone()],
            ..full.clone()
        };
        let code = generate(&one).unwrap();
        insta::assert_snapshot!(format!("generated_{}", app.module), code);
    }
}

#[test]
fn generation_is_deterministic() {
    assert_eq!(generate(&repo()).unwrap(), generate(&repo()).unwrap());
}
