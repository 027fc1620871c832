//! The `[monitoring]` HTTP server, side by side with Python fedora-messaging 3.9.1's: both
//! consumers run as their command lines (`fedora-messaging consume`) on the same broker, each on
//! its own queue bound to the same topic, each with its monitoring port. `/live` and `/ready`
//! answer byte for byte as Python's (body and content type), before and after messages are
//! consumed; `/metrics` parses with the Prometheus project's own Python parser and counts what
//! was consumed; a port already in use is a clear error at start.

#![allow(clippy::unwrap_used)]

#[allow(dead_code)]
#[path = "../../../tests/common/python.rs"]
mod python;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fedora_messaging::amqp::publish::Publisher;
use fedora_messaging::BaseMessage;
use serde_json::{json, Value};

/// A child process killed when the test ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

const AMQP_URL: &str = "amqp://guest:guest@127.0.0.1:5672/%2F";

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `GET path` over HTTP/1.0: the content type and the body, or `None` while nothing listens.
fn get(port: u16, path: &str) -> Option<(String, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut raw = String::new();
    s.read_to_string(&mut raw).ok()?;
    let (head, body) = raw.split_once("\r\n\r\n")?;
    assert!(head.starts_with("HTTP/1."), "{head}");
    assert!(head.lines().next()?.contains(" 200 "), "{path}: {head}");
    let content_type = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-type")
                .then(|| v.strip_prefix(' ').unwrap_or(v).to_owned())
        })
        .unwrap_or_default();
    Some((content_type, body.to_owned()))
}

/// Polls `GET path` until `done` holds for the body (or panics after a minute).
fn until(port: u16, path: &str, what: &str, done: impl Fn(&str) -> bool) -> (String, String) {
    let start = Instant::now();
    loop {
        if let Some((ct, body)) = get(port, path) {
            if done(&body) {
                return (ct, body);
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{what} on port {port}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn config(dir: &Path, name: &str, port: u16, topic: &str) -> std::path::PathBuf {
    let queue = unique(&format!("fm-monitor-{name}"));
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(
        &path,
        format!(
            "amqp_url = \"{}\"\n\n[monitoring]\naddress = \"127.0.0.1\"\nport = {port}\n\n\
             [queues.\"{queue}\"]\ndurable = false\nauto_delete = true\nexclusive = true\narguments = {{}}\n\n\
             [[bindings]]\nqueue = \"{queue}\"\nexchange = \"amq.topic\"\nrouting_keys = [\"{topic}\"]\n",
            AMQP_URL
        ),
    )
    .unwrap();
    path
}

fn ours(conf: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_fedora-messaging"));
    c.arg("consume")
        .env("FEDORA_MESSAGING_CONF", conf)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_ready_and_metrics_answer_as_pythons_and_count() {
    let python = python::venv();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("monitoring");
    std::fs::create_dir_all(&dir).unwrap();
    let topic = format!("{}.monitor", unique("t"));
    let (py_port, rs_port) = (free_port(), free_port());
    let py_conf = config(&dir, "python", py_port, &topic);
    let rs_conf = config(&dir, "rust", rs_port, &topic);

    let _py = Running(
        Command::new(python.with_file_name("fedora-messaging"))
            .args(["consume", "--callback", "fedora_messaging.example:printer"])
            .env("FEDORA_MESSAGING_CONF", &py_conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let _rs = Running(ours(&rs_conf).spawn().unwrap());

    let consuming = |b: &str| b.contains("\"consuming\": true");
    for path in ["/live", "/ready"] {
        let py = until(
            py_port,
            path,
            "Python's server",
            consuming_or_live(path, consuming),
        );
        let rs = until(
            rs_port,
            path,
            "our server",
            consuming_or_live(path, consuming),
        );
        assert_eq!(rs, py, "{path} before any message: content type and bytes");
    }

    // Three messages reach both queues; both consumers handle them.
    let publisher = Publisher::new(
        fedora_messaging::amqp::Config::from_toml(&format!("amqp_url = \"{AMQP_URL}\"\n")).unwrap(),
    );
    for n in 0..3 {
        publisher
            .publish(&BaseMessage::new(&topic, json!({"n": n})))
            .await
            .unwrap();
    }
    let handled = |b: &str| b.contains("\"processed\": 3");
    let py = until(py_port, "/ready", "Python's count", handled);
    let rs = until(rs_port, "/ready", "our count", handled);
    assert_eq!(
        rs, py,
        "/ready after three messages: content type and bytes"
    );
    let ready: Value = serde_json::from_str(&rs.1).unwrap();
    assert_eq!(ready["consumed"]["received"], 3);

    // /metrics, read by the Prometheus project's parser.
    let (ct, text) = get(rs_port, "/metrics").unwrap();
    assert!(ct.starts_with("application/openmetrics-text"), "{ct}");
    let file = dir.join("metrics.txt");
    std::fs::write(&file, &text).unwrap();
    let parsed = python::run(Command::new(&python).arg("-c").arg(PARSE).arg(&file));
    let samples: Value = serde_json::from_str(&parsed).unwrap();
    let value = |name: &str| samples[name].as_f64().unwrap_or(-1.0);
    assert_eq!(value("fedora_messaging_received_total"), 3.0, "{parsed}");
    assert_eq!(
        value("fedora_messaging_consumed_total{outcome=processed}"),
        3.0,
        "{parsed}"
    );
    assert_eq!(
        value("fedora_messaging_consumed_total{outcome=failed}"),
        0.0
    );
    assert_eq!(
        value("fedora_messaging_handler_duration_seconds_count"),
        3.0
    );
    assert_eq!(value("fedora_messaging_consuming"), 1.0);
    assert_eq!(value("fedora_messaging_in_flight"), 0.0);
    let age = value("fedora_messaging_last_message_age_seconds");
    assert!((0.0..60.0).contains(&age), "{age}");
}

fn consuming_or_live<'a>(
    path: &str,
    consuming: impl Fn(&str) -> bool + 'a,
) -> impl Fn(&str) -> bool + 'a {
    let live = path == "/live";
    move |b| live || consuming(b)
}

/// Parses an OpenMetrics file with prometheus_client and prints every sample as
/// `{"name{label=value,…}": value}`.
const PARSE: &str = r#"
import json, sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
out = {}
for family in text_string_to_metric_families(open(sys.argv[1]).read()):
    for s in family.samples:
        labels = ",".join(f"{k}={v}" for k, v in sorted(s.labels.items()))
        out[s.name + (("{" + labels + "}") if labels else "")] = s.value
print(json.dumps(out))
"#;

#[test]
fn a_monitoring_port_in_use_stops_the_consumer_at_start_naming_it() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("monitoring-taken");
    std::fs::create_dir_all(&dir).unwrap();
    let conf = config(&dir, "taken", port, "t.taken");
    let out = ours(&conf).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(&format!("127.0.0.1:{port}")), "{stderr}");
    assert!(stderr.contains("monitoring"), "{stderr}");
}
