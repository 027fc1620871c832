//! [`Consumer`]: consumes messages and maps the handler's outcome to the broker action of Python's
//! callback table.
//!
//! | handler returns | broker action | consumer |
//! |---|---|---|
//! | `Ok(())` | ack | goes on |
//! | [`HandlerError::Nack`] | nack, requeue | goes on |
//! | [`HandlerError::Drop`] | nack, no requeue (dropped or dead-lettered) | goes on |
//! | [`HandlerError::Halt`] `requeue: false` | ack | stops: [`Stopped::Halted`] |
//! | [`HandlerError::Halt`] `requeue: true` | nack, requeue | stops: [`Stopped::Halted`] |
//! | [`HandlerError::Failed`] (any other error) | every unacked message requeued | stops: [`ConsumeError::HandlerFailed`] |
//! | [`HandlerError::Failed`], with [`Consumer::max_redeliveries`] set | nack this one, requeue (dropped past the limit) | goes on |
//! | (the message fails validation) | nack, no requeue; the handler never sees it | goes on |
//!
//! Beyond Python: [`Consumer::concurrency`] handlers in flight (Python runs one), a redelivery limit
//! ([`Consumer::max_redeliveries`]) after which a message that keeps being requeued is dropped, or
//! dead-lettered by the queue's policy, with a log line naming its id; reconnecting by itself after
//! a connection loss; and a graceful stop ([`Consumer::stop_on_signals`], [`StopHandle`]) in which
//! the messages being handled finish and are acked.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures_util::stream::{SelectAll, StreamExt};
use futures_util::FutureExt;
use lapin::options::{
    BasicAckOptions, BasicCancelOptions, BasicConsumeOptions, BasicNackOptions, BasicQosOptions,
    QueueBindOptions, QueueDeclareOptions,
};
use lapin::types::FieldTable;
use lapin::{Channel, Connection};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::config::{BindingConfig, Config, QueueConfig};
use crate::connection::{self, ConnectError};
use crate::envelope::{Envelope, ReceiveError};
use crate::message::{DynMessage, Message};
use crate::registry::{Decoded, Registry};
use crate::wire;

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
    /// Asked to stop (a signal or a [`StopHandle`]); the messages in progress finished and were acked.
    Shutdown,
    /// A handler returned [`HandlerError::Halt`].
    Halted {
        /// The exit code it asked for.
        exit_code: i32,
    },
}

/// Why a consumer stopped with an error. [`ConsumeError::exit_code`] gives Python's CLI exit code.
#[derive(Debug, thiserror::Error)]
pub enum ConsumeError {
    /// The broker refused to declare a queue or a binding, or a passive declare found nothing
    /// (Python's `BadDeclaration`).
    #[error("Unable to declare the {object} object ({name}) because {reason}")]
    BadDeclaration {
        /// `queue` or `binding`.
        object: &'static str,
        /// What was declared.
        name: String,
        /// What the broker said.
        reason: String,
    },
    /// The broker refused to let us consume (Python's `PermissionException`).
    #[error("permission to consume from {queue} was refused: {reason}")]
    Permission {
        /// The queue.
        queue: String,
        /// What the broker said.
        reason: String,
    },
    /// The broker cancelled the consumer, e.g. its queue was deleted (Python's `ConsumerCanceled`).
    #[error("the broker cancelled the consumer of queue {queue}")]
    Canceled {
        /// The queue.
        queue: String,
    },
    /// A handler failed; every unacked message was requeued.
    #[error(
        "a handler failed, so every unacked message was requeued and the consumer stopped: {0}"
    )]
    HandlerFailed(String),
    /// The configuration cannot give a connection (bad URL, unreadable TLS files).
    #[error(transparent)]
    Connect(#[from] ConnectError),
}

