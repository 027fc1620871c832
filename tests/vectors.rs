//! The test vectors V1–V4 and the receive table of the fedora-messaging 3.9.1 contract
//! (its "Test vectors" section), reproduced byte for byte where Python's output is
//! deterministic (the id and `sent-at` are pinned here; Python makes them fresh).

#![allow(clippy::unwrap_used)] // test helpers: a panic is the failure report

use std::borrow::Cow;

use fedora_messaging::amqp::delivery::{self, Properties, ReceiveError};
use fedora_messaging::{lines, BaseMessage, Decoded, Envelope, Message, Registry, Severity};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

const ID: &str = "8d4a8f59-58a4-4ef2-a5d3-16c3c8d2b3a1";
const SENT_AT: &str = "2024-05-01T12:34:56+00:00";

fn v1_message() -> BaseMessage {
    BaseMessage::new(
        "hello.world",
        json!({"name": "Zoë", "n": 1, "ok": true, "list": [1, 2.5, null]}),
    )
}

fn v1() -> Envelope {
    Envelope::builder(&v1_message())
        .id(ID)
        .sent_at_text(SENT_AT)
        .build()
        .unwrap()
}

/// Header names and their AMQP type letters as pika writes them: S string, I int32, t bool.
fn typed_headers(env: &Envelope) -> Vec<(String, &'static str, Value)> {
    env.headers
        .iter()
        .map(|(k, v)| {
            let t = match v {
                Value::String(_) => "S",
                Value::Bool(_) => "t",
                Value::Number(n) if n.as_i64().is_some_and(|i| i32::try_from(i).is_ok()) => "I",
                other => panic!("unexpected header type for {k}: {other}"),
            };
            (k.clone(), t, v.clone())
        })
        .collect()
}

#[test]
fn v1_base_message_default_config() {
    let env = v1();
    assert_eq!(env.routing_key("").unwrap(), "hello.world");
    assert_eq!(env.content_type.as_deref(), Some("application/json"));
    assert_eq!(env.content_encoding.as_deref(), Some("utf-8"));
    assert_eq!(env.delivery_mode, Some(2));
    assert_eq!(env.id.as_deref(), Some(ID));
    assert_eq!(env.priority, None, "priority property absent by default");
    assert_eq!(
        typed_headers(&env),
        vec![
            ("fedora_messaging_schema".into(), "S", json!("base.message")),
            (
                "fedora_messaging_schema_package".into(),
                "S",
                json!("fedora_messaging")
            ),
            ("sent-at".into(), "S", json!(SENT_AT)),
            ("fedora_messaging_severity".into(), "I", json!(20)),
            ("priority".into(), "I", json!(0)),
        ]
    );
    assert_eq!(
        env.body_bytes(),
        br#"{"name": "Zo\u00eb", "n": 1, "ok": true, "list": [1, 2.5, null]}"#
    );
    env.validate_base().unwrap();
}

#[test]
fn v1_fresh_id_and_sent_at_have_pythons_shape() {
    let env = Envelope::from_message(&v1_message()).unwrap();
    let id = env.id.unwrap();
    assert_eq!(uuid_version(&id), Some(4), "{id}");
    let sent_at = env.headers["sent-at"].as_str().unwrap();
    // 2024-05-01T12:34:56+00:00: seconds precision, explicit +00:00.
    assert_eq!(sent_at.len(), 25, "{sent_at}");
    assert!(
        sent_at.ends_with("+00:00") && !sent_at.contains('.'),
        "{sent_at}"
    );
}

fn uuid_version(id: &str) -> Option<u32> {
    let parts: Vec<&str> = id.split('-').collect();
    let lens: Vec<usize> = parts.iter().map(|p| p.len()).collect();
    (lens == [8, 4, 4, 4, 12] && id == id.to_lowercase())
        .then(|| parts[2].chars().next()?.to_digit(16))
        .flatten()
}

#[test]
fn v2_topic_prefix_and_publish_priority() {
    let msg = BaseMessage::new("bodhi.update.request", json!({}));
    let env = Envelope::builder(&msg)
        .priority(Some(5))
        .id(ID)
        .sent_at_text(SENT_AT)
        .build()
        .unwrap();
    assert_eq!(
        env.routing_key("org.fedoraproject.prod.").unwrap(),
        "org.fedoraproject.prod.bodhi.update.request"
    );
    assert_eq!(
        env.topic, "bodhi.update.request",
        "the prefix is on the routing key only"
    );
    assert_eq!(env.priority, Some(5));
    assert_eq!(env.headers["priority"], json!(5));
    assert_eq!(env.body_bytes(), b"{}");
}

