//! The ack decision: what the broker is told about a message once its handler has answered, and
//! whether the consumer goes on. A pure function of the answer and the redelivery count, so every
//! row of Python's callback table is tested here without a broker; [`super::settle`] carries it out.

use super::handler::HandlerError;

/// What the broker is told about the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Settle {
    /// `basic.ack`: done with it.
    Ack,
    /// `basic.nack` with requeue: deliver it again.
    Requeue,
    /// `basic.nack` without requeue: dropped, or dead-lettered by the queue's policy.
    Reject,
    /// `basic.nack multiple` with requeue on every channel: every unacked message goes back
    /// (Python's answer to an unexpected exception).
    RequeueAll,
}

/// What the consumer does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Then {
    /// Takes the next message.
    Continue,
    /// Stops with this exit code ([`HandlerError::Halt`]).
    Halt(i32),
    /// Stops with [`ConsumeError::HandlerFailed`](super::ConsumeError::HandlerFailed).
    Fail,
}

/// The decision for one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Decision {
    pub(crate) settle: Settle,
    pub(crate) then: Then,
    /// The message would have been requeued but has reached the redelivery limit.
    pub(crate) over_limit: bool,
}

/// The decision for a handler's `outcome`, with `max_redeliveries` (if set) and the number of
/// times this message was requeued before.
pub(crate) fn decide(
    outcome: &Result<(), HandlerError>,
    max_redeliveries: Option<u32>,
    requeued_before: u32,
) -> Decision {
    let go_on = |settle| Decision {
        settle,
        then: Then::Continue,
        over_limit: false,
    };
    // A requeue that counts against the limit: past it, the message is rejected instead.
    let requeue_counted = || match max_redeliveries {
        Some(max) if requeued_before >= max => Decision {
            settle: Settle::Reject,
            then: Then::Continue,
            over_limit: true,
        },
        _ => go_on(Settle::Requeue),
    };
    match outcome {
        Ok(()) => go_on(Settle::Ack),
        Err(HandlerError::Drop) => go_on(Settle::Reject),
        Err(HandlerError::Nack) => requeue_counted(),
        Err(HandlerError::Halt { exit_code, requeue }) => Decision {
            settle: if *requeue {
                Settle::Requeue
            } else {
                Settle::Ack
            },
            then: Then::Halt(*exit_code),
            over_limit: false,
        },
        // With a redelivery limit a failure requeues its own message only and consuming goes on,
        // so one poison message cannot stop the consumer.
        Err(HandlerError::Failed(_)) if max_redeliveries.is_some() => requeue_counted(),
        // Python's behaviour: requeue everything and stop.
        Err(HandlerError::Failed(_)) => Decision {
            settle: Settle::RequeueAll,
            then: Then::Fail,
            over_limit: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed() -> HandlerError {
        HandlerError::Failed("boom".into())
    }

    fn d(settle: Settle, then: Then) -> Decision {
        Decision {
            settle,
            then,
            over_limit: false,
        }
    }

    #[test]
    fn pythons_callback_table_without_a_limit() {
        let halt = |requeue| HandlerError::Halt {
            exit_code: 3,
            requeue,
        };
        assert_eq!(decide(&Ok(()), None, 0), d(Settle::Ack, Then::Continue));
        assert_eq!(
            decide(&Err(HandlerError::Nack), None, 0),
            d(Settle::Requeue, Then::Continue)
        );
        // Without a limit, requeues are never counted against anything.
        assert_eq!(
            decide(&Err(HandlerError::Nack), None, 1_000_000),
            d(Settle::Requeue, Then::Continue)
        );
        assert_eq!(
            decide(&Err(HandlerError::Drop), None, 0),
            d(Settle::Reject, Then::Continue)
        );
        assert_eq!(
            decide(&Err(halt(false)), None, 0),
            d(Settle::Ack, Then::Halt(3))
        );
        assert_eq!(
            decide(&Err(halt(true)), None, 0),
            d(Settle::Requeue, Then::Halt(3))
        );
        assert_eq!(
            decide(&Err(failed()), None, 0),
            d(Settle::RequeueAll, Then::Fail)
        );
    }

    #[test]
    fn a_limit_turns_failures_into_per_message_requeues_until_it_is_reached() {
        for outcome in [|| Err(HandlerError::Nack), || Err(failed())] {
            assert_eq!(
                decide(&outcome(), Some(2), 0),
                d(Settle::Requeue, Then::Continue)
            );
            assert_eq!(
                decide(&outcome(), Some(2), 1),
                d(Settle::Requeue, Then::Continue)
            );
            assert_eq!(
                decide(&outcome(), Some(2), 2),
                Decision {
                    settle: Settle::Reject,
                    then: Then::Continue,
                    over_limit: true
                }
            );
        }
        // Success, drop and halt are not affected by the limit.
        assert_eq!(decide(&Ok(()), Some(0), 9), d(Settle::Ack, Then::Continue));
        assert_eq!(
            decide(&Err(HandlerError::Drop), Some(0), 9),
            d(Settle::Reject, Then::Continue)
        );
        assert_eq!(
            decide(
                &Err(HandlerError::Halt {
                    exit_code: 0,
                    requeue: true
                }),
                Some(0),
                9
            ),
            d(Settle::Requeue, Then::Halt(0))
        );
    }

    #[test]
    fn a_limit_of_zero_never_requeues() {
        assert_eq!(
            decide(&Err(HandlerError::Nack), Some(0), 0).settle,
            Settle::Reject
        );
    }
}
