//! [`Error`]: every error of this crate in one type, for callers that do not tell them apart.

use crate::envelope::{BuildError, DecodeError, ReceiveError};
use crate::headers::HeaderError;
use crate::lines::LoadError;
use crate::registry::RegistryError;
use crate::schema::{SchemaError, ValidationError};
use crate::severity::InvalidSeverity;
use crate::topic::TopicError;

/// Any error of this crate. Each module's functions return their own precise error; this one takes
/// all of them through `?`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// See [`TopicError`].
    #[error(transparent)]
    Topic(#[from] TopicError),
    /// See [`HeaderError`].
    #[error(transparent)]
    Header(#[from] HeaderError),
    /// See [`InvalidSeverity`].
    #[error(transparent)]
    Severity(#[from] InvalidSeverity),
    /// See [`ValidationError`].
    #[error(transparent)]
    Validation(#[from] ValidationError),
    /// See [`SchemaError`].
    #[error(transparent)]
    Schema(#[from] SchemaError),
    /// See [`BuildError`].
    #[error(transparent)]
    Build(#[from] BuildError),
    /// See [`DecodeError`].
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// See [`ReceiveError`].
    #[error(transparent)]
    Receive(#[from] ReceiveError),
    /// See [`LoadError`].
    #[error(transparent)]
    Load(#[from] LoadError),
    /// See [`RegistryError`].
    #[error(transparent)]
    Registry(#[from] RegistryError),
}
