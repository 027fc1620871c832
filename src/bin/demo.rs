//! The demo: a typed message published to the local RabbitMQ with a publisher confirm, consumed
//! back and decoded into its type, with every header intact; then a malformed delivery rejected.
//!
//! It uses `$FEDORA_MESSAGING_CONF` (or `/etc/fedora-messaging/config.toml`) when there is one, and
//! otherwise Python's default: guest on localhost:5672.

use std::sync::Arc;
use std::time::Duration;

use fedora_messaging::amqp::config::{Config, QueueConfig};
use fedora_messaging::amqp::consume::{Consumer, HandlerError, Received, Stopped};
use fedora_messaging::amqp::delivery::{self, Properties};
use fedora_messaging::amqp::publish::{PublishError, Publisher};
use fedora_messaging::{lines, Message, Registry};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A build finished (the contract's test vector V3, derived).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Message)]
#[message(
    schema = "demo.build.completeV1",
    topic = "demo.build.complete.v1",
    package = "demo-messages",
    severity = "warning",
    summary = "{owner}'s build of {package} {status}"
)]
struct BuildComplete {
    #[message(agent, usernames)]
    owner: String,
    #[message(packages)]
    package: String,
    status: String,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "error".into()),
        )
        .init();
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("demo failed: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let config = Config::load()?;
    let msg = BuildComplete {
        owner: "alice".into(),
        package: "python-requests".into(),
        status: "failed".into(),
    };
    println!("message:   {msg:?}");
    println!("summary:   {} (severity {})", msg.summary(), msg.severity());

    // Publish with `mandatory`, so that "no queue bound yet" is reported, not silently dropped.
    let publisher = Publisher::new(config.clone())
        .mandatory(true)
        .timeout(Duration::from_secs(5));
    if let Err(e) = publisher.connect().await {
        return Err(no_broker(&config, &e).into());
    }
    let uri = fedora_messaging::amqp::connection::parse_url(config.amqp_url.expose())?;
    println!(
        "broker:    connected to {}:{} vhost {:?} as {}",
        uri.authority.host, uri.authority.port, uri.vhost, uri.authority.userinfo.username
    );

    // A private, server-named queue bound to the message's topic (under any topic_prefix).
    let routing_key = fedora_messaging::topic::routing_key(
        &config.topic_prefix,
        BuildComplete::TOPIC.unwrap_or_default(),
    )?;
    let registry = Arc::new(Registry::new().with::<BuildComplete>()?);
    let consumer = Consumer::new(config.clone())
        .queue(
            "",
            QueueConfig::exclusive(),
            &config.publish_exchange,
            &[&routing_key],
        )
        .registry(registry);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let consuming = tokio::spawn(consumer.run(move |m: Received| {
        let tx = tx.clone();
        async move {
            let typed = m.downcast_ref::<BuildComplete>().cloned();
            let _ = tx.send((m.envelope().clone(), typed));
            // Stop after the first message, acking it.
            Err::<(), _>(HandlerError::Halt {
                exit_code: 0,
                requeue: false,
            })
        }
    }));

    // Retry until the consumer's binding exists.
    let sent = loop {
        match publisher.publish(&msg).await {
            Ok(env) => break env,
            Err(PublishError::Returned { .. }) => {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            Err(e) => return Err(e.into()),
        }
    };
    println!(
        "published: id {} (confirmed by the broker)",
        sent.id.as_deref().unwrap_or("?")
    );

    let (received, typed) = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .map_err(|_| "the message did not come back within 10 s")?
        .ok_or("the consumer stopped before receiving the message")?;
    let stopped = consuming.await??;
    assert_eq!(stopped, Stopped::Halted { exit_code: 0 });

    println!(
        "consumed:  {:?} from queue {}",
        typed,
        received.queue.as_deref().unwrap_or("?")
    );
    println!("headers:");
    for (name, value) in &received.headers {
        println!("  {name}: {value}");
    }
    let same =
        typed.as_ref() == Some(&msg) && received.headers == sent.headers && received.id == sent.id;
    println!("identical: {same} (typed body, id and every header)");
    print!("record line: {}", lines::dumps(&received));

    // What a consumer does with a body that breaks the schema: a typed error, never the handler.
    let registry = Registry::new().with::<BuildComplete>()?;
    let bad = delivery::receive(
        &registry,
        &received.topic,
        Properties {
            headers: Some(received.headers.clone()),
            content_encoding: Some("utf-8".into()),
            ..Properties::default()
        },
        br#"{"owner": "alice", "package": "python-requests", "status": 3}"#,
    );
    if let Err(e) = bad {
        println!("rejected:  {e}");
    }
    publisher.close().await;
    if !same {
        return Err("the message changed on its way".into());
    }
    Ok(())
}

fn no_broker(config: &Config, e: &PublishError) -> String {
    format!(
        "no RabbitMQ broker answered at {} ({e}).\n\
         Start one: `./scripts/rabbitmq` (installs and starts rabbitmq-server when it may), \
         or `sudo apt-get install rabbitmq-server`, or point FEDORA_MESSAGING_CONF at a config.toml \
         whose amqp_url names a broker.",
        config.amqp_url
    )
}
