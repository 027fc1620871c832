//! fedmsg over STOMP (feature `stomp`): what moksha-based fedmsg hubs do with
//! `zmq_enabled = False`, with a broker (RabbitMQ's STOMP plugin, ActiveMQ) in place of ZeroMQ.
//!
//! - [`StompPublisher`]: `SEND` with `destination:<topic>` and the canonical JSON envelope, each
//!   confirmed by a RECEIPT; failover across `stomp_uri`.
//! - [`StompSubscriber`]: `SUBSCRIBE` per topic prefix (or `stomp_queue`), envelopes as a stream,
//!   reconnecting with moksha's backoff, heart-beats both ways.
//! - [`StompSettings`]: the keys, and RabbitMQ's rules: the `host` header is the virtual host
//!   (`/` here), and a destination without `/topic/` is a queue (one consumer gets each message),
//!   so topics are sent to `/topic/<topic>` unless `stomp_topic_prefix` says otherwise.

mod connection;
pub mod frame;
mod publisher;
mod settings;
mod subscriber;

pub use connection::StompError;
pub use publisher::StompPublisher;
pub use settings::StompSettings;
pub use subscriber::{Delivery, StompStats, StompSubscriber, StompSubscriberBuilder};
