//! The CPU paths of a message whose type is generated from a schema repo (the project's
//! `schemas/`: `koji.build.state.change.v1`, whose `messages.toml` gives it a summary, an agent,
//! usernames and packages), for counting instructions under callgrind
//! (`scripts/bench-instructions generated:construct+validate`). The fedora-messaging benches
//! measure a hand-written type; this one measures what the generator emits.
//!
//! ```text
//! cargo bench -p fedora-messaging-rs --bench generated -- PATH N
//! ```
//!
//! runs PATH (`construct+validate`, `build`, `validate`, `receive-typed`) N times after the setup.

#![allow(clippy::unwrap_used)] // a benchmark: a panic is the failure report

#[path = "../crates/fedora-messaging/benches/support/counting.rs"]
mod counting;

use std::hint::black_box;

use counting::Paths;
use fedora_messaging::amqp::delivery;
use fedora_messaging::{Envelope, Registry};
use fedora_messaging_rs::messages::koji::BuildStateChangeV1;
use serde_json::json;

fn main() {
    let msg: BuildStateChangeV1 = serde_json::from_value(json!({
        "build": {"id": 2_468_013, "name": "python-requests", "version": "2.32.3", "release": "1.fc41", "epoch": null},
        "old": "BUILDING",
        "new": "COMPLETE",
        "owner": "alice",
        "task_id": 123_456_789,
        "tags": ["f41-updates-candidate"],
        "rpms": [{"nvr": "python3-requests-2.32.3-1.fc41", "arch": "noarch", "size": 182_044, "signed": true}]
    }))
    .unwrap();
    let env = Envelope::from_message(&msg).unwrap();
    // Compiles and caches the validator, as the first message of a process does.
    env.validate_as::<BuildStateChangeV1>().unwrap();
    let registry = Registry::new().with::<BuildStateChangeV1>().unwrap();
    let props = delivery::Properties {
        content_encoding: Some("utf-8".into()),
        ..delivery::properties(&env)
    };
    let body = env.body_bytes();
    // BENCHMARKS.md gives this size.
    assert_eq!(body.len(), 326);
    let mut paths = Paths::new();
    paths.insert(
        "construct+validate",
        Box::new(|| {
            let e = Envelope::from_message(black_box(&msg)).unwrap();
            e.validate_as::<BuildStateChangeV1>().unwrap();
            black_box(e);
        }),
    );
    paths.insert(
        "build",
        Box::new(|| {
            black_box(Envelope::from_message(black_box(&msg)).unwrap());
        }),
    );
    paths.insert(
        "validate",
        Box::new(|| black_box(&env).validate_as::<BuildStateChangeV1>().unwrap()),
    );
    paths.insert(
        "receive-typed",
        Box::new(|| {
            black_box(delivery::receive(&registry, &env.topic, props.clone(), &body).unwrap());
        }),
    );
    counting::run("generated", &paths);
}
