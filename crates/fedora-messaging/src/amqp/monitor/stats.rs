//! [`Stats`]: what this process has published and consumed, read by `/ready` and `/metrics`.
//! One per process ([`Stats::global`]), as Python's counters are per process: every publisher and
//! consumer updates it.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use super::outcome::Outcome;

type Labels = Vec<(String, String)>;

/// The consumed-message counts of `/ready`, in Python's order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConsumedCounts {
    /// Valid messages handed to a handler.
    pub received: u64,
    /// Handled and acked.
    pub processed: u64,
    /// Dropped by the handler.
    pub dropped: u64,
    /// Put back on the queue by the handler.
    pub rejected: u64,
    /// The handler failed.
    pub failed: u64,
}

/// The process's publishing and consuming counters.
#[derive(Debug)]
pub struct Stats {
    registry: Registry,
    published: Counter,
    returned: Counter,
    publish_failed: Counter,
    received: Counter,
    consumed: Family<Labels, Counter>,
    invalid: Counter,
    handler_seconds: Histogram,
    reconnects: Counter,
    in_flight: Gauge,
    consuming_gauge: Gauge,
    last_message_age: Gauge<f64, AtomicU64>,
    consuming: AtomicBool,
    /// Milliseconds since the epoch of the last message received; 0: none yet.
    last_message_ms: AtomicI64,
}

impl Default for Stats {
    fn default() -> Self {
        Self::new()
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl Stats {
    /// Fresh counters (tests; applications use [`Stats::global`]).
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("fedora_messaging");
        let published = Counter::default();
        let returned = Counter::default();
        let publish_failed = Counter::default();
        let received = Counter::default();
        let consumed = Family::<Labels, Counter>::default();
        let invalid = Counter::default();
        // 1 ms … ~65 s, doubling.
        let handler_seconds = Histogram::new((0..17).map(|i| 0.001 * f64::from(1u32 << i)));
        let reconnects = Counter::default();
        let in_flight = Gauge::default();
        let consuming_gauge = Gauge::default();
        let last_message_age = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "published",
            "Messages published and confirmed by the broker",
            published.clone(),
        );
        registry.register(
            "publish_returned",
            "Messages the broker nacked or returned",
            returned.clone(),
        );
        registry.register(
            "publish_failed",
            "Publishes not confirmed in time or refused",
            publish_failed.clone(),
        );
        registry.register(
            "received",
            "Valid messages handed to a handler",
            received.clone(),
        );
        registry.register(
            "consumed",
            "Handled messages by outcome (processed, rejected, dropped, failed)",
            consumed.clone(),
        );
        registry.register(
            "invalid",
            "Messages rejected before the handler: not valid for their schema, or unreadable",
            invalid.clone(),
        );
        registry.register(
            "handler_duration_seconds",
            "How long handlers took",
            handler_seconds.clone(),
        );
        registry.register(
            "reconnects",
            "Connections to the broker opened again after a loss",
            reconnects.clone(),
        );
        registry.register("in_flight", "Messages being handled now", in_flight.clone());
        registry.register(
            "consuming",
            "1 while the consumer is consuming",
            consuming_gauge.clone(),
        );
        registry.register(
            "last_message_age_seconds",
            "Seconds since the last message was received (NaN before the first)",
            last_message_age.clone(),
        );
        for o in [
            Outcome::Processed,
            Outcome::Rejected,
            Outcome::Dropped,
            Outcome::Failed,
        ] {
            // Every outcome is exported from the start, at 0.
            let _ = consumed.get_or_create(&vec![("outcome".into(), o.label().into())]);
        }
        Self {
            registry,
            published,
            returned,
            publish_failed,
            received,
            consumed,
            invalid,
            handler_seconds,
            reconnects,
            in_flight,
            consuming_gauge,
            last_message_age,
            consuming: AtomicBool::new(false),
            last_message_ms: AtomicI64::new(0),
        }
    }

