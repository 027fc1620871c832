//! `config.toml`: the same file, keys and defaults as Python fedora-messaging 3.9.1.
//!
//! The file is `$FEDORA_MESSAGING_CONF`, else `/etc/fedora-messaging/config.toml`; a missing file
//! means every default. As in Python the merge is shallow: a top-level key in the file replaces its
//! whole default (a `[tls]` table replaces all of `tls`). Unknown top-level keys, queues missing a
//! setting and bindings missing `exchange` or `routing_keys` are errors naming the key.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::{Table, Value};

/// The environment variable naming the configuration file.
pub const CONF_ENV: &str = "FEDORA_MESSAGING_CONF";
/// The configuration file used when [`CONF_ENV`] is not set.
pub const DEFAULT_PATH: &str = "/etc/fedora-messaging/config.toml";
/// Python's default `amqp_url`: guest on localhost.
pub const DEFAULT_AMQP_URL: &str = "amqp://?connection_attempts=3&retry_delay=5";

const KEYS: [&str; 16] = [
    "amqp_url",
    "amqp_urls",
    "bindings",
    "callback",
    "client_properties",
    "consumer_config",
    "exchanges",
    "log_config",
    "monitoring",
    "passive_declares",
    "publish_exchange",
    "publish_priority",
    "qos",
    "queues",
    "tls",
    "topic_prefix",
];

/// An invalid configuration. `Display` starts with `Configuration error: `, as Python's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Configuration error: {message}")]
#[non_exhaustive]
pub struct ConfigError {
    /// What is wrong, naming the key.
    pub message: String,
}

impl ConfigError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

fn err(message: impl Into<String>) -> ConfigError {
    ConfigError::new(message)
}

/// An AMQP URL whose password never shows: `Debug` and `Display` print it redacted.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct AmqpUrl(String);

impl AmqpUrl {
    /// Wraps a URL.
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }

    /// The URL with its password, for connecting. Never log this.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The URL with any password replaced by `***`.
    pub fn redacted(&self) -> String {
        redact_url(&self.0)
    }
}

impl fmt::Debug for AmqpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AmqpUrl({:?})", self.redacted())
    }
}

impl fmt::Display for AmqpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// `url` with the password of its user info replaced by `***`.
///
/// ```
/// use fedora_messaging::amqp::config::redact_url;
/// assert_eq!(redact_url("amqps://bob:s3cret@broker/%2F"), "amqps://bob:***@broker/%2F");
/// assert_eq!(redact_url("amqp://broker"), "amqp://broker");
/// ```
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            let masked = if userinfo.contains(':') {
                format!("{user}:***")
            } else {
                user.to_owned()
            };
            format!("{scheme}://{masked}@{host}{tail}")
        }
        None => url.to_owned(),
    }
}

/// A queue's settings (`[queues."name"]`). All four of durable, auto_delete, exclusive and
/// arguments are required, as in Python.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct QueueConfig {
    /// Survives a broker restart.
    pub durable: bool,
    /// Deleted when its last consumer goes.
    pub auto_delete: bool,
    /// Used by this connection only, deleted when it closes.
    pub exclusive: bool,
    /// `x-` arguments (e.g. `x-max-priority`, `x-dead-letter-exchange`).
    pub arguments: Table,
    /// Declare passively (check it exists) instead of creating it; overrides `passive_declares`.
    #[serde(default)]
    pub passive: Option<bool>,
}

impl QueueConfig {
    /// Python's default queue settings: not durable, auto-deleted, exclusive to this connection
    /// (used for a server-named queue, `""`).
    pub fn exclusive() -> Self {
        Self::with(false, true, true)
    }

    /// A queue that outlives broker restarts and its consumers, shared by any number of them.
    pub fn durable() -> Self {
        Self::with(true, false, false)
    }

    /// A queue shared by several consumers that is neither durable nor auto-deleted.
    pub fn shared() -> Self {
        Self::with(false, false, false)
    }

    fn with(durable: bool, auto_delete: bool, exclusive: bool) -> Self {
        Self {
            durable,
            auto_delete,
            exclusive,
            arguments: Table::new(),
            passive: None,
        }
    }
}

