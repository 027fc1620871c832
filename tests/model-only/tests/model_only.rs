//! The model alone: envelopes, validation, typed decoding and record lines work without any
//! transport, and no transport crate is in the dependency graph.

#![allow(clippy::unwrap_used)]

use std::process::Command;

use fedora_messaging::{lines, Envelope, Message, Registry};
use fedora_messaging_model_only::messages::{demo, AnyMessage};
use fedora_messaging_model_only::Ping;
use serde_json::json;

#[test]
fn generated_and_derived_types_work_with_the_model_only() {
    let ping = Ping {
        who: "alice".into(),
    };
    let env = Envelope::from_message(&ping).unwrap();
    assert_eq!(env.headers["fedora_messaging_user_alice"], true);
    assert_eq!(env.decode::<Ping>().unwrap(), ping);
    let registry = Registry::new().with::<Ping>().unwrap();
    let back = lines::loads(&lines::dumps(&env)).unwrap().remove(0);
    let decoded = registry.decode(back).unwrap();
    assert_eq!(decoded.downcast_ref::<Ping>(), Some(&ping));

    let mut env = Envelope::from_message(&ping).unwrap();
    env.headers.insert(
        "fedora_messaging_schema".into(),
        demo::BuildCompleteV1::SCHEMA_NAME.into(),
    );
    env.body = json!({"owner": "bob", "package": "rpm", "status": "failed"}).into();
    match AnyMessage::decode(&env) {
        Ok(Some(AnyMessage::DemoBuildCompleteV1(m))) => {
            assert_eq!(m.to_body().unwrap(), env.body)
        }
        other => panic!("{other:?}"),
    }
}

/// The normal dependencies of `fedora-messaging` without its default features, and of this crate:
/// none of the AMQP stack.
#[test]
fn no_transport_crate_in_the_graph() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    for args in [
        &[
            "tree",
            "-p",
            "fedora-messaging",
            "--no-default-features",
            "--features",
            "derive",
            "-e",
            "normal",
            "--prefix",
            "none",
        ][..],
        &[
            "tree",
            "-p",
            "fedora-messaging-model-only",
            "-e",
            "normal",
            "--prefix",
            "none",
        ][..],
    ] {
        let out = Command::new(&cargo)
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let tree = String::from_utf8_lossy(&out.stdout);
        assert!(tree.contains("fedora-messaging v"), "{tree}");
        for name in ["lapin", "tokio", "toml", "futures-util", "futures"] {
            assert!(
                !tree.lines().any(|l| l.starts_with(&format!("{name} v"))),
                "{name} is in the model's graph ({args:?}):\n{tree}"
            );
        }
    }
}