    /// The process's counters.
    pub fn global() -> &'static Self {
        static STATS: OnceLock<Stats> = OnceLock::new();
        STATS.get_or_init(Self::new)
    }

    /// A publish was confirmed.
    pub fn published(&self) {
        self.published.inc();
    }

    /// A publish was nacked or returned.
    pub fn returned(&self) {
        self.returned.inc();
    }

    /// A publish was not confirmed in time, or refused.
    pub fn publish_failed(&self) {
        self.publish_failed.inc();
    }

    /// A valid message goes to a handler.
    pub fn received(&self) {
        self.received.inc();
        self.in_flight.inc();
        self.last_message_ms.store(now_ms(), Ordering::Relaxed);
    }

    /// A handler answered after `took`.
    pub fn handled(&self, outcome: Outcome, took: Duration) {
        self.in_flight.dec();
        self.handler_seconds.observe(took.as_secs_f64());
        self.consumed
            .get_or_create(&vec![("outcome".into(), outcome.label().into())])
            .inc();
    }

    /// [`Stats::received`], and a guard that records the handler's answer
    /// ([`Handling::finish`]), or only that it is no longer in flight if it never answers (a
    /// panic, an abort).
    pub fn start_handling(&'static self) -> Handling {
        self.received();
        Handling {
            stats: self,
            started: std::time::Instant::now(),
            done: false,
        }
    }

    /// A message was rejected before its handler.
    pub fn invalid(&self) {
        self.invalid.inc();
    }

    /// A connection was opened again after a loss.
    pub fn reconnected(&self) {
        self.reconnects.inc();
    }

    /// Whether a consumer is consuming now.
    pub fn set_consuming(&self, yes: bool) {
        self.consuming.store(yes, Ordering::Relaxed);
        self.consuming_gauge.set(i64::from(yes));
    }

    /// Whether a consumer is consuming now.
    pub fn consuming(&self) -> bool {
        self.consuming.load(Ordering::Relaxed)
    }

    /// Confirmed publishes (Python's `published`).
    pub fn published_count(&self) -> u64 {
        self.published.get()
    }

    /// Deliveries rejected before a handler because they were not valid messages.
    pub fn invalid_count(&self) -> u64 {
        self.invalid.get()
    }

    fn outcome(&self, o: Outcome) -> u64 {
        self.consumed
            .get_or_create(&vec![("outcome".into(), o.label().into())])
            .get()
    }

    /// The consumed counts of `/ready`.
    pub fn consumed(&self) -> ConsumedCounts {
        ConsumedCounts {
            received: self.received.get(),
            processed: self.outcome(Outcome::Processed),
            dropped: self.outcome(Outcome::Dropped),
            rejected: self.outcome(Outcome::Rejected),
            failed: self.outcome(Outcome::Failed),
        }
    }

    /// Every metric in the Prometheus text format (OpenMetrics 1.0, which Prometheus reads).
    pub fn encode(&self) -> String {
        let last = self.last_message_ms.load(Ordering::Relaxed);
        let age = if last == 0 {
            f64::NAN
        } else {
            // Milliseconds to seconds; the loss of precision past 2^53 ms is irrelevant.
            #[allow(clippy::cast_precision_loss)]
            let age = (now_ms() - last).max(0) as f64 / 1000.0;
            age
        };
        self.last_message_age.set(age);
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// A message being handled; see [`Stats::start_handling`].
#[derive(Debug)]
pub struct Handling {
    stats: &'static Stats,
    started: std::time::Instant,
    done: bool,
}

impl Handling {
    /// The handler answered.
    pub fn finish(mut self, outcome: Outcome) {
        self.done = true;
        self.stats.handled(outcome, self.started.elapsed());
    }
}

impl Drop for Handling {
    fn drop(&mut self) {
        if !self.done {
            self.stats.in_flight.dec();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_move_and_are_exported() {
        let s = Stats::new();
        s.received();
        s.handled(Outcome::Processed, Duration::from_millis(3));
        s.received();
        s.handled(Outcome::Rejected, Duration::from_millis(1));
        s.published();
        s.set_consuming(true);
        assert_eq!(
            s.consumed(),
            ConsumedCounts {
                received: 2,
                processed: 1,
                rejected: 1,
                ..ConsumedCounts::default()
            }
        );
        let text = s.encode();
        assert!(
            text.contains("fedora_messaging_published_total 1"),
            "{text}"
        );
        assert!(
            text.contains("fedora_messaging_consumed_total{outcome=\"processed\"} 1"),
            "{text}"
        );
        assert!(text.contains("fedora_messaging_consumed_total{outcome=\"failed\"} 0"));
        assert!(text.contains("fedora_messaging_handler_duration_seconds_count 2"));
        assert!(text.contains("fedora_messaging_in_flight 0"));
        assert!(text.contains("fedora_messaging_consuming 1"));
        assert!(text.trim_end().ends_with("# EOF"));
    }
}
