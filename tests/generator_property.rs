//! Generality as a property: message schemas drawn from a grammar of what real schema packages use
//! (`property/grammar.rs`: drafts 04 to 2020-12, type arrays, nullable and plain `$ref`s to
//! objects, recursion through `$ref`, `oneOf`/`anyOf` with null, enums with null, `allOf` of
//! objects, `additionalProperties`, `patternProperties`, keyword and non-identifier property
//! names, integers written as `1.0`). For each: generation succeeds; all of them compile, as one
//! crate (batched, so the test stays fast); every drawn valid body decodes and re-encodes to the
//! same JSON (type-strict: absent is not null, 1 is not 1.0); and for valid and mutated bodies
//! alike, our validation verdict equals Python's `jsonschema` (the fedora-messaging 3.9.1
//! virtualenv's).
//!
//! `./scripts/test` runs a fixed seed and case count; a longer run:
//! `SCHEMA_CASES=1000 SCHEMA_SEED=7 cargo test --test generator_property -- --nocapture`.

#![allow(clippy::unwrap_used)]

mod common;
#[path = "property/grammar.rs"]
mod grammar;

use std::io::Write as _;
use std::process::{Command, Stdio};

use common::python::{build_generated_crate, root, run, venv, CHECK_SAMPLES_MAIN_RS};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{json, Value};

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Python's verdict for each `{"schema", "body"}` line, as fedora-messaging validates a body.
const PYTHON_VERDICTS: &str = r#"
import json, sys
import jsonschema
for line in sys.stdin:
    d = json.loads(line)
    cls = jsonschema.validators.validator_for(d["schema"])
    print(json.dumps(cls(d["schema"]).is_valid(d["body"])))
"#;

#[test]
fn drawn_schemas_generate_compile_round_trip_and_agree_with_python() {
    let cases = env_or("SCHEMA_CASES", 48) as usize;
    let seed = env_or("SCHEMA_SEED", 20261203);
    let batch = env_or("SCHEMA_BATCH", 200) as usize;
    let mut seed_bytes = [0u8; 32];
    seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes),
    );
    let strategy = grammar::case();
    let work = root().join("target/generator-property");
    let python = venv();

    let (mut compiled, mut round_tripped, mut verdicts, mut valid_mutants) = (0, 0, 0, 0);
    let mut failures = Vec::new();
    for start in (0..cases).step_by(batch) {
        let end = (start + batch).min(cases);
        let repo = work.join("repo");
        let _ = std::fs::remove_dir_all(&repo);
        std::fs::create_dir_all(repo.join("prop")).unwrap();
        let mut manifest = String::new();
        let mut samples = Vec::new();
        let mut schemas = Vec::new();
        for i in start..end {
            let case = strategy.new_tree(&mut runner).unwrap().current();
            let schema = grammar::schema(&case);
            let name = format!("prop.case{i}");
            std::fs::write(
                repo.join(format!("prop/case{i}.json")),
                serde_json::to_string_pretty(&schema).unwrap(),
            )
            .unwrap();
            manifest += &format!(
                "[[message]]\nschema = \"{name}\"\nfile = \"case{i}.json\"\ntopic = \"prop.case{i}\"\n\n"
            );
            let mut rng = runner.new_rng();
            for _ in 0..4 {
                let body = grammar::body(&case, &mut rng);
                samples.push((name.clone(), body.clone(), true));
                samples.push((name.clone(), grammar::mutate(&body, &mut rng), false));
            }
            schemas.push((name, schema));
        }
        std::fs::write(repo.join("prop/messages.toml"), manifest).unwrap();

        // Generation must take every drawn schema.
        let loaded = fedora_messaging_build::Repo::load(&repo).unwrap_or_else(|e| panic!("{e}"));
        let code = fedora_messaging_build::generate(&loaded).unwrap_or_else(|e| panic!("{e}"));

        // One crate for the batch; every type compiles (warnings denied).
        let binary = build_generated_crate(
            &work.join("crate"),
            "property",
            CHECK_SAMPLES_MAIN_RS,
            &code,
        );
        compiled += end - start;
        let lines: String = samples
            .iter()
            .map(|(name, body, _)| {
                format!("{}\n", json!({"schema": name, "topic": name, "body": body}))
            })
            .collect();
        let samples_file = work.join("samples.jsonl");
        std::fs::write(&samples_file, &lines).unwrap();
        let ours: Vec<Value> = run(Command::new(&binary).arg(&samples_file))
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();

        // Python's verdicts, in one process for the batch.
        let schema_of = |name: &str| &schemas.iter().find(|(n, _)| n == name).unwrap().1;
        let mut child = Command::new(&python)
            .args(["-c", PYTHON_VERDICTS])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        {
            let mut stdin = child.stdin.take().unwrap();
            for (name, body, _) in &samples {
                writeln!(
                    stdin,
                    "{}",
                    json!({"schema": schema_of(name), "body": body})
                )
                .unwrap();
            }
        }
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        let theirs: Vec<bool> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| l == "true")
            .collect();
        assert_eq!(theirs.len(), samples.len());

        for (((name, body, drawn_valid), ours), python_valid) in
            samples.iter().zip(&ours).zip(theirs)
        {
            let valid = ours["valid"] == Value::Bool(true);
            let show = || {
                format!(
                    "{name}: body {body}\nschema {}\nours: {ours}",
                    serde_json::to_string(schema_of(name)).unwrap()
                )
            };
            if valid != python_valid {
                failures.push(format!(
                    "verdict: Python says {python_valid}, we say {valid}\n{}",
                    show()
                ));
            } else {
                verdicts += 1;
            }
            if *drawn_valid && !python_valid {
                failures.push(format!(
                    "drawn as valid, but Python rejects it (grammar bug)\n{}",
                    show()
                ));
            }
            if valid {
                if ours["round_trip"] == Value::Bool(true) {
                    round_tripped += 1;
                    valid_mutants += usize::from(!drawn_valid);
                } else {
                    failures.push(format!("did not round-trip\n{}", show()));
                }
            }
        }
    }
    println!(
        "seed {seed}: {cases} schemas drawn, generated and compiled ({compiled}); {} bodies \
         ({} drawn valid, {} mutated); {round_tripped} valid bodies round-tripped ({valid_mutants} \
         of them mutated); {verdicts} verdicts equal to Python's; {} failures",
        cases * 8,
        cases * 4,
        cases * 4,
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} failures; the first ones:\n{}",
        failures.len(),
        failures
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n\n")
    );
}
