//! `--exec CMD`: a message handled by a shell command, whose exit status decides its fate. Used
//! by `consume` (for each message) and `reconsume` (once, with no broker).

use std::process::Stdio;

use fedora_messaging::amqp::consume::HandlerError;
use fedora_messaging::{lines, Envelope};
use tokio::io::AsyncWriteExt;

/// `--exec` exit statuses (sysexits.h where one fits).
pub(crate) const NACK: i32 = 75;
pub(crate) const DROP: i32 = 65;
pub(crate) const HALT: i32 = 99;

/// Runs `cmd` through `sh -c` with `env` as one `record` line on its standard input and its
/// topic, id and schema in the environment; its exit status as the handler's outcome.
pub(crate) async fn run(cmd: &str, env: &Envelope) -> Result<(), HandlerError> {
    let status = spawn(cmd, env).await?;
    outcome(status.code()).map_err(|e| match e {
        HandlerError::Failed(_) => HandlerError::Failed(
            format!(
                "`{cmd}` failed ({status}) for message {}",
                env.id.as_deref().unwrap_or("?")
            )
            .into(),
        ),
        other => other,
    })
}

/// Runs `cmd` as [`run`] does and returns its exit status.
pub(crate) async fn spawn(cmd: &str, env: &Envelope) -> std::io::Result<std::process::ExitStatus> {
    let mut child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .env("FEDORA_MESSAGING_TOPIC", &env.topic)
        .env("FEDORA_MESSAGING_ID", env.id.as_deref().unwrap_or(""))
        .env("FEDORA_MESSAGING_SCHEMA", env.schema_name().unwrap_or(""))
        .stdin(Stdio::piped())
        .spawn()?;
    if let Some(mut stdin) = child.stdin.take() {
        // A command that does not read its input closes the pipe early; that is not a failure.
        let _ = stdin.write_all(lines::dumps(env).as_bytes()).await;
    }
    child.wait().await
}

/// What an exit status (`None`: killed by a signal) means for the message.
pub(crate) fn outcome(code: Option<i32>) -> Result<(), HandlerError> {
    match code {
        Some(0) => Ok(()),
        Some(NACK) => Err(HandlerError::Nack),
        Some(DROP) => Err(HandlerError::Drop),
        Some(HALT) => Err(HandlerError::Halt {
            exit_code: 0,
            requeue: false,
        }),
        _ => Err(HandlerError::Failed("the command failed".into())),
    }
}

/// What a consumer would do with the message after this exit status, in words.
pub(crate) fn consequence(code: Option<i32>) -> &'static str {
    match outcome(code) {
        Ok(()) => "ack",
        Err(HandlerError::Nack) => "requeue it (nack)",
        Err(HandlerError::Drop) => "drop it (reject, or dead-letter)",
        Err(HandlerError::Halt { .. }) => "ack it and stop consuming",
        Err(_) => "requeue it and stop with exit code 13 (a failure)",
    }
}

#[cfg(test)]
mod tests {
    use fedora_messaging::amqp::consume::HandlerError;

    use super::{consequence, outcome};

    #[test]
    fn exit_statuses_map_to_outcomes() {
        assert!(outcome(Some(0)).is_ok());
        assert!(matches!(outcome(Some(75)), Err(HandlerError::Nack)));
        assert!(matches!(outcome(Some(65)), Err(HandlerError::Drop)));
        assert!(matches!(
            outcome(Some(99)),
            Err(HandlerError::Halt {
                exit_code: 0,
                requeue: false
            })
        ));
        assert!(matches!(outcome(Some(1)), Err(HandlerError::Failed(_))));
        assert!(matches!(outcome(None), Err(HandlerError::Failed(_))));
        assert_eq!(consequence(Some(0)), "ack");
        assert!(consequence(None).contains("failure"));
    }
}
