//! x509 signatures with a test PKI made by the `openssl` command line (a CA, service
//! certificates, one revoked in a CRL, a self-signed impostor): what is signed validates, with
//! our validator and with `openssl dgst -sha1 -verify`; each way a message can be wrong is
//! rejected with its own reason; signed publishing and validating subscribers on loopback.
//! (Against Python's `fedmsg.crypto`: `crates/fedmsg-cli/tests/interop.rs`.)

#![allow(clippy::unwrap_used)]

#[path = "../../../tests/common/fedmsg_peer.rs"]
mod peer;

use std::process::Command;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use fedmsg::crypto::x509::{Signer, Validator};
use fedmsg::crypto::ValidationError;
use fedmsg::zeromq::{Publisher, Settle, SubscriberBuilder};
use fedmsg::{Config, Envelope, Timestamp};
use futures_util::StreamExt;
use peer::Pki;
use serde_json::{json, Value};

fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let dir = peer::root()
            .join("target/fedmsg-pki")
            .join(format!("x509-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        Pki::new(dir)
    })
}

fn config(extra: &str) -> Config {
    let d = pki().dir.display();
    Config::from_toml(&format!(
        "ssldir = \"{d}\"\nca_cert_location = \"{d}/ca.crt\"\ncrl_location = \"{d}/crl.pem\"\n{extra}\n\
         [certnames]\n\"bodhi.host\" = \"bodhi-app01\"\n"
    ))
    .unwrap()
}

fn signed_by(certname: &str) -> Envelope {
    let mut env = Envelope::new(
        "org.fedoraproject.prod.bodhi.update.comment",
        json!({"comment": {"text": "works \u{2713}", "karma": 1}}),
    );
    env.timestamp = Some(Timestamp::Seconds(1_560_000_000));
    env.i = Some(3);
    env.username = Some("apache".into());
    Signer::load(&pki().dir, certname)
        .unwrap()
        .sign(&mut env)
        .unwrap();
    env
}

#[test]
fn a_signed_message_validates_and_names_its_signer() {
    let env = signed_by("bodhi-app01");
    assert_eq!(env.extra["crypto"], "x509");
    // fedmsg's layout: base64 lines of 76 characters, each ending in a newline.
    for field in ["signature", "certificate"] {
        let text = env.extra[field].as_str().unwrap();
        assert!(text.ends_with('\n'));
        assert!(text.lines().all(|l| l.len() <= 76));
    }
    let validator = Validator::from_config(&config("")).unwrap();
    assert_eq!(validator.validate(&env).unwrap(), "bodhi-app01");
    validator.validate_signed_by(&env, "bodhi-app01").unwrap();
    assert!(matches!(
        validator.validate_signed_by(&env, "shell-app01"),
        Err(ValidationError::NotAllowed { .. })
    ));
    // It survives the wire: canonical JSON, parsed again.
    let again = Envelope::from_json(env.to_canonical_json().as_bytes()).unwrap();
    validator.validate(&again).unwrap();
}

