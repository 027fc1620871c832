//! [`StompSubscriber`]: fedmsg envelopes from a STOMP broker as a stream, reconnecting (and
//! resubscribing) across the brokers with backoff.

use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::Stream;
use serde_json::{json, Value};
use tokio::sync::{mpsc, watch};

use super::connection::{self, StompError};
use super::frame::Frame;
use super::settings::StompSettings;
use crate::{Config, Envelope};

/// A message received over STOMP.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// The destination it came from (`original-destination`, else `destination`).
    pub destination: String,
    /// The envelope: the body when it is one, else `{"topic": <destination topic>, "msg": body}`
    /// as fedmsg's consumers wrap foreign bodies.
    pub envelope: Envelope,
}

/// What a STOMP subscriber has seen, for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StompStats {
    /// Envelopes handed on.
    pub received: u64,
    /// Bodies that were not JSON (dropped, logged).
    pub malformed: u64,
    /// Messages whose signature did not validate (with a validator; dropped, logged).
    pub invalid: u64,
    /// Connections made after the first (the broker went away, or stopped beating).
    pub reconnects: u64,
}

#[derive(Default)]
struct Counters {
    received: AtomicU64,
    malformed: AtomicU64,
    invalid: AtomicU64,
    reconnects: AtomicU64,
}

/// Builds a [`StompSubscriber`].
#[derive(Debug, Clone)]
#[must_use]
pub struct StompSubscriberBuilder {
    settings: StompSettings,
    topics: Vec<String>,
    #[cfg(feature = "x509")]
    validator: Option<Arc<crate::crypto::x509::Validator>>,
}

impl StompSubscriberBuilder {
    /// The STOMP keys of `config`; all topics.
    pub fn new(config: &Config) -> Result<Self, StompError> {
        Ok(Self {
            settings: StompSettings::from_config(config)?,
            topics: Vec::new(),
            #[cfg(feature = "x509")]
            validator: None,
        })
    }

    /// Subscribes to topics starting with `prefix` (several calls, several subscriptions);
    /// `stomp_queue` replaces them all.
    pub fn topic(mut self, prefix: impl Into<String>) -> Self {
        self.topics.push(prefix.into());
        self
    }

    /// Drops (and counts) messages whose signature `validator` rejects.
    #[cfg(feature = "x509")]
    pub fn validate(mut self, validator: Arc<crate::crypto::x509::Validator>) -> Self {
        self.validator = Some(validator);
        self
    }

    /// Starts receiving in a task of the current tokio runtime.
    pub fn start(self) -> StompSubscriber {
        let (tx, rx) = mpsc::channel(1024);
        let (ready_tx, ready) = watch::channel(0u64);
        let counters = Arc::new(Counters::default());
        let task = tokio::spawn(run(self, tx, ready_tx, counters.clone()));
        StompSubscriber {
            rx,
            ready,
            counters,
            task,
        }
    }
}

/// The destinations to subscribe to.
fn destinations(b: &StompSubscriberBuilder) -> Vec<String> {
    if b.settings.queue.is_some() || b.topics.is_empty() {
        return vec![b.settings.subscription("")];
    }
    let mut d: Vec<String> = b
        .topics
        .iter()
        .map(|t| b.settings.subscription(t))
        .collect();
    d.dedup();
    d
}

/// What a MESSAGE frame carries, as an envelope.
fn envelope_of(settings: &StompSettings, frame: &Frame) -> Result<(String, Envelope), String> {
    let destination = frame
        .get("original-destination")
        .or_else(|| frame.get("destination"))
        .unwrap_or_default()
        .to_owned();
    let body: Value =
        serde_json::from_slice(&frame.body).map_err(|e| format!("the body is not JSON: {e}"))?;
    let is_envelope = body.as_object().is_some_and(|m| m.contains_key("topic"));
    let value = if is_envelope {
        body
    } else {
        let topic = settings
            .topic_of(frame.get("original-destination"), frame.get("destination"))
            .unwrap_or_default();
        json!({"topic": topic, "msg": body})
    };
    let env = Envelope::from_value(value).map_err(|e| e.to_string())?;
    Ok((destination, env))
}

