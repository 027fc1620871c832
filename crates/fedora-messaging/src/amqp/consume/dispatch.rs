//! From a delivery to a handler's answer: read and validate it (an invalid one is rejected and the
//! handler never sees it), then run the handler, in place or as a task.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures_util::FutureExt;
use lapin::options::BasicNackOptions;
use tokio::task::JoinSet;

use super::handler::{HandlerError, Received};
use super::Consumer;
use crate::amqp::delivery::{self, ReceiveError};
use crate::amqp::monitor::{Outcome, Stats};
use crate::amqp::wire;
use crate::registry::Decoded;

/// What [`Consumer::dispatch`] did with a delivery.
pub(super) enum Dispatched {
    /// The handler ran in place and answered: settle it now.
    Done(Done),
    /// Rejected as invalid, or handed to a task of `tasks`.
    Elsewhere,
    /// The handler ran in place and panicked: its message stays unacked (redelivered later).
    Panicked,
}

/// One delivery's outcome, computed by its handler.
pub(super) struct Done {
    pub(super) tag: u64,
    pub(super) channel: usize,
    /// The message id, or a digest of routing key and body when it has none (for logs and counting).
    pub(super) id: String,
    /// The broker's `x-delivery-count`, where the queue type keeps one.
    pub(super) delivery_count: Option<u32>,
    pub(super) result: Result<(), HandlerError>,
    /// How long the handler took.
    pub(super) took: std::time::Duration,
}

impl Consumer {
    /// Validates a delivery and runs its handler, or rejects it. With one handler at a time (the
    /// default) the handler runs here and its outcome is returned, to settle at once: a task per
    /// message would cost a spawn and a cross-thread wake-up each. With more, it becomes a task of
    /// `tasks`.
    pub(super) async fn dispatch<F, Fut>(
        &self,
        index: usize,
        queue: &str,
        delivery: lapin::message::Delivery,
        handler: &Arc<F>,
        tasks: &mut JoinSet<Done>,
    ) -> Dispatched
    where
        F: Fn(Received) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), HandlerError>> + Send + 'static,
    {
        let props = wire::from_basic_properties(&delivery.properties);
        let id = match props.message_id.as_deref() {
            Some(id) if !id.is_empty() => id.to_owned(),
            _ => {
                use std::hash::{Hash, Hasher};
                let mut h = std::collections::hash_map::DefaultHasher::new();
                (delivery.routing_key.as_str(), &delivery.data).hash(&mut h);
                format!("(no id; digest {:016x})", h.finish())
            }
        };
        let delivery_count = props
            .headers
            .as_ref()
            .and_then(|h| h.get("x-delivery-count"))
            .and_then(serde_json::Value::as_u64)
            .and_then(|c| u32::try_from(c).ok());
        let tag = delivery.delivery_tag;
        match delivery::receive(
            &self.registry,
            delivery.routing_key.as_str(),
            props,
            &delivery.data,
        ) {
            Err(e) => {
                reject_invalid(&delivery, &id, &e).await;
                Dispatched::Elsewhere
            }
            Ok(mut decoded) => {
                set_queue(&mut decoded, queue);
                let received = Received {
                    decoded,
                    redelivered: delivery.redelivered,
                };
                let handler = Arc::clone(handler);
                let handling = Stats::global().start_handling();
                let work = async move {
                    let started = std::time::Instant::now();
                    let result = handler(received).await;
                    let took = started.elapsed();
                    handling.finish(Outcome::of(&result));
                    Done {
                        tag,
                        channel: index,
                        id,
                        delivery_count,
                        result,
                        took,
                    }
                };
                if self.concurrency > 1 {
                    tasks.spawn(work);
                    return Dispatched::Elsewhere;
                }
                // A panic stays inside the handler, as it would inside a task: the message is
                // left unacked (redelivered later) and consuming goes on.
                match AssertUnwindSafe(work).catch_unwind().await {
                    Ok(done) => Dispatched::Done(done),
                    Err(_) => Dispatched::Panicked,
                }
            }
        }
    }
}

fn set_queue(decoded: &mut Decoded, queue: &str) {
    match decoded {
        Decoded::Known { envelope, .. } | Decoded::Unknown { envelope } => {
            envelope.queue = Some(queue.to_owned())
        }
    }
}

/// A message that cannot be read or fails validation: rejected without requeue, as in Python, and
/// logged with its id and the reason, so it is never silently gone.
async fn reject_invalid(delivery: &lapin::message::Delivery, id: &str, e: &ReceiveError) {
    Stats::global().invalid();
    tracing::warn!(id, topic = %delivery.routing_key, error = %e, "message did not pass validation; rejecting it");
    let _ = delivery
        .acker
        .nack(BasicNackOptions {
            multiple: false,
            requeue: false,
        })
        .await;
}
