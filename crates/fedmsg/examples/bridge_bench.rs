//! Throughput of the ZeroMQ → AMQP bridge on the local RabbitMQ: a fedmsg publisher sends
//! MESSAGES envelopes (the bodhi sample of `bench/fedmsg`) as fast as the bridge's subscriber
//! takes them, the bridge publishes each to an exchange of its own with a confirm, and the clock
//! stops when the bound queue holds them all. Prints one JSON line.
//!
//! `cargo run --release -p fedmsg --features bridge --example bridge_bench -- MESSAGES`

#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use fedmsg::bridge::settings::Settings;
use fedmsg::bridge::ZmqToAmqp;
use fedmsg::zeromq::{PublishError, Publisher, Settle, SocketOptions};
use fedmsg::{Config, Envelope};
use lapin::options::{QueueBindOptions, QueueDeclareOptions, QueueDeleteOptions};
use lapin::types::FieldTable;
use serde_json::json;

const AMQP_URL: &str = "amqp://guest:guest@127.0.0.1:5672/%2F";

#[tokio::main]
async fn main() {
    let messages: u64 = std::env::args()
        .nth(1)
        .map_or(20_000, |a| a.parse().expect("MESSAGES"));
    let sample = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../bench/fedmsg/sample.json"
    ))
    .unwrap();
    let sample = Envelope::from_json(sample.as_bytes()).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("tcp://127.0.0.1:{port}");
    let exchange = format!("zmq.topic.bench{}", std::process::id());
    let queue = format!("bridge-bench-{}", std::process::id());

    let config =
        Config::from_toml("topic_prefix = \"org.fedoraproject\"\nenvironment = \"prod\"\n")
            .unwrap();
    let amqp =
        fedora_messaging::amqp::Config::from_toml(&format!("amqp_url = \"{AMQP_URL}\"\n")).unwrap();
    let settings = Settings::from_toml(
        &format!("[zmq_to_amqp]\nexchange = \"{exchange}\"\nzmq_endpoints = [\"{endpoint}\"]\n"),
        std::path::Path::new("bench"),
    )
    .unwrap();

    let conn = lapin::Connection::connect(AMQP_URL, lapin::ConnectionProperties::default())
        .await
        .unwrap();
    let ch = conn.create_channel().await.unwrap();
    ch.exchange_declare(
        exchange.as_str().into(),
        lapin::ExchangeKind::Topic,
        // As the bridge declares it.
        lapin::options::ExchangeDeclareOptions {
            durable: true,
            ..Default::default()
        },
        FieldTable::default(),
    )
    .await
    .unwrap();
    ch.queue_declare(
        queue.as_str().into(),
        QueueDeclareOptions::default(),
        FieldTable::default(),
    )
    .await
    .unwrap();
    ch.queue_bind(
        queue.as_str().into(),
        exchange.as_str().into(),
        "#".into(),
        QueueBindOptions::default(),
        FieldTable::default(),
    )
    .await
    .unwrap();

    let publisher = Publisher::bind_endpoints(
        &config,
        "bench",
        std::slice::from_ref(&endpoint),
        SocketOptions::from_config(&config),
    )
    .unwrap();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let bridge = tokio::spawn(
        ZmqToAmqp::new(&config, amqp, settings.zmq_to_amqp)
            .validate_signatures(false)
            .run(async move {
                let _ = stop_rx.await;
            }),
    );
    publisher
        .settle(Settle::Subscribers {
            count: 1,
            timeout: Duration::from_secs(30),
        })
        .await
        .unwrap();

    let start = Instant::now();
    let mut refused = 0u64;
    for i in 0..messages {
        let mut env = sample.clone();
        env.msg_id = None;
        env.i = Some(i + 1);
        loop {
            match publisher.send(env.clone()) {
                Ok(_) => break,
                Err(PublishError::HighWaterMark { .. }) => {
                    refused += 1;
                    tokio::task::yield_now().await;
                }
                Err(e) => panic!("{e}"),
            }
        }
    }
    let sent = start.elapsed();
    loop {
        let q = ch
            .queue_declare(
                queue.as_str().into(),
                QueueDeclareOptions {
                    passive: true,
                    ..QueueDeclareOptions::default()
                },
                FieldTable::default(),
            )
            .await
            .unwrap();
        if u64::from(q.message_count()) >= messages {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let elapsed = start.elapsed();
    let _ = stop_tx.send(());
    let stats = bridge.await.unwrap().unwrap();
    println!(
        "{}",
        json!({
            "name": "zmq_to_amqp", "count": messages,
            "per_second": messages as f64 / elapsed.as_secs_f64(),
            "seconds": elapsed.as_secs_f64(), "zmq_send_seconds": sent.as_secs_f64(),
            "hwm_refusals_retried": refused, "bridge": stats,
        })
    );
    let _ = ch
        .queue_delete(queue.as_str().into(), QueueDeleteOptions::default())
        .await;
    let _ = ch
        .exchange_delete(exchange.as_str().into(), Default::default())
        .await;
}
