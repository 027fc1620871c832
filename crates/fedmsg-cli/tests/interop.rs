//! The Rust fedmsg tools against the real Python fedmsg 1.1.7 (PyPI, its own virtualenv), over
//! ZeroMQ on loopback, each test in its own "site" (a `fedmsg.d/` on free ports that both sides
//! read: Python from its working directory, Rust with `--config`).
//!
//! - Python `fedmsg.publish` (bind) → Rust `fedmsg tail`: every envelope equal.
//! - Rust `Publisher` (bind) → Python `fedmsg.tail_messages` and a raw pyzmq SUB: envelopes equal,
//!   frame 1 byte-identical to Python's own `fedmsg.encoding.dumps` of the same dict.
//! - Rust `fedmsg logger` → Python `fedmsg-relay` → Python tail.
//! - Python `fedmsg-logger` → Rust `fedmsg relay` → Rust tail and Python tail.
//! - Rust gateway → a Python SUB.
//! - The slow joiner: a Rust publisher that waits for its subscriber loses nothing; Python with its
//!   default `post_init_sleep` loses what it sent before the subscriber connected.
//! - Canonical JSON: 1,000 generated envelopes encoded byte-identically to `fedmsg.encoding.dumps`.

#![allow(clippy::unwrap_used)]

#[path = "../../../tests/common/fedmsg_peer.rs"]
mod peer;

use std::process::Command;
use std::time::Duration;

use fedmsg::zeromq::{Forwarder, Publisher, Settle};
use fedmsg::Envelope;
use peer::{json_lines, root, Running, Site};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(30);

fn cases() -> (String, Vec<Value>) {
    let text = std::fs::read_to_string(root().join("tests/fedmsg/cases.jsonl")).unwrap();
    let cases = json_lines(&text.lines().map(str::to_owned).collect::<Vec<_>>());
    (text, cases)
}

/// `fedmsg ARGS --config SITE`, logging the subscriber's readiness for the tests to wait on.
fn fedmsg(site: &Site, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fedmsg"));
    cmd.arg("--config")
        .arg(site.config_dir())
        .args(args)
        .env("RUST_LOG", "fedmsg=info")
        .env("HOME", &site.dir);
    cmd
}

