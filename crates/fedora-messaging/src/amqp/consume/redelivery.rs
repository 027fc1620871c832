//! Counting how often each message was requeued, for [`Consumer::max_redeliveries`](super::Consumer::max_redeliveries).
//!
//! Counted per message id in this process, and taken from the broker's `x-delivery-count` header
//! where the queue type keeps one (quorum queues), whichever is higher. A message leaves the count
//! as soon as it is settled for good (acked, rejected or dropped), so a long-running consumer
//! holds only the messages that are still going round.

use std::collections::HashMap;

use super::ack::Settle;

/// Requeues per message id.
#[derive(Debug, Default)]
pub(crate) struct Redeliveries {
    counts: HashMap<String, u32>,
}

impl Redeliveries {
    /// How many times the message `id` was requeued before, by our count or the broker's.
    pub(crate) fn requeued_before(&self, id: &str, broker_count: Option<u32>) -> u32 {
        let ours = self.counts.get(id).copied().unwrap_or(0);
        ours.max(broker_count.unwrap_or(0))
    }

    /// Records how the message `id` was settled, `requeued_before` times requeued before.
    pub(crate) fn record(&mut self, id: &str, requeued_before: u32, settle: Settle) {
        match settle {
            Settle::Requeue => {
                self.counts
                    .insert(id.to_owned(), requeued_before.saturating_add(1));
            }
            // Settled for good: the message will not come back.
            Settle::Ack | Settle::Reject => {
                self.counts.remove(id);
            }
            // Everything unacked goes back and the consumer stops: nothing to keep.
            Settle::RequeueAll => self.counts.clear(),
        }
    }

    /// How many messages are being counted.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.counts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::super::ack::decide;
    use super::super::handler::HandlerError;
    use super::*;

    /// One delivery through the decision and the count, as the consumer does it.
    fn deliver(
        r: &mut Redeliveries,
        id: &str,
        outcome: Result<(), HandlerError>,
        max: u32,
    ) -> Settle {
        let before = r.requeued_before(id, None);
        let decision = decide(&outcome, Some(max), before);
        r.record(id, before, decision.settle);
        decision.settle
    }

    #[test]
    fn messages_that_fail_once_then_succeed_leave_nothing_behind() {
        let mut r = Redeliveries::default();
        for i in 0..10_000 {
            let id = format!("msg-{i}");
            assert_eq!(
                deliver(&mut r, &id, Err(HandlerError::Nack), 3),
                Settle::Requeue
            );
            assert_eq!(deliver(&mut r, &id, Ok(()), 3), Settle::Ack);
        }
        assert_eq!(r.len(), 0);
    }

    #[test]
    fn a_poison_message_is_requeued_max_times_then_rejected_and_forgotten() {
        let mut r = Redeliveries::default();
        let settles: Vec<Settle> = (0..4)
            .map(|_| deliver(&mut r, "poison", Err(HandlerError::Failed("x".into())), 3))
            .collect();
        assert_eq!(
            settles,
            [
                Settle::Requeue,
                Settle::Requeue,
                Settle::Requeue,
                Settle::Reject
            ]
        );
        assert_eq!(r.len(), 0);
    }

    #[test]
    fn the_brokers_count_wins_when_higher() {
        let mut r = Redeliveries::default();
        assert_eq!(r.requeued_before("a", Some(5)), 5);
        r.record("a", 1, Settle::Requeue);
        assert_eq!(r.requeued_before("a", None), 2);
        assert_eq!(r.requeued_before("a", Some(1)), 2);
        r.record("a", 2, Settle::Reject);
        assert_eq!(r.len(), 0);
    }
}