/// A binding (`[[bindings]]`): queue ← exchange for each routing key.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct BindingConfig {
    /// The queue; `""` (the default) is the server-named queue.
    #[serde(default)]
    pub queue: String,
    /// The exchange.
    pub exchange: String,
    /// The routing keys (with `*` and `#` wildcards).
    pub routing_keys: Vec<String>,
    /// Binding arguments.
    #[serde(default)]
    pub arguments: Table,
}

impl BindingConfig {
    /// `queue` ← `exchange` for each of `routing_keys`, without arguments.
    pub fn new(
        queue: impl Into<String>,
        exchange: impl Into<String>,
        routing_keys: &[&str],
    ) -> Self {
        Self {
            queue: queue.into(),
            exchange: exchange.into(),
            routing_keys: routing_keys.iter().map(|k| (*k).to_owned()).collect(),
            arguments: Table::new(),
        }
    }
}

/// `[qos]`: how many messages the broker sends before waiting for acks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct QosConfig {
    /// Bytes in flight (0 = no limit).
    pub prefetch_size: u32,
    /// Messages in flight.
    pub prefetch_count: u16,
}

/// `[tls]`: trust and client certificates, used with `amqps` URLs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct TlsConfig {
    /// PEM file with the CA certificates to trust; the system store when unset.
    pub ca_cert: Option<PathBuf>,
    /// PEM client certificate; with `keyfile`, authenticates with SASL EXTERNAL.
    pub certfile: Option<PathBuf>,
    /// PEM private key of `certfile`.
    pub keyfile: Option<PathBuf>,
}

/// `[monitoring]`: where Python's HTTP health server listens (off unless a port is set). Read and
/// checked here so that a Python service's file loads unchanged; this crate serves no such
/// endpoint yet.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct MonitoringConfig {
    /// Address to listen on; `""` means all interfaces.
    #[serde(default)]
    pub address: String,
    /// Port to listen on.
    pub port: u16,
}

/// The whole configuration, with Python's defaults for every key the file does not set.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Config {
    /// `amqp_url`.
    pub amqp_url: AmqpUrl,
    /// `amqp_urls` (ours; Python rejects the key): the nodes of a cluster, tried in order when
    /// connecting, each with the settings of `[tls]`. Empty: `amqp_url` alone.
    pub amqp_urls: Vec<AmqpUrl>,
    /// `client_properties`, sent to the broker when connecting (`app` names this client).
    pub client_properties: Table,
    /// `publish_exchange`.
    pub publish_exchange: String,
    /// `topic_prefix`, put in front of the topic in outgoing routing keys.
    pub topic_prefix: String,
    /// `publish_priority`: the AMQP priority of new messages.
    pub publish_priority: Option<u8>,
    /// `passive_declares`.
    pub passive_declares: bool,
    /// `exchanges`: accepted but not used, as in Python 3.x.
    pub exchanges: Table,
    /// `queues`: name → settings; `""` is the server-named queue.
    pub queues: BTreeMap<String, QueueConfig>,
    /// `bindings`.
    pub bindings: Vec<BindingConfig>,
    /// `qos`.
    pub qos: QosConfig,
    /// `callback`: Python code for Python's CLI; kept, unused here.
    pub callback: Option<String>,
    /// `consumer_config`: free-form settings for the consumer's own use.
    pub consumer_config: Table,
    /// `tls`.
    pub tls: TlsConfig,
    /// `monitoring`; `None` when the table is absent or empty.
    pub monitoring: Option<MonitoringConfig>,
    /// `log_config`: Python's logging dictConfig; kept, unused (this crate logs with `tracing`).
    pub log_config: Option<Table>,
}

/// Client properties this library sets itself; Python reserves the same names.
pub const RESERVED_CLIENT_PROPERTIES: [&str; 3] = ["product", "information", "version"];

