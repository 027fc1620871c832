//! `generate` and `validate`: the contract commands, on the project's own schema repo.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;
use fedora_messaging::{lines, BaseMessage, Envelope};
use serde_json::{json, Value};

fn bin() -> Command {
    Command::cargo_bin("fedora-messaging").unwrap()
}

fn schemas() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas")
}

fn scratch(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("contract-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn generate_prints_what_build_rs_writes() {
    let out = bin().arg("generate").arg(schemas()).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let repo = fedora_messaging_build::Repo::load(schemas()).unwrap();
    assert_eq!(
        text(&out.stdout),
        fedora_messaging_build::generate(&repo).unwrap()
    );
}

#[test]
fn generate_writes_and_checks_a_file() {
    let dir = scratch("gen");
    let file = dir.join("messages.rs");
    let run = |check: bool| {
        let mut c = bin();
        c.arg("generate").arg(schemas()).arg("-o").arg(&file);
        if check {
            c.arg("--check");
        }
        c.output().unwrap()
    };
    assert_eq!(run(false).status.code(), Some(0));
    assert_eq!(run(true).status.code(), Some(0), "fresh file is up to date");
    std::fs::write(&file, "// stale\n").unwrap();
    let stale = run(true);
    assert_eq!(stale.status.code(), Some(1));
    assert!(
        text(&stale.stderr).contains("is out of date"),
        "{}",
        text(&stale.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "// stale\n",
        "--check writes nothing"
    );
}

#[test]
fn generate_reports_a_broken_repo_with_file_and_pointer() {
    let dir = scratch("broken");
    std::fs::create_dir_all(dir.join("app")).unwrap();
    std::fs::write(
        dir.join("app/messages.toml"),
        "[[message]]\nschema = \"app.x\"\nfile = \"x.json\"\ntopic = \"app.x\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("app/x.json"),
        r##"{"properties": {"a": {"$ref": "#/nowhere"}}}"##,
    )
    .unwrap();
    let out = bin().arg("generate").arg(&dir).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.starts_with("Error: ") && err.contains("x.json#/properties/a/$ref: unresolvable $ref"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "one line, no backtrace: {err}");

    // Several broken messages: all of them, one line each, in one run.
    std::fs::write(
        dir.join("app/messages.toml"),
        "[[message]]\nschema = \"app.x\"\nfile = \"x.json\"\ntopic = \"app.x\"\n\n\
         [[message]]\nschema = \"app.y\"\nfile = \"y.json\"\ntopic = \"app.y\"\n",
    )
    .unwrap();
    std::fs::write(dir.join("app/y.json"), "[]").unwrap();
    let out = bin().arg("generate").arg(&dir).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("2 problems:"), "{err}");
    assert!(
        err.contains("x.json#/properties/a/$ref: unresolvable $ref"),
        "{err}"
    );
    assert!(err.contains("y.json#: not a JSON Schema"), "{err}");
    assert_eq!(err.lines().count(), 3, "{err}");
}

fn line(schema: &str, body: Value) -> String {
    let mut env =
        Envelope::from_message(&BaseMessage::new("demo.build.complete", json!({}))).unwrap();
    env.body = body.into();
    env.headers
        .insert("fedora_messaging_schema".into(), schema.into());
    lines::dumps(&env)
}

#[test]
fn validate_reports_line_schema_and_pointer() {
    let dir = scratch("validate");
    let file = dir.join("messages.jsonl");
    let good = line(
        "demo.build.complete.v1",
        json!({"owner": "a", "package": "p", "status": "failed"}),
    );
    let bad = line(
        "demo.build.complete.v2",
        json!({"owner": "a", "package": "p", "status": "exploded", "arch": 64}),
    );
    let unknown = line("nobody.knows.v1", json!({"anything": 1}));
    std::fs::write(&file, format!("{good}{bad}\n{unknown}{{\"broken\"\n")).unwrap();

    let out = bin()
        .arg("validate")
        .arg("--schemas")
        .arg(schemas())
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report = text(&out.stdout);
    let shown = file.display().to_string();
    assert!(
        report.contains(&format!(
            "{shown}:2: demo.build.complete.v2: body/status: \"exploded\" is not one of"
        )),
        "{report}"
    );
    assert!(
        report.contains(&format!(
            "{shown}:2: demo.build.complete.v2: body/arch: 64 is not of type \"string\""
        )),
        "{report}"
    );
    assert!(
        report.contains(&format!("{shown}:5: not a message:")),
        "{report}"
    );
    assert!(!report.contains(":1:"), "line 1 is valid: {report}");
    let err = text(&out.stderr);
    assert!(
        err.contains(":4: note: schema nobody.knows.v1 is not in the schema repo"),
        "{err}"
    );
    assert!(err.contains("4 messages: 2 valid, 2 invalid"), "{err}");

    // Only valid messages: exit 0, from standard input too.
    let mut child = bin()
        .args(["validate", "--schemas"])
        .arg(schemas())
        .arg("-")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(good.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}

#[test]
fn validate_without_a_repo_checks_the_base_schemas() {
    let dir = scratch("base");
    let file = dir.join("m.jsonl");
    let mut env = Envelope::from_message(&BaseMessage::new("t", json!({}))).unwrap();
    env.headers
        .insert("fedora_messaging_severity".into(), json!(25));
    std::fs::write(&file, lines::dumps(&env)).unwrap();
    let out = bin().arg("validate").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report = text(&out.stdout);
    assert!(report.contains(":1: not a message:"), "{report}");
    assert!(
        report.contains("/headers/fedora_messaging_severity: 25 is not one of"),
        "{report}"
    );
    let missing = bin()
        .args(["validate", "/nonexistent/file"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
}

/// A copy of the project's schema repo, with `edit` applied to one schema file.
fn edited_schemas(name: &str, file: &str, edit: impl Fn(&mut Value)) -> PathBuf {
    let dir = scratch(name).join("schemas");
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(&schemas(), &dir);
    let path = dir.join(file);
    let mut schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut schema);
    std::fs::write(&path, serde_json::to_string_pretty(&schema).unwrap()).unwrap();
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let (src, dest) = (entry.path(), to.join(entry.file_name()));
        if src.is_dir() {
            copy_dir(&src, &dest);
        } else {
            std::fs::copy(&src, &dest).unwrap();
        }
    }
}

fn add_required_reason(schema: &mut Value) {
    schema["properties"]["reason"] = json!({"type": "string"});
    schema["required"]
        .as_array_mut()
        .unwrap()
        .push("reason".into());
}

#[test]
fn compat_passes_an_unchanged_repo_and_fails_a_breaking_change() {
    let same = bin()
        .arg("compat")
        .arg(schemas())
        .arg(schemas())
        .output()
        .unwrap();
    assert_eq!(same.status.code(), Some(0), "{}", text(&same.stderr));
    assert!(
        text(&same.stdout).contains("compatible"),
        "{}",
        text(&same.stdout)
    );

    let new = edited_schemas("compat-break", "koji/tag.v1.json", add_required_reason);
    let out = bin()
        .arg("compat")
        .arg(schemas())
        .arg(&new)
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(
            "FAIL koji.tag.v1 koji/tag.v1.json#/properties/reason: PROPERTY_ADDED_REQUIRED"
        ),
        "{stdout}"
    );

    // A new required property breaks only upgraded consumers reading old messages.
    let forward = bin()
        .args(["compat", "--mode", "forward"])
        .arg(schemas())
        .arg(&new)
        .output()
        .unwrap();
    assert_eq!(forward.status.code(), Some(0), "{}", text(&forward.stdout));
    // ... and Rust code building the struct, when asked.
    let rust = bin()
        .args(["compat", "--mode", "forward", "--rust-api"])
        .arg(schemas())
        .arg(&new)
        .output()
        .unwrap();
    assert_eq!(rust.status.code(), Some(1), "{}", text(&rust.stdout));
}

#[test]
fn compat_speaks_json_and_github() {
    let new = edited_schemas("compat-formats", "demo/build.complete.v1.json", |s| {
        s["properties"]["status"]["enum"] = json!(["succeeded"]);
    });
    let json_out = bin()
        .args(["compat", "--format", "json"])
        .arg(schemas())
        .arg(&new)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&json_out.stdout).unwrap();
    assert_eq!(report["compatible"], false, "{report:#}");
    let finding = &report["comparisons"][0]["findings"][0];
    assert_eq!(finding["schema"], "demo.build.complete.v1", "{report:#}");
    assert_eq!(finding["pointer"], "/properties/status/enum", "{report:#}");
    assert_eq!(
        finding["effects"]["new_consumers"], "breaking",
        "{report:#}"
    );
    assert_eq!(finding["fails"], true);

    let github = bin()
        .args(["compat", "--format", "github"])
        .arg(schemas())
        .arg(&new)
        .output()
        .unwrap();
    let annotations = text(&github.stdout);
    assert!(
        annotations.starts_with("::error file=")
            && annotations.contains("demo/build.complete.v1.json,title="),
        "{annotations}"
    );
}

#[test]
fn compat_reads_git_revisions_and_names_unreadable_versions() {
    let repo = scratch("compat-git");
    let _ = std::fs::remove_dir_all(&repo);
    copy_dir(&schemas(), &repo.join("schemas"));
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.org"])
            .args(args)
            .current_dir(&repo)
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {}", text(&out.stderr));
    };
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-qm", "v1"]);
    let tag = repo.join("schemas/koji/tag.v1.json");
    let mut schema: Value = serde_json::from_str(&std::fs::read_to_string(&tag).unwrap()).unwrap();
    add_required_reason(&mut schema);
    std::fs::write(&tag, schema.to_string()).unwrap();

    let out = bin()
        .args(["compat", "HEAD:schemas", "schemas"])
        .current_dir(&repo)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains("HEAD:schemas -> schemas"),
        "{}",
        text(&out.stdout)
    );

    let missing = bin()
        .args(["compat", "no-such-rev:schemas", "schemas"])
        .current_dir(&repo)
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        text(&missing.stderr).contains("no-such-rev:schemas"),
        "{}",
        text(&missing.stderr)
    );
}
