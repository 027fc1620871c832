//! `replay` and `reconsume` against the real datagrepper 1.1.0 and datanommer.models 1.5.0 from
//! PyPI on the machine's PostgreSQL (seeded through datanommer's own `add()`), publishing to the
//! local RabbitMQ, side by side with Python fedora-messaging 3.9.1's commands.
//!
//! One test owns the server and the archive (250 messages over three topics), so both are
//! stopped and dropped however it ends; its steps run in order.

#![allow(clippy::unwrap_used)]

#[path = "../../../tests/common/datagrepper.rs"]
mod datagrepper;
#[allow(dead_code)]
#[path = "../../../tests/common/python.rs"]
mod python;

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use datagrepper::{archive, Datagrepper};
use fedora_messaging::amqp::wire;
use fedora_messaging::{lines, Envelope};
use lapin::options::{
    BasicGetOptions, ExchangeDeclareOptions, ExchangeDeleteOptions, QueueBindOptions,
    QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties, ExchangeKind};
use serde_json::Value;

const AMQP_URL: &str = "amqp://guest:guest@127.0.0.1:5672/%2F";

const TOPICS: [&str; 3] = [
    "org.fedoraproject.test.bodhi.update.comment",
    "org.fedoraproject.test.koji.build.state.change",
    "org.fedoraproject.test.copr.build.end",
];

fn start() -> DateTime<Utc> {
    "2026-11-29T12:00:00Z".parse().unwrap()
}

fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// An exchange and a queue bound to all of it with `#`, deleted on drop.
struct Broker {
    _conn: Connection,
    channel: Channel,
    exchange: String,
    queue: String,
}

