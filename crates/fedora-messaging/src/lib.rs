//! Wire-compatible Rust implementation of the Fedora message bus contract.
//!
//! Applications on the Fedora bus publish JSON messages to RabbitMQ (exchange `amq.topic`, routing
//! key = topic), each carrying a `fedora_messaging_schema` header naming the schema its body follows.
//! This crate builds and reads those messages exactly as Python
//! [fedora-messaging](https://fedora-messaging.readthedocs.io) 3.9.1 does, so a message published by
//! one is consumed by the other with nothing lost.
//!
//! The message model, which knows no broker:
//!
//! - [`Message`]: a typed message; `#[derive(Message)]` implements it from a serde + schemars struct.
//! - [`Envelope`]: any message on the bus, untyped: topic, headers, body, id and priority.
//! - [`Registry`]: schema name → type, so an envelope becomes the right typed message.
//! - [`schema`]: validation, honouring each schema's draft, `format` not asserted (as Python).
//! - [`lines`]: the `record`/`publish` line format (`dumps`/`loads`).
//! - [`headers`], [`topic`], [`Severity`]: the pieces of the wire contract.
//! - [`snapshot`]: a message type's whole contract as one text, for snapshot tests.
//!
//! and the transports on top of it, each behind a feature:
//!
//! - `amqp` (the module `amqp`): the `config.toml` Python services already have, publishing with
//!   publisher confirms (`amqp::publish::Publisher`), consuming with Python's ack semantics
//!   (`amqp::consume::Consumer`), both on RabbitMQ through lapin and reconnecting by themselves,
//!   and `amqp::testing` to check what code publishes without a broker (Python's `mock_sends`).
//!
//! # Features
//!
//! | feature | default | what it brings |
//! |---|---|---|
//! | `derive` | yes | `#[derive(Message)]` |
//! | `amqp` | yes | the `amqp` module: config, publisher, consumer (lapin, tokio, toml) |
//!
//! A crate that only holds message types (generated bindings, derived types) needs the model
//! alone:
//!
//! ```toml
//! fedora-messaging = { version = "0.1", default-features = false, features = ["derive"] }
//! ```
//!
//! # Defining a message
//!
//! ```
//! use fedora_messaging::{Envelope, Message, Severity};
//! use schemars::JsonSchema;
//! use serde::{Deserialize, Serialize};
//!
//! /// A build finished.
//! #[derive(Debug, Serialize, Deserialize, JsonSchema, Message)]
//! #[message(
//!     schema = "demo.build.completeV1",
//!     topic = "demo.build.complete.v1",
//!     package = "demo-messages",
//!     severity = "warning",
//!     summary = "{owner}'s build of {package} {status}",
//! )]
//! struct BuildComplete {
//!     #[message(agent, usernames)]
//!     owner: String,
//!     #[message(packages)]
//!     package: String,
//!     status: String,
//! }
//!
//! let msg = BuildComplete { owner: "alice".into(), package: "python-requests".into(), status: "failed".into() };
//! assert_eq!(msg.summary(), "alice's build of python-requests failed");
//! assert_eq!(msg.severity(), Severity::Warning);
//!
//! let env = Envelope::from_message(&msg).unwrap();
//! assert_eq!(env.schema_name(), Some("demo.build.completeV1"));
//! assert_eq!(env.schema_package(), Some("demo_messages"));
//! assert_eq!(env.headers["fedora_messaging_user_alice"], true);
//! assert_eq!(env.headers["fedora_messaging_rpm_python-requests"], true);
//! env.validate_as::<BuildComplete>().unwrap();
//! let back: BuildComplete = env.decode().unwrap();
//! assert_eq!(back.package, "python-requests");
//! ```
//!
//! # `#[derive(Message)]` attributes
//!
//! On the type, `#[message(...)]` takes:
//!
//! | key | meaning |
//! |---|---|
//! | `schema = "..."` | **required**: the `fedora_messaging_schema` name, unique on the bus, starting with the app name |
//! | `topic = "..."` | **required**: the topic (dot-separated words) |
//! | `package = "..."` | the distribution providing the schema; normalized as Python does (`demo-messages` → `demo_messages`) |
//! | `severity = "..."` | `debug`, `info` (default), `warning`, `error`, or 10/20/30/40 |
//! | `deprecated` | receiving one logs a deprecation warning |
//! | `summary = "..."` | a template: `{field}` is replaced by the field's `Display` |
//! | `url = "..."` | a template, as `summary` |
//! | `app_name = "..."`, `app_icon = "..."` | fixed strings |
//! | `crate = "path"` | where `fedora_messaging` is, when re-exported |
//!
//! On a field: `agent` (its first value is `agent_name`), and `usernames`, `groups`, `packages`,
//! `containers`, `modules`, `flatpaks` (its values join that accessor and its filter headers). A
//! field works with any type that implements [`AccessorValues`]: strings, `Option`, `Vec`, sets.
//!
//! The body schema comes from `schemars` (draft-07, the draft every tool on both sides reads); the
//! body goes through serde, so serde attributes apply as usual.
#![warn(missing_docs)]

pub mod accessor;
#[cfg(feature = "amqp")]
#[cfg_attr(docsrs, doc(cfg(feature = "amqp")))]
pub mod amqp;
mod body;
#[cfg(feature = "datagrepper")]
#[cfg_attr(docsrs, doc(cfg(feature = "datagrepper")))]
pub mod datagrepper;
pub mod envelope;
pub mod error;
pub mod headers;
mod integer;
pub mod lines;
pub mod message;
pub mod pyjson;
pub mod registry;
pub mod schema;
pub mod severity;
pub mod snapshot;
pub mod topic;
mod with_topic;

pub use body::Body;
pub use envelope::{BuildError, DecodeError, Envelope, EnvelopeBuilder};
pub use error::Error;
pub use headers::Headers;
pub use integer::Integer;
pub use message::{AccessorValues, BaseMessage, DynMessage, Message};
pub use registry::{Decoded, Registry, RegistryError, TopicType};
pub use schema::{SchemaError, ValidationError};
pub use severity::Severity;
pub use with_topic::WithTopic;

#[cfg(feature = "derive")]
pub use fedora_messaging_derive::Message;

/// Re-exported so applications and generated code need no direct dependency.
pub use schemars;
/// Re-exported so generated code needs no direct dependency.
pub use serde;
/// Re-exported so applications and generated code need no direct dependency.
pub use serde_json;

/// Includes the bindings that `fedora_messaging_build::Builder::compile` wrote into `OUT_DIR`
/// (as `tonic::include_proto!` does): every message type of the schema repo, in one module per
/// application, and the `AnyMessage` enum.
#[macro_export]
macro_rules! include_messages {
    () => {
        include!(concat!(env!("OUT_DIR"), "/fedora_messages.rs"));
    };
}

/// Support for code generated by `#[derive(Message)]` and `fedora-messaging-build`; not a public
/// API: it may change in any release.
#[doc(hidden)]
#[path = "private/mod.rs"]
pub mod __private;
