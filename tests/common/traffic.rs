//! Numbered traffic for the fault tests: a publisher sending `{"i": n}` messages with many in
//! flight, a consumer counting what it sees, and the accounting of what was lost.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fedora_messaging::amqp::consume::{HandlerError, Received};
use fedora_messaging::amqp::publish::Publisher;
use fedora_messaging::BaseMessage;
use serde_json::json;
use tokio::task::JoinHandle;

/// How many times the consumer saw each message number.
pub(crate) type Seen = Arc<Mutex<HashMap<i64, usize>>>;

/// A handler that counts deliveries per message number into `seen`.
pub(crate) fn counting(
    seen: &Seen,
) -> impl Fn(Received) -> std::pin::Pin<Box<dyn Future<Output = Result<(), HandlerError>> + Send>>
       + Send
       + Sync
       + 'static {
    let seen = Arc::clone(seen);
    move |m: Received| {
        let seen = Arc::clone(&seen);
        Box::pin(async move {
            let i = m.envelope().body["i"].as_i64().unwrap_or(-1);
            *seen
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .entry(i)
                .or_default() += 1;
            Ok(())
        })
    }
}

/// Publishes messages 0..n on `topic`, `in_flight` at a time, in the background.
pub(crate) struct Producer {
    pub(crate) confirmed: Arc<Mutex<Vec<i64>>>,
    pub(crate) failed: Arc<Mutex<usize>>,
    pub(crate) task: JoinHandle<()>,
    pub(crate) started: Instant,
    n: i64,
}

impl Producer {
    pub(crate) fn start(publisher: Arc<Publisher>, topic: &str, n: i64, in_flight: usize) -> Self {
        let confirmed: Arc<Mutex<Vec<i64>>> = Arc::default();
        let failed = Arc::new(Mutex::new(0usize));
        let (c, f, topic) = (
            Arc::clone(&confirmed),
            Arc::clone(&failed),
            topic.to_owned(),
        );
        let task = tokio::spawn(async move {
            for chunk in (0..n).collect::<Vec<_>>().chunks(in_flight) {
                let tasks: Vec<_> = chunk
                    .iter()
                    .map(|&i| {
                        let (p, t) = (Arc::clone(&publisher), topic.clone());
                        tokio::spawn(async move {
                            (i, p.publish(&BaseMessage::new(t, json!({"i": i}))).await)
                        })
                    })
                    .collect();
                for t in tasks {
                    match t.await {
                        Ok((i, Ok(_))) => c.lock().unwrap_or_else(|e| e.into_inner()).push(i),
                        _ => *f.lock().unwrap_or_else(|e| e.into_inner()) += 1,
                    }
                }
            }
        });
        Self {
            confirmed,
            failed,
            task,
            started: Instant::now(),
            n,
        }
    }

    pub(crate) fn confirmed_count(&self) -> usize {
        self.confirmed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .len()
    }

    /// Waits for the producer, then (up to `wait`) for every confirmed message to be seen; prints
    /// the figures under `label` and returns the confirmed numbers never seen.
    pub(crate) async fn finish(self, seen: &Seen, wait: Duration, label: &str) -> Vec<i64> {
        self.task.await.expect("the producer task");
        let confirmed = self
            .confirmed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let failed = *self.failed.lock().unwrap_or_else(|e| e.into_inner());
        assert_eq!(
            confirmed.len() + failed,
            self.n as usize,
            "every publish reported"
        );
        let missing = |seen: &Seen| {
            let seen = seen.lock().unwrap_or_else(|e| e.into_inner());
            confirmed
                .iter()
                .filter(|i| !seen.contains_key(i))
                .copied()
                .collect::<Vec<_>>()
        };
        let deadline = Instant::now() + wait;
        while !missing(seen).is_empty() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let lost = missing(seen);
        let seen = seen.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let duplicates: usize = seen.values().map(|c| c - 1).sum();
        println!(
            "{label}: sent {}, confirmed {}, reported failed {failed}, consumed {} distinct, duplicates {duplicates}, lost {} ({:.1} s)",
            self.n,
            confirmed.len(),
            seen.len(),
            lost.len(),
            self.started.elapsed().as_secs_f64()
        );
        lost
    }
}