/// V3's schema class, written by hand as a Python schema package would: `groups` is constant.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct BuildCompleteV1 {
    owner: String,
    package: String,
    status: String,
}

impl Message for BuildCompleteV1 {
    const SCHEMA_NAME: &'static str = "demo.build.completeV1";
    const SCHEMA_PACKAGE: Option<&'static str> = Some("demo_messages");
    const TOPIC: Option<&'static str> = Some("demo.build.complete.v1");
    const SEVERITY: Severity = Severity::Warning;

    fn body_schema() -> Value {
        json!({
            "$schema": "http://json-schema.org/draft-04/schema#",
            "type": "object",
            "required": ["owner", "package", "status"],
            "properties": {
                "owner": {"type": "string"},
                "package": {"type": "string"},
                "status": {"type": "string", "enum": ["succeeded", "failed"]}
            }
        })
    }
    fn to_body(&self) -> Result<Value, serde_json::Error> {
        serde_json::to_value(self)
    }
    fn from_body(body: Value, _: &str, _: Severity) -> Result<Self, serde_json::Error> {
        serde_json::from_value(body)
    }
    fn usernames(&self) -> Vec<String> {
        vec![self.owner.clone()]
    }
    fn packages(&self) -> Vec<String> {
        vec![self.package.clone()]
    }
    fn groups(&self) -> Vec<String> {
        vec!["packager".into()]
    }
    fn agent_name(&self) -> Option<String> {
        Some(self.owner.clone())
    }
    fn topic(&self) -> Cow<'_, str> {
        Cow::Borrowed("demo.build.complete.v1")
    }
}

fn v3() -> (BuildCompleteV1, Envelope) {
    let msg = BuildCompleteV1 {
        owner: "alice".into(),
        package: "python-requests".into(),
        status: "failed".into(),
    };
    let env = Envelope::builder(&msg)
        .header("x-custom", "yes")
        .id(ID)
        .sent_at_text(SENT_AT)
        .build()
        .unwrap();
    (msg, env)
}

#[test]
fn v3_schema_class_with_filter_headers() {
    let (msg, env) = v3();
    assert_eq!(env.routing_key("").unwrap(), "demo.build.complete.v1");
    assert_eq!(
        typed_headers(&env),
        vec![
            ("x-custom".into(), "S", json!("yes")),
            (
                "fedora_messaging_schema".into(),
                "S",
                json!("demo.build.completeV1")
            ),
            (
                "fedora_messaging_schema_package".into(),
                "S",
                json!("demo_messages")
            ),
            ("sent-at".into(), "S", json!(SENT_AT)),
            ("fedora_messaging_severity".into(), "I", json!(30)),
            ("priority".into(), "I", json!(0)),
            ("fedora_messaging_user_alice".into(), "t", json!(true)),
            ("fedora_messaging_group_packager".into(), "t", json!(true)),
            (
                "fedora_messaging_rpm_python-requests".into(),
                "t",
                json!(true)
            ),
        ]
    );
    assert_eq!(
        env.body_bytes(),
        br#"{"owner": "alice", "package": "python-requests", "status": "failed"}"#
    );
    // What Python 3.9.1's schema_utils.user_avatar_url("alice") returns.
    assert_eq!(
        msg.agent_avatar().unwrap(),
        "https://seccdn.libravatar.org/avatar/\
         a0959c4107be84e9b14e1aad2a5ae2d813c0a6f88b501b4ab335b992cf5f4b1e?s=64&d=retro"
    );
    env.validate_as::<BuildCompleteV1>().unwrap();
}

#[test]
fn v4_serialized_line() {
    let line = lines::dumps(&v1());
    let want = format!(
        "{{\"body\": {{\"list\": [1, 2.5, null], \"n\": 1, \"name\": \"Zoë\", \"ok\": true}}, \
         \"headers\": {{\"fedora_messaging_schema\": \"base.message\", \"fedora_messaging_schema_package\": \"fedora_messaging\", \
         \"fedora_messaging_severity\": 20, \"priority\": 0, \"sent-at\": \"{SENT_AT}\"}}, \
         \"id\": \"{ID}\", \"priority\": 0, \"queue\": null, \"topic\": \"hello.world\"}}\n"
    );
    assert_eq!(line, want);
    // Read back, it is the same message with the same id and sent-at.
    let back = lines::loads(&line).unwrap();
    assert_eq!(back.len(), 1);
    assert!(back[0].same_message(&v1()));
    assert_eq!(back[0].id.as_deref(), Some(ID));
    assert_eq!(back[0].sent_at(), Some(SENT_AT));
    // Written again, the line is identical.
    assert_eq!(lines::dumps(&back[0]), want);
}