impl Default for Config {
    fn default() -> Self {
        let mut client_properties = Table::new();
        client_properties.insert("app".into(), "Unknown".into());
        let mut exchanges = Table::new();
        let mut topic = Table::new();
        topic.insert("type".into(), "topic".into());
        topic.insert("durable".into(), true.into());
        topic.insert("auto_delete".into(), false.into());
        topic.insert("arguments".into(), Table::new().into());
        exchanges.insert("amq.topic".into(), topic.into());
        Self {
            amqp_url: AmqpUrl::new(DEFAULT_AMQP_URL),
            amqp_urls: Vec::new(),
            client_properties,
            publish_exchange: "amq.topic".into(),
            topic_prefix: String::new(),
            publish_priority: None,
            passive_declares: false,
            exchanges,
            queues: BTreeMap::from([(String::new(), QueueConfig::exclusive())]),
            bindings: vec![BindingConfig::new("", "amq.topic", &["#"])],
            qos: QosConfig {
                prefetch_size: 0,
                prefetch_count: 10,
            },
            callback: None,
            consumer_config: Table::new(),
            tls: TlsConfig::default(),
            monitoring: None,
            log_config: None,
        }
    }
}

impl Config {
    /// The configuration Python would load: from `$FEDORA_MESSAGING_CONF`, else
    /// `/etc/fedora-messaging/config.toml`; all defaults when that file does not exist.
    pub fn load() -> Result<Self, ConfigError> {
        match std::env::var_os(CONF_ENV) {
            Some(p) => Self::from_file(Path::new(&p)),
            None => {
                let p = Path::new(DEFAULT_PATH);
                if p.exists() {
                    Self::from_file(p)
                } else {
                    tracing::info!("{DEFAULT_PATH} not found; using the default configuration");
                    Ok(Self::default())
                }
            }
        }
    }

