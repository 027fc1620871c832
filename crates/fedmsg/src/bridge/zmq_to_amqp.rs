//! [`ZmqToAmqp`]: every fedmsg message of the ZeroMQ bus, published to an AMQP exchange.
//!
//! Beyond the Python bridge: a publish the broker did not confirm is tried again until it is
//! confirmed, in order; while the broker is unreachable, received messages wait in a bounded
//! buffer (its overflow is counted and logged, never silent); and with a [`Typing`] the messages
//! are typed by their topic.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fedora_messaging::amqp::connection::{self, ConnectError};
use fedora_messaging::amqp::publish::{PublishError, Publisher};
use lapin::options::ExchangeDeclareOptions;
use lapin::types::FieldTable;
use lapin::ExchangeKind;
use serde::Serialize;
use tokio::sync::Notify;

use super::convert::{self, Skip, TypeLookup};
use super::settings::ZmqToAmqpSettings;
use super::typing::Typing;
use super::BridgeError;
use crate::zeromq::SubscriberBuilder;
use crate::Config;

/// What the bridge has done, for logs and monitoring (`Serialize`: one JSON object).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ZmqToAmqpStats {
    /// Envelopes received from ZeroMQ (well-formed, signature valid when validating).
    pub received: u64,
    /// Published and confirmed by the broker.
    pub published: u64,
    /// Of those, published with a type found by topic (not `base.message`).
    pub typed: u64,
    /// Dropped: they came from the AMQP → ZeroMQ bridge (the loop guard).
    pub from_bridge: u64,
    /// Dropped: neither `username` nor `msg_id`.
    pub no_identity: u64,
    /// Dropped by the ZeroMQ subscriber as malformed (not JSON, no `msg`, …).
    pub malformed: u64,
    /// Dropped because their signature did not validate.
    pub invalid_signature: u64,
    /// Dropped: the broker refused them for good (no permission, or the message is not valid
    /// for AMQP, such as a `msg` that is not an object).
    pub refused: u64,
    /// Dropped: the buffer was full (the broker unreachable, or slower than the bus for longer
    /// than the buffer lasts); each is logged.
    pub lost_buffer_full: u64,
    /// Publish attempts that failed and were tried again.
    pub retries: u64,
}

#[derive(Default)]
struct Counters {
    received: AtomicU64,
    published: AtomicU64,
    typed: AtomicU64,
    from_bridge: AtomicU64,
    no_identity: AtomicU64,
    refused: AtomicU64,
    lost: AtomicU64,
    retries: AtomicU64,
}

/// The ZeroMQ → AMQP bridge (`fedmsg-migration-tools zmq_to_amqp`).
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use fedmsg::bridge::{settings::Settings, ZmqToAmqp};
///
/// let fedmsg = fedmsg::Config::load(&fedmsg::ConfigSource::Search)?;
/// let amqp = fedora_messaging::amqp::Config::load()?;
/// let settings = Settings::load(None)?;
/// let stats = ZmqToAmqp::new(&fedmsg, amqp, settings.zmq_to_amqp)
///     .run(async { let _ = tokio::signal::ctrl_c().await; })
///     .await?;
/// println!("published {}", stats.published);
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[must_use]
pub struct ZmqToAmqp {
    fedmsg: Config,
    amqp: fedora_messaging::amqp::Config,
    settings: ZmqToAmqpSettings,
    typing: Option<Arc<dyn Typing>>,
    validate: bool,
    publish_timeout: Duration,
    counters: Arc<Counters>,
}

impl std::fmt::Debug for Counters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Counters").finish_non_exhaustive()
    }
}

impl ZmqToAmqp {
    /// A bridge reading the endpoints and topics of `settings`, publishing with `amqp` to
    /// `settings.exchange`, validating signatures when fedmsg's `validate_signatures` is on.
    pub fn new(
        fedmsg: &Config,
        amqp: fedora_messaging::amqp::Config,
        settings: ZmqToAmqpSettings,
    ) -> Self {
        Self {
            validate: fedmsg.validate_signatures,
            fedmsg: fedmsg.clone(),
            amqp,
            settings,
            typing: None,
            publish_timeout: Duration::from_secs(10),
            counters: Arc::default(),
        }
    }

