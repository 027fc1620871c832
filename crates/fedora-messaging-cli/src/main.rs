//! `fedora-messaging`: the command line of fedora-messaging-rs.

mod args;
mod catalog;
mod compat;
mod consume;
mod exec;
mod generate;
mod publish;
mod reconsume;
mod replay;
mod validate;

use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use fedora_messaging::amqp::config::Config;

use crate::args::{Cli, Command};

/// Python's exit code for usage errors (click).
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "fedora_messaging=info,warn".into()),
        )
        .init();
    if let Command::Completions { shell } = cli.command {
        clap_complete::generate(
            shell,
            &mut Cli::command(),
            "fedora-messaging",
            &mut std::io::stdout(),
        );
        return ExitCode::SUCCESS;
    }
    // The contract commands need neither a config nor a broker; reconsume needs no broker.
    let command = match cli.command {
        Command::Generate(a) => return exit(generate::generate(&a)),
        Command::Validate(a) => return exit(validate::validate(&a)),
        Command::Compat(a) => return exit(compat::compat(&a)),
        Command::Catalog(a) => return exit(catalog::catalog(&a)),
        Command::Asyncapi(a) => return exit(catalog::asyncapi(&a)),
        Command::Reconsume(a) => return block_on(reconsume::reconsume(a)),
        other => other,
    };
    let conf = cli.conf;
    let config = match load_config(conf.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("Error: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    block_on(async move {
        match command {
            Command::Consume(a) => consume::consume(config, a).await,
            Command::Record(a) => consume::record(config, a).await,
            Command::Publish(a) => publish::publish(config, a).await,
            Command::Replay(a) => replay::replay(config, conf.as_deref(), a).await,
            Command::Completions { .. }
            | Command::Generate(_)
            | Command::Validate(_)
            | Command::Compat(_)
            | Command::Catalog(_)
            | Command::Asyncapi(_)
            | Command::Reconsume(_) => {
                unreachable!("handled above")
            }
        }
    })
}

/// Runs a command on a multi-threaded runtime; its result is the exit code.
fn block_on(command: impl std::future::Future<Output = i32>) -> ExitCode {
    match tokio::runtime::Runtime::new() {
        Ok(runtime) => exit(runtime.block_on(command)),
        Err(e) => {
            eprintln!("Error: cannot start the async runtime: {e}");
            ExitCode::FAILURE
        }
    }
}

fn exit(code: i32) -> ExitCode {
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

fn load_config(conf: Option<&std::path::Path>) -> Result<Config, String> {
    match conf {
        Some(path) if !path.is_file() => Err(format!(
            "Invalid value for '--conf': {} is not a file",
            path.display()
        )),
        Some(path) => {
            Config::from_file(path).map_err(|e| format!("Invalid value for '--conf': {e}"))
        }
        None => Config::load().map_err(|e| e.to_string()),
    }
}
