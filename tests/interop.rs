//! Interoperability with the real Python peer, both directions, on the real broker.
//!
//! The Python side (`tests/interop/peer.py`) is fedora-messaging 3.9.1 with the real bodhi-messages
//! and copr-messaging packages and a small schema package of our own (`tests/interop/python`).
//! The Rust side (`tests/interop/peer.rs`) is this toolkit used as an application would: bodhi and
//! copr types generated from the imported packages (`scripts/import-schema-package` with the
//! pointer accessors of `tests/interop/accessors.toml`), and a `#[derive(Message)]` type that
//! mirrors our Python class. Both publish the same cases (`tests/interop/cases.json`: base
//! messages with non-ASCII text, nesting, nulls, numbers, a 1 MiB body and a user header; two
//! bodhi and two copr messages; two derived ones), once with the default configuration and once
//! with a topic prefix and a publish priority.
//!
//! - `same_message_same_bytes`: what Python and Rust publish for a case is identical on the wire:
//!   routing key, body bytes, every AMQP property and every header with its AMQP type.
//! - `python_publishes_rust_consumes`: Rust's consumer decodes each Python message into its typed
//!   struct, losslessly, with Python's id, topic and headers, and reads the same users, packages,
//!   agent and severity from it as Python's schema class does.
//! - `rust_publishes_python_consumes`: Python's receive path resolves each Rust message to its
//!   real schema class (never the base-class fallback) and validates it; the users, packages,
//!   agent and severity the class computes are the ones Rust put in the headers.
//!
//! `record` files going both ways between the two command lines are tested in
//! `crates/fedora-messaging-cli/tests/cli.rs`.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::python::{build_generated_crate, root, run, venv};
use lapin::options::{BasicGetOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::FieldTable;
use serde_json::{json, Value};

/// What every test needs once: the Python peer and the Rust peer, built.
struct Peers {
    python: PathBuf,
    rust: PathBuf,
}

fn peers() -> &'static Peers {
    static PEERS: OnceLock<Peers> = OnceLock::new();
    PEERS.get_or_init(|| {
        let python = venv();
        let work = root().join("target/interop");
        let repo = work.join("repo");
        let _ = std::fs::remove_dir_all(&repo);
        run(Command::new(&python)
            .arg(root().join("scripts/import-schema-package"))
            .arg("--out")
            .arg(&repo)
            .arg("--accessors")
            .arg(root().join("tests/interop/accessors.toml"))
            .args(["bodhi-messages", "copr-messaging"]));
        let repo = fedora_messaging_build::Repo::load(&repo).unwrap_or_else(|e| panic!("{e}"));
        let code = fedora_messaging_build::generate(&repo).unwrap_or_else(|e| panic!("{e}"));
        let main_rs = std::fs::read_to_string(root().join("tests/interop/peer.rs")).unwrap();
        let rust = build_generated_crate(&work.join("peer"), "interop-peer", &main_rs, &code);
        Peers { python, rust }
    })
}

/// The cases, with their bodies expanded as both peers expand them.
fn cases() -> Vec<Value> {
    let text = std::fs::read_to_string(root().join("tests/interop/cases.json")).unwrap();
    let mut cases: Vec<Value> = serde_json::from_str(&text).unwrap();
    for case in &mut cases {
        if let Some(expand) = case.get("expand").cloned() {
            let big = expand["text"]
                .as_str()
                .unwrap()
                .repeat(expand["times"].as_u64().unwrap() as usize);
            case["body"][expand["key"].as_str().unwrap()] = big.into();
        }
    }
    cases
}

fn cases_file() -> PathBuf {
    root().join("tests/interop/cases.json")
}

/// The two configurations every direction runs under.
const PREFIXES: &[(&str, Option<u8>)] = &[("", None), ("org.fmrs.interop", Some(3))];

/// A queue for one run, bound to every topic the cases use, and the config.toml naming it.
struct Run {
    queue: String,
    conf: PathBuf,
    prefix: &'static str,
}