    /// Types messages by topic (`fedora_messaging_schema` and filter headers) with `typing`; the
    /// others stay `base.message`.
    pub fn typing(mut self, typing: Arc<dyn Typing>) -> Self {
        self.typing = Some(typing);
        self
    }

    /// Validates signatures (and drops what fails), whatever `validate_signatures` says.
    pub fn validate_signatures(mut self, yes: bool) -> Self {
        self.validate = yes;
        self
    }

    /// How long one publish attempt waits for the broker's confirm before it is tried again.
    pub fn publish_timeout(mut self, timeout: Duration) -> Self {
        self.publish_timeout = timeout;
        self
    }

    /// Bridges until `shutdown` completes, then publishes what it has received (while the broker
    /// answers) and returns what it did. Fails at start on endpoints that cannot be used, a
    /// signature validator that cannot be set up, or an AMQP configuration that cannot give a
    /// connection (bad URL or TLS files); a broker that is down is waited for.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()>,
    ) -> Result<ZmqToAmqpStats, BridgeError> {
        if self.settings.zmq_endpoints.is_empty() {
            return Err(BridgeError::NoEndpoints {
                key: "zmq_to_amqp.zmq_endpoints",
            });
        }
        let mut builder = SubscriberBuilder::new(&self.fedmsg).endpoints(
            self.settings
                .zmq_endpoints
                .iter()
                .map(|e| (e.clone(), e.clone())),
        );
        for t in &self.settings.topics {
            builder = builder.topic(t.clone());
        }
        if self.validate {
            let validator = crate::crypto::x509::Validator::from_config(&self.fedmsg)
                .map_err(BridgeError::Validator)?;
            builder = builder.validate(Arc::new(validator));
        }
        let mut subscriber = builder.start().map_err(BridgeError::Subscribe)?;
        tracing::info!(
            endpoints = ?self.settings.zmq_endpoints,
            exchange = %self.settings.exchange,
            "bridging ZeroMQ to AMQP"
        );
        let queue = Arc::new(Buffer::new(self.settings.buffer.max(1)));
        let mut sender = {
            let queue = queue.clone();
            let counters = self.counters.clone();
            let amqp = self.amqp.clone();
            let exchange = self.settings.exchange.clone();
            let timeout = self.publish_timeout;
            tokio::spawn(
                async move { send_loop(amqp, &exchange, timeout, &queue, &counters).await },
            )
        };
        let lookup_typing = self.typing.clone();
        let topic_prefix = self.fedmsg.topic_prefix.clone();
        tokio::pin!(shutdown);
        // Set when the sending side ended by itself: a fatal error (a refused declaration, a
        // configuration that cannot connect), which ends the bridge too.
        let mut sender_ended = None;
        loop {
            let received = tokio::select! {
                () = &mut shutdown => break,
                ended = &mut sender => {
                    sender_ended = Some(ended);
                    break;
                }
                r = subscriber.recv() => r,
            };
            let Some(received) = received else { break };
            self.counters.received.fetch_add(1, Ordering::Relaxed);
            let lookup = lookup_typing.as_deref().map(|typing| TypeLookup {
                typing,
                topic_prefix: &topic_prefix,
            });
            let envelope = &received.envelope;
            match convert::to_amqp(envelope, lookup, fedora_messaging::headers::sent_at_now()) {
                Ok(converted) => {
                    if let Some(why) = &converted.untyped_because {
                        tracing::warn!(topic = %envelope.topic, msg_id = envelope.msg_id.as_deref().unwrap_or(""), "the body fits no type of its topic; sent as base.message: {why}");
                    }
                    if let Some(dropped) = queue.push(converted.message) {
                        self.counters.lost.fetch_add(1, Ordering::Relaxed);
                        tracing::error!(
                            topic = %dropped.topic,
                            id = dropped.id.as_deref().unwrap_or(""),
                            buffer = self.settings.buffer,
                            "message lost: the buffer is full (the broker is unreachable or slower than the bus)"
                        );
                    }
                }
                Err(skip) => {
                    let counter = match skip {
                        Skip::FromBridge => &self.counters.from_bridge,
                        _ => &self.counters.no_identity,
                    };
                    counter.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(topic = %envelope.topic, "not bridged: {skip}");
                }
            }
        }
        queue.close();
        let sent = match sender_ended {
            Some(ended) => {
                let left = queue.drain();
                if left > 0 {
                    tracing::error!(
                        left,
                        "the bridge stops: messages received and not published"
                    );
                }
                ended
            }
            None => sender.await,
        };
        let stats = self.stats_with(subscriber.stats());
        match sent {
            Ok(Ok(())) => Ok(stats),
            Ok(Err(e)) => Err(e),
            Err(join) => Err(BridgeError::Task(join.to_string())),
        }
    }

    fn stats_with(&self, sub: crate::zeromq::SubscriberStats) -> ZmqToAmqpStats {
        let c = &self.counters;
        ZmqToAmqpStats {
            received: c.received.load(Ordering::Relaxed),
            published: c.published.load(Ordering::Relaxed),
            typed: c.typed.load(Ordering::Relaxed),
            from_bridge: c.from_bridge.load(Ordering::Relaxed),
            no_identity: c.no_identity.load(Ordering::Relaxed),
            malformed: sub.malformed,
            invalid_signature: sub.invalid,
            refused: c.refused.load(Ordering::Relaxed),
            lost_buffer_full: c.lost.load(Ordering::Relaxed),
            retries: c.retries.load(Ordering::Relaxed),
        }
    }
}

