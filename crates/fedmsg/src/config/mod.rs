//! fedmsg's configuration: its keys, with fedmsg's defaults, read from the `fedmsg.d/` folders of
//! Python files deployments already have (see [`load`]) or from the same keys in TOML.

pub mod load;
mod toml_form;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Map, Value};

pub use load::{ConfigSource, Sources};

/// A configuration key that is missing or wrong, and where it was set.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A key has a value of the wrong type or out of range.
    #[error("{}: key `{key}`: {problem}", origin_text(.file))]
    Key {
        /// The key, e.g. `endpoints` or `endpoints.bodhi.app01`.
        key: String,
        /// The file that set it (`None`: a default or a command-line override).
        file: Option<PathBuf>,
        /// What is wrong.
        problem: String,
    },
    /// A key the operation needs is not set.
    #[error("key `{key}` is not set ({}); {why}", files_text(.searched))]
    Missing {
        /// The key.
        key: String,
        /// What needs it.
        why: String,
        /// The files that were read.
        searched: Vec<PathBuf>,
    },
    /// A file could not be read or evaluated.
    #[error("{}: {problem}", .file.display())]
    File {
        /// The file.
        file: PathBuf,
        /// What went wrong.
        problem: String,
        /// The underlying error, when there is one.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
}

fn origin_text(file: &Option<PathBuf>) -> String {
    match file {
        Some(f) => f.display().to_string(),
        None => "default or override".to_owned(),
    }
}

fn files_text(files: &[PathBuf]) -> String {
    if files.is_empty() {
        return "no configuration file was found".to_owned();
    }
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    format!("read {}", names.join(", "))
}

