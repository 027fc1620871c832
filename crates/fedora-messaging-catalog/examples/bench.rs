//! How long a catalog and an AsyncAPI document of a schema repo take to make, in memory (the
//! repo is loaded once; writing the files is left out).
//!
//! `cargo run --release -p fedora-messaging-catalog --example bench -- SCHEMA_DIR [RUNS]`
//! prints one JSON line per measure with the median and the fastest run in milliseconds.

use std::time::{Duration, Instant};

use fedora_messaging_build::Repo;
use fedora_messaging_catalog::{asyncapi, catalog, to_yaml, AsyncApiOptions, CatalogOptions};

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().expect("usage: bench SCHEMA_DIR [RUNS]");
    let runs: usize = args
        .next()
        .map_or(20, |r| r.parse().expect("RUNS is a number"));
    let started = Instant::now();
    let repo = Repo::load(&dir).unwrap_or_else(|e| panic!("{e}"));
    let load = started.elapsed();
    let schemas = repo.messages().count();
    let no_history = CatalogOptions {
        history: false,
        ..CatalogOptions::default()
    };
    let measures: [(&str, Measure<'_>); 4] = [
        (
            "catalog",
            Box::new(|| catalog(&repo, &no_history).files.len()),
        ),
        (
            "catalog with git history",
            Box::new(|| catalog(&repo, &CatalogOptions::default()).files.len()),
        ),
        (
            "asyncapi (json)",
            Box::new(|| {
                asyncapi(&repo, &AsyncApiOptions::default())
                    .to_string()
                    .len()
            }),
        ),
        (
            "asyncapi (yaml)",
            Box::new(|| to_yaml(&asyncapi(&repo, &AsyncApiOptions::default())).len()),
        ),
    ];
    println!(
        "{{\"measure\": \"load repo\", \"schemas\": {schemas}, \"ms\": {:.2}}}",
        ms(load)
    );
    for (name, f) in measures {
        let mut times: Vec<Duration> = (0..runs)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(f());
                t.elapsed()
            })
            .collect();
        times.sort();
        println!(
            "{{\"measure\": \"{name}\", \"schemas\": {schemas}, \"runs\": {runs}, \"median_ms\": {:.2}, \"min_ms\": {:.2}}}",
            ms(times[times.len() / 2]),
            ms(times[0])
        );
    }
}

/// A named piece of work; its result is kept from being optimized away.
type Measure<'a> = Box<dyn Fn() -> usize + 'a>;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
