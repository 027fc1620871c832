//! The real Python peer for the conformance and interop tests: a virtualenv with fedora-messaging
//! 3.9.1, five schema packages from PyPI and the interop test's own small schema package, plus a
//! way to compile generated code as a crate of its own.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The schema packages, as pinned for the runs (versions of 2026-11; a new release is a
/// deliberate bump).
pub(crate) const PACKAGES: &[(&str, &str)] = &[
    ("bodhi-messages", "26.4.0"),
    ("pagure-messages", "1.3.3"),
    ("anitya-schema", "2.3.0"),
    ("copr-messaging", "1.3"),
    ("noggin-messages", "1.1.0"),
    // Added for the generator on every real schema: per-message topics (koji's task and rpm
    // messages, webhook's forges), vendored messages, computed topics.
    ("koji-fedoramessaging-messages", "1.3.0"),
    ("fedora-messaging-the-new-hotness-schema", "1.3.0"),
    ("discourse2fedmsg-messages", "1.1.0"),
    ("fedora-messaging-git-hook-messages", "1.0.2"),
    ("journal-to-fedora-messaging-messages", "1.0.3"),
    ("bugzilla2fedmsg-schema", "1.1.0"),
    ("webhook-to-fedora-messaging-messages", "1.5.0"),
];

/// Packages whose source distribution ships no test suite: generated and compiled, no samples.
pub(crate) const WITHOUT_TEST_SUITE: &[&str] = &["webhook-to-fedora-messaging-messages"];

/// The project root: the first folder up from the crate under test that holds `Cargo.lock` (the
/// fedmsg command line's tests include this file too).
pub(crate) fn root() -> PathBuf {
    let mut dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    while !dir.join("Cargo.lock").exists() {
        assert!(
            dir.pop(),
            "no Cargo.lock above {}",
            env!("CARGO_MANIFEST_DIR")
        );
    }
    dir
}

/// Runs `cmd`; panics with its output when it fails, else returns its standard output.
pub(crate) fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The virtualenv's python, made (or brought up to date) on first use and kept in
/// `target/python/venv` between runs. It holds fedora-messaging 3.9.1, [`PACKAGES`], pytest and
/// mock (for the packages' own test suites) and `tests/interop/python` (the interop test's
/// schema package, whose messages the Rust side derives).
pub(crate) fn venv() -> PathBuf {
    // Once per test binary: its tests run in parallel, and one pip at a time may install.
    static VENV: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    VENV.get_or_init(make_venv).clone()
}

fn make_venv() -> PathBuf {
    let dir = root().join("target/python/venv");
    let python = dir.join("bin/python");
    let local = root().join("tests/interop/python");
    let mut wanted: Vec<String> = vec![
        "fedora-messaging==3.9.1".into(),
        "pytest".into(),
        "mock".into(),
        // The reference parser of the Prometheus text formats, for the /metrics test.
        "prometheus-client==0.26.0".into(),
    ];
    wanted.extend(PACKAGES.iter().map(|(p, v)| format!("{p}=={v}")));
    // The marker records what was installed, the local package's source included, so a change
    // to either installs again.
    let source = std::fs::read_to_string(local.join("fmrs_interop_messages.py")).unwrap()
        + &std::fs::read_to_string(local.join("pyproject.toml")).unwrap();
    let marker_text = format!("{}\n{source}", wanted.join("\n"));
    let marker = dir.join("installed");
    if std::fs::read_to_string(&marker).ok().as_deref() == Some(marker_text.as_str()) {
        return python;
    }
    if !python.exists() {
        run(Command::new("python3").args(["-m", "venv"]).arg(&dir));
    }
    let mut pip = Command::new(&python);
    pip.args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
    ]);
    pip.args(&wanted);
    run(&mut pip);
    // Built from a copy (pip builds in the folder it is given) and not editable: the installed
    // package is this run's source, and the source tree stays clean.
    let copy = dir.with_file_name("fmrs-interop-messages");
    let _ = std::fs::remove_dir_all(&copy);
    std::fs::create_dir_all(&copy).unwrap();
    for file in ["pyproject.toml", "fmrs_interop_messages.py"] {
        std::fs::copy(local.join(file), copy.join(file)).unwrap();
    }
    let mut install = Command::new(&python);
    install.args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
    ]);
    run(install.args(["--force-reinstall", "--no-deps"]).arg(&copy));
    std::fs::write(&marker, marker_text).unwrap();
    python
}

