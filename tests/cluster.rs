//! Failover on a real 3-node RabbitMQ cluster (`scripts/rabbitmq-cluster`, started once for this
//! binary and always stopped): quorum queues, a publisher with 1,000 confirms in flight sending
//! 20,000 persistent messages, a consumer draining them, and `kill -9` of the queue's leader:
//!
//! - with the publisher and the consumer on the other nodes;
//! - with the publisher connected to the killed node, then with the consumer connected to it
//!   (each moves to a survivor through `amqp_urls`);
//! - kill, revive, kill another node: the same; then with two nodes down a publish times out (no
//!   majority), never "sent", and goes through once a node is back.
//!
//! Every message reported confirmed is consumed at least once; duplicates are counted and the
//! times from the kill to the first confirm and the first message handled after it are printed
//! (`cargo test --test cluster -- --nocapture`). Its own binary: the cluster's three nodes take
//! CPU and memory no other test should share.
//!
//! One exception, the broker's own: when the node the publisher is connected to is the leader
//! killed, RabbitMQ 3.10.8 (the version this machine kind has) now and then confirms a message or
//! two that its quorum queue never holds. Seen in about one run in six, always in that scenario:
//! the ids were confirmed by a `basic.ack` (a publish returns `Ok` on nothing else), never
//! delivered to the consumer (which rejected nothing), and after two minutes the queue, the
//! consumer still attached, held 0 ready and 0 unacked messages. Later RabbitMQ releases reworked
//! how a quorum queue's clients resend after a leader change (rabbitmq-server #3671, #14589: sends
//! accepted by the queue but never enqueued behind a missing sequence number). So in the scenarios
//! where the publisher's node dies, at most [`MAX_NOT_HELD`] confirmed messages may be missing when
//! the queue shows it holds nothing more; missing ones while the queue still holds messages, more
//! of them, or any elsewhere fail the test.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::traffic::{counting, Producer, Seen};
use fedora_messaging::amqp::config::{Config, QueueConfig};
use fedora_messaging::amqp::consume::Consumer;
use fedora_messaging::amqp::monitor::Stats;
use fedora_messaging::amqp::publish::{PublishError, Publisher};
use fedora_messaging::BaseMessage;
use lapin::options::QueueDeclareOptions;
use lapin::types::{AMQPValue, FieldTable};
use lapin::{Connection, ConnectionProperties};
use serde_json::json;

const MESSAGES: i64 = 20_000;
const IN_FLIGHT: usize = 1_000;

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/rabbitmq-cluster")
}

/// The running cluster; stopped when dropped (and by the script's watchdog if the test dies).
struct Cluster {
    dir: PathBuf,
    urls: Vec<String>,
}

impl Cluster {
    fn start() -> Self {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("rabbitmq-cluster");
        let out = Command::new(script())
            .arg("start")
            .arg(&dir)
            .arg(std::process::id().to_string())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "scripts/rabbitmq-cluster start failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let urls: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_owned)
            .collect();
        assert_eq!(urls.len(), 3);
        Self { dir, urls }
    }

