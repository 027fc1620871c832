//! End-to-end AMQP benchmark against the local RabbitMQ, in the conditions of the Python baseline
//! (`bench/python`): a durable queue, persistent messages, publisher confirms, the
//! baseline's `BenchMessageV1` at 200 B and 4 KB. Each path is measured three times in the same
//! run: through this crate ("ours": typed message, headers, validation, confirms; decode,
//! validation, typed dispatch and an ack after the handler) and through bare loops of two AMQP
//! clients, lapin ("bare") and amqprs ("amqprs"), sending and receiving the same bytes with no
//! validation and no header logic (`support/bare_amqprs.rs` checks the broker stores the same
//! message from each). Next to msgs/s, each measure carries the client's CPU time and context
//! switches per message and the broker's CPU time per message (`support/cost.rs`).
//!
//! ```text
//! cargo bench -p fedora-messaging --bench amqp -- publish N_SEQ N_PIPE SIZE   # sequential, pipelined; ours, bare
//! cargo bench -p fedora-messaging --bench amqp -- prefill N SIZE      # N valid messages in the consume queue
//! cargo bench -p fedora-messaging --bench amqp -- consume ours|bare|amqprs N PREFETCH
//! cargo bench -p fedora-messaging --bench amqp -- ceiling N          # bare lapin over 1-4 channels and queues
//! cargo bench -p fedora-messaging --bench amqp -- client-check [--alarm]   # beyond speed
//! ```
//!
//! Each measurement is one JSON line on standard output; `scripts/bench-amqp` runs them all next to
//! the Python baseline and prints the table of `BENCHMARKS.md`. Consumers run in a process of their
//! own, so their peak RSS (`VmHWM`) is the consumer's alone.

#![allow(clippy::unwrap_used)] // a benchmark: a panic is the failure report

#[path = "support/bare_amqprs.rs"]
mod bare_amqprs;
#[path = "support/bench_message.rs"]
mod bench_message;
#[path = "support/broker.rs"]
mod broker;
#[path = "support/ceiling.rs"]
mod ceiling;
#[path = "support/client_check.rs"]
mod client_check;
#[path = "support/cost.rs"]
mod cost;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bench_message::{message, BenchMessageV1};
use broker::{
    bare_publish, channel, config, depth, emit_measure, fresh_queue, num, our_publish, prefill,
    traffic, BLOCKS, QUEUE, ROUTING_KEY, WINDOW,
};
use cost::{peak_rss_kib, Cost};
use fedora_messaging::amqp::config::QueueConfig;
use fedora_messaging::amqp::consume::{Consumer, HandlerError, Received};
use fedora_messaging::amqp::publish::Publisher;
use fedora_messaging::Registry;
use futures_util::stream::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicGetOptions, BasicQosOptions, ConfirmSelectOptions,
};
use lapin::types::FieldTable;
use lapin::Channel;
use serde_json::json;

async fn publish(n_sequential: usize, n_pipelined: usize, size: usize) {
    let msg = message(size);
    let (traffic, env) = traffic(&msg, size);
    let traffic_amqprs = (traffic.0.clone(), bare_amqprs::properties(&env));
    let (conn, ch) = channel().await;
    ch.confirm_select(ConfirmSelectOptions::default())
        .await
        .unwrap();
    let (conn_rs, ch_rs) = bare_amqprs::channel().await;
    let mut amqprs = bare_amqprs::ConfirmChannel::new(ch_rs).await;
    let publisher = Publisher::new(config(10));
    publisher.connect().await.unwrap();
    // Warm-up, not measured: connections, channels, validators compiled. And the check that the
    // three send the same message: what the broker stored from each is compared.
    fresh_queue(&ch).await;
    bare_publish(&ch, ROUTING_KEY, 1, &traffic, 1).await;
    amqprs.publish(1, ROUTING_KEY, &traffic_amqprs, 1).await;
    our_publish(&publisher, &msg, 1, 1).await;
    let stored: Vec<_> = futures_util::future::join_all((0..3).map(|_| stored_message(&ch))).await;
    assert_eq!(stored[0], stored[1], "amqprs sends what lapin sends");
    assert_eq!(stored[0].1, stored[2].1, "ours sends the same body");
    bare_publish(&ch, ROUTING_KEY, 20, &traffic, 1).await;
    amqprs.publish(20, ROUTING_KEY, &traffic_amqprs, 1).await;
    our_publish(&publisher, &msg, 20, 1).await;
    for (path, n, window) in [
        ("publish-sequential", n_sequential, 1),
        ("publish-pipelined", n_pipelined, WINDOW),
    ] {
        // Interleaved blocks, each side first in turn, so that whatever else the machine does
        // during the run weighs on all alike.
        let block = n / BLOCKS;
        let mut spent = [Duration::ZERO; 3];
        let mut cost = [Cost::default(); 3];
        for b in 0..BLOCKS {
            for turn in 0..3 {
                let imp = (b + turn) % 3;
                fresh_queue(&ch).await;
                let before = Cost::now();
                spent[imp] += match imp {
                    0 => bare_publish(&ch, ROUTING_KEY, block, &traffic, window).await,
                    1 => {
                        amqprs
                            .publish(block, ROUTING_KEY, &traffic_amqprs, window)
                            .await
                    }
                    _ => our_publish(&publisher, &msg, block, window).await,
                };
                cost[imp] = cost[imp].add(Cost::now().since(before));
                let stored = depth(&ch).await as usize;
                assert_eq!(stored, block, "every confirmed message is in the queue");
            }
        }
        for ((imp, elapsed), cost) in ["bare", "amqprs", "ours"].iter().zip(spent).zip(cost) {
            let n = (block * BLOCKS) as f64;
            emit_measure(
                json!({
                    "path": path, "impl": imp, "size": size, "n": block * BLOCKS,
                    "in_flight": window, "msgs_per_s": n / elapsed.as_secs_f64(),
                }),
                cost.per_message(block * BLOCKS),
            );
        }
    }
    fresh_queue(&ch).await;
    publisher.close().await;
    let _ = amqprs.channel.close().await;
    let _ = conn_rs.close().await;
    let _ = conn.close(200, "ok".into()).await;
}

