//! The configuration written back as TOML: the Python-free form of a `fedmsg.d/`.

use std::time::Duration;

use super::{load, Config};

impl Config {
    /// The merged keys as TOML, every key fedmsg reads with its value (defaults included), for
    /// moving a `fedmsg.d/` of Python files to the Python-free form.
    pub fn to_toml(&self) -> String {
        let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        let mut t = toml::Table::new();
        let mut put = |k: &str, v: toml::Value| {
            t.insert(k.to_owned(), v);
        };
        let strs = |v: &[String]| toml::Value::Array(v.iter().map(|s| s.clone().into()).collect());
        let int = |n: i64| toml::Value::Integer(n);
        put("topic_prefix", self.topic_prefix.clone().into());
        put("environment", self.environment.clone().into());
        put(
            "endpoints",
            toml::Value::Table(
                self.endpoints
                    .iter()
                    .map(|(k, v)| (k.clone(), strs(v)))
                    .collect(),
            ),
        );
        put("relay_inbound", strs(&self.relay_inbound));
        put("active", self.active.into());
        if let Some(n) = &self.name {
            put("name", n.clone().into());
        }
        put("high_water_mark", int(self.high_water_mark.into()));
        put(
            "zmq_linger",
            int(ms(self.zmq_linger).try_into().unwrap_or(i64::MAX)),
        );
        put("post_init_sleep", self.post_init_sleep.as_secs_f64().into());
        put("zmq_enabled", self.zmq_enabled.into());
        put("zmq_tcp_keepalive", int(self.zmq_tcp_keepalive.into()));
        put(
            "zmq_tcp_keepalive_cnt",
            int(self.zmq_tcp_keepalive_cnt.into()),
        );
        put(
            "zmq_tcp_keepalive_idle",
            int(self.zmq_tcp_keepalive_idle.into()),
        );
        put(
            "zmq_tcp_keepalive_intvl",
            int(self.zmq_tcp_keepalive_intvl.into()),
        );
        put(
            "zmq_reconnect_ivl",
            int(ms(self.zmq_reconnect_ivl).try_into().unwrap_or(i64::MAX)),
        );
        put(
            "zmq_reconnect_ivl_max",
            int(ms(self.zmq_reconnect_ivl_max)
                .try_into()
                .unwrap_or(i64::MAX)),
        );
        put("sign_messages", self.sign_messages.into());
        put("validate_signatures", self.validate_signatures.into());
        put("crypto_backend", self.crypto_backend.clone().into());
        put(
            "crypto_validate_backends",
            strs(&self.crypto_validate_backends),
        );
        put("ssldir", self.ssldir.display().to_string().into());
        put("ca_cert_location", self.ca_cert_location.clone().into());
        if let Some(c) = &self.crl_location {
            put("crl_location", c.clone().into());
        }
        put(
            "crl_cache_expiry",
            self.crl_cache_expiry.as_secs_f64().into(),
        );
        put(
            "ca_cert_cache_expiry",
            self.ca_cert_cache_expiry.as_secs_f64().into(),
        );
        put(
            "certnames",
            toml::Value::Table(
                self.certnames
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone().into()))
                    .collect(),
            ),
        );
        if let Some(p) = &self.cert_prefix {
            put("cert_prefix", p.clone().into());
        }
        put(
            "routing_policy",
            toml::Value::Table(
                self.routing_policy
                    .iter()
                    .map(|(k, v)| (k.clone(), strs(v)))
                    .collect(),
            ),
        );
        put("routing_nitpicky", self.routing_nitpicky.into());
        put(
            "fedmsg.consumers.gateway.port",
            int(self.gateway_port.into()),
        );
        put(
            "fedmsg.consumers.gateway.high_water_mark",
            int(self.gateway_high_water_mark.into()),
        );
        for (k, v) in &self.extra {
            // TOML has no null: a key set to None in Python is left out.
            if let Some(v) = load::json_to_toml(v) {
                put(k, v);
            }
        }
        toml::to_string_pretty(&t).unwrap_or_default()
    }
}
