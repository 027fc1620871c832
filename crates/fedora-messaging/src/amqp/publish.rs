//! [`Publisher`]: publishes messages with publisher confirms, as Python's `api.publish`.
//!
//! Outcomes follow Python 3.9.1: the broker's ack → `Ok`; a nack → [`PublishError::Returned`]
//! (after publishing the message again a few times, each on a new channel, within 4 s: a quorum
//! queue nacks while its cluster elects a new leader, and a channel opened meanwhile may go on
//! nacking); 403
//! (no permission on the vhost, exchange or topic) → [`PublishError::Forbidden`] at once, no retry;
//! nothing within the timeout → [`PublishError::Timeout`]; a lost connection or channel → reconnect
//! and publish again, within the same timeout. A message is validated before anything is sent.
//!
//! Beyond Python: `mandatory` mode reports unroutable messages as [`PublishError::Returned`]
//! instead of letting the broker drop them, and any number of publishes can be in flight at once on
//! one `Publisher` (`&self` methods; confirms are awaited without holding the channel), so
//! throughput is not one round trip per message.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::{Channel, Connection};
use tokio::sync::Mutex;

use super::config::Config;
use super::confirm::{answer, Answer};
use super::connection::{self, ConnectError};
use super::monitor::Stats;
use super::wire;
use crate::envelope::{BuildError, Envelope};
use crate::headers::HeaderError;
use crate::message::Message;
use crate::registry::Registry;
use crate::schema::{self, SchemaError, ValidationError};
use crate::topic::TopicError;

/// Python's default publish timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// How many times a nacked message is published again (each on a new channel) before the nack is
/// reported, and the first pause (doubled each time: 0.25 s … 2 s, 3.75 s in all).
const NACK_RETRIES: u32 = 4;
const NACK_PAUSE: Duration = Duration::from_millis(125);

