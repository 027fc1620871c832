//! What the broker's publisher confirm for one message means: the one place that decides whether
//! a publish is a message sent.

use lapin::Confirmation;

/// What the broker's answer to one publish means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Answer {
    /// Acked: the broker says it took the message.
    Confirmed,
    /// Acked after returning it as unroutable (mandatory mode); `reason` is its code and text.
    Returned { reason: String },
    /// Nacked: the broker did not take it.
    Nacked,
    /// No confirm was asked for: nothing says the broker has it.
    NotConfirming,
}

/// The meaning of a confirmation: only an ack of a message that was not returned is a message
/// sent.
pub(crate) fn answer(confirmation: &Confirmation) -> Answer {
    match confirmation {
        Confirmation::Ack(None) => Answer::Confirmed,
        Confirmation::Ack(Some(returned)) => Answer::Returned {
            reason: format!("{} {}", returned.reply_code, returned.reply_text),
        },
        Confirmation::Nack(_) => Answer::Nacked,
        Confirmation::NotRequested => Answer::NotConfirming,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_ack_without_a_return_is_a_message_sent() {
        assert_eq!(answer(&Confirmation::Ack(None)), Answer::Confirmed);
        assert_eq!(answer(&Confirmation::Nack(None)), Answer::Nacked);
        let returned = lapin::message::BasicReturnMessage {
            delivery: lapin::message::Delivery::mock(
                1,
                "amq.topic".into(),
                "a.b".into(),
                false,
                Vec::new(),
            ),
            reply_code: 312,
            reply_text: "NO_ROUTE".into(),
        };
        assert_eq!(
            answer(&Confirmation::Ack(Some(returned))),
            Answer::Returned {
                reason: "312 NO_ROUTE".into()
            }
        );
        // A channel without confirms says nothing about the message: not sent.
        assert_eq!(answer(&Confirmation::NotRequested), Answer::NotConfirming);
    }
}