/// Messages waiting for the broker, oldest first, at most `capacity` (besides the one being
/// published).
struct Buffer {
    items: Mutex<(VecDeque<fedora_messaging::Envelope>, bool)>,
    capacity: usize,
    ready: Notify,
}

impl Buffer {
    fn new(capacity: usize) -> Self {
        Self {
            items: Mutex::new((VecDeque::new(), false)),
            capacity,
            ready: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (VecDeque<fedora_messaging::Envelope>, bool)> {
        self.items
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Adds `m`; returns the oldest message when that made room for it.
    fn push(&self, m: fedora_messaging::Envelope) -> Option<fedora_messaging::Envelope> {
        let dropped = {
            let mut g = self.lock();
            g.0.push_back(m);
            if g.0.len() > self.capacity {
                g.0.pop_front()
            } else {
                None
            }
        };
        self.ready.notify_one();
        dropped
    }

    /// No more messages will come.
    fn close(&self) {
        self.lock().1 = true;
        self.ready.notify_one();
    }

    /// Takes the oldest message; `None` once closed and empty.
    async fn take(&self) -> Option<fedora_messaging::Envelope> {
        loop {
            let notified = self.ready.notified();
            {
                let mut g = self.lock();
                if let Some(m) = g.0.pop_front() {
                    return Some(m);
                }
                if g.1 {
                    return None;
                }
            }
            notified.await;
        }
    }

    /// Whether [`Buffer::close`] was called.
    fn is_closed(&self) -> bool {
        self.lock().1
    }

    /// Empties the buffer; returns how many messages it held.
    fn drain(&self) -> u64 {
        let mut g = self.lock();
        let n = g.0.len() as u64;
        g.0.clear();
        n
    }
}

async fn send_loop(
    amqp: fedora_messaging::amqp::Config,
    exchange: &str,
    timeout: Duration,
    queue: &Buffer,
    counters: &Counters,
) -> Result<(), BridgeError> {
    let publisher = Publisher::new(amqp.clone()).timeout(timeout);
    // Declared at once, so a refusal ends the bridge at start rather than at the first message;
    // a broker that cannot be reached yet is tried again before the first publish.
    let mut declared = match declare_exchange(&amqp, exchange, timeout).await {
        Ok(()) => true,
        Err(DeclareError::Refused(source)) => {
            return Err(BridgeError::Declare {
                exchange: exchange.to_owned(),
                source,
            })
        }
        Err(DeclareError::Connect(
            e @ (ConnectError::InvalidUrl { .. } | ConnectError::Tls { .. }),
        )) => return Err(BridgeError::Amqp(e)),
        Err(e) => {
            tracing::warn!(error = %e, exchange, "cannot declare the exchange yet; trying again before the first publish");
            false
        }
    };
    let mut delay = Duration::from_millis(500);
    // The message being published: out of the buffer, so an overflow never drops it (it is
    // tried until the broker confirms it).
    let mut current: Option<fedora_messaging::Envelope> = None;
    loop {
        let message = match current.take() {
            Some(m) => m,
            None => match queue.take().await {
                Some(m) => m,
                None => break,
            },
        };
        let outcome = if declared {
            publisher
                .publish_envelope_to(exchange, &message)
                .await
                .map(|()| true)
                .map_err(Failure::Publish)
        } else {
            // Declared first (once); the message is published on the next turn.
            declare_exchange(&amqp, exchange, timeout)
                .await
                .map(|()| {
                    declared = true;
                    false
                })
                .map_err(Failure::Declare)
        };
        match outcome {
            Ok(false) => current = Some(message),
            Ok(true) => {
                counters.published.fetch_add(1, Ordering::Relaxed);
                if message.schema_name() != Some(fedora_messaging::headers::BASE_SCHEMA_NAME) {
                    counters.typed.fetch_add(1, Ordering::Relaxed);
                }
                delay = Duration::from_millis(500);
            }
            Err(Failure::Declare(DeclareError::Refused(source))) => {
                return Err(BridgeError::Declare {
                    exchange: exchange.to_owned(),
                    source,
                })
            }
            Err(Failure::Declare(DeclareError::Connect(
                e @ (ConnectError::InvalidUrl { .. } | ConnectError::Tls { .. }),
            )))
            | Err(Failure::Publish(PublishError::Connect(e))) => return Err(BridgeError::Amqp(e)),
            Err(f) if f.transient() => {
                if queue.is_closed() {
                    // Shutting down with the broker away: what is left is reported, not kept.
                    let left = queue.drain() + 1;
                    counters.lost.fetch_add(left, Ordering::Relaxed);
                    tracing::error!(error = %f, left, "stopping while the broker is unreachable: messages not published");
                    break;
                }
                counters.retries.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(error = %f, id = message.id.as_deref().unwrap_or(""), "not confirmed by the broker; trying again in {delay:?}");
                current = Some(message);
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(30));
            }
            Err(f) => {
                counters.refused.fetch_add(1, Ordering::Relaxed);
                tracing::error!(error = %f, topic = %message.topic, id = message.id.as_deref().unwrap_or(""), "message dropped: the broker or AMQP's rules refuse it");
            }
        }
    }
    publisher.close().await;
    Ok(())
}

/// A failed attempt of the send loop.
enum Failure {
    Declare(DeclareError),
    Publish(PublishError),
}

impl Failure {
    /// Worth trying again: the broker or the network, not the message or our permissions.
    fn transient(&self) -> bool {
        match self {
            Self::Declare(e) => matches!(e, DeclareError::Connect(_) | DeclareError::Lost(_)),
            Self::Publish(e) => matches!(
                e,
                PublishError::Timeout { .. } | PublishError::Returned { .. }
            ),
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Declare(e) => write!(f, "declaring the exchange: {e}"),
            Self::Publish(e) => e.fmt(f),
        }
    }
}

/// Why an exchange could not be declared.
#[derive(Debug)]
pub(crate) enum DeclareError {
    /// No connection (transient, unless the configuration is wrong).
    Connect(ConnectError),
    /// The broker refused the declaration (another type, or no permission): it will not change.
    Refused(lapin::Error),
    /// The connection went while declaring.
    Lost(lapin::Error),
}

impl std::fmt::Display for DeclareError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Connect(e) => e.fmt(f),
            Self::Refused(e) | Self::Lost(e) => e.fmt(f),
        }
    }
}

/// Declares `exchange` as a durable topic exchange (a no-op when it exists so); `amq.*` exchanges
/// exist on every broker and may not be declared.
pub(crate) async fn declare_exchange(
    amqp: &fedora_messaging::amqp::Config,
    exchange: &str,
    timeout: Duration,
) -> Result<(), DeclareError> {
    if exchange.is_empty() || exchange.starts_with("amq.") {
        return Ok(());
    }
    let conn = connection::connect(amqp, timeout)
        .await
        .map_err(DeclareError::Connect)?;
    let result = async {
        let ch = conn.create_channel().await?;
        ch.exchange_declare(
            exchange.into(),
            ExchangeKind::Topic,
            ExchangeDeclareOptions {
                durable: true,
                ..ExchangeDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await
    }
    .await;
    let still_up = conn.status().connected();
    let _ = conn.close(200, "bye".into()).await;
    result.map_err(|e| {
        if still_up {
            DeclareError::Refused(e)
        } else {
            DeclareError::Lost(e)
        }
    })
}