/// fedmsg's configuration keys, typed, with fedmsg's defaults.
///
/// ```
/// use fedmsg::Config;
///
/// let config = Config::from_toml(r#"
/// environment = "prod"
/// [endpoints]
/// "bodhi.app01" = ["tcp://127.0.0.1:3000", "tcp://127.0.0.1:3001"]
/// "#).unwrap();
/// assert_eq!(config.topic_prefix, "org.fedoraproject");
/// assert_eq!(config.endpoints["bodhi.app01"].len(), 2);
/// assert_eq!(config.post_init_sleep.as_millis(), 500);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Config {
    /// `topic_prefix` (`org.fedoraproject`).
    pub topic_prefix: String,
    /// `environment` (`dev`): `prod`, `stg` or `dev` by convention.
    pub environment: String,
    /// `endpoints`: service name → the endpoints it binds (publishers) and everyone connects to.
    pub endpoints: BTreeMap<String, Vec<String>>,
    /// `relay_inbound` (`tcp://127.0.0.1:2001`): where active publishers connect, the relay binds.
    pub relay_inbound: Vec<String>,
    /// `active` (false): connect to `relay_inbound` instead of binding `endpoints[name]`.
    pub active: bool,
    /// `name`: the key of `endpoints` this process publishes on.
    pub name: Option<String>,
    /// `high_water_mark` (0: libzmq's default of 1000 messages, as fedmsg leaves it).
    pub high_water_mark: u32,
    /// `zmq_linger` (1000 ms): how long a closing socket keeps trying to deliver.
    pub zmq_linger: Duration,
    /// `post_init_sleep` (0.5 s): fedmsg's fixed wait after binding, for the slow joiner.
    pub post_init_sleep: Duration,
    /// `zmq_enabled` (true).
    pub zmq_enabled: bool,
    /// `zmq_tcp_keepalive` (1 here; fedmsg sets it only when configured).
    pub zmq_tcp_keepalive: i32,
    /// `zmq_tcp_keepalive_cnt` (3).
    pub zmq_tcp_keepalive_cnt: i32,
    /// `zmq_tcp_keepalive_idle` (60 s).
    pub zmq_tcp_keepalive_idle: i32,
    /// `zmq_tcp_keepalive_intvl` (5 s).
    pub zmq_tcp_keepalive_intvl: i32,
    /// `zmq_reconnect_ivl` (100 ms).
    pub zmq_reconnect_ivl: Duration,
    /// `zmq_reconnect_ivl_max` (1000 ms): the reconnect backoff's ceiling.
    pub zmq_reconnect_ivl_max: Duration,
    /// `sign_messages` (false).
    pub sign_messages: bool,
    /// `validate_signatures` (false when absent, as `fedmsg.tail_messages` reads it).
    pub validate_signatures: bool,
    /// `crypto_backend` (`x509`).
    pub crypto_backend: String,
    /// `crypto_validate_backends` (`["x509"]`).
    pub crypto_validate_backends: Vec<String>,
    /// `ssldir` (`/etc/pki/fedmsg`).
    pub ssldir: PathBuf,
    /// `ca_cert_location` (`/etc/pki/fedmsg/ca.crt`): a file or an https URL.
    pub ca_cert_location: String,
    /// `crl_location` (none).
    pub crl_location: Option<String>,
    /// `crl_cache_expiry` (3600 s).
    pub crl_cache_expiry: Duration,
    /// `ca_cert_cache_expiry` (0).
    pub ca_cert_cache_expiry: Duration,
    /// `certnames`: `<name>` or `<cert_prefix>.<short host>` → certificate file name in `ssldir`.
    pub certnames: BTreeMap<String, String>,
    /// `cert_prefix`: which `certnames` entry signs (with the short host name).
    pub cert_prefix: Option<String>,
    /// `routing_policy`: topic → the certificate names allowed to sign it.
    pub routing_policy: BTreeMap<String, Vec<String>>,
    /// `routing_nitpicky` (false): topics outside `routing_policy` fail validation.
    pub routing_nitpicky: bool,
    /// `fedmsg.consumers.gateway.port` (9940).
    pub gateway_port: u16,
    /// `fedmsg.consumers.gateway.high_water_mark` (1000).
    pub gateway_high_water_mark: u32,
    /// Every other key (the STOMP keys, the consumers' keys, …), as read.
    pub extra: Map<String, Value>,
    /// The files read, in order.
    pub files: Vec<PathBuf>,
    /// Which file last set each top-level key.
    origins: BTreeMap<String, PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        let mut endpoints = BTreeMap::new();
        endpoints.insert(
            "relay_outbound".to_owned(),
            vec!["tcp://127.0.0.1:4001".to_owned()],
        );
        Self {
            topic_prefix: "org.fedoraproject".into(),
            environment: "dev".into(),
            endpoints,
            relay_inbound: vec!["tcp://127.0.0.1:2001".into()],
            active: false,
            name: None,
            high_water_mark: 0,
            zmq_linger: Duration::from_millis(1000),
            post_init_sleep: Duration::from_millis(500),
            zmq_enabled: true,
            zmq_tcp_keepalive: 1,
            zmq_tcp_keepalive_cnt: 3,
            zmq_tcp_keepalive_idle: 60,
            zmq_tcp_keepalive_intvl: 5,
            zmq_reconnect_ivl: Duration::from_millis(100),
            zmq_reconnect_ivl_max: Duration::from_millis(1000),
            sign_messages: false,
            validate_signatures: false,
            crypto_backend: "x509".into(),
            crypto_validate_backends: vec!["x509".into()],
            ssldir: PathBuf::from("/etc/pki/fedmsg"),
            ca_cert_location: "/etc/pki/fedmsg/ca.crt".into(),
            crl_location: None,
            crl_cache_expiry: Duration::from_secs(3600),
            ca_cert_cache_expiry: Duration::ZERO,
            certnames: BTreeMap::new(),
            cert_prefix: None,
            routing_policy: BTreeMap::new(),
            routing_nitpicky: false,
            gateway_port: 9940,
            gateway_high_water_mark: 1000,
            extra: Map::new(),
            files: Vec::new(),
            origins: BTreeMap::new(),
        }
    }
}

/// Reads one key's value, with errors naming the key and its file.
struct Reader<'a> {
    origins: &'a BTreeMap<String, PathBuf>,
}