#[test]
fn openssl_verifies_our_signature_over_the_canonical_bytes() {
    let env = signed_by("bodhi-app01");
    let dir = pki().dir.join(format!("dgst-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut stripped = env.clone();
    stripped.extra.remove("signature");
    stripped.extra.remove("certificate");
    std::fs::write(dir.join("signed.json"), stripped.to_canonical_json()).unwrap();
    let sig = env.extra["signature"].as_str().unwrap().replace('\n', "");
    std::fs::write(dir.join("sig.b64"), sig).unwrap();
    peer::run(
        Command::new("openssl")
            .current_dir(&dir)
            .args(["base64", "-d", "-A", "-in", "sig.b64", "-out", "sig.bin"]),
    );
    peer::run(Command::new("openssl").current_dir(&dir).args([
        "x509",
        "-in",
        &format!("{}/bodhi-app01.crt", pki().dir.display()),
        "-pubkey",
        "-noout",
        "-out",
        "pub.pem",
    ]));
    let out = peer::run(Command::new("openssl").current_dir(&dir).args([
        "dgst",
        "-sha1",
        "-verify",
        "pub.pem",
        "-signature",
        "sig.bin",
        "signed.json",
    ]));
    assert_eq!(out.trim(), "Verified OK");
}

#[test]
fn every_way_a_message_is_wrong_has_its_own_reason() {
    let validator = Validator::from_config(&config("")).unwrap();
    let good = signed_by("bodhi-app01");
    let check = |env: &Envelope| validator.validate(env).unwrap_err();

    let mut changed_msg = good.clone();
    changed_msg.msg["comment"]["karma"] = json!(-1);
    assert!(matches!(
        check(&changed_msg),
        ValidationError::BadSignature { .. }
    ));

    let mut changed_timestamp = good.clone();
    changed_timestamp.timestamp = Some(Timestamp::Seconds(1_560_000_001));
    assert!(matches!(
        check(&changed_timestamp),
        ValidationError::BadSignature { .. }
    ));

    // Without `crypto` the backend is still x509 (a certificate is there), but `crypto` was signed.
    let mut no_crypto = good.clone();
    no_crypto.extra.remove("crypto");
    assert!(matches!(
        check(&no_crypto),
        ValidationError::BadSignature { .. }
    ));

    let rogue = signed_by("rogue");
    let err = check(&rogue);
    assert!(matches!(err, ValidationError::Untrusted { .. }), "{err}");
    assert!(err.to_string().contains("self-signed"), "{err}");

    let err = check(&signed_by("revoked"));
    assert!(matches!(err, ValidationError::Revoked { .. }), "{err}");

    let strict = Validator::from_config(&config(
        "[routing_policy]\n\"org.fedoraproject.prod.bodhi.update.comment\" = [\"shell-app01\"]",
    ))
    .unwrap();
    let err = strict.validate(&good).unwrap_err();
    assert_eq!(
        err.to_string(),
        "\"bodhi-app01\" may not send on \"org.fedoraproject.prod.bodhi.update.comment\" (routing_policy)"
    );
    let nitpicky = Validator::from_config(&config("routing_nitpicky = true")).unwrap();
    assert!(matches!(
        nitpicky.validate(&good),
        Err(ValidationError::NotAllowed { nitpicky: true, .. })
    ));

    let gpg_only = Validator::from_config(&config("crypto_validate_backends = [\"gpg\"]")).unwrap();
    assert_eq!(
        gpg_only.validate(&good),
        Err(ValidationError::BackendNotAllowed("x509".into()))
    );

    let mut bad_b64 = good.clone();
    bad_b64
        .extra
        .insert("signature".into(), json!("@@not base64@@"));
    assert!(matches!(
        check(&bad_b64),
        ValidationError::Malformed {
            field: "signature",
            ..
        }
    ));
    let mut not_pem = good.clone();
    not_pem
        .extra
        .insert("certificate".into(), json!("aGVsbG8=\n"));
    assert!(matches!(
        check(&not_pem),
        ValidationError::Malformed {
            field: "certificate",
            ..
        }
    ));
    let mut number = good.clone();
    number.extra.insert("signature".into(), json!(5));
    assert!(matches!(
        check(&number),
        ValidationError::Malformed {
            field: "signature",
            ..
        }
    ));

    let unsigned = Envelope::new("t", json!({}));
    assert_eq!(check(&unsigned), ValidationError::Unsigned);
    let mut unknown = good;
    unknown.extra.insert("crypto".into(), json!("rot13"));
    assert_eq!(
        check(&unknown),
        ValidationError::UnknownBackend("rot13".into())
    );
}

#[test]
fn trust_store_problems_name_the_file() {
    let mut c = config("");
    c.ca_cert_location = "/nonexistent/ca.crt".into();
    let err = Validator::from_config(&c).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("cannot load CA certificate from /nonexistent/ca.crt"),
        "{err}"
    );
    let mut c = config("");
    c.crl_location = Some(format!("{}/bodhi-app01.crt", pki().dir.display()));
    let err = Validator::from_config(&c).unwrap_err();
    assert!(err.to_string().contains("not a PEM CRL"), "{err}");
    let mut c = config("");
    c.ca_cert_location = format!("http://127.0.0.1:{}/ca.crt", peer::free_port());
    let err = Validator::from_config(&c).unwrap_err();
    assert!(
        err.to_string().contains("cannot connect to 127.0.0.1:"),
        "{err}"
    );
}

/// `ca_cert_location` and `crl_location` as URLs, served by Python's http.server on loopback.
#[test]
fn the_ca_and_crl_can_be_fetched_over_http() {
    let port = peer::free_port();
    let server = peer::Running::spawn(
        Command::new("python3")
            .args(["-m", "http.server", "--bind", "127.0.0.1", "--directory"])
            .arg(&pki().dir)
            .arg(port.to_string()),
    );
    peer::wait_for_port(port);
    let mut c = config("");
    c.ca_cert_location = format!("http://127.0.0.1:{port}/ca.crt");
    c.crl_location = Some(format!("http://127.0.0.1:{port}/crl.pem"));
    let validator = Validator::from_config(&c).unwrap();
    assert_eq!(
        validator.validate(&signed_by("bodhi-app01")).unwrap(),
        "bodhi-app01"
    );
    assert!(matches!(
        validator.validate(&signed_by("revoked")),
        Err(ValidationError::Revoked { .. })
    ));
    c.crl_location = Some(format!("http://127.0.0.1:{port}/missing.pem"));
    let err = Validator::from_config(&c).unwrap_err();
    assert!(err.to_string().ends_with("missing.pem: HTTP 404"), "{err}");
    drop(server);
}

#[tokio::test]
async fn a_signing_publisher_and_a_validating_subscriber() {
    let port = peer::free_port();
    let extra =
        format!("sign_messages = true\n[endpoints]\n\"bodhi.host\" = [\"tcp://127.0.0.1:{port}\"]");
    let signing = config(&extra);
    let validator = Arc::new(Validator::from_config(&signing).unwrap());
    let mut sub = SubscriberBuilder::new(&signing)
        .validate(validator)
        .start()
        .unwrap();
    let publisher = Publisher::bind(&signing, "bodhi.host").unwrap();
    publisher
        .settle(Settle::Subscribers {
            count: 1,
            timeout: Duration::from_secs(10),
        })
        .await
        .unwrap();
    let sent = publisher
        .publish("bodhi", "update.comment", json!({"n": 1}))
        .unwrap();
    assert_eq!(sent.extra["crypto"], "x509");
    let got = tokio::time::timeout(Duration::from_secs(10), sub.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.envelope, sent);

    // The same publisher, no longer signing: its messages are dropped and counted.
    publisher.set_signer(None);
    for n in 0..3 {
        publisher
            .publish("bodhi", "update.comment", json!({"n": n}))
            .unwrap();
    }
    publisher.set_signer(Some(Signer::load(&pki().dir, "bodhi-app01").unwrap()));
    let last = publisher
        .publish("bodhi", "update.comment", json!({"last": true}))
        .unwrap();
    let got = tokio::time::timeout(Duration::from_secs(10), sub.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.envelope.msg, last.msg);
    assert_eq!(sub.stats().invalid, 3);
    assert_eq!(
        got.envelope.extra.get("signature").map(Value::is_string),
        Some(true)
    );
}

#[test]
fn signing_needs_a_certname() {
    let err = Publisher::bind(
        &config("sign_messages = true\n[endpoints]\n\"x\" = [\"tcp://127.0.0.1:1\"]"),
        "x",
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("no certificate for \"x\": `certnames` has no such key (it has: bodhi.host)"),
        "{err}"
    );
}

#[tokio::test]
async fn a_signing_relay_signs_what_unsigned_senders_send() {
    let (inbound, outbound) = (peer::free_port(), peer::free_port());
    let d = pki().dir.display();
    let config = Config::from_toml(&format!(
        "ssldir = \"{d}\"\nca_cert_location = \"{d}/ca.crt\"\ncrl_location = \"{d}/crl.pem\"\n\
         relay_inbound = \"tcp://127.0.0.1:{inbound}\"\n\
         [certnames]\nsigning_relay = \"signing-relay\"\n\
         [endpoints]\nrelay_outbound = [\"tcp://127.0.0.1:{outbound}\"]\n"
    ))
    .unwrap();
    let relay = fedmsg::zeromq::Forwarder::signing_relay(&config).unwrap();
    let relay_pub = relay.publisher().clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(relay.run(async {
        let _ = stopped.await;
    }));
    let validator = Arc::new(Validator::from_config(&config).unwrap());
    let mut tail = SubscriberBuilder::new(&config)
        .validate(validator.clone())
        .start()
        .unwrap();
    relay_pub
        .settle(Settle::Subscribers {
            count: 1,
            timeout: Duration::from_secs(10),
        })
        .await
        .unwrap();
    // A sender that cannot sign (sign_messages is off in this configuration).
    let script = Publisher::connect_relay(&config).unwrap();
    script
        .settle(Settle::Subscribers {
            count: 1,
            timeout: Duration::from_secs(10),
        })
        .await
        .unwrap();
    let sent = script
        .publish("shell", "backup.done", json!({"ok": true}))
        .unwrap();
    assert!(!sent.extra.contains_key("signature"));
    let got = tokio::time::timeout(Duration::from_secs(10), tail.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (got.envelope.msg_id.as_ref(), &got.envelope.msg),
        (sent.msg_id.as_ref(), &sent.msg)
    );
    assert_eq!(validator.validate(&got.envelope).unwrap(), "signing-relay");
    stop.send(()).unwrap();
    assert_eq!(running.await.unwrap().forwarded, 1);
}

#[test]
fn a_certificate_revoked_after_it_was_trusted_is_refused_once_the_crl_is_read_again() {
    // A copy of the PKI: other tests use the original's CRL.
    let dir = pki().dir.join(format!("rotate-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for f in [
        "ca.crt",
        "ca.key",
        "ca.cnf",
        "index.txt",
        "crlnumber",
        "crl.pem",
        "revoked-later.crt",
    ] {
        std::fs::copy(pki().dir.join(f), dir.join(f)).unwrap();
    }
    let mut c = config("crl_cache_expiry = 1");
    c.crl_location = Some(dir.join("crl.pem").display().to_string());
    let validator = Validator::from_config(&c).unwrap();
    let env = signed_by("revoked-later");
    assert_eq!(validator.validate(&env).unwrap(), "revoked-later");
    // The CA revokes it and publishes a new CRL in the same place.
    let ca = |args: &[&str]| peer::run(Command::new("openssl").current_dir(&dir).args(args));
    ca(&[
        "ca",
        "-config",
        "ca.cnf",
        "-keyfile",
        "ca.key",
        "-cert",
        "ca.crt",
        "-revoke",
        "revoked-later.crt",
    ]);
    ca(&[
        "ca", "-config", "ca.cnf", "-keyfile", "ca.key", "-cert", "ca.crt", "-gencrl", "-out",
        "crl.pem",
    ]);
    // Until crl_cache_expiry has passed, the CRL read at start (and the certificate found good
    // against it) still count, as in fedmsg.
    assert_eq!(validator.validate(&env).unwrap(), "revoked-later");
    std::thread::sleep(Duration::from_millis(1100));
    assert!(matches!(
        validator.validate(&env),
        Err(ValidationError::Revoked { .. })
    ));
    let _ = std::fs::remove_dir_all(&dir);
}
