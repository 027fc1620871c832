//! The `fedora-messaging` binary against the real RabbitMQ: every command and documented exit code,
//! and files moving between it and Python's fedora-messaging 3.9.1 CLI in both directions.

#![allow(clippy::unwrap_used)]

#[path = "../../../tests/common/mod.rs"]
mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use assert_cmd::cargo::CommandCargoExt;
use fedora_messaging::amqp::publish::Publisher;
use fedora_messaging::{lines, BaseMessage};
use serde_json::json;

fn bin() -> Command {
    Command::cargo_bin("fedora-messaging").unwrap()
}

/// A config file for the test broker, plus `extra` TOML.
fn conf_file(dir: &Path, extra: &str) -> PathBuf {
    let path = dir.join(format!("{}.toml", common::unique("conf")));
    std::fs::write(
        &path,
        format!("amqp_url = \"{}\"\n{extra}", common::amqp_url()),
    )
    .unwrap();
    path
}

fn tmp() -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(common::unique("cli"));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn help_documents_every_command_and_exit_code() {
    let out = bin().arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = text(&out.stdout);
    for cmd in [
        "consume",
        "publish",
        "record",
        "generate",
        "validate",
        "replay",
        "reconsume",
        "catalog",
        "asyncapi",
        "completions",
    ] {
        assert!(help.contains(cmd), "{help}");
        let sub = bin().args([cmd, "--help"]).output().unwrap();
        assert!(sub.status.success(), "{cmd} --help");
    }
    let consume = text(&bin().args(["consume", "--help"]).output().unwrap().stdout);
    assert!(consume.contains("  75  nack"), "{consume}");
    let publish = text(&bin().args(["publish", "--help"]).output().unwrap().stdout);
    assert!(
        publish.contains("111") && publish.contains("121"),
        "{publish}"
    );
}

#[test]
fn asyncapi_and_catalog_of_the_project_schemas() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas");
    let out = bin()
        .args(["asyncapi", "--format", "json"])
        .arg(&root)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["asyncapi"], "3.0.0");
    let messages = doc["components"]["messages"].as_object().unwrap();
    assert_eq!(messages.len(), 8);
    assert_eq!(
        messages["demo_build_complete_v1"]["headers"]["properties"]["fedora_messaging_schema"]
            ["const"],
        "demo.build.complete.v1"
    );
    // YAML by default, and for a file not ending in .json.
    let dir = tmp();
    let yaml = dir.join("bus.yaml");
    let status = bin()
        .arg("asyncapi")
        .arg(&root)
        .arg("-o")
        .arg(&yaml)
        .status()
        .unwrap();
    assert!(status.success());
    assert!(std::fs::read_to_string(&yaml)
        .unwrap()
        .starts_with("\"asyncapi\": \"3.0.0\"\n"));

    let site = dir.join("site");
    let out = bin()
        .arg("catalog")
        .arg(&root)
        .arg("-o")
        .arg(&site)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("catalog: 8 messages"));
    let index = std::fs::read_to_string(site.join("index.html")).unwrap();
    assert_eq!(index.matches("<tr data-search=").count(), 8);
    assert!(site.join("messages/koji_tag_v1.html").is_file());

    // A folder that is not a schema repo: exit 2, naming what is wrong.
    let bad = dir.join("bad");
    std::fs::create_dir_all(bad.join("app")).unwrap();
    std::fs::write(bad.join("app/messages.toml"), "[[message]]\nschema = 1\n").unwrap();
    for cmd in ["asyncapi", "catalog"] {
        let out = bin()
            .arg(cmd)
            .arg(&bad)
            .args(["-o"])
            .arg(dir.join("x"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{cmd}");
        assert!(
            text(&out.stderr).contains("messages.toml"),
            "{}",
            text(&out.stderr)
        );
    }
}

#[test]
fn completions_are_printed() {
    let out = bin().args(["completions", "bash"]).output().unwrap();
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("fedora-messaging"));
}