impl Reader<'_> {
    fn err(&self, key: &str, problem: impl Into<String>) -> ConfigError {
        let top = key.split_once('/').map_or(key, |(t, _)| t);
        ConfigError::Key {
            key: key.replace('/', "."),
            file: self.origins.get(top).cloned(),
            problem: problem.into(),
        }
    }

    fn string(&self, key: &str, v: Value) -> Result<String, ConfigError> {
        match v {
            Value::String(s) => Ok(s),
            other => Err(self.err(key, format!("expected a string, found {other}"))),
        }
    }

    fn opt_string(&self, key: &str, v: Value) -> Result<Option<String>, ConfigError> {
        match v {
            Value::Null => Ok(None),
            v => self.string(key, v).map(Some),
        }
    }

    fn bool(&self, key: &str, v: Value) -> Result<bool, ConfigError> {
        match v {
            Value::Bool(b) => Ok(b),
            // Python truthiness for the 0/1 some configs use.
            Value::Number(n) if n.as_i64() == Some(0) || n.as_i64() == Some(1) => {
                Ok(n.as_i64() == Some(1))
            }
            other => Err(self.err(key, format!("expected true or false, found {other}"))),
        }
    }

    fn int<T: TryFrom<i64>>(&self, key: &str, v: Value) -> Result<T, ConfigError> {
        let n = v
            .as_i64()
            .ok_or_else(|| self.err(key, format!("expected an integer, found {v}")))?;
        T::try_from(n).map_err(|_| self.err(key, format!("{n} is out of range")))
    }

    fn millis(&self, key: &str, v: Value) -> Result<Duration, ConfigError> {
        self.int::<u64>(key, v).map(Duration::from_millis)
    }

    fn seconds(&self, key: &str, v: Value) -> Result<Duration, ConfigError> {
        let s = v
            .as_f64()
            .ok_or_else(|| self.err(key, format!("expected a number of seconds, found {v}")))?;
        Duration::try_from_secs_f64(s)
            .map_err(|_| self.err(key, format!("{s} is not a duration in seconds")))
    }

    /// fedmsg's `iterate`: one string or a list of strings.
    fn strings(&self, key: &str, v: Value) -> Result<Vec<String>, ConfigError> {
        match v {
            Value::String(s) => Ok(vec![s]),
            Value::Array(items) => items
                .into_iter()
                .enumerate()
                .map(|(i, item)| self.string(&format!("{key}/{i}"), item))
                .collect(),
            other => Err(self.err(
                key,
                format!("expected a string or a list of strings, found {other}"),
            )),
        }
    }

    fn table<T>(
        &self,
        key: &str,
        v: Value,
        each: impl Fn(&Self, &str, Value) -> Result<T, ConfigError>,
    ) -> Result<BTreeMap<String, T>, ConfigError> {
        match v {
            Value::Object(map) => map
                .into_iter()
                .map(|(k, v)| each(self, &format!("{key}/{k}"), v).map(|t| (k, t)))
                .collect(),
            other => Err(self.err(key, format!("expected a table, found {other}"))),
        }
    }
}

