//! The AMQP transport (feature `amqp`, on by default): Fedora's bus on RabbitMQ, as Python's
//! fedora-messaging 3.9.1 runs it.
//!
//! Messages go to the exchange `amq.topic` with the topic as routing key, each with the headers
//! the [model](crate::headers) gives it. Here is everything that knows about the broker:
//!
//! | module | what it holds |
//! |---|---|
//! | [`config`] | the `config.toml` Python services already have, with Python's keys, defaults and errors |
//! | [`connection`] | connecting as the config says: pika-style URL, TLS, SASL EXTERNAL |
//! | [`publish`] | [`Publisher`]: publishing with publisher confirms, pipelined, reconnecting |
//! | `confirm` | what the broker's confirm of one publish means (sent, returned, nacked, not confirming) |
//! | [`consume`] | [`Consumer`]: Python's callback table mapped to ack / nack / reject / halt |
//! | [`delivery`] | a delivery's properties and body → an [`Envelope`](crate::Envelope) (Python's `get_message`) |
//! | [`monitor`] | the `[monitoring]` HTTP server: `/live`, `/ready` as Python, `/metrics` for Prometheus |
//! | [`wire`] | JSON headers ↔ AMQP field tables, with pika's encodings |
//! | [`testing`] | checking what code publishes without a broker (Python's `mock_sends`) |

pub mod config;
mod confirm;
pub mod connection;
pub mod consume;
pub mod delivery;
pub mod monitor;
pub mod publish;
pub mod testing;
pub mod wire;

pub use config::Config;
pub use consume::Consumer;
pub use publish::Publisher;
