//! verify-missing: watches both buses and reports messages seen on one side only
//! (fedmsg-migration-tools' `verify_missing`). [`Matcher`] is the bookkeeping, a pure state
//! machine driven by the clock it is given; [`VerifyMissing`] feeds it from ZeroMQ and from an
//! AMQP queue bound to both exchanges.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::time::{Duration, Instant};

use fedora_messaging::amqp::config::{BindingConfig, QueueConfig};
use fedora_messaging::amqp::consume::{Consumer, HandlerError, Received};
use serde::Serialize;
use tokio::sync::mpsc;

use super::convert::bare_id;
use super::settings::VerifyMissingSettings;
use super::zmq_to_amqp::{declare_exchange, DeclareError};
use super::BridgeError;
use crate::zeromq::SubscriberBuilder;
use crate::Config;

/// One of the two buses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The ZeroMQ bus.
    Zmq,
    /// The AMQP broker.
    Amqp,
}

impl Side {
    fn other(self) -> Self {
        match self {
            Self::Zmq => Self::Amqp,
            Self::Amqp => Self::Zmq,
        }
    }

    fn index(self) -> usize {
        match self {
            Self::Zmq => 0,
            Self::Amqp => 1,
        }
    }
}

impl std::fmt::Display for Side {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Zmq => "ZeroMQ",
            Self::Amqp => "AMQP",
        })
    }
}

/// What one sighting meant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sighting {
    /// First seen, on this side: waiting for the other.
    Waiting,
    /// Seen on the other side already: the message made it across.
    Matched,
    /// Seen on this side before (a duplicate delivery).
    Duplicate,
}

/// A message seen on one side only for longer than the window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Missing {
    /// The id without its year prefix.
    pub id: String,
    /// The topic it had.
    pub topic: String,
    /// Where it was seen.
    pub seen_on: Side,
    /// Where it never arrived.
    pub missing_on: Side,
}

/// The counts, for monitoring (`Serialize`: one JSON object).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Counts {
    /// Messages seen on ZeroMQ.
    pub seen_zmq: u64,
    /// Messages seen on AMQP.
    pub seen_amqp: u64,
    /// Seen on both sides.
    pub matched: u64,
    /// Seen on ZeroMQ only, for longer than the window.
    pub missing_on_amqp: u64,
    /// Seen on AMQP only, for longer than the window.
    pub missing_on_zmq: u64,
    /// Seen twice on the same side.
    pub duplicates: u64,
    /// Waiting for the other side now.
    pub pending: u64,
}

struct Pending {
    side: Side,
    topic: String,
    since: Instant,
}

/// The bookkeeping: ids seen on one side wait (up to the window) for the other; ids seen on both
/// are remembered for another window so that a late duplicate is not taken for a new message.
#[derive(Default)]
pub struct Matcher {
    window: Duration,
    pending: HashMap<String, Pending>,
    /// Matched ids, and when they matched.
    done: HashMap<String, Instant>,
    counts: Counts,
    seen: [u64; 2],
}

impl std::fmt::Debug for Matcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Matcher")
            .field("window", &self.window)
            .field("counts", &self.counts())
            .finish_non_exhaustive()
    }
}

impl Matcher {
    /// A matcher that reports ids seen on one side only for longer than `window`.
    pub fn new(window: Duration) -> Self {
        Self {
            window,
            ..Self::default()
        }
    }

    /// `id` (with or without its year prefix) was seen on `side` at `now`.
    pub fn seen(&mut self, side: Side, id: &str, topic: &str, now: Instant) -> Sighting {
        self.seen[side.index()] += 1;
        let id = bare_id(id);
        if self.done.contains_key(id) {
            self.counts.duplicates += 1;
            return Sighting::Duplicate;
        }
        match self.pending.get(id) {
            Some(p) if p.side == side => {
                self.counts.duplicates += 1;
                Sighting::Duplicate
            }
            Some(_) => {
                self.pending.remove(id);
                self.done.insert(id.to_owned(), now);
                self.counts.matched += 1;
                Sighting::Matched
            }
            None => {
                self.pending.insert(
                    id.to_owned(),
                    Pending {
                        side,
                        topic: topic.to_owned(),
                        since: now,
                    },
                );
                Sighting::Waiting
            }
        }
    }

