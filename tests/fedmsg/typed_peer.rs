//! A Rust application on the fedmsg bus: generated bodhi-messages types, a fedmsg subscriber,
//! each message decoded by its topic. `typed-peer ENDPOINT COUNT` prints one JSON line per message.

#[allow(dead_code)]
mod generated;

use fedora_messaging::Registry;
use futures_util::StreamExt;
use generated::AnyMessage;
use serde_json::json;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (endpoint, count) = (args[1].clone(), args[2].parse::<usize>().expect("COUNT"));
    let mut registry = Registry::new();
    AnyMessage::register_all(&mut registry).expect("generated types register");
    let config = fedmsg::Config::default();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let mut tail = fedmsg::zeromq::SubscriberBuilder::new(&config)
            .endpoints([("bodhi.host".to_owned(), endpoint)])
            .start()
            .expect("subscriber");
        eprintln!("ready");
        for _ in 0..count {
            let m = tail.next().await.expect("a message");
            let line = match fedmsg::decode::by_topic(&registry, &config.topic_prefix, &m.envelope) {
                Ok(Some(typed)) => json!({
                    "envelope": m.envelope.to_value(),
                    "schema": typed.dyn_schema_name(),
                    "summary": typed.dyn_summary(),
                    "usernames": typed.dyn_usernames(),
                    "body": typed.dyn_to_body().expect("body"),
                }),
                Ok(None) => json!({"envelope": m.envelope.to_value(), "schema": null}),
                Err(e) => json!({"envelope": m.envelope.to_value(), "error": e.to_string()}),
            };
            println!("{line}");
        }
    });
}
