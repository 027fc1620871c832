//! The bare loops of the second candidate client, amqprs: the same bytes, confirms, persistent
//! messages, durable queue, prefetch and one ack per message as the bare lapin loops of
//! `amqp.rs`, so the two clients are compared on the same work.
//!
//! amqprs runs on tokio tasks (one reader, one writer per connection) without an I/O thread of
//! its own; publisher confirms come through a channel callback, deliveries through an unbounded
//! tokio channel.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use amqprs::callbacks::ChannelCallback;
use amqprs::channel::{
    BasicAckArguments, BasicConsumeArguments, BasicPublishArguments, BasicQosArguments, Channel,
    ConfirmSelectArguments,
};
use amqprs::connection::{Connection, OpenConnectionArguments};
use amqprs::{
    Ack, BasicProperties, Cancel, CloseChannel, FieldName, FieldTable, FieldValue, Nack, Return,
};
use fedora_messaging::Envelope;
use serde_json::{Map, Value};
use tokio::sync::Notify;

/// A connection and a channel to the local broker (guest/guest, vhost `/`).
pub(crate) async fn channel() -> (Connection, Channel) {
    let args = OpenConnectionArguments::new("127.0.0.1", 5672, "guest", "guest");
    let conn = Connection::open(&args)
        .await
        .expect("RabbitMQ on 127.0.0.1:5672");
    let ch = conn.open_channel(None).await.unwrap();
    (conn, ch)
}

/// What the lapin loop sends, in amqprs's types: the envelope's properties, its JSON headers with
/// the same AMQP encodings as `fedora_messaging::amqp::wire` (integers as `I` when they fit 32
/// bits, else `l`).
pub(crate) fn properties(env: &Envelope) -> BasicProperties {
    let mut props = BasicProperties::default();
    props.with_headers(table(&env.headers));
    if let Some(v) = &env.content_type {
        props.with_content_type(v);
    }
    if let Some(v) = &env.content_encoding {
        props.with_content_encoding(v);
    }
    if let Some(v) = &env.id {
        props.with_message_id(v);
    }
    if let Some(v) = env.delivery_mode {
        props.with_delivery_mode(v);
    }
    if let Some(v) = env.priority {
        props.with_priority(v);
    }
    props
}

fn table(map: &Map<String, Value>) -> FieldTable {
    let mut out = FieldTable::new();
    for (k, v) in map {
        let name: FieldName = k.as_str().try_into().unwrap();
        out.insert(name, value(v));
    }
    out
}

fn value(v: &Value) -> FieldValue {
    match v {
        Value::Null => FieldValue::V,
        Value::Bool(b) => FieldValue::t(*b),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => match i32::try_from(i) {
                Ok(small) => FieldValue::I(small),
                Err(_) => FieldValue::l(i),
            },
            (None, Some(f)) => FieldValue::d(f),
            (None, None) => FieldValue::V,
        },
        Value::String(s) => FieldValue::S(s.clone().try_into().unwrap()),
        Value::Array(items) => FieldValue::A(
            items
                .iter()
                .map(value)
                .collect::<Vec<_>>()
                .try_into()
                .unwrap(),
        ),
        Value::Object(map) => FieldValue::F(table(map)),
    }
}

/// Counts the broker's confirms (`multiple` ones too) and wakes the publisher.
struct Confirms {
    acked: Arc<AtomicU64>,
    nacked: Arc<AtomicU64>,
    wake: Arc<Notify>,
    last_tag: u64,
}

impl Confirms {
    /// How many publishes a confirm of `tag` settles (the broker confirms in order).
    fn settled(&mut self, tag: u64, multiple: bool) -> u64 {
        let n = if multiple { tag - self.last_tag } else { 1 };
        self.last_tag = self.last_tag.max(tag);
        n
    }
}

