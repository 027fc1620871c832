//! `fedmsg relay` and `fedmsg gateway`: forward until interrupted, then report.

use std::process::ExitCode;

use anyhow::Context as _;
use fedmsg::zeromq::Forwarder;
use fedmsg::Config;

use crate::args::{GatewayArgs, RelayArgs};

/// SIGINT or SIGTERM.
pub(crate) async fn shutdown() {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(t) => t,
        Err(_) => return std::future::pending().await,
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

async fn run(forwarder: Forwarder) -> ExitCode {
    eprintln!("forwarding on {}", forwarder.publisher().endpoint());
    let stats = forwarder.run(shutdown()).await;
    eprintln!(
        "forwarded {}, not forwarded {} (high-water mark), malformed {}",
        stats.forwarded, stats.not_forwarded, stats.malformed
    );
    ExitCode::SUCCESS
}

pub(crate) async fn relay(config: &Config, args: RelayArgs) -> anyhow::Result<ExitCode> {
    let forwarder = if args.sign {
        Forwarder::signing_relay(config).context("starting the signing relay")?
    } else {
        Forwarder::relay(config).context("starting the relay")?
    };
    Ok(run(forwarder).await)
}

pub(crate) async fn gateway(config: &Config, args: GatewayArgs) -> anyhow::Result<ExitCode> {
    let port = args.port.unwrap_or(config.gateway_port);
    let forwarder = Forwarder::gateway(config, port).context("starting the gateway")?;
    Ok(run(forwarder).await)
}
