//! The decisions around a signature, as pure functions: which certificate signs, which backend
//! checks, whether the signer may send on the topic, and fedmsg's base64 layout.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{SignError, ValidationError};
use crate::{Config, Envelope};

/// A crypto backend fedmsg knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// X.509 certificates, RSA PKCS#1 v1.5 + SHA-1 (`x509`).
    X509,
    /// Detached GnuPG signatures of `msg` (`gpg`).
    Gpg,
}

impl Backend {
    /// Its name in `crypto` and `crypto_validate_backends`.
    pub fn name(self) -> &'static str {
        match self {
            Self::X509 => "x509",
            Self::Gpg => "gpg",
        }
    }
}

/// The key of `certnames` fedmsg signs with, and the certificate name found there: with
/// `cert_prefix`, `<cert_prefix>.<short host>`; otherwise the publisher's `name`, except that
/// `relay_inbound` (every active publisher, such as the logger) is `shell.<short host>`.
///
/// ```
/// use fedmsg::crypto::certificate_name;
///
/// let mut config = fedmsg::Config::from_toml(r#"
/// [certnames]
/// "shell.app01" = "shell-app01"
/// "bodhi.app01" = "bodhi-app01"
/// "#).unwrap();
/// assert_eq!(certificate_name(&config, Some("bodhi.app01"), "app01").unwrap(), "bodhi-app01");
/// assert_eq!(certificate_name(&config, Some("relay_inbound"), "app01").unwrap(), "shell-app01");
/// config.cert_prefix = Some("shell".into());
/// assert_eq!(certificate_name(&config, Some("bodhi.app01"), "app01").unwrap(), "shell-app01");
/// ```
pub fn certificate_name(
    config: &Config,
    name: Option<&str>,
    short_host: &str,
) -> Result<String, SignError> {
    let index = match (&config.cert_prefix, name) {
        (Some(prefix), _) => format!("{prefix}.{short_host}"),
        (None, Some("relay_inbound")) => format!("shell.{short_host}"),
        (None, Some(name)) => name.to_owned(),
        (None, None) => String::new(),
    };
    config
        .certnames
        .get(&index)
        .cloned()
        .ok_or_else(|| SignError::NoCertName {
            index,
            known: config
                .certnames
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// Which backend validates `envelope`: its `crypto`, or for messages older than that field, x509
/// when it has a `certificate` and gpg when it has only a `signature`.
pub fn backend_of(envelope: &Envelope) -> Result<Backend, ValidationError> {
    match envelope.extra.get("crypto") {
        Some(Value::String(s)) if s == "x509" => Ok(Backend::X509),
        Some(Value::String(s)) if s == "gpg" => Ok(Backend::Gpg),
        Some(other) => Err(ValidationError::UnknownBackend(match other {
            Value::String(s) => s.clone(),
            v => v.to_string(),
        })),
        None if envelope.extra.contains_key("certificate") => Ok(Backend::X509),
        None if envelope.extra.contains_key("signature") => Ok(Backend::Gpg),
        None => Err(ValidationError::Unsigned),
    }
}

/// fedmsg's `validate_policy`: a topic listed in `routing_policy` may be sent only by the common
/// names listed for it; an unlisted topic passes unless `nitpicky`.
pub fn routing_allows(
    policy: &BTreeMap<String, Vec<String>>,
    nitpicky: bool,
    topic: &str,
    signer: &str,
) -> Result<(), ValidationError> {
    let denied = |nitpicky| ValidationError::NotAllowed {
        topic: topic.to_owned(),
        signer: signer.to_owned(),
        nitpicky,
    };
    match policy.get(topic) {
        Some(allowed) if allowed.iter().any(|a| a == signer) => Ok(()),
        Some(_) => Err(denied(false)),
        None if nitpicky => Err(denied(true)),
        None => Ok(()),
    }
}

/// Base64 as fedmsg writes `signature` and `certificate` (for M2Crypto's sake): a newline after
/// every 76 characters and at the end.
pub fn wrap_base64_lines(b64: &str) -> String {
    let mut out = String::with_capacity(b64.len() + b64.len() / 76 + 1);
    for (n, chunk) in b64.as_bytes().chunks(76).enumerate() {
        if n > 0 {
            out.push('\n');
        }
        // Base64 is ASCII: every chunk boundary is a char boundary.
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
    }
    out.push('\n');
    out
}

/// The base64 text of a wrapped field, whitespace removed (Python's `b64decode` ignores newlines).
pub fn unwrap_base64_lines(wrapped: &str) -> String {
    wrapped
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn base64_is_wrapped_at_76_with_a_final_newline() {
        let b64 = "A".repeat(160);
        let w = wrap_base64_lines(&b64);
        let lines: Vec<&str> = w.split('\n').collect();
        assert_eq!(
            lines.iter().map(|l| l.len()).collect::<Vec<_>>(),
            [76, 76, 8, 0]
        );
        assert_eq!(unwrap_base64_lines(&w), b64);
        assert_eq!(wrap_base64_lines("QQ=="), "QQ==\n");
    }

    #[test]
    fn backend_follows_crypto_then_the_fields() {
        let env = |v| Envelope::from_value(v).unwrap();
        assert_eq!(
            backend_of(&env(json!({"topic": "t", "msg": 1, "crypto": "x509"}))),
            Ok(Backend::X509)
        );
        assert_eq!(
            backend_of(&env(json!({"topic": "t", "msg": 1, "certificate": "x"}))),
            Ok(Backend::X509)
        );
        assert_eq!(
            backend_of(&env(json!({"topic": "t", "msg": 1, "signature": "x"}))),
            Ok(Backend::Gpg)
        );
        assert_eq!(
            backend_of(&env(json!({"topic": "t", "msg": 1}))),
            Err(ValidationError::Unsigned)
        );
        assert_eq!(
            backend_of(&env(json!({"topic": "t", "msg": 1, "crypto": 3}))),
            Err(ValidationError::UnknownBackend("3".into()))
        );
    }

    #[test]
    fn routing_policy_as_fedmsg() {
        let mut p = BTreeMap::new();
        p.insert("a.b".to_owned(), vec!["bodhi-app01".to_owned()]);
        assert!(routing_allows(&p, false, "a.b", "bodhi-app01").is_ok());
        assert!(matches!(
            routing_allows(&p, false, "a.b", "rogue"),
            Err(ValidationError::NotAllowed {
                nitpicky: false,
                ..
            })
        ));
        assert!(routing_allows(&p, false, "x.y", "rogue").is_ok());
        assert!(matches!(
            routing_allows(&p, true, "x.y", "rogue"),
            Err(ValidationError::NotAllowed { nitpicky: true, .. })
        ));
    }

    #[test]
    fn a_missing_certname_lists_the_known_ones() {
        let config = Config::from_toml("[certnames]\n\"a.h\" = \"a\"\n").unwrap();
        let err = certificate_name(&config, Some("b.h"), "h").unwrap_err();
        assert_eq!(
            err.to_string(),
            "no certificate for \"b.h\": `certnames` has no such key (it has: a.h)"
        );
    }
}
