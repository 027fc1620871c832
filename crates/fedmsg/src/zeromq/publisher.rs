//! [`Publisher`]: one ZeroMQ publishing socket for a whole process, bound to the service's
//! endpoint or connected to the relay.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::options::SocketOptions;
use super::raw_option;
use crate::{topic, Config, Envelope};

/// Why a publisher could not start or a message was not sent.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PublishError {
    /// None of the service's endpoints could be bound (fedmsg's "Couldn't find an available
    /// endpoint"): each with why.
    #[error("no endpoint available for {name:?}: {}", tried.iter().map(|(e, why)| format!("{e} ({why})")).collect::<Vec<_>>().join(", "))]
    NoEndpointAvailable {
        /// The service name (`endpoints` key).
        name: String,
        /// Each endpoint tried, and libzmq's error.
        tried: Vec<(String, zmq::Error)>,
    },
    /// The configuration has no endpoint to publish on.
    #[error(transparent)]
    Config(#[from] crate::ConfigError),
    /// A subscriber's queue is at the high-water mark: the message was not sent to anyone.
    #[error("not sent: a subscriber is {hwm} messages behind (the high-water mark)")]
    HighWaterMark {
        /// The high-water mark.
        hwm: i32,
    },
    /// Fewer subscribers than asked for subscribed in time.
    #[error("{seen} of {wanted} subscribers after {waited:?} on {endpoint}")]
    TooFewSubscribers {
        /// How many were asked for.
        wanted: usize,
        /// How many came.
        seen: usize,
        /// How long it waited.
        waited: Duration,
        /// The publisher's endpoint.
        endpoint: String,
    },
    /// libzmq failed.
    #[error("ZeroMQ: {0}")]
    Zmq(#[from] zmq::Error),
    /// `sign_messages` is on and the message could not be signed (or the signer not loaded).
    #[error("signing: {0}")]
    Sign(#[from] crate::crypto::SignError),
    /// `sign_messages` is on, and this build has no x509 support (feature `x509`).
    #[error("sign_messages is set, and fedmsg was built without the `x509` feature")]
    SigningUnavailable,
}

/// How a new publisher avoids losing its first messages to subscribers still connecting (the
/// slow joiner).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Settle {
    /// Publish at once.
    Immediately,
    /// Sleep this long, as fedmsg does (`post_init_sleep`): enough, or not.
    Sleep(Duration),
    /// Wait until this many subscriptions have arrived, or fail after `timeout`.
    Subscribers {
        /// Subscriptions to wait for.
        count: usize,
        /// How long to wait at most.
        timeout: Duration,
    },
}

/// What a publisher has done, for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PublisherStats {
    /// Messages handed to libzmq.
    pub sent: u64,
    /// Of those, sent while no subscription was known: ZeroMQ delivered them to nobody.
    pub sent_without_subscribers: u64,
    /// Messages refused because a subscriber was at the high-water mark.
    pub dropped_high_water_mark: u64,
    /// Subscriptions currently known.
    pub subscriptions: u64,
}

struct Socket {
    socket: zmq::Socket,
    subscriptions: u64,
}

struct Inner {
    // Keeps libzmq's context alive as long as the socket; dropped last, it lingers.
    socket: Mutex<Socket>,
    _context: zmq::Context,
    endpoint: String,
    topic_prefix: String,
    environment: String,
    username: String,
    hwm: i32,
    counter: AtomicU64,
    sent: AtomicU64,
    sent_without_subscribers: AtomicU64,
    dropped: AtomicU64,
    #[cfg(feature = "x509")]
    signer: Mutex<Option<Arc<crate::crypto::x509::Signer>>>,
}

