//! The local RabbitMQ, as the bridge tests use it: a channel (waiting for a broker that is
//! restarting), a durable topic exchange with a bound queue, and cleaning up after.

#![allow(dead_code, clippy::unwrap_used)]

use std::time::{Duration, Instant};

use lapin::options::{
    ExchangeDeclareOptions, ExchangeDeleteOptions, QueueBindOptions, QueueDeclareOptions,
    QueueDeleteOptions,
};
use lapin::types::FieldTable;
use lapin::{Channel, Connection, ConnectionProperties, ExchangeKind};

pub(crate) const AMQP_URL: &str = "amqp://guest:guest@127.0.0.1:5672/%2F";

/// A connection and a channel, trying for up to a minute (the broker may be starting).
pub(crate) async fn channel() -> (Connection, Channel) {
    let start = Instant::now();
    loop {
        match Connection::connect(AMQP_URL, ConnectionProperties::default()).await {
            Ok(conn) => {
                let ch = conn.create_channel().await.unwrap();
                return (conn, ch);
            }
            Err(e) => {
                assert!(start.elapsed() < Duration::from_secs(60), "{e}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}

/// Declares `exchange` as a durable topic exchange (as the bridge does; `amq.*` exist already)
/// and `queue` (durable or not) bound to it with `keys`.
pub(crate) async fn topic_queue(
    ch: &Channel,
    exchange: &str,
    queue: &str,
    durable: bool,
    keys: &[&str],
) {
    if !exchange.starts_with("amq.") {
        ch.exchange_declare(
            exchange.into(),
            ExchangeKind::Topic,
            ExchangeDeclareOptions {
                durable: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await
        .unwrap();
    }
    ch.queue_declare(
        queue.into(),
        QueueDeclareOptions {
            durable,
            ..Default::default()
        },
        FieldTable::default(),
    )
    .await
    .unwrap();
    for k in keys {
        ch.queue_bind(
            queue.into(),
            exchange.into(),
            (*k).into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    }
}

/// Deletes `queues` and `exchange`, whatever state they are in.
pub(crate) async fn cleanup(ch: &Channel, exchange: Option<&str>, queues: &[&str]) {
    for q in queues {
        let _ = ch
            .queue_delete((*q).into(), QueueDeleteOptions::default())
            .await;
    }
    if let Some(x) = exchange {
        let _ = ch
            .exchange_delete(x.into(), ExchangeDeleteOptions::default())
            .await;
    }
}