impl Config {
    /// The configuration from merged keys, `origins` naming the file that set each top-level
    /// key (for error messages).
    pub fn from_map(
        mut map: Map<String, Value>,
        files: Vec<PathBuf>,
        origins: BTreeMap<String, PathBuf>,
    ) -> Result<Self, ConfigError> {
        let r = Reader { origins: &origins };
        let mut c = Config::default();
        let mut take = |k: &str| map.remove(k);
        if let Some(v) = take("topic_prefix") {
            c.topic_prefix = r.string("topic_prefix", v)?;
        }
        if let Some(v) = take("environment") {
            c.environment = r.string("environment", v)?;
        }
        if let Some(v) = take("endpoints") {
            c.endpoints = r.table("endpoints", v, Reader::strings)?;
        }
        if let Some(v) = take("relay_inbound") {
            c.relay_inbound = r.strings("relay_inbound", v)?;
        }
        if let Some(v) = take("active") {
            c.active = r.bool("active", v)?;
        }
        if let Some(v) = take("name") {
            c.name = r.opt_string("name", v)?;
        }
        if let Some(v) = take("high_water_mark") {
            c.high_water_mark = r.int("high_water_mark", v)?;
        }
        if let Some(v) = take("zmq_linger") {
            c.zmq_linger = r.millis("zmq_linger", v)?;
        }
        if let Some(v) = take("post_init_sleep") {
            c.post_init_sleep = r.seconds("post_init_sleep", v)?;
        }
        if let Some(v) = take("zmq_enabled") {
            c.zmq_enabled = r.bool("zmq_enabled", v)?;
        }
        if let Some(v) = take("zmq_tcp_keepalive") {
            c.zmq_tcp_keepalive = r.int("zmq_tcp_keepalive", v)?;
        }
        if let Some(v) = take("zmq_tcp_keepalive_cnt") {
            c.zmq_tcp_keepalive_cnt = r.int("zmq_tcp_keepalive_cnt", v)?;
        }
        if let Some(v) = take("zmq_tcp_keepalive_idle") {
            c.zmq_tcp_keepalive_idle = r.int("zmq_tcp_keepalive_idle", v)?;
        }
        if let Some(v) = take("zmq_tcp_keepalive_intvl") {
            c.zmq_tcp_keepalive_intvl = r.int("zmq_tcp_keepalive_intvl", v)?;
        }
        if let Some(v) = take("zmq_reconnect_ivl") {
            c.zmq_reconnect_ivl = r.millis("zmq_reconnect_ivl", v)?;
        }
        if let Some(v) = take("zmq_reconnect_ivl_max") {
            c.zmq_reconnect_ivl_max = r.millis("zmq_reconnect_ivl_max", v)?;
        }
        if let Some(v) = take("sign_messages") {
            c.sign_messages = r.bool("sign_messages", v)?;
        }
        if let Some(v) = take("validate_signatures") {
            c.validate_signatures = r.bool("validate_signatures", v)?;
        }
        if let Some(v) = take("crypto_backend") {
            c.crypto_backend = r.string("crypto_backend", v)?;
        }
        if let Some(v) = take("crypto_validate_backends") {
            c.crypto_validate_backends = r.strings("crypto_validate_backends", v)?;
        }
        if let Some(v) = take("ssldir") {
            c.ssldir = PathBuf::from(r.string("ssldir", v)?);
        }
        if let Some(v) = take("ca_cert_location") {
            c.ca_cert_location = r.string("ca_cert_location", v)?;
        }
        if let Some(v) = take("crl_location") {
            c.crl_location = r.opt_string("crl_location", v)?;
        }
        if let Some(v) = take("crl_cache_expiry") {
            c.crl_cache_expiry = r.seconds("crl_cache_expiry", v)?;
        }
        if let Some(v) = take("ca_cert_cache_expiry") {
            c.ca_cert_cache_expiry = r.seconds("ca_cert_cache_expiry", v)?;
        }
        if let Some(v) = take("certnames") {
            c.certnames = r.table("certnames", v, Reader::string)?;
        }
        if let Some(v) = take("cert_prefix") {
            c.cert_prefix = r.opt_string("cert_prefix", v)?;
        }
        if let Some(v) = take("routing_policy") {
            c.routing_policy = r.table("routing_policy", v, Reader::strings)?;
        }
        if let Some(v) = take("routing_nitpicky") {
            c.routing_nitpicky = r.bool("routing_nitpicky", v)?;
        }
        if let Some(v) = take("fedmsg.consumers.gateway.port") {
            c.gateway_port = r.int("fedmsg.consumers.gateway.port", v)?;
        }
        if let Some(v) = take("fedmsg.consumers.gateway.high_water_mark") {
            c.gateway_high_water_mark = r.int("fedmsg.consumers.gateway.high_water_mark", v)?;
        }
        c.extra = map;
        c.files = files;
        c.origins = origins;
        Ok(c)
    }

