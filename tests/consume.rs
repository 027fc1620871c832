//! Consuming against the real RabbitMQ: typed round trips, and every handler outcome of Python's
//! callback table observed on the broker (queue depth, redelivered flag).

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fedora_messaging::amqp::config::{BindingConfig, QueueConfig};
use fedora_messaging::amqp::consume::{ConsumeError, Consumer, HandlerError, Received, Stopped};
use fedora_messaging::amqp::publish::Publisher;
use fedora_messaging::{BaseMessage, Envelope, Message, Registry};
use lapin::BasicProperties;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Message)]
#[message(
    schema = "fmtest.build.completeV1",
    topic = "fmtest.build.complete.v1",
    severity = "warning"
)]
struct BuildComplete {
    #[message(usernames)]
    owner: String,
    #[message(packages)]
    package: String,
}

/// A queue of its own bound to `topic`, as consumer settings.
fn queue_for(topic: &str) -> (String, BTreeMap<String, QueueConfig>, Vec<BindingConfig>) {
    let name = common::unique("fm-consume");
    let queues = BTreeMap::from([(name.clone(), QueueConfig::shared())]);
    let bindings = vec![BindingConfig::new(&name, "amq.topic", &[topic])];
    (name, queues, bindings)
}

fn consumer(topic: &str, prefetch: u16) -> (String, Consumer) {
    let (name, queues, bindings) = queue_for(topic);
    let config = common::config(&format!(
        "[qos]\nprefetch_size = 0\nprefetch_count = {prefetch}\n"
    ));
    (
        name,
        Consumer::new(config).queues(queues).bindings(bindings),
    )
}

async fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    // Generous: CI machines are shared and slow; the wait ends as soon as the condition holds.
    for _ in 0..800 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("timed out waiting for {what}");
}

