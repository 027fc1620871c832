//! Message signatures as fedmsg makes and checks them (`fedmsg.crypto`, its `x509_ng` backend).
//!
//! A signed envelope has `crypto: "x509"`, `signature` (RSA PKCS#1 v1.5 over SHA-1 of the canonical
//! JSON of the envelope without `signature` and `certificate`) and `certificate` (the signer's PEM),
//! both base64 with a newline every 76 characters and one at the end. The decisions here (which
//! certificate signs, which backend a message uses, whether its signer may send on its topic) are
//! pure functions; the cryptography itself is in the module `x509` (feature `x509`, OpenSSL: the library
//! Python's `cryptography` and pyOpenSSL use).

#[cfg(feature = "x509")]
mod fetch;
mod policy;
#[cfg(feature = "x509")]
pub mod x509;

pub use policy::{
    backend_of, certificate_name, routing_allows, unwrap_base64_lines, wrap_base64_lines, Backend,
};

/// Why a message could not be signed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// `certnames` has no entry for the certificate index fedmsg would use.
    #[error("no certificate for {index:?}: `certnames` has no such key (it has: {known})")]
    NoCertName {
        /// `<cert_prefix>.<short host>`, or the publisher's name.
        index: String,
        /// The keys `certnames` has.
        known: String,
    },
    /// The key or certificate file could not be read or parsed.
    #[error("{}: {problem}", path.display())]
    File {
        /// The file.
        path: std::path::PathBuf,
        /// What went wrong.
        problem: String,
        /// The underlying error.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// The crypto library failed.
    #[error("signing failed: {0}")]
    Crypto(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Why a message failed validation. Every case is a reason a consumer can act on; none is a panic,
/// whatever the fields hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValidationError {
    /// No `crypto`, `certificate` or `signature`: the message is not signed.
    #[error("the message is not signed")]
    Unsigned,
    /// `crypto` names a backend fedmsg does not have.
    #[error("unknown crypto backend {0:?}")]
    UnknownBackend(String),
    /// The backend is not in `crypto_validate_backends`.
    #[error("crypto backend {0:?} is not allowed (crypto_validate_backends)")]
    BackendNotAllowed(String),
    /// `signature` or `certificate` is missing, not a string, or not base64.
    #[error("the {field} field is malformed: {problem}")]
    Malformed {
        /// `signature` or `certificate`.
        field: &'static str,
        /// What is wrong with it.
        problem: String,
    },
    /// The certificate does not chain to the CA (`ca_cert_location`), or is expired.
    #[error("the certificate of {subject:?} is not trusted: {reason}")]
    Untrusted {
        /// The certificate's subject.
        subject: String,
        /// OpenSSL's verdict.
        reason: String,
    },
    /// The certificate is revoked in the CRL (`crl_location`).
    #[error("the certificate of {subject:?} is revoked (serial {serial})")]
    Revoked {
        /// The certificate's subject.
        subject: String,
        /// Its serial number, hex.
        serial: String,
    },
    /// The signature does not match the message (changed in transit, or signed by another key).
    #[error("bad signature: the message does not match the signature of {subject:?}")]
    BadSignature {
        /// The certificate's subject.
        subject: String,
    },
    /// `routing_policy` does not allow this certificate to send on this topic.
    #[error("{signer:?} may not send on {topic:?} (routing_policy{})", if *.nitpicky { ", routing_nitpicky" } else { "" })]
    NotAllowed {
        /// The topic.
        topic: String,
        /// The certificate's common name.
        signer: String,
        /// Whether it failed only because the topic has no policy and `routing_nitpicky` is on.
        nitpicky: bool,
    },
    /// The CA certificate or CRL could not be loaded.
    #[error("cannot load {what} from {location}: {problem}")]
    TrustStore {
        /// `CA certificate` or `CRL`.
        what: &'static str,
        /// Where from.
        location: String,
        /// What went wrong.
        problem: String,
    },
    /// The backend is known but not built here (`gpg`).
    #[error("crypto backend {0:?} is not supported by this build")]
    Unsupported(String),
}
