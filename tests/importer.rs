//! `scripts/import-schema-package` on the shapes of real Python schema packages that once broke it
//! or the generator: a class named `Message` (a type name generated code reserves), a class whose
//! topic is set per message, a schema computed by a property, one package vendoring another's
//! message, and a package whose schema cannot be read at all. The packages are made here as plain
//! modules with `.dist-info` metadata on `PYTHONPATH` (entry points are all the importer reads),
//! and imported with the real fedora-messaging 3.9.1 of the tests' virtualenv.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::Command;

use common::python::{build_generated_crate, root, venv};

const ALPHA: &str = r#"
from fedora_messaging import message

SCHEMA = {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
          "required": ["n"], "properties": {"n": {"type": "integer"}}}


class Message(message.Message):
    """Named like the base class: a type name generated Rust code reserves."""
    topic = "alpha.thing"
    body_schema = SCHEMA


class PerMessage(message.Message):
    """No topic of its own: the sender gives one per message."""
    body_schema = {"type": "object", "properties": {"who": {"type": "string"}}}


class Computed(message.Message):
    topic = "alpha.computed"

    @property
    def body_schema(self):
        return {"type": "object", "properties": {"k": {"type": "string"}}}
"#;

const BETA: &str = r#"
from fedora_messaging import message
from fake_alpha_messages import SCHEMA


class Vendored(message.Message):
    """alpha.thing.v1, registered again by another package, unchanged."""
    topic = "alpha.thing"
    body_schema = SCHEMA


class Own(message.Message):
    topic = "beta.own"
    body_schema = {"type": "object"}
"#;

const BROKEN: &str = r#"
from fedora_messaging import message


class Broken(message.Message):
    topic = "broken.thing"

    @property
    def body_schema(self):
        raise RuntimeError("needs a database")
"#;

/// A module plus the `.dist-info` that registers its entry points.
fn fake_distribution(dir: &Path, dist: &str, module: &str, source: &str, entries: &[(&str, &str)]) {
    std::fs::write(dir.join(format!("{module}.py")), source).unwrap();
    let info = dir.join(format!("{module}-1.0.dist-info"));
    std::fs::create_dir_all(&info).unwrap();
    std::fs::write(
        info.join("METADATA"),
        format!("Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n"),
    )
    .unwrap();
    let mut eps = String::from("[fedora.messages]\n");
    for (name, class) in entries {
        eps += &format!("{name} = {module}:{class}\n");
    }
    std::fs::write(info.join("entry_points.txt"), eps).unwrap();
}

const MAIN_RS: &str = r#"
#[allow(dead_code)]
mod generated;

use fedora_messaging::{Envelope, Message, WithTopic};
use generated::{alpha, AnyMessage};

fn main() {
    let m = alpha::ThingV1 { n: 1.into(), extra: Default::default() };
    assert_eq!(Envelope::from_message(&m).unwrap().topic, "alpha.thing");
    let who = alpha::PerMessage { who: Some("me".into()), extra: Default::default() };
    let env = Envelope::from_message(&WithTopic::new("alpha.any.topic", who)).unwrap();
    match AnyMessage::decode(&env).unwrap().unwrap() {
        AnyMessage::AlphaPerMessage(m) => assert_eq!(m.topic(), "alpha.any.topic"),
        other => panic!("{other:?}"),
    }
    assert_eq!(AnyMessage::SCHEMA_NAMES.iter().filter(|n| **n == "alpha.thing.v1").count(), 1);
    println!("ok");
}
"#;

#[test]
fn real_package_shapes_import_and_generate_in_one_go() {
    let work = root().join("target/importer");
    let _ = std::fs::remove_dir_all(&work);
    let site = work.join("site");
    std::fs::create_dir_all(&site).unwrap();
    fake_distribution(
        &site,
        "fake-alpha-messages",
        "fake_alpha_messages",
        ALPHA,
        &[
            ("alpha.thing.v1", "Message"),
            ("alpha.per.message", "PerMessage"),
            ("alpha.computed.v1", "Computed"),
        ],
    );
    fake_distribution(
        &site,
        "fake-beta-messages",
        "fake_beta_messages",
        BETA,
        &[("alpha.thing.v1", "Vendored"), ("beta.own.v1", "Own")],
    );
    fake_distribution(
        &site,
        "fake-broken-messages",
        "fake_broken_messages",
        BROKEN,
        &[("broken.thing.v1", "Broken")],
    );

    let repo_dir = work.join("repo");
    let out = Command::new(venv())
        .arg(root().join("scripts/import-schema-package"))
        .arg("--out")
        .arg(&repo_dir)
        .args([
            "fake-alpha-messages",
            "fake-broken-messages",
            "fake-beta-messages",
        ])
        .env("PYTHONPATH", &site)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The broken package fails on its own, with the reason and no traceback; the others import.
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("fake-alpha-messages: ") && stdout.contains("(3 messages)"),
        "{stdout}"
    );
    assert!(stdout.contains("fake-beta-messages: "), "{stdout}");
    assert!(
        stderr.contains("fake-broken-messages: not imported: broken.thing.v1: the schema is computed at run time and could not be read")
            && stderr.contains("needs a database"),
        "{stderr}"
    );
    assert!(!stderr.contains("Traceback"), "{stderr}");
    assert!(
        !repo_dir.join("broken").exists(),
        "a failed package left files"
    );
    let leftovers: Vec<_> = std::fs::read_dir(&repo_dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // What the importer wrote: a usable type name, no fixed topic where Python has none.
    let alpha = std::fs::read_to_string(repo_dir.join("alpha/messages.toml")).unwrap();
    assert!(alpha.contains("type = \"ThingV1\""), "{alpha}");
    assert!(!alpha.contains("type = \"Message\""), "{alpha}");
    assert!(
        alpha.contains("schema = \"alpha.per.message\"\nfile = \"per.message.json\"\ntopic = \"\""),
        "{alpha}"
    );
    let computed: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo_dir.join("alpha/computed.v1.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(computed["properties"]["k"]["type"], "string");

    // The whole repo generates in one go (the vendored copy is one message) and compiles.
    let repo = fedora_messaging_build::Repo::load(&repo_dir).unwrap_or_else(|e| panic!("{e}"));
    let code = fedora_messaging_build::generate(&repo).unwrap_or_else(|e| panic!("{e}"));
    let binary = build_generated_crate(&work.join("crate"), "importer", MAIN_RS, &code);
    let ran = Command::new(binary).output().unwrap();
    assert!(
        ran.status.success(),
        "{}",
        String::from_utf8_lossy(&ran.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&ran.stdout).trim(), "ok");
}
