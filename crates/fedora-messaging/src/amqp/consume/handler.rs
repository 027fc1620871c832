//! What a handler receives ([`Received`]) and what it can answer besides success ([`HandlerError`]).

use crate::envelope::Envelope;
use crate::message::{DynMessage, Message};
use crate::registry::Decoded;

/// What a handler can tell the consumer besides success (Python's `Nack`, `Drop`, `HaltConsumer`
/// and any other exception). Any `std::error::Error` converts into [`HandlerError::Failed`] with `?`.
pub enum HandlerError {
    /// Put the message back on the queue; it will be delivered again.
    Nack,
    /// Drop the message (or dead-letter it, if the queue says so).
    Drop,
    /// Stop consuming with `exit_code`; the message is acked, or requeued if `requeue`.
    Halt {
        /// The exit code a CLI should end with.
        exit_code: i32,
        /// Requeue this message instead of acking it.
        requeue: bool,
    },
    /// Anything else: every unacked message is requeued and the consumer stops, as in Python.
    Failed(Box<dyn std::error::Error + Send + Sync>),
}

impl std::fmt::Debug for HandlerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Nack => f.write_str("Nack"),
            Self::Drop => f.write_str("Drop"),
            Self::Halt { exit_code, requeue } => {
                write!(f, "Halt {{ exit_code: {exit_code}, requeue: {requeue} }}")
            }
            Self::Failed(e) => write!(f, "Failed({e})"),
        }
    }
}

impl<E: std::error::Error + Send + Sync + 'static> From<E> for HandlerError {
    fn from(e: E) -> Self {
        Self::Failed(Box::new(e))
    }
}

/// A message handed to the handler: validated, and typed when its schema is registered.
#[derive(Debug)]
pub struct Received {
    /// The message, typed or not.
    pub decoded: Decoded,
    /// Whether the broker delivered it before (to this or another consumer).
    pub redelivered: bool,
}

impl Received {
    /// The envelope (topic, headers, body, id; `queue` is set).
    pub fn envelope(&self) -> &Envelope {
        self.decoded.envelope()
    }

    /// The typed message, if it is an `M`.
    pub fn downcast_ref<M: Message>(&self) -> Option<&M> {
        self.decoded.downcast_ref()
    }

    /// The typed message, whatever its type, if its schema is registered.
    pub fn message(&self) -> Option<&dyn DynMessage> {
        match &self.decoded {
            Decoded::Known { message, .. } => Some(message.as_ref()),
            Decoded::Unknown { .. } => None,
        }
    }
}

/// How a consumer ended without an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// Asked to stop (a signal or a [`StopHandle`](super::StopHandle)); the messages in progress
    /// finished and were acked.
    Shutdown,
    /// A handler returned [`HandlerError::Halt`].
    Halted {
        /// The exit code it asked for.
        exit_code: i32,
    },
}