#[test]
fn bad_conf_is_a_usage_error() {
    let out = bin()
        .args(["--conf", "/nonexistent/config.toml", "publish", "-"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--conf"),
        "{}",
        text(&out.stderr)
    );
    let dir = tmp();
    let conf = conf_file(&dir, "amqp_ulr = \"x\"\n");
    let out = bin()
        .arg("--conf")
        .arg(&conf)
        .args(["publish", "-"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("Unknown configuration key 'amqp_ulr'"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test]
async fn publish_sends_every_line_keeping_ids() {
    let dir = tmp();
    let (_c, ch) = common::raw_channel().await;
    let topic = format!("{}.cli", common::unique("t"));
    let q = common::bound_queue(&ch, &format!("org.test.{topic}")).await;
    let file = dir.join("in.jsonl");
    std::fs::write(
        &file,
        format!(
            "{{\"topic\": \"{topic}\", \"body\": {{\"a\": 1}}}}\n\
             {{\"topic\": \"{topic}\", \"body\": {{\"b\": \"ü\"}}, \"id\": \"keep-me\", \"headers\": {{\"sent-at\": \"2020-01-01T00:00:00+00:00\"}}}}\n"
        ),
    )
    .unwrap();
    let conf = conf_file(&dir, "topic_prefix = \"org.test\"\n");
    let out = bin()
        .arg("--conf")
        .arg(&conf)
        .arg("publish")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout)
            .matches(&format!("Publishing message with topic {topic}"))
            .count(),
        2
    );
    let first = common::get(&ch, &q).await;
    let second = common::get(&ch, &q).await;
    assert_eq!(first.delivery.data, br#"{"a": 1}"#);
    assert_eq!(second.delivery.data, br#"{"b": "\u00fc"}"#);
    assert_eq!(
        second
            .delivery
            .properties
            .message_id()
            .as_ref()
            .unwrap()
            .as_str(),
        "keep-me"
    );
    let headers = fedora_messaging::amqp::wire::from_basic_properties(&second.delivery.properties)
        .headers
        .unwrap();
    assert_eq!(headers["sent-at"], "2020-01-01T00:00:00+00:00");
    common::delete_queue(&ch, &q).await;
}

#[tokio::test]
async fn publish_with_a_bad_line_sends_nothing() {
    let dir = tmp();
    let (_c, ch) = common::raw_channel().await;
    let topic = format!("{}.cli", common::unique("t"));
    let q = common::bound_queue(&ch, &topic).await;
    let file = dir.join("bad.jsonl");
    std::fs::write(
        &file,
        format!("{{\"topic\": \"{topic}\", \"body\": {{}}}}\n{{\"topic\": \"{topic}\"}}\n"),
    )
    .unwrap();
    let conf = conf_file(&dir, "");
    let out = bin()
        .arg("--conf")
        .arg(&conf)
        .arg("publish")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("line 2") && err.contains("body") && err.contains("nothing was published"),
        "{err}"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(common::depth(&ch, &q).await, 0);
    common::delete_queue(&ch, &q).await;
}

#[test]
fn publish_exit_codes_for_timeout_and_refusal() {
    let dir = tmp();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let conf = dir.join("closed.toml");
    std::fs::write(&conf, format!("amqp_url = \"amqp://127.0.0.1:{port}/\"\n")).unwrap();
    let out = bin()
        .arg("--conf")
        .arg(&conf)
        .args(["publish", "--timeout", "1", "-"])
        .write_stdin_str("{\"topic\": \"a.b\", \"body\": {}}\n")
        .unwrap();
    assert_eq!(out.status.code(), Some(111), "{}", text(&out.stderr));
    let (user, pass) = common::read_only_user();
    let conf = dir.join("ro.toml");
    std::fs::write(
        &conf,
        format!("amqp_url = \"amqp://{user}:{pass}@127.0.0.1:5672/%2F\"\n"),
    )
    .unwrap();
    let out = bin()
        .arg("--conf")
        .arg(&conf)
        .args(["publish", "-"])
        .write_stdin_str("{\"topic\": \"a.b\", \"body\": {}}\n")
        .unwrap();
    assert_eq!(out.status.code(), Some(121), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains(pass));
}

#[test]
fn bad_numbers_are_usage_errors_naming_the_option() {
    let dir = tmp();
    let file = dir.join("one.jsonl");
    std::fs::write(&file, "{\"topic\": \"a.b\", \"body\": {}}\n").unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["publish", "--timeout", "inf"], "--timeout"),
        (&["publish", "--timeout", "-inf"], "--timeout"),
        (&["publish", "--timeout", "NaN"], "--timeout"),
        (&["publish", "--timeout", "-1"], "--timeout"),
        (&["publish", "--timeout", "0"], "--timeout"),
        (&["consume", "--concurrency", "0"], "--concurrency"),
        (&["consume", "--concurrency", "-2"], "--concurrency"),
        (
            &["consume", "--max-redeliveries", "-1"],
            "--max-redeliveries",
        ),
        (&["record", "--limit", "0"], "--limit"),
    ];
    for (args, option) in cases {
        let mut cmd = bin();
        cmd.args(*args);
        if args[0] != "consume" {
            cmd.arg(&file);
        }
        // Never reaches a broker: the arguments are refused first.
        let out = cmd
            .env("FEDORA_MESSAGING_CONF", dir.join("none.toml"))
            .output()
            .unwrap();
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(option), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

/// `output()` with `input` on stdin.
trait WriteStdin {
    fn write_stdin_str(&mut self, input: &str) -> std::io::Result<std::process::Output>;
}

impl WriteStdin for Command {
    fn write_stdin_str(&mut self, input: &str) -> std::io::Result<std::process::Output> {
        use std::io::Write;
        let mut child = self
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        child.stdin.take().unwrap().write_all(input.as_bytes())?;
        child.wait_with_output()
    }
}

async fn publish_n(topic: &str, n: usize) {
    let p = Publisher::new(common::config(""));
    for i in 0..n {
        p.publish(&BaseMessage::new(topic, json!({"i": i, "text": "Zoë"})))
            .await
            .unwrap();
    }
}

/// Waits for `child` to exit within `secs`, killing it otherwise.
fn wait_exit(child: &mut std::process::Child, secs: u64) -> Option<i32> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the process did not exit within {secs} s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Starts `program record FILE --limit 2` on a queue of its own bound to `topic`.
fn spawn_record(
    program: &mut Command,
    conf: &Path,
    file: &Path,
    topic: &str,
    queue: &str,
) -> std::process::Child {
    program
        .arg("--conf")
        .arg(conf)
        .arg("record")
        .arg(file)
        .args([
            "--limit",
            "2",
            "--routing-key",
            topic,
            "--queue-name",
            queue,
        ])
        .stdout(Stdio::null())
        .spawn()
        .unwrap()
}

#[tokio::test]
async fn record_writes_lines_and_stops_at_the_limit() {
    let dir = tmp();
    let conf = conf_file(&dir, "");
    let topic = format!("{}.rec", common::unique("t"));
    let queue = common::unique("fm-rec");
    let out = dir.join("rec.jsonl");
    let mut child = spawn_record(&mut bin(), &conf, &out, &topic, &queue);
    let (conn, _ch) = common::raw_channel().await;
    common::wait_for_queue(&conn, &queue).await;
    publish_n(&topic, 2).await;
    assert_eq!(wait_exit(&mut child, 20), Some(0));
    let recorded = lines::loads(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(recorded.len(), 2);
    assert_eq!(recorded[1].body, json!({"i": 1, "text": "Zoë"}));
    assert_eq!(recorded[0].queue.as_deref(), Some(queue.as_str()));
}

/// `fedora-messaging --conf CONF consume --routing-key TOPIC --queue-name QUEUE`, more args to add.
fn consume_cmd(conf: &Path, topic: &str, queue: &str) -> Command {
    let mut cmd = bin();
    cmd.arg("--conf")
        .arg(conf)
        .args(["consume", "--routing-key", topic, "--queue-name", queue]);
    cmd
}

#[tokio::test]
async fn consume_exec_maps_exit_statuses() {
    let dir = tmp();
    let conf = conf_file(&dir, "");
    let topic = format!("{}.exec", common::unique("t"));
    let queue = common::unique("fm-exec");
    let marker = dir.join("marker");
    let seen = dir.join("seen.jsonl");
    // First delivery: nack (75) and leave a marker; the redelivery: save the message and halt (99).
    let script = format!(
        "if [ -e {m} ]; then cat >> {s}; exit 99; else touch {m}; exit 75; fi",
        m = marker.display(),
        s = seen.display()
    );
    let mut child = consume_cmd(&conf, &topic, &queue)
        .args(["--exec", &script])
        .spawn()
        .unwrap();
    let (conn, _ch) = common::raw_channel().await;
    common::wait_for_queue(&conn, &queue).await;
    publish_n(&topic, 1).await;
    assert_eq!(wait_exit(&mut child, 20), Some(0));
    let got = lines::loads(&std::fs::read_to_string(&seen).unwrap()).unwrap();
    assert_eq!(got.len(), 1, "handled once after the nack");
    assert_eq!(got[0].topic, topic);

    // Any other status is a failure: requeue and stop with 13.
    let queue = common::unique("fm-exec");
    let mut child = consume_cmd(&conf, &topic, &queue)
        .args(["--exec", "exit 3"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    common::wait_for_queue(&conn, &queue).await;
    publish_n(&topic, 1).await;
    assert_eq!(wait_exit(&mut child, 20), Some(13));
}

#[tokio::test]
async fn consume_prints_pythons_long_form_and_stops_on_sigterm() {
    let dir = tmp();
    let conf = conf_file(&dir, "");
    let topic = format!("{}.print", common::unique("t"));
    let queue = common::unique("fm-print");
    let mut child = consume_cmd(&conf, &topic, &queue)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let (conn, _ch) = common::raw_channel().await;
    common::wait_for_queue(&conn, &queue).await;
    publish_n(&topic, 1).await;
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut printed = String::new();
    while !printed.contains("Body: {") {
        let mut line = String::new();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "stdout closed: {printed}"
        );
        printed.push_str(&line);
    }
    assert!(
        printed.contains(&format!("Topic: {topic}\nHeaders: {{\n")),
        "{printed}"
    );
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert_eq!(wait_exit(&mut child, 20), Some(0));
}

// ---- files between this CLI and Python's ----

fn python_cli() -> &'static Path {
    static VENV: OnceLock<PathBuf> = OnceLock::new();
    VENV.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("python-venv");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/python-venv");
        let out = Command::new(script).arg(&dir).output().unwrap();
        assert!(
            out.status.success(),
            "scripts/python-venv: {}",
            text(&out.stderr)
        );
        dir.join("bin/fedora-messaging")
    })
}

#[tokio::test]
async fn python_record_file_is_published_by_this_cli() {
    let dir = tmp();
    let conf = conf_file(&dir, "");
    let topic = format!("{}.py2rs", common::unique("t"));
    let queue = common::unique("fm-pyrec");
    let file = dir.join("python.jsonl");
    let mut python = spawn_record(
        &mut Command::new(python_cli()),
        &conf,
        &file,
        &topic,
        &queue,
    );
    let (conn, ch) = common::raw_channel().await;
    common::wait_for_queue(&conn, &queue).await;
    publish_n(&topic, 2).await;
    assert_eq!(wait_exit(&mut python, 60), Some(0), "python record");
    let recorded = std::fs::read_to_string(&file).unwrap();
    let from_python = lines::loads(&recorded).unwrap();
    assert_eq!(from_python.len(), 2);

    let check = common::bound_queue(&ch, &topic).await;
    let out = bin()
        .arg("--conf")
        .arg(&conf)
        .arg("publish")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    for want in &from_python {
        let got = common::get(&ch, &check).await;
        let got_headers =
            fedora_messaging::amqp::wire::from_basic_properties(&got.delivery.properties)
                .headers
                .unwrap();
        assert_eq!(
            got.delivery
                .properties
                .message_id()
                .as_ref()
                .unwrap()
                .as_str(),
            want.id.as_deref().unwrap()
        );
        assert_eq!(got_headers["sent-at"], want.headers["sent-at"]);
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&got.delivery.data).unwrap(),
            want.body
        );
    }
    common::delete_queue(&ch, &check).await;
}

#[tokio::test]
async fn this_cli_record_file_is_published_by_python() {
    let dir = tmp();
    let conf = conf_file(&dir, "");
    let topic = format!("{}.rs2py", common::unique("t"));
    let queue = common::unique("fm-rsrec");
    let file = dir.join("rust.jsonl");
    let python = python_cli();
    let mut child = spawn_record(&mut bin(), &conf, &file, &topic, &queue);
    let (conn, ch) = common::raw_channel().await;
    common::wait_for_queue(&conn, &queue).await;
    publish_n(&topic, 2).await;
    assert_eq!(wait_exit(&mut child, 20), Some(0));
    let ours = lines::loads(&std::fs::read_to_string(&file).unwrap()).unwrap();

    let check = common::bound_queue(&ch, &topic).await;
    let out = Command::new(python)
        .arg("--conf")
        .arg(&conf)
        .arg("publish")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "python publish: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    for want in &ours {
        let got = common::get(&ch, &check).await;
        assert_eq!(
            got.delivery
                .properties
                .message_id()
                .as_ref()
                .unwrap()
                .as_str(),
            want.id.as_deref().unwrap()
        );
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&got.delivery.data).unwrap(),
            want.body
        );
    }
    common::delete_queue(&ch, &check).await;
}
