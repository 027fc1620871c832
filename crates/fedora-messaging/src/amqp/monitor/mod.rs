//! The monitoring HTTP server (Python 3.7's `[monitoring]`): `GET /live` and `GET /ready` exactly
//! as Python answers them, for Kubernetes/OpenShift probes, and beyond Python `GET /metrics` in
//! the Prometheus text format.
//!
//! | file | what it holds |
//! |---|---|
//! | `stats.rs` | [`Stats`]: the process's counters, which the publisher and the consumer update |
//! | `outcome.rs` | which counter a handler's answer moves (a pure function, Python's table) |
//! | `http.rs` | the server: binding, routes, the exact response bodies |
//!
//! Why these crates: `hyper` (1.x, HTTP/1 only) is the HTTP implementation the Rust ecosystem
//! builds on, already on tokio, and three GET routes need nothing of a framework; the metrics are
//! `prometheus-client`, the Prometheus project's own Rust client (counters, gauges and a histogram
//! with the text exposition format), which has no global registry and no HTTP server of its own,
//! where `metrics` + `metrics-exporter-prometheus` would bring both.

mod http;
mod outcome;
mod stats;

pub use http::{serve, MonitorError, MonitorServer};
pub use outcome::Outcome;
pub use stats::{ConsumedCounts, Handling, Stats};
