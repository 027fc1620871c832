//! x509 signing and validation (feature `x509`), with OpenSSL as Python fedmsg does through
//! `cryptography` and pyOpenSSL.

use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use openssl::base64;
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::stack::Stack;
use openssl::x509::store::X509StoreBuilder;
use openssl::x509::{CrlStatus, X509Crl, X509StoreContext, X509};
use serde_json::Value;

use super::policy::{self, Backend};
use super::{SignError, ValidationError};
use crate::{Config, Envelope};

fn read(path: &Path) -> Result<Vec<u8>, SignError> {
    std::fs::read(path).map_err(|e| SignError::File {
        path: path.to_owned(),
        problem: format!("cannot read it: {e}"),
        source: Some(Box::new(e)),
    })
}

pub use crate::identity::short_hostname;

/// Signs envelopes with one key pair, `<ssldir>/<certname>.key` and `.crt`.
pub struct Signer {
    key: PKey<Private>,
    certificate: String,
    certname: String,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        f.debug_struct("Signer")
            .field("certname", &self.certname)
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// Loads `<ssldir>/<certname>.key` (PEM, unencrypted, as fedmsg) and `<ssldir>/<certname>.crt`.
    pub fn load(ssldir: &Path, certname: &str) -> Result<Self, SignError> {
        let key_path = ssldir.join(format!("{certname}.key"));
        let key = PKey::private_key_from_pem(&read(&key_path)?).map_err(|e| SignError::File {
            path: key_path.clone(),
            problem: "not a PEM private key".into(),
            source: Some(Box::new(e)),
        })?;
        let crt_path = ssldir.join(format!("{certname}.crt"));
        let cert = X509::from_pem(&read(&crt_path)?).map_err(|e| SignError::File {
            path: crt_path.clone(),
            problem: "not a PEM certificate".into(),
            source: Some(Box::new(e)),
        })?;
        let pem = cert.to_pem().map_err(|e| SignError::Crypto(Box::new(e)))?;
        Ok(Self {
            key,
            certificate: policy::wrap_base64_lines(&base64::encode_block(&pem)),
            certname: certname.to_owned(),
        })
    }

    /// The signer `config` names for a publisher called `name` (see
    /// [`certificate_name`](super::certificate_name)), from `ssldir`.
    pub fn from_config(config: &Config, name: Option<&str>) -> Result<Self, SignError> {
        let certname = policy::certificate_name(config, name, &short_hostname())?;
        Self::load(&config.ssldir, &certname)
    }

    /// The certificate name (file name in `ssldir`).
    pub fn certname(&self) -> &str {
        &self.certname
    }

    /// Signs `envelope` as fedmsg's x509 backend: sets `crypto` to `x509`, then adds `signature`
    /// and `certificate` over the canonical JSON of the rest. A signature already there is
    /// replaced (a signing relay re-signs).
    pub fn sign(&self, envelope: &mut Envelope) -> Result<(), SignError> {
        envelope.extra.remove("signature");
        envelope.extra.remove("certificate");
        envelope.extra.insert("crypto".into(), Value::from("x509"));
        let bytes = envelope.to_canonical_json();
        let crypto = |e: openssl::error::ErrorStack| SignError::Crypto(Box::new(e));
        let mut signer =
            openssl::sign::Signer::new(MessageDigest::sha1(), &self.key).map_err(crypto)?;
        signer.update(bytes.as_bytes()).map_err(crypto)?;
        let signature = signer.sign_to_vec().map_err(crypto)?;
        envelope.extra.insert(
            "signature".into(),
            Value::String(policy::wrap_base64_lines(&base64::encode_block(&signature))),
        );
        envelope.extra.insert(
            "certificate".into(),
            Value::String(self.certificate.clone()),
        );
        Ok(())
    }
}

/// The CA and CRL a validator trusts, as loaded, and the certificates found good against them.
struct Trust {
    ca: X509,
    crl: Option<X509Crl>,
    loaded: Instant,
    /// Certificates (by their `certificate` field) that chained to this CA and were not revoked
    /// in this CRL: a sender signs many messages with one certificate, and checking its chain
    /// is most of the cost. Emptied with every reload of the CA and CRL.
    verified: std::sync::Mutex<std::collections::HashMap<String, Arc<Known>>>,
}

/// A certificate whose chain was checked.
struct Known {
    cert: X509,
    key: PKey<openssl::pkey::Public>,
    cn: String,
}

/// Beyond this many distinct certificates the cache starts over (a bus has a few hundred senders).
const MAX_KNOWN: usize = 4096;

/// Checks signatures as `fedmsg.crypto.validate`: backend allowed, certificate chained to the CA
/// and not revoked, signature matching, signer allowed on the topic by `routing_policy`.
///
/// The CA certificate and CRL are files or `http(s)://` URLs, as in fedmsg. They are read again
/// after `crl_cache_expiry`, and once more when a certificate fails against them, as fedmsg does
/// for rotated CAs and fresh CRLs.
pub struct Validator {
    ca_location: String,
    crl_location: Option<String>,
    expiry: Duration,
    backends: Vec<String>,
    routing_policy: std::collections::BTreeMap<String, Vec<String>>,
    nitpicky: bool,
    trust: RwLock<Arc<Trust>>,
}

