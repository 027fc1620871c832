//! Support for generated code. Everything here is called by code that `#[derive(Message)]` or
//! `fedora-messaging-build` writes, never by hand, and may change in any release.

pub mod derive;
pub mod generated;

pub use derive::{body_schema_for, collect};
// The tokens a `Body` holds: here (not a public API) for the benchmarks that compare the two
// body models.
#[path = "../tape/mod.rs"]
pub mod tape;
pub use serde;
pub use serde_json;