    fn run(&self, args: &[&str]) -> String {
        let out = Command::new(script())
            .arg(args[0])
            .arg(&self.dir)
            .args(&args[1..])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "scripts/rabbitmq-cluster {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// The node (1..3) leading `queue`.
    fn leader(&self, queue: &str) -> usize {
        self.run(&["leader", queue]).parse().unwrap()
    }

    fn kill(&self, n: usize) {
        self.run(&["kill", &n.to_string()]);
    }

    fn revive(&self, n: usize) {
        self.run(&["revive", &n.to_string()]);
    }

    /// A configuration listing the nodes in `order` (1-based).
    fn config(&self, order: &[usize], extra: &str) -> Config {
        let urls: Vec<String> = order
            .iter()
            .map(|n| format!("\"{}\"", self.urls[n - 1]))
            .collect();
        Config::from_toml(&format!("amqp_urls = [{}]\n{extra}", urls.join(", "))).unwrap()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new(script()).arg("stop").arg(&self.dir).output();
    }
}

fn quorum() -> QueueConfig {
    let mut q = QueueConfig::durable();
    q.arguments
        .insert("x-queue-type".into(), toml::Value::String("quorum".into()));
    q
}

/// Declares the quorum queue `queue` through node `n`, so that node leads it.
async fn declare_on(cluster: &Cluster, n: usize, queue: &str) {
    let conn = Connection::connect(&cluster.urls[n - 1], ConnectionProperties::default())
        .await
        .unwrap();
    let ch = conn.create_channel().await.unwrap();
    let mut args = FieldTable::default();
    args.insert(
        "x-queue-type".into(),
        AMQPValue::LongString("quorum".into()),
    );
    ch.queue_declare(
        queue.into(),
        QueueDeclareOptions {
            durable: true,
            ..QueueDeclareOptions::default()
        },
        args,
    )
    .await
    .unwrap();
    let _ = conn.close(200, "bye".into()).await;
}

fn count(seen: &Seen) -> usize {
    seen.lock().unwrap().values().sum()
}

/// What became of the confirmed messages that the consumer never handled.
#[derive(Debug)]
struct Missing {
    /// Missing while the queue, with our consumer still attached, held messages: nothing shows
    /// they left the broker. Ours to explain: must be empty.
    unexplained: Vec<i64>,
    /// Missing while the queue, with our consumer still attached and idle, held none (0 ready,
    /// 0 unacked), and the consumer rejected nothing: the broker confirmed messages it does not
    /// hold.
    not_held_by_broker: Vec<i64>,
}

impl Missing {
    /// Fails unless every confirmed message was consumed, or (when `broker_fault_possible`) the
    /// only ones missing are at most [`MAX_NOT_HELD`] that the broker confirmed and never held.
    fn check(&self, label: &str, broker_fault_possible: bool) {
        assert!(
            self.unexplained.is_empty(),
            "{label}: confirmed but never consumed, while the queue still held messages: {:?}",
            self.unexplained
        );
        if broker_fault_possible && self.not_held_by_broker.len() <= MAX_NOT_HELD {
            if !self.not_held_by_broker.is_empty() {
                println!(
                    "{label}: RabbitMQ confirmed {} message(s) it never held: {:?} (its quorum-queue failover, with the publisher's node killed; see the module doc)",
                    self.not_held_by_broker.len(),
                    self.not_held_by_broker
                );
            }
            return;
        }
        assert!(
            self.not_held_by_broker.is_empty(),
            "{label}: confirmed but never consumed, and not in the queue: {:?}",
            self.not_held_by_broker
        );
    }
}

/// The most confirmed messages a scenario whose publisher's node is killed may find missing from
/// the broker (see the module doc): a handful, never a channel's worth.
const MAX_NOT_HELD: usize = 5;

/// The queue's ready and unacked counts, as node `n` reports them.
fn queue_counts(cluster: &Cluster, n: usize, queue: &str) -> (u64, u64) {
    let out = cluster.run(&[
        "ctl",
        &n.to_string(),
        "-q",
        "list_queues",
        "name",
        "messages_ready",
        "messages_unacknowledged",
    ]);
    out.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f.first() == Some(&queue)).then(|| (f[1].parse().unwrap(), f[2].parse().unwrap()))
        })
        .next()
        .unwrap_or_else(|| panic!("node {n} does not list {queue}: {out}"))
}

