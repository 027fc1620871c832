//! The bridges between the buses against the real Python peers: fedmsg 1.1.7 on ZeroMQ (its own
//! virtualenv) and fedora-messaging 3.9.1 with bodhi-messages on the local RabbitMQ (the interop
//! tests' virtualenv).
//!
//! - Python `fedmsg.publish` → `fedmsg zmq-to-amqp --schemas` → a Python fedora-messaging
//!   consumer: the spec's routing key, id, headers and body; bodhi messages resolve to bodhi's
//!   classes, with the filter headers Python's own accessors give.
//! - Python `api.publish` on `amq.topic` → `fedmsg amqp-to-zmq` (signing) → Python
//!   `fedmsg.tail_messages`: the spec's envelope, and `fedmsg.crypto.validate` accepts it.
//! - Both bridges and `verify-missing` at once: no message goes round, nothing of ours is
//!   reported missing; with the AMQP → ZeroMQ bridge stopped, the messages published next are.
//!
//! Each test has its own exchange or routing keys, so they run side by side on the one broker.

#![allow(clippy::unwrap_used)]

#[path = "support/broker.rs"]
mod broker;
#[path = "../../../tests/common/fedmsg_peer.rs"]
mod peer;
#[allow(dead_code)]
#[path = "../../../tests/common/python.rs"]
mod python;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use lapin::options::ExchangeDeclareOptions;
use lapin::types::FieldTable;
use lapin::ExchangeKind;
use peer::{free_port, json_lines, root, Pki, Running, Site};
use serde_json::{json, Value};

use broker::AMQP_URL;
const WAIT: Duration = Duration::from_secs(60);

fn unique(prefix: &str) -> String {
    format!("{prefix}{}x{}", std::process::id(), free_port())
}

/// The fedora-messaging `config.toml` of a test, with `extra` appended.
fn amqp_config(site: &Site, extra: &str) -> PathBuf {
    site.file(
        "fedora-messaging.toml",
        &format!("amqp_url = \"{AMQP_URL}\"\n{extra}"),
    )
}

/// `fedmsg ARGS --config SITE` with info logs.
fn fedmsg(site: &Site, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fedmsg"));
    cmd.arg("--config")
        .arg(site.config_dir())
        .args(args)
        .env("RUST_LOG", "fedmsg=info")
        .env("FEDMSG_PYTHON", peer::venv().join("bin/python"));
    cmd
}

/// The fedora-messaging virtualenv's python with `FEDORA_MESSAGING_CONF`.
fn fm_python(config: &Path) -> Command {
    let mut cmd = Command::new(python::venv());
    cmd.env("FEDORA_MESSAGING_CONF", config);
    cmd
}

/// bodhi-messages (and copr-messaging, which the accessors file also names) imported as a schema
/// repo with the interop tests' accessors, once.
fn bodhi_repo() -> PathBuf {
    static REPO: OnceLock<PathBuf> = OnceLock::new();
    REPO.get_or_init(|| {
        let dir = root().join("target/bridge-schemas");
        let _ = std::fs::remove_dir_all(&dir);
        peer::run(
            Command::new(python::venv())
                .arg(root().join("scripts/import-schema-package"))
                .arg("--out")
                .arg(&dir)
                .arg("--accessors")
                .arg(root().join("tests/interop/accessors.toml"))
                .args(["bodhi-messages", "copr-messaging"]),
        );
        dir
    })
    .clone()
}

/// Python `fedmsg.publish` (bound as `bodhi.host`, 2 s `post_init_sleep`) of
/// `tests/fedmsg/cases.jsonl`: the cases and the envelopes sent.
fn python_fedmsg_publishes(site: &Site) -> (Vec<Value>, Vec<Value>) {
    let text = std::fs::read_to_string(root().join("tests/fedmsg/cases.jsonl")).unwrap();
    let cases = json_lines(&text.lines().map(str::to_owned).collect::<Vec<_>>());
    let file = site.file("cases.jsonl", &text);
    let sent = json_lines(
        &Running::spawn(&mut site.peer(&[
            "publish",
            "bodhi.host",
            file.to_str().unwrap(),
            "--sleep",
            "2",
        ]))
        .finish(),
    );
    assert_eq!(sent.len(), cases.len());
    (cases, sent)
}

