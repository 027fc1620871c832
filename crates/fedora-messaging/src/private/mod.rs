//! Support for generated code. Everything here is called by code that `#[derive(Message)]` or
//! `fedora-messaging-build` writes, never by hand, and may change in any release.

pub mod derive;
pub mod generated;

pub use derive::{body_schema_for, collect};
// The flat body model (issue #22): here, for the benchmarks, until the envelope uses it.
#[path = "../tape/mod.rs"]
pub mod tape;
pub use serde;
pub use serde_json;
