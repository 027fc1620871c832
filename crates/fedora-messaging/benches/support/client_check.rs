//! Whether each candidate AMQP client does what the runtime needs beyond speed, observed on the
//! local RabbitMQ rather than read in documentation: the client properties the broker lists for
//! the connection (fedora-messaging sends `[client_properties]` from `config.toml`), the error a
//! wrong password gives, and (with `--alarm`) whether the broker's `connection.blocked`
//! notification reaches the client during a memory alarm. One JSON line per client.
//!
//! The alarm check sets `vm_memory_high_watermark` very low on the local broker for a few seconds
//! (every publisher on it is blocked meanwhile) and puts back RabbitMQ's default, 0.4.

use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use amqprs::callbacks::ConnectionCallback;
use amqprs::channel::BasicPublishArguments;
use amqprs::connection::{Connection as RsConnection, OpenConnectionArguments};
use amqprs::Close;
use fedora_messaging::amqp::connection;
use lapin::options::BasicPublishOptions;
use serde_json::json;

use crate::broker::{config, emit};

/// The `client_properties` the broker lists for the connection named `name`.
fn listed_properties(name: &str) -> String {
    let out = Command::new("rabbitmqctl")
        .args(["list_connections", "-q", "client_properties"])
        .output()
        .expect("rabbitmqctl, installed with the broker");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find(|l| l.contains(name))
        .unwrap_or("(connection not listed)")
        .to_owned()
}

fn set_watermark(value: &str) {
    let _ = Command::new("rabbitmqctl")
        .args(["set_vm_memory_high_watermark", value])
        .output();
}

/// Puts the default watermark back however the check ends.
struct ClearAlarm;

impl Drop for ClearAlarm {
    fn drop(&mut self) {
        set_watermark("0.4");
    }
}

struct Blocked(Arc<AtomicBool>);

#[async_trait::async_trait]
impl ConnectionCallback for Blocked {
    async fn close(&mut self, _: &RsConnection, _: Close) -> Result<(), amqprs::error::Error> {
        Ok(())
    }
    async fn blocked(&mut self, _: &RsConnection, _reason: String) {
        self.0.store(true, Ordering::SeqCst);
    }
    async fn unblocked(&mut self, _: &RsConnection) {}
    async fn secret_updated(&mut self, _: &RsConnection) {}
}

pub(crate) async fn run(alarm: bool) {
    // lapin, through the runtime's own connect (which sends the configured client properties).
    let mut cfg = config(10);
    cfg.client_properties
        .insert("app".into(), "fmrs-client-check-lapin".into());
    let conn = connection::connect(&cfg, Duration::from_secs(10))
        .await
        .unwrap();
    let lapin_props = listed_properties("fmrs-client-check-lapin");
    let wrong = lapin::Connection::connect(
        "amqp://guest:wrong@127.0.0.1:5672/%2F",
        lapin::ConnectionProperties::default(),
    )
    .await
    .err()
    .map(|e| e.to_string());

    // amqprs: its API has a connection name and no other client property.
    let mut args = OpenConnectionArguments::new("127.0.0.1", 5672, "guest", "guest");
    args.connection_name("fmrs-client-check-amqprs");
    let rs = RsConnection::open(&args).await.unwrap();
    let rs_blocked = Arc::new(AtomicBool::new(false));
    rs.register_callback(Blocked(Arc::clone(&rs_blocked)))
        .await
        .unwrap();
    let rs_props = listed_properties("fmrs-client-check-amqprs");
    let rs_wrong = RsConnection::open(&OpenConnectionArguments::new(
        "127.0.0.1",
        5672,
        "guest",
        "wrong",
    ))
    .await
    .err()
    .map(|e| e.to_string());

    let (mut lapin_blocked, mut amqprs_blocked) = (None, None);
    if alarm {
        let ch = conn.create_channel().await.unwrap();
        let rs_ch = rs.open_channel(None).await.unwrap();
        let _clear = ClearAlarm;
        set_watermark("0.0000001");
        tokio::time::sleep(Duration::from_secs(2)).await;
        // A publish on each, so the broker blocks the connections (it blocks publishers only).
        let _ = ch
            .basic_publish(
                "amq.topic".into(),
                "fmrs.client-check".into(),
                BasicPublishOptions::default(),
                b"x",
                lapin::BasicProperties::default(),
            )
            .await;
        let _ = rs_ch
            .basic_publish(
                amqprs::BasicProperties::default(),
                b"x".to_vec(),
                BasicPublishArguments::new("amq.topic", "fmrs.client-check"),
            )
            .await;
        tokio::time::sleep(Duration::from_secs(3)).await;
        lapin_blocked = Some(conn.status().blocked());
        amqprs_blocked = Some(rs_blocked.load(Ordering::SeqCst));
    }
    emit(json!({
        "client": "lapin", "client_properties_listed": lapin_props,
        "wrong_password_error": wrong, "blocked_notification": lapin_blocked,
    }));
    emit(json!({
        "client": "amqprs", "client_properties_listed": rs_props,
        "wrong_password_error": rs_wrong, "blocked_notification": amqprs_blocked,
    }));
    let _ = conn.close(200, "ok".into()).await;
    let _ = rs.close().await;
}
