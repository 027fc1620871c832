//! `fedmsg zmq-to-amqp`, `fedmsg amqp-to-zmq` and `fedmsg verify-missing`: the bridges between the
//! ZeroMQ bus and the AMQP broker. Each prints what it did as one JSON object on standard output
//! when it stops.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use fedmsg::bridge::amqp_to_zmq::PublishTo;
use fedmsg::bridge::settings::Settings;
use fedmsg::bridge::verify_missing::Report;
use fedmsg::bridge::{AmqpToZmq, VerifyMissing, ZmqToAmqp};
use fedmsg::Config;
use fedora_messaging::amqp::consume::{Consumer, Stopped};
use serde_json::json;

use crate::args::{AmqpToZmqArgs, BridgeConfigArgs, VerifyMissingArgs, ZmqToAmqpArgs};
use crate::forward::shutdown;
use crate::schemas::RepoTyping;

fn load(args: &BridgeConfigArgs) -> anyhow::Result<(Settings, fedora_messaging::amqp::Config)> {
    let settings = Settings::load(args.bridge_config.as_deref())
        .context("reading the bridge configuration")?;
    let amqp = match &args.amqp_config {
        Some(p) => fedora_messaging::amqp::Config::from_file(p),
        None => fedora_messaging::amqp::Config::load(),
    }
    .context("reading the fedora-messaging configuration")?;
    Ok((settings, amqp))
}

fn print_json(value: &serde_json::Value) {
    println!("{value}");
}

pub(crate) async fn zmq_to_amqp(config: &Config, args: ZmqToAmqpArgs) -> anyhow::Result<ExitCode> {
    let (settings, amqp) = load(&args.config)?;
    let mut s = settings.zmq_to_amqp;
    if let Some(x) = args.exchange {
        s.exchange = x;
    }
    if !args.topics.is_empty() {
        s.topics = args.topics;
    }
    if !args.zmq_endpoints.is_empty() {
        s.zmq_endpoints = args.zmq_endpoints;
    }
    let validate = if args.validate {
        true
    } else if args.no_validate {
        false
    } else {
        config.validate_signatures
    };
    let mut bridge = ZmqToAmqp::new(config, amqp, s).validate_signatures(validate);
    if let Some(dir) = &args.schemas {
        let typing = RepoTyping::load(dir)?;
        eprintln!(
            "typing messages by topic with {} message types of {}",
            typing.len(),
            dir.display()
        );
        bridge = bridge.typing(Arc::new(typing));
    }
    eprintln!("bridging ZeroMQ to AMQP");
    let stats = bridge
        .run(shutdown())
        .await
        .context("bridging ZeroMQ to AMQP")?;
    print_json(&json!({ "zmq_to_amqp": stats }));
    Ok(ExitCode::SUCCESS)
}

pub(crate) async fn amqp_to_zmq(config: &Config, args: AmqpToZmqArgs) -> anyhow::Result<ExitCode> {
    let (_, amqp) = load(&args.config)?;
    let mut to = PublishTo::from_amqp_config(&amqp);
    if let Some(e) = args.publish_endpoint {
        to.endpoint = e;
    }
    to.remote |= args.remote;
    let bridge = AmqpToZmq::new(config, &to).context("starting the AMQP to ZeroMQ bridge")?;
    eprintln!(
        "bridging AMQP to ZeroMQ on {}",
        bridge.publisher().endpoint()
    );
    let stopped = bridge.run(Consumer::new(amqp).stop_on_signals()).await;
    print_json(&json!({ "amqp_to_zmq": bridge.stats() }));
    match stopped.context("consuming from AMQP")? {
        Stopped::Shutdown => Ok(ExitCode::SUCCESS),
        Stopped::Halted { exit_code } => Ok(ExitCode::from(u8::try_from(exit_code).unwrap_or(1))),
    }
}

pub(crate) async fn verify_missing(
    config: &Config,
    args: VerifyMissingArgs,
) -> anyhow::Result<ExitCode> {
    let (settings, amqp) = load(&args.config)?;
    let endpoints = if args.zmq_endpoints.is_empty() {
        settings.verify_endpoints().to_vec()
    } else {
        args.zmq_endpoints
    };
    let mut s = settings.verify_missing;
    if let Some(w) = args.window {
        s.window = w;
    }
    if let Some(r) = args.report_every {
        s.report_every = r;
    }
    let json_out = args.json;
    eprintln!(
        "verifying messages on {} and {}",
        endpoints.join(", "),
        s.exchanges.join(", ")
    );
    let counts = VerifyMissing::new(config, amqp, s, endpoints)
        .run(shutdown(), |report| match report {
            Report::Missing(list) => {
                for m in list {
                    if json_out {
                        print_json(&json!({ "missing": m }));
                    } else {
                        println!(
                            "missing on {}: {} ({}), seen on {}",
                            m.missing_on, m.id, m.topic, m.seen_on
                        );
                    }
                }
            }
            Report::Counts(c) if json_out => print_json(&json!({ "counts": c })),
            _ => {}
        })
        .await
        .context("verifying the bridges")?;
    if !json_out {
        print_json(&json!({ "counts": counts }));
    }
    Ok(ExitCode::SUCCESS)
}
