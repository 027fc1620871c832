//! The generator on the real world: Python schema packages from PyPI (`common::python::PACKAGES`) are imported into a
//! schema repo (`scripts/import-schema-package`), generated into Rust, compiled as a crate of its
//! own, and fed the example bodies of the packages' own test suites (`scripts/harvest-samples`,
//! which records Python's validation verdict for each). Every schema must generate and compile,
//! every valid sample must decode and re-encode to the same JSON, and every verdict must equal
//! Python's. A per-package report is printed and written to `target/conformance/report.json`.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use common::python::{
    build_generated_crate, root, run, venv, CHECK_SAMPLES_MAIN_RS, PACKAGES, WITHOUT_TEST_SUITE,
};
use serde_json::Value;

/// The packages' source distributions, unpacked; returns each one's tests folder.
fn test_suites(python: &Path, work: &Path) -> Vec<PathBuf> {
    let sdists = work.join("sdists");
    // The marker names what was unpacked, so a change to the package list downloads again.
    let wanted = PACKAGES
        .iter()
        .map(|(p, v)| format!("{p}=={v}\n"))
        .collect::<String>();
    if std::fs::read_to_string(sdists.join("unpacked"))
        .ok()
        .as_deref()
        != Some(wanted.as_str())
    {
        let _ = std::fs::remove_dir_all(&sdists);
        let mut pip = Command::new(python);
        pip.args([
            "-m",
            "pip",
            "download",
            "--quiet",
            "--disable-pip-version-check",
        ]);
        pip.args(["--no-deps", "--no-binary", ":all:", "--dest"])
            .arg(&sdists);
        pip.args(PACKAGES.iter().map(|(p, v)| format!("{p}=={v}")));
        run(&mut pip);
        let unpack = "import sys, tarfile, glob\nfor f in glob.glob(sys.argv[1] + '/*.tar.gz'):\n    tarfile.open(f).extractall(sys.argv[1], filter='data')\n";
        run(Command::new(python).args(["-c", unpack]).arg(&sdists));
        std::fs::write(sdists.join("unpacked"), &wanted).unwrap();
    }
    let mut suites = Vec::new();
    for entry in std::fs::read_dir(&sdists).unwrap().flatten() {
        let dir = entry.path();
        if !dir.is_dir() {
            continue;
        }
        // Suites live either at the top (`tests/`) or inside the package (`pkg/tests/`).
        let mut found = None;
        for candidate in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = candidate.path();
            if p.ends_with("tests") {
                found = Some(p);
            } else if p.join("tests").is_dir() && found.is_none() {
                found = Some(p.join("tests"));
            }
        }
        match found {
            Some(tests) => suites.push(tests),
            None => assert!(
                WITHOUT_TEST_SUITE.iter().any(|p| {
                    norm(&dir.file_name().unwrap().to_string_lossy()).starts_with(&norm(p))
                }),
                "no tests folder in {}",
                dir.display()
            ),
        }
    }
    suites.sort();
    assert_eq!(
        suites.len(),
        PACKAGES.len() - WITHOUT_TEST_SUITE.len(),
        "{suites:?}"
    );
    suites
}

/// A distribution name in one spelling (PEP 503).
fn norm(name: &str) -> String {
    name.to_lowercase().replace(['_', '.'], "-")
}

#[test]
fn python_schema_packages_generate_compile_and_round_trip() {
    let work = root().join("target/conformance");
    std::fs::create_dir_all(&work).unwrap();
    let python = venv();

    // Import every package into a schema repo, in our convention.
    let repo_dir = work.join("repo");
    let _ = std::fs::remove_dir_all(&repo_dir);
    let mut import = Command::new(&python);
    import
        .arg(root().join("scripts/import-schema-package"))
        .arg("--out")
        .arg(&repo_dir);
    import.args(PACKAGES.iter().map(|(p, _)| *p));
    print!("{}", run(&mut import));

    // Real bodies from the packages' own tests, with Python's verdicts.
    let samples = work.join("samples.jsonl");
    let mut harvest = Command::new(&python);
    harvest
        .arg(root().join("scripts/harvest-samples"))
        .arg("--out")
        .arg(&samples);
    harvest.args(test_suites(&python, &work));
    run(&mut harvest);

    // Generate.
    let started = Instant::now();
    let repo = fedora_messaging_build::Repo::load(&repo_dir).unwrap_or_else(|e| panic!("{e}"));
    let code = fedora_messaging_build::generate(&repo).unwrap_or_else(|e| panic!("{e}"));
    let generation = started.elapsed();

    // Compile as a crate of its own, against this workspace's runtime and lock file.
    let binary = build_generated_crate(
        &work.join("crate"),
        "conformance",
        CHECK_SAMPLES_MAIN_RS,
        &code,
    );
    let results = run(Command::new(binary).arg(&samples));

    // Compare with Python, per package.
    let expected: Vec<Value> = std::fs::read_to_string(&samples)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let got: Vec<Value> = results
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(expected.len(), got.len());
    let mut report = serde_json::Map::new();
    let mut failures = Vec::new();
    for app in &repo.apps {
        let package = app.package.clone().unwrap();
        let names: Vec<&str> = app
            .messages
            .iter()
            .map(|m| m.schema_name.as_str())
            .collect();
        let mut row = serde_json::json!({
            "schemas": names.len(), "generated": names.len(), "compiled": names.len(),
            "samples": 0, "valid_samples": 0, "round_tripped": 0, "verdicts_equal": 0,
        });
        for (e, g) in expected.iter().zip(&got) {
            let name = e["schema"].as_str().unwrap();
            if !names.contains(&name) {
                continue;
            }
            row["samples"] = (row["samples"].as_u64().unwrap() + 1).into();
            if e["valid"] == g["valid"] {
                row["verdicts_equal"] = (row["verdicts_equal"].as_u64().unwrap() + 1).into();
            } else {
                failures.push(format!(
                    "{name}: Python says valid={}, we say {}: {}",
                    e["valid"], g["valid"], g["error"]
                ));
            }
            if e["valid"] == Value::Bool(true) {
                row["valid_samples"] = (row["valid_samples"].as_u64().unwrap() + 1).into();
                if g["round_trip"] == Value::Bool(true) {
                    row["round_tripped"] = (row["round_tripped"].as_u64().unwrap() + 1).into();
                } else {
                    failures.push(format!("{name}: did not round-trip: {}", g["error"]));
                }
            }
        }
        report.insert(package, row);
    }
    let report = Value::Object(report);
    let text = serde_json::to_string_pretty(&report).unwrap();
    println!(
        "{text}\ngeneration of {} schemas: {generation:?}",
        repo.messages().count()
    );
    std::fs::write(work.join("report.json"), &text).unwrap();
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    for (package, row) in report.as_object().unwrap() {
        assert!(
            row["samples"].as_u64().unwrap() > 0
                || WITHOUT_TEST_SUITE.iter().any(|p| norm(p) == norm(package)),
            "{package} has no samples"
        );
    }
}
