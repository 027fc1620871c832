//! Graceful stop on SIGTERM: the message in progress finishes and is acked; messages prefetched
//! but not started go back to the queue. Its own file (its own process), because the signal is
//! sent to the test process itself.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use fedora_messaging::amqp::config::QueueConfig;
use fedora_messaging::amqp::consume::{Consumer, HandlerError, Received, Stopped};
use fedora_messaging::amqp::publish::Publisher;
use fedora_messaging::BaseMessage;
use serde_json::json;

#[tokio::test]
async fn sigterm_finishes_the_message_in_progress_and_stops() {
    let topic = format!("{}.sig", common::unique("t"));
    let queue = common::unique("fm-sig");
    let started = Arc::new(AtomicUsize::new(0));
    let finished = Arc::new(AtomicUsize::new(0));
    let (s2, f2) = (Arc::clone(&started), Arc::clone(&finished));
    let consumer = Consumer::new(common::config(""))
        .queue(&queue, QueueConfig::shared(), "amq.topic", &[&topic])
        .stop_on_signals();
    let run = tokio::spawn(consumer.run(move |_m: Received| {
        let (s, f) = (Arc::clone(&s2), Arc::clone(&f2));
        async move {
            s.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(800)).await;
            f.fetch_add(1, Ordering::SeqCst);
            Ok::<(), HandlerError>(())
        }
    }));
    let (conn, ch) = common::raw_channel().await;
    common::wait_for_queue(&conn, &queue).await;
    let publisher = Publisher::new(common::config(""));
    for i in 0..5 {
        publisher
            .publish(&BaseMessage::new(topic.as_str(), json!({"i": i})))
            .await
            .unwrap();
    }
    while started.load(Ordering::SeqCst) == 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let status = std::process::Command::new("kill")
        .args(["-TERM", &std::process::id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let stopped = tokio::time::timeout(Duration::from_secs(10), run)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(stopped, Stopped::Shutdown);
    assert_eq!(
        started.load(Ordering::SeqCst),
        1,
        "no new message after the signal"
    );
    assert_eq!(
        finished.load(Ordering::SeqCst),
        1,
        "the message in progress finished"
    );
    // It was acked; the other four are back in the queue.
    let mut depth = 0;
    for _ in 0..100 {
        depth = common::depth(&ch, &queue).await;
        if depth == 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(depth, 4);
    common::delete_queue(&ch, &queue).await;
}
