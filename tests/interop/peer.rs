//! The Rust side of the interop tests (`tests/interop.rs`), compiled by the test as a crate of its
//! own with `generated.rs`: the bindings generated from the real bodhi-messages and copr-messaging
//! packages. It uses the toolkit as an application would.
//!
//! ```text
//! peer publish CASES.json     publishes each case as its typed message (generated or derived)
//! peer consume COUNT          consumes COUNT messages from the config's queues, then stops
//! ```
//!
//! `FEDORA_MESSAGING_CONF` names the config.toml. Each message is printed as one JSON line.

// A binary uses only part of the generated API; the rest is not dead in a library.
#[allow(dead_code)]
mod generated;

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use fedora_messaging::amqp::config::Config;
use fedora_messaging::amqp::consume::{Consumer, HandlerError, Received};
use fedora_messaging::amqp::publish::Publisher;
use fedora_messaging::{BaseMessage, Envelope, Message, Registry, Severity};
use generated::AnyMessage;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// How a build ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
enum Status {
    Succeeded,
    Failed,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
        })
    }
}

/// The Rust half of `fmrs.interop.build.v1`; the Python half is `InteropBuildV1` in
/// `tests/interop/python/fmrs_interop_messages.py`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Message)]
#[message(
    schema = "fmrs.interop.build.v1",
    topic = "fmrs.interop.build.v1",
    package = "fmrs-interop-messages",
    severity = "warning",
    summary = "{owner}'s build of {package} {status}"
)]
struct InteropBuild {
    #[message(agent, usernames)]
    owner: String,
    #[message(packages)]
    package: String,
    status: Status,
    #[message(usernames)]
    watchers: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    notes: Option<String>,
}

fn registry() -> Registry {
    let mut registry = Registry::new();
    AnyMessage::register_all(&mut registry).expect("generated types register");
    registry
        .register::<InteropBuild>()
        .expect("the derived type registers");
    registry
}

fn body_of(case: &Value) -> Value {
    let mut body = case["body"].clone();
    if let Some(expand) = case.get("expand") {
        let text = expand["text"].as_str().unwrap_or_default();
        let times = expand["times"].as_u64().unwrap_or_default() as usize;
        body[expand["key"].as_str().unwrap_or_default()] = Value::String(text.repeat(times));
    }
    body
}

/// The envelope of a typed message as a publisher builds it, with the case's fixed id and time.
fn envelope<M: Message>(message: &M, case: &Value, config: &Config) -> Envelope {
    let mut builder = Envelope::builder(message)
        .priority(config.publish_priority)
        .id(case["id"].as_str().unwrap_or_default())
        .sent_at_text(case["sent_at"].as_str().unwrap_or_default());
    if let Some(headers) = case.get("headers").and_then(Value::as_object) {
        for (name, value) in headers {
            builder = builder.header(name, value.clone());
        }
    }
    builder.build().expect("a valid envelope")
}

/// The case as its typed message: a `BaseMessage`, the derived `InteropBuild`, or the generated type
/// of its schema (decoded, so validated, from the body).
fn typed_envelope(case: &Value, config: &Config) -> (Envelope, String) {
    let body = body_of(case);
    let schema = case["schema"].as_str().unwrap_or_default();
    match schema {
        "base.message" => {
            let mut message = BaseMessage::new(case["topic"].as_str().unwrap_or_default(), body);
            if let Some(n) = case.get("severity").and_then(Value::as_u64) {
                let severity = Severity::try_from(n as i64).expect("a severity");
                message = message.with_severity(severity);
            }
            (envelope(&message, case, config), "BaseMessage".into())
        }
        "fmrs.interop.build.v1" => {
            let message: InteropBuild = serde_json::from_value(body).expect("an InteropBuild");
            (envelope(&message, case, config), "InteropBuild".into())
        }
        _ => {
            let mut untyped = Envelope::from_message(&BaseMessage::new("t", json!({}))).expect("envelope");
            untyped.body = body.into();
            untyped
                .headers
                .insert("fedora_messaging_schema".into(), schema.into());
            let any = AnyMessage::decode(&untyped)
                .expect("the body is valid for its generated type")
                .expect("the schema is generated");
            let env = match &any {
                AnyMessage::BodhiUpdateCommentV1(m) => envelope(m, case, config),
                AnyMessage::BodhiUpdateRequestTestingV1(m) => envelope(m, case, config),
                AnyMessage::CoprBuildChrootStartedV1(m) => envelope(m, case, config),
                AnyMessage::CoprBuildChrootEndedV1(m) => envelope(m, case, config),
                other => panic!("no case uses {other:?}"),
            };
            (env, variant(&any))
        }
    }
}