/// A fedmsg publisher. One serves every thread and task of a process (`Clone` it, or share it):
/// unlike Python's, which needs one endpoint per thread.
///
/// It is an XPUB socket, so it sees subscriptions arrive: it can wait for its subscribers
/// ([`Settle::Subscribers`]) and knows when a message went to nobody; and a message refused at the
/// high-water mark is an error and a count ([`PublisherStats`]), not a silent drop.
///
/// ```no_run
/// use fedmsg::zeromq::{Publisher, Settle};
/// use fedmsg::Config;
/// use serde_json::json;
/// use std::time::Duration;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let config = Config::load(&fedmsg::ConfigSource::Search)?;
/// let publisher = Publisher::bind(&config, "bodhi.app01")?;
/// publisher.settle(Settle::Subscribers { count: 1, timeout: Duration::from_secs(5) }).await?;
/// let sent = publisher.publish("bodhi", "update.comment", json!({"comment": "works"}))?;
/// println!("{} as {}", sent.topic, sent.msg_id.unwrap_or_default());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Publisher {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Publisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Publisher")
            .field("endpoint", &self.inner.endpoint)
            .finish_non_exhaustive()
    }
}

fn xpub(context: &zmq::Context, options: &SocketOptions) -> Result<zmq::Socket, zmq::Error> {
    let mut socket = context.socket(zmq::XPUB)?;
    options.apply(&socket)?;
    raw_option::set_int(&mut socket, raw_option::XPUB_NODROP, 1)?;
    raw_option::set_int(&mut socket, raw_option::XPUB_VERBOSER, 1)?;
    Ok(socket)
}

impl Publisher {
    /// Binds `endpoints[name]` as fedmsg does: for each endpoint in order, its port on every
    /// interface (`tcp://*:<port>`), the first that binds. None binds: an error naming each.
    pub fn bind(config: &Config, name: &str) -> Result<Self, PublishError> {
        let endpoints = config
            .endpoints
            .get(name)
            .filter(|e| !e.is_empty())
            .ok_or_else(|| config.missing(&format!("endpoints.{name}"), "publishing binds it"))?;
        Self::bind_endpoints(config, name, endpoints, SocketOptions::from_config(config))?
            .sign_as(config, Some(name))
    }

    /// Binds the first of `endpoints` that binds (each as `tcp://*:<port>`), with `options`;
    /// never signs (relays and gateways forward what they receive as it is).
    pub fn bind_endpoints(
        config: &Config,
        name: &str,
        endpoints: &[String],
        options: SocketOptions,
    ) -> Result<Self, PublishError> {
        let context = zmq::Context::new();
        let socket = xpub(&context, &options)?;
        let mut tried = Vec::new();
        for endpoint in endpoints {
            let port = endpoint.rsplit(':').next().unwrap_or_default();
            let address = format!("tcp://*:{port}");
            match socket.bind(&address) {
                Ok(()) => {
                    tracing::info!(name, endpoint = %address, "fedmsg publisher bound");
                    return Ok(Self::new(context, socket, address, config, options));
                }
                Err(e) => tried.push((address, e)),
            }
        }
        Err(PublishError::NoEndpointAvailable {
            name: name.to_owned(),
            tried,
        })
    }

    /// Connects to the relay (`relay_inbound`, its first endpoint), as `fedmsg-logger` and
    /// other short-lived senders do.
    pub fn connect_relay(config: &Config) -> Result<Self, PublishError> {
        let endpoint = config
            .relay_inbound
            .first()
            .ok_or_else(|| config.missing("relay_inbound", "an active publisher connects to it"))?;
        Self::connect_as(config, endpoint, "relay_inbound")
    }

    /// Connects to `endpoint` (a bound SUB, such as a relay's), signing (when `sign_messages` is
    /// on) as the publisher called `name` would.
    pub fn connect_as(config: &Config, endpoint: &str, name: &str) -> Result<Self, PublishError> {
        let options = SocketOptions::from_config(config);
        let context = zmq::Context::new();
        let socket = xpub(&context, &options)?;
        socket.connect(endpoint)?;
        tracing::info!(endpoint, "fedmsg publisher connected");
        Self::new(context, socket, endpoint.to_owned(), config, options).sign_as(config, Some(name))
    }