    /// The configuration in `path`, which must exist.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| err(format!("Failed to read {}: {e}", path.display())))?;
        Self::from_toml(&text).map_err(|mut e| {
            if e.message.starts_with("Failed to parse") {
                e.message = e.message.replacen(
                    "Failed to parse",
                    &format!("Failed to parse {}", path.display()),
                    1,
                );
            }
            e
        })
    }

    /// The configuration in `text` (TOML), over the defaults.
    ///
    /// ```
    /// use fedora_messaging::amqp::config::Config;
    ///
    /// let c = Config::from_toml("topic_prefix = \"org.fedoraproject.prod\"\n[qos]\nprefetch_size = 0\nprefetch_count = 25\n").unwrap();
    /// assert_eq!(c.qos.prefetch_count, 25);
    /// assert_eq!(c.publish_exchange, "amq.topic"); // default kept
    /// let e = Config::from_toml("amqp_ulr = \"amqp://\"").unwrap_err();
    /// assert!(e.to_string().starts_with("Configuration error: Unknown configuration key 'amqp_ulr'!"));
    /// ```
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let table: Table = text
            .parse()
            .map_err(|e: toml::de::Error| err(format!("Failed to parse: {}", e.message())))?;
        // Python lower-cases the top-level keys.
        let table: Table = table
            .into_iter()
            .map(|(k, v)| (k.to_lowercase(), v))
            .collect();
        let mut c = Self::default();
        for (key, value) in table {
            c.set(&key, value)?;
        }
        Ok(c)
    }

    fn set(&mut self, key: &str, value: Value) -> Result<(), ConfigError> {
        match key {
            "amqp_url" => self.amqp_url = AmqpUrl::new(string(key, value)?),
            "amqp_urls" => {
                self.amqp_urls = match value {
                    Value::Array(items) => items
                        .into_iter()
                        .enumerate()
                        .map(|(n, v)| string(&format!("amqp_urls[{n}]"), v).map(AmqpUrl::new))
                        .collect::<Result<_, _>>()?,
                    other => return Err(wrong_type(key, "an array of URLs", &other)),
                }
            }
            "client_properties" => {
                let t = table(key, value)?;
                for r in RESERVED_CLIENT_PROPERTIES {
                    if t.contains_key(r) {
                        return Err(err(format!(
                            "\"{r}\" is a reserved keyword in client_properties"
                        )));
                    }
                }
                self.client_properties = t;
            }
            "publish_exchange" => self.publish_exchange = string(key, value)?,
            "topic_prefix" => self.topic_prefix = string(key, value)?,
            "publish_priority" => {
                self.publish_priority = match value {
                    Value::Integer(i) => Some(u8::try_from(i).map_err(|_| {
                        err(format!(
                            "publish_priority must be from 0 to 255, but was {i}"
                        ))
                    })?),
                    other => return Err(wrong_type(key, "an integer", &other)),
                }
            }
            "passive_declares" => {
                self.passive_declares = match value {
                    Value::Boolean(b) => b,
                    other => return Err(wrong_type(key, "a boolean", &other)),
                }
            }
            "exchanges" => self.exchanges = table(key, value)?,
            "queues" => self.queues = queues(value)?,
            "bindings" => self.bindings = bindings(value)?,
            "qos" => {
                let t = table(key, value)?;
                missing_keys("[qos]", &t, &["prefetch_size", "prefetch_count"])?;
                self.qos = typed("qos", t)?;
            }
            "callback" => self.callback = Some(string(key, value)?),
            "consumer_config" => self.consumer_config = table(key, value)?,
            "tls" => self.tls = typed("tls", table(key, value)?)?,
            "monitoring" => {
                let t = table(key, value)?;
                self.monitoring = if t.is_empty() {
                    None
                } else if !t.contains_key("port") {
                    return Err(err(
                        "The port must be defined in [monitoring] to activate it",
                    ));
                } else {
                    Some(typed("monitoring", t)?)
                };
            }
            "log_config" => self.log_config = Some(table(key, value)?),
            other => {
                return Err(err(format!(
                    "Unknown configuration key '{other}'! Valid configuration keys are [{}]",
                    KEYS.map(|k| format!("'{k}'")).join(", ")
                )))
            }
        }
        Ok(())
    }

    /// The brokers to connect to, in order: `amqp_urls`, else `amqp_url` alone.
    pub fn broker_urls(&self) -> &[AmqpUrl] {
        if self.amqp_urls.is_empty() {
            std::slice::from_ref(&self.amqp_url)
        } else {
            &self.amqp_urls
        }
    }

    /// Whether the queue `name` is declared passively.
    pub fn passive_for(&self, queue: &QueueConfig) -> bool {
        queue.passive.unwrap_or(self.passive_declares)
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "string",
        Value::Integer(_) => "integer",
        Value::Float(_) => "float",
        Value::Boolean(_) => "boolean",
        Value::Datetime(_) => "datetime",
        Value::Array(_) => "array",
        Value::Table(_) => "table",
    }
}

fn wrong_type(key: &str, want: &str, got: &Value) -> ConfigError {
    err(format!(
        "{key} must be {want}, but was a {}",
        type_name(got)
    ))
}

fn string(key: &str, v: Value) -> Result<String, ConfigError> {
    match v {
        Value::String(s) => Ok(s),
        other => Err(wrong_type(key, "a string", &other)),
    }
}

fn table(key: &str, v: Value) -> Result<Table, ConfigError> {
    match v {
        Value::Table(t) => Ok(t),
        other => Err(wrong_type(key, "a table", &other)),
    }
}

fn typed<T: serde::de::DeserializeOwned>(what: &str, t: Table) -> Result<T, ConfigError> {
    T::deserialize(Value::Table(t)).map_err(|e| err(format!("invalid [{what}]: {}", e.message())))
}

fn missing_keys(what: &str, t: &Table, required: &[&str]) -> Result<(), ConfigError> {
    let missing: Vec<String> = required
        .iter()
        .filter(|k| !t.contains_key(**k))
        .map(|k| format!("'{k}'"))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(err(format!(
            "{what} is missing the following keys from its settings value: [{}]",
            missing.join(", ")
        )))
    }
}

