//! A broker restart under `fedmsg zmq-to-amqp` (its own test binary: it stops the shared broker,
//! which no other test of a binary may see). The bridge's buffer holds 5 messages here: of the
//! 20 sent while the broker is down, the first is the one being published (tried until the
//! broker is back and confirms it), the newest 5 wait in the buffer and are published next, and
//! the 14 between are reported lost (counted and logged, not silently gone); every message sent
//! after the broker is back is published, in order.
//!
//! The sender is the Rust fedmsg publisher, not Python's: what is under test is the bridge's
//! side, and the Rust publisher waits for the bridge's subscription instead of sleeping.

#![allow(clippy::unwrap_used)]

#[path = "support/broker.rs"]
mod broker;
#[path = "../../../tests/common/fedmsg_peer.rs"]
mod peer;

use std::process::Command;
use std::time::{Duration, Instant};

use fedmsg::zeromq::{Publisher, Settle};
use lapin::options::{BasicGetOptions, QueueDeclareOptions};
use lapin::types::FieldTable;
use peer::{json_lines, Running, Site};
use serde_json::{json, Value};

use broker::AMQP_URL;

fn rabbitmqctl(args: &[&str]) {
    let out = Command::new("rabbitmqctl").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "rabbitmqctl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Starts the broker app again however the test ends.
struct Restart;

impl Drop for Restart {
    fn drop(&mut self) {
        let _ = Command::new("rabbitmqctl").arg("start_app").output();
    }
}

/// Takes every message waiting in `queue`: the `n` of each body.
async fn drain(queue: &str) -> Vec<Value> {
    let (conn, ch) = broker::channel().await;
    let mut out = Vec::new();
    while let Some(m) = ch
        .basic_get(queue.into(), BasicGetOptions { no_ack: true })
        .await
        .unwrap()
    {
        let body: Value = serde_json::from_slice(&m.delivery.data).unwrap();
        out.push(body);
    }
    let _ = conn.close(200, "bye".into()).await;
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zmq_to_amqp_after_a_broker_restart_publishes_and_reports_what_it_lost() {
    let site = Site::new("restart", "");
    let exchange = format!("zmq.topic.restart{}", std::process::id());
    let queue = format!("bridge-restart-{}", std::process::id());
    {
        // Durable, so what was published before the restart is still there after it.
        let (conn, ch) = broker::channel().await;
        broker::topic_queue(&ch, &exchange, &queue, true, &["#"]).await;
        let _ = conn.close(200, "bye".into()).await;
    }
    let fm_conf = site.file(
        "fedora-messaging.toml",
        &format!("amqp_url = \"{AMQP_URL}\"\n"),
    );
    let bridge_conf = site.file(
        "bridge.toml",
        &format!(
            "[zmq_to_amqp]\nexchange = \"{exchange}\"\nzmq_endpoints = [\"tcp://127.0.0.1:{}\"]\nbuffer = 5\n",
            site.publisher
        ),
    );
    let publisher = Publisher::bind_endpoints(
        &site.config(),
        "bodhi.host",
        &[format!("tcp://127.0.0.1:{}", site.publisher)],
        fedmsg::zeromq::SocketOptions::from_config(&site.config()),
    )
    .unwrap();
    let mut bridge = Running::spawn(
        Command::new(env!("CARGO_BIN_EXE_fedmsg"))
            .arg("--config")
            .arg(site.config_dir())
            .args(["zmq-to-amqp", "--amqp-config"])
            .arg(&fm_conf)
            .arg("--bridge-config")
            .arg(&bridge_conf)
            .env("FEDMSG_PYTHON", peer::venv().join("bin/python")),
    );
    bridge.wait_for_stderr("bridging ZeroMQ to AMQP", Duration::from_secs(60));
    publisher
        .settle(Settle::Subscribers {
            count: 1,
            timeout: Duration::from_secs(30),
        })
        .await
        .unwrap();
    let send = |phase: &str, n: u64| {
        publisher
            .publish("restart", phase, json!({"phase": phase, "n": n}))
            .unwrap();
    };
    for n in 0..3 {
        send("before", n);
    }
    let wait_for = |count: usize| {
        let queue = queue.clone();
        async move {
            let start = Instant::now();
            loop {
                let (conn, ch) = broker::channel().await;
                let q = ch
                    .queue_declare(
                        queue.as_str().into(),
                        QueueDeclareOptions {
                            passive: true,
                            ..Default::default()
                        },
                        FieldTable::default(),
                    )
                    .await
                    .unwrap();
                let _ = conn.close(200, "bye".into()).await;
                if q.message_count() as usize >= count {
                    return;
                }
                assert!(
                    start.elapsed() < Duration::from_secs(120),
                    "{} of {count} messages in the queue",
                    q.message_count()
                );
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    };
    wait_for(3).await;

    let guard = Restart;
    rabbitmqctl(&["stop_app"]);
    for n in 0..20 {
        send("down", n);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // All 20 reached the bridge before the broker comes back.
    tokio::time::sleep(Duration::from_secs(1)).await;
    rabbitmqctl(&["start_app"]);
    drop(guard);
    // The first and the newest 5 of the outage arrive once the bridge has reconnected…
    wait_for(9).await;
    // …and everything sent from then on (paced: a buffer of 5 also overflows on a burst faster
    // than the broker confirms).
    for n in 0..10 {
        send("after", n);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    wait_for(19).await;
    tokio::time::sleep(Duration::from_millis(500)).await;

    let (stdout, stderr) = bridge.terminate();
    let got = drain(&queue).await;
    let phases: Vec<(String, u64)> = got
        .iter()
        .map(|b| {
            (
                b["phase"].as_str().unwrap().to_owned(),
                b["n"].as_u64().unwrap(),
            )
        })
        .collect();
    let expected: Vec<(String, u64)> = (0..3)
        .map(|n| ("before".to_owned(), n))
        .chain(std::iter::once(("down".to_owned(), 0)))
        .chain((15..20).map(|n| ("down".to_owned(), n)))
        .chain((0..10).map(|n| ("after".to_owned(), n)))
        .collect();
    assert_eq!(phases, expected, "{stderr}");
    let stats =
        &json_lines(&stdout.lines().map(str::to_owned).collect::<Vec<_>>())[0]["zmq_to_amqp"];
    assert_eq!(stats["received"], 33, "{stdout}");
    assert_eq!(stats["published"], 19, "{stdout}");
    assert_eq!(stats["lost_buffer_full"], 14, "{stdout}");
    assert!(
        stderr.contains("message lost: the buffer is full"),
        "each loss is logged: {stderr}"
    );

    let (conn, ch) = broker::channel().await;
    broker::cleanup(&ch, Some(&exchange), &[&queue]).await;
    let _ = conn.close(200, "bye".into()).await;
}
