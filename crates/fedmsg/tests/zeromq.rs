//! The ZeroMQ transport on loopback, Rust to Rust and against raw libzmq sockets: bad input,
//! the high-water mark, endpoints that will not bind, one publisher shared by many tasks.
//! (Against Python fedmsg: `crates/fedmsg-cli/tests/interop.rs`.)

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::time::Duration;

use fedmsg::zeromq::{PublishError, Publisher, Settle, SubscriberBuilder};
use fedmsg::Config;
use futures_util::StreamExt;
use serde_json::json;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn config_with(name: &str, port: u16, extra: &str) -> Config {
    Config::from_toml(&format!(
        "environment = \"prod\"\n{extra}\n[endpoints]\n\"{name}\" = [\"tcp://127.0.0.1:{port}\"]\n"
    ))
    .unwrap()
}

const WAIT: Duration = Duration::from_secs(10);

#[tokio::test]
async fn malformed_messages_are_counted_and_the_stream_goes_on() {
    let port = free_port();
    let config = config_with("raw", port, "");
    let mut sub = SubscriberBuilder::new(&config).start().unwrap();
    // A raw PUB, to send what no fedmsg publisher would.
    let ctx = zmq::Context::new();
    let raw = ctx.socket(zmq::XPUB).unwrap();
    raw.bind(&format!("tcp://127.0.0.1:{port}")).unwrap();
    raw.set_rcvtimeo(10_000).unwrap();
    assert_eq!(
        raw.recv_bytes(0).unwrap(),
        b"\x01",
        "the subscriber subscribed"
    );
    let bad: Vec<Vec<&[u8]>> = vec![
        vec![b"t"],                                      // one frame
        vec![b"t", b"{}", b"x"],                         // three frames
        vec![b"\xff", br#"{"topic":"t","msg":1}"#],      // topic not UTF-8
        vec![b"t", b"\xff\xfe"],                         // JSON not UTF-8
        vec![b"t", b"{not json"],                        // not JSON
        vec![b"t", b"[1, 2]"],                           // not an object
        vec![b"t", br#"{"msg": {}}"#],                   // no topic
        vec![b"t", br#"{"topic": "t"}"#],                // no msg
        vec![b"t", br#"{"topic": "other", "msg": {}}"#], // frame and JSON topics differ
    ];
    for frames in &bad {
        raw.send_multipart(frames.iter().copied(), 0).unwrap();
    }
    raw.send_multipart([b"t".as_slice(), br#"{"topic":"t","msg":{"ok":true}}"#], 0)
        .unwrap();
    let good = tokio::time::timeout(WAIT, sub.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(good.envelope.msg, json!({"ok": true}));
    assert_eq!(good.endpoint, format!("tcp://127.0.0.1:{port}"));
    let stats = sub.stats();
    assert_eq!((stats.malformed, stats.received), (bad.len() as u64, 1));
}

#[tokio::test]
async fn a_message_refused_at_the_high_water_mark_is_an_error_and_counted() {
    let port = free_port();
    let config = config_with("svc", port, "high_water_mark = 1");
    let publisher = Publisher::bind(&config, "svc").unwrap();
    // A subscriber that never reads.
    let ctx = zmq::Context::new();
    let stuck = ctx.socket(zmq::SUB).unwrap();
    stuck.set_rcvhwm(1).unwrap();
    stuck.set_subscribe(b"").unwrap();
    stuck.connect(&format!("tcp://127.0.0.1:{port}")).unwrap();
    publisher
        .settle(Settle::Subscribers {
            count: 1,
            timeout: WAIT,
        })
        .await
        .unwrap();
    // 100 KiB messages: the socket buffers of loopback fill after a few MiB at most.
    let blob = "x".repeat(100 * 1024);
    let (mut sent, mut refused) = (0u64, 0u64);
    for _ in 0..2000 {
        match publisher.publish("test", "big", json!({ "blob": blob })) {
            Ok(_) => sent += 1,
            Err(PublishError::HighWaterMark { hwm }) => {
                assert_eq!(hwm, 1);
                refused += 1;
            }
            Err(e) => panic!("{e}"),
        }
    }
    assert!(
        refused > 0,
        "2000 × 100 KiB to a subscriber that never reads were all sent"
    );
    let stats = publisher.stats();
    assert_eq!((stats.sent, stats.dropped_high_water_mark), (sent, refused));
    assert_eq!(stats.subscriptions, 1);
}

#[test]
fn no_endpoint_available_names_every_endpoint_tried() {
    let taken: Vec<std::net::TcpListener> = (0..2)
        .map(|_| std::net::TcpListener::bind("0.0.0.0:0").unwrap())
        .collect();
    let ports: Vec<u16> = taken
        .iter()
        .map(|l| l.local_addr().unwrap().port())
        .collect();
    let config = Config::from_toml(&format!(
        "[endpoints]\n\"svc.host\" = [\"tcp://127.0.0.1:{}\", \"tcp://127.0.0.1:{}\"]\n",
        ports[0], ports[1]
    ))
    .unwrap();
    let err = Publisher::bind(&config, "svc.host").unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("no endpoint available for \"svc.host\""),
        "{text}"
    );
    for p in &ports {
        assert!(
            text.contains(&format!("tcp://*:{p} (Address already in use)")),
            "{text}"
        );
    }
    let err = Publisher::bind(&config, "other").unwrap_err();
    assert!(
        err.to_string().contains("key `endpoints.other` is not set"),
        "{err}"
    );
}

#[tokio::test]
async fn one_publisher_serves_many_tasks_and_threads() {
    let port = free_port();
    let config = config_with("svc", port, "");
    let publisher = Publisher::bind(&config, "svc").unwrap();
    let mut sub = SubscriberBuilder::new(&config)
        .topic("org.fedoraproject.prod.many.")
        .start()
        .unwrap();
    publisher
        .settle(Settle::Subscribers {
            count: 1,
            timeout: WAIT,
        })
        .await
        .unwrap();
    let mut handles = Vec::new();
    for t in 0..4 {
        let p = publisher.clone();
        handles.push(std::thread::spawn(move || {
            for n in 0..50 {
                p.publish("many", "thread", json!({"t": t, "n": n}))
                    .unwrap();
            }
        }));
    }
    for t in 0..4 {
        let p = publisher.clone();
        handles.push(std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap();
            rt.block_on(async move {
                for n in 0..50 {
                    p.publish("many", "task", json!({"t": t, "n": n})).unwrap();
                }
            });
        }));
    }
    // Another topic the subscriber did not ask for.
    publisher.publish("other", "x", json!({})).unwrap();
    for h in handles {
        h.join().unwrap();
    }
    let mut counters = BTreeSet::new();
    for _ in 0..400 {
        let m = tokio::time::timeout(WAIT, sub.next())
            .await
            .unwrap()
            .unwrap();
        assert!(m.envelope.topic.starts_with("org.fedoraproject.prod.many."));
        counters.insert(m.envelope.i.unwrap());
    }
    // Every message has its own `i`, 1..=401 shared by all threads (the other topic took one).
    assert_eq!(counters.len(), 400);
    assert!(counters.iter().all(|i| (1..=401).contains(i)));
    assert_eq!(publisher.stats().sent, 401);
    assert!(tokio::time::timeout(Duration::from_millis(300), sub.next())
        .await
        .is_err());
}

#[tokio::test]
async fn waiting_for_subscribers_times_out_with_the_count() {
    let config = config_with("svc", free_port(), "");
    let publisher = Publisher::bind(&config, "svc").unwrap();
    let err = publisher
        .wait_for_subscribers(1, Duration::from_millis(200))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            PublishError::TooFewSubscribers {
                wanted: 1,
                seen: 0,
                ..
            }
        ),
        "{err}"
    );
    // Without a subscriber, a message goes to nobody: sent, and counted as such.
    publisher.publish("svc", "lost", json!({})).unwrap();
    let stats = publisher.stats();
    assert_eq!((stats.sent, stats.sent_without_subscribers), (1, 1));
}

#[tokio::test]
async fn relay_forwards_bytes_from_a_connecting_publisher() {
    let (inbound, outbound) = (free_port(), free_port());
    let config = Config::from_toml(&format!(
        "relay_inbound = \"tcp://127.0.0.1:{inbound}\"\n[endpoints]\nrelay_outbound = [\"tcp://127.0.0.1:{outbound}\"]\n"
    ))
    .unwrap();
    let relay = fedmsg::zeromq::Forwarder::relay(&config).unwrap();
    let relay_pub = relay.publisher().clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(relay.run(async {
        let _ = stopped.await;
    }));
    let mut tail = SubscriberBuilder::new(&config).start().unwrap();
    relay_pub
        .settle(Settle::Subscribers {
            count: 1,
            timeout: WAIT,
        })
        .await
        .unwrap();
    let logger = Publisher::connect_relay(&config).unwrap();
    logger
        .settle(Settle::Subscribers {
            count: 1,
            timeout: WAIT,
        })
        .await
        .unwrap();
    let sent = logger
        .publish("logger", "log", json!({"log": "via relay ✓"}))
        .unwrap();
    let got = tokio::time::timeout(WAIT, tail.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.envelope, sent);
    assert_eq!(got.json, sent.to_canonical_json().into_bytes());
    stop.send(()).unwrap();
    let stats = running.await.unwrap();
    assert_eq!(
        (stats.forwarded, stats.not_forwarded, stats.malformed),
        (1, 0, 0)
    );
}