impl ConsumeError {
    /// The exit code of Python's `fedora-messaging consume` for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            Self::BadDeclaration { .. } => 10,
            Self::Canceled { .. } => 12,
            Self::HandlerFailed(_) => 13,
            Self::Connect(_) => 14,
            Self::Permission { .. } => 15,
        }
    }
}

/// Stops a running consumer gracefully from elsewhere (another task, a test).
#[derive(Debug, Clone)]
pub struct StopHandle(watch::Sender<bool>);

impl StopHandle {
    /// Asks the consumer to stop: it takes no new message, lets the ones in progress finish, and
    /// returns [`Stopped::Shutdown`].
    pub fn stop(&self) {
        let _ = self.0.send(true);
    }
}

/// Consumes from the queues and bindings of the configuration (or given ones).
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use fedora_messaging::config::Config;
/// use fedora_messaging::consume::{Consumer, HandlerError, Received};
///
/// let stopped = Consumer::new(Config::load()?)
///     .stop_on_signals()
///     .run(|msg: Received| async move {
///         println!("{}: {}", msg.envelope().topic, msg.envelope().body);
///         Ok::<(), HandlerError>(())
///     })
///     .await?;
/// # Ok(()) }
/// ```
pub struct Consumer {
    config: Arc<Config>,
    registry: Arc<Registry>,
    queues: BTreeMap<String, QueueConfig>,
    bindings: Vec<BindingConfig>,
    concurrency: usize,
    max_redeliveries: Option<u32>,
    signals: bool,
    stop_tx: watch::Sender<bool>,
}

impl std::fmt::Debug for Consumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Consumer")
            .field("amqp_url", &self.config.amqp_url)
            .field("queues", &self.queues.keys().collect::<Vec<_>>())
            .field("concurrency", &self.concurrency)
            .field("max_redeliveries", &self.max_redeliveries)
            .finish_non_exhaustive()
    }
}

/// One delivery's outcome, computed by its handler task.
struct Done {
    tag: u64,
    channel: usize,
    /// The message id, or a digest of routing key and body when it has none (for logs and counting).
    id: String,
    /// The broker's `x-delivery-count`, where the queue type keeps one.
    delivery_count: Option<u32>,
    result: Result<(), HandlerError>,
}

impl Consumer {
    /// A consumer of the configuration's `queues` and `bindings`, one handler at a time (as Python).
    pub fn new(config: Config) -> Self {
        let queues = config.queues.clone();
        let bindings = config.bindings.clone();
        Self {
            config: Arc::new(config),
            registry: Arc::new(Registry::new()),
            queues,
            bindings,
            concurrency: 1,
            max_redeliveries: None,
            signals: false,
            stop_tx: watch::channel(false).0,
        }
    }

    /// The registry that types the messages (by default it knows `base.message` only).
    #[must_use]
    pub fn registry(mut self, registry: Arc<Registry>) -> Self {
        self.registry = registry;
        self
    }

    /// Consumes from these queues instead of the configuration's.
    #[must_use]
    pub fn queues(mut self, queues: BTreeMap<String, QueueConfig>) -> Self {
        self.queues = queues;
        self
    }

    /// Consumes from the one queue `name` with `settings`, bound to `exchange` for each of
    /// `routing_keys`, instead of the configuration's queues and bindings (`""`: server-named).
    #[must_use]
    pub fn queue(
        mut self,
        name: &str,
        settings: QueueConfig,
        exchange: &str,
        routing_keys: &[&str],
    ) -> Self {
        self.queues = BTreeMap::from([(name.to_owned(), settings)]);
        self.bindings = vec![BindingConfig::new(name, exchange, routing_keys)];
        self
    }

    /// Uses these bindings instead of the configuration's.
    #[must_use]
    pub fn bindings(mut self, bindings: Vec<BindingConfig>) -> Self {
        self.bindings = bindings;
        self
    }