async fn start(prefix: &'static str, priority: Option<u8>) -> Run {
    let queue = common::unique("fmrs-interop");
    let keys: Vec<String> = if prefix.is_empty() {
        vec![
            "fmrs.interop.#".into(),
            "bodhi.update.#".into(),
            "copr.build.#".into(),
        ]
    } else {
        vec![format!("{prefix}.#")]
    };
    let (conn, ch) = common::raw_channel().await;
    ch.queue_declare(
        queue.as_str().into(),
        QueueDeclareOptions::default(),
        FieldTable::default(),
    )
    .await
    .unwrap();
    for key in &keys {
        ch.queue_bind(
            queue.as_str().into(),
            "amq.topic".into(),
            key.as_str().into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    }
    let _ = conn.close(200, "ok".into()).await;
    let mut toml = format!("amqp_url = \"{}\"\n", common::amqp_url());
    if !prefix.is_empty() {
        toml += &format!("topic_prefix = \"{prefix}\"\n");
    }
    if let Some(p) = priority {
        toml += &format!("publish_priority = {p}\n");
    }
    let quoted: Vec<String> = keys.iter().map(|k| format!("\"{k}\"")).collect();
    toml += &format!(
        "\n[queues.\"{queue}\"]\ndurable = false\nauto_delete = false\nexclusive = false\narguments = {{}}\n\n\
         [[bindings]]\nqueue = \"{queue}\"\nexchange = \"amq.topic\"\nrouting_keys = [{}]\n",
        quoted.join(", ")
    );
    let dir = root().join("target/interop");
    std::fs::create_dir_all(&dir).unwrap();
    let conf = dir.join(format!("{queue}.toml"));
    std::fs::write(&conf, toml).unwrap();
    Run {
        queue,
        conf,
        prefix,
    }
}

impl Run {
    /// The routing key a topic is published under.
    fn routing_key(&self, topic: &str) -> String {
        if self.prefix.is_empty() {
            topic.to_owned()
        } else {
            format!("{}.{topic}", self.prefix)
        }
    }

    /// Runs a peer with this run's config; its JSON lines, by message id.
    fn peer(&self, program: &Path, args: &[&str]) -> BTreeMap<String, Value> {
        let out = run(Command::new(program)
            .args(args)
            .env("FEDORA_MESSAGING_CONF", &self.conf)
            .env("RUST_LOG", "warn"));
        out.lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .map(|v| (v["id"].as_str().unwrap_or_default().to_owned(), v))
            .collect()
    }

    fn python_publishes(&self) -> BTreeMap<String, Value> {
        let p = peers();
        let script = root().join("tests/interop/peer.py");
        self.peer(
            &p.python,
            &[
                script.to_str().unwrap(),
                "publish",
                cases_file().to_str().unwrap(),
            ],
        )
    }

    fn rust_publishes(&self) -> BTreeMap<String, Value> {
        self.peer(&peers().rust, &["publish", cases_file().to_str().unwrap()])
    }

    /// Every delivery now in the queue, raw, by message id.
    async fn drain(&self, n: usize) -> BTreeMap<String, lapin::message::BasicGetMessage> {
        let (conn, ch) = common::raw_channel().await;
        let mut out = BTreeMap::new();
        for _ in 0..n {
            let m = common::get(&ch, &self.queue).await;
            let id = m.properties.message_id().as_ref().unwrap().to_string();
            out.insert(id, m);
        }
        let extra = ch
            .basic_get(self.queue.as_str().into(), BasicGetOptions { no_ack: true })
            .await
            .unwrap();
        assert!(extra.is_none(), "more deliveries than cases");
        let _ = conn.close(200, "ok".into()).await;
        out
    }

    async fn finish(self) {
        let (conn, ch) = common::raw_channel().await;
        common::delete_queue(&ch, &self.queue).await;
        let _ = conn.close(200, "ok".into()).await;
        let _ = std::fs::remove_file(&self.conf);
    }
}

/// The names after `prefix` of the headers that start with it, sorted.
fn filter_headers(headers: &Value, prefix: &str) -> Vec<String> {
    let mut out: Vec<String> = headers
        .as_object()
        .unwrap()
        .keys()
        .filter_map(|k| k.strip_prefix(prefix).map(str::to_owned))
        .collect();
    out.sort();
    out
}

fn sorted(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = v
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect();
    out.sort();
    out.dedup();
    out
}

// One test at a time: the runs bind the same topics.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test(flavor = "multi_thread")]
async fn same_message_same_bytes() {
    let _serial = SERIAL.lock().await;
    let cases = cases();
    for &(prefix, priority) in PREFIXES {
        let run = start(prefix, priority).await;
        run.python_publishes();
        let from_python = run.drain(cases.len()).await;
        run.rust_publishes();
        let from_rust = run.drain(cases.len()).await;
        for case in &cases {
            let id = case["id"].as_str().unwrap();
            let name = format!("{} (prefix {prefix:?})", case["name"]);
            let (py, rs) = (&from_python[id], &from_rust[id]);
            assert_eq!(
                py.delivery.routing_key, rs.delivery.routing_key,
                "{name}: routing key"
            );
            assert!(
                py.delivery.data == rs.delivery.data,
                "{name}: body bytes differ:\n{}\n{}",
                String::from_utf8_lossy(&py.delivery.data),
                String::from_utf8_lossy(&rs.delivery.data)
            );
            // Every property, headers with their AMQP types included (lapin keeps the type tags).
            // The bodies are equal byte for byte because each case lists its keys in schema
            // order: a typed Rust message writes its fields in that order, a Python dict in its own.
            assert_eq!(
                py.delivery.properties, rs.delivery.properties,
                "{name}: properties"
            );
        }
        println!(
            "prefix {prefix:?}: {} cases, each identical on the wire from Python and from Rust",
            cases.len()
        );
        run.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn python_publishes_rust_consumes() {
    let _serial = SERIAL.lock().await;
    let cases = cases();
    for &(prefix, priority) in PREFIXES {
        let run = start(prefix, priority).await;
        let sent = run.python_publishes();
        let got = run.peer(&peers().rust, &["consume", &cases.len().to_string()]);
        assert_eq!(got.len(), cases.len(), "Rust consumed {:?}", got.keys());
        for case in &cases {
            let id = case["id"].as_str().unwrap();
            let name = format!("{} (prefix {prefix:?})", case["name"]);
            let (py, rs) = (&sent[id], &got[id]);
            assert_eq!(rs["rust_type"], case["rust_type"], "{name}: decoded as");
            assert_eq!(rs["schema"], case["schema"], "{name}");
            assert_eq!(
                rs["round_trip"], true,
                "{name}: the typed message re-encodes to the body"
            );
            assert_eq!(rs["body"], case["body"], "{name}: body");
            assert_eq!(rs["headers"], py["headers"], "{name}: headers");
            assert_eq!(
                rs["topic"],
                json!(run.routing_key(py["topic"].as_str().unwrap())),
                "{name}: topic"
            );
            assert_eq!(rs["severity"], py["severity"], "{name}: severity");
            assert_eq!(rs["agent_name"], py["agent_name"], "{name}: agent_name");
            assert_eq!(
                sorted(&rs["usernames"]),
                sorted(&py["usernames"]),
                "{name}: usernames"
            );
            assert_eq!(
                sorted(&rs["packages"]),
                sorted(&py["packages"]),
                "{name}: packages"
            );
            assert_eq!(rs["priority"], json!(priority), "{name}: priority");
            assert_eq!(rs["content_type"], "application/json", "{name}");
            assert_eq!(rs["content_encoding"], "utf-8", "{name}");
            assert_eq!(rs["delivery_mode"], 2, "{name}");
            if case["rust_type"] == "InteropBuild" {
                assert_eq!(rs["summary"], py["summary"], "{name}: summary");
            }
        }
        println!(
            "prefix {prefix:?}: {} Python messages consumed by Rust, each typed and lossless",
            cases.len()
        );
        run.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn rust_publishes_python_consumes() {
    let _serial = SERIAL.lock().await;
    let cases = cases();
    for &(prefix, priority) in PREFIXES {
        let run = start(prefix, priority).await;
        let sent = run.rust_publishes();
        let script = root().join("tests/interop/peer.py");
        let got = run.peer(
            &peers().python,
            &[
                script.to_str().unwrap(),
                "receive",
                &run.queue,
                &cases.len().to_string(),
            ],
        );
        assert_eq!(got.len(), cases.len(), "Python received {:?}", got.keys());
        for case in &cases {
            let id = case["id"].as_str().unwrap();
            let name = format!("{} (prefix {prefix:?})", case["name"]);
            let (rs, py) = (&sent[id], &got[id]);
            assert!(py.get("error").is_none(), "{name}: Python: {}", py["error"]);
            assert_eq!(py["class"], case["python_class"], "{name}: Python's class");
            assert_eq!(py["schema"], case["schema"], "{name}");
            assert_eq!(py["body"], case["body"], "{name}: body");
            assert_eq!(py["headers"], rs["headers"], "{name}: headers");
            assert_eq!(
                py["topic"],
                json!(run.routing_key(rs["topic"].as_str().unwrap())),
                "{name}: topic"
            );
            let headers = &py["headers"];
            assert_eq!(
                py["severity"], headers["fedora_messaging_severity"],
                "{name}: severity"
            );
            assert_eq!(
                sorted(&py["usernames"]),
                filter_headers(headers, "fedora_messaging_user_"),
                "{name}: usernames"
            );
            assert_eq!(
                sorted(&py["packages"]),
                filter_headers(headers, "fedora_messaging_rpm_"),
                "{name}: packages"
            );
            assert_eq!(py["agent_name"], rs["agent_name"], "{name}: agent_name");
            assert_eq!(
                sorted(&py["usernames"]),
                sorted(&rs["usernames"]),
                "{name}: usernames"
            );
        }
        println!(
            "prefix {prefix:?}: {} Rust messages received by Python, each as its schema class",
            cases.len()
        );
        run.finish().await;
    }
}
