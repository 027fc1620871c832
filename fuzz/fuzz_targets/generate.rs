//! Any JSON value as a message's body schema: the generator returns code that parses or an error
//! naming the file and pointer; it never panics, loops or overflows.

#![no_main]

use std::path::PathBuf;

use fedora_messaging_build::repo::{Accessors, App, MessageSpec, Severity, Topic};
use fedora_messaging_build::{generate, Repo};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(schema) = serde_json::from_str::<serde_json::Value>(text) else { return };
    let message = MessageSpec {
        schema_name: "fuzz.message".into(),
        file: PathBuf::from("fuzz/message.json"),
        schema,
        schema_text: text.into(),
        topic: Topic::Fixed("fuzz.message".into()),
        type_name: "FuzzMessage".into(),
        severity: Severity::Info,
        deprecated: false,
        accessors: Accessors::default(),
    };
    let repo = Repo {
        root: PathBuf::from("fuzz"),
        apps: vec![App {
            dir: PathBuf::from("fuzz/app"),
            module: "app".into(),
            package: None,
            app_name: None,
            app_icon: None,
            messages: vec![message],
        }],
        inputs: Vec::new(),
    };
    if let Ok(code) = generate(&repo) {
        assert!(code.contains("impl ::fedora_messaging::Message for"), "{code}");
    }
});
