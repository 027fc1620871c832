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
//!
//! | file | what it holds |
//! |---|---|
//! | `mod.rs` | [`Consumer`]: its settings and the consume loop (connect, reconnect, stop) |
//! | `declare.rs` | queues, bindings, qos and `basic.consume` on a connection |
//! | `dispatch.rs` | a delivery → validated [`Received`] → the handler |
//! | `ack.rs` | the ack decision: a pure function of the handler's answer |
//! | `settle.rs` | carrying the decision out on the broker: where messages are acked |
//! | `batch.rs` | acks held while more deliveries are ready, sent as one `multiple` ack |
//! | `redelivery.rs` | the redelivery count behind [`Consumer::max_redeliveries`] |
//! | `signals.rs` | graceful stop on SIGINT / SIGTERM or a [`StopHandle`] |

mod ack;
mod batch;
mod declare;
mod dispatch;
mod error;
mod handler;
mod redelivery;
mod settle;
mod signals;

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures_util::stream::StreamExt;
use lapin::options::BasicCancelOptions;
use tokio::sync::watch;
use tokio::task::JoinSet;

pub use error::ConsumeError;
pub use handler::{HandlerError, Received, Stopped};
pub use signals::StopHandle;

use super::config::{BindingConfig, Config, QueueConfig};
use super::connection::{self, ConnectError};
use super::monitor::{self, Stats};
use crate::registry::Registry;
use batch::AckBatch;
use declare::{Session, SetupError};
use dispatch::{Dispatched, Done};
use redelivery::Redeliveries;
use settle::{flush_acks, send_ack, Settled};

/// Consumes from the queues and bindings of the configuration (or given ones).
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use fedora_messaging::amqp::config::Config;
/// use fedora_messaging::amqp::consume::{Consumer, HandlerError, Received};
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
        let stats = Stats::global();
        // Started first, so a port that cannot be used is an error at once; stopped on return.
        let _monitor = match &self.config.monitoring {
            Some(m) => Some(monitor::serve(m, stats).await?),
            None => None,
        };
        let mut connected_before = false;
        let mut stop_rx = self.stop_tx.subscribe();
        if self.signals {
            signals::spawn_signal_watch(self.stop_tx.clone());
        }
        let mut redeliveries = Redeliveries::default();
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
            if connected_before {
                stats.reconnected();
            }
            connected_before = true;
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
            stats.set_consuming(true);
            let consumed = self
                .consume(session, &handler, &mut stop_rx, &mut redeliveries)
                .await;
            stats.set_consuming(false);
            match consumed {
                Some(result) => {
                    let _ = conn.close(200, "bye".into()).await;
                    return result;
                }
                None => tracing::warn!("connection to the broker lost; reconnecting"),
            }
        }
    }

    /// Consumes one connection's worth. `None`: the connection was lost, reconnect.
    async fn consume<F, Fut>(
        &self,
        mut session: Session,
        handler: &Arc<F>,
        stop_rx: &mut watch::Receiver<bool>,
        redeliveries: &mut Redeliveries,
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
        let mut batch = AckBatch::new(
            session.channels.len(),
            AckBatch::limit_for(self.config.qos.prefetch_count, self.concurrency),
        );
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
                        match self.dispatch(index, &queue, delivery, handler, &mut tasks).await {
                            Dispatched::Done(done) => done_now = Some(done),
                            Dispatched::Elsewhere => {}
                            Dispatched::Panicked => {
                                if let Some(a) = batch.left_unacked(index) {
                                    send_ack(&session.channels, index, a).await;
                                }
                            }
                        }
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
                        flush_acks(&session.channels, &mut batch).await;
                        let queue = session.channels.first().map(|c| c.2.clone()).unwrap_or_default();
                        return Some(Err(ConsumeError::Canceled { queue }));
                    }
                },
                // Nothing else is ready: the held acks go out now, so none waits on an idle consumer.
                () = std::future::ready(()), if !batch.is_empty() => {
                    flush_acks(&session.channels, &mut batch).await;
                }
            }
            let Some(done) = done_now.take() else {
                continue;
            };
            match self
                .settle(&session.channels, done, redeliveries, &mut batch)
                .await
            {
                Settled::Continue => {}
                Settled::Halt(code) => {
                    reading = false;
                    ending.get_or_insert(Ok(Stopped::Halted { exit_code: code }));
                }
                Settled::Fail(error) => {
                    // Every unacked message was requeued (as Python); the handlers still running
                    // would settle messages that went back already.
                    tasks.abort_all();
                    return Some(Err(ConsumeError::HandlerFailed(error)));
                }
            }
        }
        flush_acks(&session.channels, &mut batch).await;
        for (ch, tag, _) in &session.channels {
            let _ = ch
                .basic_cancel(tag.as_str().into(), BasicCancelOptions::default())
                .await;
            let _ = ch.close(200, "bye".into()).await;
        }
        ending
    }
}
