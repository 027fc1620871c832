//! Connecting to the broker as `config.toml` says: pika-style `amqp_url`, TLS with `[tls]`, SASL
//! EXTERNAL with a client certificate, and `client_properties`.

use std::sync::Arc;
use std::time::Duration;

use lapin::tcp::{OwnedIdentity, OwnedTLSConfig};
use lapin::types::LongString;
use lapin::uri::{
    AMQPAuthority, AMQPQueryString, AMQPScheme, AMQPUri, AMQPUserInfo, SASLMechanism,
};
use lapin::{Connection, ConnectionProperties};

use super::config::{redact_url, Config};

/// A connection that could not be made (Python's `ConnectionException`). The URL in it is redacted.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// `amqp_url` cannot be parsed.
    #[error("invalid amqp_url {url}: {reason}")]
    InvalidUrl {
        /// The URL, password redacted.
        url: String,
        /// Why.
        reason: String,
    },
    /// A `[tls]` file cannot be read.
    #[error("The \"{setting}\" setting in the \"tls\" section is invalid ({}: {source})", path.display())]
    Tls {
        /// `ca_cert`, `certfile` or `keyfile`.
        setting: &'static str,
        /// The file it names.
        path: std::path::PathBuf,
        /// Why it cannot be used.
        source: Arc<std::io::Error>,
    },
    /// No answer within the time given to connect.
    #[error("could not connect to {url}: no answer within {after:?}")]
    NoAnswer {
        /// The URL, password redacted.
        url: String,
        /// The time given.
        after: Duration,
    },
    /// The broker could not be reached, or refused the handshake.
    #[error("could not connect to {url}: {source} (check the host, the credentials and the vhost permissions)")]
    Broker {
        /// The URL, password redacted.
        url: String,
        /// What the client or the broker said.
        source: lapin::Error,
    },
}

/// The product name this library announces in the connection's client properties.
pub const PRODUCT: &str = "Fedora Messaging with Rust";

/// Parses `amqp_url` as pika's `URLParameters` does: host `localhost`, port 5672 (5671 for
/// amqps), user `guest`/`guest`, vhost `/` by default; `heartbeat`, `channel_max`, `frame_max` and
/// `socket_timeout` are honoured; `auth_mechanism=external` selects SASL EXTERNAL.
pub fn parse_url(url: &str) -> Result<AMQPUri, ConnectError> {
    let invalid = |reason: String| ConnectError::InvalidUrl {
        url: redact_url(url),
        reason,
    };
    let parsed = url::Url::parse(url).map_err(|e| invalid(e.to_string()))?;
    let scheme = match parsed.scheme() {
        "amqp" => AMQPScheme::AMQP,
        "amqps" => AMQPScheme::AMQPS,
        other => return Err(invalid(format!("scheme {other:?} is not amqp or amqps"))),
    };
    let decode = |s: &str| {
        percent_encoding_decode(s).map_err(|e| invalid(format!("bad percent-encoding: {e}")))
    };
    let username = match parsed.username() {
        "" => "guest".to_owned(),
        u => decode(u)?,
    };
    let password = match parsed.password() {
        None if parsed.username().is_empty() => "guest".to_owned(),
        None => String::new(),
        Some(p) => decode(p)?,
    };
    let host = match parsed.host_str() {
        None | Some("") => "localhost".to_owned(),
        Some(h) => h.trim_start_matches('[').trim_end_matches(']').to_owned(),
    };
    let port = parsed.port().unwrap_or(match scheme {
        AMQPScheme::AMQP => 5672,
        AMQPScheme::AMQPS => 5671,
    });
    let vhost = match parsed.path() {
        "" | "/" => "/".to_owned(),
        p => decode(&p[1..])?,
    };
    let mut query = AMQPQueryString::default();
    for (k, v) in parsed.query_pairs() {
        let num = |v: &str| {
            v.parse::<u64>()
                .map_err(|e| invalid(format!("{k}={v}: {e}")))
        };
        match k.as_ref() {
            "heartbeat" => query.heartbeat = Some(num(&v)?.try_into().unwrap_or(u16::MAX)),
            "channel_max" => query.channel_max = Some(num(&v)?.try_into().unwrap_or(u16::MAX)),
            "frame_max" => query.frame_max = Some(num(&v)?.try_into().unwrap_or(u32::MAX)),
            // pika's socket_timeout is in seconds (float); lapin's connection timeout in ms.
            "socket_timeout" => {
                let secs: f64 = v.parse().map_err(|e| invalid(format!("{k}={v}: {e}")))?;
                query.connection_timeout = Some((secs * 1000.0) as u64);
            }
            "auth_mechanism" if v.eq_ignore_ascii_case("external") => {
                query.auth_mechanism = Some(SASLMechanism::External);
            }
            other => tracing::debug!(parameter = other, "amqp_url parameter not used"),
        }
    }
    Ok(AMQPUri {
        scheme,
        authority: AMQPAuthority {
            userinfo: AMQPUserInfo { username, password },
            host,
            port,
        },
        vhost,
        query,
    })
}

