//! A broker memory alarm (`rabbitmqctl set_vm_memory_high_watermark` set very low) blocks
//! publishers: a publish times out with a clear error and nothing crashes; once the alarm clears,
//! the same publisher publishes again. Its own file, because the alarm blocks every publisher.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use fedora_messaging::amqp::publish::{PublishError, Publisher};
use fedora_messaging::BaseMessage;
use serde_json::json;

/// RabbitMQ's default watermark, restored however the test ends.
struct ClearAlarm;

impl Drop for ClearAlarm {
    fn drop(&mut self) {
        let _ = std::process::Command::new("rabbitmqctl")
            .args(["set_vm_memory_high_watermark", "0.4"])
            .output();
    }
}

#[tokio::test]
async fn memory_alarm_blocks_then_publishing_resumes() {
    let (_c, ch) = common::raw_channel().await;
    let topic = format!("{}.alarm", common::unique("t"));
    let q = common::bound_queue(&ch, &topic).await;
    let publisher = Publisher::new(common::config("")).timeout(Duration::from_secs(3));
    publisher
        .publish(&BaseMessage::new(topic.as_str(), json!({"n": 0})))
        .await
        .unwrap();

    let guard = ClearAlarm;
    common::rabbitmqctl(&["set_vm_memory_high_watermark", "0.0000001"]);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let start = Instant::now();
    let err = publisher
        .publish(&BaseMessage::new(topic.as_str(), json!({"n": 1})))
        .await
        .unwrap_err();
    println!(
        "during the alarm: {err} (after {:.1} s)",
        start.elapsed().as_secs_f64()
    );
    assert!(matches!(err, PublishError::Timeout { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with("publishing timed out after waiting 3 seconds"),
        "{err}"
    );

    drop(guard);
    let start = Instant::now();
    let mut resumed = None;
    while start.elapsed() < Duration::from_secs(30) {
        match publisher
            .publish(&BaseMessage::new(topic.as_str(), json!({"n": 2})))
            .await
        {
            Ok(_) => {
                resumed = Some(start.elapsed());
                break;
            }
            Err(e) => println!("not yet: {e}"),
        }
    }
    let resumed = resumed.expect("publishing resumes once the alarm clears");
    println!(
        "publishing resumed {:.1} s after the alarm cleared",
        resumed.as_secs_f64()
    );
    // The message published during the alarm may or may not have reached the queue (the broker
    // never confirmed it); the ones before and after did.
    let mut bodies = Vec::new();
    while let Ok(Some(m)) = ch
        .basic_get(
            q.as_str().into(),
            lapin::options::BasicGetOptions { no_ack: true },
        )
        .await
    {
        bodies.push(
            serde_json::from_slice::<serde_json::Value>(&m.delivery.data).unwrap()["n"].clone(),
        );
    }
    assert!(
        bodies.contains(&json!(0)) && bodies.contains(&json!(2)),
        "{bodies:?}"
    );
    common::delete_queue(&ch, &q).await;
}
