//! The CPU paths of `message.rs`, one path at a time, for counting instructions under callgrind
//! (`scripts/bench-instructions`): instructions do not move with whatever else the machine does,
//! so a change of a few per cent shows, where time figures on shared cores move ±15 %.
//!
//! ```text
//! cargo bench -p fedora-messaging --bench instructions -- PATH N
//! ```
//!
//! runs PATH (`construct+validate`, `validate`, `build`, `dumps`, `loads`, `receive-typed`) N times
//! after the setup; the script runs it for two values of N and divides the difference, so the setup
//! (compiling the schema, building the inputs) is not counted.

#![allow(clippy::unwrap_used)] // a benchmark: a panic is the failure report

#[path = "support/bench_message.rs"]
mod bench_message;

use std::hint::black_box;

use bench_message::{fixture, BenchMessageV1, Fixture};
use fedora_messaging::amqp::delivery;
use fedora_messaging::{lines, Envelope};

fn main() {
    // `cargo bench` appends `--bench`.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let [path, n] = args.as_slice() else {
        eprintln!("instructions bench: PATH N (run by scripts/bench-instructions)");
        std::process::exit(2);
    };
    let n: usize = n.parse().expect("N, a number");
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
    let run: Box<dyn Fn()> = match path.as_str() {
        "construct+validate" => Box::new(|| {
            let e = Envelope::from_message(black_box(&msg)).unwrap();
            e.validate_as::<BenchMessageV1>().unwrap();
            black_box(e);
        }),
        "validate" => Box::new(|| black_box(&env).validate_as::<BenchMessageV1>().unwrap()),
        "build" => Box::new(|| {
            black_box(Envelope::from_message(black_box(&msg)).unwrap());
        }),
        "dumps" => Box::new(|| {
            black_box(lines::dumps(black_box(&env)));
        }),
        "loads" => Box::new(|| {
            black_box(lines::parse_line(black_box(&line), 1).unwrap());
        }),
        "receive-typed" => Box::new(|| {
            black_box(delivery::receive(&registry, "bench.publish", props.clone(), &body).unwrap());
        }),
        other => {
            eprintln!("instructions bench: unknown path {other:?}");
            std::process::exit(2);
        }
    };
    for _ in 0..n {
        run();
    }
}
