//! `fedora-messaging publish FILE`.

use std::io::{BufRead, BufReader};
use std::time::Duration;

use fedora_messaging::amqp::config::Config;
use fedora_messaging::amqp::publish::{PublishError, Publisher};
use fedora_messaging::lines;

use crate::args::PublishArgs;

/// Python's exit code for a publish timeout (ECONNREFUSED).
const EXIT_TIMEOUT: i32 = 111;
/// Python's exit code for a returned or refused message (EREMOTEIO).
const EXIT_RETURNED: i32 = 121;

/// The exit code for a message that was not published, as Python's `publish` command has them.
pub(crate) fn exit_code(e: &PublishError) -> i32 {
    match e {
        PublishError::Timeout { .. } => EXIT_TIMEOUT,
        PublishError::Returned { .. } | PublishError::Forbidden { .. } => EXIT_RETURNED,
        PublishError::Validation(_) => 2,
        _ => 1,
    }
}

pub(crate) async fn publish(config: Config, args: PublishArgs) -> i32 {
    let name = args.file.display().to_string();
    let reader: Box<dyn BufRead> = if name == "-" {
        Box::new(BufReader::new(std::io::stdin()))
    } else {
        match std::fs::File::open(&args.file) {
            Ok(f) => Box::new(BufReader::new(f)),
            Err(e) => {
                eprintln!("Error: Invalid value for 'FILE': {name}: {e}");
                return 2;
            }
        }
    };
    // Read and check every line first, so a bad line leaves nothing half-published.
    let mut envelopes = Vec::new();
    for item in lines::read(reader) {
        match item {
            Ok(env) => envelopes.push(env),
            Err(e) => {
                eprintln!("Error: {name}: {e}; nothing was published");
                return 2;
            }
        }
    }
    let exchange = args
        .exchange
        .unwrap_or_else(|| config.publish_exchange.clone());
    let timeout = Duration::from_secs_f64(args.timeout);
    let publisher = Publisher::new(config).timeout(timeout);
    for (i, env) in envelopes.iter().enumerate() {
        println!("Publishing message with topic {}", env.topic);
        if let Err(e) = publisher.publish_envelope_to(&exchange, env).await {
            eprintln!(
                "Error: message {} of {} (topic {}): {e}",
                i + 1,
                envelopes.len(),
                env.topic
            );
            return exit_code(&e);
        }
    }
    publisher.close().await;
    0
}
