//! The CPU paths of `message.rs`, one path at a time, for counting instructions under callgrind
//! (`scripts/bench-instructions`): instructions do not move with whatever else the machine does,
//! so a change of a few per cent shows, where time figures on shared cores move ±15 %.
//!
//! ```text
//! cargo bench -p fedora-messaging --bench instructions -- PATH N
//! ```
//!
//! runs PATH (`construct+validate`, `validate`, `build`, `dumps`, `loads`, `receive-typed`,
//! `body-value`, `body-tape`) N times
//! after the setup; the script runs it for two values of N and divides the difference, so the setup
//! (compiling the schema, building the inputs) is not counted.

#![allow(clippy::unwrap_used)] // a benchmark: a panic is the failure report

#[path = "support/bench_message.rs"]
mod bench_message;
#[path = "support/counting.rs"]
mod counting;

use std::hint::black_box;

use bench_message::{fixture, BenchMessageV1, Fixture};
use counting::Paths;
use fedora_messaging::__private::tape::{Tape, TapeJson};
use fedora_messaging::amqp::delivery;
use fedora_messaging::{lines, Envelope, Message};

fn main() {
    let Fixture {
        msg,
        env,
        line,
        registry,
        props,
        body,
    } = fixture();
    // Compiles and caches the validator, as the first message of a process does.
    env.validate_as::<BenchMessageV1>().unwrap();
    // The body alone, in the two models (issue #22): serialized to a `Value` and validated, or
    // serialized to a tape, validated there and written as the wire bytes.
    let schema = BenchMessageV1::body_schema();
    let by_value = fedora_messaging::schema::CompiledSchema::compile(&schema).unwrap();
    let by_tape = jsonschema::options_for::<TapeJson>()
        .with_draft(by_value.draft())
        .should_validate_formats(false)
        .build(&schema)
        .unwrap();
    let mut paths = Paths::new();
    paths.insert(
        "construct+validate",
        Box::new(|| {
            let e = Envelope::from_message(black_box(&msg)).unwrap();
            e.validate_as::<BenchMessageV1>().unwrap();
            black_box(e);
        }),
    );
    paths.insert(
        "validate",
        Box::new(|| black_box(&env).validate_as::<BenchMessageV1>().unwrap()),
    );
    paths.insert(
        "build",
        Box::new(|| {
            black_box(Envelope::from_message(black_box(&msg)).unwrap());
        }),
    );
    paths.insert(
        "dumps",
        Box::new(|| {
            black_box(lines::dumps(black_box(&env)));
        }),
    );
    paths.insert(
        "loads",
        Box::new(|| {
            black_box(lines::parse_line(black_box(&line), 1).unwrap());
        }),
    );
    paths.insert(
        "receive-typed",
        Box::new(|| {
            black_box(delivery::receive(&registry, "bench.publish", props.clone(), &body).unwrap());
        }),
    );
    paths.insert(
        "body-value",
        Box::new(|| {
            let body = black_box(&msg).to_body().unwrap();
            assert!(by_value.is_valid(&body));
            black_box(fedora_messaging::pyjson::to_string(
                &body,
                fedora_messaging::pyjson::Style::BODY,
            ));
        }),
    );
    paths.insert(
        "body-tape",
        Box::new(|| {
            let tape = Tape::from_serialize(black_box(&msg)).unwrap();
            assert!(by_tape.is_valid(tape.root()));
            black_box(tape.body_bytes());
        }),
    );
    counting::run("instructions", &paths);
}
