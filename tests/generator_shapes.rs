//! The generator on shapes real schema packages use, each of which once broke it
//! (`tests/fixtures/shapes`): a `$ref` to a nullable object (the generated type recursed into
//! itself and a non-null value aborted the process), recursion through `$ref`s, integers written
//! as `1.0`, a message without a fixed topic, a topic built from the body, and one schema name in
//! two packages. The repo is generated, compiled as a crate of its own, and the binary checks
//! every case; it also feeds 100,000-deep nesting to each recursive type, which must be an error,
//! never a crash.

#![allow(clippy::unwrap_used)]

mod common;

use common::python::{build_generated_crate, root, run};

const MAIN_RS: &str = r#"
#[allow(dead_code)]
mod generated;

use fedora_messaging::amqp::delivery::{self, Properties};
use fedora_messaging::{BaseMessage, Envelope, Integer, Message, Registry, WithTopic};
use generated::{tasks, AnyMessage};
use serde_json::{json, Value};

/// The envelope of `body` under `schema`, on `topic`.
fn envelope(schema: &str, topic: &str, body: Value) -> Envelope {
    let mut env = Envelope::from_message(&BaseMessage::new(topic, json!({}))).unwrap();
    env.body = body.into();
    env.headers.insert("fedora_messaging_schema".into(), schema.into());
    env
}

/// Decodes `body` as `schema` and checks it re-encodes to the same JSON.
fn round_trip(schema: &str, body: Value) -> AnyMessage {
    let env = envelope(schema, "tasks.any", body.clone());
    let m = AnyMessage::decode(&env).unwrap_or_else(|e| panic!("{schema} {body}: {e}")).unwrap();
    let again = m.to_body().unwrap();
    assert_eq!(again, body, "{schema}: re-encoded differently");
    // Type-strict: 1 and 1.0 stay apart.
    assert_eq!(serde_json::to_string(&again).unwrap(), serde_json::to_string(&body).unwrap());
    m
}

/// `{"key": {"key": ... }}` `depth` deep, built without recursion.
fn deep(key: &str, depth: usize, leaf: Value) -> Value {
    let mut v = leaf;
    for _ in 0..depth {
        // Not `json!`: it would serialize `v` again, recursively.
        v = Value::Object(std::iter::once((key.to_owned(), v)).collect());
    }
    v
}

/// The same as JSON text, without building the value.
fn deep_text(key: &str, depth: usize) -> String {
    format!("{}1{}", format!("{{\"{key}\": ").repeat(depth), "}".repeat(depth))
}