    /// The publisher `config` describes: connected to the relay when `active`, else bound on
    /// `endpoints[name]`.
    pub fn from_config(config: &Config) -> Result<Self, PublishError> {
        if config.active {
            Self::connect_relay(config)
        } else {
            let name = config
                .name
                .as_deref()
                .ok_or_else(|| config.missing("name", "a publisher binds endpoints[name]"))?;
            Self::bind(config, name)
        }
    }

    fn new(
        context: zmq::Context,
        socket: zmq::Socket,
        endpoint: String,
        config: &Config,
        options: SocketOptions,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                socket: Mutex::new(Socket {
                    socket,
                    subscriptions: 0,
                }),
                _context: context,
                endpoint,
                topic_prefix: config.topic_prefix.clone(),
                environment: config.environment.clone(),
                username: crate::identity::os_username(),
                hwm: options.high_water_mark,
                counter: AtomicU64::new(0),
                sent: AtomicU64::new(0),
                sent_without_subscribers: AtomicU64::new(0),
                dropped: AtomicU64::new(0),
                #[cfg(feature = "x509")]
                signer: Mutex::new(None),
            }),
        }
    }

    /// Loads the signer `config` names for a publisher called `name` when `sign_messages` is on.
    fn sign_as(self, config: &Config, name: Option<&str>) -> Result<Self, PublishError> {
        if !config.sign_messages {
            return Ok(self);
        }
        #[cfg(feature = "x509")]
        {
            let signer = crate::crypto::x509::Signer::from_config(config, name)?;
            tracing::info!(
                certname = signer.certname(),
                "fedmsg publisher signs its messages"
            );
            self.set_signer(Some(signer));
            Ok(self)
        }
        #[cfg(not(feature = "x509"))]
        {
            let _ = name;
            Err(PublishError::SigningUnavailable)
        }
    }

    /// Signs every message sent from now on with `signer` (`None`: stop signing). The
    /// constructors do this themselves when the configuration has `sign_messages`.
    #[cfg(feature = "x509")]
    pub fn set_signer(&self, signer: Option<crate::crypto::x509::Signer>) {
        *self
            .inner
            .signer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = signer.map(Arc::new);
    }

    /// The endpoint bound (`tcp://*:<port>`) or connected to.
    pub fn endpoint(&self) -> &str {
        &self.inner.endpoint
    }

    fn lock(&self) -> MutexGuard<'_, Socket> {
        // A panic while holding the lock leaves the socket usable: it is only ever sent on.
        self.inner
            .socket
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Reads the subscription messages that arrived (first byte 1: subscribe, 0: unsubscribe).
    fn drain_subscriptions(socket: &mut Socket) {
        while let Ok(frame) = socket.socket.recv_bytes(zmq::DONTWAIT) {
            match frame.first() {
                Some(1) => socket.subscriptions += 1,
                Some(0) => socket.subscriptions = socket.subscriptions.saturating_sub(1),
                _ => {}
            }
        }
    }

    /// How many subscriptions are known now.
    pub fn subscriptions(&self) -> u64 {
        let mut socket = self.lock();
        Self::drain_subscriptions(&mut socket);
        socket.subscriptions
    }

    /// Waits as `settle` says before the first message.
    pub async fn settle(&self, settle: Settle) -> Result<(), PublishError> {
        match settle {
            Settle::Immediately => Ok(()),
            Settle::Sleep(d) => {
                tokio::time::sleep(d).await;
                Ok(())
            }
            Settle::Subscribers { count, timeout } => {
                self.wait_for_subscribers(count, timeout).await.map(|_| ())
            }
        }
    }

    /// Waits until `count` subscriptions have arrived (a subscriber that has connected but not
    /// yet subscribed would still miss messages), or fails after `timeout`.
    pub async fn wait_for_subscribers(
        &self,
        count: usize,
        timeout: Duration,
    ) -> Result<usize, PublishError> {
        let start = Instant::now();
        loop {
            let seen = usize::try_from(self.subscriptions()).unwrap_or(usize::MAX);
            if seen >= count {
                tracing::debug!(seen, waited = ?start.elapsed(), "subscribers are in");
                return Ok(seen);
            }
            if start.elapsed() >= timeout {
                return Err(PublishError::TooFewSubscribers {
                    wanted: count,
                    seen,
                    waited: start.elapsed(),
                    endpoint: self.inner.endpoint.clone(),
                });
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Publishes `msg` on `<topic_prefix>.<environment>.<modname>.<topic>` as `fedmsg.publish`
    /// does, and returns the envelope sent (with its `msg_id`, `i` and `timestamp`).
    pub fn publish(
        &self,
        modname: &str,
        topic: &str,
        msg: Value,
    ) -> Result<Envelope, PublishError> {
        let full = topic::full_topic(
            &self.inner.topic_prefix,
            &self.inner.environment,
            modname,
            topic,
        );
        self.send(Envelope::new(full, msg))
    }

    /// Sends an envelope as it is, filling in what it lacks: `timestamp`, `msg_id`, `i` (this
    /// publisher's counter) and `username` (the OS user); then signs it when this publisher
    /// signs.
    pub fn send(&self, mut envelope: Envelope) -> Result<Envelope, PublishError> {
        if envelope.timestamp.is_none() {
            envelope.timestamp = Some(crate::Timestamp::now());
        }
        if envelope.msg_id.is_none() {
            envelope.msg_id = Some(crate::envelope::new_msg_id());
        }
        if envelope.i.is_none() {
            envelope.i = Some(self.inner.counter.fetch_add(1, Ordering::Relaxed) + 1);
        }
        if envelope.username.is_none() {
            envelope.username = Some(self.inner.username.clone());
        }
        #[cfg(feature = "x509")]
        {
            let signer = self
                .inner
                .signer
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone();
            if let Some(signer) = signer {
                signer.sign(&mut envelope)?;
            }
        }
        let [topic, json] = envelope.to_frames();
        self.send_frames(&topic, &json)?;
        Ok(envelope)
    }

    /// Sends two frames as they are (a relay or gateway forwarding what it received).
    pub fn send_frames(&self, topic: &[u8], json: &[u8]) -> Result<(), PublishError> {
        let mut socket = self.lock();
        Self::drain_subscriptions(&mut socket);
        let result = socket
            .socket
            .send(topic, zmq::SNDMORE | zmq::DONTWAIT)
            .and_then(|()| socket.socket.send(json, zmq::DONTWAIT));
        match result {
            Ok(()) => {
                self.inner.sent.fetch_add(1, Ordering::Relaxed);
                if socket.subscriptions == 0 {
                    self.inner
                        .sent_without_subscribers
                        .fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(endpoint = %self.inner.endpoint, "sent with no subscriber known");
                }
                Ok(())
            }
            Err(zmq::Error::EAGAIN) => {
                self.inner.dropped.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(
                    endpoint = %self.inner.endpoint,
                    hwm = self.inner.hwm,
                    topic = %String::from_utf8_lossy(topic),
                    "message not sent: a subscriber is at the high-water mark"
                );
                Err(PublishError::HighWaterMark {
                    hwm: self.inner.hwm,
                })
            }
            Err(e) => Err(e.into()),
        }
    }

    /// What this publisher has done so far.
    pub fn stats(&self) -> PublisherStats {
        let subscriptions = self.subscriptions();
        PublisherStats {
            sent: self.inner.sent.load(Ordering::Relaxed),
            sent_without_subscribers: self.inner.sent_without_subscribers.load(Ordering::Relaxed),
            dropped_high_water_mark: self.inner.dropped.load(Ordering::Relaxed),
            subscriptions,
        }
    }
}
