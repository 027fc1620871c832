//! CPU paths of a message, on the message the Python baseline measures (`shared/bench/python`:
//! `BenchMessageV1`, a draft-04 schema with 7 typed properties, a nested object, an array, a
//! pattern and `required`; a 200-byte body). Run with `scripts/bench`; each figure is messages/s.

#![allow(clippy::unwrap_used)] // a benchmark: a panic is the failure report

use std::borrow::Cow;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use fedora_messaging::{lines, Envelope, Message, Properties, Registry, Severity};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Meta {
    host: String,
    pid: i64,
    ok: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct BenchMessageV1 {
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
    fn from_body(body: Value, _: &str, _: Severity) -> Result<Self, serde_json::Error> {
        serde_json::from_value(body)
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
fn message(size: usize) -> BenchMessageV1 {
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

fn benches(c: &mut Criterion) {
    let msg = message(200);
    let env = Envelope::from_message(&msg).unwrap();
    assert_eq!(env.body_bytes().len(), 200);
    let line = lines::dumps(&env);
    let registry = Registry::new().with::<BenchMessageV1>().unwrap();
    let props = Properties {
        content_encoding: Some("utf-8".into()),
        ..env.properties()
    };
    let body = env.body_bytes();

    let mut g = c.benchmark_group("message");
    g.throughput(Throughput::Elements(1));
    // Python: BenchMessageV1(body=..., topic=...).validate()
    g.bench_function("construct+validate", |b| {
        b.iter(|| {
            let e = Envelope::from_message(&msg).unwrap();
            e.validate_as::<BenchMessageV1>().unwrap();
            e
        })
    });
    // Python: .validate() on one pre-built message
    g.bench_function("validate", |b| {
        b.iter(|| env.validate_as::<BenchMessageV1>().unwrap())
    });
    g.bench_function("build envelope (headers)", |b| {
        b.iter(|| Envelope::from_message(&msg).unwrap())
    });
    g.bench_function("build+validate+encode", |b| {
        b.iter(|| {
            let e = Envelope::from_message(&msg).unwrap();
            e.validate_as::<BenchMessageV1>().unwrap();
            e.body_bytes()
        })
    });
    // Python: message.dumps(list) per message
    g.bench_function("dumps", |b| b.iter(|| lines::dumps(&env)));
    // Python: message.loads(text) per message
    g.bench_function("loads", |b| b.iter(|| lines::parse_line(&line, 1).unwrap()));
    g.bench_function("receive typed (decode+validate)", |b| {
        b.iter(|| {
            registry
                .receive("bench.publish", props.clone(), &body)
                .unwrap()
        })
    });
    g.bench_function("receive envelope (decode+base validate)", |b| {
        b.iter(|| {
            let e = Envelope::from_delivery("bench.publish", props.clone(), &body).unwrap();
            e.validate_base().unwrap();
            e
        })
    });
    g.finish();
}

criterion_group!(name = group; config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(3)); targets = benches);
criterion_main!(group);
