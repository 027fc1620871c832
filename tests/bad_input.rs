//! Every malformed delivery we could think of, sent raw to a real queue: each gets its documented
//! outcome (rejected before the handler, or delivered untyped), never a panic, and never an ack of
//! a message the handler did not see. The queue drains to zero either way.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fedora_messaging::amqp::config::QueueConfig;
use fedora_messaging::amqp::consume::{Consumer, HandlerError, Received};
use fedora_messaging::{Message, Registry};
use lapin::types::{AMQPValue, FieldTable, LongString};
use lapin::BasicProperties;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize, JsonSchema, Message)]
#[message(schema = "fmtest.otherappV1", topic = "fmtest.other.v1")]
struct OtherApp {
    build_id: u64,
}

/// What must happen to a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Rejected without requeue; the handler never sees it.
    Rejected,
    /// Handed to the handler untyped (base schema only).
    Untyped,
    /// Handed to the handler as its registered type.
    Typed,
}

fn headers(pairs: &[(&str, AMQPValue)]) -> FieldTable {
    let mut t = FieldTable::default();
    for (k, v) in pairs {
        t.insert((*k).into(), v.clone());
    }
    t
}

fn s(v: &str) -> AMQPValue {
    AMQPValue::LongString(LongString::from(v))
}

#[tokio::test]
async fn every_malformed_delivery_gets_its_documented_outcome() {
    let deep = format!("{}{}", "{\"a\":".repeat(10_000), "}".repeat(10_000));
    let huge = format!("{{\"blob\": \"{}\"}}", "x".repeat(8 * 1024 * 1024));
    let with_schema = |name: &str| {
        BasicProperties::default().with_headers(headers(&[("fedora_messaging_schema", s(name))]))
    };
    let cases: Vec<(&str, BasicProperties, Vec<u8>, Outcome)> = vec![
        (
            "no properties, valid body",
            BasicProperties::default(),
            b"{\"x\": 1}".to_vec(),
            Outcome::Untyped,
        ),
        (
            "no schema header",
            BasicProperties::default().with_headers(FieldTable::default()),
            b"{}".to_vec(),
            Outcome::Untyped,
        ),
        (
            "unknown schema",
            with_schema("nobody.knowsV1"),
            b"{}".to_vec(),
            Outcome::Untyped,
        ),
        (
            "known schema, valid body",
            with_schema("fmtest.otherappV1"),
            b"{\"build_id\": 7}".to_vec(),
            Outcome::Typed,
        ),
        (
            "schema of another app, wrong body",
            with_schema("fmtest.otherappV1"),
            b"{\"owner\": \"a\"}".to_vec(),
            Outcome::Rejected,
        ),
        (
            "body not JSON",
            BasicProperties::default(),
            b"hello".to_vec(),
            Outcome::Rejected,
        ),
        (
            "body not an object",
            BasicProperties::default(),
            b"[1, 2]".to_vec(),
            Outcome::Rejected,
        ),
        (
            "body a bare string",
            BasicProperties::default(),
            b"\"s\"".to_vec(),
            Outcome::Rejected,
        ),
        (
            "body not UTF-8",
            BasicProperties::default(),
            b"{\"a\": \"\xff\xfe\"}".to_vec(),
            Outcome::Rejected,
        ),
        (
            "empty body",
            BasicProperties::default(),
            Vec::new(),
            Outcome::Rejected,
        ),
        (
            "JSON nested 10,000 deep",
            BasicProperties::default(),
            deep.into_bytes(),
            Outcome::Rejected,
        ),
        (
            "8 MiB body",
            BasicProperties::default(),
            huge.into_bytes(),
            Outcome::Untyped,
        ),
        (
            "severity 25",
            BasicProperties::default().with_headers(headers(&[(
                "fedora_messaging_severity",
                AMQPValue::LongInt(25),
            )])),
            b"{}".to_vec(),
            Outcome::Rejected,
        ),
        (
            "severity as a string",
            BasicProperties::default()
                .with_headers(headers(&[("fedora_messaging_severity", s("20"))])),
            b"{}".to_vec(),
            Outcome::Rejected,
        ),
        (
            "severity as a 16-bit int",
            BasicProperties::default().with_headers(headers(&[(
                "fedora_messaging_severity",
                AMQPValue::ShortInt(30),
            )])),
            b"{}".to_vec(),
            Outcome::Untyped,
        ),
        (
            "schema header is an int",
            BasicProperties::default().with_headers(headers(&[(
                "fedora_messaging_schema",
                AMQPValue::LongInt(5),
            )])),
            b"{}".to_vec(),
            Outcome::Rejected,
        ),
        (
            "sent-at is a bool",
            BasicProperties::default()
                .with_headers(headers(&[("sent-at", AMQPValue::Boolean(true))])),
            b"{}".to_vec(),
            Outcome::Rejected,
        ),
        (
            "filter header with a string value",
            BasicProperties::default()
                .with_headers(headers(&[("fedora_messaging_user_bob", s("yes"))])),
            b"{}".to_vec(),
            Outcome::Untyped,
        ),
        (
            "headers of exotic AMQP types",
            BasicProperties::default().with_headers(headers(&[
                ("x-bytes", AMQPValue::ByteArray(b"\x00\xff".to_vec().into())),
                ("x-time", AMQPValue::Timestamp(1_700_000_000)),
                (
                    "x-dec",
                    AMQPValue::DecimalValue(lapin::types::DecimalValue { scale: 3, value: 1 }),
                ),
                ("x-void", AMQPValue::Void),
            ])),
            b"{}".to_vec(),
            Outcome::Untyped,
        ),
        (
            "content encoding latin-1",
            BasicProperties::default().with_content_encoding("latin-1".into()),
            b"{\"name\": \"Zo\xeb\"}".to_vec(),
            Outcome::Untyped,
        ),
        (
            "unknown content encoding",
            BasicProperties::default().with_content_encoding("rot13".into()),
            b"{}".to_vec(),
            Outcome::Rejected,
        ),
    ];

    let topic = format!("{}.bad", common::unique("t"));
    let queue = common::unique("fm-bad");
    let registry = Arc::new(Registry::new().with::<OtherApp>().unwrap());
    let consumer = Consumer::new(common::config(""))
        .queue(&queue, QueueConfig::shared(), "amq.topic", &[&topic])
        .registry(registry);
    let stop = consumer.stop_handle();
    let seen: Arc<Mutex<BTreeMap<String, Outcome>>> = Arc::default();
    let seen2 = Arc::clone(&seen);
    let run = tokio::spawn(consumer.run(move |m: Received| {
        let seen = Arc::clone(&seen2);
        async move {
            let case = m.envelope().id.clone().unwrap_or_default();
            let how = if m
                .message()
                .is_some_and(|t| t.dyn_schema_name() != "base.message")
            {
                Outcome::Typed
            } else {
                Outcome::Untyped
            };
            seen.lock().unwrap().insert(case, how);
            Ok::<(), HandlerError>(())
        }
    }));
    let (conn, ch) = common::raw_channel().await;
    common::wait_for_queue(&conn, &queue).await;
    // Each case carries its name as message id, so the handler can say which it saw.
    for (name, props, body, _) in &cases {
        let props = props.clone().with_message_id((*name).into());
        common::publish_raw(&ch, &topic, body, props).await;
    }
    let expected_handled = cases.iter().filter(|c| c.3 != Outcome::Rejected).count();
    for _ in 0..400 {
        if seen.lock().unwrap().len() == expected_handled && common::depth(&ch, &queue).await == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    // Give a wrongly delivered rejected case time to show up before checking.
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.stop();
    run.await.unwrap().unwrap();
    let seen = seen.lock().unwrap().clone();
    let mut wrong = Vec::new();
    for (name, _, _, want) in &cases {
        let got = seen.get(*name).copied().unwrap_or(Outcome::Rejected);
        println!("{name:40} -> {got:?}");
        if got != *want {
            wrong.push(format!("{name}: expected {want:?}, got {got:?}"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert_eq!(
        common::depth(&ch, &queue).await,
        0,
        "every delivery was settled"
    );
    common::delete_queue(&ch, &queue).await;
}

/// The sending side of the table: what a publisher must refuse with a typed error before
/// anything reaches the broker.
#[tokio::test]
async fn bad_outgoing_messages_are_refused_before_sending() {
    use fedora_messaging::amqp::publish::{PublishError, Publisher};
    use fedora_messaging::headers::HeaderError;
    use fedora_messaging::topic::TopicError;
    use fedora_messaging::{BaseMessage, BuildError, Envelope};
    use serde_json::json;

    let (conn, ch) = common::raw_channel().await;
    let queue = common::bound_queue(&ch, "fmtest.badout.#").await;
    let publisher = Publisher::new(common::config(""));

    // A topic over 255 bytes: AMQP cannot carry it as a routing key.
    let long = format!("fmtest.badout.{}", "x".repeat(242));
    let err = publisher
        .publish(&BaseMessage::new(long, json!({})))
        .await
        .unwrap_err();
    println!("topic of 256 bytes             -> {err}");
    assert!(
        matches!(
            err,
            PublishError::Build(BuildError::Topic(TopicError::TooLong { len: 256, .. }))
                | PublishError::Topic(TopicError::TooLong { len: 256, .. })
        ),
        "{err:?}"
    );

    // A topic that fits, but not with the configured prefix in front of it.
    let prefixed = Publisher::new(common::config(&format!(
        "topic_prefix = \"{}\"",
        "p".repeat(200)
    )));
    let err = prefixed
        .publish(&BaseMessage::new(
            format!("fmtest.badout.{}", "y".repeat(60)),
            json!({}),
        ))
        .await
        .unwrap_err();
    println!("prefix + topic over 255 bytes  -> {err}");
    assert!(
        matches!(
            err,
            PublishError::Topic(TopicError::TooLong { .. })
                | PublishError::Build(BuildError::Topic(TopicError::TooLong { .. }))
        ),
        "{err:?}"
    );

    // Headers the library sets itself may not be set by the caller (Python overwrites them).
    let msg = BaseMessage::new("fmtest.badout.reserved", json!({}));
    for name in [
        "fedora_messaging_schema",
        "fedora_messaging_user_mallory",
        "sent-at",
        "priority",
    ] {
        let err = Envelope::builder(&msg)
            .header(name, "spoofed")
            .build()
            .unwrap_err();
        println!("user header {name:30} -> {err}");
        assert!(
            matches!(&err, BuildError::Header(HeaderError::Reserved { name: n }) if n == name),
            "{err:?}"
        );
    }

    // Nothing of the above reached the queue; a good message after them does.
    publisher
        .publish(&BaseMessage::new("fmtest.badout.ok", json!({"ok": true})))
        .await
        .unwrap();
    let got = common::get(&ch, &queue).await;
    assert_eq!(got.delivery.routing_key.as_str(), "fmtest.badout.ok");
    assert_eq!(common::depth(&ch, &queue).await, 0);
    common::delete_queue(&ch, &queue).await;
    let _ = conn.close(200, "ok".into()).await;
}
