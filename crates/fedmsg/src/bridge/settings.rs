//! The bridges' own configuration file: fedmsg-migration-tools' `config.toml`, with its sections
//! and defaults. The AMQP side comes from the fedora-messaging `config.toml`, signing and
//! validation from fedmsg's configuration, as with the Python tools.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// Where the Python tools look when nothing is named.
pub const DEFAULT_PATH: &str = "/etc/fedmsg-migration-tools/config.toml";
/// The variable the Python command line reads for `--conf`.
pub const CONF_ENV: &str = "FEDMSG_MIGRATION_TOOLS_CONFIG";
/// The variable Python's `config.load()` reads (a different name from the command line's).
pub const CONF_ENV_LOAD: &str = "FEDMSG_MIGRATION_TOOLS_CONF";

/// A bridge configuration file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SettingsError {
    /// The file cannot be read.
    #[error("cannot read the bridge configuration {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Not TOML, or a key with the wrong type or an unknown name (the message names the key and
    /// the line).
    #[error("the bridge configuration {path} is wrong: {source}")]
    Toml {
        /// The file.
        path: PathBuf,
        /// What and where.
        source: toml::de::Error,
    },
}

/// The whole file. Other tables (`[log_config]`, `[amqp_to_zmq]` of older releases) are accepted
/// and not used: logging is `RUST_LOG`, the AMQP → ZeroMQ side reads the fedora-messaging
/// configuration, as the Python bridge's current code does.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default)]
#[non_exhaustive]
pub struct Settings {
    /// `[zmq_to_amqp]`.
    pub zmq_to_amqp: ZmqToAmqpSettings,
    /// `[verify_missing]`.
    pub verify_missing: VerifyMissingSettings,
}

/// `[zmq_to_amqp]`: what the ZeroMQ → AMQP bridge subscribes to and where it publishes.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct ZmqToAmqpSettings {
    /// The exchange messages are published to (`zmq.topic`), declared as a durable topic
    /// exchange if missing.
    pub exchange: String,
    /// Topic prefixes subscribed to (`[""]`: everything).
    pub topics: Vec<String>,
    /// The ZeroMQ endpoints connected to (`tcp://host:port`).
    pub zmq_endpoints: Vec<String>,
    /// Beyond Python: how many received messages wait in memory while the broker is unreachable;
    /// beyond that the oldest are dropped, counted and logged.
    pub buffer: usize,
}

impl Default for ZmqToAmqpSettings {
    fn default() -> Self {
        Self {
            exchange: "zmq.topic".into(),
            topics: vec![String::new()],
            zmq_endpoints: Vec::new(),
            buffer: 100_000,
        }
    }
}

/// `[verify_missing]`: the monitor's queue and timing.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct VerifyMissingSettings {
    /// The auto-delete queue bound with `#` to each of `exchanges`.
    pub queue_name: String,
    /// The exchanges watched on the AMQP side.
    pub exchanges: Vec<String>,
    /// The queue's `x-message-ttl`, in milliseconds.
    pub message_ttl: u32,
    /// Seconds an id may be seen on one side only before it is reported missing.
    pub window: u64,
    /// Seconds between two reports.
    pub report_every: u64,
    /// The ZeroMQ endpoints watched (default: `[zmq_to_amqp] zmq_endpoints`).
    pub zmq_endpoints: Vec<String>,
}

impl Default for VerifyMissingSettings {
    fn default() -> Self {
        Self {
            queue_name: "amqp_bridge_verify_missing".into(),
            exchanges: vec!["amq.topic".into(), "zmq.topic".into()],
            message_ttl: 60_000,
            window: 60,
            report_every: 10,
            zmq_endpoints: Vec::new(),
        }
    }
}

impl VerifyMissingSettings {
    /// [`VerifyMissingSettings::window`] as a duration.
    pub fn window(&self) -> Duration {
        Duration::from_secs(self.window)
    }
}

impl Settings {
    /// Parses the text of a configuration file; `path` names it in errors.
    pub fn from_toml(text: &str, path: &Path) -> Result<Self, SettingsError> {
        toml::from_str(text).map_err(|source| SettingsError::Toml {
            path: path.to_owned(),
            source,
        })
    }