/// fedora-messaging publish cases (tests/interop/peer.py's format) on `topic_base.<n>`.
fn amqp_cases(topic_base: &str, names: &[&str]) -> (Value, Vec<String>) {
    let ids: Vec<String> = names.iter().map(|_| uuid_like(&unique(""))).collect();
    let cases = names
        .iter()
        .zip(&ids)
        .enumerate()
        .map(|(n, (name, id))| {
            json!({"name": name, "schema": "base.message", "topic": format!("{topic_base}.{name}"),
                   "body": {"n": n, "agent": "bob", "text": "Ça marche ✓"}, "id": id,
                   "sent_at": "2026-12-04T10:00:00+00:00", "headers": {"x": "y"}})
        })
        .collect();
    (Value::Array(cases), ids)
}

/// A uuid4-shaped id that differs per call.
fn uuid_like(seed: &str) -> String {
    let digits: String = seed.chars().filter(char::is_ascii_digit).collect();
    let n: u128 = digits.parse().unwrap_or(0)
        ^ u128::from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos(),
        );
    let h = format!("{n:032x}");
    format!(
        "{}-{}-4{}-a{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

/// SIGTERM, then what it printed.
fn stop(running: Running) -> (String, String) {
    running.terminate()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_fedmsg_to_python_fedora_messaging_through_zmq_to_amqp() {
    let site = Site::new("z2a", "");
    let exchange = unique("zmq.topic.test");
    let queue = unique("z2a-q");
    let (_conn, ch) = broker::channel().await;
    broker::topic_queue(&ch, &exchange, &queue, false, &["#"]).await;
    let fm_conf = amqp_config(&site, "");
    let repo = bodhi_repo();

    let endpoint = format!("tcp://127.0.0.1:{}", site.publisher);
    let mut bridge = Running::spawn(
        fedmsg(&site, &["zmq-to-amqp", "--amqp-config"])
            .arg(&fm_conf)
            .args(["--exchange", &exchange, "--zmq-endpoint", &endpoint])
            .arg("--schemas")
            .arg(&repo),
    );
    bridge.wait_for_stderr("bridging ZeroMQ to AMQP", WAIT);

    let (cases, sent) = python_fedmsg_publishes(&site);
    let out = peer::run(
        fm_python(&fm_conf)
            .arg(root().join("tests/interop/peer.py"))
            .args(["receive", &queue, &cases.len().to_string()]),
    );
    let got = json_lines(&out.lines().map(str::to_owned).collect::<Vec<_>>());
    let (stdout, stderr) = stop(bridge);
    assert_eq!(got.len(), cases.len(), "{out}\n{stdout}\n{stderr}");
    for ((case, sent), got) in cases.iter().zip(&sent).zip(&got) {
        assert!(got.get("error").is_none(), "{got}");
        assert_eq!(
            got["routing_key"], sent["topic"],
            "routing key = the ZeroMQ topic"
        );
        assert_eq!(
            got["id"], sent["msg_id"],
            "message_id = msg_id, year prefix kept"
        );
        assert_eq!(got["body"], sent["msg"], "body = msg");
        let headers = &got["headers"];
        assert_eq!(headers["fedora_messaging_severity"], 20);
        assert_eq!(headers["priority"], 0);
        assert!(headers["sent-at"].as_str().unwrap().ends_with("+00:00"));
        match case["schema"].as_str() {
            Some(schema) => {
                // Typed from the schema repo, and Python resolves bodhi's own class.
                assert_eq!(headers["fedora_messaging_schema"], schema, "{got}");
                assert_eq!(got["schema"], schema);
                assert!(got["class"].as_str().unwrap().starts_with("bodhi"), "{got}");
                assert_eq!(headers["fedora_messaging_schema_package"], "bodhi_messages");
                // The filter headers are the ones Python's accessors compute.
                for (kind, list) in [("user", "usernames"), ("rpm", "packages")] {
                    let ours: BTreeSet<String> = headers
                        .as_object()
                        .unwrap()
                        .keys()
                        .filter_map(|k| k.strip_prefix(&format!("fedora_messaging_{kind}_")))
                        .map(str::to_owned)
                        .collect();
                    let python: BTreeSet<String> = got[list]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|v| v.as_str().unwrap().to_owned())
                        .collect();
                    assert_eq!(ours, python, "{kind} headers of {schema}");
                    assert!(!python.is_empty());
                }
            }
            None => {
                assert_eq!(headers["fedora_messaging_schema"], "base.message");
                assert_eq!(
                    headers["fedora_messaging_schema_package"],
                    "fedora_messaging"
                );
                assert_eq!(got["schema"], "base.message");
            }
        }
    }
    let stats =
        &json_lines(&stdout.lines().map(str::to_owned).collect::<Vec<_>>())[0]["zmq_to_amqp"];
    assert_eq!(stats["published"], cases.len(), "{stdout}\n{stderr}");
    assert_eq!(stats["typed"], 2, "{stdout}");
    broker::cleanup(&ch, Some(&exchange), &[&queue]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_fedora_messaging_to_python_fedmsg_through_signing_amqp_to_zmq() {
    let pki_dir = root()
        .join("target/fedmsg-pki")
        .join(format!("bridge-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&pki_dir);
    let pki = Pki::new(pki_dir);
    let short = fedmsg::crypto::x509::short_hostname();
    let site = Site::new(
        "a2z",
        &format!("{}\n    certname='shell-app01',", pki.python_keys(&short)),
    );
    let port = free_port();
    // A second file of fedmsg.d: fedmsg merges it, so Python's tail subscribes to the bridge too.
    site.file(
        "fedmsg.d/bridge.py",
        &format!("config = dict(endpoints={{'amqp_bridge': ['tcp://127.0.0.1:{port}']}})\n"),
    );
    let queue = unique("a2z-q");
    let topic_base = format!("org.fedoraproject.prod.{}", unique("a2z"));
    let fm_conf = amqp_config(
        &site,
        &format!(
            "[consumer_config]\npublish_endpoint = \"tcp://*:{port}\"\n\n\
             [queues.\"{queue}\"]\ndurable = false\nauto_delete = true\nexclusive = false\narguments = {{}}\n\n\
             [[bindings]]\nqueue = \"{queue}\"\nexchange = \"amq.topic\"\nrouting_keys = [\"{topic_base}.#\"]\n"
        ),
    );
    let mut bridge = Running::spawn(fedmsg(&site, &["amqp-to-zmq", "--amqp-config"]).arg(&fm_conf));
    bridge.wait_for_stderr("bridging AMQP to ZeroMQ", WAIT);

    let mut tail = Running::spawn(&mut site.peer(&["tail", "3", "60"]));
    tail.wait_for_stderr("ready", WAIT);
    // tail_messages connects after it says ready; give the subscriptions time to arrive.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (cases, ids) = amqp_cases(&topic_base, &["one", "two", "three"]);
    let cases_file = site.file("amqp-cases.json", &cases.to_string());
    peer::run(
        fm_python(&fm_conf)
            .arg(root().join("tests/interop/peer.py"))
            .arg("publish")
            .arg(&cases_file),
    );
    let got = json_lines(&tail.finish());
    assert_eq!(got.len(), 3, "{got:?}");
    let year = chrono_year();
    let mut signed = String::new();
    for (n, (g, case)) in got.iter().zip(cases.as_array().unwrap()).enumerate() {
        let msg = &g["msg"];
        assert_eq!(g["topic"], case["topic"]);
        assert_eq!(msg["topic"], case["topic"]);
        assert_eq!(msg["msg"], case["body"]);
        assert_eq!(msg["msg_id"], format!("{year}-{}", ids[n]));
        assert_eq!(msg["username"], "amqp-bridge");
        assert_eq!(msg["i"], n + 1);
        assert!(msg["timestamp"].is_i64());
        assert_eq!(msg["crypto"], "x509");
        assert!(msg.get("headers").is_none(), "AMQP headers are not carried");
        signed.push_str(&msg.to_string());
        signed.push('\n');
    }
    let file = site.file("signed.jsonl", &signed);
    let verdicts = peer::run(&mut site.peer(&["validate", file.to_str().unwrap(), "{}"]));
    let verdicts = json_lines(&verdicts.lines().map(str::to_owned).collect::<Vec<_>>());
    assert_eq!(verdicts.len(), 3);
    assert!(verdicts.iter().all(|v| v["valid"] == true), "{verdicts:?}");

    let (stdout, stderr) = stop(bridge);
    let stats =
        &json_lines(&stdout.lines().map(str::to_owned).collect::<Vec<_>>())[0]["amqp_to_zmq"];
    assert_eq!(stats["sent"], 3, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("shell-app01"),
        "signs as the configured certname: {stderr}"
    );
}

fn chrono_year() -> String {
    let out = peer::run(Command::new("date").args(["-u", "+%Y"]));
    out.trim().to_owned()
}

/// Reads verify-missing's JSON lines as they come.
struct Reports {
    rx: std::sync::mpsc::Receiver<String>,
    missing: Vec<Value>,
    last_counts: Value,
}

impl Reports {
    /// Reads until `done` holds (or panics after `timeout`).
    fn until(&mut self, timeout: Duration, done: impl Fn(&Self) -> bool) {
        let start = Instant::now();
        while !done(self) {
            assert!(
                start.elapsed() < timeout,
                "verify-missing: {:?} / {}",
                self.missing,
                self.last_counts
            );
            if let Ok(line) = self.rx.recv_timeout(Duration::from_millis(200)) {
                let v: Value = serde_json::from_str(&line).unwrap();
                if let Some(m) = v.get("missing") {
                    self.missing.push(m.clone());
                } else if let Some(c) = v.get("counts") {
                    self.last_counts = c.clone();
                }
            }
        }
    }

    fn missing_ids(&self, ours: &BTreeSet<String>) -> BTreeSet<String> {
        self.missing
            .iter()
            .map(|m| m["id"].as_str().unwrap().to_owned())
            .filter(|id| ours.contains(id))
            .collect()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_bridges_loop_free_and_verify_missing_reports_the_stopped_side() {
    let site = Site::new("loop", "");
    let bridge_port = free_port();
    let exchange = unique("zmq.topic.loop");
    let vm_queue = unique("vm-q");
    let a2z_queue = unique("loop-a2z");
    let topic_base = format!("org.fedoraproject.prod.{}", unique("loop"));
    let fm_conf = amqp_config(
        &site,
        &format!(
            "[consumer_config]\npublish_endpoint = \"tcp://*:{bridge_port}\"\n\n\
             [queues.\"{a2z_queue}\"]\ndurable = false\nauto_delete = true\nexclusive = false\narguments = {{}}\n\n\
             [[bindings]]\nqueue = \"{a2z_queue}\"\nexchange = \"amq.topic\"\nrouting_keys = [\"{topic_base}.#\"]\n"
        ),
    );
    let fedmsg_endpoint = format!("tcp://127.0.0.1:{}", site.publisher);
    let bridge_endpoint = format!("tcp://127.0.0.1:{bridge_port}");
    let bridge_conf = site.file(
        "bridge.toml",
        &format!(
            "[zmq_to_amqp]\nexchange = \"{exchange}\"\nzmq_endpoints = [\"{fedmsg_endpoint}\", \"{bridge_endpoint}\"]\n\n\
             [verify_missing]\nqueue_name = \"{vm_queue}\"\nexchanges = [\"amq.topic\", \"{exchange}\"]\nwindow = 4\nreport_every = 1\n"
        ),
    );
    let common = |cmd: &str| {
        let mut c = fedmsg(&site, &[cmd, "--amqp-config"]);
        c.arg(&fm_conf).arg("--bridge-config").arg(&bridge_conf);
        c
    };
    let mut verify = Running::spawn(common("verify-missing").arg("--json"));
    verify.wait_for_stderr("verifying messages", WAIT);
    let mut reports = Reports {
        rx: verify.stdout_lines(),
        missing: Vec::new(),
        last_counts: Value::Null,
    };
    let mut z2a = Running::spawn(&mut common("zmq-to-amqp"));
    z2a.wait_for_stderr("bridging ZeroMQ to AMQP", WAIT);
    let mut a2z = Running::spawn(&mut common("amqp-to-zmq"));
    a2z.wait_for_stderr("bridging AMQP to ZeroMQ", WAIT);
    // Let the subscribers of the bridge's PUB socket (zmq-to-amqp, verify-missing) connect.
    tokio::time::sleep(Duration::from_secs(2)).await;

    // fedmsg → AMQP, and AMQP → fedmsg.
    let (cases, sent) = python_fedmsg_publishes(&site);
    let (amqp_cases_1, amqp_ids_1) = amqp_cases(&topic_base, &["a", "b", "c"]);
    let publish_amqp = |cases: &Value, name: &str| {
        let f = site.file(name, &cases.to_string());
        peer::run(
            fm_python(&fm_conf)
                .arg(root().join("tests/interop/peer.py"))
                .arg("publish")
                .arg(&f),
        );
    };
    publish_amqp(&amqp_cases_1, "amqp-1.json");
    let mut ours: BTreeSet<String> = sent
        .iter()
        .map(|e| fedmsg::bridge::convert::bare_id(e["msg_id"].as_str().unwrap()).to_owned())
        .collect();
    ours.extend(amqp_ids_1.iter().cloned());
    // Every one of ours matched: nothing reported missing after more than the window.
    reports.until(WAIT, |r| {
        r.last_counts["matched"].as_u64().unwrap_or(0) >= 7
    });
    tokio::time::sleep(Duration::from_secs(6)).await;
    reports.until(WAIT, |_| true);
    assert!(
        reports.missing_ids(&ours).is_empty(),
        "{:?}",
        reports.missing
    );

    // The AMQP → ZeroMQ side stops: what AMQP gets next is missing on ZeroMQ, and reported.
    let (a2z_out, _) = stop(a2z);
    let a2z_stats =
        &json_lines(&a2z_out.lines().map(str::to_owned).collect::<Vec<_>>())[0]["amqp_to_zmq"];
    assert_eq!(a2z_stats["sent"], 3, "{a2z_out}");
    let (amqp_cases_2, amqp_ids_2) = amqp_cases(&topic_base, &["d", "e"]);
    publish_amqp(&amqp_cases_2, "amqp-2.json");
    let expected: BTreeSet<String> = amqp_ids_2.iter().cloned().collect();
    ours.extend(expected.iter().cloned());
    reports.until(WAIT, |r| r.missing_ids(&ours).len() >= 2);
    assert_eq!(reports.missing_ids(&ours), expected);
    for m in reports
        .missing
        .iter()
        .filter(|m| expected.contains(m["id"].as_str().unwrap()))
    {
        assert_eq!(m["seen_on"], "amqp");
        assert_eq!(m["missing_on"], "zmq");
    }

    let (z2a_out, z2a_err) = stop(z2a);
    let z2a_stats =
        &json_lines(&z2a_out.lines().map(str::to_owned).collect::<Vec<_>>())[0]["zmq_to_amqp"];
    // Each fedmsg message crossed once; each AMQP one came back on ZeroMQ and was not sent again.
    assert_eq!(z2a_stats["published"], cases.len(), "{z2a_out}\n{z2a_err}");
    assert_eq!(z2a_stats["from_bridge"], 3, "{z2a_out}");
    let (vm_out, _) = stop(verify);
    let _ = vm_out;
    assert_eq!(
        reports.last_counts["duplicates"], 0,
        "{}",
        reports.last_counts
    );
    let (_conn, ch) = broker::channel().await;
    broker::cleanup(&ch, Some(&exchange), &[]).await;
}

#[tokio::test]
async fn an_exchange_the_broker_refuses_to_declare_stops_the_bridge_at_start() {
    let site = Site::new("refused", "");
    let exchange = unique("zmq.topic.fanout");
    let (_conn, ch) = broker::channel().await;
    // The same name as a fanout exchange: declaring it as a topic exchange is refused.
    ch.exchange_declare(
        exchange.as_str().into(),
        ExchangeKind::Fanout,
        ExchangeDeclareOptions::default(),
        FieldTable::default(),
    )
    .await
    .unwrap();
    let fm_conf = amqp_config(&site, "");
    let endpoint = format!("tcp://127.0.0.1:{}", site.publisher);
    let out = fedmsg(&site, &["zmq-to-amqp", "--amqp-config"])
        .arg(&fm_conf)
        .args(["--exchange", &exchange, "--zmq-endpoint", &endpoint])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("refused to declare the exchange") && stderr.contains(&exchange),
        "{stderr}"
    );
    broker::cleanup(&ch, Some(&exchange), &[]).await;
}
