//! x509 signatures against the real Python fedmsg 1.1.7 (`fedmsg.crypto`, x509_ng backend with
//! cryptography and pyOpenSSL 24.2.1), with a test PKI the test makes (`openssl`): Rust-signed
//! messages validate in Python, Python-signed ones in Rust; each way a message can be wrong is
//! rejected by both; signed messages keep validating through Python's `fedmsg-relay` and ours.

#![allow(clippy::unwrap_used)]

#[path = "../../../tests/common/fedmsg_peer.rs"]
mod peer;

use std::process::Command;
use std::time::Duration;

use fedmsg::crypto::x509::{short_hostname, Signer, Validator};
use fedmsg::{Envelope, Timestamp};
use peer::{json_lines, root, Pki, Running, Site};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(30);

/// A site whose fedmsg.d signs and validates with a fresh PKI.
fn signed_site(name: &str) -> (Site, Pki) {
    let dir = root()
        .join("target/fedmsg-pki")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let pki = Pki::new(dir);
    let site = Site::new(name, &pki.python_keys(&short_hostname()));
    (site, pki)
}

fn lines(values: &[Value]) -> String {
    values.iter().map(|v| v.to_string() + "\n").collect()
}

fn python_verdicts(site: &Site, file: &std::path::Path, overrides: &Value) -> Vec<bool> {
    let out =
        peer::run(&mut site.peer(&["validate", file.to_str().unwrap(), &overrides.to_string()]));
    json_lines(&out.lines().map(str::to_owned).collect::<Vec<_>>())
        .iter()
        .map(|v| v["valid"].as_bool().unwrap())
        .collect()
}

fn cases() -> Vec<Envelope> {
    let text = std::fs::read_to_string(root().join("tests/fedmsg/cases.jsonl")).unwrap();
    text.lines()
        .enumerate()
        .map(|(n, l)| {
            let c: Value = serde_json::from_str(l).unwrap();
            let topic = format!(
                "org.fedoraproject.prod.{}.{}",
                c["modname"].as_str().unwrap(),
                c["topic"].as_str().unwrap()
            );
            let mut env = Envelope::new(topic, c["msg"].clone());
            env.i = Some(n as u64 + 1);
            env.username = Some("apache".into());
            env
        })
        .collect()
}

#[test]
fn rust_signs_python_validates_and_python_signs_rust_validates() {
    let (site, pki) = signed_site("sign-both");
    let config = site.config();
    let signer = Signer::load(&pki.dir, "bodhi-app01").unwrap();
    let mut ours = cases();
    for env in &mut ours {
        signer.sign(env).unwrap();
    }
    let file = site.file(
        "ours.jsonl",
        &lines(&ours.iter().map(Envelope::to_value).collect::<Vec<_>>()),
    );
    assert_eq!(
        python_verdicts(&site, &file, &json!({})),
        vec![true; ours.len()]
    );

    let unsigned = site.file(
        "unsigned.jsonl",
        &lines(&cases().iter().map(Envelope::to_value).collect::<Vec<_>>()),
    );
    let theirs = json_lines(
        &peer::run(&mut site.peer(&["sign", "shell-app01", unsigned.to_str().unwrap()]))
            .lines()
            .map(str::to_owned)
            .collect::<Vec<_>>(),
    );
    let validator = Validator::from_config(&config).unwrap();
    for (theirs, ours) in theirs.iter().zip(&ours) {
        let env = Envelope::from_value(theirs.clone()).unwrap();
        assert_eq!(validator.validate(&env).unwrap(), "shell-app01");
        // Same key, same bytes: signing is deterministic (PKCS#1 v1.5), so a Rust signature with
        // Python's certificate would be the same; here the layout of both fields matches.
        assert_eq!(env.extra["crypto"], ours.extra["crypto"]);
        let sig = env.extra["signature"].as_str().unwrap();
        assert!(sig.ends_with('\n') && sig.lines().all(|l| l.len() <= 76));
    }
    // And byte for byte: Rust signing with Python's key gives Python's signature.
    let shell = Signer::load(&pki.dir, "shell-app01").unwrap();
    let mut again = Envelope::from_value(theirs[0].clone()).unwrap();
    let python_signature = again.extra["signature"].clone();
    shell.sign(&mut again).unwrap();
    assert_eq!(again.extra["signature"], python_signature);
    assert_eq!(again.to_value(), theirs[0]);
}

