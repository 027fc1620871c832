//! [`Subscriber`]: every endpoint of the bus as one async stream of envelopes (Python's
//! `fedmsg.tail_messages`).

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::Stream;
use tokio::sync::mpsc;

use super::options::SocketOptions;
use crate::{Config, Envelope};

/// A message received, with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    /// The `endpoints` key of the endpoint (fedmsg's `name`).
    pub name: String,
    /// The endpoint it came from.
    pub endpoint: String,
    /// The envelope.
    pub envelope: Envelope,
    /// The JSON frame as it arrived, for forwarding it byte for byte.
    pub json: Vec<u8>,
}

/// What a subscriber has received, for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SubscriberStats {
    /// Envelopes received and handed on.
    pub received: u64,
    /// Messages dropped as malformed (not 2 frames, not UTF-8, not a JSON object, no
    /// `topic`/`msg`, topic frame ≠ JSON topic); each is logged with its endpoint.
    pub malformed: u64,
    /// Messages dropped because their signature did not validate (with a validator); logged
    /// once per sender and endpoint, then counted only.
    pub invalid: u64,
}

#[derive(Default)]
struct Counters {
    received: AtomicU64,
    malformed: AtomicU64,
    invalid: AtomicU64,
}

/// Checks each message before it is handed on: the signature validator, when there is one.
#[derive(Clone, Default)]
struct Checks {
    #[cfg(feature = "x509")]
    validator: Option<Arc<crate::crypto::x509::Validator>>,
}

impl std::fmt::Debug for Checks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checks").finish_non_exhaustive()
    }
}

/// Builds a [`Subscriber`]: which endpoints, which topic prefixes, connect or bind.
#[derive(Debug, Clone)]
#[must_use]
pub struct SubscriberBuilder {
    endpoints: Vec<(String, String)>,
    topics: Vec<String>,
    bind: bool,
    options: SocketOptions,
    capacity: usize,
    checks: Checks,
}

impl SubscriberBuilder {
    /// Every endpoint of `config` but `relay_inbound` (as `tail_messages`), all topics.
    pub fn new(config: &Config) -> Self {
        Self {
            endpoints: config.subscribe_endpoints(),
            topics: Vec::new(),
            bind: false,
            options: SocketOptions::from_config(config),
            capacity: 1024,
            checks: Checks::default(),
        }
    }

    /// Drops (and counts, and logs once per sender) every message whose signature `validator`
    /// rejects, as fedmsg does with `validate_signatures`.
    #[cfg(feature = "x509")]
    pub fn validate(mut self, validator: Arc<crate::crypto::x509::Validator>) -> Self {
        self.checks.validator = Some(validator);
        self
    }

    /// These endpoints instead of the configuration's, each with the name reported for it.
    pub fn endpoints(mut self, endpoints: impl IntoIterator<Item = (String, String)>) -> Self {
        self.endpoints = endpoints.into_iter().collect();
        self
    }

    /// Subscribes to topics starting with `prefix` (ZeroMQ matches bytes of the topic frame);
    /// none given: everything.
    pub fn topic(mut self, prefix: impl Into<String>) -> Self {
        self.topics.push(prefix.into());
        self
    }

    /// Binds the endpoints instead of connecting to them (a relay's inbound side).
    pub fn bind(mut self, bind: bool) -> Self {
        self.bind = bind;
        self
    }

    /// The socket options (high-water mark, keepalive, reconnect backoff).
    pub fn options(mut self, options: SocketOptions) -> Self {
        self.options = options;
        self
    }

    /// Opens the sockets and starts receiving. Binding an endpoint that is taken fails here;
    /// connecting never does (libzmq connects, and reconnects, in the background).
    pub fn start(self) -> Result<Subscriber, zmq::Error> {
        let context = zmq::Context::new();
        let mut sockets = Vec::new();
        for (name, endpoint) in &self.endpoints {
            let socket = context.socket(zmq::SUB)?;
            self.options.apply(&socket)?;
            // Closing a subscriber has nothing to deliver.
            socket.set_linger(0)?;
            if self.topics.is_empty() {
                socket.set_subscribe(b"")?;
            }
            for t in &self.topics {
                socket.set_subscribe(t.as_bytes())?;
            }
            if self.bind {
                socket.bind(endpoint)?;
            } else {
                socket.connect(endpoint)?;
            }
            tracing::info!(name, endpoint, bind = self.bind, "fedmsg subscriber ready");
            sockets.push((socket, name.clone(), endpoint.clone()));
        }
        let (tx, rx) = mpsc::channel(self.capacity);
        let stop = Arc::new(AtomicBool::new(false));
        let counters = Arc::new(Counters::default());
        let thread = {
            let stop = stop.clone();
            let counters = counters.clone();
            let checks = self.checks.clone();
            std::thread::Builder::new()
                .name("fedmsg-sub".into())
                .spawn(move || receive_loop(&context, &sockets, &tx, &stop, &counters, &checks))
                .map_err(|_| zmq::Error::EMFILE)?
        };
        Ok(Subscriber {
            rx,
            stop,
            counters,
            _thread: thread,
        })
    }
}