/// Why a message was not published. Every variant means the broker did not confirm it: it may be
/// retried, and nothing reported as sent was lost.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PublishError {
    /// The message does not match its schema; nothing was sent.
    #[error(transparent)]
    Validation(#[from] ValidationError),
    /// The message could not be turned into an envelope; nothing was sent.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// The message type's schema does not compile; nothing was sent.
    #[error(transparent)]
    Schema(#[from] SchemaError),
    /// The routing key is malformed or too long; nothing was sent.
    #[error(transparent)]
    Topic(#[from] TopicError),
    /// A header cannot be encoded; nothing was sent.
    #[error(transparent)]
    Header(#[from] HeaderError),
    /// The broker nacked the message, or returned it as unroutable (mandatory mode)
    /// (Python's `PublishReturned`).
    #[error("the broker returned the message: {reason}")]
    Returned {
        /// What the broker said.
        reason: String,
    },
    /// The broker refused access: no write permission on the vhost, exchange or topic
    /// (Python's `PublishForbidden`). Not retried.
    #[error("publishing was refused by the broker: {reason}")]
    Forbidden {
        /// What the broker said.
        reason: String,
    },
    /// No confirm within the timeout, including when the broker cannot be reached
    /// (Python's `PublishTimeout`). The last connection error, if any, is in `last_error`.
    #[error("publishing timed out after waiting {} seconds{}", after.as_secs_f64(), last_error.as_ref().map(|e| format!(" (last error: {e})")).unwrap_or_default())]
    Timeout {
        /// The timeout.
        after: Duration,
        /// Why the last attempt failed, if it did (also the error's `source()`).
        #[source]
        last_error: Option<AttemptError>,
    },
    /// The message went out on a channel that was not in confirm mode: the broker may or may not
    /// have it, and never said. Not published again; the next publish opens a new channel.
    #[error("the message was sent on a channel without publisher confirms; the broker never confirmed it")]
    Unconfirmed,
    /// The configuration cannot give a connection at all (bad URL, unreadable TLS files).
    #[error(transparent)]
    Connect(#[from] ConnectError),
}

/// Why one attempt to publish failed before the deadline; the last one is kept in
/// [`PublishError::Timeout`].
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum AttemptError {
    /// No connection could be made.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// The connection or channel failed while publishing.
    #[error(transparent)]
    Channel(#[from] lapin::Error),
}

struct Link {
    id: u64,
    // Kept so the connection lives as long as its channel.
    _conn: Connection,
    channel: Channel,
}

/// Publishes messages to the broker the configuration names.
///
/// One connection and one confirm-mode channel, opened on first use and re-opened after a loss.
/// `Publisher` is `Send + Sync`: share it (in an `Arc`) between tasks, and their publishes are
/// pipelined on the one channel.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use fedora_messaging::{amqp::config::Config, amqp::publish::Publisher, BaseMessage};
/// use serde_json::json;
///
/// let publisher = Publisher::new(Config::load()?);
/// publisher.publish(&BaseMessage::new("hello.world", json!({"n": 1}))).await?;
/// # Ok(()) }
/// ```
pub struct Publisher {
    config: Arc<Config>,
    registry: Option<Arc<Registry>>,
    mandatory: bool,
    timeout: Duration,
    link: Mutex<Option<Arc<Link>>>,
    next_id: AtomicU64,
    /// Set for [`Publisher::mock`]: what would have been sent.
    mock: Option<std::sync::Mutex<Vec<Envelope>>>,
}

impl std::fmt::Debug for Publisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Publisher")
            .field("amqp_url", &self.config.amqp_url)
            .field("mandatory", &self.mandatory)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl Publisher {
    /// A publisher for `config`; it connects on the first publish.
    pub fn new(config: Config) -> Self {
        Self {
            config: Arc::new(config),
            registry: None,
            mandatory: false,
            timeout: DEFAULT_TIMEOUT,
            link: Mutex::new(None),
            next_id: AtomicU64::new(0),
            mock: None,
        }
    }

    /// A publisher that never connects: every publish is validated and checked exactly as for
    /// real, then recorded instead of sent (Python's `mock_sends`). Read what was sent with
    /// [`Publisher::sent`], or check it with [`testing::assert_sent`](crate::amqp::testing::assert_sent).
    ///
    /// ```
    /// # tokio_test_block_on(async {
    /// use fedora_messaging::{amqp::config::Config, amqp::publish::Publisher, BaseMessage};
    /// use serde_json::json;
    ///
    /// let publisher = Publisher::mock(Config::default());
    /// publisher.publish(&BaseMessage::new("hello.world", json!({"n": 1}))).await.unwrap();
    /// assert_eq!(publisher.sent()[0].topic, "hello.world");
    /// # });
    /// # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
    /// #     tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
    /// # }
    /// ```
    pub fn mock(config: Config) -> Self {
        let mut p = Self::new(config);
        p.mock = Some(std::sync::Mutex::new(Vec::new()));
        p
    }

    /// What a [`Publisher::mock`] has recorded, oldest first (always empty for a real one).
    pub fn sent(&self) -> Vec<Envelope> {
        self.mock
            .as_ref()
            .map(|m| m.lock().unwrap_or_else(|e| e.into_inner()).clone())
            .unwrap_or_default()
    }

    /// Takes what a [`Publisher::mock`] has recorded, leaving it empty.
    pub fn take_sent(&self) -> Vec<Envelope> {
        self.mock
            .as_ref()
            .map(|m| std::mem::take(&mut *m.lock().unwrap_or_else(|e| e.into_inner())))
            .unwrap_or_default()
    }

    /// Reports unroutable messages as [`PublishError::Returned`] instead of letting the broker drop
    /// them (AMQP `mandatory`; Python never sets it).
    #[must_use]
    pub fn mandatory(mut self, yes: bool) -> Self {
        self.mandatory = yes;
        self
    }

    /// How long a publish may take, connecting included (30 s by default, as Python).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Validates envelopes published with [`Publisher::publish_envelope`] against the schemas of
    /// `registry` (otherwise only against the base schemas).
    #[must_use]
    pub fn registry(mut self, registry: Arc<Registry>) -> Self {
        self.registry = Some(registry);
        self
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Connects now, so that a bad URL or an unreachable broker shows before the first message.
    pub async fn connect(&self) -> Result<(), PublishError> {
        if self.mock.is_some() {
            return Ok(());
        }
        self.channel(Instant::now() + self.timeout, &mut None)
            .await
            .map(|_| ())
    }

    /// Builds, validates and publishes a typed message to `publish_exchange`; returns the envelope
    /// that was confirmed (its id and `sent-at`).
    pub async fn publish<M: Message>(&self, message: &M) -> Result<Envelope, PublishError> {
        let env = Envelope::builder(message)
            .priority(self.config.publish_priority)
            .build()?;
        // The same check as `Envelope::validate_as`, with its two failures kept apart: the message
        // does not match (Validation), or its type's schema does not compile (Schema).
        let validator = schema::body_validator::<M>()?;
        env.check_with(&validator, M::SCHEMA_NAME)?;
        self.send(&self.config.publish_exchange, &env).await?;
        Ok(env)
    }

    /// Validates and publishes an envelope to `publish_exchange` (its id and `sent-at` are kept).
    pub async fn publish_envelope(&self, envelope: &Envelope) -> Result<(), PublishError> {
        self.publish_envelope_to(&self.config.publish_exchange, envelope)
            .await
    }

    /// Validates and publishes an envelope to `exchange`.
    pub async fn publish_envelope_to(
        &self,
        exchange: &str,
        envelope: &Envelope,
    ) -> Result<(), PublishError> {
        match &self.registry {
            Some(r) => r.validate(envelope)?,
            None => envelope.validate_base()?,
        }
        self.send(exchange, envelope).await
    }

    /// Sends an already validated envelope and waits for its confirm, all within the timeout.
    async fn send(&self, exchange: &str, envelope: &Envelope) -> Result<(), PublishError> {
        let routing_key = envelope.routing_key(&self.config.topic_prefix)?;
        let properties = wire::envelope_properties(envelope)?;
        if let Some(sent) = &self.mock {
            sent.lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(envelope.clone());
            return Ok(());
        }
        let deadline = Instant::now() + self.timeout;
        let mut last_error: Option<AttemptError> = None;
        // Every await below (the channel lock, a reconnect, the publish frame, the confirm) counts
        // against the one deadline, whatever state a broken connection leaves the client in.
        let attempt = self.send_until(
            exchange,
            &routing_key,
            properties,
            envelope,
            deadline,
            &mut last_error,
        );
        let result = match tokio::time::timeout_at(deadline.into(), attempt).await {
            Ok(result) => result,
            Err(_) => Err(PublishError::Timeout {
                after: self.timeout,
                last_error,
            }),
        };
        let stats = Stats::global();
        match &result {
            Ok(()) => stats.published(),
            Err(PublishError::Returned { .. }) => stats.returned(),
            Err(_) => stats.publish_failed(),
        }
        result
    }

    async fn send_until(
        &self,
        exchange: &str,
        routing_key: &str,
        properties: lapin::BasicProperties,
        envelope: &Envelope,
        deadline: Instant,
        last_error: &mut Option<AttemptError>,
    ) -> Result<(), PublishError> {
        let mut nacks = 0u32;
        // Moved into the first attempt; a retry (rare) builds them again rather than every publish
        // copying them in case.
        let mut first = Some(properties);
        let body = envelope.body_bytes();
        loop {
            let link = self.channel(deadline, last_error).await?;
            let properties = match first.take() {
                Some(p) => p,
                None => wire::envelope_properties(envelope)?,
            };
            let published = link
                .channel
                .basic_publish(
                    exchange.into(),
                    routing_key.into(),
                    BasicPublishOptions {
                        mandatory: self.mandatory,
                        ..BasicPublishOptions::default()
                    },
                    &body,
                    properties,
                )
                .await;
            let confirm = match published {
                Ok(c) => c,
                Err(e) => {
                    forbidden(&e)?;
                    self.drop_link(link.id, &e).await;
                    *last_error = Some(e.into());
                    continue;
                }
            };
            // The deadline bounds this wait too: `send` runs all of this under `timeout_at`.
            match confirm.await.map(|c| answer(&c)) {
                Ok(Answer::Confirmed) => return Ok(()),
                Ok(Answer::Returned { reason }) => {
                    return Err(PublishError::Returned {
                        reason: format!(
                            "{reason} (exchange {exchange:?}, routing key {routing_key:?})"
                        ),
                    })
                }
                Ok(Answer::NotConfirming) => {
                    // Every channel is opened in confirm mode, so this is a client fault. Not
                    // published again: each attempt might arrive, and none would be confirmed.
                    self.drop_link(link.id, &"the channel was not in confirm mode")
                        .await;
                    return Err(PublishError::Unconfirmed);
                }
                Ok(Answer::Nacked) => {
                    // A quorum queue without a leader (a cluster node just died) nacks; a channel
                    // opened during the election can go on nacking after the new leader is up.
                    // So: a fresh channel, a pause, and again — a few times, then the nack is
                    // the answer (Python's PublishReturned).
                    nacks += 1;
                    self.drop_link(link.id, &"the broker nacked a message")
                        .await;
                    let pause = NACK_PAUSE * (1 << nacks.min(4));
                    if nacks > NACK_RETRIES || Instant::now() + pause >= deadline {
                        return Err(PublishError::Returned {
                            reason: format!(
                                "the broker nacked the message ({nacks} time{}, each on a new channel)",
                                if nacks == 1 { "" } else { "s" }
                            ),
                        });
                    }
                    tracing::warn!(
                        nacks,
                        "the broker nacked a message; publishing it again on a new channel"
                    );
                    tokio::time::sleep(pause).await;
                }
                Err(e) => {
                    forbidden(&e)?;
                    tracing::warn!(error = %e, "publish channel lost; publishing again");
                    self.drop_link(link.id, &e).await;
                    *last_error = Some(e.into());
                }
            }
        }
    }

    /// The current channel, connecting (with retries until `deadline`) when there is none.
    async fn channel(
        &self,
        deadline: Instant,
        last_error: &mut Option<AttemptError>,
    ) -> Result<Arc<Link>, PublishError> {
        let mut guard = self.link.lock().await;
        if let Some(link) = guard.as_ref() {
            if link.channel.status().connected() {
                return Ok(Arc::clone(link));
            }
        }
        *guard = None;
        let mut delay = Duration::from_millis(100);
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(PublishError::Timeout {
                    after: self.timeout,
                    last_error: last_error.take(),
                });
            }
            // Boxed: connecting is the rare path, and its future is large; inline, it would make
            // every publish's future (allocated and moved per message) that large too.
            match Box::pin(self.open(remaining)).await {
                Ok(link) => {
                    if link.id > 0 {
                        Stats::global().reconnected();
                    }
                    let link = Arc::new(link);
                    *guard = Some(Arc::clone(&link));
                    return Ok(link);
                }
                Err(e @ (ConnectError::InvalidUrl { .. } | ConnectError::Tls { .. })) => {
                    return Err(e.into())
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot connect to publish; retrying");
                    // An attempt cut short by the deadline says less than the failure before it
                    // (a refused certificate, a refused connection): keep that one.
                    if !matches!(e, ConnectError::NoAnswer { .. }) || last_error.is_none() {
                        *last_error = Some(e.into());
                    }
                    let pause = delay.min(deadline.saturating_duration_since(Instant::now()));
                    tokio::time::sleep(pause).await;
                    delay = (delay * 2).min(Duration::from_secs(5));
                }
            }
        }
    }

    async fn open(&self, timeout: Duration) -> Result<Link, ConnectError> {
        let conn = connection::connect(&self.config, timeout).await?;
        let broker = |source: lapin::Error| ConnectError::Broker {
            url: self.config.amqp_url.redacted(),
            source,
        };
        let channel = conn.create_channel().await.map_err(broker)?;
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await
            .map_err(broker)?;
        Ok(Link {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            _conn: conn,
            channel,
        })
    }

    async fn drop_link(&self, id: u64, why: &(dyn std::fmt::Display + Sync)) {
        let mut guard = self.link.lock().await;
        if guard.as_ref().is_some_and(|l| l.id == id) {
            tracing::debug!(error = %why, "dropping the publish channel");
            *guard = None;
        }
    }

    /// Closes the connection, if one is open.
    pub async fn close(&self) {
        if let Some(link) = self.link.lock().await.take() {
            let _ = link.channel.close(200, "bye".into()).await;
            let _ = link._conn.close(200, "bye".into()).await;
        }
    }
}

/// `Err(Forbidden)` when `e` is the broker's 403.
fn forbidden(e: &lapin::Error) -> Result<(), PublishError> {
    if let lapin::ErrorKind::ProtocolError(amqp) = e.kind() {
        if amqp.get_id() == 403 {
            return Err(PublishError::Forbidden {
                reason: amqp.to_string(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::amqp::testing::tests::block_on;
    use crate::{BaseMessage, Severity};
    use serde_json::{json, Value};

    /// A message whose body breaks its own schema (`n` must be an integer).
    #[derive(Debug)]
    struct Broken;

    impl Message for Broken {
        const SCHEMA_NAME: &'static str = "test.brokenV1";
        const TOPIC: Option<&'static str> = Some("test.broken");
        fn body_schema() -> Value {
            json!({"type": "object", "required": ["n"], "properties": {"n": {"type": "integer"}}})
        }
        fn to_body(&self) -> Result<Value, serde_json::Error> {
            Ok(json!({"n": "not a number"}))
        }
        fn from_body(_: Value, _: &str, _: Severity) -> Result<Self, serde_json::Error> {
            Ok(Self)
        }
    }

    #[test]
    fn a_typed_message_that_fails_its_schema_is_a_validation_error_both_ways() {
        block_on(async {
            let registry = Arc::new(
                Registry::new()
                    .with::<Broken>()
                    .unwrap_or_else(|e| panic!("{e}")),
            );
            let publisher = Publisher::mock(Config::default()).registry(registry);
            let typed = publisher.publish(&Broken).await;
            assert!(
                matches!(&typed, Err(PublishError::Validation(v)) if v.violations[0].instance_path == "/n"),
                "{typed:?}"
            );
            let env = Envelope::from_message(&Broken).unwrap_or_else(|e| panic!("{e}"));
            let untyped = publisher.publish_envelope(&env).await;
            assert!(
                matches!(&untyped, Err(PublishError::Validation(v)) if v.violations[0].instance_path == "/n"),
                "{untyped:?}"
            );
            assert!(publisher.sent().is_empty());
            // And a good one goes through.
            publisher
                .publish(&BaseMessage::new("a.b", json!({})))
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(publisher.sent().len(), 1);
        });
    }
}