#[test]
fn every_rejection_is_shared_with_python() {
    let (site, pki) = signed_site("reject");
    let good = {
        let mut env = cases().remove(0);
        env.timestamp = Some(Timestamp::Seconds(1_560_000_000));
        Signer::load(&pki.dir, "bodhi-app01")
            .unwrap()
            .sign(&mut env)
            .unwrap();
        env
    };
    let signed = |certname: &str| {
        let mut env = cases().remove(0);
        Signer::load(&pki.dir, certname)
            .unwrap()
            .sign(&mut env)
            .unwrap();
        env
    };
    let mut changed_msg = good.clone();
    changed_msg.msg["comment"]["karma"] = json!(-1);
    let mut changed_timestamp = good.clone();
    changed_timestamp.timestamp = Some(Timestamp::Seconds(1_560_000_001));
    let mut no_crypto = good.clone();
    no_crypto.extra.remove("crypto");
    let tampered = [
        changed_msg,
        changed_timestamp,
        no_crypto,
        signed("rogue"),
        signed("revoked"),
    ];

    let file = site.file(
        "tampered.jsonl",
        &lines(&tampered.iter().map(Envelope::to_value).collect::<Vec<_>>()),
    );
    assert_eq!(
        python_verdicts(&site, &file, &json!({})),
        vec![false; tampered.len()]
    );
    let validator = Validator::from_config(&site.config()).unwrap();
    for env in &tampered {
        assert!(
            validator.validate(env).is_err(),
            "{}",
            env.to_canonical_json()
        );
    }

    // The good one passes both, until the configuration forbids its signer or its backend.
    let file = site.file("good.jsonl", &lines(&[good.to_value()]));
    assert_eq!(python_verdicts(&site, &file, &json!({})), [true]);
    validator.validate(&good).unwrap();
    let policy = json!({"routing_policy": {good.topic.clone(): ["shell-app01"]}});
    let backends = json!({"crypto_validate_backends": ["gpg"]});
    for overrides in [&policy, &backends] {
        assert_eq!(
            python_verdicts(&site, &file, overrides),
            [false],
            "{overrides}"
        );
        let mut config = site.config();
        if overrides == &policy {
            config
                .routing_policy
                .insert(good.topic.clone(), vec!["shell-app01".into()]);
        } else {
            config.crypto_validate_backends = vec!["gpg".into()];
        }
        assert!(Validator::from_config(&config)
            .unwrap()
            .validate(&good)
            .is_err());
    }
}

#[test]
fn signed_messages_validate_through_python_and_rust_relays() {
    let (site, _pki) = signed_site("relays");
    let fedmsg = || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_fedmsg"));
        cmd.arg("--config")
            .arg(site.config_dir())
            .env("RUST_LOG", "fedmsg=info")
            .env("HOME", &site.dir);
        cmd
    };
    let validator = Validator::from_config(&site.config()).unwrap();

    // Rust `fedmsg logger` signs (certnames["shell.<host>"]) → Python fedmsg-relay (which
    // re-serializes with json.dumps) → Python tail with validate_signatures (drops what fails).
    {
        let _relay = Running::spawn(&mut site.python("fedmsg-relay"));
        peer::wait_for_port(site.relay_out);
        let mut tail = Running::spawn(&mut site.peer(&["tail", "1", "30"]));
        tail.wait_for_stderr("ready", WAIT);
        std::thread::sleep(Duration::from_millis(1000));
        let out = fedmsg()
            .args(["logger", "--message", "signed by Rust ✓"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got = json_lines(&tail.finish());
        assert_eq!(got.len(), 1, "Python's validating tail accepted it");
        let env = Envelope::from_value(got[0]["msg"].clone()).unwrap();
        assert_eq!(env.msg, json!({"log": "signed by Rust ✓"}));
        assert_eq!(validator.validate(&env).unwrap(), "shell-app01");
    }

    // Python fedmsg-logger signs → Rust `fedmsg relay` → Rust `fedmsg tail --validate` and a
    // Python validating tail.
    let mut relay = Running::spawn(fedmsg().arg("relay"));
    relay.wait_for_stderr("fedmsg subscriber ready", WAIT);
    let mut rust_tail =
        Running::spawn(fedmsg().args(["tail", "--validate", "--json", "--count", "1"]));
    let mut py_tail = Running::spawn(&mut site.peer(&["tail", "1", "30"]));
    rust_tail.wait_for_stderr("fedmsg subscriber ready", WAIT);
    py_tail.wait_for_stderr("ready", WAIT);
    std::thread::sleep(Duration::from_millis(1000));
    let out = site
        .python("fedmsg-logger")
        .args(["--message", "signed by Python"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rust = Envelope::from_json(rust_tail.finish()[0].as_bytes()).unwrap();
    let py = json_lines(&py_tail.finish());
    assert_eq!(rust.msg, json!({"log": "signed by Python"}));
    assert_eq!(validator.validate(&rust).unwrap(), "shell-app01");
    assert_eq!(py[0]["msg"], rust.to_value());
    let (_, stderr) = relay.terminate();
    assert!(stderr.contains("forwarded 1,"), "{stderr}");
}
