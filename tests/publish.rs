//! Publishing against the real RabbitMQ: confirms, the wire form a consumer sees, and every outcome
//! of Python's publish table.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use fedora_messaging::amqp::publish::{PublishError, Publisher};
use fedora_messaging::amqp::wire;
use fedora_messaging::{BaseMessage, Registry};
use lapin::types::AMQPValue;
use serde_json::json;

#[tokio::test]
async fn published_message_arrives_with_pythons_wire_form() {
    let (_c, ch) = common::raw_channel().await;
    let topic = format!("{}.hello", common::unique("t"));
    let q = common::bound_queue(&ch, &format!("org.example.prod.{topic}")).await;
    let publisher = Publisher::new(common::config(
        "topic_prefix = \"org.example.prod.\"\npublish_priority = 5",
    ));
    let msg = BaseMessage::new(topic.as_str(), json!({"name": "Zoë", "n": 1}));
    let env = publisher.publish(&msg).await.unwrap();

    let got = common::get(&ch, &q).await;
    assert_eq!(
        got.delivery.routing_key.as_str(),
        format!("org.example.prod.{topic}")
    );
    assert_eq!(got.delivery.data, br#"{"name": "Zo\u00eb", "n": 1}"#);
    let p = &got.delivery.properties;
    assert_eq!(
        p.content_type().as_ref().unwrap().as_str(),
        "application/json"
    );
    assert_eq!(p.content_encoding().as_ref().unwrap().as_str(), "utf-8");
    assert_eq!(*p.delivery_mode(), Some(2));
    assert_eq!(*p.priority(), Some(5));
    assert_eq!(
        p.message_id().as_ref().unwrap().as_str(),
        env.id.as_deref().unwrap()
    );
    let headers = p.headers().as_ref().unwrap().inner();
    // The AMQP types pika writes: S for strings, I for ints.
    assert!(matches!(
        headers["fedora_messaging_schema"],
        AMQPValue::LongString(_)
    ));
    assert_eq!(headers["fedora_messaging_severity"], AMQPValue::LongInt(20));
    assert_eq!(headers["priority"], AMQPValue::LongInt(5));
    // Every header arrives as it was built.
    assert_eq!(wire::from_basic_properties(p).headers.unwrap(), env.headers);
    common::delete_queue(&ch, &q).await;
    publisher.close().await;
}

#[tokio::test]
async fn many_publishes_in_flight_are_all_confirmed() {
    let (_c, ch) = common::raw_channel().await;
    let topic = format!("{}.bulk", common::unique("t"));
    let q = common::bound_queue(&ch, &topic).await;
    let publisher = Arc::new(Publisher::new(common::config("")));
    let n = 500;
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let p = Arc::clone(&publisher);
            let topic = topic.clone();
            tokio::spawn(async move { p.publish(&BaseMessage::new(topic, json!({"i": i}))).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    // Every confirmed message is in the queue.
    let mut depth = 0;
    for _ in 0..50 {
        depth = common::depth(&ch, &q).await;
        if depth == n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(depth, n);
    common::delete_queue(&ch, &q).await;
}

#[tokio::test]
async fn unroutable_is_returned_in_mandatory_mode_only() {
    let topic = format!("{}.nobody.listens", common::unique("t"));
    let msg = BaseMessage::new(topic.as_str(), json!({}));
    // Python's behaviour: the broker drops it silently, publish succeeds.
    Publisher::new(common::config(""))
        .publish(&msg)
        .await
        .unwrap();
    let err = Publisher::new(common::config(""))
        .mandatory(true)
        .publish(&msg)
        .await
        .unwrap_err();
    assert!(matches!(err, PublishError::Returned { .. }), "{err:?}");
    assert!(
        err.to_string().contains("NO_ROUTE") || err.to_string().contains("312"),
        "{err}"
    );
}

#[tokio::test]
async fn forbidden_without_write_permission_fails_at_once() {
    let (user, pass) = common::read_only_user();
    let config = fedora_messaging::amqp::config::Config::from_toml(&format!(
        "amqp_url = \"amqp://{user}:{pass}@127.0.0.1:5672/%2F\""
    ))
    .unwrap();
    let publisher = Publisher::new(config).timeout(Duration::from_secs(20));
    let start = Instant::now();
    let err = publisher
        .publish(&BaseMessage::new("fm.test.forbidden", json!({})))
        .await
        .unwrap_err();
    assert!(matches!(err, PublishError::Forbidden { .. }), "{err:?}");
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "no retry until the timeout: {:?}",
        start.elapsed()
    );
    assert!(!err.to_string().contains(pass), "{err}");
}

#[tokio::test]
async fn nothing_listening_times_out_with_the_reason() {
    // A port where nothing listens: bind one, then free it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = fedora_messaging::amqp::config::Config::from_toml(&format!(
        "amqp_url = \"amqp://bob:hunter2@127.0.0.1:{port}/%2F\""
    ))
    .unwrap();
    let publisher = Publisher::new(config).timeout(Duration::from_millis(1500));
    let start = Instant::now();
    let err = publisher
        .publish(&BaseMessage::new("fm.test.timeout", json!({})))
        .await
        .unwrap_err();
    let elapsed = start.elapsed();
    assert!(matches!(err, PublishError::Timeout { .. }), "{err:?}");
    assert!(
        elapsed >= Duration::from_millis(1400) && elapsed < Duration::from_secs(5),
        "{elapsed:?}"
    );
    let text = err.to_string();
    assert!(
        text.starts_with("publishing timed out after waiting 1.5 seconds"),
        "{text}"
    );
    assert!(!text.contains("hunter2"), "{text}");
}

#[tokio::test]
async fn invalid_messages_are_not_sent() {
    let (_c, ch) = common::raw_channel().await;
    let topic = format!("{}.invalid", common::unique("t"));
    let q = common::bound_queue(&ch, &topic).await;
    let publisher = Publisher::new(common::config("")).registry(Arc::new(Registry::new()));
    let env =
        fedora_messaging::Envelope::from_message(&BaseMessage::new(topic.as_str(), json!([1, 2])))
            .unwrap();
    let err = publisher.publish_envelope(&env).await.unwrap_err();
    assert!(matches!(err, PublishError::Validation(_)), "{err:?}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(common::depth(&ch, &q).await, 0);
    common::delete_queue(&ch, &q).await;
}
