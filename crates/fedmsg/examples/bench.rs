//! The Rust side of `scripts/bench-fedmsg`: canonical encoding, and publish → receive over
//! loopback (one `Publisher`, one `Subscriber`, one process, as the Python side). Prints one JSON
//! line per measurement. `cargo run --release -p fedmsg --example bench -- MESSAGES`

#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use fedmsg::zeromq::{PublishError, Publisher, Settle, SubscriberBuilder};
use fedmsg::{Config, Envelope};
use futures_util::StreamExt;
use serde_json::{json, Value};

/// The envelope both sides encode: a bodhi comment, non-ASCII included (about 400 bytes).
fn sample() -> Envelope {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../bench/fedmsg/sample.json"
    ))
    .expect("bench/fedmsg/sample.json");
    Envelope::from_json(text.as_bytes()).expect("the sample is an envelope")
}

fn report(name: &str, count: u64, elapsed: Duration, extra: Value) {
    let mut line = json!({
        "side": "rust", "name": name, "count": count,
        "per_second": count as f64 / elapsed.as_secs_f64(),
    });
    if let (Some(l), Some(e)) = (line.as_object_mut(), extra.as_object()) {
        l.extend(e.clone());
    }
    println!("{line}");
}

#[tokio::main]
async fn main() {
    let messages: u64 = std::env::args()
        .nth(1)
        .map_or(100_000, |a| a.parse().expect("MESSAGES"));
    let env = sample();

    let n = 200_000u64;
    let start = Instant::now();
    let mut bytes = 0usize;
    for _ in 0..n {
        bytes += std::hint::black_box(env.to_canonical_json()).len();
    }
    report(
        "canonical encoding",
        n,
        start.elapsed(),
        json!({"bytes": bytes / n as usize}),
    );

    if let Ok(pki) = std::env::var("FEDMSG_BENCH_PKI") {
        let config = Config::from_toml(&format!(
            "ssldir = \"{pki}\"\nca_cert_location = \"{pki}/ca.crt\"\ncrl_location = \"{pki}/crl.pem\"\n"
        ))
        .unwrap();
        let signer = fedmsg::crypto::x509::Signer::load(&config.ssldir, "bodhi-app01").unwrap();
        let validator = fedmsg::crypto::x509::Validator::from_config(&config).unwrap();
        let n = 1000u64;
        let mut signed = env.clone();
        let start = Instant::now();
        for _ in 0..n {
            signed = env.clone();
            signer.sign(&mut signed).unwrap();
        }
        report("x509 sign", n, start.elapsed(), json!({}));
        let start = Instant::now();
        for _ in 0..n {
            validator.validate(&signed).unwrap();
        }
        report(
            "x509 validate (CA chain, CRL, signature)",
            n,
            start.elapsed(),
            json!({}),
        );
    }

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // The default high-water mark (1000), as the Python side.
    let config = Config::from_toml(&format!(
        "[endpoints]\n\"bench.host\" = [\"tcp://127.0.0.1:{port}\"]\n"
    ))
    .unwrap();
    let publisher = Publisher::bind(&config, "bench.host").unwrap();
    let mut sub = SubscriberBuilder::new(&config).start().unwrap();
    publisher
        .settle(Settle::Subscribers {
            count: 1,
            timeout: Duration::from_secs(10),
        })
        .await
        .unwrap();
    let start = Instant::now();
    let sender = {
        let (publisher, msg) = (publisher.clone(), env.msg.clone());
        std::thread::spawn(move || {
            let mut refused = 0u64;
            for _ in 0..messages {
                // At the high-water mark the send is refused (counted): try again.
                loop {
                    match publisher.publish("bodhi", "update.comment", msg.clone()) {
                        Ok(_) => break,
                        Err(PublishError::HighWaterMark { .. }) => {
                            refused += 1;
                            std::thread::yield_now();
                        }
                        Err(e) => panic!("{e}"),
                    }
                }
            }
            refused
        })
    };
    let mut received = 0u64;
    while received < messages {
        match tokio::time::timeout(Duration::from_secs(10), sub.next()).await {
            Ok(Some(_)) => received += 1,
            _ => break,
        }
    }
    let elapsed = start.elapsed();
    let refused = sender.join().unwrap();
    report(
        "publish → receive, loopback",
        received,
        elapsed,
        json!({"sent": messages, "lost": messages - received, "refused_and_retried": refused}),
    );
}
