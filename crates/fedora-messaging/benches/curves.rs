//! Scale curves of our AMQP paths against the local RabbitMQ: how publish throughput moves with
//! the confirms kept in flight and with the message size, how consume throughput moves with the
//! prefetch and the handler concurrency, and what the consumer's memory costs per prefetched
//! message. `scripts/bench-curves` runs every point (each consumer in a process of its own, so its
//! peak RSS is its own) and draws the plots of `BENCHMARKS.md` and the book.
//!
//! ```text
//! cargo bench -p fedora-messaging --bench curves -- publish N SIZE IN_FLIGHT
//! cargo bench -p fedora-messaging --bench curves -- consume N SIZE PREFETCH CONCURRENCY HANDLER_US
//! ```
//!
//! Consume reads what `cargo bench --bench amqp -- prefill N SIZE` put in the queue; a handler of
//! `HANDLER_US` > 0 waits that long (a database or HTTP call stands for it) before it succeeds.

#![allow(clippy::unwrap_used)] // a benchmark: a panic is the failure report

#[path = "support/bench_message.rs"]
mod bench_message;
#[path = "support/broker.rs"]
mod broker;
#[path = "support/cost.rs"]
mod cost;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bench_message::{message, BenchMessageV1};
use broker::{
    channel, config, depth, emit_measure, fresh_queue, num, our_publish, QUEUE, ROUTING_KEY,
};
use cost::{peak_rss_kib, Cost};
use fedora_messaging::amqp::config::QueueConfig;
use fedora_messaging::amqp::consume::{Consumer, HandlerError, Received};
use fedora_messaging::amqp::publish::Publisher;
use fedora_messaging::Registry;
use serde_json::json;

async fn publish(n: usize, size: usize, in_flight: usize) {
    let msg = message(size);
    let (conn, ch) = channel().await;
    let publisher = Publisher::new(config(10));
    publisher.connect().await.unwrap();
    fresh_queue(&ch).await;
    our_publish(&publisher, &msg, 20.min(n), in_flight).await; // warm-up
    fresh_queue(&ch).await;
    let before = Cost::now();
    let elapsed = our_publish(&publisher, &msg, n, in_flight).await;
    let cost = Cost::now().since(before);
    assert_eq!(
        depth(&ch).await as usize,
        n,
        "every confirmed message is in the queue"
    );
    fresh_queue(&ch).await;
    publisher.close().await;
    let _ = conn.close(200, "ok".into()).await;
    let rate = n as f64 / elapsed.as_secs_f64();
    emit_measure(
        json!({
            "curve": "publish", "size": size, "in_flight": in_flight, "n": n,
            "msgs_per_s": rate, "mib_per_s": rate * size as f64 / (1024.0 * 1024.0),
            "peak_rss_kib": peak_rss_kib(),
        }),
        cost.per_message(n),
    );
}

async fn consume(n: usize, size: usize, prefetch: u16, concurrency: usize, handler_us: u64) {
    let registry = Registry::new().with::<BenchMessageV1>().unwrap();
    let consumer = Consumer::new(config(prefetch))
        .registry(Arc::new(registry))
        .concurrency(concurrency)
        .queue(QUEUE, QueueConfig::durable(), "amq.topic", &[ROUTING_KEY]);
    let stop = consumer.stop_handle();
    let count = Arc::new(AtomicUsize::new(0));
    let count2 = Arc::clone(&count);
    let wait = Duration::from_micros(handler_us);
    let started = Instant::now();
    let before = Cost::now();
    consumer
        .run(move |msg: Received| {
            assert!(msg.downcast_ref::<BenchMessageV1>().is_some());
            if count2.fetch_add(1, Ordering::Relaxed) + 1 == n {
                stop.stop();
            }
            async move {
                if !wait.is_zero() {
                    tokio::time::sleep(wait).await;
                }
                Ok::<(), HandlerError>(())
            }
        })
        .await
        .unwrap();
    let elapsed = started.elapsed();
    let cost = Cost::now().since(before);
    let (conn, ch) = channel().await;
    assert_eq!(depth(&ch).await, 0, "every message was consumed and acked");
    let _ = conn.close(200, "ok".into()).await;
    emit_measure(
        json!({
            "curve": "consume", "size": size, "prefetch": prefetch, "concurrency": concurrency,
            "handler_us": handler_us, "n": n, "msgs_per_s": n as f64 / elapsed.as_secs_f64(),
            "peak_rss_kib": peak_rss_kib(),
        }),
        cost.per_message(n),
    );
}

#[tokio::main]
async fn main() {
    let args = broker::args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["publish", n, size, in_flight] => publish(num(n), num(size), num(in_flight)).await,
        ["consume", n, size, prefetch, concurrency, handler_us] => {
            let prefetch = u16::try_from(num(prefetch)).expect("a prefetch of at most 65535");
            consume(
                num(n),
                num(size),
                prefetch,
                num(concurrency),
                num(handler_us) as u64,
            )
            .await;
        }
        [] => eprintln!(
            "curves bench: run by scripts/bench-curves (see the top of benches/curves.rs)"
        ),
        other => {
            eprintln!("curves bench: unknown arguments {other:?}");
            std::process::exit(2);
        }
    }
}