async fn run(
    b: StompSubscriberBuilder,
    tx: mpsc::Sender<Delivery>,
    ready: watch::Sender<u64>,
    counters: Arc<Counters>,
) {
    let mut backoff = Duration::from_millis(100);
    let mut start = 0usize;
    let mut rounds = 0u64;
    loop {
        let result = session(&b, &tx, &ready, &counters, start, &mut rounds).await;
        if tx.is_closed() {
            return;
        }
        match result {
            Ok(()) => return,
            Err(e) => {
                tracing::warn!(error = %e, retry_in = ?backoff, "STOMP subscriber disconnected");
                tokio::time::sleep(backoff).await;
                // moksha's stomp_delay: from 0.1 s, doubling, at most a minute.
                backoff = (backoff * 2).min(Duration::from_secs(60));
                start += 1;
                counters.reconnects.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

async fn session(
    b: &StompSubscriberBuilder,
    tx: &mpsc::Sender<Delivery>,
    ready: &watch::Sender<u64>,
    counters: &Counters,
    start: usize,
    rounds: &mut u64,
) -> Result<(), StompError> {
    let (mut reader, mut writer, broker) = connection::connect(&b.settings, start).await?;
    let dests = destinations(b);
    for (n, d) in dests.iter().enumerate() {
        let mut frame = Frame::new("SUBSCRIBE")
            .header("id", n.to_string())
            .header("destination", d.clone())
            .header("ack", "auto");
        if n + 1 == dests.len() {
            frame = frame.header("receipt", "subscribed");
        }
        writer.send(&frame).await?;
    }
    let mut beat = writer.beat.map(tokio::time::interval);
    loop {
        let tick = async {
            match beat.as_mut() {
                Some(i) => {
                    i.tick().await;
                }
                None => std::future::pending().await,
            }
        };
        let frame = tokio::select! {
            () = tick => {
                writer.heartbeat().await?;
                continue;
            }
            f = reader.next() => f?,
            () = tx.closed() => return Ok(()),
        };
        match frame.command.as_str() {
            "RECEIPT" => {
                *rounds += 1;
                tracing::info!(%broker, destinations = ?dests, "STOMP subscribed");
                let _ = ready.send(*rounds);
            }
            "MESSAGE" => match envelope_of(&b.settings, &frame) {
                Ok((destination, envelope)) => {
                    #[cfg(feature = "x509")]
                    if let Some(v) = &b.validator {
                        if let Err(error) = v.validate(&envelope) {
                            counters.invalid.fetch_add(1, Ordering::Relaxed);
                            tracing::warn!(%destination, %error, "STOMP message dropped: its signature does not validate");
                            continue;
                        }
                    }
                    counters.received.fetch_add(1, Ordering::Relaxed);
                    if tx
                        .send(Delivery {
                            destination,
                            envelope,
                        })
                        .await
                        .is_err()
                    {
                        return Ok(());
                    }
                }
                Err(problem) => {
                    counters.malformed.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(%broker, %problem, "malformed STOMP message dropped");
                }
            },
            "ERROR" => {
                return Err(StompError::Refused {
                    message: frame.get("message").unwrap_or("").to_owned(),
                    details: String::from_utf8_lossy(&frame.body).into_owned(),
                })
            }
            _ => {}
        }
    }
}

/// fedmsg envelopes arriving over STOMP, as a [`Stream`]; the subscriber reconnects by itself.
///
/// ```no_run
/// use futures_util::StreamExt;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let config = fedmsg::Config::from_toml("stomp_uri = \"127.0.0.1:61613\"")?;
/// let mut sub = fedmsg::stomp::StompSubscriberBuilder::new(&config)?
///     .topic("org.fedoraproject.prod.bodhi.")
///     .start();
/// sub.subscribed().await;
/// while let Some(d) = sub.next().await {
///     println!("{}", d.envelope.topic);
/// }
/// # Ok(()) }
/// ```
pub struct StompSubscriber {
    rx: mpsc::Receiver<Delivery>,
    ready: watch::Receiver<u64>,
    counters: Arc<Counters>,
    task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for StompSubscriber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StompSubscriber")
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl StompSubscriber {
    /// Waits until the broker has confirmed the subscriptions (once; after a reconnect the
    /// subscriber subscribes again by itself).
    pub async fn subscribed(&mut self) {
        let _ = self.ready.wait_for(|n| *n > 0).await;
    }

    /// How many times the broker confirmed the subscriptions: 1 after the first connection, one
    /// more after each reconnection.
    pub fn subscription_rounds(&self) -> u64 {
        *self.ready.borrow()
    }

    /// The next message.
    pub async fn recv(&mut self) -> Option<Delivery> {
        self.rx.recv().await
    }

    /// What has been seen so far.
    pub fn stats(&self) -> StompStats {
        StompStats {
            received: self.counters.received.load(Ordering::Relaxed),
            malformed: self.counters.malformed.load(Ordering::Relaxed),
            invalid: self.counters.invalid.load(Ordering::Relaxed),
            reconnects: self.counters.reconnects.load(Ordering::Relaxed),
        }
    }
}

impl Stream for StompSubscriber {
    type Item = Delivery;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Delivery>> {
        self.rx.poll_recv(cx)
    }
}

impl Drop for StompSubscriber {
    fn drop(&mut self) {
        self.task.abort();
    }
}
