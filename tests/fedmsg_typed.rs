//! fedmsg has no schema header: a Rust application picks the message type by topic. Here Python
//! fedmsg 1.1.7 (`fedmsg.publish`, bind) sends bodhi messages as bodhi did before AMQP, and a Rust
//! application built on types generated from the real bodhi-messages package (imported with
//! `scripts/import-schema-package`, with the interop tests' accessors) receives them with `fedmsg::zeromq::Subscriber` and decodes
//! each with `fedmsg::decode::by_topic`: `org.fedoraproject.prod.bodhi.update.comment` becomes a
//! `bodhi.update.comment.v1` message, losslessly. Messages whose topic no type has stay untyped.

#![allow(clippy::unwrap_used)]

mod common;
#[path = "common/fedmsg_peer.rs"]
mod fedmsg_peer;

use std::process::Command;
use std::time::Duration;

use common::python::{build_generated_crate_with, root, run};
use fedmsg_peer::{json_lines, Running, Site};

const EXTRA_DEPS: &str = "fedmsg = { path = \"{root}/crates/fedmsg\" }\nfutures-util = \"0.3\"";

#[test]
fn python_fedmsg_publishes_bodhi_rust_decodes_by_topic() {
    // The Rust application: generated bodhi types + the fedmsg subscriber.
    let work = root().join("target/fedmsg-typed");
    let repo = work.join("repo");
    let _ = std::fs::remove_dir_all(&repo);
    run(Command::new(common::python::venv())
        .arg(root().join("scripts/import-schema-package"))
        .arg("--out")
        .arg(&repo)
        .arg("--accessors")
        .arg(root().join("tests/interop/accessors.toml"))
        .args(["bodhi-messages", "copr-messaging"]));
    let repo = fedora_messaging_build::Repo::load(&repo).unwrap_or_else(|e| panic!("{e}"));
    let code = fedora_messaging_build::generate(&repo).unwrap_or_else(|e| panic!("{e}"));
    let main_rs = std::fs::read_to_string(root().join("tests/fedmsg/typed_peer.rs")).unwrap();
    let peer = build_generated_crate_with(
        &work.join("peer"),
        "fedmsg-typed-peer",
        &main_rs,
        &code,
        EXTRA_DEPS,
    );

    let site = Site::new("typed", "");
    let cases = std::fs::read_to_string(root().join("tests/fedmsg/cases.jsonl")).unwrap();
    let cases_file = site.file("cases.jsonl", &cases);
    let cases = json_lines(&cases.lines().map(str::to_owned).collect::<Vec<_>>());

    let endpoint = format!("tcp://127.0.0.1:{}", site.publisher);
    let mut rust = Running::spawn(
        Command::new(&peer)
            .arg(&endpoint)
            .arg(cases.len().to_string()),
    );
    rust.wait_for_stderr("ready", Duration::from_secs(30));
    // Python binds, sleeps (2 s here, so the Rust side's reconnect certainly lands), publishes.
    let sent = json_lines(
        &Running::spawn(&mut site.peer(&[
            "publish",
            "bodhi.host",
            cases_file.to_str().unwrap(),
            "--sleep",
            "2",
        ]))
        .finish(),
    );
    let got = json_lines(&rust.finish());
    assert_eq!(got.len(), cases.len());
    for ((case, sent), got) in cases.iter().zip(&sent).zip(&got) {
        assert_eq!(&got["envelope"], sent, "the envelope as Python sent it");
        match case["schema"].as_str() {
            Some(schema) => {
                assert_eq!(got["schema"], schema, "{got}");
                assert_eq!(got["body"], case["msg"], "decoded losslessly");
                assert!(!got["summary"].as_str().unwrap().is_empty());
            }
            None => assert!(got["schema"].is_null(), "{got}"),
        }
    }
    // The bodhi accessors came with the generated type: the comment's author is among its users.
    let author = &cases[0]["msg"]["comment"]["user"]["name"];
    assert!(
        got[0]["usernames"].as_array().unwrap().contains(author),
        "{}",
        got[0]
    );
}