    /// Reads `path`.
    pub fn from_file(path: &Path) -> Result<Self, SettingsError> {
        let text = std::fs::read_to_string(path).map_err(|source| SettingsError::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::from_toml(&text, path)
    }

    /// What the Python tools read: `path` if given, else `$FEDMSG_MIGRATION_TOOLS_CONFIG`, else
    /// `$FEDMSG_MIGRATION_TOOLS_CONF`, else [`DEFAULT_PATH`] if it exists, else the defaults. A
    /// file named (by argument or variable) must exist.
    pub fn load(path: Option<&Path>) -> Result<Self, SettingsError> {
        let named = path.map(Path::to_owned).or_else(|| {
            [CONF_ENV, CONF_ENV_LOAD]
                .iter()
                .find_map(|v| std::env::var_os(v).filter(|p| !p.is_empty()))
                .map(PathBuf::from)
        });
        match named {
            Some(p) => Self::from_file(&p),
            None if Path::new(DEFAULT_PATH).exists() => Self::from_file(Path::new(DEFAULT_PATH)),
            None => Ok(Self::default()),
        }
    }

    /// The endpoints verify-missing watches: its own, else the ZeroMQ → AMQP bridge's.
    pub fn verify_endpoints(&self) -> &[String] {
        if self.verify_missing.zmq_endpoints.is_empty() {
            &self.zmq_to_amqp.zmq_endpoints
        } else {
            &self.verify_missing.zmq_endpoints
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_python_tools() {
        let s = Settings::from_toml("", Path::new("c.toml")).unwrap();
        assert_eq!(s.zmq_to_amqp.exchange, "zmq.topic");
        assert_eq!(s.zmq_to_amqp.topics, [""]);
        assert!(s.zmq_to_amqp.zmq_endpoints.is_empty());
        assert_eq!(s.verify_missing.queue_name, "amqp_bridge_verify_missing");
        assert_eq!(s.verify_missing.exchanges, ["amq.topic", "zmq.topic"]);
        assert_eq!(s.verify_missing.message_ttl, 60_000);
        assert_eq!(s.verify_missing.window(), Duration::from_secs(60));
    }

    #[test]
    fn the_example_file_of_the_python_tools_reads() {
        let text = r##"
[amqp_to_zmq]
publish_endpoint = "tcp://*:9940"
queue_name = "fedmsg_zmq_bridge"

[[amqp_to_zmq.bindings]]
exchange = "amq.topic"
routing_key = "#"
arguments = {}

[zmq_to_amqp]
exchange = "zmq.topic"
topics = ["org.fedoraproject."]
zmq_endpoints = ["tcp://hub.fedoraproject.org:9940"]

[verify_missing]
queue_name = "amqp_bridge_verify_missing"

[log_config]
version = 1
"##;
        let s = Settings::from_toml(text, Path::new("c.toml")).unwrap();
        assert_eq!(s.zmq_to_amqp.topics, ["org.fedoraproject."]);
        assert_eq!(s.verify_endpoints(), ["tcp://hub.fedoraproject.org:9940"]);
    }

    #[test]
    fn a_misspelt_key_is_an_error_naming_it_and_the_file() {
        let err = Settings::from_toml(
            "[zmq_to_amqp]\nzmq_endpoint = [\"tcp://a:1\"]\n",
            Path::new("bridge.toml"),
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("bridge.toml"), "{text}");
        assert!(text.contains("zmq_endpoint"), "{text}");
        let err = Settings::from_toml("[zmq_to_amqp]\ntopics = \"x\"\n", Path::new("b.toml"))
            .unwrap_err();
        assert!(err.to_string().contains("topics"), "{err}");
    }

    #[test]
    fn a_named_file_must_exist() {
        let err = Settings::load(Some(Path::new("/nonexistent/bridge.toml"))).unwrap_err();
        assert!(matches!(err, SettingsError::Io { .. }), "{err}");
        assert!(err.to_string().contains("/nonexistent/bridge.toml"));
    }
}
