//! The relay and the gateway: a [`Subscriber`] whose every message a [`Publisher`] sends on,
//! byte for byte.

use std::future::Future;

use super::options::SocketOptions;
use super::{PublishError, Publisher, Subscriber, SubscriberBuilder};
use crate::Config;

/// What a forwarder has done, for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ForwardStats {
    /// Messages received and sent on.
    pub forwarded: u64,
    /// Messages received that could not be sent on (a subscriber at the high-water mark); each
    /// is logged.
    pub not_forwarded: u64,
    /// Malformed messages received, dropped and logged.
    pub malformed: u64,
}

/// Receives on one side, publishes on the other.
#[derive(Debug)]
pub struct Forwarder {
    subscriber: Subscriber,
    publisher: Publisher,
    stats: ForwardStats,
    /// Sign each message again (a signing relay) instead of forwarding its bytes.
    resign: bool,
}

impl Forwarder {
    /// `fedmsg-relay`: a SUB bound on `relay_inbound` (where active publishers such as
    /// `fedmsg logger` connect), a PUB bound on the first `endpoints["relay_outbound"]` that binds.
    pub fn relay(config: &Config) -> Result<Self, PublishError> {
        let inbound = config
            .relay_inbound
            .first()
            .ok_or_else(|| config.missing("relay_inbound", "the relay binds it"))?;
        let outbound = config
            .endpoints
            .get("relay_outbound")
            .filter(|e| !e.is_empty())
            .ok_or_else(|| config.missing("endpoints.relay_outbound", "the relay binds it"))?;
        let publisher = Publisher::bind_endpoints(
            config,
            "relay_outbound",
            outbound,
            SocketOptions::from_config(config),
        )?;
        let subscriber = SubscriberBuilder::new(config)
            .endpoints([("relay_inbound".to_owned(), inbound.clone())])
            .bind(true)
            .start()?;
        Ok(Self::new(subscriber, publisher))
    }

    /// `fedmsg-signing-relay`: the relay, signing each message it forwards with the certificate
    /// `certnames["signing_relay"]` (for senders that cannot sign, such as shell scripts).
    #[cfg(feature = "x509")]
    pub fn signing_relay(config: &Config) -> Result<Self, PublishError> {
        let mut relay = Self::relay(config)?;
        let certname = config.certnames.get("signing_relay").ok_or_else(|| {
            crate::crypto::SignError::NoCertName {
                index: "signing_relay".into(),
                known: config
                    .certnames
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", "),
            }
        })?;
        let signer = crate::crypto::x509::Signer::load(&config.ssldir, certname)?;
        relay.publisher.set_signer(Some(signer));
        relay.resign = true;
        Ok(relay)
    }

    /// `fedmsg-gateway`: subscribes to every endpoint of the bus and re-broadcasts each message,
    /// as its two frames, on a PUB bound on `port` (`fedmsg.consumers.gateway.port`, 9940), with
    /// the gateway's own high-water mark.
    pub fn gateway(config: &Config, port: u16) -> Result<Self, PublishError> {
        let options = SocketOptions::with_high_water_mark(config, config.gateway_high_water_mark);
        let publisher =
            Publisher::bind_endpoints(config, "gateway", &[format!("tcp://*:{port}")], options)?;
        let subscriber = SubscriberBuilder::new(config).start()?;
        Ok(Self::new(subscriber, publisher))
    }

    /// Forwards from `subscriber` to `publisher`.
    pub fn new(subscriber: Subscriber, publisher: Publisher) -> Self {
        Self {
            subscriber,
            publisher,
            stats: ForwardStats::default(),
            resign: false,
        }
    }

    /// The publishing side (its endpoint, its stats).
    pub fn publisher(&self) -> &Publisher {
        &self.publisher
    }

    /// Forwards until `shutdown` completes, then returns what it did.
    pub async fn run(mut self, shutdown: impl Future<Output = ()>) -> ForwardStats {
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                received = self.subscriber.recv() => {
                    let Some(m) = received else { break };
                    let sent = if self.resign {
                        self.publisher.send(m.envelope).map(|_| ())
                    } else {
                        self.publisher.send_frames(m.envelope.topic.as_bytes(), &m.json)
                    };
                    match sent {
                        Ok(()) => self.stats.forwarded += 1,
                        Err(e) => {
                            // High-water-mark refusals are logged by the publisher.
                            if !matches!(e, PublishError::HighWaterMark { .. }) {
                                tracing::warn!(error = %e, "message not forwarded");
                            }
                            self.stats.not_forwarded += 1;
                        }
                    }
                }
            }
        }
        self.stats.malformed = self.subscriber.stats().malformed;
        tracing::info!(?self.stats, "forwarder stopped");
        self.stats
    }
}
