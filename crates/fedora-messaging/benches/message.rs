//! CPU paths of a message, on the message the Python baseline measures (`bench/python`:
//! `BenchMessageV1`, a draft-04 schema with 7 typed properties, a nested object, an array, a
//! pattern and `required`; a 200-byte body). Run with `scripts/bench`; each figure is messages/s.

#![allow(clippy::unwrap_used)] // a benchmark: a panic is the failure report

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use fedora_messaging::amqp::delivery;
use fedora_messaging::{lines, Envelope};

#[path = "support/bench_message.rs"]
mod bench_message;

use bench_message::{fixture, BenchMessageV1, Fixture};

fn benches(c: &mut Criterion) {
    let Fixture {
        msg,
        env,
        line,
        registry,
        props,
        body,
    } = fixture();

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
        b.iter(|| delivery::receive(&registry, "bench.publish", props.clone(), &body).unwrap())
    });
    g.bench_function("receive envelope (decode+base validate)", |b| {
        b.iter(|| {
            let e = delivery::envelope("bench.publish", props.clone(), &body).unwrap();
            e.validate_base().unwrap();
            e
        })
    });
    g.finish();
}

criterion_group!(name = group; config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(3)); targets = benches);
criterion_main!(group);