/// The `AnyMessage` variant's name.
fn variant(any: &AnyMessage) -> String {
    let debug = format!("{any:?}");
    debug[..debug.find('(').unwrap_or(debug.len())].to_owned()
}

async fn publish(cases_path: &str) {
    let config = Config::load().expect("config");
    let cases: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(cases_path).expect("cases")).expect("JSON");
    let registry = Arc::new(registry());
    let publisher = Publisher::new(config.clone()).registry(Arc::clone(&registry));
    for case in &cases {
        let (env, rust_type) = typed_envelope(case, &config);
        publisher
            .publish_envelope(&env)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", case["name"]));
        let typed = registry.decode(env.clone()).expect("what was sent decodes");
        let message = match &typed {
            fedora_messaging::Decoded::Known { message, .. } => message,
            fedora_messaging::Decoded::Unknown { .. } => panic!("{}: not typed", case["name"]),
        };
        println!(
            "{}",
            json!({
                "case": case["name"], "id": env.id, "rust_type": rust_type, "topic": env.topic,
                "headers": env.headers, "agent_name": message.dyn_agent_name(),
                "usernames": message.dyn_usernames(), "packages": message.dyn_packages(),
            })
        );
    }
    publisher.close().await;
}

/// What this side read from a received message, for the test to compare with what Python sent.
fn record(msg: &Received) -> Value {
    let env = msg.envelope();
    let mut out = json!({
        "id": env.id,
        "topic": env.topic,
        "headers": env.headers,
        "body": env.body,
        "priority": env.priority,
        "content_type": env.content_type,
        "content_encoding": env.content_encoding,
        "delivery_mode": env.delivery_mode,
    });
    let Some(message) = msg.message() else {
        out["rust_type"] = Value::Null;
        return out;
    };
    let rust_type = if msg.downcast_ref::<InteropBuild>().is_some() {
        "InteropBuild".to_owned()
    } else if msg.downcast_ref::<BaseMessage>().is_some() {
        "BaseMessage".to_owned()
    } else {
        match AnyMessage::decode(env) {
            Ok(Some(any)) => variant(&any),
            other => format!("not generated: {other:?}"),
        }
    };
    out["rust_type"] = rust_type.into();
    out["schema"] = message.dyn_schema_name().into();
    out["round_trip"] = (message.dyn_to_body().ok().as_ref() == Some(env.body.value())).into();
    out["severity"] = serde_json::to_value(message.dyn_severity()).unwrap_or_default();
    out["agent_name"] = message.dyn_agent_name().into();
    out["usernames"] = message.dyn_usernames().into();
    out["packages"] = message.dyn_packages().into();
    out["summary"] = message.dyn_summary().into();
    out
}

async fn consume(count: usize) {
    let config = Config::load().expect("config");
    let consumer = Consumer::new(config).registry(Arc::new(registry()));
    let stop = consumer.stop_handle();
    let deadline = stop.clone();
    // Whatever arrives, the peer ends: the test names what is missing.
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(60)).await;
        deadline.stop();
    });
    let seen = Arc::new(AtomicUsize::new(0));
    consumer
        .run(move |msg: Received| {
            println!("{}", record(&msg));
            if seen.fetch_add(1, Ordering::SeqCst) + 1 >= count {
                stop.stop();
            }
            async { Ok::<(), HandlerError>(()) }
        })
        .await
        .expect("consume");
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[1..] {
        ["publish", cases] => publish(cases).await,
        ["consume", count] => consume(count.parse().expect("a count")).await,
        _ => {
            eprintln!("usage: peer publish CASES.json | peer consume COUNT");
            std::process::exit(2);
        }
    }
}
