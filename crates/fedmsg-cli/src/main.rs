//! `fedmsg`: the fedmsg command line (Python's `fedmsg-tail`, `fedmsg-logger`, `fedmsg-relay`,
//! `fedmsg-gateway`, and fedmsg-migration-tools' bridges), on the same configuration files.

mod args;
mod bridge;
mod forward;
mod logger;
mod schemas;
mod tail;

use anyhow::Context as _;
use clap::Parser;

use args::{Cli, Command};

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<std::process::ExitCode> {
    let source = match &cli.config {
        Some(p) => fedmsg::ConfigSource::Path(p.clone()),
        None => fedmsg::ConfigSource::Search,
    };
    let config = fedmsg::Config::load(&source).context("reading the fedmsg configuration")?;
    match cli.command {
        Command::Tail(a) => tail::run(&config, a).await,
        Command::Logger(a) => logger::run(&config, a).await,
        Command::Relay(a) => forward::relay(&config, a).await,
        Command::Gateway(a) => forward::gateway(&config, a).await,
        Command::ZmqToAmqp(a) => bridge::zmq_to_amqp(&config, a).await,
        Command::AmqpToZmq(a) => bridge::amqp_to_zmq(&config, a).await,
        Command::VerifyMissing(a) => bridge::verify_missing(&config, a).await,
        Command::Config => {
            print!("{}", config.to_toml());
            Ok(std::process::ExitCode::SUCCESS)
        }
    }
}
