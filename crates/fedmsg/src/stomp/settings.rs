//! fedmsg's STOMP keys, read from the configuration, and what they mean on RabbitMQ.

use std::time::Duration;

use serde_json::Value;

use crate::{Config, ConfigError};

/// How to reach the broker over STOMP.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StompSettings {
    /// `host:port` of each broker, tried in turn (`stomp_uri` = `"h1:p1,h2:p2"`, or
    /// `stomp_broker` + `stomp_port`, default `localhost:61613`).
    pub brokers: Vec<String>,
    /// `stomp_user` (`guest`).
    pub user: String,
    /// `stomp_pass` (`guest`).
    pub pass: String,
    /// The CONNECT frame's `host` header, which RabbitMQ reads as the virtual host:
    /// `stomp_vhost` (ours), default `/`. (moksha sends the broker's host name, which RabbitMQ
    /// refuses unless a vhost of that name exists.)
    pub vhost: String,
    /// `stomp_heartbeat` in ms (0: none): offered both ways, the larger of ours and the
    /// broker's applies.
    pub heartbeat: Duration,
    /// `stomp_queue`: one subscription to this destination instead of one per topic.
    pub queue: Option<String>,
    /// What a topic becomes as a destination when it does not start with `/`: `stomp_topic_prefix`
    /// (ours), default `/topic/` (RabbitMQ's topic exchange; a bare name would be a queue, and
    /// each message would reach one subscriber only). `""` sends topics as they are, as moksha.
    pub destination_prefix: String,
    /// `stomp_ssl_crt` and `stomp_ssl_key`: TLS with this client certificate (both or neither).
    pub tls: Option<(String, String)>,
    /// `stomp_ssl_ca` (ours): the CA file the broker's certificate must chain to, instead of the
    /// system's trust store.
    pub tls_ca: Option<String>,
}

fn text(config: &Config, key: &str) -> Result<Option<String>, ConfigError> {
    match config.extra.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(other) => Err(ConfigError::Key {
            key: key.to_owned(),
            file: config.origin(key).map(Into::into),
            problem: format!("expected a string, found {other}"),
        }),
    }
}

impl StompSettings {
    /// The STOMP keys of `config`, with moksha's defaults and RabbitMQ-friendly ones for the
    /// keys moksha does not have.
    ///
    /// ```
    /// let config = fedmsg::Config::from_toml(r#"
    /// stomp_uri = "mq1:61613,mq2:61613"
    /// stomp_heartbeat = 10000
    /// "#).unwrap();
    /// let s = fedmsg::stomp::StompSettings::from_config(&config).unwrap();
    /// assert_eq!(s.brokers, ["mq1:61613", "mq2:61613"]);
    /// assert_eq!((s.user.as_str(), s.vhost.as_str()), ("guest", "/"));
    /// assert_eq!(s.destination("org.fedoraproject.prod.x"), "/topic/org.fedoraproject.prod.x");
    /// ```
    pub fn from_config(config: &Config) -> Result<Self, ConfigError> {
        let brokers = match text(config, "stomp_uri")? {
            Some(uri) => uri
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            None => {
                let host = text(config, "stomp_broker")?.unwrap_or_else(|| "localhost".into());
                let port = text(config, "stomp_port")?.unwrap_or_else(|| "61613".into());
                vec![format!("{host}:{port}")]
            }
        };
        if brokers.is_empty() {
            return Err(ConfigError::Key {
                key: "stomp_uri".into(),
                file: config.origin("stomp_uri").map(Into::into),
                problem: "names no broker".into(),
            });
        }
        let heartbeat = match config.extra.get("stomp_heartbeat") {
            None | Some(Value::Null) => Duration::ZERO,
            Some(v) => Duration::from_millis(v.as_u64().ok_or_else(|| ConfigError::Key {
                key: "stomp_heartbeat".into(),
                file: config.origin("stomp_heartbeat").map(Into::into),
                problem: format!("expected milliseconds, found {v}"),
            })?),
        };
        let tls = match (
            text(config, "stomp_ssl_crt")?,
            text(config, "stomp_ssl_key")?,
        ) {
            (Some(c), Some(k)) => Some((c, k)),
            (None, None) => None,
            (c, _) => {
                let missing = if c.is_some() {
                    "stomp_ssl_key"
                } else {
                    "stomp_ssl_crt"
                };
                return Err(ConfigError::Key {
                    key: missing.into(),
                    file: None,
                    problem: "TLS needs both stomp_ssl_crt and stomp_ssl_key".into(),
                });
            }
        };
        Ok(Self {
            brokers,
            user: text(config, "stomp_user")?.unwrap_or_else(|| "guest".into()),
            pass: text(config, "stomp_pass")?.unwrap_or_else(|| "guest".into()),
            vhost: text(config, "stomp_vhost")?.unwrap_or_else(|| "/".into()),
            heartbeat,
            queue: text(config, "stomp_queue")?,
            destination_prefix: text(config, "stomp_topic_prefix")?
                .unwrap_or_else(|| "/topic/".into()),
            tls,
            tls_ca: text(config, "stomp_ssl_ca")?,
        })
    }

