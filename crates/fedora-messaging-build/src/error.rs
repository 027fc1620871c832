//! Errors that name the file and the JSON pointer where a schema repo went wrong.

use std::path::PathBuf;

/// Something in the schema repo that the generator cannot turn into correct code.
///
/// It always names the file and, inside it, the JSON pointer (`""` is the whole document), so
/// `Display` reads like `schemas/bodhi/update.json#/properties/user/$ref: …`.
#[derive(Debug, thiserror::Error)]
#[error("{}: {kind}", location(.file, .pointer, .kind))]
pub struct Error {
    /// The file at fault (a schema or a `messages.toml`).
    pub file: PathBuf,
    /// The JSON pointer inside it (for `messages.toml`: a pointer into its TOML tables).
    pub pointer: String,
    /// What is wrong.
    pub kind: ErrorKind,
}

/// `file#pointer`, or just the folder for a list of problems (each names its own place).
fn location(file: &std::path::Path, pointer: &str, kind: &ErrorKind) -> String {
    match kind {
        ErrorKind::Several(_) => file.display().to_string(),
        _ => format!("{}#{pointer}", file.display()),
    }
}

impl Error {
    /// Every single problem: the errors of a [`ErrorKind::Several`], or this one.
    pub fn problems(&self) -> Vec<&Error> {
        match &self.kind {
            ErrorKind::Several(all) => all.iter().flat_map(Error::problems).collect(),
            _ => vec![self],
        }
    }

    /// `errors` as one error: the only one, or all of them under `root`.
    pub(crate) fn collect(root: &std::path::Path, mut errors: Vec<Error>) -> Option<Self> {
        match errors.len() {
            0 => None,
            1 => errors.pop(),
            _ => Some(Self::new(root, "", ErrorKind::Several(errors))),
        }
    }

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
    /// Two messages declare the same `fedora_messaging_schema` name with different schemas (the
    /// same schema under one name twice is one message, as in Python).
    #[error("schema name {name:?} is also declared by {other}, with a different schema")]
    DuplicateSchemaName {
        /// The name used twice.
        name: String,
        /// The other schema file that declares it.
        other: String,
    },
    /// A type name given in `messages.toml` is one generated code uses for itself.
    #[error("type name {0:?} is reserved: generated code refers to its own {0} type by that name; choose another, e.g. {0}Message")]
    ReservedTypeName(String),
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
    /// Several problems, each with its own file and pointer: the repo is checked in full, so one
    /// run reports them all.
    #[error("{} problems:{}", .0.len(), .0.iter().map(|e| format!("\n  {e}")).collect::<String>())]
    Several(Vec<Error>),
    /// The schema is a JSON value that is not a schema (e.g. a number).
    #[error("not a JSON Schema: expected an object or a boolean, found {0}")]
    NotASchema(&'static str),
}