fn percent_encoding_decode(s: &str) -> Result<String, std::str::Utf8Error> {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .map(std::borrow::Cow::into_owned)
}

/// The TLS settings of `[tls]`: CA bundle, and client certificate + key when both are set.
pub fn tls_config(config: &Config) -> Result<OwnedTLSConfig, ConnectError> {
    let tls_error = |setting, path: &std::path::Path, e| ConnectError::Tls {
        setting,
        path: path.to_owned(),
        source: Arc::new(e),
    };
    let read = |setting: &'static str, path: &std::path::Path| {
        std::fs::read(path).map_err(|e| tls_error(setting, path, e))
    };
    let mut tls = OwnedTLSConfig::default();
    if let Some(ca) = &config.tls.ca_cert {
        let pem = read("ca_cert", ca)?;
        tls.cert_chain = Some(String::from_utf8(pem).map_err(|_| {
            let not_pem = std::io::Error::new(std::io::ErrorKind::InvalidData, "not a PEM file");
            tls_error("ca_cert", ca, not_pem)
        })?);
    }
    if let (Some(cert), Some(key)) = (&config.tls.certfile, &config.tls.keyfile) {
        tls.identity = Some(OwnedIdentity::PKCS8 {
            pem: read("certfile", cert)?,
            key: read("keyfile", key)?,
        });
    }
    Ok(tls)
}

/// The client properties sent to the broker: `client_properties` from the config (lists joined
/// with `", "`: lapin sends strings only), plus `product`, `information` and `version`.
pub fn connection_properties(config: &Config) -> ConnectionProperties {
    let mut props = ConnectionProperties::default();
    for (k, v) in &config.client_properties {
        let text = match v {
            toml::Value::String(s) => s.clone(),
            toml::Value::Array(a) => a
                .iter()
                .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
                .collect::<Vec<_>>()
                .join(", "),
            other => other.to_string(),
        };
        props = props.with_client_property(k.as_str().into(), LongString::from(text));
    }
    props
        .with_client_property("product".into(), PRODUCT.into())
        .with_client_property(
            "information".into(),
            "https://github.com/fedora-messaging-rs/fedora-messaging-rs".into(),
        )
        .with_client_property(
            "version".into(),
            format!(
                "fedora-messaging-rs-{} with lapin-4",
                env!("CARGO_PKG_VERSION")
            )
            .into(),
        )
}

/// Opens a connection as the config says, within `timeout`: to the first of
/// [`Config::broker_urls`] that answers (a cluster's nodes in order, each given an equal share of
/// what is left of the time), so a client whose node died moves to a survivor when it reconnects.
/// The error is the last node's.
pub async fn connect(config: &Config, timeout: Duration) -> Result<Connection, ConnectError> {
    let deadline = tokio::time::Instant::now() + timeout;
    let urls = config.broker_urls();
    let mut last = None;
    for (n, url) in urls.iter().enumerate() {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let share = left / u32::try_from(urls.len() - n).unwrap_or(u32::MAX);
        match connect_to(config, url, share).await {
            Ok(conn) => {
                if urls.len() > 1 {
                    tracing::info!(url = %url.redacted(), "connected to broker node {} of {}", n + 1, urls.len());
                }
                return Ok(conn);
            }
            // The configuration is wrong, not the node: the next would fail the same way.
            Err(e @ (ConnectError::InvalidUrl { .. } | ConnectError::Tls { .. })) => return Err(e),
            Err(e) => {
                if urls.len() > 1 {
                    tracing::warn!(error = %e, "broker node {} of {} did not answer", n + 1, urls.len());
                }
                last = Some(e);
            }
        }
    }
    Err(last.unwrap_or_else(|| ConnectError::NoAnswer {
        url: config.amqp_url.redacted(),
        after: timeout,
    }))
}