/// How often the receiving thread looks at the stop flag.
const POLL_MS: i64 = 100;

fn receive_loop(
    _context: &zmq::Context,
    sockets: &[(zmq::Socket, String, String)],
    tx: &mpsc::Sender<Received>,
    stop: &AtomicBool,
    counters: &Counters,
    checks: &Checks,
) {
    // Senders whose invalid messages were already logged: one warning each, not one per message.
    let mut warned: std::collections::HashSet<(String, String)> = std::collections::HashSet::new();
    let mut items: Vec<zmq::PollItem<'_>> = sockets
        .iter()
        .map(|(s, _, _)| s.as_poll_item(zmq::POLLIN))
        .collect();
    while !stop.load(Ordering::Relaxed) {
        match zmq::poll(&mut items, POLL_MS) {
            Ok(0) => continue,
            Ok(_) => {}
            Err(zmq::Error::EINTR) => continue,
            Err(e) => {
                tracing::error!(error = %e, "fedmsg subscriber stopped: poll failed");
                return;
            }
        }
        for (item, (socket, name, endpoint)) in items.iter().zip(sockets) {
            if !item.is_readable() {
                continue;
            }
            // Everything queued, not just one: a busy endpoint should not wait for the next poll.
            while let Ok(frames) = socket.recv_multipart(zmq::DONTWAIT) {
                let parsed = Envelope::from_frames(&frames);
                #[cfg(feature = "x509")]
                if let (Ok(envelope), Some(validator)) = (&parsed, &checks.validator) {
                    if let Err(error) = validator.validate(envelope) {
                        counters.invalid.fetch_add(1, Ordering::Relaxed);
                        let sender = envelope.username.clone().unwrap_or_default();
                        if warned.insert((sender.clone(), endpoint.clone())) {
                            tracing::warn!(%endpoint, %sender, topic = %envelope.topic, %error,
                                "message dropped: its signature does not validate (further ones from this sender are counted only)");
                        } else {
                            tracing::debug!(%endpoint, %sender, %error, "invalid message dropped");
                        }
                        continue;
                    }
                }
                #[cfg(not(feature = "x509"))]
                let _ = (checks, &mut warned);
                match parsed {
                    Ok(envelope) => {
                        counters.received.fetch_add(1, Ordering::Relaxed);
                        let json = frames.into_iter().nth(1).unwrap_or_default();
                        let received = Received {
                            name: name.clone(),
                            endpoint: endpoint.clone(),
                            envelope,
                            json,
                        };
                        if tx.blocking_send(received).is_err() {
                            return; // the stream was dropped
                        }
                    }
                    Err(error) => {
                        counters.malformed.fetch_add(1, Ordering::Relaxed);
                        tracing::warn!(%endpoint, %error, "malformed fedmsg message dropped");
                    }
                }
            }
        }
    }
}

/// Every message of the endpoints, as a [`Stream`]. Malformed messages are counted, logged and
/// skipped; the stream ends only when the subscriber is dropped.
///
/// ```no_run
/// use fedmsg::zeromq::SubscriberBuilder;
/// use futures_util::StreamExt;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let config = fedmsg::Config::load(&fedmsg::ConfigSource::Search)?;
/// let mut tail = SubscriberBuilder::new(&config).topic("org.fedoraproject.prod.bodhi.").start()?;
/// while let Some(m) = tail.next().await {
///     println!("{} from {}", m.envelope.topic, m.endpoint);
/// }
/// # Ok(()) }
/// ```
pub struct Subscriber {
    rx: mpsc::Receiver<Received>,
    stop: Arc<AtomicBool>,
    counters: Arc<Counters>,
    _thread: std::thread::JoinHandle<()>,
}

impl std::fmt::Debug for Subscriber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscriber")
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl Subscriber {
    /// The next message; `None` once the receiving thread has stopped.
    pub async fn recv(&mut self) -> Option<Received> {
        self.rx.recv().await
    }

    /// What has been received so far.
    pub fn stats(&self) -> SubscriberStats {
        SubscriberStats {
            received: self.counters.received.load(Ordering::Relaxed),
            malformed: self.counters.malformed.load(Ordering::Relaxed),
            invalid: self.counters.invalid.load(Ordering::Relaxed),
        }
    }
}

impl Stream for Subscriber {
    type Item = Received;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Received>> {
        self.rx.poll_recv(cx)
    }
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        // The thread sees it within one poll interval and closes the sockets.
        self.stop.store(true, Ordering::Relaxed);
    }
}
