//! fedmsg over STOMP on the real RabbitMQ (its `rabbitmq_stomp` plugin on 127.0.0.1:61613, which
//! `scripts/rabbitmq` enables): fan-out to several subscribers, topic prefixes, failover across
//! `stomp_uri`, refusals, foreign bodies. (A broker restart: `tests/stomp_restart.rs`; against
//! Python's moksha hub: `crates/fedmsg-cli/tests/stomp_interop.rs`.)

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use fedmsg::stomp::frame::Frame;
use fedmsg::stomp::{StompError, StompPublisher, StompSubscriberBuilder};
use fedmsg::Config;
use futures_util::StreamExt;
use serde_json::json;
use tokio::io::AsyncWriteExt;

const WAIT: Duration = Duration::from_secs(10);

fn config(extra: &str) -> Config {
    Config::from_toml(&format!(
        "environment = \"prod\"\nstomp_uri = \"127.0.0.1:61613\"\n{extra}"
    ))
    .unwrap()
}

/// A topic no other test (or run) uses.
fn modname() -> String {
    format!("stomptest{}", uuid_like())
}

fn uuid_like() -> String {
    format!(
        "{:x}{:x}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}

#[tokio::test]
async fn every_subscriber_gets_each_message_with_its_topic() {
    let config = config("");
    let m = modname();
    let prefix = format!("org.fedoraproject.prod.{m}.");
    let mut a = StompSubscriberBuilder::new(&config)
        .unwrap()
        .topic(prefix.clone())
        .start();
    let mut b = StompSubscriberBuilder::new(&config)
        .unwrap()
        .topic(prefix.clone())
        .start();
    let mut other = StompSubscriberBuilder::new(&config)
        .unwrap()
        .topic("org.fedoraproject.prod.someoneelse.")
        .start();
    for s in [&mut a, &mut b, &mut other] {
        tokio::time::timeout(WAIT, s.subscribed()).await.unwrap();
    }
    let publisher = StompPublisher::connect(&config).await.unwrap();
    let mut sent = Vec::new();
    for n in 0..5 {
        sent.push(
            publisher
                .publish(&m, "build.done", json!({"n": n, "text": "ünïcødé ✓"}))
                .await
                .unwrap(),
        );
    }
    for s in [&mut a, &mut b] {
        for want in &sent {
            let got = tokio::time::timeout(WAIT, s.next()).await.unwrap().unwrap();
            assert_eq!(&got.envelope, want);
            assert_eq!(got.destination, format!("/topic/{}", want.topic));
        }
    }
    assert_eq!(sent[0].topic, format!("{prefix}build.done"));
    assert_eq!(sent[4].i, Some(5));
    assert!(
        tokio::time::timeout(Duration::from_millis(300), other.next())
            .await
            .is_err()
    );
    assert_eq!(a.stats().received, 5);
}

#[tokio::test]
async fn failover_skips_brokers_that_do_not_answer_and_names_them_all_when_none_does() {
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // Nothing listens there any more.
    let config = config("").clone();
    let mut failover = config.clone();
    failover.extra.insert(
        "stomp_uri".into(),
        json!(format!("127.0.0.1:{dead},127.0.0.1:61613")),
    );
    let publisher = StompPublisher::connect(&failover).await.unwrap();
    publisher.publish(&modname(), "x", json!({})).await.unwrap();

    let mut none = config.clone();
    none.extra
        .insert("stomp_uri".into(), json!(format!("127.0.0.1:{dead}")));
    let err = StompPublisher::connect(&none).await.unwrap_err();
    assert!(matches!(err, StompError::NoBroker { .. }), "{err}");
    assert!(
        err.to_string().contains(&format!("127.0.0.1:{dead} (")),
        "{err}"
    );
}

#[tokio::test]
async fn wrong_credentials_and_vhosts_are_refused_with_the_broker_s_words() {
    let err = StompPublisher::connect(&config("stomp_pass = \"wrong\""))
        .await
        .unwrap_err();
    assert!(matches!(err, StompError::Refused { .. }), "{err}");
    assert!(
        err.to_string().to_lowercase().contains("access refused")
            || err.to_string().contains("login"),
        "{err}"
    );
    // moksha sends the broker's host name as `host`, which RabbitMQ reads as a vhost: one that
    // does not exist is refused.
    let err = StompPublisher::connect(&config(&format!(
        "stomp_vhost = \"fmrs-no-such-vhost-{}\"",
        uuid_like()
    )))
    .await
    .unwrap_err();
    assert!(matches!(err, StompError::Refused { .. }), "{err}");
}

#[tokio::test]
async fn foreign_bodies_are_wrapped_and_non_json_is_counted() {
    let config = config("");
    let m = modname();
    let mut sub = StompSubscriberBuilder::new(&config)
        .unwrap()
        .topic(format!("{m}."))
        .start();
    tokio::time::timeout(WAIT, sub.subscribed()).await.unwrap();
    // A raw STOMP client sending what is not a fedmsg envelope.
    let mut raw = tokio::net::TcpStream::connect("127.0.0.1:61613")
        .await
        .unwrap();
    let connect = Frame::new("CONNECT")
        .header("accept-version", "1.2")
        .header("host", "/")
        .header("login", "guest")
        .header("passcode", "guest");
    raw.write_all(&connect.encode()).await.unwrap();
    for body in [b"not json".to_vec(), br#"{"plain": "dict"}"#.to_vec()] {
        let send = Frame::new("SEND")
            .header("destination", format!("/topic/{m}.raw"))
            .body(body);
        raw.write_all(&send.encode()).await.unwrap();
    }
    let got = tokio::time::timeout(WAIT, sub.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.envelope.topic, format!("{m}.raw"));
    assert_eq!(got.envelope.msg, json!({"plain": "dict"}));
    assert_eq!(sub.stats().malformed, 1);
}

/// STOMP over TLS with a client certificate (`stomp_ssl_crt`/`stomp_ssl_key`), on a private
/// TLS-only RabbitMQ node (`scripts/rabbitmq-tls`, also used by the amqps tests), its CA given as
/// `stomp_ssl_ca`; then the same without the CA, which the system trust store does not know.
#[tokio::test]
async fn stomp_over_tls_with_a_client_certificate() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("rabbitmq-tls-stomp");
    let out = std::process::Command::new(root.join("scripts/rabbitmq-tls"))
        .arg("start")
        .arg(&dir)
        .arg(std::process::id().to_string())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "scripts/rabbitmq-tls: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let port = std::fs::read_to_string(dir.join("stomp-port")).unwrap();
    let d = dir.display();
    let tls = format!(
        "environment = \"prod\"\nstomp_uri = \"localhost:{}\"\nstomp_ssl_crt = \"{d}/client.pem\"\nstomp_ssl_key = \"{d}/client.key\"\n",
        port.trim()
    );
    let config = Config::from_toml(&format!("{tls}stomp_ssl_ca = \"{d}/ca.pem\"\n")).unwrap();
    let m = modname();
    let mut sub = StompSubscriberBuilder::new(&config)
        .unwrap()
        .topic(format!("org.fedoraproject.prod.{m}."))
        .start();
    tokio::time::timeout(WAIT, sub.subscribed()).await.unwrap();
    let publisher = StompPublisher::connect(&config).await.unwrap();
    let sent = publisher
        .publish(&m, "secure", json!({"over": "tls"}))
        .await
        .unwrap();
    let got = tokio::time::timeout(WAIT, sub.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.envelope, sent);

    let untrusted = Config::from_toml(&tls).unwrap();
    let err = StompPublisher::connect(&untrusted).await.unwrap_err();
    assert!(
        err.to_string().contains("certificate verify failed"),
        "{err}"
    );
    let _ = std::process::Command::new(root.join("scripts/rabbitmq-tls"))
        .arg("stop")
        .arg(&dir)
        .output();
}
