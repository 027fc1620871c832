//! `fedmsg logger`: publish text or JSON through the relay, as fedmsg-logger does.

use std::io::Read as _;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use fedmsg::stomp::StompPublisher;
use fedmsg::zeromq::{Publisher, Settle};
use fedmsg::Config;
use serde_json::{json, Value};
use tokio::io::AsyncBufReadExt as _;

use crate::args::LoggerArgs;

/// How the logger waits before its first message.
pub(crate) fn settle(args: &LoggerArgs, config: &Config) -> anyhow::Result<Settle> {
    if args.wait_subscribers == 0 {
        return Ok(Settle::Sleep(config.post_init_sleep));
    }
    let timeout = Duration::try_from_secs_f64(args.wait_timeout)
        .with_context(|| format!("--wait-timeout {}", args.wait_timeout))?;
    Ok(Settle::Subscribers {
        count: args.wait_subscribers,
        timeout,
    })
}

/// Where the logger sends: the relay over ZeroMQ, or the broker over STOMP.
enum Sink {
    Zmq(Publisher),
    Stomp(StompPublisher),
}

impl Sink {
    async fn send(&self, args: &LoggerArgs, msg: Value) -> anyhow::Result<()> {
        match self {
            Self::Zmq(p) => p
                .publish(&args.modname, &args.topic, msg)
                .map(|_| ())
                .context("publishing"),
            Self::Stomp(p) => p
                .publish(&args.modname, &args.topic, msg)
                .await
                .map(|_| ())
                .context("publishing over STOMP"),
        }
    }
}

pub(crate) async fn run(config: &Config, args: LoggerArgs) -> anyhow::Result<ExitCode> {
    // fedmsg-logger signs as certnames["<cert_prefix>.<short host>"].
    let mut config = config.clone();
    config.cert_prefix = Some(args.cert_prefix.clone());
    let config = &config;
    let sink = if config.zmq_enabled {
        let publisher = Publisher::connect_relay(config).context("connecting to the relay")?;
        publisher.settle(settle(&args, config)?).await.context(
            "waiting for the relay to subscribe (is a relay listening on relay_inbound?)",
        )?;
        Sink::Zmq(publisher)
    } else {
        let publisher = StompPublisher::connect(config)
            .await
            .context("connecting to the STOMP broker (stomp_uri)")?;
        Sink::Stomp(publisher)
    };
    if let Some(text) = &args.message {
        sink.send(&args, json!({ "log": text })).await?;
    } else if args.json_input {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("reading standard input")?;
        let msg: Value = serde_json::from_str(&text).context("standard input is not JSON")?;
        sink.send(&args, msg).await?;
    } else {
        // Line by line as they come: `tail -f log | fedmsg logger` works.
        let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
        while let Some(line) = lines.next_line().await.context("reading standard input")? {
            sink.send(&args, json!({ "log": line.trim() })).await?;
        }
    }
    // Dropping a ZeroMQ publisher lingers (zmq_linger) until the relay has the messages; STOMP
    // messages were each confirmed by a receipt.
    drop(sink);
    Ok(ExitCode::SUCCESS)
}
