//! What the AMQP benchmarks share: the local broker, the queue they use, and our publish loop.

// Each bench takes the part it needs.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use fedora_messaging::amqp::config::Config;
use fedora_messaging::amqp::publish::Publisher;
use futures_util::stream::{FuturesUnordered, StreamExt};
use lapin::options::{QueueBindOptions, QueueDeclareOptions, QueuePurgeOptions};
use lapin::types::FieldTable;
use lapin::{Channel, Connection, ConnectionProperties};

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

/// The durable queue every run uses, bound and empty; returns how many messages it held.
pub(crate) async fn fresh_queue(ch: &Channel) -> u32 {
    let durable = QueueDeclareOptions {
        durable: true,
        ..QueueDeclareOptions::default()
    };
    ch.queue_declare(QUEUE.into(), durable, FieldTable::default())
        .await
        .unwrap();
    ch.queue_bind(
        QUEUE.into(),
        "amq.topic".into(),
        ROUTING_KEY.into(),
        QueueBindOptions::default(),
        FieldTable::default(),
    )
    .await
    .unwrap();
    ch.queue_purge(QUEUE.into(), QueuePurgeOptions::default())
        .await
        .unwrap()
}

/// Messages waiting in the queue.
pub(crate) async fn depth(ch: &Channel) -> u32 {
    let passive = QueueDeclareOptions {
        passive: true,
        ..QueueDeclareOptions::default()
    };
    ch.queue_declare(QUEUE.into(), passive, FieldTable::default())
        .await
        .unwrap()
        .message_count()
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
    our_publish(&publisher, &message(size), n, 1000).await;
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