impl std::fmt::Debug for Validator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Validator")
            .field("ca_location", &self.ca_location)
            .field("crl_location", &self.crl_location)
            .finish_non_exhaustive()
    }
}

fn load_file(what: &'static str, location: &str) -> Result<Vec<u8>, ValidationError> {
    let err = |problem: String| ValidationError::TrustStore {
        what,
        location: location.to_owned(),
        problem,
    };
    if super::fetch::is_url(location) {
        return super::fetch::get(location).map_err(err);
    }
    std::fs::read(location).map_err(|e| err(e.to_string()))
}

fn load_trust(ca_location: &str, crl_location: Option<&str>) -> Result<Trust, ValidationError> {
    let ca = X509::from_pem(&load_file("CA certificate", ca_location)?).map_err(|e| {
        ValidationError::TrustStore {
            what: "CA certificate",
            location: ca_location.to_owned(),
            problem: format!("not a PEM certificate: {e}"),
        }
    })?;
    let crl = match crl_location {
        None => None,
        Some(loc) => {
            let crl = X509Crl::from_pem(&load_file("CRL", loc)?).map_err(|e| {
                ValidationError::TrustStore {
                    what: "CRL",
                    location: loc.to_owned(),
                    problem: format!("not a PEM CRL: {e}"),
                }
            })?;
            let signed_by_ca = ca
                .public_key()
                .and_then(|k| crl.verify(&k))
                .unwrap_or(false);
            if !signed_by_ca {
                return Err(ValidationError::TrustStore {
                    what: "CRL",
                    location: loc.to_owned(),
                    problem: "not signed by the CA".into(),
                });
            }
            Some(crl)
        }
    };
    Ok(Trust {
        ca,
        crl,
        loaded: Instant::now(),
        verified: std::sync::Mutex::new(std::collections::HashMap::new()),
    })
}

