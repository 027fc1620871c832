//! A consumer process killed with SIGKILL in the middle of a batch: every message it had not acked
//! is redelivered to the next consumer, so every message is handled at least once.

#![allow(clippy::unwrap_used)]

#[path = "../../../tests/common/mod.rs"]
mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::cargo::CommandCargoExt;
use fedora_messaging::amqp::publish::Publisher;
use fedora_messaging::BaseMessage;
use serde_json::json;

fn ids(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn consumer(conf: &Path, script: &str) -> std::process::Child {
    Command::cargo_bin("fedora-messaging")
        .unwrap()
        .arg("--conf")
        .arg(conf)
        .args(["consume", "--exec", script])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[tokio::test]
async fn killed_consumer_leaves_nothing_unhandled() {
    const N: usize = 30;
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(common::unique("sigkill"));
    std::fs::create_dir_all(&dir).unwrap();
    let topic = format!("{}.kill", common::unique("t"));
    let queue = common::unique("fm-kill");
    let conf = dir.join("conf.toml");
    std::fs::write(
        &conf,
        format!(
            "amqp_url = \"{}\"\n\
             [queues.\"{queue}\"]\ndurable = true\nauto_delete = false\nexclusive = false\narguments = {{}}\n\
             [[bindings]]\nqueue = \"{queue}\"\nexchange = \"amq.topic\"\nrouting_keys = [\"{topic}\"]\n\
             [qos]\nprefetch_size = 0\nprefetch_count = 10\n",
            common::amqp_url()
        ),
    )
    .unwrap();
    let (first, second) = (dir.join("first"), dir.join("second"));

    // A slow first consumer: each message takes 0.2 s, so a batch of 10 is in its hands.
    let mut a = consumer(
        &conf,
        &format!(
            "sleep 0.2; echo $FEDORA_MESSAGING_ID >> {}",
            first.display()
        ),
    );
    let (conn, ch) = common::raw_channel().await;
    common::wait_for_queue(&conn, &queue).await;
    let publisher = Publisher::new(common::config(""));
    let mut sent = BTreeSet::new();
    for i in 0..N {
        let env = publisher
            .publish(&BaseMessage::new(topic.as_str(), json!({"i": i})))
            .await
            .unwrap();
        sent.insert(env.id.unwrap());
    }
    while ids(&first).len() < 5 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    a.kill().unwrap(); // SIGKILL
    a.wait().unwrap();
    let handled_by_first = ids(&first);

    let mut b = consumer(
        &conf,
        &format!("echo $FEDORA_MESSAGING_ID >> {}", second.display()),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let all: BTreeSet<String> = ids(&first).into_iter().chain(ids(&second)).collect();
        if all == sent || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Command::new("kill")
        .args(["-TERM", &b.id().to_string()])
        .status()
        .unwrap();
    assert_eq!(b.wait().unwrap().code(), Some(0));

    let by_second = ids(&second);
    let all: BTreeSet<String> = handled_by_first.iter().chain(&by_second).cloned().collect();
    let duplicates = handled_by_first.len() + by_second.len() - all.len();
    println!(
        "SIGKILL: sent {N}, handled by the killed consumer {}, by the next {}, duplicates {duplicates}, lost {}",
        handled_by_first.len(),
        by_second.len(),
        sent.difference(&all).count()
    );
    assert_eq!(all, sent, "every message handled at least once");
    assert!(by_second.len() >= N - handled_by_first.len());
    assert_eq!(common::depth(&ch, &queue).await, 0);
    common::delete_queue(&ch, &queue).await;
}
