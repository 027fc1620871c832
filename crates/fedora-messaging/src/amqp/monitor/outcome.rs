//! Which consumed-message counter a handler's answer moves, as Python 3.9.1's consumer counts:
//! success → `processed`; `Nack` → `rejected`; `Drop` → `dropped`; `HaltConsumer` → `processed`,
//! or `rejected` when it requeues; any other exception → `failed`.

use crate::amqp::consume::HandlerError;

/// The counter a handled message moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Acked after the handler succeeded (or halted without requeue).
    Processed,
    /// Put back on the queue (`Nack`, or a halt with requeue).
    Rejected,
    /// Dropped (`Drop`).
    Dropped,
    /// The handler failed.
    Failed,
}

impl Outcome {
    /// The outcome of a handler's answer.
    pub fn of(result: &Result<(), HandlerError>) -> Self {
        match result {
            Ok(()) => Self::Processed,
            Err(HandlerError::Nack) => Self::Rejected,
            Err(HandlerError::Drop) => Self::Dropped,
            Err(HandlerError::Halt { requeue: true, .. }) => Self::Rejected,
            Err(HandlerError::Halt { requeue: false, .. }) => Self::Processed,
            Err(HandlerError::Failed(_)) => Self::Failed,
        }
    }

    /// The label of the `outcome` metric.
    pub fn label(self) -> &'static str {
        match self {
            Self::Processed => "processed",
            Self::Rejected => "rejected",
            Self::Dropped => "dropped",
            Self::Failed => "failed",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pythons_table() {
        let halt = |requeue| HandlerError::Halt {
            exit_code: 0,
            requeue,
        };
        assert_eq!(Outcome::of(&Ok(())), Outcome::Processed);
        assert_eq!(Outcome::of(&Err(HandlerError::Nack)), Outcome::Rejected);
        assert_eq!(Outcome::of(&Err(HandlerError::Drop)), Outcome::Dropped);
        assert_eq!(Outcome::of(&Err(halt(true))), Outcome::Rejected);
        assert_eq!(Outcome::of(&Err(halt(false))), Outcome::Processed);
        assert_eq!(
            Outcome::of(&Err(HandlerError::Failed("x".into()))),
            Outcome::Failed
        );
    }
}