// ---- the receive table ----

fn registry() -> Registry {
    Registry::new().with::<BuildCompleteV1>().unwrap()
}

#[test]
fn receive_no_properties_at_all() {
    let got = delivery::receive(&registry(), "a.b", Properties::default(), br#"{"x":1}"#).unwrap();
    let Decoded::Unknown { envelope } = &got else {
        panic!("expected the base fallback, got {got:?}")
    };
    assert_eq!(envelope.severity(), Severity::Info);
    assert_eq!(envelope.id, None);
    assert_eq!(envelope.topic, "a.b");
    assert_eq!(envelope.body, json!({"x": 1}));
}

#[test]
fn receive_non_object_body_is_rejected() {
    let err = delivery::receive(&registry(), "a.b", Properties::default(), b"[1,2]").unwrap_err();
    let ReceiveError::Validation(v) = &err else {
        panic!("{err:?}")
    };
    assert!(
        v.summary().contains("[1,2] is not of type \"object\""),
        "{}",
        v.summary()
    );
}

#[test]
fn receive_severity_25_is_rejected() {
    let props = Properties {
        headers: Some(
            json!({"fedora_messaging_schema": "base.message", "fedora_messaging_severity": 25})
                .as_object()
                .unwrap()
                .clone(),
        ),
        ..Properties::default()
    };
    let err = delivery::receive(&registry(), "a.b", props, b"{}").unwrap_err();
    let ReceiveError::Validation(v) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(v.violations[0].instance_path, "/fedora_messaging_severity");
    assert!(v.summary().contains("25 is not one of"), "{}", v.summary());
}

#[test]
fn receive_bad_utf8_is_rejected() {
    let err = delivery::receive(
        &registry(),
        "a.b",
        Properties::default(),
        b"{\"a\": \"\xff\"}",
    )
    .unwrap_err();
    assert!(
        matches!(err, ReceiveError::BadEncoding { offset: 7, .. }),
        "{err:?}"
    );
}

#[test]
fn receive_not_json_is_rejected() {
    let err = delivery::receive(&registry(), "a.b", Properties::default(), b"hello").unwrap_err();
    assert!(
        matches!(err, ReceiveError::NotJson { line: 1, .. }),
        "{err:?}"
    );
}

#[test]
fn receive_unknown_schema_falls_back_to_base() {
    let props = Properties {
        headers: Some(
            json!({"fedora_messaging_schema": "nobody.knowsV1", "fedora_messaging_schema_package": "nobody_messages"})
                .as_object()
                .unwrap()
                .clone(),
        ),
        ..Properties::default()
    };
    let got = delivery::receive(&registry(), "x.y", props.clone(), b"{\"k\": 1}").unwrap();
    assert!(matches!(got, Decoded::Unknown { .. }), "{got:?}");
    // Still checked against the base schemas.
    assert!(delivery::receive(&registry(), "x.y", props, b"\"str\"").is_err());
}

#[test]
fn receive_known_schema_is_typed_and_validated() {
    let (msg, env) = v3();
    let props = delivery::properties(&env);
    let got = delivery::receive(
        &registry(),
        "demo.build.complete.v1",
        props.clone(),
        &env.body_bytes(),
    )
    .unwrap();
    assert_eq!(got.downcast_ref::<BuildCompleteV1>(), Some(&msg));
    assert_eq!(got.envelope().headers, env.headers);
    // The same headers with a body that breaks the class schema are rejected.
    let err = delivery::receive(
        &registry(),
        "demo.build.complete.v1",
        props,
        br#"{"owner": "a", "package": "p", "status": "exploded"}"#,
    )
    .unwrap_err();
    let ReceiveError::Validation(v) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(v.schema_name, "demo.build.completeV1");
    assert_eq!(v.violations[0].instance_path, "/status");
}

#[test]
fn non_ascii_body_is_accepted_escaped_or_raw() {
    let reg = registry();
    for body in [
        r#"{"name": "Zo\u00eb"}"#.as_bytes(),
        "{\"name\": \"Zoë\"}".as_bytes(),
    ] {
        let got = delivery::receive(&reg, "a.b", Properties::default(), body).unwrap();
        assert_eq!(got.envelope().body["name"], "Zoë");
    }
}
