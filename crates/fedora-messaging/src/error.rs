//! [`Error`]: every error of the message model in one type, for callers that do not tell them
//! apart. The transports have their own (`amqp::publish::PublishError`,
//! `amqp::consume::ConsumeError`, `amqp::config::ConfigError`, …), which name the broker's part.

use crate::envelope::{BuildError, DecodeError};
use crate::headers::HeaderError;
use crate::lines::LoadError;
use crate::registry::RegistryError;
use crate::schema::{SchemaError, ValidationError};
use crate::severity::InvalidSeverity;
use crate::topic::TopicError;

/// Any error of the message model. Each module's functions return their own precise error; this
/// one takes all of them through `?`.
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
    /// See [`LoadError`].
    #[error(transparent)]
    Load(#[from] LoadError),
    /// See [`RegistryError`].
    #[error(transparent)]
    Registry(#[from] RegistryError),
}