impl Broker {
    async fn new() -> Self {
        let conn = Connection::connect(AMQP_URL, ConnectionProperties::default())
            .await
            .expect("RabbitMQ on 127.0.0.1:5672");
        let channel = conn.create_channel().await.unwrap();
        let id = uuid::Uuid::new_v4().simple().to_string();
        let (exchange, queue) = (format!("replay-x-{id}"), format!("replay-q-{id}"));
        channel
            .exchange_declare(
                exchange.as_str().into(),
                ExchangeKind::Topic,
                ExchangeDeclareOptions::default(),
                FieldTable::default(),
            )
            .await
            .unwrap();
        channel
            .queue_declare(
                queue.as_str().into(),
                QueueDeclareOptions::default(),
                FieldTable::default(),
            )
            .await
            .unwrap();
        channel
            .queue_bind(
                queue.as_str().into(),
                exchange.as_str().into(),
                "#".into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .unwrap();
        Self {
            _conn: conn,
            channel,
            exchange,
            queue,
        }
    }

    /// Every message waiting, in order: routing key, properties, body.
    async fn drain(&self) -> Vec<(String, BasicProperties, Vec<u8>)> {
        let mut out = Vec::new();
        while let Some(m) = self
            .channel
            .basic_get(self.queue.as_str().into(), BasicGetOptions { no_ack: true })
            .await
            .unwrap()
        {
            out.push((
                m.delivery.routing_key.to_string(),
                m.delivery.properties.clone(),
                m.delivery.data.clone(),
            ));
        }
        out
    }

    async fn delete(&self) {
        let _ = self
            .channel
            .queue_delete(self.queue.as_str().into(), QueueDeleteOptions::default())
            .await;
        let _ = self
            .channel
            .exchange_delete(
                self.exchange.as_str().into(),
                ExchangeDeleteOptions::default(),
            )
            .await;
    }
}

/// A received message as the envelope fields the archive keeps.
fn received(m: &(String, BasicProperties, Vec<u8>)) -> (String, Option<String>, Value, Value) {
    let headers =
        m.1.headers()
            .as_ref()
            .map(wire::from_field_table)
            .unwrap_or_default();
    (
        m.0.clone(),
        m.1.message_id().as_ref().map(|s| s.to_string()),
        Value::Object(headers),
        serde_json::from_slice(&m.2).unwrap(),
    )
}

fn archived(e: &Envelope) -> (String, Option<String>, Value, Value) {
    (
        e.topic.clone(),
        e.id.clone(),
        Value::Object(e.headers.clone()),
        e.body.value().clone(),
    )
}

fn ours() -> Command {
    Command::new(env!("CARGO_BIN_EXE_fedora-messaging"))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The line of standard error starting with `prefix`.
fn line_of(out: &Output, prefix: &str) -> String {
    let err = text(&out.stderr);
    err.lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix:?} line in:\n{err}"))
        .to_owned()
}

/// A `config.toml` for both command lines: the local broker, publishing to `exchange`.
fn config(dir: &Path, exchange: &str) -> PathBuf {
    let path = dir.join(format!("{exchange}.toml"));
    std::fs::write(
        &path,
        // The archived topic is complete: replay forgets topic_prefix (Python too).
        format!(
            "amqp_url = \"{AMQP_URL}\"\npublish_exchange = \"{exchange}\"\ntopic_prefix = \"not.applied\"\n"
        ),
    )
    .unwrap();
    path
}

#[tokio::test(flavor = "multi_thread")]
async fn replay_and_reconsume_against_the_real_datagrepper() {
    let server = Datagrepper::start();
    let mut messages = archive(250, &TOPICS, start());
    // Messages 198 and 199 were sent at the same time: the resume point below falls on them.
    let tie = messages[198].sent_at().unwrap().to_owned();
    messages[199]
        .headers
        .insert("sent-at".into(), Value::String(tie));
    server.seed(&lines::dumps_all(&messages));
    let dir = tempdir();
    let server = Arc::new(Mutex::new(server));

    one_message_as_python_replays_it(&server, &messages, &dir).await;
    an_unknown_id_publishes_nothing_and_says_what_python_says(&server, &dir).await;
    reconsume_runs_the_handler_once_without_a_broker(&server, &messages).await;
    a_window_and_topics_select_exactly_their_messages(&server, &messages, &dir).await;
    an_interrupted_replay_says_where_to_resume(&server, &messages, &dir).await;
    a_replay_cut_short_resumes_without_duplicates(&server, &messages, &dir).await;
    let _ = std::fs::remove_dir_all(&dir);
}

fn tempdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("replay-test-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn url(server: &Arc<Mutex<Datagrepper>>) -> String {
    server.lock().unwrap().url.clone()
}

fn python_cli(server: &Arc<Mutex<Datagrepper>>) -> PathBuf {
    server.lock().unwrap().bin().join("fedora-messaging")
}

/// `replay ID` by our command line, then by Python's, with the same config and datagrepper.
fn replay_both(
    server: &Arc<Mutex<Datagrepper>>,
    conf: &Path,
    id: &str,
) -> impl Iterator<Item = (&'static str, Output)> {
    // Lazily, one command after the other: the caller looks at the broker in between.
    let (url, conf, id) = (url(server), conf.to_path_buf(), id.to_owned());
    [
        ("ours", ours()),
        ("python", Command::new(python_cli(server))),
    ]
    .into_iter()
    .map(move |(side, mut cmd)| {
        let out = cmd
            .arg("--conf")
            .arg(&conf)
            .args(["replay", &id, "--datagrepper-url", &url])
            .output()
            .unwrap();
        (side, out)
    })
}

async fn one_message_as_python_replays_it(
    server: &Arc<Mutex<Datagrepper>>,
    messages: &[Envelope],
    dir: &Path,
) {
    let broker = Broker::new().await;
    let conf = config(dir, &broker.exchange);
    let original = &messages[5];
    let id = original.id.as_deref().unwrap();
    let mut deliveries = Vec::new();
    for (side, out) in replay_both(server, &conf, id) {
        assert!(out.status.success(), "{side}: {}", text(&out.stderr));
        // Python's logging goes to standard output too, after the line.
        assert_eq!(
            text(&out.stdout).lines().next(),
            Some(format!("Message with ID {id} has been successfully replayed.").as_str())
        );
        let got = broker.drain().await;
        assert_eq!(got.len(), 1, "{side}");
        deliveries.push(got.into_iter().next().unwrap());
    }
    let (rust, python) = (&deliveries[0], &deliveries[1]);
    // What was archived is what was published again: topic, id, headers (sent-at kept), body.
    assert_eq!(received(rust), archived(original));
    // The same delivery as Python's: routing key, properties, body bytes.
    assert_eq!(rust.0, python.0);
    assert_eq!(rust.1, python.1);
    assert_eq!(text(&rust.2), text(&python.2));
    broker.delete().await;
}

async fn an_unknown_id_publishes_nothing_and_says_what_python_says(
    server: &Arc<Mutex<Datagrepper>>,
    dir: &Path,
) {
    let broker = Broker::new().await;
    let conf = config(dir, &broker.exchange);
    let id = "00000000-0000-4000-8000-000000000000";
    let mut errors = Vec::new();
    for (side, out) in replay_both(server, &conf, id) {
        assert_eq!(out.status.code(), Some(1), "{side}");
        errors.push(line_of(&out, "Error:"));
    }
    assert_eq!(
        errors[0],
        format!(
            "Error: Failed to retrieve message from Datagrepper: 404 Client Error: NOT FOUND for url: {}/v2/id?id={id}&is_raw=true",
            url(server)
        )
    );
    assert_eq!(errors[0], errors[1]);
    assert!(broker.drain().await.is_empty());
    broker.delete().await;
}

async fn reconsume_runs_the_handler_once_without_a_broker(
    server: &Arc<Mutex<Datagrepper>>,
    messages: &[Envelope],
) {
    let original = &messages[9];
    let id = original.id.as_deref().unwrap();
    let url = url(server);
    // Neither a config nor a broker is needed.
    let handler = "printf '%s %s ' \"$FEDORA_MESSAGING_TOPIC\" \"$FEDORA_MESSAGING_ID\"; cat";
    let out = ours()
        .env("FEDORA_MESSAGING_CONF", "/nonexistent/config.toml")
        .args([
            "reconsume",
            id,
            "--datagrepper-url",
            &url,
            "--exec",
            handler,
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        format!("{} {id} {}", original.topic, lines::dumps(original))
    );
    assert!(text(&out.stderr).contains("a consumer would ack"));

    let out = ours()
        .args([
            "reconsume",
            id,
            "--datagrepper-url",
            &url,
            "--exec",
            "exit 75",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(75));
    assert!(
        text(&out.stderr).contains("requeue"),
        "{}",
        text(&out.stderr)
    );

    // Without --exec, the message as Python's example printer shows it.
    let rust = ours()
        .args(["reconsume", id, "--datagrepper-url", &url])
        .output()
        .unwrap();
    let python = Command::new(python_cli(server))
        .args(["reconsume", id, "--datagrepper-url", &url])
        .args(["--callback", "fedora_messaging.example:printer"])
        .output()
        .unwrap();
    assert!(python.status.success(), "{}", text(&python.stderr));
    // (Python's log lines go to standard output too.)
    let printed: Vec<String> = text(&python.stdout)
        .lines()
        .filter(|l| !l.starts_with("[fedora_messaging."))
        .map(str::to_owned)
        .collect();
    assert_eq!(text(&rust.stdout).trim_end(), printed.join("\n").trim_end());

    for bad in ["not-a-uuid", "00000000-0000-4000-8000-00000000000"] {
        let out = ours()
            .args(["reconsume", bad, "--datagrepper-url", &url])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad}");
    }
    let out = ours()
        .args([
            "reconsume",
            "00000000-0000-4000-8000-000000000000",
            "--datagrepper-url",
            &url,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(line_of(&out, "Error:").contains("404 Client Error: NOT FOUND"));
}

async fn a_window_and_topics_select_exactly_their_messages(
    server: &Arc<Mutex<Datagrepper>>,
    messages: &[Envelope],
    dir: &Path,
) {
    let broker = Broker::new().await;
    let conf = config(dir, "amq.topic");
    // Messages 50 to 149, on the first and the third topic.
    let expected: Vec<&Envelope> = messages[50..=149]
        .iter()
        .filter(|m| m.topic != TOPICS[1])
        .collect();
    let window = [
        "replay".to_owned(),
        "--datagrepper-url".into(),
        url(server),
        "--since".into(),
        iso(start() + Duration::seconds(50)),
        "--until".into(),
        iso(start() + Duration::seconds(149)),
        "--topic".into(),
        TOPICS[0].into(),
        "--topic".into(),
        TOPICS[2].into(),
    ];
    // --dry-run: record lines on standard output, nothing published.
    let out = ours()
        .arg("--conf")
        .arg(&conf)
        .args(&window)
        .arg("--dry-run")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let printed = lines::loads(&text(&out.stdout)).unwrap();
    assert_eq!(
        printed.iter().map(archived).collect::<Vec<_>>(),
        expected.iter().map(|e| archived(e)).collect::<Vec<_>>()
    );
    assert_eq!(
        line_of(&out, "replay:"),
        format!(
            "replay: fetched {0}, written {0}, skipped 0, failed 0",
            expected.len()
        )
    );
    assert!(broker.drain().await.is_empty());

    let out = ours()
        .arg("--conf")
        .arg(&conf)
        .args(&window)
        .args(["--to-exchange", &broker.exchange])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        line_of(&out, "replay:"),
        format!(
            "replay: fetched {0}, published {0}, skipped 0, failed 0",
            expected.len()
        )
    );
    let got: Vec<_> = broker.drain().await.iter().map(received).collect();
    assert_eq!(
        got,
        expected.iter().map(|e| archived(e)).collect::<Vec<_>>()
    );
    broker.delete().await;
}

/// What the relay below does once it has passed its connections.
#[derive(Clone, Copy)]
enum Then {
    /// Stops the real datagrepper and stops listening: what a client sees when the archive's
    /// host goes down in the middle of a replay.
    Stop,
    /// Holds the next request unanswered, and says so on the channel.
    Stall,
}

/// A TCP relay to datagrepper that passes `pass` connections (the flask server answers one
/// request per connection), then does `then` at the next request.
fn relay(
    server: Arc<Mutex<Datagrepper>>,
    pass: usize,
    then: Then,
) -> (String, std::sync::mpsc::Receiver<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let upstream = url_addr(&server.lock().unwrap().url);
    let (stalled, stall_seen) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for (n, client) in listener.incoming().enumerate() {
            let client = client.unwrap();
            if n >= pass {
                match then {
                    Then::Stop => {
                        server.lock().unwrap().stop();
                        drop(client);
                        return; // and the listener with it
                    }
                    Then::Stall => {
                        let _ = stalled.send(());
                        std::thread::spawn(move || {
                            std::thread::sleep(std::time::Duration::from_secs(60));
                            drop(client);
                        });
                        continue;
                    }
                }
            }
            let up = TcpStream::connect(&upstream).unwrap();
            let (mut c2, u2) = (client.try_clone().unwrap(), up.try_clone().unwrap());
            let a = std::thread::spawn(move || {
                let _ = std::io::copy(&mut c2, &mut u2.try_clone().unwrap());
                let _ = u2.shutdown(std::net::Shutdown::Write);
            });
            let (mut up, mut client) = (up, client);
            let _ = std::io::copy(&mut up, &mut client);
            let _ = client.shutdown(std::net::Shutdown::Both);
            let _ = a.join();
        }
    });
    (url, stall_seen)
}

fn url_addr(url: &str) -> String {
    url.trim_start_matches("http://").to_owned()
}

/// Our replay of the whole archive's window (250 messages, three pages) from `datagrepper`.
fn whole_window(conf: &Path, datagrepper: &str) -> Command {
    let mut cmd = ours();
    cmd.arg("--conf")
        .arg(conf)
        .args(["replay", "--datagrepper-url", datagrepper])
        .args(["--since", &iso(start())])
        .args(["--until", &iso(start() + Duration::hours(1))]);
    cmd
}

async fn an_interrupted_replay_says_where_to_resume(
    server: &Arc<Mutex<Datagrepper>>,
    messages: &[Envelope],
    dir: &Path,
) {
    let broker = Broker::new().await;
    let conf = config(dir, &broker.exchange);
    // The third page does not come; Ctrl-C while it is awaited.
    let (relay, stalled) = relay(Arc::clone(server), 2, Then::Stall);
    let child = whole_window(&conf, &relay)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    stalled
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("the third page asked for");
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    assert_eq!(
        line_of(&out, "replay:"),
        "replay: fetched 200, published 200, skipped 0, failed 0"
    );
    line_of(&out, "Interrupted.");
    let resume = line_of(&out, "To resume: ");
    assert!(
        resume.contains("--since 2026-11-29T12:03:18.000000Z "),
        "{resume}"
    );
    for m in &messages[198..=199] {
        assert!(resume.contains(m.id.as_deref().unwrap()), "{resume}");
    }
    assert_eq!(broker.drain().await.len(), 200);
    broker.delete().await;
}

async fn a_replay_cut_short_resumes_without_duplicates(
    server: &Arc<Mutex<Datagrepper>>,
    messages: &[Envelope],
    dir: &Path,
) {
    let broker = Broker::new().await;
    let conf = config(dir, &broker.exchange);
    let direct = url(server);
    // Pages of 100: the first two pass, datagrepper is gone when the third is asked for.
    let (relay, _) = relay(Arc::clone(server), 2, Then::Stop);
    let out = whole_window(&conf, &relay).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_eq!(
        line_of(&out, "replay:"),
        "replay: fetched 200, published 200, skipped 0, failed 0"
    );
    assert!(line_of(&out, "Error:").starts_with(&format!(
        "Error: Failed to retrieve message from Datagrepper: cannot get {relay}/v2/search?"
    )));
    let resume = line_of(&out, "To resume: ");
    // From the time of the last one published, skipping the two published at that time.
    let tied = [
        messages[198].id.clone().unwrap(),
        messages[199].id.clone().unwrap(),
    ];
    assert!(
        resume.contains("--since 2026-11-29T12:03:18.000000Z "),
        "{resume}"
    );
    assert!(resume.contains(&format!("--skip {} ", tied[0])), "{resume}");
    assert!(resume.contains(&format!("--skip {}", tied[1])), "{resume}");
    let first = broker.drain().await;
    assert_eq!(first.len(), 200);

    // datagrepper is back; the printed command, run by a shell, at its address.
    server.lock().unwrap().serve();
    let command = resume
        .trim_start_matches("To resume: ")
        .replace(&relay, &direct);
    let bin = Path::new(env!("CARGO_BIN_EXE_fedora-messaging"))
        .parent()
        .unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("sh")
        .arg("-c")
        .arg(&command)
        .env("PATH", path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{command}: {}", text(&out.stderr));
    assert_eq!(
        line_of(&out, "replay:"),
        "replay: fetched 52, published 50, skipped 2, failed 0"
    );
    let second = broker.drain().await;

    // Every message once, in the archive's order (the tied pair in either order).
    let all: Vec<_> = first.iter().chain(&second).map(received).collect();
    assert_eq!(all.len(), 250);
    let mut want: Vec<_> = messages.iter().map(archived).collect();
    let mut got = all.clone();
    if got[198] == want[199] {
        want.swap(198, 199);
    }
    assert_eq!(got.len(), want.len());
    assert!(got == want, "order or content differs");
    got.sort_by(|a, b| a.1.cmp(&b.1));
    got.dedup_by(|a, b| a.1 == b.1);
    assert_eq!(got.len(), 250, "no duplicates");
    broker.delete().await;
}