#[test]
fn python_publishes_rust_tails() {
    let site = Site::new("py-pub", "");
    let (text, cases) = cases();
    let file = site.file("cases.jsonl", &text);
    let n = cases.len().to_string();
    let mut tail = Running::spawn(&mut fedmsg(&site, &["tail", "--json", "--count", &n]));
    tail.wait_for_stderr("fedmsg subscriber ready", WAIT);
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
    let got = tail.finish();
    assert_eq!(got.len(), cases.len());
    for ((case, sent), line) in cases.iter().zip(&sent).zip(&got) {
        let env = Envelope::from_json(line.as_bytes()).unwrap();
        assert_eq!(&env.to_value(), sent);
        assert_eq!(env.msg, case["msg"]);
        assert_eq!(
            env.topic,
            format!(
                "org.fedoraproject.prod.{}.{}",
                case["modname"].as_str().unwrap(),
                case["topic"].as_str().unwrap()
            )
        );
        // `--json` prints the canonical form: what Python's dumps makes of the same dict.
        assert_eq!(line, &fedmsg::encoding::dumps(sent));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn rust_publishes_python_tails() {
    let site = Site::new("rs-pub", "");
    let (_, cases) = cases();
    let n = cases.len().to_string();
    let mut py_tail = Running::spawn(&mut site.peer(&["tail", &n, "30"]));
    let endpoint = format!("tcp://127.0.0.1:{}", site.publisher);
    let mut raw = Running::spawn(&mut site.peer(&["raw-sub", &endpoint, &n, "30"]));
    py_tail.wait_for_stderr("ready", WAIT);
    raw.wait_for_stderr("ready", WAIT);
    let publisher = Publisher::bind(&site.config(), "bodhi.host").unwrap();
    publisher
        .settle(Settle::Subscribers {
            count: 2,
            timeout: WAIT,
        })
        .await
        .unwrap();
    let sent: Vec<Envelope> = cases
        .iter()
        .map(|c| {
            publisher
                .publish(
                    c["modname"].as_str().unwrap(),
                    c["topic"].as_str().unwrap(),
                    c["msg"].clone(),
                )
                .unwrap()
        })
        .collect();
    let (py_tail, raw) = (json_lines(&py_tail.finish()), json_lines(&raw.finish()));
    assert_eq!((py_tail.len(), raw.len()), (sent.len(), sent.len()));
    for ((env, t), r) in sent.iter().zip(&py_tail).zip(&raw) {
        assert_eq!(
            t["msg"],
            env.to_value(),
            "tail_messages saw the envelope sent"
        );
        assert_eq!(t["topic"], env.topic.as_str());
        assert_eq!(t["endpoint"], endpoint.as_str());
        let frame1 = r["frames"][1].as_str().unwrap();
        assert_eq!(r["frames"][0], env.topic.as_str());
        assert_eq!(frame1, env.to_canonical_json());
        assert_eq!(
            frame1,
            r["dumps"].as_str().unwrap(),
            "frame 1 is fedmsg.encoding.dumps of itself"
        );
        assert_eq!(frame1, t["dumps"].as_str().unwrap());
    }
    // Python's username and counter conventions.
    assert_eq!(sent[0].i, Some(1));
    assert_eq!(sent[1].i, Some(2));
    assert!(
        sent[0].msg_id.as_deref().unwrap().len() == 41,
        "{:?}",
        sent[0].msg_id
    );
}

#[test]
fn rust_logger_python_relay_python_tail() {
    let site = Site::new("py-relay", "");
    let _relay = Running::spawn(&mut site.python("fedmsg-relay"));
    peer::wait_for_port(site.relay_out);
    let mut tail = Running::spawn(&mut site.peer(&["tail", "2", "30"]));
    tail.wait_for_stderr("ready", WAIT);
    // The tail connects at once (the port is open); give its subscription a moment to arrive.
    std::thread::sleep(Duration::from_millis(1000));
    let out = Command::new(env!("CARGO_BIN_EXE_fedmsg"))
        .arg("--config")
        .arg(site.config_dir())
        .args(["logger", "--message", "hello through the Python relay ✓"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut logger = Command::new(env!("CARGO_BIN_EXE_fedmsg"));
    logger.arg("--config").arg(site.config_dir()).args([
        "logger",
        "--json-input",
        "--modname",
        "rust",
        "--topic",
        "json.doc",
    ]);
    let mut child = logger.stdin(std::process::Stdio::piped()).spawn().unwrap();
    std::io::Write::write_all(
        child.stdin.as_mut().unwrap(),
        br#"{"k": [1, 2.5, "\u00e9"]}"#,
    )
    .unwrap();
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success());
    let got = json_lines(&tail.finish());
    assert_eq!(got[0]["topic"], "org.fedoraproject.prod.logger.log");
    assert_eq!(
        got[0]["msg"]["msg"],
        json!({"log": "hello through the Python relay ✓"})
    );
    assert_eq!(got[0]["msg"]["i"], 1);
    assert_eq!(got[0]["msg"]["username"], fedmsg::zeromq::os_username());
    assert_eq!(got[1]["topic"], "org.fedoraproject.prod.rust.json.doc");
    assert_eq!(got[1]["msg"]["msg"], json!({"k": [1, 2.5, "é"]}));
}

#[test]
fn python_logger_rust_relay_rust_and_python_tails() {
    let site = Site::new("rs-relay", "");
    let mut relay = Running::spawn(&mut fedmsg(&site, &["relay"]));
    relay.wait_for_stderr("fedmsg subscriber ready", WAIT);
    let mut rust_tail = Running::spawn(&mut fedmsg(&site, &["tail", "--json", "--count", "1"]));
    let mut py_tail = Running::spawn(&mut site.peer(&["tail", "1", "30"]));
    rust_tail.wait_for_stderr("fedmsg subscriber ready", WAIT);
    py_tail.wait_for_stderr("ready", WAIT);
    // Both connect to a bound port at once; give their subscriptions a moment to arrive.
    std::thread::sleep(Duration::from_millis(1000));
    let out = site
        .python("fedmsg-logger")
        .args(["--message", "hello from fedmsg-logger"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rust = Envelope::from_json(rust_tail.finish()[0].as_bytes()).unwrap();
    let py = json_lines(&py_tail.finish());
    assert_eq!(rust.topic, "org.fedoraproject.prod.logger.log");
    assert_eq!(rust.msg, json!({"log": "hello from fedmsg-logger"}));
    assert_eq!(
        py[0]["msg"],
        rust.to_value(),
        "both tails got the same envelope"
    );
    let (_, stderr) = relay.terminate();
    assert!(
        stderr.contains("forwarded 1, not forwarded 0 (high-water mark), malformed 0"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rust_gateway_rebroadcasts_to_a_python_sub() {
    let site = Site::new("gateway", "");
    let config = site.config();
    let port = peer::free_port();
    let gateway = Forwarder::gateway(&config, port).unwrap();
    let gateway_pub = gateway.publisher().clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(gateway.run(async {
        let _ = stopped.await;
    }));
    let publisher = Publisher::bind(&config, "bodhi.host").unwrap();
    let mut raw =
        Running::spawn(&mut site.peer(&["raw-sub", &format!("tcp://127.0.0.1:{port}"), "3", "30"]));
    raw.wait_for_stderr("ready", WAIT);
    gateway_pub
        .settle(Settle::Subscribers {
            count: 1,
            timeout: WAIT,
        })
        .await
        .unwrap();
    publisher
        .settle(Settle::Subscribers {
            count: 1,
            timeout: WAIT,
        })
        .await
        .unwrap();
    let sent: Vec<Envelope> = (0..3)
        .map(|n| {
            publisher
                .publish(
                    "bodhi",
                    "update.comment",
                    json!({"n": n, "text": "ünïcødé"}),
                )
                .unwrap()
        })
        .collect();
    let got = json_lines(&raw.finish());
    for (env, r) in sent.iter().zip(&got) {
        assert_eq!(
            r["frames"],
            json!([env.topic, env.to_canonical_json()]),
            "the two frames, as sent"
        );
    }
    stop.send(()).unwrap();
    let stats = running.await.unwrap();
    assert_eq!(stats.forwarded, 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_joiner_rust_waits_and_loses_nothing_python_sleeps_and_loses() {
    let site = Site::new("joiner", "");
    let endpoint = format!("tcp://127.0.0.1:{}", site.publisher);

    // Rust: the publisher starts first and waits for its subscriber, which comes 1.5 s later.
    let publisher = Publisher::bind(&site.config(), "bodhi.host").unwrap();
    let sending = {
        let p = publisher.clone();
        tokio::spawn(async move {
            p.settle(Settle::Subscribers {
                count: 1,
                timeout: WAIT,
            })
            .await
            .unwrap();
            (0..5)
                .map(|n| p.publish("rust", "early", json!({"n": n})).unwrap())
                .count()
        })
    };
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut sub = Running::spawn(&mut site.peer(&["raw-sub", &endpoint, "5", "20"]));
    sub.wait_for_stderr("ready", WAIT);
    assert_eq!(sending.await.unwrap(), 5);
    let rust_delivered = json_lines(&sub.finish()).len();
    drop(publisher);

    // Python: fedmsg.init binds, sleeps its default post_init_sleep (0.5 s) and sends 5; the
    // subscriber connects only after that; 3 s later Python sends 5 more.
    let batch = |tag: &str| {
        (0..5)
            .map(|n| json!({"modname": "py", "topic": tag, "msg": {"n": n}}).to_string() + "\n")
            .collect::<String>()
    };
    let first = site.file("first.jsonl", &batch("early"));
    let second = site.file("second.jsonl", &batch("late"));
    let mut python = Running::spawn(&mut site.peer(&[
        "publish",
        "bodhi.host",
        first.to_str().unwrap(),
        "--then-wait",
        "3",
        "--more",
        second.to_str().unwrap(),
    ]));
    let lines = python.stdout_lines();
    for _ in 0..5 {
        lines
            .recv_timeout(WAIT)
            .expect("Python sent its first five");
    }
    let tail = Running::spawn(
        Command::new(env!("CARGO_BIN_EXE_fedmsg"))
            .arg("--config")
            .arg(site.config_dir())
            .args(["tail", "--json", "--count", "5"]),
    );
    let got: Vec<Envelope> = tail
        .finish()
        .iter()
        .map(|l| Envelope::from_json(l.as_bytes()).unwrap())
        .collect();
    drop(python);
    let python_delivered = got.iter().filter(|e| e.topic.ends_with(".early")).count();
    eprintln!("slow joiner: Rust delivered {rust_delivered}/5 sent before its subscriber; Python {python_delivered}/5");
    assert_eq!(rust_delivered, 5, "Rust waited for its subscriber");
    assert_eq!(python_delivered, 0, "Python's first five went to nobody");
    assert!(got
        .iter()
        .all(|e| e.topic == "org.fedoraproject.prod.py.late"));
}

/// A small deterministic generator (xorshift), so the 1,000 envelopes are the same every run.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn string(&mut self) -> String {
        const PALETTE: &[char] = &[
            'a',
            'Z',
            '0',
            ' ',
            '"',
            '\\',
            '/',
            '\u{8}',
            '\u{c}',
            '\n',
            '\r',
            '\t',
            '\u{0}',
            '\u{1f}',
            '\u{7f}',
            '\u{80}',
            'é',
            'ß',
            '→',
            '東',
            '\u{2028}',
            '\u{fffd}',
            '\u{ffff}',
            '\u{10000}',
            '😀',
            '\u{10ffff}',
        ];
        let len = self.below(12);
        (0..len)
            .map(|_| {
                if self.below(4) == 0 {
                    char::from_u32(self.below(0x11_0000) as u32).unwrap_or('?')
                } else {
                    PALETTE[self.below(PALETTE.len() as u64) as usize]
                }
            })
            .collect()
    }
    fn float(&mut self) -> f64 {
        const EDGES: &[f64] = &[
            0.0,
            -0.0,
            0.1,
            1.0,
            1.5,
            1e16,
            1e-5,
            1e-4,
            123_456_789.123,
            1e300,
            5e-324,
            f64::MAX,
            f64::MIN_POSITIVE,
        ];
        if self.below(2) == 0 {
            EDGES[self.below(EDGES.len() as u64) as usize]
        } else {
            let f = f64::from_bits(self.next());
            if f.is_finite() {
                f
            } else {
                2.5
            }
        }
    }
    fn value(&mut self, depth: u32) -> Value {
        let kinds = if depth >= 24 { 6 } else { 8 };
        match self.below(kinds) {
            0 => Value::Null,
            1 => Value::Bool(self.below(2) == 0),
            2 => json!(self.next() as i64),
            3 => [
                json!(i64::MIN),
                json!(i64::MAX),
                json!(u64::MAX),
                json!(0),
                json!(-1),
            ][self.below(5) as usize]
                .clone(),
            4 => json!(self.float()),
            5 => Value::String(self.string()),
            6 => Value::Array((0..self.below(4)).map(|_| self.value(depth + 1)).collect()),
            _ => Value::Object(
                (0..self.below(5))
                    .map(|_| (self.string(), self.value(depth + 1)))
                    .collect(),
            ),
        }
    }
}

#[test]
fn canonical_json_matches_fedmsg_encoding_dumps_on_1000_envelopes() {
    let site = Site::new("canonical", "");
    let mut gen = Gen(0x5eed_f3d5);
    let mut input = String::new();
    let mut ours = Vec::new();
    for n in 0..1000u64 {
        let mut env = Envelope::new(
            format!("org.fedoraproject.prod.gen.{}", gen.string()),
            gen.value(0),
        );
        env.i = Some(n + 1);
        env.username = Some(gen.string());
        // Deep nesting in every tenth envelope.
        if n % 10 == 0 {
            let mut deep = gen.value(24);
            for _ in 0..40 {
                deep = json!({ gen.string(): [deep] });
            }
            env.extra.insert("deep".into(), deep);
        }
        let v = env.to_value();
        input.push_str(&serde_json::to_string(&v).unwrap());
        input.push('\n');
        ours.push(fedmsg::encoding::dumps(&v));
    }
    let file = site.file("envelopes.jsonl", &input);
    let out = peer::run(&mut site.peer(&["dumps", file.to_str().unwrap()]));
    let theirs: Vec<&str> = out.lines().collect();
    assert_eq!(theirs.len(), 1000);
    for (n, (a, b)) in ours.iter().zip(&theirs).enumerate() {
        assert_eq!(a, b, "envelope {n} differs");
    }
}
