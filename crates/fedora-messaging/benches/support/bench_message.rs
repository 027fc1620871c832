//! The message the Python baseline measures (`bench/python`: `BenchMessageV1`, a draft-04
//! schema with 7 typed properties, a nested object, an array, a pattern and `required`), shared by
//! the benchmarks.

use std::borrow::Cow;

use fedora_messaging::{Envelope, Message, Severity};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Meta {
    host: String,
    pid: i64,
    ok: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct BenchMessageV1 {
    id: i64,
    agent: String,
    summary: String,
    timestamp: String,
    tags: Vec<String>,
    meta: Meta,
    payload: String,
}

impl Message for BenchMessageV1 {
    const SCHEMA_NAME: &'static str = "fmbench.messageV1";
    const SCHEMA_PACKAGE: Option<&'static str> = Some("fmbench_schemas");
    const TOPIC: Option<&'static str> = Some("bench.publish");

    fn body_schema() -> Value {
        json!({
            "$schema": "http://json-schema.org/draft-04/schema#",
            "id": "http://fedoraproject.org/message-schema/fmbench#",
            "description": "Benchmark message",
            "type": "object",
            "properties": {
                "id": {"type": "integer", "minimum": 0},
                "agent": {"type": "string"},
                "summary": {"type": "string", "maxLength": 256},
                "timestamp": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T"},
                "tags": {"type": "array", "items": {"type": "string"}},
                "meta": {
                    "type": "object",
                    "properties": {"host": {"type": "string"}, "pid": {"type": "integer"}, "ok": {"type": "boolean"}},
                    "required": ["host", "pid"]
                },
                "payload": {"type": "string"}
            },
            "required": ["id", "agent", "timestamp", "meta", "payload"]
        })
    }
    fn to_body(&self) -> Result<Value, serde_json::Error> {
        serde_json::to_value(self)
    }
    // As `#[derive(Message)]` writes it: the envelope's body is serialized once, into tokens.
    fn serialize_body(&self) -> Result<fedora_messaging::Body, serde_json::Error> {
        fedora_messaging::Body::serialize(self)
    }
    fn from_body(body: Value, _: &str, _: Severity) -> Result<Self, serde_json::Error> {
        serde_json::from_value(body)
    }
    // As `#[derive(Message)]` writes it: a received body is decoded without cloning it first.
    fn from_body_ref(body: &Value, _: &str, _: Severity) -> Result<Self, serde_json::Error> {
        Self::deserialize(body)
    }
    fn summary(&self) -> String {
        self.summary.clone()
    }
    fn agent_name(&self) -> Option<String> {
        Some(self.agent.clone())
    }
    fn topic(&self) -> Cow<'_, str> {
        Cow::Borrowed("bench.publish")
    }
}

/// The baseline's body: its Python `json.dumps` encoding is exactly `size` bytes.
pub(crate) fn message(size: usize) -> BenchMessageV1 {
    let mut m = BenchMessageV1 {
        id: 1,
        agent: "fmbench".into(),
        summary: "bench msg".into(),
        timestamp: "2024-01-01T00:00:00+00:00".into(),
        tags: vec!["bench".into(), "perf".into()],
        meta: Meta {
            host: "localhost".into(),
            pid: 4242,
            ok: true,
        },
        payload: String::new(),
    };
    let base = Envelope::from_message(&m).unwrap().body_bytes().len();
    m.payload = "x".repeat(size.saturating_sub(base));
    m
}

/// What the CPU benches work on: the 200-byte message, its envelope and record line, a registry
/// that knows its type, and the delivery (properties and body) a consumer of it receives.
#[allow(dead_code)] // the AMQP benches take the message alone
pub(crate) struct Fixture {
    pub(crate) msg: BenchMessageV1,
    pub(crate) env: Envelope,
    pub(crate) line: String,
    pub(crate) registry: fedora_messaging::Registry,
    pub(crate) props: fedora_messaging::amqp::delivery::Properties,
    pub(crate) body: Vec<u8>,
}

#[allow(dead_code)] // the AMQP benches take the message alone
pub(crate) fn fixture() -> Fixture {
    let msg = message(200);
    let env = Envelope::from_message(&msg).unwrap();
    assert_eq!(env.body_bytes().len(), 200);
    let props = fedora_messaging::amqp::delivery::Properties {
        content_encoding: Some("utf-8".into()),
        ..fedora_messaging::amqp::delivery::properties(&env)
    };
    Fixture {
        line: fedora_messaging::lines::dumps(&env),
        registry: fedora_messaging::Registry::new()
            .with::<BenchMessageV1>()
            .unwrap(),
        body: env.body_bytes(),
        props,
        env,
        msg,
    }
}
