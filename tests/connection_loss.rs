//! Connections cut mid-stream (`rabbitmqctl close_all_connections`): both sides reconnect by
//! themselves, every publish reported as confirmed is consumed at least once, and none reported as
//! confirmed is lost. This file holds one test on purpose: cutting every connection would disturb
//! tests running beside it, and cargo runs test files one after another.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::traffic::{counting, Producer, Seen};
use fedora_messaging::amqp::config::QueueConfig;
use fedora_messaging::amqp::consume::Consumer;
use fedora_messaging::amqp::publish::Publisher;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_cut_repeatedly_lose_nothing_confirmed() {
    let topic = format!("{}.loss", common::unique("t"));
    let queue = common::unique("fm-loss");
    // Durable, so the queue and its messages outlive the consumer's connection.
    let consumer = Consumer::new(common::config(
        "[qos]\nprefetch_size = 0\nprefetch_count = 50\n",
    ))
    .queue(&queue, QueueConfig::durable(), "amq.topic", &[&topic]);
    let stop = consumer.stop_handle();
    let seen = Seen::default();
    let run = tokio::spawn(consumer.run(counting(&seen)));
    let (conn, ch) = common::raw_channel().await;
    common::wait_for_queue(&conn, &queue).await;

    let publisher = Arc::new(Publisher::new(common::config("")).timeout(Duration::from_secs(30)));
    let producer = Producer::start(publisher, &topic, 2_000, 50);
    // Cut every connection three times while messages flow.
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(400)).await;
        common::rabbitmqctl(&["close_all_connections", "fault test"]);
    }
    let lost = producer
        .finish(&seen, Duration::from_secs(60), "3 connection cuts")
        .await;
    stop.stop();
    run.await.unwrap().unwrap();
    assert!(lost.is_empty(), "confirmed but never consumed: {lost:?}");
    drop((conn, ch));
    let (_c, ch) = common::raw_channel().await;
    common::delete_queue(&ch, &queue).await;
}
