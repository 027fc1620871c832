//! Where messages are acked: carrying out [`ack::decide`](super::ack::decide) on the broker, once
//! the handler has answered, and keeping the redelivery count.

use lapin::options::{BasicAckOptions, BasicNackOptions};
use lapin::Channel;

use super::ack::{self, Settle, Then};
use super::batch::{Ack, AckBatch};
use super::dispatch::Done;
use super::handler::HandlerError;
use super::redelivery::Redeliveries;
use super::Consumer;

/// What the consume loop does after a message was settled.
pub(super) enum Settled {
    Continue,
    Halt(i32),
    /// Every unacked message was requeued; stop with the handler's error.
    Fail(Box<dyn std::error::Error + Send + Sync>),
}

impl Consumer {
    /// Acks, requeues or rejects `done`'s message as its handler's answer says.
    pub(super) async fn settle(
        &self,
        channels: &[(Channel, String, String)],
        done: Done,
        redeliveries: &mut Redeliveries,
        batch: &mut AckBatch,
    ) -> Settled {
        let ch = &channels[done.channel].0;
        let counting = self.max_redeliveries.is_some();
        let before = if counting {
            redeliveries.requeued_before(&done.id, done.delivery_count)
        } else {
            0
        };
        let decision = ack::decide(&done.result, self.max_redeliveries, before);
        if counting {
            redeliveries.record(&done.id, before, decision.settle);
        }
        if decision.over_limit {
            tracing::error!(
                id = %done.id,
                redeliveries = before,
                "message redelivered {before} times and failed again; dropping it (or dead-lettering it per the queue policy)"
            );
        } else if let Err(HandlerError::Failed(e)) = &done.result {
            if counting {
                tracing::warn!(id = %done.id, error = %e, "handler failed; requeueing its message");
            }
        }
        let nack = |requeue, multiple| BasicNackOptions { multiple, requeue };
        if matches!(decision.settle, Settle::Ack) && matches!(decision.then, Then::Continue) {
            // Held while more deliveries are ready (batch.rs); the consume loop sends it.
            let now = std::time::Instant::now();
            if let Some(a) = batch.hold(done.channel, done.tag, now, done.took) {
                send_ack(channels, done.channel, a).await;
            }
            return Settled::Continue;
        }
        // Anything else goes out after the acks held so far, in the order it was decided.
        flush_acks(channels, batch).await;
        let sent = match decision.settle {
            Settle::Ack => ch.basic_ack(done.tag, BasicAckOptions::default()).await,
            Settle::Requeue => ch.basic_nack(done.tag, nack(true, false)).await,
            Settle::Reject => ch.basic_nack(done.tag, nack(false, false)).await,
            Settle::RequeueAll => {
                // As Python: every unacked message on every channel goes back.
                for (ch, _, _) in channels {
                    let _ = ch.basic_nack(0, nack(true, true)).await;
                }
                Ok(())
            }
        };
        if let Err(e) = sent {
            // The channel is gone; the broker redelivers the message (handled twice, not lost).
            tracing::warn!(id = %done.id, error = %e, "could not settle a message; it will be redelivered");
            return Settled::Continue;
        }
        match decision.then {
            Then::Continue => Settled::Continue,
            Then::Halt(code) => Settled::Halt(code),
            Then::Fail => match done.result {
                Err(HandlerError::Failed(e)) => Settled::Fail(e),
                _ => Settled::Fail("the handler failed".into()),
            },
        }
    }
}

/// Sends every ack `batch` holds.
pub(super) async fn flush_acks(channels: &[(Channel, String, String)], batch: &mut AckBatch) {
    for (channel, a) in batch.drain() {
        send_ack(channels, channel, a).await;
    }
}

/// Sends one (possibly `multiple`) ack. A channel that is gone gets its messages redelivered by
/// the broker (handled twice, never lost).
pub(super) async fn send_ack(channels: &[(Channel, String, String)], channel: usize, a: Ack) {
    let options = BasicAckOptions {
        multiple: a.multiple,
    };
    if let Err(e) = channels[channel].0.basic_ack(a.tag, options).await {
        tracing::warn!(tag = a.tag, multiple = a.multiple, error = %e, "could not ack; the broker will redeliver");
    }
}
