//! [`AmqpToZmq`]: a consumer handler that sends every AMQP message on a ZeroMQ PUB socket as a
//! fedmsg envelope (fedmsg-migration-tools' `AmqpToZmq` callback).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use fedora_messaging::amqp::consume::{ConsumeError, Consumer, HandlerError, Received, Stopped};
use serde::Serialize;

use super::convert::{self, NoEnvelope};
use super::BridgeError;
use crate::crypto::x509::Signer;
use crate::zeromq::{PublishError, Publisher};
use crate::Config;

/// Python's default `consumer_config.publish_endpoint`.
pub const DEFAULT_PUBLISH_ENDPOINT: &str = "tcp://*:9940";

/// Where the bridge's PUB socket goes: `consumer_config.publish_endpoint` and
/// `consumer_config.remote_publish` of the fedora-messaging configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishTo {
    /// The endpoint.
    pub endpoint: String,
    /// Connect to it (a relay's inbound socket) instead of binding it.
    pub remote: bool,
}

impl PublishTo {
    /// What `amqp`'s `[consumer_config]` says, with Python's defaults.
    pub fn from_amqp_config(amqp: &fedora_messaging::amqp::Config) -> Self {
        let c = &amqp.consumer_config;
        Self {
            endpoint: c
                .get("publish_endpoint")
                .and_then(|v| v.as_str())
                .unwrap_or(DEFAULT_PUBLISH_ENDPOINT)
                .to_owned(),
            remote: c
                .get("remote_publish")
                .and_then(toml::Value::as_bool)
                .unwrap_or(false),
        }
    }
}

/// What the bridge has done (`Serialize`: one JSON object).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct AmqpToZmqStats {
    /// Sent on ZeroMQ (and then acked).
    pub sent: u64,
    /// Dropped (and acked): no `message_id`.
    pub no_id: u64,
    /// Put back on the queue: the ZeroMQ send failed (a subscriber at the high-water mark).
    pub requeued: u64,
}

/// The AMQP → ZeroMQ bridge.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use fedmsg::bridge::amqp_to_zmq::{AmqpToZmq, PublishTo};
///
/// let fedmsg = fedmsg::Config::load(&fedmsg::ConfigSource::Search)?;
/// let amqp = fedora_messaging::amqp::Config::load()?;
/// let bridge = AmqpToZmq::new(&fedmsg, &PublishTo::from_amqp_config(&amqp))?;
/// let consumer = fedora_messaging::amqp::Consumer::new(amqp).stop_on_signals();
/// bridge.run(consumer).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct AmqpToZmq {
    publisher: Publisher,
    counters: Arc<Counters>,
}

#[derive(Debug, Default)]
struct Counters {
    i: AtomicU64,
    sent: AtomicU64,
    no_id: AtomicU64,
    requeued: AtomicU64,
}

/// How long a message that could not be sent waits before it is put back on the queue, so a
/// subscriber at its high-water mark is not hammered.
const REQUEUE_PAUSE: Duration = Duration::from_millis(200);

impl AmqpToZmq {
    /// Binds (or, with `remote`, connects) the PUB socket; loads the signer when fedmsg's
    /// `sign_messages` is on: `certname` if the configuration has one, else the certificate of
    /// `cert_prefix` / `name`, as fedmsg picks it.
    pub fn new(fedmsg: &Config, to: &PublishTo) -> Result<Self, BridgeError> {
        let publisher = if to.remote {
            Publisher::connect_as(fedmsg, &to.endpoint, "amqp_to_zmq")
        } else {
            Publisher::bind_endpoints(
                fedmsg,
                "amqp_to_zmq",
                std::slice::from_ref(&to.endpoint),
                crate::zeromq::SocketOptions::from_config(fedmsg),
            )
        }
        .map_err(BridgeError::Publish)?;
        // connect_as signs by `name`; the bridge picks its certificate itself.
        publisher.set_signer(None);
        if fedmsg.sign_messages {
            let signer = match fedmsg.extra.get("certname").and_then(|v| v.as_str()) {
                Some(certname) => Signer::load(&fedmsg.ssldir, certname),
                None => Signer::from_config(fedmsg, fedmsg.name.as_deref()),
            }
            .map_err(BridgeError::Signer)?;
            tracing::info!(
                certname = signer.certname(),
                "the bridge signs what it sends"
            );
            publisher.set_signer(Some(signer));
        }
        Ok(Self {
            publisher,
            counters: Arc::default(),
        })
    }

    /// The ZeroMQ publisher (its endpoint, its statistics).
    pub fn publisher(&self) -> &Publisher {
        &self.publisher
    }

    /// Sends `message` on ZeroMQ. `Ok`: sent (ack it), or dropped for having no id (ack it too,
    /// as Python). [`HandlerError::Nack`]: the send failed; requeue it. [`HandlerError::Halt`]
    /// (exit code 1, requeued): it cannot be signed.
    pub async fn handle(&self, message: &fedora_messaging::Envelope) -> Result<(), HandlerError> {
        let i = self.counters.i.fetch_add(1, Ordering::Relaxed) + 1;
        let envelope = match convert::to_fedmsg(message, i, chrono::Utc::now()) {
            Ok(e) => e,
            Err(NoEnvelope::NoId) => {
                self.counters.no_id.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(topic = %message.topic, "message dropped: it has no message_id");
                return Ok(());
            }
        };
        match self.publisher.send(envelope) {
            Ok(_) => {
                self.counters.sent.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
            Err(PublishError::Sign(e)) => {
                tracing::error!(error = %e, "cannot sign; stopping");
                Err(HandlerError::Halt {
                    exit_code: 1,
                    requeue: true,
                })
            }
            Err(e) => {
                self.counters.requeued.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(error = %e, topic = %message.topic, "not sent on ZeroMQ; requeued");
                tokio::time::sleep(REQUEUE_PAUSE).await;
                Err(HandlerError::Nack)
            }
        }
    }

    /// What the bridge has done so far.
    pub fn stats(&self) -> AmqpToZmqStats {
        AmqpToZmqStats {
            sent: self.counters.sent.load(Ordering::Relaxed),
            no_id: self.counters.no_id.load(Ordering::Relaxed),
            requeued: self.counters.requeued.load(Ordering::Relaxed),
        }
    }

    /// Runs `consumer` (its queues and bindings: the fedora-messaging configuration's) with this
    /// bridge as its handler, one message at a time so they go out in order.
    pub async fn run(&self, consumer: Consumer) -> Result<Stopped, ConsumeError> {
        let bridge = self.clone();
        consumer
            .concurrency(1)
            .run(move |received: Received| {
                let bridge = bridge.clone();
                async move { bridge.handle(received.envelope()).await }
            })
            .await
    }
}
