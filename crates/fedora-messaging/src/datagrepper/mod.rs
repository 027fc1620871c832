//! A client of datagrepper, the HTTP API of Fedora's archive of every message on the bus
//! (datanommer): look a message up by id, search by time window, topic, category, user and
//! package, and page through the results as an async [`Stream`](futures_util::Stream).
//!
//! It is what `fedora-messaging replay` and `reconsume` use. It knows no broker: messages come
//! back as [`Envelope`](crate::Envelope)s, which a transport may publish again.
//!
//! Requests ask for JSON, follow redirects, take at most the client's timeout (5 s by default,
//! as Python's `replay`) and are tried again after a server error (5xx), 429, a timeout or a
//! failed connection, with doubling pauses. Every [`Error`] names the URL it happened on.
//!
//! # Choice of HTTP client
//! hyper's client (hyper-util) with hyper-rustls, rather than reqwest: hyper and rustls with the
//! ring provider and the system trust store are already built for the monitoring server and for
//! AMQP over TLS, so this adds two small crates, where reqwest 0.13 would add some twenty and, by
//! default, a second crypto provider (aws-lc-rs, a C and assembly build). What reqwest would
//! give beyond that (cookies, compression, proxies from the environment, multipart) this client
//! does not need; redirects and a whole-request timeout are a few lines here.

mod client;
mod error;
mod http;
mod retry;
mod search;
mod stream;

pub use client::{Client, ClientBuilder, DEFAULT_RETRIES, DEFAULT_TIMEOUT};
pub use error::Error;
pub use search::{Page, Search, MAX_ROWS_PER_PAGE};
pub use stream::{Progress, SearchStream};

/// Fedora's datagrepper, the default of Python's `--datagrepper-url`.
pub const DEFAULT_URL: &str = "https://apps.fedoraproject.org/datagrepper";
