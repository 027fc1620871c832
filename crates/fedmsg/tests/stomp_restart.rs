//! A RabbitMQ restart under a STOMP subscriber and publisher (its own test binary: it stops the
//! shared broker, which no other test of a binary may see): the subscriber reconnects and
//! subscribes again by itself, the publisher sends on a new connection, and every message
//! published after the broker is back arrives.

#![allow(clippy::unwrap_used)]

use std::process::Command;
use std::time::{Duration, Instant};

use fedmsg::stomp::{StompPublisher, StompSubscriberBuilder};
use fedmsg::Config;
use futures_util::StreamExt;
use serde_json::json;

fn rabbitmqctl(args: &[&str]) {
    let out = Command::new("rabbitmqctl").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "rabbitmqctl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn subscriber_and_publisher_come_back_after_a_broker_restart() {
    let config = Config::from_toml(
        "environment = \"prod\"\nstomp_uri = \"127.0.0.1:61613\"\nstomp_heartbeat = 1000\n",
    )
    .unwrap();
    let m = format!("restart{}", std::process::id());
    let mut sub = StompSubscriberBuilder::new(&config)
        .unwrap()
        .topic(format!("org.fedoraproject.prod.{m}."))
        .start();
    tokio::time::timeout(Duration::from_secs(10), sub.subscribed())
        .await
        .unwrap();
    let publisher = StompPublisher::connect(&config).await.unwrap();
    for n in 0..3 {
        publisher
            .publish(&m, "before", json!({"n": n}))
            .await
            .unwrap();
    }
    for _ in 0..3 {
        tokio::time::timeout(Duration::from_secs(10), sub.next())
            .await
            .unwrap()
            .unwrap();
    }

    rabbitmqctl(&["stop_app"]);
    tokio::time::sleep(Duration::from_secs(2)).await;
    rabbitmqctl(&["start_app"]);
    let start = Instant::now();
    while sub.subscription_rounds() < 2 {
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "the subscriber did not subscribe again"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut sent = Vec::new();
    for n in 0..5 {
        sent.push(
            publisher
                .publish(&m, "after", json!({"n": n}))
                .await
                .unwrap(),
        );
    }
    for want in &sent {
        let got = tokio::time::timeout(Duration::from_secs(10), sub.next())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&got.envelope, want);
    }
    let stats = sub.stats();
    eprintln!("STOMP restart: {stats:?}, back after {:?}", start.elapsed());
    assert!(stats.reconnects >= 1);
    assert_eq!(stats.received, 8);
}