/// One connection attempt to `url`, within `timeout`.
async fn connect_to(
    config: &Config,
    url: &crate::amqp::config::AmqpUrl,
    timeout: Duration,
) -> Result<Connection, ConnectError> {
    let mut uri = parse_url(url.expose())?;
    let tls = tls_config(config)?;
    if tls.identity.is_some() {
        // A client certificate authenticates the connection (Python's ExternalCredentials).
        uri.query.auth_mechanism = Some(SASLMechanism::External);
    }
    let props = connection_properties(config);
    let url = url.redacted();
    let runtime = lapin::runtime::default_runtime().map_err(|source| ConnectError::Broker {
        url: url.clone(),
        source,
    })?;
    let attempt = Connection::connect_uri_with_config(uri, props, tls, runtime);
    match tokio::time::timeout(timeout, attempt).await {
        Ok(Ok(conn)) => Ok(conn),
        Ok(Err(source)) => Err(ConnectError::Broker { url, source }),
        Err(_) => Err(ConnectError::NoAnswer {
            url,
            after: timeout,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pika_defaults() {
        let u = parse_url(crate::amqp::config::DEFAULT_AMQP_URL).unwrap();
        assert_eq!(u.authority.host, "localhost");
        assert_eq!(u.authority.port, 5672);
        assert_eq!(u.authority.userinfo.username, "guest");
        assert_eq!(u.authority.userinfo.password, "guest");
        assert_eq!(u.vhost, "/");
    }

    #[test]
    fn full_url() {
        let u = parse_url("amqps://fedora:@rabbitmq.fedoraproject.org/%2Fpublic_pubsub?heartbeat=30&auth_mechanism=external").unwrap();
        assert_eq!(u.scheme, AMQPScheme::AMQPS);
        assert_eq!(u.authority.port, 5671);
        assert_eq!(u.authority.userinfo.username, "fedora");
        assert_eq!(u.authority.userinfo.password, "");
        assert_eq!(u.vhost, "/public_pubsub");
        assert_eq!(u.query.heartbeat, Some(30));
        assert_eq!(u.query.auth_mechanism, Some(SASLMechanism::External));
        let ip = parse_url("amqp://u:p%40ss@127.0.0.1:5673/v").unwrap();
        assert_eq!(
            (ip.authority.host.as_str(), ip.authority.port),
            ("127.0.0.1", 5673)
        );
        assert_eq!(ip.authority.userinfo.password, "p@ss");
        assert_eq!(ip.vhost, "v");
    }

    #[test]
    fn bad_urls_are_redacted_errors() {
        let e = parse_url("http://bob:hunter2@host/")
            .unwrap_err()
            .to_string();
        assert!(e.contains("not amqp") && !e.contains("hunter2"), "{e}");
    }

    #[test]
    fn amqp_urls_list_the_nodes_and_amqp_url_is_the_one_without_them() {
        let c = Config::from_toml("amqp_url = \"amqp://a/\"\n").unwrap();
        assert_eq!(c.broker_urls().len(), 1);
        let c = Config::from_toml(
            "amqp_url = \"amqp://a/\"\namqp_urls = [\"amqp://u:secret@n1:1/\", \"amqp://n2:2/\"]\n",
        )
        .unwrap();
        let urls: Vec<String> = c.broker_urls().iter().map(|u| u.redacted()).collect();
        assert_eq!(urls.len(), 2);
        assert!(!urls[0].contains("secret"), "{urls:?}");
        assert!(urls[1].contains("n2:2"));
        let e = Config::from_toml("amqp_urls = [1]\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("amqp_urls[0]"), "{e}");
        let e = Config::from_toml("amqp_urls = \"amqp://x/\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("amqp_urls"), "{e}");
    }

    #[tokio::test]
    async fn a_dead_node_is_skipped_for_the_next() {
        // Two ports nothing listens on: each refuses at once, and the error names the last.
        let dead = |_| {
            std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port()
        };
        let (a, b) = (dead(0), dead(1));
        let c = Config::from_toml(&format!(
            "amqp_urls = [\"amqp://127.0.0.1:{a}/\", \"amqp://127.0.0.1:{b}/\"]\n"
        ))
        .unwrap();
        let start = std::time::Instant::now();
        let e = connect(&c, Duration::from_secs(10))
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains(&format!(":{b}")), "{e}");
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "refusals are not waited out"
        );
    }

    #[test]
    fn missing_tls_file_names_the_setting() {
        let c = Config::from_toml("[tls]\nca_cert = \"/nonexistent/ca.pem\"\n").unwrap();
        let e = tls_config(&c).unwrap_err().to_string();
        assert!(
            e.starts_with("The \"ca_cert\" setting in the \"tls\" section is invalid"),
            "{e}"
        );
    }
}