    /// The configuration from TOML text holding fedmsg's keys (the Python-free form).
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let path = PathBuf::from("<toml>");
        let map = load::parse_toml(text, &path)?;
        let origins = map.keys().map(|k| (k.clone(), path.clone())).collect();
        Self::from_map(map, Vec::new(), origins)
    }

    /// Reads the configuration from `source` (see [`load`]).
    pub fn load(source: &ConfigSource) -> Result<Self, ConfigError> {
        let merged = load::read(source)?;
        Self::from_map(merged.map, merged.files, merged.origins)
    }

    /// The file that set `key`, if a file did.
    pub fn origin(&self, key: &str) -> Option<&Path> {
        self.origins.get(key).map(PathBuf::as_path)
    }

    /// An error for a key this operation needs and the configuration lacks.
    pub fn missing(&self, key: &str, why: &str) -> ConfigError {
        ConfigError::Missing {
            key: key.to_owned(),
            why: why.to_owned(),
            searched: self.files.clone(),
        }
    }

    /// The endpoints a subscriber connects to: every `endpoints` entry but `relay_inbound`, in
    /// key order, each with its service name.
    pub fn subscribe_endpoints(&self) -> Vec<(String, String)> {
        self.endpoints
            .iter()
            .filter(|(name, _)| name.as_str() != "relay_inbound")
            .flat_map(|(name, eps)| eps.iter().map(move |e| (name.clone(), e.clone())))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn from(v: Value, file: &str) -> Result<Config, ConfigError> {
        let Value::Object(map) = v else {
            unreachable!()
        };
        let origins = map
            .keys()
            .map(|k| (k.clone(), PathBuf::from(file)))
            .collect();
        Config::from_map(map, vec![PathBuf::from(file)], origins)
    }

    #[test]
    fn a_wrong_key_names_its_file_and_path() {
        let err = from(
            json!({"endpoints": {"a": ["tcp://x:1", 2]}}),
            "fedmsg.d/ep.py",
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "fedmsg.d/ep.py: key `endpoints.a.1`: expected a string, found 2"
        );
        let err = from(json!({"post_init_sleep": "soon"}), "f.py").unwrap_err();
        assert!(
            err.to_string().starts_with("f.py: key `post_init_sleep`"),
            "{err}"
        );
    }

    #[test]
    fn single_strings_become_lists_and_unknown_keys_are_kept() {
        let c = from(
            json!({"endpoints": {"a": "tcp://h:1"}, "relay_inbound": "tcp://h:2", "stomp_uri": "h:61613",
                   "high_water_mark": 10, "zmq_linger": 0, "post_init_sleep": 0}),
            "f.py",
        )
        .unwrap();
        assert_eq!(c.endpoints["a"], ["tcp://h:1"]);
        assert_eq!(c.relay_inbound, ["tcp://h:2"]);
        assert_eq!(c.extra["stomp_uri"], "h:61613");
        assert_eq!(c.post_init_sleep, Duration::ZERO);
        assert_eq!(c.origin("endpoints"), Some(Path::new("f.py")));
    }

    #[test]
    fn toml_form_round_trips() {
        let c = from(
            json!({"environment": "prod", "endpoints": {"x.h": ["tcp://127.0.0.1:1"]},
                   "certnames": {"x.h": "x"}, "fedmsg.consumers.gateway.port": 9941, "stomp_user": "u"}),
            "f.py",
        )
        .unwrap();
        let back = Config::from_toml(&c.to_toml()).unwrap();
        assert_eq!(back.environment, "prod");
        assert_eq!(back.endpoints, c.endpoints);
        assert_eq!(back.gateway_port, 9941);
        assert_eq!(back.certnames, c.certnames);
        assert_eq!(back.extra["stomp_user"], "u");
        assert_eq!(back.post_init_sleep, c.post_init_sleep);
    }

    #[test]
    fn subscribers_skip_relay_inbound() {
        let c = from(
            json!({"endpoints": {"relay_inbound": ["tcp://h:2"], "b": ["tcp://h:3", "tcp://h:4"]}}),
            "f.py",
        )
        .unwrap();
        assert_eq!(
            c.subscribe_endpoints(),
            [
                ("b".to_owned(), "tcp://h:3".to_owned()),
                ("b".to_owned(), "tcp://h:4".to_owned())
            ]
        );
    }
}
