//! Generation time for a whole schema repo: the project's `schemas/`, and, when present, the PyPI
//! packages the conformance test imports (`target/conformance/repo`; `scripts/bench` makes it).

#![allow(missing_docs, clippy::unwrap_used)]

use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion};
use fedora_messaging_build::{generate, Repo};

fn bench(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut repos = vec![("schemas", root.join("schemas"))];
    let imported = std::env::var_os("FM_BENCH_REPO")
        .map(Into::into)
        .unwrap_or_else(|| root.join("target/conformance/repo"));
    if imported.is_dir() {
        repos.push(("conformance-packages", imported));
    } else {
        eprintln!(
            "{}: missing; run the conformance test first",
            imported.display()
        );
    }
    for (name, dir) in repos {
        // What build.rs does: read and check the repo, generate, format.
        c.bench_function(&format!("load+generate/{name}"), |b| {
            b.iter(|| generate(&Repo::load(&dir).unwrap()).unwrap())
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
