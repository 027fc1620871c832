//! Errors that name the file and the JSON pointer where a schema repo went wrong.

use std::path::PathBuf;

/// Something in the schema repo that the generator cannot turn into correct code.
///
/// It always names the file and, inside it, the JSON pointer (`""` is the whole document), so
/// `Display` reads like `schemas/bodhi/update.json#/properties/user/$ref: …`.
#[derive(Debug, thiserror::Error)]
#[error("{}#{pointer}: {kind}", file.display())]
pub struct Error {
    /// The file at fault (a schema or a `messages.toml`).
    pub file: PathBuf,
    /// The JSON pointer inside it (for `messages.toml`: a pointer into its TOML tables).
    pub pointer: String,
    /// What is wrong.
    pub kind: ErrorKind,
}

impl Error {
    pub(crate) fn new(
        file: impl Into<PathBuf>,
        pointer: impl Into<String>,
        kind: ErrorKind,
    ) -> Self {
        Self {
            file: file.into(),
            pointer: pointer.into(),
            kind,
        }
    }
}

/// What went wrong; see [`Error`] for where.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A file or folder could not be read or written.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// A schema file is not JSON.
    #[error("not valid JSON: {0}")]
    Json(serde_json::Error),
    /// A `messages.toml` is not valid TOML or does not have the expected shape.
    #[error("invalid manifest: {0}")]
    Manifest(String),
    /// A required manifest key is missing.
    #[error("missing `{0}`")]
    Missing(&'static str),
    /// A `$ref` points at nothing in its document, or outside it.
    #[error("unresolvable $ref {0:?}: {1}")]
    UnresolvableRef(String, crate::refs::RefError),
    /// Two messages declare the same `fedora_messaging_schema` name.
    #[error("schema name {name:?} is already used by {other}")]
    DuplicateSchemaName {
        /// The name used twice.
        name: String,
        /// Where it was first declared.
        other: String,
    },
    /// Two messages of one application would get the same Rust type name.
    #[error(
        "Rust type name {name:?} is already used by schema {other:?}; set `type` in messages.toml"
    )]
    DuplicateTypeName {
        /// The type name.
        name: String,
        /// The schema that has it.
        other: String,
    },
    /// A manifest value is not acceptable (a bad severity, topic or type name).
    #[error("{0}")]
    Invalid(String),
    /// The schema is a JSON value that is not a schema (e.g. a number).
    #[error("not a JSON Schema: expected an object or a boolean, found {0}")]
    NotASchema(&'static str),
}
