//! What the AMQP benchmarks share: the local broker, the queue they use, and our publish loop.

// Each bench takes the part it needs.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use fedora_messaging::amqp::config::Config;
use fedora_messaging::amqp::publish::Publisher;
use fedora_messaging::amqp::{delivery, wire};
use fedora_messaging::Envelope;
use futures_util::stream::{FuturesUnordered, StreamExt};
use lapin::options::{
    BasicPublishOptions, QueueBindOptions, QueueDeclareOptions, QueuePurgeOptions,
};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties};

use crate::bench_message::{message, BenchMessageV1};

pub(crate) const URL: &str = "amqp://guest:guest@127.0.0.1:5672/%2F";
/// Routing keys get this prefix (`topic_prefix`), so nothing here reaches the Python baseline's
/// queues (bound to `bench.#`).
pub(crate) const PREFIX: &str = "fmrs";
pub(crate) const ROUTING_KEY: &str = "fmrs.bench.publish";
pub(crate) const QUEUE: &str = "fmrs_bench";
pub(crate) fn config(prefetch: u16) -> Config {
    Config::from_toml(&format!(
        "amqp_url = \"{URL}\"\ntopic_prefix = \"{PREFIX}\"\n[client_properties]\napp = \"fmrs-bench\"\n\
         [qos]\nprefetch_size = 0\nprefetch_count = {prefetch}\n"
    ))
    .unwrap()
}

pub(crate) async fn channel() -> (Connection, Channel) {
    let conn = Connection::connect(URL, ConnectionProperties::default())
        .await
        .expect("RabbitMQ on 127.0.0.1:5672 (scripts/rabbitmq starts it)");
    let ch = conn.create_channel().await.unwrap();
    (conn, ch)
}

/// Confirms in flight in the pipelined runs.
pub(crate) const WINDOW: usize = 1000;
/// Publish runs alternate the implementations in this many blocks, each first in turn.
pub(crate) const BLOCKS: usize = 6;

/// The durable queue every run uses, bound and empty; returns how many messages it held.
pub(crate) async fn fresh_queue(ch: &Channel) -> u32 {
    fresh_queue_named(ch, QUEUE, ROUTING_KEY).await
}

/// A durable queue `queue` bound to `amq.topic` with `key`, declared if needed and emptied;
/// returns how many messages it held.
pub(crate) async fn fresh_queue_named(ch: &Channel, queue: &str, key: &str) -> u32 {
    let durable = QueueDeclareOptions {
        durable: true,
        ..QueueDeclareOptions::default()
    };
    ch.queue_declare(queue.into(), durable, FieldTable::default())
        .await
        .unwrap();
    ch.queue_bind(
        queue.into(),
        "amq.topic".into(),
        key.into(),
        QueueBindOptions::default(),
        FieldTable::default(),
    )
    .await
    .unwrap();
    ch.queue_purge(queue.into(), QueuePurgeOptions::default())
        .await
        .unwrap()
}

/// Messages waiting in the queue.
pub(crate) async fn depth(ch: &Channel) -> u32 {
    depth_of(ch, QUEUE).await
}

/// Messages waiting in `queue`.
pub(crate) async fn depth_of(ch: &Channel, queue: &str) -> u32 {
    let passive = QueueDeclareOptions {
        passive: true,
        ..QueueDeclareOptions::default()
    };
    ch.queue_declare(queue.into(), passive, FieldTable::default())
        .await
        .unwrap()
        .message_count()
}

/// What one publish of `msg` by ours puts on the wire, for the bare lapin loop to send: the body
/// (asserted to be `size` bytes, as the baseline's) and the properties, headers included. The
/// envelope comes along for the other clients' properties.
pub(crate) fn traffic(msg: &BenchMessageV1, size: usize) -> (Traffic, Envelope) {
    let env = Envelope::builder(msg).build().unwrap();
    let body = env.body_bytes();
    assert_eq!(
        body.len(),
        size,
        "the body is exactly SIZE bytes, as the baseline's"
    );
    let props = wire::to_basic_properties(&delivery::properties(&env)).unwrap();
    ((body, props), env)
}

/// The body and properties the bare lapin loop sends.
pub(crate) type Traffic = (Vec<u8>, BasicProperties);

/// Bare lapin: `n` times the same bytes (body and properties, headers included, computed once) to
/// `amq.topic` with `routing_key`, one confirm awaited at a time or `window` in flight.
pub(crate) async fn bare_publish(
    ch: &Channel,
    routing_key: &str,
    n: usize,
    (body, props): &Traffic,
    window: usize,
) -> Duration {
    let started = Instant::now();
    let mut in_flight = FuturesUnordered::new();
    for _ in 0..n {
        let confirm = ch
            .basic_publish(
                "amq.topic".into(),
                routing_key.into(),
                BasicPublishOptions::default(),
                body,
                props.clone(),
            )
            .await
            .unwrap();
        in_flight.push(confirm);
        if in_flight.len() >= window {
            assert!(in_flight.next().await.unwrap().unwrap().is_ack());
        }
    }
    while let Some(c) = in_flight.next().await {
        assert!(c.unwrap().is_ack());
    }
    started.elapsed()
}

/// Prints one measure: `line` with the per-message `cost` fields added.
pub(crate) fn emit_measure(
    mut line: serde_json::Value,
    cost: serde_json::Map<String, serde_json::Value>,
) {
    if let Some(fields) = line.as_object_mut() {
        fields.extend(cost);
    }
    emit(line);
}

pub(crate) fn emit(line: serde_json::Value) {
    println!("{line}");
}

/// Ours: `n` typed messages through `Publisher::publish` (envelope, headers, validation, confirm),
/// `window` at a time.
pub(crate) async fn our_publish(
    publisher: &Publisher,
    msg: &BenchMessageV1,
    n: usize,
    window: usize,
) -> Duration {
    let started = Instant::now();
    let mut in_flight = FuturesUnordered::new();
    for _ in 0..n {
        in_flight.push(publisher.publish(msg));
        if in_flight.len() >= window {
            in_flight.next().await.unwrap().unwrap();
        }
    }
    while let Some(r) = in_flight.next().await {
        r.unwrap();
    }
    started.elapsed()
}

pub(crate) async fn prefill(n: usize, size: usize) {
    // Valid, complete messages (headers included), as a real producer of this crate sends them.
    let publisher = Publisher::new(config(10));
    let (conn, ch) = channel().await;
    fresh_queue(&ch).await;
    // 1,000 confirms in flight: the pipelined publish of amqp.rs.
    our_publish(&publisher, &message(size), n, WINDOW).await;
    assert_eq!(depth(&ch).await as usize, n);
    publisher.close().await;
    let _ = conn.close(200, "ok".into()).await;
}

/// The command line after the program name, without the `--bench` that `cargo bench` appends.
pub(crate) fn args() -> Vec<String> {
    std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect()
}

/// A count from the command line.
pub(crate) fn num(s: &str) -> usize {
    s.parse().expect("a number")
}