fn queues(v: Value) -> Result<BTreeMap<String, QueueConfig>, ConfigError> {
    let Value::Table(t) = v else {
        return Err(err(
            "'queues' must be a dictionary mapping queue names to settings.",
        ));
    };
    let mut out = BTreeMap::new();
    for (name, settings) in t {
        let Value::Table(s) = settings else {
            return Err(err(format!(
                "the {name} queue in the 'queues' setting has a value of type {}, but it should be a dictionary of settings.",
                type_name(&settings)
            )));
        };
        missing_keys(
            &format!("the {name} queue"),
            &s,
            &["durable", "auto_delete", "exclusive", "arguments"],
        )?;
        let queue: QueueConfig = typed(&format!("queues.\"{name}\""), s)?;
        super::wire::arguments_table(&queue.arguments)
            .map_err(|e| err(format!("the {name} queue's arguments: {e}")))?;
        out.insert(name.clone(), queue);
    }
    Ok(out)
}

fn bindings(v: Value) -> Result<Vec<BindingConfig>, ConfigError> {
    let items = match v {
        Value::Array(a) => a,
        // A single table is accepted, as Python accepts a dict.
        Value::Table(t) => vec![Value::Table(t)],
        other => {
            return Err(err(format!(
                "bindings must be a list or tuple of dictionaries, but was a {}",
                type_name(&other)
            )))
        }
    };
    items
        .into_iter()
        .map(|item| {
            let Value::Table(b) = item else {
                return Err(err(format!(
                    "bindings must be a list or tuple of dictionaries, but an item was a {}",
                    type_name(&item)
                )));
            };
            missing_keys("a binding", &b, &["exchange", "routing_keys"])?;
            if let Some(rk) = b.get("routing_keys") {
                if !rk.is_array() {
                    return Err(err(format!(
                        "routing_keys must be a list or tuple, but was a {}",
                        type_name(rk)
                    )));
                }
            }
            let binding: BindingConfig = typed("bindings", b)?;
            super::wire::arguments_table(&binding.arguments).map_err(|e| {
                err(format!(
                    "the binding of queue {:?} to {:?}: its arguments: {e}",
                    binding.queue, binding.exchange
                ))
            })?;
            Ok(binding)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_with_no_amqp_form_are_errors_naming_the_key() {
        // AMQP table keys are short strings: at most 255 bytes. Such a key used to turn the whole
        // table into an empty one, silently.
        let long = format!("x-{}", "k".repeat(300));
        let e = Config::from_toml(&format!(
            "[queues.q]\ndurable = true\nauto_delete = false\nexclusive = false\narguments = {{ x-max-priority = 5, {long} = 1 }}\n"
        ))
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with(&format!(
                "Configuration error: the q queue's arguments: argument {long} cannot be sent"
            )),
            "{e}"
        );
        let e = Config::from_toml(&format!(
            "[[bindings]]\nqueue = \"q\"\nexchange = \"amq.topic\"\nrouting_keys = [\"#\"]\narguments = {{ x-nested = {{ {long} = true }} }}\n"
        ))
        .unwrap_err()
        .to_string();
        assert!(
            e.contains(&format!("its arguments: argument x-nested.{long}")),
            "{e}"
        );
        // Every AMQP-able value still loads.
        Config::from_toml(
            "[queues.q]\ndurable = true\nauto_delete = false\nexclusive = false\narguments = { x-max-priority = 5, x-dead-letter-exchange = \"dlx\", x-list = [1, 2.5, true] }\n",
        )
        .unwrap();
    }

    #[test]
    fn defaults_are_pythons() {
        let c = Config::default();
        assert_eq!(c.amqp_url.expose(), DEFAULT_AMQP_URL);
        assert_eq!(c.publish_exchange, "amq.topic");
        assert_eq!(
            c.qos,
            QosConfig {
                prefetch_size: 0,
                prefetch_count: 10
            }
        );
        let q = &c.queues[""];
        assert!(!q.durable && q.auto_delete && q.exclusive);
        assert_eq!(c.bindings[0].routing_keys, ["#"]);
        assert_eq!(c.publish_priority, None);
        assert_eq!(Config::from_toml("").unwrap(), c);
    }

    #[test]
    fn the_spec_example_loads() {
        let text = r#"
amqp_url = "amqps://myuser:@broker.example.org/%2Fmyvhost"
callback = "my_consumer.handlers:Handler"
publish_exchange = "amq.topic"
topic_prefix = ""
passive_declares = false
publish_priority = 0

[tls]
ca_cert = "/etc/fedora-messaging/cacert.pem"
keyfile = "/etc/fedora-messaging/my-key.pem"
certfile = "/etc/fedora-messaging/my-cert.pem"

[client_properties]
app = "My Consumer"
app_url = "https://example.org/my-consumer"
app_contacts_email = ["ops@example.org"]

[queues."6f1b2d3c-0000-4000-8000-000000000001"]
durable = true
auto_delete = false
exclusive = false
arguments = {}

[[bindings]]
queue = "6f1b2d3c-0000-4000-8000-000000000001"
exchange = "amq.topic"
routing_keys = ["org.example.prod.build.#", "org.example.prod.update.*"]

[qos]
prefetch_size = 0
prefetch_count = 25

[consumer_config]
my_setting = "anything"

[monitoring]
address = "127.0.0.1"
port = 8070

[log_config]
version = 1
disable_existing_loggers = true
[log_config.loggers.fedora_messaging]
level = "INFO"
"#;
        let c = Config::from_toml(text).unwrap();
        assert_eq!(
            c.queues.len(),
            1,
            "the file's queues replace the default ones"
        );
        assert!(c.queues["6f1b2d3c-0000-4000-8000-000000000001"].durable);
        assert_eq!(c.bindings[0].routing_keys.len(), 2);
        assert_eq!(c.qos.prefetch_count, 25);
        assert_eq!(c.publish_priority, Some(0));
        assert_eq!(c.monitoring.as_ref().map(|m| m.port), Some(8070));
        assert_eq!(
            c.tls.certfile.as_deref(),
            Some(Path::new("/etc/fedora-messaging/my-cert.pem"))
        );
        assert_eq!(c.client_properties["app"].as_str(), Some("My Consumer"));
    }

    #[test]
    fn errors_name_the_key() {
        let e = |t: &str| Config::from_toml(t).unwrap_err().message;
        assert!(e("bogus = 1").starts_with("Unknown configuration key 'bogus'!"));
        assert_eq!(
            e("[queues.q]\ndurable = true\n"),
            "the q queue is missing the following keys from its settings value: ['auto_delete', 'exclusive', 'arguments']"
        );
        assert_eq!(
            e("queues = 3"),
            "'queues' must be a dictionary mapping queue names to settings."
        );
        assert_eq!(
            e("[[bindings]]\nexchange = \"amq.topic\"\n"),
            "a binding is missing the following keys from its settings value: ['routing_keys']"
        );
        assert_eq!(
            e("[[bindings]]\nexchange = \"amq.topic\"\nrouting_keys = \"#\"\n"),
            "routing_keys must be a list or tuple, but was a string"
        );
        assert_eq!(
            e("[client_properties]\nversion = \"1\"\n"),
            "\"version\" is a reserved keyword in client_properties"
        );
        assert_eq!(
            e("[monitoring]\naddress = \"\"\n"),
            "The port must be defined in [monitoring] to activate it"
        );
        assert!(e("[qos]\nprefetch_count = 1\n").contains("['prefetch_size']"));
        assert!(e("publish_priority = 300").contains("0 to 255"));
        assert!(e("amqp_url = [").starts_with("Failed to parse"));
    }

    #[test]
    fn keys_are_case_insensitive_and_monitoring_can_be_off() {
        let c = Config::from_toml("TOPIC_PREFIX = \"x\"\n[monitoring]\n").unwrap();
        assert_eq!(c.topic_prefix, "x");
        assert_eq!(c.monitoring, None);
    }

    #[test]
    fn passwords_never_show() {
        let c = Config::from_toml("amqp_url = \"amqp://bob:hunter2@broker:5672/%2F\"").unwrap();
        let shown = format!("{c:?} {}", c.amqp_url);
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("amqp://bob:***@broker:5672/%2F"), "{shown}");
        assert_eq!(redact_url("amqp://a:b:c@h/v?x=1"), "amqp://a:***@h/v?x=1");
        assert_eq!(redact_url("amqp://user@h"), "amqp://user@h");
    }
}