/// The next message in the queue, taken off it: its properties (less `message_id`, which differs
/// per message of ours, and the timestamp headers) and body.
async fn stored_message(ch: &Channel) -> (String, Vec<u8>) {
    let got = ch
        .basic_get(QUEUE.into(), BasicGetOptions { no_ack: true })
        .await
        .unwrap()
        .expect("a message in the queue");
    let props = got.delivery.properties.clone().with_message_id("".into());
    (format!("{props:?}"), got.delivery.data.clone())
}

async fn consume(imp: &str, n: usize, prefetch: u16) {
    let started = Instant::now();
    let before = Cost::now();
    let first: Arc<std::sync::Mutex<Option<Instant>>> = Arc::default();
    let count = Arc::new(AtomicUsize::new(0));
    let wrong = Arc::new(AtomicUsize::new(0));
    match imp {
        "ours" => {
            let registry = Registry::new().with::<BenchMessageV1>().unwrap();
            let consumer = Consumer::new(config(prefetch))
                .registry(Arc::new(registry))
                .queue(QUEUE, QueueConfig::durable(), "amq.topic", &[ROUTING_KEY]);
            let stop = consumer.stop_handle();
            let (first2, count2, wrong2) =
                (Arc::clone(&first), Arc::clone(&count), Arc::clone(&wrong));
            consumer
                .run(move |msg: Received| {
                    first2.lock().unwrap().get_or_insert_with(Instant::now);
                    // The message arrived validated and typed, as in Python's consume_bench.
                    if msg.downcast_ref::<BenchMessageV1>().is_none() {
                        wrong2.fetch_add(1, Ordering::Relaxed);
                    }
                    if count2.fetch_add(1, Ordering::Relaxed) + 1 == n {
                        stop.stop();
                    }
                    async { Ok::<(), HandlerError>(()) }
                })
                .await
                .unwrap();
        }
        "amqprs" => {
            bare_amqprs::consume(QUEUE, n, prefetch, || {
                first.lock().unwrap().get_or_insert_with(Instant::now);
            })
            .await;
        }
        _ => {
            let (conn, ch) = channel().await;
            ch.basic_qos(prefetch, BasicQosOptions::default())
                .await
                .unwrap();
            let mut deliveries = ch
                .basic_consume(
                    QUEUE.into(),
                    "fmrs-bench-bare".into(),
                    BasicConsumeOptions::default(),
                    FieldTable::default(),
                )
                .await
                .unwrap();
            while let Some(d) = deliveries.next().await {
                let d = d.unwrap();
                first.lock().unwrap().get_or_insert_with(Instant::now);
                d.ack(BasicAckOptions::default()).await.unwrap();
                if count.fetch_add(1, Ordering::Relaxed) + 1 == n {
                    break;
                }
            }
            let _ = conn.close(200, "ok".into()).await;
        }
    }
    let total = started.elapsed();
    let cost = Cost::now().since(before);
    let steady = first.lock().unwrap().map(|f| f.elapsed()).unwrap_or(total);
    let (conn, ch) = channel().await;
    assert_eq!(depth(&ch).await, 0, "every message was consumed and acked");
    let _ = conn.close(200, "ok".into()).await;
    emit_measure(
        json!({
            "path": format!("consume-prefetch-{prefetch}"), "impl": imp, "n": n,
            "prefetch": prefetch, "msgs_per_s": n as f64 / total.as_secs_f64(),
            "steady_msgs_per_s": (n - 1) as f64 / steady.as_secs_f64(),
            "wrong_type": wrong.load(Ordering::Relaxed), "peak_rss_kib": peak_rss_kib(),
        }),
        cost.per_message(n),
    );
}

#[tokio::main]
async fn main() {
    let args = broker::args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["publish", sequential, pipelined, size] => {
            publish(num(sequential), num(pipelined), num(size)).await;
        }
        ["ceiling", n] => ceiling::run(num(n)).await,
        ["prefill", n, size] => prefill(num(n), num(size)).await,
        ["client-check"] => client_check::run(false).await,
        ["client-check", "--alarm"] => client_check::run(true).await,
        ["consume", imp @ ("ours" | "bare" | "amqprs"), n, prefetch] => {
            consume(imp, num(n), num(prefetch) as u16).await;
        }
        [] => eprintln!("amqp bench: run by scripts/bench-amqp (see the top of benches/amqp.rs)"),
        other => {
            eprintln!("amqp bench: unknown arguments {other:?}");
            std::process::exit(2);
        }
    }
}
