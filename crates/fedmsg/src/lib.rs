//! fedmsg, the Fedora bus before AMQP, in Rust: wire-compatible with Python fedmsg 1.1.7.
//!
//! The model, which needs no ZeroMQ:
//!
//! - [`Envelope`]: the JSON object every fedmsg message is (`topic`, `msg`, `timestamp`,
//!   `msg_id`, `i`, `username`, and any other key, kept).
//! - [`encoding`]: `fedmsg.encoding.dumps`, byte for byte: the canonical form fedmsg sends and
//!   signs.
//! - [`topic`]: topics as `<topic_prefix>.<environment>.<modname>.<topic>`.
//! - [`Config`]: fedmsg's keys and defaults, read from the `fedmsg.d/` Python files deployments
//!   have, or from TOML ([`config::load`]).
//! - [`decode`]: a generated or derived message type chosen by topic.
//! - [`crypto`]: x509 signatures as fedmsg makes and checks them (the OpenSSL part behind the
//!   default feature `x509`).
//!
//! The transport, behind the default feature `zeromq`: the module `zeromq` (publisher, subscriber, relay,
//! gateway). Behind the default feature `stomp`: fedmsg over a STOMP broker. Behind the feature
//! `bridge`: the module `bridge`, the ZeroMQ ↔ AMQP bridges of fedmsg-migration-tools and their
//! monitor, on fedora-messaging's AMQP runtime.
//!
//! ```
//! use fedmsg::{topic, Envelope};
//! use serde_json::json;
//!
//! let topic = topic::full_topic("org.fedoraproject", "prod", "bodhi", "update.comment");
//! let mut env = Envelope::new(topic, json!({"comment": {"text": "works \u{2713}"}}));
//! env.timestamp = Some(fedmsg::Timestamp::Seconds(1795299630));
//! env.msg_id = Some("2026-a2c55027-ea0a-4fc9-ad32-a3ec6aa592db".into());
//! env.i = Some(1);
//! env.username = Some("root".into());
//! assert_eq!(
//!     env.to_canonical_json(),
//!     r#"{"i":1,"msg":{"comment":{"text":"works \u2713"}},"msg_id":"2026-a2c55027-ea0a-4fc9-ad32-a3ec6aa592db","timestamp":1795299630,"topic":"org.fedoraproject.prod.bodhi.update.comment","username":"root"}"#
//! );
//! ```

#[cfg(feature = "bridge")]
pub mod bridge;
pub mod config;
pub mod crypto;
pub mod decode;
pub mod encoding;
mod envelope;
pub mod identity;
#[cfg(feature = "stomp")]
pub mod stomp;
pub mod topic;
#[cfg(feature = "zeromq")]
pub mod zeromq;

pub use config::{Config, ConfigError, ConfigSource};
pub use envelope::{new_msg_id, Envelope, EnvelopeError, Timestamp};
