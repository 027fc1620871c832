//! Bridges between fedmsg's ZeroMQ bus and the AMQP broker (feature `bridge`), with the semantics
//! of fedmsg-migration-tools, and the monitor that reports messages seen on one side only.
//!
//! Two exchanges keep messages from going round: the ZeroMQ → AMQP bridge publishes to
//! `zmq.topic`; the AMQP → ZeroMQ bridge consumes from `amq.topic` (the exchange AMQP
//! applications publish to) and sends as `username: "amqp-bridge"`, which the ZeroMQ → AMQP
//! bridge drops. Consumers that moved to AMQP bind their queue to both exchanges.
//!
//! | module | what it holds |
//! |---|---|
//! | [`convert`] | the two conversions and the loop guard, as pure functions |
//! | [`typing`] | typing fedmsg messages by topic (a [`Registry`](fedora_messaging::Registry) or a schema repo) |
//! | [`zmq_to_amqp`] | [`ZmqToAmqp`]: ZeroMQ → `zmq.topic`, retried until confirmed |
//! | [`amqp_to_zmq`] | [`AmqpToZmq`]: a consumer handler, AMQP → a PUB socket, acked after the send |
//! | [`verify_missing`] | [`VerifyMissing`]: ids seen on one side only |
//! | [`settings`] | the bridges' `config.toml` |

pub mod amqp_to_zmq;
pub mod convert;
pub mod settings;
pub mod typing;
pub mod verify_missing;
pub mod zmq_to_amqp;

pub use amqp_to_zmq::AmqpToZmq;
pub use verify_missing::VerifyMissing;
pub use zmq_to_amqp::ZmqToAmqp;

/// A bridge that cannot start or go on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BridgeError {
    /// No ZeroMQ endpoint to read from.
    #[error("no ZeroMQ endpoint to subscribe to: set {key} in the bridge configuration (or pass --zmq-endpoint)")]
    NoEndpoints {
        /// The configuration key.
        key: &'static str,
    },
    /// The ZeroMQ subscriber could not be set up.
    #[error("cannot subscribe on ZeroMQ: {0}")]
    Subscribe(#[source] zmq::Error),
    /// The ZeroMQ publisher could not be set up.
    #[error("cannot publish on ZeroMQ: {0}")]
    Publish(#[source] crate::zeromq::PublishError),
    /// Signature validation was asked for and cannot be set up (CA, CRL).
    #[error("cannot validate signatures: {0}")]
    Validator(#[source] crate::crypto::ValidationError),
    /// Signing was asked for and the certificate or key cannot be loaded.
    #[error("cannot sign: {0}")]
    Signer(#[source] crate::crypto::SignError),
    /// The AMQP configuration cannot give a connection.
    #[error(transparent)]
    Amqp(#[from] fedora_messaging::amqp::connection::ConnectError),
    /// The broker refused to declare an exchange (it exists with another type, or no permission).
    #[error("the broker refused to declare the exchange {exchange:?}: {source}")]
    Declare {
        /// The exchange.
        exchange: String,
        /// What the broker said.
        source: lapin::Error,
    },
    /// Consuming from AMQP ended with an error.
    #[error(transparent)]
    Consume(#[from] fedora_messaging::amqp::consume::ConsumeError),
    /// A task of the bridge panicked.
    #[error("a bridge task failed: {0}")]
    Task(String),
}
