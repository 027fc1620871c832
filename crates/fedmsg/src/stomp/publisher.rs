//! [`StompPublisher`]: fedmsg envelopes sent to a STOMP broker, each confirmed by a RECEIPT.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::Mutex;

use super::connection::{self, Reader, StompError, Writer};
use super::frame::Frame;
use super::settings::StompSettings;
use crate::{topic, Config, Envelope};

struct Inner {
    settings: StompSettings,
    conn: Mutex<Option<(Reader, Writer)>>,
    next_broker: AtomicUsize,
    receipts: AtomicU64,
    counter: AtomicU64,
    topic_prefix: String,
    environment: String,
    username: String,
    receipt_timeout: Duration,
    #[cfg(feature = "x509")]
    signer: Option<crate::crypto::x509::Signer>,
}

/// Publishes fedmsg envelopes over STOMP (moksha's `SEND` with `destination:<topic>` and the
/// canonical JSON as body), for buses without ZeroMQ (`zmq_enabled = False`). Each message asks
/// for a RECEIPT, so `publish` returns only once the broker has it; a broken connection fails
/// over to the next broker of `stomp_uri` and the message is sent again there.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let config = fedmsg::Config::from_toml("stomp_uri = \"127.0.0.1:61613\"")?;
/// let publisher = fedmsg::stomp::StompPublisher::connect(&config).await?;
/// publisher.publish("bodhi", "update.comment", serde_json::json!({"n": 1})).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct StompPublisher {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for StompPublisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StompPublisher")
            .field("brokers", &self.inner.settings.brokers)
            .finish_non_exhaustive()
    }
}

impl StompPublisher {
    /// Connects to the first broker of the configuration that answers; signs when
    /// `sign_messages` is on (as the publisher `name`, or `cert_prefix`).
    pub async fn connect(config: &Config) -> Result<Self, StompError> {
        let settings = StompSettings::from_config(config)?;
        let (reader, writer, broker) = connection::connect(&settings, 0).await?;
        let index = settings
            .brokers
            .iter()
            .position(|b| *b == broker)
            .unwrap_or(0);
        #[cfg(feature = "x509")]
        let signer = if config.sign_messages {
            Some(
                crate::crypto::x509::Signer::from_config(config, config.name.as_deref())
                    .map_err(|e| StompError::Io(std::io::Error::other(e.to_string())))?,
            )
        } else {
            None
        };
        Ok(Self {
            inner: Arc::new(Inner {
                settings,
                conn: Mutex::new(Some((reader, writer))),
                next_broker: AtomicUsize::new(index),
                receipts: AtomicU64::new(0),
                counter: AtomicU64::new(0),
                topic_prefix: config.topic_prefix.clone(),
                environment: config.environment.clone(),
                username: crate::identity::os_username(),
                receipt_timeout: Duration::from_secs(30),
                #[cfg(feature = "x509")]
                signer,
            }),
        })
    }

    /// Publishes `msg` on `<topic_prefix>.<environment>.<modname>.<topic>`; returns the envelope
    /// the broker confirmed.
    pub async fn publish(
        &self,
        modname: &str,
        topic: &str,
        msg: Value,
    ) -> Result<Envelope, StompError> {
        let full = topic::full_topic(
            &self.inner.topic_prefix,
            &self.inner.environment,
            modname,
            topic,
        );
        self.send(Envelope::new(full, msg)).await
    }

    /// Sends an envelope, filling in what it lacks (`timestamp`, `msg_id`, `i`, `username`) and
    /// signing it when this publisher signs.
    pub async fn send(&self, mut envelope: Envelope) -> Result<Envelope, StompError> {
        if envelope.timestamp.is_none() {
            envelope.timestamp = Some(crate::Timestamp::now());
        }
        if envelope.msg_id.is_none() {
            envelope.msg_id = Some(crate::new_msg_id());
        }
        if envelope.i.is_none() {
            envelope.i = Some(self.inner.counter.fetch_add(1, Ordering::Relaxed) + 1);
        }
        if envelope.username.is_none() {
            envelope.username = Some(self.inner.username.clone());
        }
        #[cfg(feature = "x509")]
        if let Some(signer) = &self.inner.signer {
            signer
                .sign(&mut envelope)
                .map_err(|e| StompError::Io(std::io::Error::other(e.to_string())))?;
        }
        let destination = self.inner.settings.destination(&envelope.topic);
        let body = envelope.to_canonical_json();
        let attempts = self.inner.settings.brokers.len() + 1;
        let mut last = None;
        for _ in 0..attempts {
            match self.send_once(&destination, &body).await {
                Ok(()) => return Ok(envelope),
                Err(
                    e @ (StompError::Refused { .. } | StompError::Config(_) | StompError::Tls(_)),
                ) => return Err(e),
                Err(e) => {
                    tracing::warn!(error = %e, "STOMP send failed; reconnecting");
                    last = Some(e);
                }
            }
        }
        Err(last.unwrap_or(StompError::NoReceipt(self.inner.receipt_timeout)))
    }

    async fn send_once(&self, destination: &str, body: &str) -> Result<(), StompError> {
        let mut guard = self.inner.conn.lock().await;
        if guard.is_none() {
            let start = self.inner.next_broker.fetch_add(1, Ordering::Relaxed);
            let (r, w, _) = connection::connect(&self.inner.settings, start).await?;
            *guard = Some((r, w));
        }
        let Some((reader, writer)) = guard.as_mut() else {
            return Err(StompError::NoReceipt(self.inner.receipt_timeout));
        };
        let id = self
            .inner
            .receipts
            .fetch_add(1, Ordering::Relaxed)
            .to_string();
        let frame = Frame::new("SEND")
            .header("destination", destination)
            .header("content-type", "text/plain")
            .header("receipt", id.clone())
            .body(body.as_bytes().to_vec());
        let result = async {
            writer.send(&frame).await?;
            let wait = async {
                loop {
                    let f = reader.next().await?;
                    match f.command.as_str() {
                        "RECEIPT" if f.get("receipt-id") == Some(id.as_str()) => return Ok(()),
                        "ERROR" => {
                            return Err(StompError::Refused {
                                message: f.get("message").unwrap_or("").to_owned(),
                                details: String::from_utf8_lossy(&f.body).into_owned(),
                            })
                        }
                        _ => {}
                    }
                }
            };
            tokio::time::timeout(self.inner.receipt_timeout, wait)
                .await
                .map_err(|_| StompError::NoReceipt(self.inner.receipt_timeout))?
        }
        .await;
        if result.is_err() {
            // Whatever state the connection is in, the next send starts on a fresh one.
            *guard = None;
        }
        result
    }
}