async fn wait_depth(ch: &lapin::Channel, q: &str, want: u32) {
    let mut d = 0;
    for _ in 0..800 {
        d = common::depth(ch, q).await;
        if d == want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("queue {q} has {d} ready messages, expected {want}");
}

/// What the handler saw: the envelope, and the typed message if it decoded as one.
type Seen = (Envelope, Option<BuildComplete>);

#[tokio::test]
async fn typed_round_trip_keeps_every_header() {
    let topic = format!("{}.typed", common::unique("t"));
    let (queue, consumer) = consumer(&topic, 10);
    let registry = Arc::new(Registry::new().with::<BuildComplete>().unwrap());
    let consumer = consumer.registry(registry);
    let stop = consumer.stop_handle();
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let seen2 = Arc::clone(&seen);
    let run = tokio::spawn(consumer.run(move |m: Received| {
        let seen = Arc::clone(&seen2);
        async move {
            seen.lock().unwrap().push((
                m.envelope().clone(),
                m.downcast_ref::<BuildComplete>().cloned(),
            ));
            Ok::<(), HandlerError>(())
        }
    }));
    // Let the consumer declare its queue before publishing.
    let (conn, ch) = common::raw_channel().await;
    common::wait_for_queue(&conn, &queue).await;

    let publisher = Publisher::new(common::config(""));
    let msg = BuildComplete {
        owner: "alice".into(),
        package: "python-requests".into(),
    };
    // The derived type's topic is fixed; publish it on this test's topic through an envelope.
    let mut env = Envelope::builder(&msg)
        .header("x-custom", "yes")
        .build()
        .unwrap();
    env.topic = topic.clone();
    publisher.publish_envelope(&env).await.unwrap();

    wait_for("the message", || !seen.lock().unwrap().is_empty()).await;
    stop.stop();
    assert_eq!(run.await.unwrap().unwrap(), Stopped::Shutdown);
    let (got, typed) = seen.lock().unwrap().remove(0);
    assert_eq!(typed.as_ref(), Some(&msg));
    assert_eq!(got.headers, env.headers);
    assert_eq!(got.id, env.id);
    assert_eq!(got.topic, topic);
    assert_eq!(got.body, env.body);
    assert_eq!(got.queue.as_deref(), Some(queue.as_str()));
    assert_eq!(got.headers["fedora_messaging_user_alice"], true);
    wait_depth(&ch, &queue, 0).await;
    common::delete_queue(&ch, &queue).await;
}

async fn publish_bodies(topic: &str, bodies: &[serde_json::Value]) {
    let publisher = Publisher::new(common::config(""));
    for b in bodies {
        publisher
            .publish(&BaseMessage::new(topic, b.clone()))
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn outcomes_ack_nack_drop() {
    let topic = format!("{}.outcomes", common::unique("t"));
    let (queue, consumer) = consumer(&topic, 10);
    let stop = consumer.stop_handle();
    let (conn, ch) = common::raw_channel().await;
    let log: Arc<Mutex<Vec<(String, bool)>>> = Arc::default();
    let log2 = Arc::clone(&log);
    let run = tokio::spawn(consumer.run(move |m: Received| {
        let log = Arc::clone(&log2);
        async move {
            let what = m.envelope().body["do"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            log.lock().unwrap().push((what.clone(), m.redelivered));
            match what.as_str() {
                "drop" => Err(HandlerError::Drop),
                // Nack the first delivery only: the redelivery must carry the redelivered flag.
                "nack" if !m.redelivered => Err(HandlerError::Nack),
                _ => Ok(()),
            }
        }
    }));
    common::wait_for_queue(&conn, &queue).await;
    publish_bodies(
        &topic,
        &[
            json!({"do": "ack"}),
            json!({"do": "nack"}),
            json!({"do": "drop"}),
        ],
    )
    .await;
    wait_for("four deliveries", || log.lock().unwrap().len() == 4).await;
    stop.stop();
    assert_eq!(run.await.unwrap().unwrap(), Stopped::Shutdown);
    let log = log.lock().unwrap().clone();
    assert!(log.contains(&("nack".into(), false)), "{log:?}");
    assert!(
        log.contains(&("nack".into(), true)),
        "redelivered after Nack: {log:?}"
    );
    assert_eq!(
        log.iter().filter(|(w, _)| w == "drop").count(),
        1,
        "dropped, not redelivered: {log:?}"
    );
    wait_depth(&ch, &queue, 0).await;
    common::delete_queue(&ch, &queue).await;
}

#[tokio::test]
async fn halt_stops_and_acks_or_requeues() {
    for requeue in [false, true] {
        let topic = format!("{}.halt", common::unique("t"));
        let (queue, consumer) = consumer(&topic, 1);
        let (conn, ch) = common::raw_channel().await;
        let run = tokio::spawn(consumer.run(move |_m: Received| async move {
            Err::<(), _>(HandlerError::Halt {
                exit_code: 7,
                requeue,
            })
        }));
        common::wait_for_queue(&conn, &queue).await;
        publish_bodies(&topic, &[json!({"n": 1}), json!({"n": 2})]).await;
        assert_eq!(
            run.await.unwrap().unwrap(),
            Stopped::Halted { exit_code: 7 }
        );
        // The halting message is acked (gone) unless requeued; the second one was never taken.
        wait_depth(&ch, &queue, if requeue { 2 } else { 1 }).await;
        common::delete_queue(&ch, &queue).await;
    }
}

#[tokio::test]
async fn handler_failure_requeues_everything_and_stops() {
    let topic = format!("{}.fail", common::unique("t"));
    let (queue, consumer) = consumer(&topic, 10);
    let (conn, ch) = common::raw_channel().await;
    let run = tokio::spawn(consumer.run(move |m: Received| async move {
        if m.envelope().body["n"] == 1 {
            return Err(HandlerError::from(std::io::Error::other("boom")));
        }
        tokio::time::sleep(Duration::from_secs(60)).await;
        Ok(())
    }));
    common::wait_for_queue(&conn, &queue).await;
    publish_bodies(&topic, &[json!({"n": 1}), json!({"n": 2}), json!({"n": 3})]).await;
    let err = run.await.unwrap().unwrap_err();
    assert!(
        matches!(err, ConsumeError::HandlerFailed(ref why) if why.to_string().contains("boom")),
        "{err:?}"
    );
    assert_eq!(err.exit_code(), 13);
    wait_depth(&ch, &queue, 3).await;
    common::delete_queue(&ch, &queue).await;
}

#[tokio::test]
async fn invalid_messages_are_rejected_and_never_handled() {
    let topic = format!("{}.invalid", common::unique("t"));
    let (queue, consumer) = consumer(&topic, 10);
    let stop = consumer.stop_handle();
    let (conn, ch) = common::raw_channel().await;
    let handled = Arc::new(AtomicUsize::new(0));
    let h2 = Arc::clone(&handled);
    let run = tokio::spawn(consumer.run(move |m: Received| {
        let h = Arc::clone(&h2);
        async move {
            assert_eq!(m.envelope().body, json!({"ok": true}));
            h.fetch_add(1, Ordering::SeqCst);
            Ok::<(), HandlerError>(())
        }
    }));
    common::wait_for_queue(&conn, &queue).await;
    common::publish_raw(&ch, &topic, b"[1, 2]", BasicProperties::default()).await;
    common::publish_raw(&ch, &topic, b"not json", BasicProperties::default()).await;
    common::publish_raw(
        &ch,
        &topic,
        b"{\"a\": \"\xff\"}",
        BasicProperties::default(),
    )
    .await;
    let mut bad_severity = lapin::types::FieldTable::default();
    bad_severity.insert(
        "fedora_messaging_severity".into(),
        lapin::types::AMQPValue::LongInt(25),
    );
    common::publish_raw(
        &ch,
        &topic,
        b"{}",
        BasicProperties::default().with_headers(bad_severity),
    )
    .await;
    common::publish_raw(&ch, &topic, br#"{"ok": true}"#, BasicProperties::default()).await;
    wait_for("the valid message", || handled.load(Ordering::SeqCst) == 1).await;
    wait_depth(&ch, &queue, 0).await;
    stop.stop();
    run.await.unwrap().unwrap();
    assert_eq!(handled.load(Ordering::SeqCst), 1);
    common::delete_queue(&ch, &queue).await;
}

#[tokio::test]
async fn two_consumers_share_a_queue_round_robin() {
    let topic = format!("{}.rr", common::unique("t"));
    let (queue, queues, bindings) = queue_for(&topic);
    let counts: Arc<[AtomicUsize; 2]> = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
    let mut stops = Vec::new();
    let mut runs = Vec::new();
    for i in 0..2 {
        let c = Consumer::new(common::config(
            "[qos]\nprefetch_size = 0\nprefetch_count = 1\n",
        ))
        .queues(queues.clone())
        .bindings(bindings.clone());
        stops.push(c.stop_handle());
        let counts = Arc::clone(&counts);
        runs.push(tokio::spawn(c.run(move |_m: Received| {
            let counts = Arc::clone(&counts);
            async move {
                counts[i].fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(20)).await;
                Ok::<(), HandlerError>(())
            }
        })));
    }
    let (conn, ch) = common::raw_channel().await;
    common::wait_for_queue(&conn, &queue).await;
    // Both consumers must be attached before publishing, or the first takes everything.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let bodies: Vec<_> = (0..20).map(|i| json!({"i": i})).collect();
    publish_bodies(&topic, &bodies).await;
    wait_for("all 20", || {
        counts
            .iter()
            .map(|c| c.load(Ordering::SeqCst))
            .sum::<usize>()
            == 20
    })
    .await;
    for s in &stops {
        s.stop();
    }
    for r in runs {
        r.await.unwrap().unwrap();
    }
    let (a, b) = (
        counts[0].load(Ordering::SeqCst),
        counts[1].load(Ordering::SeqCst),
    );
    assert!(a >= 5 && b >= 5, "round robin: {a} and {b}");
    common::delete_queue(&ch, &queue).await;
}

#[tokio::test]
async fn poison_message_is_dropped_after_the_limit_and_others_flow() {
    let topic = format!("{}.poison", common::unique("t"));
    let (queue, consumer) = consumer(&topic, 10);
    let consumer = consumer.max_redeliveries(3);
    let stop = consumer.stop_handle();
    let (conn, ch) = common::raw_channel().await;
    let poison_seen = Arc::new(AtomicUsize::new(0));
    let good_seen = Arc::new(AtomicUsize::new(0));
    let (p2, g2) = (Arc::clone(&poison_seen), Arc::clone(&good_seen));
    let run = tokio::spawn(consumer.run(move |m: Received| {
        let (p, g) = (Arc::clone(&p2), Arc::clone(&g2));
        async move {
            if m.envelope().body["poison"] == true {
                p.fetch_add(1, Ordering::SeqCst);
                return Err(HandlerError::from(std::io::Error::other(
                    "cannot handle this",
                )));
            }
            g.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    }));
    common::wait_for_queue(&conn, &queue).await;
    publish_bodies(
        &topic,
        &[json!({"poison": true}), json!({"n": 1}), json!({"n": 2})],
    )
    .await;
    wait_for("the good messages", || {
        good_seen.load(Ordering::SeqCst) == 2
    })
    .await;
    wait_for("the poison message's last try", || {
        poison_seen.load(Ordering::SeqCst) == 4
    })
    .await;
    wait_depth(&ch, &queue, 0).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        poison_seen.load(Ordering::SeqCst),
        4,
        "first delivery + 3 redeliveries, then dropped"
    );
    stop.stop();
    run.await.unwrap().unwrap();
    common::delete_queue(&ch, &queue).await;
}

#[tokio::test]
async fn passive_declare_of_a_missing_queue_is_a_bad_declaration() {
    let (_, mut queues, bindings) = queue_for("fm.none");
    for q in queues.values_mut() {
        q.passive = Some(true);
    }
    let err = Consumer::new(common::config(""))
        .queues(queues)
        .bindings(bindings)
        .run(|_m: Received| async { Ok::<(), HandlerError>(()) })
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ConsumeError::BadDeclaration {
                object: "queue",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.exit_code(), 10);
}

/// Arguments with no AMQP form (a key over 255 bytes) stop the consumer with a config error naming
/// the key, before anything is declared; they used to become an empty table without a word.
#[tokio::test]
async fn queue_arguments_with_no_amqp_form_are_a_config_error() {
    let (queue, mut queues, bindings) = queue_for("fm.args");
    let long = format!("x-{}", "k".repeat(300));
    for q in queues.values_mut() {
        q.arguments.insert(long.clone(), 1.into());
    }
    let err = Consumer::new(common::config(""))
        .queues(queues)
        .bindings(bindings)
        .run(|_m: Received| async { Ok::<(), HandlerError>(()) })
        .await
        .unwrap_err();
    assert!(matches!(err, ConsumeError::Config(_)), "{err:?}");
    assert!(err.to_string().contains(&long), "{err}");
    assert_eq!(err.exit_code(), 1);
    // Nothing was declared.
    let out = std::process::Command::new("rabbitmqctl")
        .args(["-q", "list_queues", "name"])
        .output()
        .unwrap();
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains(&queue),
        "queue {queue} was declared"
    );
}

/// Runs `consumer` with a handler that panics on a body whose `do` is `"panic"` and counts the
/// messages it handled.
fn run_panicking_on_do_panic(
    consumer: Consumer,
) -> (
    Arc<AtomicUsize>,
    tokio::task::JoinHandle<Result<Stopped, ConsumeError>>,
) {
    let handled = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&handled);
    let run = tokio::spawn(consumer.run(move |m: Received| {
        let counter = Arc::clone(&counter);
        async move {
            if m.envelope().body["do"] == "panic" {
                panic!("a bug in the handler");
            }
            counter.fetch_add(1, Ordering::SeqCst);
            Ok::<(), HandlerError>(())
        }
    }));
    (handled, run)
}

/// A handler that panics does not take the consumer down, at either concurrency: its message stays
/// unacked (back in the queue when the consumer closes), the others are handled and acked.
#[tokio::test]
async fn a_panicking_handler_leaves_its_message_unacked_and_others_flow() {
    for concurrency in [1, 3] {
        let topic = format!("{}.panic", common::unique("t"));
        let (queue, consumer) = consumer(&topic, 10);
        let consumer = consumer.concurrency(concurrency);
        let stop = consumer.stop_handle();
        let (conn, ch) = common::raw_channel().await;
        let (handled, run) = run_panicking_on_do_panic(consumer);
        common::wait_for_queue(&conn, &queue).await;
        publish_bodies(
            &topic,
            &[
                json!({"do": "ok"}),
                json!({"do": "panic"}),
                json!({"do": "ok"}),
            ],
        )
        .await;
        wait_for("the two good messages", || {
            handled.load(Ordering::SeqCst) == 2
        })
        .await;
        stop.stop();
        assert_eq!(run.await.unwrap().unwrap(), Stopped::Shutdown);
        // Unacked, so requeued when the consumer's channel closed: nothing is lost.
        wait_depth(&ch, &queue, 1).await;
        let back = common::get(&ch, &queue).await;
        let body: serde_json::Value = serde_json::from_slice(&back.delivery.data).unwrap();
        assert_eq!(body["do"], "panic", "concurrency {concurrency}");
        common::delete_queue(&ch, &queue).await;
    }
}

/// A consumer on a quorum queue (`x-queue-type` from the queue's arguments, as Python declares
/// it): `max_redeliveries` counts with the broker's `x-delivery-count`, so a consumer that starts
/// afresh (a restarted service) does not give a poison message a new set of tries.
#[tokio::test]
async fn quorum_queue_delivery_count_carries_over_to_a_new_consumer() {
    let topic = format!("{}.quorum", common::unique("t"));
    let queue = common::unique("fm-test-quorum");
    let settings = || {
        let mut q = QueueConfig::durable();
        q.arguments
            .insert("x-queue-type".into(), toml::Value::String("quorum".into()));
        q
    };
    let calls = Arc::new(AtomicUsize::new(0));
    // The first consumer fails twice, then stops with the message requeued.
    let first = Consumer::new(common::config(""))
        .queue(&queue, settings(), "amq.topic", &[&topic])
        .max_redeliveries(3);
    let (conn, ch) = common::raw_channel().await;
    let c = Arc::clone(&calls);
    let run = tokio::spawn(first.run(move |_m: Received| {
        let c = Arc::clone(&c);
        async move {
            if c.fetch_add(1, Ordering::SeqCst) + 1 < 2 {
                Err(HandlerError::from(std::io::Error::other("poison")))
            } else {
                Err(HandlerError::Halt {
                    exit_code: 3,
                    requeue: true,
                })
            }
        }
    }));
    common::wait_for_queue(&conn, &queue).await;
    publish_bodies(&topic, &[json!({"poison": true})]).await;
    assert!(matches!(
        run.await.unwrap().unwrap(),
        Stopped::Halted { exit_code: 3 }
    ));
    assert_eq!(calls.load(Ordering::SeqCst), 2);

    // A new consumer, with no count of its own: the broker's says the message went round at least
    // twice (a prefetched copy returned when the first consumer closed counts too), so it gets at
    // most two more tries before it is dropped, where a count of its own would give it four.
    let second = Consumer::new(common::config(""))
        .queue(&queue, settings(), "amq.topic", &[&topic])
        .max_redeliveries(3);
    let stop = second.stop_handle();
    let again = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&again);
    let run = tokio::spawn(second.run(move |_m: Received| {
        let c = Arc::clone(&c);
        async move {
            c.fetch_add(1, Ordering::SeqCst);
            Err::<(), _>(HandlerError::from(std::io::Error::other("poison")))
        }
    }));
    wait_for("the new consumer's first try", || {
        again.load(Ordering::SeqCst) >= 1
    })
    .await;
    // Dropped: nothing ready and nothing unacked once the handler is done with it.
    wait_depth(&ch, &queue, 0).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let q = common::passive_declare(&ch, &queue).await.unwrap();
    assert_eq!(q.message_count(), 0, "dropped, not requeued");
    let tries = again.load(Ordering::SeqCst);
    assert!(
        (1..=2).contains(&tries),
        "the broker's delivery count limits the new consumer to 2 tries, it had {tries}"
    );
    stop.stop();
    let _ = run.await;
    common::delete_queue(&ch, &queue).await;
}

/// Unacked messages of `queue`, as the broker counts them.
fn unacked(queue: &str) -> Option<u64> {
    common::rabbitmqctl(&["list_queues", "-q", "name", "messages_unacknowledged"])
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .find(|(name, _)| *name == queue)
        .and_then(|(_, n)| n.trim().parse().ok())
}

/// With one handler at a time, acks are held while deliveries are waiting and sent as one
/// `multiple` ack: a backlog is acked in batches, none is left held once the consumer is idle, and
/// a message whose handler panicked in the middle of a batch is never covered by a later ack.
#[tokio::test]
async fn batched_acks_leave_nothing_held_and_never_cover_a_panicked_message() {
    let topic = format!("{}.batch", common::unique("t"));
    let (queue, queues, bindings) = queue_for(&topic);
    let config = || common::config("[qos]\nprefetch_size = 0\nprefetch_count = 100\n");
    let (conn, ch) = common::raw_channel().await;
    // Declared by a first consumer, stopped, so the whole backlog waits for the second.
    let first = Consumer::new(config())
        .queues(queues.clone())
        .bindings(bindings.clone());
    let stop = first.stop_handle();
    let run = tokio::spawn(first.run(|_m: Received| async { Ok::<(), HandlerError>(()) }));
    common::wait_for_queue(&conn, &queue).await;
    stop.stop();
    assert_eq!(run.await.unwrap().unwrap(), Stopped::Shutdown);
    let bodies: Vec<_> = (0..150)
        .map(|i| json!({"n": i, "do": if i == 70 { "panic" } else { "ok" }}))
        .collect();
    publish_bodies(&topic, &bodies).await;
    wait_depth(&ch, &queue, 150).await;

    let consumer = Consumer::new(config()).queues(queues).bindings(bindings);
    let stop = consumer.stop_handle();
    let (handled, run) = run_panicking_on_do_panic(consumer);
    wait_for("the 149 good messages", || {
        handled.load(Ordering::SeqCst) == 149
    })
    .await;
    // The consumer is idle now and still running: only the panicked message is unacked.
    let mut seen = None;
    for _ in 0..200 {
        seen = unacked(&queue);
        if seen == Some(1) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(seen, Some(1), "unacked messages of an idle consumer");
    assert_eq!(common::depth(&ch, &queue).await, 0);
    stop.stop();
    assert_eq!(run.await.unwrap().unwrap(), Stopped::Shutdown);
    wait_depth(&ch, &queue, 1).await;
    let back = common::get(&ch, &queue).await;
    let body: serde_json::Value = serde_json::from_slice(&back.delivery.data).unwrap();
    assert_eq!(body["n"], 70);
    common::delete_queue(&ch, &queue).await;
}