    /// The ids that waited longer than the window at `now`, oldest first; they are forgotten.
    pub fn expire(&mut self, now: Instant) -> Vec<Missing> {
        let window = self.window;
        let mut expired: Vec<(Instant, Missing)> = Vec::new();
        self.pending.retain(|id, p| {
            if now.saturating_duration_since(p.since) <= window {
                return true;
            }
            expired.push((
                p.since,
                Missing {
                    id: id.clone(),
                    topic: std::mem::take(&mut p.topic),
                    seen_on: p.side,
                    missing_on: p.side.other(),
                },
            ));
            false
        });
        self.done
            .retain(|_, at| now.saturating_duration_since(*at) <= window);
        expired.sort_by_key(|(since, m)| (*since, m.id.clone()));
        for (_, m) in &expired {
            match m.missing_on {
                Side::Amqp => self.counts.missing_on_amqp += 1,
                Side::Zmq => self.counts.missing_on_zmq += 1,
            }
        }
        expired.into_iter().map(|(_, m)| m).collect()
    }

    /// The counts so far.
    pub fn counts(&self) -> Counts {
        Counts {
            seen_zmq: self.seen[Side::Zmq.index()],
            seen_amqp: self.seen[Side::Amqp.index()],
            pending: self.pending.len() as u64,
            ..self.counts
        }
    }
}

/// What [`VerifyMissing::run`] reports, as it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Report {
    /// Messages seen on one side only for longer than the window.
    Missing(Vec<Missing>),
    /// The counts, every `report_every` seconds.
    Counts(Counts),
}

/// The monitor: a ZeroMQ subscriber on the watched endpoints and an auto-delete queue (with a
/// message TTL) bound with `#` to each watched exchange.
#[derive(Debug)]
#[must_use]
pub struct VerifyMissing {
    fedmsg: Config,
    amqp: fedora_messaging::amqp::Config,
    settings: VerifyMissingSettings,
    endpoints: Vec<String>,
}

impl VerifyMissing {
    /// A monitor of `endpoints` and of `settings.exchanges` on the broker of `amqp`.
    pub fn new(
        fedmsg: &Config,
        amqp: fedora_messaging::amqp::Config,
        settings: VerifyMissingSettings,
        endpoints: Vec<String>,
    ) -> Self {
        Self {
            fedmsg: fedmsg.clone(),
            amqp,
            settings,
            endpoints,
        }
    }

    /// Watches until `shutdown`, calling `report` with what it finds (each missing message once,
    /// the counts every `report_every` seconds and at the end); returns the final counts.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()>,
        mut report: impl FnMut(Report),
    ) -> Result<Counts, BridgeError> {
        if self.endpoints.is_empty() {
            return Err(BridgeError::NoEndpoints {
                key: "verify_missing.zmq_endpoints",
            });
        }
        for exchange in &self.settings.exchanges {
            match declare_exchange(&self.amqp, exchange, Duration::from_secs(30)).await {
                Ok(()) => {}
                Err(DeclareError::Refused(source)) => {
                    return Err(BridgeError::Declare {
                        exchange: exchange.clone(),
                        source,
                    })
                }
                Err(DeclareError::Connect(e)) => return Err(BridgeError::Amqp(e)),
                Err(DeclareError::Lost(source)) => {
                    return Err(BridgeError::Declare {
                        exchange: exchange.clone(),
                        source,
                    })
                }
            }
        }
        let mut subscriber = SubscriberBuilder::new(&self.fedmsg)
            .endpoints(self.endpoints.iter().map(|e| (e.clone(), e.clone())))
            .start()
            .map_err(BridgeError::Subscribe)?;

        let queue = &self.settings.queue_name;
        // Exclusive (Python's is transient and shared, which RabbitMQ 4 no longer accepts): it
        // goes with the monitor's connection, and is declared again after a reconnect.
        let mut queue_config = QueueConfig::exclusive();
        queue_config.arguments.insert(
            "x-message-ttl".into(),
            toml::Value::Integer(i64::from(self.settings.message_ttl)),
        );
        let bindings = self
            .settings
            .exchanges
            .iter()
            .map(|x| BindingConfig::new(queue.clone(), x.clone(), &["#"]))
            .collect();
        let consumer = Consumer::new(self.amqp.clone())
            .queues(BTreeMap::from([(queue.clone(), queue_config)]))
            .bindings(bindings);
        let stop = consumer.stop_handle();
        let (tx, mut rx) = mpsc::unbounded_channel::<(String, String)>();
        let consuming = tokio::spawn(consumer.run(move |r: Received| {
            let tx = tx.clone();
            async move {
                let env = r.envelope();
                if let Some(id) = &env.id {
                    let _ = tx.send((id.clone(), env.topic.clone()));
                }
                Ok::<(), HandlerError>(())
            }
        }));

        let mut matcher = Matcher::new(self.settings.window());
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        let every = Duration::from_secs(self.settings.report_every.max(1));
        let mut last_report = Instant::now();
        tokio::pin!(shutdown);
        tracing::info!(endpoints = ?self.endpoints, exchanges = ?self.settings.exchanges, "verifying that messages cross the bridges");
        let result = loop {
            tokio::select! {
                () = &mut shutdown => break Ok(()),
                r = subscriber.recv() => match r {
                    Some(r) => match &r.envelope.msg_id {
                        Some(id) => log_sighting(matcher.seen(Side::Zmq, id, &r.envelope.topic, Instant::now()), Side::Zmq, id),
                        None => tracing::warn!(topic = %r.envelope.topic, "a ZeroMQ message without msg_id cannot be matched"),
                    },
                    None => break Ok(()),
                },
                m = rx.recv() => match m {
                    Some((id, topic)) => log_sighting(matcher.seen(Side::Amqp, &id, &topic, Instant::now()), Side::Amqp, &id),
                    None => break Err(()),
                },
                _ = tick.tick() => {
                    let missing = matcher.expire(Instant::now());
                    for m in &missing {
                        tracing::warn!(id = %m.id, topic = %m.topic, "message {} was only received on {}", m.id, m.seen_on);
                    }
                    if !missing.is_empty() {
                        report(Report::Missing(missing));
                    }
                    if last_report.elapsed() >= every {
                        last_report = Instant::now();
                        report(Report::Counts(matcher.counts()));
                    }
                }
            }
        };
        stop.stop();
        let consumed = consuming.await;
        report(Report::Counts(matcher.counts()));
        match (result, consumed) {
            (Ok(()), _) => Ok(matcher.counts()),
            (Err(()), Ok(Err(e))) => Err(BridgeError::Consume(e)),
            (Err(()), Ok(Ok(_))) => Ok(matcher.counts()),
            (Err(()), Err(join)) => Err(BridgeError::Task(join.to_string())),
        }
    }
}

