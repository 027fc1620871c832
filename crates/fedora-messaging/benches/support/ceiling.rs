//! Where the pipelined publish path stops, and why no client gets much past it: the bare lapin
//! loop of `amqp.rs` (200 B, 1,000 confirms in flight in all) spread over more channels into the
//! one queue, and over as many queues as channels.
//!
//! On one queue every message passes through that queue's single Erlang process, so more
//! channels (less work for lapin per confirm, see below) leave msgs/s where it was; more queues
//! raise it. Lapin's own CPU per message also falls with fewer confirms in flight per channel:
//! each `multiple` confirm from the broker scans all of the channel's pending confirms.

use std::time::Duration;

use futures_util::future::join_all;
use lapin::options::{ConfirmSelectOptions, QueueDeleteOptions};
use serde_json::json;

use crate::bench_message::message;
use crate::broker::{
    bare_publish, channel, depth_of, emit_measure, fresh_queue_named, traffic, BLOCKS, QUEUE,
    ROUTING_KEY, WINDOW,
};
use crate::cost::Cost;

/// (channels, queues): the bare loop as `amqp.rs` runs it, then more channels into one queue,
/// then one queue per channel.
const SHAPES: [(usize, usize); 4] = [(1, 1), (4, 1), (2, 2), (4, 4)];

/// The queue and routing key number `i`; the first is the queue of the other runs. The keys start
/// with the benches' prefix, so nothing reaches the Python baseline's queues.
fn queue(i: usize) -> (String, String) {
    if i == 0 {
        (QUEUE.into(), ROUTING_KEY.into())
    } else {
        (
            format!("{QUEUE}_ceiling_{i}"),
            format!("{ROUTING_KEY}.ceiling.{i}"),
        )
    }
}

/// Publishes about `n` messages per shape, in interleaved blocks, and prints one line per shape.
pub(crate) async fn run(n: usize) {
    let (traffic, _) = traffic(&message(200), 200);
    let (conn, ch) = channel().await;
    let most = SHAPES.iter().map(|s| s.0.max(s.1)).max().unwrap_or(1);
    let mut channels = Vec::new();
    for _ in 0..most {
        let c = conn.create_channel().await.unwrap();
        c.confirm_select(ConfirmSelectOptions::default())
            .await
            .unwrap();
        channels.push(c);
    }
    let queues: Vec<_> = (0..most).map(queue).collect();
    let block = n / BLOCKS;
    let mut spent = [Duration::ZERO; SHAPES.len()];
    let mut cost = [Cost::default(); SHAPES.len()];
    let mut sent = [0; SHAPES.len()];
    for b in 0..BLOCKS {
        for turn in 0..SHAPES.len() {
            let s = (b + turn) % SHAPES.len();
            let (n_channels, n_queues) = SHAPES[s];
            for (q, key) in &queues {
                fresh_queue_named(&ch, q, key).await;
            }
            let per_channel = block / n_channels;
            let before = Cost::now();
            let started = std::time::Instant::now();
            join_all(channels[..n_channels].iter().enumerate().map(|(i, c)| {
                let key = &queues[i % n_queues].1;
                bare_publish(c, key, per_channel, &traffic, WINDOW / n_channels)
            }))
            .await;
            spent[s] += started.elapsed();
            cost[s] = cost[s].add(Cost::now().since(before));
            sent[s] += per_channel * n_channels;
            let mut stored = 0;
            for (q, _) in &queues {
                stored += depth_of(&ch, q).await as usize;
            }
            assert_eq!(
                stored,
                per_channel * n_channels,
                "every confirmed message is in a queue"
            );
        }
    }
    for (s, (n_channels, n_queues)) in SHAPES.iter().enumerate() {
        emit_measure(
            json!({
                "path": "publish-ceiling", "impl": "bare", "size": 200, "n": sent[s],
                "channels": n_channels, "queues": n_queues, "in_flight": WINDOW,
                "msgs_per_s": sent[s] as f64 / spent[s].as_secs_f64(),
            }),
            cost[s].per_message(sent[s]),
        );
    }
    fresh_queue_named(&ch, QUEUE, ROUTING_KEY).await;
    for (q, _) in &queues[1..] {
        ch.queue_delete(q.as_str().into(), QueueDeleteOptions::default())
            .await
            .unwrap();
    }
    let _ = conn.close(200, "ok".into()).await;
}