/// The `main.rs` of a crate of generated code that checks samples: it reads a JSON-lines file
/// of `{"schema", "topic", "body"}` (the path is its argument) and prints, per line, whether the
/// body validated (`valid`), and if so whether it decoded and re-encoded to the same JSON
/// (`round_trip`), with the error or the re-encoded body otherwise.
pub(crate) const CHECK_SAMPLES_MAIN_RS: &str = r#"
// A binary uses only part of the generated API; the rest is not dead in a library.
#[allow(dead_code)]
mod generated;

use fedora_messaging::{BaseMessage, DecodeError, Envelope};
use generated::AnyMessage;
use serde_json::{json, Value};

fn main() {
    let samples = std::env::args().nth(1).expect("usage: conformance SAMPLES.jsonl");
    let text = std::fs::read_to_string(&samples).expect("samples");
    for line in text.lines() {
        let s: Value = serde_json::from_str(line).expect("a sample line");
        let name = s["schema"].as_str().unwrap_or_default();
        let body = s["body"].clone();
        let topic = s["topic"].as_str().unwrap_or("t");
        let mut env = Envelope::from_message(&BaseMessage::new(topic, json!({}))).expect("envelope");
        env.body = body.clone().into();
        env.headers.insert("fedora_messaging_schema".into(), name.into());
        let (verdict, round_trip, error) = match AnyMessage::decode(&env) {
            Ok(Some(m)) => match m.to_body() {
                Ok(again) => (true, again == body, if again == body { Value::Null } else { json!({"re_encoded": again}) }),
                Err(e) => (true, false, json!(e.to_string())),
            },
            Ok(None) => (false, false, json!("schema not generated")),
            Err(DecodeError::Validation(_)) => (false, false, Value::Null),
            Err(e) => (true, false, json!(e.to_string())),
        };
        println!("{}", json!({"schema": name, "valid": verdict, "round_trip": round_trip, "error": error}));
    }
}
"#;

/// Compiles a binary crate named `name` in `dir` from `main_rs` and the `generated` code (its
/// `mod generated`), against this workspace's runtime and lock file, with warnings denied; returns
/// the binary. The crates share one target folder, so the runtime's dependencies build once.
pub(crate) fn build_generated_crate(
    dir: &Path,
    name: &str,
    main_rs: &str,
    generated: &str,
) -> PathBuf {
    build_generated_crate_with(dir, name, main_rs, generated, "")
}

/// [`build_generated_crate`] with more `[dependencies]` lines; `{root}` in them is the workspace.
pub(crate) fn build_generated_crate_with(
    dir: &Path,
    name: &str,
    main_rs: &str,
    generated: &str,
    extra_deps: &str,
) -> PathBuf {
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let runtime = root().join("crates/fedora-messaging");
    let manifest = format!(
        "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
         [dependencies]\nfedora-messaging = {{ path = {:?} }}\n\
         serde_json = {{ version = \"1\", features = [\"preserve_order\"] }}\n\
         serde = {{ version = \"1\", features = [\"derive\"] }}\n\
         schemars = \"1\"\n\
         tokio = {{ version = \"1\", features = [\"rt-multi-thread\", \"macros\", \"time\"] }}\n{}\n\n[workspace]\n",
        runtime.display().to_string(),
        extra_deps.replace("{root}", &root().display().to_string())
    );
    write_if_changed(&dir.join("Cargo.toml"), &manifest);
    if !dir.join("Cargo.lock").exists() {
        std::fs::copy(root().join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    }
    write_if_changed(&dir.join("src/generated.rs"), generated);
    write_if_changed(&dir.join("src/main.rs"), main_rs);
    let target = root().join("target/generated-crates");
    run(Command::new(env!("CARGO"))
        .args(["build", "--quiet", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", &target)
        .env("RUSTFLAGS", "-D warnings"));
    target.join("debug").join(name)
}

/// Writes `text` unless the file already holds it (so cargo sees no change and builds nothing).
fn write_if_changed(path: &Path, text: &str) {
    if std::fs::read_to_string(path).ok().as_deref() != Some(text) {
        std::fs::write(path, text).unwrap();
    }
}
