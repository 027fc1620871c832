//! Declaring what the consumer reads from: queues, bindings, qos, and a `basic.consume` per queue.
//! Errors are sorted into "fatal" (the broker refused: Python's `BadDeclaration` and
//! `PermissionException`) and "lost" (the connection went: reconnect and declare again).

use futures_util::stream::{BoxStream, SelectAll, StreamExt};
use lapin::options::{BasicConsumeOptions, BasicQosOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::FieldTable;
use lapin::{Channel, Connection};

use super::error::ConsumeError;
use super::Consumer;
use crate::amqp::config::ConfigError;
use crate::amqp::wire;

/// One delivery from the queue at `index` of [`Session::channels`], named `queue`.
pub(super) type Incoming = (usize, String, lapin::Result<lapin::message::Delivery>);

/// The channels of one connection: one per queue, each with its consumer tag and queue name.
pub(super) struct Session {
    pub(super) channels: Vec<(Channel, String, String)>,
    pub(super) streams: SelectAll<BoxStream<'static, Incoming>>,
}

pub(super) enum SetupError {
    /// Stop consuming with this error.
    Fatal(ConsumeError),
    /// The connection went away while declaring: reconnect.
    Lost(lapin::Error),
}

impl Consumer {
    /// Declares every queue and its bindings on `conn`, sets qos and starts consuming.
    pub(super) async fn setup(&self, conn: &Connection) -> Result<Session, SetupError> {
        let mut channels = Vec::new();
        let mut streams = SelectAll::new();
        for (name, q) in &self.queues {
            let queue_args = arguments(&q.arguments, || format!("the {name} queue's arguments"))?;
            let ch = conn.create_channel().await.map_err(SetupError::Lost)?;
            let declared = ch
                .queue_declare(
                    name.as_str().into(),
                    QueueDeclareOptions {
                        passive: self.config.passive_for(q),
                        durable: q.durable,
                        exclusive: q.exclusive,
                        auto_delete: q.auto_delete,
                        nowait: false,
                    },
                    queue_args,
                )
                .await
                .map_err(|e| bad_declaration("queue", name, e))?;
            let actual = declared.name().as_str().to_owned();
            for b in self.bindings.iter().filter(|b| &b.queue == name) {
                let binding_args = arguments(&b.arguments, || {
                    format!("the binding of {name} to {}: its arguments", b.exchange)
                })?;
                for key in &b.routing_keys {
                    ch.queue_bind(
                        actual.as_str().into(),
                        b.exchange.as_str().into(),
                        key.as_str().into(),
                        QueueBindOptions::default(),
                        binding_args.clone(),
                    )
                    .await
                    .map_err(|e| {
                        bad_declaration("binding", &format!("{actual} <- {} {key}", b.exchange), e)
                    })?;
                }
            }
            ch.basic_qos(self.config.qos.prefetch_count, BasicQosOptions::default())
                .await
                .map_err(SetupError::Lost)?;
            let tag = uuid::Uuid::new_v4().to_string();
            let consumer = ch
                .basic_consume(
                    actual.as_str().into(),
                    tag.as_str().into(),
                    BasicConsumeOptions::default(),
                    FieldTable::default(),
                )
                .await
                .map_err(|e| match code(&e) {
                    Some(403) => SetupError::Fatal(ConsumeError::Permission {
                        queue: actual.clone(),
                        source: e,
                    }),
                    _ => SetupError::Lost(e),
                })?;
            tracing::info!(queue = %actual, "consuming");
            let index = channels.len();
            let queue = actual.clone();
            streams.push(consumer.map(move |d| (index, queue.clone(), d)).boxed());
            channels.push((ch, tag, actual));
        }
        Ok(Session { channels, streams })
    }
}

/// `arguments` as an AMQP table; one with no AMQP form stops the consumer with a config error
/// naming it (`what` says whose arguments they are).
fn arguments(
    arguments: &toml::Table,
    what: impl FnOnce() -> String,
) -> Result<FieldTable, SetupError> {
    wire::arguments_table(arguments).map_err(|e| {
        SetupError::Fatal(ConsumeError::Config(ConfigError::new(format!(
            "{}: {e}",
            what()
        ))))
    })
}

/// The AMQP reply code of a channel or connection error, if the broker sent one.
pub(super) fn code(e: &lapin::Error) -> Option<u16> {
    match e.kind() {
        lapin::ErrorKind::ProtocolError(amqp) => Some(amqp.get_id()),
        _ => None,
    }
}

fn bad_declaration(object: &'static str, name: &str, e: lapin::Error) -> SetupError {
    match code(&e) {
        // 403 refused, 404 passive declare found nothing, 405 locked, 406 mismatched attributes.
        Some(403..=406) => SetupError::Fatal(ConsumeError::BadDeclaration {
            object,
            name: name.to_owned(),
            source: e,
        }),
        _ => SetupError::Lost(e),
    }
}
