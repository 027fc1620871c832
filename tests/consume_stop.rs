//! A consumer that is stopped leaves the broker as it found it: once `run` has returned, its
//! consumer is gone from the queue and every message it had been sent but not handled (the rest
//! of its prefetch) is back in the queue, ready for the next consumer. A consumer that kept its
//! connection, or its prefetched messages, would hold them away from every other consumer.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use fedora_messaging::amqp::config::{BindingConfig, QueueConfig};
use fedora_messaging::amqp::consume::{Consumer, Received, Stopped};
use fedora_messaging::amqp::publish::Publisher;
use fedora_messaging::BaseMessage;
use serde_json::json;

const MESSAGES: usize = 60;
const PREFETCH: u16 = 20;

#[tokio::test]
async fn a_stopped_consumer_leaves_no_consumer_and_no_unacked_message_behind() {
    let topic = common::unique("fmtest.stop");
    let queue = common::unique("fm-stop");
    let consumer = Consumer::new(common::config(&format!(
        "[qos]\nprefetch_size = 0\nprefetch_count = {PREFETCH}\n"
    )))
    .queues(BTreeMap::from([(queue.clone(), QueueConfig::shared())]))
    .bindings(vec![BindingConfig::new(&queue, "amq.topic", &[&topic])]);
    let stop = consumer.stop_handle();
    let handled = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&handled);
    let run = tokio::spawn(consumer.run(move |_: Received| {
        let counter = Arc::clone(&counter);
        async move {
            // Slow enough that the consumer holds a full prefetch when it is stopped.
            tokio::time::sleep(Duration::from_millis(20)).await;
            counter.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    }));
    let (conn, ch) = common::raw_channel().await;
    common::wait_for_queue(&conn, &queue).await;
    let publisher = Publisher::new(common::config(""));
    for i in 0..MESSAGES {
        publisher
            .publish(&BaseMessage::new(&topic, json!({ "i": i })))
            .await
            .unwrap();
    }
    while handled.load(Ordering::SeqCst) < 5 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    stop.stop();
    assert!(matches!(run.await.unwrap(), Ok(Stopped::Shutdown)));
    let handled = handled.load(Ordering::SeqCst);
    assert!(
        handled < MESSAGES,
        "the consumer finished everything before it was stopped: nothing left to check"
    );
    // The broker settles a closed channel on its own time: look for a few seconds.
    let mut last = (0, 0);
    for _ in 0..200 {
        let q = common::passive_declare(&ch, &queue).await.unwrap();
        last = (q.message_count(), q.consumer_count());
        if last == ((MESSAGES - handled) as u32, 0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(
        last,
        ((MESSAGES - handled) as u32, 0),
        "(ready messages, consumers) after the stop, with {handled} of {MESSAGES} handled"
    );
    common::delete_queue(&ch, &queue).await;
}