fn subject_of(cert: &X509) -> String {
    cert.subject_name()
        .entries()
        .map(|e| {
            let key = e.object().nid().short_name().unwrap_or("?");
            let value = e.data().to_string().unwrap_or_default();
            format!("{key}={value}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn common_name(cert: &X509) -> String {
    cert.subject_name()
        .entries_by_nid(Nid::COMMONNAME)
        .next()
        .and_then(|e| e.data().to_string().ok())
        .unwrap_or_default()
}

fn field<'a>(envelope: &'a Envelope, name: &'static str) -> Result<&'a str, ValidationError> {
    match envelope.extra.get(name) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(ValidationError::Malformed {
            field: name,
            problem: "not a string".into(),
        }),
        None => Err(ValidationError::Malformed {
            field: name,
            problem: "missing".into(),
        }),
    }
}

fn decode_b64(name: &'static str, text: &str) -> Result<Vec<u8>, ValidationError> {
    let clean = policy::unwrap_base64_lines(text);
    if clean.is_empty() {
        return Err(ValidationError::Malformed {
            field: name,
            problem: "empty".into(),
        });
    }
    base64::decode_block(&clean).map_err(|_| ValidationError::Malformed {
        field: name,
        problem: "not base64".into(),
    })
}

impl Validator {
    /// A validator with `config`'s `ca_cert_location`, `crl_location`, `crl_cache_expiry`,
    /// `crypto_validate_backends`, `routing_policy` and `routing_nitpicky`; the CA and CRL are
    /// read now, so a missing or broken one is an error here.
    pub fn from_config(config: &Config) -> Result<Self, ValidationError> {
        let trust = load_trust(&config.ca_cert_location, config.crl_location.as_deref())?;
        Ok(Self {
            ca_location: config.ca_cert_location.clone(),
            crl_location: config.crl_location.clone(),
            expiry: config.crl_cache_expiry,
            backends: config.crypto_validate_backends.clone(),
            routing_policy: config.routing_policy.clone(),
            nitpicky: config.routing_nitpicky,
            trust: RwLock::new(Arc::new(trust)),
        })
    }

    fn reload(&self) -> Result<(), ValidationError> {
        let fresh = load_trust(&self.ca_location, self.crl_location.as_deref())?;
        *self
            .trust
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(fresh);
        Ok(())
    }

    /// Validates `envelope`; on success, the common name of the certificate that signed it.
    pub fn validate(&self, envelope: &Envelope) -> Result<String, ValidationError> {
        let backend = policy::backend_of(envelope)?;
        if !self.backends.iter().any(|b| b == backend.name()) {
            return Err(ValidationError::BackendNotAllowed(
                backend.name().to_owned(),
            ));
        }
        if backend == Backend::Gpg {
            return Err(ValidationError::Unsupported("gpg".into()));
        }
        let signature = decode_b64("signature", field(envelope, "signature")?)?;
        let certificate = field(envelope, "certificate")?;
        let known = self.known(certificate)?;

        let mut stripped = envelope.clone();
        stripped.extra.remove("signature");
        stripped.extra.remove("certificate");
        let bad = || ValidationError::BadSignature {
            subject: subject_of(&known.cert),
        };
        let mut verifier =
            openssl::sign::Verifier::new(MessageDigest::sha1(), &known.key).map_err(|_| bad())?;
        verifier
            .update(stripped.to_canonical_json().as_bytes())
            .map_err(|_| bad())?;
        if !verifier.verify(&signature).unwrap_or(false) {
            return Err(bad());
        }
        policy::routing_allows(
            &self.routing_policy,
            self.nitpicky,
            &envelope.topic,
            &known.cn,
        )?;
        Ok(known.cn.clone())
    }

    /// The certificate of a `certificate` field, its chain checked (or found checked before,
    /// against the same CA and CRL, and not expired since).
    fn known(&self, certificate: &str) -> Result<Arc<Known>, ValidationError> {
        let stale = self
            .trust
            .read()
            .map(|t| !self.expiry.is_zero() && t.loaded.elapsed() > self.expiry)
            .unwrap_or(true);
        if stale {
            self.reload()?;
        }
        let trust = self.snapshot();
        let cached = trust
            .verified
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(certificate)
            .cloned();
        if let Some(k) = cached {
            let now = openssl::asn1::Asn1Time::days_from_now(0).ok();
            if now.is_some_and(|now| k.cert.not_after() > now) {
                return Ok(k);
            }
        }
        let pem = decode_b64("certificate", certificate)?;
        let cert = X509::from_pem(&pem).map_err(|_| ValidationError::Malformed {
            field: "certificate",
            problem: "not a PEM certificate".into(),
        })?;
        if let Err(first) = self.check_chain(&cert) {
            // The CA may have rotated or the CRL been renewed since they were read: once more.
            self.reload()?;
            self.check_chain(&cert).map_err(|_| first)?;
        }
        let key = cert
            .public_key()
            .map_err(|_| ValidationError::BadSignature {
                subject: subject_of(&cert),
            })?;
        let known = Arc::new(Known {
            cn: common_name(&cert),
            key,
            cert,
        });
        let trust = self.snapshot();
        let mut verified = trust
            .verified
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if verified.len() >= MAX_KNOWN {
            verified.clear();
        }
        verified.insert(certificate.to_owned(), known.clone());
        Ok(known)
    }

    /// `fedmsg.crypto.validate_signed_by`: valid, and signed by the certificate named `signer`
    /// (its common name), whatever the routing policy says of the topic.
    pub fn validate_signed_by(
        &self,
        envelope: &Envelope,
        signer: &str,
    ) -> Result<(), ValidationError> {
        let mut only = std::collections::BTreeMap::new();
        only.insert(envelope.topic.clone(), vec![signer.to_owned()]);
        let one = Self {
            ca_location: self.ca_location.clone(),
            crl_location: self.crl_location.clone(),
            expiry: self.expiry,
            backends: self.backends.clone(),
            routing_policy: only,
            nitpicky: true,
            trust: RwLock::new(self.snapshot()),
        };
        one.validate(envelope).map(|_| ())
    }

    fn snapshot(&self) -> Arc<Trust> {
        self.trust
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn check_chain(&self, cert: &X509) -> Result<(), ValidationError> {
        let trust = self.snapshot();
        let untrusted = |reason: String| ValidationError::Untrusted {
            subject: subject_of(cert),
            reason,
        };
        let mut store = X509StoreBuilder::new().map_err(|e| untrusted(e.to_string()))?;
        store
            .add_cert(trust.ca.clone())
            .map_err(|e| untrusted(e.to_string()))?;
        let store = store.build();
        let chain = Stack::new().map_err(|e| untrusted(e.to_string()))?;
        let mut ctx = X509StoreContext::new().map_err(|e| untrusted(e.to_string()))?;
        let verdict = ctx
            .init(&store, cert, &chain, |c| {
                let ok = c.verify_cert()?;
                Ok((ok, c.error().error_string().to_owned()))
            })
            .map_err(|e| untrusted(e.to_string()))?;
        if !verdict.0 {
            return Err(untrusted(verdict.1));
        }
        if let Some(crl) = &trust.crl {
            if let CrlStatus::Revoked(entry) = crl.get_by_cert(cert) {
                let serial = entry
                    .serial_number()
                    .to_bn()
                    .and_then(|b| b.to_hex_str().map(|s| s.to_string()))
                    .unwrap_or_default();
                return Err(ValidationError::Revoked {
                    subject: subject_of(cert),
                    serial,
                });
            }
        }
        Ok(())
    }
}
