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

use std::hint::black_box;

use fedora_messaging::amqp::delivery;
use fedora_messaging::{Envelope, Registry};
use fedora_messaging_rs::messages::koji::BuildStateChangeV1;
use serde_json::json;

fn main() {
    // `cargo bench` appends `--bench`.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let [path, n] = args.as_slice() else {
        eprintln!("generated bench: PATH N (run by scripts/bench-instructions)");
        std::process::exit(2);
    };
    let n: usize = n.parse().expect("N, a number");
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
    let run: Box<dyn Fn()> = match path.as_str() {
        "construct+validate" => Box::new(|| {
            let e = Envelope::from_message(black_box(&msg)).unwrap();
            e.validate_as::<BuildStateChangeV1>().unwrap();
            black_box(e);
        }),
        "build" => Box::new(|| {
            black_box(Envelope::from_message(black_box(&msg)).unwrap());
        }),
        "validate" => Box::new(|| black_box(&env).validate_as::<BuildStateChangeV1>().unwrap()),
        "receive-typed" => Box::new(|| {
            black_box(delivery::receive(&registry, &env.topic, props.clone(), &body).unwrap());
        }),
        other => {
            eprintln!("generated bench: unknown path {other:?}");
            std::process::exit(2);
        }
    };
    for _ in 0..n {
        run();
    }
}
