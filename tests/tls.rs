//! amqps against a private TLS-only RabbitMQ node that `scripts/rabbitmq-tls` starts beside the main
//! broker (its own name and port each run), with a CA, a server and a client certificate made for the
//! run: PLAIN over TLS with `[tls] ca_cert`, SASL EXTERNAL with `certfile` + `keyfile`, and an
//! untrusted server refused. A watchdog of the script's stops the node when this test process ends.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use fedora_messaging::amqp::config::{Config, QueueConfig};
use fedora_messaging::amqp::consume::{Consumer, HandlerError, Received, Stopped};
use fedora_messaging::amqp::publish::{PublishError, Publisher};
use fedora_messaging::BaseMessage;
use serde_json::json;

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/rabbitmq-tls")
}

/// The node's folder (certificates, `node`, `port`), started once per test process.
fn tls_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("rabbitmq-tls");
        let out = Command::new(script())
            .arg("start")
            .arg(&dir)
            .arg(std::process::id().to_string())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "scripts/rabbitmq-tls failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        dir
    })
}

/// The node's amqps port on 127.0.0.1.
fn port() -> u16 {
    let text = std::fs::read_to_string(tls_dir().join("port")).unwrap();
    text.trim().parse().unwrap()
}

fn tls_config(url: &str, client_cert: bool) -> Config {
    let d = tls_dir();
    let mut text = format!(
        "amqp_url = \"{url}\"\n[tls]\nca_cert = \"{}\"\n",
        d.join("ca.pem").display()
    );
    if client_cert {
        text += &format!(
            "certfile = \"{}\"\nkeyfile = \"{}\"\n",
            d.join("client.pem").display(),
            d.join("client.key").display()
        );
    }
    Config::from_toml(&text).unwrap()
}

/// Publishes a message over `config` and consumes it back over the same settings.
async fn round_trip(config: Config) -> serde_json::Value {
    let topic = format!("{}.tls", common::unique("t"));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let consumer =
        Consumer::new(config.clone()).queue("", QueueConfig::exclusive(), "amq.topic", &[&topic]);
    let run = tokio::spawn(consumer.run(move |m: Received| {
        let tx = tx.clone();
        async move {
            let _ = tx.send(m.envelope().body.value().clone());
            Err::<(), _>(HandlerError::Halt {
                exit_code: 0,
                requeue: false,
            })
        }
    }));
    let publisher = Publisher::new(config)
        .mandatory(true)
        .timeout(Duration::from_secs(10));
    let body = json!({"over": "tls", "ü": 1});
    // Mandatory: retry until the consumer's binding exists.
    for _ in 0..200 {
        match publisher
            .publish(&BaseMessage::new(topic.as_str(), body.clone()))
            .await
        {
            Ok(_) => break,
            Err(PublishError::Returned { .. }) => {
                tokio::time::sleep(Duration::from_millis(25)).await
            }
            Err(e) => panic!("{e}"),
        }
    }
    let got = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        run.await.unwrap().unwrap(),
        Stopped::Halted { exit_code: 0 }
    );
    assert_eq!(got, body);
    got
}

#[tokio::test]
async fn plain_auth_over_tls_with_ca_cert() {
    round_trip(tls_config(
        &format!("amqps://guest:guest@localhost:{}/%2F", port()),
        false,
    ))
    .await;
}

#[tokio::test]
async fn client_certificate_authenticates_with_external() {
    let config = tls_config(&format!("amqps://localhost:{}/%2F", port()), true);
    round_trip(config.clone()).await;
    // While a connection is open, the broker names its user and mechanism.
    let publisher = Publisher::new(config);
    publisher.connect().await.unwrap();
    let out = Command::new(script())
        .arg("ctl")
        .arg(tls_dir())
        .args(["-q", "list_connections", "user", "auth_mechanism", "ssl"])
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&out.stdout);
    assert!(
        listing
            .lines()
            .any(|l| l.contains("fm-tls-client") && l.contains("EXTERNAL") && l.contains("true")),
        "{listing}"
    );
    publisher.close().await;
}

#[tokio::test]
async fn untrusted_server_is_refused() {
    // No ca_cert: the system trust store does not know the test CA.
    let config = Config::from_toml(&format!(
        "amqp_url = \"amqps://guest:guest@localhost:{}/%2F\"",
        port()
    ))
    .unwrap();
    let err = Publisher::new(config)
        .timeout(Duration::from_secs(2))
        .publish(&BaseMessage::new("fm.tls.untrusted", json!({})))
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, PublishError::Timeout { .. }), "{err:?}");
    assert!(
        text.to_lowercase().contains("certificate") || text.contains("UnknownIssuer"),
        "{text}"
    );
    assert!(!text.contains("guest:guest"), "{text}");
}