    /// The destination a message on `topic` is sent to.
    pub fn destination(&self, topic: &str) -> String {
        if topic.starts_with('/') {
            topic.to_owned()
        } else {
            format!("{}{topic}", self.destination_prefix)
        }
    }

    /// The destination subscribing to topics starting with `prefix` (fedmsg's prefix match; on
    /// RabbitMQ the `#` wildcard of a topic destination), or `stomp_queue` when set.
    pub fn subscription(&self, prefix: &str) -> String {
        if let Some(q) = &self.queue {
            return q.clone();
        }
        let dest = self.destination(prefix);
        if self.destination_prefix.starts_with("/topic/") || dest.starts_with("/topic/") {
            // "/topic/a.b." + "#", "/topic/" + "#".
            let base = dest.trim_end_matches('.');
            if base.ends_with('/') {
                format!("{base}#")
            } else {
                format!("{base}.#")
            }
        } else {
            dest
        }
    }

    /// The fedmsg topic of a received message: its `original-destination`, else its
    /// `destination`, without the destination prefix this side adds.
    pub fn topic_of<'a>(
        &self,
        original_destination: Option<&'a str>,
        destination: Option<&'a str>,
    ) -> Option<&'a str> {
        let d = original_destination.or(destination)?;
        Some(
            (!self.destination_prefix.is_empty())
                .then(|| d.strip_prefix(self.destination_prefix.as_str()))
                .flatten()
                .unwrap_or(d),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moksha_keys_and_defaults() {
        let c = Config::from_toml(
            "stomp_broker = \"mq\"\nstomp_port = 61614\nstomp_user = \"u\"\nstomp_pass = \"p\"",
        )
        .unwrap();
        let s = StompSettings::from_config(&c).unwrap();
        assert_eq!(s.brokers, ["mq:61614"]);
        assert_eq!(
            (s.user.as_str(), s.pass.as_str(), s.heartbeat),
            ("u", "p", Duration::ZERO)
        );
        let d = StompSettings::from_config(&Config::default()).unwrap();
        assert_eq!(d.brokers, ["localhost:61613"]);
        let err =
            StompSettings::from_config(&Config::from_toml("stomp_ssl_crt = \"c.pem\"").unwrap())
                .unwrap_err();
        assert!(
            err.to_string()
                .contains("needs both stomp_ssl_crt and stomp_ssl_key"),
            "{err}"
        );
    }

    #[test]
    fn destinations_on_rabbitmq_and_as_moksha() {
        let s = StompSettings::from_config(&Config::default()).unwrap();
        assert_eq!(s.subscription(""), "/topic/#");
        assert_eq!(
            s.subscription("org.fedoraproject.prod.bodhi."),
            "/topic/org.fedoraproject.prod.bodhi.#"
        );
        assert_eq!(
            s.subscription("org.fedoraproject.prod.bodhi"),
            "/topic/org.fedoraproject.prod.bodhi.#"
        );
        assert_eq!(s.topic_of(None, Some("/topic/a.b")), Some("a.b"));
        assert_eq!(s.topic_of(Some("/topic/x"), Some("/queue/q")), Some("x"));
        let moksha = StompSettings::from_config(
            &Config::from_toml("stomp_topic_prefix = \"\"\nstomp_queue = \"/queue/mine\"").unwrap(),
        )
        .unwrap();
        assert_eq!(moksha.destination("a.b"), "a.b");
        assert_eq!(moksha.subscription("a."), "/queue/mine");
        assert_eq!(moksha.topic_of(None, Some("a.b")), Some("a.b"));
    }
}
