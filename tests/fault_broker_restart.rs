//! The broker stopped and started (`rabbitmqctl stop_app` / `start_app`) while a publisher sends
//! 10,000 confirmed messages and a consumer drains them: both sides resume by themselves, every
//! publish reported as confirmed is consumed at least once, and duplicates are counted. Its own
//! file, because stopping the broker disturbs any test running beside it.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::traffic::{counting, Producer, Seen};
use fedora_messaging::amqp::config::QueueConfig;
use fedora_messaging::amqp::consume::Consumer;
use fedora_messaging::amqp::publish::Publisher;

/// Starts the broker app again however the test ends.
struct Restart;

impl Drop for Restart {
    fn drop(&mut self) {
        let _ = std::process::Command::new("rabbitmqctl")
            .arg("start_app")
            .output();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_restart_loses_nothing_confirmed() {
    let topic = format!("{}.restart", common::unique("t"));
    let queue = common::unique("fm-restart");
    // Durable queue, persistent messages: they outlive the restart.
    let consumer = Consumer::new(common::config(
        "[qos]\nprefetch_size = 0\nprefetch_count = 100\n",
    ))
    .queue(&queue, QueueConfig::durable(), "amq.topic", &[&topic])
    .concurrency(8);
    let stop = consumer.stop_handle();
    let seen = Seen::default();
    let run = tokio::spawn(consumer.run(counting(&seen)));
    {
        let (conn, _ch) = common::raw_channel().await;
        common::wait_for_queue(&conn, &queue).await;
    }

    let publisher = Arc::new(Publisher::new(common::config("")).timeout(Duration::from_secs(60)));
    let producer = Producer::start(publisher, &topic, 10_000, 100);
    // Let traffic flow, then take the broker down for three seconds.
    while producer.confirmed_count() < 2_000 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let guard = Restart;
    common::rabbitmqctl(&["stop_app"]);
    tokio::time::sleep(Duration::from_secs(3)).await;
    common::rabbitmqctl(&["start_app"]);
    drop(guard);
    let lost = producer
        .finish(&seen, Duration::from_secs(120), "broker restart")
        .await;
    stop.stop();
    run.await.unwrap().unwrap();
    assert!(
        lost.is_empty(),
        "confirmed but never consumed: {} of them",
        lost.len()
    );
    let (_c, ch) = common::raw_channel().await;
    common::delete_queue(&ch, &queue).await;
}