fn log_sighting(s: Sighting, side: Side, id: &str) {
    match s {
        Sighting::Matched => tracing::debug!(id, "received on ZeroMQ and AMQP"),
        Sighting::Duplicate => tracing::warn!(id, "received twice on {side}"),
        Sighting::Waiting => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_match_across_sides_without_their_year() {
        let t0 = Instant::now();
        let mut m = Matcher::new(Duration::from_secs(60));
        assert_eq!(m.seen(Side::Zmq, "2026-abc", "t", t0), Sighting::Waiting);
        assert_eq!(m.seen(Side::Amqp, "abc", "t", t0), Sighting::Matched);
        assert_eq!(m.seen(Side::Amqp, "2026-def", "t", t0), Sighting::Waiting);
        assert_eq!(m.seen(Side::Zmq, "2026-def", "t", t0), Sighting::Matched);
        assert!(m.expire(t0 + Duration::from_secs(61)).is_empty());
        let c = m.counts();
        assert_eq!(
            (c.matched, c.seen_zmq, c.seen_amqp, c.pending),
            (2, 2, 2, 0)
        );
    }

    #[test]
    fn one_sided_ids_are_reported_after_the_window_only() {
        let t0 = Instant::now();
        let mut m = Matcher::new(Duration::from_secs(60));
        m.seen(Side::Zmq, "2026-a", "org.x", t0);
        m.seen(Side::Amqp, "b", "org.y", t0 + Duration::from_secs(1));
        assert!(m.expire(t0 + Duration::from_secs(60)).is_empty());
        let missing = m.expire(t0 + Duration::from_secs(62));
        assert_eq!(
            missing,
            vec![
                Missing {
                    id: "a".into(),
                    topic: "org.x".into(),
                    seen_on: Side::Zmq,
                    missing_on: Side::Amqp
                },
                Missing {
                    id: "b".into(),
                    topic: "org.y".into(),
                    seen_on: Side::Amqp,
                    missing_on: Side::Zmq
                },
            ]
        );
        // Reported once.
        assert!(m.expire(t0 + Duration::from_secs(200)).is_empty());
        let c = m.counts();
        assert_eq!((c.missing_on_amqp, c.missing_on_zmq, c.pending), (1, 1, 0));
    }

    #[test]
    fn duplicates_are_counted_before_and_after_a_match() {
        let t0 = Instant::now();
        let mut m = Matcher::new(Duration::from_secs(60));
        m.seen(Side::Zmq, "2026-a", "t", t0);
        assert_eq!(m.seen(Side::Zmq, "2026-a", "t", t0), Sighting::Duplicate);
        assert_eq!(m.seen(Side::Amqp, "2026-a", "t", t0), Sighting::Matched);
        // A late copy is a duplicate, not a new message that would be reported missing.
        assert_eq!(
            m.seen(Side::Amqp, "a", "t", t0 + Duration::from_secs(30)),
            Sighting::Duplicate
        );
        assert!(m.expire(t0 + Duration::from_secs(120)).is_empty());
        assert_eq!(m.counts().duplicates, 2);
    }
}