fn main() {
    // 1. A $ref to a nullable object: a struct and a nullable field; absent, null and an object
    //    all round-trip.
    let info = tasks::nullable_v1::Info { id: Some(Integer::from(7)), extra: Default::default() };
    let m = tasks::NullableV1 { task: Some(Some(info)), extra: Default::default() };
    assert_eq!(m.to_body().unwrap(), json!({"task": {"id": 7}}));
    for body in [json!({}), json!({"task": null}), json!({"task": {"id": 1}}), json!({"task": {"id": 1, "more": [1.5]}})] {
        round_trip("tasks.nullable.v1", body);
    }

    // Recursion: a tree, a nullable self-reference, a nullable named alias, an enum with null.
    round_trip("tasks.tree.v1", json!({"root": {"value": 1, "children": [{"value": 2, "children": [], "next": null}], "next": {"value": 3, "label": null}, "label": "a"}, "spare": null}));
    round_trip("tasks.tree.v1", json!({"root": {"value": 1}, "spare": {"value": 2, "next": {"value": 3}}}));

    // 3. Integers written as 1.0 (an integer from draft-06 on) decode and stay 1.0.
    let m = round_trip("tasks.count.v1", json!({"n": 1.0, "ns": [1, 2.0, -3], "big": 18446744073709551615u64}));
    match m {
        AnyMessage::TasksCountV1(c) => {
            assert_eq!(c.n, 1);
            assert_eq!(c.big.unwrap().as_u64(), Some(u64::MAX));
        }
        other => panic!("{other:?}"),
    }
    let err = AnyMessage::decode(&envelope("tasks.count.v1", "t.c", json!({"n": 1.5}))).unwrap_err();
    assert!(matches!(err, fedora_messaging::DecodeError::Validation(_)), "{err}");

    // 2. No fixed topic: any topic is accepted on receive and kept; sending needs one.
    let env = envelope("tasks.anytopic.v1", "org.fedoraproject.prod.tasks.whatever", json!({"by": "alice"}));
    match AnyMessage::decode(&env).unwrap().unwrap() {
        AnyMessage::TasksAnytopicV1(m) => {
            assert_eq!(m.topic(), "org.fedoraproject.prod.tasks.whatever");
            assert_eq!(m.summary(), "org.fedoraproject.prod.tasks.whatever");
            assert_eq!(m.agent_name().as_deref(), Some("alice"));
            assert_eq!(m.message.by, "alice");
        }
        other => panic!("{other:?}"),
    }
    let bare = tasks::AnytopicV1 { by: "bob".into(), extra: Default::default() };
    let err = Envelope::from_message(&bare).unwrap_err();
    assert!(err.to_string().contains("WithTopic"), "{err}");
    let sent = Envelope::from_message(&WithTopic::new("tasks.mine", bare)).unwrap();
    assert_eq!(sent.topic, "tasks.mine");
    assert_eq!(sent.schema_name(), Some("tasks.anytopic.v1"));

    // A topic built from the body.
    let t = tasks::TemplatedV1 { kind: "build".into(), extra: Default::default() };
    assert_eq!(Envelope::from_message(&t).unwrap().topic, "tasks.build.done");

    // 4. tasks.count.v1 is declared by two packages with the same schema: one message.
    assert_eq!(AnyMessage::SCHEMA_NAMES.iter().filter(|n| **n == "tasks.count.v1").count(), 1);
    let mut registry = Registry::new();
    AnyMessage::register_all(&mut registry).unwrap();

    // Never a crash: 100,000-deep nesting into each recursive type is an error.
    let depth = 100_000;
    let text = deep_text("next", depth);
    assert!(serde_json::from_str::<tasks::tree_v1::Node>(&text).is_err());
    assert!(serde_json::from_str::<tasks::NullableV1>(&deep_text("task", depth)).is_err());
    // From the wire: the parser's own limit refuses it before anything is typed.
    let wire = format!("{{\"root\": {}}}", deep_text("next", depth));
    let err = delivery::receive(&registry, "tasks.tree", Properties::default(), wire.as_bytes()).unwrap_err();
    assert!(matches!(err, delivery::ReceiveError::NotJson { .. }), "{err}");
    // A value built in memory: validation and decoding refuse it without walking it.
    let body = Value::Object(std::iter::once(("root".to_owned(), deep("next", depth, json!({"value": 1})))).collect());
    let mut env = envelope("tasks.tree.v1", "tasks.tree", body);
    let err = AnyMessage::decode(&env).unwrap_err();
    assert!(err.to_string().contains("levels deep"), "{err}");
    let body = std::mem::take(&mut env.body).into_value();
    let direct = tasks::TreeV1::from_body(body, "t", fedora_messaging::Severity::Info);
    assert!(direct.unwrap_err().to_string().contains("levels deep"));
    for (ty, key) in [("tasks.nullable.v1", "task"), ("tasks.tree.v1", "spare")] {
        let body = deep(key, depth, json!(null));
        let m = match ty {
            "tasks.nullable.v1" => tasks::NullableV1::from_body(body, "t", fedora_messaging::Severity::Info).map(|_| ()),
            _ => tasks::TreeV1::from_body(body, "t", fedora_messaging::Severity::Info).map(|_| ()),
        };
        assert!(m.unwrap_err().to_string().contains("levels deep"), "{ty}");
    }
    println!("ok");
}
"#;

#[test]
fn shapes_that_broke_the_generator_generate_compile_and_round_trip() {
    let fixtures = root().join("tests/fixtures/shapes");
    let repo = fedora_messaging_build::Repo::load(&fixtures).unwrap_or_else(|e| panic!("{e}"));
    // The vendored copy of tasks.count.v1 became one message; vendored.own.v1 is still there.
    let names: Vec<&str> = repo
        .messages()
        .map(|(_, m)| m.schema_name.as_str())
        .collect();
    assert_eq!(names.iter().filter(|n| **n == "tasks.count.v1").count(), 1);
    assert!(names.contains(&"vendored.own.v1"));
    let code = fedora_messaging_build::generate(&repo).unwrap_or_else(|e| panic!("{e}"));
    // The nullable object is a struct, not a newtype of itself.
    assert!(code.contains("pub struct Info {"), "{code}");
    assert!(!code.contains("Option<Box<Info>>"), "{code}");

    let work = root().join("target/generator-shapes");
    let binary = build_generated_crate(&work.join("crate"), "shapes", MAIN_RS, &code);
    let out = run(&mut std::process::Command::new(binary));
    assert_eq!(out.trim(), "ok");
}
