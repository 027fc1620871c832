//! A browsable catalog and an AsyncAPI 3.0 document of a fedora-messaging schema repo (the
//! layout `fedora-messaging-build` reads: one folder per application, its JSON Schemas and a
//! `messages.toml`).
//!
//! - [`catalog`] makes a static site: an index of every message with a filter box, and one page
//!   per message with its topic, headers, field table, a valid example body, the Rust type, the
//!   schema's history in git with the compat checker's verdicts, and the raw JSON Schema. Plain
//!   files: open `index.html` from disk or serve the folder.
//! - [`asyncapi`] makes the AsyncAPI document the wider tooling reads (viewers, diff, code
//!   generators), as JSON; [`to_yaml`] writes it as YAML.
//!
//! Both are what `fedora-messaging catalog` and `fedora-messaging asyncapi` run, and can be called
//! from a `build.rs` or a docs pipeline:
//!
//! ```no_run
//! use fedora_messaging_build::Repo;
//! use fedora_messaging_catalog::{asyncapi, catalog, to_yaml, AsyncApiOptions, CatalogOptions};
//!
//! let repo = Repo::load("schemas").unwrap();
//! catalog(&repo, &CatalogOptions::default()).write_to("target/catalog".as_ref()).unwrap();
//! std::fs::write("asyncapi.yaml", to_yaml(&asyncapi(&repo, &AsyncApiOptions::default()))).unwrap();
//! ```

mod asyncapi;
mod example;
mod history;
mod schema_walk;
mod site;
mod yaml;

use fedora_messaging::Severity;
use fedora_messaging_build::repo::{self, MessageSpec};
use serde_json::Value;

pub use asyncapi::{asyncapi, AsyncApiOptions};
pub use example::{example, Source as ExampleSource};
pub use history::Version;
pub use schema_walk::Field;
pub use site::{catalog, CatalogOptions, Site};
pub use yaml::to_yaml;

/// The runtime's severity for the manifest's.
pub(crate) fn severity_of(s: repo::Severity) -> Severity {
    match s {
        repo::Severity::Debug => Severity::Debug,
        repo::Severity::Info => Severity::Info,
        repo::Severity::Warning => Severity::Warning,
        repo::Severity::Error => Severity::Error,
    }
}

/// One line about a message: the schema's `title`, else the first line of its `description`.
pub(crate) fn summary_of(m: &MessageSpec) -> Option<String> {
    let text = |k| m.schema.get(k).and_then(Value::as_str).map(str::trim);
    text("title")
        .filter(|t| !t.is_empty())
        .or_else(|| text("description").and_then(|d| d.lines().next()))
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}