#[async_trait::async_trait]
impl ChannelCallback for Confirms {
    async fn close(
        &mut self,
        _: &Channel,
        close: CloseChannel,
    ) -> Result<(), amqprs::error::Error> {
        panic!("the broker closed the bench channel: {close}");
    }
    async fn cancel(&mut self, _: &Channel, _: Cancel) -> Result<(), amqprs::error::Error> {
        Ok(())
    }
    async fn flow(&mut self, _: &Channel, active: bool) -> Result<bool, amqprs::error::Error> {
        Ok(active)
    }
    async fn publish_ack(&mut self, _: &Channel, ack: Ack) {
        let n = self.settled(ack.delivery_tag(), ack.mutiple());
        self.acked.fetch_add(n, Ordering::Release);
        self.wake.notify_one();
    }
    async fn publish_nack(&mut self, _: &Channel, nack: Nack) {
        let n = self.settled(nack.delivery_tag(), nack.multiple());
        self.nacked.fetch_add(n, Ordering::Release);
        self.wake.notify_one();
    }
    async fn publish_return(&mut self, _: &Channel, _: Return, _: BasicProperties, _: Vec<u8>) {}
}

/// A channel in confirm mode, and the publisher's view of its confirms.
pub(crate) struct ConfirmChannel {
    pub(crate) channel: Channel,
    acked: Arc<AtomicU64>,
    nacked: Arc<AtomicU64>,
    wake: Arc<Notify>,
    published: u64,
}

impl ConfirmChannel {
    pub(crate) async fn new(channel: Channel) -> Self {
        let (acked, nacked, wake) = (Arc::default(), Arc::default(), Arc::default());
        channel
            .register_callback(Confirms {
                acked: Arc::clone(&acked),
                nacked: Arc::clone(&nacked),
                wake: Arc::clone(&wake),
                last_tag: 0,
            })
            .await
            .unwrap();
        channel
            .confirm_select(ConfirmSelectArguments::default())
            .await
            .unwrap();
        Self {
            channel,
            acked,
            nacked,
            wake,
            published: 0,
        }
    }

    fn settled(&self) -> u64 {
        self.acked.load(Ordering::Acquire) + self.nacked.load(Ordering::Acquire)
    }

    /// Waits until at most `in_flight` published messages await their confirm.
    async fn wait_until(&self, in_flight: u64) {
        loop {
            let notified = self.wake.notified();
            if self.published - self.settled() <= in_flight {
                return;
            }
            notified.await;
        }
    }

    /// `n` times the same bytes, each publish awaited (as the lapin loop awaits
    /// `basic_publish`), `window` confirms in flight; panics on a nack.
    pub(crate) async fn publish(
        &mut self,
        n: usize,
        routing_key: &str,
        (body, props): &(Vec<u8>, BasicProperties),
        window: usize,
    ) -> Duration {
        let started = Instant::now();
        let args = BasicPublishArguments::new("amq.topic", routing_key);
        for _ in 0..n {
            self.channel
                .basic_publish(props.clone(), body.clone(), args.clone())
                .await
                .unwrap();
            self.published += 1;
            self.wait_until(window as u64 - 1).await;
        }
        self.wait_until(0).await;
        assert_eq!(self.nacked.load(Ordering::Acquire), 0, "no message nacked");
        started.elapsed()
    }
}

/// Consumes `n` messages with `prefetch`, one awaited ack each, as the bare lapin consumer.
pub(crate) async fn consume(queue: &str, n: usize, prefetch: u16, mut first: impl FnMut()) {
    let (conn, ch) = channel().await;
    ch.basic_qos(BasicQosArguments::new(0, prefetch, false))
        .await
        .unwrap();
    let mut args = BasicConsumeArguments::new(queue, "fmrs-bench-amqprs");
    args.manual_ack(true);
    let (_tag, mut rx) = ch.basic_consume_rx(args).await.unwrap();
    let mut count = 0;
    while let Some(msg) = rx.recv().await {
        first();
        let deliver = msg.deliver.expect("a delivery");
        ch.basic_ack(BasicAckArguments::new(deliver.delivery_tag(), false))
            .await
            .unwrap();
        count += 1;
        if count == n {
            break;
        }
    }
    let _ = ch.close().await;
    let _ = conn.close().await;
}
