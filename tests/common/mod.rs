//! Helpers for the tests that talk to the real RabbitMQ on 127.0.0.1:5672 (or `$AMQP_ADDR`).

#![allow(dead_code, clippy::unwrap_used)]

pub(crate) mod datagrepper;
pub(crate) mod python;
pub(crate) mod traffic;

use std::process::Command;
use std::time::Duration;

use fedora_messaging::amqp::config::Config;
use lapin::options::{BasicGetOptions, QueueDeclareOptions, QueueDeleteOptions};
use lapin::types::FieldTable;
use lapin::{Channel, Connection, ConnectionProperties};

/// The broker the tests use.
pub(crate) fn amqp_url() -> String {
    std::env::var("AMQP_ADDR").unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2F".into())
}

/// A configuration for the test broker, plus `extra` TOML.
pub(crate) fn config(extra: &str) -> Config {
    Config::from_toml(&format!("amqp_url = \"{}\"\n{extra}", amqp_url())).unwrap()
}

/// A name no other test uses.
pub(crate) fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

/// A raw lapin channel, for looking at the broker side of a test.
pub(crate) async fn raw_channel() -> (Connection, Channel) {
    let conn = Connection::connect(&amqp_url(), ConnectionProperties::default())
        .await
        .expect("RabbitMQ must run on 127.0.0.1:5672 (scripts/rabbitmq starts it)");
    let ch = conn.create_channel().await.unwrap();
    (conn, ch)
}

/// Declares a durable queue bound to amq.topic for `routing_key`; deleted by [`delete_queue`].
pub(crate) async fn bound_queue(ch: &Channel, routing_key: &str) -> String {
    let name = unique("fm-test");
    ch.queue_declare(
        name.as_str().into(),
        QueueDeclareOptions {
            auto_delete: false,
            durable: false,
            ..QueueDeclareOptions::default()
        },
        FieldTable::default(),
    )
    .await
    .unwrap();
    ch.queue_bind(
        name.as_str().into(),
        "amq.topic".into(),
        routing_key.into(),
        Default::default(),
        FieldTable::default(),
    )
    .await
    .unwrap();
    name
}

/// A passive declare: whether `queue` exists, and its counts.
pub(crate) async fn passive_declare(ch: &Channel, queue: &str) -> lapin::Result<lapin::Queue> {
    ch.queue_declare(
        queue.into(),
        QueueDeclareOptions {
            passive: true,
            ..QueueDeclareOptions::default()
        },
        FieldTable::default(),
    )
    .await
}

/// Messages ready in `queue` (not counting unacked ones).
pub(crate) async fn depth(ch: &Channel, queue: &str) -> u32 {
    passive_declare(ch, queue).await.unwrap().message_count()
}

/// Publishes raw bytes with `props` to amq.topic and waits for the broker's confirm, bypassing
/// this crate entirely (for deliveries it would never send).
pub(crate) async fn publish_raw(
    ch: &Channel,
    topic: &str,
    body: &[u8],
    props: lapin::BasicProperties,
) {
    ch.basic_publish(
        "amq.topic".into(),
        topic.into(),
        lapin::options::BasicPublishOptions::default(),
        body,
        props,
    )
    .await
    .unwrap()
    .await
    .unwrap();
}

/// Takes one message from `queue` (auto-ack), waiting up to 5 s for it.
pub(crate) async fn get(ch: &Channel, queue: &str) -> lapin::message::BasicGetMessage {
    for _ in 0..100 {
        if let Some(m) = ch
            .basic_get(queue.into(), BasicGetOptions { no_ack: true })
            .await
            .unwrap()
        {
            return m;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no message arrived in {queue}");
}

pub(crate) async fn delete_queue(ch: &Channel, queue: &str) {
    let _ = ch
        .queue_delete(queue.into(), QueueDeleteOptions::default())
        .await;
}

/// Runs `rabbitmqctl` with `args`; panics with its output when it fails.
pub(crate) fn rabbitmqctl(args: &[&str]) -> String {
    let out = Command::new("rabbitmqctl")
        .args(args)
        .output()
        .expect("rabbitmqctl must be installed with the broker");
    assert!(
        out.status.success(),
        "rabbitmqctl {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A broker user that may read but not write anything (for PublishForbidden).
pub(crate) fn read_only_user() -> (&'static str, &'static str) {
    let (user, pass) = ("fm-test-readonly", "fm-test-readonly-pw");
    let _ = Command::new("rabbitmqctl")
        .args(["add_user", user, pass])
        .output();
    rabbitmqctl(&["set_permissions", "-p", "/", user, ".*", "^$", ".*"]);
    (user, pass)
}

/// Waits (up to 10 s) until `queue` exists and has a consumer, e.g. until a consumer under test
/// has declared, bound and subscribed to it. Waiting for the consumer, not just the queue, matters:
/// bindings are made after the declare, and a message published in between would be unroutable.
/// Each probe uses a new channel: a failed passive declare closes the channel it ran on. An
/// exclusive queue owned by another connection answers 405; its consumers are then counted with
/// `rabbitmqctl`.
pub(crate) async fn wait_for_queue(conn: &Connection, queue: &str) {
    for _ in 0..400 {
        let probe = conn.create_channel().await.unwrap();
        let ready = match passive_declare(&probe, queue).await {
            Ok(q) => q.consumer_count() > 0,
            Err(e) if matches!(e.kind(), lapin::ErrorKind::ProtocolError(p) if p.get_id() == 405) => {
                consumers_via_ctl(queue) > 0
            }
            Err(_) => false,
        };
        if probe.status().connected() {
            let _ = probe.close(200, "ok".into()).await;
        }
        if ready {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("queue {queue} never appeared with a consumer");
}

/// Consumers of `queue` as `rabbitmqctl list_queues` reports them (0 when not listed).
fn consumers_via_ctl(queue: &str) -> u32 {
    rabbitmqctl(&[
        "list_queues",
        "-q",
        "--no-table-headers",
        "name",
        "consumers",
    ])
    .lines()
    .filter_map(|l| l.split_once('\t'))
    .find(|(name, _)| *name == queue)
    .and_then(|(_, n)| n.trim().parse().ok())
    .unwrap_or(0)
}