    /// How many handlers may run at once (1 by default, as Python). Messages are still acked one
    /// by one, each after its own handler succeeded.
    #[must_use]
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// After a message has been requeued `n` times (by [`HandlerError::Nack`] or a failure), the
    /// next failure drops it (or dead-letters it, per the queue's policy) instead, with an error
    /// log naming its id. Counted per message id in this process, and from the broker's
    /// `x-delivery-count` header where the queue type provides one (quorum queues).
    ///
    /// With a limit set, [`HandlerError::Failed`] requeues only its own message and consuming goes
    /// on, instead of Python's requeue-everything-and-stop.
    #[must_use]
    pub fn max_redeliveries(mut self, n: u32) -> Self {
        self.max_redeliveries = Some(n);
        self
    }

    /// Stops gracefully on SIGINT or SIGTERM.
    #[must_use]
    pub fn stop_on_signals(mut self) -> Self {
        self.signals = true;
        self
    }

    /// A handle that stops this consumer gracefully.
    pub fn stop_handle(&self) -> StopHandle {
        StopHandle(self.stop_tx.clone())
    }

    /// Consumes until stopped, halted, or an error that ends consuming. After a connection loss it
    /// reconnects (1 s, then up to 60 s between tries) and consumes again.
    pub async fn run<F, Fut>(self, handler: F) -> Result<Stopped, ConsumeError>
    where
        F: Fn(Received) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), HandlerError>> + Send + 'static,
    {
        let handler = Arc::new(handler);
        let mut stop_rx = self.stop_tx.subscribe();
        if self.signals {
            spawn_signal_watch(self.stop_tx.clone());
        }
        let mut redeliveries: HashMap<String, u32> = HashMap::new();
        let mut delay = Duration::from_secs(1);
        loop {
            if *stop_rx.borrow() {
                return Ok(Stopped::Shutdown);
            }
            let conn = match connection::connect(&self.config, Duration::from_secs(30)).await {
                Ok(c) => c,
                Err(e @ (ConnectError::InvalidUrl { .. } | ConnectError::Tls { .. })) => {
                    return Err(e.into())
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot connect to consume; retrying in {delay:?}");
                    tokio::select! {
                        () = tokio::time::sleep(delay) => {}
                        _ = stop_rx.changed() => return Ok(Stopped::Shutdown),
                    }
                    delay = (delay * 2).min(Duration::from_secs(60));
                    continue;
                }
            };
            delay = Duration::from_secs(1);
            let session = match self.setup(&conn).await {
                Ok(s) => s,
                Err(SetupError::Fatal(e)) => {
                    let _ = conn.close(200, "bye".into()).await;
                    return Err(e);
                }
                Err(SetupError::Lost(e)) => {
                    tracing::warn!(error = %e, "connection lost while declaring; reconnecting");
                    continue;
                }
            };
            match self
                .consume(session, &handler, &mut stop_rx, &mut redeliveries)
                .await
            {
                Some(result) => {
                    let _ = conn.close(200, "bye".into()).await;
                    return result;
                }
                None => tracing::warn!("connection to the broker lost; reconnecting"),
            }
        }
    }

    async fn setup(&self, conn: &Connection) -> Result<Session, SetupError> {
        let mut channels = Vec::new();
        let mut streams = SelectAll::new();
        for (name, q) in &self.queues {
            let ch = conn.create_channel().await.map_err(SetupError::Lost)?;
            let declared = ch
                .queue_declare(
                    name.as_str().into(),
                    QueueDeclareOptions {
                        passive: self.config.passive_for(q),
                        durable: q.durable,
                        exclusive: q.exclusive,
                        auto_delete: q.auto_delete,
                        nowait: false,
                    },
                    table(&q.arguments),
                )
                .await
                .map_err(|e| bad_declaration("queue", name, e))?;
            let actual = declared.name().as_str().to_owned();
            for b in self.bindings.iter().filter(|b| &b.queue == name) {
                for key in &b.routing_keys {
                    ch.queue_bind(
                        actual.as_str().into(),
                        b.exchange.as_str().into(),
                        key.as_str().into(),
                        QueueBindOptions::default(),
                        table(&b.arguments),
                    )
                    .await
                    .map_err(|e| {
                        bad_declaration("binding", &format!("{actual} <- {} {key}", b.exchange), e)
                    })?;
                }
            }
            ch.basic_qos(self.config.qos.prefetch_count, BasicQosOptions::default())
                .await
                .map_err(SetupError::Lost)?;
            let tag = uuid::Uuid::new_v4().to_string();
            let consumer = ch
                .basic_consume(
                    actual.as_str().into(),
                    tag.as_str().into(),
                    BasicConsumeOptions::default(),
                    FieldTable::default(),
                )
                .await
                .map_err(|e| match code(&e) {
                    Some(403) => SetupError::Fatal(ConsumeError::Permission {
                        queue: actual.clone(),
                        reason: e.to_string(),
                    }),
                    _ => SetupError::Lost(e),
                })?;
            tracing::info!(queue = %actual, "consuming");
            let index = channels.len();
            let queue = actual.clone();
            streams.push(consumer.map(move |d| (index, queue.clone(), d)).boxed());
            channels.push((ch, tag, actual));
        }
        Ok(Session { channels, streams })
    }

    /// Consumes one connection's worth. `None`: the connection was lost, reconnect.
    async fn consume<F, Fut>(
        &self,
        mut session: Session,
        handler: &Arc<F>,
        stop_rx: &mut watch::Receiver<bool>,
        redeliveries: &mut HashMap<String, u32>,
    ) -> Option<Result<Stopped, ConsumeError>>
    where
        F: Fn(Received) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), HandlerError>> + Send + 'static,
    {
        let mut tasks: JoinSet<Done> = JoinSet::new();
        let mut ending: Option<Result<Stopped, ConsumeError>> = None;
        let mut reading = true;
        // A handler that finished, to settle before anything else happens.
        let mut done_now: Option<Done> = None;
        loop {
            if !reading && tasks.is_empty() {
                break;
            }
            let room = reading && tasks.len() < self.concurrency;
            tokio::select! {
                biased;
                _ = stop_rx.changed(), if reading => {
                    tracing::info!("stopping: finishing the messages in progress");
                    reading = false;
                    ending = Some(Ok(Stopped::Shutdown));
                }
                Some(done) = tasks.join_next(), if !tasks.is_empty() => {
                    // A handler that panicked leaves its message unacked (redelivered later).
                    let Ok(done) = done else { continue };
                    done_now = Some(done);
                }
                next = session.streams.next(), if room => match next {
                    Some((index, queue, Ok(delivery))) => {
                        done_now = self.dispatch(index, &queue, delivery, handler, &mut tasks).await;
                    }
                    Some((_, queue, Err(e))) => {
                        tracing::warn!(queue = %queue, error = %e, "consumer stream failed");
                        tasks.abort_all();
                        return None;
                    }
                    None => {
                        // Every stream ended: the broker cancelled us, or the connection is gone.
                        tasks.abort_all();
                        let lost = session.channels.iter().any(|(ch, _, _)| !ch.status().connected());
                        if lost {
                            return None;
                        }
                        let queue = session.channels.first().map(|c| c.2.clone()).unwrap_or_default();
                        return Some(Err(ConsumeError::Canceled { queue }));
                    }
                },
            }
            let Some(done) = done_now.take() else {
                continue;
            };
            match self.settle(&session.channels, done, redeliveries).await {
                Settled::Continue => {}
                Settled::Halt(code) => {
                    reading = false;
                    ending.get_or_insert(Ok(Stopped::Halted { exit_code: code }));
                }
                Settled::Fail(why) => {
                    // As Python: requeue every unacked message on every channel, then stop.
                    tasks.abort_all();
                    for (ch, _, _) in &session.channels {
                        let _ = ch
                            .basic_nack(
                                0,
                                BasicNackOptions {
                                    multiple: true,
                                    requeue: true,
                                },
                            )
                            .await;
                    }
                    return Some(Err(ConsumeError::HandlerFailed(why)));
                }
            }
        }
        for (ch, tag, _) in &session.channels {
            let _ = ch
                .basic_cancel(tag.as_str().into(), BasicCancelOptions::default())
                .await;
            let _ = ch.close(200, "bye".into()).await;
        }
        ending
    }

    /// Validates a delivery and runs its handler, or rejects it. With one handler at a time (the
    /// default) the handler runs here and its outcome is returned, to settle at once: a task per
    /// message would cost a spawn and a cross-thread wake-up each. With more, it becomes a task of
    /// `tasks`.
    async fn dispatch<F, Fut>(
        &self,
        index: usize,
        queue: &str,
        delivery: lapin::message::Delivery,
        handler: &Arc<F>,
        tasks: &mut JoinSet<Done>,
    ) -> Option<Done>
    where
        F: Fn(Received) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), HandlerError>> + Send + 'static,
    {
        let props = wire::from_basic_properties(&delivery.properties);
        let id = match props.message_id.as_deref() {
            Some(id) if !id.is_empty() => id.to_owned(),
            _ => {
                use std::hash::{Hash, Hasher};
                let mut h = std::collections::hash_map::DefaultHasher::new();
                (delivery.routing_key.as_str(), &delivery.data).hash(&mut h);
                format!("(no id; digest {:016x})", h.finish())
            }
        };
        let delivery_count = props
            .headers
            .as_ref()
            .and_then(|h| h.get("x-delivery-count"))
            .and_then(serde_json::Value::as_u64)
            .and_then(|c| u32::try_from(c).ok());
        let tag = delivery.delivery_tag;
        match self
            .registry
            .receive(delivery.routing_key.as_str(), props, &delivery.data)
        {
            Err(e) => {
                reject_invalid(&delivery, &id, &e).await;
                None
            }
            Ok(mut decoded) => {
                set_queue(&mut decoded, queue);
                let received = Received {
                    decoded,
                    redelivered: delivery.redelivered,
                };
                let handler = Arc::clone(handler);
                let work = async move {
                    let result = handler(received).await;
                    Done {
                        tag,
                        channel: index,
                        id,
                        delivery_count,
                        result,
                    }
                };
                if self.concurrency > 1 {
                    tasks.spawn(work);
                    return None;
                }
                // A panic stays inside the handler, as it would inside a task: the message is
                // left unacked (redelivered later) and consuming goes on.
                AssertUnwindSafe(work).catch_unwind().await.ok()
            }
        }
    }

    async fn settle(
        &self,
        channels: &[(Channel, String, String)],
        done: Done,
        redeliveries: &mut HashMap<String, u32>,
    ) -> Settled {
        let ch = &channels[done.channel].0;
        let ack = |ch: &Channel| {
            let ch = ch.clone();
            async move { ch.basic_ack(done.tag, BasicAckOptions::default()).await }
        };
        let nack = |ch: &Channel, requeue: bool| {
            let ch = ch.clone();
            async move {
                ch.basic_nack(
                    done.tag,
                    BasicNackOptions {
                        multiple: false,
                        requeue,
                    },
                )
                .await
            }
        };
        let outcome = match done.result {
            Ok(()) => ack(ch).await.map(|()| Settled::Continue),
            Err(HandlerError::Drop) => nack(ch, false).await.map(|()| Settled::Continue),
            Err(HandlerError::Nack) => {
                let requeue = self.may_requeue(&done.id, done.delivery_count, redeliveries);
                nack(ch, requeue).await.map(|()| Settled::Continue)
            }
            Err(HandlerError::Halt { exit_code, requeue }) => {
                let r = if requeue {
                    nack(ch, true).await
                } else {
                    ack(ch).await
                };
                r.map(|()| Settled::Halt(exit_code))
            }
            // Python's behaviour: requeue everything and stop.
            Err(HandlerError::Failed(e)) if self.max_redeliveries.is_none() => {
                Ok(Settled::Fail(e.to_string()))
            }
            // With a redelivery limit, a failure requeues its own message only and consuming goes
            // on, so one poison message cannot stop the consumer; past the limit it is dropped.
            Err(HandlerError::Failed(e)) => {
                tracing::warn!(id = %done.id, error = %e, "handler failed");
                let requeue = self.may_requeue(&done.id, done.delivery_count, redeliveries);
                nack(ch, requeue).await.map(|()| Settled::Continue)
            }
        };
        outcome.unwrap_or_else(|e| {
            // The channel is gone; the broker redelivers the message (handled twice, not lost).
            tracing::warn!(id = %done.id, error = %e, "could not settle a message; it will be redelivered");
            Settled::Continue
        })
    }

    /// Whether a failed message may go back on the queue, counting its redeliveries.
    fn may_requeue(
        &self,
        id: &str,
        broker_count: Option<u32>,
        redeliveries: &mut HashMap<String, u32>,
    ) -> bool {
        let Some(max) = self.max_redeliveries else {
            return true;
        };
        let count = redeliveries.entry(id.to_owned()).or_insert(0);
        *count = (*count).max(broker_count.unwrap_or(0));
        if *count >= max {
            tracing::error!(
                id,
                redeliveries = *count,
                "message redelivered {count} times and failed again; dropping it (or dead-lettering it per the queue policy)"
            );
            redeliveries.remove(id);
            return false;
        }
        *count += 1;
        true
    }
}

