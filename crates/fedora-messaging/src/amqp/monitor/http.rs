//! The server: one listener bound at start (a port in use is an error then, not later), three
//! routes, and the bodies Python sends, byte for byte.

use std::convert::Infallible;
use std::net::SocketAddr;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::task::JoinHandle;

use super::stats::Stats;
use crate::amqp::config::MonitoringConfig;
use crate::pyjson::{self, Style};

/// The monitoring server could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MonitorError {
    /// The address and port cannot be listened on (in use, not this machine's, no permission).
    #[error("cannot start the monitoring server on {address}:{port} ([monitoring] in the configuration): {source}")]
    Bind {
        /// The address (`""` in the configuration: every interface).
        address: String,
        /// The port.
        port: u16,
        /// Why.
        source: std::io::Error,
    },
}

/// The running server; it stops when dropped.
#[derive(Debug)]
pub struct MonitorServer {
    local: SocketAddr,
    task: JoinHandle<()>,
}

impl MonitorServer {
    /// Where it listens (the port the OS chose when the configuration says 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }
}

impl Drop for MonitorServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Python's content type for both endpoints, trailing space included.
pub(crate) const JSON_CONTENT_TYPE: &str = "application/json ";
/// The Prometheus (OpenMetrics) text format.
pub(crate) const METRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Starts serving `stats` where `config` says (`address` `""`: every interface).
pub async fn serve(
    config: &MonitoringConfig,
    stats: &'static Stats,
) -> Result<MonitorServer, MonitorError> {
    let address = if config.address.is_empty() {
        "0.0.0.0"
    } else {
        config.address.as_str()
    };
    let bind_error = |source| MonitorError::Bind {
        address: config.address.clone(),
        port: config.port,
        source,
    };
    let listener = tokio::net::TcpListener::bind((address, config.port))
        .await
        .map_err(bind_error)?;
    let local = listener.local_addr().map_err(bind_error)?;
    tracing::info!(%local, "monitoring server listening (/live, /ready, /metrics)");
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            tokio::spawn(async move {
                let service = service_fn(move |req: Request<hyper::body::Incoming>| async move {
                    Ok::<_, Infallible>(route(req.method(), req.uri().path(), stats))
                });
                if let Err(e) = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await
                {
                    tracing::debug!(error = %e, "monitoring connection ended");
                }
            });
        }
    });
    Ok(MonitorServer { local, task })
}

fn response(status: StatusCode, content_type: &str, body: String) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    if let Ok(v) = HeaderValue::from_str(content_type) {
        r.headers_mut().insert(CONTENT_TYPE, v);
    }
    r
}

fn route(method: &Method, path: &str, stats: &Stats) -> Response<Full<Bytes>> {
    if method != Method::GET && method != Method::HEAD {
        return response(
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain",
            "GET only\n".into(),
        );
    }
    match path {
        "/live" => response(StatusCode::OK, JSON_CONTENT_TYPE, live_body()),
        "/ready" => response(StatusCode::OK, JSON_CONTENT_TYPE, ready_body(stats)),
        "/metrics" => response(StatusCode::OK, METRICS_CONTENT_TYPE, stats.encode()),
        _ => response(
            StatusCode::NOT_FOUND,
            "text/plain",
            "No such resource: /live, /ready and /metrics are\n".into(),
        ),
    }
}

/// `/live`: `json.dumps({"status": "OK"})` and a newline.
pub(crate) fn live_body() -> String {
    let v = serde_json::json!({"status": "OK"});
    pyjson::to_string(&v, Style::BODY) + "\n"
}

/// `/ready`: Python's dict in Python's key order, `json.dumps`ed, and a newline.
pub(crate) fn ready_body(stats: &Stats) -> String {
    let c = stats.consumed();
    let v = serde_json::json!({
        "consuming": stats.consuming(),
        "published": stats.published_count(),
        "consumed": {
            "received": c.received,
            "processed": c.processed,
            "dropped": c.dropped,
            "rejected": c.rejected,
            "failed": c.failed,
        },
    });
    pyjson::to_string(&v, Style::BODY) + "\n"
}

#[cfg(test)]
mod tests {
    use super::super::outcome::Outcome;
    use super::*;

    #[test]
    fn bodies_are_pythons_bytes() {
        assert_eq!(live_body(), "{\"status\": \"OK\"}\n");
        let s = Stats::new();
        assert_eq!(
            ready_body(&s),
            "{\"consuming\": false, \"published\": 0, \"consumed\": {\"received\": 0, \"processed\": 0, \"dropped\": 0, \"rejected\": 0, \"failed\": 0}}\n"
        );
        s.set_consuming(true);
        s.received();
        s.handled(Outcome::Dropped, std::time::Duration::ZERO);
        s.published();
        assert_eq!(
            ready_body(&s),
            "{\"consuming\": true, \"published\": 1, \"consumed\": {\"received\": 1, \"processed\": 0, \"dropped\": 1, \"rejected\": 0, \"failed\": 0}}\n"
        );
    }

    #[tokio::test]
    async fn a_port_in_use_is_an_error_naming_it() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = taken.local_addr().unwrap().port();
        let config = MonitoringConfig {
            address: "127.0.0.1".into(),
            port,
        };
        let err = serve(&config, Stats::global()).await.unwrap_err();
        let text = err.to_string();
        assert!(text.contains(&format!("127.0.0.1:{port}")), "{text}");
        assert!(std::error::Error::source(&err).is_some());
    }
}
