//! The password in `amqp_url` never shows: not in logs (ours and the AMQP client's, at every
//! level), not in errors, not in `Debug` output of the config, the publisher or the consumer.

#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fedora_messaging::amqp::config::Config;
use fedora_messaging::amqp::consume::{Consumer, HandlerError, Received};
use fedora_messaging::amqp::publish::Publisher;
use fedora_messaging::BaseMessage;

const PASSWORD: &str = "s3cr3t-Pa55w0rd";

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_password_never_shows() {
    let logs = Captured::default();
    let writer = logs.clone();
    tracing_subscriber::fmt()
        .with_env_filter("trace")
        .with_writer(move || writer.clone())
        .init();
    let mut shown = String::new();

    // Wrong password on the real broker, and a port where nothing listens.
    for url in [
        format!("amqp://guest:{PASSWORD}@127.0.0.1:5672/%2F"),
        format!("amqp://bob:{PASSWORD}@127.0.0.1:1/%2F"),
    ] {
        let config = Config::from_toml(&format!("amqp_url = \"{url}\"")).unwrap();
        shown += &format!("{config:?}\n{}\n", config.amqp_url);
        let publisher = Publisher::new(config.clone()).timeout(Duration::from_secs(2));
        shown += &format!("{publisher:?}\n");
        let err = publisher
            .publish(&BaseMessage::new("fm.secret.test", serde_json::json!({})))
            .await
            .unwrap_err();
        shown += &format!("{err}\n{err:?}\n");
        let consumer = Consumer::new(config);
        shown += &format!("{consumer:?}\n");
        let stop = consumer.stop_handle();
        let run = tokio::spawn(consumer.run(|_m: Received| async { Ok::<(), HandlerError>(()) }));
        tokio::time::sleep(Duration::from_millis(1500)).await;
        stop.stop();
        shown += &format!("{:?}\n", run.await.unwrap());
    }
    let logged = String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned();
    eprintln!(
        "captured {} log lines, {} from lapin",
        logged.lines().count(),
        logged.matches("lapin").count()
    );
    assert!(
        logged.contains("***") || logged.contains("127.0.0.1"),
        "the attempts were logged"
    );
    assert!(
        !logged.contains(PASSWORD),
        "password in the logs:\n{logged}"
    );
    assert!(!shown.contains(PASSWORD), "password shown:\n{shown}");
    assert!(shown.contains("bob:***@"), "{shown}");
}
