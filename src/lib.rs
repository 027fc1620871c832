//! The project's own schema repo (`schemas/`), embedded by the root `build.rs`, used by the
//! integration tests under `tests/` and by the demo.

include!(concat!(env!("OUT_DIR"), "/schemas.rs"));

/// The schema file at `path` (relative to `schemas/`), if there is one.
pub fn schema_file(path: &str) -> Option<serde_json::Value> {
    SCHEMA_FILES
        .iter()
        .find(|(p, _)| *p == path)
        .and_then(|(_, text)| serde_json::from_str(text).ok())
}

/// The README's Rust examples, compiled and run as doc tests so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