struct Session {
    channels: Vec<(Channel, String, String)>,
    streams: SelectAll<
        futures_util::stream::BoxStream<
            'static,
            (usize, String, lapin::Result<lapin::message::Delivery>),
        >,
    >,
}

enum Settled {
    Continue,
    Halt(i32),
    Fail(String),
}

enum SetupError {
    Fatal(ConsumeError),
    Lost(lapin::Error),
}

fn code(e: &lapin::Error) -> Option<u16> {
    match e.kind() {
        lapin::ErrorKind::ProtocolError(amqp) => Some(amqp.get_id()),
        _ => None,
    }
}

fn bad_declaration(object: &'static str, name: &str, e: lapin::Error) -> SetupError {
    match code(&e) {
        // 403 refused, 404 passive declare found nothing, 405 locked, 406 mismatched attributes.
        Some(403..=406) => SetupError::Fatal(ConsumeError::BadDeclaration {
            object,
            name: name.to_owned(),
            reason: e.to_string(),
        }),
        _ => SetupError::Lost(e),
    }
}

fn table(t: &toml::Table) -> FieldTable {
    let json = serde_json::to_value(t).unwrap_or_default();
    json.as_object()
        .and_then(|m| wire::to_field_table(m).ok())
        .unwrap_or_default()
}

fn set_queue(decoded: &mut Decoded, queue: &str) {
    match decoded {
        Decoded::Known { envelope, .. } | Decoded::Unknown { envelope } => {
            envelope.queue = Some(queue.to_owned())
        }
    }
}

async fn reject_invalid(delivery: &lapin::message::Delivery, id: &str, e: &ReceiveError) {
    tracing::warn!(id, topic = %delivery.routing_key, error = %e, "message did not pass validation; rejecting it");
    let _ = delivery
        .acker
        .nack(BasicNackOptions {
            multiple: false,
            requeue: false,
        })
        .await;
}

fn spawn_signal_watch(stop: watch::Sender<bool>) {
    tokio::spawn(async move {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let (Ok(mut term), Ok(mut int)) = (
                signal(SignalKind::terminate()),
                signal(SignalKind::interrupt()),
            ) else {
                return;
            };
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("signal received; stopping gracefully");
        let _ = stop.send(true);
    });
}