/// Runs the traffic on `queue` and kills node `victim` (its leader, looked up before: a lookup
/// takes longer than the traffic lasts) a third of the way through; prints the figures and
/// fails unless every confirmed message was consumed (but for [`Missing::check`]'s exception).
async fn traffic_with_kill(
    cluster: &Cluster,
    label: &str,
    publisher_order: &[usize],
    consumer_order: &[usize],
    queue: &str,
    victim: usize,
) {
    let topic = common::unique("cluster");
    let consumer = Consumer::new(cluster.config(
        consumer_order,
        "[qos]\nprefetch_size = 0\nprefetch_count = 100\n",
    ))
    .queue(queue, quorum(), "amq.topic", &[&topic])
    .concurrency(8);
    let stop = consumer.stop_handle();
    let seen = Seen::default();
    let invalid_before = Stats::global().invalid_count();
    let run = tokio::spawn(consumer.run(counting(&seen)));
    let publisher = Arc::new(
        Publisher::new(cluster.config(publisher_order, "")).timeout(Duration::from_secs(60)),
    );
    // The consumer has bound the queue once a first message comes through.
    let start = Instant::now();
    loop {
        publisher
            .publish(&BaseMessage::new(&topic, json!({"i": -1})))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        if count(&seen) > 0 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{label}: the consumer never bound"
        );
    }
    let producer = Producer::start(Arc::clone(&publisher), &topic, MESSAGES, IN_FLIGHT);
    while producer.confirmed_count() < MESSAGES as usize / 3 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let (confirmed, consumed) = (producer.confirmed_count(), count(&seen));
    let killed = Instant::now();
    cluster.kill(victim);
    let (mut to_confirm, mut to_delivery) = (None, None);
    while to_confirm.is_none() || to_delivery.is_none() {
        if to_confirm.is_none() && producer.confirmed_count() > confirmed {
            to_confirm = Some(killed.elapsed());
        }
        if to_delivery.is_none() && count(&seen) > consumed {
            to_delivery = Some(killed.elapsed());
        }
        assert!(
            killed.elapsed() < Duration::from_secs(90),
            "{label}: traffic did not resume after the kill of node {victim} (first confirm after {to_confirm:?}, first delivery after {to_delivery:?}; {} confirmed, {} failed, {} consumed)",
            producer.confirmed_count(),
            producer.failed.lock().unwrap(),
            count(&seen)
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    println!(
        "{label}: killed node {victim} (the leader) after {confirmed} confirms; first confirm after {:.2} s, first message handled after {:.2} s",
        to_confirm.unwrap().as_secs_f64(),
        to_delivery.unwrap().as_secs_f64()
    );
    let failed = *producer.failed.lock().unwrap();
    let lost = producer
        .finish(&seen, Duration::from_secs(120), label)
        .await;
    assert_eq!(
        failed, 0,
        "{label}: with a majority up every publish is confirmed"
    );
    // Our consumer, still attached, has had `finish`'s wait to take whatever the queue holds.
    let missing = if lost.is_empty() {
        Missing {
            unexplained: lost,
            not_held_by_broker: Vec::new(),
        }
    } else {
        let survivor = others(victim)[0];
        // The counts lag a little behind the consumer's acks: a few looks.
        let mut counts = queue_counts(cluster, survivor, queue);
        for _ in 0..10 {
            if counts == (0, 0) {
                break;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
            counts = queue_counts(cluster, survivor, queue);
        }
        println!(
            "{label}: {} confirmed never consumed; the queue, its consumer attached, holds {} ready and {} unacked",
            lost.len(),
            counts.0,
            counts.1
        );
        if counts == (0, 0) {
            Missing {
                unexplained: Vec::new(),
                not_held_by_broker: lost,
            }
        } else {
            Missing {
                unexplained: lost,
                not_held_by_broker: Vec::new(),
            }
        }
    };
    stop.stop();
    let _ = run.await;
    // Every delivery went to the handler (which counts it) or was rejected as invalid: none was.
    assert_eq!(
        Stats::global().invalid_count(),
        invalid_before,
        "{label}: the consumer rejected deliveries as invalid"
    );
    // The broker's fault has been seen only when the publisher's node is the one killed.
    missing.check(label, publisher_order[0] == victim);
}

/// The nodes but `n`, in order.
fn others(n: usize) -> Vec<usize> {
    (1..=3).filter(|m| *m != n).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failover_on_a_three_node_cluster_loses_nothing_confirmed() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_test_writer()
        .try_init();
    let cluster = Cluster::start();

    // 1. The leader dies; the publisher and the consumer are on the other nodes.
    let first = common::unique("fm-quorum");
    declare_on(&cluster, 1, &first).await;
    let leader = cluster.leader(&first);
    let o = others(leader);
    traffic_with_kill(
        &cluster,
        "leader killed, clients elsewhere",
        &[o[0], o[1], leader],
        &[o[1], o[0], leader],
        &first,
        leader,
    )
    .await;
    cluster.revive(leader);

    // 2. The leader dies with the publisher connected to it (the consumer elsewhere).
    let queue = common::unique("fm-quorum");
    declare_on(&cluster, 2, &queue).await;
    let leader = cluster.leader(&queue);
    let o = others(leader);
    traffic_with_kill(
        &cluster,
        "leader killed under the publisher",
        &[leader, o[0], o[1]],
        &[o[0], o[1], leader],
        &queue,
        leader,
    )
    .await;
    cluster.revive(leader);

    // 3. The leader dies with the consumer connected to it (the publisher elsewhere).
    let queue = common::unique("fm-quorum");
    declare_on(&cluster, 3, &queue).await;
    let leader = cluster.leader(&queue);
    let o = others(leader);
    traffic_with_kill(
        &cluster,
        "leader killed under the consumer",
        &[o[0], o[1], leader],
        &[leader, o[0], o[1]],
        &queue,
        leader,
    )
    .await;
    // 4. It comes back (and rejoins the queue); then its successor dies: the same promises.
    cluster.revive(leader);
    let successor = cluster.leader(&queue);
    assert_ne!(successor, leader);
    traffic_with_kill(
        &cluster,
        "revived, then the next leader killed",
        &[1, 2, 3],
        &[3, 2, 1],
        &queue,
        successor,
    )
    .await;

    // 5. Two nodes down: no majority, so no publish is reported sent; one back, and it goes.
    let up = others(successor);
    let topic = common::unique("nomajority");
    {
        // Routed to the quorum queue (an unroutable message would be confirmed at once).
        let conn = Connection::connect(&cluster.urls[up[0] - 1], ConnectionProperties::default())
            .await
            .unwrap();
        let ch = conn.create_channel().await.unwrap();
        ch.queue_bind(
            queue.as_str().into(),
            "amq.topic".into(),
            topic.as_str().into(),
            Default::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
        let _ = conn.close(200, "bye".into()).await;
    }
    let (survivor, second) = (up[0], up[1]);
    cluster.kill(second);
    let publisher =
        Publisher::new(cluster.config(&[survivor, second], "")).timeout(Duration::from_secs(8));
    let m = BaseMessage::new(&topic, json!({"i": "no majority"}));
    match publisher.publish(&m).await {
        Err(PublishError::Timeout { .. } | PublishError::Returned { .. }) => {}
        other => {
            panic!("with two of three nodes down a publish must not be reported sent: {other:?}")
        }
    }
    // The same publisher goes on once a node is back.
    let started = Instant::now();
    cluster.revive(second);
    while let Err(e) = publisher.publish(&m).await {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the publisher never recovered: {e}"
        );
    }
    println!(
        "no majority: the publish timed out; node {second} restarted and a publish was confirmed {:.1} s later",
        started.elapsed().as_secs_f64()
    );
}
