//! The ZeroMQ transport (feature `zeromq`): fedmsg's PUB/SUB wire, two frames per message (the
//! topic, then the canonical JSON envelope), spoken with libzmq 4.3 as Python's pyzmq does.
//!
//! - [`Publisher`]: bind `endpoints[name]` or connect to the relay; waits for subscribers
//!   instead of sleeping; counts what it could not send.
//! - [`Subscriber`]: every endpoint as one async stream; reconnects with backoff; counts and
//!   logs malformed messages.
//! - [`Forwarder`]: the relay and the gateway.

mod forward;
mod options;
mod publisher;
mod raw_option;
mod subscriber;

pub use crate::identity::os_username;
pub use forward::{ForwardStats, Forwarder};
pub use options::{SocketOptions, DEFAULT_HIGH_WATER_MARK};
pub use publisher::{PublishError, Publisher, PublisherStats, Settle};
pub use subscriber::{Received, Subscriber, SubscriberBuilder, SubscriberStats};
