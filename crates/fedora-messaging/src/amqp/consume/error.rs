//! [`ConsumeError`]: why a consumer stopped with an error, and Python's CLI exit code for it.

use crate::amqp::config::ConfigError;
use crate::amqp::connection::ConnectError;

/// Why a consumer stopped with an error. [`ConsumeError::exit_code`] gives Python's CLI exit code.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConsumeError {
    /// The broker refused to declare a queue or a binding, or a passive declare found nothing
    /// (Python's `BadDeclaration`).
    #[error("Unable to declare the {object} object ({name}) because {source}")]
    BadDeclaration {
        /// `queue` or `binding`.
        object: &'static str,
        /// What was declared.
        name: String,
        /// What the broker said.
        source: lapin::Error,
    },
    /// The broker refused to let us consume (Python's `PermissionException`).
    #[error("permission to consume from {queue} was refused: {source}")]
    Permission {
        /// The queue.
        queue: String,
        /// What the broker said.
        source: lapin::Error,
    },
    /// The broker cancelled the consumer, e.g. its queue was deleted (Python's `ConsumerCanceled`).
    #[error("the broker cancelled the consumer of queue {queue}")]
    Canceled {
        /// The queue.
        queue: String,
    },
    /// A handler failed; every unacked message was requeued. The handler's error is the source.
    #[error(
        "a handler failed, so every unacked message was requeued and the consumer stopped: {0}"
    )]
    HandlerFailed(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A queue or binding setting cannot be sent to the broker (e.g. an argument with no AMQP
    /// form); nothing was declared.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The configuration cannot give a connection (bad URL, unreadable TLS files).
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// `[monitoring]` names an address and port that cannot be listened on.
    #[error(transparent)]
    Monitor(#[from] crate::amqp::monitor::MonitorError),
}

impl ConsumeError {
    /// The exit code of Python's `fedora-messaging consume` for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            Self::Config(_) | Self::Monitor(_) => 1,
            Self::BadDeclaration { .. } => 10,
            Self::Canceled { .. } => 12,
            Self::HandlerFailed(_) => 13,
            Self::Connect(_) => 14,
            Self::Permission { .. } => 15,
        }
    }
}
